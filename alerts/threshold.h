/* threshold: the condition of a user rule ("> 600", ">= 1", "< 0.5"): parsed, printed, met.
 * The config keeps a rule's warn and crit as text; threshold_validate is registered with the
 * config loader (config_set_validator) so that a malformed condition is refused where it is
 * written, and the rules parse the text when they build their plan. */
#ifndef STREAMTOP_THRESHOLD_H
#define STREAMTOP_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

enum threshold_op { TH_NONE, TH_GT, TH_GE, TH_LT, TH_LE, TH_EQ, TH_NE };

struct threshold {
    enum threshold_op op; /* TH_NONE when unset */
    double value;         /* seconds for a duration, bytes for a size */
    char unit[32];        /* "" for a plain number, else the value as written ("10m", "1.5GiB") */
};

/* Parse "> 600" (also >=, <, <=, ==, !=; white space around both parts allowed). The number may
 * be a duration ("> 10m", "> 1h30m": seconds) or a size ("> 1.5 GiB", "> 500MB": bytes; B, kB,
 * KB, MB, GB, TB and KiB, MiB, GiB, TiB). NULL parses as unset (TH_NONE). 0, or -1 (out unset)
 * when s is not a condition. */
int threshold_parse(const char *s, struct threshold *out);
/* "> 600" into out, a duration or size as written ("> 10m"); empty when unset. Returns out. */
char *threshold_text(const struct threshold *t, char *out, size_t outlen);
/* Does value meet the threshold? NaN never does, nor an unset one. */
bool threshold_met(const struct threshold *t, double value);
/* The config's validator of CT_THRESHOLD values: the canonical text of the condition ("> 600"
 * for ">600.0"; caller frees), or NULL with err "'abc' is not a condition (use e.g. ...)". */
char *threshold_validate(const char *text, struct st_err *err);

#endif
