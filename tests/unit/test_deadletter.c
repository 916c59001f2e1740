/* Dead-letter prefixes: counts, layouts, the newest file's sample (control characters made
 * harmless), new files since the previous pass, a missing prefix. */
#include "testutil.h"

#include <math.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/sanitize.h"

#define NOW_MS 1795341600000LL

static void put(const char *root, const char *rel, const char *text, int64_t ms)
{
    write_str(root, rel, text);
    char *p = xasprintf("%s/%s", root, rel);
    struct timespec ts[2] = {{ms / 1000, 0}, {ms / 1000, 0}};
    assert_int_equal(utimensat(AT_FDCWD, p, ts, 0), 0);
    free(p);
}

static struct snap_stream *run(struct cfg_stream *cfg, void *state, struct snapshot **snap,
                               int64_t now)
{
    *snap = snapshot_new(now);
    struct snap_stream *st = snapshot_add_stream(*snap, "d");
    deadletter_collector.collect(cfg, state, st, now);
    return st;
}

static void test_prefixes(void **unused)
{
    (void)unused;
    char *root = scratch_dir("dlq");
    char *bad = xasprintf("%s/bad_records_path", root), *dt = xasprintf("%s/dlq", root);
    put(bad, "20261122T101153/bad_records/part-00000-aaa", "{\"path\":\"file:/in/a.json\"}\n",
        NOW_MS - 7200000);
    put(bad, "20261122T114715/bad_files/part-00000-bbb",
        "{\"path\":\"file:/in/b.json\",\"reason\":\"java.io.EOFException\"}\n", NOW_MS - 3600000);
    put(bad, "20261122T114715/bad_records/part-00001-ccc",
        "{\"path\":\"file:/in/c.json\",\"record\":\"{\\\"id\\\": \\u001b[2Jx}\","
        "\"reason\":\"MALFORMED_RECORD\"}\nsecond line\n",
        NOW_MS - 600000);
    put(bad, "20261122T114715/bad_records/_SUCCESS", "", NOW_MS);
    put(bad, "20261122T114715/bad_records/.part-00001-ccc.crc", "crc", NOW_MS);
    put(dt, "dt=2026-11-21/x.json", "plain text, not json\n", NOW_MS - 86400000);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"d";
    strvec_init(&cfg.deadletter);
    strvec_push(&cfg.deadletter, bad);
    strvec_push(&cfg.deadletter, dt);
    void *state = deadletter_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(&cfg, state, &snap, NOW_MS);
    assert_int_equal(st->errors.n, 0);
    double *m = st->metrics;
    assert_true(m[M_DEADLETTER_FILES] == 4);
    assert_true(isnan(m[M_DEADLETTER_NEW_FILES])); /* no previous pass yet */
    assert_true(m[M_DEADLETTER_NEWEST_AGE_SECONDS] == 600);
    assert_int_equal(st->ndeadletters, 2);
    const struct snap_deadletter *d = &st->deadletters[0];
    assert_string_equal(d->layout, "badRecordsPath");
    assert_true(d->files == 3);
    assert_non_null(strstr(d->sample_file, "part-00001-ccc"));
    assert_string_equal(d->sample_path, "file:/in/c.json");
    assert_string_equal(d->sample_reason, "MALFORMED_RECORD");
    assert_string_equal(d->sample_record, "{\"id\": \\x1b[2Jx}"); /* ESC made harmless */
    assert_true(sanitize_is_clean(d->sample_line));
    assert_null(strchr(d->sample_line, '\n')); /* the first line only */
    assert_string_equal(st->deadletters[1].layout, "partitioned");
    assert_null(st->deadletters[1].sample_reason); /* not JSON: the line only */
    assert_string_equal(st->deadletters[1].sample_line, "plain text, not json");
    snapshot_free(snap);

    /* a minute later one more file: new since the previous pass */
    put(bad, "20261122T120000/bad_records/part-00000-ddd", "{}\n", NOW_MS + 30000);
    st = run(&cfg, state, &snap, NOW_MS + 60000);
    assert_true(st->metrics[M_DEADLETTER_NEW_FILES] == 1);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 5);
    snapshot_free(snap);

    /* a prefix that is not there yet (Spark's writer makes it with the first bad record): no
     * dead letters there, a warning naming it, the stream's figures still measured */
    free(cfg.deadletter.v[1]);
    cfg.deadletter.v[1] = xasprintf("%s/nope", root);
    st = run(&cfg, state, &snap, NOW_MS + 120000);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 1);
    assert_non_null(
        strstr(st->warnings.v[0], "/nope: No such file or directory (no dead letters yet)"));
    assert_true(st->deadletters[0].files == 4);
    assert_true(st->deadletters[1].files == 0);
    assert_string_equal(st->deadletters[1].layout, "missing");
    assert_true(st->metrics[M_DEADLETTER_FILES] == 4);
    snapshot_free(snap);
    deadletter_collector.state_free(state);
    strvec_done(&cfg.deadletter);
    free(bad);
    free(dt);
    free(root);
}

