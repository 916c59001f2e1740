/* The Delta sink collector over the real Delta logs, and over a log it watches grow. */
#include "cursorutil.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "collectors/collector.h"
#include "collectors/deltacrc.h"
#include "collectors/deltalog.h"
#include "collectors/fs.h"
#include "core/buf.h"
#include "core/clock.h"

#define NOW_MS 1795341600000LL

static int64_t full_every_ms = 3600000; /* the streams' full_listing_every */

static struct snap_stream *run(const char *sink, const char *qid, double last_batch, void *state,
                               struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.sink = (char *)sink;
    cfg.full_listing_every_ms = full_every_ms;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "s");
    st->query_id = qid ? xstrdup(qid) : NULL;
    st->metrics[M_LAST_BATCH_ID] = last_batch;
    deltalog_collector.collect(&cfg, state, st, NOW_MS);
    return st;
}

static void test_real_logs(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    struct snapshot *snap;
    /* a real STREAMING UPDATE + txn at version 3, behind _last_checkpoint (version 3) */
    char *p = xasprintf("%s/delta-logs/delta-0.2.0", fx);
    void *state = deltalog_collector.state_new();
    struct snap_stream *st = run(p, "e4a20b59-dd0e-4c50-b074-e8ae4786df30", 5, state, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 5); /* batch 5 planned, sink has epoch 0 */
    assert_true(fabs(st->metrics[M_SINK_COMMIT_AGE_SECONDS] -
                     (double)(NOW_MS - 1564524299648LL) / 1000) < 0.001);
    assert_int_equal(st->sink_schema.version, 0);
    assert_true(st->metrics[M_SCHEMA_VERSION] == 0); /* no schema location: the sink's */
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(p);
    /* another query's commits are not ours */
    p = xasprintf("%s/delta-logs/delta-0.2.0", fx);
    state = deltalog_collector.state_new();
    st = run(p, "00000000-0000-0000-0000-000000000000", 5, state, &snap);
    assert_true(isnan(st->metrics[M_SINK_LAG_BATCHES]));
    assert_true(isnan(st->metrics[M_SINK_COMMIT_AGE_SECONDS]));
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(p);
    /* txn of appId fakeAppId, version 3 */
    p = xasprintf("%s/delta-logs/deltalog-getChanges", fx);
    state = deltalog_collector.state_new();
    st = run(p, "fakeAppId", 10, state, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 7);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(p);
    /* entry through _last_checkpoint (10): commits 11-14 read, metaData found at 0 */
    p = xasprintf("%s/delta-logs/checkpoint", fx);
    state = deltalog_collector.state_new();
    st = run(p, NULL, NAN, state, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->sink_schema.version, 0);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(p);
    /* versions 0 and 2 only */
    p = xasprintf("%s/delta-logs/versions-not-contiguous", fx);
    state = deltalog_collector.state_new();
    st = run(p, NULL, NAN, state, &snap);
    assert_int_equal(st->errors.n, 1);
    assert_non_null(strstr(st->errors.v[0], "version 1 is missing (the log jumps from 0 to 2)"));
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(p);
}

#define SCHEMA0                                                                                    \
    "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":"          \
    "\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}"
#define SCHEMA1                                                                                    \
    "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":"          \
    "\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},{\\\"name\\\":\\\"discount\\\","      \
    "\\\"type\\\":\\\"double\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}"

static void test_growing_log(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("delta");
    const char *q = "q-1";
    write_str(dir, "_delta_log/00000000000000000000.json",
              "{\"commitInfo\":{\"timestamp\":1795341000000,\"operation\":\"CREATE TABLE\"}}\n"
              "{\"metaData\":{\"id\":\"t\",\"schemaString\":\"" SCHEMA0
              "\",\"partitionColumns\":[]}}\n");
    write_str(dir, "_delta_log/00000000000000000001.json",
              "{\"commitInfo\":{\"timestamp\":1795341060000,\"operation\":\"STREAMING UPDATE\","
              "\"operationParameters\":{\"outputMode\":\"Append\",\"queryId\":\"q-1\","
              "\"epochId\":\"7\"},\"operationMetrics\":{\"numOutputRows\":\"1000\","
              "\"numAddedFiles\":\"2\"}}}\n"
              "{\"txn\":{\"appId\":\"q-1\",\"version\":7,\"lastUpdated\":1795341060000}}\n"
              "{\"add\":{\"path\":\"part-0.parquet\",\"size\":1,\"modificationTime\":1,"
              "\"dataChange\":true}}\n");
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, q, 9, state, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 2);
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == 540);
    snapshot_free(snap);
    /* the schema evolves and the sink commits epoch 8: only the new commit is read */
    const char *v2 = "{\"commitInfo\":{\"timestamp\":1795341120000,\"operation\":\"STREAMING "
                     "UPDATE\",\"operationParameters\":{\"queryId\":\"q-1\",\"epochId\":\"8\"}}}\n"
                     "{\"metaData\":{\"id\":\"t\",\"schemaString\":\"" SCHEMA1 "\"}}\n"
                     "{\"txn\":{\"appId\":\"q-1\",\"version\":8,\"lastUpdated\":1795341120000}}\n";
    write_str(dir, "_delta_log/00000000000000000002.json", v2);
    st = run(dir, q, 9, state, &snap);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 1);
    assert_int_equal(st->sink_schema.version, 2);
    assert_int_equal(st->sink_schema.changes.n, 1);
    assert_string_equal(st->sink_schema.changes.v[0], "+ discount: double");
    assert_true(st->bytes_read == strlen(v2));
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(dir);
}

