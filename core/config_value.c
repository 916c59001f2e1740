/* Values by type: parsing a key's text into its field (within the row's limits and choices),
 * rendering it back for `config check`, and the text helpers of the file format: ${VAR}
 * expansion, quoting, path normalisation. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/config_internal.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/template.h"
#include "core/xalloc.h"

/* CT_CHOICE fields are enums stored through an int */
_Static_assert(sizeof(enum webhook_format) == sizeof(int), "enum webhook_format is int-sized");
_Static_assert(sizeof(enum trigger_mode) == sizeof(int), "enum trigger_mode is int-sized");
_Static_assert(sizeof(enum listing_mode) == sizeof(int), "enum listing_mode is int-sized");

/* set-once hooks: the validators of types whose meaning belongs to another layer */
static config_validator_fn validators[CT__COUNT];

void config_set_validator(enum cfg_type t, config_validator_fn fn)
{
    if ((unsigned)t < CT__COUNT)
        validators[t] = fn;
}

char *config_expand_env(const char *value, struct st_err *err)
{
    if (!strchr(value, '$')) /* most values: nothing to expand */
        return xstrdup(value);
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
            st_err_set(err, ST_ENOENT, "environment variable %s is not set", inner);
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

int config_unquote(const char *q, const char *end, struct buf *out, struct st_err *err)
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
    if (str_prefix(path, "dbfs:/Volumes/") || strcmp(path, "dbfs:/Volumes") == 0)
        return xstrdup(path + 5); /* a volume: the same path on a driver and through the API */
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

/* A path is local (no scheme, file:, dbfs:), s3:// (s3a://, s3n://), gs://, or Azure
 * (abfss://, abfs://, wasbs://, wasb://), the storage backends collectors/fs.c has; a progress
 * location may also be an http(s):// metrics URL. Any other scheme (hdfs://, ...) would only
 * ever read as an error. */
static int path_scheme_check(const char *path, bool url_ok, struct st_err *err)
{
    char *norm = config_normalize_path(path);
    const char *colon = strstr(norm, "://");
    int rc = 0;
    static const char *const stores[] = {"s3://",   "gs://",    "abfss://",
                                         "abfs://", "wasbs://", "wasb://"};
    bool store = false;
    for (size_t i = 0; i < sizeof stores / sizeof stores[0]; i++)
        store = store || str_prefix(norm, stores[i]);
    if (colon && !store &&
        !(url_ok && (str_prefix(norm, "http://") || str_prefix(norm, "https://")))) {
        size_t n = (size_t)(colon - norm);
        rc = st_err_set(err, ST_EFORMAT,
                        "no storage backend for the '%.*s://' scheme (local paths, file://, s3://, "
                        "gs://, abfss://, abfs://, wasbs:// and wasb:// are read%s)",
                        (int)(n > 32 ? 32 : n), norm, url_ok ? ", and http(s):// URLs" : "");
    }
    free(norm);
    return rc;
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

/* "100ms", "5m": a duration limit for messages. */
static char *limit_text(int64_t ms, char *out, size_t outlen)
{
    return fmt_duration((double)ms / 1000.0, out, outlen);
}

static int store_duration(int64_t *field, const struct cfg_key *k, const char *value,
                          struct st_err *err)
{
    int64_t ms;
    char lim[32];
    if (parse_duration_ms(value, &ms) < 0)
        return st_err_set(err, ST_EFORMAT,
                          "'%s' is not a duration (use e.g. 500ms, 30s, 5m, 2h, 14d)", value);
    if (ms < k->min)
        return st_err_set(err, ST_EFORMAT, "'%s' is shorter than %s", value,
                          limit_text(k->min, lim, sizeof lim));
    if (k->max > 0 && ms > k->max)
        return st_err_set(err, ST_EFORMAT, "'%s' is longer than %s", value,
                          limit_text(k->max, lim, sizeof lim));
    *field = ms;
    return 0;
}

/* One of the row's choices, stored as its index; else "'x' (expected a, b or c)". */
static int store_choice(int *field, const struct cfg_key *k, const char *value, struct st_err *err)
{
    size_t n = 0;
    for (; k->choices[n]; n++) {
        if (strcmp(value, k->choices[n]) == 0) {
            *field = (int)n;
            return 0;
        }
    }
    struct buf list;
    buf_init(&list);
    for (size_t i = 0; i < n; i++)
        buf_printf(&list, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", k->choices[i]);
    st_err_set(err, ST_EFORMAT, "'%s' (expected %s)", value, buf_str(&list));
    buf_done(&list);
    return -1;
}

/* "team=payments, tier=1 -> pager, slack": matchers (all must hold) and webhooks. */
static int store_route(struct cfg_routes *routes, const char *value, struct st_err *err)
{
    const char *arrow = strstr(value, "->");
    if (!arrow)
        return st_err_set(err, ST_EFORMAT,
                          "'%s' is not LABEL=VALUE -> WEBHOOK[, WEBHOOK] (e.g. team=payments -> "
                          "pager)",
                          value);
    struct cfg_route r = {0};
    strvec_init(&r.notify);
    struct strvec items;
    strvec_init(&items);
    char *left = xstrndup(value, (size_t)(arrow - value));
    split_list(left, &items);
    split_list(arrow + 2, &r.notify);
    free(left);
    int rc = 0;
    if (items.n == 0)
        rc = st_err_set(err, ST_EFORMAT, "a route needs LABEL=VALUE before '->'");
    else if (r.notify.n == 0)
        rc = st_err_set(err, ST_EFORMAT, "a route needs a webhook after '->'");
    for (size_t i = 0; i < items.n && rc == 0; i++) {
        char *eq = strchr(items.v[i], '=');
        if (!eq) {
            rc = st_err_set(err, ST_EFORMAT, "'%s' is not LABEL=VALUE", items.v[i]);
            break;
        }
        *eq = '\0';
        char *key = str_trim(items.v[i]), *val = str_trim(eq + 1);
        if (!label_name_ok(key)) {
            rc = st_err_set(err, ST_EFORMAT, "'%s' is not a label name", key);
            break;
        }
        r.match.v = xrealloc(r.match.v, (r.match.n + 1) * sizeof *r.match.v);
        r.match.v[r.match.n].key = xstrdup(key);
        r.match.v[r.match.n].value = xstrdup(val);
        r.match.n++;
    }
    strvec_done(&items);
    if (rc < 0) {
        for (size_t i = 0; i < r.match.n; i++) {
            free(r.match.v[i].key);
            free(r.match.v[i].value);
        }
        free(r.match.v);
        strvec_done(&r.notify);
        return -1;
    }
    routes->v = xrealloc(routes->v, (routes->n + 1) * sizeof *routes->v);
    routes->v[routes->n++] = r;
    return 0;
}

static int store(void *field, const struct cfg_key *k, const char *value, struct st_err *err)
{
    switch (k->type) {
    case CT_URL:
        if (!str_prefix(value, "http://") && !str_prefix(value, "https://"))
            /* the value is not echoed: it may hold a password */
            return st_err_set(err, ST_EFORMAT, "not an http:// or https:// URL");
        /* fall through */
    /* a condition's meaning is the alert rules': checked by their validator, kept as text */
    case CT_THRESHOLD:
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
        char *norm = config_normalize_path(value);
        if (path_scheme_check(norm, strcmp(k->name, "progress") == 0, err) < 0) {
            free(norm);
            return -1;
        }
        free(*s);
        *s = norm;
        return 0;
    }
    case CT_PATHLIST: {
        struct strvec items;
        strvec_init(&items);
        split_list(value, &items);
        for (size_t i = 0; i < items.n; i++)
            if (path_scheme_check(items.v[i], false, err) < 0) {
                strvec_done(&items);
                return -1;
            }
        for (size_t i = 0; i < items.n; i++)
            strvec_take(field, config_normalize_path(items.v[i]));
        strvec_done(&items);
        return 0;
    }
    case CT_CHOICE:
        return store_choice(field, k, value, err);
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
        if (parse_int64(value, &n) < 0 || n < k->min || n > k->max)
            return st_err_set(err, ST_EFORMAT, "'%s' is not a whole number from %lld to %lld",
                              value, (long long)k->min, (long long)k->max);
        *(int64_t *)field = n;
        return 0;
    }
    case CT_DURATION:
        return store_duration(field, k, value, err);
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
    case CT_TEMPLATE: {
        if (template_check(value, err) < 0)
            return -1;
        char **s = field;
        free(*s);
        *s = xstrdup(value);
        return 0;
    }
    case CT_ROUTES:
        return store_route(field, value, err);
    case CT_LINKS: {
        const char *sep = strchr(value, '\x1f');
        if (!sep)
            return st_err_set(err, ST_EFORMAT, "a link is link.NAME = URL");
        if (!*(sep + 1))
            return st_err_set(err, ST_EFORMAT, "empty URL");
        if (template_check(sep + 1, err) < 0)
            return -1;
        struct cfg_labels *l = field;
        l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
        l->v[l->n].key = xstrndup(value, (size_t)(sep - value));
        l->v[l->n].value = xstrdup(sep + 1);
        l->n++;
        return 0;
    }
    case CT__COUNT:
        break;
    }
    return st_err_set(err, ST_EFAIL, "internal: unknown key type");
}

int config_value_set(void *base, const struct cfg_key *k, const char *value, struct st_err *err)
{
    void *field = (char *)base + k->offset;
    char *checked = NULL;
    if (validators[k->type]) {
        checked = validators[k->type](value, err);
        if (!checked)
            return -1;
        value = checked;
    }
    int rc = store(field, k, value, err);
    free(checked);
    return rc;
}

void config_value_defaults(void *base, enum cfg_section sec)
{
    struct st_err err;
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == sec && k->def)
            config_value_set(base, k, k->def, &err);
}

