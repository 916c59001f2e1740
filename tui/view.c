/* The screen: the header and the status line around the current view, drawn by the view's entry
 * in the table below (one file per view, as tig's view_ops). Header and status line are made of
 * parts kept by importance, so they fit the width (80 columns and less) instead of being cut. */
#include "tui/view.h"

#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"
#include "tui/format.h"
#include "tui/views.h"
#include "tui/widgets.h"

static const struct view_ops *const views[] = {
    [V_STREAMS] = &view_streams_ops, [V_DETAIL] = &view_detail_ops, [V_ALERTS] = &view_alerts_ops,
    [V_HELP] = &view_help_ops,       [V_LEGEND] = &view_legend_ops, [V_SORT] = &view_sort_ops,
    [V_COLUMNS] = &view_columns_ops,
};

int view_table_rows(int rows)
{
    return rows > 4 ? rows - 4 : 1;
}

size_t view_scroll_max(const struct tui_model *m, int rows, int cols)
{
    const struct view_ops *v = views[m->view];
    if (!v->length)
        return 0;
    size_t n = v->length(m, cols);
    size_t page = rows > v->chrome ? (size_t)(rows - v->chrome) : 1;
    return n > page ? n - page : 0;
}

/* A piece of the header or status line: its text (separator first), importance (lower is kept
 * first) and colour. */
struct part {
    char text[200];
    int prio;
    int pair;
    bool bold;
};

#define MAX_PARTS 16

static struct part *part_add(struct part *p, size_t *n, int prio, int pair, bool bold,
                             const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static struct part *part_add(struct part *p, size_t *n, int prio, int pair, bool bold,
                             const char *fmt, ...)
{
    if (*n >= MAX_PARTS)
        return NULL;
    struct part *q = &p[(*n)++];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->text, sizeof q->text, fmt, ap);
    va_end(ap);
    q->prio = prio;
    q->pair = pair;
    q->bold = bold;
    return q;
}

/* Draw the parts that fit in cols on row y, in their order (the first one shown without the
 * blanks that separate it from one left out). */
static void parts_draw(const struct tui_model *m, int y, int cols, const struct part *p, size_t n)
{
    int width[MAX_PARTS] = {0}, prio[MAX_PARTS] = {0};
    bool keep[MAX_PARTS];
    for (size_t i = 0; i < n; i++) {
        width[i] = tui_text_cols(p[i].text);
        prio[i] = p[i].prio;
    }
    tui_fit_parts(width, prio, n, cols, keep);
    int x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        const char *text = p[i].text;
        while (x == 0 && *text == ' ')
            text++;
        widget_attr(m, p[i].pair, p[i].bold);
        widget_put(y, x, cols - x, text, false);
        widget_attr_off();
        x += tui_text_cols(text);
    }
}

static void header(const struct tui_model *m, int cols)
{
    const struct snapshot *snap = m->frame.snap;
    struct part p[MAX_PARTS];
    size_t n = 0;
    char t[64], age[24], refresh[24];
    /* the data's time in the local zone, the zone named (htop and k9s show local time) */
    tui_fmt_local(snap ? snap->generated_ms : m->now_ms, TT_CLOCK_ZONE, t, sizeof t);
    move(0, 0);
    clrtoeol();
    part_add(p, &n, 0, CP_HEADER, true, "streamtop %s", t);
    if (!snap) {
        part_add(p, &n, 0, 0, false, "  collecting...");
        parts_draw(m, 0, cols, p, n);
        return;
    }
    size_t counts[4] = {0};
    size_t firing = 0;
    snapshot_count(snap, counts);
    for (size_t i = 0; i < snap->nstreams; i++)
        for (size_t a = 0; a < snap->streams[i].nalerts; a++)
            firing += snap->streams[i].alerts[a].firing;
    part_add(p, &n, 1, 0, false, "  %zu streams:", snap->nstreams);
    for (int h = 0; h < 4; h++)
        part_add(p, &n, 1, widget_health_pair((enum health)h), counts[h] > 0 && h > 0, " %zu %s",
                 counts[h], widget_health_short((enum health)h));
    part_add(p, &n, 2, firing ? CP_CRITICAL : 0, firing > 0, "  alerts %zu", firing);
    if (m->paused)
        part_add(p, &n, 1, CP_WARNING, true, "  PAUSED");
    double old = (double)(m->now_ms - snap->generated_ms) / 1000;
    if (old > 2 * (double)m->refresh_ms / 1000 + 2 || m->paused)
        part_add(p, &n, 2, CP_WARNING, true, "  data %s old", fmt_duration(old, age, sizeof age));
    if (m->collecting)
        part_add(p, &n, 4, 0, false, "  collecting...");
    if (*m->db_note)
        part_add(p, &n, 3, CP_WARNING, false, "  no history");
    part_add(p, &n, 5, 0, false, "  every %s",
             fmt_duration((double)m->refresh_ms / 1000, refresh, sizeof refresh));
    if (m->remote)
        part_add(p, &n, 6, 0, false, "  remote %s", m->remote);
    else
        part_add(p, &n, 6, 0, false, "  db %s", m->db ? m->db : "-");
    parts_draw(m, 0, cols, p, n);
}

