/* The state DB: samples and series, chunked cursors, migrations and refusals, locks; and the
 * drain ETA computed from history. */
#include "testutil.h"

#include <sys/wait.h>

#include <math.h>

#include "core/clock.h"
#include "core/trend.h"
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
                          "c.execute('PRAGMA user_version = 7'); c.commit()\"",
                          newer);
    assert_int_equal(system(cmd), 0);
    assert_null(store_open(newer, &err));
    assert_non_null(
        strstr(err.msg, "written by a newer streamtop (schema 7; this one knows up to 5)"));
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
    struct strvec ch;
    strvec_init(&ch);
    strvec_push(&ch, "+ discount: double");
    int64_t first;
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_schema_seen(db, "orders", "location", 3, 1000, 7000, &ch, &first, &err),
                     0);
    assert_int_equal(store_commit(db, &err), 0);
    assert_int_equal(first, 7000);
    strvec_done(&ch);
    strvec_init(&ch); /* a later process: the log that showed the change is gone */
    assert_int_equal(store_begin(db, &err), 0);
    assert_int_equal(store_schema_seen(db, "orders", "location", 3, 1000, 9000, &ch, &first, &err),
                     0);
    assert_int_equal(store_commit(db, &err), 0);
    assert_int_equal(first, 7000);
    assert_int_equal(ch.n, 1);
    assert_string_equal(ch.v[0], "+ discount: double");
    strvec_done(&ch);
    store_close(db);
    free(cmd);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples),   cmocka_unit_test(test_cursors),
        cmocka_unit_test(test_refusals),  cmocka_unit_test(test_migration_from_v1),
        cmocka_unit_test(test_drain_eta), cmocka_unit_test(test_cursor_read_beside_writer),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
