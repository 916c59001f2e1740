/* azure_internal: what the files of net/azure_*.c share and nothing else includes: the
 * settings and credentials in use, and one signed request. The public API is net/azure.h. */
#ifndef STREAMTOP_AZURE_INTERNAL_H
#define STREAMTOP_AZURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "net/azure.h"
#include "net/http.h"

/* A 5xx or a dropped connection is asked again this many times, after 100 ms, then 400 ms. */
#define AZ_MAX_RETRIES 2
/* The REST API version sent (x-ms-version): one every service and Azurite accept. */
#define AZ_API_VERSION "2021-08-06"

/* ---- azure_auth.c ---------------------------------------------------------------------- */

enum az_cred_kind { AZ_SAS, AZ_SHARED_KEY, AZ_BEARER };
/* The credential of the following requests: a copy, wiped by az_cred_done. */
struct az_cred {
    enum az_cred_kind kind;
    char *secret; /* (owned) the SAS token (no '?'), the base64 key, or the access token */
};
/* The credential in use (a token fetched, or taken from the cache while it is valid). 0, or
 * -1 with err saying where it looked (no path prefix). */
int az_cred_get(struct az_cred *c, struct st_err *err);
void az_cred_done(struct az_cred *c);
/* The settings' endpoint (no trailing '/'), or NULL. */
const char *az_endpoint(void);
int az_parallel(void);
int az_page_size(void);
int64_t az_timeout_ms(void);

/* ---- azure_request.c ------------------------------------------------------------------- */

/* One signed request, ready for http_perform or http_batch_add. */
struct az_req {
    char *http_url;          /* (owned) */
    char *hdr[6];            /* (owned) header lines */
    const char *headers[7];  /* NULL-terminated, pointing into hdr */
    struct http_request req; /* url and headers point into this struct */
};
/* Build and sign method on p (the container alone unless with_blob) with params and an
 * optional range ("bytes=A-B"). 0, or -1 with err (no prefix). az_req_done either way. */
int az_req_init(struct az_req *r, const struct az_cred *c, const char *method,
                const struct azure_path *p, bool with_blob, struct azure_param *params,
                size_t nparams, const char *range, struct st_err *err);
void az_req_done(struct az_req *r);
/* The error of a non-2xx answer r to a request on url (the az URL): the service's code (the
 * x-ms-error-code header, else the <Error> body), the HTTP status and the message's first
 * line; BlobNotFound and a 404 without a code give ST_ENOENT. Returns -1. */
int az_answer_error(const char *url, const struct http_response *r, struct st_err *err);
/* Whether a request that ended so is worth asking again (a 5xx or a dropped connection). */
bool az_retryable(int rc, const struct st_err *err, const struct http_response *r);
/* Wait before asking again after attempt (0-based) failed; returns at once on a stop. */
void az_backoff(int attempt);
/* Send one request on url (its az URL, for messages) with retries: 0 when an answer arrived
 * (in resp, any status), -1 with err naming url. */
int az_perform(const char *url, const char *method, const struct azure_path *p, bool with_blob,
               struct azure_param *params, size_t nparams, const char *range, size_t max_bytes,
               struct http_response *resp, struct st_err *err);

#endif