/* Firehose's error prefixes (YYYY/MM/DD/HH keys, its own record fields) and a dated layout;
 * dead letters per minute over the last 15 minutes. */
static void test_firehose_and_dated(void **unused)
{
    (void)unused;
    char *root = scratch_dir("firehose");
    char *pf = xasprintf("%s/bucket/processing-failed", root);
    char *errs = xasprintf("%s/bucket/errors", root);
    char *dated = xasprintf("%s/dlq/orders", root);
    put(pf, "2026/11/22/09/events-1-2026-11-22-09-10-00-aaa",
        "{\"attemptsMade\":4,\"arrivalTimestamp\":1,\"errorCode\":\"Lambda.FunctionError\","
        "\"errorMessage\":\"bad result\",\"attemptEndingTimestamp\":2,\"rawData\":\"e30=\","
        "\"lambdaArn\":\"arn:aws:lambda:us-east-1:1:function:f\"}\n",
        NOW_MS - 20 * 60000);
    put(pf, "2026/11/22/10/events-1-2026-11-22-10-10-00-bbb", "{\"errorCode\":\"x\"}\n",
        NOW_MS - 10 * 60000);
    put(errs, "format-conversion-failed/2026/11/22/10/events-1-ccc",
        "{\"ErrorCode\":\"DataFormatConversion.MalformedData\",\"ErrorMessage\":\"malformed\","
        "\"rawData\":\"eA==\"}\n",
        NOW_MS - 5 * 60000);
    put(dated, "2026/11/22/10/x.json", "{}\n", NOW_MS - 60000);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"f";
    strvec_init(&cfg.deadletter);
    strvec_push(&cfg.deadletter, pf);
    strvec_push(&cfg.deadletter, errs);
    strvec_push(&cfg.deadletter, dated);
    void *state = deadletter_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(&cfg, state, &snap, NOW_MS);
    assert_int_equal(st->errors.n, 0);
    assert_string_equal(st->deadletters[0].layout, "firehose");
    assert_string_equal(st->deadletters[0].sample_reason, "x"); /* the newest file's */
    assert_string_equal(st->deadletters[1].layout, "firehose");
    assert_string_equal(st->deadletters[1].sample_reason,
                        "DataFormatConversion.MalformedData: malformed");
    assert_string_equal(st->deadletters[1].sample_record, "eA==");
    assert_string_equal(st->deadletters[2].layout, "dated");
    /* 10, 5 and 1 minute old within the last 15 minutes, not the 20-minute-old one */
    assert_true(fabs(st->metrics[M_DEADLETTER_ARRIVALS_PER_MINUTE] - 3.0 / 15) < 1e-9);
    snapshot_free(snap);
    /* the Lambda failure's own fields, once it is the newest */
    free(cfg.deadletter.v[0]);
    cfg.deadletter.v[0] = xasprintf("%s/2026/11/22/09", pf);
    st = run(&cfg, state, &snap, NOW_MS);
    assert_string_equal(st->deadletters[0].layout, "firehose");
    assert_string_equal(st->deadletters[0].sample_reason, "Lambda.FunctionError: bad result");
    assert_string_equal(st->deadletters[0].sample_record, "e30=");
    snapshot_free(snap);
    deadletter_collector.state_free(state);
    strvec_done(&cfg.deadletter);
    free(pf);
    free(errs);
    free(dated);
    free(root);
}

