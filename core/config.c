#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdarg.h>
#include <strings.h>

#include "core/buf.h"
#include "core/hashset.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

#define CONFIG_MAX_BYTES (1024 * 1024)
#define LONGVAL_MARK     '\x01'

/* the last two fields of a key row: where the value goes, and whether it is a secret */
#define G(field)  offsetof(struct config, field), false
#define S(field)  offsetof(struct cfg_stream, field), false
#define R(field)  offsetof(struct cfg_rule, field), false
#define W(field)  offsetof(struct cfg_webhook, field), false
#define WS(field) offsetof(struct cfg_webhook, field), true

const struct cfg_key config_keys[] = {
    {CS_GLOBAL, "refresh", CT_DURATION, "2s", "Dashboard refresh interval.", G(refresh_ms)},
    {CS_GLOBAL, "retention", CT_DURATION, "14d", "How long history is kept in the state database.",
     G(retention_ms)},
    {CS_GLOBAL, "timeout", CT_DURATION, "10s",
     "Longest wait for one network request (metrics URLs, S3).", G(timeout_ms)},
    {CS_GLOBAL, "database", CT_PATH, NULL,
     "State database path (default $XDG_STATE_HOME/streamtop/history.db; :memory: allowed).",
     G(database)},
    {CS_S3, "endpoint", CT_URL, NULL,
     "S3-compatible endpoint URL (path-style addressing); unset for AWS.", G(s3_endpoint)},
    {CS_S3, "region", CT_STRING, NULL,
     "Signing region (default $AWS_REGION, the profile's, or us-east-1).", G(s3_region)},
    {CS_S3, "profile", CT_STRING, NULL,
     "AWS profile in ~/.aws/credentials (default: the environment's keys, then $AWS_PROFILE).",
     G(s3_profile)},
    {CS_S3, "parallel", CT_COUNT, "8", "Requests one S3 listing may run at once (1 to 64).",
     G(s3_parallel)},
    {CS_BUILTIN, "stalled", CT_BOOL, "on",
     "Stream stalled: no commit for max(stalled_factor x cadence, stalled_min) while work waits.",
     G(builtin.stalled)},
    {CS_BUILTIN, "stalled_factor", CT_COUNT, "3", "Cadences without a commit before stalled.",
     G(builtin.stalled_factor)},
    {CS_BUILTIN, "stalled_min", CT_DURATION, "5m", "Shortest time without a commit that stalls.",
     G(builtin.stalled_min_ms)},
    {CS_BUILTIN, "stuck", CT_BOOL, "on",
     "Batch stuck: in flight for more than max(stuck_factor x median duration, stuck_min).",
     G(builtin.stuck)},
    {CS_BUILTIN, "stuck_factor", CT_COUNT, "10", "Median batch durations before stuck.",
     G(builtin.stuck_factor)},
    {CS_BUILTIN, "stuck_min", CT_DURATION, "15m", "Shortest time in flight that is stuck.",
     G(builtin.stuck_min_ms)},
    {CS_BUILTIN, "not_draining", CT_BOOL, "on",
     "Backlog not draining: it never shrank over drain_window while batches committed.",
     G(builtin.not_draining)},
    {CS_BUILTIN, "drain_window", CT_DURATION, "30m", "History window of not_draining.",
     G(builtin.drain_window_ms)},
    {CS_BUILTIN, "deadletter_growing", CT_BOOL, "on", "New dead-letter files since the last pass.",
     G(builtin.deadletter_growing)},
    {CS_BUILTIN, "schema_changed", CT_BOOL, "on", "A new schema version appeared (warning, 1h).",
     G(builtin.schema_changed)},
    {CS_BUILTIN, "collector_failing", CT_BOOL, "on",
     "A path cannot be read: the stream is UNKNOWN.", G(builtin.collector_failing)},
    {CS_BUILTIN, "unknown_grace", CT_DURATION, "10m",
     "How long a firing alert's metric may be unmeasurable before the alert is UNKNOWN.",
     G(builtin.unknown_grace_ms)},
    {CS_BUILTIN, "repeat", CT_DURATION, "4h", "Re-notify interval of built-in alerts.",
     G(builtin.repeat_ms)},
    {CS_BUILTIN, "notify", CT_LIST, NULL, "Webhooks the built-in rules notify (none unless set).",
     G(builtin.notify)},
    {CS_STREAM, "checkpoint", CT_PATH, NULL, "Spark checkpoint location of the query.",
     S(checkpoint)},
    {CS_STREAM, "source", CT_PATH, NULL, "Landing path the stream reads (file backlog).",
     S(source)},
    {CS_STREAM, "schema", CT_PATH, NULL, "Auto Loader schemaLocation (holds _schemas/).",
     S(schema)},
    {CS_STREAM, "sink", CT_PATH, NULL, "Delta table the stream writes (reads _delta_log).",
     S(sink)},
    {CS_STREAM, "deadletter", CT_PATHLIST, NULL, "Comma-separated dead-letter prefixes.",
     S(deadletter)},
    {CS_STREAM, "progress", CT_PATH, NULL,
     "Progress JSON lines, a driver log, or an http(s):// metrics URL.", S(progress)},
    {CS_STREAM, "trigger", CT_DURATION, "0", "Expected batch cadence (0: learn it from history).",
     S(trigger_ms)},
    {CS_STREAM, "labels", CT_LABELS, NULL, "Comma-separated key=value labels.", S(labels)},
    {CS_STREAM, "s3_profile", CT_STRING, NULL,
     "AWS profile for this stream's s3:// paths (overrides [s3] profile).", S(s3_profile)},
    {CS_STREAM, "follow_links", CT_BOOL, "no",
     "Follow links that lead out of the stream's configured paths.", S(follow_links)},
    {CS_RULE, "streams", CT_STRING, "*", "Glob over stream names, or label=value.", R(streams)},
    {CS_RULE, "metric", CT_METRIC, NULL, "The metric the rule watches (any registry name).",
     R(metric)},
    {CS_RULE, "warn", CT_THRESHOLD, NULL, "Warning condition: > 600, >= 1, < 0.5.", R(warn)},
    {CS_RULE, "crit", CT_THRESHOLD, NULL, "Critical condition.", R(crit)},
    {CS_RULE, "for", CT_DURATION, "0", "How long the condition must hold before firing.",
     R(for_ms)},
    {CS_RULE, "repeat", CT_DURATION, "4h", "Re-notify interval while firing.", R(repeat_ms)},
    {CS_RULE, "notify", CT_LIST, NULL, "Webhook names to notify.", R(notify)},
    {CS_RULE, "summary", CT_STRING, NULL,
     "Message template: {stream}, {metric}, {value}, {threshold}, {level}, {rule}.", R(summary)},
    {CS_WEBHOOK, "format", CT_STRING, "json", "json | slack | pagerduty | alertmanager.",
     W(format)},
    {CS_WEBHOOK, "url", CT_STRING, NULL, "Where to POST (Alertmanager: its base URL).", WS(url)},
    {CS_WEBHOOK, "url_file", CT_PATH, NULL, "A file holding the URL (instead of url).",
     W(url_file)},
    {CS_WEBHOOK, "header", CT_HEADER, NULL, "An extra header, Name: value (repeatable).",
     WS(headers)},
    {CS_WEBHOOK, "routing_key", CT_STRING, NULL, "PagerDuty Events API v2 routing key.",
     WS(routing_key)},
    {CS_WEBHOOK, "ca_file", CT_PATH, NULL, "Extra CA bundle for TLS.", W(ca_file)},
    {CS_WEBHOOK, "timeout", CT_DURATION, "5s", "Longest wait for one delivery.", W(timeout_ms)},
    {CS_WEBHOOK, "max_age", CT_DURATION, "24h",
     "How long an undelivered notification is retried before it is dropped.", W(max_age_ms)},
    {0, NULL, 0, NULL, NULL, 0, false},
};

