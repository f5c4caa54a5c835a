/* A fence around Lua's pattern functions.
 *
 * Lua patterns backtrack, and the matcher runs in C where the instruction hook never fires, so
 * `("a"):rep(40):find(("a*"):rep(40) .. "b")` would run for hours. Before a pattern function runs,
 * this file bounds the work it can do: for every quantified item, the longest run of subject
 * characters the item can match gives the choices the matcher may try there; the product of those
 * choices, times the number of start positions, bounds the steps. A call whose bound exceeds the
 * configured budget is refused with an error that says so.
 */
#define _GNU_SOURCE /* memmem */
#include "tg_internal.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int class_matches(int c, int cl) {
    int res;
    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
    }
    if (isupper(cl)) res = !res;
    return res != 0;
}

/* Returns the end of the item starting at p ([set], %x, or a single char), or NULL if malformed. */
static const char *item_end(const char *p, const char *pe) {
    if (p >= pe) return NULL;
    if (*p == '%') return p + 2 <= pe ? p + 2 : NULL;
    if (*p == '[') {
        const char *q = p + 1;
        if (q < pe && *q == '^') q++;
        do {
            if (q >= pe) return NULL;
            if (*q == '%') q += 2;
            else q++;
        } while (q < pe && *q != ']');
        return q < pe ? q + 1 : NULL;
    }
    return p + 1;
}

static int set_matches(int c, const char *p, const char *ec) {
    /* p points at '[', ec at ']' */
    int sig = 1;
    p++;
    if (*p == '^') { sig = 0; p++; }
    while (p < ec) {
        if (*p == '%' && p + 1 < ec) {
            p++;
            if (class_matches(c, (unsigned char)*p)) return sig;
            p++;
        } else if (p + 2 < ec && p[1] == '-') {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2]) return sig;
            p += 3;
        } else {
            if ((unsigned char)*p == c) return sig;
            p++;
        }
    }
    return !sig;
}

static int item_matches(int c, const char *p, const char *ep) {
    switch (*p) {
    case '.': return 1;
    case '%': return class_matches(c, (unsigned char)p[1]);
    case '[': return set_matches(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static double longest_run(const char *s, size_t n, const char *p, const char *ep) {
    size_t best = 0, run = 0;
    for (size_t i = 0; i < n; i++) {
        if (item_matches((unsigned char)s[i], p, ep)) { if (++run > best) best = run; }
        else run = 0;
    }
    return (double)best;
}

static double count_matches(const char *s, size_t n, const char *p, const char *ep) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) count += item_matches((unsigned char)s[i], p, ep);
    return (double)count;
}

/* Whether nothing but closing parentheses follows position p. */
static int only_closers(const char *p, const char *pe) {
    while (p < pe && *p == ')') p++;
    return p == pe;
}

/* Bound on matcher steps for pattern p on subject s.
 *
 * Each quantified item can be retried once per length of the run it matched, so it multiplies
 * the work by its longest run in the subject plus one. The last item of a pattern never
 * backtracks (its first try ends the match), so it adds one linear scan instead. A match can
 * start only where the first item matches, which bounds the start positions when the first
 * item is a required character or class. */
static double pattern_cost(const char *s, size_t n, const char *p, size_t plen, int anchored_ok) {
    const char *pe = p + plen;
    double cost = 1, linear = 0, items = 0;
    double starts = (double)(n + 1);
    int anchored = 0, first = 1;
    if (anchored_ok && p < pe && *p == '^') { anchored = 1; p++; }
    while (p < pe && cost < 1e300) {
        if (*p == '(' || *p == ')') { p++; continue; }
        if (*p == '$' && p + 1 == pe) break;
        if (*p == '%' && p + 1 < pe) {
            char k = p[1];
            if (k == 'b') { cost *= (double)(n + 1); p = p + 4 <= pe ? p + 4 : pe; first = 0; continue; }
            if (k == 'f') { const char *e = item_end(p + 2, pe); p = e ? e : pe; continue; }
            if (k >= '0' && k <= '9') { cost *= (double)(n + 1); p += 2; first = 0; continue; }
        }
        const char *ep = item_end(p, pe);
        if (ep == NULL) break; /* malformed: let Lua report it */
        items++;
        char q = ep < pe ? *ep : 0;
        int quantified = q == '*' || q == '+' || q == '-' || q == '?';
        if (first && (!quantified || q == '+')) starts = count_matches(s, n, p, ep) + 1;
        first = 0;
        if (q == '*' || q == '+' || q == '-') {
            if (only_closers(ep + 1, pe)) linear = (double)n;
            else cost *= longest_run(s, n, p, ep) + 1;
            p = ep + 1;
        } else if (q == '?') {
            cost *= 2;
            p = ep + 1;
        } else {
            p = ep;
        }
    }
    /* every item is tried at least once from each start */
    return (anchored ? cost : cost * starts) * (items > 1 ? items : 1) + linear;
}

/* Whether a pattern has no special characters (Lua then searches for it as plain text). */
static int no_specials(const char *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (strchr("^$*+?.([%-", p[i]) != NULL) return 0;
    }
    return 1;
}

