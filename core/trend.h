/* trend: what recorded history says about where a metric is going. Pure functions. */
#ifndef STREAMTOP_TREND_H
#define STREAMTOP_TREND_H

#include <stddef.h>
#include <stdint.h>

struct sample {
    int64_t ts_ms;
    double value;
};

/* A recorded point as history shows it: a raw value (step_ms 0; min and max equal last), or a
 * rollup of step_ms from ts_ms with its last, min and max. Values may be infinite (null in
 * JSON), never NaN when recorded. */
struct trend_point {
    int64_t ts_ms, step_ms;
    double last, min, max;
};

/* Down-sample p[0..n) in place to at most max points (max >= 1; nothing to do when n <= max):
 * consecutive runs of n/max points (the first runs one longer when it does not divide) become
 * one point at the run's first time, spanning to the end of its last point (step_ms), whose
 * value is the mean of the run's finite values (min and max: the run's finite extremes);
 * a run without a finite value keeps its first value (infinite: null in JSON, as recorded).
 * Returns the new count. */
size_t trend_downsample(struct trend_point *p, size_t n, size_t max);

/* Window of history the drain rate is measured over. */
#define TREND_DRAIN_WINDOW_MS (15 * 60 * 1000LL)

/* Seconds until a backlog is gone at the net drain rate of the samples (oldest first; the last
 * is the current value), from the least-squares slope over the window. 0 when the backlog is
 * empty now; +Inf when it did not shrink; NaN with fewer than 3 samples or less than a minute
 * of history. */
double trend_drain_eta(const struct sample *s, size_t n);

#endif
