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

static const char *threshold_of(const struct notice *n)
{
    return n->threshold ? n->threshold : n->e->threshold;
}

static bool is_http(const char *url)
{
    return url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

static void add_opt_string(cJSON *o, const char *key, const char *v)
{
    if (v && *v)
        cJSON_AddStringToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
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
    if (n->value_text)
        cJSON_AddStringToObject(o, "value_text", n->value_text);
    cJSON_AddStringToObject(o, "threshold", threshold_of(n));
    if (e->kind == EV_RESOLVED) { /* what it resolved from */
        cJSON *from = cJSON_AddObjectToObject(o, "resolved_from");
        cJSON_AddStringToObject(from, "level", health_name(e->prev_level));
        add_number(from, "value", e->prev_value);
        if (n->prev_value_text)
            cJSON_AddStringToObject(from, "value_text", n->prev_value_text);
        cJSON_AddStringToObject(from, "threshold", threshold_of(n));
    }
    cJSON_AddStringToObject(o, "summary", n->summary);
    add_opt_string(o, "owner", n->owner);
    add_opt_string(o, "runbook", n->runbook);
    cJSON *links = cJSON_AddArrayToObject(o, "links");
    for (size_t i = 0; i < n->nlinks; i++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "name", n->links[i].name);
        cJSON_AddStringToObject(l, "url", n->links[i].url);
        cJSON_AddItemToArray(links, l);
    }
    if (n->test)
        cJSON_AddTrueToObject(o, "test");
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

static cJSON *slack_text(const char *type, const char *text)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "type", type);
    cJSON_AddStringToObject(t, "text", text);
    return t;
}

/* A field of the section: "*Name*\nvalue", the value escaped. */
static void slack_field(cJSON *fields, const char *name, const char *value, bool code)
{
    if (!value || !*value || cJSON_GetArraySize(fields) >= 10) /* Slack takes 10 at most */
        return;
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "*%s*\n%s", name, code ? "`" : "");
    slack_escape(&b, value);
    if (code)
        buf_putc(&b, '`');
    cJSON_AddItemToArray(fields, slack_text("mrkdwn", buf_str(&b)));
    buf_done(&b);
}

static void slack_button(cJSON *els, const char *text, const char *url, bool primary)
{
    /* Slack refuses a button whose URL is not http(s) or longer than 3000 characters */
    if (!is_http(url) || strlen(url) > 3000 || cJSON_GetArraySize(els) >= 25)
        return;
    cJSON *btn = cJSON_CreateObject();
    cJSON_AddStringToObject(btn, "type", "button");
    char label[76]; /* a button's text is at most 75 characters */
    snprintf(label, sizeof label, "%s", text);
    cJSON_AddItemToObject(btn, "text", slack_text("plain_text", label));
    cJSON_AddStringToObject(btn, "url", url);
    if (primary)
        cJSON_AddStringToObject(btn, "style", "primary");
    cJSON_AddItemToArray(els, btn);
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
    if (n->test)
        buf_puts(&head, ":test_tube: *TEST* ");
    buf_printf(&head, "%s *%s* ", icon[l],
               e->kind == EV_RESOLVED ? "RESOLVED"
               : l == HEALTH_WARNING  ? "WARNING"
               : l == HEALTH_CRITICAL ? "CRITICAL"
                                      : "UNKNOWN");
    /* the word above says it was resolved: the summary need not say so twice */
    const char *said = n->summary;
    if (e->kind == EV_RESOLVED && strncmp(said, "Resolved: ", 10) == 0)
        said += 10;
    slack_escape(&head, said);
    char when[40];
    buf_puts(&ctx, "since ");
    buf_puts(&ctx, clock_iso8601(e->started_ms, when, sizeof when));
    for (size_t i = 0; n->st && i < n->st->nlabels; i++) {
        buf_puts(&ctx, i == 0 ? " · labels " : ", ");
        slack_escape(&ctx, n->st->labels[i].key);
        buf_putc(&ctx, '=');
        slack_escape(&ctx, n->st->labels[i].value);
    }
    /* the fallback text (notifications, old clients) is mrkdwn too: escaped like the blocks */
    struct buf text;
    buf_init(&text);
    if (n->test)
        buf_puts(&text, "TEST: ");
    slack_escape(&text, n->summary);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", buf_str(&text));
    buf_done(&text);
    cJSON *blocks = cJSON_AddArrayToObject(o, "blocks");
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "section");
    cJSON_AddItemToObject(sec, "text", slack_text("mrkdwn", buf_str(&head)));
    cJSON_AddItemToArray(blocks, sec);
    /* the facts, as fields: what, where, how much, who */
    cJSON *fs = cJSON_CreateObject();
    cJSON_AddStringToObject(fs, "type", "section");
    cJSON *fields = cJSON_AddArrayToObject(fs, "fields");
    slack_field(fields, "Stream", e->stream, true);
    slack_field(fields, "Rule", e->rule, true);
    if (e->kind == EV_RESOLVED) {
        struct buf was;
        buf_init(&was);
        buf_printf(&was, "%s", health_name(e->prev_level));
        if (n->prev_value_text)
            buf_printf(&was, ", %s", n->prev_value_text);
        if (*threshold_of(n))
            buf_printf(&was, " (%s)", threshold_of(n));
        slack_field(fields, "Resolved from", buf_str(&was), false);
        buf_done(&was);
        slack_field(fields, "Now", n->value_text, false);
    } else {
        slack_field(fields, n->metric ? n->metric : "Value", n->value_text, false);
        slack_field(fields, "Threshold", threshold_of(n), false);
    }
    slack_field(fields, "Owner", n->owner, false);
    if (cJSON_GetArraySize(fields) > 0)
        cJSON_AddItemToArray(blocks, fs);
    else
        cJSON_Delete(fs);
    cJSON *acts = cJSON_CreateObject();
    cJSON_AddStringToObject(acts, "type", "actions");
    cJSON *btns = cJSON_AddArrayToObject(acts, "elements");
    slack_button(btns, "Runbook", n->runbook, true);
    for (size_t i = 0; i < n->nlinks; i++)
        slack_button(btns, n->links[i].name, n->links[i].url, false);
    if (cJSON_GetArraySize(btns) > 0)
        cJSON_AddItemToArray(blocks, acts);
    else
        cJSON_Delete(acts);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "context");
    cJSON *els = cJSON_AddArrayToObject(c, "elements");
    cJSON_AddItemToArray(els, slack_text("mrkdwn", buf_str(&ctx)));
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
    snprintf(summary, sizeof summary, "%s%s", n->test ? "[TEST] " : "",
             n->summary); /* PagerDuty caps it at 1024 */
    cJSON_AddStringToObject(p, "summary", summary);
    cJSON_AddStringToObject(p, "severity",
                            n->test                       ? "info" /* a test pages no one */
                            : e->level == HEALTH_CRITICAL ? "critical"
                            : e->level == HEALTH_WARNING  ? "warning"
                            : e->level == HEALTH_UNKNOWN  ? "error"
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
    if (n->test)
        cJSON_AddTrueToObject(d, "test");
    cJSON_AddStringToObject(d, "stream", e->stream);
    cJSON_AddStringToObject(d, "rule", e->rule);
    add_number(d, "value", e->value);
    if (n->value_text)
        cJSON_AddStringToObject(d, "value_text", n->value_text);
    cJSON_AddStringToObject(d, "threshold", threshold_of(n));
    if (e->kind == EV_RESOLVED) {
        cJSON_AddStringToObject(d, "resolved_from_level", health_name(e->prev_level));
        if (n->prev_value_text)
            cJSON_AddStringToObject(d, "resolved_from_value", n->prev_value_text);
    }
    add_time(d, "started_at", e->started_ms);
    if (n->owner)
        cJSON_AddStringToObject(d, "owner", n->owner);
    if (n->runbook)
        cJSON_AddStringToObject(d, "runbook", n->runbook);
    cJSON_AddItemToObject(d, "labels", labels_json(n->st));
    /* Events API v2 links: shown on the incident; only http(s) */
    cJSON *links = cJSON_CreateArray();
    if (is_http(n->runbook)) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "href", n->runbook);
        cJSON_AddStringToObject(l, "text", "Runbook");
        cJSON_AddItemToArray(links, l);
    }
    for (size_t i = 0; i < n->nlinks; i++) {
        if (!is_http(n->links[i].url))
            continue;
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "href", n->links[i].url);
        cJSON_AddStringToObject(l, "text", n->links[i].name);
        cJSON_AddItemToArray(links, l);
    }
    if (cJSON_GetArraySize(links) > 0)
        cJSON_AddItemToObject(o, "links", links);
    else
        cJSON_Delete(links);
    return print(o);
}