/* string.find of plain text, in linear time (Lua's own search is quadratic at worst). */
static int plain_find(lua_State *L, const char *s, size_t n, const char *p, size_t plen) {
    lua_Integer init = luaL_optinteger(L, 3, 1);
    if (init < 0) init = (lua_Integer)n + init + 1 > 0 ? (lua_Integer)n + init + 1 : 1;
    else if (init == 0) init = 1;
    if ((size_t)init > n + 1) {
        luaL_pushfail(L);
        return 1;
    }
    const char *found = plen == 0 ? s + init - 1 : memmem(s + init - 1, n - (size_t)(init - 1), p, plen);
    if (found == NULL) {
        luaL_pushfail(L);
        return 1;
    }
    lua_pushinteger(L, (lua_Integer)(found - s) + 1);
    lua_pushinteger(L, (lua_Integer)(found - s) + (lua_Integer)plen);
    return 2;
}

/* upvalue 1: the original function; upvalue 2: its name; upvalue 3: 1 when '^' anchors */
static int fenced(lua_State *L) {
    tg_state *st = tg_from(L);
    size_t n, plen;
    const char *s = luaL_checklstring(L, 1, &n);
    const char *p = luaL_checklstring(L, 2, &plen);
    const char *name = lua_tostring(L, lua_upvalueindex(2));
    if (strcmp(name, "find") == 0 && (lua_toboolean(L, 4) || no_specials(p, plen))) {
        tg_charge(L, 1 + (double)(n + plen) / 16);
        return plain_find(L, s, n, p, plen);
    }
    /* the estimate below reads the subject once for the first item and once per quantified one */
    double scans = 1;
    for (size_t i = 0; i < plen; i++) scans += p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?';
    tg_charge(L, 1 + (double)n * scans / 16);
    {
        double cost = pattern_cost(s, n, p, plen, (int)lua_tointeger(L, lua_upvalueindex(3)));
        if (cost > st->limits.pattern_budget) {
            char message[400];
            snprintf(message, sizeof message,
                     "string.%s: pattern '%.80s' could take about %.3g steps on a %zu-byte subject (limit %.3g); "
                     "anchor it, bound its repetitions, or use a plain find",
                     name, p, cost, n, st->limits.pattern_budget);
            return luaL_error(L, "%s", message);
        }
        tg_charge(L, cost / 16);
    }
    int nargs = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

void tg_pattern_install(lua_State *L, int safestring) {
    static const char *const names[] = { "find", "match", "gmatch", "gsub" };
    lua_getglobal(L, LUA_STRLIBNAME);
    int real = lua_gettop(L);
    for (int i = 0; i < 4; i++) {
        lua_getfield(L, real, names[i]);
        lua_pushstring(L, names[i]);
        lua_pushinteger(L, i != 2); /* gmatch treats '^' literally */
        lua_pushcclosure(L, fenced, 3);
        lua_setfield(L, safestring, names[i]);
    }
    lua_pop(L, 1);
}
