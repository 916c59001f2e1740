/* dashboard: the curses view of every stream (the default command on a terminal), collected
 * here or, with --remote, fetched from a `streamtop serve` daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "tui/tui.h"

enum { OPT_ALERTS = 1, OPT_REMOTE, OPT_REMOTE_AUTH };

static const struct opt_spec dashboard_opts[] = {{"alerts", 0, false, OPT_ALERTS},
                                                 {"remote", 0, true, OPT_REMOTE},
                                                 {"remote-auth-file", 0, true, OPT_REMOTE_AUTH},
                                                 {NULL, 0, false, 0}};

static int dashboard_exec(struct app *app, const struct cmd_args *a)
{
    bool alerts = a->opt[OPT_ALERTS] != NULL;
    const char *remote = a->opt[OPT_REMOTE];
    struct st_err err;
    if (!remote && a->opt[OPT_REMOTE_AUTH])
        return app_fail("dashboard: --remote-auth-file goes with --remote URL");
    if (remote && alerts)
        return app_fail("dashboard: --alerts cannot go with --remote (the daemon evaluates the "
                        "rules and sends the notifications)");
    if (tui_usable(&err) < 0)
        return app_fail("%s", err.msg);
    struct app_remote ar = {0};
    if (remote) {
        if (app_remote(app, remote, a->opt[OPT_REMOTE_AUTH], &ar, &err) < 0) {
            app_remote_done(&ar);
            return app_fail("%s", err.msg);
        }
    } else {
        if (app_config(app, &err) < 0)
            return app_fail("%s", err.msg);
        app_warn_unusable_webhooks(app); /* before curses takes the screen */
    }
    struct tui_opts o = {.cfg = app->cfg,
                         .alerts = alerts,
                         .remote = remote ? &ar.r : NULL,
                         .remote_shown = ar.shown};
    if (tui_run(&o, &err) < 0) {
        if (err.code == ST_ESTOPPED)
            app_exit_now("%s", err.msg); /* the worker still uses o and the config */
        app_remote_done(&ar);
        return app_fail("%s", err.msg);
    }
    app_remote_done(&ar);
    return EXIT_OK;
}

const struct cmd_entry cmd_dashboard = {
    .name = "dashboard",
    .usage = "[--alerts] [PATH | --checkpoint PATH [--name N] [--source P]]... | --remote URL "
             "[--remote-auth-file FILE]",
    .help = "the live dashboard (the default on a terminal); --alerts also notifies; --remote "
            "shows what a streamtop serve daemon collected",
    .opts = dashboard_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = dashboard_exec,
};
