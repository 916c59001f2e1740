#include "store/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/xalloc.h"

/* History: one row per stream and pass with every measurable metric packed in a blob (streams
 * and metric names kept once, entries by id), read back as series over the raw points and the
 * rollups (store/rollup.c) of the range asked for, a seek per 5-minute bucket. Version 4 kept one
 * row per (stream, metric, time): ~25 rows and index entries per stream and pass, so a pass dirtied
 * thousands of pages. */

void pack_put(struct buf *b, bool rollup, const struct pack_entry *e)
{
    unsigned char tmp[10 + 1 + 24];
    size_t n = 0;
    uint64_t id = (uint64_t)e->id;
    do {
        tmp[n] = (unsigned char)(id & 0x7f);
        id >>= 7;
        if (id)
            tmp[n] |= 0x80;
        n++;
    } while (id);
    bool spread = rollup && (e->min != e->last || e->max != e->last);
    if (rollup)
        tmp[n++] = spread ? 1 : 0;
    const double v[3] = {e->last, e->min, e->max};
    for (int k = 0; k < (spread ? 3 : 1); k++) {
        uint64_t bits;
        memcpy(&bits, &v[k], sizeof bits);
        for (int i = 0; i < 8; i++)
            tmp[n++] = (unsigned char)(bits >> (8 * i));
    }
    buf_append(b, tmp, n);
}

static int get_double(const unsigned char *p, size_t len, size_t *off, double *out)
{
    if (len - *off < 8)
        return -1;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)p[*off + (size_t)i] << (8 * i);
    memcpy(out, &bits, sizeof *out);
    *off += 8;
    return 0;
}

int pack_next(const unsigned char *p, size_t len, bool rollup, size_t *off, struct pack_entry *e)
{
    if (*off >= len)
        return 0;
    uint64_t id = 0;
    for (int shift = 0;; shift += 7) {
        if (*off >= len || shift > 56)
            return -1;
        unsigned char c = p[(*off)++];
        id |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            break;
    }
    e->id = (int64_t)id;
    int flags = 0;
    if (rollup) {
        if (*off >= len)
            return -1;
        flags = p[(*off)++];
    }
    if (get_double(p, len, off, &e->last) < 0)
        return -1;
    e->min = e->max = e->last;
    if (flags & 1)
        if (get_double(p, len, off, &e->min) < 0 || get_double(p, len, off, &e->max) < 0)
            return -1;
    return 1;
}

/* The key of name in table in db->ids ("table\0name"), its length in *len. Caller frees. */
static char *ids_key(const char *table, const char *name, size_t *len)
{
    size_t t = strlen(table), n = strlen(name);
    char *k = xmalloc(t + 1 + n + 1);
    memcpy(k, table, t + 1);
    memcpy(k + t + 1, name, n + 1);
    *len = t + 1 + n;
    return k;
}

/* The id of name in table as known already, or 0. */
static int64_t ids_get(const struct store *db, const char *table, const char *name)
{
    size_t len;
    char *k = ids_key(table, name, &len);
    int64_t at, id = 0;
    if (hashset_get(&db->ids.index, hash64(k, len), &at) && db->ids.v[at].len == len &&
        memcmp(db->ids.v[at].key, k, len) == 0)
        id = db->ids.v[at].id;
    free(k);
    return id;
}

/* Remember the id of name in table when it is committed: read outside a write transaction (one
 * that inserted it could still roll back). A key whose hash another key holds is not kept. */
static void ids_put(struct store *db, const char *table, const char *name, int64_t id)
{
    if (id <= 0 || sqlite3_txn_state(db->sqlite, NULL) == SQLITE_TXN_WRITE)
        return;
    struct db_ids *ids = &db->ids;
    size_t len;
    char *k = ids_key(table, name, &len);
    uint64_t h = hash64(k, len);
    if (hashset_get(&ids->index, h, NULL)) {
        free(k);
        return;
    }
    xgrow((void **)&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v);
    ids->v[ids->n] = (struct db_id){k, len, id};
    hashset_put(&ids->index, h, (int64_t)ids->n);
    ids->n++;
}

void db_ids_done(struct db_ids *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        free(ids->v[i].key);
    free(ids->v);
    hashset_done(&ids->index);
    memset(ids, 0, sizeof *ids);
}

