/* Golden payloads: each webhook format renders a firing and a resolved event with their whole
 * context (owner, labels, runbook, links, readable values, the condition as configured, what a
 * resolve resolved from), a built-in's firing and a `notify test`, exactly as in tests/golden/
 * (regenerate with STREAMTOP_GOLDEN_UPDATE=1 and review the diff). */
#include "testutil.h"

#include <cJSON.h>
#include <math.h>

#include "alerts/context.h"
#include "alerts/payload.h"
#include "alerts/rules.h"
#include "alerts/threshold.h"

static const char *const config_text =
    "[stream orders]\n"
    "checkpoint = /x\n"
    "labels = team=payments, tier=1\n"
    "owner = payments-oncall\n"
    "link.dashboard = https://grafana.example/d/st?var-stream={stream}&team={label.team}\n"
    "[webhook j]\nurl = http://127.0.0.1:1/\n"
    "[webhook s]\nformat = slack\nurl = http://127.0.0.1:1/\n"
    "[webhook p]\nformat = pagerduty\nurl = http://127.0.0.1:1/\nrouting_key = R0UT1NGKEY\n"
    "[webhook a]\nformat = alertmanager\nurl = http://127.0.0.1:1/\n"
    "[builtin]\n"
    "runbook = https://wiki.example/streamtop/{rule}\n"
    "[rule backlog-old]\n"
    "metric = backlog_age_seconds\n"
    "warn = > 10m\n"
    "crit = > 30m\n"
    "notify = j\n"
    "runbook = https://wiki.example/runbooks/backlog-old?stream={stream}\n"
    "link.logs = https://logs.example/?q=stream%3D{stream}\n"
    "summary = {stream}: backlog {value} old ({threshold}), {backlog_bytes} waiting\n";

