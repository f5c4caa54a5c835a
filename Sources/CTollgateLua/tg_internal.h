#ifndef TG_INTERNAL_H
#define TG_INTERNAL_H

#include "tollgate_lua.h"
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#define TG_MAX_POLICIES 4096
#define TG_HOOK_PERIOD 100

#define TG_SMALL_CLASSES 8   /* free lists for blocks of 16, 32, ..., 128 bytes */
#define TG_SMALL_MAX (16 * TG_SMALL_CLASSES)
#define TG_SMALL_KEEP 4096    /* blocks kept per class */

struct tg_state {
    lua_State *L;

    /* free lists of small blocks: Lua makes and drops many (views, strings, tables) */
    void *small_free[TG_SMALL_CLASSES];
    int small_count[TG_SMALL_CLASSES];

    /* allocator accounting */
    size_t memory_used;
    size_t memory_ceiling;   /* allocation fails beyond this (SIZE_MAX when unlimited) */
    size_t memory_peak;
    int memory_exhausted;
    int memory_refusals;

    /* instruction accounting */
    int64_t instructions;
    int64_t instruction_budget;
    int budget_exhausted;

    tg_limits limits;

    /* the document currently visible to Lua, and its generation */
    const tg_doc *doc;
    uint32_t generation;

    /* registry references */
    int ref_object_meta;
    int ref_array_meta;
    const void *object_meta;  /* the same tables, for identity checks */
    const void *array_meta;
    int ref_decision_meta;
    int ref_env;       /* the read-only global environment of policies */
    int ref_policies;  /* table slot -> compiled chunk */
    int ref_prelude;   /* table of prelude exports */

    /* test runner host bridge */
    tg_host_fn host;
    void *host_context;

    /* coverage: per slot, the chunk's source name pointer and line hit bitmaps */
    int coverage;
    const char *coverage_source[TG_MAX_POLICIES];
    unsigned char *coverage_hits[TG_MAX_POLICIES];
    int coverage_lines[TG_MAX_POLICIES];
};

static inline tg_state *tg_from(lua_State *L) {
    return *(tg_state **)lua_getextraspace(L);
}

/* tg_doc.c */
void tg_doc_register(lua_State *L, tg_state *st);
void tg_doc_push_node(lua_State *L, tg_state *st, uint32_t node);
void tg_doc_push_view(lua_State *L, tg_state *st, uint32_t node);
int tg_is_view(lua_State *L, int idx);
int tg_view_next(lua_State *L);
int tg_view_element(lua_State *L, int idx, lua_Integer i);
void tg_doc_push_plain(lua_State *L, const tg_doc *doc, uint32_t node, int depth);

/* tg_encode.c: encodes the value at idx (absolute) into out; returns 0 or raises */
void tg_encode(lua_State *L, int idx, tg_owned_doc *out, int functions_as_nodes);
void tg_owned_doc_reset(tg_owned_doc *doc);

/* tg_sandbox.c */
void tg_sandbox_install(lua_State *L, tg_state *st);

/* tg_pattern.c */
void tg_pattern_install(lua_State *L, int string_table_idx);

/* tg_run.c */
void tg_run_begin(tg_state *st);
int tg_run_end(tg_state *st, int pcall_status);
char *tg_strdup_error(lua_State *L, int idx);

#endif