const char *config_section_name(enum cfg_section s)
{
    static const char *const names[] = {"global", "s3", "builtin", "stream", "rule", "webhook"};
    return (unsigned)s < CS__COUNT ? names[s] : "?";
}

/* ---- values ---------------------------------------------------------------------------- */

char *config_expand_env(const char *value, struct st_err *err)
{
    struct buf out;
    buf_init(&out);
    for (const char *p = value; *p;) {
        if (p[0] == '$' && p[1] == '$') {
            buf_putc(&out, '$');
            p += 2;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            buf_putc(&out, *p++);
            continue;
        }
        const char *close = strchr(p + 2, '}');
        if (!close) {
            buf_done(&out);
            st_err_set(err, ST_EFORMAT, "unterminated ${ in '%s'", value);
            return NULL;
        }
        char *inner = xstrndup(p + 2, (size_t)(close - p - 2));
        char *def = strstr(inner, ":-");
        if (def) {
            *def = '\0';
            def += 2;
        }
        bool ok = *inner != '\0';
        for (const char *c = inner; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                ok = false;
        if (!ok) {
            st_err_set(err, ST_EFORMAT, "bad variable name '${%s}'", inner);
            free(inner);
            buf_done(&out);
            return NULL;
        }
        const char *env = getenv(inner);
        if (env && *env)
            buf_puts(&out, env);
        else if (def)
            buf_puts(&out, def);
        else {
            st_err_set(err, ST_EFORMAT, "environment variable %s is not set", inner);
            free(inner);
            buf_done(&out);
            return NULL;
        }
        free(inner);
        p = close + 1;
    }
    return buf_steal(&out);
}

char *config_quote(const char *value)
{
    /* text that is not clean UTF-8 (C1 controls, stray bytes) has every non-ASCII byte escaped,
     * so that nothing in it can act on a terminal */
    bool raw8 = !sanitize_is_clean(value);
    bool quote = raw8 || !*value || isspace((unsigned char)value[0]) ||
                 isspace((unsigned char)value[strlen(value) - 1]);
    for (const unsigned char *c = (const unsigned char *)value; *c && !quote; c++)
        quote = *c < 0x20 || *c == 0x7F || *c == ';' || *c == '#' || *c == '"' || *c == '\\';
    struct buf out;
    buf_init(&out);
    if (quote)
        buf_putc(&out, '"');
    for (const unsigned char *c = (const unsigned char *)value; *c; c++) {
        if (*c == '$')
            buf_puts(&out, "$$");
        else if (quote && (*c == '"' || *c == '\\'))
            buf_printf(&out, "\\%c", *c);
        else if (*c < 0x20 || *c == 0x7F || (raw8 && *c >= 0x80))
            buf_printf(&out, "\\x%02x", *c);
        else
            buf_putc(&out, (char)*c);
    }
    if (quote)
        buf_putc(&out, '"');
    return buf_steal(&out);
}

/* A double-quoted value starting at q (which points at the opening quote) and ending before
 * end: its unescaped text into out, and 0; -1 with err when it is malformed. What follows the
 * closing quote may only be white space or a comment. */
static int unquote(const char *q, const char *end, struct buf *out, struct st_err *err)
{
    const char *c = q + 1;
    for (; c < end && *c != '"'; c++) {
        if (*c != '\\') {
            buf_putc(out, *c);
            continue;
        }
        if (++c >= end)
            break;
        switch (*c) {
        case '\\':
        case '"':
            buf_putc(out, *c);
            break;
        case 'n':
            buf_putc(out, '\n');
            break;
        case 't':
            buf_putc(out, '\t');
            break;
        case 'x': {
            char hex[3] = {0};
            unsigned long v = 0;
            if (end - c > 2 && isxdigit((unsigned char)c[1]) && isxdigit((unsigned char)c[2])) {
                memcpy(hex, c + 1, 2);
                v = strtoul(hex, NULL, 16);
            }
            if (v == 0)
                return st_err_set(err, ST_EFORMAT,
                                  "\\x in a quoted value needs two hex digits, not 00");
            buf_putc(out, (char)v);
            c += 2;
            break;
        }
        default:
            return st_err_set(err, ST_EFORMAT,
                              "unknown escape \\%c in a quoted value (use \\\\ \\\" \\n \\t \\xHH)",
                              isprint((unsigned char)*c) ? *c : '?');
        }
    }
    if (c >= end)
        return st_err_set(err, ST_EFORMAT, "quoted value without its closing \"");
    for (c++; c < end && isspace((unsigned char)*c); c++)
        ;
    if (c < end && *c != ';' && *c != '#')
        return st_err_set(err, ST_EFORMAT, "text after the closing quote of a value");
    return 0;
}

/* "/D:/x" or "/D:" (a Windows drive after file:/): where its drive letter starts, else NULL. */
static const char *windows_drive(const char *p)
{
    if (p[0] == '/' && isalpha((unsigned char)p[1]) && p[2] == ':' && (p[3] == '/' || !p[3]))
        return p + 1;
    return NULL;
}

char *config_normalize_path(const char *path)
{
    const char *drive;
    if (str_prefix(path, "file://"))
        return xstrdup((drive = windows_drive(path + 7)) ? drive : path + 7);
    if (str_prefix(path, "file:/"))
        return xstrdup((drive = windows_drive(path + 5)) ? drive : path + 5);
    if (str_prefix(path, "dbfs:/"))
        return xasprintf("/dbfs/%s", path + 6 + (path[6] == '/'));
    if (str_prefix(path, "s3a://") || str_prefix(path, "s3n://"))
        return xasprintf("s3://%s", path + 6);
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        const char *home = getenv("HOME");
        return xasprintf("%s%s", home ? home : "", path + 1);
    }
    return xstrdup(path);
}

