/* pass: the engine every front end runs (export, watch, check, the dashboard, the demo). One
 * pass collects every stream into a snapshot, records it in the state DB (history, schema
 * versions, and the collectors' cursors, saved here for every front end), evaluates the alert
 * rules against the stored alert state, and delivers the outbox, as its flags say. Front ends
 * read the snapshot and, for what they show of the past, the read functions below; they never
 * collect, evaluate or deliver by themselves. */
#ifndef STREAMTOP_PASS_H
#define STREAMTOP_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/notification.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "core/trend.h"

enum pass_flags {
    /* evaluate the alert rules: each stream's alerts and status; read-only without NOTIFY */
    PASS_EVALUATE = 1,
    /* with EVALUATE: save the alert states, queue notifications and deliver the due outbox */
    PASS_NOTIFY = 2,
};

struct pass_report {
    size_t delivered;       /* notifications delivered by this pass */
    size_t pending;         /* left in the outbox after it (PASS_NOTIFY) */
    struct strvec problems; /* delivery problems, one line per webhook (pass_report_done) */
    bool evaluated;         /* the alert rules were evaluated */
    bool stopped;           /* a stop was requested (core/stop.h): before evaluation nothing is
                             * evaluated or sent; during delivery the rest stays queued */
    bool stale;             /* remote: the daemon gave no snapshot this pass (the error is
                             * logged); the snapshot is the last one it gave, or empty */
};
void pass_report_done(struct pass_report *r);

struct pass;

/* A pass over cfg's streams (borrowed; it must outlive the pass) with the state DB at
 * cfg->database. When the DB cannot be opened: with need_db NULL and err naming it, else a
 * warning and passes without history. */
struct pass *pass_new(const struct config *cfg, bool need_db, struct st_err *err);
/* A second handle on cfg's state DB (its own connection) that only reads: for the read
 * functions below from another thread while a pass runs (WAL lets a reader go on while the pass
 * writes). Never pass_run it. NULL with err when the DB cannot be opened; pass_free frees it. */
struct pass *pass_open_reader(const struct config *cfg, struct st_err *err);
/* ---- a pass attached to a `streamtop serve` daemon ------------------------------------------ */

/* How to reach the daemon. */
struct pass_remote {
    const char *url;      /* http(s)://[user:password@]host:port[/prefix]: the API is under it */
    const char *user;     /* basic auth (--remote-auth-file), or NULL; never shown */
    const char *password; /* or NULL; never shown */
    int64_t timeout_ms;   /* each request, whole; 0: 10 s */
    /* the reader of the snapshot document (export_json_read: the export layer owns the
     * format, and the pass does not include it) */
    int (*read_snapshot)(const char *text, size_t len, struct snapshot **out, struct st_err *err);
};

/* Is r->url a daemon URL (http or https, no query or fragment)? 0, or -1 with err. */
int pass_remote_check(const struct pass_remote *r, struct st_err *err);
/* Read an auth file: its first line is "user:password" (as curl's -u takes it). *user and
 * *password are the caller's to free. 0, or -1 with err naming the file, never its content. */
int pass_remote_auth_file(const char *path, char **user, char **password, struct st_err *err);
/* A pass that fetches what the daemon at r collected (r is copied; call pass_remote_check
 * first): no state DB, no collecting, evaluating or delivering (its flags are ignored: the
 * daemon does all of that). pass_run gets the daemon's snapshot; when the daemon does not answer
 * or answers garbage, the error (naming the URL) is logged and the last snapshot comes again
 * (rep->stale). pass_series, pass_schema_versions and pass_notes ask the daemon; a request that
 * fails gives what the last good one gave. */
struct pass *pass_new_remote(const struct pass_remote *r);
/* Save what the collectors have not saved yet, close the DB. NULL is a no-op. */
void pass_free(struct pass *p);
/* One pass at the clock's time. *out always gets the snapshot (caller frees). 0, or -1 with err
 * when evaluation or delivery could not use the state DB (the snapshot is still whole, its
 * alerts missing). After the pass, history is rolled up and pruned in short transactions of
 * its own for up to a second (collect_maintain); a stop skips that. */
int pass_run(struct pass *p, unsigned flags, struct snapshot **out, struct pass_report *rep,
             struct st_err *err);

/* ---- what front ends read of the past ------------------------------------------------------ */

/* Why there is no state DB ("" when there is one). */
const char *pass_db_problem(const struct pass *p);
/* A stream's samples of one metric since since_ms, oldest first (*out caller-freed); -1 when
 * there is no history. */
int pass_series(struct pass *p, const char *stream, const char *metric, int64_t since_ms,
                struct sample **out, size_t *n);
/* A stream's points of one metric since since_ms, oldest first, raw and rolled up as recorded
 * (*out caller-freed); -1 when there is no history. */
int pass_points(struct pass *p, const char *stream, const char *metric, int64_t since_ms,
                struct trend_point **out, size_t *n);
/* The metrics recorded for a stream since since_ms (appended to out); *known: whether the
 * stream was ever recorded. -1 when there is no history. */
int pass_metric_names(struct pass *p, const char *stream, int64_t since_ms, struct strvec *out,
                      bool *known);
/* A stream's recorded schema versions with their changes, as lines, newest first. */
void pass_schema_versions(struct pass *p, const char *stream, struct strvec *lines);

/* The newest notifications (of one stream, or all with NULL), newest first; free with
 * notifications_free. */
void pass_notes(struct pass *p, const char *stream, size_t max, struct notification **out,
                size_t *n);

#endif
