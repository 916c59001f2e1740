/* Rules: what the config's rules and the built-in ones observe of a stream, with history from a
 * fake store: stalled (trigger or learned cadence, only while work waits), batch stuck (median
 * duration from history), not draining (never shrank while committing; one old sample decides
 * nothing), collector failing, dead letters, schema changes, label matching and silences. */
#include "testutil.h"

#include <cJSON.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <time.h>

#include "alerts/rules.h"
#include "alerts/threshold.h"
#include "collectors/collector.h"

#define NOW 1795440000000LL
#define MIN 60000LL

struct fake {
    const char *metric;
    struct sample s[16];
    size_t n;
};

static struct fake hist[4];

static int history(void *ctx, const char *stream, const char *metric, int64_t since,
                   struct sample **out, size_t *n)
{
    (void)ctx;
    (void)stream;
    *out = xcalloc(17, sizeof **out);
    *n = 0;
    for (size_t h = 0; h < 4; h++)
        if (hist[h].metric && strcmp(hist[h].metric, metric) == 0)
            for (size_t i = 0; i < hist[h].n; i++)
                if (hist[h].s[i].ts_ms >= since)
                    (*out)[(*n)++] = hist[h].s[i];
    return 0;
}

static struct config *cfg_of(const char *text)
{
    struct st_err err;
    struct config *cfg = config_parse("t.ini", text, strlen(text), &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    return cfg;
}

static const struct alert_obs *find(const struct rules_plan *p, const char *rule)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->obs[i].rule, rule) == 0)
            return &p->obs[i];
    return NULL;
}

static struct snapshot *snap_with(double commit_age, double backlog, double inflight)
{
    struct snapshot *snap = snapshot_new(NOW);
    struct snap_stream *st = snapshot_add_stream(snap, "orders");
    snap_stream_add_label(st, "tier", "1");
    st->metrics[M_COMMIT_AGE_SECONDS] = commit_age;
    st->metrics[M_BACKLOG_FILES] = backlog;
    st->metrics[M_INFLIGHT_SECONDS] = inflight;
    st->metrics[M_COMMITTED_BATCH_ID] = 50;
    st->metrics[M_BATCH_INTERVAL_SECONDS] = 60;
    return snap;
}

