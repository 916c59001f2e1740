/* The Delta sink collector over the real Delta logs, and over a log it watches grow. */
#include "testutil.h"

#include <math.h>

#include "collectors/collector.h"
#include "collectors/deltalog.h"

#define NOW_MS 1795341600000LL

static struct snap_stream *run(const char *sink, const char *qid, double last_batch, void *state,
                               struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.sink = (char *)sink;
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
    assert_int_equal(st->warnings.n, 0);
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
    assert_int_equal(st->warnings.n, 1);
    assert_non_null(strstr(st->warnings.v[0], "the checkpoint reads table 80cf57cb"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_logs),
        cmocka_unit_test(test_growing_log),
        cmocka_unit_test(test_delta_source),
        cmocka_unit_test(test_delta_source_index),
    };
    return cmocka_run_group_tests_name("deltalog", tests, NULL, NULL);
}
