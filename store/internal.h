/* store internals, shared by the .c files of store/ only (make lint checks that nothing else
 * includes this): the handle, the error and exec helpers, and the statement helpers. */
#ifndef STREAMTOP_STORE_INTERNAL_H
#define STREAMTOP_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/hashset.h"
#include "store/store.h"

/* A prepared statement kept for the next db_prepare of the same SQL text: a pass over 2,000
 * streams runs each of a few dozen statements thousands of times, and parsing them anew each
 * time was a third of a cron pass. */
struct db_cached {
    char *sql;          /* (owned) the statement's text */
    sqlite3_stmt *stmt; /* (owned) */
    bool busy;          /* handed out and not yet given back with db_finish */
};
#define DB_CACHE_MAX 64

/* The first and last key of each history tier (history.c: tier_span), kept while neither
 * this connection (its total changes) nor another one (PRAGMA data_version) wrote: every
 * stream's series read needs them, and they were six queries a read. */
struct db_spans {
    bool valid;
    int64_t changes, data_version;
    int got[3];
    int64_t lo[3], hi[3];
};

/* The ids of stream and metric names (history.c: find_id, name_id), once read as committed:
 * the tables only ever gain rows, so an id committed stays that name's. */
struct db_id {
    char *key; /* (owned) "table\0name" */
    size_t len;
    int64_t id;
};
struct db_ids {
    struct hashset index; /* hash of a key -> its position in v */
    struct db_id *v;      /* (owned) */
    size_t n, cap;
};

struct store {
    sqlite3 *sqlite; /* (owned) */
    char *path;      /* (owned) as given to store_open */
    struct db_cached cache[DB_CACHE_MAX];
    size_t ncache;
    struct db_spans spans;
    struct db_ids ids;
};

/* Free what ids holds. */
void db_ids_done(struct db_ids *ids);

/* Fill err with what failed, the database's path, SQLite's message and a hint for the common
 * causes (locked, read-only, corrupt). Returns -1. */
int db_err(struct store *db, struct st_err *err, const char *what);
/* Run sql (no parameters). 0, or -1 with err naming the statement. */
int db_exec(struct store *db, const char *sql, struct st_err *err);

/* A statement parameter, bound in order to ?1, ?2, ... Text and blobs are borrowed until the
 * statement is finalized (SQLITE_STATIC); a NULL text binds SQL NULL, as sqlite3_bind_text does. */
struct db_arg {
    enum db_arg_type { DB_ARG_TEXT, DB_ARG_BLOB, DB_ARG_INT } type;
    const void *p; /* the text or blob */
    int64_t i;     /* the integer, or the blob's length */
};
#define DB_TEXT(s)      ((struct db_arg){DB_ARG_TEXT, (s), 0})
#define DB_BLOB(b, len) ((struct db_arg){DB_ARG_BLOB, (b), (int64_t)(len)})
#define DB_INT(v)       ((struct db_arg){DB_ARG_INT, NULL, (int64_t)(v)})
/* The parameters of the helpers below, as array and count: DB_ARGS(DB_TEXT(a), DB_INT(b)). */
#define DB_ARGS(...)                                                                               \
    (const struct db_arg[]){__VA_ARGS__},                                                          \
        (int)(sizeof((const struct db_arg[]){__VA_ARGS__}) / sizeof(struct db_arg))
#define DB_NO_ARGS NULL, 0

/* Prepare sql into *s and bind args[0..n). 0, or -1 with err naming what (*s is then NULL).
 * The caller steps *s and gives it back with db_finish (never sqlite3_finalize): the statement
 * is kept prepared for the next call with the same text (one at a time; a second caller while
 * the first holds it gets a statement of its own). */
int db_prepare(struct store *db, sqlite3_stmt **s, const char *sql, const struct db_arg *args,
               int n, const char *what, struct st_err *err);
/* Give back a statement from db_prepare: reset, its bindings cleared (they are borrowed), kept
 * for reuse; or finalized when it was not a kept one. NULL is ignored. */
void db_finish(struct store *db, sqlite3_stmt *s);
/* Prepare, bind and run a statement that returns no rows, to the end. 0, or -1 with err naming
 * what. */
int db_run(struct store *db, const char *sql, const struct db_arg *args, int n, const char *what,
           struct st_err *err);
/* The first column of the first row of a query, as an integer, into *out: 1 with a row, 0
 * without one (*out untouched), -1 with err naming what. */
int db_int64(struct store *db, const char *sql, const struct db_arg *args, int n, int64_t *out,
             const char *what, struct st_err *err);

/* ---- packed history rows (history.c) ---------------------------------------------------- */

/* A row's blob is a sequence of entries: the metric's id (metrics.id) as an unsigned LEB128
 * varint, then for a raw row the value as 8 bytes of IEEE-754 little-endian; for a rollup a
 * flags byte and the last value, then (flags 1) the minimum and the maximum. */
struct pack_entry {
    int64_t id;
    double last, min, max;
};
/* Append an entry to b; a rollup's min and max are left out when both equal last. */
void pack_put(struct buf *b, bool rollup, const struct pack_entry *e);
/* Read the entry at *off of p[0..len) into e and move *off past it: 1, or 0 at the end, or -1
 * when the blob is malformed. */
int pack_next(const unsigned char *p, size_t len, bool rollup, size_t *off, struct pack_entry *e);
/* ms rounded down to a multiple of step (also before 1970). */
static inline int64_t floor_to(int64_t ms, int64_t step)
{
    int64_t q = ms / step;
    if (ms % step && ms < 0)
        q--;
    return q * step;
}
/* The bucket of a raw point: its 5-minute bucket's number. */
static inline int64_t point_bucket(int64_t ts_ms)
{
    return floor_to(ts_ms, STORE_5M_STEP_MS) / STORE_5M_STEP_MS;
}
/* Version 5's step: the samples of older versions into packed rows, in place. */
int history_migrate_v5(struct store *db, struct st_err *err);

#endif