static void test_stalled_and_stuck(void **unused)
{
    (void)unused;
    memset(hist, 0, sizeof hist);
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\n");
    struct rules_plan p;
    /* cadence 60 s learned: limit max(3 x 60 s, 1 m) = 3 m; 4 minutes without a commit */
    struct snapshot *snap = snap_with(240, 4, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    const struct alert_obs *o = find(&p, "builtin:stalled");
    assert_non_null(o);
    assert_int_equal(o->level, HEALTH_CRITICAL);
    assert_string_equal(o->threshold, "> 3m");
    rules_plan_done(&p);
    snapshot_free(snap);
    snap = snap_with(170, 4, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:stalled")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    /* nothing waits: an idle stream is not stalled */
    snap = snap_with(360, 0, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:stalled")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);

    /* trigger = 1s but batches run longer than it (learned cadence 60 s): the slower of the
     * two counts, limit 3 m, so a query working through 1-minute batches is not stalled */
    cfg = cfg_of("[stream orders]\ncheckpoint = /c\ntrigger = 1s\n");
    snap = snap_with(170, 4, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    o = find(&p, "builtin:stalled");
    assert_int_equal(o->level, HEALTH_OK);
    assert_string_equal(o->threshold, "> 3m");
    rules_plan_done(&p);
    snapshot_free(snap);
    snap = snap_with(190, 4, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:stalled")->level, HEALTH_CRITICAL);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);

    /* trigger = 10m: limit 30 m */
    cfg = cfg_of("[stream orders]\ncheckpoint = /c\ntrigger = 10m\n");
    snap = snap_with(1700, 4, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:stalled")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    snap = snap_with(1900, 4, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:stalled")->level, HEALTH_CRITICAL);
    rules_plan_done(&p);
    snapshot_free(snap);

    /* stuck: median duration 200 s from history -> limit max(10 x 200 s, 15 m) = 2000 s */
    hist[0].metric = "batch_duration_seconds";
    for (int i = 0; i < 5; i++)
        hist[0].s[hist[0].n++] = (struct sample){NOW - (5 - i) * MIN, i == 4 ? 9000 : 200};
    snap = snap_with(10, 4, 1900);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    o = find(&p, "builtin:batch-stuck");
    assert_int_equal(o->level, HEALTH_OK);
    assert_string_equal(o->threshold, "> 33m20s");
    rules_plan_done(&p);
    snapshot_free(snap);
    snap = snap_with(10, 4, 2100);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:batch-stuck")->level, HEALTH_CRITICAL);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);
}

/* The default floors: with a 1 s trigger and a short median duration, a batch in flight (a
 * killed driver) is stalled after 1 m without a commit, and stuck after 2 m in flight while no
 * median duration is known (the first batches of a cold JVM). */
static void test_default_floors(void **unused)
{
    (void)unused;
    memset(hist, 0, sizeof hist);
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\ntrigger = 1s\n");
    struct rules_plan p;
    static const struct {
        double commit_age, inflight;
        enum health stalled, stuck;
    } cases[] = {
        {55, 50, HEALTH_OK, HEALTH_OK},               /* a restart: no commit yet, under a minute */
        {65, 60, HEALTH_CRITICAL, HEALTH_OK},         /* killed: stalled after 1 m */
        {125, 121, HEALTH_CRITICAL, HEALTH_CRITICAL}, /* no median: stuck after 2 m */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct snapshot *snap = snap_with(cases[i].commit_age, 0, cases[i].inflight);
        snap->streams[0].metrics[M_BATCH_INTERVAL_SECONDS] = 1; /* batches kept the trigger */
        rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
        const struct alert_obs *o = find(&p, "builtin:stalled");
        assert_int_equal(o->level, cases[i].stalled);
        assert_string_equal(o->threshold, "> 1m");
        o = find(&p, "builtin:batch-stuck");
        assert_int_equal(o->level, cases[i].stuck);
        assert_string_equal(o->threshold, "> 2m");
        rules_plan_done(&p);
        snapshot_free(snap);
    }
    config_free(cfg);
}

/* The batch-stuck limit comes from the median duration of the data batches whose commit time
 * is the commit's: batches of a copied checkpoint (908 days from start to commit file) and a
 * repartition batch are left out, so a batch 5 minutes in flight is stuck against three 5 s
 * batches (limit max(10 x 5 s, 2 m)). */
static void test_stuck_median_skips_bad_batches(void **unused)
{
    (void)unused;
    memset(hist, 0, sizeof hist);
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\ntrigger = 1s\n");
    struct snapshot *snap = snap_with(300, 0, 300);
    struct snap_stream *st = &snap->streams[0];
    st->metrics[M_BATCH_INTERVAL_SECONDS] = 1;
    st->metrics[M_BATCH_DURATION_SECONDS] = NAN;
    st->batches = xcalloc(7, sizeof *st->batches);
    st->nbatches = 7;
    int64_t t = NOW - 3600000;
    for (size_t i = 0; i < 7; i++) {
        int64_t dur = i < 3 ? 5000 : i < 6 ? 908LL * 86400000 : 86400000;
        st->batches[i] = (struct snap_batch){
            (int64_t)i,     t, t + dur, 0, NAN, i == 6 ? BATCH_REPARTITION : BATCH_DATA,
            i >= 3 && i < 6};
        t += 60000;
    }
    struct rules_plan p;
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    const struct alert_obs *o = find(&p, "builtin:batch-stuck");
    assert_int_equal(o->level, HEALTH_CRITICAL);
    assert_string_equal(o->threshold, "> 2m");
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);
}

/* A snapshot of a real-time query (Trigger.RealTime, T ms): batches 0..nb-1 each ran for T and
 * committed, the next starting as the last committed (offsets and commit written at its end,
 * so nothing is planned on storage while a batch runs); now is `since` ms after the last
 * commit. */
static struct snapshot *rt_snap(int64_t t_ms, size_t nb, int64_t since, int64_t jitter)
{
    struct snapshot *snap = snapshot_new(NOW);
    struct snap_stream *st = snapshot_add_stream(snap, "orders");
    int64_t commit = NOW - since;
    st->batches = xcalloc(nb, sizeof *st->batches);
    st->nbatches = nb;
    for (size_t i = nb; i-- > 0;) {
        int64_t dur = t_ms + (int64_t)(i % 2) * jitter + 300; /* walCommit + commitOffsets */
        st->batches[i] =
            (struct snap_batch){(int64_t)i, commit - dur, commit, 0, NAN, BATCH_DATA, false};
        commit -= dur;
    }
    st->metrics[M_COMMIT_AGE_SECONDS] = (double)since / 1000;
    st->metrics[M_INFLIGHT_SECONDS] = 0;
    st->metrics[M_BACKLOG_RECORDS] = 0; /* the scan keeps up: nothing behind */
    st->metrics[M_LAST_BATCH_ID] = st->metrics[M_COMMITTED_BATCH_ID] = (double)nb - 1;
    st->metrics[M_BATCH_INTERVAL_SECONDS] = (double)(t_ms + 300) / 1000;
    return snap;
}

/* Real-time mode: which streams are taken for one, and their trigger. */
static void test_realtime_detect(void **unused)
{
    (void)unused;
    static const struct {
        const char *conf;
        int64_t t_ms;
        size_t nb;
        int64_t jitter;
        double want; /* ms, 0: not real-time */
    } cases[] = {
        {"", 300000, 6, 0, 300300}, /* auto: six equal back-to-back batches */
        {"", 300000, 4, 0, 0},      /* too few to tell */
        {"", 300000, 6, 60000, 0},  /* durations 20% apart: a micro-batch query */
        {"", 3000, 6, 0, 0},        /* shorter than Spark's 5 s minimum */
        {"trigger_mode = microbatch\n", 300000, 6, 0, 0},
        {"trigger_mode = realtime\n", 300000, 0, 0, 300000}, /* Spark's default trigger */
        {"trigger_mode = realtime\ntrigger = 30s\n", 300000, 0, 0, 30000},
        {"trigger = 5m\n", 300000, 6, 0, 300000}, /* auto, and the batches keep the trigger */
        {"trigger = 1m\n", 300000, 6, 0, 0},      /* they do not: running behind a 1m trigger */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[stream orders]\ncheckpoint = /c\n%s", cases[i].conf);
        struct config *cfg = cfg_of(text);
        struct snapshot *snap = rt_snap(cases[i].t_ms, cases[i].nb, 1000, cases[i].jitter);
        double got = rules_realtime_trigger_ms(&cfg->streams[0], &snap->streams[0]);
        if (fabs(got - cases[i].want) > 0.5)
            fail_msg("case %zu: trigger %.0f ms, expected %.0f", i, got, cases[i].want);
        snapshot_free(snap);
        config_free(cfg);
    }
    /* a gap between one batch's commit and the next start breaks the run */
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\n");
    struct snapshot *snap = rt_snap(300000, 6, 1000, 0);
    for (size_t i = 0; i < 3; i++) {
        snap->streams[0].batches[i].start_ms -= 60000;
        snap->streams[0].batches[i].commit_ms -= 60000;
    }
    assert_true(rules_realtime_trigger_ms(&cfg->streams[0], &snap->streams[0]) == 0);
    snapshot_free(snap);
    config_free(cfg);
}

/* Passes every 10 s over a real-time query with a 5-minute trigger, through the rules and the
 * engine: while it commits once a trigger nothing fires (a micro-batch reading would call a
 * 5-minute-old commit with no planned batch stalled at 1m, or never see a dead one with no
 * backlog); once its driver is killed, stalled fires at one trigger plus stalled_min and
 * batch-stuck at one trigger plus stuck_min. */
static void test_realtime_passes(void **unused)
{
    (void)unused;
    memset(hist, 0, sizeof hist);
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\ntrigger = 5m\n");
    const int64_t t = 300000, kill_at = 6 * (t + 300); /* the last commit before the kill */
    struct alert_state *states = NULL;
    size_t nstates = 0;
    int64_t stalled_at = -1, stuck_at = -1;
    for (int64_t now = 0; now <= kill_at + 600000; now += 10000) {
        int64_t last_commit = now < kill_at ? now / (t + 300) * (t + 300) : kill_at;
        size_t nb = (size_t)(last_commit / (t + 300)) + 1;
        struct snapshot *snap = rt_snap(t, nb > 8 ? 8 : nb, now - last_commit, 0);
        struct rules_plan p;
        rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
        struct alert_result r;
        alert_eval(p.obs, p.n, states, nstates, NOW + now, &r);
        for (size_t i = 0; i < r.nevents; i++) {
            const struct alert_event *e = &r.events[i];
            if (e->kind != EV_FIRING)
                fail_msg("%lld s: unexpected %s of %s", (long long)now / 1000,
                         alert_event_kind_name(e->kind), e->rule);
            if (now < kill_at)
                fail_msg("%lld s: %s fired on a healthy real-time query (%s)",
                         (long long)now / 1000, e->rule, e->threshold);
            if (strcmp(e->rule, "builtin:stalled") == 0)
                stalled_at = now - kill_at;
            else if (strcmp(e->rule, "builtin:batch-stuck") == 0)
                stuck_at = now - kill_at;
        }
        for (size_t i = 0; i < nstates; i++)
            alert_state_done(&states[i]);
        free(states);
        states = r.states;
        nstates = r.nstates;
        r.states = NULL;
        r.nstates = 0;
        alert_result_done(&r);
        rules_plan_done(&p);
        snapshot_free(snap);
    }
    for (size_t i = 0; i < nstates; i++)
        alert_state_done(&states[i]);
    free(states);
    /* fired on the first pass (every 10 s) past 5m + 1m and 5m + 2m without a commit */
    assert_in_range(stalled_at, 360001, 370000);
    assert_in_range(stuck_at, 420001, 430000);
    config_free(cfg);

    /* the same query read as micro-batch: its dead driver never pages (nothing waits) */
    cfg = cfg_of("[stream orders]\ncheckpoint = /c\ntrigger = 5m\ntrigger_mode = microbatch\n");
    struct snapshot *snap = rt_snap(t, 8, 1700000, 0);
    struct rules_plan p;
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:stalled")->level, HEALTH_OK);
    assert_int_equal(find(&p, "builtin:batch-stuck")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);
}

/* tests/fixtures/live/spark-4.3.0/rtm: a Kafka-to-Kafka query with trigger(realTime="10
 * seconds") that PySpark 4.3.0 ran for two long batches, with Spark's own figures in
 * expected.json. Its offsets files were written when each batch ended, so the checkpoint shows
 * no batch in flight, and Kafka's progress shows nothing behind: read as a micro-batch query a
 * dead driver would never page. A copy gets back the times git does not keep: each batch's
 * offsets and commit at its batchTimestampMs plus the batchDuration Spark reported for it. */
#define RTM43 "tests/fixtures/live/spark-4.3.0/rtm"

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void set_mtime(const char *path, int64_t ms)
{
    struct timespec t[2] = {{(time_t)(ms / 1000), (long)(ms % 1000) * 1000000},
                            {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}};
    assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static struct snap_stream *collect_at(const struct cfg_stream *cs, int64_t now,
                                      struct snapshot **snap)
{
    *snap = snapshot_new(now);
    struct snap_stream *st = snapshot_add_stream(*snap, cs->name);
    for (const struct collector_ops *const *c = collector_table; *c; c++) {
        if (!(*c)->wants(cs))
            continue;
        void *state = (*c)->state_new ? (*c)->state_new() : NULL;
        (*c)->collect(cs, state, st, now);
        if ((*c)->state_free)
            (*c)->state_free(state);
    }
    return st;
}

static void test_realtime_fixture_43(void **unused)
{
    (void)unused;
    FILE *f = fopen(RTM43 "/expected.json", "rb");
    assert_non_null(f);
    char text[1 << 15];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    cJSON *truth = cJSON_ParseWithLength(text, len);
    assert_non_null(truth);
    /* the trigger Spark ran ("10 seconds"): the checkpoint does not record it */
    const char *rt =
        cJSON_GetObjectItem(cJSON_GetObjectItem(truth, "trigger"), "realTime")->valuestring;
    double amount = 0;
    char unit[16] = "";
    assert_int_equal(sscanf(rt, "%lf %15s", &amount, unit), 2);
    assert_true(unit[0] == 's'); /* seconds */
    int64_t trigger_ms = (int64_t)(amount * 1000);
    const cJSON *recent = cJSON_GetObjectItem(truth, "recentProgress");
    int nb = cJSON_GetArraySize(recent);
    assert_int_equal(nb, cJSON_GetObjectItem(truth, "commits_latest_batch")->valueint + 1);

    char *dir = scratch_dir("rtm43");
    static const char *const sub[] = {"offsets", "commits", "sources", "sources/0"};
    for (size_t i = 0; i < 4; i++) {
        char *d = xasprintf("%s/%s", dir, sub[i]);
        assert_int_equal(mkdir(d, 0755), 0);
        free(d);
    }
    char *from = xasprintf("%s/checkpoint/metadata", RTM43), *to = xasprintf("%s/metadata", dir);
    copy_file(from, to);
    free(from);
    free(to);
    from = xasprintf("%s/checkpoint/sources/0/0", RTM43);
    to = xasprintf("%s/sources/0/0", dir);
    copy_file(from, to);
    free(from);
    free(to);
    int64_t last_commit = 0;
    for (int b = 0; b < nb; b++) {
        const cJSON *pr = cJSON_GetArrayItem(recent, b);
        assert_int_equal(cJSON_GetObjectItem(pr, "batchId")->valueint, b);
        double duration = cJSON_GetObjectItem(pr, "batchDuration")->valuedouble;
        char *ofrom = xasprintf("%s/checkpoint/offsets/%d", RTM43, b);
        char *oto = xasprintf("%s/offsets/%d", dir, b);
        copy_file(ofrom, oto);
        /* the batch's start, from the offsets file itself */
        FILE *of = fopen(oto, "rb");
        char head[4096];
        size_t hl = fread(head, 1, sizeof head - 1, of);
        fclose(of);
        head[hl] = '\0';
        const char *ts = strstr(head, "\"batchTimestampMs\":");
        assert_non_null(ts);
        int64_t start = strtoll(ts + strlen("\"batchTimestampMs\":"), NULL, 10);
        last_commit = start + (int64_t)duration;
        set_mtime(oto, last_commit - 1);
        char *cfrom = xasprintf("%s/checkpoint/commits/%d", RTM43, b);
        char *cto = xasprintf("%s/commits/%d", dir, b);
        copy_file(cfrom, cto);
        set_mtime(cto, last_commit);
        free(ofrom);
        free(oto);
        free(cfrom);
        free(cto);
    }

    static const struct {
        const char *mode;
        int64_t after_ms; /* since the last commit */
        enum health stalled, stuck;
    } cases[] = {
        {"realtime", 5000, HEALTH_OK, HEALTH_OK},        /* mid-batch */
        {"realtime", 65000, HEALTH_OK, HEALTH_OK},       /* a trigger and 55 s: restarting? */
        {"realtime", 75000, HEALTH_CRITICAL, HEALTH_OK}, /* 10 s + stalled_min */
        {"realtime", 135000, HEALTH_CRITICAL, HEALTH_CRITICAL}, /* 10 s + stuck_min */
        {"microbatch", 3600000, HEALTH_OK, HEALTH_OK},          /* an hour dead: never pages */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *conf = xasprintf("[stream rtm]\ncheckpoint = %s\nprogress = %s/progress.jsonl\n"
                               "trigger = %llds\ntrigger_mode = %s\n",
                               dir, RTM43, (long long)(trigger_ms / 1000), cases[i].mode);
        struct config *cfg = cfg_of(conf);
        struct snapshot *snap;
        struct snap_stream *st =
            collect_at(&cfg->streams[0], last_commit + cases[i].after_ms, &snap);
        assert_int_equal(st->errors.n, 0);
        /* what Spark's own logs say: both batches planned and committed, none in flight */
        assert_true(st->metrics[M_LAST_BATCH_ID] ==
                    cJSON_GetObjectItem(truth, "offsets_latest_batch")->valueint);
        assert_true(st->metrics[M_COMMITTED_BATCH_ID] ==
                    cJSON_GetObjectItem(truth, "commits_latest_batch")->valueint);
        assert_true(st->metrics[M_INFLIGHT_SECONDS] == 0);
        assert_false(st->metrics[M_BACKLOG_RECORDS] > 0); /* the scan keeps up */
        struct rules_plan p;
        rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
        const struct alert_obs *stalled = find(&p, "builtin:stalled");
        const struct alert_obs *stuck = find(&p, "builtin:batch-stuck");
        if (stalled->level != cases[i].stalled || stuck->level != cases[i].stuck)
            fail_msg("%s, %llds after the last commit: stalled %s (%s), stuck %s (%s)",
                     cases[i].mode, (long long)cases[i].after_ms / 1000,
                     health_name(stalled->level), stalled->threshold, health_name(stuck->level),
                     stuck->threshold);
        rules_plan_done(&p);
        snapshot_free(snap);
        config_free(cfg);
        free(conf);
    }
    /* two batches are too few for auto to tell (it wants five) */
    char *conf = xasprintf("[stream rtm]\ncheckpoint = %s\n", dir);
    struct config *cfg = cfg_of(conf);
    struct snapshot *snap;
    struct snap_stream *st = collect_at(&cfg->streams[0], last_commit + 5000, &snap);
    assert_true(rules_realtime_trigger_ms(&cfg->streams[0], st) == 0);
    snapshot_free(snap);
    config_free(cfg);
    free(conf);
    cJSON_Delete(truth);
    free(dir);
}

static void test_not_draining(void **unused)
{
    (void)unused;
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\n");
    struct rules_plan p;
    /* 30 minutes of a backlog that only grew while batches committed */
    memset(hist, 0, sizeof hist);
    hist[0].metric = "backlog_files";
    hist[1].metric = "committed_batch_id";
    for (int i = 0; i < 7; i++) {
        hist[0].s[hist[0].n++] = (struct sample){NOW - (30 - i * 5) * MIN, 10.0 + i};
        hist[1].s[hist[1].n++] = (struct sample){NOW - (30 - i * 5) * MIN, 20.0 + i};
    }
    struct snapshot *snap = snap_with(10, 17, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:not-draining")->level, HEALTH_WARNING);
    rules_plan_done(&p);
    snapshot_free(snap);
    /* one dip inside the window: it drains */
    hist[0].s[3].value = 5;
    snap = snap_with(10, 17, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:not-draining")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    /* no batch committed over the window: that is `stalled`'s business, not this one */
    hist[0].s[3].value = 13;
    for (size_t i = 0; i < hist[1].n; i++)
        hist[1].s[i].value = 50;
    snap = snap_with(10, 17, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:not-draining")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    /* a single old sample (streamtop was not running): decides nothing */
    memset(hist, 0, sizeof hist);
    hist[0].metric = "backlog_files";
    hist[1].metric = "committed_batch_id";
    hist[0].s[hist[0].n++] = (struct sample){NOW - 29 * MIN, 1};
    hist[0].s[hist[0].n++] = (struct sample){NOW - 2 * MIN, 17};
    hist[0].s[hist[0].n++] = (struct sample){NOW - 1 * MIN, 17};
    hist[1].s[hist[1].n++] = (struct sample){NOW - 29 * MIN, 1};
    snap = snap_with(10, 17, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:not-draining")->level, HEALTH_WARNING);
    rules_plan_done(&p);
    snapshot_free(snap);
    hist[0].s[0].ts_ms = NOW - 90 * MIN; /* outside the window: too little history */
    snap = snap_with(10, 17, 0);
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    assert_int_equal(find(&p, "builtin:not-draining")->level, HEALTH_OK);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);
}

static const char *label_of(const void *ctx, const char *key)
{
    const struct snap_stream *st = ctx;
    for (size_t i = 0; i < st->nlabels; i++)
        if (strcmp(st->labels[i].key, key) == 0)
            return st->labels[i].value;
    return NULL;
}

/* A backlog sampled more often than batches commit (the dashboard every few seconds, batches
 * every minute) rises between commits and drops at each: growth shows in its troughs. */
static void test_not_draining_sawtooth(void **unused)
{
    (void)unused;
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\n");
    struct rules_plan p;
    static const struct {
        double base, step; /* trough of batch b: base + step * b */
        enum health level;
    } cases[] = {
        {20, 3, HEALTH_WARNING}, /* troughs 20, 23, 26...: it grows */
        {0, 0, HEALTH_OK},       /* troughs at zero: a healthy sawtooth */
        {60, -3, HEALTH_OK},     /* troughs going down: it drains */
        {20, 0, HEALTH_WARNING}, /* a constant trough: work waits and never goes */
        {0, 5, HEALTH_OK},       /* empty at the window's start, then growing: it drained */
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        memset(hist, 0, sizeof hist);
        hist[0].metric = "backlog_files";
        hist[1].metric = "committed_batch_id";
        /* 5 batches over 30 minutes, 3 samples per batch: +4 files a sample, then the commit */
        for (int b = 0; b < 5; b++)
            for (int i = 0; i < 3; i++) {
                int64_t ts = NOW - (30 - b * 6 - i * 2) * MIN;
                hist[0].s[hist[0].n++] =
                    (struct sample){ts, cases[c].base + cases[c].step * b + 4.0 * i};
                hist[1].s[hist[1].n++] = (struct sample){ts, 100.0 + b};
            }
        struct snapshot *snap = snap_with(10, 200, 0);
        snap->streams[0].metrics[M_BACKLOG_FILES] = cases[c].base + cases[c].step * 5 + 4;
        snap->streams[0].metrics[M_COMMITTED_BATCH_ID] = 105;
        rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
        if (find(&p, "builtin:not-draining")->level != cases[c].level)
            fail_msg("case %zu: level %d, want %d", c, find(&p, "builtin:not-draining")->level,
                     cases[c].level);
        rules_plan_done(&p);
        snapshot_free(snap);
    }
    config_free(cfg);
}

static void test_user_rules_and_silences(void **unused)
{
    (void)unused;
    memset(hist, 0, sizeof hist);
    struct config *cfg = cfg_of("[stream orders]\ncheckpoint = /c\nlabels = tier=1\n"
                                "deadletter = /d\n"
                                "[stream other]\ncheckpoint = /o\n"
                                "[rule old]\nstreams = tier=1\nmetric = backlog_files\n"
                                "warn = > 3\ncrit = >= 10\nfor = 5m\n"
                                "[builtin]\nstuck = off\n");
    struct snapshot *snap = snap_with(10, 12, 0);
    struct snap_stream *other = snapshot_add_stream(snap, "other");
    strvec_push(&other->errors, "checkpoint /o: No such file or directory");
    snap->streams[0].metrics[M_DEADLETTER_FILES] = 2;
    snap->streams[0].metrics[M_DEADLETTER_NEWEST_AGE_SECONDS] = 30;
    struct rules_silence sil[] = {{"oth*/collector-*", NOW + MIN}};
    struct rules_plan p;
    rules_plan_build(cfg, snap, history, NULL, sil, 1, &p);
    const struct alert_obs *o = NULL;
    size_t n_old = 0;
    for (size_t i = 0; i < p.n; i++) {
        if (strcmp(p.obs[i].rule, "old") == 0) {
            o = &p.obs[i];
            n_old++;
        }
        assert_string_not_equal(p.obs[i].rule, "builtin:batch-stuck"); /* switched off */
    }
    assert_int_equal(n_old, 1); /* only the tier=1 stream */
    assert_string_equal(o->stream, "orders");
    assert_int_equal(o->level, HEALTH_CRITICAL);
    assert_string_equal(o->threshold, ">= 10");
    assert_int_equal(o->for_ms, 5 * MIN);
    assert_int_equal(find(&p, "builtin:deadletter-growing")->level, HEALTH_WARNING);
    const struct alert_obs *f = NULL;
    for (size_t i = 0; i < p.n; i++)
        if (strcmp(p.obs[i].rule, "builtin:collector-failing") == 0 &&
            strcmp(p.obs[i].stream, "other") == 0)
            f = &p.obs[i];
    assert_non_null(f);
    assert_int_equal(f->level, HEALTH_UNKNOWN);
    assert_true(f->silenced);
    assert_false(o->silenced);
    rules_plan_done(&p);
    /* a silence by the stream's labels */
    snap_stream_add_label(&snap->streams[0], "tier", "1");
    struct rules_silence by_label[] = {{"tier=1/old", NOW + MIN}};
    rules_plan_build(cfg, snap, history, NULL, by_label, 1, &p);
    assert_true(find(&p, "old")->silenced);
    assert_false(find(&p, "builtin:deadletter-growing")->silenced);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);

    assert_true(rules_silence_matches("ord*", "orders", "old"));
    assert_true(rules_silence_matches("orders/old", "orders", "old"));
    assert_false(rules_silence_matches("orders/new", "orders", "old"));
    assert_true(rules_silence_matches("*/stalled", "x", "builtin:stalled"));
    assert_false(rules_silence_matches("clicks", "orders", "old"));
    /* label matchers, as Alertmanager's: all must hold; "stream=" is the name */
    static const char *const labels[][2] = {{"team", "payments"}, {"tier", "1"}};
    struct snapshot *lsnap = snapshot_new(0);
    struct snap_stream *st = snapshot_add_stream(lsnap, "orders");
    for (size_t i = 0; i < 2; i++)
        snap_stream_add_label(st, labels[i][0], labels[i][1]);
    assert_true(rules_silence_matches_labels("team=payments", "orders", "old", label_of, st));
    assert_true(
        rules_silence_matches_labels("team=pay*, tier=1/old", "orders", "old", label_of, st));
    assert_true(rules_silence_matches_labels("stream=ord*/stalled", "orders", "builtin:stalled",
                                             label_of, st));
    assert_false(rules_silence_matches_labels("team=growth", "orders", "old", label_of, st));
    assert_false(
        rules_silence_matches_labels("team=payments, tier=2", "orders", "old", label_of, st));
    assert_false(rules_silence_matches_labels("owner=x", "orders", "old", label_of, st));
    assert_false(rules_silence_matches_labels("team=payments/new", "orders", "old", label_of, st));
    assert_false(rules_silence_matches("team=payments", "orders", "old")); /* labels unknown */
    snapshot_free(lsnap);
}

/* A condition parsed, printed and met; NaN and an unset one are never met. */
static void test_thresholds(void **unused)
{
    (void)unused;
    static const struct {
        const char *text, *shown;
        double yes, no;
    } cases[] = {{"> 600", "> 600", 601, 600},
                 {" >=1 ", ">= 1", 1, 0.5},
                 {"< 0.5", "< 0.5", 0.4, 0.5},
                 {"<= -2", "<= -2", -2, -1},
                 {"== 3", "== 3", 3, 3.5},
                 {"!= 0", "!= 0", 1, 0},
                 /* durations (seconds) and sizes (bytes), shown as written */
                 {"> 1m", "> 1m", 61, 60},
                 {">1h30m", "> 1h30m", 5401, 5400},
                 {"> 1.5 GiB", "> 1.5GiB", 1610612737, 1610612736},
                 {">= 500MB", ">= 500MB", 5e8, 4.9e8},
                 {"< 2KiB", "< 2KiB", 2047, 2048}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct threshold t;
        char out[64];
        assert_int_equal(threshold_parse(cases[i].text, &t), 0);
        assert_string_equal(threshold_text(&t, out, sizeof out), cases[i].shown);
        assert_true(threshold_met(&t, cases[i].yes));
        assert_false(threshold_met(&t, cases[i].no));
        assert_false(threshold_met(&t, NAN));
    }
    struct threshold t;
    static const char *const bad[] = {"abc", "600",      "> ",   "> x", "=> 1",
                                      "",    "> 1 GB x", "> 1q", "> m"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(threshold_parse(bad[i], &t), -1);
    assert_int_equal(threshold_parse(NULL, &t), 0);
    assert_int_equal(t.op, TH_NONE);
    assert_false(threshold_met(&t, 1));
    struct st_err err;
    assert_null(threshold_validate("abc", &err));
    assert_string_equal(err.msg,
                        "'abc' is not a condition (use e.g. > 600, >= 1, < 0.5, > 10m, > 1GiB)");
}

/* no-new-data: the limit is max(factor x the learned gap, freshness_min), or `freshness`;
 * nothing is judged before a gap is known; a Delta table read as a source has no landing. */
static void test_no_new_data(void **unused)
{
    (void)unused;
    struct config *cfg = cfg_of("[stream orders]\nsource = /in\n"
                                "[stream hourly]\nsource = /in2\nfreshness = 30m\n"
                                "[stream table]\nsource = /tbl\ncheckpoint = /ck\n");
    static const struct {
        const char *stream;
        double age, gap;
        bool delta;
        enum health want;
        const char *threshold;
    } cases[] = {
        {"orders", 290, 60, false, HEALTH_OK, "> 5m"},      /* 3 x 1m < 5m: the floor */
        {"orders", 310, 60, false, HEALTH_WARNING, "> 5m"}, /* a minutely feed, late */
        {"orders", 7000, 3600, false, HEALTH_OK, "> 3h"},   /* an hourly feed, on time */
        {"orders", 11000, 3600, false, HEALTH_WARNING, "> 3h"},
        {"orders", 99999, NAN, false, HEALTH_OK, "usual gap between arrivals not learned yet"},
        {"hourly", 1700, 60, false, HEALTH_OK, "> 30m"}, /* freshness wins */
        {"hourly", 1900, NAN, false, HEALTH_WARNING, "> 30m"},
        {"table", 99999, 60, true, HEALTH_OK, NULL}, /* no observation at all */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct snapshot *snap = snapshot_new(NOW);
        struct snap_stream *st = snapshot_add_stream(snap, cases[i].stream);
        st->metrics[M_LANDING_NEWEST_AGE_SECONDS] = cases[i].age;
        st->metrics[M_LANDING_ARRIVAL_GAP_SECONDS] = cases[i].gap;
        if (cases[i].delta)
            snap_stream_add_source(st, 0)->kind = SRC_DELTA;
        struct rules_plan p;
        rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
        const struct alert_obs *o = find(&p, "builtin:no-new-data");
        if (!cases[i].threshold) {
            assert_null(o);
            assert_null(find(&p, "builtin:staging-stale"));
        } else {
            assert_non_null(o);
            if (o->level != cases[i].want || strcmp(o->threshold, cases[i].threshold) != 0)
                fail_msg("case %zu: %s %s", i, health_name(o->level), o->threshold);
        }
        rules_plan_done(&p);
        snapshot_free(snap);
    }
    config_free(cfg);
}

/* staging-stale: a warning while stale files sit in the staging folder. */
static void test_staging_stale(void **unused)
{
    (void)unused;
    struct config *cfg = cfg_of("[stream orders]\nsource = /in\nstaging_stale = 20m\n"
                                "[stream plain]\nsource = /in2\nstaging =\n");
    struct snapshot *snap = snapshot_new(NOW);
    snapshot_add_stream(snap, "orders")->metrics[M_STAGING_STALE_FILES] = 2;
    snapshot_add_stream(snap, "plain")->metrics[M_STAGING_STALE_FILES] = NAN;
    struct rules_plan p;
    rules_plan_build(cfg, snap, history, NULL, NULL, 0, &p);
    size_t warned = 0, seen = 0;
    for (size_t i = 0; i < p.n; i++)
        if (strcmp(p.obs[i].rule, "builtin:staging-stale") == 0) {
            seen++;
            assert_string_equal(p.obs[i].stream, "orders"); /* none without a staging folder */
            assert_string_equal(p.obs[i].threshold, "files in _staging older than 20m00s");
            warned += p.obs[i].level == HEALTH_WARNING;
        }
    assert_int_equal(seen, 1);
    assert_int_equal(warned, 1);
    rules_plan_done(&p);
    snapshot_free(snap);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_stalled_and_stuck),
        cmocka_unit_test(test_stuck_median_skips_bad_batches),
        cmocka_unit_test(test_default_floors),
        cmocka_unit_test(test_realtime_detect),
        cmocka_unit_test(test_realtime_passes),
        cmocka_unit_test(test_realtime_fixture_43),
        cmocka_unit_test(test_not_draining),
        cmocka_unit_test(test_not_draining_sawtooth),
        cmocka_unit_test(test_user_rules_and_silences),
        cmocka_unit_test(test_no_new_data),
        cmocka_unit_test(test_staging_stale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
