/* payload: the body of a notification in each webhook format (json, slack, pagerduty,
 * alertmanager). Pure: everything comes in the notice. */
#ifndef STREAMTOP_PAYLOAD_H
#define STREAMTOP_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerts/engine.h"
#include "core/config.h"
#include "core/snapshot.h"

struct notice_link {
    const char *name, *url;
};

struct notice {
    const struct alert_event *e;
    const char *summary;          /* rendered */
    const char *metric;           /* metric name, or NULL for a built-in's own figure */
    const struct snap_stream *st; /* labels and an excerpt of the snapshot, or NULL */
    const char *host;             /* where streamtop runs (PagerDuty source, generatorURL) */
    const char *id; /* the notification's stable id (receivers drop duplicates by it), or NULL */
    /* the context (alerts/context.h); NULL: none */
    const char *value_text;      /* the value as people read it ("12m38s") */
    const char *prev_value_text; /* a resolve: the value it fired with */
    const char *threshold;       /* the condition to show (NULL: the event's) */
    const char *runbook;         /* URL */
    const char *owner;
    const struct notice_link *links;
    size_t nlinks;
    bool test; /* `notify test`: marked so, never an incident that stays open */
};

/* A stable key per (stream, rule): PagerDuty's dedup_key, ours. */
char *payload_dedup_key(const char *stream, const char *rule);
/* The body for webhook w (caller frees). */
char *payload_render(const struct cfg_webhook *w, const struct notice *n);
/* Alertmanager: one array of several alerts (the re-post of everything firing). */
char *payload_alertmanager_many(const struct notice *n, size_t count);

#endif
