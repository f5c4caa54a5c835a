/* Guards around the C functions policies may call.
 *
 * The instruction hook sees Lua instructions only: one call into C is one instruction, however
 * long the C function runs. So every library function a policy can reach runs behind a guard that
 * checks the run's limits (deadline, budget, memory) first and counts the work it is about to do
 * against the instruction budget: a byte of string read whole or produced costs 1/16 of an
 * instruction, an element moved, shifted or returned costs one. Work a single call could make
 * unbounded (a range of 2^40 indices, a repetition of an empty string 2^62 times) is refused
 * before it starts.
 *
 * The guards also keep evaluations deterministic: `pairs` visits a plain table's keys in a fixed
 * order, and `tostring` and `string.format` never show an address.
 */
#include "tg_internal.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BYTES_PER_INSTRUCTION 16.0

enum {
    COST_RESULTS = 0, /* what it returns: one per value, plus the bytes of the strings */
    COST_INPUT,       /* also the bytes of its string arguments, which it reads whole */
    COST_ARGUMENTS,   /* also one per argument */
    COST_UNPACK,      /* table.unpack(t, i, j): also one per value asked for */
    COST_MOVE,        /* table.move(a, f, e, t): also one per element */
    COST_INSERT,      /* table.insert(t, pos, v): also one per element shifted */
    COST_REMOVE,      /* table.remove(t, pos): also one per element shifted */
    COST_CONCAT,      /* table.concat(t, sep, i, j): also one per element */
};

static double string_bytes(lua_State *L, int from, int to) {
    double bytes = 0;
    for (int i = from; i <= to; i++) {
        if (lua_type(L, i) == LUA_TSTRING) bytes += (double)lua_rawlen(L, i);
    }
    return bytes;
}

/* The length of the table argument at `idx` for cost purposes (raw: no metamethod runs here). */
static double raw_length(lua_State *L, int idx) {
    return lua_type(L, idx) == LUA_TTABLE ? (double)lua_rawlen(L, idx) : 0;
}

static double optional_number(lua_State *L, int idx, double fallback) {
    return lua_type(L, idx) == LUA_TNUMBER ? lua_tonumber(L, idx) : fallback;
}

static double range(double from, double to) { return to >= from ? to - from + 1 : 0; }

/* The work a call is about to do, from its arguments. */
static double cost_before(lua_State *L, int kind) {
    int n = lua_gettop(L);
    switch (kind) {
    case COST_INPUT: return 1 + string_bytes(L, 1, n) / BYTES_PER_INSTRUCTION;
    case COST_ARGUMENTS: return 1 + n;
    case COST_UNPACK: return 1 + range(optional_number(L, 2, 1), optional_number(L, 3, raw_length(L, 1)));
    case COST_MOVE: return 1 + range(optional_number(L, 2, 1), optional_number(L, 3, 0));
    case COST_INSERT: return 1 + (n >= 3 ? range(optional_number(L, 2, 1), raw_length(L, 1)) : 0);
    case COST_REMOVE: return 1 + (n >= 2 ? range(optional_number(L, 2, 1), raw_length(L, 1)) : 0);
    case COST_CONCAT: return 1 + range(optional_number(L, 3, 1), optional_number(L, 4, raw_length(L, 1)));
    default: return 1;
    }
}

/* Charges what a call returned: the `results` values on top of the stack. */
static void charge_results(lua_State *L, int results) {
    int top = lua_gettop(L);
    if (results > 1 || (results == 1 && lua_type(L, top) == LUA_TSTRING))
        tg_charge(L, results + string_bytes(L, top - results + 1, top) / BYTES_PER_INSTRUCTION);
}

/* Runs the library function in upvalue 1 in this call's frame (no second call): it has no
 * upvalues of its own, so it reads only its arguments. Returns its result count. */
static int run_library_function(lua_State *L) { return lua_tocfunction(L, lua_upvalueindex(1))(L); }

/* upvalue 1: the library function; upvalue 2: its cost kind */
static int guarded(lua_State *L) {
    tg_charge(L, cost_before(L, (int)lua_tointeger(L, lua_upvalueindex(2))));
    int results = run_library_function(L);
    charge_results(L, results);
    return results;
}

