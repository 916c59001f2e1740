#include "net/http.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/stop.h"
#include "core/xalloc.h"
#include "net/redact.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_BYTES  (8u * 1024 * 1024)
#define MAX_HEADER_BYTES   (32u * 1024)
/* longest wait between two looks at the stop flag */
#define STOP_POLL_MS 100

static int curl_ready;

void http_global_init(void)
{
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        curl_ready = 1;
}

void http_response_init(struct http_response *r)
{
    memset(r, 0, sizeof *r);
    buf_init(&r->body);
    buf_init(&r->headers);
    r->filetime_ms = -1;
}

void http_response_done(struct http_response *r)
{
    buf_done(&r->body);
    buf_done(&r->headers);
}

int http_header(const struct http_response *r, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    const char *p = buf_str(&r->headers);
    while (*p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            const char *end = p + len;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
            snprintf(out, outlen, "%.*s", (int)(end - v), v);
            return 0;
        }
        p += len + (eol != NULL);
    }
    return -1;
}

/* One request in flight: its settings, the easy handle and where the answer goes. */
struct job {
    char *url, *method, *body, *ca_file, *sigv4, *user, *password;
    size_t body_len;
    char **headers;
    int64_t timeout_ms;
    size_t max_bytes;
    bool show_path;
    bool gzip;
    http_done_fn done;
    void *ctx;
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
    struct http_response *resp; /* &own, or the caller's for http_perform */
    struct http_response own;
    bool too_big;
    struct job *next;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct job *j = userdata;
    size_t n = size * nmemb;
    if (j->resp->body.len + n > j->max_bytes) {
        j->too_big = true;
        return 0; /* abort the transfer */
    }
    buf_append(&j->resp->body, ptr, n);
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct job *j = userdata;
    size_t n = size * nmemb;
    if (n >= 5 && memcmp(ptr, "HTTP/", 5) == 0)
        buf_reset(&j->resp->headers); /* a new response (after a 100 Continue, say) */
    if (j->resp->headers.len + n <= MAX_HEADER_BYTES)
        buf_append(&j->resp->headers, ptr, n);
    return n;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static struct job *job_new(const struct http_request *req, struct http_response *resp)
{
    struct job *j = xcalloc(1, sizeof *j);
    j->url = xstrdup(req->url);
    j->method = xstrdup(req->method ? req->method : "GET");
    if (req->body) {
        j->body = xmalloc(req->body_len + 1);
        memcpy(j->body, req->body, req->body_len);
        j->body[req->body_len] = '\0';
        j->body_len = req->body_len;
    }
    j->ca_file = dup_or_null(req->ca_file);
    j->sigv4 = dup_or_null(req->aws_sigv4);
    j->user = dup_or_null(req->user);
    j->password = dup_or_null(req->password);
    size_t nh = 0;
    while (req->headers && req->headers[nh])
        nh++;
    j->headers = xcalloc(nh + 1, sizeof *j->headers);
    for (size_t i = 0; i < nh; i++)
        j->headers[i] = xstrdup(req->headers[i]);
    j->timeout_ms = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    j->max_bytes = req->max_bytes ? req->max_bytes : DEFAULT_MAX_BYTES;
    j->show_path = req->show_path;
    j->gzip = req->gzip;
    if (resp) {
        j->resp = resp;
    } else {
        http_response_init(&j->own);
        j->resp = &j->own;
    }
    return j;
}

static void job_free(struct job *j)
{
    if (!j)
        return;
    if (j->easy)
        curl_easy_cleanup(j->easy);
    curl_slist_free_all(j->hdrs);
    free(j->url);
    free(j->method);
    free(j->body);
    free(j->ca_file);
    free(j->sigv4);
    free(j->user);
    if (j->password) {
        memset(j->password, 0, strlen(j->password));
        free(j->password);
    }
    for (char **h = j->headers; h && *h; h++)
        free(*h);
    free(j->headers);
    if (j->resp == &j->own)
        http_response_done(&j->own);
    free(j);
}

/* Make the easy handle for a job. 0, or -1 with err. */
static int job_prepare(struct job *j, struct st_err *err)
{
    http_global_init();
    j->resp->status = 0;
    j->resp->filetime_ms = -1;
    buf_reset(&j->resp->body);
    buf_reset(&j->resp->headers);
    char shown[512];
    if (redact_url(j->url, j->show_path, shown, sizeof shown) < 0)
        /* what libcurl would make of it is not what was meant (and its error would show a
         * piece of the password as the host) */
        return st_err_set(err, ST_EFORMAT,
                          "%s: not requested: write '@', '/', '?' and '#' in a user name or "
                          "password as %%40, %%2F, %%3F and %%23",
                          shown);
    if (stop_requested())
        return st_err_set(err, ST_ESTOPPED, "%s: stopped", shown);
    CURL *c = curl_easy_init();
    if (!c)
        return st_err_set(err, ST_EFAIL, "%s: cannot start a request", shown);
    j->easy = c;
    for (char **h = j->headers; *h; h++)
        j->hdrs = curl_slist_append(j->hdrs, *h);
    curl_easy_setopt(c, CURLOPT_PRIVATE, j);
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)j->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(j->timeout_ms < 5000 ? j->timeout_ms : 5000));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "streamtop/0.1.0");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
    curl_easy_setopt(c, CURLOPT_FILETIME, 1L);
    if (j->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, j->ca_file);
    if (j->gzip)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip");
    if (j->hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->hdrs);
    if (j->sigv4)
        curl_easy_setopt(c, CURLOPT_AWS_SIGV4, j->sigv4);
    else if (j->user) /* HTTP basic authentication (a daemon behind a password) */
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    if (j->user)
        curl_easy_setopt(c, CURLOPT_USERNAME, j->user);
    if (j->password)
        curl_easy_setopt(c, CURLOPT_PASSWORD, j->password);
    if (strcmp(j->method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(j->method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, j->method);
    if (j->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)j->body_len);
    }
    return 0;
}

