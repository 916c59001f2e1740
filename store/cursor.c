#include "store/internal.h"

#include <stdlib.h>

#include "core/clock.h"
#include "core/xalloc.h"

/* Collector cursors: one opaque blob per (stream, collector), written and read in chunks
 * through SQLite's incremental blob I/O. */

int store_cursor_write(struct store *db, const char *stream, const char *collector, size_t total,
                       store_fill_fn fill, void *ctx, struct st_err *err)
{
    if (db_run(db,
               "INSERT OR REPLACE INTO cursors (stream, collector, updated_ms, data)"
               " VALUES (?1, ?2, ?4, zeroblob(?3))",
               DB_ARGS(DB_TEXT(stream), DB_TEXT(collector), DB_INT(total), DB_INT(clock_now_ms())),
               "writing a cursor", err) < 0)
        return -1;
    sqlite3_blob *blob;
    if (sqlite3_blob_open(db->sqlite, "main", "cursors", "data",
                          sqlite3_last_insert_rowid(db->sqlite), 1, &blob) != SQLITE_OK)
        return db_err(db, err, "opening a cursor");
    unsigned char *chunk = xmalloc(STORE_CHUNK);
    int ret = 0;
    for (size_t off = 0; off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        fill(ctx, off, chunk, len);
        if (sqlite3_blob_write(blob, chunk, (int)len, (int)off) != SQLITE_OK) {
            ret = db_err(db, err, "writing a cursor");
            break;
        }
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return ret;
}

/* Column col of s's row, a cursor, to take in chunks of STORE_CHUNK until take stops. */
static void hand_over(sqlite3_stmt *s, int col, store_take_fn take, void *ctx)
{
    const unsigned char *p = sqlite3_column_blob(s, col);
    size_t total = (size_t)sqlite3_column_bytes(s, col);
    for (size_t off = 0; p && off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        if (take(ctx, p + off, len, total) < 0)
            break;
    }
}

int store_cursor_read(struct store *db, const char *stream, const char *collector,
                      store_take_fn take, void *ctx, struct st_err *err)
{
    /* one statement, so another process replacing the cursor meanwhile is no matter, and
     * prepared once (db_prepare keeps it): it hands the blob over in place, where opening it
     * with sqlite3_blob_open built a small program per cursor, 5 cursors a stream a pass */
    sqlite3_stmt *s;
    if (db_prepare(db, &s, "SELECT data FROM cursors WHERE stream = ?1 AND collector = ?2",
                   DB_ARGS(DB_TEXT(stream), DB_TEXT(collector)), "reading a cursor", err) < 0)
        return -1;
    int rc = sqlite3_step(s), ret = 0;
    if (rc == SQLITE_ROW) {
        hand_over(s, 0, take, ctx);
    } else if (rc == SQLITE_DONE) {
        ret = st_err_set(err, ST_ENOENT, "no cursor");
    } else {
        ret = db_err(db, err, "reading a cursor");
    }
    db_finish(db, s);
    return ret;
}

int store_cursor_read_all(struct store *db, store_pick_fn pick, void *ctx, struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s, "SELECT stream, collector, data FROM cursors", DB_NO_ARGS,
                   "reading the cursors", err) < 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *stream = (const char *)sqlite3_column_text(s, 0);
        const char *collector = (const char *)sqlite3_column_text(s, 1);
        store_take_fn take = NULL;
        void *tctx = NULL;
        if (stream && collector)
            pick(ctx, stream, collector, &take, &tctx);
        if (take)
            hand_over(s, 2, take, tctx);
    }
    int ret = rc == SQLITE_DONE ? 0 : db_err(db, err, "reading the cursors");
    db_finish(db, s);
    return ret;
}
