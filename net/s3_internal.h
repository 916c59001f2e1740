/* s3_internal: what the files of net/s3_*.c share and nothing else includes: the settings in
 * use, the signer, one request with its retries and error answer, and the XML element finder.
 * The public API is net/s3.h. */
#ifndef STREAMTOP_S3_INTERNAL_H
#define STREAMTOP_S3_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "net/http.h"
#include "net/s3.h"

/* A 5xx or a dropped connection is asked again this many times, after 100 ms, then 400 ms. */
#define S3_MAX_RETRIES 2

/* ---- s3_cred.c ------------------------------------------------------------------------- */

/* The environment variable name when set and not empty, else NULL. */
const char *s3_env(const char *name);
/* A heap copy of s, or NULL when s is NULL or empty. */
char *s3_dup_nonempty(const char *s);

/* ---- s3_sign.c ------------------------------------------------------------------------- */

/* What every request needs besides its URL: the credentials of the profile in use, the
 * endpoint and region, and the signing headers. */
struct s3_signer {
    char sigv4[160];
    const struct s3_creds *creds; /* (borrowed) resolved once per process and profile */
    const char *endpoint;         /* (borrowed) NULL for AWS */
    const char *region;           /* (borrowed) */
    char *token_header;           /* (owned) */
    const char *headers[4];       /* NULL-terminated; x-amz-content-sha256 first */
    struct s3_creds own;          /* gs:// HMAC keys (creds points here), or zeroed */
    bool bearer;                  /* gs:// with a bearer token (token_header), no SigV4 */
};

/* Fill s from the settings and the profile in use, for url's service (s3:// or gs://). 0, or
 * -1 with err (no prefix) when the credentials cannot be resolved. */
int s3_signer_init(struct s3_signer *s, const char *url, struct st_err *err);
void s3_signer_done(struct s3_signer *s);
/* A signed request for url (borrowed) with headers (NULL: the signer's), the settings'
 * timeout, method GET and the default size cap. */
void s3_signer_request(const struct s3_signer *s, struct http_request *req, const char *url,
                       const char *const *headers);
/* Requests one listing may run at once (the settings', 0 when unset). */
int s3_parallel(void);

/* ---- s3_request.c ---------------------------------------------------------------------- */

/* The error for a non-2xx answer r from httpurl (shown redacted): the S3 code and message
 * when the body is an <Error>; NoSuchKey and 404 give ST_ENOENT. Returns -1. */
int s3_answer_error(const char *s3url, const char *httpurl, const struct http_response *r,
                    struct st_err *err);
/* Whether a request that ended so is worth asking again (a 5xx or a dropped connection). */
bool s3_retryable(int rc, const struct st_err *err, const struct http_response *r);
/* Wait before asking again after attempt (0-based) failed; returns at once on a stop. */
void s3_backoff(int attempt);
/* One request on an object: its s3:// URL split, signed with the settings in use, asked
 * again on a retryable failure. */
struct s3_call {
    const char *url;           /* (borrowed) the s3:// URL, for messages */
    char *bucket, *key;        /* (owned) */
    char *http_url;            /* (owned) the request URL */
    struct s3_signer sig;      /* (owned) */
    struct http_response resp; /* (owned) the answer, after s3_call_run */
};
/* Split url and sign for it. 0, or -1 with err naming url; call s3_call_done either way. */
int s3_call_init(struct s3_call *c, const char *url, struct st_err *err);
/* Send method with an optional Range value ("bytes=A-B") and a body cap of max_bytes. 0 when
 * an answer arrived (any status, in c->resp), -1 with err naming the s3:// URL. */
int s3_call_run(struct s3_call *c, const char *method, const char *range, size_t max_bytes,
                struct st_err *err);
/* The error of c's non-2xx answer (s3_answer_error). Returns -1. */
int s3_call_error(const struct s3_call *c, struct st_err *err);
void s3_call_done(struct s3_call *c);

#endif
