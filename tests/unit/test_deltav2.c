/* Delta 4.x logs, hand-made from PROTOCOL.md (delta-io/delta @ bb1057f4): the newest version
 * checksum read before the commits, _last_checkpoint's v2Checkpoint.nonFileActions, UUID-named
 * JSON v2 checkpoints with _sidecars/, log-compaction files, inCommitTimestamp, and
 * catalog-managed tables (which cannot be produced here: their on-disk shape is built from
 * PROTOCOL.md "Catalog-managed tables"). */
#include "testutil.h"

#include <math.h>

#include "collectors/collector.h"
#include "collectors/deltafiles.h"
#include "collectors/deltalog.h"

#define NOW_MS 1795341600000LL
#define UUID1  "80a083e8-7026-4e79-81be-64bd76c43a11"
#define SCHEMA                                                                                     \
    "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":"          \
    "\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}"
#define MD_OBJ                                                                                     \
    "{\"id\":\"t-1\",\"schemaString\":\"" SCHEMA "\",\"configuration\":{"                          \
    "\"delta.enableInCommitTimestamps\":\"true\"}}"
#define MD "{\"metaData\":" MD_OBJ "}"
#define PROTO_CM_OBJ                                                                               \
    "{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"catalogManaged\","       \
    "\"v2Checkpoint\"],\"writerFeatures\":[\"catalogManaged\",\"inCommitTimestamp\","              \
    "\"v2Checkpoint\"]}"
#define PROTO_CM "{\"protocol\":" PROTO_CM_OBJ "}"

static struct snap_stream *run(const char *sink, const char *qid, double last, void *state,
                               struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.sink = (char *)sink;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "s");
    st->query_id = qid ? xstrdup(qid) : NULL;
    st->metrics[M_LAST_BATCH_ID] = last;
    deltalog_collector.collect(&cfg, state, st, NOW_MS);
    return st;
}

static void dump(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->errors.n; i++)
        fprintf(stderr, "error: %s\n", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", st->warnings.v[i]);
}

static bool has_warning(const struct snap_stream *st, const char *a, const char *b)
{
    for (size_t i = 0; i < st->warnings.n; i++)
        if (strstr(st->warnings.v[i], a) && (!b || strstr(st->warnings.v[i], b)))
            return true;
    return false;
}

/* A STREAMING UPDATE of query q for batch `epoch` at version v; its inCommitTimestamp is
 * 500 s before its commitInfo.timestamp when ict. */
static void put_stream_commit(const char *dir, int64_t v, int64_t epoch, bool ict,
                              const char *extra)
{
    char rel[64], text[1024];
    snprintf(rel, sizeof rel, "_delta_log/%020lld.json", (long long)v);
    long long ts = 1795341000000LL + v * 1000;
    char ictf[64] = "";
    if (ict)
        snprintf(ictf, sizeof ictf, "\"inCommitTimestamp\":%lld,", ts - 500000);
    snprintf(text, sizeof text,
             "{\"commitInfo\":{%s\"timestamp\":%lld,\"operation\":\"STREAMING UPDATE\","
             "\"operationParameters\":{\"outputMode\":\"Append\",\"queryId\":\"q\",\"epochId\":"
             "\"%lld\"},\"operationMetrics\":{\"numOutputRows\":\"10\"}}}\n"
             "{\"txn\":{\"appId\":\"q\",\"version\":%lld,\"lastUpdated\":%lld}}\n%s",
             ictf, ts, (long long)epoch, (long long)epoch, ts, extra ? extra : "");
    write_str(dir, rel, text);
}

static char *crc_text(int64_t txn, const char *proto)
{
    return xasprintf("{\"txnId\":\"x\",\"tableSizeBytes\":1,\"numFiles\":1,\"numMetadata\":1,"
                     "\"numProtocol\":1,\"setTransactions\":[{\"appId\":\"q\",\"version\":%lld,"
                     "\"lastUpdated\":1}],\"metadata\":%s,\"protocol\":%s}",
                     (long long)txn, MD_OBJ, proto);
}

