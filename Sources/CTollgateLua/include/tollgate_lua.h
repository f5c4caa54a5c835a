#ifndef TOLLGATE_LUA_H
#define TOLLGATE_LUA_H

/*
 * The C half of Tollgate's Lua bridge.
 *
 * Everything that can raise a Lua error runs here, under a protected call, so that
 * no longjmp ever crosses a Swift frame. Swift owns a `tg_state` from one thread at
 * a time and talks to Lua only through the functions below.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Documents: the flat, immutable input representation shared with Swift ---- */

/* Node tags. A node is a run of 32-bit words starting with its tag:
 *   NULL, FALSE, TRUE              [tag]
 *   INT, DOUBLE                    [tag, low32, high32]          (two's complement / IEEE bits)
 *   STRING                         [tag, byteOffset, byteLength]
 *   ARRAY                          [tag, count, child...]        (child = word index of a node)
 *   OBJECT                         [tag, count, (keyOffset, keyLength, child)...]
 *   FUNCTION                       [tag]  (only produced when encoding policy metadata)
 */
enum {
    TG_NODE_NULL = 0,
    TG_NODE_FALSE = 1,
    TG_NODE_TRUE = 2,
    TG_NODE_INT = 3,
    TG_NODE_DOUBLE = 4,
    TG_NODE_STRING = 5,
    TG_NODE_ARRAY = 6,
    TG_NODE_OBJECT = 7,
    TG_NODE_FUNCTION = 8,
};

/* A read-only view of a document owned by the caller. */
typedef struct tg_doc {
    const uint32_t *words;
    size_t word_count;
    const char *bytes;
    size_t byte_count;
    uint32_t root;
} tg_doc;

/* A document produced by C (malloc'd); release with tg_owned_doc_free. */
typedef struct tg_owned_doc {
    uint32_t *words;
    size_t word_count;
    size_t word_capacity;
    char *bytes;
    size_t byte_count;
    size_t byte_capacity;
    uint32_t root;
} tg_owned_doc;

void tg_owned_doc_free(tg_owned_doc *doc);

/* ---- States ---- */

typedef struct tg_state tg_state;

/* Limits applied to every protected run (load, evaluation, test). */
typedef struct tg_limits {
    int64_t instruction_budget; /* Lua VM instructions per run */
    size_t memory_limit;        /* bytes the run may allocate beyond what the state held before it */
    size_t max_string;          /* largest string string.rep may build */
    double pattern_budget;      /* estimated backtracking steps a pattern function may take */
    int64_t deadline_nanoseconds; /* wall-clock time a run may take (0: no deadline) */
    size_t max_result_bytes;    /* largest encoded result (decision reasons and details, metadata) */
} tg_limits;

/* Creates a sandboxed state; returns NULL when the prelude fails (message in errbuf). */
tg_state *tg_state_new(const char *prelude, size_t prelude_len, char *errbuf, size_t errlen);
void tg_state_free(tg_state *st);
void tg_state_set_limits(tg_state *st, tg_limits limits);
size_t tg_state_memory(const tg_state *st);

/* How a protected run ended. */
enum {
    TG_RUN_OK = 0,
    TG_RUN_ERROR = 1,       /* the code raised an error */
    TG_RUN_BUDGET = 2,      /* the instruction budget ran out */
    TG_RUN_MEMORY = 3,      /* the memory limit was reached */
    TG_RUN_BAD_RESULT = 4,  /* the code returned something that is not a decision */
    TG_RUN_DEADLINE = 5,    /* the wall-clock deadline passed */
};

/* ---- Policies ---- */

/* Result of loading one policy source into a state. */
typedef struct tg_load_result {
    int status;            /* TG_RUN_* ; TG_RUN_ERROR also for syntax errors */
    char *message;         /* malloc'd on failure, "chunk:line: text" */
    tg_owned_doc metadata; /* the returned policy table; functions encoded as FUNCTION nodes */
} tg_load_result;

/* Compiles `source` (text only) under the sandbox as policy slot `slot`, runs it once and
 * encodes the table it returns. */
void tg_policy_load(tg_state *st, int slot, const char *chunkname, const char *source, size_t len,
                    tg_load_result *out);

/* Outcomes of one evaluation. */
enum {
    TG_OUTCOME_ALLOW = 0,
    TG_OUTCOME_DENY = 1,
    TG_OUTCOME_ERROR = 2,
    TG_OUTCOME_SKIP = 3,
};

typedef struct tg_eval_result {
    int outcome;           /* TG_OUTCOME_* */
    int status;            /* TG_RUN_* (why an ERROR happened) */
    char *message;         /* malloc'd error text or skip reason, or NULL */
    tg_owned_doc payload;  /* {"reasons":[...], "details":...} when word_count > 0 */
    int64_t instructions;  /* VM instructions executed (multiple of the hook period) */
    size_t memory;         /* peak bytes allocated during the run */
} tg_eval_result;

/* Evaluates policy `slot` on `input`: re-runs its chunk (so nothing survives from an earlier
 * evaluation), applies its filter function if any, calls `evaluate(input)` with a read-only view
 * of `input`, and reads the decision back. */
void tg_policy_evaluate(tg_state *st, int slot, const tg_doc *input, tg_eval_result *out);

void tg_load_result_clear(tg_load_result *r);
void tg_eval_result_clear(tg_eval_result *r);

/* ---- Host calls (the test runner's bridge to Swift) ---- */

/* Called from Lua through C. Returns 0 and fills `result`, or non-zero and fills `error`
 * (malloc'd). Never raises: C turns a failure into a Lua error after it returns. */
typedef int (*tg_host_fn)(void *context, int operation, const char *name, const tg_doc *argument,
                          tg_owned_doc *result, char **error);

enum {
    TG_HOST_EVALUATE = 1,       /* name = policy name, argument = {"input":…, "phase":…} */
    TG_HOST_EVALUATE_PHASE = 2, /* name = phase, argument = {"input":…} */
    TG_HOST_FIXTURE = 3,        /* name = path relative to the test file */
};

/* Runs a test file: compiles it under the sandbox with the test API, then calls every
 * registered test. Results are encoded as an array of
 * {"name", "line", "status": "pass"|"fail"|"error", "message", "instructions"}. */
void tg_run_tests(tg_state *st, const char *chunkname, const char *source, size_t len,
                  tg_host_fn host, void *context, tg_eval_result *out);

/* ---- Coverage ---- */

/* Starts or stops recording which lines of policy chunks run. */
void tg_coverage_enable(tg_state *st, int enabled);
/* Lines of policy `slot` that hold code, and those that ran: each an array of line numbers. */
void tg_coverage_report(tg_state *st, int slot, tg_owned_doc *out);

#ifdef __cplusplus
}
#endif

#endif
