/* trend: what recorded history says about where a metric is going. Pure functions. */
#ifndef STREAMTOP_TREND_H
#define STREAMTOP_TREND_H

#include <stddef.h>
#include <stdint.h>

struct sample {
    int64_t ts_ms;
    double value;
};

/* Window of history the drain rate is measured over. */
#define TREND_DRAIN_WINDOW_MS (15 * 60 * 1000LL)

/* Seconds until a backlog is gone at the net drain rate of the samples (oldest first; the last
 * is the current value), from the least-squares slope over the window. 0 when the backlog is
 * empty now; +Inf when it did not shrink; NaN with fewer than 3 samples or less than a minute
 * of history. */
double trend_drain_eta(const struct sample *s, size_t n);

#endif
