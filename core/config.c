/* The loader: the file found, read (byte cap) and handed to inih one line at a time; sections
 * built with their defaults, every key set through the key table, then the whole checked
 * (streams have something to watch, webhooks a URL, rules a metric and a condition). */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config_internal.h"
#include "core/hashset.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/xalloc.h"

/* a fleet's config: 40,000 streams of six long paths each fit */
#define CONFIG_MAX_BYTES (16 * 1024 * 1024)
#define LONGVAL_MARK     '\x01'

/* ---- objects --------------------------------------------------------------------------- */

static void labels_done(struct cfg_labels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void routes_done(struct cfg_routes *r)
{
    for (size_t i = 0; i < r->n; i++) {
        labels_done(&r->v[i].match);
        strvec_done(&r->v[i].notify);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

static void stream_done(struct cfg_stream *cs)
{
    free(cs->name);
    free(cs->checkpoint);
    free(cs->source);
    free(cs->schema);
    free(cs->sink);
    free(cs->progress);
    strvec_done(&cs->deadletter);
    labels_done(&cs->labels);
    free(cs->s3_profile);
    free(cs->owner);
    free(cs->runbook);
    labels_done(&cs->links);
    free(cs->dbx_profile);
    free(cs->staging);
    free(cs->kafka_bootstrap);
    config_kprops_done(&cs->kafka_props);
    free(cs->azure_sas_token);
    free(cs->azure_account_key);
}

static void rule_done(struct cfg_rule *r)
{
    free(r->name);
    free(r->streams);
    free(r->warn);
    free(r->crit);
    strvec_done(&r->notify);
    free(r->summary);
    routes_done(&r->routes);
    free(r->runbook);
    labels_done(&r->links);
}

static void webhook_done(struct cfg_webhook *w)
{
    free(w->name);
    free(w->url);
    free(w->url_file);
    free(w->unusable);
    strvec_done(&w->headers);
    free(w->routing_key);
    free(w->ca_file);
}

size_t config_keep_streams(struct config *cfg,
                           bool (*keep)(const struct cfg_stream *cs, const void *arg),
                           const void *arg)
{
    size_t kept = 0;
    for (size_t i = 0; i < cfg->nstreams; i++) {
        if (keep(&cfg->streams[i], arg))
            cfg->streams[kept++] = cfg->streams[i];
        else
            stream_done(&cfg->streams[i]);
    }
    cfg->nstreams = kept;
    return kept;
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
    routes_done(&cfg->builtin.routes);
    free(cfg->builtin.runbook);
    labels_done(&cfg->builtin.links);
    for (size_t i = 0; i < cfg->nstreams; i++)
        stream_done(&cfg->streams[i]);
    free(cfg->streams);
    free(cfg->path);
    free(cfg->database);
    free(cfg->serve_listen);
    free(cfg->serve_tls_cert);
    free(cfg->serve_tls_key);
    free(cfg->serve_basic_auth_file);
    free(cfg->s3_endpoint);
    free(cfg->s3_region);
    free(cfg->s3_profile);
    free(cfg->dbx_host);
    free(cfg->dbx_profile);
    free(cfg->kafka_bootstrap);
    config_kprops_done(&cfg->kafka_props);
    free(cfg->azure_endpoint);
    free(cfg->azure_sas_token);
    free(cfg->azure_account_key);
    free(cfg->azure_authority_host);
    free(cfg->azure_identity_endpoint);
    free(cfg->gcs_endpoint);
    free(cfg->gcs_access_id);
    free(cfg->gcs_secret);
    free(cfg);
}

void config_kprops_set(struct cfg_kprops *props, const char *name, const char *value, bool secret)
{
    for (size_t i = 0; i < props->n; i++) {
        if (strcmp(props->v[i].name, name) == 0) {
            free(props->v[i].value);
            props->v[i].value = xstrdup(value);
            props->v[i].secret = secret;
            return;
        }
    }
    props->v = xrealloc(props->v, (props->n + 1) * sizeof *props->v);
    props->v[props->n++] = (struct cfg_kprop){xstrdup(name), xstrdup(value), secret};
}

void config_kprops_done(struct cfg_kprops *props)
{
    for (size_t i = 0; i < props->n; i++) {
        free(props->v[i].name);
        free(props->v[i].value);
    }
    free(props->v);
    props->v = NULL;
    props->n = 0;
}

bool config_kprop_is_secret(const char *name)
{
    static const char *const words[] = {"password", "secret", "jaas", "key", "token", "credential"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(name, words[i]))
            return true;
    return false;
}

/* A stream's Kafka settings: its own, else [kafka]'s; its properties over [kafka]'s. Its
 * landing listing keys: its own, else [global]'s. */
static void resolve_kafka(const struct config *cfg, struct cfg_stream *cs)
{
    if (cs->listing == LM_AUTO)
        cs->listing = cfg->listing;
    if (cs->full_listing_every_ms <= 0)
        cs->full_listing_every_ms = cfg->full_listing_every_ms;
    if (!cs->kafka_bootstrap && cfg->kafka_bootstrap)
        cs->kafka_bootstrap = xstrdup(cfg->kafka_bootstrap);
    if (cs->kafka_timeout_ms <= 0)
        cs->kafka_timeout_ms = cfg->kafka_timeout_ms;
    struct cfg_kprops own = cs->kafka_props;
    memset(&cs->kafka_props, 0, sizeof cs->kafka_props);
    for (size_t i = 0; i < cfg->kafka_props.n; i++)
        config_kprops_set(&cs->kafka_props, cfg->kafka_props.v[i].name, cfg->kafka_props.v[i].value,
                          cfg->kafka_props.v[i].secret);
    for (size_t i = 0; i < own.n; i++)
        config_kprops_set(&cs->kafka_props, own.v[i].name, own.v[i].value, own.v[i].secret);
    config_kprops_done(&own);
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
    config_value_defaults(cfg, CS_GLOBAL);
    config_value_defaults(cfg, CS_S3);
    config_value_defaults(cfg, CS_DATABRICKS);
    config_value_defaults(cfg, CS_AZURE);
    config_value_defaults(cfg, CS_GCS);
    config_value_defaults(cfg, CS_BUILTIN);
    config_value_defaults(cfg, CS_KAFKA);
    cfg->database = default_database();
    return cfg;
}

static struct cfg_stream *add_stream(struct config *cfg, const char *name, int line)
{
    cfg->streams = xrealloc(cfg->streams, (cfg->nstreams + 1) * sizeof *cfg->streams);
    struct cfg_stream *cs = &cfg->streams[cfg->nstreams++];
    memset(cs, 0, sizeof *cs);
    cs->name = xstrdup(name);
    cs->line = line;
    strvec_init(&cs->deadletter);
    config_value_defaults(cs, CS_STREAM);
    return cs;
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
    config_value_defaults(r, CS_RULE);
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
    config_value_defaults(w, CS_WEBHOOK);
    return w;
}

const struct cfg_webhook *config_webhook(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nwebhooks; i++)
        if (strcmp(cfg->webhooks[i].name, name) == 0)
            return &cfg->webhooks[i];
    return NULL;
}

bool config_rule_matches(const struct cfg_rule *r, const struct cfg_stream *cs)
{
    const char *eq = strchr(r->streams, '=');
    if (eq) {
        size_t kl = (size_t)(eq - r->streams);
        for (size_t i = 0; i < cs->labels.n; i++)
            if (strlen(cs->labels.v[i].key) == kl &&
                strncmp(cs->labels.v[i].key, r->streams, kl) == 0)
                return fnmatch(eq + 1, cs->labels.v[i].value, 0) == 0;
        return false;
    }
    return fnmatch(r->streams, cs->name, 0) == 0;
}

const char *config_label(const struct cfg_labels *l, const char *key)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].key, key) == 0)
            return l->v[i].value;
    return NULL;
}