static bool label_name_ok(const char *s)
{
    if (!*s || (!isalpha((unsigned char)*s) && *s != '_') || str_prefix(s, "__"))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* Split a comma list into trimmed, non-empty items. */
static void split_list(const char *value, struct strvec *out)
{
    char *copy = xstrdup(value);
    char *save = copy;
    for (char *item = copy;;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        str_trim(item);
        if (*item)
            strvec_push(out, item);
        if (!comma)
            break;
        item = comma + 1;
    }
    free(save);
}

static int set_value(void *base, const struct cfg_key *k, const char *value, struct st_err *err)
{
    void *field = (char *)base + k->offset;
    switch (k->type) {
    case CT_URL:
        if (!str_prefix(value, "http://") && !str_prefix(value, "https://"))
            /* the value is not echoed: it may hold a password */
            return st_err_set(err, ST_EFORMAT, "not an http:// or https:// URL");
        /* fall through */
    case CT_STRING: {
        char **s = field;
        free(*s);
        *s = xstrdup(value);
        return 0;
    }
    case CT_PATH: {
        char **s = field;
        if (!*value)
            return st_err_set(err, ST_EFORMAT, "empty path");
        free(*s);
        *s = config_normalize_path(value);
        return 0;
    }
    case CT_PATHLIST: {
        struct strvec items;
        strvec_init(&items);
        split_list(value, &items);
        for (size_t i = 0; i < items.n; i++)
            strvec_take(field, config_normalize_path(items.v[i]));
        strvec_done(&items);
        return 0;
    }
    case CT_THRESHOLD:
        if (config_parse_threshold(value, field) < 0)
            return st_err_set(err, ST_EFORMAT,
                              "'%s' is not a condition (use e.g. > 600, >= 1, < 0.5)", value);
        return 0;
    case CT_LIST: {
        struct strvec *sv = field;
        strvec_done(sv);
        strvec_init(sv);
        split_list(value, sv);
        return 0;
    }
    case CT_BOOL: {
        static const char *const yes[] = {"on", "yes", "true", "1"};
        static const char *const no[] = {"off", "no", "false", "0"};
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(value, yes[i]) == 0) {
                *(bool *)field = true;
                return 0;
            }
            if (strcasecmp(value, no[i]) == 0) {
                *(bool *)field = false;
                return 0;
            }
        }
        return st_err_set(err, ST_EFORMAT, "'%s' is not on or off", value);
    }
    case CT_METRIC: {
        int m = metric_find(value);
        if (m < 0)
            return st_err_set(err, ST_EFORMAT, "unknown metric '%s' (see METRICS in streamtop(1))",
                              value);
        *(int *)field = m;
        return 0;
    }
    case CT_HEADER: {
        const char *colon = strchr(value, ':');
        if (!colon || colon == value)
            return st_err_set(err, ST_EFORMAT, "a header is 'Name: value'");
        for (const char *c = value; c < colon; c++)
            if (!isalnum((unsigned char)*c) && *c != '-' && *c != '_')
                return st_err_set(err, ST_EFORMAT, "'%.*s' is not a header name",
                                  (int)(colon - value), value);
        for (const char *c = value; *c; c++)
            if ((unsigned char)*c < 0x20)
                return st_err_set(err, ST_EFORMAT, "control character in a header");
        strvec_push(field, value);
        return 0;
    }
    case CT_COUNT: {
        int64_t n;
        if (parse_int64(value, &n) < 0 || n < 1 || n > 64)
            return st_err_set(err, ST_EFORMAT, "'%s' is not a whole number from 1 to 64", value);
        *(int64_t *)field = n;
        return 0;
    }
    case CT_DURATION: {
        int64_t ms;
        if (parse_duration_ms(value, &ms) < 0)
            return st_err_set(err, ST_EFORMAT,
                              "'%s' is not a duration (use e.g. 500ms, 30s, 5m, 2h, 14d)", value);
        *(int64_t *)field = ms;
        return 0;
    }
    case CT_LABELS: {
        struct cfg_labels *labels = field;
        struct strvec items;
        strvec_init(&items);
        split_list(value, &items);
        int rc = 0;
        for (size_t i = 0; i < items.n && rc == 0; i++) {
            char *eq = strchr(items.v[i], '=');
            if (!eq) {
                rc = st_err_set(err, ST_EFORMAT, "label '%s' is not key=value", items.v[i]);
                break;
            }
            *eq = '\0';
            char *key = str_trim(items.v[i]);
            char *val = str_trim(eq + 1);
            if (!label_name_ok(key) || strcmp(key, "stream") == 0) {
                rc = st_err_set(err, ST_EFORMAT,
                                "label name '%s' is not allowed (letters, digits, _; not "
                                "'stream', not starting with __)",
                                key);
                break;
            }
            for (size_t j = 0; j < labels->n; j++)
                if (strcmp(labels->v[j].key, key) == 0)
                    rc = st_err_set(err, ST_EFORMAT, "label '%s' given twice", key);
            if (rc)
                break;
            labels->v = xrealloc(labels->v, (labels->n + 1) * sizeof *labels->v);
            labels->v[labels->n].key = xstrdup(key);
            labels->v[labels->n].value = xstrdup(val);
            labels->n++;
        }
        strvec_done(&items);
        return rc;
    }
    }
    return st_err_set(err, ST_EFAIL, "internal: unknown key type");
}

