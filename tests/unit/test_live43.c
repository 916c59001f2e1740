/* Checkpoints and a Delta log written by real Spark 4.3.0 and Delta 4.4.0 queries
 * (tests/fixtures/live/spark-4.3.0/<scenario>/, captured by tests/spark/capture43.py), read by
 * streamtop's collectors and compared with expected.json, which holds Spark's and Delta's own
 * reading of the same files (OffsetSeqLog, CommitLog, lastProgress,
 * OfflineStateRepartitionUtils, DeltaLog snapshot). Every expected figure comes from
 * expected.json or from the fixture folder itself (sizes, names), never from streamtop.
 * Fixture paths are relative to the repository root, where the tests run. */
#include "testutil.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "alerts/rules.h"
#include "collectors/checkpoint.h"
#include "collectors/collector.h"
#include "collectors/deltacrc.h"
#include "collectors/deltafiles.h"
#include "collectors/deltalog.h"
#include "collectors/statelog.h"
#include "core/buf.h"
#include "core/config.h"
#include "export/export.h"

#define NOW_MS 1796180000000LL /* 2026-12-02T02:53:20Z, after every capture */
#define LIVE   "tests/fixtures/live/spark-4.3.0"
#define DLOG   LIVE "/delta/table/_delta_log"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: cannot open", path);
    struct buf b;
    buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    if (len)
        *len = b.len;
    buf_append(&b, "", 1);
    return b.data;
}

static cJSON *expected(const char *scenario)
{
    char *path = xasprintf("%s/%s/expected.json", LIVE, scenario);
    char *text = slurp(path, NULL);
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("%s: not JSON", path);
    free(text);
    free(path);
    return j;
}

static double num(const cJSON *j, const char *path)
{
    char *copy = xstrdup(path), *save = NULL;
    const cJSON *at = j;
    for (char *k = strtok_r(copy, ".", &save); k && at; k = strtok_r(NULL, ".", &save))
        at = cJSON_IsArray(at) ? cJSON_GetArrayItem(at, atoi(k))
                               : cJSON_GetObjectItemCaseSensitive(at, k);
    free(copy);
    if (!cJSON_IsNumber(at))
        fail_msg("expected.json: %s is not a number", path);
    return at->valuedouble;
}

static const char *str(const cJSON *j, const char *key)
{
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!cJSON_IsString(at))
        fail_msg("expected.json: %s is not a string", key);
    return at->valuestring;
}

static void dump(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->errors.n; i++)
        fprintf(stderr, "error: %s\n", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        fprintf(stderr, "warning: %s\n", st->warnings.v[i]);
}

/* One pass of the checkpoint collector over a scenario's checkpoint. */
static struct snap_stream *read_ckpt(const char *scenario, struct snapshot **snap)
{
    char *dir = xasprintf("%s/%s/checkpoint", LIVE, scenario);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)scenario;
    cfg.checkpoint = dir;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, scenario);
    st->checkpoint = xstrdup(dir);
    void *state = checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
    checkpoint_collector.state_free(state);
    free(dir);
    dump(st);
    return st;
}

/* What every checkpoint has to match: batch ids, query id, log versions (from the class Spark
 * read each file into), and a clean read. */
static void common(const struct snap_stream *st, const cJSON *want)
{
    assert_int_equal(st->errors.n, 0);
    /* the fixtures' files are dated by their checkout, not by the batches */
    assert_int_equal(warnings_but_copied((const char *const *)st->warnings.v, st->warnings.n), 0);
    assert_string_equal(st->query_id, str(want, "query_id"));
    assert_true(st->metrics[M_LAST_BATCH_ID] == num(want, "offsets_latest_batch"));
    assert_true(st->metrics[M_COMMITTED_BATCH_ID] == num(want, "commits_latest_batch"));
    const char *oc = str(want, "offsets_metadata_class"), *cc = str(want, "commit_metadata_class");
    assert_int_equal(st->ckpt.offset_log, strcmp(oc, "OffsetSeqMetadataV2") == 0 ? 2 : 1);
    assert_int_equal(st->ckpt.commit_log, strcmp(cc, "CommitMetadataV2") == 0 ? 2 : 1);
    assert_null(st->ckpt.unrestartable);
    /* the newest batch's spark.sql.shuffle.partitions, as OffsetSeqLog read it */
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(want, "offsets_metadata"), "conf");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(conf, "spark.sql.shuffle.partitions");
    assert_true(cJSON_IsString(sp));
    assert_int_equal(st->ckpt.shuffle_partitions, atoi(sp->valuestring));
}

