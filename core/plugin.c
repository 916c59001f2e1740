#include "core/plugin.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"

/* One end of a range: "~" (only a start: minus infinity), else a finite number. */
static int range_end(const char *s, size_t n, bool start, double *out)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (start && strcmp(tmp, "~") == 0) {
        *out = -INFINITY;
        return 0;
    }
    return parse_double(tmp, out) == 0 && isfinite(*out) ? 0 : -1;
}

int plugin_range_parse(const char *s, struct plugin_range *r, struct st_err *err)
{
    const char *given = s;
    *r = (struct plugin_range){.lo = 0, .hi = INFINITY};
    if (strlen(s) >= 64)
        return st_err_set(err, ST_EFORMAT, "threshold range too long");
    if (*s == '@') {
        r->inside = true;
        s++;
    }
    const char *colon = strchr(s, ':');
    int bad = 0;
    if (!colon) {
        bad = range_end(s, strlen(s), false, &r->hi);
    } else {
        bad = range_end(s, (size_t)(colon - s), true, &r->lo);
        if (colon == s) /* ":10" is not a form of the guidelines */
            bad = -1;
        if (!bad && colon[1])
            bad = range_end(colon + 1, strlen(colon + 1), false, &r->hi);
    }
    if (bad)
        return st_err_set(err, ST_EFORMAT,
                          "'%s' is not a threshold range (e.g. 60, 10:, ~:10, 10:20, @10:20)",
                          given);
    if (r->lo > r->hi)
        return st_err_set(err, ST_EFORMAT, "threshold range '%s': its start is above its end",
                          given);
    struct buf t;
    buf_init(&t);
    if (r->inside)
        buf_putc(&t, '@');
    if (colon && isinf(r->lo))
        buf_putc(&t, '~');
    else if (colon)
        plugin_perf_number(&t, r->lo);
    if (colon)
        buf_putc(&t, ':');
    if (!isinf(r->hi))
        plugin_perf_number(&t, r->hi);
    snprintf(r->text, sizeof r->text, "%s", buf_str(&t));
    buf_done(&t);
    return 0;
}

void plugin_perf_number(struct buf *out, double v)
{
    char num[400]; /* DBL_MAX in full is 309 digits */
    if (v == floor(v)) {
        snprintf(num, sizeof num, "%.0f", v);
    } else {
        snprintf(num, sizeof num, "%.6f", v);
        char *e = num + strlen(num) - 1;
        while (*e == '0')
            *e-- = '\0';
        if (*e == '.')
            *e = '\0';
    }
    buf_puts(out, strcmp(num, "-0") == 0 ? "0" : num);
}

bool plugin_range_alerts(const struct plugin_range *r, double v)
{
    if (isnan(v))
        return false;
    bool in = v >= r->lo && v <= r->hi;
    return r->inside ? in : !in;
}

void plugin_perf_label(struct buf *out, const char *label)
{
    buf_putc(out, '\'');
    for (const unsigned char *c = (const unsigned char *)label; *c; c++) {
        if (*c == '\'')
            buf_puts(out, "''");
        else if (*c == '=' || *c < 0x20 || *c == 0x7F)
            buf_putc(out, '_');
        else
            buf_putc(out, (char)*c);
    }
    buf_putc(out, '\'');
}
