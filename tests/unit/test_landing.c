/* File-source backlog: the processed sets of real file-source logs, and hand-built landing zones
 * whose waiting files, bytes, oldest age and overwritten files are known. */
#include "cursorutil.h"

#include <math.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/sourcelog.h"
#include "core/buf.h"
#include "core/clock.h"

#define NOW_MS 1795341600000LL

static const struct {
    const char *dir;
    size_t entries; /* distinct files: newest .compact + the deltas after it */
    int64_t folded, compact, interval;
} logs[] = {
    /* 270 distinct path strings, but 31 files are recorded twice, as file:///C:/... and as
     * file:/C:/...: the same files on disk, so 239 (checked with sed 's|^file:///|file:/|') */
    {"user-checkpoints/stephanschweitzer-filesource-compacted-95-194/sources/0", 239, 194, 189, 10},
    {"user-checkpoints/vsvale-filesource-csv-spark3.3/sources/0", 11, 3, -1, 0},
    {"user-checkpoints/nacpacheco-3batches/sources/0", 26, 2, -1, 0},
    {"user-pipelines/kalyan-kafka-to-bronze-to-silver/checkpoints/silver/sources/0", 13, 8, -1, 0},
};

static void test_real_source_logs(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
        char *dir = xasprintf("%s/%s", fx, logs[i].dir);
        struct sourcelog sl;
        sourcelog_init(&sl);
        struct strvec warn;
        strvec_init(&warn);
        struct st_err err;
        if (sourcelog_update(&sl, dir, 0, &warn, &err) < 0)
            fail_msg("%s: %s", logs[i].dir, err.msg);
        if (sl.seen.n != logs[i].entries || sl.folded_upto != logs[i].folded ||
            sl.compact_id != logs[i].compact || sl.interval != logs[i].interval)
            fail_msg("%s: %zu entries, folded %lld, compact %lld, interval %lld", logs[i].dir,
                     sl.seen.n, (long long)sl.folded_upto, (long long)sl.compact_id,
                     (long long)sl.interval);
        assert_int_equal(warn.n, 0);
        uint64_t first_read = sl.bytes_read;
        assert_true(first_read > 0);
        /* nothing changed: a second update reads nothing */
        assert_int_equal(sourcelog_update(&sl, dir, 0, &warn, &err), 0);
        assert_int_equal(sl.bytes_read, 0);
        assert_int_equal(sl.seen.n, logs[i].entries);
        strvec_done(&warn);
        sourcelog_done(&sl);
        free(dir);
    }
    /* one path from the compact and one from the newest delta, as a listing would name them */
    char *dir = xasprintf("%s/%s", fx, logs[0].dir);
    struct sourcelog sl;
    sourcelog_init(&sl);
    struct strvec warn;
    strvec_init(&warn);
    struct st_err err;
    assert_int_equal(sourcelog_update(&sl, dir, 0, &warn, &err), 0);
    const char *a = "/C:/Users/steez/OneDrive/Desktop/spark_streaming/test_for_spark_scala_"
                    "streaming/produced_data/partition_0/part-00000-f8331828-bb5e-474b-b0e9-"
                    "4437324f80b3-c000.csv";
    const char *b = "file:///C:/Users/steez/OneDrive/Desktop/spark_streaming/test_for_spark_"
                    "scala_streaming/produced_data/partition_5/part-00000-2662eae4-ee40-4ef8-"
                    "9044-4a258ff09430-c000.csv";
    int64_t ts;
    assert_true(hashset_get(&sl.seen, sourcelog_path_hash(a, strlen(a), false), &ts));
    assert_true(ts > 1718000000000LL);
    assert_true(hashset_get(&sl.seen, sourcelog_path_hash(b, strlen(b), true), NULL));
    assert_false(hashset_get(&sl.seen, sourcelog_path_hash("/nope", 5, false), NULL));
    strvec_done(&warn);
    sourcelog_done(&sl);
    free(dir);
}

