/* alerting: one evaluation of every rule over a snapshot, with the alert state in the state DB.
 * Loading the states, evaluating, saving the new states and queueing the notifications happen
 * in one BEGIN IMMEDIATE transaction, so two processes at once produce each notification
 * exactly once. Then the snapshot's streams get their alerts and statuses. */
#include "pass/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/context.h"
#include "alerts/payload.h"
#include "alerts/rules.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "pass/deliver.h"

/* How far behind the last evaluation the clock may be before the states are held (passes of
 * two processes at nearly the same moment are not a clock step). */
#define CLOCK_SLACK_MS 5000
/* The longest a clock behind the last evaluation holds the states. */
#define HOLD_MAX_MS (24 * 3600 * 1000LL)

static int history(void *ctx, const char *stream, const char *metric, int64_t since_ms,
                   struct sample **out, size_t *n)
{
    struct st_err err;
    return store_series(ctx, stream, metric, since_ms, out, n, &err);
}

static void hostname(char *out, size_t len)
{
    if (gethostname(out, len) != 0)
        snprintf(out, len, "localhost");
    out[len - 1] = '\0';
}

static int queue_each_event(struct store *db, const struct config *cfg, const struct snapshot *snap,
                            const struct rules_plan *plan, const struct pair_index *observed,
                            const struct alert_result *res, const char *host, struct st_err *err)
{
    for (size_t i = 0; i < res->nevents; i++) {
        const struct alert_event *e = &res->events[i];
        /* a pair no rule observed (its rule or stream gone): what the config still says */
        struct rule_route gone;
        const struct rule_route *r = NULL;
        const struct snap_stream *st = NULL;
        ptrdiff_t o =
            pair_index_find(observed, plan->n, alert_obs_is, plan->obs, e->rule, e->stream);
        if (o >= 0) {
            r = &plan->routes[o];
            st = &snap->streams[r->stream];
        } else {
            (void)rules_route_of(cfg, e->rule, e->stream, &gone); /* zeroed when unknown */
            r = &gone;
            st = snapshot_find(snap, e->stream);
        }
        /* a resolve goes where the alert's notifications went (its routes may have changed,
         * its stream's labels may be gone), or, when none is on record, where it routes now */
        struct strvec sent;
        strvec_init(&sent);
        if (e->kind == EV_RESOLVED &&
            store_outbox_webhooks(db, e->stream, e->rule, e->started_ms, &sent, err) < 0) {
            strvec_done(&sent);
            return -1;
        }
        const struct strvec *to = sent.n ? &sent : r->notify;
        if (!to || to->n == 0) {
            strvec_done(&sent);
            continue;
        }
        const char *mname = r->metric >= 0 ? metric_defs[r->metric].name : NULL;
        struct alert_context ctx;
        alert_context_build(r, st, e, host, &ctx);
        struct notice n = {.e = e, .metric = mname, .st = st, .host = host};
        alert_context_fill(&ctx, &n);
        for (size_t w = 0; w < to->n; w++) {
            const struct cfg_webhook *hook = config_webhook(cfg, to->v[w]);
            if (!hook)
                continue;
            char nid[DELIVER_ID_LEN];
            deliver_new_id(nid);
            n.id = nid;
            char *body = payload_render(hook, &n);
            int rc = store_outbox_add(db, hook->name, alert_event_kind_name(e->kind), e->stream,
                                      e->rule, nid, body, strlen(body), snap->generated_ms, err);
            free(body);
            if (rc < 0) {
                alert_context_done(&ctx);
                strvec_done(&sent);
                return -1;
            }
        }
        alert_context_done(&ctx);
        strvec_done(&sent);
    }
    return 0;
}

/* Queue each event's notifications, its route found by its pair among the plan's
 * observations (an index: a scan of them for every event was quadratic). */
static int queue_events(struct store *db, const struct config *cfg, const struct snapshot *snap,
                        const struct rules_plan *plan, const struct alert_result *res,
                        const char *host, struct st_err *err)
{
    struct pair_index observed;
    pair_index_init(&observed);
    for (size_t i = 0; i < plan->n; i++)
        pair_index_put(&observed, plan->obs[i].rule, plan->obs[i].stream, i);
    int rc = queue_each_event(db, cfg, snap, plan, &observed, res, host, err);
    pair_index_done(&observed);
    return rc;
}

/* Alertmanager forgets an alert not re-posted within its resolve_timeout: every pass, one
 * post of everything firing per alertmanager webhook (replacing an undelivered older one). */