/* The state a new process loads from the cursor (saved and taken in chunks of step bytes). */
static void *delta_round_trip(void *state, size_t step, unsigned char **blob_out, size_t *total)
{
    return cursor_round_trip_with(&deltalog_collector, state, step, step, blob_out, total);
}

static void *taken(const unsigned char *blob, size_t len, int want)
{
    void *state = deltalog_collector.state_new();
    assert_int_equal(deltalog_collector.cursor_take(state, blob, len, len), want);
    return state;
}

/* A cron pass is a new process: from the cursor it reads no commit of an unchanged log and
 * gives the same figures, then reads only a new commit; another query id, a commit changed in
 * place, and damaged or older cursors send it back to reading the log. */
static void test_cursor_across_processes(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("deltacur");
    write_str(dir, "_delta_log/00000000000000000000.json",
              "{\"commitInfo\":{\"timestamp\":1795341000000,\"operation\":\"CREATE TABLE\"}}\n"
              "{\"metaData\":{\"id\":\"t\",\"schemaString\":\"" SCHEMA0
              "\",\"partitionColumns\":[]}}\n");
    write_str(dir, "_delta_log/00000000000000000001.json",
              "{\"commitInfo\":{\"timestamp\":1795341060000,\"operation\":\"STREAMING UPDATE\","
              "\"operationParameters\":{\"queryId\":\"q-1\",\"epochId\":\"7\"},"
              "\"operationMetrics\":{\"numOutputRows\":\"1000\",\"numAddedFiles\":\"2\"}}}\n"
              "{\"txn\":{\"appId\":\"q-1\",\"version\":7,\"lastUpdated\":1795341060000}}\n");
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, "q-1", 9, state, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->bytes_read > 0);
    snapshot_free(snap);
    unsigned char *blob;
    size_t total;
    void *again = delta_round_trip(state, 7, &blob, &total);
    st = run(dir, "q-1", 9, again, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->bytes_read == 0); /* nothing of the log read */
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 2);
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == 540);
    assert_int_equal(st->sink_schema.version, 0);
    assert_int_equal(st->sink_schema.fields.n, 1);
    assert_string_equal(st->sink_schema.fields.v[0], "id: long");
    snapshot_free(snap);
    assert_int_equal(deltalog_collector.cursor_size(again), 0); /* nothing changed: not saved */
    /* a new commit: only it is read, by the next process too */
    const char *v2 = "{\"commitInfo\":{\"timestamp\":1795341120000,\"operation\":\"STREAMING "
                     "UPDATE\",\"operationParameters\":{\"queryId\":\"q-1\",\"epochId\":\"8\"}}}\n"
                     "{\"metaData\":{\"id\":\"t\",\"schemaString\":\"" SCHEMA1 "\"}}\n"
                     "{\"txn\":{\"appId\":\"q-1\",\"version\":8,\"lastUpdated\":1795341120000}}\n";
    write_str(dir, "_delta_log/00000000000000000002.json", v2);
    void *third = taken(blob, total, 0);
    st = run(dir, "q-1", 9, third, &snap);
    assert_true(st->bytes_read == strlen(v2));
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 1);
    assert_int_equal(st->sink_schema.version, 2);
    assert_int_equal(st->sink_schema.changes.n, 1);
    assert_string_equal(st->sink_schema.changes.v[0], "+ discount: double");
    snapshot_free(snap);
    deltalog_collector.state_free(third);
    deltalog_collector.state_free(again);
    /* another query: its txn and STREAMING UPDATEs are not this one's, the log is read */
    third = taken(blob, total, 0);
    st = run(dir, "q-2", 9, third, &snap);
    assert_true(st->bytes_read > 0);
    assert_true(isnan(st->metrics[M_SINK_LAG_BATCHES]));
    snapshot_free(snap);
    deltalog_collector.state_free(third);
    /* a cursor of another path: not used */
    char *other = xasprintf("%s/", dir);
    third = taken(blob, total, 0);
    st = run(other, "q-1", 9, third, &snap);
    assert_true(st->bytes_read > 0);
    snapshot_free(snap);
    deltalog_collector.state_free(third);
    free(other);
    /* damaged or of another layout: not understood, and the state is a fresh one */
    for (size_t k = 0; k < total; k++)
        deltalog_collector.state_free(taken(blob, k, -1));
    unsigned char *longer = xcalloc(total + 1, 1);
    memcpy(longer, blob, total);
    deltalog_collector.state_free(taken(longer, total + 1, -1));
    memcpy(longer, "DLC0", 4);
    deltalog_collector.state_free(taken(longer, total, -1));
    memcpy(longer, "DLC1", 4); /* the layout before the folder's stamp */
    deltalog_collector.state_free(taken(longer, total, -1));
    memcpy(longer, blob, total);
    longer[4 + 8 + 8 + 17 * 8 + 16] = 4; /* the flags byte: an unknown flag */
    deltalog_collector.state_free(taken(longer, total, -1));
    memcpy(longer, blob, total);
    int64_t neg = -1; /* the listing's time */
    memcpy(longer + 4 + 8 + 8 + 16 * 8, &neg, 8);
    deltalog_collector.state_free(taken(longer, total, -1));
    memcpy(longer, blob, total);
    int64_t bad = -5; /* seen */
    memcpy(longer + 20, &bad, 8);
    third = taken(longer, total, -1);
    st = run(dir, "q-1", 9, third, &snap);
    assert_true(st->bytes_read > 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 1);
    snapshot_free(snap);
    deltalog_collector.state_free(third);
    free(longer);
    deltalog_collector.state_free(state);
    free(blob);
    free(dir);
}

