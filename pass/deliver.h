/* notify: deliver the outbox. Due rows are leased (so a second process does not send them too),
 * sent concurrently through net/http.c, and settled: 2xx delivered; 429, 5xx, redirects and
 * transport errors retried on later runs with exponential backoff until max_age; other 4xx
 * recorded as permanent failures. Problems are reported per webhook, never with its URL (a
 * secret) or header values. */
#ifndef STREAMTOP_DELIVER_H
#define STREAMTOP_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/strvec.h"
#include "store/store.h"

struct deliver_stats {
    size_t sent, delivered, retrying, failed, dropped;
};

/* The request URL of webhook w (Alertmanager: <url>/api/v2/alerts). Caller frees. */
char *deliver_url(const struct cfg_webhook *w);
/* The first retry comes this long after a failure; each later one waits twice as long. */
#define DELIVER_BACKOFF_MS     (30 * 1000LL)
#define DELIVER_BACKOFF_MAX_MS (60 * 60 * 1000LL)
#define DELIVER_PARALLEL       64

/* Deliver what is due at now_ms. Problems go to problems (one line per webhook). 0, or -1 with
 * err when the state DB cannot be used. */
int deliver_outbox(struct store *db, const struct config *cfg, int64_t now_ms,
                   struct deliver_stats *stats, struct strvec *problems, struct st_err *err);
/* Send one body to one webhook now (no outbox): `notify test`. The HTTP status, or -1 with err
 * (the URL hidden). */
long deliver_now(const struct cfg_webhook *w, const char *body, struct st_err *err);

#endif
