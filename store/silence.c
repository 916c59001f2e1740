#include "store/internal.h"

#include <stdlib.h>

#include "core/xalloc.h"

/* Silences: a match ("stream-glob" or "stream-glob/rule-glob") until an end time. */

int store_silence_add(struct store *db, const char *match, const char *comment, int64_t now_ms,
                      int64_t ends_ms, int64_t *id, struct st_err *err)
{
    if (db_run(db,
               "INSERT INTO silences (match, comment, created_ms, ends_ms)"
               " VALUES (?1, ?2, ?3, ?4)",
               DB_ARGS(DB_TEXT(match), DB_TEXT(comment), DB_INT(now_ms), DB_INT(ends_ms)),
               "adding a silence", err) < 0)
        return -1;
    *id = sqlite3_last_insert_rowid(db->sqlite);
    return 0;
}

void store_silences_free(struct silence *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].match);
        free(v[i].comment);
    }
    free(v);
}

int store_silences(struct store *db, int64_t active_at_ms, struct silence **out, size_t *n,
                   struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT id, match, comment, created_ms, ends_ms FROM silences"
                   " WHERE ends_ms > ?1 ORDER BY id",
                   DB_ARGS(DB_INT(active_at_ms)), "reading silences", err) < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct silence *v = &(*out)[(*n)++];
        v->id = sqlite3_column_int64(s, 0);
        v->match = xstrdup((const char *)sqlite3_column_text(s, 1));
        v->comment = xstrdup((const char *)sqlite3_column_text(s, 2));
        v->created_ms = sqlite3_column_int64(s, 3);
        v->ends_ms = sqlite3_column_int64(s, 4);
    }
    db_finish(db, s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading silences");
}

int store_silence_expire(struct store *db, int64_t id, int64_t now_ms, struct st_err *err)
{
    if (db_run(db, "UPDATE silences SET ends_ms = ?2 WHERE id = ?1 AND ends_ms > ?2",
               DB_ARGS(DB_INT(id), DB_INT(now_ms)), "expiring a silence", err) < 0)
        return -1;
    if (sqlite3_changes(db->sqlite) == 0)
        return st_err_set(err, ST_ENOENT, "no active silence %lld", (long long)id);
    return 0;
}
