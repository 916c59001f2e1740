/* CSV: one row per stream, RFC 4180 quoting, empty cells for metrics that are not measurable;
 * the labels last, as key=value pairs joined by ";" in the configured order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "export/export.h"

static void cell(struct buf *out, const char *s)
{
    char *clean = sanitize_dup(s, strlen(s));
    if (strpbrk(clean, ",\"\r\n")) {
        buf_putc(out, '"');
        for (const char *p = clean; *p; p++) {
            if (*p == '"')
                buf_putc(out, '"');
            buf_putc(out, *p);
        }
        buf_putc(out, '"');
    } else {
        buf_puts(out, clean);
    }
    free(clean);
}

static void render_csv(const struct snapshot *snap, struct buf *out)
{
    buf_puts(out, "stream,status,query_id");
    for (int m = 0; m < METRIC_COUNT; m++)
        buf_printf(out, ",%s", metric_defs[m].name);
    buf_puts(out, ",errors,labels\r\n");
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        cell(out, st->name);
        buf_printf(out, ",%s,", health_name(st->status));
        cell(out, st->query_id ? st->query_id : "");
        for (int m = 0; m < METRIC_COUNT; m++) {
            char num[40];
            buf_putc(out, ',');
            if (!isnan(st->metrics[m]))
                buf_puts(out, fmt_number(st->metrics[m], num, sizeof num));
        }
        buf_putc(out, ',');
        struct buf errs;
        buf_init(&errs);
        for (size_t e = 0; e < st->errors.n; e++)
            buf_printf(&errs, "%s%s", e ? "; " : "", st->errors.v[e]);
        cell(out, buf_str(&errs));
        buf_done(&errs);
        struct buf labels;
        buf_init(&labels);
        for (size_t l = 0; l < st->nlabels; l++)
            buf_printf(&labels, "%s%s=%s", l ? ";" : "", st->labels[l].key, st->labels[l].value);
        buf_putc(out, ',');
        cell(out, buf_str(&labels));
        buf_done(&labels);
        buf_puts(out, "\r\n");
    }
}

const struct exporter export_csv = {
    .name = "csv",
    .help = "one row per stream with a header (for spreadsheets)",
    .render = render_csv,
};
