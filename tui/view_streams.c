/* The streams view: one row per stream (filtered and sorted by the model), the columns that fit
 * the screen chosen by priority; a stream that cannot be read shows its reason across its row. */
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"
#include "tui/view.h"
#include "tui/views.h"
#include "tui/widgets.h"

/* a schema version younger than this is marked with a star */
#define RECENT_MS (3600 * 1000LL)

enum col_kind { C_STATUS, C_NAME, C_METRIC, C_BACKLOG, C_DLQ, C_SCHEMA, C_SPARK };

struct column {
    const char *title;
    int width;
    int priority; /* lower is dropped first */
    enum col_kind kind;
    int metric; /* C_METRIC: shown in its unit from metric_defs */
};

static const struct column columns[] = {
    {"STATUS", 6, 100, C_STATUS, -1},
    {"STREAM", 16, 99, C_NAME, -1},
    {"BATCH", 7, 80, C_METRIC, M_LAST_BATCH_ID},
    {"COMMIT", 7, 30, C_METRIC, M_COMMITTED_BATCH_ID},
    {"C.AGE", 7, 90, C_METRIC, M_COMMIT_AGE_SECONDS},
    {"INFLIGHT", 8, 50, C_METRIC, M_INFLIGHT_SECONDS},
    {"BACKLOG", 7, 95, C_BACKLOG, -1},
    {"BYTES", 8, 20, C_METRIC, M_BACKLOG_BYTES},
    {"B.AGE", 7, 85, C_METRIC, M_BACKLOG_AGE_SECONDS},
    {"IN/S", 7, 40, C_METRIC, M_INPUT_ROWS_PER_SECOND},
    {"OUT/S", 7, 25, C_METRIC, M_PROCESSED_ROWS_PER_SECOND},
    {"DUR", 7, 35, C_METRIC, M_BATCH_DURATION_SECONDS},
    {"WM.LAG", 7, 10, C_METRIC, M_WATERMARK_LAG_SECONDS},
    {"DLQ", 8, 70, C_DLQ, -1},
    {"SCHEMA", 6, 60, C_SCHEMA, -1},
    {"B.AGE TREND", 14, 55, C_SPARK, -1},
};
#define NCOLS (sizeof columns / sizeof columns[0])

/* A column on screen: where it starts and how wide it is (one blank column follows). */
struct slot {
    const struct column *c;
    int x, w;
};

struct ctx {
    const struct tui_model *m;
    const struct slot *slots;
    size_t nslots;
    int cols;
};

/* The columns that fit in cols (dropped by priority), left to right, the name column taking
 * what is left over. Returns how many. */
static size_t layout(int cols, struct slot out[NCOLS])
{
    bool shown[NCOLS];
    int total = 0;
    for (size_t i = 0; i < NCOLS; i++) {
        shown[i] = true;
        total += columns[i].width + 1;
    }
    while (total > cols) {
        size_t drop = NCOLS;
        for (size_t i = 0; i < NCOLS; i++)
            if (shown[i] && columns[i].kind != C_NAME && columns[i].kind != C_STATUS &&
                (drop == NCOLS || columns[i].priority < columns[drop].priority))
                drop = i;
        if (drop == NCOLS)
            break;
        shown[drop] = false;
        total -= columns[drop].width + 1;
    }
    int name_w = columns[1].width + (cols > total ? cols - total : 0);
    if (name_w > 40)
        name_w = 40;
    size_t n = 0;
    int x = 0;
    for (size_t i = 0; i < NCOLS; i++) {
        if (!shown[i])
            continue;
        int w = columns[i].kind == C_NAME ? name_w : columns[i].width;
        out[n++] = (struct slot){&columns[i], x, w};
        x += w + 1;
    }
    return n;
}