/* After the transfer: the status and file time, or the error. 0 or -1. */
static int job_conclude(struct job *j, CURLcode rc, struct st_err *err)
{
    char shown[512];
    redact_url(j->url, j->show_path, shown, sizeof shown);
    if (j->too_big)
        return st_err_set(err, ST_ETOOBIG, "%s: response larger than %zu bytes", shown,
                          j->max_bytes);
    if (rc != CURLE_OK) {
        if (rc == CURLE_OPERATION_TIMEDOUT)
            return st_err_set(err, ST_ETIMEDOUT, "%s: timed out after %lld ms", shown,
                              (long long)j->timeout_ms);
        return st_err_set(err, ST_EIO, "%s: %s", shown,
                          *j->errbuf ? j->errbuf : curl_easy_strerror(rc));
    }
    long status = 0;
    curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_off_t ft = -1;
    if (curl_easy_getinfo(j->easy, CURLINFO_FILETIME_T, &ft) == CURLE_OK && ft >= 0)
        j->resp->filetime_ms = (int64_t)ft * 1000;
    j->resp->status = status;
    if (!j->resp->body.data)
        buf_append(&j->resp->body, "", 0);
    return 0;
}

static int stopped_err(const struct job *j, struct st_err *err)
{
    char shown[512];
    redact_url(j->url, j->show_path, shown, sizeof shown);
    return st_err_set(err, ST_ESTOPPED, "%s: stopped", shown);
}

