#include "alerts/rules.h"

#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/threshold.h"
#include "core/buf.h"
#include "core/parse.h"
#include "core/xalloc.h"

#define HOUR_MS          (3600 * 1000LL)
#define DURATION_HISTORY (6 * HOUR_MS) /* median batch duration over this much history */
#define RECENT_MS        HOUR_MS       /* dead letters / schema changes count as new this long */

/* The part of a silence before '/': a glob over the stream's name, or label matchers
 * ("team=payments, tier=1"; "stream=" matches the name), all of which must hold. */
static bool stream_part_matches(char *sp, const char *stream, rules_label_fn label, const void *ctx)
{
    if (!strchr(sp, '='))
        return fnmatch(str_trim(sp), stream, 0) == 0;
    for (char *item = sp; item;) {
        char *comma = strchr(item, ',');
        if (comma)
            *comma = '\0';
        char *eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            const char *key = str_trim(item), *want = str_trim(eq + 1);
            const char *have = strcmp(key, "stream") == 0 ? stream : label ? label(ctx, key) : NULL;
            if (!have || fnmatch(want, have, 0) != 0)
                return false;
        } else if (*str_trim(item)) {
            return false; /* a word among matchers matches nothing */
        }
        item = comma ? comma + 1 : NULL;
    }
    return true;
}

bool rules_silence_matches_labels(const char *match, const char *stream, const char *rule,
                                  rules_label_fn label, const void *ctx)
{
    const char *slash = strchr(match, '/');
    char *sp = slash ? xstrndup(match, (size_t)(slash - match)) : xstrdup(match);
    bool ok = stream_part_matches(sp, stream, label, ctx);
    free(sp);
    if (!ok || !slash)
        return ok;
    if (fnmatch(slash + 1, rule, 0) == 0)
        return true;
    /* "orders/stalled" silences the built-in */
    return str_prefix(rule, BUILTIN_PREFIX) &&
           fnmatch(slash + 1, rule + strlen(BUILTIN_PREFIX), 0) == 0;
}

bool rules_silence_matches(const char *match, const char *stream, const char *rule)
{
    return rules_silence_matches_labels(match, stream, rule, NULL, NULL);
}

static const char *snap_label(const void *ctx, const char *key)
{
    const struct snap_stream *st = ctx;
    for (size_t i = 0; i < st->nlabels; i++)
        if (strcmp(st->labels[i].key, key) == 0)
            return st->labels[i].value;
    return NULL;
}

static const char *keep(struct rules_plan *p, char *s)
{
    strvec_take(&p->owned, s);
    return p->owned.v[p->owned.n - 1];
}

struct ctx {
    const struct config *cfg;
    const struct snapshot *snap;
    rules_history_fn history;
    void *hctx;
    const struct rules_silence *sil;
    size_t nsil;
    struct rules_plan *p;
    size_t cap;
    struct threshold (*conds)[2];  /* warn and crit of each config rule, parsed once per plan */
    const struct snap_stream *cur; /* the stream being observed */
};

static struct alert_obs *add(struct ctx *c, const char *rule, const char *stream,
                             const struct rule_route *route)
{
    struct rules_plan *p = c->p;
    if (p->n + 1 > c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        p->obs = xrealloc(p->obs, c->cap * sizeof *p->obs);
        p->routes = xrealloc(p->routes, c->cap * sizeof *p->routes);
    }
    struct alert_obs *o = &p->obs[p->n];
    memset(o, 0, sizeof *o);
    p->routes[p->n] = *route;
    p->routes[p->n++].stream = (size_t)(c->cur - c->snap->streams);
    o->rule = rule;
    o->stream = stream;
    o->threshold = "";
    o->value = NAN;
    for (size_t i = 0; i < c->nsil && !o->silenced; i++)
        o->silenced =
            c->snap->generated_ms < c->sil[i].ends_ms &&
            rules_silence_matches_labels(c->sil[i].match, stream, rule, snap_label, c->cur);
    return o;
}