/* upvalue 1: a library closure (it reads upvalues of its own, so it is called); upvalue 2: its cost kind */
static int guarded_closure(lua_State *L) {
    tg_charge(L, cost_before(L, (int)lua_tointeger(L, lua_upvalueindex(2))));
    int base = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, base, LUA_MULTRET);
    int results = lua_gettop(L);
    charge_results(L, results);
    return results;
}

/* string.rep(): bounded by the configured largest string, whatever the sizes multiply to. */
static int guarded_rep(lua_State *L) {
    tg_state *st = tg_from(L);
    size_t len, seplen = 0;
    luaL_checklstring(L, 1, &len);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &seplen);
    if (n <= 0 || (len == 0 && seplen == 0)) {
        lua_pushliteral(L, "");
        return 1;
    }
    double total = (double)len * (double)n + (double)seplen * (double)(n - 1);
    if (total > (double)st->limits.max_string) {
        char message[160];
        snprintf(message, sizeof message, "string.rep would build %.0f bytes; the limit is %zu bytes", total, st->limits.max_string);
        return luaL_error(L, "%s", message);
    }
    tg_charge(L, 1 + total / BYTES_PER_INSTRUCTION);
    return run_library_function(L);
}

/* The comparison table.sort uses when the policy gives none: checks the limits at every step. */
static int guarded_less(lua_State *L) {
    double bytes = 0;
    if (lua_type(L, 1) == LUA_TSTRING && lua_type(L, 2) == LUA_TSTRING) bytes = (double)(lua_rawlen(L, 1) + lua_rawlen(L, 2));
    tg_charge(L, 1 + bytes / BYTES_PER_INSTRUCTION);
    lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
    return 1;
}

/* table.sort(): n log n steps charged up front; each comparison checks the limits. */
static int guarded_sort(lua_State *L) {
    double n = raw_length(L, 1);
    tg_charge(L, 1 + n * log2(n + 1));
    if (lua_isnoneornil(L, 2)) {
        lua_settop(L, 1);
        lua_pushcfunction(L, guarded_less);
    }
    lua_settop(L, 2);
    return run_library_function(L);
}

/* ---- deterministic pairs ---- */

typedef struct key_entry {
    int rank;            /* numbers, strings, booleans, then anything else */
    int integer;
    lua_Integer i;
    lua_Number n;
    const char *s;       /* anchored by the key list */
    size_t len;
    int position;        /* in the key list */
} key_entry;

static int compare_entries(const void *pa, const void *pb) {
    const key_entry *a = (const key_entry *)pa, *b = (const key_entry *)pb;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    switch (a->rank) {
    case 0:
        if (a->integer && b->integer) return a->i < b->i ? -1 : a->i > b->i;
        return a->n < b->n ? -1 : a->n > b->n;
    case 1: {
        size_t common = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, common);
        if (c != 0) return c;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case 2: return a->i < b->i ? -1 : a->i > b->i;
    default: return a->position < b->position ? -1 : a->position > b->position;
    }
}

/* upvalues: 1 the table, 2 its keys in order, 3 the next position, 4 the count */
static int sorted_next(lua_State *L) {
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer n = lua_tointeger(L, lua_upvalueindex(4));
    while (i < n) {
        i++;
        lua_rawgeti(L, lua_upvalueindex(2), i);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
            lua_pushinteger(L, i);
            lua_replace(L, lua_upvalueindex(3));
            return 2;
        }
        lua_pop(L, 2); /* a key removed during the traversal */
    }
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushnil(L);
    return 1;
}

/* pairs(): a plain table's keys in a fixed order (numbers ascending, strings bytewise, false then
 * true, then other keys as the table holds them); anything with __pairs, and input views, as
 * their metamethod says. upvalue 1: the library's pairs. */
