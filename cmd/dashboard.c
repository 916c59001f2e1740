/* dashboard: the curses view of every stream (the default command on a terminal). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "tui/tui.h"

enum { OPT_ALERTS = 1 };

static int dashboard_exec(struct app *app, int argc, char **argv)
{
    static const struct opt_spec specs[] = {
        {"alerts", 0, false, OPT_ALERTS}, OPT_STREAM_SPECS, {NULL, 0, false, 0}};
    const char *val;
    bool alerts = false;
    struct opt_iter it;
    struct st_err err;
    opt_init(&it, argc, argv);
    for (int id; (id = opt_next(&it, specs, &val, &err)) != -1;) {
        if (id == -2)
            return app_fail("%s", err.msg);
        if (id == 0) { /* a checkpoint path */
            if (app_add_path(app, val, &err) < 0)
                return app_fail("%s", err.msg);
        } else if (id == OPT_ALERTS) {
            alerts = true;
        } else if (app_stream_opt(app, id, val, &err) < 0) {
            return app_fail("%s", err.msg);
        }
    }
    if (tui_usable(&err) < 0)
        return app_fail("%s", err.msg);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    struct tui_opts o = {.cfg = app->cfg, .alerts = alerts};
    if (tui_run(&o, &err) < 0)
        return app_fail("%s", err.msg);
    return EXIT_OK;
}

const struct cmd_entry cmd_dashboard = {
    .name = "dashboard",
    .usage = "[--alerts] [PATH | --checkpoint PATH [--name N] [--source P]]...",
    .help = "the live dashboard (the default on a terminal); --alerts also notifies",
    .exec = dashboard_exec,
};
