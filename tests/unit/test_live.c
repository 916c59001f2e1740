/* Checkpoints, a Delta sink log and progress files written by a live Spark 4.0.0 run of the
 * live suite (tests/fixtures/live/spark-4.0.0/PROVENANCE.md), read by every collector: the
 * figures Spark itself reported for that state (OffsetSeqLog, CommitLog, DeltaLog, lastProgress,
 * compared in tests/spark/run.py) must come out of the committed copy too. */
#include "testutil.h"

#include <math.h>

#include "collectors/collector.h"

#define NOW_MS 1800000000000LL
#define LIVE   "tests/fixtures/live/spark-4.0.0"

/* One pass of every collector that wants the stream; the caller frees the snapshot. */
static struct snap_stream *pass(struct cfg_stream *cfg, struct snapshot **snap)
{
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, cfg->name);
    for (const struct collector_ops *const *c = collector_table; *c; c++) {
        if (!(*c)->wants(cfg))
            continue;
        void *state = (*c)->state_new ? (*c)->state_new() : NULL;
        (*c)->collect(cfg, state, st, NOW_MS);
        if ((*c)->state_free)
            (*c)->state_free(state);
    }
    return st;
}

static void dump(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->errors.n; i++)
        fprintf(stderr, "error: %s\n", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", st->warnings.v[i]);
}

static void test_file_source_to_delta(void **unused)
{
    (void)unused;
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"files";
    cfg.checkpoint = (char *)LIVE "/files/checkpoint";
    cfg.sink = (char *)LIVE "/files/sink";
    cfg.progress = (char *)LIVE "/files/progress.jsonl";
    struct snapshot *snap;
    struct snap_stream *st = pass(&cfg, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_string_equal(st->query_id, "8dd8efc7-aa7a-422a-80eb-dfa101cf4fed");
    const double *m = st->metrics;
    assert_true(m[M_LAST_BATCH_ID] == 9);      /* OffsetSeqLog.getLatestBatchId */
    assert_true(m[M_COMMITTED_BATCH_ID] == 8); /* CommitLog.getLatestBatchId */
    assert_true(m[M_INFLIGHT_SECONDS] > 0);    /* batch 9 planned, never committed */
    assert_int_equal(st->nsources, 1);
    assert_int_equal(st->sources[0].kind, SRC_FILE);
    assert_true(st->sources[0].position == 9);
    assert_true(m[M_SINK_LAG_BATCHES] == 1); /* 9 - the query's txn version 8 (DeltaLog) */
    assert_true(m[M_SCHEMA_VERSION] == 0);
    /* lastProgress of batch 8 */
    assert_true(fabs(m[M_INPUT_ROWS_PER_SECOND] - 1.2850167052171677) < 1e-9);
    assert_true(fabs(m[M_PROCESSED_ROWS_PER_SECOND] - 1.516530178950561) < 1e-9);
    snapshot_free(snap);
}

static void test_kafka_to_foreach_batch(void **unused)
{
    (void)unused;
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"kafka";
    cfg.checkpoint = (char *)LIVE "/kafka/checkpoint";
    cfg.progress = (char *)LIVE "/kafka/progress.jsonl";
    struct snapshot *snap;
    struct snap_stream *st = pass(&cfg, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    const double *m = st->metrics;
    assert_true(m[M_LAST_BATCH_ID] == 14);
    assert_true(m[M_COMMITTED_BATCH_ID] == 13);
    assert_int_equal(st->nsources, 1);
    assert_int_equal(st->sources[0].kind, SRC_KAFKA);
    assert_true(st->sources[0].position == 747 + 747 + 746); /* offsets/14 */
    /* sources/0/0 begins with a NUL byte, then v1 and the starting offsets */
    assert_non_null(st->sources[0].initial_offset);
    assert_non_null(strstr(st->sources[0].initial_offset, "\"events\""));
    /* the last progress event (batch 13): sum of latestOffset - endOffset */
    assert_true(m[M_BACKLOG_RECORDS] == 3 * 2260);
    snapshot_free(snap);
}

/* Seen live: the first batch of a query took 20-30 s, and until it commits there is no Delta
 * sink and no progress file. That is a warning, not a collector error (UNKNOWN); once a batch
 * is committed a missing sink or progress file is an error again. */
static void test_before_first_commit(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("first");
    write_str(dir, "ckpt/metadata", "{\"id\":\"8dd8efc7-aa7a-422a-80eb-dfa101cf4fed\"}\n");
    write_str(dir, "ckpt/offsets/0",
              "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1796165798248,\"conf\":{}}\n"
              "{\"logOffset\":0}\n");
    char *commits = xasprintf("%s/ckpt/commits", dir); /* Spark makes it at start */
    assert_int_equal(mkdir(commits, 0755), 0);
    free(commits);
    char *ckpt = xasprintf("%s/ckpt", dir), *sink = xasprintf("%s/sink", dir),
         *prog = xasprintf("%s/progress.jsonl", dir);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"first";
    cfg.checkpoint = ckpt;
    cfg.sink = sink;
    cfg.progress = prog;
    struct snapshot *snap;
    struct snap_stream *st = pass(&cfg, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 2);
    assert_non_null(strstr(st->warnings.v[0], "has not committed a batch yet"));
    assert_non_null(strstr(st->warnings.v[1], "has not committed a batch yet"));
    assert_true(st->metrics[M_LAST_BATCH_ID] == 0);
    assert_true(isnan(st->metrics[M_SINK_LAG_BATCHES]));
    snapshot_free(snap);

    /* the sink's _delta_log/ exists a moment before its first commit file */
    char *logdir = xasprintf("%s/_delta_log", sink);
    assert_int_equal(mkdir(sink, 0755), 0);
    assert_int_equal(mkdir(logdir, 0755), 0);
    st = pass(&cfg, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 2);
    snapshot_free(snap);
    rmdir(logdir);
    rmdir(sink);
    free(logdir);

    write_str(dir, "ckpt/commits/0", "v1\n{\"nextBatchWatermarkMs\":0}\n");
    st = pass(&cfg, &snap);
    assert_int_equal(st->errors.n, 2); /* committed: now the sink and progress must be there */
    snapshot_free(snap);
    free(ckpt);
    free(sink);
    free(prog);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_source_to_delta),
        cmocka_unit_test(test_kafka_to_foreach_batch),
        cmocka_unit_test(test_before_first_commit),
    };
    return cmocka_run_group_tests_name("live", tests, NULL, NULL);
}