/* The newest commit file as streamtop's parser reads it, against CommitLog's reading. */
static void commit_matches(const char *scenario, const cJSON *want)
{
    char *path = xasprintf("%s/%s/checkpoint/commits/%lld", LIVE, scenario,
                           (long long)num(want, "commits_latest_batch"));
    size_t len;
    char *text = slurp(path, &len);
    struct commit_file c;
    struct st_err err;
    assert_int_equal(statelog_parse_commit(text, len, &c, &err), 0);
    assert_int_equal(c.version,
                     strcmp(str(want, "commit_metadata_class"), "CommitMetadataV2") == 0 ? 2 : 1);
    assert_true(c.next_wm_ms == (int64_t)num(want, "commit_metadata.nextBatchWatermarkMs"));
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(want, "commit_metadata"), "stateUniqueIds");
    assert_int_equal(c.state_unique_ids, ids != NULL && cJSON_GetArraySize(ids) > 0);
    if (ids) {
        assert_int_equal(c.noperators, cJSON_GetArraySize(ids));
        assert_int_equal(c.npartitions, cJSON_GetArraySize(ids->child));
    }
    free(text);
    free(path);
}

/* The state folder as listed, independently of streamtop: bytes of every file that is not a
 * checksum (Hadoop's hidden .<name>.crc and Spark 4.1+'s JSON <name>.crc alike), and the state
 * version files of state/<op>/<partition>/ (not SSTs/, not _metadata). */
struct listed {
    double bytes, files;
    int schemas;
};

static void walk(const char *dir, int depth, bool in_partition, struct listed *l)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        struct stat sb;
        assert_int_equal(lstat(p, &sb), 0);
        size_t n = strlen(e->d_name);
        if (S_ISDIR(sb.st_mode)) {
            /* state/<op>/<partition>: depth 1 and a number */
            bool part = depth == 1 && strspn(e->d_name, "0123456789") == n;
            walk(p, depth + 1, part, l);
        } else if (!(n > 4 && strcmp(e->d_name + n - 4, ".crc") == 0)) {
            l->bytes += (double)sb.st_size;
            const char *dot = strrchr(e->d_name, '.');
            if (in_partition && dot &&
                (strcmp(dot, ".zip") == 0 || strcmp(dot, ".changelog") == 0 ||
                 strcmp(dot, ".delta") == 0 || strcmp(dot, ".snapshot") == 0))
                l->files++;
            if (strstr(dir, "/_stateSchema/") && e->d_name[0] != '.')
                l->schemas++;
        }
        free(p);
    }
    closedir(d);
}

static struct listed list_state(const char *scenario)
{
    char *dir = xasprintf("%s/%s/checkpoint/state", LIVE, scenario);
    struct listed l = {0};
    walk(dir, 0, false, &l);
    free(dir);
    return l;
}

/* The stateful operator against lastProgress.stateOperators[0] and the listed folder. */
static void operator_matches(const struct snap_stream *st, const char *scenario, const cJSON *want)
{
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(want, "lastProgress"), "stateOperators");
    assert_int_equal(st->noperators, cJSON_GetArraySize(ops));
    const struct snap_operator *op = &st->operators[0];
    const cJSON *sop = ops->child;
    assert_string_equal(op->name, str(sop, "operatorName"));
    assert_int_equal(op->partitions, (int)num(sop, "numShufflePartitions"));
    /* the newest batch ran its state commit: version = batch + 1 */
    assert_int_equal(op->state_version, (int64_t)num(want, "offsets_latest_batch") + 1);
    struct listed l = list_state(scenario);
    assert_true(st->metrics[M_STATE_BYTES] == l.bytes);
    assert_true(op->bytes == l.bytes);
    assert_true(op->files == l.files);
    assert_int_equal(op->nschemas, l.schemas);
}

