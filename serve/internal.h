/* What the files of serve/ share: the published frame, the daemon's state, the API's answers
 * and the HTTP server. */
#ifndef STREAMTOP_SERVE_INTERNAL_H
#define STREAMTOP_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "pass/pass.h"
#include "serve/serve.h"

/* One completed pass as requests see it: never changed once published; freed by the last
 * serve_frame_put. */
struct frame {
    atomic_int refs;
    struct snapshot *snap; /* (owned) */
    struct buf json;       /* the export -f json document */
    struct buf prom;       /* export -f prom's text, then the daemon's pass metrics */
    struct buf om;         /* the same in OpenMetrics, ending "# EOF" */
    struct buf alerts;     /* the /api/v1/alerts document */
    /* json, prom and om gzipped (empty when compression failed: sent plain) */
    struct buf json_gz, prom_gz, om_gz;
    int64_t done_mono_ms; /* when the pass ended (monotonic clock) */
};

struct serve {
    const struct serve_opts *o;
    pthread_mutex_t lock; /* frame */
    struct frame *frame;  /* newest, or NULL before the first pass */
    /* the read-only DB handle and the config it reads with: held for a request's reads only */
    pthread_mutex_t rlock;
    struct pass *reader;      /* or NULL (no DB, or an in-memory one) */
    const struct config *cfg; /* the current config (borrowed or owned_cfg) */
    atomic_llong interval_ms;
    struct strvec users; /* "user:password" lines; none: no authentication */
    /* the pass thread's own */
    struct pass *pass;
    struct config *owned_cfg; /* a reloaded config, or NULL */
    uint64_t passes, errors_total;
};

/* The newest frame with a reference (NULL before the first pass); give it back with put. */
struct frame *serve_frame_get(struct serve *s);
void serve_frame_put(struct frame *f);

/* An answer to one request: its own body, or bytes of a frame it holds a reference to (sent
 * without a copy; the reference is given back when the library is done with them). */
struct serve_reply {
    int status;
    const char *content_type;
    struct buf body;
    const char *allow;  /* an Allow header (405), or NULL */
    struct frame *hold; /* or NULL: then data/len are the frame's, else body is sent */
    const char *data;
    size_t len;
    bool gzip;   /* data is gzipped: Content-Encoding: gzip */
    bool varies; /* the answer depends on Accept-Encoding (Vary) */
};

/* Does an Accept-Encoding header take gzip (by name or *, not with q=0)? */
bool serve_takes_gzip(const char *encoding);
/* data gzipped into out (replaced). 0, or -1 (out empty). */
int serve_gzip(const char *data, size_t len, struct buf *out);

/* Answer method path?query (path and query as sent, percent-encoded) with accept the Accept
 * header and encoding the Accept-Encoding header (either NULL). Fills rep (its body initialised
 * here; the caller frees it). */
void serve_answer(struct serve *s, const char *method, const char *path, const char *query,
                  const char *accept, const char *encoding, struct serve_reply *rep);
/* Does path need credentials when the daemon has them (everything but /healthz, /readyz)? */
bool serve_needs_auth(const char *path);
/* Is "user:password" one of the lines (compared in time independent of where they differ)? */
bool serve_auth_ok(const struct strvec *users, const char *user, const char *password);

struct serve_http;
/* Start listening (a thread pool of the library's) on the address (a struct sockaddr of len
 * bytes); cert and key: PEM text for TLS, or NULL. NULL with err. */
struct serve_http *serve_http_start(struct serve *s, const void *addr, unsigned len, bool v6,
                                    const char *cert, const char *key, struct st_err *err);
/* The port it listens on. */
unsigned serve_http_port(const struct serve_http *h);
/* Stop listening, finish the requests under way, free it. NULL is a no-op. */
void serve_http_stop(struct serve_http *h);

/* Points of a history answer, at most. */
#define SERVE_MAX_POINTS 1000
/* Notifications listed by /api/v1/alerts, newest first. */
#define SERVE_MAX_NOTES 500

#endif