static int apply_default(void *base, const struct cfg_key *k)
{
    if (!k->def)
        return 0;
    struct st_err err;
    return set_value(base, k, k->def, &err);
}

static const struct cfg_key *find_key(enum cfg_section sec, const char *name)
{
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == sec && strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

static const char *closest_key(enum cfg_section sec, const char *name)
{
    const char *best = NULL;
    int bestd = 3; /* suggest only close misspellings */
    for (const struct cfg_key *k = config_keys; k->name; k++) {
        if (k->section != sec)
            continue;
        int d = str_distance(name, k->name);
        if (d < bestd) {
            bestd = d;
            best = k->name;
        }
    }
    return best;
}

/* ---- objects --------------------------------------------------------------------------- */

static void stream_done(struct cfg_stream *st)
{
    free(st->name);
    free(st->checkpoint);
    free(st->source);
    free(st->schema);
    free(st->sink);
    free(st->progress);
    strvec_done(&st->deadletter);
    for (size_t i = 0; i < st->labels.n; i++) {
        free(st->labels.v[i].key);
        free(st->labels.v[i].value);
    }
    free(st->labels.v);
    free(st->s3_profile);
}

static void rule_done(struct cfg_rule *r)
{
    free(r->name);
    free(r->streams);
    strvec_done(&r->notify);
    free(r->summary);
}

static void webhook_done(struct cfg_webhook *w)
{
    free(w->name);
    free(w->format);
    free(w->url);
    free(w->url_file);
    strvec_done(&w->headers);
    free(w->routing_key);
    free(w->ca_file);
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->nrules; i++)
        rule_done(&cfg->rules[i]);
    free(cfg->rules);
    for (size_t i = 0; i < cfg->nwebhooks; i++)
        webhook_done(&cfg->webhooks[i]);
    free(cfg->webhooks);
    strvec_done(&cfg->builtin.notify);
    for (size_t i = 0; i < cfg->nstreams; i++)
        stream_done(&cfg->streams[i]);
    free(cfg->streams);
    free(cfg->path);
    free(cfg->database);
    free(cfg->s3_endpoint);
    free(cfg->s3_region);
    free(cfg->s3_profile);
    free(cfg);
}

static char *default_database(void)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state)
        return xasprintf("%s/streamtop/history.db", state);
    const char *home = getenv("HOME");
    return xasprintf("%s/.local/state/streamtop/history.db", home && *home ? home : ".");
}

struct config *config_new_default(void)
{
    struct config *cfg = xcalloc(1, sizeof *cfg);
    strvec_init(&cfg->builtin.notify);
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == CS_GLOBAL || k->section == CS_S3 || k->section == CS_BUILTIN)
            apply_default(cfg, k);
    cfg->database = default_database();
    return cfg;
}

static struct cfg_stream *add_stream(struct config *cfg, const char *name, int line)
{
    cfg->streams = xrealloc(cfg->streams, (cfg->nstreams + 1) * sizeof *cfg->streams);
    struct cfg_stream *st = &cfg->streams[cfg->nstreams++];
    memset(st, 0, sizeof *st);
    st->name = xstrdup(name);
    st->line = line;
    strvec_init(&st->deadletter);
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == CS_STREAM)
            apply_default(st, k);
    return st;
}

static struct cfg_rule *add_rule(struct config *cfg, const char *name, int line)
{
    cfg->rules = xrealloc(cfg->rules, (cfg->nrules + 1) * sizeof *cfg->rules);
    struct cfg_rule *r = &cfg->rules[cfg->nrules++];
    memset(r, 0, sizeof *r);
    r->name = xstrdup(name);
    r->line = line;
    r->metric = -1;
    strvec_init(&r->notify);
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == CS_RULE)
            apply_default(r, k);
    return r;
}

static struct cfg_webhook *add_webhook(struct config *cfg, const char *name, int line)
{
    cfg->webhooks = xrealloc(cfg->webhooks, (cfg->nwebhooks + 1) * sizeof *cfg->webhooks);
    struct cfg_webhook *w = &cfg->webhooks[cfg->nwebhooks++];
    memset(w, 0, sizeof *w);
    w->name = xstrdup(name);
    w->line = line;
    strvec_init(&w->headers);
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == CS_WEBHOOK)
            apply_default(w, k);
    return w;
}

