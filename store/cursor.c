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

static int cursor_read_in_txn(struct store *db, const char *stream, const char *collector,
                              store_take_fn take, void *ctx, struct st_err *err);

int store_cursor_read(struct store *db, const char *stream, const char *collector,
                      store_take_fn take, void *ctx, struct st_err *err)
{
    /* One read transaction around finding the row and reading its blob: another process may
     * replace the cursor (a new rowid) in between otherwise. */
    bool own = sqlite3_get_autocommit(db->sqlite) != 0;
    if (own && db_exec(db, "BEGIN", err) < 0)
        return -1;
    int ret = cursor_read_in_txn(db, stream, collector, take, ctx, err);
    if (own)
        sqlite3_exec(db->sqlite, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int cursor_read_in_txn(struct store *db, const char *stream, const char *collector,
                              store_take_fn take, void *ctx, struct st_err *err)
{
    int64_t rowid;
    int found =
        db_int64(db, "SELECT rowid FROM cursors WHERE stream = ?1 AND collector = ?2",
                 DB_ARGS(DB_TEXT(stream), DB_TEXT(collector)), &rowid, "reading a cursor", err);
    if (found <= 0)
        return found == 0 ? st_err_set(err, ST_ENOENT, "no cursor") : -1;
    sqlite3_blob *blob;
    if (sqlite3_blob_open(db->sqlite, "main", "cursors", "data", rowid, 0, &blob) != SQLITE_OK)
        return db_err(db, err, "opening a cursor");
    size_t total = (size_t)sqlite3_blob_bytes(blob);
    unsigned char *chunk = xmalloc(STORE_CHUNK);
    int ret = 0;
    for (size_t off = 0; off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        if (sqlite3_blob_read(blob, chunk, (int)len, (int)off) != SQLITE_OK) {
            ret = db_err(db, err, "reading a cursor");
            break;
        }
        if (take(ctx, chunk, len, total) < 0)
            break;
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return ret;
}