static void count_listing(const char *path, void *ctx)
{
    (void)path;
    ++*(int *)ctx;
}

/* Same figures, warnings and errors from two passes. */
static void assert_same(const struct snap_stream *a, const struct snap_stream *b)
{
    for (int m = 0; m < METRIC_COUNT; m++) {
        if (isnan(a->metrics[m]))
            assert_true(isnan(b->metrics[m]));
        else
            assert_true(a->metrics[m] == b->metrics[m]);
    }
    assert_int_equal(a->sink_schema.version, b->sink_schema.version);
    assert_int_equal(a->sink_schema.appeared_ms, b->sink_schema.appeared_ms);
    const struct strvec *va[] = {&a->warnings, &a->errors, &a->sink_schema.fields,
                                 &a->sink_schema.changes};
    const struct strvec *vb[] = {&b->warnings, &b->errors, &b->sink_schema.fields,
                                 &b->sink_schema.changes};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(va[k]->n, vb[k]->n);
        for (size_t i = 0; i < va[k]->n; i++)
            assert_string_equal(va[k]->v[i], vb[k]->v[i]);
    }
}

/* A cron pass over an unchanged log (its folder's mtime the one listed, on a disk file system)
 * lists nothing and reads nothing, and gives the figures and warnings of a cold pass; a file
 * added (the folder's mtime moved) is listed and read; a listing taken right after the folder
 * changed, one older than full_listing_every, and a cursor of another sink are not reused. */
