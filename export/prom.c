/* Prometheus text exposition format (for node_exporter's textfile collector): one family per
 * registry metric with # HELP and # TYPE, a sample per stream where the value is measurable,
 * and streamtop_stream_status (0 ok, 1 warning, 2 critical, 3 unknown). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "export/export.h"

static void label_value(struct buf *out, const char *s)
{
    char *clean = sanitize_dup(s, strlen(s));
    for (const char *p = clean; *p; p++) {
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

static void family(struct buf *out, const char *name, const char *help);

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
                family(out, "source_position",
                       "Position of a source in the newest offsets/N: logOffset, "
                       "reservoirVersion, seqNum, the number, or the sum of Kafka offsets.");
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

static void family(struct buf *out, const char *name, const char *help)
{
    buf_printf(out, "# HELP streamtop_%s ", name);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            buf_puts(out, "\\\\");
        else if (*p == '\n')
            buf_puts(out, "\\n");
        else
            buf_putc(out, *p);
    }
    buf_printf(out, "\n# TYPE streamtop_%s gauge\n", name);
}

static void render_prom(const struct snapshot *snap, struct buf *out)
{
    family(out, "stream_status", "Stream health: 0 ok, 1 warning, 2 critical, 3 unknown.");
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
        family(out, metric_defs[m].name, metric_defs[m].help);
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
    render_sources(snap, out);
}

const struct exporter export_prom = {
    .name = "prom",
    .help = "Prometheus text format (node_exporter textfile collector)",
    .render = render_prom,
};