static int queue_refresh(struct store *db, const struct config *cfg, const struct snapshot *snap,
                         const struct rules_plan *plan, const struct alert_result *res,
                         const char *host, struct st_err *err)
{
    for (size_t w = 0; w < cfg->nwebhooks; w++) {
        const struct cfg_webhook *hook = &cfg->webhooks[w];
        if (hook->format != WF_ALERTMANAGER)
            continue;
        struct notice *ns = xcalloc(res->nstates + 1, sizeof *ns);
        struct alert_event *evs = xcalloc(res->nstates + 1, sizeof *evs);
        struct alert_context *ctx = xcalloc(res->nstates + 1, sizeof *ctx);
        size_t k = 0;
        for (size_t i = 0; i < res->nstates; i++) {
            const struct alert_state *a = &res->states[i]; /* of plan->obs[i] */
            const struct rule_route *r = &plan->routes[i];
            if (a->phase != PH_FIRING || a->held || plan->obs[i].silenced)
                continue;
            bool routed = false;
            for (size_t j = 0; j < r->notify->n; j++)
                routed |= strcmp(r->notify->v[j], hook->name) == 0;
            if (!routed)
                continue;
            const char *mname = r->metric >= 0 ? metric_defs[r->metric].name : NULL;
            static char none[] = "";
            evs[k] = (struct alert_event){
                .kind = EV_REPEAT,
                .rule = a->rule,
                .stream = a->stream,
                .level = a->level,
                .prev_level = a->level,
                .value = a->value,
                .threshold = plan->obs[i].threshold[0] ? (char *)plan->obs[i].threshold : none,
                .started_ms = a->since_ms,
                .at_ms = snap->generated_ms,
                .prev_value = a->value};
            alert_context_build(r, &snap->streams[r->stream], &evs[k], host, &ctx[k]);
            ns[k] = (struct notice){
                .e = &evs[k], .metric = mname, .st = &snap->streams[r->stream], .host = host};
            alert_context_fill(&ctx[k], &ns[k]);
            k++;
        }
        int rc = 0;
        if (k > 0) {
            char nid[DELIVER_ID_LEN];
            deliver_new_id(nid);
            for (size_t i = 0; i < k; i++)
                ns[i].id = nid;
            char *body = payload_alertmanager_many(ns, k);
            rc = store_outbox_supersede(db, hook->name, "refresh", snap->generated_ms, err);
            if (rc == 0)
                rc = store_outbox_add(db, hook->name, "refresh", NULL, NULL, nid, body,
                                      strlen(body), snap->generated_ms, err);
            free(body);
        }
        for (size_t i = 0; i < k; i++)
            alert_context_done(&ctx[i]);
        free(ctx);
        free(ns);
        free(evs);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static void annotate(struct snapshot *snap, const struct rules_plan *plan,
                     const struct alert_result *res)
{
    for (size_t i = 0; i < res->nstates; i++) {
        const struct alert_state *a = &res->states[i]; /* of plan->obs[i] */
        const struct alert_obs *o = &plan->obs[i];
        if (a->phase == PH_INACTIVE)
            continue;
        struct snap_stream *st = &snap->streams[plan->routes[i].stream];
        bool firing = a->phase == PH_FIRING;
        enum health h = firing ? a->level : o->level;
        snap_stream_add_alert(st, a->rule, o->threshold, h, firing, o->silenced, a->since_ms,
                              a->value);
        /* as in Alertmanager, a silenced alert shows but counts for nothing: check's exit
         * status and its -q output stay quiet, so cron mails nothing about it */
        if (firing && !o->silenced)
            st->status = health_worse(st->status, h);
    }
}

/* Store the states worth remembering: an inactive one only while it holds something back
 * (a silenced event) or counts unmeasurable time. */
static int save_states(struct store *db, const struct store_alert *prev, size_t nprev,
                       const struct alert_result *res, struct st_err *err)
{
    struct store_alert *rows = xcalloc(res->nstates + 1, sizeof *rows);
    size_t n = 0;
    for (size_t i = 0; i < res->nstates; i++) {
        const struct alert_state *a = &res->states[i];
        if (a->phase == PH_INACTIVE && !a->held && a->unmeasured_ms < 0)
            continue;
        rows[n++] = (struct store_alert){a->rule,          a->stream,   (int)a->phase,
                                         a->level,         a->since_ms, a->notified_ms,
                                         a->unmeasured_ms, a->value,    a->held};
    }
    int rc = store_alerts_save(db, prev, nprev, rows, n, err);
    free(rows); /* the strings are the states' */
    return rc;
}

/* The stored states as they were (the clock went back): what fired still shows. */
static void annotate_held(struct snapshot *snap, const struct alert_state *prev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct alert_state *a = &prev[i];
        struct snap_stream *st = (struct snap_stream *)snapshot_find(snap, a->stream);
        if (!st || a->phase == PH_INACTIVE)
            continue;
        bool firing = a->phase == PH_FIRING;
        snap_stream_add_alert(st, a->rule, "", a->level, firing, false, a->since_ms, a->value);
        if (firing)
            st->status = health_worse(st->status, a->level);
    }
}

int evaluate_run(struct store *db, const struct config *cfg, struct snapshot *snap, bool queue,
                 bool *held_out, struct st_err *err)
{
    *held_out = false;
    /* the collectors' verdict (UNKNOWN on errors) is the built-in collector-failing rule's */
    for (size_t i = 0; i < snap->nstreams; i++)
        snap->streams[i].status = HEALTH_OK;
    if (store_begin(db, err) < 0)
        return -1;
    struct silence *sil = NULL;
    size_t nsil = 0;
    struct store_alert *rows = NULL;
    size_t nprev = 0;
    int rc = store_silences(db, snap->generated_ms, &sil, &nsil, err);
    if (rc == 0)
        rc = store_alerts_load(db, &rows, &nprev, err);
    /* the stored rows as the engine's states (their strings borrowed from rows) */
    struct alert_state *prev = xcalloc(nprev + 1, sizeof *prev);
    for (size_t i = 0; i < nprev; i++)
        prev[i] = (struct alert_state){
            rows[i].rule,          rows[i].stream,   (enum alert_phase)rows[i].phase,
            rows[i].level,         rows[i].since_ms, rows[i].notified_ms,
            rows[i].unmeasured_ms, rows[i].value,    rows[i].held};
    struct rules_silence *rs = xcalloc(nsil + 1, sizeof *rs);
    for (size_t i = 0; i < nsil; i++)
        rs[i] = (struct rules_silence){sil[i].match, sil[i].ends_ms};
    /* a clock that went back (an NTP step, a VM resumed) must not age, resolve or re-send
     * anything: the states of the last evaluation hold until the clock is past it again */
    int64_t last = 0;
    int have_last = rc == 0 ? store_meta_get(db, "evaluated_ms", &last, err) : 0;
    if (have_last < 0)
        rc = -1;
    bool behind = rc == 0 && have_last == 1 && snap->generated_ms < last - CLOCK_SLACK_MS;
    /* a last evaluation more than a day ahead came from a wrong clock (a VM booted in 2099):
     * holding until then would switch alerting off; evaluate from now on instead */
    bool held = behind && last - snap->generated_ms <= HOLD_MAX_MS;
    if (behind && !held) {
        char when[40];
        log_warn("the last evaluation (%s) is more than a day ahead of the clock: evaluating "
                 "from now",
                 clock_iso8601(last, when, sizeof when));
        last = 0;
    }
    *held_out = held;
    struct rules_plan plan;
    rules_plan_build(cfg, snap, history, db, rs, nsil, &plan);
    struct alert_result res = {0};
    if (rc == 0 && !held) {
        alert_eval(plan.obs, plan.n, prev, nprev, snap->generated_ms, &res);
        /* a dry run (--no-notify) is rolled back below: nothing of it is written */
        if (queue) {
            rc = save_states(db, rows, nprev, &res, err);
            if (rc == 0 && snap->generated_ms > last)
                rc = store_meta_put(db, "evaluated_ms", snap->generated_ms, err);
        }
    }
    char host[256];
    hostname(host, sizeof host);
    if (rc == 0 && queue && !held)
        rc = queue_events(db, cfg, snap, &plan, &res, host, err);
    if (rc == 0 && queue && !held)
        rc = queue_refresh(db, cfg, snap, &plan, &res, host, err);
    if (rc == 0 && queue && !held)
        rc = store_commit(db, err);
    else
        store_rollback(db); /* a dry run (--no-notify) keeps the state as it was */
    if (rc == 0 && held) {
        char when[40];
        log_warn("the clock is behind the last evaluation (%s): alert states held, nothing queued "
                 "or sent",
                 clock_iso8601(last, when, sizeof when));
        annotate_held(snap, prev, nprev);
    } else if (rc == 0) {
        annotate(snap, &plan, &res);
    }
    alert_result_done(&res);
    rules_plan_done(&plan);
    free(prev);
    store_alerts_free(rows, nprev);
    free(rs);
    store_silences_free(sil, nsil);
    return rc;
}