static struct rule_route user_route(const struct cfg_rule *rule, const struct cfg_stream *cs)
{
    struct rule_route r = {0};
    r.notify = config_route(&rule->routes, &rule->notify, cs);
    r.summary = rule->summary;
    r.metric = rule->metric;
    r.unit = rule->metric >= 0 ? metric_defs[rule->metric].unit : UNIT_NONE;
    r.fired[HEALTH_WARNING] = rule->warn;
    r.fired[HEALTH_CRITICAL] = rule->crit;
    r.runbook = rule->runbook;
    r.links = &rule->links;
    r.cs = cs;
    return r;
}

static void user_rules(struct ctx *c, const struct cfg_stream *cs, const struct snap_stream *st)
{
    for (size_t r = 0; r < c->cfg->nrules; r++) {
        const struct cfg_rule *rule = &c->cfg->rules[r];
        if (!config_rule_matches(rule, cs))
            continue;
        struct rule_route route = user_route(rule, cs);
        struct alert_obs *o = add(c, rule->name, st->name, &route);
        double v = st->metrics[rule->metric];
        o->value = v;
        o->measurable = !isnan(v);
        o->for_ms = rule->for_ms;
        o->repeat_ms = rule->repeat_ms;
        o->grace_ms = c->cfg->builtin.unknown_grace_ms;
        const struct threshold *warn = &c->conds[r][0], *crit = &c->conds[r][1];
        /* the condition as configured ("> 10m"), not as a bare number of seconds */
        if (threshold_met(crit, v)) {
            o->level = HEALTH_CRITICAL;
            o->threshold = rule->crit;
        } else if (threshold_met(warn, v)) {
            o->level = HEALTH_WARNING;
            o->threshold = rule->warn;
        } else {
            o->level = HEALTH_OK;
        }
    }
}

/* What each built-in says: its sentence, and the metric its value is (-1: its own figure). */
static const struct builtin_text {
    const char *rule;
    const char *summary;
    int metric;
    enum metric_unit unit;
} builtin_texts[] = {
    {BUILTIN_PREFIX "collector-failing", "{stream}: a path cannot be read ({threshold})", -1,
     UNIT_COUNT},
    {BUILTIN_PREFIX "stalled",
     "{stream}: no batch committed for {value} while work waits "
     "({threshold})",
     M_COMMIT_AGE_SECONDS, UNIT_SECONDS},
    {BUILTIN_PREFIX "batch-stuck", "{stream}: a batch has been in flight for {value} ({threshold})",
     M_INFLIGHT_SECONDS, UNIT_SECONDS},
    {BUILTIN_PREFIX "not-draining", "{stream}: the backlog ({value}) is not draining ({threshold})",
     -1, UNIT_COUNT},
    {BUILTIN_PREFIX "deadletter-growing",
     "{stream}: {value} dead-letter files, new ones within the hour", M_DEADLETTER_FILES,
     UNIT_COUNT},
    {BUILTIN_PREFIX "schema-changed",
     "{stream}: the schema changed to version {value} within the "
     "hour",
     M_SCHEMA_VERSION, UNIT_COUNT},
    {BUILTIN_PREFIX "state-schema-changed", "{stream}: the {threshold}", -1, UNIT_NONE},
    {BUILTIN_PREFIX "checkpoint-unrestartable",
     "{stream}: Spark cannot restart from the checkpoint ({threshold})", -1, UNIT_NONE},
    /* the default summary; the unit, so that {value} and check's text read as durations */
    {BUILTIN_PREFIX "no-new-data", NULL, -1, UNIT_SECONDS},
    {BUILTIN_PREFIX "feeder-late", NULL, -1, UNIT_SECONDS},
};

static struct rule_route builtin_route(const struct config *cfg, const struct cfg_stream *cs,
                                       const char *rule)
{
    struct rule_route r = {0};
    r.notify =
        cs ? config_route(&cfg->builtin.routes, &cfg->builtin.notify, cs) : &cfg->builtin.notify;
    r.metric = -1;
    r.unit = UNIT_NONE;
    for (size_t i = 0; i < sizeof builtin_texts / sizeof builtin_texts[0]; i++)
        if (strcmp(builtin_texts[i].rule, rule) == 0) {
            r.summary = builtin_texts[i].summary;
            r.metric = builtin_texts[i].metric;
            r.unit = builtin_texts[i].unit;
        }
    r.runbook = cfg->builtin.runbook;
    r.links = &cfg->builtin.links;
    r.cs = cs;
    return r;
}

