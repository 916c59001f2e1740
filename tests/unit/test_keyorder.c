/* Key-order detection (collectors/keyorder.h): which landing keys carry their time so that key
 * order is time order, the partition and time they name, and a listing's common layout. */
#include "testutil.h"

#include "collectors/keyorder.h"

#define H  3600000LL
#define D  (24 * H)
#define T0 1796083200000LL /* 2026-12-01T00:00:00Z */

static void test_parse(void **state)
{
    (void)state;
    static const struct {
        const char *key;
        bool ok;
        enum key_kind kind;
        size_t part_len;
        int64_t start_ms, span_ms;
    } cases[] = {
        {"dt=2026-12-01/hr=07/part-00000-7d1e.json", true, KEY_DIRS, 19, T0 + 7 * H, H},
        {"dt=2026-12-01/part-00003.json", true, KEY_DIRS, 13, T0, D},
        {"2026/12/01/07/stream-1-2026-12-01-07-15-30-ab.gz", true, KEY_DIRS, 13, T0 + 7 * H, H},
        {"year=2026/month=12/day=01/hour=07/x.parquet", true, KEY_DIRS, 33, T0 + 7 * H, H},
        {"date=20261201/hour=23/x", true, KEY_DIRS, 21, T0 + 23 * H, H},
        {"in/dt=2026-12-01/hr=07/sub/x.json", true, KEY_DIRS, 26, T0 + 7 * H, H},
        /* timestamped names */
        {"events-2026-12-01T07:15:30Z-9.json", true, KEY_NAMES, 0, T0 + 7 * H + 930000, 1000},
        {"raw/20261201T071530_x.json", true, KEY_NAMES, 3, T0 + 7 * H + 930000, 1000},
        {"1796022000123.json", true, KEY_NAMES, 0, 1796022000123LL, 1},
        {"1796022000.json", true, KEY_NAMES, 0, 1796022000000LL, 1000},
        /* no time, or not one that sorts */
        {"part-00000-7d1e9c40.json", false, KEY_NONE, 0, 0, 0},
        {"batch-17/x.json", false, KEY_NONE, 0, 0, 0},
        {"2026/12/x.json", false, KEY_NONE, 0, 0, 0},       /* months only */
        {"dt=2026-13-01/x.json", false, KEY_NONE, 0, 0, 0}, /* no month 13 */
        {"1796022000/x.json", false, KEY_NONE, 0, 0, 0},    /* an epoch folder: not a date */
        {"0796022000.json", false, KEY_NONE, 0, 0, 0},      /* leading zero */
        {"dt=1969-12-31/x.json", false, KEY_NONE, 0, 0, 0}, /* before 1970 */
        {"", false, KEY_NONE, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct key_time kt;
        bool ok = keyorder_parse(cases[i].key, &kt);
        if (ok != cases[i].ok)
            fail_msg("%s: parsed %d, want %d", cases[i].key, ok, cases[i].ok);
        if (!ok)
            continue;
        if (kt.kind != cases[i].kind || kt.part_len != cases[i].part_len ||
            kt.start_ms != cases[i].start_ms || kt.span_ms != cases[i].span_ms || !kt.layout)
            fail_msg("%s: kind %d part %zu start %lld span %lld", cases[i].key, kt.kind,
                     kt.part_len, (long long)kt.start_ms, (long long)kt.span_ms);
    }
}

static uint64_t layout_of(const char *key)
{
    struct key_time kt;
    assert_true(keyorder_parse(key, &kt));
    return kt.layout;
}

/* Same layout: same text around the fields, same widths; anything else differs. */
static void test_layouts(void **state)
{
    (void)state;
    assert_int_equal(layout_of("dt=2026-12-01/hr=07/a.json"), layout_of("dt=2027-01-31/hr=23/b"));
    assert_true(layout_of("dt=2026-12-01/hr=07/a") != layout_of("dt=2026-12-01/a"));
    assert_true(layout_of("dt=2026-12-01/hr=07/a") != layout_of("2026/12/01/07/a"));
    assert_true(layout_of("a/dt=2026-12-01/x") != layout_of("b/dt=2026-12-01/x"));
    assert_true(layout_of("ev-20261201T0715.json") != layout_of("ev-2026-12-01T07:15.json"));
    /* a name's layout includes its folder: names sort only within one */
    assert_true(layout_of("a/ev-20261201T071530") != layout_of("b/ev-20261201T071530"));
}

static void test_scan(void **state)
{
    (void)state;
    static const char *const sorted[] = {"dt=2026-12-01/hr=07/x", "dt=2026-12-01/hr=08/y",
                                         "dt=2026-12-02/hr=00/z/w.json"};
    struct keyorder_scan s;
    keyorder_scan_init(&s);
    assert_int_equal(keyorder_scan_layout(&s), 0); /* no keys: nothing to go by */
    for (size_t i = 0; i < 3; i++)
        keyorder_scan_add(&s, sorted[i]);
    assert_int_equal(keyorder_scan_layout(&s), layout_of(sorted[0]));
    assert_int_equal(s.kind, KEY_DIRS);
    keyorder_scan_add(&s, "zz/batch-1.json"); /* a key of no layout */
    assert_int_equal(keyorder_scan_layout(&s), 0);
    keyorder_scan_init(&s);
    keyorder_scan_add(&s, "dt=2026-12-01/hr=07/x");
    keyorder_scan_add(&s, "2026/12/01/07/x"); /* two layouts */
    assert_int_equal(keyorder_scan_layout(&s), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_scan),
    };
    return cmocka_run_group_tests_name("keyorder", tests, NULL, NULL);
}
