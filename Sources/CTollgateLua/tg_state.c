/* State lifecycle: the capped allocator, the instruction hook, protected-run accounting. */
#include "tg_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int small_class(size_t size) { return size <= TG_SMALL_MAX ? (int)((size + 15) / 16) - 1 : -1; }

static void small_release(tg_state *st, void *ptr, size_t size) {
    int c = small_class(size);
    if (c >= 0 && st->small_count[c] < TG_SMALL_KEEP) {
        *(void **)ptr = st->small_free[c];
        st->small_free[c] = ptr;
        st->small_count[c]++;
    } else {
        free(ptr);
    }
}

static void *small_acquire(tg_state *st, size_t size) {
    int c = small_class(size);
    if (c >= 0) {
        void *p = st->small_free[c];
        if (p != NULL) {
            st->small_free[c] = *(void **)p;
            st->small_count[c]--;
            return p;
        }
        return malloc((size_t)(c + 1) * 16);
    }
    return malloc(size);
}

static void *tg_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    tg_state *st = (tg_state *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        if (ptr) small_release(st, ptr, osize);
        st->memory_used -= old;
        return NULL;
    }
    if (nsize > old && st->memory_used - old + nsize + st->encoded_bytes > st->memory_ceiling) {
        /* Lua collects garbage and asks once more for the same block before it raises a memory
         * error; a second refusal means the run is over its cap. */
        if (st->refusal_pending) st->memory_exhausted = 1;
        st->refusal_pending = 1;
        st->refused_ptr = ptr;
        st->refused_size = nsize;
        return NULL;
    }
    void *p;
    if (ptr == NULL) {
        p = small_acquire(st, nsize);
    } else if (small_class(old) >= 0 || small_class(nsize) >= 0) {
        if (small_class(old) == small_class(nsize)) {
            p = ptr;
        } else {
            p = small_acquire(st, nsize);
            if (p != NULL) {
                memcpy(p, ptr, old < nsize ? old : nsize);
                small_release(st, ptr, old);
            }
        }
    } else {
        p = realloc(ptr, nsize);
    }
    if (p == NULL) return NULL;
    if (st->refusal_pending) {
        /* Anything but Lua's retry of the refused block means the refusal became an error a
         * policy could catch (lauxlib's buffers raise one without collecting): the run is over. */
        if (ptr != st->refused_ptr || nsize != st->refused_size) st->memory_exhausted = 1;
        st->refusal_pending = 0;
    }
    st->memory_used = st->memory_used - old + nsize;
    if (st->memory_used > st->memory_peak) st->memory_peak = st->memory_used;
    return p;
}

static int tg_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "tollgate: unprotected Lua error (this is a bug): %s\n", msg ? msg : "?");
    abort();
}

static int64_t monotonic_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Raises the error of a limit the run is over, and makes every later instruction raise it again,
 * so no pcall or xpcall in the policy can carry on past it. Inside a hook, level 0 is the Lua
 * function being run. */
static void fail_from_now_on(lua_State *L, tg_state *st, int level) {
    lua_sethook(L, lua_gethook(L), lua_gethookmask(L) | LUA_MASKCOUNT, 1);
    luaL_where(L, level);
    if (st->deadline_exceeded)
        lua_pushfstring(L, "deadline of %d ms exceeded", (int)(st->limits.deadline_nanoseconds / 1000000));
    else if (st->budget_exhausted)
        lua_pushfstring(L, "instruction budget of %I instructions exhausted", (lua_Integer)st->instruction_budget);
    else
        lua_pushfstring(L, "memory limit of %I bytes reached", (lua_Integer)st->limits.memory_limit);
    lua_concat(L, 2);
    lua_error(L);
}

/* Whether the run is over a limit; notes a passed deadline. The clock is read once per
 * TG_CLOCK_PERIOD instructions (C work counted in), which keeps it out of a decision's cost. */
