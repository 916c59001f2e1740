/* Files that change between a listing and the reads after it. A hook of the fs layer runs right
 * after a chosen listing and does what a writer racing the pass does (Spark purging offsets,
 * compacting its file-source log, Delta writing a checkpoint and cleaning old commits, a landing
 * file moved away); the pass must then give the figures of a consistent state, with no error
 * and no warning. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "testutil.h"

#include <ftw.h>
#include <math.h>
#include <sys/time.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/sourcelog.h"

#define NOW_MS 1795341600000LL

/* ---- the race hook ------------------------------------------------------------------------ */

static struct {
    const char *suffix; /* listings of a path ending so fire */
    int left;           /* how many more times */
    void (*fn)(const char *root);
    const char *root;
    int fired;
} race;

static void on_listed(const char *path, void *ctx)
{
    (void)ctx;
    size_t n = strlen(path), m = strlen(race.suffix);
    if (race.left > 0 && n >= m && strcmp(path + n - m, race.suffix) == 0) {
        race.left--;
        race.fired++;
        race.fn(race.root);
    }
}

static void arm(const char *root, const char *suffix, int times, void (*fn)(const char *root))
{
    race.root = root;
    race.suffix = suffix;
    race.left = times;
    race.fired = 0;
    race.fn = fn;
    fs_set_listed_hook(on_listed, NULL);
}

static void disarm(void)
{
    fs_set_listed_hook(NULL, NULL);
}

/* ---- files -------------------------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void rm_at(const char *root, const char *rel)
{
    char *p = xasprintf("%s/%s", root, rel);
    rm_rf(p);
    free(p);
}

static void mv_at(const char *root, const char *from, const char *to)
{
    char *a = xasprintf("%s/%s", root, from), *b = xasprintf("%s/%s", root, to);
    assert_int_equal(rename(a, b), 0);
    free(a);
    free(b);
}

/* Spark's way: a hidden temp file, then renamed into place. */
static void put_atomic(const char *root, const char *dir, const char *name, const char *text)
{
    char *tmp = xasprintf("%s/.%s.0f1e.tmp", dir, name), *fin = xasprintf("%s/%s", dir, name);
    write_str(root, tmp, text);
    mv_at(root, tmp, fin);
    free(tmp);
    free(fin);
}

static void set_mtime(const char *root, const char *rel, int64_t ms)
{
    char *p = xasprintf("%s/%s", root, rel);
    struct timeval tv[2] = {{(time_t)(ms / 1000), 0}, {(time_t)(ms / 1000), 0}};
    assert_int_equal(utimes(p, tv), 0);
    free(p);
}

static bool has_text(const struct strvec *sv, const char *needle)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strstr(sv->v[i], needle))
            return true;
    return false;
}

static void no_messages(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->errors.n; i++)
        print_error("error: %s\n", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        print_error("warning: %s\n", st->warnings.v[i]);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
}

/* ---- a checkpoint ------------------------------------------------------------------------- */

#define QID "0a1a1ee9-4ce9-4db9-a612-c80e246a3beb"

static int64_t batch_ts(int64_t id)
{
    return NOW_MS - 600000 + id * 10000;
}

static void put_offsets(const char *ckpt, int64_t id)
{
    char name[32], text[256];
    snprintf(name, sizeof name, "%lld", (long long)id);
    snprintf(text, sizeof text,
             "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":{}}\n"
             "{\"logOffset\":%lld}",
             (long long)batch_ts(id), (long long)id);
    put_atomic(ckpt, "offsets", name, text);
}

static void put_commit(const char *ckpt, int64_t id)
{
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)id);
    put_atomic(ckpt, "commits", name, "v1\n{\"nextBatchWatermarkMs\":0}");
    char *rel = xasprintf("commits/%s", name);
    set_mtime(ckpt, rel, batch_ts(id) + 2000);
    free(rel);
}

/* Batches first..last planned, first..committed committed. */
static char *make_checkpoint(int64_t first, int64_t last, int64_t committed)
{
    char *ckpt = scratch_dir("race-ckpt");
    write_str(ckpt, "metadata", "{\"id\":\"" QID "\"}");
    for (int64_t id = first; id <= last; id++) {
        put_offsets(ckpt, id);
        if (id <= committed)
            put_commit(ckpt, id);
    }
    return ckpt;
}

