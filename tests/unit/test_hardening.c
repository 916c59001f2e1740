/* Hardening: numbers beyond int64 in every parser that turns a JSON number into an integer, the
 * formatting of such values, and text that ends without a newline. Each case once was undefined
 * behaviour or an out-of-bounds read (seen under `make ubsan` / `make asan`). */
#include "testutil.h"

#include <float.h>
#include <math.h>

#include "collectors/deltalog.h"
#include "collectors/offsetlog.h"
#include "collectors/progressparse.h"
#include "collectors/sourcelog.h"
#include "core/config.h"
#include "core/parse.h"
#include "net/s3.h"

static void test_double_to_i64(void **unused)
{
    (void)unused;
    static const struct {
        double d;
        bool ok;
        int64_t want;
    } cases[] = {
        {0, true, 0},
        {-1.9, true, -1},
        {1.7e12, true, 1700000000000LL},
        {-9223372036854775808.0, true, INT64_MIN},
        {9223372036854774784.0, true, 9223372036854774784LL}, /* the largest double below 2^63 */
        {9223372036854775808.0, false, 0},                    /* 2^63 */
        {-9223372036854777856.0, false, 0},                   /* the next double below -2^63 */
        {1e300, false, 0},
        {-1e300, false, 0},
        {INFINITY, false, 0},
        {-INFINITY, false, 0},
        {NAN, false, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        assert_int_equal(parse_double_to_i64(cases[i].d, &v), cases[i].ok);
        assert_true(v == (cases[i].ok ? cases[i].want : 42));
    }
}

static void test_fmt_duration_huge(void **unused)
{
    (void)unused;
    char buf[32];
    assert_string_equal(fmt_duration(2 * 86400.0 + 3600, buf, sizeof buf), "2d01h");
    assert_string_equal(fmt_duration(999999 * 86400.0, buf, sizeof buf), "999999d00h");
    assert_string_equal(fmt_duration(1e300, buf, sizeof buf), ">999999d");
    assert_string_equal(fmt_duration(-1e300, buf, sizeof buf), "->999999d");
    assert_string_equal(fmt_duration(DBL_MAX, buf, sizeof buf), ">999999d");
}

static void test_progress_huge_numbers(void **unused)
{
    (void)unused;
    static const char *const texts[] = {
        "{\"id\":\"q\",\"batchId\":1e300,\"numInputRows\":1e400}",
        "{\"id\":\"q\",\"batchId\":1e400,\"numInputRows\":-1e400}",
        "{\"id\":\"q\",\"batchId\":-1e400,\"durationMs\":{\"triggerExecution\":1e400}}",
        "{\"id\":\"q\",\"batchId\":9.3e18}",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct progress_info pi;
        struct st_err err;
        assert_int_equal(progress_from_json(texts[i], strlen(texts[i]), &pi, &err), 0);
        assert_true(pi.batch_id == -1);
        assert_true(isnan(pi.input_rows));
        assert_true(isnan(pi.duration_s));
    }
    struct progress_info pi;
    struct st_err err;
    const char *ok = "{\"id\":\"q\",\"batchId\":7.0}";
    assert_int_equal(progress_from_json(ok, strlen(ok), &pi, &err), 0);
    assert_true(pi.batch_id == 7);
}

static void test_deltalog_huge_numbers(void **unused)
{
    (void)unused;
    const char *text = "{\"commitInfo\":{\"timestamp\":1e300,\"operation\":\"STREAMING UPDATE\","
                       "\"operationParameters\":{\"queryId\":\"q\",\"epochId\":\"1e400\"},"
                       "\"operationMetrics\":{\"numOutputRows\":\"5\"}}}\n"
                       "{\"txn\":{\"appId\":\"q\",\"version\":-1e400}}\n"
                       "{\"txn\":{\"appId\":\"q\",\"version\":1e300}}";
    struct delta_commit c;
    deltalog_commit_init(&c, 3);
    deltalog_parse_commit(text, strlen(text), "q", &c);
    assert_true(c.ts_ms == -1);
    assert_true(c.streaming_mine);
    assert_true(c.epoch == -1);
    assert_true(c.rows == 5);
    assert_false(c.has_txn);
    deltalog_commit_done(&c);

    static const struct {
        const char *text;
        int rc;
        int64_t version;
        const char *msg;
    } lc[] = {
        {"{\"version\":10,\"size\":3}", 0, 10, NULL},
        {"{\"version\":\"12\"}", 0, 12, NULL},
        {"{\"version\":1e300}", -1, 0, "version 1e+300 is not a commit number"},
        {"{\"version\":-1e400}", -1, 0, "version -inf is not a commit number"},
        {"{\"version\":2.5}", -1, 0, "version 2.5 is not a commit number"},
        {"{\"version\":-3}", -1, 0, "version -3 is not a commit number"},
        {"{\"size\":3}", -1, 0, "no version in it"},
        {"{\"vers", -1, 0, "no version in it"},
    };
    for (size_t i = 0; i < sizeof lc / sizeof lc[0]; i++) {
        int64_t v = -7;
        struct st_err err;
        assert_int_equal(deltalog_parse_last_checkpoint(lc[i].text, strlen(lc[i].text), &v, &err),
                         lc[i].rc);
        if (lc[i].rc == 0)
            assert_true(v == lc[i].version);
        else
            assert_string_equal(err.msg, lc[i].msg);
    }
}

static void test_sourcelog_huge_numbers(void **unused)
{
    (void)unused;
    /* escaped paths take the cJSON route, where the numbers arrive as doubles */
    const char *text =
        "v1\n"
        "{\"path\":\"file:\\/\\/\\/in\\/a.json\",\"timestamp\":1e300,\"batchId\":0}\n"
        "{\"path\":\"file:\\/\\/\\/in\\/b.json\",\"timestamp\":-1e400,\"batchId\":0}\n"
        "{\"path\":\"file:\\/\\/\\/in\\/c.json\",\"timestamp\":5,\"batchId\":1e400}";
    struct sourcelog sl;
    sourcelog_init(&sl);
    assert_true(sourcelog_fold_text(&sl, text, strlen(text), -1) == 2);
    assert_true(sl.seen.n == 1);
    int64_t ts = 0;
    assert_true(hashset_get(&sl.seen, sourcelog_path_hash("/in/c.json", 10, false), &ts));
    assert_true(ts == 5);
    sourcelog_done(&sl);
}

static void test_offsets_huge_timestamp(void **unused)
{
    (void)unused;
    const char *text =
        "v1\n{\"batchWatermarkMs\":1e400,\"batchTimestampMs\":1e300}\n{\"logOffset\":0}";
    struct offset_file f;
    struct st_err err;
    assert_int_equal(offsetlog_parse(text, strlen(text), &f, &err), 0);
    assert_true(f.batch_ts_ms == -1);
    assert_true(f.watermark_ms == 0);
    offsetlog_done(&f);
}

/* Config text without a final newline whose last line is blank and longer than inih's line
 * buffer: the reader looked one byte past the end of the text. The copy is exactly as long as
 * the text, so ASan sees such a read. */
static void test_config_unterminated_blank_line(void **unused)
{
    (void)unused;
    const char *head = "[global]\ndatabase = :memory:\n";
    size_t hl = strlen(head), len = hl + 300;
    char *text = xmalloc(len);
    memcpy(text, head, hl);
    memset(text + hl, ' ', 300);
    struct st_err err;
    struct config *cfg = config_parse("test.conf", text, len, &err);
    assert_non_null(cfg);
    config_free(cfg);
    /* the same with a tab-only last line and a comment line longer than the buffer */
    memset(text + hl, '\t', 300);
    cfg = config_parse("test.conf", text, len, &err);
    assert_non_null(cfg);
    config_free(cfg);
    text[hl] = '#';
    cfg = config_parse("test.conf", text, len, &err);
    assert_non_null(cfg);
    config_free(cfg);
    free(text);
}

static void count_object(void *ctx, const char *key, int64_t size, int64_t mtime_ms)
{
    (void)key;
    (void)size;
    (void)mtime_ms;
    (*(int *)ctx)++;
}

/* A listing page that fails after its <NextContinuationToken> leaves no token behind (found by
 * fuzz_s3list: a leak when the caller trusted the -1). */
static void test_s3_list_failure_owns_nothing(void **unused)
{
    (void)unused;
    const char *xml = "<ListBucketResult><IsTruncated>true</IsTruncated>"
                      "<NextContinuationToken>abc</NextContinuationToken>"
                      "<Contents><Size>3</Size></Contents></ListBucketResult>";
    const struct s3_page_fns fns = {count_object, NULL};
    int n = 0;
    bool truncated;
    char *token = NULL;
    struct st_err err;
    assert_int_equal(s3_parse_list(xml, strlen(xml), &fns, &n, &truncated, &token, &err), -1);
    assert_string_equal(err.msg, "a <Contents> entry has no <Key>");
    assert_null(token);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_to_i64),
        cmocka_unit_test(test_fmt_duration_huge),
        cmocka_unit_test(test_progress_huge_numbers),
        cmocka_unit_test(test_deltalog_huge_numbers),
        cmocka_unit_test(test_sourcelog_huge_numbers),
        cmocka_unit_test(test_offsets_huge_timestamp),
        cmocka_unit_test(test_config_unterminated_blank_line),
        cmocka_unit_test(test_s3_list_failure_owns_nothing),
    };
    return cmocka_run_group_tests_name("hardening", tests, NULL, NULL);
}