/* Names: only <v>.json is a commit. */
static void test_classify(void **unused)
{
    (void)unused;
    static const struct {
        const char *name;
        enum delta_file kind;
        int64_t v, y;
    } t[] = {
        {"00000000000000000010.json", DF_COMMIT, 10, -1},
        {"00000000000000000010.crc", DF_CRC, 10, -1},
        {"00000000000000000010.checkpoint.parquet", DF_CHECKPOINT, 10, -1},
        {"00000000000000000010.checkpoint.0000000001.0000000003.parquet", DF_CHECKPOINT, 10, -1},
        {"00000000000000000010.checkpoint." UUID1 ".json", DF_CHECKPOINT_JSON, 10, -1},
        {"00000000000000000020.checkpoint." UUID1 ".parquet", DF_CHECKPOINT_V2, 20, -1},
        {"00000000000000000004.00000000000000000006.compacted.json", DF_COMPACTED, 4, 6},
        {"00000000000000000006.00000000000000000004.compacted.json", DF_OTHER, -1, -1},
        {"00000000000000000007." UUID1 ".json", DF_STAGED, 7, -1},
        {"_last_checkpoint", DF_LAST_CHECKPOINT, -1, -1},
        {"0000000000000000010.json", DF_OTHER, -1, -1},
        {"00000000000000000010.checkpoint.not-a-uuid.json", DF_OTHER, -1, -1},
        {"99999999999999999999.json", DF_OTHER, -1, -1},
        {".00000000000000000010.json.crc", DF_OTHER, -1, -1},
        {"_sidecars", DF_OTHER, -1, -1},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int64_t v, y;
        enum delta_file k = deltafiles_classify(t[i].name, &v, &y);
        if (k != t[i].kind || v != t[i].v || y != t[i].y)
            fail_msg("%s: kind %d v %lld y %lld", t[i].name, (int)k, (long long)v, (long long)y);
    }
}

/* A long log with the newest checksum at its newest version: the schema and txn come from the
 * checksum, only the newest commits are read (the back look for the commit that set the
 * schema stops at 50), and a compaction, a JSON v2 checkpoint and its sidecar are not commits.
 * Commit times are the inCommitTimestamps. */
static void test_checksum_first(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("delta-crc-first");
    write_str(dir, "_delta_log/00000000000000000000.json", MD "\n");
    for (int v = 1; v <= 300; v++)
        put_stream_commit(dir, v, v - 1, true, NULL);
    char *crc = crc_text(299, "{\"minReaderVersion\":1,\"minWriterVersion\":7}");
    write_str(dir, "_delta_log/00000000000000000300.crc", crc);
    write_str(dir, "_delta_log/00000000000000000290.00000000000000000305.compacted.json",
              "{\"txn\":{\"appId\":\"q\",\"version\":9999}}\n");
    write_str(dir, "_delta_log/00000000000000000310.checkpoint." UUID1 ".json",
              "{\"checkpointMetadata\":{\"version\":310}}\n");
    write_str(dir, "_delta_log/_sidecars/016ae953-37a9-438e-8683-9a9a4a79a395.parquet", "PAR1");
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, "q", 305, state, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 6); /* 305 - 299 */
    /* commit 300's inCommitTimestamp, not its timestamp or the file's mtime */
    double ict = 1795341000000.0 + 300 * 1000 - 500000;
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == ((double)NOW_MS - ict) / 1000);
    assert_int_equal(st->sink_schema.fields.n, 1);
    assert_int_equal(st->sink_schema.version, -1); /* its commit (0) is beyond the look */
    /* the checksum, the newest commit and 50 before it, not 250 */
    assert_true(st->bytes_read < 60 * 400 + strlen(crc));
    snapshot_free(snap);
    /* the next pass reads on: commit 301, epoch 300 */
    put_stream_commit(dir, 301, 300, true, NULL);
    st = run(dir, "q", 305, state, &snap);
    assert_int_equal(st->warnings.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 5);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(crc);
    free(dir);
}

/* A log cleaned past a v2 checkpoint: _last_checkpoint's nonFileActions (metaData, protocol,
 * txn) serve without opening the checkpoint; without them, the UUID-named JSON checkpoint is
 * read (its sidecars are not). */
