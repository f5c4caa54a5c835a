/* Read-only views of a document, handed to policies as their input. */
#include "tg_internal.h"
#include <string.h>

typedef struct tg_view {
    uint32_t generation;
    uint32_t node;
} tg_view;

static inline uint32_t tag_of(const tg_doc *d, uint32_t n) { return d->words[n] & 0xFFu; }

static const tg_doc *live_doc(lua_State *L, tg_state *st, const tg_view *v) {
    if (st->doc == NULL || v->generation != st->generation)
        luaL_error(L, "input is no longer available: a policy kept part of it past its evaluation");
    return st->doc;
}

static void push_scalar_or_view(lua_State *L, tg_state *st, const tg_doc *d, uint32_t n, int plain);

void tg_doc_push_view(lua_State *L, tg_state *st, uint32_t node) {
    tg_view *v = (tg_view *)lua_newuserdatauv(L, sizeof(tg_view), 0);
    v->generation = st->generation;
    v->node = node;
    int tag = tag_of(st->doc, node);
    lua_rawgeti(L, LUA_REGISTRYINDEX, tag == TG_NODE_ARRAY ? st->ref_array_meta : st->ref_object_meta);
    lua_setmetatable(L, -2);
}

static void push_scalar_or_view(lua_State *L, tg_state *st, const tg_doc *d, uint32_t n, int plain) {
    const uint32_t *w = d->words + n;
    switch (w[0] & 0xFFu) {
    case TG_NODE_NULL: lua_pushnil(L); break;
    case TG_NODE_FALSE: lua_pushboolean(L, 0); break;
    case TG_NODE_TRUE: lua_pushboolean(L, 1); break;
    case TG_NODE_INT: {
        uint64_t bits = (uint64_t)w[1] | ((uint64_t)w[2] << 32);
        lua_pushinteger(L, (lua_Integer)(int64_t)bits);
        break;
    }
    case TG_NODE_DOUBLE: {
        uint64_t bits = (uint64_t)w[1] | ((uint64_t)w[2] << 32);
        double value;
        memcpy(&value, &bits, sizeof value);
        lua_pushnumber(L, value);
        break;
    }
    case TG_NODE_STRING: lua_pushlstring(L, d->bytes + w[1], w[2]); break;
    case TG_NODE_ARRAY:
    case TG_NODE_OBJECT:
        if (plain) tg_doc_push_plain(L, d, n, 0);
        else tg_doc_push_view(L, st, n);
        break;
    default: lua_pushnil(L); break;
    }
}

void tg_doc_push_node(lua_State *L, tg_state *st, uint32_t node) {
    push_scalar_or_view(L, st, st->doc, node, 0);
}

/* Finds `key` in an object node; returns the child's word index or UINT32_MAX. */
static uint32_t object_find(const tg_doc *d, uint32_t n, const char *key, size_t len) {
    const uint32_t *w = d->words + n;
    uint32_t count = w[1];
    const uint32_t *m = w + 2;
    for (uint32_t i = 0; i < count; i++, m += 3) {
        if (m[1] == len && memcmp(d->bytes + m[0], key, len) == 0) return m[2];
    }
    return UINT32_MAX;
}

static int view_index(lua_State *L) {
    tg_state *st = tg_from(L);
    const tg_view *v = (const tg_view *)lua_touserdata(L, 1);
    const tg_doc *d = live_doc(L, st, v);
    const uint32_t *w = d->words + v->node;
    if ((w[0] & 0xFFu) == TG_NODE_OBJECT) {
        size_t len;
        const char *key = lua_tolstring(L, 2, &len);
        if (key == NULL || lua_type(L, 2) != LUA_TSTRING) return 0;
        uint32_t child = object_find(d, v->node, key, len);
        if (child == UINT32_MAX) return 0;
        push_scalar_or_view(L, st, d, child, 0);
        return 1;
    }
    int isnum;
    lua_Integer i = lua_tointegerx(L, 2, &isnum);
    if (!isnum || i < 1 || (lua_Unsigned)i > w[1]) return 0;
    push_scalar_or_view(L, st, d, w[1 + i], 0);
    return 1;
}

