/* Encoding Lua values into documents: decisions, details, policy metadata, test inputs. */
#include "tg_internal.h"
#include <stdlib.h>
#include <string.h>

#define TG_ENCODE_MAX_DEPTH 100

void tg_owned_doc_reset(tg_owned_doc *doc) {
    free(doc->words);
    free(doc->bytes);
    memset(doc, 0, sizeof *doc);
}

void tg_owned_doc_free(tg_owned_doc *doc) {
    if (doc != NULL) tg_owned_doc_reset(doc);
}

/* Refuses to grow a result past the run's result limit; counts the growth against its memory. */
static void reserve(lua_State *L, tg_owned_doc *d, size_t more_words, size_t more_bytes, size_t grown) {
    tg_state *st = tg_from(L);
    size_t limit = st->limits.max_result_bytes;
    size_t size = (d->word_count + more_words) * sizeof(uint32_t) + d->byte_count + more_bytes;
    if (limit != 0 && size > limit) {
        tg_push_result_where(L);
        luaL_error(L, "%sthe result is larger than %d KiB (its reasons, details or declaration; the limit is %d KiB)",
                   lua_tostring(L, -1), (int)((size + 1023) / 1024), (int)(limit / 1024));
    }
    tg_charge_encoding(L, grown);
}

static void grow_words(lua_State *L, tg_owned_doc *d, size_t extra) {
    if (d->word_count + extra <= d->word_capacity) {
        reserve(L, d, extra, 0, 0);
        return;
    }
    size_t cap = d->word_capacity ? d->word_capacity * 2 : 64;
    while (cap < d->word_count + extra) cap *= 2;
    reserve(L, d, extra, 0, (cap - d->word_capacity) * sizeof(uint32_t));
    uint32_t *w = (uint32_t *)realloc(d->words, cap * sizeof(uint32_t));
    if (w == NULL) luaL_error(L, "out of memory while encoding a value");
    d->words = w;
    d->word_capacity = cap;
}

static uint32_t add_bytes(lua_State *L, tg_owned_doc *d, const char *s, size_t len) {
    if (d->byte_count + len > UINT32_MAX) luaL_error(L, "value too large to encode");
    if (d->byte_count + len <= d->byte_capacity) reserve(L, d, 0, len, 0);
    else {
        size_t cap = d->byte_capacity ? d->byte_capacity * 2 : 256;
        while (cap < d->byte_count + len) cap *= 2;
        reserve(L, d, 0, len, cap - d->byte_capacity);
        char *b = (char *)realloc(d->bytes, cap);
        if (b == NULL) luaL_error(L, "out of memory while encoding a value");
        d->bytes = b;
        d->byte_capacity = cap;
    }
    uint32_t offset = (uint32_t)d->byte_count;
    if (len) memcpy(d->bytes + d->byte_count, s, len);
    d->byte_count += len;
    return offset;
}

static uint32_t add_word(lua_State *L, tg_owned_doc *d, uint32_t w) {
    grow_words(L, d, 1);
    d->words[d->word_count] = w;
    return (uint32_t)d->word_count++;
}

static uint32_t add_string(lua_State *L, tg_owned_doc *d, const char *s, size_t len) {
    uint32_t off = add_bytes(L, d, s, len);
    grow_words(L, d, 3);
    uint32_t at = (uint32_t)d->word_count;
    d->words[at] = TG_NODE_STRING;
    d->words[at + 1] = off;
    d->words[at + 2] = (uint32_t)len;
    d->word_count += 3;
    return at;
}

static uint32_t add_bits(lua_State *L, tg_owned_doc *d, uint32_t tag, uint64_t bits) {
    grow_words(L, d, 3);
    uint32_t at = (uint32_t)d->word_count;
    d->words[at] = tag;
    d->words[at + 1] = (uint32_t)(bits & 0xFFFFFFFFu);
    d->words[at + 2] = (uint32_t)(bits >> 32);
    d->word_count += 3;
    return at;
}

/* Copies a node of a (view's) document into `d`. */
static uint32_t copy_node(lua_State *L, const tg_doc *src, uint32_t n, tg_owned_doc *d, int depth) {
    if (depth > TG_ENCODE_MAX_DEPTH) luaL_error(L, "value nested too deeply to encode");
    const uint32_t *w = src->words + n;
    uint32_t tag = w[0] & 0xFFu;
    switch (tag) {
    case TG_NODE_INT:
    case TG_NODE_DOUBLE:
        return add_bits(L, d, tag, (uint64_t)w[1] | ((uint64_t)w[2] << 32));
    case TG_NODE_STRING:
        return add_string(L, d, src->bytes + w[1], w[2]);
    case TG_NODE_ARRAY: {
        uint32_t count = w[1];
        grow_words(L, d, 2 + (size_t)count);
        uint32_t at = (uint32_t)d->word_count;
        d->words[at] = TG_NODE_ARRAY;
        d->words[at + 1] = count;
        d->word_count += 2 + count;
        for (uint32_t i = 0; i < count; i++) {
            uint32_t child = copy_node(L, src, src->words[n + 2 + i], d, depth + 1);
            d->words[at + 2 + i] = child;
        }
        return at;
    }
    case TG_NODE_OBJECT: {
        uint32_t count = w[1];
        grow_words(L, d, 2 + 3 * (size_t)count);
        uint32_t at = (uint32_t)d->word_count;
        d->words[at] = TG_NODE_OBJECT;
        d->words[at + 1] = count;
        d->word_count += 2 + 3 * (size_t)count;
        for (uint32_t i = 0; i < count; i++) {
            const uint32_t *m = src->words + n + 2 + 3 * i;
            uint32_t key_off = add_bytes(L, d, src->bytes + m[0], m[1]);
            uint32_t key_len = m[1];
            uint32_t child = copy_node(L, src, m[2], d, depth + 1);
            d->words[at + 2 + 3 * i] = key_off;
            d->words[at + 3 + 3 * i] = key_len;
            d->words[at + 4 + 3 * i] = child;
        }
        return at;
    }
    default:
        return add_word(L, d, tag);
    }
}