static int64_t name_id(struct store *db, const char *table, const char *name, struct st_err *err)
{
    int64_t id = ids_get(db, table, name);
    if (id > 0)
        return id;
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
             table);
    if (db_run(db, sql, DB_ARGS(DB_TEXT(name)), "inserting a name", err) < 0)
        return -1;
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE name = ?1", table);
    int found = db_int64(db, sql, DB_ARGS(DB_TEXT(name)), &id, "reading a name id", err);
    if (found == 0)
        return db_err(db, err, "reading a name id");
    if (found > 0)
        ids_put(db, table, name, id);
    return found < 0 ? -1 : id;
}

/* The id of name in table, or 0 when it was never recorded (ids start at 1); -1 on error. */
static int64_t find_id(struct store *db, const char *table, const char *name, struct st_err *err)
{
    int64_t id = ids_get(db, table, name);
    if (id > 0)
        return id;
    char sql[64];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE name = ?1", table);
    int found = db_int64(db, sql, DB_ARGS(DB_TEXT(name)), &id, "reading a name id", err);
    if (found > 0)
        ids_put(db, table, name, id);
    return found < 0 ? -1 : found ? id : 0;
}

int store_record(struct store *db, const struct snapshot *snap, struct st_err *err)
{
    int64_t metric_ids[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++)
        if ((metric_ids[m] = name_id(db, "metrics", metric_defs[m].name, err)) < 0)
            return -1;
    sqlite3_stmt *ins;
    if (db_prepare(db, &ins,
                   "INSERT OR REPLACE INTO points (bucket, stream_id, ts_ms, data) VALUES (?4, ?1, "
                   "?2, ?3)",
                   DB_NO_ARGS, "preparing insert", err) < 0)
        return -1;
    struct buf b;
    buf_init(&b);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < snap->nstreams; i++) {
        const struct snap_stream *s = &snap->streams[i];
        buf_reset(&b);
        for (int m = 0; m < METRIC_COUNT; m++)
            if (!isnan(s->metrics[m]))
                pack_put(&b, false, &(struct pack_entry){metric_ids[m], s->metrics[m], 0, 0});
        if (b.len == 0)
            continue; /* a stream is known once something of it was recorded */
        int64_t sid = name_id(db, "streams", s->name, err);
        if (sid < 0) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(ins, 1, sid);
        sqlite3_bind_int64(ins, 2, snap->generated_ms);
        sqlite3_bind_blob(ins, 3, b.data, (int)b.len, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 4, point_bucket(snap->generated_ms));
        if (sqlite3_step(ins) != SQLITE_DONE)
            rc = db_err(db, err, "inserting a pass");
        sqlite3_reset(ins);
    }
    buf_done(&b);
    db_finish(db, ins);
    return rc;
}

/* Append the points of metric_id (or, with metric_id 0, mark every id seen in seen[0..*nseen))
 * of the rows the prepared query s returns (ts_ms, step_ms, data). */
struct scan {
    int64_t metric_id;
    struct store_point *pts;
    size_t n, cap;
    bool *seen;
    size_t nseen;
};

static int scan_rows(struct store *db, sqlite3_stmt *s, struct scan *sc, struct st_err *err)
{
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t ts = sqlite3_column_int64(s, 0), step = sqlite3_column_int64(s, 1);
        const unsigned char *p = sqlite3_column_blob(s, 2);
        size_t len = (size_t)sqlite3_column_bytes(s, 2), off = 0;
        struct pack_entry e;
        int got;
        while ((got = pack_next(p, len, step > 0, &off, &e)) > 0) {
            if (sc->metric_id == 0) {
                if (e.id > 0 && (size_t)e.id >= sc->nseen) {
                    size_t cap = sc->nseen;
                    xgrow((void **)&sc->seen, &cap, (size_t)e.id + 1, sizeof *sc->seen);
                    memset(sc->seen + sc->nseen, 0, (cap - sc->nseen) * sizeof *sc->seen);
                    sc->nseen = cap;
                }
                if (e.id > 0)
                    sc->seen[e.id] = true;
            } else if (e.id == sc->metric_id) {
                xgrow((void **)&sc->pts, &sc->cap, sc->n + 1, sizeof *sc->pts);
                sc->pts[sc->n++] = (struct store_point){ts, step, e.last, e.min, e.max};
                break;
            }
        }
        if (got < 0)
            return st_err_set(err, ST_EFORMAT, "%s: a history row of %lld is malformed", db->path,
                              (long long)ts);
    }
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading history");
}

/* The first and last key of a tier (bucket numbers for raw points, bucket starts for
 * rollups): 1 with rows, 0 without, -1 on error. */