static struct snap_stream *run_checkpoint(const char *ckpt, void *state, struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.checkpoint = (char *)ckpt;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "s");
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
    return st;
}

/* Spark keeps minBatchesToRetain batches: committing batch 9 purges offsets and commits 0..4.
 * The purge lands between the listing of offsets/ and the reads of the batches in it. */
static void purge_0_to_4(const char *ckpt)
{
    for (int id = 0; id <= 4; id++) {
        char rel[32];
        snprintf(rel, sizeof rel, "offsets/%d", id);
        rm_at(ckpt, rel);
        snprintf(rel, sizeof rel, "commits/%d", id);
        rm_at(ckpt, rel);
    }
}

static void test_offsets_purged_after_listing(void **unused)
{
    (void)unused;
    char *ckpt = make_checkpoint(0, 9, 9);
    void *state = checkpoint_collector.state_new();
    struct snapshot *snap;
    arm(ckpt, "/offsets", 1, purge_0_to_4);
    struct snap_stream *st = run_checkpoint(ckpt, state, &snap);
    disarm();
    assert_int_equal(race.fired, 1);
    no_messages(st);
    assert_true(st->metrics[M_LAST_BATCH_ID] == 9);
    assert_true(st->metrics[M_COMMITTED_BATCH_ID] == 9);
    assert_true(st->metrics[M_INFLIGHT_SECONDS] == 0);
    assert_true(st->metrics[M_BATCH_INTERVAL_SECONDS] == 10);
    assert_int_equal(st->nbatches, 5); /* 5..9: the purged ones are gone */
    assert_int_equal(st->batches[0].id, 5);
    for (size_t i = 0; i < st->nbatches; i++)
        assert_true(st->batches[i].start_ms == batch_ts(st->batches[i].id));
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    rm_rf(ckpt);
    free(ckpt);
}

/* A restarted query drops the offsets of a batch it planned but never committed
 * (purgeAfter of the last commit) and plans it again. */
static void drop_uncommitted(const char *ckpt)
{
    rm_at(ckpt, "offsets/9");
}

/* After each listing of commits/ then offsets/: offsets/9 is there for every listing of
 * offsets/ and gone for every read after it. */
static void flicker_9(const char *ckpt)
{
    if (race.fired % 2 == 0)
        rm_at(ckpt, "offsets/9");
    else
        put_offsets(ckpt, 9);
}

static void test_newest_offsets_vanish(void **unused)
{
    (void)unused;
    char *ckpt = make_checkpoint(0, 9, 8);
    void *state = checkpoint_collector.state_new();
    struct snapshot *snap;
    arm(ckpt, "/offsets", 1, drop_uncommitted);
    struct snap_stream *st = run_checkpoint(ckpt, state, &snap);
    disarm();
    assert_int_equal(race.fired, 1);
    no_messages(st);
    assert_true(st->metrics[M_LAST_BATCH_ID] == 8);
    assert_true(st->metrics[M_COMMITTED_BATCH_ID] == 8);
    assert_true(st->metrics[M_INFLIGHT_SECONDS] == 0);
    snapshot_free(snap);

    /* gone on every try: said, naming the file */
    put_offsets(ckpt, 9);
    arm(ckpt, "s", 4, flicker_9);
    st = run_checkpoint(ckpt, state, &snap);
    disarm();
    assert_int_equal(race.fired, 4);
    assert_int_equal(st->errors.n, 1);
    assert_true(has_text(&st->errors, "offsets/9: listed, but removed before it could be read"));
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    rm_rf(ckpt);
    free(ckpt);
}

/* A batch planned and committed while the pass lists: commits/ listed after offsets/ would hold
 * a commit whose offsets file that listing missed (committed > last, and a warning). */
static void plan_and_commit_10(const char *ckpt)
{
    put_offsets(ckpt, 10);
    put_commit(ckpt, 10);
}