typedef struct view_header { uint32_t generation; uint32_t node; } view_header;

static int compare_keys(const void *a, const void *b) {
    const char *const *x = (const char *const *)a;
    const char *const *y = (const char *const *)b;
    return strcmp(*x, *y);
}

static uint32_t encode_value(lua_State *L, int idx, tg_owned_doc *d, int functions_as_nodes, int depth);

/* The value of a field of the table's metatable (raw), or LUA_TNIL. */
static int document_hint(lua_State *L, int idx, const char *field) {
    if (!lua_getmetatable(L, idx)) {
        lua_pushnil(L);
        return LUA_TNIL;
    }
    lua_pushstring(L, field);
    int type = lua_rawget(L, -2);
    lua_remove(L, -2);
    return type;
}

static uint32_t begin_array(lua_State *L, tg_owned_doc *d, uint32_t n) {
    grow_words(L, d, 2 + (size_t)n);
    uint32_t at = (uint32_t)d->word_count;
    d->words[at] = TG_NODE_ARRAY;
    d->words[at + 1] = n;
    d->word_count += 2 + n;
    return at;
}

static uint32_t encode_table(lua_State *L, int idx, tg_owned_doc *d, int functions_as_nodes, int depth) {
    /* A table made from a document array keeps its length, nulls included. */
    if (document_hint(L, idx, "__jsonarray") == LUA_TNUMBER) {
        lua_Integer declared = lua_tointeger(L, -1);
        lua_pop(L, 1);
        lua_Integer length = (lua_Integer)lua_rawlen(L, idx);
        lua_Integer n = declared > length ? declared : length;
        if (n >= 0 && n <= (lua_Integer)UINT32_MAX / 4) {
            uint32_t at = begin_array(L, d, (uint32_t)n);
            for (lua_Integer i = 0; i < n; i++) {
                lua_rawgeti(L, idx, i + 1);
                uint32_t child = encode_value(L, lua_gettop(L), d, functions_as_nodes, depth + 1);
                lua_pop(L, 1);
                d->words[at + 2 + i] = child;
            }
            return at;
        }
    } else {
        lua_pop(L, 1);
    }
    /* Classify: a non-empty sequence 1..n becomes an array, anything else an object with sorted keys. */
    lua_Integer count = 0;
    int sequence = 1;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        count++;
        if (sequence && !(lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1)) sequence = 0;
        if (!sequence) {
            int kt = lua_type(L, -1);
            if (kt != LUA_TSTRING && kt != LUA_TNUMBER) {
                lua_pop(L, 1);
                luaL_error(L, "cannot encode a table key of type %s (use strings or numbers)", lua_typename(L, kt));
            }
        }
    }
    if (count > (lua_Integer)UINT32_MAX / 4) luaL_error(L, "table too large to encode");
    if (sequence && (lua_Integer)lua_rawlen(L, idx) != count) sequence = 0;
    if (sequence) {
        uint32_t n = (uint32_t)count;
        grow_words(L, d, 2 + (size_t)n);
        uint32_t at = (uint32_t)d->word_count;
        d->words[at] = TG_NODE_ARRAY;
        d->words[at + 1] = n;
        d->word_count += 2 + n;
        for (uint32_t i = 0; i < n; i++) {
            lua_rawgeti(L, idx, (lua_Integer)i + 1);
            uint32_t child = encode_value(L, lua_gettop(L), d, functions_as_nodes, depth + 1);
            lua_pop(L, 1);
            d->words[at + 2 + i] = child;
        }
        return at;
    }
    /* Object: collect string forms of the keys, sort them, encode in that order. */
    uint32_t n = (uint32_t)count;
    lua_createtable(L, 0, (int)n);          /* key string -> original key */
    int map = lua_gettop(L);
    lua_createtable(L, (int)n, 0);          /* array of key strings */
    int list = lua_gettop(L);
    lua_Integer i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushvalue(L, -1);
        const char *s = luaL_tolstring(L, -1, NULL); /* number keys become their text */
        (void)s;
        lua_replace(L, -2);
        lua_pushvalue(L, -1);
        lua_rawseti(L, list, ++i);
        lua_pushvalue(L, -2);
        lua_rawset(L, map);
        lua_pop(L, 1);
    }
    const char **names = (const char **)lua_newuserdatauv(L, sizeof(char *) * (n ? n : 1), 0);
    for (uint32_t k = 0; k < n; k++) {
        lua_rawgeti(L, list, (lua_Integer)k + 1);
        names[k] = lua_tostring(L, -1); /* anchored by `list` */
        lua_pop(L, 1);
    }
    qsort(names, n, sizeof(char *), compare_keys);
    /* A table made from a document object keeps the document's key order; keys added since
     * follow in sorted order. */
    if (document_hint(L, idx, "__jsonorder") == LUA_TTABLE) {
        int order = lua_gettop(L);
        const char **ordered = (const char **)lua_newuserdatauv(L, sizeof(char *) * (n ? n : 1), 0);
        lua_newtable(L);
        int placed = lua_gettop(L);
        uint32_t count = 0;
        lua_Integer length = (lua_Integer)lua_rawlen(L, order);
        for (lua_Integer i = 1; i <= length && count < n; i++) {
            if (lua_rawgeti(L, order, i) == LUA_TSTRING) {
                lua_pushvalue(L, -1);
                int present = lua_rawget(L, map) != LUA_TNIL;
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                int seen = lua_rawget(L, placed) != LUA_TNIL;
                lua_pop(L, 1);
                if (present && !seen) {
                    lua_pushvalue(L, -1);
                    lua_pushboolean(L, 1);
                    lua_rawset(L, placed);
                    ordered[count++] = lua_tostring(L, -1); /* anchored by the order table */
                }
            }
            lua_pop(L, 1);
        }
        for (uint32_t k = 0; k < n; k++) {
            lua_pushstring(L, names[k]);
            int seen = lua_rawget(L, placed) != LUA_TNIL;
            lua_pop(L, 1);
            if (!seen) ordered[count++] = names[k];
        }
        memcpy(names, ordered, sizeof(char *) * n);
        lua_pop(L, 3); /* order, ordered, placed */
    } else {
        lua_pop(L, 1);
    }
    grow_words(L, d, 2 + 3 * (size_t)n);
    uint32_t at = (uint32_t)d->word_count;
    d->words[at] = TG_NODE_OBJECT;
    d->words[at + 1] = n;
    d->word_count += 2 + 3 * (size_t)n;
    for (uint32_t k = 0; k < n; k++) {
        size_t len = strlen(names[k]);
        uint32_t off = add_bytes(L, d, names[k], len);
        lua_pushstring(L, names[k]);
        lua_rawget(L, map);
        lua_rawget(L, idx);
        uint32_t child = encode_value(L, lua_gettop(L), d, functions_as_nodes, depth + 1);
        lua_pop(L, 1);
        d->words[at + 2 + 3 * k] = off;
        d->words[at + 3 + 3 * k] = (uint32_t)len;
        d->words[at + 4 + 3 * k] = child;
    }
    lua_pop(L, 3);
    return at;
}

