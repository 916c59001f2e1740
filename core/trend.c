#include "core/trend.h"

#include <math.h>

double trend_drain_eta(const struct sample *s, size_t n)
{
    if (n == 0 || isnan(s[n - 1].value))
        return NAN;
    double now = s[n - 1].value;
    if (now <= 0)
        return 0;
    if (n < 3 || s[n - 1].ts_ms - s[0].ts_ms < 60000)
        return NAN;
    /* least squares over (seconds since the first sample, value) */
    double mt = 0, mv = 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(s[i].value))
            continue;
        mt += (double)(s[i].ts_ms - s[0].ts_ms) / 1000;
        mv += s[i].value;
        k++;
    }
    if (k < 3)
        return NAN;
    mt /= (double)k;
    mv /= (double)k;
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(s[i].value))
            continue;
        double dt = (double)(s[i].ts_ms - s[0].ts_ms) / 1000 - mt;
        num += dt * (s[i].value - mv);
        den += dt * dt;
    }
    if (den <= 0)
        return NAN;
    double slope = num / den; /* units per second */
    if (slope >= 0)
        return INFINITY;
    return now / -slope;
}

size_t trend_downsample(struct trend_point *p, size_t n, size_t max)
{
    if (max == 0 || n <= max)
        return n;
    size_t base = n / max, extra = n % max, src = 0;
    for (size_t k = 0; k < max; k++) {
        size_t len = base + (k < extra ? 1 : 0);
        const struct trend_point *run = &p[src];
        struct trend_point out = run[0];
        double sum = 0, lo = INFINITY, hi = -INFINITY;
        size_t finite = 0;
        for (size_t i = 0; i < len; i++) {
            if (isfinite(run[i].last)) {
                sum += run[i].last;
                finite++;
            }
            if (isfinite(run[i].min) && run[i].min < lo)
                lo = run[i].min;
            if (isfinite(run[i].max) && run[i].max > hi)
                hi = run[i].max;
        }
        const struct trend_point *end = &run[len - 1];
        out.step_ms = end->ts_ms + end->step_ms - run[0].ts_ms;
        if (out.step_ms <= 0)
            out.step_ms = 1; /* a down-sampled point is always a span */
        if (finite > 0) {
            out.last = sum / (double)finite;
            out.min = lo <= hi ? lo : out.last;
            out.max = lo <= hi ? hi : out.last;
        }
        p[k] = out; /* k <= src: never overwrites a point still to be read */
        src += len;
    }
    return max;
}
