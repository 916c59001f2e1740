#include "testutil.h"

#include <math.h>

#include "core/buf.h"
#include "core/parse.h"

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int rc;
        int64_t ms;
    } cases[] = {
        {"2s", 0, 2000},
        {"500ms", 0, 500},
        {"5m", 0, 300000},
        {"2h", 0, 7200000},
        {"14d", 0, 1209600000},
        {"1w", 0, 604800000},
        {"1h30m", 0, 5400000},
        {"90", 0, 90000},
        {"2.5", 0, 2500},
        {"1.5s", 0, 1500},
        {" 3s", 0, 3000},
        {"0", 0, 0},
        {"", -1, 0},
        {"s", -1, 0},
        {"5x", -1, 0},
        {"-5s", -1, 0},
        {"5 s", -1, 0},
        {"1e400", -1, 0},
        {"99999999999999d", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ms = -42;
        int rc = parse_duration_ms(cases[i].in, &ms);
        if (rc != cases[i].rc || (rc == 0 && ms != cases[i].ms))
            fail_msg("duration '%s': rc %d ms %lld", cases[i].in, rc, (long long)ms);
    }
}

static void test_batch_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        bool ok;
        int64_t id;
    } cases[] = {
        {"0", true, 0},
        {"135", true, 135},
        {"000123", true, 123},
        {".135.crc", false, 0},
        {"135.compact", false, 0},
        {"-1", false, 0},
        {"", false, 0},
        {"12a", false, 0},
        {"..0.8e309ae1.tmp.crc", false, 0},
        {"1234567890123456789", false, 0}, /* 19 digits: could overflow int64 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t id = -1;
        bool ok = parse_batch_name(cases[i].name, &id);
        if (ok != cases[i].ok || (ok && id != cases[i].id))
            fail_msg("batch name '%s': ok %d id %lld", cases[i].name, ok, (long long)id);
    }
}

static void test_numbers(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(parse_int64("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(parse_int64("-7", &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(parse_int64("4x", &v), -1);
    assert_int_equal(parse_int64("", &v), -1);
    assert_int_equal(parse_int64("99999999999999999999", &v), -1);
    double d;
    assert_int_equal(parse_double("6.9230769E7", &d), 0);
    assert_true(fabs(d - 69230769.0) < 1e-6);
    assert_int_equal(parse_double("nan", &d), -1);
    assert_int_equal(parse_double("inf", &d), -1);
    assert_int_equal(parse_double("1.5 ", &d), -1);
}

static void test_humanise(void **state)
{
    (void)state;
    char buf[32];
    static const struct {
        double secs;
        const char *want;
    } durs[] = {{NAN, "-"},       {0.85, "850ms"},   {4.2, "4.2s"},    {750, "12m30s"},
                {11100, "3h05m"}, {187200, "2d04h"}, {INFINITY, "inf"}};
    for (size_t i = 0; i < sizeof durs / sizeof durs[0]; i++)
        assert_string_equal(fmt_duration(durs[i].secs, buf, sizeof buf), durs[i].want);
    assert_string_equal(fmt_bytes(3400000, buf, sizeof buf), "3.4 MB");
    assert_string_equal(fmt_bytes(512, buf, sizeof buf), "512 B");
    assert_string_equal(fmt_bytes(NAN, buf, sizeof buf), "-");
    assert_string_equal(fmt_count(1234, buf, sizeof buf), "1.2k");
    assert_string_equal(fmt_count(12, buf, sizeof buf), "12");
    assert_string_equal(fmt_count(3400000, buf, sizeof buf), "3.4M");
    assert_string_equal(fmt_number(194, buf, sizeof buf), "194");
    assert_string_equal(fmt_number(4.2, buf, sizeof buf), "4.2");
    assert_string_equal(fmt_number(INFINITY, buf, sizeof buf), "+Inf");
}

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(str_distance("chekpoint", "checkpoint"), 1);
    assert_int_equal(str_distance("source", "source"), 0);
    assert_int_equal(str_distance("abc", "xyz"), 3);
    char s[] = "  padded \t";
    assert_string_equal(str_trim(s), "padded");
}

/* Cursor blobs: what buf_put_* writes, buf_take_* reads back; reads past the end, names too
 * long or holding a NUL mark the reader bad, and every later read gives 0. */
static void test_blob(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    buf_put_u32(&b, 7);
    buf_put_i64(&b, -42);
    buf_put_name(&b, "dt=2026-12-01/hr=07");
    buf_put_name(&b, "");
    struct buf_reader r = {(const unsigned char *)b.data, b.len, false};
    assert_int_equal(buf_take_u32(&r), 7);
    assert_int_equal(buf_take_i64(&r), -42);
    char *v = buf_take_name(&r, 64);
    assert_string_equal(v, "dt=2026-12-01/hr=07");
    free(v);
    v = buf_take_name(&r, 64);
    assert_string_equal(v, "");
    free(v);
    assert_int_equal(r.left, 0);
    assert_false(r.bad);
    assert_int_equal(buf_take_u32(&r), 0); /* past the end */
    assert_true(r.bad);

    r = (struct buf_reader){(const unsigned char *)b.data, b.len, false};
    buf_take(&r, 12);
    assert_null(buf_take_name(&r, 8)); /* longer than allowed */
    assert_true(r.bad);
    assert_null(buf_take(&r, 0)); /* a bad reader stays bad */

    buf_reset(&b);
    buf_put_u32(&b, 3);
    buf_append(&b, "a\0b", 3);
    r = (struct buf_reader){(const unsigned char *)b.data, b.len, false};
    assert_null(buf_take_name(&r, 8)); /* a NUL inside */
    assert_true(r.bad);
    buf_reset(&b);
    buf_put_u32(&b, 9);
    buf_append(&b, "abc", 3);
    r = (struct buf_reader){(const unsigned char *)b.data, b.len, false};
    assert_null(buf_take_name(&r, 64)); /* shorter than its length */
    assert_true(r.bad);
    buf_done(&b);
}

/* Lists of names and raw bytes in a cursor blob: back as written; a count the bytes cannot
 * hold, or bytes that are not there, mark the reader bad (and give zeros). */
static void test_blob_lists(void **state)
{
    (void)state;
    struct strvec in, out;
    strvec_init(&in);
    strvec_init(&out);
    strvec_push(&in, "added column x");
    strvec_push(&in, "");
    struct buf b;
    buf_init(&b);
    buf_put_names(&b, &in);
    int64_t pair[2] = {5, -1};
    buf_append(&b, pair, sizeof pair);
    struct buf_reader r = {(const unsigned char *)b.data, b.len, false};
    buf_take_names(&r, &out, 64);
    int64_t got[2] = {0, 0};
    buf_take_into(&r, got, sizeof got);
    assert_false(r.bad);
    assert_int_equal(r.left, 0);
    assert_int_equal(out.n, 2);
    assert_string_equal(out.v[0], "added column x");
    assert_string_equal(out.v[1], "");
    assert_int_equal(got[0], 5);
    assert_int_equal(got[1], -1);
    buf_take_into(&r, got, sizeof got); /* past the end: zeros, and bad */
    assert_true(r.bad);
    assert_int_equal(got[0], 0);
    assert_int_equal(got[1], 0);

    buf_reset(&b);
    buf_put_u32(&b, 1000000); /* a million names in 8 bytes */
    buf_put_name(&b, "ab");
    strvec_done(&out);
    strvec_init(&out);
    r = (struct buf_reader){(const unsigned char *)b.data, b.len, false};
    buf_take_names(&r, &out, 64);
    assert_true(r.bad);
    assert_int_equal(out.n, 0);
    buf_done(&b);
    strvec_done(&in);
    strvec_done(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),  cmocka_unit_test(test_batch_names),
        cmocka_unit_test(test_numbers),    cmocka_unit_test(test_humanise),
        cmocka_unit_test(test_distance),   cmocka_unit_test(test_blob),
        cmocka_unit_test(test_blob_lists),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
