#include "alerts/payload.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xalloc.h"

char *payload_dedup_key(const char *stream, const char *rule)
{
    return xasprintf("streamtop/%s/%s", stream, rule);
}

static const char *event_name(const struct alert_event *e)
{
    return e->kind == EV_RESOLVED ? "resolved"
           : e->kind == EV_FIRING ? "firing"
           : e->kind == EV_LEVEL  ? "level-changed"
                                  : "still-firing";
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char when[40];
    if (ms >= 0)
        cJSON_AddStringToObject(o, key, clock_iso8601(ms, when, sizeof when));
    else
        cJSON_AddNullToObject(o, key);
}

static void add_number(cJSON *o, const char *key, double v)
{
    if (isnan(v) || isinf(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

static cJSON *labels_json(const struct snap_stream *st)
{
    cJSON *l = cJSON_CreateObject();
    for (size_t i = 0; st && i < st->nlabels; i++)
        cJSON_AddStringToObject(l, st->labels[i].key, st->labels[i].value);
    return l;
}

static char *print(cJSON *root)
{
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    char *copy = xstrdup(text ? text : "{}");
    cJSON_free(text);
    return copy;
}

static char *render_json(const struct notice *n)
{
    const struct alert_event *e = n->e;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "version", 1);
    if (n->id)
        cJSON_AddStringToObject(o, "id", n->id);
    cJSON_AddStringToObject(o, "event", event_name(e));
    cJSON_AddStringToObject(o, "alert", e->rule);
    cJSON_AddStringToObject(o, "stream", e->stream);
    cJSON_AddItemToObject(o, "labels", labels_json(n->st));
    cJSON_AddStringToObject(o, "level", e->kind == EV_RESOLVED ? "ok" : health_name(e->level));
    cJSON_AddStringToObject(o, "previous_level", health_name(e->prev_level));
    if (n->metric)
        cJSON_AddStringToObject(o, "metric", n->metric);
    else
        cJSON_AddNullToObject(o, "metric");
    add_number(o, "value", e->value);
    cJSON_AddStringToObject(o, "threshold", e->threshold);
    cJSON_AddStringToObject(o, "summary", n->summary);
    add_time(o, "started_at", e->started_ms);
    add_time(o, "resolved_at", e->kind == EV_RESOLVED ? e->at_ms : -1);
    add_time(o, "at", e->at_ms);
    char *key = payload_dedup_key(e->stream, e->rule);
    cJSON_AddStringToObject(o, "dedup_key", key);
    free(key);
    if (n->st) {
        cJSON *snap = cJSON_AddObjectToObject(o, "snapshot");
        cJSON_AddStringToObject(snap, "status", health_name(n->st->status));
        cJSON *m = cJSON_AddObjectToObject(snap, "metrics");
        for (int i = 0; i < METRIC_COUNT; i++)
            if (!isnan(n->st->metrics[i]))
                add_number(m, metric_defs[i].name, n->st->metrics[i]);
    }
    return print(o);
}

/* Slack mrkdwn: &, < and > are control characters there. */
static void slack_escape(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '&')
            buf_puts(b, "&amp;");
        else if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '>')
            buf_puts(b, "&gt;");
        else
            buf_putc(b, *s);
    }
}

static char *render_slack(const struct notice *n)
{
    const struct alert_event *e = n->e;
    static const char *const icon[] = {
        ":white_check_mark:", ":warning:", ":red_circle:", ":grey_question:"};
    enum health l = e->kind == EV_RESOLVED ? HEALTH_OK : e->level;
    struct buf head, ctx;
    buf_init(&head);
    buf_init(&ctx);
    buf_printf(&head, "%s *%s* ", icon[l],
               e->kind == EV_RESOLVED ? "RESOLVED"
               : l == HEALTH_WARNING  ? "WARNING"
               : l == HEALTH_CRITICAL ? "CRITICAL"
                                      : "UNKNOWN");
    slack_escape(&head, n->summary);
    char when[40];
    buf_puts(&ctx, "stream `");
    slack_escape(&ctx, e->stream);
    buf_puts(&ctx, "` · rule `");
    slack_escape(&ctx, e->rule);
    buf_printf(&ctx, "` · since %s", clock_iso8601(e->started_ms, when, sizeof when));
    /* the fallback text (notifications, old clients) is mrkdwn too: escaped like the blocks */
    struct buf text;
    buf_init(&text);
    slack_escape(&text, n->summary);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", buf_str(&text));
    buf_done(&text);
    cJSON *blocks = cJSON_AddArrayToObject(o, "blocks");
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "section");
    cJSON *t = cJSON_AddObjectToObject(sec, "text");
    cJSON_AddStringToObject(t, "type", "mrkdwn");
    cJSON_AddStringToObject(t, "text", buf_str(&head));
    cJSON_AddItemToArray(blocks, sec);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "context");
    cJSON *els = cJSON_AddArrayToObject(c, "elements");
    cJSON *el = cJSON_CreateObject();
    cJSON_AddStringToObject(el, "type", "mrkdwn");
    cJSON_AddStringToObject(el, "text", buf_str(&ctx));
    cJSON_AddItemToArray(els, el);
    cJSON_AddItemToArray(blocks, c);
    if (n->id) { /* Slack's message metadata: not shown, kept with the message */
        cJSON *md = cJSON_AddObjectToObject(o, "metadata");
        cJSON_AddStringToObject(md, "event_type", "streamtop_notification");
        cJSON_AddStringToObject(cJSON_AddObjectToObject(md, "event_payload"), "id", n->id);
    }
    buf_done(&head);
    buf_done(&ctx);
    return print(o);
}

