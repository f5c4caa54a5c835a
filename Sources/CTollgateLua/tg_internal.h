#ifndef TG_INTERNAL_H
#define TG_INTERNAL_H

#include "tollgate_lua.h"
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#define TG_MAX_POLICIES 4096
#define TG_HOOK_PERIOD 100
#define TG_CLOCK_PERIOD 1000 /* instructions between two reads of the clock */
#define TG_MAX_REASONS 100
#define TG_MAX_REASON_BYTES 4096

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
    int refusal_pending;     /* an allocation was refused and Lua has not yet retried it */
    void *refused_ptr;
    size_t refused_size;
    size_t encoded_bytes;    /* bytes held by result encoders of the current run */

    /* instruction accounting */
    int64_t instructions;
    int64_t instruction_budget;
    int budget_exhausted;

    /* wall-clock deadline of the current run (CLOCK_MONOTONIC_COARSE nanoseconds; 0: none) */
    int64_t deadline;
    int64_t next_clock_check;
    int deadline_exceeded;

    tg_limits limits;

    /* the document currently visible to Lua, and its generation */
    const tg_doc *doc;
    uint32_t generation;
    /* the stack index of the function whose result is being encoded (0: none), to name it in
     * errors about the result */
    int result_function;
    /* where the last next() over an input object stopped */
    uint32_t next_node;
    uint32_t next_position;

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

/* tg_policy.c: pushes "file:line: " of the function whose result is being encoded ("" if none) */
void tg_push_result_where(lua_State *L);

/* tg_encode.c: encodes the value at idx (absolute) into out; returns 0 or raises */
void tg_encode(lua_State *L, int idx, tg_owned_doc *out, int functions_as_nodes);
void tg_owned_doc_reset(tg_owned_doc *doc);

/* tg_sandbox.c */
void tg_sandbox_install(lua_State *L, tg_state *st);

/* tg_pattern.c */
void tg_pattern_install(lua_State *L, int string_table_idx);

/* tg_state.c */
void tg_run_begin(tg_state *st);
int tg_run_end(tg_state *st, int pcall_status);
char *tg_strdup_error(lua_State *L, int idx);
/* Raises when the run is over a limit (deadline, budget, memory); C functions call it before work. */
void tg_check_limits(lua_State *L);
/* Counts `cost` instructions of C work against the budget, then checks the limits. */
void tg_charge(lua_State *L, double cost);
/* Counts `bytes` more of encoder buffers against the memory cap; raises when over it. */
void tg_charge_encoding(lua_State *L, size_t bytes);

/* tg_guard.c: guards around the allowed libraries' C functions */
void tg_guard_library(lua_State *L, int table, const char *library);
int tg_sandbox_pairs(lua_State *L);
int tg_sandbox_xpcall(lua_State *L);
int tg_sandbox_tostring(lua_State *L);

#endif