static void test_batch_committed_while_listing(void **unused)
{
    (void)unused;
    char *ckpt = make_checkpoint(0, 9, 9);
    void *state = checkpoint_collector.state_new();
    struct snapshot *snap;
    /* fires after whichever of offsets/ and commits/ is listed first */
    arm(ckpt, "s", 1, plan_and_commit_10);
    struct snap_stream *st = run_checkpoint(ckpt, state, &snap);
    disarm();
    assert_int_equal(race.fired, 1);
    no_messages(st);
    assert_true(st->metrics[M_COMMITTED_BATCH_ID] <= st->metrics[M_LAST_BATCH_ID]);
    assert_true(st->metrics[M_INFLIGHT_SECONDS] >= 0);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    rm_rf(ckpt);
    free(ckpt);
}

/* A commit file with an mtime after "now" (clock skew with the writer): ages are never
 * negative. */
static void test_future_mtime(void **unused)
{
    (void)unused;
    char *ckpt = make_checkpoint(0, 3, 3);
    set_mtime(ckpt, "commits/3", NOW_MS + 3600000);
    void *state = checkpoint_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run_checkpoint(ckpt, state, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->metrics[M_COMMIT_AGE_SECONDS] == 0);
    assert_true(st->metrics[M_BATCH_DURATION_SECONDS] >= 0);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    rm_rf(ckpt);
    free(ckpt);
}

/* ---- the file-source log ------------------------------------------------------------------ */

/* The entries of batches lo..hi, one landing file per batch, in Spark's log form. */
static char *log_text(int lo, int hi)
{
    char *text = xstrdup("v1");
    for (int b = lo; b <= hi; b++) {
        char *next = xasprintf("%s\n{\"path\":\"file:///landing/f%d.json\",\"timestamp\":%lld,"
                               "\"batchId\":%d}",
                               text, b, (long long)batch_ts(b), b);
        free(text);
        text = next;
    }
    return text;
}

static void put_delta(const char *dir, int b)
{
    char name[16];
    snprintf(name, sizeof name, "%d", b);
    char *text = log_text(b, b);
    put_atomic(dir, ".", name, text);
    free(text);
}

static void put_compact(const char *dir, int b)
{
    char name[24];
    snprintf(name, sizeof name, "%d.compact", b);
    char *text = log_text(0, b);
    put_atomic(dir, ".", name, text);
    free(text);
}

/* Compaction at batch 19 (interval 10): 19.compact written, then the files it replaces
 * deleted (spark.sql.streaming.fileSource.log.cleanupDelay elapsed). */
static void compact_19(const char *dir)
{
    put_compact(dir, 19);
    rm_at(dir, "9.compact");
    for (int b = 10; b <= 18; b++) {
        char rel[16];
        snprintf(rel, sizeof rel, "%d", b);
        rm_at(dir, rel);
    }
}

static void check_seen(const struct sourcelog *sl, int upto)
{
    assert_int_equal(sl->seen.n, (size_t)upto + 1);
    for (int b = 0; b <= upto; b++) {
        char *p = xasprintf("/landing/f%d.json", b);
        int64_t ts;
        assert_true(hashset_get(&sl->seen, sourcelog_path_hash(p, strlen(p), false), &ts));
        assert_true(ts == batch_ts(b));
        free(p);
    }
}

