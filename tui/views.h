/* views: what view.c and the files of the views share (private to tui/). One file per view
 * exports one const struct view_ops, listed in view.c's table under its enum tui_view. */
#ifndef STREAMTOP_TUI_VIEWS_H
#define STREAMTOP_TUI_VIEWS_H

#include "tui/lines.h"
#include "tui/model.h"

struct view_ops {
    /* Draw the view between the header (row 0) and the status line (row rows - 1). */
    void (*draw)(const struct tui_model *m, int rows, int cols);
    /* A scrolled view (detail, alerts, help, legend): how many rows it has at this width, and
     * how many fit between the header and the status line; NULL for the others. */
    size_t (*length)(const struct tui_model *m, int cols);
    int chrome; /* rows it takes besides its scrolled rows (title bars, header, status line) */
};

extern const struct view_ops view_streams_ops;
extern const struct view_ops view_detail_ops;
extern const struct view_ops view_alerts_ops;
extern const struct view_ops view_help_ops;
extern const struct view_ops view_legend_ops;
extern const struct view_ops view_sort_ops;
extern const struct view_ops view_columns_ops;

/* Draw l (wrapped to cols here) between the header and the status line, from the model's
 * detail_scroll, never past the last page; section titles in the header's colour. */
void view_scrolled_lines(const struct tui_model *m, struct lines *l, int rows, int cols);

#endif
