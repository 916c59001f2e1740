#include "alerts/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hashset.h"
#include "core/xalloc.h"

const char *alert_event_kind_name(enum alert_event_kind k)
{
    static const char *const names[] = {"firing", "level", "repeat", "resolved"};
    return (unsigned)k <= EV_RESOLVED ? names[k] : "?";
}

void alert_state_done(struct alert_state *s)
{
    free(s->rule);
    free(s->stream);
}

void alert_result_done(struct alert_result *r)
{
    for (size_t i = 0; i < r->nstates; i++)
        alert_state_done(&r->states[i]);
    free(r->states);
    for (size_t i = 0; i < r->nevents; i++) {
        free(r->events[i].rule);
        free(r->events[i].stream);
        free(r->events[i].threshold);
    }
    free(r->events);
    memset(r, 0, sizeof *r);
}

static void emit(struct alert_result *r, enum alert_event_kind kind, const struct alert_state *s,
                 enum health prev, const char *threshold, int64_t now, double prev_value)
{
    r->events = xrealloc(r->events, (r->nevents + 1) * sizeof *r->events);
    struct alert_event *e = &r->events[r->nevents++];
    memset(e, 0, sizeof *e);
    e->kind = kind;
    e->rule = xstrdup(s->rule);
    e->stream = xstrdup(s->stream);
    e->level = kind == EV_RESOLVED ? HEALTH_OK : s->level;
    e->prev_level = prev;
    e->value = s->value;
    e->threshold = xstrdup(threshold ? threshold : "");
    e->started_ms = s->since_ms;
    e->at_ms = now;
    e->prev_value = prev_value;
}

/* Send an event now, or hold it back while silenced. */
static void notify(struct alert_result *r, enum alert_event_kind kind, struct alert_state *s,
                   enum health prev, const struct alert_obs *o, int64_t now, double prev_value)
{
    if (kind == EV_RESOLVED && s->notified_ms < 0) {
        s->held = false; /* its firing was never sent (silenced): nothing to resolve */
        return;
    }
    if (o && o->silenced && kind != EV_RESOLVED) {
        s->held = true;
        return;
    }
    emit(r, kind, s, prev, o ? o->threshold : "", now, prev_value);
    s->notified_ms = now;
    s->held = false;
}

static bool state_is(const void *ctx, size_t i, const char *rule, const char *stream)
{
    const struct alert_state *s = (const struct alert_state *)ctx + i;
    return strcmp(s->rule, rule) == 0 && strcmp(s->stream, stream) == 0;
}

bool alert_obs_is(const void *ctx, size_t i, const char *rule, const char *stream)
{
    const struct alert_obs *o = (const struct alert_obs *)ctx + i;
    return strcmp(o->rule, rule) == 0 && strcmp(o->stream, stream) == 0;
}

static void step(const struct alert_obs *o, struct alert_state *s, int64_t now,
                 struct alert_result *r)
{
    if (!o->measurable) {
        /* never resolve on missing data; a firing alert goes UNKNOWN after the grace */
        if (s->unmeasured_ms < 0)
            s->unmeasured_ms = now;
        if (s->phase == PH_FIRING && s->level != HEALTH_UNKNOWN &&
            now - s->unmeasured_ms >= o->grace_ms) {
            enum health prev = s->level;
            double was = s->value;
            s->level = HEALTH_UNKNOWN;
            s->value = NAN;
            notify(r, EV_LEVEL, s, prev, o, now, was);
        }
        return;
    }
    s->unmeasured_ms = -1;
    double was = s->value;
    s->value = o->value;
    if (o->level == HEALTH_OK) {
        if (s->phase == PH_FIRING)
            notify(r, EV_RESOLVED, s, s->level, o, now, was);
        s->phase = PH_INACTIVE;
        s->level = HEALTH_OK;
        s->held = false;
        return;
    }
    if (s->phase == PH_INACTIVE) {
        s->phase = PH_PENDING;
        s->since_ms = now;
    }
    if (s->phase == PH_PENDING) {
        if (now - s->since_ms < o->for_ms)
            return;
        s->phase = PH_FIRING;
        s->level = o->level;
        s->since_ms = now;
        s->notified_ms = -1;
        notify(r, EV_FIRING, s, HEALTH_OK, o, now, was);
        return;
    }
    /* firing */
    if (s->level != o->level) {
        enum health prev = s->level;
        s->level = o->level;
        notify(r, EV_LEVEL, s, prev, o, now, was);
    } else if (s->held && !o->silenced) {
        notify(r, EV_REPEAT, s, s->level, o, now, was); /* the silence ended: once */
    } else if (s->notified_ms >= 0 && now - s->notified_ms >= o->repeat_ms) {
        notify(r, EV_REPEAT, s, s->level, o, now, was);
    }
}

void alert_eval(const struct alert_obs *obs, size_t nobs, const struct alert_state *prev,
                size_t nprev, int64_t now, struct alert_result *out)
{
    memset(out, 0, sizeof *out);
    out->states = xcalloc(nobs + nprev + 1, sizeof *out->states);
    struct pair_index by_prev, by_obs;
    pair_index_init(&by_prev);
    pair_index_init(&by_obs);
    for (size_t i = 0; i < nprev; i++)
        pair_index_put(&by_prev, prev[i].rule, prev[i].stream, i);
    for (size_t i = 0; i < nobs; i++)
        pair_index_put(&by_obs, obs[i].rule, obs[i].stream, i);
    for (size_t i = 0; i < nobs; i++) {
        const struct alert_obs *o = &obs[i];
        ptrdiff_t at = pair_index_find(&by_prev, nprev, state_is, prev, o->rule, o->stream);
        const struct alert_state *p = at >= 0 ? &prev[at] : NULL;
        struct alert_state *s = &out->states[out->nstates++];
        if (p) {
            *s = *p;
            s->rule = xstrdup(p->rule);
            s->stream = xstrdup(p->stream);
        } else {
            memset(s, 0, sizeof *s);
            s->rule = xstrdup(o->rule);
            s->stream = xstrdup(o->stream);
            s->notified_ms = s->unmeasured_ms = -1;
            s->since_ms = now;
            s->value = NAN;
        }
        step(o, s, now, out);
    }
    /* pairs no rule looked at any more: resolve what was firing, forget the rest */
    for (size_t i = 0; i < nprev; i++) {
        const struct alert_state *p = &prev[i];
        if (p->phase != PH_FIRING || p->notified_ms < 0 ||
            pair_index_find(&by_obs, nobs, alert_obs_is, obs, p->rule, p->stream) >= 0)
            continue;
        struct alert_state gone = *p;
        emit(out, EV_RESOLVED, &gone, p->level, "", now, p->value);
        out->events[out->nevents - 1].removed = true;
    }
    pair_index_done(&by_prev);
    pair_index_done(&by_obs);
}
