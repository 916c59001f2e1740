/* config check: validate the configuration and print the streams as streamtop resolved them
 * (defaults filled in, ${VAR} expanded, paths normalised, URLs shown without their secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/buf.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "net/dbx.h"
#include "net/redact.h"

static void print_key(const void *base, const struct cfg_key *k)
{
    char *v = config_value_text(base, k);
    /* runbook and link templates go into every notification as they are: shown as written */
    if (!k->secret && k->type != CT_TEMPLATE && redact_is_http(v)) {
        /* a progress URL or S3 endpoint: never its user, password, query or fragment; the path
         * only for progress (an endpoint's says nothing) */
        char shown[1024];
        redact_url(v, k->type == CT_PATH, shown, sizeof shown);
        free(v);
        v = xstrdup(shown);
    }
    char *clean = sanitize_dup(v, strlen(v));
    /* secrets (webhook URLs, header values, routing keys) show only that they are set */
    printf("  %-18s = %s\n", k->name, !*clean ? "-" : k->secret ? "(set, hidden)" : clean);
    free(clean);
    free(v);
}

static void print_section(const char *header, const void *base, enum cfg_section sec)
{
    char *clean = sanitize_dup(header, strlen(header));
    printf("%s\n", clean);
    free(clean);
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == sec)
            print_key(base, k);
}

/* The librdkafka properties: secrets (written with ${VAR}, or passwords, keys, tokens, JAAS)
 * show only that they are set. */
static void print_kprops(const struct cfg_kprops *props)
{
    for (size_t i = 0; i < props->n; i++) {
        char *name = sanitize_dup(props->v[i].name, strlen(props->v[i].name));
        char *val = sanitize_dup(props->v[i].value, strlen(props->v[i].value));
        char key[200];
        snprintf(key, sizeof key, "kafka.%s", name);
        printf("  %-18s = %s\n", key, props->v[i].secret ? "(set, hidden)" : val);
        free(name);
        free(val);
    }
}

/* Warn about a local path that does not exist (a typo, or storage not mounted here); s3://,
 * http(s):// and Databricks paths (with a workspace) are not fetched by a check, a glob is left
 * to its reader. Returns 1 when warned. */
static int missing(const char *section, int line, const char *key, const char *path)
{
    if (!path || strstr(path, "://") || strpbrk(path, "*?[") || access(path, F_OK) == 0 ||
        (dbx_api_of(path) != DBX_NONE && dbx_workspace()))
        return 0;
    char *sec = sanitize_dup(section, strlen(section)), *p = sanitize_dup(path, strlen(path));
    if (line > 0)
        fprintf(stderr, "streamtop: warning: %s (line %d) %s %s: no such file or directory\n", sec,
                line, key, p);
    else
        fprintf(stderr, "streamtop: warning: %s %s %s: no such file or directory\n", sec, key, p);
    free(sec);
    free(p);
    return 1;
}

static int missing_paths(const struct config *cfg)
{
    int n = 0;
    char hdr[300];
    for (size_t i = 0; i < cfg->nstreams; i++) {
        const struct cfg_stream *cs = &cfg->streams[i];
        snprintf(hdr, sizeof hdr, "[stream %s]", cs->name);
        dbx_use_profile(cs->dbx_profile);
        n += missing(hdr, cs->line, "checkpoint", cs->checkpoint);
        n += missing(hdr, cs->line, "source", cs->source);
        n += missing(hdr, cs->line, "schema", cs->schema);
        n += missing(hdr, cs->line, "sink", cs->sink);
        n += missing(hdr, cs->line, "progress", cs->progress);
        for (size_t d = 0; d < cs->deadletter.n; d++)
            n += missing(hdr, cs->line, "deadletter", cs->deadletter.v[d]);
        dbx_use_profile(NULL);
    }
    for (size_t i = 0; i < cfg->nwebhooks; i++) {
        const struct cfg_webhook *w = &cfg->webhooks[i];
        snprintf(hdr, sizeof hdr, "[webhook %s]", w->name);
        if (!w->unusable) /* else said already, with the reason */
            n += missing(hdr, w->line, "url_file", w->url_file);
        n += missing(hdr, w->line, "ca_file", w->ca_file);
    }
    return n;
}