char *config_value_text(const void *base, const struct cfg_key *k)
{
    const void *field = (const char *)base + k->offset;
    struct buf b;
    buf_init(&b);
    switch (k->type) {
    case CT_STRING:
    case CT_URL:
    case CT_THRESHOLD:
    case CT_TEMPLATE:
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
    case CT_CHOICE:
        buf_puts(&b, k->choices[*(const int *)field]);
        break;
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
    case CT_LINKS: {
        const struct cfg_labels *l = field;
        for (size_t i = 0; i < l->n; i++)
            buf_printf(&b, "%s%s = %s", i ? "; " : "", l->v[i].key, l->v[i].value);
        break;
    }
    case CT_ROUTES: {
        const struct cfg_routes *r = field;
        for (size_t i = 0; i < r->n; i++) {
            buf_puts(&b, i ? "; " : "");
            for (size_t m = 0; m < r->v[i].match.n; m++)
                buf_printf(&b, "%s%s=%s", m ? ", " : "", r->v[i].match.v[m].key,
                           r->v[i].match.v[m].value);
            buf_puts(&b, " ->");
            for (size_t w = 0; w < r->v[i].notify.n; w++)
                buf_printf(&b, "%s %s", w ? "," : "", r->v[i].notify.v[w]);
        }
        break;
    }
    case CT__COUNT:
        break;
    }
    return buf_steal(&b);
}
