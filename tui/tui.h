/* tui: the curses dashboard. Collection runs on a worker thread (worker.h: the pass, then one
 * owned frame for the screen); keys keep working while a slow listing runs. The terminal is
 * restored on exit, on Ctrl-C and on a crash signal. */
#ifndef STREAMTOP_TUI_H
#define STREAMTOP_TUI_H

#include <stdbool.h>

#include "core/config.h"
#include "core/err.h"
#include "pass/pass.h"

struct tui_opts {
    const struct config *cfg; /* (borrowed) */
    bool alerts;              /* run the alert engine and outbox like `check` (else read-only) */
    /* called on the worker thread before every pass (the demo advances its simulation), or
     * NULL */
    void (*before_pass)(void *ctx);
    void *before_ctx;
    /* attached to a `streamtop serve` daemon (borrowed), or NULL: collect here; cfg then only
     * gives the refresh interval */
    const struct pass_remote *remote;
    const char *remote_shown; /* its URL as the header shows it (no credentials) */
};

/* Can a dashboard run here? -1 with err (pointing at export/check) when stdin/stdout is not a
 * terminal or TERM is unset or dumb. */
int tui_usable(struct st_err *err);
/* Run until q or a signal. 0, or -1 with err. */
int tui_run(const struct tui_opts *o, struct st_err *err);

#endif
