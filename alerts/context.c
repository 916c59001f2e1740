#include "alerts/context.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/parse.h"
#include "core/template.h"
#include "core/xalloc.h"

char *alert_value_text(double v, enum metric_unit unit, char *out, size_t outlen)
{
    char num[32];
    if (isnan(v)) {
        snprintf(out, outlen, "not measured");
        return out;
    }
    switch (unit) {
    case UNIT_SECONDS:
        return fmt_span(v, out, outlen);
    case UNIT_BYTES:
        return fmt_bytes_iec(v, out, outlen);
    case UNIT_RATE:
        snprintf(out, outlen, "%s/s",
                 isinf(v) ? "inf" : fmt_number(round(v * 10) / 10, num, sizeof num));
        return out;
    case UNIT_COUNT:
    case UNIT_NONE:
        break;
    }
    return fmt_number(v, out, outlen);
}

/* What the template's placeholders read. */
struct values {
    const struct rule_route *r;
    const struct snap_stream *st;
    const struct alert_event *e;
    const char *host, *runbook, *owner, *value, *threshold;
    char scratch[128];
};

static const char *label_of(const struct values *v, const char *key)
{
    for (size_t i = 0; v->st && i < v->st->nlabels; i++)
        if (strcmp(v->st->labels[i].key, key) == 0)
            return v->st->labels[i].value;
    return v->r && v->r->cs ? config_label(&v->r->cs->labels, key) : NULL;
}

static const char *value_of(void *ctx, const char *name)
{
    struct values *v = ctx;
    const struct alert_event *e = v->e;
    if (strncmp(name, "label.", 6) == 0)
        return label_of(v, name + 6);
    if (strcmp(name, "stream") == 0)
        return e->stream;
    if (strcmp(name, "rule") == 0)
        return e->rule;
    if (strcmp(name, "metric") == 0)
        return v->r && v->r->metric >= 0 ? metric_defs[v->r->metric].name : "";
    if (strcmp(name, "value") == 0)
        return v->value;
    if (strcmp(name, "value_raw") == 0)
        return fmt_number(e->value, v->scratch, sizeof v->scratch);
    if (strcmp(name, "threshold") == 0)
        return v->threshold;
    if (strcmp(name, "level") == 0)
        return e->kind == EV_RESOLVED ? "resolved" : health_name(e->level);
    if (strcmp(name, "since") == 0)
        return e->started_ms >= 0 ? clock_iso8601(e->started_ms, v->scratch, sizeof v->scratch)
                                  : "";
    if (strcmp(name, "duration") == 0)
        return fmt_span((double)(e->at_ms - e->started_ms) / 1000, v->scratch, sizeof v->scratch);
    if (strcmp(name, "owner") == 0)
        return v->owner;
    if (strcmp(name, "runbook") == 0)
        return v->runbook;
    if (strcmp(name, "host") == 0)
        return v->host;
    int m = metric_find(name);
    if (m >= 0 && v->st)
        return alert_value_text(v->st->metrics[m], metric_defs[m].unit, v->scratch,
                                sizeof v->scratch);
    return NULL;
}

/* " ({threshold})" with no condition (a resolve of a built-in whose condition was its error)
 * would read " ()": left out. */
static char *without_empty_parens(char *s)
{
    char *p;
    while ((p = strstr(s, " ()")) != NULL)
        memmove(p, p + 3, strlen(p + 3) + 1);
    return s;
}

static const char *keep(struct alert_context *c, char *s)
{
    strvec_take(&c->owned, s);
    return c->owned.v[c->owned.n - 1];
}

static void add_link(struct alert_context *c, const char *name, char *url)
{
    for (size_t i = 0; i < c->nlinks; i++)
        if (strcmp(c->links[i].name, name) == 0) { /* the more specific one wins */
            c->links[i].url = keep(c, url);
            return;
        }
    c->links = xrealloc(c->links, (c->nlinks + 1) * sizeof *c->links);
    c->links[c->nlinks].name = name;
    c->links[c->nlinks++].url = keep(c, url);
}