static int cmp_double(const void *a, const void *b);

/* Median duration (s) of the committed data batches in the snapshot whose commit time is the
 * commit's (not a copy's); NaN with fewer than 3. */
static double batches_median(const struct snap_stream *st)
{
    double v[64];
    size_t n = 0;
    for (size_t i = 0; i < st->nbatches && n < 64; i++)
        if (st->batches[i].commit_ms >= 0 && st->batches[i].start_ms >= 0 &&
            !st->batches[i].commit_time_bad && st->batches[i].kind == BATCH_DATA)
            v[n++] = (double)(st->batches[i].commit_ms - st->batches[i].start_ms) / 1000;
    if (n < 3)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of a metric's recorded samples over window, NaN without history. */
static double history_median(struct ctx *c, const char *stream, int metric, int64_t window)
{
    struct sample *s = NULL;
    size_t n = 0;
    if (!c->history ||
        c->history(c->hctx, stream, metric_defs[metric].name, c->snap->generated_ms - window, &s,
                   &n) < 0 ||
        n == 0) {
        free(s);
        return NAN;
    }
    double *v = xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = s[i].value;
    qsort(v, n, sizeof *v, cmp_double);
    double med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    free(v);
    free(s);
    return med;
}

/* Real-time mode (Spark 4.1+, `Trigger.RealTime`; apache/spark docs/streaming/real-time-mode.md):
 * one long batch per trigger whose tasks read for the whole trigger (default 5 minutes, at
 * least spark.sql.streaming.realTimeMode.minBatchDuration, 5 s). MicroBatchExecution's
 * markMicroBatchStart writes no offsets/N under a RealTimeTrigger; markMicroBatchEnd writes
 * offsets/N (walCommit, with the end offsets the scan reached) and then commits/N when the
 * trigger ends. So a healthy query shows a commit as old as its trigger and, on storage, no
 * planned batch while its batch runs. The trigger is not in the checkpoint: it is the
 * configured one, else the median duration of batches that ran back to back for as long as
 * each other. */
#define RT_MIN_BATCH_MS 5000.0 /* spark.sql.streaming.realTimeMode.minBatchDuration */
#define RT_DEFAULT_MS   300000 /* Trigger.RealTime() */
#define RT_RUN          5      /* batches in a row that make a real-time query */
#define RT_SPREAD       0.05   /* how much their durations may differ */

double rules_realtime_trigger_ms(const struct cfg_stream *cs, const struct snap_stream *st)
{
    if (cs->trigger_mode == TM_MICROBATCH)
        return 0;
    if (cs->trigger_mode == TM_REALTIME)
        return cs->trigger_ms > 0 ? (double)cs->trigger_ms : RT_DEFAULT_MS;
    /* auto: at least RT_RUN committed batches in a row, each starting as the one before
     * committed, all lasting the same (within RT_SPREAD) and at least Spark's minimum: a
     * micro-batch query runs no batch without data, a real-time one ends each by the clock */
    double d[64];
    size_t n = 0;
    const struct snap_batch *prev = NULL;
    for (size_t i = 0; i < st->nbatches; i++) {
        const struct snap_batch *b = &st->batches[i];
        if (b->start_ms < 0 || b->commit_ms < b->start_ms) {
            n = 0;
            prev = NULL;
            continue;
        }
        double dur = (double)(b->commit_ms - b->start_ms);
        /* async progress tracking may write a commit a little after the next batch began */
        if (prev && (prev->id != b->id - 1 ||
                     fabs((double)(b->start_ms - prev->commit_ms)) > fmax(2000, dur / 20)))
            n = 0;
        if (n == 64)
            n = 0;
        d[n++] = dur;
        prev = b;
    }
    if (n < RT_RUN)
        return 0;
    double lo = d[0], hi = d[0];
    for (size_t i = 1; i < n; i++) {
        lo = fmin(lo, d[i]);
        hi = fmax(hi, d[i]);
    }
    if (lo < RT_MIN_BATCH_MS || hi - lo > hi * RT_SPREAD)
        return 0;
    /* a configured trigger the batches do not keep: a micro-batch query running behind */
    if (cs->trigger_ms > 0 &&
        (lo < (double)cs->trigger_ms * 0.9 || lo > (double)cs->trigger_ms * 1.1 + 5000))
        return 0;
    if (cs->trigger_ms > 0)
        return (double)cs->trigger_ms;
    qsort(d, n, sizeof *d, cmp_double);
    return n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
}

static bool work_waits(const struct snap_stream *st)
{
    static const int w[] = {M_BACKLOG_FILES, M_BACKLOG_RECORDS, M_BACKLOG_BYTES, M_BACKLOG_VERSIONS,
                            M_INFLIGHT_SECONDS};
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (st->metrics[w[i]] > 0)
            return true;
    return false;
}

/* ms stays a double: a limit derived from recorded durations may be far beyond int64. */
static void secs_threshold(struct ctx *c, struct alert_obs *o, double ms)
{
    char d[32];
    o->threshold = keep(c->p, xasprintf("> %s", fmt_span(ms / 1000, d, sizeof d)));
}

/* Not draining: over the window the backlog never shrank from one batch to the next, while
 * the committed batch id moved, and it never touched zero. Samples are grouped by the batch
 * committed when they were taken and each group counts by its lowest value (the trough right
 * after a commit): a backlog sampled more often than batches run rises between commits and
 * drops at each one, and only the troughs tell growth from a healthy sawtooth. Only samples
 * inside the window count, and they must cover at least half of it, so one old sample cannot
 * decide either way. */
static void not_draining(struct ctx *c, struct alert_obs *o, const struct snap_stream *st, int m)
{
    const struct cfg_builtin *b = &c->cfg->builtin;
    int64_t now = c->snap->generated_ms, since = now - b->drain_window_ms;
    struct sample *s = NULL, *k = NULL;
    size_t n = 0, nk = 0;
    o->value = st->metrics[m];
    o->measurable = !isnan(o->value);
    o->level = HEALTH_OK;
    if (!o->measurable || o->value <= 0 || !c->history)
        return;
    if (c->history(c->hctx, st->name, metric_defs[m].name, since, &s, &n) == 0 &&
        c->history(c->hctx, st->name, metric_defs[M_COMMITTED_BATCH_ID].name, since, &k, &nk) ==
            0 &&
        n >= 3 && s[0].ts_ms <= now - b->drain_window_ms / 2 && nk >= 1) {
        bool shrank = false;
        double trough = NAN, prev_trough = NAN, group = NAN;
        size_t j = 0;
        for (size_t i = 0; i <= n; i++) {
            /* the batch committed when sample i was taken (the pass records both at once);
             * i == n is this pass */
            double v = i < n ? s[i].value : o->value, id = NAN;
            shrank |= v <= 0; /* it touched zero inside the window: it drains */
            if (i < n) {
                while (j < nk && k[j].ts_ms < s[i].ts_ms)
                    j++;
                if (j < nk && k[j].ts_ms == s[i].ts_ms)
                    id = k[j].value;
            } else {
                id = st->metrics[M_COMMITTED_BATCH_ID];
            }
            if (!isnan(id) && id == group) {
                trough = fmin(trough, v);
                continue;
            }
            if (!isnan(trough)) {
                shrank |= !isnan(prev_trough) && trough < prev_trough;
                prev_trough = trough;
            }
            trough = v;
            group = id;
        }
        shrank |= !isnan(prev_trough) && trough < prev_trough;
        double committed_now = st->metrics[M_COMMITTED_BATCH_ID];
        bool committing = !isnan(committed_now) && committed_now > k[0].value;
        if (!shrank && committing) {
            o->level = HEALTH_WARNING;
            char d[32];
            o->threshold =
                keep(c->p, xasprintf("not shrinking for %s",
                                     fmt_span((double)(now - s[0].ts_ms) / 1000, d, sizeof d)));
        }
    }
    free(s);
    free(k);
}

/* The newest transformWithState schema file of an operator that has more than one was written
 * by the batch whose state schema changed; a warning for an hour after it appeared. */
static void state_schema_rule(struct ctx *c, const struct snap_stream *st,
                              const struct rule_route *route)
{
    const struct cfg_builtin *b = &c->cfg->builtin;
    struct alert_obs *o = add(c, BUILTIN_PREFIX "state-schema-changed", st->name, route);
    o->measurable = true;
    o->value = 0;
    o->level = HEALTH_OK;
    o->repeat_ms = b->repeat_ms;
    o->grace_ms = b->unknown_grace_ms;
    for (size_t i = 0; i < st->noperators; i++) {
        const struct snap_operator *op = &st->operators[i];
        if (op->nschemas < 2 || op->schema_ms < 0 ||
            c->snap->generated_ms - op->schema_ms >= RECENT_MS)
            continue;
        o->level = HEALTH_WARNING;
        o->value = (double)op->schema_batch;
        o->threshold = keep(c->p, xasprintf("state schema of operator %lld (%s) changed at batch "
                                            "%lld, within 1h",
                                            (long long)op->id, op->name ? op->name : "?",
                                            (long long)op->schema_batch));
        return;
    }
}

/* A run that ended in failure (not one cancelled or skipped by hand or by the scheduler). */
static bool run_failed(const struct snap_job *j)
{
    return strcmp(j->last_result, "FAILED") == 0 || strcmp(j->last_result, "TIMEDOUT") == 0 ||
           strcmp(j->last_result, "INTERNAL_ERROR") == 0;
}

/* The Databricks job rules: the stream's continuous job has no active run (critical); the
 * feeder's last success is older than feeder_late, by default 3 x its cron interval
 * (warning); the last finished run of either failed (warning, with its state message). */
static void job_rules(struct ctx *c, const struct cfg_stream *cs, const struct snap_stream *st)
{
    struct rule_route route;
    const struct cfg_builtin *b = &c->cfg->builtin;
    const double *m = st->metrics;
    if (b->job_down && cs->job_id > 0) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "job-down");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "job-down", st->name, &route);
        o->value = m[M_JOB_RUNNING];
        o->measurable = !isnan(o->value);
        o->level =
            o->measurable && st->job.continuous && o->value == 0 ? HEALTH_CRITICAL : HEALTH_OK;
        o->threshold = keep(
            c->p, xasprintf("continuous job %lld without an active run", (long long)cs->job_id));
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = b->unknown_grace_ms;
    }
    if (b->feeder_late && cs->feeder_job_id > 0) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "feeder-late");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "feeder-late", st->name, &route);
        double limit = cs->feeder_late_ms > 0 ? (double)cs->feeder_late_ms
                                              : 3.0 * (double)st->feeder.interval_ms;
        o->value = m[M_FEEDER_LAST_SUCCESS_AGE_SECONDS];
        /* no limit (no feeder_late and no regular schedule): nothing to compare with */
        o->measurable = !isnan(o->value) || limit <= 0;
        o->level =
            limit > 0 && !isnan(o->value) && o->value * 1000 > limit ? HEALTH_WARNING : HEALTH_OK;
        if (limit > 0)
            secs_threshold(c, o, limit);
        else
            o->threshold = "no feeder_late and no regular schedule";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = b->unknown_grace_ms;
    }
    if (b->job_failed && (cs->job_id > 0 || cs->feeder_job_id > 0)) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "job-failed");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "job-failed", st->name, &route);
        const struct snap_job *j = run_failed(&st->job)      ? &st->job
                                   : run_failed(&st->feeder) ? &st->feeder
                                                             : NULL;
        o->measurable = st->job.id > 0 || st->feeder.id > 0;
        o->value = j ? 1 : 0;
        o->level = j ? HEALTH_WARNING : HEALTH_OK;
        o->threshold =
            j ? keep(c->p,
                     xasprintf("%s %lld run %lld %s%s%s", j == &st->job ? "job" : "feeder job",
                               (long long)j->id, (long long)j->last_run_id, j->last_result,
                               *j->last_message ? ": " : "", j->last_message))
              : "last run did not fail";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = b->unknown_grace_ms;
    }
}

