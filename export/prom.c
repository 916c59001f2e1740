/* Prometheus text exposition format (for node_exporter's textfile collector): one family per
 * registry metric with # HELP and # TYPE, a sample per stream where the value is measurable,
 * streamtop_stream_status (0 ok, 1 warning, 2 critical, 3 unknown), the Unix time behind each
 * age (so an alert can use time() - timestamp and a stale file cannot freeze an age),
 * streamtop_stream_info, streamtop_build_info and streamtop_export_timestamp_seconds. Every
 * family is a gauge: no exported value only ever grows (batch ids restart with a new
 * checkpoint, dead-letter files are cleaned), so none is a counter named _total. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/version.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "export/families.h"

static void label_value(struct buf *out, const char *s)
{
    char *clean = sanitize_dup(s, strlen(s));
    for (const char *p = clean; *p; p++) {
        if (*p == '\n') {
            buf_puts(out, "\\n");
            continue;
        }
        if (*p == '\\' || *p == '"')
            buf_putc(out, '\\');
        buf_putc(out, *p);
    }
    free(clean);
}

/* The stream's labels, without the closing brace. */
static void labels_open(struct buf *out, const struct snap_stream *st)
{
    buf_puts(out, "{stream=\"");
    label_value(out, st->name);
    buf_putc(out, '"');
    for (size_t i = 0; i < st->nlabels; i++) {
        buf_printf(out, ",%s=\"", st->labels[i].key);
        label_value(out, st->labels[i].value);
        buf_putc(out, '"');
    }
}

static void labels(struct buf *out, const struct snap_stream *st)
{
    labels_open(out, st);
    buf_putc(out, '}');
}

/* A stream's configured label named like one of ours would make a duplicate label. */
static bool has_label(const struct snap_stream *st, const char *key)
{
    for (size_t i = 0; i < st->nlabels; i++)
        if (strcmp(st->labels[i].key, key) == 0)
            return true;
    return false;
}

/* The header of a family of the table. */
static void family(struct buf *out, enum prom_family_id id)
{
    const struct prom_family *f = &prom_families[id];
    prom_family_header(out, f->name, f->type, f->help);
}

/* streamtop_source_position{stream,source,kind}: each source by its name (offset log v2) or its
 * position. */
static void render_sources(const struct snapshot *snap, struct buf *out)
{
    bool any = false;
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        if (has_label(st, "source") || has_label(st, "kind"))
            continue;
        for (size_t k = 0; k < st->nsources; k++) {
            const struct snap_source *src = &st->sources[k];
            if (isnan(src->position))
                continue;
            if (!any)
                family(out, PF_SOURCE_POSITION);
            any = true;
            char idx[24], num[40];
            snprintf(idx, sizeof idx, "%d", src->index);
            buf_puts(out, "streamtop_source_position");
            labels_open(out, st);
            buf_puts(out, ",source=\"");
            label_value(out, src->id ? src->id : idx);
            buf_printf(out, "\",kind=\"%s\"} %s\n", source_kind_name(src->kind),
                       fmt_number(src->position, num, sizeof num));
        }
    }
}

/* The time behind an age metric: an age is measured against the pass's clock
 * (snapshot.generated_ms), so the time it counts from is that clock minus the age. */
struct stamp_def {
    int metric; /* the age */
    enum prom_family_id family;
};

static const struct stamp_def stamp_defs[] = {
    {M_COMMIT_AGE_SECONDS, PF_LAST_COMMIT_TIMESTAMP},
    {M_INFLIGHT_SECONDS, PF_LAST_BATCH_START_TIMESTAMP},
    {M_WATERMARK_LAG_SECONDS, PF_WATERMARK_TIMESTAMP},
    {M_BACKLOG_AGE_SECONDS, PF_BACKLOG_OLDEST_TIMESTAMP},
    {M_SCHEMA_AGE_SECONDS, PF_SCHEMA_CHANGE_TIMESTAMP},
    {M_DEADLETTER_NEWEST_AGE_SECONDS, PF_DEADLETTER_NEWEST_TIMESTAMP},
    {M_SINK_COMMIT_AGE_SECONDS, PF_SINK_COMMIT_TIMESTAMP},
    {M_LANDING_NEWEST_AGE_SECONDS, PF_LANDING_NEWEST_TIMESTAMP},
};

