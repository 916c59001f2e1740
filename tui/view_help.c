/* The help view: the key table, as tui.c dispatches it, wrapped to the screen and scrolled. */
#include <stdlib.h>

#include "tui/keymap.h"
#include "tui/lines.h"
#include "tui/views.h"
#include "tui/widgets.h"

struct ctx {
    const struct tui_model *m;
    const struct lines *l;
    int cols;
};

static void row(const void *p, size_t i, int y)
{
    const struct ctx *c = p;
    const char *text = c->l->v[i];
    if (text[0] && text[0] != ' ')
        widget_attr(c->m, CP_HEADER, true);
    widget_put(y, 0, c->cols, text, false);
    widget_attr_off();
}

void view_scrolled_lines(const struct tui_model *m, struct lines *l, int rows, int cols)
{
    lines_wrap(l, cols, NULL);
    size_t page = rows > 2 ? (size_t)rows - 2 : 1;
    size_t last = l->n > page ? l->n - page : 0; /* scrolled no further than the last page */
    size_t first = m->detail_scroll < last ? m->detail_scroll : last;
    widget_rows(1, rows - 1, first, l->n, row, &(struct ctx){m, l, cols});
}

static void build(struct lines *l)
{
    lines_add(l, "Keys (q, Esc or F1: back; ?: what the columns mean)");
    for (const struct tui_key *k = tui_keys; k->key; k++)
        if (k->label)
            lines_add(l, "  %-10s %s", k->label, k->help);
    lines_add(l, "  %-10s %s", "Mouse", "a click selects a stream, the wheel scrolls");
}

static void draw(const struct tui_model *m, int rows, int cols)
{
    struct lines l = {0};
    build(&l);
    view_scrolled_lines(m, &l, rows, cols);
    lines_free(&l);
}

static size_t length(const struct tui_model *m, int cols)
{
    (void)m;
    struct lines l = {0};
    build(&l);
    lines_wrap(&l, cols, NULL);
    size_t n = l.n;
    lines_free(&l);
    return n;
}

const struct view_ops view_help_ops = {.draw = draw, .length = length, .chrome = 2};