/* No new data: the newest landing file is older than the stream's `freshness`, else than
 * max(freshness_factor x the usual gap between arrivals, freshness_min), the gap learned from
 * the arrivals recorded before (landing_arrival_gap_seconds). Until a gap is learned and with
 * no `freshness`, nothing is judged. */
static void no_new_data(struct ctx *c, const struct cfg_stream *cs, const struct snap_stream *st,
                        const struct rule_route *route)
{
    const struct cfg_builtin *b = &c->cfg->builtin;
    struct alert_obs *o = add(c, BUILTIN_PREFIX "no-new-data", st->name, route);
    double gap = st->metrics[M_LANDING_ARRIVAL_GAP_SECONDS];
    double limit = NAN;
    if (cs->freshness_ms > 0)
        limit = (double)cs->freshness_ms;
    else if (!isnan(gap))
        limit = fmax(gap * 1000 * (double)b->freshness_factor, (double)b->freshness_min_ms);
    o->value = st->metrics[M_LANDING_NEWEST_AGE_SECONDS];
    o->measurable = !isnan(o->value);
    o->level =
        o->measurable && !isnan(limit) && o->value * 1000 > limit ? HEALTH_WARNING : HEALTH_OK;
    if (isnan(limit))
        o->threshold = "usual gap between arrivals not learned yet";
    else
        secs_threshold(c, o, limit);
    o->repeat_ms = b->repeat_ms;
    o->grace_ms = b->unknown_grace_ms;
}