const struct strvec *config_route(const struct cfg_routes *routes, const struct strvec *fallback,
                                  const struct cfg_stream *cs)
{
    for (size_t i = 0; routes && i < routes->n; i++) {
        const struct cfg_route *r = &routes->v[i];
        bool all = true;
        for (size_t m = 0; m < r->match.n && all; m++) {
            const char *v = strcmp(r->match.v[m].key, "stream") == 0
                                ? cs->name
                                : config_label(&cs->labels, r->match.v[m].key);
            all = v && fnmatch(r->match.v[m].value, v, 0) == 0;
        }
        if (all)
            return &r->notify;
    }
    return fallback;
}

const char *config_stream_owner(const struct cfg_stream *cs)
{
    return cs->owner && *cs->owner ? cs->owner : config_label(&cs->labels, "owner");
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
    struct cfg_stream *cs = add_stream(cfg, unique, 0);
    cs->checkpoint = norm;
    cs->timeout_ms = cfg->timeout_ms;
    resolve_kafka(cfg, cs);
    free(unique);
    free(derived);
    return cs;
}

int config_stream_set(struct cfg_stream *cs, const char *key, const char *value, struct st_err *err)
{
    const struct cfg_key *k = config_key_find(CS_STREAM, key);
    if (!k)
        return st_err_set(err, ST_EFORMAT, "unknown stream key '%s'", key);
    return config_value_set(cs, k, value, err);
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
    } else if (strcmp(name, "databricks") == 0) {
        p->sec = CS_DATABRICKS;
    } else if (strcmp(name, "azure") == 0) {
        p->sec = CS_AZURE;
    } else if (strcmp(name, "gcs") == 0) {
        p->sec = CS_GCS;
    } else if (strcmp(name, "builtin") == 0) {
        p->sec = CS_BUILTIN;
    } else if (strcmp(name, "kafka") == 0) {
        p->sec = CS_KAFKA;
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
             "unknown section [%s] (expected [global], [s3], [databricks], [kafka], [builtin], "
             "[stream NAME], "
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
        if (config_unquote(v, line + body, &q, &qerr) < 0) {
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

/* Add what a webhook is missing to why it is unusable ("key: what; key: what"). */
static void webhook_unusable(struct cfg_webhook *w, const char *key, const char *what)
{
    char *was = w->unusable;
    w->unusable = was ? xasprintf("%s; %s: %s", was, key, what) : xasprintf("%s: %s", key, what);
    free(was);
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
    if ((p->sec == CS_KAFKA || p->sec == CS_STREAM) && str_prefix(name, "kafka.")) {
        /* any librdkafka property, passed through as written (librdkafka checks it) */
        const char *prop = name + strlen("kafka.");
        size_t at = p->sec == CS_STREAM ? p->stream_index : 0;
        if (!*prop) {
            fail(p, "%s: '%s' names no librdkafka property (kafka.<property> = value)",
                 p->section_label, name);
            return 0;
        }
        if (!seen_first(p, xasprintf("%d\x1f%zu\x1f%s", p->sec, at, name))) {
            fail(p, "%s: key '%s' set twice", p->section_label, name);
            return 0;
        }
        struct st_err kerr;
        char *kval = config_expand_env(value, &kerr);
        if (!kval) {
            fail(p, "%s: %s: %s", p->section_label, name, kerr.msg);
            return 0;
        }
        bool secret = strstr(value, "${") != NULL || config_kprop_is_secret(prop);
        config_kprops_set(p->sec == CS_STREAM ? &p->cfg->streams[at].kafka_props
                                              : &p->cfg->kafka_props,
                          prop, kval, secret);
        free(kval);
        return 1;
    }
    const struct cfg_key *k = config_key_find((enum cfg_section)p->sec, name);
    const char *link = NULL;
    if (!k && str_prefix(name, "link.")) {
        link = name + strlen("link.");
        k = config_key_find((enum cfg_section)p->sec, "link.NAME");
        bool ok = k && *link;
        for (const char *c = link; ok && *c; c++)
            ok = isalnum((unsigned char)*c) || *c == '_' || *c == '-';
        if (k && !ok) {
            fail(p, "%s: '%s': a link's name is letters, digits, '_' and '-' (link.NAME)",
                 p->section_label, name);
            return 0;
        }
    }
    if (!k) {
        const char *hint = config_key_closest((enum cfg_section)p->sec, name);
        if (hint)
            fail(p, "%s: unknown key '%s' (did you mean '%s'?)", p->section_label, name, hint);
        else
            fail(p, "%s: unknown key '%s'", p->section_label, name);
        return 0;
    }
    bool repeatable = k->type == CT_PATHLIST || k->type == CT_LABELS || k->type == CT_HEADER ||
                      k->type == CT_ROUTES;
    /* the section by kind and index: two long stream names may share a shortened label */
    size_t at =
        p->sec == CS_STREAM || p->sec == CS_RULE || p->sec == CS_WEBHOOK ? p->stream_index : 0;
    if (!repeatable && !seen_first(p, xasprintf("%d\x1f%zu\x1f%s", p->sec, at, name))) {
        fail(p, "%s: key '%s' set twice", p->section_label, name);
        return 0;
    }
    struct st_err err;
    char *expanded = config_expand_env(value, &err);
    if (!expanded && err.code == ST_ENOENT && p->sec == CS_WEBHOOK) {
        /* a secret missing from this environment (cron's, say) stops only this webhook */
        webhook_unusable(&p->cfg->webhooks[p->stream_index], name, err.msg);
        return 1;
    }
    if (!expanded) {
        fail(p, "%s: %s: %s", p->section_label, name, err.msg);
        return 0;
    }
    void *base = p->sec == CS_STREAM    ? (void *)&p->cfg->streams[p->stream_index]
                 : p->sec == CS_RULE    ? (void *)&p->cfg->rules[p->stream_index]
                 : p->sec == CS_WEBHOOK ? (void *)&p->cfg->webhooks[p->stream_index]
                                        : (void *)p->cfg;
    if (link) { /* the key's NAME travels with its value: "NAME\x1fURL" */
        char *both = xasprintf("%s\x1f%s", link, expanded);
        free(expanded);
        expanded = both;
    }
    if (config_value_set(base, k, expanded, &err) < 0) {
        /* a choice reads "format 'xml' (expected json, ...)", as it always has */
        fail(p, "%s: %s%s%s", p->section_label, name, k->type == CT_CHOICE ? " " : ": ", err.msg);
        free(expanded);
        return 0;
    }
    free(expanded);
    if (k->type == CT_ROUTES) { /* its line, for a route naming a webhook that does not exist */
        struct cfg_routes *r = (struct cfg_routes *)((char *)base + k->offset);
        r->v[r->n - 1].line = p->lineno;
    }
    return 1;
}

static int check_streams(struct parser *p)
{
    for (size_t i = 0; i < p->cfg->nstreams; i++) {
        const struct cfg_stream *cs = &p->cfg->streams[i];
        if (!cs->checkpoint && !cs->source && !cs->progress && !cs->sink && !cs->schema &&
            cs->deadletter.n == 0 && !cs->job_id && !cs->feeder_job_id) {
            p->lineno = cs->line;
            fail(p,
                 "[stream %s]: nothing to watch: set checkpoint (or source, progress, sink, "
                 "schema, deadletter, job, feeder_job)",
                 cs->name);
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

/* What a condition's amount is: 0 a plain number, 1 a duration ("> 10m"), 2 a size ("> 1GiB"). */
static int amount_kind(const char *cond)
{
    size_t n = cond ? strlen(cond) : 0;
    while (n > 0 && isspace((unsigned char)cond[n - 1]))
        n--;
    if (n == 0 || !isalpha((unsigned char)cond[n - 1]))
        return 0;
    return cond[n - 1] == 'B' ? 2 : 1;
}

/* A duration only for a metric in seconds, a size only for one in bytes. */
static int check_units(struct parser *p, const struct cfg_rule *r)
{
    const char *conds[] = {r->warn, r->crit}, *keys[] = {"warn", "crit"};
    enum metric_unit u = metric_defs[r->metric].unit;
    for (int i = 0; i < 2; i++) {
        int kind = amount_kind(conds[i]);
        if ((kind == 1 && u != UNIT_SECONDS) || (kind == 2 && u != UNIT_BYTES)) {
            fail(p, "[rule %s]: %s: '%s' is a %s, but %s is not measured in %s", r->name, keys[i],
                 conds[i], kind == 1 ? "duration" : "size", metric_defs[r->metric].name,
                 kind == 1 ? "seconds" : "bytes");
            return -1;
        }
    }
    return 0;
}

/* Every webhook a route names exists; an error names the route's line. */
static int check_routes(struct parser *p, const struct cfg_routes *routes, const char *label)
{
    for (size_t i = 0; i < routes->n; i++) {
        for (size_t w = 0; w < routes->v[i].notify.n; w++) {
            if (!config_webhook(p->cfg, routes->v[i].notify.v[w])) {
                p->lineno = routes->v[i].line;
                fail(p, "%s: route: no [webhook %s]", label, routes->v[i].notify.v[w]);
                return -1;
            }
        }
    }
    return 0;
}

static int check_alerting(struct parser *p)
{
    for (size_t i = 0; i < p->cfg->nwebhooks; i++) {
        struct cfg_webhook *w = &p->cfg->webhooks[i];
        p->lineno = w->line;
        struct st_err err;
        if (w->url_file && read_url_file(w, &err) < 0)
            webhook_unusable(w, "url_file", err.msg);
        if (w->unusable)
            continue;
        if (!w->url || (!str_prefix(w->url, "http://") && !str_prefix(w->url, "https://"))) {
            fail(p, "[webhook %s]: needs url (or url_file) with an http:// or https:// URL",
                 w->name);
            return -1;
        }
        if (w->format == WF_PAGERDUTY && !w->routing_key) {
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
        if (!r->warn && !r->crit) {
            fail(p, "[rule %s]: needs warn or crit (e.g. warn = > 600)", r->name);
            return -1;
        }
        if (r->repeat_ms <= 0) {
            fail(p, "[rule %s]: repeat must be more than 0", r->name);
            return -1;
        }
        if (check_units(p, r) < 0)
            return -1;
        char label[200];
        snprintf(label, sizeof label, "[rule %s]", r->name);
        if (check_notify(p, &r->notify, label) < 0 || check_routes(p, &r->routes, label) < 0)
            return -1;
    }
    p->lineno = 0;
    if (check_notify(p, &p->cfg->builtin.notify, "[builtin]") < 0)
        return -1;
    return check_routes(p, &p->cfg->builtin.routes, "[builtin]");
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
    for (size_t i = 0; !p.failed && i < p.cfg->nstreams; i++) {
        p.cfg->streams[i].timeout_ms = p.cfg->timeout_ms;
        resolve_kafka(p.cfg, &p.cfg->streams[i]);
    }
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
