/* Loading and evaluating policies. */
#include "tg_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The message of a limit a run went over though its code caught the error (malloc'd). */
static char *caught_limit_message(tg_state *st, int run) {
    char text[200];
    if (run == TG_RUN_DEADLINE)
        snprintf(text, sizeof text, "deadline of %d ms exceeded", (int)(st->limits.deadline_nanoseconds / 1000000));
    else if (run == TG_RUN_BUDGET)
        snprintf(text, sizeof text, "instruction budget of %lld instructions exhausted", (long long)st->limits.instruction_budget);
    else if (run == TG_RUN_MEMORY)
        snprintf(text, sizeof text, "memory limit of %zu bytes reached", st->limits.memory_limit);
    else
        snprintf(text, sizeof text, "the run failed");
    size_t len = strlen(text);
    snprintf(text + len, sizeof text - len, " (the error was caught, which does not undo it)");
    return strdup(text);
}

void tg_push_result_where(lua_State *L) {
    tg_state *st = tg_from(L);
    lua_Debug ar;
    if (st->result_function != 0 && lua_type(L, st->result_function) == LUA_TFUNCTION) {
        lua_pushvalue(L, st->result_function);
        if (lua_getinfo(L, ">S", &ar)) {
            lua_pushfstring(L, "%s:%d: ", ar.short_src, ar.linedefined > 0 ? ar.linedefined : 1);
            return;
        }
    }
    lua_pushliteral(L, "");
}

static int load_protected(lua_State *L) {
    tg_state *st = tg_from(L);
    int slot = (int)lua_tointeger(L, 1);
    tg_load_result *out = (tg_load_result *)lua_touserdata(L, 2);
    /* 3: the compiled chunk */
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_policies);
    lua_pushvalue(L, 3);
    lua_rawseti(L, -2, slot);
    lua_pop(L, 1);
    st->result_function = 3;
    lua_pushvalue(L, 3);
    lua_call(L, 0, 1);
    if (!lua_istable(L, -1))
        return luaL_error(L, "a policy file must return its policy table (return { name = ..., evaluate = function(input) ... end }); it returned %s",
                          luaL_typename(L, -1));
    tg_encode(L, lua_gettop(L), &out->metadata, 1);
    return 0;
}

static void reset_coverage_slot(tg_state *st, int slot) {
    free(st->coverage_hits[slot]);
    st->coverage_hits[slot] = NULL;
    st->coverage_source[slot] = NULL;
    st->coverage_lines[slot] = 0;
}

void tg_policy_load(tg_state *st, int slot, const char *chunkname, const char *source, size_t len,
                    tg_load_result *out) {
    lua_State *L = st->L;
    int top = lua_gettop(L);
    memset(out, 0, sizeof *out);
    if (slot < 1 || slot > TG_MAX_POLICIES) {
        out->status = TG_RUN_ERROR;
        out->message = strdup("too many policies in one set");
        return;
    }
    reset_coverage_slot(st, slot - 1);
    tg_run_begin(st);
    int status = luaL_loadbufferx(L, source, len, chunkname, "t");
    if (status == LUA_OK) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_env);
        if (lua_setupvalue(L, -2, 1) == NULL) lua_pop(L, 1);
        int chunk = lua_gettop(L);
        lua_pushcfunction(L, load_protected);
        lua_pushinteger(L, slot);
        lua_pushlightuserdata(L, out);
        lua_pushvalue(L, chunk);
        status = lua_pcall(L, 3, 0, 0);
        if (status == LUA_OK) {
            /* remember the chunk's source name so coverage can attribute lines */
            lua_Debug ar;
            lua_pushvalue(L, chunk);
            if (lua_getinfo(L, ">S", &ar)) st->coverage_source[slot - 1] = ar.source;
            int lines = 1;
            for (size_t i = 0; i < len; i++) if (source[i] == '\n') lines++;
            st->coverage_lines[slot - 1] = lines;
        }
    }
    int run = tg_run_end(st, status);
    if (status != LUA_OK || run != TG_RUN_OK) {
        /* a top level that caught the error of a limit is still over it */
        out->status = run == TG_RUN_OK ? TG_RUN_ERROR : run;
        out->message = status != LUA_OK ? tg_strdup_error(L, -1) : caught_limit_message(st, run);
        tg_owned_doc_reset(&out->metadata);
    }
    lua_settop(L, top);
}

/* Refuses reasons beyond the documented limits: TG_MAX_REASONS entries of TG_MAX_REASON_BYTES each. */
static void check_reasons(lua_State *L, int reasons) {
    if (!lua_istable(L, reasons)) return;
    lua_Integer count = (lua_Integer)lua_rawlen(L, reasons);
    if (count > TG_MAX_REASONS)
    {
        tg_push_result_where(L);
        luaL_error(L, "%sa decision may give at most %d reasons; this one gives %I", lua_tostring(L, -1), TG_MAX_REASONS, count);
    }
    for (lua_Integer i = 1; i <= count; i++) {
        size_t len = 0;
        if (lua_rawgeti(L, reasons, i) == LUA_TSTRING) lua_tolstring(L, -1, &len);
        lua_pop(L, 1);
        if (len > TG_MAX_REASON_BYTES) {
            tg_push_result_where(L);
            luaL_error(L, "%sreason %I is %d bytes long; a reason may be at most %d bytes", lua_tostring(L, -1), i, (int)len,
                       TG_MAX_REASON_BYTES);
        }
    }
}