static void builtin_rules(struct ctx *c, const struct cfg_stream *cs, const struct snap_stream *st)
{
    const struct cfg_builtin *b = &c->cfg->builtin;
    const double *m = st->metrics;
    struct rule_route route;
    int64_t grace = b->unknown_grace_ms;
    size_t first = c->p->n;
    double rt_ms = cs->checkpoint ? rules_realtime_trigger_ms(cs, st) : 0;
    if (b->collector_failing) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "collector-failing");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "collector-failing", st->name, &route);
        o->measurable = true;
        o->value = (double)st->errors.n;
        o->level = st->errors.n ? HEALTH_UNKNOWN : HEALTH_OK;
        o->threshold = st->errors.n ? keep(c->p, xstrdup(st->errors.v[0])) : "";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    if (b->stalled && cs->checkpoint) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "stalled");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "stalled", st->name, &route);
        /* the slower of the configured trigger and the cadence seen: batches that run
         * longer than their trigger commit at their own pace */
        double cadence_ms = cs->trigger_ms > 0 ? (double)cs->trigger_ms : NAN;
        double seen_ms = m[M_BATCH_INTERVAL_SECONDS] * 1000;
        if (!isnan(seen_ms) && (isnan(cadence_ms) || seen_ms > cadence_ms))
            cadence_ms = seen_ms;
        double limit = (double)b->stalled_min_ms;
        if (!isnan(cadence_ms) && cadence_ms * (double)b->stalled_factor > limit)
            limit = cadence_ms * (double)b->stalled_factor;
        bool waits = work_waits(st);
        if (rt_ms > 0) {
            /* a real-time batch commits when its trigger ends: one trigger and the margin
             * without a commit is a dead or hung driver, work waiting or not (the batch
             * that reads it is always running) */
            limit = rt_ms + (double)b->stalled_min_ms;
            waits = true;
        }
        o->value = m[M_COMMIT_AGE_SECONDS];
        o->measurable = !isnan(o->value);
        o->level = o->measurable && o->value * 1000 > limit && waits ? HEALTH_CRITICAL : HEALTH_OK;
        secs_threshold(c, o, limit);
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    if (b->stuck && cs->checkpoint) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "batch-stuck");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "batch-stuck", st->name, &route);
        /* the median duration of the retained batches, else of recorded history */
        double med = batches_median(st);
        if (isnan(med))
            med = history_median(c, st->name, M_BATCH_DURATION_SECONDS, DURATION_HISTORY);
        if (isnan(med))
            med = m[M_BATCH_DURATION_SECONDS];
        double limit = (double)b->stuck_min_ms;
        if (!isnan(med) && med * 1000 * (double)b->stuck_factor > limit)
            limit = med * 1000 * (double)b->stuck_factor;
        o->value = m[M_INFLIGHT_SECONDS];
        if (rt_ms > 0) {
            /* a real-time batch is expected to run for its trigger, and it has been in
             * flight since the last commit though no offsets file says so yet */
            limit = rt_ms + (double)b->stuck_min_ms;
            double since_commit = m[M_COMMIT_AGE_SECONDS];
            if (!isnan(since_commit) && (isnan(o->value) || since_commit > o->value))
                o->value = since_commit;
        }
        o->measurable = !isnan(o->value);
        o->level = o->measurable && o->value * 1000 > limit ? HEALTH_CRITICAL : HEALTH_OK;
        secs_threshold(c, o, limit);
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    int pm = snap_stream_primary_backlog(st);
    if (b->not_draining && pm >= 0) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "not-draining");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "not-draining", st->name, &route);
        not_draining(c, o, st, pm);
        c->p->routes[c->p->n - 1].metric = pm;
        c->p->routes[c->p->n - 1].unit = metric_defs[pm].unit;
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    if (b->deadletter_growing && cs->deadletter.n) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "deadletter-growing");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "deadletter-growing", st->name, &route);
        double age = m[M_DEADLETTER_NEWEST_AGE_SECONDS];
        o->value = m[M_DEADLETTER_FILES];
        o->measurable = !isnan(o->value);
        o->level = !isnan(age) && age * 1000 < RECENT_MS ? HEALTH_WARNING : HEALTH_OK;
        o->threshold = "new dead letters within 1h";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    if (b->schema_changed && (cs->schema || cs->sink)) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "schema-changed");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "schema-changed", st->name, &route);
        double age = m[M_SCHEMA_AGE_SECONDS];
        o->value = m[M_SCHEMA_VERSION];
        o->measurable = !isnan(o->value);
        o->level =
            o->measurable && o->value > 0 && age * 1000 < RECENT_MS ? HEALTH_WARNING : HEALTH_OK;
        o->threshold = "new schema version within 1h";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    if (b->state_schema_changed && cs->checkpoint) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "state-schema-changed");
        state_schema_rule(c, st, &route);
    }
    /* a `source` that names a Delta table (read as a source) has no landing files */
    bool landing = cs->source != NULL;
    for (size_t i = 0; i < st->nsources; i++)
        landing &= st->sources[i].kind != SRC_DELTA;
    if (b->no_new_data && landing) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "no-new-data");
        no_new_data(c, cs, st, &route);
    }
    if (b->staging_stale && landing && cs->staging && *cs->staging) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "staging-stale");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "staging-stale", st->name, &route);
        o->value = m[M_STAGING_STALE_FILES];
        o->measurable = !isnan(o->value);
        o->level = o->measurable && o->value > 0 ? HEALTH_WARNING : HEALTH_OK;
        char d[32];
        o->threshold = keep(
            c->p,
            xasprintf("files in %s older than %s", cs->staging,
                      fmt_duration(
                          (double)(cs->staging_stale_ms > 0 ? cs->staging_stale_ms : 600000) / 1000,
                          d, sizeof d)));
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    if (b->checkpoint_unrestartable && cs->checkpoint) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "checkpoint-unrestartable");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "checkpoint-unrestartable", st->name, &route);
        o->measurable = true;
        o->value = st->ckpt.unrestartable ? 1 : 0;
        o->level = st->ckpt.unrestartable ? HEALTH_CRITICAL : HEALTH_OK;
        o->threshold = st->ckpt.unrestartable ? keep(c->p, xstrdup(st->ckpt.unrestartable)) : "";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    /* Kafka records deleted by retention before the query read them: with failOnDataLoss the
     * query fails on its next batch, without it the records are silently skipped */
    if (b->kafka_data_lost && cs->kafka_bootstrap) {
        route = builtin_route(c->cfg, cs, BUILTIN_PREFIX "kafka-data-lost");
        struct alert_obs *o = add(c, BUILTIN_PREFIX "kafka-data-lost", st->name, &route);
        o->value = m[M_KAFKA_LOST_RECORDS];
        o->measurable = !isnan(o->value);
        o->level = o->measurable && o->value > 0 ? HEALTH_CRITICAL : HEALTH_OK;
        o->threshold = "records deleted by retention before they were read > 0";
        o->repeat_ms = b->repeat_ms;
        o->grace_ms = grace;
    }
    job_rules(c, cs, st);
    /* a built-in's condition is computed each pass: a resolve says the latest one */
    for (size_t i = first; i < c->p->n; i++)
        for (int l = HEALTH_WARNING; l < HEALTH__N; l++)
            c->p->routes[i].fired[l] = *c->p->obs[i].threshold ? c->p->obs[i].threshold : NULL;
}

