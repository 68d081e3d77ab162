#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: binding text or a blob with it
// makes SQLite copy the bytes, so the Swift buffer may go away at once.
static inline int csqlite_bind_text(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}
