#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/threshold.h"
#include "cmd/cmd.h"
#include "collectors/discover.h"
#include "net/dbx.h"
#include "net/azure.h"
#include "net/s3.h"
#include "core/log.h"
#include "core/select.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "net/redact.h"

struct opt_iter {
    int argc;
    char **argv;
    int i;
    bool only_args; /* after "--" */
};

/* The options every CMD_STREAMS command takes, ids past the commands' own. */
enum { OPT_ID_STREAM = CMD_MAX_OPT };
const struct opt_spec stream_specs[] = {
    {"checkpoint", 0, true, OPT_ID_STREAM + OPT_STREAM_CHECKPOINT},
    {"source", 0, true, OPT_ID_STREAM + OPT_STREAM_SOURCE},
    {"progress", 0, true, OPT_ID_STREAM + OPT_STREAM_PROGRESS},
    {"name", 0, true, OPT_ID_STREAM + OPT_STREAM_NAME},
    {NULL, 0, false, 0},
};

static const struct opt_spec *find_spec(const struct opt_spec *specs, const char *lng, size_t n,
                                        char shrt)
{
    for (const struct opt_spec *s = specs; s && s->id; s++)
        if (lng ? s->lng && strlen(s->lng) == n && strncmp(s->lng, lng, n) == 0
                : s->shrt && s->shrt == shrt)
            return s;
    return NULL;
}

/* Next option of specs or more (either may be NULL): its id (value in *val when it takes
 * one); 0 for a positional word (in *val); -1 at the end; -2 on a bad option (err says which). */
static int opt_next(struct opt_iter *it, const struct opt_spec *specs, const struct opt_spec *more,
                    const char **val, struct st_err *err)
{
    *val = NULL;
    if (it->i >= it->argc)
        return -1;
    const char *w = it->argv[it->i++];
    if (it->only_args || w[0] != '-' || w[1] == '\0') {
        *val = w;
        return 0;
    }
    if (strcmp(w, "--") == 0) {
        it->only_args = true;
        return opt_next(it, specs, more, val, err);
    }
    const struct opt_spec *hit = NULL;
    const char *inline_val = NULL;
    if (w[1] == '-') {
        const char *name = w + 2;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        hit = find_spec(specs, name, n, 0);
        if (!hit)
            hit = find_spec(more, name, n, 0);
        if (eq)
            inline_val = eq + 1;
    } else {
        hit = find_spec(specs, NULL, 0, w[1]);
        if (!hit)
            hit = find_spec(more, NULL, 0, w[1]);
        if (hit && w[2])
            inline_val = w + 2;
    }
    if (!hit) {
        st_err_set(err, ST_EFORMAT, "unknown option '%s'", w);
        return -2;
    }
    if (!hit->arg) {
        if (inline_val) {
            st_err_set(err, ST_EFORMAT, "option '%s' takes no value", w);
            return -2;
        }
        return hit->id;
    }
    if (inline_val) {
        *val = inline_val;
    } else if (it->i < it->argc) {
        *val = it->argv[it->i++];
    } else {
        st_err_set(err, ST_EFORMAT, "option '%s' needs a value", w);
        return -2;
    }
    return hit->id;
}

/* cmd_run's parsing: options and words into a (freed by the caller), then the command. */
static int run_parsed(const struct cmd_entry *cmd, struct app *app, int argc, char **argv,
                      struct cmd_args *a)
{
    struct opt_iter it = {argc, argv, 1, false};
    const struct opt_spec *more = cmd->flags & CMD_STREAMS ? stream_specs : NULL;
    const char *val;
    struct st_err err;
    for (int id; (id = opt_next(&it, cmd->opts, more, &val, &err)) != -1;) {
        if (id == -2 && app->implicit) /* the user named no command: not watch's option */
            return app_fail("%s (see streamtop --help)", err.msg);
        if (id == -2) {
            app_warn("%s: %s", cmd->name, err.msg);
            return app_usage(cmd);
        }
        int rc = 0;
        if (id >= OPT_ID_STREAM) {
            rc = app_stream_opt(app, (enum stream_opt)(id - OPT_ID_STREAM), val, &err);
        } else if (id > 0) {
            a->opt[id] = val ? val : "";
            strvec_push(&a->all[id], a->opt[id]);
        } else if ((cmd->flags & CMD_PATHS) && app->implicit && cmd != &cmd_dashboard &&
                   !strstr(val, "://") && access(val, F_OK) != 0) {
            /* "streamtop /typo" from a script would watch nothing forever */
            return app_fail("%s: no such file or directory (see streamtop --help)", val);
        } else if (cmd->flags & CMD_PATHS) {
            rc = app_add_path(app, val, &err); /* a checkpoint, or a folder to discover */
        } else if (cmd->max_words == 0 || a->nwords < cmd->max_words) {
            a->words[a->nwords++] = val;
        } else {
            rc = -2;
        }
        if (rc < 0)
            return rc == -2 ? app_usage(cmd) : app_fail("%s", err.msg);
    }
    return a->nwords < cmd->min_words ? app_usage(cmd) : cmd->exec(app, a);
}