const struct cfg_webhook *config_webhook(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nwebhooks; i++)
        if (strcmp(cfg->webhooks[i].name, name) == 0)
            return &cfg->webhooks[i];
    return NULL;
}

bool config_rule_matches(const struct cfg_rule *r, const struct cfg_stream *st)
{
    const char *eq = strchr(r->streams, '=');
    if (eq) {
        size_t kl = (size_t)(eq - r->streams);
        for (size_t i = 0; i < st->labels.n; i++)
            if (strlen(st->labels.v[i].key) == kl &&
                strncmp(st->labels.v[i].key, r->streams, kl) == 0)
                return fnmatch(eq + 1, st->labels.v[i].value, 0) == 0;
        return false;
    }
    return fnmatch(r->streams, st->name, 0) == 0;
}

int config_parse_threshold(const char *s, struct cfg_threshold *out)
{
    static const struct {
        const char *text;
        enum cmp_op op;
    } ops[] = {{">=", CMP_GE}, {"<=", CMP_LE}, {"==", CMP_EQ},
               {"!=", CMP_NE}, {">", CMP_GT},  {"<", CMP_LT}};
    while (isspace((unsigned char)*s))
        s++;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t n = strlen(ops[i].text);
        if (strncmp(s, ops[i].text, n) == 0) {
            char *num = xstrdup(s + n);
            str_trim(num);
            double v;
            int rc = parse_double(num, &v);
            free(num);
            if (rc < 0)
                return -1;
            out->op = ops[i].op;
            out->value = v;
            return 0;
        }
    }
    return -1;
}

char *config_threshold_text(const struct cfg_threshold *t, char *out, size_t outlen)
{
    static const char *const text[] = {"", ">", ">=", "<", "<=", "==", "!="};
    char num[32];
    if (t->op == CMP_NONE)
        snprintf(out, outlen, "%s", "");
    else
        snprintf(out, outlen, "%s %s", text[t->op], fmt_number(t->value, num, sizeof num));
    return out;
}

bool config_threshold_met(const struct cfg_threshold *t, double v)
{
    if (isnan(v))
        return false;
    switch (t->op) {
    case CMP_GT:
        return v > t->value;
    case CMP_GE:
        return v >= t->value;
    case CMP_LT:
        return v < t->value;
    case CMP_LE:
        return v <= t->value;
    case CMP_EQ:
        return v == t->value;
    case CMP_NE:
        return v != t->value;
    case CMP_NONE:
        break;
    }
    return false;
}

static bool stream_name_taken(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nstreams; i++)
        if (strcmp(cfg->streams[i].name, name) == 0)
            return true;
    return false;
}

struct cfg_stream *config_add_stream(struct config *cfg, const char *name, const char *checkpoint)
{
    char *norm = checkpoint ? config_normalize_path(checkpoint) : NULL;
    char *derived = NULL;
    if (!name) {
        /* the last path component, without trailing slashes */
        const char *src = norm ? norm : "stream";
        size_t n = strlen(src);
        while (n > 1 && src[n - 1] == '/')
            n--;
        size_t start = n;
        while (start > 0 && src[start - 1] != '/')
            start--;
        derived = n > start ? xstrndup(src + start, n - start) : xstrdup("stream");
        name = derived;
    }
    char *unique = xstrdup(name);
    for (int i = 2; stream_name_taken(cfg, unique); i++) {
        free(unique);
        unique = xasprintf("%s-%d", name, i);
    }
    struct cfg_stream *st = add_stream(cfg, unique, 0);
    st->checkpoint = norm;
    st->timeout_ms = cfg->timeout_ms;
    free(unique);
    free(derived);
    return st;
}

int config_stream_set(struct cfg_stream *st, const char *key, const char *value, struct st_err *err)
{
    const struct cfg_key *k = find_key(CS_STREAM, key);
    if (!k)
        return st_err_set(err, ST_EFORMAT, "unknown stream key '%s'", key);
    return set_value(st, k, value, err);
}

/* ---- parsing --------------------------------------------------------------------------- */

struct parser {
    const char *name; /* file name for messages */
    const char *text;
    size_t len, pos;
    int lineno;
    struct config *cfg;
    int sec;                   /* enum cfg_section of the current section, -1 for none/bad */
    struct cfg_stream *stream; /* current [stream] (index below is the stable handle) */
    size_t stream_index;
    char section_label[160]; /* "[stream orders]" for messages */
    struct strvec seen;      /* "section\x1fkey" set and "kind\x1fname" defined so far */
    struct hashset seen_at;  /* hash of each of those -> its index in seen (linear time) */
    struct strvec longvals;  /* values of lines longer than inih's line buffer */
    bool failed;
    struct st_err err;
};

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    st_err_set(&p->err, ST_EFORMAT, "%s:%d: %s", p->name, p->lineno, msg);
}

/* Record text (taken) as seen; false when it was seen already. */
static bool seen_first(struct parser *p, char *text)
{
    uint64_t h = hash64(text, strlen(text));
    int64_t at;
    if (hashset_get(&p->seen_at, h, &at)) {
        bool same = strcmp(p->seen.v[at], text) == 0;
        free(text);
        return !same; /* a different text with the same hash: take it as new */
    }
    hashset_put(&p->seen_at, h, (int64_t)p->seen.n);
    strvec_take(&p->seen, text);
    return true;
}

/* The name of a "[kind NAME]" header, or NULL when the header is not of that kind. */
static char *section_arg(char *name, const char *kind)
{
    size_t n = strlen(kind);
    if (strncmp(name, kind, n) != 0 || (name[n] != ' ' && name[n] != '\t'))
        return NULL;
    return str_trim(name + n + 1);
}

static bool name_ok(const char *s)
{
    if (!*s)
        return false;
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7F || *c == '"' || *c == '\\')
            return false;
    return true;
}

