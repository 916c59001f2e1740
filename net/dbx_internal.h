/* dbx_internal: what the files of net/dbx_*.c share and nothing else includes: the settings and
 * credentials in use, request URLs, one request with its retries, and the error answer. The
 * public API is net/dbx.h. */
#ifndef STREAMTOP_DBX_INTERNAL_H
#define STREAMTOP_DBX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "net/dbx.h"
#include "net/http.h"

/* What every request needs: the workspace and the Authorization header of the profile in use. */
struct dbx_ctx {
    char *host;        /* (owned) "https://host[:port]", no trailing '/' */
    char *auth_header; /* (owned) "Authorization: Bearer ..." (never shown) */
    const char *headers[2];
    int64_t timeout_ms;
};

/* ---- dbx_auth.c ------------------------------------------------------------------------ */

/* Resolve the credentials of the profile in use (an OAuth token is fetched, or taken from the
 * cache while it is fresh). 0, or -1 with err saying where it looked (no secret in it). */
int dbx_ctx_init(struct dbx_ctx *c, struct st_err *err);
void dbx_ctx_done(struct dbx_ctx *c);
/* Requests one listing may run at once. */
int dbx_parallel(void);

/* ---- dbx_request.c --------------------------------------------------------------------- */

/* host + api + path (each byte outside A-Z a-z 0-9 - _ . ~ / percent-encoded) + query (already
 * "?a=b&..." or ""). Caller frees. */
char *dbx_url(const struct dbx_ctx *c, const char *api, const char *path, const char *query);
/* Append "&name=value" (or "?name=value" when q is empty) with value percent-encoded. */
void dbx_query_add(struct buf *q, const char *name, const char *value);
/* A request for url (borrowed) with the context's headers (plus extra, NULL-terminated, or
 * NULL), GET, the given body cap; timeout_ms is the time left. */
void dbx_request_init(const struct dbx_ctx *c, struct http_request *req, const char *url,
                      const char *const *headers, size_t max_bytes, int64_t timeout_ms);
/* Whether a request that ended so is worth asking again: 429, 500, 502, 503, 504 or a
 * dropped connection. */
bool dbx_retryable(int rc, const struct st_err *err, const struct http_response *r);
/* Wait before attempt+1 (Retry-After when the answer gave one, else 100 ms x 4^attempt), if
 * the wait ends before deadline_mono_ms. true when it waited, false when there is no time left
 * (or a stop was requested). */
bool dbx_backoff(const struct http_response *r, int attempt, int64_t deadline_mono_ms);
/* Perform one request (method GET or HEAD, optional Range value "bytes=a-b"), asked again
 * while dbx_retryable and the context's timeout allows. 0 with resp filled (any status), or
 * -1 with err naming what (a path). */
int dbx_call(const struct dbx_ctx *c, const char *what, const char *method, const char *url,
             const char *range, size_t max_bytes, struct http_response *resp, struct st_err *err);
/* The error of a non-2xx answer r about what: "what: ERROR_CODE (HTTP 403): message"; 404
 * gives ST_ENOENT "what: not found"; a 429 or 5xx says it was retried. Returns -1. */
int dbx_answer_error(const char *what, const struct http_response *r, struct st_err *err);

#endif
