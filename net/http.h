/* http: the only libcurl user. Requests with a total timeout, a connect timeout, a cap on the
 * response size, TLS verification on, and http/https only. One request at a time
 * (http_perform) or many at once, bounded, on one thread (http_batch); both run over curl multi
 * and look at the stop flag (core/stop.h) at least every 100 ms, so a requested stop ends any
 * transfer at once with ST_ESTOPPED "stopped". SigV4 signing is libcurl's (CURLOPT_AWS_SIGV4);
 * credentials never appear in messages: URLs are shown through net/redact.h. */
#ifndef STREAMTOP_HTTP_H
#define STREAMTOP_HTTP_H

#include <stdbool.h>
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
    int64_t timeout_ms;        /* whole request; default 10 s */
    size_t max_bytes;          /* response body cap; default 8 MiB */
    const char *ca_file;       /* extra CA bundle, or NULL */
    const char *aws_sigv4;     /* "aws:amz:REGION:SERVICE" to sign the request, or NULL */
    const char *user;          /* access key id for signing, else a basic-auth user, or NULL */
    const char *password;      /* its secret (never shown), or NULL */
    bool show_path;            /* messages may show the URL's path (else scheme, host, port only) */
    bool gzip;                 /* ask for a gzipped answer (decoded on arrival; max_bytes caps
                                  what it decodes to) */
    int same_origin_redirects; /* redirects followed when they stay on the URL's scheme, host
                                  and port (a servlet's "/path" -> "/path/"); 0: none */
};

struct http_response {
    long status;         /* HTTP status, 0 when no response */
    struct buf body;     /* (owned by the caller: buf_done) */
    struct buf headers;  /* (owned) the final response's header lines, capped at 32 KiB */
    int64_t filetime_ms; /* Last-Modified, or -1 */
};

void http_response_init(struct http_response *r);
void http_response_done(struct http_response *r);
/* The value of header name (case-insensitive) of the response, trimmed, into out. 0 when
 * present, -1 when not. */
int http_header(const struct http_response *r, const char *name, char *out, size_t outlen);

/* Call once before threads start (curl_global_init); idempotent. */
void http_global_init(void);
/* Perform the request. Returns 0 when a response arrived (whatever its status), -1 with err
 * naming the URL (redacted) on a transport error, timeout, oversized body, a URL that does not
 * parse (never requested: see redact_url), or a requested stop (ST_ESTOPPED, also before
 * starting). */
int http_perform(const struct http_request *req, struct http_response *resp, struct st_err *err);

/* The URL a redirect from url to location (absolute or relative) leads to, when it keeps
 * url's scheme, host and port: url's user name and password with location's path and query
 * (a new string, free it), or NULL for any other place or an unparsable location. */
char *http_same_origin(const char *url, const char *location);

/* ---- many requests at once ------------------------------------------------------------- */

struct http_batch;
/* Called when a request of the batch finished: rc 0 with resp filled (any status), or -1 with
 * err. resp is the batch's; it is reset after the call. The callback may add requests. */
typedef void (*http_done_fn)(void *ctx, int rc, struct http_response *resp, struct st_err *err);

/* A batch running at most parallel requests at once (1..64). */
struct http_batch *http_batch_new(int parallel);
/* Queue a request (its strings are copied). It starts when a slot is free. */
void http_batch_add(struct http_batch *b, const struct http_request *req, http_done_fn done,
                    void *ctx);
/* Run until every queued request (including ones added by callbacks) has finished, or until
 * http_batch_stop. When a stop is requested (core/stop.h), every request not finished yet gets
 * its callback with -1 and ST_ESTOPPED "stopped" (until a callback calls http_batch_stop). */
void http_batch_run(struct http_batch *b);
/* From a callback: abandon the rest (queued requests are dropped, running ones aborted; their
 * callbacks are not called). */
void http_batch_stop(struct http_batch *b);
void http_batch_free(struct http_batch *b);

#endif