static void begin_section(struct parser *p, const char *header)
{
    char *name = xstrdup(header);
    str_trim(name);
    p->stream = NULL;
    p->sec = -1;
    snprintf(p->section_label, sizeof p->section_label, "[%s]", name);
    char *arg;
    if (strcmp(name, "global") == 0) {
        p->sec = CS_GLOBAL;
    } else if (strcmp(name, "s3") == 0) {
        p->sec = CS_S3;
    } else if (strcmp(name, "builtin") == 0) {
        p->sec = CS_BUILTIN;
    } else if ((arg = section_arg(name, "stream")) != NULL) {
        if (!name_ok(arg))
            fail(p,
                 "[stream]: the stream name '%s' is empty or has quotes, backslashes or "
                 "control characters",
                 arg);
        else if (!seen_first(p, xasprintf("stream\x1f%s", arg)))
            fail(p, "[stream %s]: stream defined twice", arg);
        else {
            p->sec = CS_STREAM;
            p->stream = add_stream(p->cfg, arg, p->lineno);
            p->stream_index = p->cfg->nstreams - 1;
            snprintf(p->section_label, sizeof p->section_label, "[stream %s]", arg);
        }
    } else if ((arg = section_arg(name, "rule")) != NULL) {
        if (!name_ok(arg))
            fail(p, "[rule]: the rule name '%s' is empty or has quotes or control characters", arg);
        else if (!seen_first(p, xasprintf("rule\x1f%s", arg)))
            fail(p, "[rule %s]: rule defined twice", arg);
        else {
            p->sec = CS_RULE;
            add_rule(p->cfg, arg, p->lineno);
            p->stream_index = p->cfg->nrules - 1;
            snprintf(p->section_label, sizeof p->section_label, "[rule %s]", arg);
        }
    } else if ((arg = section_arg(name, "webhook")) != NULL) {
        if (!name_ok(arg))
            fail(p, "[webhook]: the webhook name '%s' is empty or has quotes or control characters",
                 arg);
        else if (!seen_first(p, xasprintf("webhook\x1f%s", arg)))
            fail(p, "[webhook %s]: webhook defined twice", arg);
        else {
            p->sec = CS_WEBHOOK;
            add_webhook(p->cfg, arg, p->lineno);
            p->stream_index = p->cfg->nwebhooks - 1;
            snprintf(p->section_label, sizeof p->section_label, "[webhook %s]", arg);
        }
    } else if (strcmp(name, "stream") == 0 || strcmp(name, "rule") == 0 ||
               strcmp(name, "webhook") == 0) {
        fail(p, "[%s] needs a name: [%s NAME]", name, name);
    } else {
        fail(p,
             "unknown section [%s] (expected [global], [s3], [builtin], [stream NAME], "
             "[rule NAME] or [webhook NAME])",
             name);
    }
    free(name);
}

/* Strip an inline "; comment" (a ';' at the start or after white space) and trim. */
static void strip_inline_comment(char *s)
{
    for (char *c = s; *c; c++) {
        if (*c == ';' && (c == s || isspace((unsigned char)c[-1]))) {
            *c = '\0';
            break;
        }
    }
    str_trim(s);
}

/* inih reader: hands inih one line at a time, counts lines, notices section headers (so empty
 * sections exist too) and replaces over-long values by a placeholder the handler resolves. */
static char *reader(char *str, int num, void *stream)
{
    struct parser *p = stream;
    if (p->pos >= p->len)
        return NULL;
    const char *line = p->text + p->pos;
    const char *nl = memchr(line, '\n', p->len - p->pos);
    size_t len = nl ? (size_t)(nl - line) + 1 : p->len - p->pos;
    p->pos += len;
    p->lineno++;
    if (memchr(line, '\0', len)) {
        fail(p, "NUL byte in the file");
        str[0] = '\0';
        return str;
    }
    size_t body = len;
    while (body > 0 && (line[body - 1] == '\n' || line[body - 1] == '\r'))
        body--;
    const char *s = line;
    while (s < line + body && isspace((unsigned char)*s))
        s++;
    if (s < line + body && *s == '[') {
        const char *close = memchr(s, ']', (size_t)(line + body - s));
        if (close) {
            char *hdr = xstrndup(s + 1, (size_t)(close - s - 1));
            begin_section(p, hdr);
            free(hdr);
        }
    }
    const char *eq = memchr(line, '=', body);
    const char *v = eq ? eq + 1 : NULL;
    while (v && v < line + body && isspace((unsigned char)*v))
        v++;
    if (v && v < line + body && *v == '"' && *s != ';' && *s != '#' && *s != '[') {
        /* A quoted value: unescaped here, handed to the handler like a long value. */
        struct buf q;
        struct st_err qerr;
        buf_init(&q);
        if (unquote(v, line + body, &q, &qerr) < 0) {
            fail(p, "%s", qerr.msg);
            buf_done(&q);
            str[0] = '\0';
            return str;
        }
        strvec_take(&p->longvals, buf_steal(&q));
        int n = snprintf(str, (size_t)num, "%.*s= %c%zu\n", (int)(eq - line), line, LONGVAL_MARK,
                         p->longvals.n - 1);
        if (n < 0 || n >= num) {
            fail(p, "line too long to parse");
            str[0] = '\0';
        }
        return str;
    }
    if (body + 2 < (size_t)num) {
        memcpy(str, line, body);
        str[body] = '\n';
        str[body + 1] = '\0';
        return str;
    }
    /* Too long for inih: keep "name =" and stash the value. A blank line ends at the end of
     * the text when it is the last one, so s is only read below its end. */
    bool skip = s == line + body || *s == ';' || *s == '#';
    if (!eq || (size_t)(eq - line) + 8 >= (size_t)num || skip) {
        if (!skip)
            fail(p, "line too long to parse (%zu bytes)", body);
        str[0] = '\0';
        return str;
    }
    char *val = xstrndup(eq + 1, (size_t)(line + body - eq - 1));
    strip_inline_comment(val);
    strvec_take(&p->longvals, val);
    int n = snprintf(str, (size_t)num, "%.*s= %c%zu\n", (int)(eq - line), line, LONGVAL_MARK,
                     p->longvals.n - 1);
    if (n < 0 || n >= num)
        fail(p, "line too long to parse");
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parser *p = user;
    (void)section;
    if (p->failed)
        return 1;
    if (p->sec < 0) {
        fail(p, "key '%s' outside a known section", name);
        return 0;
    }
    if (value[0] == LONGVAL_MARK) {
        size_t idx = (size_t)strtoul(value + 1, NULL, 10);
        value = idx < p->longvals.n ? p->longvals.v[idx] : "";
    }
    const struct cfg_key *k = find_key((enum cfg_section)p->sec, name);
    if (!k) {
        const char *hint = closest_key((enum cfg_section)p->sec, name);
        if (hint)
            fail(p, "%s: unknown key '%s' (did you mean '%s'?)", p->section_label, name, hint);
        else
            fail(p, "%s: unknown key '%s'", p->section_label, name);
        return 0;
    }
    bool repeatable = k->type == CT_PATHLIST || k->type == CT_LABELS || k->type == CT_HEADER;
    /* the section by kind and index: two long stream names may share a shortened label */
    size_t at =
        p->sec == CS_STREAM || p->sec == CS_RULE || p->sec == CS_WEBHOOK ? p->stream_index : 0;
    if (!repeatable && !seen_first(p, xasprintf("%d\x1f%zu\x1f%s", p->sec, at, name))) {
        fail(p, "%s: key '%s' set twice", p->section_label, name);
        return 0;
    }
    struct st_err err;
    char *expanded = config_expand_env(value, &err);
    if (!expanded) {
        fail(p, "%s: %s: %s", p->section_label, name, err.msg);
        return 0;
    }
    void *base = p->sec == CS_STREAM    ? (void *)&p->cfg->streams[p->stream_index]
                 : p->sec == CS_RULE    ? (void *)&p->cfg->rules[p->stream_index]
                 : p->sec == CS_WEBHOOK ? (void *)&p->cfg->webhooks[p->stream_index]
                                        : (void *)p->cfg;
    if (set_value(base, k, expanded, &err) < 0) {
        fail(p, "%s: %s: %s", p->section_label, name, err.msg);
        free(expanded);
        return 0;
    }
    free(expanded);
    return 1;
}

