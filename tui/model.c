#include "tui/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

const int tui_spark_metrics[SPARK_METRICS] = {M_BACKLOG_AGE_SECONDS, M_PROCESSED_ROWS_PER_SECOND,
                                              M_BATCH_DURATION_SECONDS, M_COMMIT_AGE_SECONDS};
const int64_t tui_spark_windows_ms[SPARK_WINDOWS] = {3600 * 1000LL, 6 * 3600 * 1000LL,
                                                     24 * 3600 * 1000LL};

void model_init(struct tui_model *m)
{
    memset(m, 0, sizeof *m);
    m->view = V_STREAMS;
    m->sort = COL_STATUS;
    for (int i = 0; i < COL__N; i++)
        m->col_on[i] = true;
}

const struct notification *model_last_note(const struct tui_model *m, const char *stream,
                                           const char *rule)
{
    for (size_t i = 0; i < m->frame.nnotes; i++)
        if (strcmp(m->frame.notes[i].stream, stream) == 0 &&
            strcmp(m->frame.notes[i].rule, rule) == 0)
            return &m->frame.notes[i];
    return NULL;
}

void model_done(struct tui_model *m)
{
    tui_frame_done(&m->frame);
    free(m->order);
    memset(m, 0, sizeof *m);
}

static const struct tui_model *sort_model;

static int cmp_rows(const void *pa, const void *pb)
{
    const struct snap_stream *a = &sort_model->frame.snap->streams[*(const size_t *)pa];
    const struct snap_stream *b = &sort_model->frame.snap->streams[*(const size_t *)pb];
    int c = columns_cmp(a, b, sort_model->sort);
    return sort_model->reverse ? -c : c;
}

/* Does the stream match the filter (a substring of the name, or of "key=value" labels)? */
static bool matches(const struct snap_stream *st, const char *f)
{
    if (!*f || strstr(st->name, f))
        return true;
    for (size_t i = 0; i < st->nlabels; i++) {
        char kv[256];
        snprintf(kv, sizeof kv, "%s=%s", st->labels[i].key, st->labels[i].value);
        if (strstr(kv, f))
            return true;
    }
    return false;
}

void model_apply(struct tui_model *m)
{
    const char *keep = NULL;
    const struct snap_stream *cur = model_selected(m);
    char name[256] = "";
    if (cur) {
        snprintf(name, sizeof name, "%s", cur->name);
        keep = name;
    }
    free(m->order);
    m->order = NULL;
    m->norder = 0;
    if (!m->frame.snap)
        return;
    m->order = xcalloc(m->frame.snap->nstreams + 1, sizeof *m->order);
    for (size_t i = 0; i < m->frame.snap->nstreams; i++)
        if (matches(&m->frame.snap->streams[i], m->filter))
            m->order[m->norder++] = i;
    sort_model = m;
    qsort(m->order, m->norder, sizeof *m->order, cmp_rows);
    sort_model = NULL;
    m->sel = 0;
    for (size_t i = 0; keep && i < m->norder; i++)
        if (strcmp(m->frame.snap->streams[m->order[i]].name, keep) == 0)
            m->sel = i;
    if (m->top > m->sel)
        m->top = m->sel;
}

void model_take(struct tui_model *m, struct tui_frame *f)
{
    const struct snap_stream *cur = model_selected(m);
    char name[256] = "";
    if (cur)
        snprintf(name, sizeof name, "%s", cur->name);
    tui_frame_done(&m->frame);
    m->frame = *f;
    *f = (struct tui_frame){0};
    free(m->order);
    m->order = NULL;
    m->norder = 0;
    model_apply(m);
    for (size_t i = 0; *name && i < m->norder; i++)
        if (strcmp(m->frame.snap->streams[m->order[i]].name, name) == 0)
            m->sel = i;
}

const struct snap_stream *model_selected(const struct tui_model *m)
{
    if (!m->frame.snap || m->sel >= m->norder)
        return NULL;
    return &m->frame.snap->streams[m->order[m->sel]];
}

void model_move(struct tui_model *m, long delta, size_t page)
{
    if (m->norder == 0)
        return;
    long s = (long)m->sel + delta;
    if (s < 0)
        s = 0;
    if (s >= (long)m->norder)
        s = (long)m->norder - 1;
    m->sel = (size_t)s;
    if (m->sel < m->top)
        m->top = m->sel;
    if (page && m->sel >= m->top + page)
        m->top = m->sel - page + 1;
}

