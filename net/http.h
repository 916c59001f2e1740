/* http: the only libcurl user. Blocking requests with a total timeout, a connect timeout, a cap
 * on the response size, TLS verification on, and http/https only. */
#ifndef STREAMTOP_HTTP_H
#define STREAMTOP_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct http_request {
    const char *method; /* "GET" (default when NULL), "POST", "HEAD", ... */
    const char *url;
    const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL */
    const char *body;           /* request body, or NULL */
    size_t body_len;
    int64_t timeout_ms;  /* whole request; default 10 s */
    size_t max_bytes;    /* response body cap; default 8 MiB */
    const char *ca_file; /* extra CA bundle, or NULL */
};

struct http_response {
    long status;     /* HTTP status, 0 when no response */
    struct buf body; /* (owned by the caller: buf_done) */
};

/* Call once before threads start (curl_global_init); idempotent. */
void http_global_init(void);
/* Perform the request. Returns 0 when a response arrived (whatever its status), -1 with err
 * naming the URL (without credentials) on a transport error, timeout, or oversized body. */
int http_perform(const struct http_request *req, struct http_response *resp, struct st_err *err);
/* Copy url into out without any user:password@ part, for messages. */
void http_redact_url(const char *url, char *out, size_t outlen);

#endif