/* The Unix time behind stamp_defs[k] for a stream, or NaN. */
static double stamp_value(const struct snapshot *snap, const struct snap_stream *st, int m)
{
    double age = st->metrics[m];
    if (m == M_INFLIGHT_SECONDS) {
        /* 0 means nothing is in flight: the newest batch's own start time */
        if (st->nbatches == 0 || st->batches[st->nbatches - 1].start_ms < 0)
            return NAN;
        return (double)st->batches[st->nbatches - 1].start_ms / 1000;
    }
    if (isnan(age) || isinf(age))
        return NAN;
    if (m == M_BACKLOG_AGE_SECONDS &&
        (st->metrics[M_BACKLOG_FILES] == 0 ||
         (isnan(st->metrics[M_BACKLOG_FILES]) && st->metrics[M_BACKLOG_RECORDS] == 0)))
        return NAN; /* nothing waits: there is no oldest input */
    if (m == M_COMMIT_AGE_SECONDS)
        for (size_t i = st->nbatches; i-- > 0;)
            if ((double)st->batches[i].id == st->metrics[M_COMMITTED_BATCH_ID] &&
                st->batches[i].commit_ms >= 0)
                return (double)st->batches[i].commit_ms / 1000;
    return (double)snap->generated_ms / 1000 - age;
}

/* A Unix time to the millisecond (fmt_number's 10 digits would cut it to the second). */
static char *fmt_stamp(double v, char *out, size_t outlen)
{
    snprintf(out, outlen, "%.3f", v);
    char *end = out + strlen(out);
    while (end[-1] == '0')
        *--end = '\0';
    if (end[-1] == '.')
        *--end = '\0';
    return out;
}

static void render_stamps(const struct snapshot *snap, struct buf *out)
{
    for (size_t k = 0; k < sizeof stamp_defs / sizeof stamp_defs[0]; k++) {
        bool any = false;
        for (size_t i = 0; i < snap->nstreams; i++) {
            double v = stamp_value(snap, &snap->streams[i], stamp_defs[k].metric);
            if (isnan(v))
                continue;
            if (!any)
                family(out, stamp_defs[k].family);
            any = true;
            char num[40];
            buf_printf(out, "streamtop_%s", prom_families[stamp_defs[k].family].name);
            labels(out, &snap->streams[i]);
            buf_printf(out, " %s\n", fmt_stamp(v, num, sizeof num));
        }
    }
}

/* streamtop_stream_info{stream,...,query_id,checkpoint,source,trigger_mode} 1: the stream's
 * identity to join on; a configured label of the same name wins over ours. */
static void render_info(const struct snapshot *snap, struct buf *out)
{
    family(out, PF_STREAM_INFO);
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        buf_puts(out, "streamtop_stream_info");
        labels_open(out, st);
        const char *keys[] = {"query_id", "checkpoint", "source", "trigger_mode"};
        const char *vals[] = {st->query_id, st->checkpoint, st->source,
                              st->realtime_ms > 0 ? "realtime" : "microbatch"};
        for (size_t k = 0; k < 4; k++) {
            if (has_label(st, keys[k]))
                continue;
            buf_printf(out, ",%s=\"", keys[k]);
            label_value(out, vals[k] ? vals[k] : "");
            buf_putc(out, '"');
        }
        buf_puts(out, "} 1\n");
    }
}

/* Kafka partitions, per family at most snap->kafka_max_series of them: the most lagging
 * first, so a bound cuts the least interesting; streamtop_kafka_partition_series_omitted says
 * how many were left out. */
struct kseries {
    const struct snap_stream *st;
    const struct snap_kpart *kp;
};

static int cmp_kseries(const void *a, const void *b)
{
    const struct kseries *x = a, *y = b;
    double lx = isnan(x->kp->lag) ? -1 : x->kp->lag, ly = isnan(y->kp->lag) ? -1 : y->kp->lag;
    if (lx != ly)
        return lx < ly ? 1 : -1;
    int c = strcmp(x->st->name, y->st->name);
    if (c)
        return c;
    c = strcmp(x->kp->topic, y->kp->topic);
    return c ? c : (x->kp->partition > y->kp->partition) - (x->kp->partition < y->kp->partition);
}

