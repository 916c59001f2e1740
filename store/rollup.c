#include "store/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/xalloc.h"

/* Rollups and pruning, after the pass and never inside it: raw points older than a day become
 * 5-minute min/max/last rows, those older than three days hourly ones, and everything older than
 * the retention goes, a bucket of every stream at a time (the tables are ordered by time first).
 * The work is cut into batches of at most BATCH_ROWS rows or TX_MS of work, each its own BEGIN
 * IMMEDIATE transaction, with a pause of PAUSE_MS between them: SQLite's busy handler retries a
 * waiting writer at most 100 ms apart, so a `check` or a dashboard waiting for the lock gets it in
 * the next pause instead of timing out behind a long prune. */

#define BATCH_ROWS 20000
#define TX_MS      100
#define PAUSE_MS   110

struct agg {
    bool has;
    double min, max, last;
};

struct bucket {
    int64_t ts_ms; /* its start */
    struct agg *a; /* by metric id */
    size_t cap;
    bool any;
};

static void bucket_add(struct bucket *b, const struct pack_entry *e)
{
    if (e->id <= 0)
        return;
    size_t id = (size_t)e->id;
    if (id >= b->cap) {
        size_t old = b->cap;
        xgrow((void **)&b->a, &b->cap, id + 1, sizeof *b->a);
        memset(b->a + old, 0, (b->cap - old) * sizeof *b->a);
    }
    struct agg *g = &b->a[id];
    if (!g->has) {
        *g = (struct agg){true, e->min, e->max, e->last};
    } else {
        g->min = e->min < g->min ? e->min : g->min;
        g->max = e->max > g->max ? e->max : g->max;
        g->last = e->last; /* rows come oldest first */
    }
    b->any = true;
}

static int add_blob(struct bucket *b, const unsigned char *p, size_t len, bool rollup)
{
    size_t off = 0;
    struct pack_entry e;
    int got;
    while ((got = pack_next(p, len, rollup, &off, &e)) > 0)
        bucket_add(b, &e);
    return got;
}

/* Write bucket b of stream sid at step_ms, merged under a row already there (a bucket split
 * over two batches, or points recorded after the clock went back). */
static int bucket_flush(struct store *db, int64_t sid, int64_t step_ms, struct bucket *b,
                        struct st_err *err)
{
    if (!b->any)
        return 0;
    sqlite3_stmt *s;
    if (db_prepare(
            db, &s, "SELECT data FROM rollups WHERE stream_id = ?1 AND step_ms = ?2 AND ts_ms = ?3",
            DB_ARGS(DB_INT(sid), DB_INT(step_ms), DB_INT(b->ts_ms)), "reading a rollup", err) < 0)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        /* the row there is older than the points being added: they come on top of it */
        struct bucket old = {.ts_ms = b->ts_ms};
        add_blob(&old, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), true);
        for (size_t id = 0; id < b->cap; id++)
            if (b->a[id].has)
                bucket_add(&old, &(struct pack_entry){(int64_t)id, b->a[id].last, b->a[id].min,
                                                      b->a[id].max});
        free(b->a);
        *b = old;
    }
    db_finish(db, s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_err(db, err, "reading a rollup");
    struct buf blob;
    buf_init(&blob);
    for (size_t id = 0; id < b->cap; id++)
        if (b->a[id].has)
            pack_put(&blob, true,
                     &(struct pack_entry){(int64_t)id, b->a[id].last, b->a[id].min, b->a[id].max});
    int ret = db_run(
        db,
        "INSERT OR REPLACE INTO rollups (stream_id, step_ms, ts_ms, data)"
        " VALUES (?1, ?2, ?3, ?4)",
        DB_ARGS(DB_INT(sid), DB_INT(step_ms), DB_INT(b->ts_ms), DB_BLOB(blob.data, blob.len)),
        "writing a rollup", err);
    buf_done(&blob);
    memset(b->a, 0, b->cap * sizeof *b->a);
    b->any = false;
    return ret;
}