static cJSON *am_alert(const struct notice *n)
{
    const struct alert_event *e = n->e;
    cJSON *a = cJSON_CreateObject();
    cJSON *l = cJSON_AddObjectToObject(a, "labels");
    cJSON_AddStringToObject(l, "alertname", e->rule);
    cJSON_AddStringToObject(l, "stream", e->stream);
    if (n->test)
        cJSON_AddStringToObject(l, "test", "true");
    cJSON_AddStringToObject(
        l, "severity", e->kind == EV_RESOLVED ? health_name(e->prev_level) : health_name(e->level));
    for (size_t i = 0; n->st && i < n->st->nlabels; i++)
        if (!cJSON_GetObjectItemCaseSensitive(l, n->st->labels[i].key))
            cJSON_AddStringToObject(l, n->st->labels[i].key, n->st->labels[i].value);
    if (n->owner && !cJSON_GetObjectItemCaseSensitive(l, "owner"))
        cJSON_AddStringToObject(l, "owner", n->owner);
    cJSON *an = cJSON_AddObjectToObject(a, "annotations");
    cJSON_AddStringToObject(an, "summary", n->summary);
    char num[40];
    if (!isnan(e->value)) {
        snprintf(num, sizeof num, "%.10g", e->value);
        cJSON_AddStringToObject(an, "value", num);
    }
    if (n->value_text)
        cJSON_AddStringToObject(an, "value_text", n->value_text);
    if (*threshold_of(n))
        cJSON_AddStringToObject(an, "threshold", threshold_of(n));
    if (n->metric)
        cJSON_AddStringToObject(an, "metric", n->metric);
    if (n->id)
        cJSON_AddStringToObject(an, "notification_id", n->id);
    if (n->runbook)
        cJSON_AddStringToObject(an, "runbook_url", n->runbook);
    for (size_t i = 0; i < n->nlinks; i++) {
        char *key = xasprintf("link_%s", n->links[i].name);
        if (!cJSON_GetObjectItemCaseSensitive(an, key))
            cJSON_AddStringToObject(an, key, n->links[i].url);
        free(key);
    }
    char when[40];
    cJSON_AddStringToObject(a, "startsAt", clock_iso8601(e->started_ms, when, sizeof when));
    /* a resolve ends the alert; so does a test at once (it never stays active) */
    if (e->kind == EV_RESOLVED || n->test)
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
