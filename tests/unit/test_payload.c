/* Golden payloads: each webhook format renders one firing and one resolved event exactly as in
 * tests/golden/ (regenerate with STREAMTOP_GOLDEN_UPDATE=1 and review the diff). */
#include "testutil.h"

#include <cJSON.h>
#include <math.h>

#include "alerts/payload.h"
#include "alerts/rules.h"

static void test_formats(void **unused)
{
    (void)unused;
    struct snapshot *snap = snapshot_new(1795440000000LL);
    struct snap_stream *st = snapshot_add_stream(snap, "orders");
    snap_stream_add_label(st, "team", "payments");
    snap_stream_add_label(st, "tier", "1");
    st->metrics[M_BACKLOG_AGE_SECONDS] = 2000;
    st->metrics[M_LAST_BATCH_ID] = 41;
    struct cfg_webhook hooks[4] = {
        {.name = (char *)"j", .format = WF_JSON},
        {.name = (char *)"s", .format = WF_SLACK},
        {.name = (char *)"p", .format = WF_PAGERDUTY, .routing_key = (char *)"R0UT1NGKEY"},
        {.name = (char *)"a", .format = WF_ALERTMANAGER}};
    static char rule[] = "backlog-old", stream[] = "orders", thr[] = "> 1800", none[] = "";
    struct alert_event firing = {EV_FIRING, rule, stream,          HEALTH_CRITICAL, HEALTH_OK,
                                 2000,      thr,  1795439700000LL, 1795440000000LL, false};
    struct alert_event resolved = {EV_RESOLVED,     rule, stream, HEALTH_OK,
                                   HEALTH_CRITICAL, 12,   none,   1795439700000LL,
                                   1795443600000LL, false};
    const struct alert_event *events[] = {&firing, &resolved};
    const char *names[] = {"firing", "resolved"};
    for (size_t e = 0; e < 2; e++) {
        char *summary = rules_summary(NULL, events[e], "backlog_age_seconds");
        struct notice n = {events[e], summary,     "backlog_age_seconds",
                           st,        "ingest-01", "6f1c2d3e4a5b69788796a5b4c3d2e1f0"};
        for (size_t h = 0; h < 4; h++) {
            char *body = payload_render(&hooks[h], &n);
            cJSON *parsed = cJSON_Parse(body);
            assert_non_null(parsed); /* valid JSON */
            cJSON_Delete(parsed);
            char *file =
                xasprintf("%s-%s.json", config_webhook_format_name(hooks[h].format), names[e]);
            char *with_nl = xasprintf("%s\n", body);
            golden_check(file, with_nl);
            free(with_nl);
            free(file);
            free(body);
        }
        free(summary);
    }
    snapshot_free(snap);
}

/* Slack mrkdwn control characters in stored text are escaped; the summary template. */
static void test_escaping_and_templates(void **unused)
{
    (void)unused;
    static char rule[] = "r", stream[] = "a<b>&c", thr[] = "> 1";
    struct alert_event e = {EV_FIRING, rule, stream, HEALTH_WARNING, HEALTH_OK, 5,
                            thr,       0,    0,      false};
    char *s = rules_summary("{stream}/{rule}: {metric}={value} {threshold} [{level}] {x}", &e,
                            "backlog_files");
    assert_string_equal(s, "a<b>&c/r: backlog_files=5 > 1 [warning] {x}");
    struct cfg_webhook w = {.name = (char *)"s", .format = WF_SLACK};
    struct notice n = {&e, s, "backlog_files", NULL, "h", NULL};
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_escaping_and_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
