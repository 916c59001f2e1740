/* The remote pass's pieces that need no daemon: the parsers of its answers (series, a stream's
 * schema versions, the alerts), the URL check and the auth file. The requests themselves are
 * driven end to end by tests/e2e/test_remote.sh against a double of the daemon. */
#include "testutil.h"

#include <math.h>

#include "export/export.h"
#include "pass/remote.h"

struct got {
    char names[4][32];
    size_t n[4];
    double last[4];
    size_t streams;
};

static void on_series(void *ctx, const char *name, const struct sample *s, size_t n)
{
    struct got *g = ctx;
    assert_true(g->streams < 4);
    snprintf(g->names[g->streams], sizeof g->names[0], "%s", name);
    g->n[g->streams] = n;
    g->last[g->streams] = n ? s[n - 1].value : -1;
    g->streams++;
}

static void test_series(void **unused)
{
    (void)unused;
    const char *ok = "{\"metric\":\"backlog_files\",\"since_ms\":1,\"streams\":[{\"name\":\"a\","
                     "\"points\":[[1000,3],[2000,null]]},{\"name\":\"b\",\"points\":[]}]}";
    struct got g = {0};
    struct st_err err;
    assert_int_equal(remote_parse_series(ok, strlen(ok), on_series, &g, &err), 0);
    assert_int_equal(g.streams, 2);
    assert_string_equal(g.names[0], "a");
    assert_int_equal(g.n[0], 2);
    assert_true(isnan(g.last[0])); /* null: not measured then */
    assert_int_equal(g.n[1], 0);
    static const char *const bad[] = {
        "",
        "{}",
        "{\"streams\":[{\"name\":\"a\"}]}",
        "{\"streams\":[{\"name\":\"a\",\"points\":[[\"x\",1]]}]}",
        "{\"streams\":[{\"name\":\"a\",\"points\":[[1e300,1]]}]}",
        "{\"streams\":[{\"name\":\"a\",\"points\":[[1,\"1\"]]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct got b = {0};
        assert_int_equal(remote_parse_series(bad[i], strlen(bad[i]), on_series, &b, &err), -1);
    }
}

static void test_stream(void **unused)
{
    (void)unused;
    const char *ok = "{\"stream\":{\"name\":\"a\"},\"schema_versions\":[\"v1 + x: int\","
                     "\"v0 \\u001b[2J\"]}";
    struct strvec lines;
    strvec_init(&lines);
    struct st_err err;
    assert_int_equal(remote_parse_stream(ok, strlen(ok), &lines, &err), 0);
    assert_int_equal(lines.n, 2);
    assert_string_equal(lines.v[0], "v1 + x: int");
    assert_null(strchr(lines.v[1], 0x1b)); /* escaped before the screen */
    strvec_done(&lines);
    strvec_init(&lines);
    assert_int_equal(remote_parse_stream("{\"schema_versions\":[1]}", 23, &lines, &err), -1);
    assert_int_equal(remote_parse_stream("{\"error\":\"x\"}", 13, &lines, &err), -1);
    strvec_done(&lines);
}

static void test_notes(void **unused)
{
    (void)unused;
    const char *ok =
        "{\"alerts\":[],\"notifications\":[{\"stream\":\"p\",\"rule\":\"r\",\"webhook\":null,"
        "\"what\":\"firing\",\"error\":null,\"created_ms\":5,\"done_ms\":null,\"status\":0,"
        "\"attempts\":2},{\"stream\":\"q\",\"rule\":\"r\",\"webhook\":\"slack\",\"what\":"
        "\"resolved\",\"error\":\"HTTP 502\",\"created_ms\":1,\"done_ms\":2,\"status\":200,"
        "\"attempts\":1}]}";
    struct notification *v;
    size_t n;
    struct st_err err;
    assert_int_equal(remote_parse_notes(ok, strlen(ok), &v, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].webhook, "-");
    assert_null(v[0].error);
    assert_int_equal(v[0].done_ms, -1);
    assert_int_equal(v[0].attempts, 2);
    assert_string_equal(v[1].error, "HTTP 502");
    assert_int_equal(v[1].status, 200);
    notifications_free(v, n);
    const char *bad = "{\"notifications\":[{\"stream\":\"p\",\"rule\":3}]}";
    assert_int_equal(remote_parse_notes(bad, strlen(bad), &v, &n, &err), -1);
    assert_null(v);
    assert_int_equal(n, 0);
    assert_int_equal(remote_parse_notes("[]", 2, &v, &n, &err), -1);
}

static void test_url_and_auth(void **unused)
{
    (void)unused;
    struct st_err err;
    struct pass_remote r = {.url = "http://127.0.0.1:8080", .read_snapshot = export_json_read};
    assert_int_equal(pass_remote_check(&r, &err), 0);
    r.url = "https://u:pw@daemon.example:443/streamtop/";
    assert_int_equal(pass_remote_check(&r, &err), 0);
    r.url = "ftp://daemon";
    assert_int_equal(pass_remote_check(&r, &err), -1);
    r.url = "http://daemon:1/?token=s3cret";
    assert_int_equal(pass_remote_check(&r, &err), -1);
    assert_null(strstr(err.msg, "s3cret"));
    char *dir = scratch_dir("remote");
    write_str(dir, "good", "ops:s3:cret\n");
    write_str(dir, "bad", "no colon here\n");
    char *good = xasprintf("%s/good", dir), *badf = xasprintf("%s/bad", dir);
    char *user, *pw;
    assert_int_equal(pass_remote_auth_file(good, &user, &pw, &err), 0);
    assert_string_equal(user, "ops");
    assert_string_equal(pw, "s3:cret"); /* the first colon splits, as curl's -u does */
    free(user);
    free(pw);
    assert_int_equal(pass_remote_auth_file(badf, &user, &pw, &err), -1);
    assert_non_null(strstr(err.msg, "line 1: expected user:password"));
    assert_null(strstr(err.msg, "colon here"));
    free(good);
    free(badf);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_notes),
        cmocka_unit_test(test_url_and_auth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
