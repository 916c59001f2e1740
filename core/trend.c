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
