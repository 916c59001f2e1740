/* Prometheus text exposition format (for node_exporter's textfile collector): one family per
 * registry metric with # HELP and # TYPE, a sample per stream where the value is measurable,
 * and streamtop_stream_status (0 ok, 1 warning, 2 critical, 3 unknown). */
#include <math.h>
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

static void labels(struct buf *out, const struct snap_stream *st)
{
    buf_puts(out, "{stream=\"");
    label_value(out, st->name);
    buf_putc(out, '"');
    for (size_t i = 0; i < st->nlabels; i++) {
        buf_printf(out, ",%s=\"", st->labels[i].key);
        label_value(out, st->labels[i].value);
        buf_putc(out, '"');
    }
    buf_putc(out, '}');
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
}

const struct exporter export_prom = {
    .name = "prom",
    .help = "Prometheus text format (node_exporter textfile collector)",
    .render = render_prom,
};
