/* dashboard: the curses view of every stream (the default command on a terminal). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "tui/tui.h"

enum { OPT_ALERTS = 1 };

static const struct opt_spec dashboard_opts[] = {{"alerts", 0, false, OPT_ALERTS},
                                                 {NULL, 0, false, 0}};

static int dashboard_exec(struct app *app, const struct cmd_args *a)
{
    bool alerts = a->opt[OPT_ALERTS] != NULL;
    struct st_err err;
    if (tui_usable(&err) < 0)
        return app_fail("%s", err.msg);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    app_warn_unusable_webhooks(app); /* before curses takes the screen */
    struct tui_opts o = {.cfg = app->cfg, .alerts = alerts};
    if (tui_run(&o, &err) < 0) {
        if (err.code == ST_ESTOPPED)
            app_exit_now("%s", err.msg); /* the worker still uses o and the config */
        return app_fail("%s", err.msg);
    }
    return EXIT_OK;
}

const struct cmd_entry cmd_dashboard = {
    .name = "dashboard",
    .usage = "[--alerts] [PATH | --checkpoint PATH [--name N] [--source P]]...",
    .help = "the live dashboard (the default on a terminal); --alerts also notifies",
    .opts = dashboard_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = dashboard_exec,
};
