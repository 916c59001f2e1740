/* context: what a notification tells besides the event, so that whoever gets it can act: the
 * summary (the rule's template or a sentence of the built-in), the value and the condition as
 * people read them (12m38s, 1.5 GiB, "> 10m" as configured), and for a resolve what it resolved
 * from; the stream's owner and labels, the runbook and the links (URL templates of the stream,
 * the rule or [builtin]; the stream's win). Pure. */
#ifndef STREAMTOP_CONTEXT_H
#define STREAMTOP_CONTEXT_H

#include "alerts/payload.h"
#include "alerts/rules.h"

struct alert_context {
    char *summary;
    char *value_text;      /* the value now ("12m38s"; "not measured") */
    char *prev_value_text; /* a resolve: the value it fired with, else NULL */
    const char *threshold; /* the condition (a resolve: the one it fired on), "" for none */
    char *runbook;         /* rendered, or NULL */
    const char *owner;     /* (borrowed) or NULL */
    struct notice_link *links;
    size_t nlinks;
    struct strvec owned;
};

/* Build the context of event e of a pair routed by r (st: its stream in the snapshot, or NULL;
 * host: where streamtop runs). Free with alert_context_done. */
void alert_context_build(const struct rule_route *r, const struct snap_stream *st,
                         const struct alert_event *e, const char *host, struct alert_context *out);
/* Point the notice's context fields at c (which must outlive the notice). */
void alert_context_fill(const struct alert_context *c, struct notice *n);
void alert_context_done(struct alert_context *c);
/* A value as people read it for a metric of that unit: 12m38s, 1.5 GiB, 12.5/s, 42; NaN is
 * "not measured". Returns out. */
char *alert_value_text(double v, enum metric_unit unit, char *out, size_t outlen);

#endif
