/* s3_sign: the process-wide S3 settings, the credentials of each profile resolved once, and
 * the signer that turns them into SigV4 request options (CURLOPT_AWS_SIGV4 through
 * net/http.h, with x-amz-content-sha256 and the session token as headers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "net/s3_internal.h"

/* SHA-256 of the empty body: every request streamtop sends is a GET or HEAD. */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct profile_slot {
    char *name; /* "" for the default chain */
    int rc;
    struct s3_creds creds;
    struct st_err err;
};

#define GCS_ENDPOINT "https://storage.googleapis.com"

static struct {
    char *endpoint, *region, *profile;
    char *gcs_endpoint, *gcs_id, *gcs_secret;
    int parallel;
    int64_t timeout_ms;
    const char *current; /* (borrowed) s3_use_profile */
    struct profile_slot *slots;
    size_t nslots;
} g;

static void forget_creds(void)
{
    for (size_t i = 0; i < g.nslots; i++) {
        free(g.slots[i].name);
        s3_creds_done(&g.slots[i].creds);
    }
    free(g.slots);
    g.slots = NULL;
    g.nslots = 0;
}

void s3_reset(void)
{
    forget_creds();
    free(g.endpoint);
    free(g.region);
    free(g.profile);
    free(g.gcs_endpoint);
    free(g.gcs_id);
    if (g.gcs_secret)
        memset(g.gcs_secret, 0, strlen(g.gcs_secret));
    free(g.gcs_secret);
    memset(&g, 0, sizeof g);
}

void s3_configure(const struct s3_settings *s)
{
    s3_reset();
    g.endpoint = s3_dup_nonempty(s->endpoint);
    if (g.endpoint) {
        size_t n = strlen(g.endpoint);
        while (n > 0 && g.endpoint[n - 1] == '/')
            g.endpoint[--n] = '\0';
    }
    g.region = s3_dup_nonempty(s->region);
    g.profile = s3_dup_nonempty(s->profile);
    g.parallel = s->parallel;
    g.timeout_ms = s->timeout_ms;
    g.gcs_endpoint = s3_dup_nonempty(s->gcs_endpoint);
    if (g.gcs_endpoint) {
        size_t n = strlen(g.gcs_endpoint);
        while (n > 0 && g.gcs_endpoint[n - 1] == '/')
            g.gcs_endpoint[--n] = '\0';
    }
    g.gcs_id = s3_dup_nonempty(s->gcs_access_id);
    g.gcs_secret = s3_dup_nonempty(s->gcs_secret);
}

void s3_use_profile(const char *profile)
{
    g.current = profile && *profile ? profile : NULL;
}
/* The credentials of the profile in use, resolved once per process. */
static const struct s3_creds *creds_now(struct st_err *err)
{
    const char *want = g.current ? g.current : g.profile;
    const char *key = want ? want : "";
    for (size_t i = 0; i < g.nslots; i++)
        if (strcmp(g.slots[i].name, key) == 0) {
            if (g.slots[i].rc < 0) {
                *err = g.slots[i].err;
                return NULL;
            }
            return &g.slots[i].creds;
        }
    g.slots = xrealloc(g.slots, (g.nslots + 1) * sizeof *g.slots);
    struct profile_slot *s = &g.slots[g.nslots++];
    memset(s, 0, sizeof *s);
    s->name = xstrdup(key);
    s->rc = s3_creds_resolve(want, &s->creds, &s->err);
    if (s->rc < 0) {
        *err = s->err;
        return NULL;
    }
    return &s->creds;
}

static const char *region_now(const struct s3_creds *c)
{
    if (g.region)
        return g.region;
    if (s3_env("AWS_REGION"))
        return s3_env("AWS_REGION");
    if (s3_env("AWS_DEFAULT_REGION"))
        return s3_env("AWS_DEFAULT_REGION");
    if (c && c->region)
        return c->region;
    return "us-east-1";
}

static const char *endpoint_now(void)
{
    if (g.endpoint)
        return g.endpoint;
    if (s3_env("AWS_ENDPOINT_URL_S3"))
        return s3_env("AWS_ENDPOINT_URL_S3");
    return s3_env("AWS_ENDPOINT_URL");
}
/* gs://: the HMAC keys of the settings or the environment, else a bearer token. */
static int gcs_signer_init(struct s3_signer *s, struct st_err *err)
{
    const char *id = g.gcs_id ? g.gcs_id : s3_env("GCS_HMAC_ACCESS_ID");
    const char *secret = g.gcs_secret ? g.gcs_secret : s3_env("GCS_HMAC_SECRET");
    const char *token = s3_env("GOOGLE_OAUTH_ACCESS_TOKEN");
    s->endpoint = g.gcs_endpoint                    ? g.gcs_endpoint
                  : s3_env("STORAGE_EMULATOR_HOST") ? s3_env("STORAGE_EMULATOR_HOST")
                                                    : GCS_ENDPOINT;
    s->region = "auto";
    size_t h = 0;
    s->headers[h++] = "x-amz-content-sha256: " EMPTY_SHA256;
    if (id && secret) {
        s->own.key = xstrdup(id);
        s->own.secret = xstrdup(secret);
        s->own.origin = xstrdup(g.gcs_id ? "[gcs]" : "environment");
        s->creds = &s->own;
        snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", s->region);
    } else if (token) {
        s->bearer = true;
        s->creds = &s->own;
        s->token_header = xasprintf("Authorization: Bearer %s", token);
        s->headers[h++] = s->token_header;
    } else {
        return st_err_set(err, ST_EFAIL,
                          "no Cloud Storage credentials: set GCS_HMAC_ACCESS_ID and "
                          "GCS_HMAC_SECRET (or [gcs] access_id and secret), or "
                          "GOOGLE_OAUTH_ACCESS_TOKEN");
    }
    s->headers[h] = NULL;
    return 0;
}

int s3_signer_init(struct s3_signer *s, const char *url, struct st_err *err)
{
    memset(s, 0, sizeof *s);
    if (strncmp(url, "gs://", 5) == 0)
        return gcs_signer_init(s, err);
    s->creds = creds_now(err);
    if (!s->creds)
        return -1;
    s->region = region_now(s->creds);
    s->endpoint = endpoint_now();
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", s->region);
    size_t h = 0;
    s->headers[h++] = "x-amz-content-sha256: " EMPTY_SHA256;
    if (s->creds->token) {
        s->token_header = xasprintf("x-amz-security-token: %s", s->creds->token);
        s->headers[h++] = s->token_header;
    }
    s->headers[h] = NULL;
    return 0;
}

void s3_signer_done(struct s3_signer *s)
{
    if (s->token_header)
        memset(s->token_header, 0, strlen(s->token_header));
    free(s->token_header);
    s3_creds_done(&s->own);
}

void s3_signer_request(const struct s3_signer *s, struct http_request *req, const char *url,
                       const char *const *headers)
{
    memset(req, 0, sizeof *req);
    req->url = url;
    req->headers = headers ? headers : s->headers;
    req->timeout_ms = g.timeout_ms;
    if (s->bearer)
        return;
    req->aws_sigv4 = s->sigv4;
    req->user = s->creds->key;
    req->password = s->creds->secret;
}

int s3_parallel(void)
{
    return g.parallel;
}
