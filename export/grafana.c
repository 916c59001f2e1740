/* The Grafana dashboard, generated from the metric registry and the table of families so that
 * it cannot name a metric streamtop does not export. Every query takes `max by (stream)`: with
 * shards each stream has one series, and with two daemons watching the same streams for
 * redundancy their equal series fold into one. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/families.h"

#define PANEL_W 8 /* three panels per line of Grafana's 24 columns */
#define PANEL_H 8

const char *prom_group_key(enum metric_group group)
{
    static const char *const keys[MG__N] = {
        [MG_HEALTH] = "health",
        [MG_BATCHES] = "batches",
        [MG_THROUGHPUT] = "throughput",
        [MG_BACKLOG] = "backlog",
        [MG_FRESHNESS] = "freshness",
        [MG_LANDING] = "landing",
        [MG_DEADLETTER] = "deadletter",
        [MG_STATE] = "state",
        [MG_JOBS] = "jobs",
        [MG_DAEMON] = "daemon",
    };
    return (unsigned)group < MG__N ? keys[group] : "other";
}

struct layout {
    cJSON *panels;
    int id; /* the last panel id given */
    int x, y;
};

static cJSON *datasource(void)
{
    cJSON *ds = cJSON_CreateObject();
    cJSON_AddStringToObject(ds, "type", "prometheus");
    cJSON_AddStringToObject(ds, "uid", "${datasource}");
    return ds;
}

static void row(struct layout *l, const char *title)
{
    if (l->x > 0) {
        l->x = 0;
        l->y += PANEL_H;
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "id", ++l->id);
    cJSON_AddStringToObject(p, "type", "row");
    cJSON_AddStringToObject(p, "title", title);
    cJSON_AddBoolToObject(p, "collapsed", false);
    cJSON_AddItemToObject(p, "panels", cJSON_CreateArray());
    cJSON *pos = cJSON_AddObjectToObject(p, "gridPos");
    cJSON_AddNumberToObject(pos, "h", 1);
    cJSON_AddNumberToObject(pos, "w", 24);
    cJSON_AddNumberToObject(pos, "x", 0);
    cJSON_AddNumberToObject(pos, "y", l->y);
    cJSON_AddItemToArray(l->panels, p);
    l->y += 1;
}

/* A panel at the next free place, with one query; returns it for more settings. */
static cJSON *panel(struct layout *l, const char *type, const char *title, const char *help,
                    const char *expr, const char *legend, const char *unit)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "id", ++l->id);
    cJSON_AddStringToObject(p, "type", type);
    cJSON_AddStringToObject(p, "title", title);
    cJSON_AddStringToObject(p, "description", help);
    cJSON_AddItemToObject(p, "datasource", datasource());
    cJSON *pos = cJSON_AddObjectToObject(p, "gridPos");
    cJSON_AddNumberToObject(pos, "h", PANEL_H);
    cJSON_AddNumberToObject(pos, "w", PANEL_W);
    cJSON_AddNumberToObject(pos, "x", l->x);
    cJSON_AddNumberToObject(pos, "y", l->y);
    l->x += PANEL_W;
    if (l->x >= 24) {
        l->x = 0;
        l->y += PANEL_H;
    }
    cJSON *fc = cJSON_AddObjectToObject(p, "fieldConfig");
    cJSON *defaults = cJSON_AddObjectToObject(fc, "defaults");
    cJSON_AddStringToObject(defaults, "unit", unit);
    cJSON_AddItemToObject(fc, "overrides", cJSON_CreateArray());
    cJSON *targets = cJSON_AddArrayToObject(p, "targets");
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "refId", "A");
    cJSON_AddItemToObject(t, "datasource", datasource());
    cJSON_AddStringToObject(t, "expr", expr);
    cJSON_AddStringToObject(t, "legendFormat", legend);
    cJSON_AddItemToArray(targets, t);
    cJSON_AddItemToArray(l->panels, p);
    return p;
}

static const char *grafana_unit(enum metric_unit unit)
{
    switch (unit) {
    case UNIT_SECONDS:
        return "s";
    case UNIT_BYTES:
        return "bytes";
    default:
        return "short";
    }
}

