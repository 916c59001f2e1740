/* metrics: list every Prometheus family streamtop exposes (the registry's per-stream metrics
 * and the exporter's own families, with the daemon's), one per line, or print the Grafana
 * dashboard generated from the same tables. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/metrics.h"
#include "export/export.h"
#include "export/families.h"

enum { OPT_GRAFANA = 1, OPT_OUTPUT };

static const struct opt_spec metrics_opts[] = {
    {"grafana", 0, false, OPT_GRAFANA}, {"output", 'o', true, OPT_OUTPUT}, {NULL, 0, false, 0}};

/* NAME TYPE UNIT GROUP SCOPE LABELS HELP, tab-separated (help last: it has spaces). */
static void line(struct buf *out, const char *name, const char *type, enum metric_unit unit,
                 enum metric_group group, bool serve_only, const char *labels, const char *help)
{
    buf_printf(out, "streamtop_%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, type, metric_unit_name(unit),
               prom_group_key(group), serve_only ? "serve" : "all", *labels ? labels : "-", help);
}

static int metrics_exec(struct app *app, const struct cmd_args *a)
{
    (void)app;
    if (a->nwords > 0)
        return app_fail("metrics: unexpected argument '%s' (see streamtop metrics --help)",
                        a->words[0]);
    struct buf out;
    buf_init(&out);
    if (a->opt[OPT_GRAFANA]) {
        prom_grafana_dashboard(&out);
    } else {
        for (int i = 0; i < PF__N; i++) {
            const struct prom_family *f = &prom_families[i];
            if (f->group == MG_HEALTH)
                line(&out, f->name, f->type, f->unit, f->group, f->serve_only, f->labels, f->help);
        }
        for (int m = 0; m < METRIC_COUNT; m++)
            line(&out, metric_defs[m].name, "gauge", metric_defs[m].unit, metric_defs[m].group,
                 false, "stream", metric_defs[m].help);
        for (int i = 0; i < PF__N; i++) {
            const struct prom_family *f = &prom_families[i];
            if (f->group != MG_HEALTH)
                line(&out, f->name, f->type, f->unit, f->group, f->serve_only, f->labels, f->help);
        }
    }
    int rc = EXIT_OK;
    struct st_err err;
    if (a->opt[OPT_OUTPUT]) {
        if (export_write_atomic(a->opt[OPT_OUTPUT], buf_str(&out), out.len, &err) < 0)
            rc = app_fail("metrics: %s", err.msg);
    } else if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        rc = app_fail("metrics: writing to stdout failed");
    }
    buf_done(&out);
    return rc;
}

const struct cmd_entry cmd_metrics = {
    .name = "metrics",
    .usage = "[--grafana] [-o FILE]",
    .help = "list the exported metrics, or print the Grafana dashboard",
    .opts = metrics_opts,
    .exec = metrics_exec,
};
