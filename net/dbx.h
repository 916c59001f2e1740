/* dbx: the Databricks workspace REST calls streamtop needs, on top of net/http.c: the Files API
 * for Unity Catalog volumes (/Volumes/...: directory listings with page tokens, downloads with
 * Range, HEAD for size and mtime), the DBFS API for other DBFS paths (/dbfs/x is DBFS's /x:
 * list, get-status, read in 1 MB base64 pieces), and the Jobs API 2.1 (runs of a job, its
 * schedule). Auth as the Databricks CLI and SDKs do: a personal access token, or OAuth M2M
 * (client id and secret exchanged at the workspace's /oidc/v1/token, cached until expiry), from
 * DATABRICKS_HOST / DATABRICKS_TOKEN / DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET or a
 * profile of ~/.databrickscfg ($DATABRICKS_CONFIG_FILE). Tokens and secrets never appear in
 * messages. A 429 or a 5xx is asked again after a backoff (Retry-After honoured) while the
 * request timeout allows. Errors name the path and the API's error_code. */
#ifndef STREAMTOP_DBX_H
#define STREAMTOP_DBX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct dbx_settings {
    const char *host;    /* [databricks] host ("https://adb-1.2.azuredatabricks.net"), or NULL */
    const char *profile; /* [databricks] profile of ~/.databrickscfg, or NULL */
    int parallel;        /* requests one listing may run at once (1..64); 0 = 8 */
    int64_t timeout_ms;  /* per request, retries included; 0 = 10 s */
};

/* Set the process-wide settings (copied); forgets resolved credentials and tokens. */
void dbx_configure(const struct dbx_settings *s);
/* The profile the following calls on this thread use (a stream's `databricks_profile`); NULL
 * for the settings'. */
void dbx_use_profile(const char *profile);
/* Forget settings, credentials and tokens (tests, exit). */
void dbx_reset(void);
/* Whether a workspace is configured for the calls on this thread: [databricks] host or profile
 * set, $DATABRICKS_HOST or $DATABRICKS_CONFIG_PROFILE set, or a stream profile in use. No I/O. */
bool dbx_workspace(void);

/* Which API serves a path: /Volumes/... the Files API, /dbfs/... the DBFS API. */
enum dbx_api { DBX_NONE, DBX_FILES, DBX_DBFS };
enum dbx_api dbx_api_of(const char *path);

struct dbx_entry {
    const char *name; /* (borrowed) relative to the listed path ("a/b" when recursive) */
    int64_t size;     /* bytes; -1 for a directory */
    int64_t mtime_ms; /* -1 when not known */
    bool is_dir;
};
/* Return 0 to go on, non-zero to stop the listing. */
typedef int (*dbx_visit_fn)(const struct dbx_entry *e, void *ctx);

/* List path (a /Volumes/ or /dbfs/ path): one level (files and folders), or recursive (files
 * only, names "a/b/c"), folders listed several at once. ST_ENOENT when path does not exist; a
 * listing that cannot finish (an error in a subfolder, too many pages) fails whole ("listing
 * incomplete"), never giving a part. More than max_entries fails with ST_ETOOBIG. */
int dbx_list(const char *path, bool recursive, size_t max_entries, dbx_visit_fn fn, void *ctx,
             struct st_err *err);
/* Size, mtime and type of path. ST_ENOENT when missing. */
int dbx_stat(const char *path, int64_t *size, int64_t *mtime_ms, bool *is_dir, struct st_err *err);
/* At most len bytes from offset into out (replaced); at or past the end gives an empty buffer.
 * size and mtime_ms (either may be NULL) get the file's. */
int dbx_get(const char *path, int64_t offset, size_t len, struct buf *out, int64_t *size,
            int64_t *mtime_ms, struct st_err *err);

/* ---- jobs ------------------------------------------------------------------------------ */

