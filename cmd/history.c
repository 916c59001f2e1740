/* history: print a stream's recorded series from the state DB, as CSV or as JSON in the shape
 * of the export (streams[], each with its name and, per metric, [time, value] points; a point
 * rolled up from older history is [bucket start, last, min, max], and CSV prints its last). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "store/store.h"

enum { OPT_METRIC = 1, OPT_SINCE, OPT_FORMAT };

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
    bool json = strcmp(format, "json") == 0;
    struct export_series *series = xcalloc(names.n ? names.n : 1, sizeof *series);
    struct trend_point **owned = xcalloc(names.n ? names.n : 1, sizeof *owned);
    if (rc == EXIT_OK && !json)
        printf("time,stream,metric,value\r\n");
    for (size_t i = 0; rc == EXIT_OK && i < names.n; i++) {
        struct store_point *s;
        size_t n;
        if (store_points(store, stream, names.v[i], now - since_ms, &s, &n, &err) < 0) {
            rc = app_fail("history: %s", err.msg);
            break;
        }
        owned[i] = xcalloc(n ? n : 1, sizeof **owned);
        for (size_t k = 0; k < n; k++)
            owned[i][k] =
                (struct trend_point){s[k].ts_ms, s[k].step_ms, s[k].last, s[k].min, s[k].max};
        series[i] = (struct export_series){names.v[i], owned[i], n};
        for (size_t k = 0; !json && k < n; k++) {
            char when[40], num[40];
            clock_iso8601(s[k].ts_ms, when, sizeof when);
            char *clean = sanitize_dup(stream, strlen(stream));
            bool quote = strpbrk(clean, ",\"") != NULL;
            printf("%s,%s%s%s,%s,%s\r\n", when, quote ? "\"" : "", clean, quote ? "\"" : "",
                   names.v[i], fmt_number(s[k].last, num, sizeof num));
            free(clean);
        }
        free(s);
    }
    if (rc == EXIT_OK && json) {
        struct buf out;
        buf_init(&out);
        export_history_doc(stream, series, names.n, now, &out);
        fwrite(buf_str(&out), 1, out.len, stdout);
        buf_done(&out);
    }
    for (size_t i = 0; i < names.n; i++)
        free(owned[i]);
    free(owned);
    free(series);
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
