#include "testutil.h"

#include "net/redact.h"

/* Each case: the URL, whether the path may show, what must come out, and pieces of the secret
 * that must appear nowhere in it. */
static const struct {
    const char *url;
    bool show_path;
    const char *want;
    const char *secrets[6];
} cases[] = {
    /* a password with '@', '/', '?' and '#': libcurl sees host "ss", so nothing can show */
    {"http://user:p@ss/w?rd#x@127.0.0.1:8080/metrics?token=abc",
     true,
     REDACT_UNPARSABLE,
     {"user", "p@ss", "ss/", "w?rd", "abc", "token"}},
    {"http://user:p@ss@127.0.0.1:8080/metrics", true, REDACT_UNPARSABLE, {"user", "p@ss"}},
    {"http://user:p?ss@127.0.0.1:8080/", true, REDACT_UNPARSABLE, {"user", "p?ss", "ss@"}},
    {"http://user:p#ss@127.0.0.1:8080/", true, REDACT_UNPARSABLE, {"user", "p#ss", "ss@"}},
    {"http://user:pa/ss@127.0.0.1:8080/", true, REDACT_UNPARSABLE, {"user", "pa/ss", "/ss"}},
    {"http://us/er:pw@127.0.0.1/", true, REDACT_UNPARSABLE, {"us/er", "er:pw", "pw@"}},
    /* escaped the way it should be: the URL is fine and shows without the secret */
    {"http://user:p%40ss%2Fw%3Frd%23x@127.0.0.1:8080/metrics?token=abc#frag",
     true,
     "http://127.0.0.1:8080/metrics",
     {"user", "p%40ss", "%2Fw", "token", "abc", "frag"}},
    {"http://us:p:ss@h.example/m", true, "http://h.example/m", {"us:", "p:ss"}},
    {"http://user@h.example/m", true, "http://h.example/m", {"user"}},
    {"https://u:s3cr3t@[::1]:9443/x/y?q=1", true, "https://[::1]:9443/x/y", {"s3cr3t", "q=1"}},
    {"HTTP://Host.Example:80/A", true, "http://Host.Example:80/A", {NULL}},
    {"http://127.0.0.1:8080", true, "http://127.0.0.1:8080", {NULL}},
    {"http://127.0.0.1:8080/metrics#section", true, "http://127.0.0.1:8080/metrics", {"section"}},
    /* webhooks and S3 endpoints: scheme, host and port only */
    {"https://hooks.slack.com/services/T0000/B0000/XXXXXXXXSECRET",
     false,
     "https://hooks.slack.com",
     {"services", "T0000", "SECRET"}},
    {"http://AKIAEXAMPLE:wJalrXUtnFEMI@minio.local:9000/",
     false,
     "http://minio.local:9000",
     {"AKIA", "wJalr"}},
    {"http://127.0.0.1:8080/metrics?token=abc", false, "http://127.0.0.1:8080", {"token", "abc"}},
    /* an '@' after the host may be a spilled password: not shown even when legitimate */
    {"http://127.0.0.1/users/@me", true, REDACT_UNPARSABLE, {"@me"}},
    {"http://127.0.0.1/a?mail=x@y", true, REDACT_UNPARSABLE, {"x@y"}},
    /* not URLs */
    {"127.0.0.1:8080/metrics?token=abc", true, REDACT_UNPARSABLE, {"token", "abc"}},
    {"user:secret@127.0.0.1/metrics", true, REDACT_UNPARSABLE, {"secret"}},
    {"garbage with spaces and a s3cr3t", true, REDACT_UNPARSABLE, {"s3cr3t"}},
    {"", true, REDACT_UNPARSABLE, {NULL}},
    {"http://u:pw@host:99999/", true, REDACT_UNPARSABLE, {"pw"}},
    {"http://", true, REDACT_UNPARSABLE, {NULL}},
};

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[512];
        int rc = redact_url(cases[i].url, cases[i].show_path, out, sizeof out);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu '%s': got '%s', want '%s'", i, cases[i].url, out, cases[i].want);
        assert_int_equal(rc, strcmp(cases[i].want, REDACT_UNPARSABLE) == 0 ? -1 : 0);
        for (size_t s = 0; s < 6 && cases[i].secrets[s]; s++)
            if (strstr(out, cases[i].secrets[s]))
                fail_msg("case %zu '%s': '%s' shows '%s'", i, cases[i].url, out,
                         cases[i].secrets[s]);
    }
}

static void test_null_and_small_buffer(void **state)
{
    (void)state;
    char out[12];
    assert_int_equal(redact_url(NULL, true, out, sizeof out), -1);
    assert_string_equal(out, "(unparsable");
    assert_int_equal(redact_url("http://u:pw@averylonghostname.example/x", true, out, sizeof out),
                     0);
    assert_string_equal(out, "http://aver"); /* cut, NUL-terminated, no password */
}

static void test_is_http(void **state)
{
    (void)state;
    assert_true(redact_is_http("http://x"));
    assert_true(redact_is_http("HTTPS://x"));
    assert_false(redact_is_http("s3://bucket/x"));
    assert_false(redact_is_http("/var/log/progress.json"));
    assert_false(redact_is_http(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_null_and_small_buffer),
        cmocka_unit_test(test_is_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