int cmd_run(const struct cmd_entry *cmd, struct app *app, int argc, char **argv)
{
    struct cmd_args a = {.words = xcalloc((size_t)argc + 1, sizeof *a.words)};
    for (int i = 0; i < CMD_MAX_OPT; i++)
        strvec_init(&a.all[i]);
    int rc = run_parsed(cmd, app, argc, argv, &a);
    for (int i = 0; i < CMD_MAX_OPT; i++)
        strvec_done(&a.all[i]);
    free(a.words);
    return rc;
}

int app_add_path(struct app *app, const char *path, struct st_err *err)
{
    char *norm = config_normalize_path(path);
    struct found_list l = {0};
    int rc = 0;
    if (discover_is_checkpoint(norm) || discover(norm, &l, err) < 0 || l.n == 0) {
        /* a checkpoint, or nothing found: watch it as one (its stream says what is wrong) */
        rc = app_stream_opt(app, OPT_STREAM_CHECKPOINT, norm, err);
    } else {
        for (size_t i = 0; i < l.n && rc == 0; i++) {
            rc = app_stream_opt(app, OPT_STREAM_CHECKPOINT, l.v[i].checkpoint, err);
            if (rc == 0 && l.v[i].source) {
                rc = app_stream_opt(app, OPT_STREAM_SOURCE, l.v[i].source, err);
                app->zc->streams[app->zc->nstreams - 1].source_guessed = true;
            }
            if (rc == 0 && l.v[i].schema)
                rc = config_stream_set(&app->zc->streams[app->zc->nstreams - 1], "schema",
                                       l.v[i].schema, err);
        }
    }
    found_list_done(&l);
    free(norm);
    return rc;
}

int app_stream_opt(struct app *app, enum stream_opt id, const char *val, struct st_err *err)
{
    if (!app->zc)
        app->zc = config_new_default();
    struct config *zc = app->zc;
    if (id == OPT_STREAM_CHECKPOINT) {
        config_add_stream(zc, NULL, val);
        return 0;
    }
    if (zc->nstreams == 0) {
        if (id == OPT_STREAM_NAME)
            return st_err_set(err, ST_EFORMAT, "--name goes after the --checkpoint it names");
        /* a stream watched without a checkpoint: name it after this path */
        struct cfg_stream *cs = config_add_stream(zc, NULL, val);
        free(cs->checkpoint);
        cs->checkpoint = NULL;
    }
    struct cfg_stream *cs = &zc->streams[zc->nstreams - 1];
    switch (id) {
    case OPT_STREAM_SOURCE:
        return config_stream_set(cs, "source", val, err);
    case OPT_STREAM_PROGRESS:
        return config_stream_set(cs, "progress", val, err);
    case OPT_STREAM_CHECKPOINT: /* handled above */
        break;
    case OPT_STREAM_NAME:
        for (size_t i = 0; i + 1 < zc->nstreams; i++)
            if (strcmp(zc->streams[i].name, val) == 0)
                return st_err_set(err, ST_EFORMAT, "--name %s: used twice", val);
        free(cs->name);
        cs->name = xstrdup(val);
        return 0;
    }
    return st_err_set(err, ST_EFAIL, "internal: unknown stream option");
}

void app_hooks(void)
{
    config_set_validator(CT_THRESHOLD, threshold_validate);
}

/* The network layer's settings from a loaded config. */
static void configure_net(const struct config *c)
{
    s3_configure(&(struct s3_settings){.endpoint = c->s3_endpoint,
                                       .region = c->s3_region,
                                       .profile = c->s3_profile,
                                       .parallel = (int)c->s3_parallel,
                                       .timeout_ms = c->timeout_ms,
                                       .gcs_endpoint = c->gcs_endpoint,
                                       .gcs_access_id = c->gcs_access_id,
                                       .gcs_secret = c->gcs_secret});
    azure_configure(&(struct azure_settings){.endpoint = c->azure_endpoint,
                                             .sas_token = c->azure_sas_token,
                                             .account_key = c->azure_account_key,
                                             .authority_host = c->azure_authority_host,
                                             .identity_endpoint = c->azure_identity_endpoint,
                                             .parallel = (int)c->azure_parallel,
                                             .page_size = (int)c->azure_page_size,
                                             .timeout_ms = c->timeout_ms});
    dbx_configure(&(struct dbx_settings){.host = c->dbx_host,
                                         .profile = c->dbx_profile,
                                         .parallel = (int)c->dbx_parallel,
                                         .timeout_ms = c->timeout_ms});
}