static void test_sourcelog_compacted_after_listing(void **unused)
{
    (void)unused;
    /* first read: the listing has 9.compact and 10..18; all of them go before they are read */
    char *dir = scratch_dir("race-srclog");
    put_compact(dir, 9);
    for (int b = 10; b <= 18; b++)
        put_delta(dir, b);
    struct sourcelog sl;
    sourcelog_init(&sl);
    struct strvec warn;
    strvec_init(&warn);
    struct st_err err;
    arm(dir, strrchr(dir, '/'), 1, compact_19); /* the log folder itself */
    int rc = sourcelog_update(&sl, dir, 0, &warn, &err);
    disarm();
    assert_int_equal(race.fired, 1);
    if (rc < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(warn.n, 0);
    assert_true(sl.folded_upto == 19 && sl.compact_id == 19);
    check_seen(&sl, 19);
    sourcelog_done(&sl);
    rm_rf(dir);
    free(dir);

    /* later read: 0..15 folded; the listing has 16..18 new, compacted away before the read */
    dir = scratch_dir("race-srclog");
    put_compact(dir, 9);
    for (int b = 10; b <= 15; b++)
        put_delta(dir, b);
    sourcelog_init(&sl);
    assert_int_equal(sourcelog_update(&sl, dir, 0, &warn, &err), 0);
    assert_true(sl.folded_upto == 15);
    for (int b = 16; b <= 18; b++)
        put_delta(dir, b);
    arm(dir, strrchr(dir, '/'), 1, compact_19);
    rc = sourcelog_update(&sl, dir, 0, &warn, &err);
    disarm();
    assert_int_equal(race.fired, 1);
    if (rc < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(warn.n, 0);
    assert_true(sl.folded_upto == 19 && sl.compact_id == 19);
    check_seen(&sl, 19);
    sourcelog_done(&sl);
    strvec_done(&warn);
    rm_rf(dir);
    free(dir);
}

/* ---- the Delta sink ----------------------------------------------------------------------- */

static int64_t commit_ts(int v)
{
    return NOW_MS - 300000 + v * 1000;
}

static void put_version(const char *sink, int v)
{
    char name[32];
    snprintf(name, sizeof name, "%020d.json", v);
    char *text = xasprintf(
        "%s{\"txn\":{\"appId\":\"" QID "\",\"version\":%d,\"lastUpdated\":%lld}}\n"
        "{\"add\":{\"path\":\"part-%05d.parquet\",\"size\":100,\"dataChange\":true}}\n"
        "{\"commitInfo\":{\"timestamp\":%lld,\"operation\":\"STREAMING UPDATE\","
        "\"operationParameters\":{\"outputMode\":\"Append\",\"queryId\":\"" QID "\","
        "\"epochId\":\"%d\"},\"operationMetrics\":{\"numOutputRows\":\"%d\","
        "\"numAddedFiles\":\"1\"}}}\n",
        v == 0
            ? "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
              "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\"},"
              "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":"
              "\\\"x\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\","
              "\"partitionColumns\":[],\"configuration\":{}}}\n"
            : "",
        v, (long long)commit_ts(v), v, (long long)commit_ts(v), v, 10 * v);
    put_atomic(sink, "_delta_log", name, text);
    free(text);
    /* the version checksum Delta writes beside each commit (metadata, setTransactions) */
    snprintf(name, sizeof name, "%020d.crc", v);
    text = xasprintf("{\"txnId\":\"t%d\",\"tableSizeBytes\":%d,\"numFiles\":%d,\"numMetadata\":1,"
                     "\"numProtocol\":1,\"setTransactions\":[{\"appId\":\"" QID "\",\"version\":%d,"
                     "\"lastUpdated\":%lld}],\"metadata\":{\"id\":\"t\",\"format\":{\"provider\":"
                     "\"parquet\"},\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":"
                     "[{\\\"name\\\":\\\"x\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,"
                     "\\\"metadata\\\":{}}]}\",\"partitionColumns\":[],\"configuration\":{}},"
                     "\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n",
                     v, 100 * (v + 1), v + 1, v, (long long)commit_ts(v));
    put_atomic(sink, "_delta_log", name, text);
    free(text);
}

static void put_checkpoint(const char *sink, int v)
{
    char name[48], text[64];
    snprintf(name, sizeof name, "%020d.checkpoint.parquet", v);
    put_atomic(sink, "_delta_log", name, "PAR1 not read PAR1");
    snprintf(text, sizeof text, "{\"version\":%d,\"size\":3}", v);
    put_atomic(sink, "_delta_log", "_last_checkpoint", text);
}

/* Version 10 committed with a checkpoint; the log cleanup then removes what the previous
 * checkpoint (5) made unneeded: versions 0..4. */
static void checkpoint_10_and_clean(const char *sink)
{
    put_version(sink, 10);
    put_checkpoint(sink, 10);
    for (int v = 0; v <= 4; v++) {
        char rel[48];
        snprintf(rel, sizeof rel, "_delta_log/%020d.json", v);
        rm_at(sink, rel);
    }
}

static struct snap_stream *run_sink(const char *sink, void *state, double last,
                                    struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.sink = (char *)sink;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "s");
    st->query_id = xstrdup(QID);
    st->metrics[M_LAST_BATCH_ID] = last;
    deltalog_collector.collect(&cfg, state, st, NOW_MS);
    return st;
}

static void test_delta_cleaned_after_listing(void **unused)
{
    (void)unused;
    char *sink = scratch_dir("race-sink");
    for (int v = 0; v <= 9; v++)
        put_version(sink, v);
    put_checkpoint(sink, 5);
    void *state = deltalog_collector.state_new();
    struct snapshot *snap;
    arm(sink, "/_delta_log", 1, checkpoint_10_and_clean);
    struct snap_stream *st = run_sink(sink, state, 11, &snap);
    disarm();
    assert_int_equal(race.fired, 1);
    no_messages(st);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 1); /* batch 11 planned, txn 10 */
    assert_int_equal(st->sink_schema.fields.n, 1);     /* from checksum 10: metaData was in 0 */
    assert_true(st->metrics[M_SINK_COMMIT_AGE_SECONDS] == (double)(NOW_MS - commit_ts(10)) / 1000);
    snapshot_free(snap);

    /* the next pass reads on from version 11 */
    put_version(sink, 11);
    st = run_sink(sink, state, 12, &snap);
    no_messages(st);
    assert_true(st->metrics[M_SINK_LAG_BATCHES] == 1);
    snapshot_free(snap);
    deltalog_collector.state_free(state);
    rm_rf(sink);
    free(sink);
}