static void test_cursor_stamp(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("deltastamp");
    /* a log cleaned past its start: the first read's warnings say what is unknown */
    write_str(dir, "_delta_log/00000000000000000003.json",
              "{\"commitInfo\":{\"timestamp\":1795341000000,\"operation\":\"WRITE\"}}\n");
    write_str(dir, "_delta_log/00000000000000000004.json",
              "{\"commitInfo\":{\"timestamp\":1795341060000,\"operation\":\"STREAMING UPDATE\","
              "\"operationParameters\":{\"queryId\":\"q-1\",\"epochId\":\"7\"},"
              "\"operationMetrics\":{\"numOutputRows\":\"1000\",\"numAddedFiles\":\"2\"}}}\n");
    int64_t real = clock_real_ms();
    touch_ms(dir, "_delta_log", real - 60000);
    int listings = 0;
    fs_set_listed_hook(count_listing, &listings);
    void *state = deltalog_collector.state_new();
    struct snapshot *cold_snap, *snap;
    struct snap_stream *cold = run(dir, "q-1", 9, state, &cold_snap);
    assert_int_equal(listings, 1);
    assert_int_equal(cold->errors.n, 0);
    assert_int_equal(cold->warnings.n, 2); /* schema and txn unknown */
    unsigned char *blob;
    size_t total;
    void *again = delta_round_trip(state, 11, &blob, &total);
    listings = 0;
    struct snap_stream *st = run(dir, "q-1", 9, again, &snap);
    assert_int_equal(listings, 0);
    assert_true(st->bytes_read == 0);
    assert_same(cold, st);
    snapshot_free(snap);
    assert_int_equal(deltalog_collector.cursor_size(again), 0); /* nothing changed */
    /* in the same process too */
    listings = 0;
    st = run(dir, "q-1", 9, state, &snap);
    assert_int_equal(listings, 0);
    assert_same(cold, st);
    snapshot_free(snap);
    deltalog_collector.state_free(again);
    /* a listing older than full_listing_every is taken again */
    full_every_ms = 1;
    again = taken(blob, total, 0);
    nanosleep(&(struct timespec){.tv_nsec = 5000000}, NULL); /* the listing is 5 ms old at least */
    listings = 0;
    st = run(dir, "q-1", 9, again, &snap);
    assert_int_equal(listings, 1);
    assert_true(st->bytes_read == 0); /* the same log: still nothing read */
    assert_same(cold, st);
    snapshot_free(snap);
    deltalog_collector.state_free(again);
    full_every_ms = 3600000;
    /* a new commit, the folder's mtime moved (to an older time, so not racy) */
    const char *v5 = "{\"commitInfo\":{\"timestamp\":1795341120000,\"operation\":\"STREAMING "
                     "UPDATE\",\"operationParameters\":{\"queryId\":\"q-1\",\"epochId\":\"8\"}}}\n";
    write_str(dir, "_delta_log/00000000000000000005.json", v5);
    touch_ms(dir, "_delta_log", real - 30000);
    again = taken(blob, total, 0);
    listings = 0;
    st = run(dir, "q-1", 9, again, &snap);
    assert_int_equal(listings, 1);
    assert_true(st->bytes_read == strlen(v5));
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == 480);
    snapshot_free(snap);
    /* its new stamp is kept and holds in the next process */
    free(blob);
    void *next = delta_round_trip(again, 64, &blob, &total);
    listings = 0;
    st = run(dir, "q-1", 9, next, &snap);
    assert_int_equal(listings, 0);
    assert_true(st->bytes_read == 0);
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == 480);
    snapshot_free(snap);
    deltalog_collector.state_free(next);
    deltalog_collector.state_free(again);
    /* a folder changed a moment before its listing (racy): the listing is not reused */
    write_str(dir, "_delta_log/00000000000000000006.json", v5);
    deltalog_collector.state_free(state);
    state = deltalog_collector.state_new();
    run(dir, "q-1", 9, state, &snap);
    snapshot_free(snap);
    free(blob);
    again = delta_round_trip(state, 64, &blob, &total);
    listings = 0;
    st = run(dir, "q-1", 9, again, &snap);
    assert_int_equal(listings, 1);
    assert_true(st->bytes_read == 0);
    snapshot_free(snap);
    deltalog_collector.state_free(again);
    fs_set_listed_hook(NULL, NULL);
    snapshot_free(cold_snap);
    deltalog_collector.state_free(state);
    free(blob);
    free(dir);
}

/* Delta as a source: the real checkpoint reads reservoirVersion 8 of table 80cf57cb-...;
 * a table whose log reaches version 11 is 3 versions ahead. The landing collector leaves a
 * Delta source's `source` alone. A table with another id is named in a warning. */
static struct snap_stream *run_source(const char *ckpt, const char *source, void **states,
                                      struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.checkpoint = (char *)ckpt;
    cfg.source = (char *)source;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "s");
    checkpoint_collector.collect(&cfg, states[0], st, NOW_MS);
    landing_collector.collect(&cfg, states[1], st, NOW_MS);
    deltasource_collector.collect(&cfg, states[2], st, NOW_MS);
    return st;
}