static void blob_u32(struct buf *b, uint32_t v)
{
    buf_append(b, &v, sizeof v);
}

static void blob_i64(struct buf *b, int64_t v)
{
    buf_append(b, &v, sizeof v);
}

static void blob_name(struct buf *b, const char *v)
{
    blob_u32(b, (uint32_t)strlen(v));
    buf_append(b, v, strlen(v));
}

/* A cursor of one incremental prefix with two partitions of nf files each (magic: "DLQ4", the
 * newest file seen; "DLQ3", the same without folder stamps; or the older "DLQ2", the time of
 * the pass, with the body of "DLQ3"). */
static void blob_cursor_v(struct buf *b, const char *magic, uint32_t flags, uint32_t nf, bool twice)
{
    buf_append(b, magic, 4);
    blob_i64(b, NOW_MS - 60000);
    blob_u32(b, 1);
    blob_i64(b, 0x1234);
    blob_i64(b, 0x5678);
    blob_i64(b, NOW_MS - 600000);
    blob_u32(b, flags);
    blob_u32(b, 2);
    for (int k = 0; k < 2; k++) {
        blob_name(b, k && !twice ? "dt=2026-11-22/hr=10" : "dt=2026-11-22/hr=09");
        blob_name(b, k ? "dt=2026-11-22/hr=10/b" : "dt=2026-11-22/hr=09/z");
        blob_name(b, k ? "dt=2026-11-22/hr=10/a" : "dt=2026-11-22/hr=09/y");
        blob_i64(b, NOW_MS - 1000 * k);
        blob_u32(b, 2);
        blob_u32(b, nf);
        for (uint32_t f = 0; f < nf; f++) {
            blob_i64(b, 100 + f);
            blob_i64(b, NOW_MS - 1000 * f);
        }
        if (strcmp(magic, "DLQ4") == 0) {
            blob_i64(b, 0); /* no stamp: not a stamped prefix */
            blob_i64(b, 0);
            blob_u32(b, 0);
        }
    }
}

static void blob_cursor(struct buf *b, uint32_t flags, uint32_t nf, bool twice)
{
    blob_cursor_v(b, "DLQ4", flags, nf, twice);
}

/* take the blob in chunks of step bytes; the result of the last */
static int take(void *state, const struct buf *b, size_t step)
{
    int rc = 0;
    for (size_t off = 0; off < b->len && rc == 0; off += step)
        rc = deadletter_collector.cursor_take(state, (const unsigned char *)b->data + off,
                                              b->len - off < step ? b->len - off : step, b->len);
    return rc;
}

/* The cursor keeps an incremental prefix's partitions: what is taken (in any chunks) is saved
 * back byte for byte; a cursor of the older version gives the time of its pass; damaged ones
 * are refused and leave a fresh state. */
