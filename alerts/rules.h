/* rules: what every rule (the config's and the built-in ones) sees of every stream on this pass,
 * as observations for the engine, with where each one notifies. Pure: history comes through a
 * callback, time from the snapshot. */
#ifndef STREAMTOP_RULES_H
#define STREAMTOP_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "alerts/engine.h"
#include "core/config.h"
#include "core/health.h"
#include "core/metrics.h"
#include "core/snapshot.h"
#include "core/trend.h"

/* Recorded samples of one stream's metric since since_ms, oldest first (*out caller-freed).
 * 0, or -1 when history cannot be read (the built-ins that need it then see nothing). */
typedef int (*rules_history_fn)(void *ctx, const char *stream, const char *metric, int64_t since_ms,
                                struct sample **out, size_t *n);

struct rules_silence {
    const char *match; /* "stream-glob" or "stream-glob/rule-glob" */
    int64_t ends_ms;
};

/* Where one (rule, stream) pair notifies, and what its notifications say. Everything borrowed
 * from the config (or static). */
struct rule_route {
    const struct strvec *notify;    /* webhook names: the first matching route's, else notify */
    const char *summary;            /* template, or NULL */
    int metric;                     /* registry index, or -1 for the built-ins' own figures */
    size_t stream;                  /* index of the stream in the snapshot */
    enum metric_unit unit;          /* of the value */
    const char *fired[HEALTH__N];   /* the condition of each level, as configured, or NULL */
    const char *runbook;            /* the rule's URL template, or NULL */
    const struct cfg_labels *links; /* the rule's links, or NULL */
    const struct cfg_stream *cs;    /* the stream's config, or NULL */
};

struct rules_plan {
    struct alert_obs *obs; /* strings owned by the plan */
    struct rule_route *routes;
    size_t n;
    struct strvec owned;
};

/* Build the observations of every (rule, stream) pair. */
void rules_plan_build(const struct config *cfg, const struct snapshot *snap,
                      rules_history_fn history, void *hctx, const struct rules_silence *silences,
                      size_t nsilences, struct rules_plan *out);
void rules_plan_done(struct rules_plan *p);
/* The Trigger.RealTime duration (ms) of a stream in real-time mode: the configured one
 * (trigger_mode = realtime; Spark's 5 minutes when trigger is unset), else, with trigger_mode
 * auto, the median duration of at least five committed batches that ran back to back for as
 * long as each other (within 5%, 5 s or more, and near `trigger` when one is set). 0 when the
 * stream is not in real-time mode. */
double rules_realtime_trigger_ms(const struct cfg_stream *cs, const struct snap_stream *st);
/* The route of an event whose pair no rule observed this pass (its rule or its stream is gone
 * from the config): what the config still says of them. False when nothing notifies it. */
bool rules_route_of(const struct config *cfg, const char *rule, const char *stream,
                    struct rule_route *out);
/* The same for the configured stream cs (NULL: a stream gone from the config), found already. */
bool rules_route_of_stream(const struct config *cfg, const char *rule, const struct cfg_stream *cs,
                           struct rule_route *out);
/* The names of the rules that watch a configured stream (the built-ins that apply to it, with
 * their "builtin:" prefix, then the config's), appended to out. */
void rules_names(const struct config *cfg, const struct cfg_stream *cs, struct strvec *out);
/* The value of a stream's label key, or NULL. */
typedef const char *(*rules_label_fn)(const void *ctx, const char *key);
/* Does a silence match (stream, rule)? A match is "STREAM-GLOB" or "LABEL=GLOB[, LABEL=GLOB]"
 * (all must hold; "stream=" is the name), optionally followed by "/RULE-GLOB" (a built-in also by
 * its name without "builtin:"). label gives the stream's labels (NULL: it has none). */
bool rules_silence_matches_labels(const char *match, const char *stream, const char *rule,
                                  rules_label_fn label, const void *ctx);
/* The same for a stream whose labels are not known. */
bool rules_silence_matches(const char *match, const char *stream, const char *rule);
/* The summary of an event without a stream's context: the template (core/template.h), or a
 * default sentence; a resolve says what it resolved from. Caller frees. */
char *rules_summary(const char *tmpl, const struct alert_event *e, const char *metric);

#define BUILTIN_PREFIX "builtin:"

#endif
