/* azure: the Azure Blob REST calls streamtop needs (List Blobs, Get Blob with a Range, Get Blob
 * Properties), for ADLS Gen2 (abfss://container@account.dfs.core.windows.net/path, abfs://)
 * and Blob storage (wasbs://container@account.blob.core.windows.net/path, wasb://) paths,
 * both read through the Blob endpoint of the account. Credentials in the order the Azure SDKs
 * try them: an account SAS token, the account's shared key (HMAC-SHA256 signed requests), a
 * service principal (OAuth2 client credentials) and the managed identity of the machine (the
 * instance metadata endpoint); tokens are kept until they expire. No secret appears in a
 * message. Errors name the path, the service's error code and the HTTP status. */
#ifndef STREAMTOP_AZURE_H
#define STREAMTOP_AZURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct azure_settings {
    const char *endpoint;          /* the account's blob service URL, path-style ("http://127.0.0.1:
                                      10000/devstoreaccount1"); NULL: https://ACCOUNT.blob.SUFFIX */
    const char *sas_token;         /* NULL: $AZURE_STORAGE_SAS_TOKEN */
    const char *account_key;       /* NULL: $AZURE_STORAGE_KEY */
    const char *authority_host;    /* NULL: $AZURE_AUTHORITY_HOST, else Microsoft Entra ID's */
    const char *identity_endpoint; /* NULL: the instance metadata service's token URL */
    int parallel;                  /* requests one listing may run at once (1..64); 0 = 8 */
    int page_size;                 /* maxresults of one List Blobs page; 0 = the service's */
    int64_t timeout_ms;            /* per request; 0 = 10 s */
};

/* Set the process-wide settings (copied); forgets credentials and tokens. */
void azure_configure(const struct azure_settings *s);
/* Forget settings, credentials and tokens (tests, exit). */
void azure_reset(void);
/* The credentials of the following calls on this thread (a stream's own; borrowed until the
 * next call): a SAS token, else an account key, used before anything else; NULL, NULL for the
 * settings' chain. */
void azure_use_credentials(const char *sas_token, const char *account_key);

/* One listed entry. */
struct azure_blob {
    const char *name; /* (borrowed) relative to the listed prefix, no trailing '/' */
    int64_t size;     /* bytes; -1 for a prefix */
    int64_t mtime_ms; /* Last-Modified; -1 for a prefix */
    bool is_prefix;   /* a "directory" of a delimited listing */
};
/* Return 0 to go on, non-zero to stop the listing. */
typedef int (*azure_visit_fn)(const struct azure_blob *b, void *ctx);

/* Whether path is an Azure URL (abfss://, abfs://, wasbs://, wasb://). */
bool azure_handles(const char *path);
/* List a path as a directory: recursive (every blob below, names "a/b/c") or delimited (blobs
 * and prefixes one level down). A recursive listing whose first page is full fans out over the
 * subdirectories of its prefix, several requests at once; every chain of pages runs through
 * the paging guard. A prefix with nothing below lists as empty; a missing container fails.
 * ADLS folder markers (hdi_isfolder) are not reported. More than max_entries fails with
 * ST_ETOOBIG. */
int azure_list(const char *url, bool recursive, size_t max_entries, azure_visit_fn fn, void *ctx,
               struct st_err *err);
/* Size and mtime of a blob; a path with blobs below it gives *is_dir true. ST_ENOENT when
 * neither. */
int azure_stat(const char *url, int64_t *size, int64_t *mtime_ms, bool *is_dir, struct st_err *err);
/* At most len bytes from offset (a Range request) into out (replaced). At or past the end gives
 * an empty buffer. size and mtime_ms (either may be NULL) get the blob's. */
int azure_get(const char *url, int64_t offset, size_t len, struct buf *out, int64_t *size,
              int64_t *mtime_ms, struct st_err *err);

/* ---- pieces, exposed for the unit tests and the fuzz harness --------------------------- */

/* The parts of an Azure URL. Each (owned) heap string. */
struct azure_path {
    char *account;   /* "lake" */
    char *container; /* "raw" */
    char *blob;      /* "a/b" (no leading '/'), "" for the container */
    char *host;      /* the blob service host: "lake.blob.core.windows.net" */
};
/* Split url. 0, or -1 with err naming url. */
int azure_split_url(const char *url, struct azure_path *out, struct st_err *err);
void azure_path_done(struct azure_path *p);

struct azure_param {
    const char *name, *value; /* name lower-case */
};
/* The request URL: base (endpoint, or "https://HOST") + "/container[/blob]" encoded, then the
 * params sorted by name and encoded, then the SAS token (when non-NULL). Caller frees. */
char *azure_request_url(const char *base, const struct azure_path *p, bool with_blob,
                        struct azure_param *params, size_t nparams, const char *sas);
/* The Shared Key string to sign of a GET or HEAD without body: the method, eleven empty
 * standard headers but Range (range, or ""), the x-ms- headers (name:value lines, already
 * lower-case and sorted), and the canonical resource "/ACCOUNT" + url_path + the params
 * ("\nname:value", sorted, values not encoded). Caller frees. */
char *azure_string_to_sign(const char *method, const char *range, const char *const *xms,
                           const char *account, const char *url_path,
                           const struct azure_param *params, size_t nparams);
/* "SharedKey ACCOUNT:" + base64(HMAC-SHA256(base64-decoded key, text)). -1 with err when the
 * key is not base64 (the key is never shown). Caller frees *out. */
int azure_shared_key_auth(const char *account, const char *key_b64, const char *text, char **out,
                          struct st_err *err);

/* One parsed page of a List Blobs answer. Names are full blob names (decoded XML text). */
struct azure_page_fns {
    void (*blob)(void *ctx, const char *name, int64_t size, int64_t mtime_ms, bool is_folder);
    void (*prefix)(void *ctx, const char *name);
};
/* Parse an EnumerationResults page; *next_marker (heap, or NULL when the listing is complete)
 * says how to go on. -1 with err when the text is not one (*next_marker is NULL then). */
int azure_parse_list(const char *xml, size_t len, const struct azure_page_fns *fns, void *ctx,
                     char **next_marker, struct st_err *err);
/* The Code and the first line of the Message of an Azure <Error> document, control characters
 * made harmless. -1 when the text is not one. */
int azure_parse_error(const char *xml, size_t len, char *code, size_t codelen, char *msg,
                      size_t msglen);
/* An RFC 1123 date ("Wed, 02 Dec 2026 03:44:21 GMT") as ms since the epoch. 0 or -1. */
int azure_parse_http_date(const char *s, size_t n, int64_t *out);
/* The access token and its lifetime (seconds; expires_in as a number or a string) of an OAuth2
 * token answer (JSON). Heap string in *token. 0, or -1 with err (the body is never shown). */
int azure_parse_token(const char *json, size_t len, char **token, int64_t *expires_in_s,
                      struct st_err *err);

#endif