/* offsets v2 keyed by source name (OffsetMap), commits v1. */
static void test_named(void **unused)
{
    (void)unused;
    cJSON *want = expected("named");
    struct snapshot *snap;
    struct snap_stream *st = read_ckpt("named", &snap);
    common(st, want);
    commit_matches("named", want);
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(want, "source_names");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(want, "offsets_sources");
    assert_int_equal(st->nsources, cJSON_GetArraySize(names));
    for (size_t i = 0; i < st->nsources; i++) {
        const struct snap_source *src = &st->sources[i];
        assert_non_null(src->id);
        bool named = false;
        for (const cJSON *n = names->child; n; n = n->next)
            named |= strcmp(n->valuestring, src->id) == 0;
        if (!named)
            fail_msg("source '%s' is not one of Spark's names", src->id);
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(offs, src->id);
        cJSON *mine = cJSON_Parse(src->end_offset);
        assert_true(cJSON_Compare(mine, off, true));
        cJSON_Delete(mine);
        assert_int_equal(src->kind, SRC_FILE);
        assert_true(src->position == num(off, "logOffset"));
    }
    /* names wherever a name exists: the JSON export and the Prometheus labels */
    struct buf out;
    buf_init(&out);
    export_prom.render(snap, &out);
    for (const cJSON *n = names->child; n; n = n->next) {
        char *label = xasprintf("source=\"%s\"", n->valuestring);
        assert_non_null(strstr(out.data, label));
        free(label);
    }
    buf_done(&out);
    assert_true(st->metrics[M_STATE_BYTES] == 0); /* stateless: no state/ folder */
    snapshot_free(snap);
    cJSON_Delete(want);
}

/* RocksDB with checkpointFormatVersion=2: commits v2 with stateUniqueIds, <version>_<uuid>
 * changelogs, JSON checksums (and checksums of checksums) beside them. */
static void test_state_v2(void **unused)
{
    (void)unused;
    cJSON *want = expected("state");
    struct snapshot *snap;
    struct snap_stream *st = read_ckpt("state", &snap);
    common(st, want);
    commit_matches("state", want);
    assert_int_equal(st->ckpt.state_format, 2);
    operator_matches(st, "state", want);
    /* the files the commit names: <committed + 1>_<uuid>.changelog of each partition */
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(want, "commit_metadata"), "stateUniqueIds");
    int part = 0;
    for (const cJSON *p = ids->child->child; p; p = p->next, part++) {
        int64_t v = -1;
        char *name =
            xasprintf("%lld_%s.changelog", (long long)num(want, "commits_latest_batch") + 1,
                      p->child->valuestring);
        assert_true(statelog_version_file(name, &v));
        assert_true(v == (int64_t)num(want, "commits_latest_batch") + 1);
        char *path = xasprintf("%s/state/checkpoint/state/0/%d/%s", LIVE, part, name);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        char *crc = xasprintf("%s.crc", name);
        assert_false(statelog_version_file(crc, &v));
        free(crc);
        free(path);
        free(name);
    }
    assert_int_equal(part, (int)num(want, "lastProgress.stateOperators.0.numShufflePartitions"));
    assert_int_equal(st->operators[0].schema_batch, -1);
    snapshot_free(snap);
    cJSON_Delete(want);
}

/* transformWithStateInPandas: operator metadata v2 and one _stateSchema file; batch 5 planned
 * and its state written, not committed; a stray .tmp checksum of a checksum. */