/* Where the stream's alerts go, after routing: "built-in: a, b; rule-x: c" (or "-"). */
static void print_routing(const struct config *cfg, const struct cfg_stream *cs)
{
    struct buf b;
    buf_init(&b);
    const struct strvec *to = config_route(&cfg->builtin.routes, &cfg->builtin.notify, cs);
    for (size_t r = 0; r <= cfg->nrules; r++) {
        const char *name = "built-in";
        if (r > 0) {
            const struct cfg_rule *rule = &cfg->rules[r - 1];
            if (!config_rule_matches(rule, cs))
                continue;
            to = config_route(&rule->routes, &rule->notify, cs);
            name = rule->name;
        }
        if (to->n == 0)
            continue;
        buf_printf(&b, "%s%s:", b.len ? "; " : "", name);
        for (size_t w = 0; w < to->n; w++)
            buf_printf(&b, "%s %s", w ? "," : "", to->v[w]);
    }
    char *clean = sanitize_dup(buf_str(&b), b.len);
    printf("  %-18s = %s\n", "(alerts go to)", *clean ? clean : "-");
    free(clean);
    buf_done(&b);
}

/* A route whose matchers hold for no configured stream (a typo in a label): a warning. */
static int unmatched_routes(const struct config *cfg, const struct cfg_routes *routes,
                            const char *section)
{
    int n = 0;
    for (size_t i = 0; i < routes->n; i++) {
        bool any = false;
        for (size_t s = 0; s < cfg->nstreams && !any; s++) {
            struct strvec none;
            strvec_init(&none);
            struct cfg_routes one = {&routes->v[i], 1};
            any = config_route(&one, &none, &cfg->streams[s]) != &none;
            strvec_done(&none);
        }
        if (!any && cfg->nstreams > 0) {
            char *sec = sanitize_dup(section, strlen(section));
            fprintf(stderr, "streamtop: warning: %s route (line %d) matches no stream\n", sec,
                    routes->v[i].line);
            free(sec);
            n++;
        }
    }
    return n;
}

static int config_exec(struct app *app, const struct cmd_args *a)
{
    struct st_err err;
    if (strcmp(a->words[0], "check") != 0)
        return app_usage(&cmd_config);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    const struct config *cfg = app->cfg;
    printf("config %s: ok, %zu stream%s\n", cfg->path ? cfg->path : "(command line)", cfg->nstreams,
           cfg->nstreams == 1 ? "" : "s");
    print_section("[global]", cfg, CS_GLOBAL);
    print_section("[s3]", cfg, CS_S3);
    print_section("[databricks]", cfg, CS_DATABRICKS);
    print_section("[azure]", cfg, CS_AZURE);
    print_section("[gcs]", cfg, CS_GCS);
    print_section("[builtin]", cfg, CS_BUILTIN);
    print_section("[kafka]", cfg, CS_KAFKA);
    print_kprops(&cfg->kafka_props);
    char hdr[300];
    for (size_t i = 0; i < cfg->nstreams; i++) {
        snprintf(hdr, sizeof hdr, "[stream %s]", cfg->streams[i].name);
        print_section(hdr, &cfg->streams[i], CS_STREAM);
        print_routing(cfg, &cfg->streams[i]);
        print_kprops(&cfg->streams[i].kafka_props);
    }
    int unmatched = 0;
    for (size_t i = 0; i < cfg->nrules; i++) {
        const struct cfg_rule *r = &cfg->rules[i];
        snprintf(hdr, sizeof hdr, "[rule %s]", r->name);
        print_section(hdr, r, CS_RULE);
        size_t n = 0;
        for (size_t s = 0; s < cfg->nstreams; s++)
            n += config_rule_matches(r, &cfg->streams[s]);
        if (n == 0) {
            char *name = sanitize_dup(r->name, strlen(r->name));
            fprintf(stderr, "streamtop: warning: [rule %s] (line %d) matches no stream\n", name,
                    r->line);
            free(name);
            unmatched++;
        }
    }
    for (size_t i = 0; i < cfg->nwebhooks; i++) {
        snprintf(hdr, sizeof hdr, "[webhook %s]", cfg->webhooks[i].name);
        print_section(hdr, &cfg->webhooks[i], CS_WEBHOOK);
    }
    if (app_warn_unusable_webhooks(app))
        unmatched++;
    if (missing_paths(cfg))
        unmatched++;
    unmatched += unmatched_routes(cfg, &cfg->builtin.routes, "[builtin]");
    for (size_t i = 0; i < cfg->nrules; i++) {
        snprintf(hdr, sizeof hdr, "[rule %s]", cfg->rules[i].name);
        unmatched += unmatched_routes(cfg, &cfg->rules[i].routes, hdr);
    }
    if (unmatched)
        return EXIT_WARNING;
    return EXIT_OK;
}

const struct cmd_entry cmd_config = {
    .name = "config",
    .usage = "check",
    .help = "validate the config and print the resolved streams",
    .flags = CMD_STREAMS,
    .min_words = 1,
    .max_words = 1,
    .exec = config_exec,
};
