/* export: one pass, then the snapshot in JSON, CSV or Prometheus text, to stdout or atomically
 * to a file. Streams that could not be read are in the output as unknown; the exit status is
 * still 0, because the export itself worked. SIGINT/SIGTERM stop it with status 3 and nothing
 * written. */
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/stop.h"
#include "export/export.h"
#include "pass/pass.h"

enum { OPT_FORMAT = 1, OPT_OUTPUT, OPT_SHARD, OPT_SELECT, OPT_REMOTE, OPT_REMOTE_AUTH };

static const struct opt_spec export_opts[] = {{"format", 'f', true, OPT_FORMAT},
                                              {"output", 'o', true, OPT_OUTPUT},
                                              {"shard", 0, true, OPT_SHARD},
                                              {"select", 0, true, OPT_SELECT},
                                              {"remote", 0, true, OPT_REMOTE},
                                              {"remote-auth-file", 0, true, OPT_REMOTE_AUTH},
                                              {NULL, 0, false, 0}};

static int export_exec(struct app *app, const struct cmd_args *a)
{
    const char *format = a->opt[OPT_FORMAT] ? a->opt[OPT_FORMAT] : "json";
    const char *output = a->opt[OPT_OUTPUT];
    struct st_err err;
    const struct exporter *ex = exporter_find(format);
    if (!ex)
        return app_fail("export: unknown format '%s' (json, csv, prom)", format);
    const char *remote = a->opt[OPT_REMOTE];
    struct app_remote ar = {0};
    if (!remote && a->opt[OPT_REMOTE_AUTH])
        return app_fail("export: --remote-auth-file goes with --remote URL");
    if (remote && (a->opt[OPT_SHARD] || a->all[OPT_SELECT].n))
        return app_fail("export: --shard and --select choose what a daemon collects; not with "
                        "--remote");
    if (remote) {
        if (app_remote(app, remote, a->opt[OPT_REMOTE_AUTH], &ar, &err) < 0) {
            app_remote_done(&ar);
            return app_fail("%s", err.msg);
        }
    } else {
        if (app_select_args(app, a->opt[OPT_SHARD], &a->all[OPT_SELECT], &err) < 0)
            return app_fail("export: %s", err.msg);
        if (app_config(app, &err) < 0)
            return app_fail("%s", err.msg);
        app_warn_unusable_webhooks(app);
    }

    /* SIGINT/SIGTERM end the pass at once, even one stuck on the network */
    stop_on_signals();
    struct pass *p = remote ? pass_new_remote(&ar.r) : pass_new(app->cfg, false, &err);
    struct snapshot *snap;
    struct pass_report rep;
    /* the rules evaluated read-only (as `check --no-notify`): the same status as check */
    if (pass_run(p, PASS_EVALUATE, &snap, &rep, &err) < 0)
        app_warn("export: alert rules not evaluated: %s", err.msg);
    pass_report_done(&rep);
    pass_free(p);
    app_remote_done(&ar);
    if (rep.stale) { /* the error is logged; an empty snapshot is not the daemon's */
        snapshot_free(snap);
        return app_fail("export: nothing written");
    }
    if (rep.stopped) { /* a cut-short snapshot is not written anywhere */
        snapshot_free(snap);
        return app_fail("export: stopped by %s; nothing written", stop_reason());
    }
    struct buf out;
    buf_init(&out);
    ex->render(snap, &out);
    snapshot_free(snap);

    int rc = EXIT_OK;
    if (output) {
        if (export_write_atomic(output, buf_str(&out), out.len, &err) < 0)
            rc = app_fail("export: %s", err.msg);
    } else if (fwrite(buf_str(&out), 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        rc = app_fail("export: writing to stdout failed");
    }
    buf_done(&out);
    return rc;
}

const struct cmd_entry cmd_export = {
    .name = "export",
    .usage = "[-f json|csv|prom] [-o FILE] [--shard K/N] [--select L=V]... [PATH | --checkpoint "
             "PATH [--name N] [--source P]]... | --remote URL [--remote-auth-file FILE]",
    .help = "write a snapshot of every stream (atomically with -o)",
    .opts = export_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = export_exec,
};