static int tier_span_read(struct store *db, int64_t step, int64_t *lo, int64_t *hi,
                          struct st_err *err)
{
    const char *sql_lo = step ? "SELECT min(ts_ms) FROM rollups WHERE step_ms = ?1"
                              : "SELECT min(bucket) FROM points WHERE ?1 = 0";
    const char *sql_hi = step ? "SELECT max(ts_ms) FROM rollups WHERE step_ms = ?1"
                              : "SELECT max(bucket) FROM points WHERE ?1 = 0";
    sqlite3_stmt *s;
    int got = 0;
    for (int k = 0; k < 2; k++) {
        if (db_prepare(db, &s, k ? sql_hi : sql_lo, DB_ARGS(DB_INT(step)), "reading history", err) <
            0)
            return -1;
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
            *(k ? hi : lo) = sqlite3_column_int64(s, 0);
            got = 1;
        }
        db_finish(db, s);
        if (rc != SQLITE_ROW)
            return db_err(db, err, "reading history");
    }
    return got;
}

/* Drop db->spans when anything was written since they were read. */
static int spans_check(struct store *db, struct st_err *err)
{
    struct db_spans *sp = &db->spans;
    int64_t changes = sqlite3_total_changes64(db->sqlite), dv = -1;
    if (db_int64(db, "PRAGMA data_version", DB_NO_ARGS, &dv, "reading history", err) < 0)
        return -1;
    if (!sp->valid || sp->changes != changes || sp->data_version != dv) {
        for (int t = 0; t < 3; t++)
            sp->got[t] = -1; /* not read yet */
        sp->changes = changes;
        sp->data_version = dv;
        sp->valid = true;
    }
    return 0;
}

/* tier_span_read from db->spans (tier k of scan_range's steps), once spans_check passed. */
static int tier_span(struct store *db, int k, int64_t step, int64_t *lo, int64_t *hi,
                     struct st_err *err)
{
    struct db_spans *sp = &db->spans;
    if (sp->got[k] < 0) {
        int got = tier_span_read(db, step, &sp->lo[k], &sp->hi[k], err);
        if (got < 0) {
            sp->valid = false;
            return -1;
        }
        sp->got[k] = got;
    }
    *lo = sp->lo[k];
    *hi = sp->hi[k];
    return sp->got[k];
}

/* Scan the raw points and both rollup tiers of stream_id since since_ms, oldest tier first:
 * one seek per bucket of the range, so a short range costs little however long the history. */