static void test_cursor(void **unused)
{
    (void)unused;
    struct buf b;
    buf_init(&b);
    blob_cursor(&b, 1, 3, false);
    for (size_t step = 1; step <= b.len; step += b.len - 1) {
        void *state = deadletter_collector.state_new();
        assert_int_equal(take(state, &b, step), 0);
        size_t n = deadletter_collector.cursor_size(state);
        assert_int_equal(n, b.len);
        unsigned char *out = xmalloc(n);
        deadletter_collector.cursor_fill(state, 0, out, 10);
        deadletter_collector.cursor_fill(state, 10, out + 10, n - 10);
        assert_memory_equal(out, b.data, n);
        free(out);
        deadletter_collector.state_free(state);
    }
    /* the versions before: without folder stamps ("DLQ3"), and with its pass time as the
     * threshold ("DLQ2"), written back in this version's layout */
    for (int v = 2; v <= 3; v++) {
        struct buf old2;
        buf_init(&old2);
        blob_cursor_v(&old2, v == 2 ? "DLQ2" : "DLQ3", 1, 3, false);
        void *st2 = deadletter_collector.state_new();
        assert_int_equal(take(st2, &old2, old2.len), 0);
        assert_int_equal(deadletter_collector.cursor_size(st2), b.len);
        unsigned char *out2 = xmalloc(b.len);
        deadletter_collector.cursor_fill(st2, 0, out2, b.len);
        assert_memory_equal(out2, b.data, b.len);
        free(out2);
        deadletter_collector.state_free(st2);
        buf_done(&old2);
    }
    buf_done(&b);

    /* damaged: a truncated one, unknown flags, a partition twice, a partition without files */
    static const struct {
        uint32_t flags, nf;
        bool twice;
        size_t cut;
    } bad[] = {{1, 3, false, 5}, {9, 3, false, 0}, {1, 3, true, 0}, {1, 0, false, 0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        buf_init(&b);
        blob_cursor(&b, bad[i].flags, bad[i].nf, bad[i].twice);
        b.len -= bad[i].cut;
        void *state = deadletter_collector.state_new();
        assert_int_equal(take(state, &b, b.len), -1);
        /* a fresh state: no pass before, nothing kept */
        assert_int_equal(deadletter_collector.cursor_size(state), 4 + 8 + 4);
        deadletter_collector.state_free(state);
        buf_done(&b);
    }

    /* the older version's cursor: the time of its pass, so new files are counted at once */
    char *root = scratch_dir("dlqcur");
    put(root, "2026/11/22/09/a", "x\n", NOW_MS - 120000);
    put(root, "2026/11/22/09/b", "x\n", NOW_MS - 30000);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"d";
    strvec_init(&cfg.deadletter);
    strvec_push(&cfg.deadletter, root);
    unsigned char old[12];
    int64_t then = NOW_MS - 60000;
    memcpy(old, "DLQ1", 4);
    memcpy(old + 4, &then, 8);
    void *state = deadletter_collector.state_new();
    assert_int_equal(deadletter_collector.cursor_take(state, old, sizeof old, sizeof old), 0);
    struct snapshot *snap;
    struct snap_stream *st = run(&cfg, state, &snap, NOW_MS);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 2);
    assert_true(st->metrics[M_DEADLETTER_NEW_FILES] == 1);
    snapshot_free(snap);
    deadletter_collector.state_free(state);
    strvec_done(&cfg.deadletter);
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

/* Save the cursor and take it into a fresh state, as a new process does; the old state goes. */
static void *round_trip(void *state, struct buf *saved)
{
    size_t n = deadletter_collector.cursor_size(state);
    buf_reset(saved);
    buf_append(saved, "", 0);
    unsigned char *blob = xmalloc(n);
    deadletter_collector.cursor_fill(state, 0, blob, n);
    buf_append(saved, blob, n);
    free(blob);
    deadletter_collector.state_free(state);
    void *fresh = deadletter_collector.state_new();
    assert_int_equal(take(fresh, saved, 7), 0);
    return fresh;
}

/* Every folder of a prefix dated long before it is listed (not "racy"): the deepest first. */
static void age_folders(const char *root, const char *const *rels, size_t n, int64_t ms)
{
    for (size_t i = n; i-- > 0;)
        touch_ms(root, rels[i], ms);
}

/* A cron pass is a new process: with the folders of a local prefix in the cursor, one over an
 * unchanged prefix stats its folders and lists none, with the same figures; a file made in a
 * nested folder (that folder's mtime alone moves) is found, and so is one made within a racy
 * stamp's tick; a folder removed goes; a damaged cursor is refused and everything listed. */
static void test_cursor_across_processes(void **unused)
{
    (void)unused;
    char *root = scratch_dir("dlqcron");
    int64_t old = NOW_MS - 3600 * 1000;
    put(root, "20261122T101153/bad_records/part-00000-aaa", "{\"path\":\"file:/in/a.json\"}\n",
        NOW_MS - 7200000);
    put(root, "20261122T114715/bad_records/part-00001-ccc", "{\"reason\":\"R\"}\n",
        NOW_MS - 600000);
    put(root, "20261122T114715/bad_records/_SUCCESS", "", NOW_MS);
    put(root, "20261122T114715/_temporary/0/part-9", "pending\n", NOW_MS);
    char *empty = xasprintf("%s/20261122T120000/bad_records", root);
    write_str(root, "20261122T120000/bad_records/.keep", "");
    static const char *const folders[] = {
        ".",
        "20261122T101153",
        "20261122T101153/bad_records",
        "20261122T114715",
        "20261122T114715/bad_records",
        "20261122T114715/_temporary",
        "20261122T114715/_temporary/0",
        "20261122T120000",
        "20261122T120000/bad_records",
    };
    size_t nfolders = sizeof folders / sizeof *folders;
    age_folders(root, folders, nfolders, old);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"d";
    cfg.full_listing_every_ms = 3600 * 1000;
    strvec_init(&cfg.deadletter);
    strvec_push(&cfg.deadletter, root);
    struct listings l = {root, 0};
    fs_set_listed_hook(count_listing, &l);
    void *state = deadletter_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(&cfg, state, &snap, NOW_MS);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(l.n, 7); /* every folder but the hidden ones */
    assert_true(st->metrics[M_DEADLETTER_FILES] == 2);
    double bytes = st->metrics[M_DEADLETTER_BYTES];
    assert_true(st->metrics[M_DEADLETTER_NEWEST_AGE_SECONDS] == 600);
    char *sample = xstrdup(st->deadletters[0].sample_file);
    assert_string_equal(st->deadletters[0].layout, "badRecordsPath");
    snapshot_free(snap);

    /* a new process: folders stat'ed, none listed, the same figures, the same cursor */
    struct buf saved, again;
    buf_init(&saved);
    buf_init(&again);
    state = round_trip(state, &saved);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 60000);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(l.n, 0);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 2);
    assert_true(st->metrics[M_DEADLETTER_BYTES] == bytes);
    assert_true(st->metrics[M_DEADLETTER_NEW_FILES] == 0);
    assert_true(st->metrics[M_DEADLETTER_NEWEST_AGE_SECONDS] == 660);
    assert_string_equal(st->deadletters[0].sample_file, sample);
    assert_string_equal(st->deadletters[0].sample_reason, "R");
    assert_string_equal(st->deadletters[0].layout, "badRecordsPath");
    snapshot_free(snap);
    state = round_trip(state, &again);
    assert_int_equal(again.len, saved.len);
    assert_memory_equal(again.data, saved.data, saved.len); /* nothing to write back */

    /* a file in a nested folder that was empty: only that folder's mtime moves; it alone is
     * listed, in this process, and the next one lists nothing */
    put(root, "20261122T120000/bad_records/part-00000-ddd", "{\"reason\":\"N\"}\n", NOW_MS + 90000);
    touch_ms(root, "20261122T120000/bad_records", old + 1000);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 120000);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 3);
    assert_true(st->metrics[M_DEADLETTER_NEW_FILES] == 1);
    assert_string_equal(st->deadletters[0].sample_reason, "N");
    snapshot_free(snap);
    state = round_trip(state, &saved);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 180000);
    assert_int_equal(l.n, 0);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 3);
    assert_true(st->metrics[M_DEADLETTER_NEW_FILES] == 0);
    snapshot_free(snap);

    /* a folder changed just now: listed, its stamp racy. A file made within the same tick (the
     * folder's mtime put back as it was) is found by the next process all the same */
    put(root, "20261122T101153/bad_records/part-00001-eee", "{}\n", NOW_MS - 7100000);
    char *racy = xasprintf("%s/20261122T101153/bad_records", root);
    struct stat before;
    assert_int_equal(stat(racy, &before), 0);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 240000);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 4);
    snapshot_free(snap);
    put(root, "20261122T101153/bad_records/part-00002-fff", "{}\n", NOW_MS - 7000000);
    struct timespec ts[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, racy, ts, 0), 0);
    state = round_trip(state, &saved);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 300000);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 5);
    snapshot_free(snap);

    /* a folder removed: its parent's mtime moves; its files go */
    char *cmd = xasprintf("rm -rf '%s/20261122T114715'", root);
    assert_int_equal(system(cmd), 0);
    touch_ms(root, ".", old + 2000);
    age_folders(root, (const char *const[]){"20261122T101153/bad_records"}, 1, old + 2000);
    st = run(&cfg, state, &snap, NOW_MS + 360000);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 4);
    snapshot_free(snap);

    /* damaged cursors (flags both incremental and stamped, a folder name with a '/', cut
     * short) are refused: everything is listed again, with the same figures */
    state = round_trip(state, &saved);
    size_t at_flags = 4 + 8 + 4 + 8 + 8 + 8;
    const char *sub = NULL; /* the first folder name kept: "bad_records" */
    for (size_t i = 0; !sub && i + 11 <= saved.len; i++)
        if (memcmp(saved.data + i, "bad_records", 11) == 0)
            sub = saved.data + i;
    assert_non_null(sub);
    for (int k = 0; k < 3; k++) {
        buf_reset(&again);
        buf_append(&again, saved.data, saved.len);
        if (k == 0)
            again.data[at_flags] = 5;
        else if (k == 1)
            again.data[sub - saved.data + 3] = '/';
        else
            again.len--;
        void *fresh = deadletter_collector.state_new();
        assert_int_equal(take(fresh, &again, again.len), -1);
        l.n = 0;
        st = run(&cfg, fresh, &snap, NOW_MS + 420000);
        assert_int_equal(l.n, 5);
        assert_true(st->metrics[M_DEADLETTER_FILES] == 4);
        assert_true(isnan(st->metrics[M_DEADLETTER_NEW_FILES])); /* a fresh state */
        snapshot_free(snap);
        deadletter_collector.state_free(fresh);
    }
    fs_set_listed_hook(NULL, NULL);
    deadletter_collector.state_free(state);
    buf_done(&saved);
    buf_done(&again);
    strvec_done(&cfg.deadletter);
    free(cmd);
    free(racy);
    free(sample);
    free(empty);
    free(root);
}

