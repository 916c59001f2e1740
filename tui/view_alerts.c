/* The alerts view: every firing or pending alert of every stream, firing and most urgent first,
 * with the state of its last notification. On a narrow screen the long columns go first
 * (notification, threshold, state); level, stream, rule, age and value always stay. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/xalloc.h"
#include "tui/format.h"
#include "tui/views.h"
#include "tui/widgets.h"

enum acol {
    AC_LEVEL,
    AC_STATE,
    AC_STREAM,
    AC_RULE,
    AC_AGE,
    AC_VALUE,
    AC_THRESHOLD,
    AC_NOTE,
    AC__N
};

static const struct {
    const char *title;
    int width, max; /* least width, and the most a column that grows takes (0: fixed) */
    int priority;   /* lower is dropped first */
    bool right;
} acols[AC__N] = {
    [AC_LEVEL] = {"LEVEL", 5, 0, 100, false},
    [AC_STATE] = {"STATE", 7, 0, 40, false},
    [AC_STREAM] = {"STREAM", 16, 30, 100, false},
    [AC_RULE] = {"RULE", 24, 30, 100, false},
    [AC_AGE] = {"AGE", 9, 0, 100, true},
    [AC_VALUE] = {"VALUE", 8, 0, 100, true},
    [AC_THRESHOLD] = {"THRESHOLD", 12, 0, 30, false},
    [AC_NOTE] = {"LAST NOTIFICATION", 20, 1000, 20, false},
};

struct arow {
    const struct snap_stream *st;
    const struct snap_alert *a;
};

struct ctx {
    const struct tui_model *m;
    const struct arow *v;
    const int *x, *w; /* per column: where and how wide (w 0: not shown) */
    int cols;
    char **text[2];         /* per row: the stream and the rule, sanitised */
    int *head[2], *tail[2]; /* what tells each apart from the others (tui_distinct_ends) */
};

/* stream and rule shrink down to this on a narrow screen */
#define NAME_FLOOR 8

/* Columns that fit cols: dropped by priority, then the extra width to stream and rule (evenly,
 * up to their max) and the rest to the notification. */
static void layout(int cols, int x[AC__N], int w[AC__N])
{
    int total = 0;
    for (int i = 0; i < AC__N; i++) {
        w[i] = acols[i].width;
        total += w[i] + 1;
    }
    while (total > cols) {
        int drop = -1;
        for (int i = 0; i < AC__N; i++)
            if (w[i] && acols[i].priority < 100 &&
                (drop < 0 || acols[i].priority < acols[drop].priority))
                drop = i;
        if (drop < 0)
            break;
        total -= w[drop] + 1;
        w[drop] = 0;
    }
    /* narrower still: stream and rule give up columns (the rule first, being longer), down to
     * a floor, so age and value stay on screen */
    for (bool shrunk = true; total > cols && shrunk;) {
        shrunk = false;
        for (int i = AC_RULE; i >= AC_STREAM && total > cols; i--)
            if (w[i] > NAME_FLOOR) {
                w[i]--;
                total--;
                shrunk = true;
            }
    }
    int extra = cols > total ? cols - total : 0;
    for (bool grew = true; extra > 0 && grew;) {
        grew = false;
        for (int i = AC_STREAM; i <= AC_RULE && extra > 0; i++)
            if (w[i] < acols[i].max) {
                w[i]++;
                extra--;
                grew = true;
            }
    }
    if (w[AC_NOTE])
        w[AC_NOTE] += extra;
    int at = 0;
    for (int i = 0; i < AC__N; i++) {
        x[i] = at;
        if (w[i])
            at += w[i] + 1;
    }
}

/* A cell, cut in the middle when too long (by head and tail: what tells it apart, or 0). */
static void cell(const struct ctx *c, int y, int col, const char *text, int head, int tail)
{
    if (!c->w[col])
        return;
    char fit[512];
    tui_fit_apart(text, c->w[col], c->m->utf8, head, tail, fit, sizeof fit);
    if (acols[col].right)
        widget_put_right(y, c->x[col], c->w[col], fit);
    else
        widget_put(y, c->x[col], c->w[col], fit, false);
}