static void test_delta_source(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    char *ckpt = xasprintf("%s/user-checkpoints/cryptoquant-silver-delta-source", fx);
    char *dir = scratch_dir("dsrc");
    for (int v = 0; v <= 11; v++) {
        char rel[64];
        snprintf(rel, sizeof rel, "_delta_log/%020d.json", v);
        write_str(dir, rel,
                  v == 0 ? "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
                           "{\"metaData\":{\"id\":\"80cf57cb-90f7-4689-aedb-a0b183011fa5\","
                           "\"format\":{\"provider\":\"parquet\"},\"schemaString\":"
                           "\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[]}\"}}\n"
                         : "{\"commitInfo\":{\"operation\":\"WRITE\"}}\n");
    }
    write_str(dir, "part-00000-x.snappy.parquet", "PAR1");
    void *states[3] = {checkpoint_collector.state_new(), landing_collector.state_new(),
                       deltasource_collector.state_new()};
    struct snapshot *snap;
    struct snap_stream *st = run_source(ckpt, dir, states, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(warnings_but_copied((const char *const *)st->warnings.v, st->warnings.n), 0);
    /* offsets/5 is {"reservoirVersion":8,"index":-1}: 8 is unread too, so 8..11 */
    assert_true(st->metrics[M_BACKLOG_VERSIONS] == 4);
    assert_int_equal(st->origin[M_BACKLOG_VERSIONS], ORIGIN_STORAGE);
    assert_true(isnan(st->metrics[M_BACKLOG_FILES])); /* the table's parquet is not a backlog */
    snapshot_free(snap);
    for (int i = 0; i < 3; i++)
        (i == 0   ? checkpoint_collector
         : i == 1 ? landing_collector
                  : deltasource_collector)
            .state_free(states[i]);

    char *other = xasprintf("%s/delta-logs/cryptoquant-medallion-bronze-market", fx);
    states[0] = checkpoint_collector.state_new();
    states[1] = landing_collector.state_new();
    states[2] = deltasource_collector.state_new();
    st = run_source(ckpt, other, states, &snap);
    assert_true(st->metrics[M_BACKLOG_VERSIONS] == 0);
    assert_int_equal(warnings_but_copied((const char *const *)st->warnings.v, st->warnings.n), 1);
    bool other_table = false;
    for (size_t i = 0; i < st->warnings.n; i++)
        other_table |= strstr(st->warnings.v[i], "the checkpoint reads table 80cf57cb") != NULL;
    assert_true(other_table);
    snapshot_free(snap);
    for (int i = 0; i < 3; i++)
        (i == 0   ? checkpoint_collector
         : i == 1 ? landing_collector
                  : deltasource_collector)
            .state_free(states[i]);
    free(other);
    free(ckpt);
    free(dir);
}

/* Issue 13, 7(b): a negative index points before the first file of reservoirVersion, which
 * therefore counts as unread (newest - R gave 0 when newest == R). The live suite saw Delta
 * 4.0.0's caught-up reader sit at (newest + 1, -1), which counts 0. */
static void test_delta_source_index(void **unused)
{
    (void)unused;
    static const struct {
        int64_t newest;
        const char *offset;
        double want;
    } cases[] = {
        {5, "{\"sourceVersion\":1,\"reservoirVersion\":5,\"index\":-1}", 1},
        {7, "{\"sourceVersion\":1,\"reservoirVersion\":5,\"index\":-1}", 3},
        {5, "{\"sourceVersion\":3,\"reservoirVersion\":5,\"index\":-100}", 1},
        {5, "{\"sourceVersion\":3,\"reservoirVersion\":5,\"index\":-20}", 1},
        {5, "{\"sourceVersion\":1,\"reservoirVersion\":5,\"index\":3}", 0}, /* partly read */
        {7, "{\"sourceVersion\":1,\"reservoirVersion\":5,\"index\":3}", 2},
        {4, "{\"sourceVersion\":1,\"reservoirVersion\":5,\"index\":-1}", 0}, /* caught up */
        {5, "{\"reservoirVersion\":5}", 0},                                  /* no index */
        {5, "not json", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double got = deltalog_source_backlog(cases[i].newest, cases[i].offset, 5);
        if (got != cases[i].want)
            fail_msg("case %zu: %s newest %lld: got %g, want %g", i, cases[i].offset,
                     (long long)cases[i].newest, got, cases[i].want);
    }
    assert_true(isnan(deltalog_source_backlog(5, "{}", NAN)));
}

/* ---- a log cleaned past its checkpoint --------------------------------------------------
 * tests/fixtures/live/spark-4.0.0/cleaned: Delta 4.0.0 deleted versions 0-5 itself; no commit
 * left has the metaData or the query's txn, the checksums 6.crc and 7.crc do. What Delta's own
 * reader said of it (DeltaLog.forTable) is in its expected.json. */
#define CLEANED "tests/fixtures/live/spark-4.0.0/cleaned"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    struct buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    char *s = xmalloc(b.len + 1); /* whole: a checkpoint's parquet has NUL bytes */
    memcpy(s, buf_str(&b), b.len);
    s[b.len] = '\0';
    buf_done(&b);
    return s;
}

static cJSON *expected(void)
{
    char *text = slurp(CLEANED "/expected.json", NULL);
    cJSON *o = cJSON_Parse(text);
    free(text);
    assert_non_null(o);
    return o;
}

/* Delta's StructType fields as streamtop's "path: type" lines (nested structs by dotted path). */
static void delta_lines(const cJSON *fields, const char *prefix, struct strvec *out)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
    {
        const char *name = cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring;
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "type");
        bool nullable = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "nullable"));
        char *path = *prefix ? xasprintf("%s.%s", prefix, name) : xstrdup(name);
        const char *tname = cJSON_IsString(type) ? type->valuestring : "struct";
        strvec_pushf(out, "%s: %s%s", path, tname, nullable ? "" : " not null");
        if (cJSON_IsObject(type))
            delta_lines(cJSON_GetObjectItemCaseSensitive(type, "fields"), path, out);
        free(path);
    }
}

/* The fixture's _delta_log copied to a scratch table, without the checksums (and their Hadoop
 * sidecars) unless keep_crc. */
