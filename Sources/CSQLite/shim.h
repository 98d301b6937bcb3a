#ifndef ENSEMBLE_CSQLITE_SHIM_H
#define ENSEMBLE_CSQLITE_SHIM_H

// SQLite (libsqlite3-dev). Swift cannot import SQLITE_TRANSIENT, so text binds go through this helper:
// SQLite copies the bytes before it returns.
#include <sqlite3.h>

static inline int ensemble_sqlite3_bind_text(sqlite3_stmt *statement, int index, const char *text, int length) {
    return sqlite3_bind_text(statement, index, text, length, SQLITE_TRANSIENT);
}

#endif
