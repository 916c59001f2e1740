/* s3: the S3 REST calls streamtop needs (ListObjectsV2, GET with Range, HEAD), on top of
 * net/http.c. Requests are signed with SigV4 (libcurl's CURLOPT_AWS_SIGV4), with
 * x-amz-content-sha256 sent and canonical URLs (query sorted by name, every value escaped).
 * Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN or from
 * ~/.aws/credentials (profile from the config, else $AWS_PROFILE, else "default"); they never
 * appear in messages. Errors name the s3:// URL and the S3 error code. gs:// paths go through
 * the same calls to Cloud Storage's XML API (its endpoint, HMAC keys or a bearer token). */
#ifndef STREAMTOP_S3_H
#define STREAMTOP_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct s3_settings {
    const char *endpoint; /* "http://127.0.0.1:9000" (path-style), or NULL for AWS */
    const char *region;   /* NULL: $AWS_REGION, $AWS_DEFAULT_REGION, the profile's, us-east-1 */
    const char *profile;  /* NULL: the environment's keys, else $AWS_PROFILE or "default" */
    int parallel;         /* requests one listing may run at once (1..64); 0 = 8 */
    int64_t timeout_ms;   /* per request; 0 = 10 s */
    /* gs:// paths: Cloud Storage's XML API speaks ListObjectsV2 and takes SigV4 signatures
     * made with its HMAC keys */
    const char *gcs_endpoint;  /* NULL: $STORAGE_EMULATOR_HOST, else storage.googleapis.com */
    const char *gcs_access_id; /* NULL: $GCS_HMAC_ACCESS_ID */
    const char *gcs_secret;    /* NULL: $GCS_HMAC_SECRET; without both, a bearer token from
                                  $GOOGLE_OAUTH_ACCESS_TOKEN */
};

/* Set the process-wide settings (copied); forgets resolved credentials. */
void s3_configure(const struct s3_settings *s);
/* The profile the following calls use (a stream's `s3_profile`); NULL for the settings'. */
void s3_use_profile(const char *profile);
/* Forget settings and resolved credentials (tests, exit). */
void s3_reset(void);

/* One listed entry. */
struct s3_object {
    const char *name; /* (borrowed) relative to the listed prefix, no trailing '/' */
    int64_t size;     /* bytes; -1 for a common prefix */
    int64_t mtime_ms; /* LastModified; -1 for a common prefix */
    bool is_prefix;   /* a "directory" of a delimited listing */
};
/* Return 0 to go on, non-zero to stop the listing. */
typedef int (*s3_visit_fn)(const struct s3_object *o, void *ctx);

/* List s3://bucket/prefix as a directory: recursive (every object below, names "a/b/c") or
 * delimited (objects and common prefixes one level down). Large recursive listings fan out
 * over the prefix's subdirectories, several requests at once. Entries come in no particular
 * order. S3 has no empty directories: a prefix with nothing below lists as empty (0). More
 * than max_entries fails with ST_ETOOBIG. */
int s3_list(const char *url, bool recursive, size_t max_entries, s3_visit_fn fn, void *ctx,
            struct st_err *err);
/* A recursive listing of s3://bucket/prefix of the keys that sort after prefix + after (S3's
 * start-after; "" lists everything), in key order, as one chain of pages (no fan-out): the
 * cheap listing of what is new in a prefix whose keys sort by time. Names as s3_list's. */
int s3_list_after(const char *url, const char *after, size_t max_entries, s3_visit_fn fn, void *ctx,
                  struct st_err *err);
/* Size and mtime of an object; a key that is a "directory" (has objects below it) gives
 * *is_dir true. ST_ENOENT when neither. */
int s3_stat(const char *url, int64_t *size, int64_t *mtime_ms, bool *is_dir, struct st_err *err);
/* At most len bytes from offset (a Range request) into out (replaced). Reading at or past the
 * end gives an empty buffer. size and mtime_ms (either may be NULL) get the object's. */
int s3_get(const char *url, int64_t offset, size_t len, struct buf *out, int64_t *size,
           int64_t *mtime_ms, struct st_err *err);

/* ---- pieces, exposed for the unit tests ------------------------------------------------ */

/* "s3://bucket/a/b" (or "gs://bucket/a/b") -> bucket "bucket", key "a/b". Heap strings. 0 or
 * -1 with err. */
int s3_split_url(const char *url, char **bucket, char **key, struct st_err *err);
/* Append s URI-encoded the SigV4 way (unreserved A-Z a-z 0-9 - _ . ~ kept; '/' kept when
 * keep_slash; everything else %XX upper-case). */
void s3_uri_encode(struct buf *out, const char *s, bool keep_slash);
struct s3_param {
    const char *name, *value;
};
/* The request URL for bucket/key with the query params sorted by name and encoded. endpoint
 * NULL means AWS (virtual-hosted style when the bucket name allows it). Caller frees. */
char *s3_request_url(const char *endpoint, const char *region, const char *bucket, const char *key,
                     struct s3_param *params, size_t nparams);

/* One parsed page of a ListObjectsV2 answer. Names are full keys (decoded XML text). */
struct s3_page_fns {
    void (*object)(void *ctx, const char *key, int64_t size, int64_t mtime_ms);
    void (*prefix)(void *ctx, const char *prefix);
};
/* Parse a ListBucketResult. *truncated and *next_token (heap, or NULL) say whether and how
 * to go on. -1 with err when the text is not a ListBucketResult; *next_token is NULL then. */
int s3_parse_list(const char *xml, size_t len, const struct s3_page_fns *fns, void *ctx,
                  bool *truncated, char **next_token, struct st_err *err);
/* The Code and Message of an S3 <Error> document, control characters made harmless. -1 when
 * the text is not one. */
int s3_parse_error(const char *xml, size_t len, char *code, size_t codelen, char *msg,
                   size_t msglen);

struct s3_creds {
    char *key, *secret, *token; /* (owned) token may be NULL */
    char *region;               /* (owned) from the profile's config, or NULL */
    char *origin;               /* (owned) "environment" or "profile 'x' (FILE)" */
};
/* The keys of one profile section of an AWS credentials or config file. Each (owned) or NULL;
 * free each with free(). */
struct s3_aws_section {
    char *key, *secret, *token, *region;
};
/* Parse the text of an AWS credentials or config file ("[name]" or "[profile name]" sections,
 * "key = value" lines, '#'/';' comments), NUL-terminated and cut up in place, keeping the keys
 * of section `want` in out (a later value replaces an earlier one). 1 when the section was
 * found, 0 when not. Pure: no I/O. */
int s3_aws_parse(char *text, const char *want, struct s3_aws_section *out);

/* Resolve credentials for profile (NULL: environment keys, else $AWS_PROFILE or "default").
 * 0, or -1 with err saying where it looked. */
int s3_creds_resolve(const char *profile, struct s3_creds *out, struct st_err *err);
void s3_creds_done(struct s3_creds *c);

#endif