static void test_tws(void **unused)
{
    (void)unused;
    cJSON *want = expected("tws");
    struct snapshot *snap;
    struct snap_stream *st = read_ckpt("tws", &snap);
    common(st, want);
    commit_matches("tws", want);
    assert_true(st->metrics[M_INFLIGHT_SECONDS] > 0);
    operator_matches(st, "tws", want);
    const struct snap_operator *op = &st->operators[0];
    assert_int_equal(op->nschemas, 1);
    assert_int_equal(op->schema_batch, 0); /* _stateSchema/default/0_<uuid> */
    /* one schema since batch 0: no "state schema changed" signal */
    struct buf out;
    buf_init(&out);
    export_json.render(snap, &out);
    assert_non_null(strstr(out.data, "\"schema_changed_batch\":\tnull"));
    buf_done(&out);
    struct st_err err;
    const char *ini = "[stream tws]\ncheckpoint = /c\n";
    struct config *cfg = config_parse("t.ini", ini, strlen(ini), &err);
    assert_non_null(cfg);
    struct rules_plan plan;
    rules_plan_build(cfg, snap, NULL, NULL, NULL, 0, &plan);
    for (size_t i = 0; i < plan.n; i++)
        if (strcmp(plan.obs[i].rule, "builtin:state-schema-changed") == 0)
            assert_int_equal(plan.obs[i].level, HEALTH_OK);
    rules_plan_done(&plan);
    config_free(cfg);
    snapshot_free(snap);
    cJSON_Delete(want);
}

/* StreamingCheckpointManager.repartition from 2 to 3 partitions at batch 4, two batches after:
 * the batch kinds against OfflineStateRepartitionUtils' verdict, and the operator's partitions
 * after it. */
static void test_repartition(void **unused)
{
    (void)unused;
    cJSON *want = expected("repartition");
    struct snapshot *snap;
    struct snap_stream *st = read_ckpt("repartition", &snap);
    common(st, want);
    commit_matches("repartition", want);
    assert_int_equal(st->ckpt.shuffle_partitions, (int)num(want, "repartitioned_to"));
    const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(want, "is_repartition_batch");
    assert_int_equal(st->nbatches, cJSON_GetArraySize(verdict));
    for (size_t i = 0; i < st->nbatches; i++) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)st->batches[i].id);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(verdict, key);
        assert_non_null(v);
        enum batch_kind k = st->batches[i].kind;
        if (k != (cJSON_IsTrue(v) ? BATCH_REPARTITION : BATCH_DATA))
            fail_msg("batch %s: kind %d, Spark says repartition=%d", key, (int)k, cJSON_IsTrue(v));
    }
    operator_matches(st, "repartition", want);
    snapshot_free(snap);
    cJSON_Delete(want);
}

/* Real-time mode on Kafka (10 s long batches): one offsets and one commit file per long batch,
 * commits v2 without stateUniqueIds, the Kafka initial offsets file with its leading NUL. */
static void test_rtm(void **unused)
{
    (void)unused;
    cJSON *want = expected("rtm");
    struct snapshot *snap;
    struct snap_stream *st = read_ckpt("rtm", &snap);
    common(st, want);
    commit_matches("rtm", want);
    /* one batch per long batch: as many as the progress events Spark reported */
    assert_int_equal(st->nbatches, (size_t)num(want, "recentProgress_count"));
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(want, "recentProgress");
    size_t i = 0;
    for (const cJSON *p = rp->child; p; p = p->next, i++) {
        assert_true(st->batches[i].id == (int64_t)num(p, "batchId"));
        assert_true(st->batches[i].commit_ms >= 0);
        assert_int_equal(st->batches[i].kind, BATCH_DATA);
    }
    assert_int_equal(st->nsources, 1);
    const struct snap_source *src = &st->sources[0];
    assert_int_equal(src->kind, SRC_KAFKA);
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(want, "offsets_sources"), "0");
    cJSON *mine = cJSON_Parse(src->end_offset);
    assert_true(cJSON_Compare(mine, off, true));
    cJSON_Delete(mine);
    assert_true(src->position == num(off, "events.0"));
    assert_non_null(src->initial_offset);
    assert_true(st->metrics[M_INFLIGHT_SECONDS] == 0);
    snapshot_free(snap);
    cJSON_Delete(want);
}