enum job_kind { JOB_EXPIRE, JOB_ROLL };

struct job {
    enum job_kind kind;
    int64_t from_step; /* the tier it reads: 0 raw, else a rollup step */
    int64_t to_step;   /* the tier it writes (JOB_ROLL) */
    int64_t cutoff_ms; /* rows before it are its work (JOB_ROLL: whole buckets of to_step) */
};

/* The oldest key of the job's tier when it is work for the job (a raw bucket number, or a
 * rollup bucket start): 1 and *key, 0 when there is nothing to do, -1 on error. */
static int next_work(struct store *db, const struct job *j, int64_t *key, struct st_err *err)
{
    int got =
        j->from_step == 0
            ? db_int64(db, "SELECT bucket FROM points ORDER BY bucket LIMIT 1", DB_NO_ARGS, key,
                       "reading history", err)
            : db_int64(db, "SELECT ts_ms FROM rollups WHERE step_ms = ?1 ORDER BY ts_ms LIMIT 1",
                       DB_ARGS(DB_INT(j->from_step)), key, "reading history", err);
    if (got <= 0)
        return got;
    int64_t start = j->from_step == 0 ? *key * STORE_5M_STEP_MS : *key;
    if (j->kind == JOB_EXPIRE) /* whole buckets: up to 5 minutes more than the retention stay */
        return start + (j->from_step ? j->from_step : STORE_5M_STEP_MS) <= j->cutoff_ms;
    if (j->from_step == 0) /* a raw bucket is a 5-minute one */
        return start + STORE_5M_STEP_MS <= j->cutoff_ms;
    *key = floor_to(start, j->to_step);
    return *key + j->to_step <= j->cutoff_ms;
}

/* Delete the rows of the oldest bucket, which ends before the cutoff; how many, or -1. */
static int64_t expire(struct store *db, const struct job *j, int64_t key, struct st_err *err)
{
    int rc = j->from_step == 0
                 ? db_run(db, "DELETE FROM points WHERE bucket = ?1", DB_ARGS(DB_INT(key)),
                          "pruning history", err)
                 : db_run(db, "DELETE FROM rollups WHERE step_ms = ?1 AND ts_ms = ?2",
                          DB_ARGS(DB_INT(j->from_step), DB_INT(key)), "pruning history", err);
    return rc < 0 ? -1 : (int64_t)sqlite3_changes(db->sqlite);
}

/* Roll the rows of every stream in the bucket of to_step starting at key (a raw bucket number
 * for raw points) into one rollup row per stream, and delete them; how many, or -1. */
static int64_t roll(struct store *db, const struct job *j, int64_t key, struct st_err *err)
{
    int64_t start = j->from_step == 0 ? key * STORE_5M_STEP_MS : key;
    sqlite3_stmt *s;
    int rc = j->from_step == 0
                 ? db_prepare(db, &s,
                              "SELECT stream_id, data FROM points WHERE bucket = ?1"
                              " ORDER BY stream_id, ts_ms",
                              DB_ARGS(DB_INT(key)), "reading history", err)
                 : db_prepare(db, &s,
                              "SELECT stream_id, data FROM rollups WHERE step_ms = ?3"
                              " AND ts_ms >= ?1 AND ts_ms < ?1 + ?2 ORDER BY stream_id, ts_ms",
                              DB_ARGS(DB_INT(start), DB_INT(j->to_step), DB_INT(j->from_step)),
                              "reading history", err);
    if (rc < 0)
        return -1;
    struct bucket b = {.ts_ms = start};
    int64_t n = 0, sid = -1;
    int ret = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t rsid = sqlite3_column_int64(s, 0);
        if (rsid != sid && (ret = bucket_flush(db, sid, j->to_step, &b, err)) < 0)
            break;
        sid = rsid;
        if (add_blob(&b, sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1),
                     j->from_step > 0) < 0) {
            ret = st_err_set(err, ST_EFORMAT, "%s: a history row of %lld is malformed", db->path,
                             (long long)start);
            break;
        }
        n++;
    }
    if (ret == 0 && rc != SQLITE_DONE)
        ret = db_err(db, err, "reading history");
    db_finish(db, s);
    if (ret == 0)
        ret = bucket_flush(db, sid, j->to_step, &b, err);
    free(b.a);
    if (ret < 0)
        return -1;
    rc = j->from_step == 0
             ? db_run(db, "DELETE FROM points WHERE bucket = ?1", DB_ARGS(DB_INT(key)),
                      "rolling history up", err)
             : db_run(db,
                      "DELETE FROM rollups WHERE step_ms = ?3 AND ts_ms >= ?1 AND ts_ms < ?1 + ?2",
                      DB_ARGS(DB_INT(start), DB_INT(j->to_step), DB_INT(j->from_step)),
                      "rolling history up", err);
    return rc < 0 ? -1 : n;
}