static void test_path_canon(void **unused)
{
    (void)unused;
    static const struct {
        const char *uri, *path;
    } same[] = {
        {"file:///data/in/a.json", "/data/in/a.json"},
        {"file:/data/in/a.json", "/data//in/a.json"},
        {"file:///data/in%20x/a%25.json", "/data/in x/a%.json"},
        {"s3a://bucket/in/a", "s3://bucket/in/a"},
        {"dbfs:/mnt/in/a", "/dbfs/mnt/in/a"},
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_true(sourcelog_path_hash(same[i].uri, strlen(same[i].uri), true) ==
                    sourcelog_path_hash(same[i].path, strlen(same[i].path), false));
    assert_true(sourcelog_path_hash("/a/b", 4, false) != sourcelog_path_hash("/a/c", 4, false));
}

static void set_mtime(const char *path, int64_t ms)
{
    struct timespec ts[2] = {{ms / 1000, (ms % 1000) * 1000000},
                             {ms / 1000, (ms % 1000) * 1000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A landing file of size bytes at mtime ms; returns its path (caller frees). */
static char *land(const char *root, const char *rel, size_t size, int64_t ms)
{
    char *body = xcalloc(1, size + 1);
    memset(body, 'x', size);
    write_str(root, rel, body);
    free(body);
    char *path = xasprintf("%s/%s", root, rel);
    set_mtime(path, ms);
    return path;
}

static char *log_line(const char *path, int64_t ts, int batch)
{
    return xasprintf("{\"path\":\"file://%s\",\"timestamp\":%lld,\"batchId\":%d}", path,
                     (long long)ts, batch);
}

struct world {
    char *root, *ckpt, *landing;
    struct cfg_stream cfg;
    void *ck, *ld;
};

static struct snap_stream *pass(struct world *w, struct snapshot **snap)
{
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "w");
    if (checkpoint_collector.wants(&w->cfg))
        checkpoint_collector.collect(&w->cfg, w->ck, st, NOW_MS);
    landing_collector.collect(&w->cfg, w->ld, st, NOW_MS);
    return st;
}

static void test_known_backlog(void **unused)
{
    (void)unused;
    struct world w = {0};
    w.root = scratch_dir("landing");
    w.ckpt = xasprintf("%s/ckpt", w.root);
    w.landing = xasprintf("%s/in", w.root);
    int64_t t0 = NOW_MS - 3600 * 1000;
    assert_int_equal(mkdir(w.landing, 0755), 0);
    /* processed in batches 0 and 1 */
    char *p1 = land(w.landing, "dt=2026-11-22/a.json", 100, t0);
    char *p2 = land(w.landing, "dt=2026-11-22/b.json", 200, t0 + 1000);
    char *p3 = land(w.landing, "dt=2026-11-22/c.json", 300, t0 + 2000);
    /* waiting: 1000 + 2000 bytes, the oldest 20 minutes old */
    char *w1 = land(w.landing, "dt=2026-11-22/d.json", 1000, NOW_MS - 1200 * 1000);
    char *w2 = land(w.landing, "dt=2026-11-23/e.json", 2000, NOW_MS - 60 * 1000);
    /* what Spark skips */
    free(land(w.landing, "_SUCCESS", 0, t0));
    free(land(w.landing, "dt=2026-11-22/.e.json.crc", 12, t0));
    free(land(w.landing, "_temporary/0/part-0", 50, t0));
    free(land(w.landing, "dt=2026-11-23/f.json._COPYING_", 70, t0));
    char *l0a = log_line(p1, t0, 0), *l0b = log_line(p2, t0 + 1000, 0),
         *l1 = log_line(p3, t0 + 2000, 1);
    char *delta0 = xasprintf("v1\n%s\n%s", l0a, l0b), *delta1 = xasprintf("v1\n%s", l1);
    write_str(w.ckpt, "sources/0/0", delta0);
    write_str(w.ckpt, "sources/0/1", delta1);
    write_str(w.ckpt, "metadata", "{\"id\":\"q\"}");
    write_str(w.ckpt, "offsets/0", "v1\n{\"batchTimestampMs\":1}\n{\"logOffset\":0}");
    write_str(w.ckpt, "offsets/1", "v1\n{\"batchTimestampMs\":2}\n{\"logOffset\":1}");
    write_str(w.ckpt, "commits/0", "v1\n{}");
    write_str(w.ckpt, "commits/1", "v1\n{}");
    /* c.json was overwritten after it was ingested: the stream will never read it again */
    set_mtime(p3, t0 + 5000);

    w.cfg.name = (char *)"w";
    w.cfg.checkpoint = w.ckpt;
    w.cfg.source = w.landing;
    w.ck = checkpoint_collector.state_new();
    w.ld = landing_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = pass(&w, &snap);
    if (st->errors.n || warnings_but_copied((const char *const *)st->warnings.v, st->warnings.n))
        fail_msg("%s", st->errors.n ? st->errors.v[0] : st->warnings.v[0]);
    double *m = st->metrics;
    assert_true(m[M_BACKLOG_FILES] == 2);
    assert_true(m[M_BACKLOG_BYTES] == 3000);
    assert_true(fabs(m[M_BACKLOG_AGE_SECONDS] - 1200) < 0.001);
    assert_true(m[M_OVERWRITTEN_FILES] == 1);
    assert_int_equal(st->origin[M_BACKLOG_FILES], ORIGIN_STORAGE);
    snapshot_free(snap);

    /* batch 2 takes d.json; a new file arrives. The second pass reads only the new delta. */
    char *l2 = log_line(w1, NOW_MS - 1200 * 1000, 2);
    char *delta2 = xasprintf("v1\n%s", l2);
    write_str(w.ckpt, "sources/0/2", delta2);
    write_str(w.ckpt, "offsets/2", "v1\n{\"batchTimestampMs\":3}\n{\"logOffset\":2}");
    char *w3 = land(w.landing, "dt=2026-11-23/g.json", 500, NOW_MS - 10 * 1000);
    st = pass(&w, &snap);
    m = st->metrics;
    assert_true(m[M_BACKLOG_FILES] == 2); /* e and g */
    assert_true(m[M_BACKLOG_BYTES] == 2500);
    assert_true(fabs(m[M_BACKLOG_AGE_SECONDS] - 60) < 0.001);
    /* bytes read: the new delta and offsets file, plus metadata; not the old deltas */
    assert_true(st->bytes_read < strlen(delta0) + strlen(delta1) + strlen(delta2) + 200);
    snapshot_free(snap);

    /* the landing zone disappears: an error naming it, the other figures still there */
    char *cmd = xasprintf("rm -rf '%s'", w.landing);
    assert_int_equal(system(cmd), 0);
    st = pass(&w, &snap);
    assert_int_equal(st->errors.n, 1);
    assert_non_null(strstr(st->errors.v[0], "/in: No such file or directory"));
    assert_true(st->metrics[M_LAST_BATCH_ID] == 2);
    snapshot_free(snap);

    checkpoint_collector.state_free(w.ck);
    landing_collector.state_free(w.ld);
    free(cmd);
    free(p1), free(p2), free(p3), free(w1), free(w2), free(w3);
    free(l0a), free(l0b), free(l1), free(l2), free(delta0), free(delta1), free(delta2);
    free(w.root), free(w.ckpt), free(w.landing);
}

#define FILES_PER_BATCH 4000 /* 10 batches: a 3 MB compact, more than one read chunk */

static void test_new_compact_read_from_its_tail(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("compact");
    struct buf all;
    buf_init(&all);
    buf_puts(&all, "v1");
    for (int b = 0; b < 10; b++) {
        struct buf delta;
        buf_init(&delta);
        buf_puts(&delta, "v1");
        for (int f = 0; f < FILES_PER_BATCH; f++) {
            char line[160];
            snprintf(
                line, sizeof line,
                "\n{\"path\":\"file:///in/b%d/part-%05d.json\",\"timestamp\":%d,\"batchId\":%d}", b,
                f, 1000 + b, b);
            buf_puts(&delta, line);
            buf_puts(&all, line);
        }
        char name[32];
        snprintf(name, sizeof name, "%d", b);
        if (b < 9)
            write_str(dir, name, delta.data);
        buf_done(&delta);
    }
    struct sourcelog sl;
    sourcelog_init(&sl);
    struct strvec warn;
    strvec_init(&warn);
    struct st_err err;
    assert_int_equal(sourcelog_update(&sl, dir, 0, &warn, &err), 0);
    assert_int_equal(sl.seen.n, 9 * FILES_PER_BATCH);
    assert_int_equal(sl.folded_upto, 8);
    write_str(dir, "9.compact", all.data); /* batch 9 exists only inside the compact */
    assert_int_equal(sourcelog_update(&sl, dir, 0, &warn, &err), 0);
    assert_int_equal(sl.seen.n, 10 * FILES_PER_BATCH);
    assert_int_equal(sl.compact_id, 9);
    assert_int_equal(sl.interval, 10);
    assert_true(sl.bytes_read < all.len); /* only the tail */
    /* a fresh reader of the same folder reads the whole compact and agrees */
    struct sourcelog fresh;
    sourcelog_init(&fresh);
    assert_int_equal(sourcelog_update(&fresh, dir, 0, &warn, &err), 0);
    assert_int_equal(fresh.seen.n, 10 * FILES_PER_BATCH);
    assert_true(fresh.bytes_read >= all.len);
    /* garbage lines are skipped, named, and the rest is kept */
    write_str(
        dir, "10",
        "v1\n{\"path\":\"file:///in/x\",\"timestamp\":1,\"batchId\":10}\n\x01garbage\n{broken");
    assert_int_equal(sourcelog_update(&fresh, dir, 0, &warn, &err), 0);
    assert_int_equal(fresh.seen.n, 10 * FILES_PER_BATCH + 1);
    assert_int_equal(warn.n, 1);
    assert_non_null(strstr(warn.v[0], "/10: 2 garbage lines skipped (first at line 3)"));
    sourcelog_done(&fresh);
    sourcelog_done(&sl);
    strvec_done(&warn);
    buf_done(&all);
    free(dir);
}

/* A file added within the same timestamp tick as the listing leaves the folder's mtime as it
 * was; the folder must still be listed again (it failed about once in 30 runs before). */
static void test_racy_directory(void **unused)
{
    (void)unused;
    char *root = scratch_dir("racy");
    char *landing = xasprintf("%s/in", root);
    free(land(landing, "dt=1/a.json", 10, NOW_MS - 1000));
    char *dir = xasprintf("%s/dt=1", landing);
    struct stat before;
    assert_int_equal(stat(dir, &before), 0);
    write_str(root, "ckpt/sources/0/0", "v1");
    write_str(root, "ckpt/metadata", "{\"id\":\"q\"}");
    write_str(root, "ckpt/offsets/0", "v1\n{}\n{\"logOffset\":0}");
    char *ckpt = xasprintf("%s/ckpt", root);
    struct world w = {0};
    w.cfg.name = (char *)"r";
    w.cfg.checkpoint = ckpt;
    w.cfg.source = landing;
    w.ck = checkpoint_collector.state_new();
    w.ld = landing_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = pass(&w, &snap);
    assert_true(st->metrics[M_BACKLOG_FILES] == 1);
    snapshot_free(snap);
    free(land(landing, "dt=1/b.json", 10, NOW_MS - 500));
    struct timespec ts[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, dir, ts, 0), 0); /* the tick did not move */
    st = pass(&w, &snap);
    assert_true(st->metrics[M_BACKLOG_FILES] == 2);
    snapshot_free(snap);
    checkpoint_collector.state_free(w.ck);
    landing_collector.state_free(w.ld);
    free(ckpt);
    free(dir);
    free(landing);
    free(root);
}

/* Save a collector's cursor in chunks of `step` bytes and load it into a fresh state the same
 * way: what a new process does through the state DB. */
static void *cursor_round_trip(void *state, size_t step)
{
    /* the first chunk holds the header, as the store's 64 KiB chunks do */
    return cursor_round_trip_with(&landing_collector, state, 512, step + 3, NULL, NULL);
}

/* Arrivals: a feeder writing every minute for half an hour, its staging folder with one
 * leftover, a cursor carried to a new process, the landing zone emptied, a file from the
 * future. */
static void test_arrivals_and_staging(void **unused)
{
    (void)unused;
    char *root = scratch_dir("arrivals");
    char *landing = xasprintf("%s/in", root);
    for (int k = 0; k < 30; k++) {
        char rel[64];
        snprintf(rel, sizeof rel, "2026/11/22/10/f%02d.json", k);
        free(land(landing, rel, 10, NOW_MS - 30 * 60000 + k * 60000));
    }
    free(land(landing, "_staging/left.json", 10, NOW_MS - 20 * 60000)); /* the feeder died */
    free(land(landing, "_staging/moving.json", 10, NOW_MS - 60000));    /* being moved now */
    struct world w = {0};
    w.cfg.name = (char *)"a";
    w.cfg.source = landing;
    w.cfg.staging = (char *)"_staging";
    w.cfg.staging_stale_ms = 10 * 60000;
    w.cfg.clock_skew_ms = 30000;
    w.ck = checkpoint_collector.state_new();
    w.ld = landing_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = pass(&w, &snap);
    double *m = st->metrics;
    assert_int_equal(st->errors.n, 0);
    assert_true(fabs(m[M_LANDING_NEWEST_AGE_SECONDS] - 60) < 0.001);
    assert_true(fabs(m[M_LANDING_ARRIVALS_PER_MINUTE] - 14.0 / 15) < 1e-9); /* 14 in 15 min */
    assert_true(fabs(m[M_LANDING_ARRIVAL_GAP_SECONDS] - 60) < 0.001);
    assert_true(m[M_STAGING_STALE_FILES] == 1);
    assert_true(isnan(m[M_BACKLOG_FILES])); /* no checkpoint: no backlog */
    assert_int_equal(st->warnings.n, 1);
    assert_non_null(strstr(st->warnings.v[0], "_staging: 1 file older than 10m00s"));
    snapshot_free(snap);

    /* a new process: the arrivals come from the cursor; one new file is one arrival */
    void *again = cursor_round_trip(w.ld, 7);
    landing_collector.state_free(w.ld);
    w.ld = again;
    free(land(landing, "2026/11/22/10/new.json", 10, NOW_MS - 1000));
    st = pass(&w, &snap);
    m = st->metrics;
    assert_true(fabs(m[M_LANDING_NEWEST_AGE_SECONDS] - 1) < 0.001);
    assert_true(fabs(m[M_LANDING_ARRIVALS_PER_MINUTE] - 15.0 / 15) < 1e-9);
    /* the new file shares the last one's minute: gaps stay 60 s */
    assert_true(fabs(m[M_LANDING_ARRIVAL_GAP_SECONDS] - 60) < 0.001);
    snapshot_free(snap);

    /* everything ingested is moved away (cleanSource): the newest arrival is still known */
    char *cmd = xasprintf("rm -rf '%s/2026'", landing);
    assert_int_equal(system(cmd), 0);
    again = cursor_round_trip(w.ld, 4096);
    landing_collector.state_free(w.ld);
    w.ld = again;
    st = pass(&w, &snap);
    assert_true(fabs(st->metrics[M_LANDING_NEWEST_AGE_SECONDS] - 1) < 0.001);
    snapshot_free(snap);

    /* a file stamped an hour ahead: age 0, never negative, and one warning only */
    free(land(landing, "2026/11/22/11/future.json", 10, NOW_MS + 3600 * 1000));
    st = pass(&w, &snap);
    assert_true(st->metrics[M_LANDING_NEWEST_AGE_SECONDS] == 0);
    size_t warned = 0;
    for (size_t i = 0; i < st->warnings.n; i++)
        warned += strstr(st->warnings.v[i], "stamped in the future (up to 1h00m ahead") != NULL;
    assert_int_equal(warned, 1);
    snapshot_free(snap);
    again = cursor_round_trip(w.ld, 100);
    landing_collector.state_free(w.ld);
    w.ld = again;
    st = pass(&w, &snap);
    for (size_t i = 0; i < st->warnings.n; i++)
        assert_null(strstr(st->warnings.v[i], "in the future"));
    snapshot_free(snap);

    checkpoint_collector.state_free(w.ck);
    landing_collector.state_free(w.ld);
    free(cmd);
    free(landing);
    free(root);
}

/* An Auto Loader query (seqNum offsets): files newer than its last planned batch's start plus
 * clock_skew are certainly waiting, a lower bound; progress figures replace it. */
static void test_autoloader_lower_bound(void **unused)
{
    (void)unused;
    char *root = scratch_dir("autoloader");
    char *landing = xasprintf("%s/in", root);
    int64_t start = NOW_MS - 600 * 1000;
    free(land(landing, "a.json", 10, start - 120000)); /* before the batch: read or not */
    free(land(landing, "b.json", 10, start - 1000));
    free(land(landing, "c.json", 10, start + 10000)); /* within clock_skew: maybe listed */
    free(land(landing, "d.json", 100, start + 60000));
    free(land(landing, "e.json", 200, start + 120000));
    free(land(landing, "f.json", 300, NOW_MS - 5000));
    free(land(landing, "g.json", 400, NOW_MS + 7200 * 1000)); /* from the future: left out */
    char *offsets = xasprintf("v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld}\n"
                              "{\"seqNum\":41,\"sourceVersion\":1,\"lastBackfillStartTimeMs\":1,"
                              "\"lastBackfillFinishTimeMs\":2}",
                              (long long)start);
    write_str(root, "ckpt/metadata", "{\"id\":\"q\"}");
    write_str(root, "ckpt/offsets/7", offsets);
    write_str(root, "ckpt/commits/7", "v1\n{\"nextBatchWatermarkMs\":0}");
    char *ckpt = xasprintf("%s/ckpt", root);
    struct world w = {0};
    w.cfg.name = (char *)"al";
    w.cfg.checkpoint = ckpt;
    w.cfg.source = landing;
    w.cfg.clock_skew_ms = 30000;
    w.ck = checkpoint_collector.state_new();
    w.ld = landing_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = pass(&w, &snap);
    double *m = st->metrics;
    assert_int_equal(st->errors.n, 0);
    assert_true(m[M_BACKLOG_FILES] == 3);
    assert_true(m[M_BACKLOG_BYTES] == 600);
    assert_true(fabs(m[M_BACKLOG_AGE_SECONDS] - 540) < 0.001);
    assert_int_equal(st->origin[M_BACKLOG_FILES], ORIGIN_STORAGE_LOWER_BOUND);
    assert_string_equal(metric_origin_name(st->origin[M_BACKLOG_FILES]), "storage_lower_bound");
    for (size_t i = 0; i < st->warnings.n; i++)
        assert_null(strstr(st->warnings.v[i], "not a file source"));
    snapshot_free(snap);

    /* the query's progress reports numFilesOutstanding: its figure wins */
    char *progress = xasprintf("%s/progress.jsonl", root);
    char *line = xasprintf(
        "{\"id\":\"q\",\"runId\":\"r\",\"name\":null,\"timestamp\":\"2026-11-22T10:00:00.000Z\","
        "\"batchId\":7,\"numInputRows\":1,\"inputRowsPerSecond\":1.0,"
        "\"processedRowsPerSecond\":1.0,\"durationMs\":{\"triggerExecution\":100},"
        "\"stateOperators\":[],\"sources\":[{\"description\":\"CloudFilesSource[%s]\","
        "\"startOffset\":null,\"endOffset\":null,\"latestOffset\":null,\"numInputRows\":1,"
        "\"inputRowsPerSecond\":1.0,\"processedRowsPerSecond\":1.0,\"metrics\":{"
        "\"numBytesOutstanding\":\"9000\",\"numFilesOutstanding\":\"9\"}}],"
        "\"sink\":{\"description\":\"x\",\"numOutputRows\":1}}\n",
        landing);
    write_text(progress, line, strlen(line));
    w.cfg.progress = progress;
    void *pr = progress_collector.state_new();
    snap = snapshot_new(NOW_MS);
    st = snapshot_add_stream(snap, "al");
    checkpoint_collector.collect(&w.cfg, w.ck, st, NOW_MS);
    landing_collector.collect(&w.cfg, w.ld, st, NOW_MS);
    progress_collector.collect(&w.cfg, pr, st, NOW_MS);
    assert_true(st->metrics[M_BACKLOG_FILES] == 9);
    assert_true(st->metrics[M_BACKLOG_BYTES] == 9000);
    assert_int_equal(st->origin[M_BACKLOG_FILES], ORIGIN_PROGRESS);
    snapshot_free(snap);
    progress_collector.state_free(pr);

    checkpoint_collector.state_free(w.ck);
    landing_collector.state_free(w.ld);
    free(line);
    free(progress);
    free(offsets);
    free(ckpt);
    free(landing);
    free(root);
}

struct listings {
    const char *under;
    int n;
};

static void count_listing(const char *path, void *ctx)
{
    struct listings *l = ctx;
    l->n += strncmp(path, l->under, strlen(l->under)) == 0;
}

/* A cron pass is a new process: with the folders kept in the cursor, one over an unchanged
 * landing zone stats folders and lists none, and gives the same figures; a folder that
 * changed is listed again, alone. */
static void test_listing_across_processes(void **unused)
{
    (void)unused;
    char *root = scratch_dir("listing");
    char *landing = xasprintf("%s/in", root);
    int64_t old = NOW_MS - 3600 * 1000;
    for (int d = 0; d < 5; d++)
        for (int f = 0; f < 4; f++) {
            char rel[64];
            snprintf(rel, sizeof rel, "dt=2026-11-2%d/f%d.json", d, f);
            free(land(landing, rel, 100, old + d * 60000 + f * 1000));
        }
    write_str(root, "ckpt/sources/0/0", "v1");
    write_str(root, "ckpt/metadata", "{\"id\":\"q\"}");
    write_str(root, "ckpt/offsets/0", "v1\n{}\n{\"logOffset\":0}");
    char *ckpt = xasprintf("%s/ckpt", root);
    /* folders last changed long before they are listed (not "racy") */
    for (int d = 0; d < 5; d++) {
        char rel[32];
        snprintf(rel, sizeof rel, "dt=2026-11-2%d", d);
        touch_ms(landing, rel, old);
    }
    touch_ms(root, "in", old);
    struct world w = {0};
    w.cfg.name = (char *)"l";
    w.cfg.checkpoint = ckpt;
    w.cfg.source = landing;
    w.ck = checkpoint_collector.state_new();
    w.ld = landing_collector.state_new();
    struct listings l = {landing, 0};
    fs_set_listed_hook(count_listing, &l);
    struct snapshot *snap;
    struct snap_stream *st = pass(&w, &snap);
    assert_int_equal(l.n, 6); /* the root and its five folders */
    assert_true(st->metrics[M_BACKLOG_FILES] == 20);
    double age = st->metrics[M_BACKLOG_AGE_SECONDS];
    snapshot_free(snap);

    void *again = cursor_round_trip(w.ld, 4096);
    landing_collector.state_free(w.ld);
    w.ld = again;
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 0); /* folders stat'ed, none listed */
    assert_true(st->metrics[M_BACKLOG_FILES] == 20);
    assert_true(st->metrics[M_BACKLOG_BYTES] == 2000);
    assert_true(st->metrics[M_BACKLOG_AGE_SECONDS] == age);
    assert_true(fabs(st->metrics[M_LANDING_NEWEST_AGE_SECONDS] - (3600 - 4 * 60 - 3)) < 0.001);
    snapshot_free(snap);
    assert_int_equal(landing_collector.cursor_size(w.ld), 0); /* nothing changed to save */

    /* a new file in one folder: that folder alone is listed again, in this process and in
     * the next */
    free(land(landing, "dt=2026-11-22/new.json", 50, NOW_MS - 1000));
    touch_ms(landing, "dt=2026-11-22", old + 1000);
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_BACKLOG_FILES] == 21);
    snapshot_free(snap);
    again = cursor_round_trip(w.ld, 4096);
    landing_collector.state_free(w.ld);
    w.ld = again;
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 0);
    assert_true(st->metrics[M_BACKLOG_FILES] == 21);
    assert_true(st->metrics[M_BACKLOG_BYTES] == 2050);
    snapshot_free(snap);
    fs_set_listed_hook(NULL, NULL);

    checkpoint_collector.state_free(w.ck);
    landing_collector.state_free(w.ld);
    free(ckpt);
    free(landing);
    free(root);
}