/* ---- the landing zone --------------------------------------------------------------------- */

/* cleanSource archives what the query read: f1 and the whole folder b/ go right after the
 * landing root is listed. */
static void archive(const char *root)
{
    mv_at(root, "landing/a/f1.json", "archive/f1.json");
    mv_at(root, "landing/b", "archive/b");
}

static void test_landing_file_moved(void **unused)
{
    (void)unused;
    char *root = scratch_dir("race-landing");
    char *ckpt = make_checkpoint(0, 1, 1);
    char *log = xasprintf("v1\n{\"path\":\"file://%s/landing/a/f0.json\",\"timestamp\":%lld,"
                          "\"batchId\":0}",
                          root, (long long)NOW_MS);
    write_str(ckpt, "sources/0/0", log);
    free(log);
    write_str(root, "archive/.keep", "");
    write_str(root, "landing/a/f0.json", "{}\n");
    write_str(root, "landing/a/f1.json", "{}\n");
    write_str(root, "landing/a/f2.json", "{\"a\":1}\n");
    write_str(root, "landing/b/f3.json", "{}\n");
    set_mtime(root, "landing/a/f2.json", NOW_MS - 5000);
    /* dated before the fixed clock: a file newer than it is one from the future (a warning) */
    set_mtime(root, "landing/a/f0.json", NOW_MS - 10000);
    set_mtime(root, "landing/a/f1.json", NOW_MS - 10000);
    set_mtime(root, "landing/b/f3.json", NOW_MS - 10000);
    char *landing = xasprintf("%s/landing", root);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.checkpoint = ckpt;
    cfg.source = landing;
    void *states[2] = {checkpoint_collector.state_new(), landing_collector.state_new()};
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "s");
    checkpoint_collector.collect(&cfg, states[0], st, NOW_MS);
    arm(root, "/landing", 1, archive);
    landing_collector.collect(&cfg, states[1], st, NOW_MS);
    disarm();
    assert_int_equal(race.fired, 1);
    no_messages(st);
    assert_true(st->metrics[M_BACKLOG_FILES] == 1); /* f2; f0 was read, f1 and b/f3 moved */
    assert_true(st->metrics[M_BACKLOG_BYTES] == 8);
    assert_true(st->metrics[M_BACKLOG_AGE_SECONDS] == 5);
    snapshot_free(snap);
    checkpoint_collector.state_free(states[0]);
    landing_collector.state_free(states[1]);
    rm_rf(root);
    rm_rf(ckpt);
    free(landing);
    free(root);
    free(ckpt);
}

/* ---- the schema location and the progress file -------------------------------------------- */

/* The schema location replaced by a new one (the stream reset): version 1 listed, then gone. */
static void reset_schemas(const char *root)
{
    mv_at(root, "_schemas", "_schemas.old");
    write_str(root, "_schemas/0",
              "v1\n{\"type\":\"struct\",\"fields\":[{\"name\":\"y\",\"type\":\"string\","
              "\"nullable\":true,\"metadata\":{}}]}");
}

