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

enum { OPT_FORMAT = 1, OPT_OUTPUT };

static int export_exec(struct app *app, int argc, char **argv)
{
    static const struct opt_spec specs[] = {{"format", 'f', true, OPT_FORMAT},
                                            {"output", 'o', true, OPT_OUTPUT},
                                            OPT_STREAM_SPECS,
                                            {NULL, 0, false, 0}};
    const char *format = "json", *output = NULL, *val;
    struct opt_iter it;
    struct st_err err;
    opt_init(&it, argc, argv);
    for (int id; (id = opt_next(&it, specs, &val, &err)) != -1;) {
        if (id == -2)
            return app_fail("export: %s", err.msg);
        if (id == 0) {
            /* streamtop export PATH: a checkpoint, or a folder to discover (as watch) */
            if (app_add_path(app, val, &err) < 0)
                return app_fail("%s", err.msg);
            continue;
        }
        if (id == OPT_FORMAT)
            format = val;
        else if (id == OPT_OUTPUT)
            output = val;
        else if (app_stream_opt(app, id, val, &err) < 0)
            return app_fail("%s", err.msg);
    }
    const struct exporter *ex = exporter_find(format);
    if (!ex)
        return app_fail("export: unknown format '%s' (json, csv, prom)", format);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);

    /* SIGINT/SIGTERM end the pass at once, even one stuck on the network */
    stop_on_signals();
    struct pass *p = pass_new(app->cfg, false, &err);
    struct snapshot *snap;
    struct pass_report rep;
    pass_run(p, 0, &snap, &rep, &err);
    pass_report_done(&rep);
    pass_free(p);
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
    .usage = "[-f json|csv|prom] [-o FILE] [PATH | --checkpoint PATH [--name N] [--source P]]...",
    .help = "write a snapshot of every stream (atomically with -o)",
    .exec = export_exec,
};