/* The file-source log folder (sources/0) of a cron pass, a new process: with its stamp in the
 * cursor, a pass over an unchanged folder stats it and lists nothing, with the same figures; a
 * new log file (the folder's mtime moved) is read; a stamp taken right after the folder changed
 * (racy) is not reused, nor one older than full_listing_every. */
static void test_sourcelog_across_processes(void **unused)
{
    (void)unused;
    struct world w = {0};
    w.root = scratch_dir("slcron");
    w.ckpt = xasprintf("%s/ckpt", w.root);
    w.landing = xasprintf("%s/in", w.root);
    int64_t old = NOW_MS - 3600 * 1000;
    char *f[4], *line[4];
    for (int i = 0; i < 4; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "f%d.json", i);
        f[i] = land(w.landing, rel, 100, old + i * 1000);
        line[i] = log_line(f[i], old + i * 1000, i);
    }
    char *d0 = xasprintf("v1\n%s", line[0]), *d1 = xasprintf("v1\n%s", line[1]);
    write_str(w.ckpt, "sources/0/0", d0);
    write_str(w.ckpt, "sources/0/1", d1);
    write_str(w.ckpt, "metadata", "{\"id\":\"q\"}");
    write_str(w.ckpt, "offsets/0", "v1\n{\"batchTimestampMs\":1}\n{\"logOffset\":0}");
    write_str(w.ckpt, "offsets/1", "v1\n{\"batchTimestampMs\":2}\n{\"logOffset\":1}");
    touch_ms(w.ckpt, "sources/0", old); /* last changed long before it is listed */
    touch_ms(w.root, "in", old);
    char *logdir = xasprintf("%s/sources/0", w.ckpt);
    w.cfg.name = (char *)"w";
    w.cfg.checkpoint = w.ckpt;
    w.cfg.source = w.landing;
    w.cfg.full_listing_every_ms = 3600 * 1000;
    w.ck = checkpoint_collector.state_new();
    w.ld = landing_collector.state_new();
    struct listings l = {logdir, 0};
    fs_set_listed_hook(count_listing, &l);
    struct snapshot *snap;
    struct snap_stream *st = pass(&w, &snap);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_BACKLOG_FILES] == 2);
    snapshot_free(snap);

    /* a new process: the folder stat'ed, not listed, nothing read; the same figures */
    void *again = cursor_round_trip(w.ld, 4096);
    landing_collector.state_free(w.ld);
    w.ld = again;
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 0);
    assert_true(st->metrics[M_BACKLOG_FILES] == 2);
    assert_true(st->metrics[M_BACKLOG_BYTES] == 200);
    assert_int_equal(st->errors.n, 0);
    snapshot_free(snap);
    assert_int_equal(landing_collector.cursor_size(w.ld), 0); /* nothing changed to save */

    /* batch 2 takes f2: the folder's mtime moved, so it is listed and the new file read, in
     * this process; the next one reuses that listing */
    char *d2 = xasprintf("v1\n%s", line[2]);
    write_str(w.ckpt, "sources/0/2", d2);
    touch_ms(w.ckpt, "sources/0", old + 1000);
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_BACKLOG_FILES] == 1);
    snapshot_free(snap);
    again = cursor_round_trip(w.ld, 4096);
    landing_collector.state_free(w.ld);
    w.ld = again;
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 0);
    assert_true(st->metrics[M_BACKLOG_FILES] == 1);
    snapshot_free(snap);

    /* batch 3 takes f3, its file written just now: the stamp is racy. A file made within the
     * same tick (the folder's mtime put back as it was) is still found: the racy stamp is not
     * reused */
    char *d3 = xasprintf("v1\n%s", line[3]);
    write_str(w.ckpt, "sources/0/3", d3);
    struct stat before;
    assert_int_equal(stat(logdir, &before), 0);
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_BACKLOG_FILES] == 0);
    snapshot_free(snap);
    char *f4 = land(w.landing, "f4.json", 100, old + 4000);
    char *line4 = log_line(f4, old + 4000, 4), *d4 = xasprintf("v1\n%s", line4);
    write_str(w.ckpt, "sources/0/4", d4);
    struct timespec ts[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, logdir, ts, 0), 0);
    again = cursor_round_trip(w.ld, 4096);
    landing_collector.state_free(w.ld);
    w.ld = again;
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_BACKLOG_FILES] == 0); /* f4 is in the log too */
    snapshot_free(snap);

    /* a stamp older than full_listing_every is not reused either */
    touch_ms(w.ckpt, "sources/0", old + 2000);
    st = pass(&w, &snap); /* lists, stamps */
    snapshot_free(snap);
    l.n = 0;
    st = pass(&w, &snap);
    assert_int_equal(l.n, 0);
    snapshot_free(snap);
    w.cfg.full_listing_every_ms = 1;
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL); /* the stamp 5 ms old */
    st = pass(&w, &snap);
    assert_int_equal(l.n, 1);
    snapshot_free(snap);
    fs_set_listed_hook(NULL, NULL);

    checkpoint_collector.state_free(w.ck);
    landing_collector.state_free(w.ld);
    for (int i = 0; i < 4; i++)
        free(f[i]), free(line[i]);
    free(f4), free(line4), free(d0), free(d1), free(d2), free(d3), free(d4), free(logdir);
    free(w.root), free(w.ckpt), free(w.landing);
}