static struct config *load(void)
{
    config_set_validator(CT_THRESHOLD, threshold_validate);
    struct st_err err;
    struct config *cfg = config_parse("c.ini", config_text, strlen(config_text), &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    return cfg;
}

static void render_all(const struct config *cfg, const struct notice *n, const char *suffix)
{
    for (size_t h = 0; h < cfg->nwebhooks; h++) {
        const struct cfg_webhook *w = &cfg->webhooks[h];
        char *body = payload_render(w, n);
        cJSON *parsed = cJSON_Parse(body);
        assert_non_null(parsed); /* valid JSON */
        cJSON_Delete(parsed);
        char *file = xasprintf("%s-%s.json", config_webhook_format_name(w->format), suffix);
        char *with_nl = xasprintf("%s\n", body);
        golden_check(file, with_nl);
        free(with_nl);
        free(file);
        free(body);
    }
}

static void test_formats(void **unused)
{
    (void)unused;
    struct config *cfg = load();
    struct snapshot *snap = snapshot_new(1795440000000LL);
    struct snap_stream *st = snapshot_add_stream(snap, "orders");
    snap_stream_add_label(st, "team", "payments");
    snap_stream_add_label(st, "tier", "1");
    st->metrics[M_BACKLOG_AGE_SECONDS] = 2000;
    st->metrics[M_BACKLOG_BYTES] = 1610612736;
    st->metrics[M_LAST_BATCH_ID] = 41;
    static char rule[] = "backlog-old", stream[] = "orders", thr[] = "> 30m", none[] = "";
    struct alert_event firing = {.kind = EV_FIRING,
                                 .rule = rule,
                                 .stream = stream,
                                 .level = HEALTH_CRITICAL,
                                 .prev_level = HEALTH_OK,
                                 .value = 2000,
                                 .threshold = thr,
                                 .started_ms = 1795439700000LL,
                                 .at_ms = 1795440000000LL,
                                 .prev_value = NAN};
    struct alert_event resolved = {.kind = EV_RESOLVED,
                                   .rule = rule,
                                   .stream = stream,
                                   .level = HEALTH_OK,
                                   .prev_level = HEALTH_CRITICAL,
                                   .value = 12,
                                   .threshold = none,
                                   .started_ms = 1795439700000LL,
                                   .at_ms = 1795443600000LL,
                                   .prev_value = 2758};
    const struct alert_event *events[] = {&firing, &resolved};
    const char *names[] = {"firing", "resolved"};
    struct rule_route r;
    assert_true(rules_route_of(cfg, "backlog-old", "orders", &r));
    for (size_t e = 0; e < 2; e++) {
        struct alert_context ctx;
        alert_context_build(&r, st, events[e], "ingest-01", &ctx);
        struct notice n = {.e = events[e],
                           .metric = "backlog_age_seconds",
                           .st = st,
                           .host = "ingest-01",
                           .id = "6f1c2d3e4a5b69788796a5b4c3d2e1f0"};
        alert_context_fill(&ctx, &n);
        render_all(cfg, &n, names[e]);
        if (e == 0) {
            assert_string_equal(ctx.summary, "orders: backlog 33m20s old (> 30m), 1.5 GiB waiting");
            assert_string_equal(ctx.runbook,
                                "https://wiki.example/runbooks/backlog-old?stream=orders");
            assert_string_equal(ctx.owner, "payments-oncall");
            assert_int_equal(ctx.nlinks, 2);
        } else {
            /* what it resolved from, and what it is now */
            assert_string_equal(ctx.summary,
                                "Resolved: orders: backlog 45m58s old (> 30m), 1.5 GiB "
                                "waiting; now 12s, after 1h5m");
        }
        alert_context_done(&ctx);
    }

    /* a built-in: its own sentence, the [builtin] runbook with {rule} */
    static char stalled[] = BUILTIN_PREFIX "stalled", limit[] = "> 3m";
    struct alert_event b = {.kind = EV_FIRING,
                            .rule = stalled,
                            .stream = stream,
                            .level = HEALTH_CRITICAL,
                            .prev_level = HEALTH_OK,
                            .value = 758,
                            .threshold = limit,
                            .started_ms = 1795439700000LL,
                            .at_ms = 1795440000000LL,
                            .prev_value = NAN};
    assert_true(rules_route_of(cfg, stalled, "orders", &r));
    struct alert_context ctx;
    alert_context_build(&r, st, &b, "ingest-01", &ctx);
    assert_string_equal(ctx.summary,
                        "orders: no batch committed for 12m38s while work waits (> 3m)");
    assert_string_equal(ctx.runbook, "https://wiki.example/streamtop/builtin:stalled");
    struct notice n = {.e = &b,
                       .metric = "commit_age_seconds",
                       .st = st,
                       .host = "ingest-01",
                       .id = "0123456789abcdef0123456789abcdef"};
    alert_context_fill(&ctx, &n);
    render_all(cfg, &n, "builtin");
    alert_context_done(&ctx);

    /* notify test: marked as a test everywhere; Alertmanager's ends when it starts */
    static char trule[] = "streamtop-test", tstream[] = "test";
    struct alert_event t = {.kind = EV_FIRING,
                            .rule = trule,
                            .stream = tstream,
                            .level = HEALTH_WARNING,
                            .prev_level = HEALTH_OK,
                            .value = 1,
                            .threshold = none,
                            .started_ms = 1795439999000LL,
                            .at_ms = 1795440000000LL,
                            .prev_value = 0};
    struct notice tn = {.e = &t,
                        .summary = "streamtop test notification from ingest-01",
                        .host = "ingest-01",
                        .id = "feedfacefeedfacefeedfacefeedface",
                        .test = true};
    render_all(cfg, &tn, "test");
    snapshot_free(snap);
    config_free(cfg);
    config_set_validator(CT_THRESHOLD, NULL);
}

/* Values as people read them, by unit. */
static void test_value_text(void **unused)
{
    (void)unused;
    static const struct {
        double v;
        enum metric_unit u;
        const char *want;
    } cases[] = {
        {758, UNIT_SECONDS, "12m38s"},
        {180, UNIT_SECONDS, "3m"},
        {5400, UNIT_SECONDS, "1h30m"},
        {93600, UNIT_SECONDS, "1d2h"},
        {0.25, UNIT_SECONDS, "250ms"},
        {4.25, UNIT_SECONDS, "4.2s"},
        {512, UNIT_BYTES, "512 B"},
        {1536, UNIT_BYTES, "1.5 KiB"},
        {1610612736, UNIT_BYTES, "1.5 GiB"},
        {12.54, UNIT_RATE, "12.5/s"},
        {42, UNIT_COUNT, "42"},
        {NAN, UNIT_SECONDS, "not measured"},
        {INFINITY, UNIT_SECONDS, "inf"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        assert_string_equal(alert_value_text(cases[i].v, cases[i].u, out, sizeof out),
                            cases[i].want);
    }
}

/* Slack mrkdwn control characters in stored text are escaped; the summary template. */
static void test_escaping_and_templates(void **unused)
{
    (void)unused;
    static char rule[] = "r", stream[] = "a<b>&c", thr[] = "> 1";
    struct alert_event e = {.kind = EV_FIRING,
                            .rule = rule,
                            .stream = stream,
                            .level = HEALTH_WARNING,
                            .prev_level = HEALTH_OK,
                            .value = 5,
                            .threshold = thr,
                            .prev_value = NAN};
    char *s = rules_summary("{stream}/{rule}: {metric}={value} {threshold} [{level}] {x}", &e,
                            "backlog_files");
    assert_string_equal(s, "a<b>&c/r: backlog_files=5 > 1 [warning] {x}");
    struct cfg_webhook w = {.name = (char *)"s", .format = WF_SLACK};
    struct notice n = {.e = &e, .summary = s, .metric = "backlog_files", .host = "h"};
    char *body = payload_render(&w, &n);
    /* the blocks and the fallback text alike: no raw < > & anywhere (<!channel> would ping) */
    cJSON *o = cJSON_Parse(body);
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
    assert_true(cJSON_IsString(text));
    assert_string_equal(text->valuestring,
                        "a&lt;b&gt;&amp;c/r: backlog_files=5 &gt; 1 [warning] {x}");
    cJSON_Delete(o);
    assert_null(strstr(body, "a<b>"));
    assert_non_null(strstr(body, "a&lt;b&gt;&amp;c"));
    free(body);
    free(s);
    char *k = payload_dedup_key("orders", "builtin:stalled");
    assert_string_equal(k, "streamtop/orders/builtin:stalled");
    free(k);
    /* a resolve without a template says what it resolved from */
    e.kind = EV_RESOLVED;
    e.prev_level = HEALTH_CRITICAL;
    e.prev_value = 9;
    e.value = 0;
    e.started_ms = 0;
    e.at_ms = 758000;
    s = rules_summary(NULL, &e, "backlog_files");
    assert_string_equal(s, "Resolved: a<b>&c: r critical: backlog_files 9; now 0, after 12m38s");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_value_text),
        cmocka_unit_test(test_escaping_and_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
