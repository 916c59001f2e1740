/* remote: the pass of a front end attached to a `streamtop serve` daemon. It collects nothing,
 * keeps no state DB, evaluates and delivers nothing: each pass fetches the daemon's snapshot
 * (GET /api/v1/snapshot), and what the front end reads of the past comes from the daemon too
 * (/api/v1/series, /api/v1/streams/NAME, /api/v1/alerts). pass.c dispatches to it; these are
 * its pieces, and the parsers of the daemon's answers (pure, for the tests and the fuzzer). */
#ifndef STREAMTOP_PASS_REMOTE_H
#define STREAMTOP_PASS_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/notification.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "core/trend.h"
#include "pass/pass.h"

struct remote;

struct remote *remote_new(const struct pass_remote *r);
void remote_free(struct remote *rm);
/* One pass: the daemon's snapshot, or (when it cannot be had) the last one it gave again, the
 * error logged and rep->stale set. */
void remote_run(struct remote *rm, struct snapshot **out, struct pass_report *rep);
int remote_series(struct remote *rm, const char *stream, const char *metric, int64_t since_ms,
                  struct sample **out, size_t *n);
void remote_schema_versions(struct remote *rm, const char *stream, struct strvec *lines);
void remote_notes(struct remote *rm, const char *stream, size_t max, struct notification **out,
                  size_t *n);

/* ---- the daemon's answers, parsed (len bytes at text, no NUL needed) ---------------------- */

/* One metric's series: {"metric":..., "since_ms":..., "streams":[{"name":..., "points":[[t_ms,
 * v or null], ...]}]}. Calls each(ctx, name, samples, n) per stream (samples borrowed; a null
 * value is NaN). 0, or -1 with err. */
int remote_parse_series(const char *text, size_t len,
                        void (*each)(void *ctx, const char *name, const struct sample *s, size_t n),
                        void *ctx, struct st_err *err);
/* A stream's detail: {"stream": {...}, "schema_versions": ["line", ...]}: the lines appended to
 * lines. 0, or -1 with err. */
int remote_parse_stream(const char *text, size_t len, struct strvec *lines, struct st_err *err);
/* The alerts answer: its "notifications" (newest first) into *out (free with
 * notifications_free). 0, or -1 with err. */
int remote_parse_notes(const char *text, size_t len, struct notification **out, size_t *n,
                       struct st_err *err);

#endif
