/* columns: the streams table's one table of columns (title, meaning, width, priority), the text
 * of a cell, the order a column sorts in, and which columns fit a width. Curses-free: the
 * dashboard draws from it and `watch` prints the same titles and units. */
#ifndef STREAMTOP_TUI_COLUMNS_H
#define STREAMTOP_TUI_COLUMNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/snapshot.h"

enum tui_col {
    COL_STATUS,
    COL_NAME,
    COL_BATCH,
    COL_COMMIT,
    COL_COMMIT_AGE,
    COL_INFLIGHT,
    COL_BACKLOG,
    COL_BYTES,
    COL_BACKLOG_AGE,
    COL_IN,
    COL_OUT,
    COL_DURATION,
    COL_WM_LAG,
    COL_DLQ,
    COL_SCHEMA,
    COL_TREND,
    COL__N,
};

enum col_kind { C_STATUS, C_NAME, C_METRIC, C_BACKLOG, C_DLQ, C_SCHEMA, C_SPARK };

struct tui_column {
    const char *title; /* the abbreviation in the header row */
    const char *help;  /* what it means, for the legend (?) and the man page */
    int width;         /* columns, the title and a sort marker included */
    int priority;      /* lower is dropped first when the screen is narrow */
    enum col_kind kind;
    int metric;    /* C_METRIC: shown in its unit from metric_defs; else -1 */
    bool sortable; /* the sparkline is not */
};

extern const struct tui_column tui_columns[COL__N];

/* A column placed on a line: where it starts and how wide it is (one blank column follows). */
struct col_slot {
    enum tui_col col;
    int x, w;
};

/* The columns of on[] (status and name always) that fit in cols, dropped by priority, left to
 * right: the name column is at least name_min wide and takes what is left over up to name_max.
 * Fills out; returns how many. */
size_t columns_layout(const bool on[COL__N], int cols, int name_min, int name_max,
                      struct col_slot out[COL__N]);
/* The text of a cell of stream st into out (n bytes). The status as the dashboard's tag ("X
 * crit", UTF-8 marks when utf8) or, with words, the health's name ("critical"); the name
 * whole (sanitised: the caller fits it); "" for the sparkline (drawn by the view). Returns
 * out. */
char *columns_cell(const struct snap_stream *st, enum tui_col col, bool utf8, bool words, char *out,
                   size_t n);
/* Numbers, the backlog, dead letters and the schema are right-aligned. */
bool columns_right(enum tui_col col);
/* Compare two streams by col in its natural order (most urgent status, A to Z names, larger
 * values first, unmeasured last), then by name: <0 when a comes first. */
int columns_cmp(const struct snap_stream *a, const struct snap_stream *b, enum tui_col col);

#endif
