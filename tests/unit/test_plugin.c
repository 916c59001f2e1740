/* The Monitoring Plugins conventions of check: threshold ranges as the guidelines define them,
 * performance-data labels, and the precedence of states. */
#include "testutil.h"

#include <math.h>

#include "core/health.h"
#include "core/plugin.h"

static void test_ranges(void **unused)
{
    (void)unused;
    /* range, value, alerts? (from the guidelines' table of examples) */
    static const struct {
        const char *range;
        double v;
        bool alerts;
    } cases[] = {
        {"10", 11, true},      {"10", 10, false},    {"10", 0, false},
        {"10", -1, true},      {"10:", 9.9, true},   {"10:", 10, false},
        {"10:", 1e300, false}, {"~:10", 11, true},   {"~:10", -1e300, false},
        {"10:20", 9, true},    {"10:20", 21, true},  {"10:20", 15, false},
        {"@10:20", 10, true},  {"@10:20", 20, true}, {"@10:20", 9, false},
        {"@10:20", 21, false}, {"@10:", 10, true},   {"@10:", 9, false},
        {"@~:5", 5, true},     {"@~:5", 6, false},   {"-5:-1", -3, false},
        {"-5:-1", 0, true},    {"1.5", 1.6, true},   {"0.5:", 0.4, true},
        {"1e3", 1001, true},   {"10", NAN, false},   {"@0:100", NAN, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct plugin_range r;
        struct st_err err;
        if (plugin_range_parse(cases[i].range, &r, &err) < 0)
            fail_msg("'%s': %s", cases[i].range, err.msg);
        if (plugin_range_alerts(&r, cases[i].v) != cases[i].alerts)
            fail_msg("'%s' with %g: expected %s", cases[i].range, cases[i].v,
                     cases[i].alerts ? "an alert" : "none");
        if (strcmp(cases[i].range, "1e3") != 0)
            assert_string_equal(r.text, cases[i].range);
    }
    static const char *const bad[] = {"",      "abc", "10:5", "@",     ":10", "~",   "10:~",
                                      "1:2:3", "nan", "inf",  "1e400", "10x", "@@1", " 5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct plugin_range r;
        struct st_err err;
        if (plugin_range_parse(bad[i], &r, &err) == 0)
            fail_msg("'%s' parsed", bad[i]);
    }
    struct plugin_range r;
    struct st_err err;
    assert_int_equal(plugin_range_parse("1e3", &r, &err), 0);
    assert_string_equal(r.text, "1000"); /* performance data has no exponents */
    assert_int_equal(plugin_range_parse("@-1.50:2.25e1", &r, &err), 0);
    assert_string_equal(r.text, "@-1.5:22.5");
    assert_int_equal(plugin_range_parse("5:2", &r, &err), -1);
    assert_string_equal(err.msg, "threshold range '5:2': its start is above its end");
}

static void test_labels(void **unused)
{
    (void)unused;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"clicks_backlog_age", "'clicks_backlog_age'"},
        {"it's", "'it''s'"},
        {"a=b c", "'a_b c'"},
        {"tab\there\x1b", "'tab_here_'"},
        {"", "''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;
        buf_init(&b);
        plugin_perf_label(&b, cases[i].in);
        assert_string_equal(buf_str(&b), cases[i].out);
        buf_done(&b);
    }
}

/* critical > warning > unknown > ok, whichever comes first */
static void test_precedence(void **unused)
{
    (void)unused;
    static const enum health order[] = {HEALTH_OK, HEALTH_UNKNOWN, HEALTH_WARNING, HEALTH_CRITICAL};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            enum health want = order[i > j ? i : j];
            assert_int_equal(health_worse(order[i], order[j]), want);
        }
    /* the dashboard's order of attention is its own: unknown above warning */
    assert_true(health_urgency(HEALTH_UNKNOWN) > health_urgency(HEALTH_WARNING));
}

static void test_numbers(void **unused)
{
    (void)unused;
    static const struct {
        double v;
        const char *out;
    } cases[] = {{784, "784"},
                 {0.3, "0.3"},
                 {-2.5, "-2.5"},
                 {1e-9, "0"},
                 {-1e-9, "0"},
                 {1e20, "100000000000000000000"},
                 {12.3456789, "12.345679"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;
        buf_init(&b);
        plugin_perf_number(&b, cases[i].v);
        assert_string_equal(buf_str(&b), cases[i].out);
        buf_done(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests_name("plugin", tests, NULL, NULL);
}
