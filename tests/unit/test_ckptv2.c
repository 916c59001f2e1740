/* The checkpoint formats of Spark 4.1+: offset log v2 (named sources, sourceMetadataInfo,
 * controlBatchInfo), commit log v2 (stateUniqueIds), state files named <version>_<uniqueId> with
 * JSON .crc checksums beside them, operator metadata v2 and transformWithState schema files,
 * state repartition and control batches, and a checkpoint without its metadata file. The
 * hand-made trees follow the writers in apache/spark (OffsetSeqLog.serialize, CommitLog,
 * ChecksumCheckpointFileManager, OperatorStateMetadataV2Writer); the operator metadata text is
 * the real Spark 4.0.0 file of ../shared/fixtures/real. */
#include "testutil.h"

#include <math.h>

#include "alerts/rules.h"
#include "collectors/checkpoint.h"
#include "collectors/collector.h"
#include "collectors/offsetlog.h"
#include "collectors/statelog.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "export/export.h"

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */
#define T0     (NOW_MS - 3600 * 1000LL)

static const char *meta_v2(char *out, size_t n, long long ts, int partitions, const char *control)
{
    snprintf(out, n,
             "{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":{"
             "\"spark.sql.shuffle.partitions\":\"%d\",\"spark.sql.streaming.stateStore."
             "providerClass\":\"org.apache.spark.sql.execution.streaming.state."
             "RocksDBStateStoreProvider\"},\"sourceMetadataInfo\":{\"orders\":{\"sourceId\":"
             "\"orders\",\"providerName\":\"kafka\",\"apiVersion\":\"v2\"},\"rate_in\":{"
             "\"sourceId\":\"rate_in\",\"providerName\":\"rate\",\"apiVersion\":\"v2\"}}%s}",
             ts, partitions, control ? control : "");
    return out;
}

static void test_offsetlog_v2(void **unused)
{
    (void)unused;
    char meta[1024], text[2048];
    meta_v2(meta, sizeof meta, T0, 8,
            ",\"controlBatchInfo\":{\"operationType\":\"StateRepartition\"}");
    snprintf(text, sizeof text, "v2\n%s\nrate_in:7\norders:{\"t\":{\"0\":5,\"1\":6}}", meta);
    struct offset_file f;
    struct st_err err;
    assert_int_equal(offsetlog_parse(text, strlen(text), &f, &err), 0);
    assert_int_equal(f.version, 2);
    assert_int_equal(f.nsources, 2);
    assert_string_equal(f.sources[0].id, "rate_in");
    assert_string_equal(f.sources[0].provider, "rate");
    assert_string_equal(f.sources[1].id, "orders");
    assert_string_equal(f.sources[1].provider, "kafka");
    assert_int_equal(f.shuffle_partitions, 8);
    assert_string_equal(f.control, "StateRepartition");
    assert_true(f.batch_ts_ms == T0);
    /* a copy owns its strings: it outlives the parsed file */
    struct offset_file c;
    offsetlog_copy(&c, &f);
    offsetlog_done(&f);
    assert_int_equal(c.version, 2);
    assert_int_equal(c.nsources, 2);
    assert_string_equal(c.sources[0].id, "rate_in");
    assert_string_equal(c.sources[0].json, "7");
    assert_string_equal(c.sources[1].provider, "kafka");
    assert_string_equal(c.control, "StateRepartition");
    assert_true(c.batch_ts_ms == T0);
    offsetlog_done(&c);

    /* a data batch: no controlBatchInfo; "-" after the colon is a source without an offset */
    snprintf(text, sizeof text, "v2\n%s\norders:-", meta_v2(meta, sizeof meta, T0, 8, NULL));
    assert_int_equal(offsetlog_parse(text, strlen(text), &f, &err), 0);
    assert_null(f.control);
    assert_null(f.sources[0].json);
    offsetlog_done(&f);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"v2\n{}\n:5", "empty id"},
        {"v2\n{}\na:1\na:2", "appears twice"},
        {"v2\n{}\n5", "without 'id:'"},
        {"v2\n{}\norders:{nope", "offset of source 'orders' is not JSON"},
        {"v3\n{}\na:1", "v3 is not supported"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(offsetlog_parse(bad[i].text, strlen(bad[i].text), &f, &err), -1);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("%s: got '%s', want '%s'", bad[i].text, err.msg, bad[i].msg);
    }
}