void rules_plan_build(const struct config *cfg, const struct snapshot *snap,
                      rules_history_fn history, void *hctx, const struct rules_silence *silences,
                      size_t nsilences, struct rules_plan *out)
{
    memset(out, 0, sizeof *out);
    strvec_init(&out->owned);
    struct ctx c = {cfg, snap, history, hctx, silences, nsilences, out, 0, NULL, NULL};
    /* the config checked each condition when it was loaded (threshold_validate); one that
     * does not parse all the same is left unset (threshold_parse's -1): it never fires */
    c.conds = xcalloc(cfg->nrules + 1, sizeof *c.conds);
    for (size_t r = 0; r < cfg->nrules; r++) {
        (void)threshold_parse(cfg->rules[r].warn, &c.conds[r][0]);
        (void)threshold_parse(cfg->rules[r].crit, &c.conds[r][1]);
    }
    for (size_t i = 0; i < cfg->nstreams; i++) {
        /* a pass adds the streams in the config's order: the same place first (a search of
         * every stream for every stream was quadratic: 2% of a pass over 2,000 streams) */
        const char *name = cfg->streams[i].name;
        const struct snap_stream *st =
            i < snap->nstreams && strcmp(snap->streams[i].name, name) == 0
                ? &snap->streams[i]
                : snapshot_find(snap, name);
        if (!st)
            continue;
        c.cur = st;
        builtin_rules(&c, &cfg->streams[i], st);
        user_rules(&c, &cfg->streams[i], st);
    }
    free(c.conds);
}