static char *copy_cleaned(bool keep_crc)
{
    char *dir = scratch_dir("cleaned");
    DIR *d = opendir(CLEANED "/_delta_log");
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' && (n < 5 || e->d_name[1] == '.' || n == 1))
            continue;
        if (strcmp(e->d_name, "_staged_commits") == 0 || strcmp(e->d_name, ".") == 0 ||
            strcmp(e->d_name, "..") == 0)
            continue;
        if (!keep_crc && n > 4 && strcmp(e->d_name + n - 4, ".crc") == 0)
            continue;
        char *src = xasprintf("%s/_delta_log/%s", CLEANED, e->d_name);
        size_t len;
        char *text = slurp(src, &len);
        char *rel = xasprintf("_delta_log/%s", e->d_name);
        char *dst = xasprintf("%s/%s", dir, rel);
        write_str(dir, rel, ""); /* makes _delta_log/ */
        write_text(dst, text, len);
        free(dst);
        free(rel);
        free(text);
        free(src);
    }
    closedir(d);
    return dir;
}

static bool has_warning(const struct snap_stream *st, const char *a, const char *b)
{
    for (size_t i = 0; i < st->warnings.n; i++)
        if (strstr(st->warnings.v[i], a) && (!b || strstr(st->warnings.v[i], b)))
            return true;
    return false;
}

static void dump_warnings(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->errors.n; i++)
        fprintf(stderr, "error: %s\n", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", st->warnings.v[i]);
}

/* The schema and the sink's txn come from 7.crc and equal what Delta read. */
static void check_from_checksum(const struct snap_stream *st, const cJSON *want, double last)
{
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(want, "delta");
    const char *qid = cJSON_GetObjectItemCaseSensitive(want, "query_id")->valuestring;
    const cJSON *txn = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(delta, "transactions"), qid);
    assert_true(cJSON_IsNumber(txn));
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == last - txn->valuedouble);
    struct strvec lines;
    strvec_init(&lines);
    delta_lines(cJSON_GetObjectItemCaseSensitive(delta, "fields"), "", &lines);
    assert_true(lines.n >= 4);
    assert_int_equal(st->sink_schema.fields.n, lines.n);
    for (size_t i = 0; i < lines.n; i++)
        assert_string_equal(st->sink_schema.fields.v[i], lines.v[i]);
    strvec_done(&lines);
    /* which commit set the schema is gone with the log: no version, no age */
    assert_int_equal(st->sink_schema.version, -1);
    assert_true(isnan(st->metrics[M_SCHEMA_VERSION]));
}

static void test_cleaned_log(void **unused)
{
    (void)unused;
    cJSON *want = expected();
    const char *qid = cJSON_GetObjectItemCaseSensitive(want, "query_id")->valuestring;
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(want, "delta");
    /* the fixture is what the PROVENANCE says: commits 6 and 7 only, and neither has them */
    char *c6 = slurp(CLEANED "/_delta_log/00000000000000000006.json", NULL);
    char *c7 = slurp(CLEANED "/_delta_log/00000000000000000007.json", NULL);
    assert_null(strstr(c6, "\"metaData\""));
    assert_null(strstr(c7, "\"txn\""));
    free(c6);
    free(c7);

    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(CLEANED, qid, 10, state, &snap);
    dump_warnings(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    check_from_checksum(st, want, 10);
    snapshot_free(snap);
    /* a second pass reads nothing new and keeps them */
    st = run(CLEANED, qid, 11, state, &snap);
    assert_int_equal(st->warnings.n, 0);
    check_from_checksum(st, want, 11);
    snapshot_free(snap);
    deltalog_collector.state_free(state);

    /* the checksum itself, parsed alone: Delta's table id, schemaString and txn */
    size_t len;
    char *text = slurp(CLEANED "/_delta_log/00000000000000000007.crc", &len);
    struct delta_crc c;
    struct st_err err;
    deltacrc_init(&c);
    assert_int_equal(deltacrc_parse(text, len, qid, &c, &err), 0);
    assert_true(c.seen_all && c.has_metadata && c.has_txns && c.has_txn);
    assert_string_equal(c.table_id,
                        cJSON_GetObjectItemCaseSensitive(delta, "table_id")->valuestring);
    assert_string_equal(c.schema,
                        cJSON_GetObjectItemCaseSensitive(delta, "schema_string")->valuestring);
    assert_true((double)c.txn_version ==
                cJSON_GetObjectItemCaseSensitive(
                    cJSON_GetObjectItemCaseSensitive(delta, "transactions"), qid)
                    ->valuedouble);
    deltacrc_done(&c);
    /* another query has no entry: known to have none */
    deltacrc_init(&c);
    assert_int_equal(deltacrc_parse(text, len, "another-query", &c, &err), 0);
    assert_true(c.has_txns && !c.has_txn && c.txn_version == -1);
    deltacrc_done(&c);
    free(text);
    cJSON_Delete(want);
}

/* Without the checksums, neither a commit nor a checksum has them: a warning each, naming the
 * folder; not an error, no made-up figure. */
static void test_cleaned_log_without_crc(void **unused)
{
    (void)unused;
    cJSON *want = expected();
    const char *qid = cJSON_GetObjectItemCaseSensitive(want, "query_id")->valuestring;
    char *dir = copy_cleaned(false);
    char *logdir = xasprintf("%s/_delta_log", dir);
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, qid, 10, state, &snap);
    dump_warnings(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 2);
    assert_true(has_warning(st, logdir,
                            "the table's schema is unknown: the log was cleaned past "
                            "its checkpoint (oldest commit 6)"));
    assert_true(has_warning(st, logdir, "sink_lag_batches unmeasurable"));
    assert_true(has_warning(st, qid, "no version checksum (<version>.crc) has setTransactions"));
    assert_true(isnan(st->metrics[M_SINK_LAG_BATCHES]));
    assert_int_equal(st->sink_schema.fields.n, 0);
    assert_int_equal(st->sink_schema.version, -1);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    /* without a query (no checkpoint): only the schema is missed */
    state = deltalog_collector.state_new();
    st = run(dir, NULL, NAN, state, &snap);
    assert_int_equal(st->warnings.n, 1);
    assert_true(has_warning(st, logdir, "schema is unknown"));
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(logdir);
    free(dir);
    cJSON_Delete(want);
}