static void test_v2_checkpoint(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("delta-v2");
    put_stream_commit(dir, 11, 90, false, NULL);
    write_str(dir, "_delta_log/00000000000000000012.json",
              "{\"commitInfo\":{\"timestamp\":1795341000000,\"operation\":\"WRITE\"}}\n");
    write_str(dir, "_delta_log/_last_checkpoint",
              "{\"version\":10,\"size\":5,\"sizeInBytes\":900,\"v2Checkpoint\":{\"path\":"
              "\"00000000000000000010.checkpoint." UUID1 ".json\",\"sizeInBytes\":900,"
              "\"modificationTime\":1,\"nonFileActions\":[{\"checkpointMetadata\":{\"version\":"
              "10}}," MD ",{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7}},"
              "{\"txn\":{\"appId\":\"q\",\"version\":89}}],\"sidecarFiles\":[]}}");
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, "q", 95, state, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 5); /* commit 11's txn 90 */
    assert_int_equal(st->sink_schema.fields.n, 1);
    snapshot_free(snap);
    deltalog_collector.state_free(state);

    /* without nonFileActions and without commit 11's txn: the JSON checkpoint */
    write_str(dir, "_delta_log/_last_checkpoint",
              "{\"version\":10,\"size\":5,\"v2Checkpoint\":{\"path\":\"00000000000000000010."
              "checkpoint." UUID1 ".json\",\"sizeInBytes\":900,\"modificationTime\":1}}");
    write_str(dir, "_delta_log/00000000000000000011.json",
              "{\"commitInfo\":{\"timestamp\":1795341000000,\"operation\":\"WRITE\"}}\n");
    write_str(dir, "_delta_log/00000000000000000010.checkpoint." UUID1 ".json",
              "{\"checkpointMetadata\":{\"version\":10,\"tags\":{}}}\n" MD "\n" PROTO_CM "\n"
              "{\"txn\":{\"appId\":\"q\",\"version\":88}}\n"
              "{\"txn\":{\"appId\":\"other\",\"version\":3}}\n"
              "{\"sidecar\":{\"path\":\"016ae953-37a9-438e-8683-9a9a4a79a395.parquet\","
              "\"sizeInBytes\":4,\"modificationTime\":1,\"tags\":{}}}\n");
    write_str(dir, "_delta_log/_sidecars/016ae953-37a9-438e-8683-9a9a4a79a395.parquet", "PAR1");
    state = deltalog_collector.state_new();
    st = run(dir, "q", 95, state, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 7); /* 95 - 88 */
    assert_int_equal(st->sink_schema.fields.n, 1);
    /* its protocol names catalogManaged: said on the stream */
    assert_true(has_warning(st, "catalog-managed", "version 12, the newest on storage"));
    assert_int_equal(st->warnings.n, 1);
    snapshot_free(snap);
    deltalog_collector.state_free(state);

    /* a bad v2Checkpoint: a warning naming _last_checkpoint, and the checkpoint still serves */
    write_str(dir, "_delta_log/_last_checkpoint", "{\"version\":10,\"v2Checkpoint\":[1]}");
    state = deltalog_collector.state_new();
    st = run(dir, "q", 95, state, &snap);
    assert_true(has_warning(st, "_last_checkpoint", "v2Checkpoint is not an object"));
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 7);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(dir);
}

/* Versions 3..4 only in a log compaction (their commits cleaned): its metaData and txn. */
static void test_compaction(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("delta-compact");
    for (int v = 5; v <= 7; v++)
        write_str(dir,
                  v == 5   ? "_delta_log/00000000000000000005.json"
                  : v == 6 ? "_delta_log/00000000000000000006.json"
                           : "_delta_log/00000000000000000007.json",
                  "{\"commitInfo\":{\"timestamp\":1795341000000,\"operation\":\"WRITE\"}}\n");
    write_str(dir, "_delta_log/00000000000000000003.00000000000000000004.compacted.json",
              "{\"add\":{\"path\":\"f1\",\"size\":1}}\n" MD "\n"
              "{\"txn\":{\"appId\":\"q\",\"version\":41}}\n");
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, "q", 50, state, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 9);
    assert_int_equal(st->sink_schema.fields.n, 1);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    free(dir);
}

/* A catalog-managed table as PROTOCOL.md lays it out: published commits 0..3, the checksum of
 * ratified version 4 (written before it is published), staged commits up to 6 under
 * _staged_commits/ (not read). Said on the stream; version 4 is the lower bound; times are the
 * inCommitTimestamps. The same table read as a source. */
