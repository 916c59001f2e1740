/* The alerts view: every firing or pending alert of every stream, firing and most urgent first,
 * with the state of its last notification. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "tui/views.h"
#include "tui/widgets.h"

struct arow {
    const struct snap_stream *st;
    const struct snap_alert *a;
};

struct ctx {
    const struct tui_model *m;
    const struct arow *v;
    int cols;
};

static int cmp_arow(const void *pa, const void *pb)
{
    const struct arow *x = pa, *y = pb;
    int c = (y->a->firing - x->a->firing);
    if (!c)
        c = health_urgency(y->a->level) - health_urgency(x->a->level);
    if (!c)
        c = (x->a->since_ms > y->a->since_ms) - (x->a->since_ms < y->a->since_ms);
    return c;
}

static void row(const void *p, size_t i, int y)
{
    const struct ctx *c = p;
    const struct arow *r = &c->v[i];
    char when[40], val[32], note[400] = "-";
    const struct notification *last = model_last_note(c->m, r->st->name, r->a->rule);
    if (last)
        widget_note_state(last, note, sizeof note);
    else if (r->a->silenced)
        snprintf(note, sizeof note, "silenced");
    widget_attr(c->m, widget_health_pair(r->a->level), r->a->firing);
    widget_putf(y, 0, c->cols, "%-8s %-8s %-20.20s %-28.28s %-19.19s %10s  %-16.16s %s",
                health_name(r->a->level), r->a->firing ? "firing" : "pending", r->st->name,
                r->a->rule, clock_iso8601(r->a->since_ms, when, sizeof when),
                widget_num(r->a->value, val, sizeof val, WU_COUNT), r->a->threshold, note);
    widget_attr_off();
}

static void draw(const struct tui_model *m, int rows, int cols)
{
    widget_bar_begin(1);
    widget_putf(1, 0, cols, "%-8s %-8s %-20s %-28s %-19s %10s  %-16s %s", "LEVEL", "STATE",
                "STREAM", "RULE", "SINCE", "VALUE", "THRESHOLD", "LAST NOTIFICATION");
    /* from the cursor: a title as wide as the screen leaves it at the start of the next row,
     * which the rows below clear again */
    widget_bar_end(getcury(stdscr), getcurx(stdscr), cols);
    const struct snapshot *snap = m->frame.snap;
    size_t n = 0;
    for (size_t i = 0; snap && i < snap->nstreams; i++)
        n += snap->streams[i].nalerts;
    struct arow *v = xcalloc(n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; snap && i < snap->nstreams; i++)
        for (size_t a = 0; a < snap->streams[i].nalerts; a++)
            v[k++] = (struct arow){&snap->streams[i], &snap->streams[i].alerts[a]};
    qsort(v, n, sizeof *v, cmp_arow);
    widget_rows(2, rows - 1, m->detail_scroll, n, row, &(struct ctx){m, v, cols});
    if (n == 0)
        widget_empty(cols, "no alerts firing or pending");
    free(v);
}

const struct view_ops view_alerts_ops = {.draw = draw};
