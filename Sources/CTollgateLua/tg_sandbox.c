/* The sandbox: the only environment a policy (or a policy test) can see. */
#include "tg_internal.h"
#include <stdio.h>
#include <string.h>

void tg_push_host_functions(lua_State *L);

static int readonly_newindex(lua_State *L) {
    const char *key = luaL_tolstring(L, 2, NULL);
    return luaL_error(L, "'%s' is read-only in policies", key);
}

static int global_newindex(lua_State *L) {
    const char *key = luaL_tolstring(L, 2, NULL);
    return luaL_error(L, "cannot set global '%s': policies have no globals of their own; declare it local (local %s = ...)", key, key);
}

/* pairs() over a read-only proxy, without handing out the table behind it. */
static int proxy_next(lua_State *L) {
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1))) return 2;
    lua_pushnil(L);
    return 1;
}

static int proxy_pairs(lua_State *L) {
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__index");
    lua_pushcclosure(L, proxy_next, 1);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Replaces the table at the top of the stack with a read-only proxy of it. */
static void make_readonly(lua_State *L, lua_CFunction newindex) {
    int target = lua_gettop(L);
    lua_newtable(L);
    lua_createtable(L, 0, 4);
    lua_pushvalue(L, target);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, proxy_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_replace(L, target);
}

/* type(): input views are tables as far as policies are concerned. */
static int sandbox_type(lua_State *L) {
    luaL_checkany(L, 1);
    if (tg_is_view(L, 1)) lua_pushliteral(L, "table");
    else lua_pushstring(L, luaL_typename(L, 1));
    return 1;
}

/* next(): understands input views. */
static int sandbox_next(lua_State *L) {
    if (tg_is_view(L, 1)) return tg_view_next(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (lua_next(L, 1)) return 2;
    lua_pushnil(L);
    return 1;
}

/* ipairs(): steps through input arrays without a metamethod call per element. */
static int view_ipairs_step(lua_State *L) {
    lua_Integer i = lua_tointeger(L, 2) + 1;
    lua_pushinteger(L, i);
    if (!tg_view_element(L, 1, i)) { lua_pushnil(L); return 1; }
    return 2;
}

static int sandbox_ipairs(lua_State *L) {
    luaL_checkany(L, 1);
    if (tg_is_view(L, 1)) lua_pushcfunction(L, view_ipairs_step);
    else lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, 0);
    return 3;
}

/* setmetatable(): no finalizers, protected metatables stay protected. */
static int sandbox_setmetatable(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int t = lua_type(L, 2);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
        return luaL_error(L, "__gc finalizers are not available in policies");
    lua_settop(L, 2);
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

static void copy_fields(lua_State *L, int from, int to, const char *const *names) {
    for (; *names; names++) {
        lua_getfield(L, from, *names);
        lua_setfield(L, to, *names);
    }
}

static const char *const base_names[] = {
    "assert", "error", "pairs", "pcall", "select", "tonumber", "tostring",
    "xpcall", "getmetatable", "rawequal", "rawlen", "rawget", "_VERSION", NULL,
};
static const char *const string_names[] = {
    "byte", "char", "format", "len", "lower", "upper", "reverse", "sub", "pack", "packsize",
    "unpack", "rep", NULL,
};
static const char *const table_names[] = {
    "concat", "insert", "move", "pack", "remove", "sort", "unpack", NULL,
};
static const char *const math_names[] = {
    "abs", "ceil", "floor", "fmod", "huge", "max", "maxinteger", "min", "mininteger", "modf",
    "pi", "sqrt", "tointeger", "type", "ult", "exp", "log", "sin", "cos", "tan", "asin", "acos",
    "atan", "deg", "rad", NULL,
};
static const char *const utf8_names[] = {
    "char", "charpattern", "codes", "codepoint", "len", "offset", NULL,
};

static void open_lib(lua_State *L, const char *name, lua_CFunction open) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
}

/* Expects the prelude source at the top of the stack. */
void tg_sandbox_install(lua_State *L, tg_state *st) {
    int prelude_src = lua_gettop(L);
    open_lib(L, LUA_GNAME, luaopen_base);
    open_lib(L, LUA_STRLIBNAME, luaopen_string);
    open_lib(L, LUA_TABLIBNAME, luaopen_table);
    open_lib(L, LUA_MATHLIBNAME, luaopen_math);
    open_lib(L, LUA_UTF8LIBNAME, luaopen_utf8);

    lua_pushglobaltable(L);
    int G = lua_gettop(L);

    lua_newtable(L); /* base: what policies see */
    int base = lua_gettop(L);
    copy_fields(L, G, base, base_names);
    lua_pushcfunction(L, sandbox_type);
    lua_setfield(L, base, "type");
    lua_pushcfunction(L, sandbox_next);
    lua_setfield(L, base, "next");
    /* the iterator function of the standard ipairs, used for ordinary tables */
    lua_getfield(L, G, "ipairs");
    lua_newtable(L);
    lua_call(L, 1, 1);
    lua_pushcclosure(L, sandbox_ipairs, 1);
    lua_setfield(L, base, "ipairs");
    lua_pushcfunction(L, sandbox_setmetatable);
    lua_setfield(L, base, "setmetatable");
    lua_getfield(L, G, "pairs");
    lua_pushcclosure(L, tg_sandbox_pairs, 1);
    lua_setfield(L, base, "pairs");
    lua_pushcfunction(L, tg_sandbox_xpcall);
    lua_setfield(L, base, "xpcall");
    lua_pushcfunction(L, tg_sandbox_tostring);
    lua_setfield(L, base, "tostring");
    tg_guard_library(L, base, LUA_GNAME);

    /* string: safe functions, fenced pattern functions and rep, no dump */
    lua_getfield(L, G, LUA_STRLIBNAME);
    int realstring = lua_gettop(L);
    lua_newtable(L);
    int safestring = lua_gettop(L);
    copy_fields(L, realstring, safestring, string_names);
    tg_guard_library(L, safestring, LUA_STRLIBNAME);
    tg_pattern_install(L, safestring); /* reads find/match/gmatch/gsub from `string` in G */
    /* the shared string metatable now indexes the safe table and cannot be fetched */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, safestring);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
    lua_pushvalue(L, safestring);
    make_readonly(L, readonly_newindex);
    lua_setfield(L, base, "string");
    lua_pop(L, 2); /* realstring, safestring */

    struct { const char *name; const char *const *names; } libs[] = {
        { LUA_TABLIBNAME, table_names }, { LUA_MATHLIBNAME, math_names }, { LUA_UTF8LIBNAME, utf8_names },
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        lua_getfield(L, G, libs[i].name);
        lua_newtable(L);
        copy_fields(L, -2, lua_gettop(L), libs[i].names);
        tg_guard_library(L, -1, libs[i].name);
        make_readonly(L, readonly_newindex);
        lua_setfield(L, base, libs[i].name);
        lua_pop(L, 1);
    }

    /* The prelude runs with the full base library and returns (exports, internals). */
    lua_createtable(L, 0, 4);
    st->ref_decision_meta = 0;
    lua_pushliteral(L, "decision");
    lua_setfield(L, -2, "__metatable");
    lua_pushvalue(L, -1);
    st->ref_decision_meta = luaL_ref(L, LUA_REGISTRYINDEX);
    int decision = lua_gettop(L);

    size_t plen;
    const char *psrc = lua_tolstring(L, prelude_src, &plen);
    if (luaL_loadbufferx(L, psrc, plen, "=prelude", "t") != LUA_OK) lua_error(L);
    lua_pushvalue(L, decision);
    lua_pushvalue(L, base);
    lua_pushvalue(L, G);
    tg_push_host_functions(L);
    lua_call(L, 4, 2);
    /* internals */
    st->ref_prelude = luaL_ref(L, LUA_REGISTRYINDEX);
    /* exports become globals of the sandbox */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -1) == LUA_TTABLE) make_readonly(L, readonly_newindex);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, base);
    }
    lua_pop(L, 2); /* exports, decision */

    lua_pushvalue(L, base);
    make_readonly(L, global_newindex);
    st->ref_env = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_settop(L, prelude_src - 1);
}