static void put_crc(const char *dir, int v, const char *text, size_t len)
{
    char *path = xasprintf("%s/_delta_log/%020d.crc", dir, v);
    write_text(path, text, len);
    free(path);
}

/* A checksum that is garbage, cut short or over the cap: a warning naming it, no crash; an
 * older good one is used instead; one over the cap that has what is needed early still serves. */
static void test_bad_checksums(void **unused)
{
    (void)unused;
    cJSON *want = expected();
    const char *qid = cJSON_GetObjectItemCaseSensitive(want, "query_id")->valuestring;
    size_t len6, len7;
    char *crc6 = slurp(CLEANED "/_delta_log/00000000000000000006.crc", &len6);
    char *crc7 = slurp(CLEANED "/_delta_log/00000000000000000007.crc", &len7);
    char *dir = copy_cleaned(false);
    char *name7 = xasprintf("%s/_delta_log/00000000000000000007.crc", dir);
    char *name6 = xasprintf("%s/_delta_log/00000000000000000006.crc", dir);
    /* over the cap, allFiles first: metadata beyond the 8 MiB read */
    size_t big = 9u * 1024 * 1024;
    char *huge = xmalloc(big + len7 + 64);
    size_t n = (size_t)snprintf(huge, 64, "{\"allFiles\":[");
    while (n < big) {
        memcpy(huge + n, "{\"path\":\"part-0.parquet\",\"size\":1},", 35);
        n += 35;
    }
    huge[n - 1] = ']'; /* the last comma */
    huge[n++] = ',';
    memcpy(huge + n, crc7 + 1, len7 - 1); /* the real members after it */
    n += len7 - 1;
    static const struct {
        const char *text; /* NULL: huge */
        size_t len;
        const char *says;
    } bad[] = {
        {"not json\x01\x02", 10, "not a JSON object"},
        {"{\"metadata\":{\"id\":\"x\"},\"protocol\":{}}", 36,
         "metadata is not an object with a "
         "schemaString"},
        {"{\"setTransactions\":[{\"appId\":7}]}", 33, "setTransactions[0] has no appId"},
        {"{\"metadata\" 1}", 14, "':' expected"},
        {"", 0, "not a JSON object"},
        {NULL, 0, "larger than the 8388608-byte limit for a checksum, and its metadata"},
        {NULL, 1, "truncated (ends inside its JSON object)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i].text)
            put_crc(dir, 7, bad[i].text, bad[i].len);
        else if (bad[i].len == 0)
            put_crc(dir, 7, huge, n);
        else
            put_crc(dir, 7, crc7, 200); /* cut inside metadata */
        void *state = deltalog_collector.state_new();
        struct snapshot *snap;
        struct snap_stream *st = run(dir, qid, 10, state, &snap);
        if (!has_warning(st, name7, bad[i].says)) {
            dump_warnings(st);
            fail_msg("case %zu: no warning naming %s: %s", i, name7, bad[i].says);
        }
        assert_int_equal(st->errors.n, 0);
        assert_true(has_warning(st, "schema is unknown", NULL));
        snapshot_free(snap);
        deltalog_collector.state_free(state);
    }
    /* a bad newest checksum, a good older one (6, whose later commit 7 was read): used */
    put_crc(dir, 7, "{\"metadata\":", 12);
    put_crc(dir, 6, crc6, len6);
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, qid, 10, state, &snap);
    assert_int_equal(st->warnings.n, 1);
    assert_true(has_warning(st, name7, "truncated"));
    assert_false(has_warning(st, name6, NULL));
    check_from_checksum(st, want, 10);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    /* over the cap with what is needed first (Delta's order): no warning, both read */
    memcpy(huge, crc7, len7 - 1);
    n = len7 - 1;
    memcpy(huge + n, ",\"more\":[", 9);
    n += 9;
    while (n < big) {
        memcpy(huge + n, "{\"path\":\"part-0.parquet\",\"size\":1},", 35);
        n += 35;
    }
    huge[n - 1] = ']';
    huge[n++] = '}';
    put_crc(dir, 7, huge, n);
    unlink(name6);
    state = deltalog_collector.state_new();
    st = run(dir, qid, 10, state, &snap);
    dump_warnings(st);
    assert_int_equal(st->warnings.n, 0);
    check_from_checksum(st, want, 10);
    assert_true(st->bytes_read < 8u * 1024 * 1024 + 64 * 1024); /* the cap, and the commits */
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(huge);
    free(name6);
    free(name7);
    free(crc6);
    free(crc7);
    free(dir);
    cJSON_Delete(want);
}

