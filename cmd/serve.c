/* serve: the daemon. Runs the pass every interval on a thread of its own and answers HTTP from
 * the last completed one (/metrics, the JSON API, /healthz, /readyz); see serve/serve.h.
 * SIGINT/SIGTERM stop it (exit 0), SIGHUP loads the config again. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "serve/serve.h"

enum {
    OPT_LISTEN = 1,
    OPT_INTERVAL,
    OPT_ALERTS,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_AUTH_FILE,
    OPT_LOG_FORMAT,
    OPT_SHARD,
    OPT_SELECT,
};

static const struct opt_spec serve_opts[] = {
    {"listen", 'l', true, OPT_LISTEN},       {"interval", 'i', true, OPT_INTERVAL},
    {"alerts", 0, false, OPT_ALERTS},        {"tls-cert", 0, true, OPT_TLS_CERT},
    {"tls-key", 0, true, OPT_TLS_KEY},       {"basic-auth-file", 0, true, OPT_AUTH_FILE},
    {"log-format", 0, true, OPT_LOG_FORMAT}, {"shard", 0, true, OPT_SHARD},
    {"select", 0, true, OPT_SELECT},         {NULL, 0, false, 0},
};

static void say(const char *line)
{
    char clean[1200];
    sanitize_copy(clean, sizeof clean, line);
    fprintf(stderr, "streamtop: %s\n", clean);
    fflush(stderr);
}

static void say_json(const char *line)
{
    fprintf(stderr, "%s\n", line); /* already escaped JSON */
    fflush(stderr);
}

static struct config *reload(void *ctx, struct st_err *err)
{
    return app_config_again(ctx, err);
}

static int serve_exec(struct app *app, const struct cmd_args *a)
{
    struct st_err err;
    const char *fmt = a->opt[OPT_LOG_FORMAT] ? a->opt[OPT_LOG_FORMAT] : "text";
    if (strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0)
        return app_fail("serve: --log-format takes text or json, not '%s'", fmt);
    int64_t interval = 0;
    const char *val = a->opt[OPT_INTERVAL];
    if (val && (parse_duration_ms(val, &interval) < 0 || interval < 100))
        return app_fail("serve: --interval takes a duration of at least 100ms (5s, 1m), not '%s'",
                        val);
    if (app_select_args(app, a->opt[OPT_SHARD], &a->all[OPT_SELECT], &err) < 0)
        return app_fail("serve: %s", err.msg);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    app_warn_unusable_webhooks(app);
    const struct config *c = app->cfg;
    struct serve_opts o = {
        .listen = a->opt[OPT_LISTEN] ? a->opt[OPT_LISTEN] : c->serve_listen,
        .tls_cert = a->opt[OPT_TLS_CERT] ? a->opt[OPT_TLS_CERT] : c->serve_tls_cert,
        .tls_key = a->opt[OPT_TLS_KEY] ? a->opt[OPT_TLS_KEY] : c->serve_tls_key,
        .basic_auth_file = a->opt[OPT_AUTH_FILE] ? a->opt[OPT_AUTH_FILE] : c->serve_basic_auth_file,
        .interval_ms = interval,
        .alerts = a->opt[OPT_ALERTS] != NULL,
        .log_json = strcmp(fmt, "json") == 0,
        .reload = reload,
        .reload_ctx = app,
        .say = strcmp(fmt, "json") == 0 ? say_json : say,
    };
    /* SIGINT/SIGTERM end even a pass stuck on the network; serve_run takes SIGHUP over */
    stop_on_signals();
    if (serve_run(c, &o, &err) < 0)
        return app_fail("serve: %s", err.msg);
    return EXIT_OK;
}

const struct cmd_entry cmd_serve = {
    .name = "serve",
    .usage = "[--listen ADDR:PORT] [--interval 10s] [--alerts] [--tls-cert F --tls-key F] "
             "[--basic-auth-file F] [--log-format text|json] [--shard K/N] [--select L=V]... "
             "[PATH | --checkpoint PATH [--name N] [--source P]]...",
    .help = "run as a daemon: /metrics and a JSON API over HTTP from a pass every interval",
    .opts = serve_opts,
    .flags = CMD_STREAMS | CMD_PATHS,
    .exec = serve_exec,
};