/* One time series per stream of a registry metric. */
static void metric_panel(struct layout *l, int m)
{
    char expr[256];
    snprintf(expr, sizeof expr, "max by (stream) (streamtop_%s{stream=~\"$stream\"})",
             metric_defs[m].name);
    panel(l, "timeseries", metric_defs[m].name, metric_defs[m].help, expr, "{{stream}}",
          grafana_unit(metric_defs[m].unit));
}

static void mapping(cJSON *options, const char *value, const char *text, const char *color,
                    int index)
{
    cJSON *v = cJSON_CreateObject();
    cJSON *inner = cJSON_AddObjectToObject(v, "options");
    cJSON *m = cJSON_AddObjectToObject(inner, value);
    cJSON_AddStringToObject(m, "text", text);
    cJSON_AddStringToObject(m, "color", color);
    cJSON_AddNumberToObject(m, "index", index);
    cJSON_AddStringToObject(v, "type", "value");
    cJSON_AddItemToArray(options, v);
}

static void health_panels(struct layout *l)
{
    const struct prom_family *status = &prom_families[PF_STREAM_STATUS];
    char expr[256];
    row(l, metric_group_title(MG_HEALTH));
    snprintf(expr, sizeof expr, "max by (stream) (streamtop_%s{stream=~\"$stream\"})",
             status->name);
    cJSON *p =
        panel(l, "state-timeline", "Stream status", status->help, expr, "{{stream}}", "none");
    cJSON *defaults = cJSON_GetObjectItem(cJSON_GetObjectItem(p, "fieldConfig"), "defaults");
    cJSON *maps = cJSON_AddArrayToObject(defaults, "mappings");
    mapping(maps, "0", "ok", "green", 0);
    mapping(maps, "1", "warning", "yellow", 1);
    mapping(maps, "2", "critical", "red", 2);
    mapping(maps, "3", "unknown", "purple", 3);
    cJSON *color = cJSON_AddObjectToObject(defaults, "color");
    cJSON_AddStringToObject(color, "mode", "thresholds");

    /* the streams an alert holds above ok: what `check` would print */
    snprintf(expr, sizeof expr, "max by (stream) (streamtop_%s{stream=~\"$stream\"}) > 0",
             status->name);
    p = panel(l, "table", "Alerting streams",
              "Streams whose built-in or configured rules hold them above ok "
              "(1 warning, 2 critical, 3 unknown).",
              expr, "{{stream}}", "none");
    cJSON *t = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "targets"), 0);
    cJSON_AddBoolToObject(t, "instant", true);
    cJSON_AddStringToObject(t, "format", "table");

    const struct prom_family *ts = &prom_families[PF_EXPORT_TIMESTAMP];
    snprintf(expr, sizeof expr, "time() - max by (instance) (streamtop_%s)", ts->name);
    panel(l, "timeseries", "Data age",
          "Time since the pass the exposed values come from (a stuck exporter or a stale "
          "textfile shows here).",
          expr, "{{instance}}", "s");
}

static void daemon_panels(struct layout *l)
{
    char expr[256];
    row(l, metric_group_title(MG_DAEMON));
    const struct prom_family *d = &prom_families[PF_PASS_DURATION];
    snprintf(expr, sizeof expr, "max by (instance) (streamtop_%s)", d->name);
    panel(l, "timeseries", "Pass duration", d->help, expr, "{{instance}}", "s");
    d = &prom_families[PF_PASS_ERRORS];
    snprintf(expr, sizeof expr, "sum by (instance) (increase(streamtop_%s[$__rate_interval]))",
             d->name);
    panel(l, "timeseries", "Failed passes", d->help, expr, "{{instance}}", "short");
    d = &prom_families[PF_LAST_PASS_TIMESTAMP];
    snprintf(expr, sizeof expr, "time() - max by (instance) (streamtop_%s)", d->name);
    panel(l, "timeseries", "Time since the last pass", d->help, expr, "{{instance}}", "s");
}

