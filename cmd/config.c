/* config check: validate the configuration and print the streams as streamtop resolved them
 * (defaults filled in, ${VAR} expanded, paths normalised). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/sanitize.h"

static void print_key(const struct config *cfg, const struct cfg_stream *st,
                      const struct cfg_key *k)
{
    char *v = config_value_text(cfg, st, k);
    char *clean = sanitize_dup(v, strlen(v));
    printf("  %-11s = %s\n", k->name, *clean ? clean : "-");
    free(clean);
    free(v);
}

static int config_exec(struct app *app, int argc, char **argv)
{
    static const struct opt_spec specs[] = {OPT_STREAM_SPECS, {NULL, 0, false, 0}};
    const char *val, *sub = NULL;
    struct opt_iter it;
    struct st_err err;
    opt_init(&it, argc, argv);
    for (int id; (id = opt_next(&it, specs, &val, &err)) != -1;) {
        if (id == -2)
            return app_fail("config: %s", err.msg);
        if (id == 0) {
            if (sub)
                return app_usage(&cmd_config);
            sub = val;
        } else if (app_stream_opt(app, id, val, &err) < 0) {
            return app_fail("%s", err.msg);
        }
    }
    if (!sub || strcmp(sub, "check") != 0)
        return app_usage(&cmd_config);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    const struct config *cfg = app->cfg;
    printf("config %s: ok, %zu stream%s\n", cfg->path ? cfg->path : "(command line)", cfg->nstreams,
           cfg->nstreams == 1 ? "" : "s");
    printf("[global]\n");
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == CS_GLOBAL)
            print_key(cfg, NULL, k);
    printf("[s3]\n");
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == CS_S3)
            print_key(cfg, NULL, k);
    for (size_t i = 0; i < cfg->nstreams; i++) {
        char *name = sanitize_dup(cfg->streams[i].name, strlen(cfg->streams[i].name));
        printf("[stream %s]\n", name);
        free(name);
        for (const struct cfg_key *k = config_keys; k->name; k++)
            if (k->section == CS_STREAM)
                print_key(cfg, &cfg->streams[i], k);
    }
    return EXIT_OK;
}

const struct cmd_entry cmd_config = {
    .name = "config",
    .usage = "check",
    .help = "validate the config and print the resolved streams",
    .exec = config_exec,
};