static void cell(const struct tui_model *m, const struct snap_stream *st, size_t idx,
                 const struct column *c, char *out, size_t n, int w)
{
    const double *v = st->metrics;
    switch (c->kind) {
    case C_STATUS:
        snprintf(out, n, "%s", widget_health_tag(st->status, m->utf8));
        return;
    case C_NAME:
        snprintf(out, n, "%s", st->name);
        return;
    case C_METRIC:
        widget_metric(v[c->metric], c->metric, out, n);
        return;
    case C_BACKLOG: {
        int b = snap_stream_primary_backlog(st);
        if (b < 0)
            snprintf(out, n, "-");
        else if (b == M_BACKLOG_BYTES)
            widget_num(v[b], out, n, WU_BYTES);
        else {
            widget_num(v[b], out, n, WU_COUNT);
            if (st->origin[b] == ORIGIN_STORAGE_LOWER_BOUND) {    /* at least this many */
                const char *ge = m->utf8 ? "\xe2\x89\xa5" : ">="; /* U+2265 */
                size_t gl = strlen(ge), len = strlen(out);
                if (len + gl < n) {
                    memmove(out + gl, out, len + 1);
                    memcpy(out, ge, gl);
                }
            }
            if (b == M_BACKLOG_RECORDS)
                strncat(out, "r", n - strlen(out) - 1);
            else if (b == M_BACKLOG_VERSIONS)
                strncat(out, "v", n - strlen(out) - 1);
        }
        return;
    }
    case C_DLQ: {
        char a[16], b[16];
        if (isnan(v[M_DEADLETTER_FILES]))
            snprintf(out, n, "-");
        else if (v[M_DEADLETTER_NEW_FILES] > 0)
            snprintf(out, n, "%s+%s", fmt_count(v[M_DEADLETTER_FILES], a, sizeof a),
                     fmt_count(v[M_DEADLETTER_NEW_FILES], b, sizeof b));
        else
            snprintf(out, n, "%s", fmt_count(v[M_DEADLETTER_FILES], a, sizeof a));
        return;
    }
    case C_SCHEMA:
        if (isnan(v[M_SCHEMA_VERSION]))
            snprintf(out, n, "-");
        else
            snprintf(out, n, "v%.0f%s", v[M_SCHEMA_VERSION],
                     v[M_SCHEMA_VERSION] > 0 && v[M_SCHEMA_AGE_SECONDS] * 1000 < RECENT_MS ? "*"
                                                                                           : "");
        return;
    case C_SPARK:
        widget_sparkline(out, n, m->frame.spark ? m->frame.spark[idx].v[0] : NULL, w, m->utf8);
        return;
    }
}

/* Numbers are right-aligned; status, name and sparkline left. */
static bool right_aligned(enum col_kind k)
{
    return k == C_METRIC || k == C_BACKLOG || k == C_DLQ || k == C_SCHEMA;
}

static void row(const void *p, size_t i, int y)
{
    const struct ctx *c = p;
    const struct tui_model *m = c->m;
    size_t idx = m->order[i];
    const struct snap_stream *st = &m->frame.snap->streams[idx];
    bool sel = i == m->sel;
    for (size_t k = 0; k < c->nslots; k++) {
        const struct slot *s = &c->slots[k];
        enum col_kind kind = s->c->kind;
        if (st->errors.n && kind != C_STATUS && kind != C_NAME) {
            /* a stream that cannot be read: its reason across the rest of the row */
            if (sel)
                attron(A_REVERSE);
            widget_attr(m, CP_UNKNOWN, false);
            widget_put(y, s->x, c->cols - s->x, st->errors.v[0], true);
            widget_attr_off();
            break;
        }
        char text[256];
        cell(m, st, idx, s->c, text, sizeof text, s->w);
        if (sel)
            attron(A_REVERSE);
        if (kind == C_STATUS)
            widget_attr(m, widget_health_pair(st->status), st->status != HEALTH_OK);
        if (right_aligned(kind))
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
    struct slot slots[NCOLS];
    size_t n = layout(cols, slots);
    widget_bar_begin(1);
    for (size_t k = 0; k < n; k++)
        widget_put(1, slots[k].x, slots[k].w, slots[k].c->title, true);
    widget_bar_end(1, n ? slots[n - 1].x + slots[n - 1].w + 1 : 0, cols);
    widget_rows(2, 2 + view_table_rows(rows), m->top, m->norder, row,
                &(struct ctx){m, slots, n, cols});
    if (m->norder == 0 && m->frame.snap)
        widget_empty(cols, *m->filter ? "no stream matches the filter" : "no streams");
}

const struct view_ops view_streams_ops = {.draw = draw};
