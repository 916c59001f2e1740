/* Templates: placeholders checked where they are written, rendered with their values; URL
 * templates percent-encode what they put in. */
#include "testutil.h"

#include "core/template.h"

static const char *lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "stream") == 0)
        return "a b/c?d&e";
    if (strcmp(name, "label.team") == 0)
        return "payments";
    if (strcmp(name, "backlog_bytes") == 0)
        return "1.5 GiB";
    return NULL;
}

static void test_check(void **unused)
{
    (void)unused;
    struct st_err err;
    static const char *const good[] = {
        "",
        "{stream}",
        "{label.team} {label._x}",
        "{backlog_age_seconds}",
        "{{stream}",
        "{ stream }",
        "a { b",
        "json {\"a\": 1}",
        "{runbook}{owner}{host}{since}{duration}{value_raw}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (template_check(good[i], &err) < 0)
            fail_msg("refused '%s': %s", good[i], err.msg);
    static const char *const bad[] = {"{strem}", "{label.}", "{label.1x}", "x {backlog_age}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(template_check(bad[i], &err), -1);
    assert_int_equal(template_check("{strem}", &err), -1);
    assert_non_null(strstr(err.msg, "unknown placeholder {strem}"));
}

static void test_render(void **unused)
{
    (void)unused;
    char *s = template_render("{stream}: {backlog_bytes} ({label.team}) {{stream} {nope} {owner}",
                              lookup, NULL, false);
    assert_string_equal(s, "a b/c?d&e: 1.5 GiB (payments) {stream} {nope} ");
    free(s);
    s = template_render("https://g/d?s={stream}&t={label.team}#x:y", lookup, NULL, true);
    assert_string_equal(s, "https://g/d?s=a%20b%2Fc%3Fd%26e&t=payments#x:y");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
