#include "store/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashset.h"
#include "core/xalloc.h"

/* Alert states and the notification outbox: states and queued rows are written in one
 * transaction by the caller; delivery claims rows under a lease and settles them. */

/* ---- alert states ------------------------------------------------------------------------ */

int store_alerts_load(struct store *db, struct store_alert **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT rule, stream, phase, level, since_ms, notified_ms,"
                   " unmeasured_ms, value, held FROM alerts",
                   DB_NO_ARGS, "reading alert states", err) < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct store_alert *a = &(*out)[(*n)++];
        a->rule = xstrdup((const char *)sqlite3_column_text(s, 0));
        a->stream = xstrdup((const char *)sqlite3_column_text(s, 1));
        a->phase = sqlite3_column_int(s, 2);
        a->level = (enum health)sqlite3_column_int(s, 3);
        a->since_ms = sqlite3_column_int64(s, 4);
        a->notified_ms = sqlite3_column_int64(s, 5);
        a->unmeasured_ms = sqlite3_column_int64(s, 6);
        a->value = sqlite3_column_type(s, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 7);
        a->held = sqlite3_column_int(s, 8) != 0;
    }
    db_finish(db, s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "reading alert states");
    return 0;
}

void store_alerts_free(struct store_alert *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].rule);
        free(v[i].stream);
    }
    free(v);
}

/* A state as it is stored: a value that is not finite is NULL, read back as NaN. */
static bool alert_same(const struct store_alert *a, const struct store_alert *b)
{
    double x = isfinite(a->value) ? a->value : NAN, y = isfinite(b->value) ? b->value : NAN;
    return a->phase == b->phase && a->level == b->level && a->since_ms == b->since_ms &&
           a->notified_ms == b->notified_ms && a->unmeasured_ms == b->unmeasured_ms &&
           a->held == b->held && (x == y || (isnan(x) && isnan(y)));
}

static bool stored_is(const void *ctx, size_t i, const char *rule, const char *stream)
{
    const struct store_alert *a = (const struct store_alert *)ctx + i;
    return strcmp(a->rule, rule) == 0 && strcmp(a->stream, stream) == 0;
}

int store_alerts_save(struct store *db, const struct store_alert *prev, size_t nprev,
                      const struct store_alert *a, size_t n, struct st_err *err)
{
    /* each state's stored row, by (rule, stream) */
    struct pair_index at;
    pair_index_init(&at);
    for (size_t i = 0; i < nprev; i++)
        pair_index_put(&at, prev[i].rule, prev[i].stream, i);
    bool *kept = xcalloc(nprev + 1, sizeof *kept), *same = xcalloc(n + 1, sizeof *same);
    for (size_t i = 0; i < n; i++) {
        ptrdiff_t j = pair_index_find(&at, nprev, stored_is, prev, a[i].rule, a[i].stream);
        if (j >= 0) {
            kept[j] = true;
            same[i] = alert_same(&prev[j], &a[i]);
        }
    }
    pair_index_done(&at);
    int ret = 0;
    /* the rows gone first: a row written below is never deleted after */
    for (size_t i = 0; i < nprev && ret == 0; i++)
        if (!kept[i])
            ret = db_run(db, "DELETE FROM alerts WHERE rule = ?1 AND stream = ?2",
                         DB_ARGS(DB_TEXT(prev[i].rule), DB_TEXT(prev[i].stream)),
                         "writing alert states", err);
    sqlite3_stmt *s = NULL;
    if (ret == 0 &&
        db_prepare(db, &s,
                   "INSERT OR REPLACE INTO alerts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                   DB_NO_ARGS, "writing alert states", err) < 0)
        ret = -1;
    for (size_t i = 0; i < n && ret == 0; i++) {
        if (same[i]) /* as stored: most states from one pass to the next */
            continue;
        sqlite3_bind_text(s, 1, a[i].rule, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, a[i].stream, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, a[i].phase);
        sqlite3_bind_int(s, 4, (int)a[i].level);
        sqlite3_bind_int64(s, 5, a[i].since_ms);
        sqlite3_bind_int64(s, 6, a[i].notified_ms);
        sqlite3_bind_int64(s, 7, a[i].unmeasured_ms);
        if (isnan(a[i].value) || isinf(a[i].value))
            sqlite3_bind_null(s, 8);
        else
            sqlite3_bind_double(s, 8, a[i].value);
        sqlite3_bind_int(s, 9, a[i].held);
        if (sqlite3_step(s) != SQLITE_DONE)
            ret = db_err(db, err, "writing alert states");
        sqlite3_reset(s);
    }
    if (s)
        db_finish(db, s);
    free(kept);
    free(same);
    return ret;
}

/* ---- outbox ------------------------------------------------------------------------------ */

int store_outbox_add(struct store *db, const char *webhook, const char *what, const char *stream,
                     const char *rule, const char *nid, const char *body, size_t len,
                     int64_t now_ms, struct st_err *err)
{
    /* one alert's notifications go out in order: a newer event supersedes what of it is still
     * undelivered and not in flight (a resolve after an undelivered firing sends the resolve) */
    if (stream && *stream &&
        db_run(
            db,
            "UPDATE outbox SET done_ms = ?4, error = 'superseded by a newer notification'"
            " WHERE webhook = ?1 AND stream = ?2 AND rule = ?3 AND done_ms IS NULL"
            " AND lease_ms <= ?4",
            DB_ARGS(DB_TEXT(webhook), DB_TEXT(stream), DB_TEXT(rule ? rule : ""), DB_INT(now_ms)),
            "superseding a notification", err) < 0)
        return -1;
    return db_run(db,
                  "INSERT INTO outbox (webhook, created_ms, what, body, next_ms, stream,"
                  " rule, nid) VALUES (?1, ?2, ?3, ?4, ?2, ?5, ?6, ?7)",
                  DB_ARGS(DB_TEXT(webhook), DB_INT(now_ms), DB_TEXT(what), DB_BLOB(body, len),
                          DB_TEXT(stream ? stream : ""), DB_TEXT(rule ? rule : ""),
                          DB_TEXT(nid ? nid : "")),
                  "queueing a notification", err);
}

int store_outbox_supersede(struct store *db, const char *webhook, const char *what, int64_t now_ms,
                           struct st_err *err)
{
    return db_run(db,
                  "DELETE FROM outbox WHERE webhook = ?1 AND what = ?2 AND done_ms IS NULL"
                  " AND lease_ms <= ?3",
                  DB_ARGS(DB_TEXT(webhook), DB_TEXT(what), DB_INT(now_ms)),
                  "replacing a notification", err);
}

void store_outbox_rows_free(struct outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].webhook);
        free(rows[i].what);
        free(rows[i].nid);
        free(rows[i].body);
    }
    free(rows);
}