static void test_commit_and_names(void **unused)
{
    (void)unused;
    struct commit_file c;
    struct st_err err;
    /* Spark's own test file testCommitLogV2 has this shape */
    const char *v2 = "v2\n{\"nextBatchWatermarkMs\":0,\"stateUniqueIds\":{\"0\":[[\"unique_id1\","
                     "\"unique_id2\"],[\"unique_id3\",\"unique_id4\"]],\"1\":[[\"a\"],[\"b\"],"
                     "[\"c\"]]}}";
    assert_int_equal(statelog_parse_commit(v2, strlen(v2), &c, &err), 0);
    assert_int_equal(c.version, 2);
    assert_int_equal(c.noperators, 2);
    assert_int_equal(c.npartitions, 3);
    assert_true(c.state_unique_ids);
    assert_int_equal(statelog_parse_commit("v1", 2, &c, &err), 0);
    assert_int_equal(c.version, 1);
    assert_false(c.state_unique_ids);
    const char *v40 = "v1\n{\"nextBatchWatermarkMs\":1717623239519,\"stateUniqueIds\":{}}";
    assert_int_equal(statelog_parse_commit(v40, strlen(v40), &c, &err), 0);
    assert_true(c.next_wm_ms == 1717623239519LL);
    assert_false(c.state_unique_ids);
    assert_int_equal(statelog_parse_commit("v3\n{}", 5, &c, &err), -1);
    assert_non_null(strstr(err.msg, "v3 is not supported"));
    const char *badids = "v2\n{\"stateUniqueIds\":{\"0\":[\"x\"]}}";
    assert_int_equal(statelog_parse_commit(badids, strlen(badids), &c, &err), -1);
    assert_non_null(strstr(err.msg, "stateUniqueIds"));
    assert_int_equal(statelog_parse_commit("v2\n[1]", 6, &c, &err), -1);

    static const struct {
        const char *name;
        long long version; /* -1: not a state version file */
    } names[] = {
        {"20_unique_id_1.zip", 20},
        {"21_6b12d3c5-57e6-4001-8321-3ae63d6be7a0.changelog", 21},
        {"22_x.delta", 22},
        {"7.snapshot", 7},
        {"7.zip", 7},
        {"20_unique_id_1.zip.crc", -1}, /* Spark 4.1+ JSON checksum */
        {".20.zip.crc", -1},            /* Hadoop checksum */
        {"000008-5b0e.sst", -1},
        {"x_1.zip", -1},
        {"20_.zip", -1},
        {"20_a b.zip", -1},
        {".zip", -1},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int64_t v = -1;
        bool is = statelog_version_file(names[i].name, &v);
        if (is != (names[i].version >= 0) || (is && v != names[i].version))
            fail_msg("%s: got %d/%lld", names[i].name, is, (long long)v);
    }
    int64_t b;
    assert_true(statelog_schema_file("0_6b12d3c5-57e6-4001-8321-3ae63d6be7a0", &b));
    assert_int_equal(b, 0);
    assert_true(statelog_schema_file("12_ab", &b));
    assert_int_equal(b, 12);
    assert_false(statelog_schema_file("12_ab.crc", &b));
    assert_false(statelog_schema_file("schema", &b));
}

