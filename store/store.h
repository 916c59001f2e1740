/* store: the state database, and the only SQLite user. History (one packed row per stream and
 * pass, rolled up into 5-minute and hourly min/max/last after a day), the collectors' cursors (so
 * a process from cron continues where the last one stopped), pruning by retention, schema
 * versions, alert states, the notification outbox and silences. WAL,
 * busy_timeout, BEGIN IMMEDIATE; the schema migrates by PRAGMA user_version. */
#ifndef STREAMTOP_STORE_H
#define STREAMTOP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/health.h"
#include "core/notification.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "core/trend.h"

#define STORE_SCHEMA_VERSION  7
#define STORE_BUSY_TIMEOUT_MS 5000

struct store;

/* Open or create the database at path (":memory:" allowed), creating its folder and migrating
 * the schema. NULL with err (naming the path) when it is locked, read-only, corrupt, or from a
 * newer streamtop. */
struct store *store_open(const char *path, struct st_err *err);
/* NULL is a no-op. */
void store_close(struct store *db);

/* Write transactions: BEGIN IMMEDIATE (waits up to the busy timeout for other writers). */
int store_begin(struct store *db, struct st_err *err);
/* A read transaction (deferred: no lock until the first read), ended with store_commit: the
 * reads inside it see one state of the DB and take its lock once. */
int store_begin_read(struct store *db, struct st_err *err);
int store_commit(struct store *db, struct st_err *err);
void store_rollback(struct store *db);
/* The path it was opened with. */
const char *store_path(const struct store *db);
/* True for ":memory:" (nothing outlives the process, so cursors are not worth saving). */
bool store_is_memory(const struct store *db);
/* A number kept under key in the meta table: 1 with *v, 0 when there is none, -1 with err. */
int store_meta_get(struct store *db, const char *key, int64_t *v, struct st_err *err);
/* Set it (inside the caller's transaction). */
int store_meta_put(struct store *db, const char *key, int64_t v, struct st_err *err);

/* ---- history ----------------------------------------------------------------------------- */

/* History keeps raw points (one per pass) for STORE_RAW_KEEP_MS, then 5-minute rollups until
 * STORE_5M_KEEP_MS, then hourly rollups until the retention. A rolled-up point carries the
 * start of its bucket as its time, the last value in the bucket as its value, and the bucket's
 * minimum and maximum beside it. */
#define STORE_RAW_KEEP_MS (86400 * 1000LL)
#define STORE_5M_STEP_MS  (300 * 1000LL)
#define STORE_5M_KEEP_MS  (3 * 86400 * 1000LL)
#define STORE_1H_STEP_MS  (3600 * 1000LL)

/* Append every measurable metric of every stream at snap->generated_ms, packed in one row per
 * stream (inside a transaction). Pruning and rollups are store_maintain's, after the pass. */
int store_record(struct store *db, const struct snapshot *snap, struct st_err *err);

/* A point of a series: a raw sample (step_ms 0, min = max = last) or a rollup over the bucket
 * [ts_ms, ts_ms + step_ms). */
struct store_point {
    int64_t ts_ms, step_ms;
    double last, min, max;
};
/* A stream's points of one metric since since_ms, oldest first: raw points where they are kept,
 * rollups before (*out caller-freed). Reads only rows in the range. */
int store_points(struct store *db, const char *stream, const char *metric, int64_t since_ms,
                 struct store_point **out, size_t *n, struct st_err *err);
/* store_points as samples (a rollup's value is its last). */
int store_series(struct store *db, const char *stream, const char *metric, int64_t since_ms,
                 struct sample **out, size_t *n, struct st_err *err);
/* The metric names recorded for a stream since since_ms (only rows in the range are read), in
 * registry order where known. *known tells whether the stream was ever recorded. */
int store_metric_names(struct store *db, const char *stream, int64_t since_ms, struct strvec *out,
                       bool *known, struct st_err *err);

