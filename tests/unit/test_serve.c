/* The daemon's pure parts: the shard hash and filter, the down-sampler, the request path and
 * query parser, --listen, and basic auth's comparison. */
#include "testutil.h"

#include <math.h>

#include "core/select.h"
#include "core/trend.h"
#include "core/xalloc.h"
#include "serve/internal.h"
#include "serve/route.h"

static void test_shard_hash(void **state)
{
    (void)state;
    /* FNV-1a 64's published test vectors */
    assert_true(select_hash("") == 0xcbf29ce484222325ULL);
    assert_true(select_hash("a") == 0xaf63dc4c8601ec8cULL);
    assert_true(select_hash("foobar") == 0x85944171f73967e8ULL);
}

static void test_shards_cover_once(void **state)
{
    (void)state;
    struct config *cfg = config_new_default();
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "stream-%d", i);
        config_add_stream(cfg, name, "/x");
    }
    for (int64_t n = 1; n <= 5; n++) {
        int seen[200] = {0};
        for (int64_t k = 1; k <= n; k++) {
            struct select_spec spec;
            select_spec_init(&spec);
            char text[16];
            struct st_err err;
            snprintf(text, sizeof text, "%lld/%lld", (long long)k, (long long)n);
            assert_int_equal(select_parse_shard(&spec, text, &err), 0);
            size_t kept = 0;
            for (int i = 0; i < 200; i++)
                if (select_match(&spec, &cfg->streams[i])) {
                    seen[i]++;
                    kept++;
                }
            if (n > 1) /* a fair hash: no shard empty or holding nearly all */
                assert_true((int64_t)kept > 200 / n / 3 && (int64_t)kept < 200 * 2 / n);
            select_spec_done(&spec);
        }
        for (int i = 0; i < 200; i++)
            assert_int_equal(seen[i], 1);
    }
    config_free(cfg);
}

