/* The checkpoint collector over every real checkpoint in ../shared/fixtures/real, read in
 * place. Expected values were written from the files themselves (metadata ids, offsets/ and
 * commits/ listings, the last offsets file's source lines); timing metrics are checked against
 * an independent reading of batchTimestampMs and file mtimes. */
#define _XOPEN_SOURCE_EXTENDED 1
#include "cursorutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <math.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "core/clock.h"

struct expect {
    const char *dir;
    const char *query_id;
    double last, committed; /* NAN: not measurable */
    size_t nsources;
    enum source_kind kinds[3];
    int inflight;        /* 1 a batch is in flight, 0 none, -1 unknown (no commits/) */
    const char *warning; /* substring of a warning, or NULL for none */
};

static const struct expect cases[] = {
    {"spark-checkpoints/spark-2.1.0-checkpoint-version-2.1.0",
     "dddc5e7f-1e71-454c-8362-de184444fb5a",
     1,
     NAN,
     1,
     {SRC_NUMBER},
     -1,
     "commits: missing"},
    {"spark-checkpoints/spark-2.3.1-multi-watermark-two-sources",
     "549eeb1a-d762-420c-bb44-3fd6d73a5268",
     1,
     NAN,
     2,
     {SRC_NUMBER, SRC_NUMBER},
     -1,
     "commits: missing"},
    {"spark-checkpoints/spark-2.4.0-escaped-path-file-sink/chk%252520%252525@%252523chk",
     "09be7fb3-49d8-48a6-840d-e9c2ad92a898",
     0,
     NAN,
     1,
     {SRC_NUMBER},
     -1,
     "commits: missing"},
    {"spark-checkpoints/spark-2.4.0-streaming-join-two-sources",
     "1ab1ee6f-993c-4a51-824c-1c7cc8202f62",
     0,
     NAN,
     2,
     {SRC_NUMBER, SRC_NUMBER},
     -1,
     NULL},
    {"spark-checkpoints/spark-3.5.1-streaming-deduplication",
     "a13717f3-7485-421b-b55a-21625123b680",
     1,
     NAN,
     1,
     {SRC_NUMBER},
     -1,
     NULL},
    {"spark-checkpoints/spark-4.0.0-state-source-tail",
     "4b845061-ea3a-4bcd-af05-ad21b45da953",
     30,
     30,
     1,
     {SRC_NUMBER},
     0,
     NULL},
    {"spark-checkpoints/spark-4.0.0-tws-avro",
     "f3f30619-9175-4329-97a7-f5629deaad89",
     1,
     1,
     1,
     {SRC_NUMBER},
     0,
     NULL},
    {"spark-checkpoints/spark-4.0.0-tws-unsaferow",
     "1341f9d1-5100-4426-876c-2754aeaca02b",
     1,
     NAN,
     1,
     {SRC_NUMBER},
     -1,
     NULL},
    {"spark-checkpoints/spark-test-offsetId-commitId-inconsistent",
     "d4358946-170c-49a7-823b-d8e4e9126616",
     4,
     NAN,
     1,
     {SRC_NUMBER},
     -1,
     "not contiguous (3 is missing"},
    {"user-checkpoints/chrisfinlayson-kafka-single-batch",
     "52e638e0-a5ab-4ca5-8f53-d5dc5fd6432e",
     0,
     0,
     1,
     {SRC_KAFKA},
     0,
     NULL},
    {"user-checkpoints/cryptoquant-bronze-kafka-3topics",
     "03fefe82-f516-4fcc-8374-dfe7b27f4b78",
     7,
     7,
     1,
     {SRC_KAFKA},
     0,
     NULL},
    {"user-checkpoints/cryptoquant-gold-delta-source",
     "15804cec-91c1-406c-b0fa-030af4a07b6f",
     5,
     4,
     1,
     {SRC_DELTA},
     1,
     NULL},
    {"user-checkpoints/cryptoquant-silver-delta-source",
     "1412ef26-fa34-465c-a941-671f07e15ced",
     5,
     5,
     1,
     {SRC_DELTA},
     0,
     NULL},
    {"user-checkpoints/khanh-kafka-debezium-retained-520-620",
     "139ba637-8af9-49d4-833a-cb7525db441b",
     620,
     619,
     1,
     {SRC_KAFKA},
     1,
     NULL},
    {"user-checkpoints/macrometa-pulsar-source-retained-35-135",
     "be58cd7b-0961-4377-85fc-aca4f965fd22",
     135,
     134,
     1,
     {SRC_OTHER},
     1,
     NULL},
    {"user-checkpoints/nacpacheco-3batches",
     "b662ba26-4069-4a2e-875a-7dfb6b23e532",
     2,
     2,
     1,
     {SRC_FILE},
     0,
     NULL},
    {"user-checkpoints/stephanschweitzer-filesource-compacted-95-194",
     "0a1a1ee9-4ce9-4db9-a612-c80e246a3beb",
     194,
     193,
     1,
     {SRC_FILE},
     1,
     NULL},
    {"user-checkpoints/vsvale-filesource-csv-spark3.3",
     "08ce15b4-4bf1-4190-8686-fa91db1de6dd",
     3,
     3,
     1,
     {SRC_FILE},
     0,
     NULL},
    {"user-pipelines/balaprathap-kafka-to-bronze-filesink-compacted/checkpoints/bronze",
     "4a51c7dc-0c7d-4643-aa88-a45247224f6c",
     46,
     46,
     1,
     {SRC_KAFKA},
     0,
     NULL},
    {"user-pipelines/kalyan-kafka-to-bronze-to-silver/checkpoints/bronze",
     "4059a9dc-214d-4435-970c-f34e9dee5a1a",
     8,
     8,
     1,
     {SRC_KAFKA},
     0,
     NULL},
    {"user-pipelines/kalyan-kafka-to-bronze-to-silver/checkpoints/silver",
     "5d56c731-cdc4-4eac-8927-20882da1bccb",
     8,
     8,
     1,
     {SRC_FILE},
     0,
     NULL},
};

