#include "core/template.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/metrics.h"
#include "core/xalloc.h"

const char *const template_names[] = {"stream",    "rule",  "metric", "value",    "value_raw",
                                      "threshold", "level", "since",  "duration", "owner",
                                      "runbook",   "host",  NULL};

#define LABEL_PREFIX "label."

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.';
}

/* The length of the placeholder name at p (just after a '{'), or 0 when p does not start one. */
static size_t placeholder_len(const char *p)
{
    size_t n = 0;
    while (name_char(p[n]))
        n++;
    return n > 0 && p[n] == '}' ? n : 0;
}

static bool label_name_ok(const char *s)
{
    if (!*s || (!isalpha((unsigned char)*s) && *s != '_'))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

bool template_name_known(const char *name)
{
    for (size_t i = 0; template_names[i]; i++)
        if (strcmp(name, template_names[i]) == 0)
            return true;
    if (strncmp(name, LABEL_PREFIX, strlen(LABEL_PREFIX)) == 0)
        return label_name_ok(name + strlen(LABEL_PREFIX));
    return metric_find(name) >= 0;
}

int template_check(const char *tmpl, struct st_err *err)
{
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '{' && p[1] == '{') {
            p++;
            continue;
        }
        size_t n = p[0] == '{' ? placeholder_len(p + 1) : 0;
        if (n == 0)
            continue;
        char *name = xstrndup(p + 1, n);
        bool ok = template_name_known(name);
        if (!ok)
            st_err_set(err, ST_EFORMAT,
                       "unknown placeholder {%s} (use {stream}, {rule}, {metric}, {value}, "
                       "{threshold}, {level}, {since}, {duration}, {owner}, {runbook}, {host}, "
                       "a metric name or {label.NAME})",
                       name);
        free(name);
        if (!ok)
            return -1;
        p += n + 1;
    }
    return 0;
}

static void put_escaped(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (isalnum(*c) || *c == '-' || *c == '_' || *c == '.' || *c == '~' || *c == ':') {
            buf_putc(b, (char)*c);
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[*c >> 4]);
            buf_putc(b, hex[*c & 15]);
        }
    }
}

char *template_render(const char *tmpl, template_value_fn fn, void *ctx, bool url_escape)
{
    struct buf b;
    buf_init(&b);
    for (const char *p = tmpl; *p;) {
        if (p[0] == '{' && p[1] == '{') {
            buf_putc(&b, '{');
            p += 2;
            continue;
        }
        size_t n = p[0] == '{' ? placeholder_len(p + 1) : 0;
        if (n == 0) {
            buf_putc(&b, *p++);
            continue;
        }
        char *name = xstrndup(p + 1, n);
        /* a template the config did not check (a built-in's): an unknown name stays as written */
        const char *v = template_name_known(name) ? fn(ctx, name) : NULL;
        if (!template_name_known(name))
            buf_append(&b, p, n + 2);
        free(name);
        if (v && url_escape)
            put_escaped(&b, v);
        else if (v)
            buf_puts(&b, v);
        p += n + 2;
    }
    return buf_steal(&b);
}
