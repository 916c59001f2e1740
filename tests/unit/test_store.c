/* The state DB: samples and series, chunked cursors, migrations and refusals, locks; and the
 * drain ETA computed from history. */
#include "testutil.h"

#include <sys/wait.h>

#include <math.h>

#include "core/clock.h"
#include "core/trend.h"
#include "store/internal.h"
#include "store/store.h"

static struct snapshot *snap_at(int64_t ms, double backlog)
{
    struct snapshot *snap = snapshot_new(ms);
    struct snap_stream *a = snapshot_add_stream(snap, "orders");
    a->metrics[M_BACKLOG_FILES] = backlog;
    a->metrics[M_LAST_BATCH_ID] = 7;
    a->metrics[M_DRAIN_ETA_SECONDS] = INFINITY;
    snapshot_add_stream(snap, "empty"); /* all NaN: nothing recorded */
    return snap;
}

static void test_samples(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    for (int i = 0; i < 5; i++) {
        struct snapshot *snap = snap_at(1000000 + i * 60000, 100 - i * 10);
        assert_int_equal(store_begin(db, &err), 0);
        assert_int_equal(store_record(db, snap, &err), 0);
        assert_int_equal(store_commit(db, &err), 0);
        snapshot_free(snap);
    }
    struct sample *s;
    size_t n;
    assert_int_equal(store_series(db, "orders", "backlog_files", 1000000 + 60000, &s, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(s[0].ts_ms, 1060000);
    assert_true(s[0].value == 90 && s[3].value == 60);
    free(s);
    assert_int_equal(store_series(db, "orders", "drain_eta_seconds", 0, &s, &n, &err), 0);
    assert_true(n == 5 && isinf(s[0].value) && s[0].value > 0); /* +Inf survives */
    free(s);
    struct strvec names;
    strvec_init(&names);
    bool known;
    assert_int_equal(store_metric_names(db, "orders", 0, &names, &known, &err), 0);
    assert_true(known);
    assert_int_equal(names.n, 3);
    assert_string_equal(names.v[0], "last_batch_id"); /* registry order */
    strvec_done(&names);
    strvec_init(&names);
    assert_int_equal(store_metric_names(db, "empty", 0, &names, &known, &err), 0);
    assert_int_equal(names.n, 0);
    strvec_done(&names);
    /* pruning by retention, after the pass */
    struct snapshot *late = snap_at(1000000 + 7200 * 1000LL, 5);
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_record(db, late, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    struct store_maint st;
    assert_int_equal(store_maintain(db, late->generated_ms, 3600 * 1000LL, 60000, &st, &err), 0);
    snapshot_free(late);
    assert_int_equal(store_series(db, "orders", "backlog_files", 0, &s, &n, &err), 0);
    assert_int_equal(n, 1);
    free(s);
    store_close(db);
}

struct blob {
    size_t n;
    uint64_t sum;
    size_t got;
};

static void fill(void *ctx, size_t off, unsigned char *dst, size_t len)
{
    (void)ctx;
    for (size_t i = 0; i < len; i++)
        dst[i] = (unsigned char)((off + i) * 7);
}

static int take(void *ctx, const unsigned char *src, size_t len, size_t total)
{
    struct blob *b = ctx;
    for (size_t i = 0; i < len; i++)
        if (src[i] != (unsigned char)((b->got + i) * 7))
            return -1;
    b->got += len;
    b->n = total;
    return 0;
}

/* A reader that has read a series sees the points written after it, by another connection
 * (another process) and by itself, in buckets past the ones it had seen: the tiers' first and
 * last keys it keeps between reads are dropped when anything was written. */
static void test_series_after_writes(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("spans");
    char *path = xasprintf("%s/history.db", dir);
    struct st_err err;
    struct store *r = store_open(path, &err), *w = store_open(path, &err);
    assert_non_null(r);
    assert_non_null(w);
    struct sample *s;
    size_t n;
    for (int i = 0; i < 3; i++) {
        struct store *by = i == 2 ? r : w; /* the third point from the reader itself */
        struct snapshot *snap = snap_at(1000000 + i * 3600000LL, 100 - i);
        assert_int_equal(store_begin(by, &err), 0);
        assert_int_equal(store_record(by, snap, &err), 0);
        assert_int_equal(store_commit(by, &err), 0);
        snapshot_free(snap);
        assert_int_equal(store_series(r, "orders", "backlog_files", 0, &s, &n, &err), 0);
        assert_int_equal(n, (size_t)i + 1);
        assert_true(s[i].value == 100 - i);
        free(s);
    }
    store_close(r);
    store_close(w);
    free(path);
    free(dir);
}

/* Name ids are remembered once committed: a stream whose id was read inside a write that rolled
 * back is looked up again (the id went to another stream since), never reused. */
static void test_name_ids_after_rollback(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    struct sample *s;
    size_t n;
    struct snapshot *first = snapshot_new(1000000);
    snapshot_add_stream(first, "gone")->metrics[M_BACKLOG_FILES] = 5;
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_record(db, first, &err), 0);
    /* read inside the write: "gone" has an id there */
    assert_int_equal(store_series(db, "gone", "backlog_files", 0, &s, &n, &err), 0);
    assert_int_equal(n, 1);
    free(s);
    store_rollback(db);
    snapshot_free(first);
    struct snapshot *second = snapshot_new(2000000);
    snapshot_add_stream(second, "other")->metrics[M_BACKLOG_FILES] = 9;
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_record(db, second, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    snapshot_free(second);
    /* "other" holds the id "gone" had: "gone" has no history */
    for (int k = 0; k < 2; k++) {
        assert_int_equal(store_series(db, "gone", "backlog_files", 0, &s, &n, &err), 0);
        assert_int_equal(n, 0);
        free(s);
        assert_int_equal(store_series(db, "other", "backlog_files", 0, &s, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_true(s[0].value == 9);
        free(s);
    }
    store_close(db);
}

/* A schema version recorded whole is only read by later passes (no write); one recorded without
 * its changes or fields gets them from the first pass that has them. */
static void test_schema_seen_writes_only_news(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    struct strvec ch, fields, none;
    strvec_init(&ch);
    strvec_init(&fields);
    strvec_init(&none);
    strvec_push(&fields, "id: long");
    int64_t first = 0;
    /* first seen with no changes and no fields */
    assert_int_equal(store_schema_seen(db, "s", "sink", 2, 100, 1000, &none, &ch, &first, &err), 0);
    assert_int_equal(first, 1000);
    int64_t changes = sqlite3_total_changes64(db->sqlite);
    /* the same again: nothing to write */
    assert_int_equal(store_schema_seen(db, "s", "sink", 2, 100, 2000, &none, &ch, &first, &err), 0);
    assert_int_equal(first, 1000);
    assert_int_equal(ch.n, 0);
    assert_true(sqlite3_total_changes64(db->sqlite) == changes);
    /* changes and fields arrive: written into the row, its first time kept */
    strvec_push(&ch, "+ id: long");
    assert_int_equal(store_schema_seen(db, "s", "sink", 2, 100, 3000, &fields, &ch, &first, &err),
                     0);
    assert_int_equal(first, 1000);
    assert_true(sqlite3_total_changes64(db->sqlite) == changes + 1);
    /* later passes without them (the log is gone): read back, not written */
    strvec_done(&ch);
    strvec_init(&ch);
    assert_int_equal(store_schema_seen(db, "s", "sink", 2, 100, 4000, &none, &ch, &first, &err), 0);
    assert_int_equal(first, 1000);
    assert_int_equal(ch.n, 1);
    assert_string_equal(ch.v[0], "+ id: long");
    assert_true(sqlite3_total_changes64(db->sqlite) == changes + 1);
    struct strvec got;
    strvec_init(&got);
    int64_t before;
    assert_int_equal(store_schema_before(db, "s", "sink", 3, &got, &before, &err), 1);
    assert_int_equal(got.n, 1);
    assert_string_equal(got.v[0], "id: long");
    strvec_done(&got);
    strvec_done(&ch);
    strvec_done(&fields);
    store_close(db);
}

/* Alert states are written by change: rows as stored are not written again, rows gone are
 * deleted, changed and new ones written; what is read back is what was saved. */
static void test_alerts_saved_by_change(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    struct store_alert first[] = {
        {(char *)"builtin:stalled", (char *)"a", 2, HEALTH_CRITICAL, 1000, 1000, -1, 12.5, false},
        {(char *)"builtin:stalled", (char *)"b", 1, HEALTH_WARNING, 1000, 0, -1, INFINITY, false},
        {(char *)"builtin:no-new-data", (char *)"a", 2, HEALTH_WARNING, 900, 900, -1, NAN, true},
    };
    assert_int_equal(store_alerts_save(db, NULL, 0, first, 3, &err), 0);
    struct store_alert *got;
    size_t n;
    assert_int_equal(store_alerts_load(db, &got, &n, &err), 0);
    assert_int_equal(n, 3);
    int64_t changes = sqlite3_total_changes64(db->sqlite);
    /* the same states again (an infinite value is stored as none): nothing written */
    assert_int_equal(store_alerts_save(db, got, n, first, 3, &err), 0);
    assert_true(sqlite3_total_changes64(db->sqlite) == changes);
    /* a: stalled unchanged; b: its phase moved; no-new-data of a resolved (gone); c is new */
    struct store_alert next[] = {
        first[0],
        {(char *)"builtin:stalled", (char *)"b", 2, HEALTH_WARNING, 1000, 2000, -1, 30, false},
        {(char *)"builtin:stalled", (char *)"c", 1, HEALTH_WARNING, 2000, 0, -1, 1, false},
    };
    assert_int_equal(store_alerts_save(db, got, n, next, 3, &err), 0);
    assert_true(sqlite3_total_changes64(db->sqlite) == changes + 3); /* 1 deleted, 2 written */
    store_alerts_free(got, n);
    assert_int_equal(store_alerts_load(db, &got, &n, &err), 0);
    assert_int_equal(n, 3);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < 3; k++) {
            if (strcmp(got[i].rule, next[k].rule) != 0 ||
                strcmp(got[i].stream, next[k].stream) != 0)
                continue;
            seen |= 1 << k;
            assert_int_equal(got[i].phase, next[k].phase);
            assert_int_equal(got[i].notified_ms, next[k].notified_ms);
            assert_true(got[i].value == next[k].value);
        }
    }
    assert_int_equal(seen, 7);
    store_alerts_free(got, n);
    store_close(db);
}

/* Statements past the kept ones: the same SQL while a caller holds it, and more distinct
 * statements than are kept, each get one of their own, which db_finish finalizes (it once
 * called itself for those, without end). */
static void test_statements_not_kept(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    sqlite3_stmt *outer, *inner;
    assert_int_equal(db_prepare(db, &outer, "SELECT ?1", DB_ARGS(DB_INT(1)), "t", &err), 0);
    assert_int_equal(db_prepare(db, &inner, "SELECT ?1", DB_ARGS(DB_INT(2)), "t", &err), 0);
    assert_ptr_not_equal(outer, inner);
    assert_int_equal(sqlite3_step(inner), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(inner, 0), 2);
    db_finish(db, inner);
    assert_int_equal(sqlite3_step(outer), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(outer, 0), 1);
    db_finish(db, outer);
    for (int i = 0; i < DB_CACHE_MAX + 8; i++) {
        char sql[32];
        snprintf(sql, sizeof sql, "SELECT %d", i);
        sqlite3_stmt *s;
        assert_int_equal(db_prepare(db, &s, sql, DB_NO_ARGS, "t", &err), 0);
        assert_int_equal(sqlite3_step(s), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(s, 0), i);
        db_finish(db, s);
    }
    int64_t v = 0;
    assert_int_equal(db_int64(db, "SELECT ?1", DB_ARGS(DB_INT(7)), &v, "t", &err), 1);
    assert_int_equal(v, 7); /* the kept one, reset and bound anew */
    store_close(db);
}

static void test_cursors(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("store");
    char *path = xasprintf("%s/sub/dir/history.db", dir); /* folders are created */
    struct st_err err;
    struct store *db = store_open(path, &err);
    if (!db)
        fail_msg("%s", err.msg);
    struct blob b = {0};
    assert_int_equal(store_cursor_read(db, "orders", "landing", take, &b, &err), -1);
    assert_int_equal(err.code, ST_ENOENT);
    size_t big = 3 * STORE_CHUNK + 123; /* several chunks */
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_cursor_write(db, "orders", "landing", big, fill, NULL, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    store_close(db);
    db = store_open(path, &err); /* a new process */
    assert_non_null(db);
    assert_int_equal(store_cursor_read(db, "orders", "landing", take, &b, &err), 0);
    assert_int_equal(b.got, big);
    assert_int_equal(b.n, big);
    store_close(db);
    free(path);
    free(dir);
}

/* A cursor read while another process replaces the same cursor: every read sees one whole
 * cursor (it once failed with "opening a cursor: no such rowid" when the row was replaced
 * between finding it and opening it). */
static void test_cursor_read_beside_writer(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("store");
    char *path = xasprintf("%s/history.db", dir);
    struct st_err err;
    struct store *db = store_open(path, &err);
    assert_non_null(db);
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_cursor_write(db, "orders", "landing", 100, fill, NULL, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    store_close(db);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        struct store *w = store_open(path, &err);
        for (int i = 0; w && i < 1500; i++) {
            if (store_begin(w, &err) == 0) {
                store_cursor_write(w, "orders", "landing", 100 + (size_t)(i % 7), fill, NULL, &err);
                store_commit(w, &err);
            }
        }
        store_close(w);
        _exit(0);
    }
    struct store *r = store_open(path, &err);
    assert_non_null(r);
    int failures = 0;
    char first[800] = "";
    for (int i = 0; i < 3000; i++) {
        struct blob b = {0};
        if (store_cursor_read(r, "orders", "landing", take, &b, &err) < 0 || b.got != b.n) {
            if (!failures++)
                snprintf(first, sizeof first, "%s", err.msg);
        }
        int status;
        if (waitpid(child, &status, WNOHANG) == child) {
            child = -1;
            break;
        }
    }
    if (child > 0)
        waitpid(child, NULL, 0);
    store_close(r);
    if (failures)
        fail_msg("%d reads failed, first: %s", failures, first);
    free(path);
    free(dir);
}

static void test_refusals(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("refuse");
    struct st_err err;
    /* not a database */
    char *garbage = xasprintf("%s/garbage.db", dir);
    write_text(garbage, "this is not sqlite, it is a text file of some length........", 60);
    assert_null(store_open(garbage, &err));
    assert_non_null(strstr(err.msg, "garbage.db"));
    assert_non_null(strstr(err.msg, "not a database"));
    /* from a newer streamtop */
    char *newer = xasprintf("%s/newer.db", dir);
    struct store *db = store_open(newer, &err);
    assert_non_null(db);
    store_close(db);
    char *cmd = xasprintf("python3 -c \"import sqlite3; c = sqlite3.connect('%s'); "
                          "c.execute('PRAGMA user_version = %d'); c.commit()\"",
                          newer, STORE_SCHEMA_VERSION + 3);
    assert_int_equal(system(cmd), 0);
    assert_null(store_open(newer, &err));
    char *want = xasprintf("written by a newer streamtop (schema %d; this one knows up to %d)",
                           STORE_SCHEMA_VERSION + 3, STORE_SCHEMA_VERSION);
    assert_non_null(strstr(err.msg, want));
    free(want);
    /* locked by another writer: waits the busy timeout, then says so */
    char *locked = xasprintf("%s/locked.db", dir);
    struct store *a = store_open(locked, &err), *b = store_open(locked, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(store_begin(a, &err), 0);
    assert_int_equal(store_begin(b, &err), -1);
    assert_non_null(strstr(err.msg, "locked"));
    store_rollback(a);
    assert_int_equal(store_begin(b, &err), 0); /* free again */
    store_rollback(b);
    store_close(a);
    store_close(b);
    free(cmd);
    free(garbage);
    free(newer);
    free(locked);
    free(dir);
}

static const char v1_sql[] =
    "CREATE TABLE streams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE TABLE metrics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE TABLE samples (stream_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY (stream_id, metric_id, ts_ms)) WITHOUT ROWID;\n"
    "CREATE INDEX samples_ts ON samples (ts_ms);\n"
    "CREATE TABLE cursors (stream TEXT NOT NULL, collector TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (stream, collector));\n"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "INSERT INTO streams VALUES (1, 'orders');\n"
    "INSERT INTO metrics VALUES (1, 'last_batch_id');\n"
    "INSERT INTO samples VALUES (1, 1, 5000, 42);\n"
    "PRAGMA user_version = 1;\n";

static void test_migration_from_v1(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("migrate");
    char *path = xasprintf("%s/v1.db", dir);
    write_str(dir, "v1.sql", v1_sql); /* a database as version 1 of the schema left it */
    char *cmd = xasprintf("python3 -c 'import sqlite3, sys; "
                          "sqlite3.connect(sys.argv[1]).executescript(open(sys.argv[2]).read())' "
                          "%s %s/v1.sql",
                          path, dir);
    assert_int_equal(system(cmd), 0);
    struct st_err err;
    struct store *db = store_open(path, &err);
    if (!db)
        fail_msg("%s", err.msg);
    struct sample *s;
    size_t n;
    assert_int_equal(store_series(db, "orders", "last_batch_id", 0, &s, &n, &err), 0);
    assert_true(n == 1 && s[0].value == 42); /* kept through the migration */
    free(s);
    /* the new table: first seen stays the first time; changes outlive the log */
    struct strvec ch, fields, none;
    strvec_init(&ch);
    strvec_init(&fields);
    strvec_init(&none);
    strvec_push(&ch, "+ discount: double");
    strvec_push(&fields, "id: long");
    strvec_push(&fields, "discount: double");
    int64_t first, before = -1;
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(
        store_schema_seen(db, "orders", "location", 3, 1000, 7000, &none, &ch, &first, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    assert_int_equal(first, 7000);
    strvec_done(&ch);
    strvec_init(&ch); /* a later process: the log that showed the change is gone */
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(
        store_schema_seen(db, "orders", "location", 3, 1000, 9000, &fields, &ch, &first, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    assert_int_equal(first, 7000);
    assert_int_equal(ch.n, 1);
    assert_string_equal(ch.v[0], "+ discount: double");
    strvec_done(&ch);
    /* the fields of the version before one, for a pass that finds only the newer one; a row
     * written before the fields were kept got them from the later pass */
    strvec_done(&fields);
    assert_int_equal(store_schema_before(db, "orders", "location", 3, &fields, &before, &err), 0);
    assert_int_equal(fields.n, 0);
    assert_int_equal(store_schema_before(db, "orders", "sink", 9, &fields, &before, &err), 0);
    assert_int_equal(store_schema_before(db, "orders", "location", 8, &fields, &before, &err), 1);
    assert_int_equal(before, 3);
    assert_int_equal(fields.n, 2);
    assert_string_equal(fields.v[1], "discount: double");
    strvec_done(&fields);
    store_close(db);
    free(cmd);
    free(path);
    free(dir);
}

#define MIN_MS  (60 * 1000LL)
#define HOUR_MS (3600 * 1000LL)
#define DAY_MS  (86400 * 1000LL)
/* 2026-11-01T00:00:00Z: a whole hour, so buckets start where the test expects */
#define T0 1793491200000LL

/* One pass of streams "s0".."s<n-1>" at ms: backlog_files is a function of the pass and
 * stream, last_batch_id counts passes, and stream 0 has a negative and an infinite value. */
static void record_pass(struct store *db, int64_t ms, int nstreams, int pass)
{
    struct snapshot *snap = snapshot_new(ms);
    for (int i = 0; i < nstreams; i++) {
        char name[16];
        snprintf(name, sizeof name, "s%d", i);
        struct snap_stream *st = snapshot_add_stream(snap, name);
        st->metrics[M_BACKLOG_FILES] = (pass * 7 + i) % 50;
        st->metrics[M_LAST_BATCH_ID] = pass;
        if (i == 0) {
            st->metrics[M_WATERMARK_LAG_SECONDS] = -1.5;
            st->metrics[M_DRAIN_ETA_SECONDS] = pass % 2 ? INFINITY : 12.25;
        }
    }
    struct st_err err;
    assert_int_equal(store_record(db, snap, &err), 0);
    snapshot_free(snap);
}

static void test_packed_round_trip(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    /* every registry metric at once, values that need all 64 bits */
    struct snapshot *snap = snapshot_new(T0);
    struct snap_stream *st = snapshot_add_stream(snap, "all");
    for (int m = 0; m < METRIC_COUNT; m++)
        st->metrics[m] = m == 3 ? -INFINITY : m * 1e15 + 0.1 * m - 1e-9;
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_record(db, snap, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    for (int m = 0; m < METRIC_COUNT; m++) {
        struct sample *s;
        size_t n;
        assert_int_equal(store_series(db, "all", metric_defs[m].name, 0, &s, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(s[0].ts_ms, T0);
        if (m == 3)
            assert_true(isinf(s[0].value) && s[0].value < 0);
        else
            assert_true(s[0].value == st->metrics[m]);
        free(s);
    }
    struct strvec names;
    strvec_init(&names);
    bool known;
    assert_int_equal(store_metric_names(db, "all", 0, &names, &known, &err), 0);
    assert_int_equal(names.n, METRIC_COUNT);
    strvec_done(&names);
    /* only the range is read: nothing since after the pass, and the stream is still known */
    strvec_init(&names);
    assert_int_equal(store_metric_names(db, "all", T0 + 1, &names, &known, &err), 0);
    assert_true(names.n == 0 && known);
    strvec_done(&names);
    assert_int_equal(store_metric_names(db, "nosuch", 0, &names, &known, &err), 0);
    assert_false(known);
    snapshot_free(snap);
    store_close(db);
}

/* Nine days of one pass a minute for 2 streams, maintained as a pass would: the last day raw,
 * days 2 to 3 in 5-minute rollups, the rest hourly, each carrying min, max and last. */
static void test_rollups(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    const int passes = 9 * 1440;
    struct store_maint st;
    for (int p = 0; p < passes; p++) {
        if (p % 1440 == 0)
            assert_int_equal(store_begin(db, &err), 0);
        record_pass(db, T0 + p * MIN_MS, 2, p);
        if (p % 1440 == 1439 || p == passes - 1) {
            assert_int_equal(store_commit(db, &err), 0);
            assert_int_equal(store_maintain(db, T0 + p * MIN_MS, 30 * DAY_MS, 600000, &st, &err),
                             0);
            assert_false(st.more);
        }
    }
    int64_t now = T0 + (passes - 1) * MIN_MS;
    struct store_point *pt;
    size_t n;
    assert_int_equal(store_points(db, "s1", "backlog_files", 0, &pt, &n, &err), 0);
    /* raw: passes since the 5-minute bucket holding now - 1 day; 5-minute buckets back to a
     * STORE_5M_KEEP_MS; hourly before */
    int64_t raw_from = (now - DAY_MS) / STORE_5M_STEP_MS * STORE_5M_STEP_MS;
    int64_t m5_from = (now - STORE_5M_KEEP_MS) / HOUR_MS * HOUR_MS;
    size_t nraw = 0, n5 = 0, n1h = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            assert_true(pt[i - 1].ts_ms < pt[i].ts_ms); /* oldest first, tiers disjoint */
        int64_t step = pt[i].step_ms;
        int64_t first = (pt[i].ts_ms - T0) / MIN_MS; /* the first pass in its bucket */
        int64_t count = step ? step / MIN_MS : 1;
        double lo = 1e9, hi = -1e9, last = 0;
        for (int64_t p = first; p < first + count; p++) {
            double v = (double)((p * 7 + 1) % 50);
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            last = v;
        }
        assert_true(pt[i].last == last && pt[i].min == lo && pt[i].max == hi);
        if (step == 0) {
            nraw++;
            assert_true(pt[i].ts_ms >= raw_from);
        } else if (step == STORE_5M_STEP_MS) {
            n5++;
            assert_true(pt[i].ts_ms >= m5_from && pt[i].ts_ms < raw_from);
        } else {
            assert_int_equal(step, HOUR_MS);
            n1h++;
            assert_true(pt[i].ts_ms < m5_from);
        }
    }
    assert_int_equal(nraw, (size_t)((now - raw_from) / MIN_MS + 1));
    assert_int_equal(n5, (size_t)((raw_from - m5_from) / STORE_5M_STEP_MS));
    assert_int_equal(n1h, (size_t)((m5_from - T0) / HOUR_MS));
    free(pt);
    /* the raw day reads as it was recorded: the same points as before any rollup */
    struct sample *s;
    assert_int_equal(store_series(db, "s0", "drain_eta_seconds", now - 10 * MIN_MS, &s, &n, &err),
                     0);
    assert_int_equal(n, 11);
    for (size_t i = 0; i < n; i++) {
        int64_t p = (s[i].ts_ms - T0) / MIN_MS;
        assert_true(p % 2 ? isinf(s[i].value) : s[i].value == 12.25);
    }
    free(s);
    /* a range inside the rollups reads only rollups; a rollup's value is its last */
    assert_int_equal(store_series(db, "s0", "last_batch_id", now - 3 * DAY_MS, &s, &n, &err), 0);
    assert_true(s[0].value == (double)((s[0].ts_ms - T0) / MIN_MS + 4));
    free(s);
    /* retention: after 30 days, nothing older than 25 days is left */
    assert_int_equal(store_maintain(db, T0 + 30 * DAY_MS, 25 * DAY_MS, 600000, &st, &err), 0);
    assert_int_equal(store_points(db, "s1", "backlog_files", 0, &pt, &n, &err), 0);
    assert_true(n > 0 && pt[0].ts_ms >= T0 + 5 * DAY_MS);
    free(pt);
    store_close(db);
}

static const char v4_sql[] =
    "CREATE TABLE streams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE TABLE metrics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);\n"
    "CREATE TABLE samples (stream_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY (stream_id, metric_id, ts_ms)) WITHOUT ROWID;\n"
    "CREATE INDEX samples_ts ON samples (ts_ms);\n"
    "CREATE TABLE cursors (stream TEXT NOT NULL, collector TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (stream, collector));\n"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
    "CREATE TABLE schema_versions (stream TEXT NOT NULL, origin TEXT NOT NULL,"
    " version INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL, appeared_ms INTEGER NOT NULL,"
    " changes TEXT NOT NULL, PRIMARY KEY (stream, origin, version));\n"
    "CREATE TABLE alerts (rule TEXT NOT NULL, stream TEXT NOT NULL, phase INTEGER NOT NULL,"
    " level INTEGER NOT NULL, since_ms INTEGER NOT NULL, notified_ms INTEGER NOT NULL,"
    " unmeasured_ms INTEGER NOT NULL, value REAL, held INTEGER NOT NULL,"
    " PRIMARY KEY (rule, stream));\n"
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, webhook TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, what TEXT NOT NULL, body BLOB NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL, lease_ms INTEGER NOT NULL"
    " DEFAULT 0, done_ms INTEGER, status INTEGER, error TEXT, stream TEXT NOT NULL DEFAULT '',"
    " rule TEXT NOT NULL DEFAULT '');\n"
    "CREATE INDEX outbox_due ON outbox (done_ms, next_ms);\n"
    "CREATE INDEX outbox_alert ON outbox (stream, rule, id);\n"
    "CREATE TABLE silences (id INTEGER PRIMARY KEY, match TEXT NOT NULL, comment TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL);\n"
    "INSERT INTO streams VALUES (1, 'orders'), (2, 'clicks');\n"
    "INSERT INTO metrics VALUES (1, 'last_batch_id'), (2, 'backlog_files'),"
    " (3, 'drain_eta_seconds'), (4, 'metric_of_a_later_version');\n"
    "WITH RECURSIVE p(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM p WHERE i < 99)"
    " INSERT INTO samples SELECT s, m, 1793491200000 + i * 60000,"
    " CASE WHEN m = 3 THEN 1e308 ELSE s * 1000 + m * 100 + i END"
    " FROM p, (SELECT 1 AS s UNION SELECT 2), (SELECT 1 AS m UNION SELECT 2 UNION SELECT 3"
    " UNION SELECT 4) WHERE NOT (s = 2 AND m = 2 AND i % 3 = 0);\n"
    "INSERT INTO meta VALUES ('pruned_ms', '1793491200000');\n"
    "PRAGMA user_version = 4;\n";

/* A version-4 database with samples migrates in place: every sample reads back the same. */
static void test_migration_from_v4(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("migrate4");
    char *path = xasprintf("%s/v4.db", dir);
    write_str(dir, "v4.sql", v4_sql);
    char *cmd = xasprintf("python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
                          "c.executescript(open(sys.argv[2]).read()); c.commit()' %s %s/v4.sql",
                          path, dir);
    assert_int_equal(system(cmd), 0);
    struct st_err err;
    struct store *db = store_open(path, &err);
    if (!db)
        fail_msg("%s", err.msg);
    static const char *const names[] = {"last_batch_id", "backlog_files", "drain_eta_seconds",
                                        "metric_of_a_later_version"};
    for (int s = 1; s <= 2; s++) {
        for (int m = 1; m <= 4; m++) {
            struct sample *v;
            size_t n;
            assert_int_equal(
                store_series(db, s == 1 ? "orders" : "clicks", names[m - 1], 0, &v, &n, &err), 0);
            assert_int_equal(n, s == 2 && m == 2 ? 66 : 100);
            for (size_t k = 0; k < n; k++) {
                int64_t i = (v[k].ts_ms - T0) / MIN_MS;
                if (m == 3)
                    assert_true(isinf(v[k].value) && v[k].value > 0); /* 1e308 was +Inf */
                else
                    assert_true(v[k].value == s * 1000 + m * 100 + i);
            }
            free(v);
        }
    }
    struct strvec nv;
    strvec_init(&nv);
    bool known;
    assert_int_equal(store_metric_names(db, "clicks", 0, &nv, &known, &err), 0);
    assert_int_equal(nv.n, 4);
    assert_string_equal(nv.v[3], "metric_of_a_later_version"); /* unknown names last */
    strvec_done(&nv);
    /* and goes on recording */
    assert_int_equal(store_begin(db, &err), 0);
    record_pass(db, T0 + 100 * MIN_MS, 1, 100);
    assert_int_equal(store_commit(db, &err), 0);
    store_close(db);
    char *q =
        xasprintf("test \"$(python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                  " print(c.execute(\"PRAGMA user_version\").fetchone()[0],"
                  " c.execute(\"SELECT count(*) FROM sqlite_master WHERE name ="
                  " \\x27samples\\x27\").fetchone()[0])' %s)\" = \"%d 0\"",
                  path, STORE_SCHEMA_VERSION);
    assert_int_equal(system(q), 0);
    free(q);
    free(cmd);
    free(path);
    free(dir);
}

/* A big rollup and prune in one process while another records passes: the other's BEGIN
 * IMMEDIATE always gets the lock within its busy timeout, because the maintenance commits in
 * small batches with pauses between them. */
static void test_maintain_beside_writer(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("maintain");
    char *path = xasprintf("%s/h.db", dir);
    struct st_err err;
    struct store *db = store_open(path, &err);
    assert_non_null(db);
    /* three days of 40 streams, one pass a minute, never maintained */
    const int passes = 3 * 1440;
    for (int p = 0; p < passes; p++) {
        if (p % 720 == 0)
            assert_int_equal(store_begin(db, &err), 0);
        record_pass(db, T0 + p * MIN_MS, 40, p);
        if (p % 720 == 719)
            assert_int_equal(store_commit(db, &err), 0);
    }
    store_close(db);
    int64_t now = T0 + (passes + 1) * MIN_MS;
    int sync[2];
    assert_int_equal(pipe(sync), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(sync[0]);
        struct store *m = store_open(path, &err);
        struct store_maint st;
        /* two days to roll up and a day to prune (retention 2 days): until done */
        int rc = m ? 0 : -1;
        bool told = false;
        do {
            rc = store_maintain(m, now, 2 * DAY_MS, 500, &st, &err);
            if (!told && write(sync[1], "x", 1) == 1)
                told = true;
        } while (rc == 0 && st.more);
        store_close(m);
        _exit(rc == 0 ? 0 : 1);
    }
    close(sync[1]);
    char c;
    assert_int_equal(read(sync[0], &c, 1), 1); /* the maintenance has started */
    close(sync[0]);
    struct store *w = store_open(path, &err);
    if (!w)
        fail_msg("%s", err.msg);
    int passes_written = 0, failures = 0;
    char first[800] = "";
    for (;;) {
        int status;
        if (waitpid(child, &status, WNOHANG) == child) {
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
            break;
        }
        if (store_begin(w, &err) < 0) {
            if (!failures++)
                snprintf(first, sizeof first, "%s", err.msg);
            continue;
        }
        record_pass(w, now + passes_written * 1000, 40, passes + passes_written);
        assert_int_equal(store_commit(w, &err), 0);
        passes_written++;
    }
    if (failures)
        fail_msg("%d of %d writes failed, first: %s", failures, passes_written + failures, first);
    assert_true(passes_written > 0);
    /* the maintenance finished: the first of the three days is gone, the second rolled up */
    struct store_point *pt;
    size_t n;
    assert_int_equal(store_points(w, "s3", "backlog_files", 0, &pt, &n, &err), 0);
    assert_true(n > 0 && pt[0].ts_ms >= now - 2 * DAY_MS - STORE_5M_STEP_MS);
    assert_int_equal(pt[0].step_ms, STORE_5M_STEP_MS);
    assert_int_equal(pt[n - 1].step_ms, 0);
    free(pt);
    store_close(w);
    free(path);
    free(dir);
}

static void test_drain_eta(void **unused)
{
    (void)unused;
    /* 100 files draining by 10 a minute: 60 files left now, 6 minutes to go */
    struct sample drain[] = {{0, 100}, {60000, 90}, {120000, 80}, {180000, 70}, {240000, 60}};
    assert_true(fabs(trend_drain_eta(drain, 5) - 360) < 1e-6);
    struct sample grow[] = {{0, 10}, {60000, 20}, {120000, 30}};
    assert_true(isinf(trend_drain_eta(grow, 3)));
    struct sample flat[] = {{0, 10}, {60000, 10}, {120000, 10}};
    assert_true(isinf(trend_drain_eta(flat, 3))); /* not draining at all */
    struct sample empty[] = {{0, 10}, {60000, 5}, {120000, 0}};
    assert_true(trend_drain_eta(empty, 3) == 0);
    struct sample few[] = {{0, 10}, {60000, 5}};
    assert_true(isnan(trend_drain_eta(few, 2)));
    struct sample short_window[] = {{0, 10}, {10000, 9}, {20000, 8}};
    assert_true(isnan(trend_drain_eta(short_window, 3)));
    /* one old healthy sample does not hide a backlog that stopped draining */
    struct sample stalled[] = {{0, 0}, {540000, 50}, {600000, 50}, {660000, 50}, {720000, 50}};
    assert_true(isinf(trend_drain_eta(stalled, 5)));
}

/* One alert's notifications to one webhook leave in order: while the older is in flight the
 * newer waits; an undelivered, unleased older one is superseded by the newer; leases count from
 * the claim. */
static void test_outbox_order_and_leases(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    const int64_t t = 1795440000000LL;
    struct outbox_row *rows;
    size_t n;
#define ADD(what, at)                                                                              \
    assert_int_equal(store_begin(db, &err), 0);                                                    \
    assert_int_equal(                                                                              \
        store_outbox_add(db, "hook", what, "orders", "r", "id-" what, "{}", 2, (at), &err), 0);    \
    assert_int_equal(store_commit(db, &err), 0)
    ADD("firing", t);
    /* a claim long after the row was queued: the lease counts from the claim */
    assert_int_equal(store_outbox_claim(db, t + 100000, 10000, 64, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].nid, "id-firing");
    assert_true(rows[0].lease_until_ms == t + 110000);
    int64_t first = rows[0].id;
    store_outbox_rows_free(rows, n);
    ADD("resolved", t + 101000); /* the firing is in flight: not superseded */
    assert_int_equal(store_outbox_claim(db, t + 102000, 10000, 64, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 0); /* the resolve waits for the firing */
    struct outbox_result r = {.id = first, .status = 503, .done_ms = -1, .next_ms = t + 150000};
    assert_int_equal(store_outbox_settle(db, &r, 1, &err), 0);
    assert_int_equal(store_outbox_claim(db, t + 120000, 10000, 64, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 0);   /* the firing backs off; the resolve still waits behind it */
    ADD("level", t + 130000); /* supersedes both undelivered ones */
    assert_int_equal(store_outbox_claim(db, t + 131000, 10000, 64, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].nid, "id-level");
    store_outbox_rows_free(rows, n);
    size_t pending;
    assert_int_equal(store_outbox_count(db, &pending, &err), 0);
    assert_int_equal(pending, 1);
    /* Alertmanager re-posts of one webhook keep their order too */
    store_outbox_rows_free(NULL, 0);
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_outbox_add(db, "am", "refresh", NULL, NULL, "r1", "[]", 2, t, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    assert_int_equal(store_outbox_claim(db, t + 200000, 10000, 64, 0, &rows, &n, &err), 0);
    int64_t r1 = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].nid, "r1") == 0)
            r1 = rows[i].id;
    assert_true(r1 >= 0);
    store_outbox_rows_free(rows, n);
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_outbox_supersede(db, "am", "refresh", t + 201000, &err), 0);
    assert_int_equal(store_outbox_add(db, "am", "refresh", NULL, NULL, "r2", "[]", 2, t, &err), 0);
    assert_int_equal(store_commit(db, &err), 0);
    assert_int_equal(store_outbox_claim(db, t + 202000, 10000, 64, 0, &rows, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(rows[i].nid, "r2"); /* r1 is still in flight */
    store_outbox_rows_free(rows, n);
    struct outbox_result done = {.id = r1, .status = 200, .done_ms = t + 203000};
    assert_int_equal(store_outbox_settle(db, &done, 1, &err), 0);
    assert_int_equal(store_outbox_claim(db, t + 204000, 10000, 64, 0, &rows, &n, &err), 0);
    bool r2 = false;
    for (size_t i = 0; i < n; i++)
        r2 |= strcmp(rows[i].nid, "r2") == 0;
    assert_true(r2);
    store_outbox_rows_free(rows, n);
#undef ADD
    store_close(db);
}

/* Claims in rounds that each start past the last one's highest id: 1,000 queued notifications
 * of 1,000 streams come out 64 at a time, lowest ids first, each once; a round past the end
 * claims nothing, and one from the start again takes only what is due and not taken. */
static void test_outbox_claim_rounds(void **unused)
{
    (void)unused;
    struct st_err err;
    struct store *db = store_open(":memory:", &err);
    assert_non_null(db);
    const int64_t t = 1795440000000LL;
    assert_int_equal(store_begin(db, &err), 0);
    for (int i = 0; i < 1000; i++) {
        char stream[32], nid[32];
        snprintf(stream, sizeof stream, "s%d", i);
        snprintf(nid, sizeof nid, "n%d", i);
        assert_int_equal(store_outbox_add(db, "hook", "firing", stream, "r", nid, "{}", 2, t, &err),
                         0);
    }
    assert_int_equal(store_commit(db, &err), 0);
    int64_t after = 0, last = 0;
    size_t total = 0, rounds = 0;
    for (;;) {
        struct outbox_row *rows;
        size_t n;
        assert_int_equal(store_outbox_claim(db, t + 1000, 60000, 64, after, &rows, &n, &err), 0);
        if (n == 0)
            break;
        rounds++;
        for (size_t i = 0; i < n; i++) {
            assert_true(rows[i].id > last); /* ascending, never twice */
            last = rows[i].id;
        }
        after = last;
        total += n;
        store_outbox_rows_free(rows, n);
    }
    assert_int_equal(total, 1000);
    assert_int_equal(rounds, 16);
    /* from the start again: all leased, nothing to take */
    struct outbox_row *rows;
    size_t n;
    assert_int_equal(store_outbox_claim(db, t + 2000, 60000, 64, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 0);
    /* the leases ended: due again, from the lowest id */
    assert_int_equal(store_outbox_claim(db, t + 70000, 60000, 64, 0, &rows, &n, &err), 0);
    assert_int_equal(n, 64);
    assert_string_equal(rows[0].nid, "n0");
    store_outbox_rows_free(rows, n);
    store_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_cursors),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_drain_eta),
        cmocka_unit_test(test_cursor_read_beside_writer),
        cmocka_unit_test(test_packed_round_trip),
        cmocka_unit_test(test_rollups),
        cmocka_unit_test(test_migration_from_v4),
        cmocka_unit_test(test_maintain_beside_writer),
        cmocka_unit_test(test_series_after_writes),
        cmocka_unit_test(test_name_ids_after_rollback),
        cmocka_unit_test(test_schema_seen_writes_only_news),
        cmocka_unit_test(test_statements_not_kept),
        cmocka_unit_test(test_outbox_order_and_leases),
        cmocka_unit_test(test_alerts_saved_by_change),
        cmocka_unit_test(test_outbox_claim_rounds),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