static int scan_range(struct store *db, int64_t sid, int64_t since_ms, struct scan *sc,
                      struct st_err *err)
{
    static const int64_t steps[] = {STORE_1H_STEP_MS, STORE_5M_STEP_MS, 0};
    if (spans_check(db, err) < 0)
        return -1;
    for (int k = 0; k < 3; k++) {
        int64_t step = steps[k], lo, hi;
        int any = tier_span(db, k, step, &lo, &hi, err);
        if (any <= 0) {
            if (any < 0)
                return -1;
            continue;
        }
        /* rollup keys are bucket starts (a bucket that began before since_ms is left out);
         * raw keys are bucket numbers, the first one filtered by time */
        int64_t first = step ? floor_to(since_ms + step - 1, step) : point_bucket(since_ms);
        if (first < lo)
            first = lo;
        sqlite3_stmt *s;
        if (db_prepare(db, &s,
                       step ? "SELECT ts_ms, step_ms, data FROM rollups"
                              " WHERE step_ms = ?3 AND ts_ms = ?4 AND stream_id = ?1"
                            : "SELECT ts_ms, 0, data FROM points"
                              " WHERE bucket = ?4 AND stream_id = ?1 AND ts_ms >= ?2 AND ?3 = 0"
                              " ORDER BY ts_ms",
                       DB_ARGS(DB_INT(sid), DB_INT(since_ms), DB_INT(step), DB_INT(first)),
                       "preparing a history query", err) < 0)
            return -1;
        int rc = 0;
        for (int64_t key = first; rc == 0 && key <= hi; key += step ? step : 1) {
            sqlite3_reset(s);
            sqlite3_bind_int64(s, 4, key);
            rc = scan_rows(db, s, sc, err);
        }
        db_finish(db, s);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const struct store_point *x = a, *y = b;
    if (x->ts_ms != y->ts_ms)
        return x->ts_ms < y->ts_ms ? -1 : 1;
    return x->step_ms > y->step_ms ? -1 : x->step_ms < y->step_ms;
}

int store_points(struct store *db, const char *stream, const char *metric, int64_t since_ms,
                 struct store_point **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    int64_t sid = find_id(db, "streams", stream, err), mid;
    if (sid <= 0)
        return (int)sid;
    if ((mid = find_id(db, "metrics", metric, err)) <= 0)
        return (int)mid;
    struct scan sc = {.metric_id = mid};
    if (scan_range(db, sid, since_ms, &sc, err) < 0) {
        free(sc.pts);
        return -1;
    }
    /* the tiers cover disjoint times, oldest tier first; sorting only matters after the clock
     * went back */
    bool sorted = true;
    for (size_t i = 1; i < sc.n && sorted; i++)
        sorted = by_time(&sc.pts[i - 1], &sc.pts[i]) <= 0;
    if (!sorted)
        qsort(sc.pts, sc.n, sizeof *sc.pts, by_time);
    *out = sc.pts;
    *n = sc.n;
    return 0;
}

int store_series(struct store *db, const char *stream, const char *metric, int64_t since_ms,
                 struct sample **out, size_t *n, struct st_err *err)
{
    struct store_point *p;
    *out = NULL;
    *n = 0;
    if (store_points(db, stream, metric, since_ms, &p, n, err) < 0)
        return -1;
    if (*n) {
        *out = xmalloc(*n * sizeof **out);
        for (size_t i = 0; i < *n; i++)
            (*out)[i] = (struct sample){p[i].ts_ms, p[i].last};
    }
    free(p);
    return 0;
}

int store_metric_names(struct store *db, const char *stream, int64_t since_ms, struct strvec *out,
                       bool *known, struct st_err *err)
{
    int64_t sid = find_id(db, "streams", stream, err);
    *known = sid > 0;
    if (sid <= 0)
        return (int)sid;
    struct scan sc = {0};
    if (scan_range(db, sid, since_ms, &sc, err) < 0) {
        free(sc.seen);
        return -1;
    }
    sqlite3_stmt *s;
    if (db_prepare(db, &s, "SELECT id, name FROM metrics", DB_NO_ARGS, "preparing a query", err) <
        0) {
        free(sc.seen);
        return -1;
    }
    struct strvec found;
    strvec_init(&found);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(s, 0);
        if (id > 0 && (size_t)id < sc.nseen && sc.seen[id])
            strvec_push(&found, (const char *)sqlite3_column_text(s, 1));
    }
    db_finish(db, s);
    free(sc.seen);
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

/* Version 4 and before stored +-Inf as +-1e308 */
static double from_v4(double v)
{
    return v >= 1e308 ? INFINITY : v <= -1e308 ? -INFINITY : v;
}

int history_migrate_v5(struct store *db, struct st_err *err)
{
    sqlite3_stmt *rd, *ins;
    /* the primary key (stream, metric, time) orders by metric first: each stream is sorted on
     * its own, a fraction of the table at a time */
    if (db_prepare(db, &rd,
                   "SELECT streams.id, ts_ms, metric_id, value FROM streams"
                   " JOIN samples ON samples.stream_id = streams.id"
                   " ORDER BY streams.id, ts_ms, metric_id",
                   DB_NO_ARGS, "migrating samples", err) < 0)
        return -1;
    if (db_prepare(db, &ins,
                   "INSERT INTO points (bucket, stream_id, ts_ms, data) VALUES (?4, ?1, ?2, ?3)",
                   DB_NO_ARGS, "migrating samples", err) < 0) {
        db_finish(db, rd);
        return -1;
    }
    struct buf b;
    buf_init(&b);
    int64_t sid = -1, ts = 0;
    int rc, ret = 0;
    for (;;) {
        rc = sqlite3_step(rd);
        bool row = rc == SQLITE_ROW;
        int64_t rsid = row ? sqlite3_column_int64(rd, 0) : -1;
        int64_t rts = row ? sqlite3_column_int64(rd, 1) : 0;
        if (b.len && (!row || rsid != sid || rts != ts)) {
            sqlite3_bind_int64(ins, 1, sid);
            sqlite3_bind_int64(ins, 2, ts);
            sqlite3_bind_blob(ins, 3, b.data, (int)b.len, SQLITE_STATIC);
            sqlite3_bind_int64(ins, 4, point_bucket(ts));
            int done = sqlite3_step(ins);
            sqlite3_reset(ins);
            if (done != SQLITE_DONE) {
                ret = db_err(db, err, "migrating samples");
                break;
            }
            buf_reset(&b);
        }
        if (!row)
            break;
        sid = rsid;
        ts = rts;
        pack_put(&b, false,
                 &(struct pack_entry){sqlite3_column_int64(rd, 2),
                                      from_v4(sqlite3_column_double(rd, 3)), 0, 0});
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_err(db, err, "migrating samples");
    buf_done(&b);
    db_finish(db, rd);
    db_finish(db, ins);
    return ret;
}