/* Pushes element i (1-based) of the view at idx, or nil; returns whether it was non-nil. */
int tg_view_element(lua_State *L, int idx, lua_Integer i) {
    tg_state *st = tg_from(L);
    const tg_view *v = (const tg_view *)lua_touserdata(L, idx);
    const tg_doc *d = live_doc(L, st, v);
    const uint32_t *w = d->words + v->node;
    if ((w[0] & 0xFFu) != TG_NODE_ARRAY || i < 1 || (lua_Unsigned)i > w[1]) {
        lua_pushnil(L);
        return 0;
    }
    uint32_t child = w[1 + i];
    push_scalar_or_view(L, st, d, child, 0);
    return tag_of(d, child) != TG_NODE_NULL;
}

static int view_len(lua_State *L) {
    tg_state *st = tg_from(L);
    const tg_view *v = (const tg_view *)lua_touserdata(L, 1);
    const tg_doc *d = live_doc(L, st, v);
    const uint32_t *w = d->words + v->node;
    lua_pushinteger(L, (w[0] & 0xFFu) == TG_NODE_ARRAY ? (lua_Integer)w[1] : 0);
    return 1;
}

/* next(view, key) in document order. */
int tg_view_next(lua_State *L) {
    tg_state *st = tg_from(L);
    const tg_view *v = (const tg_view *)lua_touserdata(L, 1);
    const tg_doc *d = live_doc(L, st, v);
    const uint32_t *w = d->words + v->node;
    uint32_t count = w[1];
    uint32_t position = 0;
    if ((w[0] & 0xFFu) == TG_NODE_ARRAY) {
        if (!lua_isnoneornil(L, 2)) {
            int isnum;
            lua_Integer i = lua_tointegerx(L, 2, &isnum);
            if (!isnum || i < 1 || (lua_Unsigned)i > count) return luaL_error(L, "invalid key to 'next'");
            position = (uint32_t)i;
        }
        /* skip nulls, as a Lua table would not hold them */
        while (position < count && tag_of(d, w[2 + position]) == TG_NODE_NULL) position++;
        if (position >= count) { lua_pushnil(L); return 1; }
        lua_pushinteger(L, (lua_Integer)position + 1);
        push_scalar_or_view(L, st, d, w[2 + position], 0);
        return 2;
    }
    const uint32_t *m = w + 2;
    if (!lua_isnoneornil(L, 2)) {
        size_t len;
        const char *key = lua_tolstring(L, 2, &len);
        if (key == NULL || lua_type(L, 2) != LUA_TSTRING) return luaL_error(L, "invalid key to 'next'");
        /* a traversal asks for the key it was given last: look there first */
        uint32_t i = st->next_node == v->node ? st->next_position : 0;
        if (i >= count || m[3 * i + 1] != len || memcmp(d->bytes + m[3 * i], key, len) != 0) {
            for (i = 0; i < count; i++) {
                const uint32_t *e = m + 3 * i;
                if (e[1] == len && memcmp(d->bytes + e[0], key, len) == 0) break;
            }
        }
        if (i == count) return luaL_error(L, "invalid key to 'next'");
        position = i + 1;
    }
    while (position < count && tag_of(d, m[3 * position + 2]) == TG_NODE_NULL) position++;
    if (position >= count) { lua_pushnil(L); return 1; }
    const uint32_t *e = m + 3 * position;
    st->next_node = v->node;
    st->next_position = position;
    lua_pushlstring(L, d->bytes + e[0], e[1]);
    push_scalar_or_view(L, st, d, e[2], 0);
    return 2;
}