/* What store_maintain did. */
struct store_maint {
    size_t transactions; /* write transactions it ran */
    size_t rows;         /* rows rolled up or deleted */
    int64_t slowest_ms;  /* its longest write transaction */
    bool more;           /* it stopped at its budget with work left (the next call goes on) */
};
/* Roll raw points older than a day into 5-minute rollups, 5-minute rollups older than three days
 * into hourly ones, and delete everything older than retention_ms (0: keep all), as of now_ms.
 * Small batches, each in its own short write transaction with a pause between them so other
 * writers get the lock; stops after about budget_ms (monotonic) and leaves the rest for the
 * next call. Call it outside any transaction, after the pass. */
int store_maintain(struct store *db, int64_t now_ms, int64_t retention_ms, int64_t budget_ms,
                   struct store_maint *st, struct st_err *err);

/* ---- cursors ----------------------------------------------------------------------------- */

/* Cursors: an opaque blob per (stream, collector), streamed in chunks so a large one (a
 * processed-file set) never needs a second copy in memory. */
#define STORE_CHUNK (64u * 1024)
/* fill writes len bytes of the blob at offset off into dst (calls come in order). */
typedef void (*store_fill_fn)(void *ctx, size_t off, unsigned char *dst, size_t len);
/* take receives the blob in order; total is its full size. Return 0 to go on, -1 to stop. */
typedef int (*store_take_fn)(void *ctx, const unsigned char *src, size_t len, size_t total);
int store_cursor_write(struct store *db, const char *stream, const char *collector, size_t total,
                       store_fill_fn fill, void *ctx, struct st_err *err);
/* Fails with ST_ENOENT when there is no cursor. */
int store_cursor_read(struct store *db, const char *stream, const char *collector,
                      store_take_fn take, void *ctx, struct st_err *err);
/* Which take receives the cursor of (stream, collector): *take and *tctx set, or *take left
 * NULL to pass it by. */
typedef void (*store_pick_fn)(void *ctx, const char *stream, const char *collector,
                              store_take_fn *take, void **tctx);
/* Every cursor, in one statement (a process's first pass loads them all: one scan costs less
 * than a lookup each); each one pick chooses is handed over as store_cursor_read hands it.
 * 0, or -1 with err (the cursors before the failing row were handed over). */
int store_cursor_read_all(struct store *db, store_pick_fn pick, void *ctx, struct st_err *err);

/* ---- schema versions --------------------------------------------------------------------- */

/* Record that a stream's schema history (origin "location" or "sink") has version, with its
 * fields ("path: type" lines); the first call fixes first_seen_ms = now_ms. When changes is
 * empty but the DB kept changes for that version (the log that showed them was cleaned up
 * since), they are copied into changes. *first_seen_ms gets the time streamtop first saw the
 * version. Inside a transaction. */
int store_schema_seen(struct store *db, const char *stream, const char *origin, int64_t version,
                      int64_t appeared_ms, int64_t now_ms, const struct strvec *fields,
                      struct strvec *changes, int64_t *first_seen_ms, struct st_err *err);
/* The fields of the newest recorded version before version whose fields are known: 1 with
 * them appended to fields and *before set, 0 when there is none, -1 on error. */
int store_schema_before(struct store *db, const char *stream, const char *origin, int64_t version,
                        struct strvec *fields, int64_t *before, struct st_err *err);
/* A stream's recorded schema versions with their changes, as lines, newest first. */
int store_schema_history(struct store *db, const char *stream, struct strvec *lines,
                         struct st_err *err);

/* ---- alert states (schema 3) ------------------------------------------------------------- */

/* An alert's state as stored: the alert engine's state in the store's own terms. */
struct store_alert {
    char *rule, *stream; /* (owned) */
    int phase;           /* the engine's phase, stored as given */
    enum health level;
    int64_t since_ms, notified_ms, unmeasured_ms;
    double value; /* NaN when none */
    bool held;
};
/* Every stored alert state (*out caller-freed with store_alerts_free). */
int store_alerts_load(struct store *db, struct store_alert **out, size_t *n, struct st_err *err);
/* Frees v and its strings; (NULL, 0) is a no-op. */
void store_alerts_free(struct store_alert *v, size_t n);
/* Replace the stored states prev[0..nprev) (as store_alerts_load read them, in the caller's
 * transaction) with a[0..n): only the rows that changed are written and those gone deleted. */
int store_alerts_save(struct store *db, const struct store_alert *prev, size_t nprev,
                      const struct store_alert *a, size_t n, struct st_err *err);