/* The cursor's bytes, as the state DB would keep them. */
static unsigned char *cursor_blob(void *state, size_t *total)
{
    *total = landing_collector.cursor_size(state);
    assert_true(*total > 0);
    unsigned char *blob = xmalloc(*total);
    landing_collector.cursor_fill(state, 0, blob, *total);
    return blob;
}

/* A cursor of an older format, with flags this version does not know, or with damaged folders
 * is not trusted: the next pass lists everything, with the right figures. */
static void test_cursor_not_trusted(void **unused)
{
    (void)unused;
    char *root = scratch_dir("untrusted");
    char *landing = xasprintf("%s/in", root);
    int64_t old = NOW_MS - 3600 * 1000;
    for (int d = 0; d < 5; d++) {
        char rel[64];
        snprintf(rel, sizeof rel, "dt=2026-11-2%d/f.json", d);
        free(land(landing, rel, 100, old + d * 60000));
        snprintf(rel, sizeof rel, "dt=2026-11-2%d", d);
        touch_ms(landing, rel, old);
    }
    touch_ms(root, "in", old);
    struct world w = {0};
    w.cfg.name = (char *)"l";
    w.cfg.source = landing;
    w.ld = landing_collector.state_new();
    struct listings l = {landing, 0};
    fs_set_listed_hook(count_listing, &l);
    struct snapshot *snap;
    pass(&w, &snap);
    snapshot_free(snap);
    size_t total;
    unsigned char *good = cursor_blob(w.ld, &total);
    unsigned char *blob = xmalloc(total);
    int64_t folders_len;
    memcpy(&folders_len, good + 8 + 8 * 10, 8);
    for (int k = 0; k < 5; k++) {
        memcpy(blob, good, total);
        if (k == 4) {
            int64_t listed = -5; /* the log folder's stamp: a time before any listing */
            memcpy(blob + 8 + 8 * 5, &listed, 8);
        } else if (k == 1) {
            memcpy(blob, "LND4", 4); /* an older version's */
        } else if (k == 2) {
            int64_t flags = 9;
            memcpy(blob + 8 + 8 * 13, &flags, 8);
        } else if (k == 3) {
            uint32_t n = 1000; /* more folders than the bytes hold */
            memcpy(blob + total - (size_t)folders_len, &n, 4);
        }
        void *fresh = landing_collector.state_new();
        int rc = landing_collector.cursor_take(fresh, blob, total, total);
        assert_int_equal(rc, k == 0 ? 0 : -1);
        landing_collector.state_free(w.ld);
        w.ld = fresh;
        l.n = 0;
        struct snap_stream *st = pass(&w, &snap);
        assert_int_equal(l.n, k == 0 ? 0 : 6); /* trusted: nothing listed; else everything */
        assert_true(st->metrics[M_LANDING_NEWEST_AGE_SECONDS] == 3600 - 4 * 60);
        snapshot_free(snap);
    }
    fs_set_listed_hook(NULL, NULL);
    free(blob);
    free(good);
    landing_collector.state_free(w.ld);
    free(landing);
    free(root);
}

int main(void)
{
    clock_fix(NOW_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_source_logs),
        cmocka_unit_test(test_path_canon),
        cmocka_unit_test(test_known_backlog),
        cmocka_unit_test(test_new_compact_read_from_its_tail),
        cmocka_unit_test(test_racy_directory),
        cmocka_unit_test(test_arrivals_and_staging),
        cmocka_unit_test(test_autoloader_lower_bound),
        cmocka_unit_test(test_listing_across_processes),
        cmocka_unit_test(test_cursor_not_trusted),
        cmocka_unit_test(test_sourcelog_across_processes),
    };
    return cmocka_run_group_tests_name("landing and source log", tests, NULL, NULL);
}