/* Undo the caller's transaction after a failure, keeping SQLite's message (a rollback would
 * reset it to "not an error"). */
static int fail_rollback(struct store *db, const char *what, struct st_err *err)
{
    db_err(db, err, what);
    store_rollback(db);
    return -1;
}

int store_outbox_claim(struct store *db, int64_t now_ms, int64_t lease_ms, size_t max,
                       int64_t after, struct outbox_row **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    if (store_begin(db, err) < 0)
        return -1;
    /* one alert's rows to one webhook, and one webhook's Alertmanager re-posts, leave oldest
     * first: a row waits while an older one of its kind is undelivered. The table is walked in
     * id order from after (NOT INDEXED: rowid order, stopping at max rows), not searched
     * through outbox_due and sorted whole: that made every round of 64 cost all the due rows,
     * quadratic in a pass that queues thousands of notifications. */
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT id, webhook, what, body, attempts, created_ms, nid FROM outbox"
                           " NOT INDEXED WHERE id > ?3"
                           " AND done_ms IS NULL AND next_ms <= ?1 AND lease_ms <= ?1"
                           " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.stream = outbox.stream"
                           " AND o.rule = outbox.rule AND o.webhook = outbox.webhook"
                           " AND (o.stream != '' OR o.what = 'refresh')"
                           " AND (outbox.stream != '' OR outbox.what = 'refresh')"
                           " AND o.done_ms IS NULL AND o.id < outbox.id)"
                           " ORDER BY id LIMIT ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return fail_rollback(db, "reading the outbox", err);
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    sqlite3_bind_int64(s, 3, after);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct outbox_row *r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(s, 0);
        r->webhook = xstrdup((const char *)sqlite3_column_text(s, 1));
        r->what = xstrdup((const char *)sqlite3_column_text(s, 2));
        r->len = (size_t)sqlite3_column_bytes(s, 3);
        r->body = xmalloc(r->len + 1);
        if (r->len)
            memcpy(r->body, sqlite3_column_blob(s, 3), r->len);
        r->body[r->len] = '\0';
        r->attempts = sqlite3_column_int(s, 4);
        r->created_ms = sqlite3_column_int64(s, 5);
        r->nid = xstrdup((const char *)sqlite3_column_text(s, 6));
        r->lease_until_ms = now_ms + lease_ms;
    }
    sqlite3_finalize(s);
    /* leased: another process skips them until the lease ends */
    if (rc != SQLITE_DONE ||
        sqlite3_prepare_v2(db->sqlite, "UPDATE outbox SET lease_ms = ?1 WHERE id = ?2", -1, &s,
                           NULL) != SQLITE_OK) {
        store_outbox_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return fail_rollback(db, "leasing notifications", err);
    }
    for (size_t i = 0; i < *n && rc == SQLITE_DONE; i++) {
        sqlite3_bind_int64(s, 1, now_ms + lease_ms);
        sqlite3_bind_int64(s, 2, (*out)[i].id);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE || store_commit(db, err) < 0) {
        store_outbox_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return rc != SQLITE_DONE ? fail_rollback(db, "leasing notifications", err) : -1;
    }
    return 0;
}