/* ---- outbox ------------------------------------------------------------------------------ */

/* Queue a notification (stable id nid) for webhook about stream/rule (inside the caller's
 * transaction). Notifications of one (stream, rule, webhook) are delivered strictly in order;
 * a newer one supersedes the undelivered, unleased older ones (they are settled as superseded:
 * the newest event alone leaves the receiver in the right state). */
int store_outbox_add(struct store *db, const char *webhook, const char *what, const char *stream,
                     const char *rule, const char *nid, const char *body, size_t len,
                     int64_t now_ms, struct st_err *err);
/* Drop undelivered, unleased rows of webhook and kind what (a newer one replaces them). */
int store_outbox_supersede(struct store *db, const char *webhook, const char *what, int64_t now_ms,
                           struct st_err *err);

struct outbox_row {
    int64_t id;
    char *webhook, *what, *nid, *body; /* (owned) */
    size_t len;
    int attempts;
    int64_t created_ms;
    int64_t lease_until_ms; /* do not post at or after this time */
};
/* Take up to max due, undelivered rows with ids above after (0 for all), lowest ids first,
 * each the oldest undelivered one of its (stream, rule, webhook), and lease them until now_ms +
 * lease_ms (own transaction), so a second process does not send them too. The rows are found
 * by walking the ids up from after, so rounds that each pass the last one's highest id read
 * the outbox once in all. Free with store_outbox_rows_free. */
int store_outbox_claim(struct store *db, int64_t now_ms, int64_t lease_ms, size_t max,
                       int64_t after, struct outbox_row **out, size_t *n, struct st_err *err);
/* Frees rows and their strings; (NULL, 0) is a no-op. */
void store_outbox_rows_free(struct outbox_row *rows, size_t n);

struct outbox_result {
    int64_t id;
    long status;       /* HTTP status, 0 when none */
    const char *error; /* or NULL */
    int64_t done_ms;   /* delivered or given up at, -1 to retry */
    int64_t next_ms;   /* next attempt when retried */
    bool released;     /* not attempted after all (a stop): the lease ends, nothing else changes */
};
/* Record what became of claimed rows (own transaction: call it as each delivery completes, so a
 * crash re-sends nothing already acknowledged). */
int store_outbox_settle(struct store *db, const struct outbox_result *res, size_t n,
                        struct st_err *err);
/* Forget delivered and dropped rows older than a week (own transaction). */
int store_outbox_prune(struct store *db, struct st_err *err);
/* The webhooks notified about stream/rule since since_ms (not the Alertmanager re-posts), each
 * once, appended to out: where a resolve must go. */
int store_outbox_webhooks(struct store *db, const char *stream, const char *rule, int64_t since_ms,
                          struct strvec *out, struct st_err *err);
/* How many notifications wait to be delivered. */
int store_outbox_count(struct store *db, size_t *pending, struct st_err *err);

/* ---- notifications ----------------------------------------------------------------------- */

/* The newest notifications (of one stream, or all with NULL), newest first. */
int store_notifications(struct store *db, const char *stream, size_t max, struct notification **out,
                        size_t *n, struct st_err *err);
/* Frees v and its strings; (NULL, 0) is a no-op. */

/* ---- silences ---------------------------------------------------------------------------- */

struct silence {
    int64_t id;
    char *match, *comment; /* (owned) "stream-glob" or "stream-glob/rule-glob" */
    int64_t created_ms, ends_ms;
};
/* Silence match from now_ms until ends_ms; *id gets the new silence's id. */
int store_silence_add(struct store *db, const char *match, const char *comment, int64_t now_ms,
                      int64_t ends_ms, int64_t *id, struct st_err *err);
/* The silences still active at active_at_ms (all ever, with INT64_MIN). */
int store_silences(struct store *db, int64_t active_at_ms, struct silence **out, size_t *n,
                   struct st_err *err);
/* Frees v and its strings; (NULL, 0) is a no-op. */
void store_silences_free(struct silence *v, size_t n);
/* End a silence now. ST_ENOENT when there is no active silence with that id. */
int store_silence_expire(struct store *db, int64_t id, int64_t now_ms, struct st_err *err);

#endif