int tg_sandbox_pairs(lua_State *L) {
    luaL_checkany(L, 1);
    if (lua_type(L, 1) != LUA_TTABLE || luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_settop(L, 1);
        tg_charge(L, 1);
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_insert(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    lua_settop(L, 1);
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        count++;
    }
    tg_charge(L, 1 + (double)count * log2((double)count + 1));
    lua_createtable(L, count, 0);
    int keys = lua_gettop(L);
    key_entry *entries = (key_entry *)lua_newuserdatauv(L, sizeof(key_entry) * (size_t)(count ? count : 1), 0);
    int at = 0;
    lua_pushnil(L);
    while (lua_next(L, 1) && at < count) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, at + 1);
        key_entry *e = &entries[at];
        memset(e, 0, sizeof *e);
        e->position = at;
        switch (lua_type(L, -1)) {
        case LUA_TNUMBER:
            e->rank = 0;
            e->integer = lua_isinteger(L, -1);
            if (e->integer) e->i = lua_tointeger(L, -1);
            e->n = lua_tonumber(L, -1);
            break;
        case LUA_TSTRING:
            e->rank = 1;
            e->s = lua_tolstring(L, -1, &e->len);
            break;
        case LUA_TBOOLEAN:
            e->rank = 2;
            e->i = lua_toboolean(L, -1);
            break;
        default:
            e->rank = 3;
            break;
        }
        at++;
    }
    qsort(entries, (size_t)at, sizeof(key_entry), compare_entries);
    lua_createtable(L, at, 0);
    int ordered = lua_gettop(L);
    for (int i = 0; i < at; i++) {
        lua_rawgeti(L, keys, entries[i].position + 1);
        lua_rawseti(L, ordered, i + 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, ordered);
    lua_pushinteger(L, 0);
    lua_pushinteger(L, at);
    lua_pushcclosure(L, sorted_next, 4);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* ---- error handling and text without addresses ---- */

/* xpcall(): the message handler runs after the error has unwound, as ordinary code with every
 * limit on (Lua would run it where the error was raised, which for a limit is inside the hook,
 * where no limit can stop it). */
int tg_sandbox_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    tg_check_limits(L);
    lua_pushvalue(L, 1);
    for (int i = 3; i <= n; i++) lua_pushvalue(L, i);
    if (lua_pcall(L, n - 2, LUA_MULTRET, 0) == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_insert(L, n + 1);
        return lua_gettop(L) - n;
    }
    tg_check_limits(L);
    lua_pushvalue(L, 2);
    lua_insert(L, -2);
    lua_call(L, 1, 1);
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
}

/* Replaces the value at idx, when it has no __tostring, by its type's name (Lua would show
 * "table: 0x…", or "<__name>: 0x…"). */
static void hide_address(lua_State *L, int idx) {
    int type = lua_type(L, idx);
    if (type != LUA_TTABLE && type != LUA_TFUNCTION && type != LUA_TUSERDATA && type != LUA_TTHREAD) return;
    if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    lua_pushstring(L, luaL_typename(L, idx));
    lua_replace(L, idx);
}

/* tostring(): as Lua's, but a table or function shows its type, never its address. */
int tg_sandbox_tostring(lua_State *L) {
    luaL_checkany(L, 1);
    lua_settop(L, 1);
    tg_charge(L, 1 + string_bytes(L, 1, 1) / BYTES_PER_INSTRUCTION);
    hide_address(L, 1);
    luaL_tolstring(L, 1, NULL);
    return 1;
}

/* string.format(): no `%p`, and `%s` of a table or function shows its type. upvalue 1: the
 * library's format. */
static int guarded_format(lua_State *L) {
    size_t len;
    const char *format = luaL_checklstring(L, 1, &len);
    for (size_t i = 0; i + 1 < len; i++) {
        if (format[i] != '%') continue;
        size_t j = i + 1;
        if (format[j] == '%') { i = j; continue; }
        while (j < len && format[j] != '\0' && strchr("-+ #0123456789.", format[j])) j++;
        if (j < len && format[j] == 'p')
            return luaL_error(L, "string.format: '%%p' is not available in policies (it shows an address)");
        i = j;
    }
    int n = lua_gettop(L);
    for (int i = 2; i <= n; i++) hide_address(L, i);
    tg_charge(L, 1 + n + string_bytes(L, 1, n) / BYTES_PER_INSTRUCTION);
    int results = run_library_function(L);
    charge_results(L, results);
    return results;
}

/* ---- installing the guards ---- */

typedef struct special_guard {
    const char *library;
    const char *name;
    lua_CFunction function; /* a guard of its own, or NULL for `guarded` with `cost` */
    int cost;
} special_guard;

