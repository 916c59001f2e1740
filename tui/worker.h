/* worker: the dashboard's collector thread. It runs the pass (pass.h) every refresh interval,
 * reads what the screen shows of the past, and hands the screen one owned frame at a time;
 * the screen never waits on storage, the network or the state DB. */
#ifndef STREAMTOP_TUI_WORKER_H
#define STREAMTOP_TUI_WORKER_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/frame.h"
#include "tui/tui.h"

struct worker;

/* What the worker tells the screen besides frames. */
struct worker_news {
    bool collecting;    /* a pass is running */
    char db_note[800];  /* why there is no history, or "" */
    char message[1100]; /* the newest log line since the last call, or "" */
};

/* Start the thread over o (borrowed: it must outlive the worker). */
struct worker *worker_start(const struct tui_opts *o);
/* Move the newest frame into *f when one arrived since the last call (true), and fill news. */
bool worker_take(struct worker *w, struct tui_frame *f, struct worker_news *news);
/* Collect now, without waiting for the interval. */
void worker_refresh(struct worker *w);
/* Pause or resume collecting. */
void worker_pause(struct worker *w, bool paused);
/* What the screen shows: the sparkline window and whether a detail is open (its sparklines and
 * schema versions are read only then); a change collects now. */
void worker_show(struct worker *w, int window, bool detail);
/* Ask the thread to end and wait up to wait_ms for it; the worker is freed. -1 when it did not
 * end in time (it is left to the process exit, with o still in use). */
int worker_stop(struct worker *w, int wait_ms);

#endif