static int perform_once(const struct http_request *req, struct http_response *resp,
                        struct st_err *err)
{
    struct job *j = job_new(req, resp);
    int rc = job_prepare(j, err);
    if (rc == 0) {
        /* curl_easy_perform cannot be interrupted: run the one transfer through multi and
         * look at the stop flag between polls */
        CURLM *m = curl_multi_init();
        if (!m || curl_multi_add_handle(m, j->easy) != CURLM_OK) {
            rc = job_conclude(j, curl_easy_perform(j->easy), err);
        } else {
            CURLcode code = CURLE_OK;
            bool done = false;
            while (!done && !stop_requested()) {
                int still = 0;
                if (curl_multi_perform(m, &still) != CURLM_OK) {
                    code = CURLE_FAILED_INIT;
                    done = true;
                }
                CURLMsg *msg;
                int left;
                while ((msg = curl_multi_info_read(m, &left)) != NULL) {
                    if (msg->msg == CURLMSG_DONE) {
                        code = msg->data.result;
                        done = true;
                    }
                }
                if (!done)
                    curl_multi_poll(m, NULL, 0, STOP_POLL_MS, NULL);
            }
            curl_multi_remove_handle(m, j->easy);
            rc = done ? job_conclude(j, code, err) : stopped_err(j, err);
        }
        curl_multi_cleanup(m);
    }
    job_free(j);
    return rc;
}

static char *url_part(CURLU *u, CURLUPart which, unsigned flags)
{
    char *s = NULL;
    if (curl_url_get(u, which, &s, flags) != CURLUE_OK)
        return NULL;
    return s;
}

static bool same_part(CURLU *a, CURLU *b, CURLUPart which, unsigned flags)
{
    char *x = url_part(a, which, flags), *y = url_part(b, which, flags);
    bool same = x && y && strcasecmp(x, y) == 0;
    curl_free(x);
    curl_free(y);
    return same;
}