static void test_catalog_managed(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("delta-catalog");
    write_str(dir, "_delta_log/00000000000000000000.json",
              "{\"commitInfo\":{\"inCommitTimestamp\":1795341000000,\"timestamp\":1,"
              "\"operation\":\"CREATE TABLE\",\"txnId\":\"a\"}}\n" PROTO_CM "\n" MD "\n");
    for (int v = 1; v <= 3; v++)
        put_stream_commit(dir, v, v, true, NULL);
    char *crc = crc_text(4, PROTO_CM_OBJ);
    write_str(dir, "_delta_log/00000000000000000004.crc", crc);
    write_str(dir, "_delta_log/_staged_commits/00000000000000000005." UUID1 ".json", "{}\n");
    write_str(dir,
              "_delta_log/_staged_commits/00000000000000000006."
              "016ae953-37a9-438e-8683-9a9a4a79a395.json",
              "{}\n");
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(dir, "q", 6, state, &snap);
    dump(st);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 1);
    assert_true(has_warning(st, "catalog-managed table (table feature catalogManaged)",
                            "version 4, the newest on storage, is a lower bound"));
    assert_true(has_warning(st, "_staged_commits/ holds proposed versions up to 6",
                            "sink_lag_batches is an upper bound"));
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 2); /* txn 4 from checksum 4 */
    double ict = 1795341000000.0 + 3 * 1000 - 500000;
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == ((double)NOW_MS - ict) / 1000);
    snapshot_free(snap);
    /* every pass says it */
    st = run(dir, "q", 6, state, &snap);
    assert_true(has_warning(st, "catalog-managed", NULL));
    snapshot_free(snap);
    deltalog_collector.state_free(state);

    /* as a source read at (3, -1): versions 3 and 4 unread, at least */
    char *ckpt = scratch_dir("delta-catalog-ckpt");
    write_str(ckpt, "metadata", "{\"id\":\"r\"}");
    write_str(ckpt, "offsets/0",
              "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1795341000000,\"conf\":{}}\n"
              "{\"sourceVersion\":1,\"reservoirId\":\"t-1\",\"reservoirVersion\":3,\"index\":-1,"
              "\"isStartingVersion\":false}");
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.checkpoint = ckpt;
    cfg.source = dir;
    snap = snapshot_new(NOW_MS);
    st = snapshot_add_stream(snap, "s");
    void *cs = checkpoint_collector.state_new(), *ds = deltasource_collector.state_new();
    checkpoint_collector.collect(&cfg, cs, st, NOW_MS);
    deltasource_collector.collect(&cfg, ds, st, NOW_MS);
    dump(st);
    assert_true(st->metrics[M_BACKLOG_VERSIONS] == 2);
    assert_true(has_warning(st, "source", "backlog_versions is a lower bound"));
    snapshot_free(snap);
    checkpoint_collector.state_free(cs);
    deltasource_collector.state_free(ds);
    free(ckpt);
    free(crc);
    free(dir);
}

/* _last_checkpoint alone: v2Checkpoint read, bad ones refused. */
static void test_last_checkpoint_parse(void **unused)
{
    (void)unused;
    struct delta_last_checkpoint lc;
    struct st_err err;
    const char *ok = "{\"version\":7,\"size\":3,\"v2Checkpoint\":{\"path\":\"00000000000000000007."
                     "checkpoint." UUID1 ".json\",\"sizeInBytes\":1,\"modificationTime\":1,"
                     "\"nonFileActions\":[" PROTO_CM ",{\"txn\":{\"appId\":\"q\",\"version\":3}},"
                     "{\"txn\":{\"appId\":\"q\",\"version\":5}}]}}";
    assert_int_equal(deltafiles_parse_last_checkpoint(ok, strlen(ok), "q", &lc, &err), 0);
    assert_true(lc.version == 7 && lc.has_nonfile && lc.nf.has_txns && lc.nf.txn_version == 5);
    assert_true(lc.nf.catalog_managed && lc.nf.schema == NULL);
    assert_non_null(strstr(lc.v2_path, UUID1));
    deltafiles_last_checkpoint_done(&lc);
    static const char *const bad[] = {
        "{\"version\":7,\"v2Checkpoint\":{\"path\":\"../x.json\"}}",
        "{\"version\":7,\"v2Checkpoint\":{\"path\":\"a/b\",\"nonFileActions\":[]}}",
        "{\"version\":7,\"v2Checkpoint\":{\"path\":\"x\",\"nonFileActions\":{}}}",
        "{\"version\":7,\"v2Checkpoint\":3}",
        "{\"version\":-1}",
        "{}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (deltafiles_parse_last_checkpoint(bad[i], strlen(bad[i]), "q", &lc, &err) != -1)
            fail_msg("%s: accepted", bad[i]);
        assert_int_equal(err.code, ST_EFORMAT);
        assert_null(lc.v2_path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),        cmocka_unit_test(test_checksum_first),
        cmocka_unit_test(test_v2_checkpoint),   cmocka_unit_test(test_compaction),
        cmocka_unit_test(test_catalog_managed), cmocka_unit_test(test_last_checkpoint_parse),
    };
    return cmocka_run_group_tests_name("deltav2", tests, NULL, NULL);
}