/* The member scanner: order, escapes, null, cut anywhere. */
static void test_crc_parse(void **unused)
{
    (void)unused;
    static const char md[] = "\"metadata\":{\"id\":\"t\",\"schemaString\":\"{}\"}";
    static const char tx[] =
        "\"setTransactions\":[{\"appId\":\"q\",\"version\":4},{\"appId\":\"r\",\"version\":9}]";
    char text[512];
    struct delta_crc c;
    struct st_err err;
    /* any order, a skipped string holding brackets, quotes and escapes */
    snprintf(text, sizeof text, "{\"a\":\"}]\\\"[{\",%s , \"n\" : -1.5e3,\"o\":[[],{}], %s}", tx,
             md);
    deltacrc_init(&c);
    assert_int_equal(deltacrc_parse(text, strlen(text), "q", &c, &err), 0);
    assert_true(c.seen_all && c.has_metadata && c.has_txn && c.txn_version == 4);
    assert_string_equal(c.schema, "{}");
    assert_string_equal(c.table_id, "t");
    deltacrc_done(&c);
    /* every prefix: no crash, never "all seen" before both members are whole */
    size_t full = strlen(text);
    for (size_t k = 0; k < full; k++) {
        deltacrc_init(&c);
        int rc = deltacrc_parse(text, k, "q", &c, &err);
        assert_true(rc == 0 || k <= 1);
        if (c.seen_all) /* only once the last member is whole */
            assert_true(c.has_metadata && c.has_txns && k == full - 1);
        deltacrc_done(&c);
    }
    /* null setTransactions: as absent; query NULL takes the last entry */
    snprintf(text, sizeof text, "{\"setTransactions\":null,%s}", md);
    deltacrc_init(&c);
    assert_int_equal(deltacrc_parse(text, strlen(text), "q", &c, &err), 0);
    assert_true(c.seen_all && c.has_metadata && !c.has_txns);
    deltacrc_done(&c);
    snprintf(text, sizeof text, "{%s}", tx);
    deltacrc_init(&c);
    assert_int_equal(deltacrc_parse(text, strlen(text), NULL, &c, &err), 0);
    assert_true(c.has_txn && c.txn_version == 9 && !c.has_metadata);
    deltacrc_done(&c);
    static const char *const bad[] = {
        "[]",
        "{\"metadata\":[]}",
        "{\"setTransactions\":{}}",
        "{\"a\":1,}",
        "{\"setTransactions\":[{\"appId\":\"q\",\"version\":1.5}]}",
        "{\"a\" 1}",
        "{,}",
        "{\"metadata\":{\"schemaString\":\"x\"} x}",
        "{\"setTransactions\":[{\"appId\":\"q\",\"version\":1e300}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        deltacrc_init(&c);
        if (deltacrc_parse(bad[i], strlen(bad[i]), "q", &c, &err) != -1)
            fail_msg("%s: accepted", bad[i]);
        assert_int_equal(err.code, ST_EFORMAT);
        deltacrc_done(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_logs),
        cmocka_unit_test(test_growing_log),
        cmocka_unit_test(test_delta_source),
        cmocka_unit_test(test_delta_source_index),
        cmocka_unit_test(test_cleaned_log),
        cmocka_unit_test(test_cleaned_log_without_crc),
        cmocka_unit_test(test_bad_checksums),
        cmocka_unit_test(test_crc_parse),
        cmocka_unit_test(test_cursor_across_processes),
        cmocka_unit_test(test_cursor_stamp),
    };
    return cmocka_run_group_tests_name("deltalog", tests, NULL, NULL);
}