static int reasons_payload(lua_State *L, int decision, tg_eval_result *out) {
    lua_createtable(L, 0, 2);
    lua_getfield(L, decision, "reasons");
    check_reasons(L, lua_gettop(L));
    lua_setfield(L, -2, "reasons");
    lua_getfield(L, decision, "details");
    lua_setfield(L, -2, "details");
    tg_encode(L, lua_gettop(L), &out->payload, 0);
    lua_pop(L, 1);
    return 0;
}

static int evaluate_protected(lua_State *L) {
    tg_state *st = tg_from(L);
    int slot = (int)lua_tointeger(L, 1);
    tg_eval_result *out = (tg_eval_result *)lua_touserdata(L, 2);
    lua_settop(L, 2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_policies);
    if (lua_rawgeti(L, -1, slot) != LUA_TFUNCTION) return luaL_error(L, "policy slot %d is empty", slot);
    lua_call(L, 0, 1); /* a fresh policy table: nothing survives from an earlier evaluation */
    int policy = lua_gettop(L);
    if (!lua_istable(L, policy)) return luaL_error(L, "the policy file no longer returns a table");

    if (lua_getfield(L, policy, "filter") == LUA_TFUNCTION) {
        tg_doc_push_view(L, st, st->doc->root);
        lua_call(L, 1, 1);
        if (!lua_toboolean(L, -1)) {
            out->outcome = TG_OUTCOME_SKIP;
            out->message = strdup("its filter function returned false");
            return 0;
        }
    }
    lua_settop(L, policy);
    if (lua_getfield(L, policy, "evaluate") != LUA_TFUNCTION)
        return luaL_error(L, "the policy table has no evaluate function");
    st->result_function = lua_gettop(L); /* kept below the call's results */
    lua_pushvalue(L, st->result_function);
    tg_doc_push_view(L, st, st->doc->root);
    lua_call(L, 1, 2);
    int first = policy + 2;
    int type = lua_type(L, first);
    if (type == LUA_TBOOLEAN) {
        if (lua_toboolean(L, first)) {
            out->outcome = TG_OUTCOME_ALLOW;
        } else {
            out->outcome = TG_OUTCOME_DENY;
            lua_createtable(L, 0, 1);
            if (lua_type(L, first + 1) == LUA_TSTRING) {
                lua_createtable(L, 1, 0);
                lua_pushvalue(L, first + 1);
                lua_rawseti(L, -2, 1);
            } else {
                lua_createtable(L, 1, 0);
                lua_pushliteral(L, "denied without a reason (return false, \"why\" or deny(\"why\"))");
                lua_rawseti(L, -2, 1);
            }
            lua_setfield(L, -2, "reasons");
            tg_encode(L, lua_gettop(L), &out->payload, 0);
        }
        return 0;
    }
    if (type == LUA_TTABLE && lua_getmetatable(L, first)) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_decision_meta);
        int is_decision = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (is_decision) {
            lua_getfield(L, first, "outcome");
            const char *outcome = lua_tostring(L, -1);
            out->outcome = (outcome && strcmp(outcome, "deny") == 0) ? TG_OUTCOME_DENY : TG_OUTCOME_ALLOW;
            lua_pop(L, 1);
            if (out->outcome == TG_OUTCOME_DENY || lua_getfield(L, first, "details") != LUA_TNIL) {
                lua_settop(L, first);
                reasons_payload(L, first, out);
            }
            return 0;
        }
    }
    out->status = TG_RUN_BAD_RESULT;
    return luaL_error(L, "evaluate must return allow(), deny(reason), true or false; it returned %s",
                      type == LUA_TNONE ? "nothing" : lua_typename(L, type));
}

void tg_policy_evaluate(tg_state *st, int slot, const tg_doc *input, tg_eval_result *out) {
    lua_State *L = st->L;
    int top = lua_gettop(L);
    memset(out, 0, sizeof *out);
    st->doc = input;
    st->generation++;
    size_t start = st->memory_used;
    tg_run_begin(st);
    lua_pushcfunction(L, evaluate_protected);
    lua_pushinteger(L, slot);
    lua_pushlightuserdata(L, out);
    int status = lua_pcall(L, 2, 0, 0);
    int run = tg_run_end(st, status);
    out->instructions = st->instructions;
    out->memory = st->memory_peak > start ? st->memory_peak - start : 0;
    if (status != LUA_OK || run != TG_RUN_OK) {
        int bad_result = out->status == TG_RUN_BAD_RESULT;
        tg_owned_doc_reset(&out->payload);
        free(out->message);
        out->outcome = TG_OUTCOME_ERROR;
        out->status = (bad_result && run == TG_RUN_ERROR) ? TG_RUN_BAD_RESULT : (run == TG_RUN_OK ? TG_RUN_ERROR : run);
        out->message = status != LUA_OK ? tg_strdup_error(L, -1) : caught_limit_message(st, run);
    }
    st->doc = NULL;
    st->generation++;
    lua_settop(L, top);
}

