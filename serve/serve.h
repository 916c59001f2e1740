/* serve: the daemon (streamtop serve). A thread runs the pass every interval and publishes an
 * immutable frame of it (the snapshot and its rendered documents, refcounted, swapped under a
 * mutex); an HTTP server (libmicrohttpd, used nowhere else) answers from the newest frame and
 * never collects inside a request. History is read through a second, read-only handle on the
 * state DB, so a request never waits for a pass and a pass never waits for a request. */
#ifndef STREAMTOP_SERVE_H
#define STREAMTOP_SERVE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

/* The address the daemon listens on unless told otherwise. */
#define SERVE_DEFAULT_LISTEN "127.0.0.1:9178"

struct serve_opts {
    const char *listen;          /* "ADDR:PORT", "[V6]:PORT", or NULL for the default */
    const char *tls_cert;        /* PEM files, both or neither */
    const char *tls_key;         /* */
    const char *basic_auth_file; /* "user:password" lines, or NULL */
    int64_t interval_ms;         /* 0: the config's refresh interval */
    bool alerts;                 /* evaluate, save alert state, deliver (else read-only) */
    bool log_json;               /* one JSON object per log line */
    /* Load the config again (SIGHUP): a new config (the daemon owns it), or NULL with err
     * naming file and line. */
    struct config *(*reload)(void *ctx, struct st_err *err);
    void *reload_ctx;
    /* Write one log line (no newline) to the daemon's log. */
    void (*say)(const char *line);
};

/* Run the daemon over cfg (borrowed; a reloaded config replaces it) until SIGINT/SIGTERM
 * (core/stop.h: the caller installs those with stop_on_signals first; SIGHUP is taken over
 * here to reload). 0 after a clean stop, or -1 with err when it could not start (a bad
 * address, a port in use, unreadable TLS or password files). */
int serve_run(const struct config *cfg, const struct serve_opts *o, struct st_err *err);

/* Parse "ADDR:PORT" / "[V6]:PORT" (numeric addresses, port 0..65535; 0: any free port). Fills
 * a struct sockaddr_storage (ss, sslen bytes) and its length; sets *loopback. 0 or -1 with err. */
int serve_parse_listen(const char *text, void *ss, unsigned sslen, unsigned *len, bool *loopback,
                       struct st_err *err);

#endif
