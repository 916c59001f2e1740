#include "store/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/metrics.h"
#include "core/xalloc.h"

/* History: every measurable metric of every stream per pass (streams and metric names kept
 * once, samples by id), read back as series, pruned by retention at most once an hour. */

#define PRUNE_EVERY_MS (3600 * 1000LL)

static int64_t name_id(struct store *db, const char *table, const char *name, struct st_err *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
             table);
    if (db_run(db, sql, DB_ARGS(DB_TEXT(name)), "inserting a name", err) < 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE name = ?1", table);
    int64_t id;
    int found = db_int64(db, sql, DB_ARGS(DB_TEXT(name)), &id, "reading a name id", err);
    if (found == 0)
        return db_err(db, err, "reading a name id");
    return found < 0 ? -1 : id;
}

static int prune(struct store *db, int64_t now_ms, int64_t retention_ms, struct st_err *err)
{
    sqlite3_stmt *s;
    int64_t last = 0;
    if (db_prepare(db, &s, "SELECT value FROM meta WHERE key = 'pruned_ms'", DB_NO_ARGS,
                   "reading meta", err) < 0)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) /* unreadable counts as never pruned */
        last = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (now_ms - last < PRUNE_EVERY_MS && last <= now_ms)
        return 0;
    if (db_run(db, "DELETE FROM samples WHERE ts_ms < ?1", DB_ARGS(DB_INT(now_ms - retention_ms)),
               "pruning", err) < 0)
        return -1;
    return db_run(db,
                  "INSERT INTO meta (key, value) VALUES ('pruned_ms', ?1) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                  DB_ARGS(DB_INT(now_ms)), "writing meta", err);
}

int store_record(struct store *db, const struct snapshot *snap, int64_t retention_ms,
                 struct st_err *err)
{
    int64_t metric_ids[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++)
        if ((metric_ids[m] = name_id(db, "metrics", metric_defs[m].name, err)) < 0)
            return -1;
    sqlite3_stmt *ins;
    if (db_prepare(db, &ins,
                   "INSERT OR REPLACE INTO samples (stream_id, metric_id, ts_ms, value) "
                   "VALUES (?1, ?2, ?3, ?4)",
                   DB_NO_ARGS, "preparing insert", err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < snap->nstreams; i++) {
        const struct snap_stream *s = &snap->streams[i];
        int64_t sid = name_id(db, "streams", s->name, err);
        if (sid < 0) {
            rc = -1;
            break;
        }
        for (int m = 0; m < METRIC_COUNT; m++) {
            double v = s->metrics[m];
            if (isnan(v))
                continue;
            sqlite3_bind_int64(ins, 1, sid);
            sqlite3_bind_int64(ins, 2, metric_ids[m]);
            sqlite3_bind_int64(ins, 3, snap->generated_ms);
            sqlite3_bind_double(ins, 4, isinf(v) ? (v > 0 ? 1e308 : -1e308) : v);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                rc = db_err(db, err, "inserting a sample");
                break;
            }
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(ins);
    if (rc == 0 && retention_ms > 0)
        rc = prune(db, snap->generated_ms, retention_ms, err);
    return rc;
}

int store_series(struct store *db, const char *stream, const char *metric, int64_t since_ms,
                 struct sample **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT ts_ms, value FROM samples"
                   " JOIN streams ON streams.id = samples.stream_id"
                   " JOIN metrics ON metrics.id = samples.metric_id"
                   " WHERE streams.name = ?1 AND metrics.name = ?2 AND ts_ms >= ?3"
                   " ORDER BY ts_ms",
                   DB_ARGS(DB_TEXT(stream), DB_TEXT(metric), DB_INT(since_ms)), "preparing a query",
                   err) < 0)
        return -1;
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        double v = sqlite3_column_double(s, 1);
        (*out)[(*n)++] = (struct sample){sqlite3_column_int64(s, 0), v >= 1e308    ? INFINITY
                                                                     : v <= -1e308 ? -INFINITY
                                                                                   : v};
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading samples");
}

int store_metric_names(struct store *db, const char *stream, struct strvec *out, struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT DISTINCT metrics.name FROM samples"
                   " JOIN streams ON streams.id = samples.stream_id"
                   " JOIN metrics ON metrics.id = samples.metric_id"
                   " WHERE streams.name = ?1",
                   DB_ARGS(DB_TEXT(stream)), "preparing a query", err) < 0)
        return -1;
    struct strvec found;
    strvec_init(&found);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        strvec_push(&found, (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    /* registry order first, then names this version does not know */
    for (int m = 0; m < METRIC_COUNT; m++)
        for (size_t i = 0; i < found.n; i++)
            if (strcmp(found.v[i], metric_defs[m].name) == 0)
                strvec_push(out, found.v[i]);
    for (size_t i = 0; i < found.n; i++)
        if (metric_find(found.v[i]) < 0)
            strvec_push(out, found.v[i]);
    strvec_done(&found);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading metric names");
}