static void test_opmeta(void **unused)
{
    (void)unused;
    struct op_meta m;
    struct st_err err;
    const char *dir = fixtures_dir();
    if (dir) {
        char *p =
            xasprintf("%s/spark-checkpoints/spark-4.0.0-tws-avro/state/0/_metadata/v2/0", dir);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        char buf[8192];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        assert_int_equal(statelog_parse_opmeta(buf, n, &m, &err), 0);
        assert_int_equal(m.version, 2);
        assert_int_equal(m.id, 0);
        assert_string_equal(m.name, "transformWithStateExec");
        assert_int_equal(m.partitions, 5);
        statelog_opmeta_done(&m);
        free(p);
    }
    const char *v1 = "v1\n{\"operatorInfo\":{\"operatorId\":2,\"operatorName\":\"stateStoreSave\"},"
                     "\"stateStoreInfo\":[{\"storeName\":\"default\",\"numColsPrefixKey\":0,"
                     "\"numPartitions\":200}]}";
    assert_int_equal(statelog_parse_opmeta(v1, strlen(v1), &m, &err), 0);
    assert_string_equal(m.name, "stateStoreSave");
    assert_int_equal(m.partitions, 200);
    statelog_opmeta_done(&m);
    assert_int_equal(statelog_parse_opmeta("v2\n{}", 5, &m, &err), -1);
    assert_non_null(strstr(err.msg, "operatorName"));
    assert_int_equal(statelog_parse_opmeta("v9\n{}", 5, &m, &err), -1);
}

/* offsets/0..4 in v2 with two named sources, batch 4 a state repartition (8 -> 4 partitions),
 * commits v2, and a RocksDB state tree of checkpoint v2 with checksums and an orphan. */
static char *make_tree(bool with_metadata, const char *control4)
{
    char *dir = scratch_dir("ckv2");
    if (with_metadata)
        write_str(dir, "metadata", "{\"id\":\"11111111-2222-3333-4444-555555555555\"}");
    char rel[64], meta[1024], text[2048];
    for (int b = 0; b < 5; b++) {
        int parts = b == 4 && !control4 ? 4 : 8;
        meta_v2(meta, sizeof meta, T0 + b * 60000LL + (b == 4 ? 3000000 : 0), parts,
                b == 4 ? control4 : NULL);
        snprintf(text, sizeof text, "v2\n%s\norders:{\"t\":{\"0\":%d}}\nrate_in:%d", meta, 100 * b,
                 b);
        snprintf(rel, sizeof rel, "offsets/%d", b);
        write_str(dir, rel, text);
        snprintf(rel, sizeof rel, "commits/%d", b);
        write_str(
            dir, rel,
            "v2\n{\"nextBatchWatermarkMs\":0,\"stateUniqueIds\":{\"0\":[[\"u1\"],[\"u2\"]]}}");
        /* committed 5 s after the batch started, as Spark would have */
        touch_ms(dir, rel, T0 + b * 60000LL + (b == 4 ? 3000000 : 0) + 5000);
    }
    write_str(dir, "state/0/0/5_u1.zip", "0123456789");
    write_str(dir, "state/0/0/5_u1.zip.crc",
              "{\"algorithm\":\"CRC32C\",\"value\":1,\"mainFileSize\":10,\"timestampMs\":1,"
              "\"creator\":{\"executorId\":\"0\",\"taskInfo\":\"\"}}");
    write_str(dir, "state/0/0/4_u0.changelog", "01234");
    write_str(dir, "state/0/1/99_gone.zip.crc", "{\"algorithm\":\"CRC32C\"}"); /* orphan */
    write_str(dir, "state/0/1/SSTs/000008-5b0e.sst", "0123456789012345678901234567890123456789");
    write_str(dir, "state/0/_metadata/v2/0",
              "v2\n{\"operatorInfo\":{\"operatorId\":0,\"operatorName\":\"old\"},"
              "\"stateStoreInfo\":[]}");
    write_str(dir, "state/0/_metadata/v2/3",
              "v2\n{\"operatorInfo\":{\"operatorId\":0,\"operatorName\":"
              "\"transformWithStateExec\"},\"stateStoreInfo\":[{\"storeName\":\"default\","
              "\"numColsPrefixKey\":0,\"numPartitions\":2}],\"operatorPropertiesJson\":\"{}\"}");
    write_str(dir, "state/0/_stateSchema/default/0_aaaa", "schema");
    write_str(dir, "state/0/_stateSchema/default/3_bbbb", "schema2");
    write_str(dir, "state/0/_stateSchema/default/3_bbbb.crc", "{}");
    return dir;
}

static struct snap_stream *collect(struct snapshot *snap, const char *dir, void **state)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"v2";
    cfg.checkpoint = (char *)dir;
    struct snap_stream *st = snapshot_add_stream(snap, "v2");
    st->checkpoint = xstrdup(dir);
    *state = checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, *state, st, NOW_MS);
    return st;
}

