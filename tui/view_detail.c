/* The detail view: one stream as scrollable text: identity, alerts and notifications, every
 * metric with its source, sparklines over the chosen window, recent batches, schemas, dead
 * letters. The text is built first, wrapped to the screen's width (nothing is cut), then the
 * rows in view are drawn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"
#include "tui/lines.h"
#include "tui/views.h"
#include "tui/widgets.h"

struct ctx {
    const struct tui_model *m;
    const struct snap_stream *st;
    const struct lines *l;
    const size_t *first_of; /* the unwrapped line of each line */
    int cols;
};

/* A time in the header's zone, "YYYY-MM-DD HH:MM:SS", or "-" when unknown (negative). */
static const char *when(int64_t ms, char *out, size_t n)
{
    return tui_fmt_local(ms, TT_DATE_TIME, out, n);
}

static void alert_lines(const struct tui_model *m, const struct snap_stream *st, struct lines *l)
{
    char a[32], t[40];
    lines_section(l, "Alerts");
    if (!st->nalerts)
        lines_add(l, "  none");
    for (size_t i = 0; i < st->nalerts; i++) {
        const struct snap_alert *al = &st->alerts[i];
        char ago[32];
        lines_add(l, "  %-8s %-26s %s since %s (%s) value %s %s%s", health_name(al->level),
                  al->rule, al->firing ? "firing " : "pending", when(al->since_ms, t, sizeof t),
                  tui_fmt_ago(al->since_ms, m->now_ms, ago, sizeof ago),
                  widget_num(al->value, a, sizeof a, WU_COUNT), al->threshold,
                  al->silenced ? " [silenced]" : "");
    }
    size_t shown = 0;
    for (size_t i = 0; i < m->frame.nnotes && shown < 8; i++) {
        const struct notification *n = &m->frame.notes[i];
        if (strcmp(n->stream, st->name) != 0)
            continue;
        if (!shown++)
            lines_add(l, "  notifications, newest first:");
        char state[400];
        widget_note_state(n, state, sizeof state);
        lines_add(l, "    %s %-9s %-26s -> %-10s %s", when(n->created_ms, t, sizeof t), n->what,
                  n->rule, n->webhook, state);
    }
}

static void history_lines(const struct tui_model *m, const struct snap_stream *st, size_t idx,
                          struct lines *l)
{
    static const char *const wname[] = {"last hour", "last 6 hours", "last 24 hours"};
    char a[32], b[32], t[40], rows[32];
    lines_section(l, "Metrics (source)");
    for (int i = 0; i < METRIC_COUNT; i++)
        lines_add(l, "  %-31s %12s  %s", metric_defs[i].name,
                  widget_metric(st->metrics[i], i, a, sizeof a),
                  isnan(st->metrics[i]) ? "" : metric_origin_name(st->origin[i]));
    lines_section(l, "History, %s (w changes the window)", wname[m->window]);
    for (int k = 0; k < SPARK_METRICS; k++) {
        char spark[SPARK_POINTS * 4 + 1];
        widget_sparkline(spark, sizeof spark, m->frame.spark ? m->frame.spark[idx].v[k] : NULL,
                         SPARK_POINTS, m->utf8);
        lines_add(l, "  %-26s %s", metric_defs[tui_spark_metrics[k]].name, spark);
    }
    if (*m->db_note)
        lines_add(l, "  (no history: %s)", m->db_note);
    lines_section(l, "Recent batches (id, start, duration, input rows)");
    for (size_t i = st->nbatches > 10 ? st->nbatches - 10 : 0; i < st->nbatches; i++) {
        const struct snap_batch *bt = &st->batches[i];
        double dur = bt->commit_ms >= 0 && bt->start_ms >= 0
                         ? (double)(bt->commit_ms - bt->start_ms) / 1000
                         : NAN;
        /* a batch that moves no input says so: it is not throughput */
        lines_add(l, "  %8lld  %s  %-9s  %s%s", (long long)bt->id, when(bt->start_ms, t, sizeof t),
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
            lines_section(l, "Schema (%s): %zu fields; its version was cleaned from the log",
                          sname[k], sc->fields.n);
            continue;
        }
        if (sc->version < 0)
            continue;
        lines_section(l, "Schema (%s): version %lld, appeared %s", sname[k], (long long)sc->version,
                      when(sc->appeared_ms, t, sizeof t));
        for (size_t i = 0; i < sc->changes.n; i++)
            lines_add(l, "  %s", sc->changes.v[i]);
    }
    if (idx < m->frame.nschemas && m->frame.schemas[idx].n) {
        lines_section(l, "Schema history (recorded by streamtop)");
        for (size_t i = 0; i < m->frame.schemas[idx].n; i++)
            lines_add(l, "  %s", m->frame.schemas[idx].v[i]);
    }
}

static void deadletter_lines(const struct snap_stream *st, struct lines *l)
{
    char a[32], b[32];
    for (size_t i = 0; i < st->ndeadletters; i++) {
        const struct snap_deadletter *d = &st->deadletters[i];
        lines_section(l, "Dead letters %s: %s files, %s (%s)", d->prefix,
                      widget_num(d->files, a, sizeof a, WU_COUNT),
                      widget_num(d->bytes, b, sizeof b, WU_BYTES), d->layout ? d->layout : "-");
        if (d->error)
            lines_add(l, "  ERROR %s", d->error);
        if (d->sample_reason)
            lines_add(l, "  reason %s", d->sample_reason);
        if (d->sample_record)
            lines_add(l, "  record %s", d->sample_record);
        else if (d->sample_line)
            lines_add(l, "  sample %s", d->sample_line);
    }
}

