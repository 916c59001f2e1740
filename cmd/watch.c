/* watch: collect every refresh interval and print a plain-text table of the streams (what a
 * terminal, a pipe or a log sees; --iterations bounds it), in the dashboard's columns. */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "pass/pass.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "tui/columns.h"
#include "tui/format.h"

enum { OPT_ITERATIONS = 1, OPT_REMOTE, OPT_REMOTE_AUTH };

/* The width to fit: the terminal's when stdout is one, else no limit (every column). */
static int table_width(void)
{
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return INT_MAX / 2;
}

/* text in w columns, right- or left-aligned (padded by columns, not bytes: names may be UTF-8);
 * the last cell of a line is not padded on the right. */
static void put_cell(const char *text, int w, bool right, bool last)
{
    int pad = w - tui_text_cols(text);
    if (pad < 0)
        pad = 0;
    if (right)
        printf("%*s%s", pad, "", text);
    else
        printf("%s%*s", text, last ? 0 : pad, "");
}

/* The dashboard's columns (tui/columns.h: the same titles, units and order; the sparkline
 * left out, status as a word), every stream's name whole: the name column is as wide as the
 * longest, so no two names are ever cut to the same text. On a terminal, columns of low
 * priority drop to fit its width, as on the dashboard. */
static void print_table(const struct snapshot *snap, int64_t refresh_ms)
{
    char when[40], every[24], line[300];
    size_t counts[4];
    snapshot_count(snap, counts);
    int width = table_width();
    /* the dashboard's header in words of its own: the time (UTC, to the second), the streams
     * by status, then the interval when it fits */
    clock_iso8601(snap->generated_ms / 1000 * 1000, when, sizeof when);
    int len =
        snprintf(line, sizeof line, "streamtop %s  %zu streams: %zu ok %zu warn %zu crit %zu unkn",
                 when, snap->nstreams, counts[HEALTH_OK], counts[HEALTH_WARNING],
                 counts[HEALTH_CRITICAL], counts[HEALTH_UNKNOWN]);
    fmt_duration((double)refresh_ms / 1000, every, sizeof every);
    if (len + 8 + (int)strlen(every) <= width)
        printf("%s  every %s\n", line, every);
    else
        printf("%s\n", line);
    bool on[COL__N];
    for (int c = 0; c < COL__N; c++)
        on[c] = c != COL_TREND;
    int name_w = (int)strlen(tui_columns[COL_NAME].title);
    for (size_t i = 0; i < snap->nstreams; i++) {
        char *name = sanitize_dup(snap->streams[i].name, strlen(snap->streams[i].name));
        if (tui_text_cols(name) > name_w)
            name_w = tui_text_cols(name);
        free(name);
    }
    struct col_slot slots[COL__N];
    size_t n = columns_layout(on, width, name_w, name_w, slots);
    /* the status is a word here ("critical"), one column wider than the dashboard's tag */
    for (size_t k = 0; k < n; k++)
        if (slots[k].col == COL_STATUS && slots[k].w < 8)
            slots[k].w = 8;
    for (size_t k = 0; k < n; k++) {
        printf("%s", k ? " " : "");
        put_cell(tui_columns[slots[k].col].title, slots[k].w, columns_right(slots[k].col),
                 k + 1 == n);
    }
    printf("\n");
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        for (size_t k = 0; k < n; k++) {
            char cell[1024];
            columns_cell(st, slots[k].col, false, true, cell, sizeof cell);
            printf("%s", k ? " " : "");
            put_cell(cell, slots[k].w, columns_right(slots[k].col), k + 1 == n);
        }
        printf("\n");
        for (size_t k = 0; k < st->errors.n; k++) {
            char *msg = sanitize_dup(st->errors.v[k], strlen(st->errors.v[k]));
            printf("         error: %s\n", msg);
            free(msg);
        }
    }
    fflush(stdout);
}

static const struct opt_spec watch_opts[] = {{"iterations", 'n', true, OPT_ITERATIONS},
                                             {"remote", 0, true, OPT_REMOTE},
                                             {"remote-auth-file", 0, true, OPT_REMOTE_AUTH},
                                             {NULL, 0, false, 0}};

static int watch_exec(struct app *app, const struct cmd_args *a)
{
    int64_t iterations = 0;
    struct st_err err;
    const char *val = a->opt[OPT_ITERATIONS];
    if (val && (parse_int64(val, &iterations) < 0 || iterations < 0))
        return app_fail("watch: --iterations takes a whole number, not '%s'", val);
    const char *remote = a->opt[OPT_REMOTE];
    struct app_remote ar = {0};
    if (!remote && a->opt[OPT_REMOTE_AUTH])
        return app_fail("watch: --remote-auth-file goes with --remote URL");
    if (remote) {
        if (app_remote(app, remote, a->opt[OPT_REMOTE_AUTH], &ar, &err) < 0) {
            app_remote_done(&ar);
            return app_fail("%s", err.msg);
        }
    } else {
        if (app_config(app, &err) < 0)
            return app_fail("%s", err.msg);
        app_warn_unusable_webhooks(app); /* once, not every refresh */
    }
    /* SIGINT/SIGTERM end even a pass stuck on the network (net/ looks at the flag) */
    stop_on_signals();
    struct pass *p = remote ? pass_new_remote(&ar.r) : pass_new(app->cfg, false, &err);
    bool stale = false;
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
        /* remote: a daemon that did not answer prints its error (logged), not an old table */
        stale = rep.stale;
        log_info("pass %lld: %zu streams collected in %lld ms", (long long)n + 1, snap->nstreams,
                 (long long)(clock_mono_ms() - t0));
        if (!rep.stopped && !rep.stale) /* a pass cut short is not shown */
            print_table(snap, app->cfg->refresh_ms);
        snapshot_free(snap);
    }
    pass_free(p);
    app_remote_done(&ar);
    return stale ? EXIT_UNKNOWN : EXIT_OK;
}

const struct cmd_entry cmd_watch = {
    .name = "watch",
    .usage = "[-n ITERATIONS] [PATH | --checkpoint PATH [--name N] [--source P]]... | "
             "--remote URL [--remote-auth-file FILE]",
    .help = "watch the streams (a plain table refreshed every interval)",
    .opts = watch_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = watch_exec,
};