#define NOW_MS 1800000000000LL /* 2027-01-15, after every fixture */

/* Run the collector once over dir; the caller frees the snapshot. */
static struct snapshot *collect(const char *dir, void **state_out)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"t";
    cfg.checkpoint = (char *)dir;
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "t");
    void *state = *state_out ? *state_out : checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
    *state_out = state;
    return snap;
}

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static bool has_text(const struct strvec *sv, const char *needle)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strstr(sv->v[i], needle))
            return true;
    return false;
}

static void test_real_checkpoints(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct expect *e = &cases[i];
        char *dir = xasprintf("%s/%s", fx, e->dir);
        void *state = NULL;
        struct snapshot *snap = collect(dir, &state);
        const struct snap_stream *st = &snap->streams[0];
        const double *m = st->metrics;
        if (st->errors.n)
            fail_msg("%s: unexpected error: %s", e->dir, st->errors.v[0]);
        if (!st->query_id || strcmp(st->query_id, e->query_id) != 0)
            fail_msg("%s: query id %s", e->dir, st->query_id ? st->query_id : "(null)");
        if (!same(m[M_LAST_BATCH_ID], e->last) || !same(m[M_COMMITTED_BATCH_ID], e->committed))
            fail_msg("%s: last %g committed %g", e->dir, m[M_LAST_BATCH_ID],
                     m[M_COMMITTED_BATCH_ID]);
        if (st->nsources != e->nsources)
            fail_msg("%s: %zu sources", e->dir, st->nsources);
        for (size_t s = 0; s < st->nsources; s++)
            if (st->sources[s].kind != e->kinds[s])
                fail_msg("%s: source %zu is %s", e->dir, s, source_kind_name(st->sources[s].kind));
        double inflight = m[M_INFLIGHT_SECONDS];
        int got = isnan(inflight) ? -1 : inflight > 0 ? 1 : 0;
        if (got != e->inflight)
            fail_msg("%s: inflight %g", e->dir, inflight);
        if (e->warning && !has_text(&st->warnings, e->warning))
            fail_msg("%s: no warning containing '%s'", e->dir, e->warning);
        assert_true(m[M_STATE_BYTES] >= 0);
        snapshot_free(snap);
        checkpoint_collector.state_free(state);
        free(dir);
    }
}

