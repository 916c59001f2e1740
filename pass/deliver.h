/* deliver: the outbox over HTTP. In rounds: due rows (the oldest undelivered one of each alert
 * and webhook, so each alert's notifications arrive in order) are leased from the moment of the
 * claim (a second process does not send them too), sent concurrently through net/http.c with
 * an Idempotency-Key, and each is settled the moment its answer arrives: 2xx delivered; 429,
 * 5xx, redirects and transport errors retried on later runs with exponential backoff until
 * max_age; other 4xx recorded as permanent failures. A row whose lease ran out before it was
 * sent is not sent. Problems are reported per webhook, never with its URL (a secret) or header
 * values. */
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

/* Deliver what is due now (the clock's time at each claim). Problems go to problems (one line
 * per webhook). 0, or -1 with err when the state DB cannot be used. */
int deliver_outbox(struct store *db, const struct config *cfg, struct deliver_stats *stats,
                   struct strvec *problems, struct st_err *err);
/* A new notification id: 32 hex digits, unique (random). */
#define DELIVER_ID_LEN 33
void deliver_new_id(char out[DELIVER_ID_LEN]);
/* Send one body (notification id nid, or NULL) to one webhook now (no outbox): `notify test`.
 * The HTTP status, or -1 with err (the URL hidden). */
long deliver_now(const struct cfg_webhook *w, const char *body, const char *nid,
                 struct st_err *err);

#endif