/* A local prefix of time partitions (Spark's <ts>/bad_records/): the first pass walks it whole;
 * until full_listing_every is over, a pass stats only the prefix and its open partitions (the
 * newest, and any whose second is not over), so a file added to a closed one is not seen, one
 * added to the newest is; the next whole walk sees everything, as does every pass with
 * listing = full. A folder that is not a time partition is walked like an open one, and the next
 * whole walk, finding the keys no longer in one layout, warns once and stats every folder from
 * then on. */
static void test_closed_partitions(void **unused)
{
    (void)unused;
    char *root = scratch_dir("dlqclosed");
    int64_t old = NOW_MS - 3 * 3600 * 1000;
    put(root, "20261122T080000/bad_records/part-00000-a", "{}\n", NOW_MS - 7200000);
    put(root, "20261122T090000/bad_records/part-00000-b", "{}\n", NOW_MS - 3600000);
    put(root, "20261122T095500/bad_records/part-00000-c", "{\"reason\":\"C\"}\n", NOW_MS - 300000);
    static const char *const folders[] = {
        ".",
        "20261122T080000",
        "20261122T080000/bad_records",
        "20261122T090000",
        "20261122T090000/bad_records",
        "20261122T095500",
        "20261122T095500/bad_records",
    };
    age_folders(root, folders, sizeof folders / sizeof *folders, old);
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"d";
    cfg.full_listing_every_ms = 3600 * 1000;
    cfg.clock_skew_ms = 30000;
    strvec_init(&cfg.deadletter);
    strvec_push(&cfg.deadletter, root);
    struct listings l = {root, 0};
    fs_set_listed_hook(count_listing, &l);
    struct buf saved;
    buf_init(&saved);
    clock_fix(NOW_MS);
    void *state = deadletter_collector.state_new();
    struct snapshot *snap;
    struct snap_stream *st = run(&cfg, state, &snap, NOW_MS);
    assert_int_equal(l.n, 7);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 3);
    snapshot_free(snap);

    /* a new process: a late file in the oldest (closed) partition, its folder's mtime moved:
     * not listed, not seen; a file in the newest partition: listed, seen */
    state = round_trip(state, &saved);
    put(root, "20261122T080000/bad_records/part-00001-late", "{}\n", NOW_MS - 7100000);
    put(root, "20261122T095500/bad_records/part-00001-d", "{\"reason\":\"D\"}\n", NOW_MS + 30000);
    touch_ms(root, "20261122T080000/bad_records", old + 1000);
    touch_ms(root, "20261122T095500/bad_records", old + 1000);
    clock_fix(NOW_MS + 60000);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 60000);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 4);
    assert_string_equal(st->deadletters[0].sample_reason, "D");
    snapshot_free(snap);

    /* full_listing_every on: a whole walk finds the late file */
    state = round_trip(state, &saved);
    clock_fix(NOW_MS + 3600 * 1000 + 60000);
    l.n = 0;
    st = run(&cfg, state, &snap, NOW_MS + 3600 * 1000 + 60000);
    assert_int_equal(l.n, 1);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 5);
    snapshot_free(snap);

    /* listing = full: every folder stat'ed every pass, a late file seen at once */
    put(root, "20261122T090000/bad_records/part-00001-late", "{}\n", NOW_MS - 3500000);
    touch_ms(root, "20261122T090000/bad_records", old + 2000);
    st = run(&cfg, state, &snap, NOW_MS + 3600 * 1000 + 120000);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 5); /* incremental: not yet */
    snapshot_free(snap);
    cfg.listing = LM_FULL;
    st = run(&cfg, state, &snap, NOW_MS + 3600 * 1000 + 180000);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 6);
    snapshot_free(snap);
    cfg.listing = LM_AUTO;

    /* a folder that is no time partition: walked (its parent's mtime moved); the next whole
     * walk warns once that the keys no longer sort by time, and the one after does not */
    put(root, "misc/part-x", "{}\n", NOW_MS);
    touch_ms(root, "misc", old + 3000);
    touch_ms(root, ".", old + 3000);
    st = run(&cfg, state, &snap, NOW_MS + 3600 * 1000 + 240000);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 7);
    assert_int_equal(st->warnings.n, 0);
    snapshot_free(snap);
    clock_fix(NOW_MS + 2 * 3600 * 1000 + 300000);
    st = run(&cfg, state, &snap, NOW_MS + 2 * 3600 * 1000 + 300000);
    assert_true(st->metrics[M_DEADLETTER_FILES] == 7);
    assert_int_equal(st->warnings.n, 1);
    assert_non_null(strstr(st->warnings.v[0], "no longer sort by time"));
    snapshot_free(snap);
    state = round_trip(state, &saved);
    st = run(&cfg, state, &snap, NOW_MS + 2 * 3600 * 1000 + 360000);
    assert_int_equal(st->warnings.n, 0);
    snapshot_free(snap);

    clock_fix(0);
    fs_set_listed_hook(NULL, NULL);
    deadletter_collector.state_free(state);
    buf_done(&saved);
    strvec_done(&cfg.deadletter);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixes), cmocka_unit_test(test_firehose_and_dated),
        cmocka_unit_test(test_cursor), cmocka_unit_test(test_cursor_across_processes),
        cmocka_unit_test(test_closed_partitions)};
    return cmocka_run_group_tests_name("deadletter", tests, NULL, NULL);
}