int store_outbox_settle(struct store *db, const struct outbox_result *res, size_t n,
                        struct st_err *err)
{
    if (store_begin(db, err) < 0)
        return -1;
    sqlite3_stmt *s, *rel;
    if (sqlite3_prepare_v2(db->sqlite,
                           "UPDATE outbox SET attempts = attempts + 1, status = ?2, error = ?3,"
                           " done_ms = ?4, next_ms = ?5, lease_ms = 0 WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return fail_rollback(db, "settling notifications", err);
    if (sqlite3_prepare_v2(db->sqlite, "UPDATE outbox SET lease_ms = 0 WHERE id = ?1", -1, &rel,
                           NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        sqlite3_finalize(rel);
        return fail_rollback(db, "settling notifications", err);
    }
    int rc = SQLITE_DONE;
    for (size_t i = 0; i < n && rc == SQLITE_DONE; i++) {
        if (res[i].released) {
            sqlite3_bind_int64(rel, 1, res[i].id);
            rc = sqlite3_step(rel);
            sqlite3_reset(rel);
            continue;
        }
        sqlite3_bind_int64(s, 1, res[i].id);
        sqlite3_bind_int64(s, 2, res[i].status);
        if (res[i].error)
            sqlite3_bind_text(s, 3, res[i].error, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 3);
        if (res[i].done_ms >= 0)
            sqlite3_bind_int64(s, 4, res[i].done_ms);
        else
            sqlite3_bind_null(s, 4);
        sqlite3_bind_int64(s, 5, res[i].next_ms);
        rc = sqlite3_step(s);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    sqlite3_finalize(rel);
    if (rc != SQLITE_DONE)
        return fail_rollback(db, "settling notifications", err);
    return store_commit(db, err);
}

int store_outbox_prune(struct store *db, struct st_err *err)
{
    /* delivered or dropped rows are kept a week (the dashboard lists them), counted from the
     * newest row rather than the clock, which may have moved */
    if (store_begin(db, err) < 0)
        return -1;
    if (db_exec(db,
                "DELETE FROM outbox WHERE done_ms IS NOT NULL AND done_ms < "
                "(SELECT MAX(created_ms) FROM outbox) - 604800000",
                err) < 0) {
        store_rollback(db);
        return -1;
    }
    return store_commit(db, err);
}

int store_outbox_webhooks(struct store *db, const char *stream, const char *rule, int64_t since_ms,
                          struct strvec *out, struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT DISTINCT webhook FROM outbox WHERE stream = ?1 AND rule = ?2"
                   " AND created_ms >= ?3 AND what != 'refresh' ORDER BY webhook",
                   DB_ARGS(DB_TEXT(stream), DB_TEXT(rule), DB_INT(since_ms)), "reading the outbox",
                   err) < 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        strvec_push(out, (const char *)sqlite3_column_text(s, 0));
    db_finish(db, s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading the outbox");
}

int store_outbox_count(struct store *db, size_t *pending, struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s, "SELECT COUNT(*) FROM outbox WHERE done_ms IS NULL", DB_NO_ARGS,
                   "reading the outbox", err) < 0)
        return -1;
    int rc = sqlite3_step(s);
    *pending = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(s, 0) : 0;
    db_finish(db, s);
    return rc == SQLITE_ROW ? 0 : db_err(db, err, "reading the outbox");
}

/* ---- notifications, as listed ------------------------------------------------------------ */

int store_notifications(struct store *db, const char *stream, size_t max, struct notification **out,
                        size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT stream, rule, webhook, what, created_ms, done_ms, status,"
                   " error, attempts FROM outbox WHERE stream != ''"
                   " AND (?1 IS NULL OR stream = ?1) ORDER BY id DESC LIMIT ?2",
                   DB_ARGS(DB_TEXT(stream), DB_INT(max)), "reading notifications", err) < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct notification *v = &(*out)[(*n)++];
        v->stream = xstrdup((const char *)sqlite3_column_text(s, 0));
        v->rule = xstrdup((const char *)sqlite3_column_text(s, 1));
        v->webhook = xstrdup((const char *)sqlite3_column_text(s, 2));
        v->what = xstrdup((const char *)sqlite3_column_text(s, 3));
        v->created_ms = sqlite3_column_int64(s, 4);
        v->done_ms = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5);
        v->status = sqlite3_column_int(s, 6);
        const unsigned char *e = sqlite3_column_text(s, 7);
        v->error = e ? xstrdup((const char *)e) : NULL;
        v->attempts = sqlite3_column_int(s, 8);
    }
    db_finish(db, s);
    if (rc == SQLITE_DONE)
        return 0;
    notifications_free(*out, *n);
    *out = NULL;
    *n = 0;
    return db_err(db, err, "reading notifications");
}
