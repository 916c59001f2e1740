/* model: what the dashboard shows, without curses. The current snapshot (owned), the history
 * for the sparklines, the filter, sort, selection and view. Views draw from it; keys change
 * it; the collector thread hands it new snapshots. */
#ifndef STREAMTOP_TUI_MODEL_H
#define STREAMTOP_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/snapshot.h"
#include "pass/pass.h"
#include "tui/frame.h"

enum tui_view { V_STREAMS, V_DETAIL, V_ALERTS, V_HELP };

/* Sort keys of the streams view (s cycles through them). */
enum tui_sort { SORT_STATUS, SORT_NAME, SORT_BACKLOG, SORT_COMMIT_AGE, SORT_BACKLOG_AGE, SORT__N };

struct tui_model {
    struct tui_frame frame; /* (owned) the newest pass (its snap NULL before the first) */
    size_t *order;          /* indices of the streams shown (filter + sort) */
    size_t norder;
    size_t sel, top; /* selection and first row shown, in order */
    enum tui_view view, back;
    enum tui_sort sort;
    bool reverse;
    char filter[96];
    bool editing_filter;
    bool paused, collecting, utf8, color;
    int64_t now_ms;     /* wall clock at the last draw */
    int64_t refresh_ms; /* collection interval */
    const char *db;     /* (borrowed) state DB path, for the header */
    char db_note[800];  /* why history is missing, or "" */
    char message[4400]; /* the status line: last action or a problem */
    size_t detail_scroll;
    int window;         /* index in tui_spark_windows_ms */
    bool detail_opened; /* a detail was opened: the worker reads its history from then on */
};

void model_init(struct tui_model *m);
void model_done(struct tui_model *m);
/* Take a new frame (owned from now on; *f is emptied), keeping the selected stream selected. */
void model_take(struct tui_model *m, struct tui_frame *f);
/* The newest notification of (stream, rule), or NULL. */
const struct notification *model_last_note(const struct tui_model *m, const char *stream,
                                           const char *rule);
/* Recompute order from the filter and sort. */
void model_apply(struct tui_model *m);
/* The selected stream, or NULL. */
const struct snap_stream *model_selected(const struct tui_model *m);
/* Move the selection by delta rows (clamped); page is the visible row count. */
void model_move(struct tui_model *m, long delta, size_t page);
const char *model_sort_name(enum tui_sort s);

#endif