static cJSON *variables(void)
{
    cJSON *list = cJSON_CreateArray();
    cJSON *ds = cJSON_CreateObject();
    cJSON_AddStringToObject(ds, "name", "datasource");
    cJSON_AddStringToObject(ds, "label", "Data source");
    cJSON_AddStringToObject(ds, "type", "datasource");
    cJSON_AddStringToObject(ds, "query", "prometheus");
    cJSON_AddNumberToObject(ds, "hide", 0);
    cJSON_AddItemToArray(list, ds);

    char q[128];
    snprintf(q, sizeof q, "label_values(streamtop_%s, stream)",
             prom_families[PF_STREAM_STATUS].name);
    cJSON *st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "name", "stream");
    cJSON_AddStringToObject(st, "label", "Stream");
    cJSON_AddStringToObject(st, "type", "query");
    cJSON_AddItemToObject(st, "datasource", datasource());
    cJSON_AddStringToObject(st, "definition", q);
    cJSON *query = cJSON_AddObjectToObject(st, "query");
    cJSON_AddStringToObject(query, "query", q);
    cJSON_AddStringToObject(query, "refId", "StandardVariableQuery");
    cJSON_AddBoolToObject(st, "multi", true);
    cJSON_AddBoolToObject(st, "includeAll", true);
    cJSON_AddStringToObject(st, "allValue", ".*");
    cJSON_AddNumberToObject(st, "refresh", 2); /* on time range change: new streams appear */
    cJSON_AddNumberToObject(st, "sort", 1);
    cJSON_AddNumberToObject(st, "hide", 0);
    cJSON_AddItemToArray(list, st);
    return list;
}

void prom_grafana_dashboard(struct buf *out)
{
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "title", "streamtop");
    cJSON_AddStringToObject(d, "uid", "streamtop");
    cJSON_AddStringToObject(d, "description",
                            "Streaming pipelines as streamtop sees them from storage. Generated "
                            "by `streamtop metrics --grafana` from the metric registry.");
    cJSON *tags = cJSON_AddArrayToObject(d, "tags");
    cJSON_AddItemToArray(tags, cJSON_CreateString("streamtop"));
    cJSON_AddItemToArray(tags, cJSON_CreateString("spark"));
    cJSON_AddBoolToObject(d, "editable", true);
    cJSON_AddNumberToObject(d, "schemaVersion", 38);
    cJSON_AddNumberToObject(d, "version", 1);
    cJSON_AddStringToObject(d, "refresh", "1m");
    cJSON *time = cJSON_AddObjectToObject(d, "time");
    cJSON_AddStringToObject(time, "from", "now-6h");
    cJSON_AddStringToObject(time, "to", "now");
    cJSON *templating = cJSON_AddObjectToObject(d, "templating");
    cJSON_AddItemToObject(templating, "list", variables());

    struct layout l = {cJSON_AddArrayToObject(d, "panels"), 0, 0, 0};
    health_panels(&l);
    for (int g = 0; g < MG__N; g++) {
        bool any = false;
        for (int m = 0; m < METRIC_COUNT && !any; m++)
            any = metric_defs[m].group == (enum metric_group)g;
        if (!any)
            continue;
        row(&l, metric_group_title((enum metric_group)g));
        for (int m = 0; m < METRIC_COUNT; m++)
            if (metric_defs[m].group == (enum metric_group)g)
                metric_panel(&l, m);
        if (g == MG_BACKLOG) {
            const struct prom_family *k = &prom_families[PF_KAFKA_PARTITION_LAG];
            char expr[256];
            snprintf(expr, sizeof expr,
                     "max by (stream, topic, partition) (streamtop_%s{stream=~\"$stream\"})",
                     k->name);
            panel(&l, "timeseries", k->name, k->help, expr, "{{stream}} {{topic}}/{{partition}}",
                  "short");
        }
    }
    daemon_panels(&l);

    char *text = cJSON_Print(d);
    if (!text)
        abort(); /* out of memory, as xmalloc does */
    buf_puts(out, text);
    buf_putc(out, '\n');
    cJSON_free(text);
    cJSON_Delete(d);
}
