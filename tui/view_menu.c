/* The two menus over the streams table (htop's F6 and F2): the sort column, and the column
 * chooser (which columns to show, for this session). A cursor row, Enter or Space acts. */
#include <curses.h>
#include <stdio.h>

#include "tui/columns.h"
#include "tui/view.h"
#include "tui/views.h"
#include "tui/widgets.h"

static void draw_menu(const struct tui_model *m, int rows, int cols, bool sorting)
{
    enum tui_col items[COL__N];
    size_t n = model_menu_items(m, items);
    struct col_slot slots[COL__N];
    size_t nshown = view_streams_layout(m, cols, slots);
    bool fits[COL__N] = {false};
    for (size_t k = 0; k < nshown; k++)
        fits[slots[k].col] = true;
    widget_attr(m, CP_HEADER, true);
    widget_put(1, 0, cols,
               sorting ? "Sort by (Enter picks, S reverses, q or Esc: back)"
                       : "Columns (Space or Enter shows or hides, q or Esc: back)",
               false);
    widget_attr_off();
    size_t page = rows > 3 ? (size_t)rows - 3 : 1;
    size_t first = m->menu_sel >= page ? m->menu_sel - page + 1 : 0;
    for (size_t i = first; i < n && (int)(i - first) + 2 < rows - 1; i++) {
        int y = 2 + (int)(i - first);
        enum tui_col c = items[i];
        char mark[16], text[300];
        if (sorting)
            snprintf(mark, sizeof mark, "%s", c == m->sort ? "(*)" : "( )");
        else
            snprintf(mark, sizeof mark, "%s", m->col_on[c] ? "[x]" : "[ ]");
        snprintf(text, sizeof text, "%s %-12s %s%s", mark, tui_columns[c].title,
                 !sorting && m->col_on[c] && !fits[c] ? "(no room now) " : "", tui_columns[c].help);
        if (i == m->menu_sel)
            attron(A_REVERSE);
        widget_put(y, 0, cols, text, i == m->menu_sel);
        attroff(A_REVERSE);
    }
}

static void draw_sort(const struct tui_model *m, int rows, int cols)
{
    draw_menu(m, rows, cols, true);
}

static void draw_columns(const struct tui_model *m, int rows, int cols)
{
    draw_menu(m, rows, cols, false);
}

const struct view_ops view_sort_ops = {.draw = draw_sort};
const struct view_ops view_columns_ops = {.draw = draw_columns};
