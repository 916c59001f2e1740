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

/* Where an incremental pass starts: from the oldest open partition (the newest, and any whose
 * time has not ended, with the skew), or after the greatest key when none is open. */
static void test_plan(void **state)
{
    (void)state;
    uint64_t lay = 7;
    const struct keyorder_part hours[] = {
        {"dt=2026-12-01/hr=05", "dt=2026-12-01/hr=05/z.json"},
        {"dt=2026-12-01/hr=07", "dt=2026-12-01/hr=07/a.json"},
        {"dt=2026-12-01/hr=06", "dt=2026-12-01/hr=06/m.json"},
    };
    bool relist = false;
    /* 07:30: only the newest hour is open */
    const char *from = keyorder_plan(hours, 3, lay, 0, T0 + 7 * H + H / 2, &relist);
    assert_true(relist);
    assert_string_equal(from, "dt=2026-12-01/hr=07");
    /* 07:01 with two minutes of skew: 06 has not ended yet */
    from = keyorder_plan(hours, 3, lay, 120000, T0 + 7 * H + 60000, &relist);
    assert_true(relist);
    assert_string_equal(from, "dt=2026-12-01/hr=06");
    /* Spark's badRecordsPath: <ts>/bad_records/ */
    const struct keyorder_part bad[] = {
        {"20261201T071153/bad_records", "20261201T071153/bad_records/part-0"},
        {"20261201T061000/bad_records", "20261201T061000/bad_records/part-9"},
    };
    from = keyorder_plan(bad, 2, lay, 0, T0 + 8 * H, &relist);
    assert_true(relist);
    assert_string_equal(from, "20261201T071153/bad_records");
    /* its bad_files/ beside bad_records/, of the same time: open too */
    const struct keyorder_part both[] = {
        {"20261201T071153/bad_records", "20261201T071153/bad_records/part-0"},
        {"20261201T071153/bad_files", "20261201T071153/bad_files/part-3"},
        {"20261201T061000/bad_records", "20261201T061000/bad_records/part-9"},
    };
    from = keyorder_plan(both, 3, lay, 0, T0 + 8 * H, &relist);
    assert_true(relist);
    assert_string_equal(from, "20261201T071153/bad_files");
    /* names that sort by themselves: after the greatest key */
    const struct keyorder_part names[] = {
        {"", "events-20261201T071530Z-b.json"},
        {"", "events-20261201T071100Z-a.json"},
    };
    from = keyorder_plan(names, 2, lay, 0, T0 + 8 * H, &relist);
    assert_false(relist);
    assert_string_equal(from, "events-20261201T071530Z-b.json");
    /* keys of no layout (`listing = incremental`): the newest partition is open */
    const struct keyorder_part flat[] = {{"a", "a/x"}, {"b", "b/y"}};
    from = keyorder_plan(flat, 2, 0, 0, T0, &relist);
    assert_true(relist);
    assert_string_equal(from, "b");
    assert_null(keyorder_plan(flat, 0, lay, 0, T0, &relist));
    assert_false(relist);
}

static void test_full_due(void **state)
{
    (void)state;
    assert_true(keyorder_full_due(false, T0, H, T0 + 1));     /* nothing kept */
    assert_true(keyorder_full_due(true, 0, H, T0));           /* never listed whole */
    assert_false(keyorder_full_due(true, T0, 0, T0 + H - 1)); /* the default hour */
    assert_true(keyorder_full_due(true, T0, 0, T0 + H));
    assert_false(keyorder_full_due(true, T0, 2 * H, T0 + H + 60000));
    assert_true(keyorder_full_due(true, T0, 2 * H, T0 - 1)); /* the clock went back */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse), cmocka_unit_test(test_layouts),  cmocka_unit_test(test_scan),
        cmocka_unit_test(test_plan),  cmocka_unit_test(test_full_due),
    };
    return cmocka_run_group_tests_name("keyorder", tests, NULL, NULL);
}
