#include "tui/model.h"

#include <math.h>
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
    m->view = m->back = V_STREAMS;
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

const char *model_sort_name(enum tui_sort s)
{
    static const char *const n[] = {"status", "name", "backlog", "commit age", "backlog age"};
    return (unsigned)s < SORT__N ? n[s] : "?";
}

static double backlog(const struct snap_stream *st)
{
    int m = snap_stream_primary_backlog(st);
    return m < 0 ? -1 : st->metrics[m];
}

static const struct tui_model *sort_model;

static int cmp_num(double a, double b)
{
    if (isnan(a))
        a = -INFINITY;
    if (isnan(b))
        b = -INFINITY;
    return (a < b) - (a > b); /* larger first */
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct snap_stream *a = &sort_model->frame.snap->streams[*(const size_t *)pa];
    const struct snap_stream *b = &sort_model->frame.snap->streams[*(const size_t *)pb];
    int c = 0;
    switch (sort_model->sort) {
    case SORT_STATUS:
        c = health_urgency(b->status) - health_urgency(a->status);
        break;
    case SORT_NAME:
        break;
    case SORT_BACKLOG:
        c = cmp_num(backlog(a), backlog(b));
        break;
    case SORT_COMMIT_AGE:
        c = cmp_num(a->metrics[M_COMMIT_AGE_SECONDS], b->metrics[M_COMMIT_AGE_SECONDS]);
        break;
    case SORT_BACKLOG_AGE:
        c = cmp_num(a->metrics[M_BACKLOG_AGE_SECONDS], b->metrics[M_BACKLOG_AGE_SECONDS]);
        break;
    case SORT__N:
        break;
    }
    if (c == 0)
        c = strcmp(a->name, b->name);
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