void model_open(struct tui_model *m, enum tui_view v)
{
    if (m->view == v) {
        model_back(m);
        return;
    }
    if (m->depth < TUI_VIEW_DEPTH)
        m->stack[m->depth++] = m->view;
    m->view = v;
    m->detail_scroll = 0;
    if (v == V_ALERTS)
        m->alert_sel = 0;
    m->menu_sel = 0;
    if (v == V_SORT) { /* the cursor on the sorted column */
        enum tui_col items[COL__N];
        size_t n = model_menu_items(m, items);
        for (size_t i = 0; i < n; i++)
            if (items[i] == m->sort)
                m->menu_sel = i;
    }
}

bool model_back(struct tui_model *m)
{
    if (m->view == V_STREAMS)
        return false;
    m->view = m->depth > 0 ? m->stack[--m->depth] : V_STREAMS;
    /* back in the alerts: their selected row at the top */
    m->detail_scroll = m->view == V_ALERTS ? m->alert_sel : 0;
    return true;
}

void model_sort_by(struct tui_model *m, enum tui_col col)
{
    if ((unsigned)col >= COL__N || !tui_columns[col].sortable)
        return;
    m->sort = col;
    m->reverse = false;
    model_apply(m);
}

void model_sort_step(struct tui_model *m, int dir, const bool shown[COL__N])
{
    int c = (int)m->sort;
    for (int k = 0; k < COL__N; k++) {
        c = (c + dir + COL__N) % COL__N;
        if (shown[c] && tui_columns[c].sortable) {
            model_sort_by(m, (enum tui_col)c);
            return;
        }
    }
}

void model_toggle_column(struct tui_model *m, enum tui_col col)
{
    if ((unsigned)col < COL__N && col != COL_STATUS && col != COL_NAME)
        m->col_on[col] = !m->col_on[col];
}

size_t model_menu_items(const struct tui_model *m, enum tui_col out[COL__N])
{
    size_t n = 0;
    for (int i = 0; i < COL__N; i++)
        if ((m->view == V_SORT && tui_columns[i].sortable) ||
            (m->view == V_COLUMNS && i != COL_STATUS && i != COL_NAME))
            out[n++] = (enum tui_col)i;
    return n;
}

static const struct snapshot *alert_snap; /* qsort has no context argument; one thread draws */

static int cmp_alert(const void *pa, const void *pb)
{
    const struct tui_alert_ref *ra = pa, *rb = pb;
    const struct snap_alert *x = &alert_snap->streams[ra->stream].alerts[ra->alert];
    const struct snap_alert *y = &alert_snap->streams[rb->stream].alerts[rb->alert];
    int c = y->firing - x->firing;
    if (!c)
        c = health_urgency(y->level) - health_urgency(x->level);
    if (!c)
        c = (x->since_ms > y->since_ms) - (x->since_ms < y->since_ms);
    if (!c)
        c = strcmp(alert_snap->streams[ra->stream].name, alert_snap->streams[rb->stream].name);
    if (!c)
        c = strcmp(x->rule, y->rule);
    return c;
}

size_t model_alerts(const struct tui_model *m, struct tui_alert_ref **out)
{
    const struct snapshot *snap = m->frame.snap;
    size_t n = 0;
    for (size_t i = 0; snap && i < snap->nstreams; i++)
        n += snap->streams[i].nalerts;
    *out = xcalloc(n + 1, sizeof **out);
    size_t k = 0;
    for (size_t i = 0; snap && i < snap->nstreams; i++)
        for (size_t a = 0; a < snap->streams[i].nalerts; a++)
            (*out)[k++] = (struct tui_alert_ref){i, a};
    alert_snap = snap;
    qsort(*out, n, sizeof **out, cmp_alert);
    alert_snap = NULL;
    return n;
}

bool model_select_name(struct tui_model *m, const char *name)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < m->norder; i++)
            if (strcmp(m->frame.snap->streams[m->order[i]].name, name) == 0) {
                m->sel = i;
                if (m->top > m->sel)
                    m->top = m->sel;
                return true;
            }
        if (pass == 0 && *m->filter) { /* hidden by the filter: show every stream */
            m->filter[0] = '\0';
            model_apply(m);
        }
    }
    return false;
}
