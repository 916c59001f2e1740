/* azure_request: one signed Blob request (Shared Key, SAS or bearer token), retries on a 5xx
 * or a dropped connection, and the error message of a failed answer (the service's code and
 * the HTTP status, the URL redacted). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "net/azure_internal.h"
#include "net/redact.h"

#define RETRY_BASE_MS 100

/* The path of an http(s) URL, without its query: "/account/container/blob". */
static char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    if (!p)
        return xstrdup("/");
    size_t n = strcspn(p, "?#");
    return xstrndup(p, n);
}

void az_req_done(struct az_req *r)
{
    free(r->http_url);
    for (size_t i = 0; i < sizeof r->hdr / sizeof r->hdr[0]; i++) {
        if (r->hdr[i])
            memset(r->hdr[i], 0, strlen(r->hdr[i]));
        free(r->hdr[i]);
    }
    memset(r, 0, sizeof *r);
}

int az_req_init(struct az_req *r, const struct az_cred *c, const char *method,
                const struct azure_path *p, bool with_blob, struct azure_param *params,
                size_t nparams, const char *range, struct st_err *err)
{
    memset(r, 0, sizeof *r);
    char *base = az_endpoint() ? xstrdup(az_endpoint()) : xasprintf("https://%s", p->host);
    r->http_url = azure_request_url(base, p, with_blob, params, nparams,
                                    c->kind == AZ_SAS ? c->secret : NULL);
    free(base);
    char date[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    /* the x-ms- headers, lower-case and sorted: they are signed as they are sent */
    size_t h = 0;
    r->hdr[h++] = xasprintf("x-ms-date:%s", date);
    if (range)
        r->hdr[h++] = xasprintf("x-ms-range:%s", range);
    r->hdr[h++] = xstrdup("x-ms-version:" AZ_API_VERSION);
    if (c->kind == AZ_SHARED_KEY) {
        const char *xms[4] = {r->hdr[0], r->hdr[1], range ? r->hdr[2] : NULL, NULL};
        char *path = url_path(r->http_url);
        char *text = azure_string_to_sign(method, NULL, xms, p->account, path, params, nparams);
        free(path);
        char *auth = NULL;
        int rc = azure_shared_key_auth(p->account, c->secret, text, &auth, err);
        free(text);
        if (rc < 0)
            return -1;
        r->hdr[h++] = xasprintf("Authorization: %s", auth);
        free(auth);
    } else if (c->kind == AZ_BEARER) {
        r->hdr[h++] = xasprintf("Authorization: Bearer %s", c->secret);
    }
    for (size_t i = 0; i < h; i++)
        r->headers[i] = r->hdr[i];
    r->headers[h] = NULL;
    r->req.method = method;
    r->req.url = r->http_url;
    r->req.headers = r->headers;
    r->req.timeout_ms = az_timeout_ms();
    return 0;
}

int az_answer_error(const char *url, const struct http_response *r, struct st_err *err)
{
    char code[128] = "", msg[320] = "", hcode[128];
    bool xml =
        azure_parse_error(buf_str(&r->body), r->body.len, code, sizeof code, msg, sizeof msg) == 0;
    if (http_header(r, "x-ms-error-code", hcode, sizeof hcode) == 0 && *hcode) {
        sanitize_copy(code, sizeof code, hcode);
        xml = true;
    }
    if (xml) {
        enum st_errcode ec = strcmp(code, "BlobNotFound") == 0 ? ST_ENOENT : ST_EIO;
        return st_err_set(err, ec, "%s: %s (HTTP %ld)%s%s", url, code, r->status, *msg ? ": " : "",
                          msg);
    }
    if (r->status == 404)
        return st_err_set(err, ST_ENOENT, "%s: not found (HTTP 404)", url);
    char sample[81];
    sanitize_copy(sample, sizeof sample, buf_str(&r->body));
    return st_err_set(err, ST_EIO, "%s: HTTP %ld, and the answer is not an Azure error%s%s%s", url,
                      r->status, *sample ? " ('" : "", sample, *sample ? "')" : "");
}

bool az_retryable(int rc, const struct st_err *err, const struct http_response *r)
{
    if (rc < 0)
        return err->code == ST_EIO;
    return r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504;
}

void az_backoff(int attempt)
{
    if (stop_requested())
        return;
    struct timespec ts = {0, (long)RETRY_BASE_MS * 1000000L << (2 * attempt)};
    nanosleep(&ts, NULL);
    log_debug("azure: retrying after a server error (attempt %d)", attempt + 2);
}

int az_perform(const char *url, const char *method, const struct azure_path *p, bool with_blob,
               struct azure_param *params, size_t nparams, const char *range, size_t max_bytes,
               struct http_response *resp, struct st_err *err)
{
    struct az_cred c;
    if (az_cred_get(&c, err) < 0)
        return st_err_prefix(err, "%s", url);
    int rc = 0;
    for (int attempt = 0;; attempt++) {
        /* signed again each time: x-ms-date must be fresh */
        struct az_req r;
        rc = az_req_init(&r, &c, method, p, with_blob, params, nparams, range, err);
        if (rc == 0) {
            r.req.max_bytes = max_bytes;
            rc = http_perform(&r.req, resp, err);
        }
        az_req_done(&r);
        if (attempt >= AZ_MAX_RETRIES || !az_retryable(rc, err, resp))
            break;
        az_backoff(attempt);
    }
    az_cred_done(&c);
    if (rc < 0)
        return st_err_prefix(err, "%s", url);
    return 0;
}
