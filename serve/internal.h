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
    /* where the last serve_frame_put leaves it for the pass thread to free (so a request
     * never frees a frame's megabytes), or NULL: freed there and then */
    _Atomic(struct frame *) *grave;
    struct frame *next_dead; /* the next one left there */
    struct snapshot *snap;   /* (owned) */
    /* /metrics: export -f prom's text, then a tail per format: the daemon's pass metrics in
     * Prometheus text, or in OpenMetrics ending "# EOF". The text is held gzipped only (sent
     * inflated to a client that does not take gzip), once for both: the body ending on a flush,
     * each tail with the trailer of the whole; prom_len is the body's plain length. prom holds
     * the plain body only when compression failed (prom_gz empty). */
    struct buf prom_tail, om_tail, prom_gz, prom_gz_tail, om_gz_tail, prom;
    size_t prom_len;
    /* the export -f json document, gzipped only (inflated as it is sent to a client that does
     * not take gzip), and its plain length; json holds the plain text only when compression
     * failed. Rendered by the first request that wants it (serve_frame_json), not by the pass:
     * most daemons are only scraped, and its render took a third of a pass's CPU. */
    pthread_mutex_t json_lock;
    bool json_built;
    struct buf json_gz, json;
    size_t json_len;
    struct buf alerts;    /* the /api/v1/alerts document */
    int64_t done_mono_ms; /* when the pass ended (monotonic clock) */
};

struct serve {
    const struct serve_opts *o;
    pthread_mutex_t lock;          /* frame */
    struct frame *frame;           /* newest, or NULL before the first pass */
    _Atomic(struct frame *) grave; /* frames no one holds, for the pass thread to free */
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

/* The newest frame with a reference (NULL before the first pass); give it back with put. The
 * last put of a frame with a grave leaves it there (freed by serve_frame_bury), else frees it. */
struct frame *serve_frame_get(struct serve *s);
void serve_frame_put(struct frame *f);
/* Render f's JSON document (json_gz, json_len, or json) unless a request did already. */
void serve_frame_json(struct frame *f);
/* Free the frames left in s's grave: how many. */
size_t serve_frame_bury(struct serve *s);

/* An answer to one request: its own body, or bytes of a frame it holds a reference to (sent
 * without a copy; the reference is given back when the library is done with them). */
struct serve_reply {
    int status;
    const char *content_type;
    struct buf body;
    const char *allow;  /* an Allow header (405), or NULL */
    struct frame *hold; /* or NULL: then the parts are the frame's, else body is sent */
    struct {
        const char *data;
        size_t len;
    } part[2];         /* sent one after the other (len 0: none) */
    size_t gunzip_len; /* >0: part[0] is gzip, sent inflated (this many bytes) */
    bool gzip;         /* the parts are gzip: Content-Encoding: gzip */
    bool varies;       /* the answer depends on Accept-Encoding (Vary) */
};

/* Does an Accept-Encoding header take gzip (by name or *, not with q=0)? */
bool serve_takes_gzip(const char *encoding);
/* A gzip stream written into out (replaced) as its text comes: serve_gz_put (a sink for
 * export_json_stream) as often as needed, then serve_gz_end. */
struct serve_gz;
/* level: zlib's, 1 (fastest) to 9 (smallest). */
struct serve_gz *serve_gz_new(struct buf *out, int level);
void serve_gz_put(void *g, const char *data, size_t len);
/* Where a stream cut short by serve_gz_end stands: the plain text's CRC-32 and length. */
struct serve_gz_end {
    unsigned long crc;
    size_t len;
};
/* Finish g (freed) and fill end: a whole gzip stream, or when cut, one that ends on a flush,
 * without its final block and trailer, for serve_gz_tail to complete. 0, or -1 (out empty:
 * compression failed). */
int serve_gz_end(struct serve_gz *g, bool cut, struct serve_gz_end *end);
/* What completes a stream cut short at end: data deflated apart, then the trailer of the whole
 * (the cut stream's bytes then out's are one gzip stream of its text then data). 0, or -1. */
int serve_gz_tail(const struct serve_gz_end *end, const char *data, size_t len, struct buf *out);

/* A gzip stream in one or two pieces (gz then gz2, len2 0 for none; borrowed until freed) read
 * back inflated, a piece at a time. */
struct serve_gunzip;
struct serve_gunzip *serve_gunzip_new(const char *gz, size_t len, const char *gz2, size_t len2);
/* At most max plain bytes into out: how many (0 at the end), or -1 for a damaged stream. */
long serve_gunzip_read(struct serve_gunzip *u, char *out, size_t max);
void serve_gunzip_free(struct serve_gunzip *u);

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
