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
    if (strlen(s) >= sizeof r->text)
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
    snprintf(r->text, sizeof r->text, "%s", given);
    return 0;
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