char *http_same_origin(const char *url, const char *location)
{
    CURLU *from = curl_url(), *to = NULL;
    char *out = NULL, *path = NULL, *query = NULL;
    if (!from || !location || !*location || curl_url_set(from, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto done;
    to = curl_url_dup(from);
    /* relative locations resolve against url; an absolute one replaces it whole */
    if (!to || curl_url_set(to, CURLUPART_URL, location, 0) != CURLUE_OK)
        goto done;
    if (!same_part(from, to, CURLUPART_SCHEME, 0) || !same_part(from, to, CURLUPART_HOST, 0) ||
        !same_part(from, to, CURLUPART_PORT, CURLU_DEFAULT_PORT))
        goto done;
    path = url_part(to, CURLUPART_PATH, 0);
    query = url_part(to, CURLUPART_QUERY, 0);
    if (!path || curl_url_set(from, CURLUPART_PATH, path, 0) != CURLUE_OK ||
        curl_url_set(from, CURLUPART_QUERY, query, 0) != CURLUE_OK ||
        curl_url_set(from, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK)
        goto done;
    char *s = url_part(from, CURLUPART_URL, 0);
    if (s) {
        out = xstrdup(s);
        curl_free(s);
    }
done:
    curl_free(path);
    curl_free(query);
    curl_url_cleanup(to);
    curl_url_cleanup(from);
    return out;
}

int http_perform(const struct http_request *req, struct http_response *resp, struct st_err *err)
{
    struct http_request hop = *req;
    char *url = NULL;
    int rc;
    for (int n = 0;; n++) {
        rc = perform_once(&hop, resp, err);
        long st = resp->status;
        char loc[2048];
        if (rc < 0 || req->same_origin_redirects <= 0 ||
            !(st == 301 || st == 302 || st == 303 || st == 307 || st == 308) ||
            http_header(resp, "Location", loc, sizeof loc) < 0 || strlen(loc) + 1 >= sizeof loc)
            break;
        char *next = http_same_origin(hop.url, loc);
        if (!next)
            break; /* the caller reports the 3xx */
        if (n == req->same_origin_redirects) {
            char shown[512];
            redact_url(req->url, req->show_path, shown, sizeof shown);
            free(next);
            rc = st_err_set(err, ST_EIO, "%s: more than %d redirects", shown,
                            req->same_origin_redirects);
            break;
        }
        free(url);
        url = next;
        hop.url = url;
    }
    free(url);
    return rc;
}

/* ---- batch ----------------------------------------------------------------------------- */

struct http_batch {
    CURLM *multi;
    int parallel;
    int running;
    struct job *queue, *queue_tail; /* not started yet */
    struct job *active;             /* started (linked through next) */
    bool stopped;
};

struct http_batch *http_batch_new(int parallel)
{
    http_global_init();
    struct http_batch *b = xcalloc(1, sizeof *b);
    b->multi = curl_multi_init();
    b->parallel = parallel < 1 ? 1 : parallel > 64 ? 64 : parallel;
    return b;
}

void http_batch_add(struct http_batch *b, const struct http_request *req, http_done_fn done,
                    void *ctx)
{
    struct job *j = job_new(req, NULL);
    j->done = done;
    j->ctx = ctx;
    if (b->queue_tail)
        b->queue_tail->next = j;
    else
        b->queue = j;
    b->queue_tail = j;
}

void http_batch_stop(struct http_batch *b)
{
    b->stopped = true;
}

static void unlink_active(struct http_batch *b, struct job *j)
{
    for (struct job **p = &b->active; *p; p = &(*p)->next)
        if (*p == j) {
            *p = j->next;
            j->next = NULL;
            return;
        }
}

static void drop_all(struct http_batch *b)
{
    while (b->active) {
        struct job *j = b->active;
        b->active = j->next;
        curl_multi_remove_handle(b->multi, j->easy);
        job_free(j);
    }
    while (b->queue) {
        struct job *j = b->queue;
        b->queue = j->next;
        job_free(j);
    }
    b->queue_tail = NULL;
    b->running = 0;
}

/* A stop was requested: every job not finished yet (and any a callback adds) gets its callback
 * with "stopped", until a callback gives up the batch. */
static void fail_stopped(struct http_batch *b)
{
    while (!b->stopped && (b->active || b->queue)) {
        struct job *j = b->active;
        if (j) {
            b->active = j->next;
            curl_multi_remove_handle(b->multi, j->easy);
            b->running--;
        } else {
            j = b->queue;
            b->queue = j->next;
            if (!b->queue)
                b->queue_tail = NULL;
        }
        j->next = NULL;
        struct st_err err = {0};
        stopped_err(j, &err);
        j->done(j->ctx, -1, j->resp, &err);
        job_free(j);
    }
}

/* Start queued jobs while there is room; a job that cannot start is reported at once. */
static void start_jobs(struct http_batch *b)
{
    while (!b->stopped && b->running < b->parallel && b->queue) {
        struct job *j = b->queue;
        b->queue = j->next;
        if (!b->queue)
            b->queue_tail = NULL;
        j->next = NULL;
        struct st_err err = {0};
        if (job_prepare(j, &err) < 0 || curl_multi_add_handle(b->multi, j->easy) != CURLM_OK) {
            if (!*err.msg)
                st_err_set(&err, ST_EFAIL, "cannot start a request");
            j->done(j->ctx, -1, j->resp, &err);
            job_free(j);
            continue;
        }
        j->next = b->active;
        b->active = j;
        b->running++;
    }
}

void http_batch_run(struct http_batch *b)
{
    while (!b->stopped) {
        start_jobs(b);
        if (b->running == 0 || b->stopped)
            break;
        int still = 0;
        curl_multi_perform(b->multi, &still);
        CURLMsg *msg;
        int left;
        while (!b->stopped && (msg = curl_multi_info_read(b->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            struct job *j = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
            CURLcode code = msg->data.result;
            curl_multi_remove_handle(b->multi, j->easy);
            unlink_active(b, j);
            b->running--;
            struct st_err err = {0};
            int rc = job_conclude(j, code, &err);
            j->done(j->ctx, rc, j->resp, &err);
            job_free(j);
            start_jobs(b);
        }
        if (stop_requested()) {
            fail_stopped(b);
            break;
        }
        if (!b->stopped && b->running > 0 && still > 0)
            curl_multi_poll(b->multi, NULL, 0, STOP_POLL_MS, NULL);
    }
    if (b->stopped)
        drop_all(b);
}

void http_batch_free(struct http_batch *b)
{
    if (!b)
        return;
    drop_all(b);
    curl_multi_cleanup(b->multi);
    free(b);
}
