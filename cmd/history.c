/* history: print a stream's recorded series from the state DB, as CSV or as JSON in the shape
 * of the export (streams[], each with its name and, per metric, [time, value] points; a point
 * rolled up from older history is [bucket start, last, min, max], and CSV prints its last). */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "export/export.h"
#include "store/store.h"

enum { OPT_METRIC = 1, OPT_SINCE, OPT_FORMAT };

/* A number, or null when it is none (JSON has no infinity); the metric's null_reasons entry
 * says why: a recorded value is never NaN, so a null is an infinity (a backlog that did not
 * shrink). */
static void json_value(cJSON *arr, double v, cJSON *reasons, const char *metric)
{
    if (isfinite(v)) {
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v));
        return;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateNull());
    const char *why = isnan(v) ? "not_measurable" : v > 0 ? "infinite" : "negative_infinite";
    if (reasons && !cJSON_GetObjectItemCaseSensitive(reasons, metric))
        cJSON_AddStringToObject(reasons, metric, why);
}

static const struct opt_spec history_opts[] = {{"metric", 'm', true, OPT_METRIC},
                                               {"since", 0, true, OPT_SINCE},
                                               {"format", 'f', true, OPT_FORMAT},
                                               {NULL, 0, false, 0}};

static int history_exec(struct app *app, const struct cmd_args *a)
{
    const char *stream = a->words[0], *metric = a->opt[OPT_METRIC];
    const char *format = a->opt[OPT_FORMAT] ? a->opt[OPT_FORMAT] : "csv";
    int64_t since_ms = 6 * 3600 * 1000LL;
    struct st_err err;
    const char *val = a->opt[OPT_SINCE];
    if (val && parse_duration_ms(val, &since_ms) < 0)
        return app_fail("history: --since takes a duration (30m, 6h, 7d), not '%s'", val);
    if (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0)
        return app_fail("history: unknown format '%s' (csv, json)", format);
    if (metric && metric_find(metric) < 0)
        return app_fail("history: unknown metric '%s' (see streamtop(1), METRICS)", metric);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    app_warn_unusable_webhooks(app);
    struct store *store = store_open(app->cfg->database, &err);
    if (!store)
        return app_fail("history: %s", err.msg);
    struct strvec names;
    strvec_init(&names);
    int rc = EXIT_OK;
    int64_t now = clock_now_ms();
    bool known = true;
    if (metric)
        strvec_push(&names, metric);
    else if (store_metric_names(store, stream, now - since_ms, &names, &known, &err) < 0)
        rc = app_fail("history: %s", err.msg);
    if (rc == EXIT_OK && !known) {
        char *clean = sanitize_dup(stream, strlen(stream));
        rc = app_fail("history: nothing recorded for stream '%s' in %s", clean, app->cfg->database);
        free(clean);
    }
    cJSON *root = NULL, *series = NULL, *reasons = NULL;
    if (rc == EXIT_OK && strcmp(format, "json") == 0) {
        char when[40];
        root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "format_version", EXPORT_JSON_FORMAT_VERSION);
        cJSON_AddStringToObject(root, "generated_at", clock_iso8601(now, when, sizeof when));
        cJSON_AddStringToObject(root, "version", STREAMTOP_VERSION);
        cJSON *st = cJSON_CreateObject();
        cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "streams"), st);
        cJSON_AddStringToObject(st, "name", stream);
        series = cJSON_AddObjectToObject(st, "history");
        reasons = cJSON_AddObjectToObject(st, "null_reasons");
    } else if (rc == EXIT_OK) {
        printf("time,stream,metric,value\r\n");
    }
    for (size_t i = 0; rc == EXIT_OK && i < names.n; i++) {
        struct store_point *s;
        size_t n;
        if (store_points(store, stream, names.v[i], now - since_ms, &s, &n, &err) < 0) {
            rc = app_fail("history: %s", err.msg);
            break;
        }
        cJSON *points = series ? cJSON_AddArrayToObject(series, names.v[i]) : NULL;
        for (size_t k = 0; k < n; k++) {
            char when[40], num[40];
            clock_iso8601(s[k].ts_ms, when, sizeof when);
            if (points) {
                cJSON *pt = cJSON_CreateArray();
                cJSON_AddItemToArray(pt, cJSON_CreateString(when));
                json_value(pt, s[k].last, reasons, names.v[i]);
                if (s[k].step_ms > 0) { /* a rollup: its value is the last, then min and max */
                    json_value(pt, s[k].min, reasons, names.v[i]);
                    json_value(pt, s[k].max, reasons, names.v[i]);
                }
                cJSON_AddItemToArray(points, pt);
            } else {
                char *clean = sanitize_dup(stream, strlen(stream));
                bool quote = strpbrk(clean, ",\"") != NULL;
                printf("%s,%s%s%s,%s,%s\r\n", when, quote ? "\"" : "", clean, quote ? "\"" : "",
                       names.v[i], fmt_number(s[k].last, num, sizeof num));
                free(clean);
            }
        }
        free(s);
    }
    if (root) {
        if (rc == EXIT_OK) {
            char *text = cJSON_Print(root);
            if (text) {
                printf("%s\n", text);
                cJSON_free(text);
            }
        }
        cJSON_Delete(root);
    }
    strvec_done(&names);
    store_close(store);
    return rc;
}

const struct cmd_entry cmd_history = {
    .name = "history",
    .usage = "STREAM [--metric M] [--since 6h] [-f csv|json]",
    .help = "print a stream's recorded metrics from the state database",
    .opts = history_opts,
    .flags = CMD_STREAMS,
    .min_words = 1,
    .max_words = 1,
    .exec = history_exec,
};
