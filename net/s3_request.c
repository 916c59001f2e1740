/* s3_request: one S3 request and its answer: retries on a 5xx or a dropped connection, and
 * the error message of a failed answer (the S3 code and message, the URL redacted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "net/redact.h"
#include "net/s3_internal.h"

#define RETRY_BASE_MS 100

/* The error for a non-2xx answer: the S3 code and message when the body is an <Error>. */
int s3_answer_error(const char *s3url, const char *httpurl, const struct http_response *r,
                    struct st_err *err)
{
    char shown[512];
    redact_url(httpurl, false, shown, sizeof shown);
    char code[128], msg[320];
    if (s3_parse_error(buf_str(&r->body), r->body.len, code, sizeof code, msg, sizeof msg) == 0) {
        enum st_errcode ec = strcmp(code, "NoSuchKey") == 0 ? ST_ENOENT : ST_EIO;
        return st_err_set(err, ec, "%s: %s (HTTP %ld from %s)%s%s", s3url, code, r->status, shown,
                          *msg ? ": " : "", msg);
    }
    if (r->status == 404)
        return st_err_set(err, ST_ENOENT, "%s: not found (HTTP 404 from %s)", s3url, shown);
    if (r->status == 403)
        return st_err_set(err, ST_EIO, "%s: AccessDenied (HTTP 403 from %s)", s3url, shown);
    char sample[81];
    sanitize_copy(sample, sizeof sample, buf_str(&r->body));
    return st_err_set(err, ST_EIO, "%s: HTTP %ld from %s, and the answer is not S3 XML%s%s%s",
                      s3url, r->status, shown, *sample ? " ('" : "", sample, *sample ? "')" : "");
}

/* Worth asking again: a 5xx (S3's SlowDown and InternalError among them) or a dropped
 * connection. Not a timeout: that would double the wait. */
bool s3_retryable(int rc, const struct st_err *err, const struct http_response *r)
{
    if (rc < 0)
        return err->code == ST_EIO;
    return r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504;
}

void s3_backoff(int attempt)
{
    if (stop_requested())
        return; /* the next request fails at once with "stopped" */
    struct timespec ts = {0, (long)RETRY_BASE_MS * 1000000L << (2 * attempt)};
    nanosleep(&ts, NULL);
    log_debug("s3: retrying after a server error (attempt %d)", attempt + 2);
}

int s3_call_init(struct s3_call *c, const char *url, struct st_err *err)
{
    memset(c, 0, sizeof *c);
    c->url = url;
    http_response_init(&c->resp);
    if (s3_split_url(url, &c->bucket, &c->key, err) < 0)
        return -1;
    if (s3_signer_init(&c->sig, url, err) < 0)
        return st_err_prefix(err, "%s", url);
    c->http_url = s3_request_url(c->sig.endpoint, c->sig.region, c->bucket, c->key, NULL, 0);
    return 0;
}

int s3_call_run(struct s3_call *c, const char *method, const char *range, size_t max_bytes,
                struct st_err *err)
{
    const char *headers[5];
    size_t h = 0;
    for (const char *const *p = c->sig.headers; *p; p++)
        headers[h++] = *p;
    char rangeh[80];
    if (range) {
        snprintf(rangeh, sizeof rangeh, "Range: %s", range);
        headers[h++] = rangeh;
    }
    headers[h] = NULL;
    struct http_request req;
    s3_signer_request(&c->sig, &req, c->http_url, headers);
    req.method = method;
    req.max_bytes = max_bytes;
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = http_perform(&req, &c->resp, err);
        if (attempt >= S3_MAX_RETRIES || !s3_retryable(rc, err, &c->resp))
            break;
        s3_backoff(attempt);
    }
    if (rc < 0)
        return st_err_prefix(err, "%s", c->url);
    return 0;
}

int s3_call_error(const struct s3_call *c, struct st_err *err)
{
    return s3_answer_error(c->url, c->http_url, &c->resp, err);
}

void s3_call_done(struct s3_call *c)
{
    http_response_done(&c->resp);
    s3_signer_done(&c->sig);
    free(c->http_url);
    free(c->bucket);
    free(c->key);
    memset(c, 0, sizeof *c);
}