static void row(const void *p, size_t i, int y)
{
    const struct ctx *c = p;
    const struct arow *r = &c->v[i];
    char ago[32], val[32], note[400] = "-";
    const struct notification *last = model_last_note(c->m, r->st->name, r->a->rule);
    if (last)
        widget_note_state(last, note, sizeof note);
    else if (r->a->silenced)
        snprintf(note, sizeof note, "silenced");
    if (i == c->m->alert_sel)
        attron(A_REVERSE);
    widget_attr(c->m, widget_health_pair(r->a->level), r->a->firing);
    if (i == c->m->alert_sel) /* the gaps between cells too */
        widget_put(y, 0, c->cols, "", true);
    cell(c, y, AC_LEVEL, widget_health_short(r->a->level), 0, 0);
    cell(c, y, AC_STATE, r->a->firing ? "firing" : "pending", 0, 0);
    cell(c, y, AC_STREAM, c->text[0][i], c->head[0][i], c->tail[0][i]);
    cell(c, y, AC_RULE, c->text[1][i], c->head[1][i], c->tail[1][i]);
    cell(c, y, AC_AGE, tui_fmt_ago(r->a->since_ms, c->m->now_ms, ago, sizeof ago), 0, 0);
    cell(c, y, AC_VALUE, widget_num(r->a->value, val, sizeof val, WU_COUNT), 0, 0);
    cell(c, y, AC_THRESHOLD, r->a->threshold, 0, 0);
    cell(c, y, AC_NOTE, note, 0, 0);
    widget_attr_off();
}

static void draw(const struct tui_model *m, int rows, int cols)
{
    int x[AC__N], w[AC__N];
    layout(cols, x, w);
    widget_bar_begin(1);
    widget_bar_end(1, 0, cols);
    attron(A_REVERSE);
    for (int i = 0; i < AC__N; i++)
        if (w[i]) {
            if (acols[i].right)
                widget_put_right(1, x[i], w[i], acols[i].title);
            else
                widget_put(1, x[i], w[i], acols[i].title, false);
        }
    attroff(A_REVERSE);
    struct tui_alert_ref *refs;
    size_t n = model_alerts(m, &refs);
    struct arow *v = xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        const struct snap_stream *st = &m->frame.snap->streams[refs[i].stream];
        v[i] = (struct arow){st, &st->alerts[refs[i].alert]};
    }
    free(refs);
    struct ctx c = {m, v, x, w, cols, {NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
    for (int col = 0; col < 2; col++) {
        c.text[col] = xcalloc(n + 1, sizeof *c.text[col]);
        c.head[col] = xcalloc(n + 1, sizeof *c.head[col]);
        c.tail[col] = xcalloc(n + 1, sizeof *c.tail[col]);
        for (size_t i = 0; i < n; i++) {
            const char *t = col == 0 ? v[i].st->name : v[i].a->rule;
            c.text[col][i] = sanitize_dup(t, strlen(t));
        }
        tui_distinct_ends((const char *const *)c.text[col], n, c.head[col], c.tail[col]);
    }
    widget_rows(2, rows - 1, m->detail_scroll, n, row, &c);
    if (n == 0)
        widget_empty(cols, "no alerts firing or pending");
    for (int col = 0; col < 2; col++) {
        for (size_t i = 0; i < n; i++)
            free(c.text[col][i]);
        free(c.text[col]);
        free(c.head[col]);
        free(c.tail[col]);
    }
    free(v);
}

static size_t length(const struct tui_model *m, int cols)
{
    (void)cols;
    size_t n = 0;
    for (size_t i = 0; m->frame.snap && i < m->frame.snap->nstreams; i++)
        n += m->frame.snap->streams[i].nalerts;
    return n;
}

const struct view_ops view_alerts_ops = {.draw = draw, .length = length, .chrome = 3};
