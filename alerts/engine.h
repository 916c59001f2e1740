/* engine: the alert state machine, a pure function of (observations, previous states, now) ->
 * (new states, events). No I/O, no clock: time comes from the snapshot.
 *
 *   inactive --condition--> pending --held for `for`--> firing --condition gone--> resolved
 *
 * While firing, a level change (warning <-> critical) is an event, and so is every `repeat`
 * without one. A value that cannot be measured never resolves an alert: after `grace` it turns
 * the alert UNKNOWN. An alert whose rule or stream is gone is resolved. A silenced alert keeps
 * its state but its events are held back; when the silence ends, a still-firing alert is sent
 * once. */
#ifndef STREAMTOP_ENGINE_H
#define STREAMTOP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/health.h"

enum alert_phase { PH_INACTIVE = 0, PH_PENDING = 1, PH_FIRING = 2 };

/* What one rule sees of one stream on this pass. */
struct alert_obs {
    const char *rule, *stream; /* (borrowed) */
    bool measurable;           /* false: the metric is NaN (cannot be measured now) */
    enum health level;         /* when measurable: HEALTH_OK, or the level whose condition holds */
    double value;
    const char *threshold; /* (borrowed) "> 600" of the level that holds, or "" */
    int64_t for_ms, repeat_ms, grace_ms;
    bool silenced;
};

/* The stored state of one (rule, stream) pair. */
struct alert_state {
    char *rule, *stream; /* (owned) */
    enum alert_phase phase;
    enum health level;     /* while firing (HEALTH_UNKNOWN when unmeasurable past grace) */
    int64_t since_ms;      /* pending or firing since */
    int64_t notified_ms;   /* last event sent, -1 */
    int64_t unmeasured_ms; /* unmeasurable since, -1 */
    double value;
    bool held; /* an event was held back by a silence */
};

enum alert_event_kind {
    EV_FIRING,   /* started firing */
    EV_LEVEL,    /* level changed while firing */
    EV_REPEAT,   /* still firing, repeat interval passed (or a silence ended) */
    EV_RESOLVED, /* condition gone, or rule/stream removed */
};

struct alert_event {
    enum alert_event_kind kind;
    char *rule, *stream; /* (owned) */
    enum health level, prev_level;
    double value;
    char *threshold; /* (owned) */
    int64_t started_ms, at_ms;
    bool removed;      /* resolved because the rule or the stream is gone */
    double prev_value; /* the value before this pass (what a resolve resolved from), NaN */
};

struct alert_result {
    struct alert_state *states; /* states[i] is the new state of obs[i] (nstates == nobs) */
    size_t nstates;
    struct alert_event *events;
    size_t nevents;
};

/* pair_is_fn over an array of struct alert_obs (for a pair_index of them). */
bool alert_obs_is(const void *ctx, size_t i, const char *rule, const char *stream);

/* Evaluate. prev is not modified; out is filled (free with alert_result_done). */
void alert_eval(const struct alert_obs *obs, size_t nobs, const struct alert_state *prev,
                size_t nprev, int64_t now_ms, struct alert_result *out);
void alert_result_done(struct alert_result *r);
void alert_state_done(struct alert_state *s);
const char *alert_event_kind_name(enum alert_event_kind k);

#endif
