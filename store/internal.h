/* store internals, shared by the .c files of store/ only (nothing outside store/ includes this):
 * the handle, and the error and exec helpers every file of the store uses. */
#ifndef STREAMTOP_STORE_INTERNAL_H
#define STREAMTOP_STORE_INTERNAL_H

#include <sqlite3.h>

#include "store/store.h"

struct store {
    sqlite3 *sqlite; /* (owned) */
    char *path;      /* (owned) as given to store_open */
};

/* Fill err with what failed, the database's path, SQLite's message and a hint for the common
 * causes (locked, read-only, corrupt). Returns -1. */
int db_err(struct store *db, struct st_err *err, const char *what);
/* Run sql (no parameters). 0, or -1 with err naming the statement. */
int db_exec(struct store *db, const char *sql, struct st_err *err);

#endif
