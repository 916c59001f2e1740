#include "core/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int parse_int64(const char *s, int64_t *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = (int64_t)v;
    return 0;
}

bool parse_digits(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 18)
        return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool parse_batch_name(const char *name, int64_t *id)
{
    return parse_digits(name, strlen(name), id);
}

int parse_double(const char *s, double *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
        return -1;
    if (*end || end == s || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

bool parse_double_to_i64(double d, int64_t *out)
{
    /* -2^63 is exact as a double; 2^63 is the first value past INT64_MAX. NaN fails both. */
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
        return false;
    *out = (int64_t)d;
    return true;
}

int parse_duration_ms(const char *s, int64_t *out_ms)
{
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return -1;
    double plain;
    if (parse_double(s, &plain) == 0) {
        if (plain < 0 || plain > 9.2e15)
            return -1;
        *out_ms = (int64_t)llround(plain * 1000.0);
        return 0;
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (errno || end == p || v < 0)
            return -1;
        p = end;
        double unit;
        if (strncmp(p, "ms", 2) == 0) {
            unit = 1;
            p += 2;
        } else if (*p == 's') {
            unit = 1000;
            p++;
        } else if (*p == 'm') {
            unit = 60e3;
            p++;
        } else if (*p == 'h') {
            unit = 3600e3;
            p++;
        } else if (*p == 'd') {
            unit = 86400e3;
            p++;
        } else if (*p == 'w') {
            unit = 7 * 86400e3;
            p++;
        } else {
            return -1;
        }
        total += v * unit;
        if (total > 9.2e15)
            return -1;
    }
    *out_ms = (int64_t)llround(total);
    return 0;
}

char *fmt_duration(double seconds, char *out, size_t outlen)
{
    if (isnan(seconds)) {
        snprintf(out, outlen, "-");
        return out;
    }
    if (isinf(seconds)) {
        snprintf(out, outlen, seconds > 0 ? "inf" : "-inf");
        return out;
    }
    const char *sign = seconds < 0 ? "-" : "";
    double a = fabs(seconds);
    if (a < 1) {
        snprintf(out, outlen, "%s%.0fms", sign, a * 1000);
    } else if (a < 60) {
        snprintf(out, outlen, "%s%.*fs", sign, a < 10 ? 1 : 0, a);
    } else if (a < 3600) {
        long s = (long)a;
        snprintf(out, outlen, "%s%ldm%02lds", sign, s / 60, s % 60);
    } else if (a < 86400) {
        long m = (long)(a / 60);
        snprintf(out, outlen, "%s%ldh%02ldm", sign, m / 60, m % 60);
    } else if (a < 86400e6) {
        long h = (long)(a / 3600);
        snprintf(out, outlen, "%s%ldd%02ldh", sign, h / 24, h % 24);
    } else {
        /* a duration read from storage may be 1e300 seconds: too big for a long, and for a
         * column */
        snprintf(out, outlen, "%s>999999d", sign);
    }
    return out;
}

static char *fmt_scaled(double v, char *out, size_t outlen, double base, const char *const *units,
                        const char *sep)
{
    if (isnan(v)) {
        snprintf(out, outlen, "-");
        return out;
    }
    if (isinf(v)) {
        snprintf(out, outlen, v > 0 ? "inf" : "-inf");
        return out;
    }
    double a = fabs(v);
    int u = 0;
    while (a >= base && units[u + 1]) {
        a /= base;
        u++;
    }
    const char *sign = v < 0 ? "-" : "";
    if (u == 0)
        snprintf(out, outlen, "%s%.0f%s%s", sign, a, *units[0] ? sep : "", units[0]);
    else
        snprintf(out, outlen, "%s%.*f%s%s", sign, a < 10 ? 1 : 0, a, sep, units[u]);
    return out;
}

char *fmt_bytes(double bytes, char *out, size_t outlen)
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", NULL};
    return fmt_scaled(bytes, out, outlen, 1000, units, " ");
}

char *fmt_span(double seconds, char *out, size_t outlen)
{
    if (isnan(seconds) || isinf(seconds) || fabs(seconds) >= 86400e6)
        return fmt_duration(seconds, out, outlen);
    const char *sign = seconds < 0 ? "-" : "";
    double a = fabs(seconds);
    if (a < 1) {
        snprintf(out, outlen, "%s%.0fms", sign, a * 1000);
        return out;
    }
    if (a < 10 && a != floor(a)) {
        snprintf(out, outlen, "%s%.1fs", sign, a);
        return out;
    }
    long s = (long)(a + 0.5), big, small;
    const char *bu, *su;
    if (s < 60) {
        snprintf(out, outlen, "%s%lds", sign, s);
        return out;
    }
    if (s < 3600) {
        big = s / 60, small = s % 60, bu = "m", su = "s";
    } else if (s < 86400) {
        big = s / 3600, small = s % 3600 / 60, bu = "h", su = "m";
    } else {
        big = s / 86400, small = s % 86400 / 3600, bu = "d", su = "h";
    }
    if (small)
        snprintf(out, outlen, "%s%ld%s%ld%s", sign, big, bu, small, su);
    else
        snprintf(out, outlen, "%s%ld%s", sign, big, bu);
    return out;
}

char *fmt_bytes_iec(double bytes, char *out, size_t outlen)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (isnan(bytes) || isinf(bytes)) {
        snprintf(out, outlen, "%s", isnan(bytes) ? "-" : "inf");
        return out;
    }
    double a = fabs(bytes);
    size_t u = 0;
    while (a >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        a /= 1024;
        u++;
    }
    const char *sign = bytes < 0 ? "-" : "";
    if (u == 0)
        snprintf(out, outlen, "%s%.0f B", sign, a);
    else
        snprintf(out, outlen, "%s%.*f %s", sign, a < 10 ? 1 : 0, a, units[u]);
    return out;
}

char *fmt_count(double n, char *out, size_t outlen)
{
    static const char *const units[] = {"", "k", "M", "G", "T", NULL};
    if (!isnan(n) && fabs(n) < 1000 && n != floor(n)) {
        snprintf(out, outlen, "%.1f", n);
        return out;
    }
    return fmt_scaled(n, out, outlen, 1000, units, "");
}

char *fmt_number(double v, char *out, size_t outlen)
{
    if (isnan(v))
        snprintf(out, outlen, "NaN");
    else if (isinf(v))
        snprintf(out, outlen, v > 0 ? "+Inf" : "-Inf");
    else if (v == floor(v) && fabs(v) < 9.007199254740992e15)
        snprintf(out, outlen, "%.0f", v);
    else
        snprintf(out, outlen, "%.10g", v);
    return out;
}

char *str_trim(char *s)
{
    char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    memmove(s, p, n);
    s[n] = '\0';
    return s;
}

bool str_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int str_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            cur[j] = best;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb] > 99 ? 99 : prev[lb];
}

int parse_iso8601_ms(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, consumed = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6)
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    const char *p = s + consumed;
    int ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (*p != 'Z' && *p != '\0')
        return -1;
    /* days from civil (UTC), no time zone involved */
    int yy = y - (mo <= 2);
    int era = (yy >= 0 ? yy : yy - 399) / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *out = ((days * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL + ms;
    return 0;
}

int parse_hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}
