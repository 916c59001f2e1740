/* The detail view: one stream as scrollable text: identity, alerts and notifications, every
 * metric with its source, sparklines over the chosen window, recent batches, schemas, dead
 * letters. The text is built first, then the rows in view are drawn. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "tui/views.h"
#include "tui/widgets.h"

struct lines {
    char **v;
    size_t n, cap;
};

struct ctx {
    const struct tui_model *m;
    const struct snap_stream *st;
    const struct lines *l;
    int cols;
};

static void line(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct lines *l, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = xstrdup(buf);
}

/* A blank line, then a section title. */
static void section(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void section(struct lines *l, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    line(l, "%s", "");
    line(l, "%s", buf);
}

/* A time as "YYYY-MM-DDTHH:MM:SS", or "-" when unknown (negative). */
static const char *when(int64_t ms, char *out, size_t n)
{
    return ms >= 0 ? clock_iso8601(ms, out, n) : "-";
}

static void alert_lines(const struct tui_model *m, const struct snap_stream *st, struct lines *l)
{
    char a[32], t[40];
    section(l, "Alerts");
    if (!st->nalerts)
        line(l, "  none");
    for (size_t i = 0; i < st->nalerts; i++) {
        const struct snap_alert *al = &st->alerts[i];
        line(l, "  %-5s %-26s %s since %.19s value %s %s%s", health_name(al->level), al->rule,
             al->firing ? "firing " : "pending", clock_iso8601(al->since_ms, t, sizeof t),
             widget_num(al->value, a, sizeof a, WU_COUNT), al->threshold,
             al->silenced ? " [silenced]" : "");
    }
    size_t shown = 0;
    for (size_t i = 0; i < m->frame.nnotes && shown < 8; i++) {
        const struct notification *n = &m->frame.notes[i];
        if (strcmp(n->stream, st->name) != 0)
            continue;
        if (!shown++)
            line(l, "  notifications, newest first:");
        char state[400];
        widget_note_state(n, state, sizeof state);
        line(l, "    %.19s %-9s %-26s -> %-10s %s", clock_iso8601(n->created_ms, t, sizeof t),
             n->what, n->rule, n->webhook, state);
    }
}

static void history_lines(const struct tui_model *m, const struct snap_stream *st, size_t idx,
                          struct lines *l)
{
    static const char *const wname[] = {"last hour", "last 6 hours", "last 24 hours"};
    char a[32], b[32], t[40], rows[32];
    section(l, "Metrics (source)");
    for (int i = 0; i < METRIC_COUNT; i++)
        line(l, "  %-30s %12s  %s", metric_defs[i].name,
             widget_metric(st->metrics[i], i, a, sizeof a),
             isnan(st->metrics[i]) ? "" : metric_origin_name(st->origin[i]));
    section(l, "History, %s (w changes the window)", wname[m->window]);
    for (int k = 0; k < SPARK_METRICS; k++) {
        char spark[SPARK_POINTS * 4 + 1];
        widget_sparkline(spark, sizeof spark, m->frame.spark ? m->frame.spark[idx].v[k] : NULL,
                         SPARK_POINTS, m->utf8);
        line(l, "  %-26s %s", metric_defs[tui_spark_metrics[k]].name, spark);
    }
    if (*m->db_note)
        line(l, "  (no history: %s)", m->db_note);
    section(l, "Recent batches (id, start, duration, input rows)");
    for (size_t i = st->nbatches > 10 ? st->nbatches - 10 : 0; i < st->nbatches; i++) {
        const struct snap_batch *bt = &st->batches[i];
        double dur = bt->commit_ms >= 0 && bt->start_ms >= 0
                         ? (double)(bt->commit_ms - bt->start_ms) / 1000
                         : NAN;
        /* a batch that moves no input says so: it is not throughput */
        line(l, "  %8lld  %.19s  %-9s  %s%s", (long long)bt->id, when(bt->start_ms, t, sizeof t),
             bt->commit_ms < 0 ? "in flight" : widget_num(dur, b, sizeof b, WU_DURATION),
             widget_num(bt->rows, rows, sizeof rows, WU_COUNT),
             bt->kind == BATCH_REPARTITION ? "  state repartition (no input)"
             : bt->kind == BATCH_CONTROL   ? "  control batch (no input)"
                                           : "");
    }
}

static void schema_lines(const struct tui_model *m, const struct snap_stream *st, size_t idx,
                         struct lines *l)
{
    const struct snap_schema *schemas[] = {&st->schema, &st->sink_schema};
    static const char *const sname[] = {"schema location", "sink"};
    char t[40];
    for (int k = 0; k < 2; k++) {
        const struct snap_schema *sc = schemas[k];
        if (sc->version < 0 && sc->fields.n) {
            section(l, "Schema (%s): %zu fields; its version was cleaned from the log", sname[k],
                    sc->fields.n);
            continue;
        }
        if (sc->version < 0)
            continue;
        section(l, "Schema (%s): version %lld, appeared %.19s", sname[k], (long long)sc->version,
                when(sc->appeared_ms, t, sizeof t));
        for (size_t i = 0; i < sc->changes.n; i++)
            line(l, "  %s", sc->changes.v[i]);
    }
    if (idx < m->frame.nschemas && m->frame.schemas[idx].n) {
        section(l, "Schema history (recorded by streamtop)");
        for (size_t i = 0; i < m->frame.schemas[idx].n; i++)
            line(l, "  %s", m->frame.schemas[idx].v[i]);
    }
}

static void deadletter_lines(const struct snap_stream *st, struct lines *l)
{
    char a[32], b[32];
    for (size_t i = 0; i < st->ndeadletters; i++) {
        const struct snap_deadletter *d = &st->deadletters[i];
        section(l, "Dead letters %s: %s files, %s (%s)", d->prefix,
                widget_num(d->files, a, sizeof a, WU_COUNT),
                widget_num(d->bytes, b, sizeof b, WU_BYTES), d->layout ? d->layout : "-");
        if (d->error)
            line(l, "  ERROR %s", d->error);
        if (d->sample_reason)
            line(l, "  reason %s", d->sample_reason);
        if (d->sample_record)
            line(l, "  record %s", d->sample_record);
        else if (d->sample_line)
            line(l, "  sample %s", d->sample_line);
    }
}

/* Offset/commit log versions, the sources by name, and the stateful operators. */
static void checkpoint_lines(const struct snap_stream *st, struct lines *l)
{
    const struct snap_ckptinfo *c = &st->ckpt;
    if (c->offset_log <= 0 && st->noperators == 0)
        return;
    section(l, "Checkpoint: offsets v%d, commits v%d, state checkpoint v%d, %d shuffle partitions",
            c->offset_log, c->commit_log, c->state_format, c->shuffle_partitions);
    if (c->unrestartable)
        line(l, "  CRITICAL %s", c->unrestartable);
    for (size_t i = 0; i < st->nsources; i++) {
        const struct snap_source *src = &st->sources[i];
        char idx[24];
        snprintf(idx, sizeof idx, "#%d", src->index);
        line(l, "  source %-20s %-10s %s", src->id ? src->id : idx,
             src->provider ? src->provider : source_kind_name(src->kind),
             src->end_offset ? src->end_offset : "-");
    }
    char b[32];
    for (size_t i = 0; i < st->noperators; i++) {
        const struct snap_operator *op = &st->operators[i];
        char sch[64] = "";
        if (op->nschemas > 1)
            snprintf(sch, sizeof sch, ", state schema changed at batch %lld",
                     (long long)op->schema_batch);
        line(l, "  operator %lld %s: %d partitions, state version %lld, %s%s", (long long)op->id,
             op->name ? op->name : "(no metadata)", op->partitions, (long long)op->state_version,
             widget_num(op->bytes, b, sizeof b, WU_BYTES), sch);
    }
}

/* Kafka partitions as the brokers answered: the most lagging first, at most 50 rows. */
static int cmp_lag(const void *a, const void *b)
{
    const struct snap_kpart *x = *(const struct snap_kpart *const *)a;
    const struct snap_kpart *y = *(const struct snap_kpart *const *)b;
    double lx = isnan(x->lag) ? -1 : x->lag, ly = isnan(y->lag) ? -1 : y->lag;
    return (lx < ly) - (lx > ly);
}

/* An offset in full (an abbreviated one could not be compared with the broker's tools). */
static const char *offset_text(double v, char *out, size_t n)
{
    if (isnan(v))
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.0f", v);
    return out;
}

static void kafka_lines(const struct tui_model *m, const struct snap_stream *st, struct lines *l)
{
    const struct snap_kafka *k = &st->kafka;
    if (!k->bootstrap)
        return;
    char a[32], b[32], c[32], d[32], e[32];
    section(l, "Kafka %s: %zu partitions, %s records waiting, %s in no batch yet", k->bootstrap,
            k->nparts, widget_num(st->metrics[M_BACKLOG_RECORDS], a, sizeof a, WU_COUNT),
            widget_num(k->planned_lag, b, sizeof b, WU_COUNT));
    if (!k->nparts)
        return;
    const struct snap_kpart **v = xcalloc(k->nparts, sizeof *v);
    for (size_t i = 0; i < k->nparts; i++)
        v[i] = &k->parts[i];
    qsort(v, k->nparts, sizeof *v, cmp_lag);
    line(l, "  %-28s %5s %12s %12s %10s %9s", "topic", "part", "position", "end", "lag", "oldest");
    for (size_t i = 0; i < k->nparts && i < 50; i++) {
        const struct snap_kpart *p = v[i];
        double age = p->oldest_ms >= 0
                         ? fmax(0, (double)(m->frame.snap->generated_ms - p->oldest_ms) / 1000)
                         : NAN;
        line(l, "  %-28s %5d %12s %12s %10s %9s%s%s%s", p->topic, p->partition,
             offset_text(p->position, a, sizeof a), offset_text(p->end, b, sizeof b),
             offset_text(p->lag, c, sizeof c), widget_num(age, d, sizeof d, WU_DURATION),
             p->is_new ? "  new" : "", p->lost > 0 ? "  LOST " : "",
             p->lost > 0 ? widget_num(p->lost, e, sizeof e, WU_COUNT) : "");
        if (p->error)
            line(l, "    %s", p->error);
    }
    if (k->nparts > 50)
        line(l, "  ... %zu more", k->nparts - 50);
    free(v);
}

static void detail_lines(const struct tui_model *m, const struct snap_stream *st, struct lines *l)
{
    size_t idx = (size_t)(st - m->frame.snap->streams);
    line(l, "%s  %s", widget_health_tag(st->status, m->utf8), st->name);
    for (size_t i = 0; i < st->nlabels; i++)
        line(l, "  label %s=%s", st->labels[i].key, st->labels[i].value);
    if (st->checkpoint)
        line(l, "  checkpoint %s", st->checkpoint);
    if (st->source)
        line(l, "  source     %s", st->source);
    if (st->query_id)
        line(l, "  query id   %s", st->query_id);
    for (size_t i = 0; i < st->errors.n; i++)
        line(l, "  ERROR %s", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        line(l, "  warning %s", st->warnings.v[i]);
    alert_lines(m, st, l);
    history_lines(m, st, idx, l);
    checkpoint_lines(st, l);
    kafka_lines(m, st, l);
    schema_lines(m, st, idx, l);
    deadletter_lines(st, l);
}

/* The first line in the stream's colour, section titles (not indented) in the header's. */
static void row(const void *p, size_t i, int y)
{
    const struct ctx *c = p;
    const char *text = c->l->v[i];
    if (i == 0)
        widget_attr(c->m, widget_health_pair(c->st->status), true);
    else if (text[0] != ' ')
        widget_attr(c->m, CP_HEADER, true);
    widget_put(y, 0, c->cols, text, false);
    widget_attr_off();
}

static void draw(const struct tui_model *m, int rows, int cols)
{
    const struct snap_stream *st = model_selected(m);
    if (!st) {
        widget_put(2, 0, cols, "no stream selected", false);
        return;
    }
    struct lines l = {0};
    detail_lines(m, st, &l);
    size_t first = m->detail_scroll < l.n ? m->detail_scroll : (l.n ? l.n - 1 : 0);
    widget_rows(1, rows - 1, first, l.n, row, &(struct ctx){m, st, &l, cols});
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
}

const struct view_ops view_detail_ops = {.draw = draw};