struct dbx_job_state {
    bool running;            /* a run is pending, queued, running or terminating */
    int64_t active_run_id;   /* 0 when none */
    int64_t last_run_id;     /* the newest finished run, 0 when none */
    int64_t last_end_ms;     /* its end time, -1 when none */
    char last_result[32];    /* its result_state ("SUCCESS", "FAILED", ...), "" when none */
    char last_message[256];  /* its state_message, made harmless (no control characters) */
    int64_t last_success_ms; /* end time of the newest successful run, -1 when none seen */
    bool continuous;         /* the job has a continuous trigger (unpaused) */
    bool paused;             /* its schedule or continuous trigger is paused */
    int64_t interval_ms;     /* its cron schedule's interval, 0 when none or not regular */
};
/* The state of job job_id: its settings (jobs/get) and its newest runs (runs/list, a few pages
 * at most while looking for the last success; runs/get for a failed run's message). */
int dbx_job_state(int64_t job_id, struct dbx_job_state *out, struct st_err *err);

/* ---- pieces, exposed for the unit tests and the fuzz harnesses ------------------------- */

/* One entry of a Files API directory page ("contents") or of a DBFS list ("files"). For DBFS,
 * name is the entry's full path. */
typedef void (*dbx_page_fn)(void *ctx, const char *name, bool is_dir, int64_t size,
                            int64_t mtime_ms);
/* Parse a Files API directory-contents page; *next_token (heap) when more follows, else NULL.
 * Returns the number of entries, or -1 with err when the text is not such a page. */
int dbx_parse_dir_page(const char *json, size_t len, dbx_page_fn fn, void *ctx, char **next_token,
                       struct st_err *err);
/* Parse a DBFS list answer ({"files": [...]}, or {} for an empty folder). Count or -1. */
int dbx_parse_dbfs_list(const char *json, size_t len, dbx_page_fn fn, void *ctx,
                        struct st_err *err);
/* Parse a DBFS get-status answer. 0 or -1. */
int dbx_parse_dbfs_status(const char *json, size_t len, bool *is_dir, int64_t *size,
                          int64_t *mtime_ms, struct st_err *err);
/* Parse a DBFS read answer: the decoded bytes appended to out, *bytes_read as the server said
 * (checked against the decoded length). 0 or -1. */
int dbx_parse_dbfs_read(const char *json, size_t len, struct buf *out, int64_t *bytes_read,
                        struct st_err *err);
/* The error_code and message of a Databricks error answer, control characters made harmless.
 * -1 when the text is not one. */
int dbx_parse_error(const char *json, size_t len, char *code, size_t codelen, char *msg,
                    size_t msglen);
/* The access_token and expires_in (seconds, 0 when absent) of an OAuth token answer; *token is
 * heap. -1 when the text has no token. */
int dbx_parse_token(const char *json, size_t len, char **token, int64_t *expires_in);
/* Fold one runs/list page (newest first) into st; *next_token (heap) when more follows; *done
 * when the page had no runs. 0 or -1 with err. */
int dbx_parse_runs(const char *json, size_t len, struct dbx_job_state *st, char **next_token,
                   struct st_err *err);
/* A runs/get answer: its state_message into st->last_message (made harmless). 0 or -1. */
int dbx_parse_run(const char *json, size_t len, struct dbx_job_state *st, struct st_err *err);
/* A jobs/get answer: continuous, paused and the cron interval into st. 0 or -1. */
int dbx_parse_job(const char *json, size_t len, struct dbx_job_state *st, struct st_err *err);
/* The interval of a Quartz cron expression ("0 0/5 * * * ?" -> 300000) when it fires at a
 * regular interval of seconds, minutes, hours or days; 0 otherwise. */
int64_t dbx_cron_interval_ms(const char *cron);
/* Decode standard base64 (padding optional, no white space) appended to out. 0 or -1. */
int dbx_base64_decode(const char *s, size_t n, struct buf *out);

/* ---- ~/.databrickscfg ------------------------------------------------------------------- */

struct dbx_profile {
    char *host, *token, *client_id, *client_secret; /* (owned) each may be NULL */
};
/* Parse the text of a .databrickscfg ("[name]" sections, "key = value", '#'/';' comments),
 * cut up in place, keeping section want's keys. 1 when found, 0 when not. Pure. */
int dbx_cfg_parse(char *text, const char *want, struct dbx_profile *out);
void dbx_profile_done(struct dbx_profile *p);

#endif