static int view_pairs(lua_State *L) {
    lua_pushcfunction(L, tg_view_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int view_newindex(lua_State *L) {
    const char *key = luaL_tolstring(L, 2, NULL);
    return luaL_error(L, "input is read-only: cannot set '%s' (copy the values you need into a local table)", key);
}

static int view_eq(lua_State *L) {
    const tg_view *a = (const tg_view *)lua_touserdata(L, 1);
    const tg_view *b = (const tg_view *)lua_touserdata(L, 2);
    lua_pushboolean(L, tg_is_view(L, 1) && tg_is_view(L, 2) && a->node == b->node &&
                           a->generation == b->generation);
    return 1;
}

static int view_tostring(lua_State *L) {
    tg_state *st = tg_from(L);
    const tg_view *v = (const tg_view *)lua_touserdata(L, 1);
    const tg_doc *d = live_doc(L, st, v);
    int is_array = tag_of(d, v->node) == TG_NODE_ARRAY;
    lua_pushfstring(L, "%s (read-only input, %d %s)", is_array ? "array" : "object",
                    (int)d->words[v->node + 1], is_array ? "items" : "fields");
    return 1;
}

int tg_is_view(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return 0;
    tg_state *st = tg_from(L);
    const void *meta = lua_topointer(L, -1);
    lua_pop(L, 1);
    return meta == st->object_meta || meta == st->array_meta;
}

static int make_meta(lua_State *L, const char *name) {
    lua_createtable(L, 0, 8);
    lua_pushcfunction(L, view_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, view_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, view_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, view_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushcfunction(L, view_eq);
    lua_setfield(L, -2, "__eq");
    lua_pushcfunction(L, view_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, "read-only input");
    lua_setfield(L, -2, "__metatable");
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

void tg_doc_register(lua_State *L, tg_state *st) {
    st->ref_object_meta = make_meta(L, "input object");
    st->ref_array_meta = make_meta(L, "input array");
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_object_meta);
    st->object_meta = lua_topointer(L, -1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st->ref_array_meta);
    st->array_meta = lua_topointer(L, -1);
    lua_pop(L, 2);
}

/* Builds ordinary Lua tables from a document (fixtures and decisions in the test runner).
 *
 * Lua tables forget key order and drop nulls, so each table remembers its document form in a
 * metatable: `__jsonorder` (object keys in document order) or `__jsonarray` (the array's length,
 * nulls included). Encoding the table again (tg_encode) honours both, so a policy under test sees
 * the same input a policy in production would. */
void tg_doc_push_plain(lua_State *L, const tg_doc *d, uint32_t n, int depth) {
    luaL_checkstack(L, 6, "document too deep");
    if (depth > 200) luaL_error(L, "document nested too deeply");
    const uint32_t *w = d->words + n;
    uint32_t tag = w[0] & 0xFFu;
    if (tag == TG_NODE_ARRAY) {
        lua_createtable(L, (int)w[1], 0);
        for (uint32_t i = 0; i < w[1]; i++) {
            uint32_t c = w[2 + i];
            if (tag_of(d, c) == TG_NODE_ARRAY || tag_of(d, c) == TG_NODE_OBJECT)
                tg_doc_push_plain(L, d, c, depth + 1);
            else
                push_scalar_or_view(L, NULL, d, c, 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_createtable(L, 0, 1);
        lua_pushinteger(L, (lua_Integer)w[1]);
        lua_setfield(L, -2, "__jsonarray");
        lua_setmetatable(L, -2);
        return;
    }
    if (tag == TG_NODE_OBJECT) {
        lua_createtable(L, 0, (int)w[1]);
        lua_createtable(L, (int)w[1], 0); /* key order */
        const uint32_t *m = w + 2;
        for (uint32_t i = 0; i < w[1]; i++, m += 3) {
            lua_pushlstring(L, d->bytes + m[0], m[1]);
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, (lua_Integer)i + 1);
            if (tag_of(d, m[2]) == TG_NODE_ARRAY || tag_of(d, m[2]) == TG_NODE_OBJECT)
                tg_doc_push_plain(L, d, m[2], depth + 1);
            else
                push_scalar_or_view(L, NULL, d, m[2], 1);
            lua_rawset(L, -4);
        }
        lua_createtable(L, 0, 1);
        lua_insert(L, -2);
        lua_setfield(L, -2, "__jsonorder");
        lua_setmetatable(L, -2);
        return;
    }
    push_scalar_or_view(L, NULL, d, n, 1);
}