static int check_streams(struct parser *p)
{
    for (size_t i = 0; i < p->cfg->nstreams; i++) {
        const struct cfg_stream *st = &p->cfg->streams[i];
        if (!st->checkpoint && !st->source && !st->progress && !st->sink && !st->schema &&
            st->deadletter.n == 0) {
            p->lineno = st->line;
            fail(p,
                 "[stream %s]: nothing to watch: set checkpoint (or source, progress, sink, "
                 "schema, deadletter)",
                 st->name);
            return -1;
        }
    }
    return 0;
}

/* Read a secret URL from url_file (first line, trimmed). */
static int read_url_file(struct cfg_webhook *w, struct st_err *err)
{
    FILE *f = fopen(w->url_file, "rb");
    if (!f)
        return st_err_set(err, ST_EIO, "%s: %s", w->url_file, strerror(errno));
    char line[4096];
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    if (!got)
        return st_err_set(err, ST_EFORMAT, "%s: empty", w->url_file);
    str_trim(line);
    free(w->url);
    w->url = xstrdup(line);
    return 0;
}

/* Every name of a notify list is a [webhook NAME]. */
static int check_notify(struct parser *p, const struct strvec *names, const char *label)
{
    for (size_t i = 0; i < names->n; i++) {
        if (!config_webhook(p->cfg, names->v[i])) {
            fail(p, "%s: notify: no [webhook %s]", label, names->v[i]);
            return -1;
        }
    }
    return 0;
}

static int check_alerting(struct parser *p)
{
    static const char *const formats[] = {"json", "slack", "pagerduty", "alertmanager"};
    for (size_t i = 0; i < p->cfg->nwebhooks; i++) {
        struct cfg_webhook *w = &p->cfg->webhooks[i];
        p->lineno = w->line;
        bool known = false;
        for (size_t f = 0; f < 4; f++)
            known |= strcmp(w->format, formats[f]) == 0;
        if (!known) {
            fail(p, "[webhook %s]: format '%s' (expected json, slack, pagerduty or alertmanager)",
                 w->name, w->format);
            return -1;
        }
        struct st_err err;
        if (w->url_file && read_url_file(w, &err) < 0) {
            fail(p, "[webhook %s]: url_file: %s", w->name, err.msg);
            return -1;
        }
        if (!w->url || (!str_prefix(w->url, "http://") && !str_prefix(w->url, "https://"))) {
            fail(p, "[webhook %s]: needs url (or url_file) with an http:// or https:// URL",
                 w->name);
            return -1;
        }
        if (strcmp(w->format, "pagerduty") == 0 && !w->routing_key) {
            fail(p, "[webhook %s]: format pagerduty needs routing_key", w->name);
            return -1;
        }
    }
    for (size_t i = 0; i < p->cfg->nrules; i++) {
        struct cfg_rule *r = &p->cfg->rules[i];
        p->lineno = r->line;
        if (r->metric < 0) {
            fail(p, "[rule %s]: needs metric", r->name);
            return -1;
        }
        if (r->warn.op == CMP_NONE && r->crit.op == CMP_NONE) {
            fail(p, "[rule %s]: needs warn or crit (e.g. warn = > 600)", r->name);
            return -1;
        }
        if (r->repeat_ms <= 0) {
            fail(p, "[rule %s]: repeat must be more than 0", r->name);
            return -1;
        }
        char label[200];
        snprintf(label, sizeof label, "[rule %s]", r->name);
        if (check_notify(p, &r->notify, label) < 0)
            return -1;
    }
    p->lineno = 0;
    return check_notify(p, &p->cfg->builtin.notify, "[builtin]");
}

