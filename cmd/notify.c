/* notify test NAME: send a test notification through one webhook now, say what was sent where
 * (the URL by scheme, host and port only, the routing key hidden) and with what HTTP status:
 * exit 0 on 2xx, 1 otherwise, 3 for a config problem. A test never leaves anything open: a
 * PagerDuty test is a trigger followed at once by its resolve (same dedup_key), an Alertmanager
 * test an alert that ends when it starts; every test is marked as one. --stream STREAM gives the
 * test that stream's context (labels, owner, runbook and links), to see them as people will. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/context.h"
#include "alerts/payload.h"
#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/clock.h"
#include "net/redact.h"
#include "pass/deliver.h"

/* The body as it may be printed: the routing key (a secret) replaced by "(hidden)". */
static char *shown_body(const struct cfg_webhook *w, const char *body)
{
    struct buf b;
    buf_init(&b);
    const char *key = w->routing_key && *w->routing_key ? w->routing_key : NULL;
    for (const char *p = body; *p;) {
        if (key && strncmp(p, key, strlen(key)) == 0) {
            buf_puts(&b, "(hidden)");
            p += strlen(key);
        } else {
            buf_putc(&b, *p++);
        }
    }
    return buf_steal(&b);
}

/* POST one body; print what and the answer. The HTTP status, or -1. */
static long send_one(const struct cfg_webhook *w, const char *what, const struct notice *n)
{
    char *body = payload_render(w, n);
    char *shown = shown_body(w, body);
    struct st_err err;
    long status = deliver_now(w, body, n->id, &err);
    printf("  %s: %s\n", what, shown);
    if (status < 0)
        printf("  -> not delivered: %s\n", err.msg);
    else
        printf("  -> HTTP %ld\n", status);
    free(shown);
    free(body);
    return status;
}

static bool ok2xx(long status)
{
    return status >= 200 && status < 300;
}

enum { OPT_STREAM = 1 };

static const struct opt_spec notify_opts[] = {{"stream", 0, true, OPT_STREAM}, {NULL, 0, false, 0}};

static int notify_exec(struct app *app, const struct cmd_args *a)
{
    const char *const *words = a->words;
    struct st_err err;
    if (strcmp(words[0], "test") != 0)
        return app_usage(&cmd_notify);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    const struct cfg_webhook *w = config_webhook(app->cfg, words[1]);
    if (!w)
        return app_fail("notify: no [webhook %s] in the config", words[1]);
    if (w->unusable)
        return app_fail("notify: [webhook %s] (line %d) is unusable: %s", w->name, w->line,
                        w->unusable);
    /* --stream: the test carries that stream's context (labels, owner, runbook, links) */
    const char *sname = a->opt[OPT_STREAM];
    const struct cfg_stream *cs = NULL;
    for (size_t i = 0; sname && i < app->cfg->nstreams; i++)
        if (strcmp(app->cfg->streams[i].name, sname) == 0)
            cs = &app->cfg->streams[i];
    if (sname && !cs)
        return app_fail("notify: --stream: no [stream %s] in the config", sname);
    int64_t now = clock_now_ms();
    static char threshold[] = "", rule[] = "streamtop-test", test_stream[] = "test";
    char *stream = cs ? cs->name : test_stream;
    /* it started a second ago: an Alertmanager alert that ends now never was active */
    struct alert_event e = {.kind = EV_FIRING,
                            .rule = rule,
                            .stream = stream,
                            .level = HEALTH_WARNING,
                            .prev_level = HEALTH_OK,
                            .value = 1,
                            .threshold = threshold,
                            .started_ms = now - 1000,
                            .at_ms = now,
                            .prev_value = 0};
    char host[256] = "localhost";
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    char summary[400];
    snprintf(summary, sizeof summary,
             "streamtop test notification%s%s from %s: the webhook works, nothing to do",
             cs ? " for " : "", cs ? cs->name : "", host);
    char nid[DELIVER_ID_LEN];
    deliver_new_id(nid);
    struct notice n = {.e = &e, .summary = summary, .host = host, .id = nid, .test = true};
    struct snapshot *snap = snapshot_new(now);
    struct alert_context ctx = {0};
    if (cs) { /* the context a built-in alert of the stream would carry */
        struct snap_stream *st = snapshot_add_stream(snap, cs->name);
        for (size_t i = 0; i < cs->labels.n; i++)
            snap_stream_add_label(st, cs->labels.v[i].key, cs->labels.v[i].value);
        struct rule_route r = {.metric = -1,
                               .cs = cs,
                               .runbook = app->cfg->builtin.runbook,
                               .links = &app->cfg->builtin.links};
        alert_context_build(&r, st, &e, host, &ctx);
        alert_context_fill(&ctx, &n);
        n.summary = summary;
        n.st = st;
    }
    char shown[300];
    redact_url(w->url, false, shown, sizeof shown);
    printf("webhook %s (%s, %s): test notification\n", w->name,
           config_webhook_format_name(w->format), shown);
    long status = send_one(w, w->format == WF_PAGERDUTY ? "trigger" : "sent", &n);
    bool ok = ok2xx(status);
    if (w->format == WF_PAGERDUTY && ok) {
        /* resolve it at once: the test never pages anyone */
        struct alert_event r = e;
        r.kind = EV_RESOLVED;
        r.prev_level = HEALTH_WARNING;
        r.level = HEALTH_OK;
        char rid[DELIVER_ID_LEN];
        deliver_new_id(rid);
        n.e = &r;
        n.id = rid;
        long rs = send_one(w, "resolve (same dedup_key)", &n);
        ok = ok2xx(rs);
        if (ok)
            printf("webhook %s: HTTP %ld (trigger), HTTP %ld (resolve): no incident stays open\n",
                   w->name, status, rs);
        else {
            char *key = payload_dedup_key(stream, rule);
            app_warn("notify: webhook %s: the test trigger was sent but its resolve was not: "
                     "resolve dedup_key %s in PagerDuty",
                     w->name, key);
            free(key);
        }
    } else if (w->format == WF_ALERTMANAGER && ok) {
        printf("webhook %s: HTTP %ld (the alert ended when it started: Alertmanager notifies no "
               "one)\n",
               w->name, status);
    } else if (status >= 0) {
        printf("webhook %s: HTTP %ld\n", w->name, status);
    }
    alert_context_done(&ctx);
    snapshot_free(snap);
    fflush(stdout);
    return ok ? EXIT_OK : EXIT_WARNING;
}

const struct cmd_entry cmd_notify = {
    .name = "notify",
    .usage = "test NAME [--stream STREAM]",
    .help = "send a test notification through one webhook (resolved at once, marked as a test)",
    .opts = notify_opts,
    .min_words = 2,
    .max_words = 2,
    .exec = notify_exec,
};