/* Delta 4.4.0: checksums at every version, UUID-named JSON v2 checkpoints at 3 and 6 with
 * sidecars, _last_checkpoint with v2Checkpoint, in-commit timestamps, a compaction of 1..3. */
static void test_delta_names(void **unused)
{
    (void)unused;
    cJSON *want = expected("delta");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(want, "delta");
    DIR *dir = opendir(DLOG);
    assert_non_null(dir);
    struct dirent *e;
    int64_t newest = -1;
    int commits = 0, compactions = 0, v2json = 0;
    while ((e = readdir(dir)) != NULL) {
        int64_t v, y;
        enum delta_file k = deltafiles_classify(e->d_name, &v, &y);
        if (k == DF_COMMIT) {
            commits++;
            if (v > newest)
                newest = v;
        } else if (k == DF_COMPACTED) {
            compactions++;
            assert_true(v == (int64_t)num(want, "log_compaction.start_version"));
            assert_true(y == (int64_t)num(want, "log_compaction.end_version"));
        } else if (k == DF_CHECKPOINT_JSON) {
            v2json++;
        }
    }
    closedir(dir);
    assert_true(newest == (int64_t)num(d, "version"));
    assert_int_equal(commits, (int)num(d, "version") + 1);
    assert_int_equal(compactions, 1);
    assert_int_equal(v2json, 2);
    /* the sidecars are not versions of anything */
    dir = opendir(DLOG "/_sidecars");
    assert_non_null(dir);
    while ((e = readdir(dir)) != NULL) {
        int64_t v, y;
        enum delta_file k = deltafiles_classify(e->d_name, &v, &y);
        assert_true(k != DF_COMMIT && k != DF_CRC && k != DF_COMPACTED);
    }
    closedir(dir);

    /* the newest checksum: Delta's snapshot read it (checksum_read_by_snapshot) */
    char *path = xasprintf("%s/%020lld.crc", DLOG, (long long)num(d, "version"));
    size_t len;
    char *text = slurp(path, &len);
    const cJSON *txns = cJSON_GetObjectItemCaseSensitive(d, "setTransactions");
    const char *app = txns->child->string;
    struct delta_crc c;
    struct st_err err;
    deltacrc_init(&c);
    assert_int_equal(deltacrc_parse(text, len, app, &c, &err), 0);
    assert_true(c.has_metadata && c.has_txns && c.has_txn && c.has_protocol);
    assert_true(c.txn_version == (int64_t)txns->child->valuedouble);
    assert_string_equal(c.table_id, str(d, "table_id"));
    assert_true(c.ict_ms == (int64_t)num(d, "inCommitTimestamp"));
    assert_int_equal(c.ict, 1);
    assert_false(c.catalog_managed);
    deltacrc_done(&c);
    free(text);
    free(path);

    /* _last_checkpoint: v2Checkpoint with nonFileActions; one txn a version (7 appends with
     * txnVersion 0..6 at versions 1..7), so the checkpoint's txn is the table's less the
     * versions after it */
    text = slurp(DLOG "/_last_checkpoint", &len);
    struct delta_last_checkpoint lc;
    assert_int_equal(deltafiles_parse_last_checkpoint(text, len, app, &lc, &err), 0);
    assert_non_null(lc.v2_path);
    path = xasprintf("%s/%s", DLOG, lc.v2_path);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    int64_t v, y;
    assert_int_equal(deltafiles_classify(lc.v2_path, &v, &y), DF_CHECKPOINT_JSON);
    assert_true(v == lc.version);
    assert_true(lc.has_nonfile && lc.nf.has_protocol && lc.nf.has_txn);
    assert_true(lc.nf.txn_version ==
                (int64_t)txns->child->valuedouble - ((int64_t)num(d, "version") - lc.version));
    assert_non_null(lc.nf.schema);
    assert_string_equal(lc.nf.table_id, str(d, "table_id"));
    assert_int_equal(lc.nf.ict, 1);
    deltafiles_last_checkpoint_done(&lc);
    free(path);
    free(text);
    cJSON_Delete(want);
}