static void pause_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int store_maintain(struct store *db, int64_t now_ms, int64_t retention_ms, int64_t budget_ms,
                   struct store_maint *st, struct st_err *err)
{
    *st = (struct store_maint){0};
    int64_t keep_from = retention_ms > 0 ? now_ms - retention_ms : INT64_MIN;
    const struct job jobs[] = {
        {JOB_EXPIRE, 0, 0, keep_from},
        {JOB_EXPIRE, STORE_5M_STEP_MS, 0, keep_from},
        {JOB_EXPIRE, STORE_1H_STEP_MS, 0, keep_from},
        {JOB_ROLL, 0, STORE_5M_STEP_MS, floor_to(now_ms - STORE_RAW_KEEP_MS, STORE_5M_STEP_MS)},
        {JOB_ROLL, STORE_5M_STEP_MS, STORE_1H_STEP_MS,
         floor_to(now_ms - STORE_5M_KEEP_MS, STORE_1H_STEP_MS)},
    };
    int64_t started = clock_mono_ms(), tx_start = 0, tx_rows = 0;
    bool in_tx = false;
    int ret = 0;
    for (size_t k = 0; ret == 0 && k < sizeof jobs / sizeof *jobs; k++) {
        const struct job *j = &jobs[k];
        if (j->cutoff_ms == INT64_MIN)
            continue;
        for (;;) {
            int64_t key;
            int work = next_work(db, j, &key, err);
            if (work <= 0) {
                ret = work;
                break;
            }
            if (!in_tx) {
                if (clock_mono_ms() - started >= budget_ms) {
                    st->more = true;
                    goto out;
                }
                if (store_begin(db, err) < 0) {
                    ret = -1;
                    break;
                }
                in_tx = true;
                tx_start = clock_mono_ms();
                tx_rows = 0;
                continue; /* look again: another process may have done it meanwhile */
            }
            int64_t n = j->kind == JOB_EXPIRE ? expire(db, j, key, err) : roll(db, j, key, err);
            if (n < 0) {
                ret = -1;
                break;
            }
            tx_rows += n;
            st->rows += (size_t)n;
            if (tx_rows >= BATCH_ROWS || clock_mono_ms() - tx_start >= TX_MS) {
                in_tx = false;
                if (store_commit(db, err) < 0) {
                    ret = -1;
                    break;
                }
                int64_t spent = clock_mono_ms() - tx_start;
                st->transactions++;
                st->slowest_ms = spent > st->slowest_ms ? spent : st->slowest_ms;
                pause_ms(PAUSE_MS);
            }
        }
    }
out:
    if (in_tx) {
        if (ret == 0 && store_commit(db, err) == 0) {
            int64_t spent = clock_mono_ms() - tx_start;
            st->transactions++;
            st->slowest_ms = spent > st->slowest_ms ? spent : st->slowest_ms;
        } else if (ret < 0) {
            store_rollback(db);
        } else {
            ret = -1;
        }
    }
    return ret;
}