static void test_collect_v2(void **unused)
{
    (void)unused;
    char *dir = make_tree(true, NULL);
    struct snapshot *snap = snapshot_new(NOW_MS);
    void *state;
    struct snap_stream *st = collect(snap, dir, &state);
    for (size_t i = 0; i < st->errors.n; i++)
        fail_msg("error: %s", st->errors.v[i]);
    assert_int_equal(st->nsources, 2);
    assert_string_equal(st->sources[0].id, "orders");
    assert_string_equal(st->sources[0].provider, "kafka");
    assert_int_equal(st->sources[0].kind, SRC_KAFKA);
    assert_string_equal(st->sources[1].id, "rate_in");
    assert_int_equal(st->ckpt.offset_log, 2);
    assert_int_equal(st->ckpt.commit_log, 2);
    assert_int_equal(st->ckpt.state_format, 2);
    assert_int_equal(st->ckpt.shuffle_partitions, 4);
    assert_null(st->ckpt.unrestartable);
    /* batch 4 changed the shuffle partitions: a repartition, kept out of the cadence (its gap
     * is 51 minutes) and of the batch duration */
    assert_int_equal(st->nbatches, 5);
    for (size_t i = 0; i < 4; i++)
        assert_int_equal(st->batches[i].kind, BATCH_DATA);
    assert_int_equal(st->batches[4].kind, BATCH_REPARTITION);
    assert_true(st->metrics[M_BATCH_INTERVAL_SECONDS] == 60);
    /* state: versions from the prefix, never from a checksum (the orphan says 99); bytes
     * without the checksums: 10 + 5 + 40 (SST) + both metadata files + two schema files */
    assert_int_equal(st->noperators, 1);
    const struct snap_operator *op = &st->operators[0];
    assert_string_equal(op->name, "transformWithStateExec");
    /* its metadata (batch 3) predates the repartition of batch 4: the new count, as on the
     * real Spark 4.3.0 repartition (test_live43) */
    assert_int_equal(op->partitions, 4);
    assert_int_equal(op->state_version, 5);
    assert_true(op->files == 2);
    assert_int_equal(op->nschemas, 2);
    assert_int_equal(op->schema_batch, 3);
    struct stat sb;
    double want = 10 + 5 + 40 + 6 + 7;
    char *p = xasprintf("%s/state/0/_metadata/v2/0", dir);
    assert_int_equal(stat(p, &sb), 0);
    want += (double)sb.st_size;
    free(p);
    p = xasprintf("%s/state/0/_metadata/v2/3", dir);
    assert_int_equal(stat(p, &sb), 0);
    want += (double)sb.st_size;
    free(p);
    assert_true(st->metrics[M_STATE_BYTES] == want);
    assert_true(op->bytes == want);

    /* the exports: sources by name, the operator, the repartition batch */
    struct buf out;
    buf_init(&out);
    export_json.render(snap, &out);
    assert_non_null(strstr(out.data, "\"name\":\t\"orders\""));
    assert_non_null(strstr(out.data, "\"provider\":\t\"kafka\""));
    assert_non_null(strstr(out.data, "\"kind\":\t\"repartition\""));
    assert_non_null(strstr(out.data, "\"schema_changed_batch\":\t3"));
    buf_done(&out);
    buf_init(&out);
    export_prom.render(snap, &out);
    assert_non_null(strstr(out.data, "streamtop_source_position{stream=\"v2\",source=\"orders\","
                                     "kind=\"kafka\"} 400\n"));
    assert_non_null(strstr(out.data, "source=\"rate_in\",kind=\"number\"} 4\n"));
    buf_done(&out);

    /* the built-in rules: the schema changed within the hour (files just written) */
    struct st_err err;
    const char *ini = "[stream v2]\ncheckpoint = /c\n";
    struct config *cfg = config_parse("t.ini", ini, strlen(ini), &err);
    assert_non_null(cfg);
    snap->generated_ms = clock_real_ms();
    struct rules_plan plan;
    rules_plan_build(cfg, snap, NULL, NULL, NULL, 0, &plan);
    bool seen = false;
    for (size_t i = 0; i < plan.n; i++) {
        if (strcmp(plan.obs[i].rule, "builtin:state-schema-changed") == 0) {
            seen = true;
            assert_int_equal(plan.obs[i].level, HEALTH_WARNING);
            assert_true(plan.obs[i].value == 3);
            assert_non_null(strstr(plan.obs[i].threshold, "changed at batch 3"));
        }
        if (strcmp(plan.obs[i].rule, "builtin:checkpoint-unrestartable") == 0)
            assert_int_equal(plan.obs[i].level, HEALTH_OK);
    }
    assert_true(seen);
    rules_plan_done(&plan);
    config_free(cfg);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

static void test_control_batch(void **unused)
{
    (void)unused;
    char *dir = make_tree(true, ",\"controlBatchInfo\":{\"operationType\":\"SomethingNew\"}");
    struct snapshot *snap = snapshot_new(NOW_MS);
    void *state;
    struct snap_stream *st = collect(snap, dir, &state);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->batches[4].kind, BATCH_CONTROL);
    assert_true(st->metrics[M_BATCH_INTERVAL_SECONDS] == 60);
    /* the newest committed data batch is 3: its commit mtime minus its start */
    assert_false(isnan(st->metrics[M_BATCH_DURATION_SECONDS]));
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

static void test_missing_metadata(void **unused)
{
    (void)unused;
    char *dir = make_tree(false, NULL);
    struct snapshot *snap = snapshot_new(NOW_MS);
    void *state;
    struct snap_stream *st = collect(snap, dir, &state);
    assert_non_null(st->ckpt.unrestartable);
    assert_non_null(strstr(st->ckpt.unrestartable, "/metadata: missing"));
    assert_non_null(strstr(st->ckpt.unrestartable, "offsets/ holds 5 batch(es) and commits/ 5"));
    struct st_err err;
    const char *ini = "[stream v2]\ncheckpoint = /c\n";
    struct config *cfg = config_parse("t.ini", ini, strlen(ini), &err);
    struct rules_plan plan;
    rules_plan_build(cfg, snap, NULL, NULL, NULL, 0, &plan);
    bool seen = false;
    for (size_t i = 0; i < plan.n; i++)
        if (strcmp(plan.obs[i].rule, "builtin:checkpoint-unrestartable") == 0) {
            seen = true;
            assert_int_equal(plan.obs[i].level, HEALTH_CRITICAL);
            assert_non_null(strstr(plan.obs[i].threshold, "refuses to restart"));
        }
    assert_true(seen);
    rules_plan_done(&plan);
    config_free(cfg);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);

    /* a fresh checkpoint folder with nothing in its logs yet is only a warning */
    dir = scratch_dir("ckv2-empty");
    write_str(dir, "offsets/.keep", "");
    snap = snapshot_new(NOW_MS);
    st = collect(snap, dir, &state);
    assert_null(st->ckpt.unrestartable);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

static void test_bad_commit_and_opmeta_named(void **unused)
{
    (void)unused;
    char *dir = make_tree(true, NULL);
    write_str(dir, "commits/4", "v3\n{\"sinkMetadata\":{}}");
    write_str(dir, "state/0/_metadata/v2/3", "v7\n{}");
    struct snapshot *snap = snapshot_new(NOW_MS);
    void *state;
    struct snap_stream *st = collect(snap, dir, &state);
    assert_int_equal(st->errors.n, 0);
    bool commit = false, opmeta = false;
    for (size_t i = 0; i < st->warnings.n; i++) {
        commit |= strstr(st->warnings.v[i], "commits/4: version v3 is not supported") != NULL;
        opmeta |= strstr(st->warnings.v[i], "_metadata/v2/3: version v7 is not supported") != NULL;
    }
    assert_true(commit);
    assert_true(opmeta);
    assert_int_equal(st->ckpt.commit_log, 0);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsetlog_v2),
        cmocka_unit_test(test_commit_and_names),
        cmocka_unit_test(test_opmeta),
        cmocka_unit_test(test_collect_v2),
        cmocka_unit_test(test_control_batch),
        cmocka_unit_test(test_missing_metadata),
        cmocka_unit_test(test_bad_commit_and_opmeta_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