/* Offset/commit log versions, the sources by name, and the stateful operators. */
static void checkpoint_lines(const struct snap_stream *st, struct lines *l)
{
    const struct snap_ckptinfo *c = &st->ckpt;
    if (c->offset_log <= 0 && st->noperators == 0)
        return;
    lines_section(
        l, "Checkpoint: offsets v%d, commits v%d, state checkpoint v%d, %d shuffle partitions",
        c->offset_log, c->commit_log, c->state_format, c->shuffle_partitions);
    if (c->unrestartable)
        lines_add(l, "  CRITICAL %s", c->unrestartable);
    for (size_t i = 0; i < st->nsources; i++) {
        const struct snap_source *src = &st->sources[i];
        char idx[24];
        snprintf(idx, sizeof idx, "#%d", src->index);
        lines_add(l, "  source %-20s %-10s %s", src->id ? src->id : idx,
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
        lines_add(l, "  operator %lld %s: %d partitions, state version %lld, %s%s",
                  (long long)op->id, op->name ? op->name : "(no metadata)", op->partitions,
                  (long long)op->state_version, widget_num(op->bytes, b, sizeof b, WU_BYTES), sch);
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
    lines_section(l, "Kafka %s: %zu partitions, %s records waiting, %s in no batch yet",
                  k->bootstrap, k->nparts,
                  widget_num(st->metrics[M_BACKLOG_RECORDS], a, sizeof a, WU_COUNT),
                  widget_num(k->planned_lag, b, sizeof b, WU_COUNT));
    if (!k->nparts)
        return;
    const struct snap_kpart **v = xcalloc(k->nparts, sizeof *v);
    for (size_t i = 0; i < k->nparts; i++)
        v[i] = &k->parts[i];
    qsort(v, k->nparts, sizeof *v, cmp_lag);
    lines_add(l, "  %-28s %5s %12s %12s %10s %9s", "topic", "part", "position", "end", "lag",
              "oldest");
    for (size_t i = 0; i < k->nparts && i < 50; i++) {
        const struct snap_kpart *p = v[i];
        double age = p->oldest_ms >= 0
                         ? fmax(0, (double)(m->frame.snap->generated_ms - p->oldest_ms) / 1000)
                         : NAN;
        lines_add(l, "  %-28s %5d %12s %12s %10s %9s%s%s%s", p->topic, p->partition,
                  offset_text(p->position, a, sizeof a), offset_text(p->end, b, sizeof b),
                  offset_text(p->lag, c, sizeof c), widget_num(age, d, sizeof d, WU_DURATION),
                  p->is_new ? "  new" : "", p->lost > 0 ? "  LOST " : "",
                  p->lost > 0 ? widget_num(p->lost, e, sizeof e, WU_COUNT) : "");
        if (p->error)
            lines_add(l, "    %s", p->error);
    }
    if (k->nparts > 50)
        lines_add(l, "  ... %zu more", k->nparts - 50);
    free(v);
}

static void detail_lines(const struct tui_model *m, const struct snap_stream *st, struct lines *l)
{
    size_t idx = (size_t)(st - m->frame.snap->streams);
    lines_add(l, "%s  %s", widget_health_tag(st->status, m->utf8), st->name);
    for (size_t i = 0; i < st->nlabels; i++)
        lines_add(l, "  label %s=%s", st->labels[i].key, st->labels[i].value);
    if (st->checkpoint)
        lines_add(l, "  checkpoint %s", st->checkpoint);
    if (st->source)
        lines_add(l, "  source     %s", st->source);
    if (st->query_id)
        lines_add(l, "  query id   %s", st->query_id);
    char tr[32];
    if (st->realtime_ms > 0)
        lines_add(l, "  trigger    real-time mode, %s (%s)",
                  fmt_duration(st->realtime_ms / 1000, tr, sizeof tr),
                  st->realtime_configured ? "configured" : "recognised from its batches");
    else if (st->trigger_ms > 0)
        lines_add(l, "  trigger    micro-batch, every %s",
                  fmt_duration((double)st->trigger_ms / 1000, tr, sizeof tr));
    for (size_t i = 0; i < st->errors.n; i++)
        lines_add(l, "  ERROR %s", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        lines_add(l, "  warning %s", st->warnings.v[i]);
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
    if (c->first_of[i] == 0)
        widget_attr(c->m, widget_health_pair(c->st->status), true);
    else if (text[0] != ' ' && text[0])
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
    size_t *first_of = NULL;
    lines_wrap(&l, cols, &first_of); /* an error or a path goes on under itself, never cut */
    size_t first = m->detail_scroll < l.n ? m->detail_scroll : (l.n ? l.n - 1 : 0);
    widget_rows(1, rows - 1, first, l.n, row, &(struct ctx){m, st, &l, first_of, cols});
    free(first_of);
    lines_free(&l);
}

static size_t length(const struct tui_model *m, int cols)
{
    const struct snap_stream *st = model_selected(m);
    if (!st)
        return 0;
    struct lines l = {0};
    detail_lines(m, st, &l);
    lines_wrap(&l, cols, NULL);
    size_t n = l.n;
    lines_free(&l);
    return n;
}

const struct view_ops view_detail_ops = {.draw = draw, .length = length, .chrome = 2};
