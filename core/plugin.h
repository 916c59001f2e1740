/* plugin: the Monitoring Plugins conventions `check` speaks
 * (https://www.monitoring-plugins.org/doc/guidelines.html): threshold ranges ("10", "10:",
 * "~:10", "10:20", "@10:20") and performance data ('label'=value[UOM];warn;crit;min;max). The
 * precedence of states is health_worse (core/health.h). */
#ifndef STREAMTOP_PLUGIN_H
#define STREAMTOP_PLUGIN_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/err.h"

/* A threshold range: a value alerts when it lies outside [lo, hi] (inside, with '@'). */
struct plugin_range {
    double lo, hi;  /* -INFINITY / INFINITY for "~" and an empty end */
    bool inside;    /* '@': alert inside the range */
    char text[900]; /* the range in plain decimals ("1e3:" as "1000:"), for performance data */
};

/* Parse a range: [@][START:][END], START "~" for minus infinity, END empty for infinity, START
 * 0 when there is no ':' ("10" is 0..10). 0, or -1 with err saying what is wrong. */
int plugin_range_parse(const char *s, struct plugin_range *r, struct st_err *err);
/* Does v alert under r? NaN never does (the caller decides what an unmeasurable value is). */
bool plugin_range_alerts(const struct plugin_range *r, double v);
/* Append v as performance data allows a number: digits, '-' and '.', no exponent (integers
 * whole, others to six decimals, trailing zeros cut). v must be finite. */
void plugin_perf_number(struct buf *out, double v);
/* Append a performance-data label: in single quotes, a quote doubled, '=' and control bytes
 * written as '_' (the guidelines allow neither in a label). */
void plugin_perf_label(struct buf *out, const char *label);

#endif
