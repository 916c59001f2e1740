/* The screen: the header and the status line around the current view, drawn by the view's entry
 * in the table below (one file per view, as tig's view_ops). */
#include "tui/view.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "tui/views.h"
#include "tui/widgets.h"

static const struct view_ops *const views[] = {
    [V_STREAMS] = &view_streams_ops,
    [V_DETAIL] = &view_detail_ops,
    [V_ALERTS] = &view_alerts_ops,
    [V_HELP] = &view_help_ops,
};

int view_table_rows(int rows)
{
    return rows > 4 ? rows - 4 : 1;
}

/* Put text at (0, *x) and move *x past it. */
static void header_part(int *x, int cols, const char *text)
{
    widget_put(0, *x, cols - *x, text, false);
    *x += (int)strlen(text);
}

static void header(const struct tui_model *m, int cols)
{
    const struct snapshot *snap = m->frame.snap;
    size_t counts[4] = {0};
    size_t firing = 0;
    if (snap) {
        snapshot_count(snap, counts);
        for (size_t i = 0; i < snap->nstreams; i++)
            for (size_t a = 0; a < snap->streams[i].nalerts; a++)
                firing += snap->streams[i].alerts[a].firing;
    }
    char when[40], age[24], refresh[24];
    const char *t = snap ? clock_iso8601(snap->generated_ms, when, sizeof when) : "-";
    widget_attr(m, CP_HEADER, true);
    move(0, 0);
    clrtoeol();
    widget_putf(0, 0, cols, "streamtop  %.19s", t);
    widget_attr_off();
    int x = 31;
    if (!snap) {
        widget_put(0, x, cols - x, "collecting...", false);
        return;
    }
    char part[200];
    snprintf(part, sizeof part, "%zu streams: ", snap->nstreams);
    header_part(&x, cols, part);
    for (int h = 0; h < 4 && x < cols; h++) {
        widget_attr(m, widget_health_pair((enum health)h), counts[h] > 0 && h > 0);
        snprintf(part, sizeof part, "%zu %s", counts[h], widget_health_short((enum health)h));
        header_part(&x, cols, part);
        widget_attr_off();
        x++;
    }
    snprintf(part, sizeof part, " alerts %zu  every %s%s%s", firing,
             fmt_duration((double)m->refresh_ms / 1000, refresh, sizeof refresh),
             m->paused ? "  PAUSED" : "", m->collecting ? "  collecting..." : "");
    header_part(&x, cols, part);
    double old = (double)(m->now_ms - snap->generated_ms) / 1000;
    if (old > 2 * (double)m->refresh_ms / 1000 + 2 || m->paused) {
        widget_attr(m, CP_WARNING, true);
        snprintf(part, sizeof part, "  data %s old", fmt_duration(old, age, sizeof age));
        header_part(&x, cols, part);
        widget_attr_off();
    }
    char db[900];
    snprintf(db, sizeof db, "  db %s%s", m->db ? m->db : "-", *m->db_note ? " (no history)" : "");
    if (x + (int)strlen(db) <= cols)
        widget_put(0, x, cols - x, db, false);
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
    char sort[64];
    snprintf(sort, sizeof sort, "sort %s%s", model_sort_name(m->sort), m->reverse ? " (rev)" : "");
    widget_putf(rows - 1, 0, cols,
                "q quit  Enter detail  a alerts  / filter%s%s%s  s %s  w window  ? help",
                *m->filter ? " [" : "", *m->filter ? m->filter : "", *m->filter ? "]" : "", sort);
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
