/* The streams view: one row per stream (filtered and sorted by the model), the chosen columns
 * that fit the screen (columns.h: dropped by priority), the sorted column's title marked; a
 * stream that cannot be read shows its reason across its row. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/xalloc.h"
#include "tui/columns.h"
#include "tui/view.h"
#include "tui/views.h"
#include "tui/widgets.h"

/* the name column: as wide as the longest name, but at least NAME_MIN; columns of lower
 * priority drop for it up to NAME_WANT, and it grows into what is left up to NAME_MAX */
#define NAME_MIN  16
#define NAME_WANT 24
#define NAME_MAX  40

struct ctx {
    const struct tui_model *m;
    const struct col_slot *slots;
    size_t nslots;
    int cols;
    const int *head, *tail; /* per row: what tells its name apart (NULL: every name fits) */
};

size_t view_streams_layout(const struct tui_model *m, int cols, struct col_slot out[COL__N])
{
    int longest = 0;
    for (size_t i = 0; i < m->norder && longest < NAME_MAX; i++) {
        char clean[256];
        sanitize_copy(clean, sizeof clean, m->frame.snap->streams[m->order[i]].name);
        int w = tui_text_cols(clean);
        if (w > longest)
            longest = w;
    }
    int want = longest < NAME_MIN ? NAME_MIN : longest > NAME_WANT ? NAME_WANT : longest;
    int most = longest < NAME_MIN ? NAME_MIN : longest > NAME_MAX ? NAME_MAX : longest;
    return columns_layout(m->col_on, cols, want, most, out);
}

static void row(const void *p, size_t i, int y)
{
    const struct ctx *c = p;
    const struct tui_model *m = c->m;
    size_t idx = m->order[i];
    const struct snap_stream *st = &m->frame.snap->streams[idx];
    bool sel = i == m->sel;
    for (size_t k = 0; k < c->nslots; k++) {
        const struct col_slot *s = &c->slots[k];
        if (st->errors.n && s->col != COL_STATUS && s->col != COL_NAME) {
            /* a stream that cannot be read: its reason across the rest of the row */
            if (sel)
                attron(A_REVERSE);
            widget_attr(m, CP_UNKNOWN, false);
            widget_put(y, s->x, c->cols - s->x, st->errors.v[0], true);
            widget_attr_off();
            break;
        }
        char text[1024], fit[1024];
        if (s->col == COL_TREND)
            widget_sparkline(text, sizeof text, m->frame.spark ? m->frame.spark[idx].v[0] : NULL,
                             s->w, m->utf8);
        else
            columns_cell(st, s->col, m->utf8, false, text, sizeof text);
        if (s->col == COL_NAME && c->head) /* cut in the middle, where names are alike */
            snprintf(text, sizeof text, "%s",
                     tui_fit_apart(text, s->w, m->utf8, c->head[i], c->tail[i], fit, sizeof fit));
        if (sel)
            attron(A_REVERSE);
        if (s->col == COL_STATUS)
            widget_attr(m, widget_health_pair(st->status), st->status != HEALTH_OK);
        if (columns_right(s->col))
            widget_put_right(y, s->x, s->w, text);
        else
            widget_put(y, s->x, s->w, text, true);
        if (sel)
            mvaddch(y, s->x + s->w, ' ');
        widget_attr_off();
    }
}

static void draw(const struct tui_model *m, int rows, int cols)
{
    struct col_slot slots[COL__N];
    size_t n = view_streams_layout(m, cols, slots);
    widget_bar_begin(1);
    widget_bar_end(1, 0, cols);
    attron(A_REVERSE);
    for (size_t k = 0; k < n; k++) {
        const struct col_slot *s = &slots[k];
        char title[64];
        /* the sorted column: a marker after its title, down in its natural order (most urgent,
         * largest, A first), up reversed */
        const char *mark = s->col != m->sort ? ""
                           : m->utf8         ? (m->reverse ? "\xe2\x96\xb2" : "\xe2\x96\xbc")
                           : m->reverse      ? "^"
                                             : "v";
        snprintf(title, sizeof title, "%s%s", tui_columns[s->col].title, mark);
        if (s->col == m->sort)
            attron(A_BOLD);
        if (columns_right(s->col))
            widget_put_right(1, s->x, s->w, title);
        else
            widget_put(1, s->x, s->w, title, true);
        attroff(A_BOLD);
    }
    attroff(A_REVERSE);
    /* names too long for their column: cut so that no two look the same */
    int name_w = 0;
    for (size_t k = 0; k < n; k++)
        if (slots[k].col == COL_NAME)
            name_w = slots[k].w;
    int *head = NULL, *tail = NULL;
    char **names = xcalloc(m->norder + 1, sizeof *names);
    bool cut = false;
    for (size_t i = 0; i < m->norder; i++) {
        const char *name = m->frame.snap->streams[m->order[i]].name;
        names[i] = sanitize_dup(name, strlen(name));
        cut = cut || tui_text_cols(names[i]) > name_w;
    }
    if (cut) {
        head = xcalloc(m->norder + 1, sizeof *head);
        tail = xcalloc(m->norder + 1, sizeof *tail);
        tui_distinct_ends((const char *const *)names, m->norder, head, tail);
    }
    widget_rows(2, 2 + view_table_rows(rows), m->top, m->norder, row,
                &(struct ctx){m, slots, n, cols, head, tail});
    for (size_t i = 0; i < m->norder; i++)
        free(names[i]);
    free(names);
    free(head);
    free(tail);
    if (m->norder == 0 && m->frame.snap)
        widget_empty(cols, *m->filter ? "no stream matches the filter" : "no streams");
}

const struct view_ops view_streams_ops = {.draw = draw};
