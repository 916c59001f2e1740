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
#include "tui/columns.h"
#include "tui/frame.h"

/* The views: the streams table at the bottom of the stack, the others opened over it (q or Esc
 * goes back to the one below). */
enum tui_view { V_STREAMS, V_DETAIL, V_ALERTS, V_HELP, V_LEGEND, V_SORT, V_COLUMNS };
#define TUI_VIEW_DEPTH 8

struct tui_model {
    struct tui_frame frame; /* (owned) the newest pass (its snap NULL before the first) */
    size_t *order;          /* indices of the streams shown (filter + sort) */
    size_t norder;
    size_t sel, top;                     /* selection and first row shown, in order */
    enum tui_view view;                  /* the view on screen */
    enum tui_view stack[TUI_VIEW_DEPTH]; /* the views under it, stack[0] the streams */
    int depth;                           /* how many are under it */
    enum tui_col sort;                   /* the column the streams are sorted by */
    bool reverse;                        /* against its natural order */
    bool col_on[COL__N];                 /* columns chosen (C); shown when they also fit */
    size_t menu_sel;                     /* the cursor of the sort and column menus */
    size_t alert_sel;                    /* the selected row of the alerts view */
    char filter[96];
    bool editing_filter;
    bool paused, collecting, utf8, color;
    int64_t now_ms;       /* wall clock at the last draw */
    int64_t refresh_ms;   /* collection interval */
    const char *db;       /* (borrowed) state DB path, for the header */
    const char *remote;   /* (borrowed) the daemon's URL shown instead, or NULL */
    char db_note[800];    /* why history is missing, or "" */
    char message[4400];   /* the status line: last action or a problem */
    size_t detail_scroll; /* first line shown of a scrolled view (detail, alerts, help) */
    int window;           /* index in tui_spark_windows_ms */
    bool detail_opened;   /* a detail was opened: the worker reads its history from then on */
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
/* Open view v over the current one (scrolled to its top); v already on screen goes back. */
void model_open(struct tui_model *m, enum tui_view v);
/* Back to the view under the current one; false when the streams table is on screen. */
bool model_back(struct tui_model *m);
/* Sort by column col (its natural order) and re-sort. */
void model_sort_by(struct tui_model *m, enum tui_col col);
/* Sort by the next (dir 1) or previous (dir -1) sortable column of shown[] (the columns on
 * screen, COL__N flags), wrapping around. */
void model_sort_step(struct tui_model *m, int dir, const bool shown[COL__N]);
/* The rows of the menu on screen into out: the sortable columns (V_SORT), or those that can
 * be hidden (V_COLUMNS: all but status and name). Returns how many (0 in other views). */
size_t model_menu_items(const struct tui_model *m, enum tui_col out[COL__N]);
/* An alert of the snapshot: its stream and its index in the stream's alerts. */
struct tui_alert_ref {
    size_t stream, alert;
};
/* Every alert of the snapshot as the alerts view lists them: firing first, most urgent, oldest
 * first. *out is allocated (the caller frees it); returns how many. */
size_t model_alerts(const struct tui_model *m, struct tui_alert_ref **out);
/* Select the stream named name (clearing the filter when it hides it); false when there is
 * none. */
bool model_select_name(struct tui_model *m, const char *name);
/* Show or hide column col (status and name stay). */
void model_toggle_column(struct tui_model *m, enum tui_col col);

#endif
