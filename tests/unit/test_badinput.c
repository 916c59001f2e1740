/* The bad-input corpus: each case builds a small checkpoint with one defect and states the error
 * (or warning) the collector must give. None may crash, hang, or read past a size cap. */
#include "testutil.h"

#include <math.h>
#include <sys/types.h>

#include "collectors/collector.h"
#include "collectors/offsetlog.h"
#include "core/clock.h"
#include "core/sanitize.h"

#define NOW_MS 1800000000000LL

static const char *offsets_text(int64_t b)
{
    static char buf[256];
    snprintf(
        buf, sizeof buf,
        "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":{}}\n{\"logOffset\":%lld}",
        (long long)(NOW_MS - (10 - b) * 60000), (long long)b);
    return buf;
}

/* A valid checkpoint with batches 0..n-1 planned and 0..n-2 committed. */
static void make_ckpt(const char *dir, int n)
{
    write_str(dir, "metadata", "{\"id\":\"11111111-2222-3333-4444-555555555555\"}");
    for (int b = 0; b < n; b++) {
        char rel[64];
        snprintf(rel, sizeof rel, "offsets/%d", b);
        write_str(dir, rel, offsets_text(b));
        if (b < n - 1) {
            snprintf(rel, sizeof rel, "commits/%d", b);
            write_str(dir, rel, "v1\n{\"nextBatchWatermarkMs\":0}");
        }
    }
}

struct bad_case {
    const char *name;
    void (*setup)(const char *dir);
    const char *error;   /* substring of the stream error, or NULL for none */
    const char *warning; /* substring of a warning, or NULL */
};