/* --db and --shard/--select applied to a config just loaded. */
static void apply_args(const struct app *app, struct config *cfg)
{
    if (app->db_arg) {
        free(cfg->database);
        cfg->database = config_normalize_path(app->db_arg);
    }
    if (app->select.shard_n > 0 || app->select.labels.n > 0)
        select_apply(&app->select, cfg);
}

int app_config(struct app *app, struct st_err *err)
{
    if (app->cfg)
        return 0;
    if (app->zc && app->config_arg)
        return st_err_set(err, ST_EFORMAT, "use either -c FILE or --checkpoint PATH, not both");
    if (app->zc) {
        app->cfg = app->zc;
        app->zc = NULL;
    } else {
        char *path = config_find(app->config_arg, err);
        if (!path)
            return -1;
        app->cfg = config_load(path, err);
        free(path);
        if (!app->cfg)
            return -1;
    }
    apply_args(app, app->cfg);
    configure_net(app->cfg);
    return 0;
}

struct config *app_config_again(struct app *app, struct st_err *err)
{
    if (!app->cfg || !app->cfg->path) {
        st_err_set(err, ST_EFORMAT, "the streams come from the command line: no file to reload");
        return NULL;
    }
    struct config *cfg = config_load(app->cfg->path, err);
    if (!cfg)
        return NULL;
    apply_args(app, cfg);
    configure_net(cfg);
    return cfg;
}

int app_select_args(struct app *app, const char *shard, const struct strvec *sel,
                    struct st_err *err)
{
    if (shard && select_parse_shard(&app->select, shard, err) < 0)
        return -1;
    for (size_t i = 0; sel && i < sel->n; i++)
        if (select_add_label(&app->select, sel->v[i], err) < 0)
            return -1;
    return 0;
}

int app_remote(struct app *app, const char *url, const char *auth_file, struct app_remote *ar,
               struct st_err *err)
{
    *ar = (struct app_remote){0};
    if (app->zc)
        return st_err_set(err, ST_EFORMAT,
                          "--remote shows the daemon's streams: give no PATH or --checkpoint");
    if (!app->cfg) {
        if (app->config_arg) {
            app->cfg = config_load(app->config_arg, err);
            if (!app->cfg)
                return -1;
        } else {
            app->cfg = config_new_default();
        }
    }
    ar->r = (struct pass_remote){
        .url = url, .timeout_ms = app->cfg->timeout_ms, .read_snapshot = export_json_read};
    if (pass_remote_check(&ar->r, err) < 0)
        return -1;
    if (auth_file && pass_remote_auth_file(auth_file, &ar->user, &ar->password, err) < 0)
        return -1;
    ar->r.user = ar->user;
    ar->r.password = ar->password;
    redact_url(url, true, ar->shown, sizeof ar->shown);
    return 0;
}

void app_remote_done(struct app_remote *ar)
{
    free(ar->user);
    if (ar->password) {
        memset(ar->password, 0, strlen(ar->password));
        free(ar->password);
    }
    *ar = (struct app_remote){0};
}

size_t app_warn_unusable_webhooks(const struct app *app)
{
    size_t n = 0;
    for (size_t i = 0; app->cfg && i < app->cfg->nwebhooks; i++) {
        const struct cfg_webhook *w = &app->cfg->webhooks[i];
        if (!w->unusable)
            continue;
        app_warn("warning: [webhook %s] (line %d) is unusable, nothing is sent through it: %s",
                 w->name, w->line, w->unusable);
        n++;
    }
    return n;
}

static void say(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void say(const char *fmt, va_list ap)
{
    char raw[1024], clean[1024];
    vsnprintf(raw, sizeof raw, fmt, ap);
    sanitize_copy(clean, sizeof clean, raw);
    fprintf(stderr, "streamtop: %s\n", clean);
}

int app_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    return EXIT_UNKNOWN;
}

_Noreturn void app_exit_now(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fflush(stdout);
    _exit(EXIT_UNKNOWN);
}

void app_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
}

int app_usage(const struct cmd_entry *cmd)
{
    fprintf(stderr, "usage: streamtop [-c FILE] %s %s\n", cmd->name, cmd->usage);
    return EXIT_UNKNOWN;
}