/* The keys that matter in the view on screen, the most useful kept when narrow. */
static void hints(const struct tui_model *m, struct part *p, size_t *n)
{
    switch (m->view) {
    case V_STREAMS:
        part_add(p, n, 1, 0, false, "Enter detail");
        part_add(p, n, 2, 0, false, "  a alerts");
        if (*m->filter)
            part_add(p, n, 0, CP_WARNING, true, "  / filter [%s]", m->filter);
        else
            part_add(p, n, 2, 0, false, "  / filter");
        part_add(p, n, 3, 0, false, "  < > sort");
        part_add(p, n, 4, 0, false, "  C columns");
        part_add(p, n, 4, 0, false, "  ? legend");
        part_add(p, n, 0, 0, false, "  F1 help");
        part_add(p, n, 0, 0, false, "  q quit");
        break;
    case V_DETAIL:
        part_add(p, n, 1, 0, false, "Up/Down scroll");
        part_add(p, n, 2, 0, false, "  w window");
        part_add(p, n, 3, 0, false, "  a alerts");
        part_add(p, n, 0, 0, false, "  F1 help");
        part_add(p, n, 0, 0, false, "  q back");
        break;
    case V_ALERTS:
        part_add(p, n, 1, 0, false, "Up/Down select");
        part_add(p, n, 0, 0, false, "  Enter detail");
        part_add(p, n, 2, 0, false, "  ? legend");
        part_add(p, n, 0, 0, false, "  q back");
        break;
    case V_HELP:
    case V_LEGEND:
        part_add(p, n, 1, 0, false, "Up/Down scroll");
        part_add(p, n, 2, 0, false, m->view == V_LEGEND ? "  F1 keys" : "  ? columns");
        part_add(p, n, 0, 0, false, "  q back");
        break;
    case V_SORT:
        part_add(p, n, 1, 0, false, "Up/Down choose");
        part_add(p, n, 0, 0, false, "  Enter sort");
        part_add(p, n, 2, 0, false, "  S reverse");
        part_add(p, n, 0, 0, false, "  q back");
        break;
    case V_COLUMNS:
        part_add(p, n, 1, 0, false, "Up/Down choose");
        part_add(p, n, 0, 0, false, "  Space show/hide");
        part_add(p, n, 0, 0, false, "  q back");
        break;
    }
}

static void footer(const struct tui_model *m, int rows, int cols)
{
    move(rows - 1, 0);
    clrtoeol();
    if (m->editing_filter) {
        widget_putf(rows - 1, 0, cols, "/%s_", m->filter);
        return;
    }
    if (*m->message) {
        widget_attr(m, CP_DIM, true);
        widget_put(rows - 1, 0, cols, m->message, false);
        widget_attr_off();
        return;
    }
    struct part p[MAX_PARTS];
    size_t n = 0;
    hints(m, p, &n);
    parts_draw(m, rows - 1, cols, p, n);
}

void view_draw(const struct tui_model *m, int rows, int cols)
{
    erase();
    if (rows < 5 || cols < 20) {
        widget_put(0, 0, cols, "terminal too small", false);
        return;
    }
    header(m, cols);
    views[m->view]->draw(m, rows, cols);
    footer(m, rows, cols);
}