static int over_limits(tg_state *st) {
    if (st->instructions >= st->next_clock_check && st->deadline != 0) {
        st->next_clock_check = st->instructions + TG_CLOCK_PERIOD;
        if (monotonic_now() > st->deadline) st->deadline_exceeded = 1;
    }
    if (st->instructions > st->instruction_budget) st->budget_exhausted = 1;
    return st->deadline_exceeded || st->budget_exhausted || st->memory_exhausted;
}

void tg_check_limits(lua_State *L) {
    tg_state *st = tg_from(L);
    if (over_limits(st)) fail_from_now_on(L, st, 1);
}

void tg_charge(lua_State *L, double cost) {
    tg_state *st = tg_from(L);
    if (cost > 0) {
        double total = (double)st->instructions + cost;
        st->instructions = total > 9e18 ? INT64_MAX : (int64_t)total;
    }
    if (over_limits(st)) fail_from_now_on(L, st, 1);
}

void tg_charge_encoding(lua_State *L, size_t bytes) {
    tg_state *st = tg_from(L);
    st->encoded_bytes += bytes;
    if (st->memory_used + st->encoded_bytes > st->memory_ceiling) {
        st->memory_exhausted = 1;
        fail_from_now_on(L, st, 1);
    }
}

static void tg_hook(lua_State *L, lua_Debug *ar) {
    tg_state *st = tg_from(L);
    if (ar->event == LUA_HOOKLINE) {
        if (!st->coverage || !lua_getinfo(L, "S", ar)) return;
        for (int slot = 0; slot < TG_MAX_POLICIES; slot++) {
            if (st->coverage_source[slot] == NULL) continue;
            if (st->coverage_source[slot] != ar->source) continue;
            int line = ar->currentline;
            if (line > 0 && line <= st->coverage_lines[slot] && st->coverage_hits[slot])
                st->coverage_hits[slot][line] = 1;
            break;
        }
        return;
    }
    st->instructions += lua_gethookcount(L);
    if (over_limits(st)) fail_from_now_on(L, st, 0);
}

void tg_run_begin(tg_state *st) {
    st->memory_ceiling = st->memory_used + st->limits.memory_limit;
    st->memory_peak = st->memory_used;
    st->memory_exhausted = 0;
    st->refusal_pending = 0;
    st->encoded_bytes = 0;
    st->instructions = 0;
    st->instruction_budget = st->limits.instruction_budget;
    st->budget_exhausted = 0;
    st->deadline = st->limits.deadline_nanoseconds > 0 ? monotonic_now() + st->limits.deadline_nanoseconds : 0;
    st->deadline_exceeded = 0;
    st->next_clock_check = TG_CLOCK_PERIOD;
    st->result_function = 0;
    int mask = LUA_MASKCOUNT | (st->coverage ? LUA_MASKLINE : 0);
    lua_sethook(st->L, tg_hook, mask, TG_HOOK_PERIOD);
}

int tg_run_end(tg_state *st, int pcall_status) {
    lua_sethook(st->L, NULL, 0, 0);
    st->memory_ceiling = SIZE_MAX;
    st->deadline = 0;
    st->encoded_bytes = 0;
    if (st->refusal_pending) st->memory_exhausted = 1;
    st->refusal_pending = 0;
    int result = TG_RUN_OK;
    if (st->deadline_exceeded) result = TG_RUN_DEADLINE;
    else if (st->budget_exhausted) result = TG_RUN_BUDGET;
    else if (st->memory_exhausted || pcall_status == LUA_ERRMEM) result = TG_RUN_MEMORY;
    else if (pcall_status != LUA_OK) result = TG_RUN_ERROR;
    if (result == TG_RUN_MEMORY) lua_gc(st->L, LUA_GCCOLLECT);
    return result;
}