static char *render_pagerduty(const struct cfg_webhook *w, const struct notice *n)
{
    const struct alert_event *e = n->e;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "routing_key", w->routing_key ? w->routing_key : "");
    cJSON_AddStringToObject(o, "event_action", e->kind == EV_RESOLVED ? "resolve" : "trigger");
    char *key = payload_dedup_key(e->stream, e->rule);
    cJSON_AddStringToObject(o, "dedup_key", key);
    free(key);
    cJSON *p = cJSON_AddObjectToObject(o, "payload");
    char summary[1024];
    snprintf(summary, sizeof summary, "%s", n->summary); /* PagerDuty caps it at 1024 */
    cJSON_AddStringToObject(p, "summary", summary);
    cJSON_AddStringToObject(p, "severity",
                            e->level == HEALTH_CRITICAL  ? "critical"
                            : e->level == HEALTH_WARNING ? "warning"
                            : e->level == HEALTH_UNKNOWN ? "error"
                                                         : "info");
    char *source = xasprintf("streamtop@%s", n->host ? n->host : "localhost");
    cJSON_AddStringToObject(p, "source", source);
    free(source);
    cJSON_AddStringToObject(p, "component", e->stream);
    cJSON_AddStringToObject(p, "group", e->rule);
    cJSON_AddStringToObject(p, "class", n->metric ? n->metric : e->rule);
    add_time(p, "timestamp", e->at_ms);
    cJSON *d = cJSON_AddObjectToObject(p, "custom_details");
    cJSON_AddStringToObject(d, "event", event_name(e));
    if (n->id)
        cJSON_AddStringToObject(d, "notification_id", n->id);
    add_number(d, "value", e->value);
    cJSON_AddStringToObject(d, "threshold", e->threshold);
    add_time(d, "started_at", e->started_ms);
    cJSON_AddItemToObject(d, "labels", labels_json(n->st));
    return print(o);
}

static cJSON *am_alert(const struct notice *n)
{
    const struct alert_event *e = n->e;
    cJSON *a = cJSON_CreateObject();
    cJSON *l = cJSON_AddObjectToObject(a, "labels");
    cJSON_AddStringToObject(l, "alertname", e->rule);
    cJSON_AddStringToObject(l, "stream", e->stream);
    cJSON_AddStringToObject(
        l, "severity", e->kind == EV_RESOLVED ? health_name(e->prev_level) : health_name(e->level));
    for (size_t i = 0; n->st && i < n->st->nlabels; i++)
        if (!cJSON_GetObjectItemCaseSensitive(l, n->st->labels[i].key))
            cJSON_AddStringToObject(l, n->st->labels[i].key, n->st->labels[i].value);
    cJSON *an = cJSON_AddObjectToObject(a, "annotations");
    cJSON_AddStringToObject(an, "summary", n->summary);
    char num[40];
    if (!isnan(e->value)) {
        snprintf(num, sizeof num, "%.10g", e->value);
        cJSON_AddStringToObject(an, "value", num);
    }
    if (*e->threshold)
        cJSON_AddStringToObject(an, "threshold", e->threshold);
    if (n->metric)
        cJSON_AddStringToObject(an, "metric", n->metric);
    if (n->id)
        cJSON_AddStringToObject(an, "notification_id", n->id);
    char when[40];
    cJSON_AddStringToObject(a, "startsAt", clock_iso8601(e->started_ms, when, sizeof when));
    if (e->kind == EV_RESOLVED)
        cJSON_AddStringToObject(a, "endsAt", clock_iso8601(e->at_ms, when, sizeof when));
    char *gen = xasprintf("http://%s/streamtop/%s", n->host ? n->host : "localhost", e->stream);
    /* a URL: keep it to characters that need no escaping */
    for (char *c = gen + 7; *c; c++)
        if (!(*c >= 'a' && *c <= 'z') && !(*c >= 'A' && *c <= 'Z') && !(*c >= '0' && *c <= '9') &&
            *c != '/' && *c != '-' && *c != '.' && *c != '_')
            *c = '_';
    cJSON_AddStringToObject(a, "generatorURL", gen);
    free(gen);
    return a;
}

char *payload_alertmanager_many(const struct notice *n, size_t count)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < count; i++)
        cJSON_AddItemToArray(arr, am_alert(&n[i]));
    return print(arr);
}

char *payload_render(const struct cfg_webhook *w, const struct notice *n)
{
    switch (w->format) {
    case WF_SLACK:
        return render_slack(n);
    case WF_PAGERDUTY:
        return render_pagerduty(w, n);
    case WF_ALERTMANAGER:
        return payload_alertmanager_many(n, 1);
    case WF_JSON:
        break;
    }
    return render_json(n);
}
