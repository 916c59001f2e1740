/* config check: validate the configuration and print the streams as streamtop resolved them
 * (defaults filled in, ${VAR} expanded, paths normalised, URLs shown without their secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "net/redact.h"

static void print_key(const void *base, const struct cfg_key *k)
{
    char *v = config_value_text(base, k);
    if (!k->secret && redact_is_http(v)) {
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

/* Warn about a local path that does not exist (a typo, or storage not mounted here); s3:// and
 * http(s):// are not fetched by a check, a glob is left to its reader. Returns 1 when warned. */
static int missing(const char *section, int line, const char *key, const char *path)
{
    if (!path || strstr(path, "://") || strpbrk(path, "*?[") || access(path, F_OK) == 0)
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
        n += missing(hdr, cs->line, "checkpoint", cs->checkpoint);
        n += missing(hdr, cs->line, "source", cs->source);
        n += missing(hdr, cs->line, "schema", cs->schema);
        n += missing(hdr, cs->line, "sink", cs->sink);
        n += missing(hdr, cs->line, "progress", cs->progress);
        for (size_t d = 0; d < cs->deadletter.n; d++)
            n += missing(hdr, cs->line, "deadletter", cs->deadletter.v[d]);
    }
    for (size_t i = 0; i < cfg->nwebhooks; i++) {
        const struct cfg_webhook *w = &cfg->webhooks[i];
        snprintf(hdr, sizeof hdr, "[webhook %s]", w->name);
        n += missing(hdr, w->line, "url_file", w->url_file);
        n += missing(hdr, w->line, "ca_file", w->ca_file);
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
    print_section("[azure]", cfg, CS_AZURE);
    print_section("[gcs]", cfg, CS_GCS);
    print_section("[builtin]", cfg, CS_BUILTIN);
    char hdr[300];
    for (size_t i = 0; i < cfg->nstreams; i++) {
        snprintf(hdr, sizeof hdr, "[stream %s]", cfg->streams[i].name);
        print_section(hdr, &cfg->streams[i], CS_STREAM);
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
    if (missing_paths(cfg))
        unmatched++;
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
