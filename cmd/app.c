#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "collectors/discover.h"
#include "net/s3.h"
#include "core/log.h"
#include "core/sanitize.h"
#include "store/store.h"
#include "core/xalloc.h"

void opt_init(struct opt_iter *it, int argc, char **argv)
{
    it->argc = argc;
    it->argv = argv;
    it->i = 1;
    it->only_args = false;
}

int opt_next(struct opt_iter *it, const struct opt_spec *specs, const char **val,
             struct st_err *err)
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
        return opt_next(it, specs, val, err);
    }
    const struct opt_spec *hit = NULL;
    const char *inline_val = NULL;
    if (w[1] == '-') {
        const char *name = w + 2;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        for (const struct opt_spec *s = specs; s->id; s++)
            if (s->lng && strlen(s->lng) == n && strncmp(s->lng, name, n) == 0)
                hit = s;
        if (eq)
            inline_val = eq + 1;
    } else {
        for (const struct opt_spec *s = specs; s->id; s++)
            if (s->shrt && s->shrt == w[1])
                hit = s;
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

int app_stream_opt(struct app *app, int id, const char *val, struct st_err *err)
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
        struct cfg_stream *st = config_add_stream(zc, NULL, val);
        free(st->checkpoint);
        st->checkpoint = NULL;
    }
    struct cfg_stream *st = &zc->streams[zc->nstreams - 1];
    switch (id) {
    case OPT_STREAM_SOURCE:
        return config_stream_set(st, "source", val, err);
    case OPT_STREAM_PROGRESS:
        return config_stream_set(st, "progress", val, err);
    case OPT_STREAM_NAME:
        for (size_t i = 0; i + 1 < zc->nstreams; i++)
            if (strcmp(zc->streams[i].name, val) == 0)
                return st_err_set(err, ST_EFORMAT, "--name %s: used twice", val);
        free(st->name);
        st->name = xstrdup(val);
        return 0;
    }
    return st_err_set(err, ST_EFAIL, "internal: unknown stream option");
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
    if (app->db_arg) {
        free(app->cfg->database);
        app->cfg->database = config_normalize_path(app->db_arg);
    }
    const struct config *c = app->cfg;
    s3_configure(&(struct s3_settings){.endpoint = c->s3_endpoint,
                                       .region = c->s3_region,
                                       .profile = c->s3_profile,
                                       .parallel = (int)c->s3_parallel,
                                       .timeout_ms = c->timeout_ms});
    return 0;
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

struct store *app_open_store(struct app *app)
{
    struct st_err err;
    struct store *db = store_open(app->cfg->database, &err);
    if (!db)
        log_warn("history not recorded: %s", err.msg);
    return db;
}
