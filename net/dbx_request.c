/* dbx_request: request URLs, one request with its retries (429 and 5xx, Retry-After honoured,
 * all within the request timeout), and the error of a non-2xx answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "net/dbx_internal.h"

#define RETRY_BASE_MS 100
/* a Retry-After beyond this is not waited for, whatever the timeout */
#define RETRY_AFTER_MAX_MS 60000

static void encode(struct buf *out, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~' || (keep_slash && ch == '/')) {
            buf_putc(out, (char)ch);
        } else {
            buf_putc(out, '%');
            buf_putc(out, hex[ch >> 4]);
            buf_putc(out, hex[ch & 15]);
        }
    }
}

char *dbx_url(const struct dbx_ctx *c, const char *api, const char *path, const char *query)
{
    struct buf b;
    buf_init(&b);
    buf_puts(&b, c->host);
    buf_puts(&b, api);
    if (path)
        encode(&b, path, true);
    buf_puts(&b, query ? query : "");
    return buf_steal(&b);
}

void dbx_query_add(struct buf *q, const char *name, const char *value)
{
    buf_putc(q, q->len ? '&' : '?');
    buf_puts(q, name);
    buf_putc(q, '=');
    encode(q, value, false);
}

void dbx_request_init(const struct dbx_ctx *c, struct http_request *req, const char *url,
                      const char *const *headers, size_t max_bytes, int64_t timeout_ms)
{
    memset(req, 0, sizeof *req);
    req->url = url;
    req->headers = headers ? headers : c->headers;
    req->max_bytes = max_bytes;
    req->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    req->show_path = true;
}

bool dbx_retryable(int rc, const struct st_err *err, const struct http_response *r)
{
    if (rc < 0)
        return err->code == ST_EIO;
    return r->status == 429 || r->status == 500 || r->status == 502 || r->status == 503 ||
           r->status == 504;
}

bool dbx_backoff(const struct http_response *r, int attempt, int64_t deadline_mono_ms)
{
    int64_t wait = (int64_t)RETRY_BASE_MS << (2 * (attempt < 6 ? attempt : 6));
    char ra[64];
    int64_t secs;
    if (r && http_header(r, "Retry-After", ra, sizeof ra) == 0 && parse_int64(ra, &secs) == 0 &&
        secs >= 0)
        wait = secs * 1000 < RETRY_AFTER_MAX_MS ? secs * 1000 : RETRY_AFTER_MAX_MS;
    int64_t now = clock_mono_ms();
    if (stop_requested() || now + wait >= deadline_mono_ms)
        return false;
    log_debug("databricks: HTTP %ld, asking again in %lld ms (attempt %d)", r ? r->status : 0L,
              (long long)wait, attempt + 2);
    /* sleep in slices so that a stop is seen */
    while (wait > 0 && !stop_requested()) {
        int64_t slice = wait < 100 ? wait : 100;
        struct timespec ts = {(time_t)(slice / 1000), (long)(slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        wait -= slice;
    }
    return !stop_requested();
}

int dbx_call(const struct dbx_ctx *c, const char *what, const char *method, const char *url,
             const char *range, size_t max_bytes, struct http_response *resp, struct st_err *err)
{
    char rangeh[96];
    const char *headers[3] = {c->auth_header, NULL, NULL};
    if (range) {
        snprintf(rangeh, sizeof rangeh, "Range: %s", range);
        headers[1] = rangeh;
    }
    int64_t deadline = clock_mono_ms() + c->timeout_ms;
    int rc;
    for (int attempt = 0;; attempt++) {
        struct http_request req;
        dbx_request_init(c, &req, url, headers, max_bytes, deadline - clock_mono_ms());
        req.method = method;
        rc = http_perform(&req, resp, err);
        if (!dbx_retryable(rc, err, resp) || !dbx_backoff(rc == 0 ? resp : NULL, attempt, deadline))
            break;
    }
    if (rc < 0)
        return st_err_prefix(err, "%s", what);
    return 0;
}

int dbx_answer_error(const char *what, const struct http_response *r, struct st_err *err)
{
    char code[128], msg[320];
    bool parsed =
        dbx_parse_error(r->body.data, r->body.len, code, sizeof code, msg, sizeof msg) == 0;
    const char *retried =
        r->status == 429 || r->status >= 500 ? ", asked again until the timeout" : "";
    if (r->status == 404)
        return st_err_set(err, ST_ENOENT, "%s: not found (HTTP 404%s%s)", what, parsed ? " " : "",
                          parsed ? code : "");
    if (parsed)
        return st_err_set(err, ST_EIO, "%s: %s (HTTP %ld%s)%s%s", what, code, r->status, retried,
                          *msg ? ": " : "", msg);
    char sample[81];
    sanitize_copy(sample, sizeof sample, r->body.data ? buf_str(&r->body) : "");
    return st_err_set(err, ST_EIO, "%s: HTTP %ld%s, and the answer is not a Databricks error%s%s%s",
                      what, r->status, retried, *sample ? " ('" : "", sample, *sample ? "')" : "");
}