void rules_plan_done(struct rules_plan *p)
{
    free(p->obs);
    free(p->routes);
    strvec_done(&p->owned);
    memset(p, 0, sizeof *p);
}

static const struct cfg_stream *stream_cfg(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nstreams; i++)
        if (strcmp(cfg->streams[i].name, name) == 0)
            return &cfg->streams[i];
    return NULL;
}

bool rules_route_of(const struct config *cfg, const char *rule, const char *stream,
                    struct rule_route *out)
{
    return rules_route_of_stream(cfg, rule, stream_cfg(cfg, stream), out);
}

bool rules_route_of_stream(const struct config *cfg, const char *rule, const struct cfg_stream *cs,
                           struct rule_route *out)
{
    for (size_t i = 0; i < cfg->nrules; i++)
        if (strcmp(cfg->rules[i].name, rule) == 0) {
            *out = user_route(&cfg->rules[i], cs);
            if (!cs)
                out->notify = &cfg->rules[i].notify;
            return true;
        }
    if (str_prefix(rule, BUILTIN_PREFIX)) {
        *out = builtin_route(cfg, cs, rule);
        return true;
    }
    memset(out, 0, sizeof *out);
    out->metric = -1;
    return false;
}

void rules_names(const struct config *cfg, const struct cfg_stream *cs, struct strvec *out)
{
    const struct cfg_builtin *b = &cfg->builtin;
    bool ck = cs->checkpoint != NULL;
    const struct {
        bool on;
        const char *name;
    } bs[] = {{b->collector_failing, "collector-failing"},
              {b->stalled && ck, "stalled"},
              {b->stuck && ck, "batch-stuck"},
              {b->not_draining, "not-draining"},
              {b->deadletter_growing && cs->deadletter.n, "deadletter-growing"},
              {b->schema_changed && (cs->schema || cs->sink), "schema-changed"},
              {b->state_schema_changed && ck, "state-schema-changed"},
              {b->checkpoint_unrestartable && ck, "checkpoint-unrestartable"}};
    for (size_t i = 0; i < sizeof bs / sizeof bs[0]; i++)
        if (bs[i].on)
            strvec_pushf(out, "%s%s", BUILTIN_PREFIX, bs[i].name);
    for (size_t i = 0; i < cfg->nrules; i++)
        if (config_rule_matches(&cfg->rules[i], cs))
            strvec_push(out, cfg->rules[i].name);
}
