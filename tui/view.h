/* view: draw the model onto a curses screen: a header, the current view (streams, stream detail,
 * alerts, help; one file each, see views.h) and a status line. Every string from storage is
 * sanitised first; nothing here reads the clock or the disk. */
#ifndef STREAMTOP_TUI_VIEW_H
#define STREAMTOP_TUI_VIEW_H

#include "tui/model.h"

/* Draw the whole screen (rows x cols) for the model. */
void view_draw(const struct tui_model *m, int rows, int cols);
/* The streams table's columns on a screen cols wide (those chosen that fit); returns how many. */
size_t view_streams_layout(const struct tui_model *m, int cols, struct col_slot out[COL__N]);
/* The furthest a scrolled view (detail, alerts, help, legend) scrolls on a screen of rows x
 * cols: its last page at the bottom; 0 for the others. */
size_t view_scroll_max(const struct tui_model *m, int rows, int cols);
/* Rows of the streams table that fit on a screen of rows lines (for paging). */
int view_table_rows(int rows);

#endif
