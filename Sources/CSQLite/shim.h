#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro Swift cannot import: bind copies through these. */
static inline int tg_sqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

static inline int tg_sqlite_bind_blob(sqlite3_stmt *statement, int index, const void *bytes, int length) {
    return sqlite3_bind_blob(statement, index, bytes, length, SQLITE_TRANSIENT);
}

/* sqlite3_config is variadic. Without memory statistics, SQLite's allocator takes no global mutex
   on every allocation; it must be set before the library initializes (the first open). */
static inline int tg_sqlite_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