static uint32_t encode_value(lua_State *L, int idx, tg_owned_doc *d, int functions_as_nodes, int depth) {
    if (depth > TG_ENCODE_MAX_DEPTH) luaL_error(L, "value nested too deeply to encode (is there a cycle?)");
    luaL_checkstack(L, 8, "value nested too deeply to encode");
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return add_word(L, d, TG_NODE_NULL);
    case LUA_TBOOLEAN: return add_word(L, d, lua_toboolean(L, idx) ? TG_NODE_TRUE : TG_NODE_FALSE);
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) return add_bits(L, d, TG_NODE_INT, (uint64_t)lua_tointeger(L, idx));
        else {
            double v = lua_tonumber(L, idx);
            uint64_t bits;
            memcpy(&bits, &v, sizeof bits);
            return add_bits(L, d, TG_NODE_DOUBLE, bits);
        }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return add_string(L, d, s, len);
    }
    case LUA_TTABLE: return encode_table(L, idx, d, functions_as_nodes, depth);
    case LUA_TFUNCTION:
        if (functions_as_nodes) return add_word(L, d, TG_NODE_FUNCTION);
        return luaL_error(L, "cannot encode a function value");
    case LUA_TUSERDATA:
        if (tg_is_view(L, idx)) {
            tg_state *st = tg_from(L);
            const view_header *v = (const view_header *)lua_touserdata(L, idx);
            if (st->doc == NULL || v->generation != st->generation)
                luaL_error(L, "input is no longer available");
            return copy_node(L, st->doc, v->node, d, depth);
        }
        /* fallthrough */
    default:
        return luaL_error(L, "cannot encode a %s value", luaL_typename(L, idx));
    }
}

void tg_encode(lua_State *L, int idx, tg_owned_doc *out, int functions_as_nodes) {
    idx = lua_absindex(L, idx);
    out->root = encode_value(L, idx, out, functions_as_nodes, 0);
}