static void test_shard_parse_and_select(void **state)
{
    (void)state;
    struct select_spec spec;
    struct st_err err;
    select_spec_init(&spec);
    static const char *const bad[] = {"",    "1",     "0/2", "3/2", "1/0",     "-1/2",
                                      "a/b", "1/2/3", "1/",  "/2",  "1/100001"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (select_parse_shard(&spec, bad[i], &err) == 0)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(select_parse_shard(&spec, "2/3", &err), 0);
    assert_int_equal(spec.shard_k, 2);
    assert_int_equal(spec.shard_n, 3);
    assert_int_equal(select_add_label(&spec, "=x", &err), -1);
    assert_int_equal(select_add_label(&spec, "team", &err), -1);
    select_spec_done(&spec);

    struct config *cfg = config_new_default();
    struct cfg_stream *a = config_add_stream(cfg, "a", "/a");
    assert_int_equal(config_stream_set(a, "labels", "team=x, tier=1", &err), 0);
    struct cfg_stream *b = config_add_stream(cfg, "b", "/b");
    assert_int_equal(config_stream_set(b, "labels", "team=x", &err), 0);
    config_add_stream(cfg, "c", "/c");
    select_spec_init(&spec);
    assert_int_equal(select_add_label(&spec, "team=x", &err), 0);
    assert_int_equal(select_add_label(&spec, "tier=1", &err), 0);
    assert_int_equal(select_apply(&spec, cfg), 1);
    assert_string_equal(cfg->streams[0].name, "a");
    select_spec_done(&spec);
    config_free(cfg);
}

static void test_downsample(void **state)
{
    (void)state;
    /* fewer than max: untouched */
    struct trend_point few[3] = {{0, 0, 1, 1, 1}, {10, 0, 2, 2, 2}, {20, 0, 3, 3, 3}};
    assert_int_equal(trend_downsample(few, 3, 1000), 3);
    assert_true(few[1].last == 2 && few[1].step_ms == 0);
    /* 2,500 points to 1000: runs of 3 then 2, each the mean and extremes of its run */
    size_t n = 2500;
    struct trend_point *p = xcalloc(n, sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i] = (struct trend_point){(int64_t)i * 1000, 0, (double)i, (double)i, (double)i};
    p[3].last = p[3].min = p[3].max = INFINITY; /* in the second run, beside 4 */
    assert_int_equal(trend_downsample(p, n, 1000), 1000);
    assert_true(p[0].ts_ms == 0 && p[0].last == 1 && p[0].min == 0 && p[0].max == 2);
    assert_int_equal(p[0].step_ms, 2000);
    assert_true(p[1].ts_ms == 3000 && p[1].last == 4.5 && p[1].min == 4 && p[1].max == 5);
    assert_true(p[999].ts_ms == 2498000 && p[999].last == 2498.5);
    for (size_t i = 1; i < 1000; i++)
        assert_true(p[i].ts_ms > p[i - 1].ts_ms && p[i].step_ms > 0);
    free(p);
    /* a run of nothing but infinities stays infinite (null in JSON) */
    struct trend_point inf[4] = {{0, 0, INFINITY, INFINITY, INFINITY},
                                 {1, 0, INFINITY, INFINITY, INFINITY},
                                 {2, 0, 5, 5, 5},
                                 {3, 0, 7, 4, 9}};
    assert_int_equal(trend_downsample(inf, 4, 2), 2);
    assert_true(isinf(inf[0].last));
    assert_true(inf[1].last == 6 && inf[1].min == 4 && inf[1].max == 9 && inf[1].ts_ms == 2);
    /* rollups keep their spans */
    struct trend_point roll[2] = {{0, 300000, 1, 0, 2}, {300000, 300000, 3, 1, 8}};
    assert_int_equal(trend_downsample(roll, 2, 1), 1);
    assert_true(roll[0].step_ms == 600000 && roll[0].last == 2 && roll[0].min == 0 &&
                roll[0].max == 8);
}

static void test_route(void **state)
{
    (void)state;
    static const struct {
        const char *path, *query;
        int rc;
        enum route_kind kind;
        const char *stream, *metric, *since;
    } cases[] = {
        {"/metrics", NULL, 0, ROUTE_METRICS, NULL, NULL, NULL},
        {"/metrics/", NULL, 0, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/snapshot", "", 0, ROUTE_SNAPSHOT, NULL, NULL, NULL},
        {"/api/v1/alerts", NULL, 0, ROUTE_ALERTS, NULL, NULL, NULL},
        {"/healthz", NULL, 0, ROUTE_HEALTHZ, NULL, NULL, NULL},
        {"/readyz", NULL, 0, ROUTE_READYZ, NULL, NULL, NULL},
        {"/", NULL, 0, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/streams/", NULL, 0, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/streams/orders", NULL, 0, ROUTE_STREAM, "orders", NULL, NULL},
        {"/api/v1/streams/a%2Fb", NULL, 0, ROUTE_STREAM, "a/b", NULL, NULL},
        {"/api/v1/streams/a+b%20c", NULL, 0, ROUTE_STREAM, "a+b c", NULL, NULL},
        {"/api/v1/streams/a/b", NULL, 0, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/streams/%22q%0A%C3%BC", NULL, 0, ROUTE_STREAM, "\"q\n\xc3\xbc", NULL, NULL},
        {"/api/v1/streams/orders/history", "metric=backlog_files&since=30m", 0, ROUTE_HISTORY,
         "orders", "backlog_files", "30m"},
        {"/api/v1/streams/history", NULL, 0, ROUTE_STREAM, "history", NULL, NULL},
        {"/api/v1/streams//history", NULL, 0, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/streams/x%2Fhistory/history", NULL, 0, ROUTE_HISTORY, "x/history", NULL, NULL},
        {"/api/v1/series", "metric=a&metric=b&x=1&since", 0, ROUTE_SERIES, NULL, "b", ""},
        {"/api/v1/series", "since=2026-01-02T03%3A04%3A05Z&&", 0, ROUTE_SERIES, NULL, NULL,
         "2026-01-02T03:04:05Z"},
        {"/api/v1/series", "metric=a%zz", -1, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/series", "metric=a%0", -1, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/streams/a%00b", NULL, -1, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/api/v1/streams/a%", NULL, -1, ROUTE_NOT_FOUND, NULL, NULL, NULL},
        {"/nope", "metric=%zz", 0, ROUTE_NOT_FOUND, NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct route r;
        struct st_err err;
        int rc = route_parse(cases[i].path, cases[i].query, &r, &err);
        if (rc != cases[i].rc)
            fail_msg("case %zu (%s): rc %d", i, cases[i].path, rc);
        if (rc < 0)
            continue;
        if (r.kind != cases[i].kind)
            fail_msg("case %zu (%s): kind %d", i, cases[i].path, (int)r.kind);
        const char *got[] = {r.stream, r.metric, r.since};
        const char *want[] = {cases[i].stream, cases[i].metric, cases[i].since};
        for (int k = 0; k < 3; k++)
            if (!want[k] != !got[k] || (want[k] && strcmp(want[k], got[k]) != 0))
                fail_msg("case %zu (%s): field %d is '%s'", i, cases[i].path, k,
                         got[k] ? got[k] : "(null)");
        route_done(&r);
    }
    /* a value over the bound */
    char *big = xmalloc(3 * ROUTE_MAX_VALUE + 32);
    strcpy(big, "metric=");
    for (size_t i = 0; i < ROUTE_MAX_VALUE + 1; i++)
        strcat(big, "a");
    struct route r;
    struct st_err err;
    assert_int_equal(route_parse("/api/v1/series", big, &r, &err), -1);
    free(big);
}

static void test_since(void **state)
{
    (void)state;
    int64_t now = 1800000000000LL, v;
    struct st_err err;
    assert_int_equal(route_since_ms("1h", now, &v, &err), 0);
    assert_true(v == now - 3600000);
    assert_int_equal(route_since_ms("30m", now, &v, &err), 0);
    assert_true(v == now - 1800000);
    assert_int_equal(route_since_ms("2026-01-02T03:04:05Z", now, &v, &err), 0);
    assert_true(v == 1767323045000LL);
    assert_int_equal(route_since_ms("yesterday", now, &v, &err), -1);
    assert_int_equal(route_since_ms("", now, &v, &err), -1);
}

static void test_listen(void **state)
{
    (void)state;
    unsigned char ss[128];
    unsigned len;
    bool lo;
    struct st_err err;
    assert_int_equal(serve_parse_listen("127.0.0.1:9178", ss, sizeof ss, &len, &lo, &err), 0);
    assert_true(lo);
    assert_int_equal(serve_parse_listen("0.0.0.0:80", ss, sizeof ss, &len, &lo, &err), 0);
    assert_false(lo);
    assert_int_equal(serve_parse_listen("[::1]:0", ss, sizeof ss, &len, &lo, &err), 0);
    assert_true(lo);
    assert_int_equal(serve_parse_listen("[::]:9178", ss, sizeof ss, &len, &lo, &err), 0);
    assert_false(lo);
    static const char *const bad[] = {"",
                                      "9178",
                                      ":9178",
                                      "127.0.0.1",
                                      "127.0.0.1:",
                                      "127.0.0.1:65536",
                                      "localhost:80",
                                      "[::1]9178",
                                      "::1:9178",
                                      "[::1:80",
                                      "127.0.0.1:-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (serve_parse_listen(bad[i], ss, sizeof ss, &len, &lo, &err) == 0)
            fail_msg("'%s' accepted", bad[i]);
}

static void test_auth(void **state)
{
    (void)state;
    struct strvec users;
    strvec_init(&users);
    strvec_push(&users, "alice:pw:with:colons");
    strvec_push(&users, "bob:x");
    assert_true(serve_auth_ok(&users, "alice", "pw:with:colons"));
    assert_true(serve_auth_ok(&users, "bob", "x"));
    assert_false(serve_auth_ok(&users, "bob", "y"));
    assert_false(serve_auth_ok(&users, "bob", "x "));
    assert_false(serve_auth_ok(&users, "bob", ""));
    assert_false(serve_auth_ok(&users, "alice:pw", "with:colons"));
    assert_false(serve_auth_ok(&users, NULL, "x"));
    assert_false(serve_auth_ok(&users, "bob", NULL));
    assert_true(serve_needs_auth("/metrics"));
    assert_false(serve_needs_auth("/healthz"));
    assert_false(serve_needs_auth("/readyz"));
    strvec_done(&users);
}

/* Everything a gunzip reader gives, or NULL when it fails. */
/* Everything a gunzip reader of a then b (or NULL) gives, or NULL when it fails. */
static char *gunzip_all(const struct buf *a, const struct buf *b, size_t *len)
{
    struct buf plain;
    buf_init(&plain);
    struct serve_gunzip *u = serve_gunzip_new(a->data, a->len, b ? b->data : NULL, b ? b->len : 0);
    char chunk[1000]; /* small: many reads */
    long n;
    while ((n = serve_gunzip_read(u, chunk, sizeof chunk)) > 0)
        buf_append(&plain, chunk, (size_t)n);
    serve_gunzip_free(u);
    *len = plain.len;
    if (n < 0) {
        buf_done(&plain);
        return NULL;
    }
    return buf_steal(&plain);
}

/* A gzip stream written in pieces reads back whole; one cut after its body and completed by
 * either of two tails reads back as the body then that tail; a damaged one is refused. */
static void test_gzip_pieces(void **state)
{
    (void)state;
    struct buf body, whole, cut, tail1, tail2;
    buf_init(&body);
    buf_init(&whole);
    buf_init(&cut);
    buf_init(&tail1);
    buf_init(&tail2);
    for (int i = 0; i < 20000; i++)
        buf_printf(&body, "streamtop_backlog_files{stream=\"s-%d\"} %d\n", i % 700,
                   i * 7919 % 1000);
    struct serve_gz *g = serve_gz_new(&whole, 1);
    for (size_t at = 0; at < body.len; at += 777)
        serve_gz_put(g, body.data + at, body.len - at < 777 ? body.len - at : 777);
    struct serve_gz_end end;
    assert_int_equal(serve_gz_end(g, false, &end), 0);
    assert_int_equal(end.len, body.len);
    assert_true(whole.len < body.len / 4);
    size_t n;
    char *back = gunzip_all(&whole, NULL, &n);
    assert_non_null(back);
    assert_int_equal(n, body.len);
    assert_memory_equal(back, body.data, n);
    free(back);

    g = serve_gz_new(&cut, 9);
    serve_gz_put(g, body.data, body.len);
    assert_int_equal(serve_gz_end(g, true, &end), 0);
    const char *t1 = "# TYPE streamtop_pass_errors counter\nstreamtop_pass_errors_total 3\n";
    const char *t2 = "# TYPE streamtop_pass_errors counter\nstreamtop_pass_errors_total 3\n# EOF\n";
    assert_int_equal(serve_gz_tail(&end, t1, strlen(t1), &tail1), 0);
    assert_int_equal(serve_gz_tail(&end, t2, strlen(t2), &tail2), 0);
    const struct buf *tails[] = {&tail1, &tail2};
    const char *texts[] = {t1, t2};
    for (int i = 0; i < 2; i++) {
        back = gunzip_all(&cut, tails[i], &n);
        assert_non_null(back);
        assert_int_equal(n, body.len + strlen(texts[i]));
        assert_memory_equal(back, body.data, body.len);
        assert_memory_equal(back + body.len, texts[i], strlen(texts[i]));
        free(back);
    }
    /* the cut body alone never ends, and a flipped trailer byte fails its CRC */
    assert_null(gunzip_all(&cut, NULL, &n));
    tail1.data[tail1.len - 6] ^= 1;
    assert_null(gunzip_all(&cut, &tail1, &n));
    buf_done(&body);
    buf_done(&whole);
    buf_done(&cut);
    buf_done(&tail1);
    buf_done(&tail2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_hash),
        cmocka_unit_test(test_shards_cover_once),
        cmocka_unit_test(test_shard_parse_and_select),
        cmocka_unit_test(test_downsample),
        cmocka_unit_test(test_route),
        cmocka_unit_test(test_since),
        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_gzip_pieces),
    };
    return cmocka_run_group_tests_name("serve", tests, NULL, NULL);
}
