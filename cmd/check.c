/* check: the headless mode for cron or a systemd timer. One pass (collect, record history,
 * evaluate the rules with the state of earlier runs, deliver notifications), then one summary
 * line starting OK / WARNING / CRITICAL / UNKNOWN with performance data after '|', and one line
 * per stream that is not OK. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (also for a config or
 * state DB problem, so cron mails it, and when SIGINT/SIGTERM stopped it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "export/export.h"
#include "pass/pass.h"

enum { OPT_QUIET = 1, OPT_NO_NOTIFY, OPT_FORMAT };

static const char *word(enum health h)
{
    static const char *const w[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    return w[h];
}

static int exit_of(enum health h)
{
    return h == HEALTH_CRITICAL  ? EXIT_CRITICAL
           : h == HEALTH_UNKNOWN ? EXIT_UNKNOWN
           : h == HEALTH_WARNING ? EXIT_WARNING
                                 : EXIT_OK;
}

static void print_clean(const char *s)
{
    char *c = sanitize_dup(s, strlen(s));
    fputs(c, stdout);
    free(c);
}

static void stream_line(const struct snap_stream *st)
{
    printf("%s ", word(st->status));
    print_clean(st->name);
    printf(":");
    int shown = 0;
    for (size_t i = 0; i < st->nalerts; i++) {
        const struct snap_alert *a = &st->alerts[i];
        if (!a->firing)
            continue;
        char num[32];
        printf("%s ", shown++ ? ";" : "");
        print_clean(a->rule);
        printf(" %s", health_name(a->level));
        if (!isnan(a->value))
            printf(" value=%s", fmt_number(a->value, num, sizeof num));
        if (*a->threshold) {
            printf(" (");
            print_clean(a->threshold);
            printf(")");
        }
        if (a->silenced)
            printf(" [silenced]");
    }
    printf("\n");
}

static bool silenced_firing(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->nalerts; i++)
        if (st->alerts[i].firing && st->alerts[i].silenced)
            return true;
    return false;
}

static const struct opt_spec check_opts[] = {{"quiet", 'q', false, OPT_QUIET},
                                             {"no-notify", 0, false, OPT_NO_NOTIFY},
                                             {"format", 'f', true, OPT_FORMAT},
                                             {NULL, 0, false, 0}};

static int check_exec(struct app *app, const struct cmd_args *a)
{
    const char *format = a->opt[OPT_FORMAT] ? a->opt[OPT_FORMAT] : "text";
    bool quiet = a->opt[OPT_QUIET] != NULL, notify = a->opt[OPT_NO_NOTIFY] == NULL;
    struct st_err err;
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return app_fail("check: unknown format '%s' (text, json)", format);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    /* SIGINT/SIGTERM end the pass at once, even one stuck on the network */
    stop_on_signals();
    struct pass *p = pass_new(app->cfg, true, &err);
    if (!p)
        return app_fail("check: state DB: %s", err.msg);
    struct snapshot *snap;
    struct pass_report rep;
    int rc = pass_run(p, PASS_EVALUATE | (notify ? PASS_NOTIFY : 0), &snap, &rep, &err);
    pass_free(p);
    for (size_t i = 0; i < rep.problems.n; i++)
        app_warn("%s", rep.problems.v[i]);
    pass_report_done(&rep);
    if (rc < 0) {
        snapshot_free(snap);
        return app_fail("check: state DB: %s", err.msg);
    }
    if (rep.stopped) {
        snapshot_free(snap);
        return app_fail("check: stopped by %s; %s", stop_reason(),
                        rep.evaluated ? "undelivered notifications stay queued"
                                      : "nothing evaluated or sent");
    }

    int counts[HEALTH__N] = {0};
    enum health worst = HEALTH_OK; /* critical, else unknown, else warning, else ok */
    for (size_t i = 0; i < snap->nstreams; i++) {
        counts[snap->streams[i].status]++;
        worst = health_worse(worst, snap->streams[i].status);
    }
    if (strcmp(format, "json") == 0) {
        struct buf out;
        buf_init(&out);
        exporter_find("json")->render(snap, &out);
        fwrite(buf_str(&out), 1, out.len, stdout);
        buf_done(&out);
    } else if (!(quiet && worst == HEALTH_OK)) {
        size_t bad = snap->nstreams - (size_t)counts[HEALTH_OK];
        printf("%s - ", word(worst));
        if (bad == 0)
            printf("%zu stream%s OK", snap->nstreams, snap->nstreams == 1 ? "" : "s");
        else
            printf("%zu of %zu stream%s not OK", bad, snap->nstreams,
                   snap->nstreams == 1 ? "" : "s");
        printf(" | streams=%zu ok=%d warning=%d critical=%d unknown=%d notifications_sent=%zu "
               "notifications_pending=%zu\n",
               snap->nstreams, counts[HEALTH_OK], counts[HEALTH_WARNING], counts[HEALTH_CRITICAL],
               counts[HEALTH_UNKNOWN], rep.delivered, rep.pending);
        static const enum health order[] = {HEALTH_CRITICAL, HEALTH_UNKNOWN, HEALTH_WARNING};
        for (size_t o = 0; o < 3; o++)
            for (size_t i = 0; i < snap->nstreams; i++)
                if (snap->streams[i].status == order[o])
                    stream_line(&snap->streams[i]);
        /* silenced alerts count for nothing, but a full report still names them */
        for (size_t i = 0; i < snap->nstreams; i++)
            if (snap->streams[i].status == HEALTH_OK && silenced_firing(&snap->streams[i]))
                stream_line(&snap->streams[i]);
    }
    fflush(stdout);
    snapshot_free(snap);
    return exit_of(worst);
}

const struct cmd_entry cmd_check = {
    .name = "check",
    .usage =
        "[-q] [--no-notify] [-f text|json] [PATH | --checkpoint PATH [--name N] [--source P]]...",
    .help = "one pass for cron: evaluate alerts, notify, exit 0/1/2/3",
    .opts = check_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = check_exec,
};
