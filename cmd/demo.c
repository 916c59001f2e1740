/* demo: a live simulated pipeline in a temporary folder (one healthy stream, one whose backlog
 * grows, one stalled with a batch in flight, one whose schema evolves and whose dead-letter
 * prefix grows), advanced every second, with the dashboard open on it and alerts evaluated (no
 * webhooks). The folder is removed on exit. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sim/sim.h"
#include "tui/tui.h"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Before every pass of the dashboard: the pipeline moves on. */
static void advance(void *ctx)
{
    struct st_err err;
    if (sim_advance(ctx, &err) < 0)
        log_warn("demo: %s", err.msg);
}

static int demo_exec(struct app *app, const struct cmd_args *a)
{
    (void)a;
    struct st_err err;
    if (tui_usable(&err) < 0)
        return app_fail("demo: %s", err.msg);
    const char *tmp = getenv("TMPDIR");
    char *dir = xasprintf("%s/streamtop-demo-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        free(dir);
        return app_fail("demo: cannot create a temporary folder");
    }
    char *pipeline = xasprintf("%s/pipeline", dir);
    struct sim_opts so = {
        .dir = pipeline, .streams = 4, .batches = 60, .trigger_ms = 5000, .seed = 7};
    struct sim *sim = sim_create(&so, &err);
    int rc = EXIT_OK;
    if (!sim) {
        rc = app_fail("demo: %s", err.msg);
    } else {
        char *ini = xasprintf("%s/streamtop.ini", pipeline);
        struct config *cfg = config_load(ini, &err);
        free(ini);
        if (!cfg) {
            rc = app_fail("demo: %s", err.msg);
        } else {
            free(cfg->database);
            cfg->database = xasprintf("%s/history.db", dir);
            cfg->refresh_ms = 1000;
            /* the simulator's minutes are seconds: short minimums, so that each scenario
             * shows its problem within a minute instead of the production 5, 15 and 30 */
            cfg->builtin.stalled_min_ms = 15000;
            cfg->builtin.stuck_min_ms = 30000;
            cfg->builtin.drain_window_ms = 40000;
            struct tui_opts o = {
                .cfg = cfg, .alerts = true, .before_pass = advance, .before_ctx = sim};
            if (tui_run(&o, &err) < 0) {
                /* a worker that did not stop still advances the simulation in the folder */
                if (err.code == ST_ESTOPPED)
                    app_exit_now("demo: %s (the folder %s stays)", err.msg, dir);
                rc = app_fail("demo: %s", err.msg);
            }
            config_free(cfg);
        }
        sim_free(sim);
    }
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(pipeline);
    free(dir);
    (void)app;
    return rc;
}

const struct cmd_entry cmd_demo = {
    .name = "demo",
    .usage = "",
    .help = "a live simulated pipeline in the dashboard (removed on exit)",
    .exec = demo_exec,
};