static void test_schema_replaced_after_listing(void **unused)
{
    (void)unused;
    char *root = scratch_dir("race-schema");
    const char *v0 = "v1\n{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"long\","
                     "\"nullable\":true,\"metadata\":{}}]}";
    write_str(root, "_schemas/0", v0);
    write_str(root, "_schemas/1", v0);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.schema = root;
    void *state = schema_collector.state_new();
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "s");
    arm(root, "/_schemas", 1, reset_schemas);
    schema_collector.collect(&cfg, state, st, NOW_MS);
    disarm();
    assert_int_equal(race.fired, 1);
    no_messages(st);
    assert_true(st->metrics[M_SCHEMA_VERSION] == 0);
    snapshot_free(snap);
    schema_collector.state_free(state);
    rm_rf(root);
    free(root);
}

/* A listener appending a progress line is caught half way: the part is no error and no
 * warning; the next pass reads the whole line. */
static void test_progress_partial_line(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("race-progress");
    char *file = xasprintf("%s/progress.jsonl", dir);
    const char *line1 = "{\"id\":\"" QID "\",\"batchId\":7,\"numInputRows\":70,"
                        "\"processedRowsPerSecond\":35.0}\n";
    const char *line2 = "{\"id\":\"" QID "\",\"batchId\":8,\"numInputRows\":80,"
                        "\"processedRowsPerSecond\":40.0}\n";
    char *part = xasprintf("%s%.*s", line1, 30, line2);
    write_text(file, part, strlen(part));
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.progress = file;
    void *state = progress_collector.state_new();
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "s");
    progress_collector.collect(&cfg, state, st, NOW_MS);
    no_messages(st);
    assert_true(st->metrics[M_PROCESSED_ROWS_PER_SECOND] == 35);
    snapshot_free(snap);
    char *whole = xasprintf("%s%s", line1, line2);
    write_text(file, whole, strlen(whole));
    snap = snapshot_new(NOW_MS);
    st = snapshot_add_stream(snap, "s");
    progress_collector.collect(&cfg, state, st, NOW_MS);
    no_messages(st);
    assert_true(st->metrics[M_PROCESSED_ROWS_PER_SECOND] == 40);
    snapshot_free(snap);
    progress_collector.state_free(state);
    rm_rf(dir);
    free(whole);
    free(part);
    free(file);
    free(dir);
}

/* A job writing dead letters: its uncommitted files sit under _temporary/ until its commit
 * moves them (and removes the folder); they are not dead letters yet. */
static void test_deadletter_uncommitted(void **unused)
{
    (void)unused;
    char *root = scratch_dir("race-dlq");
    write_str(root, "dt=1/part-00000.json", "{\"reason\":\"bad\"}\n");
    write_str(root, "dt=1/_SUCCESS", "");
    write_str(root, "dt=1/.part-00000.json.crc", "crc");
    write_str(root, "_temporary/0/_temporary/attempt_1/dt=2/part-00001.json", "{}\n");
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    const char *prefixes[] = {root};
    cfg.deadletter.v = (char **)prefixes;
    cfg.deadletter.n = 1;
    void *state = deadletter_collector.state_new();
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "s");
    deadletter_collector.collect(&cfg, state, st, NOW_MS);
    no_messages(st);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 1);
    assert_true(st->metrics[M_DEADLETTER_BYTES] == 17);
    snapshot_free(snap);
    deadletter_collector.state_free(state);
    rm_rf(root);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_purged_after_listing),
        cmocka_unit_test(test_newest_offsets_vanish),
        cmocka_unit_test(test_batch_committed_while_listing),
        cmocka_unit_test(test_future_mtime),
        cmocka_unit_test(test_sourcelog_compacted_after_listing),
        cmocka_unit_test(test_delta_cleaned_after_listing),
        cmocka_unit_test(test_landing_file_moved),
        cmocka_unit_test(test_schema_replaced_after_listing),
        cmocka_unit_test(test_progress_partial_line),
        cmocka_unit_test(test_deadletter_uncommitted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