static const special_guard specials[] = {
    { LUA_STRLIBNAME, "rep", guarded_rep, 0 },
    { LUA_STRLIBNAME, "format", guarded_format, 0 },
    { LUA_STRLIBNAME, "char", NULL, COST_ARGUMENTS },
    { LUA_STRLIBNAME, "upper", NULL, COST_INPUT },
    { LUA_STRLIBNAME, "lower", NULL, COST_INPUT },
    { LUA_STRLIBNAME, "reverse", NULL, COST_INPUT },
    { LUA_STRLIBNAME, "pack", NULL, COST_INPUT },
    { LUA_STRLIBNAME, "unpack", NULL, COST_INPUT },
    { LUA_STRLIBNAME, "packsize", NULL, COST_INPUT },
    { LUA_UTF8LIBNAME, "len", NULL, COST_INPUT },
    { LUA_UTF8LIBNAME, "offset", NULL, COST_INPUT },
    { LUA_UTF8LIBNAME, "codepoint", NULL, COST_INPUT },
    { LUA_UTF8LIBNAME, "codes", NULL, COST_INPUT },
    { LUA_GNAME, "tonumber", NULL, COST_INPUT },
    { LUA_TABLIBNAME, "sort", guarded_sort, 0 },
    { LUA_TABLIBNAME, "unpack", NULL, COST_UNPACK },
    { LUA_TABLIBNAME, "move", NULL, COST_MOVE },
    { LUA_TABLIBNAME, "insert", NULL, COST_INSERT },
    { LUA_TABLIBNAME, "remove", NULL, COST_REMOVE },
    { LUA_TABLIBNAME, "concat", NULL, COST_CONCAT },
    { LUA_TABLIBNAME, "pack", NULL, COST_ARGUMENTS },
    { LUA_UTF8LIBNAME, "char", NULL, COST_ARGUMENTS },
    { LUA_MATHLIBNAME, "max", NULL, COST_ARGUMENTS },
    { LUA_MATHLIBNAME, "min", NULL, COST_ARGUMENTS },
    { LUA_GNAME, "select", NULL, COST_ARGUMENTS },
    { NULL, NULL, NULL, 0 },
};

/* Functions that need no guard: they do a fixed, small amount of work (or, like `pcall` and
 * `error`, only call or raise), or have guards of their own installed by the sandbox. */
static int is_unguarded(const char *library, const char *name) {
    static const char *const base[] = {
        "type", "next", "ipairs", "rawlen", "rawequal", "rawget", "getmetatable", "setmetatable", "assert",
        "pcall", "error", "pairs", "xpcall", "tostring", NULL,
    };
    if (strcmp(library, LUA_MATHLIBNAME) == 0) return 1; /* constant time; max and min are listed above */
    if (strcmp(library, LUA_GNAME) != 0) return strcmp(library, LUA_STRLIBNAME) == 0 && strcmp(name, "len") == 0;
    for (const char *const *n = base; *n; n++) {
        if (strcmp(*n, name) == 0) return 1;
    }
    return 0;
}

/* Wraps every C function of the table at `table` (a copy the sandbox owns) in its guard. The
 * pattern functions of `string` are fenced separately (tg_pattern.c) and left as they are. */
void tg_guard_library(lua_State *L, int table, const char *library) {
    table = lua_absindex(L, table);
    lua_pushnil(L);
    while (lua_next(L, table)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_iscfunction(L, -1)) {
            lua_pop(L, 1);
            continue;
        }
        const char *name = lua_tostring(L, -2);
        if (strcmp(library, LUA_STRLIBNAME) == 0 &&
            (!strcmp(name, "find") || !strcmp(name, "match") || !strcmp(name, "gmatch") || !strcmp(name, "gsub"))) {
            lua_pop(L, 1);
            continue;
        }
        const special_guard *special = NULL;
        for (const special_guard *g = specials; g->library; g++) {
            if (strcmp(g->library, library) == 0 && strcmp(g->name, name) == 0) { special = g; break; }
        }
        if (special == NULL && is_unguarded(library, name)) {
            lua_pop(L, 1);
            continue;
        }
        if (special && special->function) {
            lua_pushcclosure(L, special->function, 1);
        } else {
            int closure = lua_getupvalue(L, -1, 1) != NULL;
            if (closure) lua_pop(L, 1);
            lua_pushinteger(L, special ? special->cost : COST_RESULTS);
            lua_pushcclosure(L, closure ? guarded_closure : guarded, 2);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, table);
    }
}