void alert_context_build(const struct rule_route *r, const struct snap_stream *st,
                         const struct alert_event *e, const char *host, struct alert_context *out)
{
    memset(out, 0, sizeof *out);
    strvec_init(&out->owned);
    const struct cfg_stream *cs = r ? r->cs : NULL;
    enum metric_unit unit = r ? r->unit : UNIT_NONE;
    char tmp[64];
    out->owner = cs ? config_stream_owner(cs) : NULL;
    if (!out->owner && st)
        for (size_t i = 0; i < st->nlabels; i++)
            if (strcmp(st->labels[i].key, "owner") == 0)
                out->owner = st->labels[i].value;
    out->value_text = xstrdup(alert_value_text(e->value, unit, tmp, sizeof tmp));
    bool resolved = e->kind == EV_RESOLVED;
    const char *fired = r && (unsigned)e->prev_level < HEALTH__N ? r->fired[e->prev_level] : NULL;
    out->threshold = resolved ? (fired ? fired : "") : e->threshold;
    if (resolved)
        out->prev_value_text = xstrdup(alert_value_text(e->prev_value, unit, tmp, sizeof tmp));

    /* what it fired with, for a resolve; the event as it is otherwise */
    struct alert_event shown = *e;
    if (resolved) {
        shown.kind = EV_LEVEL;
        shown.level = e->prev_level;
        shown.value = e->prev_value;
    }
    struct values v = {r,
                       st,
                       &shown,
                       host ? host : "",
                       "",
                       out->owner ? out->owner : "",
                       resolved ? out->prev_value_text : out->value_text,
                       out->threshold,
                       {0}};
    const char *runbook = cs && cs->runbook ? cs->runbook : r ? r->runbook : NULL;
    if (runbook) {
        out->runbook = template_render(runbook, value_of, &v, true);
        v.runbook = out->runbook;
    }
    for (int pass = 0; pass < 2; pass++) {
        const struct cfg_labels *l = pass == 0 ? (r ? r->links : NULL) : (cs ? &cs->links : NULL);
        for (size_t i = 0; l && i < l->n; i++)
            add_link(out, l->v[i].key, template_render(l->v[i].value, value_of, &v, true));
    }
    const char *tmpl = r && r->summary ? r->summary
                       : r && r->metric >= 0
                           ? "{stream}: {rule} {level}: {metric} {value} ({threshold})"
                           : "{stream}: {rule} {level}: {value} ({threshold})";
    char *text = without_empty_parens(template_render(tmpl, value_of, &v, false));
    if (!resolved) {
        out->summary = text;
        return;
    }
    char now[64], took[32];
    if (e->removed)
        out->summary = xasprintf("Resolved: %s; its rule or stream is no longer configured", text);
    else
        out->summary =
            xasprintf("Resolved: %s; now %s, after %s", text,
                      alert_value_text(e->value, unit, now, sizeof now),
                      fmt_span((double)(e->at_ms - e->started_ms) / 1000, took, sizeof took));
    free(text);
}

void alert_context_fill(const struct alert_context *c, struct notice *n)
{
    n->summary = c->summary;
    n->value_text = c->value_text;
    n->prev_value_text = c->prev_value_text;
    n->threshold = c->threshold;
    n->runbook = c->runbook;
    n->owner = c->owner;
    n->links = c->links;
    n->nlinks = c->nlinks;
}

void alert_context_done(struct alert_context *c)
{
    free(c->summary);
    free(c->value_text);
    free(c->prev_value_text);
    free(c->runbook);
    free(c->links);
    strvec_done(&c->owned);
    memset(c, 0, sizeof *c);
}

char *rules_summary(const char *tmpl, const struct alert_event *e, const char *metric)
{
    struct rule_route r = {0};
    r.summary = tmpl;
    r.metric = metric ? metric_find(metric) : -1;
    r.unit = r.metric >= 0 ? metric_defs[r.metric].unit : UNIT_NONE;
    struct alert_context c;
    alert_context_build(&r, NULL, e, NULL, &c);
    char *s = c.summary;
    c.summary = NULL;
    alert_context_done(&c);
    return s;
}