struct config *config_parse(const char *name, const char *text, size_t len, struct st_err *err)
{
    struct parser p;
    memset(&p, 0, sizeof p);
    p.name = name;
    p.text = text;
    p.len = len;
    p.sec = -1;
    p.cfg = config_new_default();
    p.cfg->path = xstrdup(name);
    strvec_init(&p.seen);
    hashset_init(&p.seen_at);
    strvec_init(&p.longvals);
    ini_allow_multiline = 0; /* an indented line is a key, not a continuation */
    int rc = ini_parse_stream(reader, &p, handler, &p);
    if (!p.failed && rc > 0) {
        p.lineno = rc;
        fail(&p, "syntax error (expected 'key = value' or '[section]')");
    }
    if (!p.failed)
        check_streams(&p);
    if (!p.failed)
        check_alerting(&p);
    for (size_t i = 0; !p.failed && i < p.cfg->nstreams; i++)
        p.cfg->streams[i].timeout_ms = p.cfg->timeout_ms;
    strvec_done(&p.seen);
    hashset_done(&p.seen_at);
    strvec_done(&p.longvals);
    if (p.failed) {
        if (err)
            *err = p.err;
        config_free(p.cfg);
        return NULL;
    }
    if (str_prefix(p.cfg->database, "~/")) {
        char *norm = config_normalize_path(p.cfg->database);
        free(p.cfg->database);
        p.cfg->database = norm;
    }
    return p.cfg;
}

struct config *config_load(const char *path, struct st_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        st_err_set(err, errno == ENOENT ? ST_ENOENT : ST_EIO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len + n > CONFIG_MAX_BYTES) {
            fclose(f);
            buf_done(&b);
            st_err_set(err, ST_ETOOBIG, "%s: larger than %d bytes; not a config file", path,
                       CONFIG_MAX_BYTES);
            return NULL;
        }
        buf_append(&b, chunk, n);
    }
    bool ioerr = ferror(f);
    fclose(f);
    if (ioerr) {
        buf_done(&b);
        st_err_set(err, ST_EIO, "%s: read error", path);
        return NULL;
    }
    struct config *cfg = config_parse(path, buf_str(&b), b.len, err);
    buf_done(&b);
    return cfg;
}

static bool is_file(const char *path)
{
    struct stat stb;
    return stat(path, &stb) == 0 && S_ISREG(stb.st_mode);
}

char *config_find(const char *explicit_path, struct st_err *err)
{
    if (explicit_path) {
        if (!is_file(explicit_path)) {
            st_err_set(err, ST_ENOENT, "%s: %s", explicit_path,
                       access(explicit_path, F_OK) == 0 ? "not a regular file"
                                                        : "No such file or directory");
            return NULL;
        }
        return xstrdup(explicit_path);
    }
    const char *env = getenv("STREAMTOP_CONFIG");
    if (env && *env) {
        if (!is_file(env)) {
            st_err_set(err, ST_ENOENT, "%s (from $STREAMTOP_CONFIG): No such file", env);
            return NULL;
        }
        return xstrdup(env);
    }
    char *user;
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    if (xdg && *xdg)
        user = xasprintf("%s/streamtop/config.ini", xdg);
    else
        user = xasprintf("%s/.config/streamtop/config.ini", home && *home ? home : ".");
    if (is_file(user))
        return user;
    const char *sys = "/etc/streamtop/config.ini";
    if (is_file(sys)) {
        free(user);
        return xstrdup(sys);
    }
    st_err_set(err, ST_ENOENT,
               "no config file (looked for $STREAMTOP_CONFIG, %s, %s); pass -c FILE or "
               "--checkpoint PATH",
               user, sys);
    free(user);
    return NULL;
}

char *config_value_text(const void *base, const struct cfg_key *k)
{
    const void *field = (const char *)base + k->offset;
    struct buf b;
    buf_init(&b);
    switch (k->type) {
    case CT_STRING:
    case CT_URL:
    case CT_PATH: {
        const char *s = *(char *const *)field;
        buf_puts(&b, s ? s : "");
        break;
    }
    case CT_PATHLIST: {
        const struct strvec *sv = field;
        for (size_t i = 0; i < sv->n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", sv->v[i]);
        break;
    }
    case CT_COUNT:
        buf_printf(&b, "%lld", (long long)*(const int64_t *)field);
        break;
    case CT_THRESHOLD: {
        char tmp[64];
        buf_puts(&b, config_threshold_text(field, tmp, sizeof tmp));
        break;
    }
    case CT_LIST:
    case CT_HEADER: {
        const struct strvec *sv = field;
        for (size_t i = 0; i < sv->n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", sv->v[i]);
        break;
    }
    case CT_BOOL:
        buf_puts(&b, *(const bool *)field ? "on" : "off");
        break;
    case CT_METRIC: {
        int m = *(const int *)field;
        buf_puts(&b, m >= 0 && m < METRIC_COUNT ? metric_defs[m].name : "");
        break;
    }
    case CT_DURATION: {
        char tmp[32];
        int64_t ms = *(const int64_t *)field;
        if (ms == 0)
            buf_puts(&b, "0");
        else
            buf_puts(&b, fmt_duration((double)ms / 1000.0, tmp, sizeof tmp));
        break;
    }
    case CT_LABELS: {
        const struct cfg_labels *l = field;
        for (size_t i = 0; i < l->n; i++)
            buf_printf(&b, "%s%s=%s", i ? ", " : "", l->v[i].key, l->v[i].value);
        break;
    }
    }
    return buf_steal(&b);
}