/* The expected schema as streamtop words it ("name: type"), from Delta's StructType JSON. */
static void fields_match(const struct strvec *fields, const cJSON *schema)
{
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(schema, "fields");
    assert_int_equal(fields->n, cJSON_GetArraySize(fs));
    size_t i = 0;
    for (const cJSON *f = fs->child; f; f = f->next, i++) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
        char *line = xasprintf(
            "%s: %s%s", str(f, "name"), t->valuestring,
            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "nullable")) ? "" : " not null");
        assert_string_equal(fields->v[i], line);
        free(line);
    }
}

static struct snap_stream *read_sink(const char *table, const char *app, double last,
                                     struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"delta";
    cfg.sink = (char *)table;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "delta");
    st->query_id = xstrdup(app);
    st->metrics[M_LAST_BATCH_ID] = last;
    void *state = deltalog_collector.state_new();
    deltalog_collector.collect(&cfg, state, st, NOW_MS);
    deltalog_collector.state_free(state);
    dump(st);
    return st;
}

/* The sink collector over the whole log, then over the log cleaned down to _last_checkpoint,
 * its JSON checkpoint and the newest commit (the real files, copied). */
static void test_delta_sink(void **unused)
{
    (void)unused;
    cJSON *want = expected("delta");
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(want, "delta");
    const cJSON *txns = cJSON_GetObjectItemCaseSensitive(d, "setTransactions");
    const char *app = txns->child->string;
    double txn = txns->child->valuedouble, last = txn + 3;
    struct snapshot *snap;
    struct snap_stream *st = read_sink(LIVE "/delta/table", app, last, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == last - txn);
    /* the newest commit's inCommitTimestamp (file times are the checkout's) */
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] ==
                ((double)NOW_MS - num(d, "inCommitTimestamp")) / 1000);
    fields_match(&st->sink_schema.fields, cJSON_GetObjectItemCaseSensitive(d, "schema"));
    snapshot_free(snap);

    char *dir = scratch_dir("live43-cleaned");
    size_t len;
    char *text = slurp(DLOG "/_last_checkpoint", &len);
    struct delta_last_checkpoint lc;
    struct st_err err;
    assert_int_equal(deltafiles_parse_last_checkpoint(text, len, app, &lc, &err), 0);
    write_str(dir, "_delta_log/_last_checkpoint", text);
    free(text);
    const char *keep[] = {lc.v2_path, "00000000000000000007.json"};
    for (size_t i = 0; i < 2; i++) {
        char *src = xasprintf("%s/%s", DLOG, keep[i]);
        char *rel = xasprintf("_delta_log/%s", keep[i]);
        text = slurp(src, NULL);
        write_str(dir, rel, text);
        free(text);
        free(rel);
        free(src);
    }
    deltafiles_last_checkpoint_done(&lc);
    st = read_sink(dir, app, last, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == last - txn);
    fields_match(&st->sink_schema.fields, cJSON_GetObjectItemCaseSensitive(d, "schema"));
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] ==
                ((double)NOW_MS - num(d, "inCommitTimestamp")) / 1000);
    snapshot_free(snap);
    free(dir);
    cJSON_Delete(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_named),      cmocka_unit_test(test_state_v2),
        cmocka_unit_test(test_tws),        cmocka_unit_test(test_repartition),
        cmocka_unit_test(test_rtm),        cmocka_unit_test(test_delta_names),
        cmocka_unit_test(test_delta_sink),
    };
    return cmocka_run_group_tests_name("live43", tests, NULL, NULL);
}
