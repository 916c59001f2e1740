/* route: the daemon's request paths and query strings, parsed without any I/O (and fuzzed).
 * Paths arrive as sent (still percent-encoded): a stream's name is one path segment, decoded
 * here, so a name holding "/" is sent as %2F. */
#ifndef STREAMTOP_SERVE_ROUTE_H
#define STREAMTOP_SERVE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum route_kind {
    ROUTE_NOT_FOUND,
    ROUTE_METRICS,  /* /metrics */
    ROUTE_SNAPSHOT, /* /api/v1/snapshot */
    ROUTE_STREAM,   /* /api/v1/streams/NAME */
    ROUTE_HISTORY,  /* /api/v1/streams/NAME/history */
    ROUTE_SERIES,   /* /api/v1/series */
    ROUTE_ALERTS,   /* /api/v1/alerts */
    ROUTE_HEALTHZ,  /* /healthz */
    ROUTE_READYZ,   /* /readyz */
};

/* Longest decoded stream name, metric or since value accepted. */
#define ROUTE_MAX_VALUE 4096

struct route {
    enum route_kind kind;
    char *stream; /* (owned) decoded NAME, or NULL */
    char *metric; /* (owned) decoded ?metric=, or NULL */
    char *since;  /* (owned) decoded ?since=, or NULL */
};

/* Parse path (before any '?', percent-encoded as sent) and query (after '?', or NULL). A path
 * that names nothing is ROUTE_NOT_FOUND (return 0). -1 with err for a malformed request: a bad
 * %XX, a NUL byte once decoded, a value over ROUTE_MAX_VALUE bytes, an empty NAME. Unknown
 * query keys are ignored; a repeated key keeps its last value. Free with route_done. */
int route_parse(const char *path, const char *query, struct route *r, struct st_err *err);
void route_done(struct route *r);

/* Decode %XX escapes (and '+' as a space when plus_space) of s[0..n) into a heap string.
 * NULL for a bad escape or a decoded NUL. */
char *route_decode(const char *s, size_t n, int plus_space);

/* A since value as an absolute time: a duration back from now_ms ("1h", "30m", "7d") or an RFC
 * 3339 time ("2026-01-02T03:04:05Z"). 0, or -1 with err quoting it. */
int route_since_ms(const char *text, int64_t now_ms, int64_t *out, struct st_err *err);

#endif
