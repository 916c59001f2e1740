/* watch: collect every refresh interval and print a plain-text table of the streams (what a
 * terminal, a pipe or a log sees; --iterations bounds it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "pass/pass.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/stop.h"

enum { OPT_ITERATIONS = 1 };

static void print_table(const struct snapshot *snap, int64_t refresh_ms)
{
    char when[40], a[24], b[24], c[24], d[24], e[24], f[24], g[24], h[24];
    size_t counts[4];
    snapshot_count(snap, counts);
    printf("streamtop %s  %zu streams: %zu ok, %zu warning, %zu critical, %zu unknown  "
           "(refresh %s)\n",
           clock_iso8601(snap->generated_ms, when, sizeof when), snap->nstreams, counts[HEALTH_OK],
           counts[HEALTH_WARNING], counts[HEALTH_CRITICAL], counts[HEALTH_UNKNOWN],
           fmt_duration((double)refresh_ms / 1000, a, sizeof a));
    printf("%-8s %-16s %7s %7s %8s %8s %8s %8s %8s %7s %5s %6s\n", "STATUS", "STREAM", "BATCH",
           "COMMIT", "C.AGE", "INFLIGHT", "DURATION", "BACKLOG", "B.AGE", "ROWS/S", "DLQ",
           "SCHEMA");
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        const double *m = st->metrics;
        char *name = sanitize_dup(st->name, strlen(st->name));
        double backlog = !isnan(m[M_BACKLOG_FILES]) ? m[M_BACKLOG_FILES] : m[M_BACKLOG_RECORDS];
        char bl[32]; /* a lower bound (an Auto Loader backlog counted on storage) reads ">=" */
        snprintf(bl, sizeof bl, "%s%s",
                 !isnan(m[M_BACKLOG_FILES]) &&
                         st->origin[M_BACKLOG_FILES] == ORIGIN_STORAGE_LOWER_BOUND
                     ? ">="
                     : "",
                 fmt_count(backlog, f, sizeof f));
        char schema[24] = "-";
        if (!isnan(m[M_SCHEMA_VERSION]))
            snprintf(schema, sizeof schema, "v%.0f%s", m[M_SCHEMA_VERSION],
                     st->schema.changes.n || st->sink_schema.changes.n ? "*" : "");
        printf("%-8s %-16.16s %7s %7s %8s %8s %8s %8s %8s %7s %5s %6s\n", health_name(st->status),
               name, fmt_count(m[M_LAST_BATCH_ID], a, sizeof a),
               fmt_count(m[M_COMMITTED_BATCH_ID], b, sizeof b),
               fmt_duration(m[M_COMMIT_AGE_SECONDS], c, sizeof c),
               fmt_duration(m[M_INFLIGHT_SECONDS], d, sizeof d),
               fmt_duration(m[M_BATCH_DURATION_SECONDS], e, sizeof e), bl,
               fmt_duration(m[M_BACKLOG_AGE_SECONDS], g, sizeof g),
               fmt_count(m[M_PROCESSED_ROWS_PER_SECOND], h, sizeof h),
               fmt_count(m[M_DEADLETTER_FILES], when, sizeof when), schema);
        free(name);
        for (size_t k = 0; k < st->errors.n; k++) {
            char *msg = sanitize_dup(st->errors.v[k], strlen(st->errors.v[k]));
            printf("         error: %s\n", msg);
            free(msg);
        }
    }
    fflush(stdout);
}

static const struct opt_spec watch_opts[] = {{"iterations", 'n', true, OPT_ITERATIONS},
                                             {NULL, 0, false, 0}};

static int watch_exec(struct app *app, const struct cmd_args *a)
{
    int64_t iterations = 0;
    struct st_err err;
    const char *val = a->opt[OPT_ITERATIONS];
    if (val && (parse_int64(val, &iterations) < 0 || iterations < 0))
        return app_fail("watch: --iterations takes a whole number, not '%s'", val);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    /* SIGINT/SIGTERM end even a pass stuck on the network (net/ looks at the flag) */
    stop_on_signals();
    struct pass *p = pass_new(app->cfg, false, &err);
    for (int64_t n = 0; !stop_requested() && (iterations == 0 || n < iterations); n++) {
        if (n > 0) {
            /* sleep in short steps so Ctrl-C is prompt */
            for (int64_t slept = 0; slept < app->cfg->refresh_ms && !stop_requested();
                 slept += 100) {
                struct timespec ts = {0, 100 * 1000000L};
                nanosleep(&ts, NULL);
            }
            if (stop_requested())
                break;
            printf("\n");
        }
        int64_t t0 = clock_mono_ms();
        struct snapshot *snap;
        struct pass_report rep;
        /* the rules evaluated read-only: the same status as `check` */
        if (pass_run(p, PASS_EVALUATE, &snap, &rep, &err) < 0)
            log_warn("alert rules not evaluated: %s", err.msg);
        pass_report_done(&rep);
        log_info("pass %lld: %zu streams collected in %lld ms", (long long)n + 1, snap->nstreams,
                 (long long)(clock_mono_ms() - t0));
        if (!rep.stopped) /* a pass cut short is not shown */
            print_table(snap, app->cfg->refresh_ms);
        snapshot_free(snap);
    }
    pass_free(p);
    return EXIT_OK;
}

const struct cmd_entry cmd_watch = {
    .name = "watch",
    .usage = "[-n ITERATIONS] [PATH | --checkpoint PATH [--name N] [--source P]]...",
    .help = "watch the streams (a plain table refreshed every interval)",
    .opts = watch_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = watch_exec,
};