static double kpart_value(const struct snap_kpart *kp, int which)
{
    switch (which) {
    case 0:
        return kp->lag;
    case 1:
        return kp->planned_lag;
    case 2:
        return kp->end;
    case 3:
        return kp->position;
    case 4:
        return kp->lost;
    default:
        return kp->oldest_ms >= 0 ? (double)kp->oldest_ms / 1000 : NAN;
    }
}

static void render_kafka(const struct snapshot *snap, struct buf *out)
{
    size_t n = 0, cap = 0, total = 0;
    struct kseries *v = NULL;
    bool any_stream = false;
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        if (!st->kafka.bootstrap)
            continue;
        any_stream = true;
        total += st->kafka.nparts;
        if (has_label(st, "topic") || has_label(st, "partition"))
            continue;
        for (size_t k = 0; k < st->kafka.nparts; k++) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                v = xrealloc(v, cap * sizeof *v);
            }
            v[n++] = (struct kseries){st, &st->kafka.parts[k]};
        }
    }
    if (!any_stream)
        return;
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_kseries);
    size_t shown = n < snap->kafka_max_series ? n : snap->kafka_max_series;
    for (int f = 0; f < 6; f++) {
        bool any = false;
        for (size_t i = 0; i < shown; i++) {
            double x = kpart_value(v[i].kp, f);
            if (isnan(x))
                continue;
            if (!any)
                family(out, (enum prom_family_id)(PF_KAFKA_PARTITION_LAG + f));
            any = true;
            char num[40];
            buf_printf(out, "streamtop_%s", prom_families[PF_KAFKA_PARTITION_LAG + f].name);
            labels_open(out, v[i].st);
            buf_puts(out, ",topic=\"");
            label_value(out, v[i].kp->topic);
            buf_printf(out, "\",partition=\"%d\"} %s\n", v[i].kp->partition,
                       f == 5 ? fmt_stamp(x, num, sizeof num) : fmt_number(x, num, sizeof num));
        }
    }
    family(out, PF_KAFKA_PARTITION_SERIES_OMITTED);
    buf_printf(out, "streamtop_kafka_partition_series_omitted %zu\n", total - shown);
    free(v);
}

static void render_prom(const struct snapshot *snap, struct buf *out)
{
    char now[40];
    family(out, PF_BUILD_INFO);
    buf_puts(out, "streamtop_build_info{version=\"");
    label_value(out, STREAMTOP_VERSION);
    buf_puts(out, "\"} 1\n");
    family(out, PF_EXPORT_TIMESTAMP);
    buf_printf(out, "streamtop_export_timestamp_seconds %s\n",
               fmt_stamp((double)snap->generated_ms / 1000, now, sizeof now));
    render_info(snap, out);
    family(out, PF_STREAM_STATUS);
    for (size_t i = 0; i < snap->nstreams; i++) {
        buf_puts(out, "streamtop_stream_status");
        labels(out, &snap->streams[i]);
        buf_printf(out, " %d\n", (int)snap->streams[i].status);
    }
    for (int m = 0; m < METRIC_COUNT; m++) {
        bool any = false;
        for (size_t i = 0; i < snap->nstreams && !any; i++)
            any = !isnan(snap->streams[i].metrics[m]);
        if (!any)
            continue;
        prom_family_header(out, metric_defs[m].name, "gauge", metric_defs[m].help);
        for (size_t i = 0; i < snap->nstreams; i++) {
            double v = snap->streams[i].metrics[m];
            if (isnan(v))
                continue;
            char num[40];
            buf_printf(out, "streamtop_%s", metric_defs[m].name);
            labels(out, &snap->streams[i]);
            buf_printf(out, " %s\n", fmt_number(v, num, sizeof num));
        }
    }
    render_stamps(snap, out);
    render_sources(snap, out);
    render_kafka(snap, out);
}

const struct exporter export_prom = {
    .name = "prom",
    .help = "Prometheus text format (node_exporter textfile collector)",
    .render = render_prom,
};