/* ---- coverage ---- */

void tg_coverage_enable(tg_state *st, int enabled) {
    st->coverage = enabled;
    if (!enabled) return;
    for (int i = 0; i < TG_MAX_POLICIES; i++) {
        if (st->coverage_source[i] && st->coverage_hits[i] == NULL)
            st->coverage_hits[i] = (unsigned char *)calloc((size_t)st->coverage_lines[i] + 1, 1);
    }
}

static void collect_lines(lua_State *L, int fn, int seen, int lines, const char *source, int depth) {
    if (depth > 50) return;
    lua_pushvalue(L, fn);
    if (lua_rawget(L, seen) != LUA_TNIL) { lua_pop(L, 1); return; }
    lua_pop(L, 1);
    lua_pushvalue(L, fn);
    lua_pushboolean(L, 1);
    lua_rawset(L, seen);
    lua_Debug ar;
    lua_pushvalue(L, fn);
    if (!lua_getinfo(L, ">SL", &ar)) return;
    int active = lua_gettop(L);
    if (ar.source == source && lua_istable(L, active)) {
        lua_pushnil(L);
        while (lua_next(L, active)) {
            lua_pop(L, 1);
            lua_pushvalue(L, -1);
            lua_pushboolean(L, 1);
            lua_rawset(L, lines);
        }
    }
    lua_pop(L, 1);
    for (int i = 1;; i++) {
        const char *name = lua_getupvalue(L, fn, i);
        if (name == NULL) break;
        if (lua_isfunction(L, -1) && !lua_iscfunction(L, -1))
            collect_lines(L, lua_gettop(L), seen, lines, source, depth + 1);
        else if (lua_istable(L, -1)) {
            int t = lua_gettop(L);
            lua_pushnil(L);
            while (lua_next(L, t)) {
                if (lua_isfunction(L, -1) && !lua_iscfunction(L, -1))
                    collect_lines(L, lua_gettop(L), seen, lines, source, depth + 1);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
}

static int coverage_protected(lua_State *L) {
    tg_state *st = tg_from(L);
    int slot = (int)lua_tointeger(L, 1);
    tg_owned_doc *out = (tg_owned_doc *)lua_touserdata(L, 2);
    const char *source = st->coverage_source[slot - 1];
    lua_newtable(L);
    int seen = lua_gettop(L);
    lua_newtable(L);
    int lines = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_policies);
    lua_rawgeti(L, -1, slot);
    int chunk = lua_gettop(L);
    collect_lines(L, chunk, seen, lines, source, 0);
    /* run the chunk (unhooked) to reach the functions of the policy table */
    lua_pushvalue(L, chunk);
    lua_call(L, 0, 1);
    int policy = lua_gettop(L);
    if (lua_istable(L, policy)) {
        lua_pushnil(L);
        while (lua_next(L, policy)) {
            if (lua_isfunction(L, -1) && !lua_iscfunction(L, -1))
                collect_lines(L, lua_gettop(L), seen, lines, source, 0);
            lua_pop(L, 1);
        }
    }
    /* result: {"lines": [...], "hits": [...]} */
    lua_createtable(L, 0, 2);
    int result = lua_gettop(L);
    lua_newtable(L);
    int count = 0;
    for (int line = 1; line <= st->coverage_lines[slot - 1]; line++) {
        lua_rawgeti(L, lines, line);
        int present = lua_toboolean(L, -1);
        lua_pop(L, 1);
        if (present) { lua_pushinteger(L, line); lua_rawseti(L, -2, ++count); }
    }
    lua_setfield(L, result, "lines");
    lua_newtable(L);
    count = 0;
    unsigned char *hits = st->coverage_hits[slot - 1];
    for (int line = 1; hits && line <= st->coverage_lines[slot - 1]; line++) {
        if (hits[line]) { lua_pushinteger(L, line); lua_rawseti(L, -2, ++count); }
    }
    lua_setfield(L, result, "hits");
    tg_encode(L, result, out, 0);
    return 0;
}

void tg_coverage_report(tg_state *st, int slot, tg_owned_doc *out) {
    lua_State *L = st->L;
    int top = lua_gettop(L);
    memset(out, 0, sizeof *out);
    if (slot < 1 || slot > TG_MAX_POLICIES || st->coverage_source[slot - 1] == NULL) return;
    int saved = st->coverage;
    st->coverage = 0;
    tg_run_begin(st);
    lua_pushcfunction(L, coverage_protected);
    lua_pushinteger(L, slot);
    lua_pushlightuserdata(L, out);
    int status = lua_pcall(L, 2, 0, 0);
    tg_run_end(st, status);
    if (status != LUA_OK) tg_owned_doc_reset(out);
    st->coverage = saved;
    lua_settop(L, top);
}