/* batchTimestampMs of an offsets file, read independently of the code under test. */
static int64_t file_ts(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[8192] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strstr(buf, "\"batchTimestampMs\":");
    assert_non_null(p);
    return strtoll(p + 19, NULL, 10);
}

static int64_t file_mtime_ms(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_timing_metrics(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    /* in flight: macrometa's batch 135 has no commit */
    char *dir = xasprintf("%s/user-checkpoints/macrometa-pulsar-source-retained-35-135", fx);
    char *off = xasprintf("%s/offsets/135", dir);
    char *com = xasprintf("%s/commits/134", dir);
    char *off134 = xasprintf("%s/offsets/134", dir);
    void *state = NULL;
    struct snapshot *snap = collect(dir, &state);
    const double *m = snap->streams[0].metrics;
    assert_true(fabs(m[M_INFLIGHT_SECONDS] - (double)(NOW_MS - file_ts(off)) / 1000) < 0.001);
    assert_true(fabs(m[M_COMMIT_AGE_SECONDS] - (double)(NOW_MS - file_mtime_ms(com)) / 1000) <
                0.001);
    /* the fixture's files carry the times of their checkout, not of the batches: commits/134 is
     * later than batch 135's start, so batch 134's duration is not measured from it */
    assert_true(file_mtime_ms(com) > file_ts(off) + 60000);
    (void)off134;
    assert_true(isnan(m[M_BATCH_DURATION_SECONDS]));
    assert_true(has_text(&snap->streams[0].warnings, "/commits/134: written"));
    assert_true(isnan(m[M_WATERMARK_LAG_SECONDS])); /* batchWatermarkMs 0: no watermark */
    /* the window: the newest batches only */
    assert_true(snap->streams[0].nbatches <= 30);
    assert_int_equal(snap->streams[0].batches[snap->streams[0].nbatches - 1].id, 135);
    assert_int_equal(snap->streams[0].batches[snap->streams[0].nbatches - 1].commit_ms, -1);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
    free(off);
    free(com);
    free(off134);

    /* interval median over cryptoquant-bronze's 8 batches */
    dir = xasprintf("%s/user-checkpoints/cryptoquant-bronze-kafka-3topics", fx);
    double gaps[7];
    for (int b = 1; b <= 7; b++) {
        char *p0 = xasprintf("%s/offsets/%d", dir, b - 1), *p1 = xasprintf("%s/offsets/%d", dir, b);
        gaps[b - 1] = (double)(file_ts(p1) - file_ts(p0)) / 1000;
        free(p0);
        free(p1);
    }
    qsort(gaps, 7, sizeof gaps[0], cmp_d);
    state = NULL;
    snap = collect(dir, &state);
    assert_true(fabs(snap->streams[0].metrics[M_BATCH_INTERVAL_SECONDS] - gaps[3]) < 0.001);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);

    /* watermark: gold-delta-source's newest batch has batchWatermarkMs 1776749969527 */
    dir = xasprintf("%s/user-checkpoints/cryptoquant-gold-delta-source", fx);
    state = NULL;
    snap = collect(dir, &state);
    assert_true(fabs(snap->streams[0].metrics[M_WATERMARK_LAG_SECONDS] -
                     (double)(NOW_MS - 1776749969527LL) / 1000) < 0.001);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

/* Write path with text and set its mtime. */
static void write_at(const char *path, const char *text, int64_t mtime_ms)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct timespec ts[2] = {{mtime_ms / 1000, (mtime_ms % 1000) * 1000000},
                             {mtime_ms / 1000, (mtime_ms % 1000) * 1000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* A checkpoint with its own file times gives each batch's duration as commit time minus
 * batchTimestampMs; the same checkpoint copied without its times (cp without -p: every file
 * dated now, days after the batches) gives no duration and a warning naming the commit file,
 * and its batches are marked so the batch-stuck median leaves them out. */
static void test_copied_checkpoint(void **unused)
{
    (void)unused;
    char tmpl[] = "/tmp/streamtop-ckpt-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *src = xasprintf("%s/orig", tmpl), *dst = xasprintf("%s/copy", tmpl);
    char *offs = xasprintf("%s/offsets", src), *coms = xasprintf("%s/commits", src);
    assert_int_equal(mkdir(src, 0755), 0);
    assert_int_equal(mkdir(offs, 0755), 0);
    assert_int_equal(mkdir(coms, 0755), 0);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t t0 = (int64_t)now.tv_sec * 1000 - 3 * 86400000LL; /* three days ago */
    char *meta = xasprintf("%s/metadata", src);
    write_at(meta, "{\"id\":\"5f0c1a4e-1111-4a2b-9c3d-0123456789ab\"}\n", t0 - 1000);
    for (int b = 0; b < 3; b++) {
        int64_t start = t0 + b * 60000LL;
        char *text = xasprintf("v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":"
                               "{\"spark.sql.shuffle.partitions\":\"2\"}}\n{\"logOffset\":%d}\n",
                               (long long)start, b);
        char *p = xasprintf("%s/%d", offs, b);
        write_at(p, text, start + 500);
        free(p);
        p = xasprintf("%s/%d", coms, b);
        write_at(p, "v1\n{\"nextBatchWatermarkMs\":0}\n", start + 7000 + b * 1000);
        free(p);
        free(text);
    }
    void *state = NULL;
    struct snapshot *snap = collect(src, &state);
    const struct snap_stream *st = &snap->streams[0];
    assert_true(fabs(st->metrics[M_BATCH_DURATION_SECONDS] - 9) < 0.001);
    assert_int_equal(st->nbatches, 3);
    for (size_t i = 0; i < st->nbatches; i++)
        assert_false(st->batches[i].commit_time_bad);
    assert_false(has_text(&st->warnings, "written"));
    snapshot_free(snap);
    checkpoint_collector.state_free(state);

    char *cmd = xasprintf("cp -r '%s' '%s'", src, dst);
    assert_int_equal(system(cmd), 0);
    state = NULL;
    snap = collect(dst, &state);
    st = &snap->streams[0];
    assert_true(isnan(st->metrics[M_BATCH_DURATION_SECONDS]));
    assert_int_equal(st->nbatches, 3);
    for (size_t i = 0; i < st->nbatches; i++)
        assert_true(st->batches[i].commit_time_bad);
    char *want = xasprintf("%s/commits/2: written", dst);
    assert_true(has_text(&st->warnings, want));
    assert_int_equal(st->errors.n, 0);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);

    free(cmd);
    cmd = xasprintf("rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(want);
    free(meta);
    free(src);
    free(dst);
    free(offs);
    free(coms);
}

static double state_sum;
static int sum_state(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    const char *base = path + ftw->base;
    size_t n = strlen(base);
    if (flag == FTW_F && base[0] != '.' && !(n > 4 && strcmp(base + n - 4, ".crc") == 0))
        state_sum += (double)st->st_size;
    return 0;
}

static void test_state_and_kafka_initial(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    char *dir = xasprintf("%s/user-checkpoints/nacpacheco-3batches", fx);
    char *statedir = xasprintf("%s/state", dir);
    state_sum = 0;
    assert_int_equal(nftw(statedir, sum_state, 16, FTW_PHYS), 0);
    void *state = NULL;
    struct snapshot *snap = collect(dir, &state);
    assert_true(state_sum > 0);
    assert_true(snap->streams[0].metrics[M_STATE_BYTES] == state_sum);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
    free(statedir);

    /* sources/0/0 starts with a NUL byte, then v1 */
    dir = xasprintf("%s/user-checkpoints/chrisfinlayson-kafka-single-batch", fx);
    state = NULL;
    snap = collect(dir, &state);
    const struct snap_source *src = &snap->streams[0].sources[0];
    assert_string_equal(src->end_offset, "{\"OrderEventStream\":{\"0\":8600}}");
    assert_string_equal(src->initial_offset, "{\"OrderEventStream\":{\"0\":3469}}");
    assert_true(src->position == 8600);
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

static int count_parse(void *state, const unsigned char *p, size_t n)
{
    int *calls = state;
    ++*calls;
    return n == 6 && memcmp(p, "abcdef", 6) == 0 ? 0 : -1;
}

/* The chunks of a cursor gathered: parsed once when all are there; more bytes than the total,
 * or a total above the cap, refused with the chunks gathered so far let go. Saving gives the
 * bytes in order and lets the buffer go after the last. */
static void test_cursor_gather(void **state)
{
    (void)state;
    struct buf take;
    buf_init(&take);
    int calls = 0;
    const unsigned char *abc = (const unsigned char *)"abcdef";
    assert_int_equal(cursor_gather(&take, abc, 2, 6, 64, count_parse, &calls), 0);
    assert_int_equal(cursor_gather(&take, abc + 2, 3, 6, 64, count_parse, &calls), 0);
    assert_int_equal(calls, 0);
    assert_int_equal(cursor_gather(&take, abc + 5, 1, 6, 64, count_parse, &calls), 0);
    assert_int_equal(calls, 1);
    assert_int_equal(take.len, 0);
    assert_int_equal(cursor_gather(&take, abc, 4, 6, 64, count_parse, &calls), 0);
    assert_int_equal(cursor_gather(&take, abc, 4, 6, 64, count_parse, &calls), -1); /* 8 > 6 */
    assert_int_equal(take.len, 0);
    assert_int_equal(cursor_gather(&take, abc, 6, 6, 5, count_parse, &calls), -1); /* cap */
    assert_int_equal(calls, 1);
    assert_int_equal(
        cursor_gather(&take, (const unsigned char *)"abcxyz", 6, 6, 64, count_parse, &calls),
        -1); /* what parse says */
    assert_int_equal(calls, 2);
    buf_done(&take);

    struct buf save;
    buf_init(&save);
    buf_puts(&save, "abcdef");
    bool dirty = true;
    unsigned char out[6];
    cursor_fill_from(&save, &dirty, 0, out, 4);
    assert_true(dirty);
    cursor_fill_from(&save, &dirty, 4, out + 4, 4); /* past the end: nothing */
    assert_true(dirty);
    cursor_fill_from(&save, &dirty, 4, out + 4, 2);
    assert_false(dirty);
    assert_memory_equal(out, "abcdef", 6);
    assert_null(save.data);
}

/* The state a new process loads from the cursor (saved and taken in chunks of step bytes). */
static void *ckpt_round_trip(void *state, size_t step, unsigned char **blob_out, size_t *total)
{
    return cursor_round_trip_with(&checkpoint_collector, state, step, step, blob_out, total);
}

/* A cron pass is a new process: with the window's batches from the cursor it reads only the
 * newest offsets file (for its sources) and gives the same figures; a cursor of another query
 * (a checkpoint replaced) is dropped with the warning a long-running process gives; damaged
 * cursors are not understood. */
static void test_cursor_across_processes(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    char *dir = xasprintf("%s/user-checkpoints/macrometa-pulsar-source-retained-35-135", fx);
    void *state = NULL;
    struct snapshot *cold = collect(dir, &state);
    unsigned char *blob;
    size_t total;
    void *again = ckpt_round_trip(state, 7, &blob, &total);
    struct snapshot *warm = collect(dir, &again);
    const struct snap_stream *a = &cold->streams[0], *b = &warm->streams[0];
    assert_true(b->bytes_read * 5 < a->bytes_read); /* metadata, one offsets file, one commit */
    for (int k = 0; k < METRIC_COUNT; k++)
        assert_true(same(a->metrics[k], b->metrics[k]));
    assert_int_equal(a->nbatches, b->nbatches);
    for (size_t i = 0; i < a->nbatches; i++) {
        assert_int_equal(a->batches[i].id, b->batches[i].id);
        assert_int_equal(a->batches[i].start_ms, b->batches[i].start_ms);
        assert_int_equal(a->batches[i].commit_ms, b->batches[i].commit_ms);
    }
    assert_int_equal(a->nsources, b->nsources);
    assert_int_equal(a->warnings.n, b->warnings.n);
    snapshot_free(warm);
    checkpoint_collector.state_free(again);

    /* a cursor of another path (a copied checkpoint keeps its query id): not used, no
     * warning */
    again = checkpoint_collector.state_new();
    assert_int_equal(checkpoint_collector.cursor_take(again, blob, total, total), 0);
    char *copy = xasprintf("%s/.", dir);
    warm = collect(copy, &again);
    assert_false(has_text(&warm->streams[0].warnings, "query id changed"));
    assert_int_equal(warm->streams[0].bytes_read, a->bytes_read);
    snapshot_free(warm);
    checkpoint_collector.state_free(again);
    free(copy);

    /* another query's cursor: dropped, everything read again */
    unsigned char *other = xmalloc(total);
    memcpy(other, blob, total);
    other[16] ^= 1; /* the query id's first byte */
    again = checkpoint_collector.state_new();
    assert_int_equal(checkpoint_collector.cursor_take(again, other, total, total), 0);
    warm = collect(dir, &again);
    assert_true(has_text(&warm->streams[0].warnings, "query id changed"));
    assert_int_equal(warm->streams[0].bytes_read, a->bytes_read);
    snapshot_free(warm);
    checkpoint_collector.state_free(again);

    /* damaged: another magic, a count beyond the bytes, ids out of order, a short blob */
    for (int k = 0; k < 4; k++) {
        memcpy(other, blob, total);
        size_t len = total;
        uint32_t idlen;
        memcpy(&idlen, blob + 12, 4);
        if (k == 0)
            other[0] = 'X';
        else if (k == 1)
            other[16 + idlen] = 0xff;
        else if (k == 2)
            memset(other + 20 + idlen, 0xff, 8); /* the first id: -1 */
        else
            len = total - 1;
        again = checkpoint_collector.state_new();
        assert_int_equal(checkpoint_collector.cursor_take(again, other, len, len), -1);
        checkpoint_collector.state_free(again);
    }
    free(other);
    free(blob);
    snapshot_free(cold);
    checkpoint_collector.state_free(state);
    free(dir);
}

static void set_mtime(const char *path, int64_t mtime_ms)
{
    struct timespec ts[2] = {{mtime_ms / 1000, (mtime_ms % 1000) * 1000000},
                             {mtime_ms / 1000, (mtime_ms % 1000) * 1000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static struct snapshot *collect_every(const char *dir, void **state_out, int64_t every_ms)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"t";
    cfg.checkpoint = (char *)dir;
    cfg.full_listing_every_ms = every_ms;
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "t");
    void *state = *state_out ? *state_out : checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
    *state_out = state;
    return snap;
}

/* A new process (cron) with the cursor of a checkpoint nothing wrote to since: no listing, no
 * file read, the same figures, sources and warnings. A file made while the folder's mtime is put
 * back stays unseen (the listing was reused), until full_listing_every has passed; a folder
 * whose mtime moved, or that was written just before its listing (racy), is listed again. */
static void test_cursor_reuses_listings(void **unused)
{
    (void)unused;
    char tmpl[] = "/tmp/streamtop-ckpt-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char *offs = xasprintf("%s/offsets", tmpl), *coms = xasprintf("%s/commits", tmpl);
    assert_int_equal(mkdir(offs, 0755), 0);
    assert_int_equal(mkdir(coms, 0755), 0);
    int64_t t0 = clock_real_ms() - 86400000LL; /* listings are stamped by the real clock */
    char *meta = xasprintf("%s/metadata", tmpl);
    write_at(meta, "{\"id\":\"5f0c1a4e-1111-4a2b-9c3d-0123456789ab\"}\n", t0);
    for (int b = 0; b < 4; b++) {
        char *text = xasprintf("v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":"
                               "{\"spark.sql.shuffle.partitions\":\"2\"}}\n{\"logOffset\":%d}\n",
                               (long long)(t0 + b * 60000LL), b);
        char *p = xasprintf("%s/%d", offs, b);
        write_at(p, text, t0 + b * 60000LL + 500);
        free(p);
        free(text);
        if (b < 3) { /* batch 3 in flight */
            p = xasprintf("%s/%d", coms, b);
            write_at(p, "v1\n{\"nextBatchWatermarkMs\":0}\n", t0 + b * 60000LL + 7000);
            free(p);
        }
    }
    set_mtime(offs, t0 + 200000);
    set_mtime(coms, t0 + 200000);
    set_mtime(tmpl, t0 + 200000);
    const int64_t hour = 3600000;
    void *state = NULL;
    struct snapshot *cold = collect_every(tmpl, &state, hour);
    const struct snap_stream *a = &cold->streams[0];
    assert_int_equal(a->errors.n, 0);
    assert_int_equal(a->nsources, 1);
    assert_non_null(a->sources[0].committed_offset); /* batch 3 is in flight */
    unsigned char *blob;
    size_t total;
    void *again = ckpt_round_trip(state, 5, &blob, &total);
    struct snapshot *warm = collect_every(tmpl, &again, hour);
    const struct snap_stream *b = &warm->streams[0];
    assert_true(a->bytes_read > 0);
    assert_int_equal(b->bytes_read, 0);
    for (int k = 0; k < METRIC_COUNT; k++)
        assert_true(same(a->metrics[k], b->metrics[k]));
    assert_int_equal(b->nbatches, 4);
    assert_string_equal(b->query_id, a->query_id);
    assert_int_equal(b->nsources, 1);
    assert_string_equal(b->sources[0].end_offset, a->sources[0].end_offset);
    assert_string_equal(b->sources[0].committed_offset, a->sources[0].committed_offset);
    assert_int_equal(b->warnings.n, a->warnings.n);
    assert_int_equal(b->ckpt.commit_log, a->ckpt.commit_log);
    snapshot_free(warm);
    checkpoint_collector.state_free(again);

    /* batch 4 planned, offsets/'s mtime put back: the listing from the cursor stands */
    char *p4 = xasprintf("%s/4", offs);
    write_at(p4, "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1}\n{\"logOffset\":4}\n",
             t0 + 300000);
    set_mtime(offs, t0 + 200000);
    struct cursor_case {
        int64_t every_ms;
        bool move;     /* let offsets/'s mtime move */
        bool racy;     /* offsets/ written just before the cold pass */
        int64_t batch; /* the newest the pass sees */
    } runs[] = {{hour, false, false, 3}, {0, false, false, 4}, {hour, true, false, 4}};
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        if (runs[i].move)
            set_mtime(offs, t0 + 300000);
        again = NULL;
        again = checkpoint_collector.state_new();
        assert_int_equal(checkpoint_collector.cursor_take(again, blob, total, total), 0);
        warm = collect_every(tmpl, &again, runs[i].every_ms);
        b = &warm->streams[0];
        assert_int_equal(b->nbatches ? b->batches[b->nbatches - 1].id : -1, runs[i].batch);
        snapshot_free(warm);
        checkpoint_collector.state_free(again);
    }
    free(blob);

    /* racy: offsets/ written a second before the cold pass listed it: listed again by the next */
    unlink(p4);
    set_mtime(offs, clock_real_ms() - 1000);
    snapshot_free(cold);
    checkpoint_collector.state_free(state);
    state = NULL;
    cold = collect_every(tmpl, &state, hour);
    again = ckpt_round_trip(state, 64, &blob, &total);
    write_at(p4, "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1}\n{\"logOffset\":4}\n",
             t0 + 300000);
    set_mtime(offs, clock_real_ms() - 1000);
    warm = collect_every(tmpl, &again, hour);
    b = &warm->streams[0];
    assert_int_equal(b->batches[b->nbatches - 1].id, 4);
    snapshot_free(warm);
    checkpoint_collector.state_free(again);
    free(blob);

    snapshot_free(cold);
    checkpoint_collector.state_free(state);
    char *cmd = xasprintf("rm -rf '%s'", tmpl);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(p4);
    free(meta);
    free(offs);
    free(coms);
}

/* A listing is reused while its folder's mtime stays, unless racy or too old; folder times are
 * trusted across processes on disk file systems only. */
static void test_dirstamp(void **unused)
{
    (void)unused;
    struct dirstamp st = {0};
    struct fs_entry info = {.mtime_ms = 1000000};
    assert_false(dirstamp_holds(&st, &info, 60000, 1010000)); /* never listed */
    dirstamp_set(&st, &info, 1005000);
    assert_true(dirstamp_holds(&st, &info, 60000, 1010000));
    assert_false(dirstamp_holds(&st, &info, 60000, 1065000)); /* older than max_age */
    assert_false(dirstamp_holds(&st, &info, 60000, 1004000)); /* the clock went back */
    struct fs_entry moved = {.mtime_ms = 1000001};
    assert_false(dirstamp_holds(&st, &moved, 60000, 1010000));
    dirstamp_set(&st, &info, 1001500); /* listed 1.5 s after the folder's write: racy */
    assert_false(dirstamp_holds(&st, &info, 60000, 1010000));
    struct fs_entry unknown = {.mtime_ms = -1};
    dirstamp_set(&st, &unknown, 1005000);
    assert_false(dirstamp_holds(&st, &unknown, 60000, 1010000));

    char tmpl[] = "/tmp/st-durable.XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    assert_true(fs_dir_times_durable(tmpl)); /* /tmp: a disk or tmpfs */
    assert_false(fs_dir_times_durable("/proc/self"));
    assert_false(fs_dir_times_durable("s3://bucket/ckpt"));
    assert_false(fs_dir_times_durable("/no/such/folder"));

    /* within a stream's scope the answer for a path is asked once: a link moved to /proc in
     * the middle of it keeps the first answer; the next scope asks again */
    char *link = xasprintf("%s/to", tmpl);
    assert_int_equal(symlink(tmpl, link), 0);
    const char *roots[] = {tmpl};
    struct fs_scope scope = {.roots = roots, .nroots = 1, .follow_links = true};
    fs_use_scope(&scope);
    assert_true(fs_dir_times_durable(link));
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("/proc/self", link), 0);
    assert_true(fs_dir_times_durable(link));
    assert_false(fs_dir_times_durable("/proc/self"));
    fs_use_scope(NULL);
    fs_use_scope(&scope);
    assert_false(fs_dir_times_durable(link));
    fs_use_scope(NULL);
    assert_false(fs_dir_times_durable(link));
    assert_int_equal(unlink(link), 0); /* without a scope: asked every time */
    assert_int_equal(symlink(tmpl, link), 0);
    assert_true(fs_dir_times_durable(link));
    unlink(link);
    free(link);
    rmdir(tmpl);
}

int main(void)
{
    clock_fix(NOW_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_checkpoints),
        cmocka_unit_test(test_timing_metrics),
        cmocka_unit_test(test_copied_checkpoint),
        cmocka_unit_test(test_state_and_kafka_initial),
        cmocka_unit_test(test_cursor_across_processes),
        cmocka_unit_test(test_dirstamp),
        cmocka_unit_test(test_cursor_reuses_listings),
        cmocka_unit_test(test_cursor_gather),
    };
    return cmocka_run_group_tests_name("checkpoint (real fixtures)", tests, NULL, NULL);
}
