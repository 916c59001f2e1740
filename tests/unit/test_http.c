#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "core/stop.h"
#include "net/http.h"

/* A loopback port that accepts connections (the kernel does) and never answers. */
static int stalling_port(int *fd)
{
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(*fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(*fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &len), 0);
    return ntohs(a.sin_port);
}

static void *stop_soon(void *arg)
{
    (void)arg;
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    stop_request();
    return NULL;
}

/* A request the server never answers ends with "stopped" once a stop is requested, long
 * before its 20 s timeout. */
static void test_perform_stops(void **state)
{
    (void)state;
    int fd;
    int port = stalling_port(&fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/metrics", port);
    struct http_request req = {.url = url, .timeout_ms = 20000, .show_path = true};
    struct http_response resp;
    http_response_init(&resp);
    struct st_err err = {0};
    pthread_t th;
    pthread_create(&th, NULL, stop_soon, NULL);
    assert_int_equal(http_perform(&req, &resp, &err), -1);
    pthread_join(th, NULL);
    assert_int_equal(err.code, ST_ESTOPPED);
    char want[96];
    snprintf(want, sizeof want, "%s: stopped", url);
    assert_string_equal(err.msg, want);
    /* once stopped, nothing starts */
    assert_int_equal(http_perform(&req, &resp, &err), -1);
    assert_int_equal(err.code, ST_ESTOPPED);
    http_response_done(&resp);
    stop_reset();
    close(fd);
}

struct tally {
    int stopped, other;
};

static void on_done(void *ctx, int rc, struct http_response *resp, struct st_err *err)
{
    (void)resp;
    struct tally *t = ctx;
    if (rc < 0 && err->code == ST_ESTOPPED && strstr(err->msg, ": stopped"))
        t->stopped++;
    else
        t->other++;
}

/* Every request of a batch, running or queued, gets its callback with "stopped". */
static void test_batch_stops(void **state)
{
    (void)state;
    int fd;
    int port = stalling_port(&fd);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
    struct http_batch *b = http_batch_new(2);
    struct tally t = {0, 0};
    struct http_request req = {.url = url, .timeout_ms = 20000};
    for (int i = 0; i < 5; i++)
        http_batch_add(b, &req, on_done, &t);
    pthread_t th;
    pthread_create(&th, NULL, stop_soon, NULL);
    http_batch_run(b);
    pthread_join(th, NULL);
    http_batch_free(b);
    assert_int_equal(t.stopped, 5);
    assert_int_equal(t.other, 0);
    stop_reset();
    close(fd);
}

/* A URL whose password spilled past the host is never requested, and the error shows none
 * of it (libcurl would have tried host "ss" and said so). */
static void test_ambiguous_url_not_requested(void **state)
{
    (void)state;
    struct http_request req = {.url = "http://alice:p@ss/w?rd#x@127.0.0.1:1/metrics?token=abc",
                               .timeout_ms = 2000,
                               .show_path = true};
    struct http_response resp;
    http_response_init(&resp);
    struct st_err err = {0};
    assert_int_equal(http_perform(&req, &resp, &err), -1);
    assert_int_equal(err.code, ST_EFORMAT);
    assert_non_null(strstr(err.msg, "(unparsable URL): not requested"));
    static const char *const secrets[] = {"alice", "p@ss", "ss/", "w?rd", "token", "abc"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++)
        if (strstr(err.msg, secrets[i]))
            fail_msg("'%s' shows '%s'", err.msg, secrets[i]);
    http_response_done(&resp);
}

/* Transport errors name the URL without user, password or query. */
static void test_error_redacted(void **state)
{
    (void)state;
    int fd;
    int port = stalling_port(&fd);
    close(fd); /* nothing listens there now */
    char url[128];
    snprintf(url, sizeof url, "http://user:s3cr3t@127.0.0.1:%d/metrics?token=abc", port);
    struct http_request req = {.url = url, .timeout_ms = 2000, .show_path = true};
    struct http_response resp;
    http_response_init(&resp);
    struct st_err err = {0};
    assert_int_equal(http_perform(&req, &resp, &err), -1);
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d/metrics: ", port);
    assert_non_null(strstr(err.msg, want));
    assert_null(strstr(err.msg, "s3cr3t"));
    assert_null(strstr(err.msg, "token"));
    assert_null(strstr(err.msg, "user"));
    http_response_done(&resp);
}

/* Where a redirect may lead: the same scheme, host and port only, keeping the URL's user
 * name and password and taking the location's path and query. */
static void test_same_origin(void **state)
{
    (void)state;
    static const struct {
        const char *url, *location, *want;
    } cases[] = {
        /* Spark's UI (Jetty): the servlet's path without its slash, absolute and relative */
        {"http://127.0.0.1:4040/metrics/prometheus", "http://127.0.0.1:4040/metrics/prometheus/",
         "http://127.0.0.1:4040/metrics/prometheus/"},
        {"http://127.0.0.1:4040/metrics/prometheus", "/metrics/prometheus/",
         "http://127.0.0.1:4040/metrics/prometheus/"},
        {"http://127.0.0.1:4040/metrics/prometheus", "prometheus/",
         "http://127.0.0.1:4040/metrics/prometheus/"},
        {"http://u:pw@h:80/a?x=1", "http://h/b?y=2", "http://u:pw@h:80/b?y=2"},
        {"https://H.example/a#frag", "https://h.example:443/b", "https://H.example/b"},
        /* anywhere else: not followed */
        {"http://127.0.0.1:4040/m", "http://localhost:4040/m/", NULL},
        {"http://127.0.0.1:4040/m", "http://127.0.0.1:4041/m/", NULL},
        {"http://127.0.0.1:4040/m", "https://127.0.0.1:4040/m/", NULL},
        {"http://u:pw@h/a", "http://evil/a", NULL},
        {"http://h/a", "", NULL},
        {"http://h/a", "ftp://h/a", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = http_same_origin(cases[i].url, cases[i].location);
        if (cases[i].want ? !got || strcmp(got, cases[i].want) != 0 : got != NULL)
            fail_msg("%s -> %s: got %s, want %s", cases[i].url, cases[i].location,
                     got ? got : "(none)", cases[i].want ? cases[i].want : "(none)");
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perform_stops),
        cmocka_unit_test(test_batch_stops),
        cmocka_unit_test(test_ambiguous_url_not_requested),
        cmocka_unit_test(test_error_redacted),
        cmocka_unit_test(test_same_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
