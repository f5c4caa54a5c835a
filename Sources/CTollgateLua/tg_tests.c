/* The policy test runner: test files run in the sandbox with a small test API whose
 * `evaluate` and `fixture` calls are answered by the Swift host. */
#include "tg_internal.h"
#include <stdlib.h>
#include <string.h>

static int owned_doc_gc(lua_State *L) {
    tg_owned_doc *d = (tg_owned_doc *)lua_touserdata(L, 1);
    tg_owned_doc_reset(d);
    return 0;
}

/* A tg_owned_doc inside a userdata, so that a Lua error cannot leak its buffers. */
static tg_owned_doc *push_doc_box(lua_State *L) {
    tg_owned_doc *d = (tg_owned_doc *)lua_newuserdatauv(L, sizeof(tg_owned_doc), 0);
    memset(d, 0, sizeof *d);
    if (luaL_newmetatable(L, "tollgate.docbox")) {
        lua_pushcfunction(L, owned_doc_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return d;
}

static int host_call(lua_State *L, int operation) {
    tg_state *st = tg_from(L);
    if (st->host == NULL) return luaL_error(L, "this function is only available in policy tests");
    const char *name = luaL_checkstring(L, 1);
    lua_settop(L, 2);
    tg_owned_doc *arg = push_doc_box(L);
    tg_encode(L, 2, arg, 0);
    tg_owned_doc *result = push_doc_box(L);
    tg_doc view = { arg->words, arg->word_count, arg->bytes, arg->byte_count, arg->root };
    char *error = NULL;
    int rc = st->host(st->host_context, operation, name, &view, result, &error);
    if (rc != 0) {
        lua_pushstring(L, error ? error : "the host call failed");
        free(error);
        return lua_error(L);
    }
    free(error);
    if (result->word_count == 0) { lua_pushnil(L); return 1; }
    tg_doc out = { result->words, result->word_count, result->bytes, result->byte_count, result->root };
    tg_doc_push_plain(L, &out, out.root, 0);
    return 1;
}

static int host_evaluate(lua_State *L) { return host_call(L, TG_HOST_EVALUATE); }
static int host_evaluate_phase(lua_State *L) { return host_call(L, TG_HOST_EVALUATE_PHASE); }
static int host_fixture(lua_State *L) { return host_call(L, TG_HOST_FIXTURE); }
static int host_where(lua_State *L) {
    luaL_where(L, (int)luaL_optinteger(L, 1, 1));
    return 1;
}

void tg_push_host_functions(lua_State *L);
void tg_push_host_functions(lua_State *L) {
    lua_createtable(L, 0, 4);
    lua_pushcfunction(L, host_evaluate);
    lua_setfield(L, -2, "evaluate");
    lua_pushcfunction(L, host_evaluate_phase);
    lua_setfield(L, -2, "evaluate_phase");
    lua_pushcfunction(L, host_fixture);
    lua_setfield(L, -2, "fixture");
    lua_pushcfunction(L, host_where);
    lua_setfield(L, -2, "where");
}

static int run_tests_protected(lua_State *L) {
    tg_state *st = tg_from(L);
    tg_eval_result *out = (tg_eval_result *)lua_touserdata(L, 1);
    /* 2: the compiled test chunk */
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_prelude);
    int internals = lua_gettop(L);
    lua_getfield(L, internals, "reset");
    lua_call(L, 0, 0);

    tg_run_begin(st);
    lua_pushvalue(L, 2);
    int status = lua_pcall(L, 0, 0, 0);
    int run = tg_run_end(st, status);
    if (status != LUA_OK) {
        out->outcome = TG_OUTCOME_ERROR;
        out->status = run;
        out->message = tg_strdup_error(L, -1);
        return 0;
    }
    lua_getfield(L, internals, "tests");
    lua_call(L, 0, 1);
    int tests = lua_gettop(L);
    lua_Integer count = (lua_Integer)lua_rawlen(L, tests);
    lua_createtable(L, (int)count, 0);
    int results = lua_gettop(L);
    for (lua_Integer i = 1; i <= count; i++) {
        lua_rawgeti(L, tests, i);
        int test = lua_gettop(L);
        lua_createtable(L, 0, 5);
        int entry = lua_gettop(L);
        lua_getfield(L, test, "name");
        lua_setfield(L, entry, "name");
        lua_getfield(L, test, "line");
        lua_setfield(L, entry, "line");
        lua_getfield(L, test, "fn");
        tg_run_begin(st);
        int s = lua_pcall(L, 0, 0, 0);
        int r = tg_run_end(st, s);
        const char *verdict = "pass";
        if (s != LUA_OK) {
            int assertion = 0;
            if (lua_istable(L, -1)) {
                lua_pushliteral(L, "assertion");
                lua_rawget(L, -2);
                assertion = lua_toboolean(L, -1);
                lua_pop(L, 1);
            }
            verdict = (assertion && r == TG_RUN_ERROR) ? "fail" : "error";
            char *message = tg_strdup_error(L, -1);
            lua_pop(L, 1);
            lua_pushstring(L, message ? message : "unknown error");
            free(message);
            lua_setfield(L, entry, "message");
        }
        lua_pushstring(L, verdict);
        lua_setfield(L, entry, "status");
        lua_pushinteger(L, (lua_Integer)st->instructions);
        lua_setfield(L, entry, "instructions");
        lua_rawseti(L, results, i);
        lua_settop(L, results);
    }
    out->outcome = TG_OUTCOME_ALLOW;
    tg_encode(L, results, &out->payload, 0);
    return 0;
}

void tg_run_tests(tg_state *st, const char *chunkname, const char *source, size_t len,
                  tg_host_fn host, void *context, tg_eval_result *out) {
    lua_State *L = st->L;
    int top = lua_gettop(L);
    memset(out, 0, sizeof *out);
    st->host = host;
    st->host_context = context;
    int status = luaL_loadbufferx(L, source, len, chunkname, "t");
    if (status == LUA_OK) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_env);
        if (lua_setupvalue(L, -2, 1) == NULL) lua_pop(L, 1);
        int chunk = lua_gettop(L);
        lua_pushcfunction(L, run_tests_protected);
        lua_pushlightuserdata(L, out);
        lua_pushvalue(L, chunk);
        status = lua_pcall(L, 2, 0, 0);
    }
    if (status != LUA_OK && out->message == NULL) {
        tg_owned_doc_reset(&out->payload);
        out->outcome = TG_OUTCOME_ERROR;
        out->status = status == LUA_ERRMEM ? TG_RUN_MEMORY : TG_RUN_ERROR;
        out->message = tg_strdup_error(L, -1);
    }
    st->host = NULL;
    st->host_context = NULL;
    lua_settop(L, top);
}