static void s_missing(const char *dir)
{
    (void)dir; /* the case dir is never created */
}
static void s_file_not_dir(const char *dir)
{
    write_text(dir, "x", 1);
}
static void s_no_offsets(const char *dir)
{
    write_str(dir, "metadata", "{\"id\":\"a\"}");
}
static void s_starting(const char *dir)
{
    write_str(dir, ".metadata.6f1c0d.tmp", "{\"id\":"); /* Spark's temporary file, hidden */
}
static void s_not_a_checkpoint(const char *dir)
{
    write_str(dir, "notes.txt", "hello");
}
static void s_truncated_header_only(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/3", "v1");
}
static void s_truncated_meta(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/3", "v1\n{\"batchWatermarkMs\":0,\"batchTi");
}
static void s_binary(const char *dir)
{
    make_ckpt(dir, 4);
    char *p = xasprintf("%s/offsets/3", dir);
    const char garbage[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe";
    write_text(p, garbage, sizeof garbage - 1);
    free(p);
}
static void s_garbage_text(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/3", "\xff\xfe\x1b[2Jhello");
}
static void s_huge_line(const char *dir)
{
    make_ckpt(dir, 4);
    char *p = xasprintf("%s/offsets/3", dir);
    write_text(p, "v1\n{", 4);
    assert_int_equal(truncate(p, 100L * 1024 * 1024), 0); /* a 100 MB line (sparse) */
    free(p);
}
static void s_empty(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/3", "");
}
static void s_wrong_version(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/3", "v9\n{}\n{\"logOffset\":3}");
}
static void s_holes(const char *dir)
{
    make_ckpt(dir, 6);
    char *p = xasprintf("%s/offsets/2", dir);
    unlink(p);
    free(p);
}
static void s_symlink_loop(const char *dir)
{
    write_str(dir, "metadata", "{\"id\":\"a\"}");
    char *p = xasprintf("%s/offsets", dir);
    assert_int_equal(symlink("offsets", p), 0);
    free(p);
}
static void s_state_loop(const char *dir)
{
    make_ckpt(dir, 3);
    write_str(dir, "state/0/0/1.delta", "0123456789");
    char *p = xasprintf("%s/state/0/0/loop", dir);
    assert_int_equal(symlink("../..", p), 0);
    free(p);
}
static void s_bad_metadata(const char *dir)
{
    make_ckpt(dir, 3);
    write_str(dir, "metadata", "{\"notid\":1}");
}
static void s_fifo(const char *dir)
{
    make_ckpt(dir, 4);
    char *p = xasprintf("%s/offsets/3", dir);
    unlink(p);
    assert_int_equal(mkfifo(p, 0644), 0);
    free(p);
}
static void s_old_batch_garbage(const char *dir)
{
    make_ckpt(dir, 5);
    write_str(dir, "offsets/1", "garbage");
}
static void s_source_not_json(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/3", "v1\n{}\n{logOffset:3");
}
static void s_tmp_and_crc_leftovers(const char *dir)
{
    make_ckpt(dir, 4);
    write_str(dir, "offsets/.4.1b0d8a34-0f0c-4bcb-a1e1-0c1ec3b4a2b1.tmp", "v1\n");
    write_str(dir, "offsets/..0.8e309ae1-f880-4170-b7a0-a88a1d4ad609.tmp.crc", "crc");
    write_str(dir, "offsets/.3.crc", "crc\0");
    write_str(dir, "commits/.2.crc", "crc");
}
static void s_commit_without_offsets(const char *dir)
{
    make_ckpt(dir, 3);
    write_str(dir, "commits/7", "v1\n{}");
}
static void s_empty_offsets(const char *dir)
{
    write_str(dir, "metadata", "{\"id\":\"a\"}");
    char *p = xasprintf("%s/offsets", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    free(p);
}

static const struct bad_case cases[] = {
    {"missing checkpoint", s_missing, "No such file or directory", NULL},
    {"checkpoint is a file", s_file_not_dir, "not a directory", NULL},
    /* a query that has just started: Spark writes metadata a moment before offsets/ */
    {"no offsets folder yet", s_no_offsets, NULL, "offsets: not made yet"},
    {"neither metadata nor offsets", s_not_a_checkpoint, "is not a Spark checkpoint", NULL},
    /* seen live: the folder is made a moment before metadata */
    {"an empty folder (a query starting)", s_starting, NULL,
     "empty (a query starting here has not written its metadata yet)"},
    {"truncated: version only", s_truncated_header_only,
     "offsets/3: truncated: only the version line", NULL},
    {"truncated metadata line", s_truncated_meta, "offsets/3: metadata line is not a JSON object",
     NULL},
    {"binary garbage", s_binary, "offsets/3: binary data (NUL byte at offset 8)", NULL},
    {"garbage text", s_garbage_text, "offsets/3: no version header", NULL},
    {"100 MB line", s_huge_line, "offsets/3: larger than the 4194304-byte limit", NULL},
    {"empty file", s_empty, "offsets/3: empty file", NULL},
    {"wrong version header", s_wrong_version, "log version v9 is not supported", NULL},
    {"holes in batch ids", s_holes, NULL, "not contiguous (2 is missing"},
    {"symlink loop", s_symlink_loop, "Too many levels of symbolic links", NULL},
    {"symlink loop inside state/", s_state_loop, NULL, NULL},
    {"metadata without id", s_bad_metadata, "metadata: no query id", NULL},
    {"FIFO instead of a file", s_fifo, "offsets/3: not a regular file", NULL},
    {"old batch garbage", s_old_batch_garbage, NULL, "offsets/1: no version header"},
    {"source offset not JSON", s_source_not_json, "offset of source 0 is not JSON", NULL},
    {".tmp and .crc leftovers", s_tmp_and_crc_leftovers, NULL, NULL},
    {"commit without offsets", s_commit_without_offsets, NULL, "commit 7 has no offsets file"},
    {"no batch yet", s_empty_offsets, NULL, "no batch planned yet"},
};

static bool has_text(const struct strvec *sv, const char *needle)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strstr(sv->v[i], needle))
            return true;
    return false;
}

static void test_corpus(void **unused)
{
    (void)unused;
    char *root = scratch_dir("bad");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct bad_case *c = &cases[i];
        char *dir = xasprintf("%s/case%02zu", root, i);
        if (c->setup != s_missing && c->setup != s_file_not_dir)
            assert_int_equal(mkdir(dir, 0755), 0);
        c->setup(dir);
        struct cfg_stream cfg = {0};
        cfg.name = (char *)"bad";
        cfg.checkpoint = dir;
        struct snapshot *snap = snapshot_new(NOW_MS);
        struct snap_stream *st = snapshot_add_stream(snap, "bad");
        void *state = checkpoint_collector.state_new();
        checkpoint_collector.collect(&cfg, state, st, NOW_MS);
        if (c->error) {
            if (!has_text(&st->errors, c->error))
                fail_msg("%s: no error containing '%s' (%zu errors%s%s)", c->name, c->error,
                         st->errors.n, st->errors.n ? ": " : "",
                         st->errors.n ? st->errors.v[0] : "");
            /* every message names the file it is about */
            assert_non_null(strstr(st->errors.v[0], "case"));
        } else if (st->errors.n) {
            fail_msg("%s: unexpected error: %s", c->name, st->errors.v[0]);
        }
        if (c->warning && !has_text(&st->warnings, c->warning))
            fail_msg("%s: no warning containing '%s'", c->name, c->warning);
        for (size_t e = 0; e < st->errors.n; e++)
            assert_null(strchr(st->errors.v[e], '\x1b'));
        /* a message names its file once ("X: X: not a regular file" was a defect) */
        const struct strvec *both[] = {&st->errors, &st->warnings};
        for (size_t k = 0; k < 2; k++)
            for (size_t e = 0; e < both[k]->n; e++) {
                const char *m = both[k]->v[e], *colon = strstr(m, ": ");
                size_t n = colon ? (size_t)(colon - m) : 0;
                if (n && strncmp(colon + 2, m, n) == 0)
                    fail_msg("%s: the path is named twice: %s", c->name, m);
            }
        snapshot_free(snap);
        checkpoint_collector.state_free(state);
        free(dir);
    }
    free(root);
}

static void test_partial_results_survive(void **unused)
{
    (void)unused;
    /* The newest offsets file is garbage: the stream is in error, but what the listing and the
     * older files tell is still reported. */
    char *dir = scratch_dir("partial");
    make_ckpt(dir, 6);
    write_str(dir, "offsets/5", "garbage");
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"p";
    cfg.checkpoint = dir;
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "p");
    void *state = checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
    assert_int_equal(st->errors.n, 1);
    assert_true(st->metrics[M_LAST_BATCH_ID] == 5);
    assert_true(st->metrics[M_COMMITTED_BATCH_ID] == 4);
    assert_true(st->metrics[M_BATCH_INTERVAL_SECONDS] == 60);
    assert_true(isnan(st->metrics[M_INFLIGHT_SECONDS])); /* start of batch 5 unknown */
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

static void test_offset_text_variants(void **unused)
{
    (void)unused;
    struct offset_file f;
    struct st_err err;
    /* CRLF, trailing newline, exponent numbers */
    const char *crlf = "v1\r\n{\"batchWatermarkMs\":1.5E3,\"batchTimestampMs\":1.719278978807E12}"
                       "\r\n{\"logOffset\":3}\r\n";
    assert_int_equal(offsetlog_parse(crlf, strlen(crlf), &f, &err), 0);
    assert_int_equal(f.batch_ts_ms, 1719278978807LL);
    assert_int_equal(f.watermark_ms, 1500);
    assert_int_equal(f.nsources, 1);
    assert_string_equal(f.sources[0].json, "{\"logOffset\":3}");
    offsetlog_done(&f);
    /* v2 named sources, one void */
    const char *v2 = "v2\n{\"batchTimestampMs\":5}\nsrcA:{\"logOffset\":3}\nsrcB:-";
    assert_int_equal(offsetlog_parse(v2, strlen(v2), &f, &err), 0);
    assert_int_equal(f.nsources, 2);
    assert_string_equal(f.sources[0].id, "srcA");
    assert_null(f.sources[1].json);
    offsetlog_done(&f);
    /* empty metadata line means "no metadata" */
    const char *nometa = "v1\n\n-";
    assert_int_equal(offsetlog_parse(nometa, strlen(nometa), &f, &err), 0);
    assert_int_equal(f.batch_ts_ms, -1);
    assert_null(f.sources[0].json);
    offsetlog_done(&f);
    /* escape codes in a header never reach the message raw */
    const char *esc = "\x1b]0;pwned\x07\n{}";
    assert_int_equal(offsetlog_parse(esc, strlen(esc), &f, &err), -1);
    assert_true(sanitize_is_clean(err.msg));
}

static void test_classify(void **unused)
{
    (void)unused;
    static const struct {
        const char *json;
        enum source_kind kind;
        double pos;
    } kinds[] = {
        {NULL, SRC_NONE, NAN},
        {"{\"logOffset\":3}", SRC_FILE, 3},
        {"345", SRC_NUMBER, 345},
        {"{\"t1\":{\"2\":174,\"1\":189},\"t2\":{\"0\":7}}", SRC_KAFKA, 370},
        {"{\"sourceVersion\":1,\"reservoirId\":\"x\",\"reservoirVersion\":8,\"index\":-1}",
         SRC_DELTA, 8},
        {"{\"seqNum\":234,\"sourceVersion\":1,\"lastBackfillStartTimeMs\":1667453455118}",
         SRC_AUTOLOADER, 234},
        {"{\"ledgerId\":1595,\"entryId\":1502,\"partitionIndex\":-1}", SRC_OTHER, NAN},
        {"{\"t\":{}}", SRC_OTHER, NAN},
        {"not json", SRC_OTHER, NAN},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        double pos;
        enum source_kind k = offsetlog_classify(kinds[i].json, &pos);
        if (k != kinds[i].kind || !((isnan(pos) && isnan(kinds[i].pos)) || pos == kinds[i].pos))
            fail_msg("case %zu: kind %s pos %g", i, source_kind_name(k), pos);
    }
}

static void test_real_offset_files(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    /* Auto Loader offset lines a user pasted (lines 2-3 of offsets/N, no v1 header) */
    for (int n = 0; n < 3; n++) {
        static const char *const names[] = {"dlt-offsets-1", "dlt-offsets-9", "dlt-offsets-10"};
        char *p = xasprintf("%s/autoloader/%s.lines2-3.txt", fx, names[n]);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        char buf[4096];
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *text = xasprintf("v1\n%s", buf);
        struct offset_file of;
        struct st_err err;
        if (offsetlog_parse(text, strlen(text), &of, &err) < 0)
            fail_msg("%s: %s", p, err.msg);
        double pos;
        assert_int_equal(of.nsources, 1);
        assert_int_equal(offsetlog_classify(of.sources[0].json, &pos), SRC_AUTOLOADER);
        assert_true(pos >= 0);
        offsetlog_done(&of);
        free(text);
        free(p);
    }
    /* Spark 2.1.0's broken Kafka initial-offset prefix (SPARK-19517) */
    char *p = xasprintf("%s/source-offsets/kafka-source-initial-offset-version-2.1.0.bin", fx);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char buf[512];
    size_t len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    char *json;
    struct st_err err;
    assert_int_equal(offsetlog_parse_kafka_initial(buf, len, &json, &err), 0);
    assert_string_equal(json, "{\"kafka-initial-offset-2-1-0\":{\"2\":0,\"1\":0,\"0\":0}}");
    free(json);
    free(p);
}

static void collect_pass(const char *dir, void *state, struct snapshot **out)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"inc";
    cfg.checkpoint = (char *)dir;
    *out = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*out, "inc");
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
}