char *tg_strdup_error(lua_State *L, int idx) {
    const char *msg = NULL;
    size_t len = 0;
    if (lua_type(L, idx) == LUA_TSTRING) msg = lua_tolstring(L, idx, &len);
    else if (lua_type(L, idx) == LUA_TTABLE) {
        /* assertion objects of the test API carry their text in `message`; read it raw, as this
         * runs outside any protected call and must not run a metamethod */
        idx = lua_absindex(L, idx);
        lua_pushliteral(L, "message");
        if (lua_rawget(L, idx) == LUA_TSTRING) {
            const char *m = lua_tolstring(L, -1, &len);
            char *copy = (char *)malloc(len + 1);
            if (copy) { memcpy(copy, m, len); copy[len] = 0; }
            lua_pop(L, 1);
            return copy;
        }
        lua_pop(L, 1);
    }
    if (msg == NULL) {
        msg = lua_isnil(L, idx) ? "error raised with no message" : "error raised with a non-string value";
        len = strlen(msg);
    }
    char *copy = (char *)malloc(len + 1);
    if (copy) { memcpy(copy, msg, len); copy[len] = 0; }
    return copy;
}

static int state_setup(lua_State *L) {
    tg_state *st = (tg_state *)lua_touserdata(L, 1);
    const char *prelude = (const char *)lua_touserdata(L, 2);
    size_t prelude_len = (size_t)lua_tointeger(L, 3);
    tg_doc_register(L, st);
    lua_newtable(L);
    st->ref_policies = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushlstring(L, prelude, prelude_len);
    tg_sandbox_install(L, st);
    return 0;
}

tg_state *tg_state_new(const char *prelude, size_t prelude_len, char *errbuf, size_t errlen) {
    tg_state *st = (tg_state *)calloc(1, sizeof(tg_state));
    if (st == NULL) return NULL;
    st->memory_ceiling = SIZE_MAX;
    st->limits.instruction_budget = 1000000;
    st->limits.memory_limit = 16u << 20;
    st->limits.max_string = 1u << 20;
    st->limits.pattern_budget = 1e7;
    st->limits.deadline_nanoseconds = 1000000000;
    st->limits.max_result_bytes = 256u << 10;
    lua_State *L = lua_newstate(tg_alloc, st);
    if (L == NULL) { free(st); return NULL; }
    st->L = L;
    *(tg_state **)lua_getextraspace(L) = st;
    lua_atpanic(L, tg_panic);
    /* Evaluations make small, short-lived garbage (views, decisions): collect less often. */
    lua_gc(L, LUA_GCINC, 1000, 200, 0);
    lua_pushcfunction(L, state_setup);
    lua_pushlightuserdata(L, st);
    lua_pushlightuserdata(L, (void *)prelude);
    lua_pushinteger(L, (lua_Integer)prelude_len);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
        if (errbuf && errlen) {
            const char *m = lua_tostring(L, -1);
            snprintf(errbuf, errlen, "%s", m ? m : "failed to prepare the Lua sandbox");
        }
        lua_close(L);
        free(st);
        return NULL;
    }
    return st;
}

void tg_state_free(tg_state *st) {
    if (st == NULL) return;
    lua_close(st->L);
    for (int c = 0; c < TG_SMALL_CLASSES; c++) {
        while (st->small_free[c]) {
            void *next = *(void **)st->small_free[c];
            free(st->small_free[c]);
            st->small_free[c] = next;
        }
    }
    for (int i = 0; i < TG_MAX_POLICIES; i++) free(st->coverage_hits[i]);
    free(st);
}

void tg_state_set_limits(tg_state *st, tg_limits limits) { st->limits = limits; }

size_t tg_state_memory(const tg_state *st) { return st->memory_used; }

void tg_load_result_clear(tg_load_result *r) {
    free(r->message);
    r->message = NULL;
    tg_owned_doc_reset(&r->metadata);
}

void tg_eval_result_clear(tg_eval_result *r) {
    free(r->message);
    r->message = NULL;
    tg_owned_doc_reset(&r->payload);
}