static void test_second_pass_reads_only_what_changed(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("incremental");
    make_ckpt(dir, 5);
    void *state = checkpoint_collector.state_new();
    struct snapshot *snap;
    collect_pass(dir, state, &snap);
    assert_int_equal(snap->streams[0].errors.n +
                         warnings_but_copied((const char *const *)snap->streams[0].warnings.v,
                                             snap->streams[0].warnings.n),
                     0);
    assert_true(snap->streams[0].metrics[M_LAST_BATCH_ID] == 4);
    snapshot_free(snap);

    /* An already-read batch file changes under us: a second pass does not read it again. */
    write_str(dir, "offsets/2", "garbage");
    write_str(dir, "offsets/5", offsets_text(5));
    write_str(dir, "commits/4", "v1\n{}");
    collect_pass(dir, state, &snap);
    assert_int_equal(warnings_but_copied((const char *const *)snap->streams[0].warnings.v,
                                         snap->streams[0].warnings.n),
                     0);
    assert_true(snap->streams[0].metrics[M_LAST_BATCH_ID] == 5);
    assert_true(snap->streams[0].metrics[M_COMMITTED_BATCH_ID] == 4);
    snapshot_free(snap);

    /* A new query id means a new checkpoint: everything is read again (and offsets/2 is bad). */
    write_str(dir, "metadata", "{\"id\":\"99999999-2222-3333-4444-555555555555\"}");
    collect_pass(dir, state, &snap);
    assert_true(has_text(&snap->streams[0].warnings, "query id changed"));
    assert_true(has_text(&snap->streams[0].warnings, "offsets/2: no version header"));
    assert_string_equal(snap->streams[0].query_id, "99999999-2222-3333-4444-555555555555");
    snapshot_free(snap);
    checkpoint_collector.state_free(state);
    free(dir);
}

int main(void)
{
    clock_fix(NOW_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_partial_results_survive),
        cmocka_unit_test(test_offset_text_variants),
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_real_offset_files),
        cmocka_unit_test(test_second_pass_reads_only_what_changed),
    };
    return cmocka_run_group_tests_name("bad input", tests, NULL, NULL);
}
