#include "pass/deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/hashset.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "net/http.h"
#include "net/redact.h"

#define CLAIM_MAX 20000

char *deliver_url(const struct cfg_webhook *w)
{
    if (w->format == WF_ALERTMANAGER) {
        size_t n = strlen(w->url);
        while (n > 0 && w->url[n - 1] == '/')
            n--;
        return xasprintf("%.*s/api/v2/alerts", (int)n, w->url);
    }
    return xstrdup(w->url);
}

/* "webhook NAME (http://host)": never the path or query, which may hold the secret. */
static void webhook_label(const struct cfg_webhook *w, char *out, size_t outlen)
{
    char shown[300];
    redact_url(w->url, false, shown, sizeof shown);
    int n = snprintf(out, outlen, "webhook %s (%s)", w->name, shown);
    if (n < 0 || (size_t)n >= outlen)
        out[outlen - 1] = '\0'; /* a long name cut short: still nothing but the host */
}

/* The transport error without the URL http.c put in front of it. */
static const char *without_url(const char *msg, const char *url)
{
    char shown[512];
    redact_url(url, false, shown, sizeof shown);
    size_t n = strlen(shown);
    if (strncmp(msg, shown, n) == 0 && msg[n] == ':')
        return msg + n + (msg[n + 1] == ' ' ? 2 : 1);
    return "request failed";
}

/* Content-Type, the notification id, then the webhook's own headers; idbuf holds the id line. */
static const char *const *request_headers(const struct cfg_webhook *w, const char *nid, char *idbuf,
                                          size_t idlen, const char **store, size_t cap)
{
    size_t n = 0;
    store[n++] = "Content-Type: application/json";
    if (nid && *nid) {
        snprintf(idbuf, idlen, "Idempotency-Key: %s", nid);
        store[n++] = idbuf;
    }
    for (size_t i = 0; i < w->headers.n && n + 1 < cap; i++)
        store[n++] = w->headers.v[i];
    store[n] = NULL;
    return store;
}

void deliver_new_id(char out[DELIVER_ID_LEN])
{
    unsigned char r[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(r, 1, sizeof r, f) : 0;
    if (f)
        fclose(f);
    if (got != sizeof r) { /* no urandom: time, process and a counter still never repeat here */
        static unsigned counter;
        uint64_t v[3] = {(uint64_t)clock_real_ms(), (uint64_t)getpid(), ++counter};
        uint64_t h1 = hash64(v, sizeof v), h2 = hash64(&h1, sizeof h1);
        memcpy(r, &h1, 8);
        memcpy(r + 8, &h2, 8);
    }
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(out + 2 * i, 3, "%02x", r[i]);
}

struct job {
    struct store *db;
    const struct cfg_webhook *w;
    const struct outbox_row *row;
    char *url;
    struct deliver_stats *stats;
    struct strvec *problems;
    int *failed;        /* set when the state DB could not record a result */
    struct st_err *err; /* (the first such failure) */
    char error[400];
    char idline[80];
};

static bool reported(struct strvec *problems, const char *label)
{
    for (size_t i = 0; i < problems->n; i++)
        if (strncmp(problems->v[i], label, strlen(label)) == 0)
            return true;
    return false;
}

/* Record one result at once (its own transaction): a crash after this re-sends nothing. */
static void record(struct job *j, const struct outbox_result *r)
{
    struct st_err err;
    if (store_outbox_settle(j->db, r, 1, &err) < 0 && !*j->failed) {
        *j->failed = 1;
        *j->err = err;
    }
}

static void settle(struct job *j, int rc, long status, const char *why)
{
    int64_t now = clock_now_ms();
    struct outbox_result r = {.id = j->row->id, .status = status, .done_ms = -1, .next_ms = now};
    j->stats->sent++;
    char label[300];
    webhook_label(j->w, label, sizeof label);
    if (rc == 0 && status >= 200 && status < 300) {
        r.done_ms = now;
        j->stats->delivered++;
        record(j, &r);
        return;
    }
    bool permanent = rc == 0 && status >= 400 && status < 500 && status != 408 && status != 429;
    if (rc == 0)
        snprintf(j->error, sizeof j->error, "HTTP %ld%s", status,
                 permanent ? " (not retried)" : "");
    else
        snprintf(j->error, sizeof j->error, "%s", why);
    r.error = j->error;
    if (permanent) {
        r.done_ms = now;
        j->stats->failed++;
    } else if (now - j->row->created_ms >= j->w->max_age_ms) {
        r.done_ms = now;
        snprintf(j->error + strlen(j->error), sizeof j->error - strlen(j->error),
                 "; dropped: undelivered for longer than max_age");
        j->stats->dropped++;
    } else {
        int64_t wait = DELIVER_BACKOFF_MS;
        for (int a = 0; a < j->row->attempts && wait < DELIVER_BACKOFF_MAX_MS; a++)
            wait *= 2;
        if (wait > DELIVER_BACKOFF_MAX_MS)
            wait = DELIVER_BACKOFF_MAX_MS;
        r.next_ms = now + wait;
        j->stats->retrying++;
    }
    record(j, &r);
    if (!reported(j->problems, label))
        strvec_pushf(j->problems, "%s: %s", label, j->error);
}

/* A webhook whose secret is missing: nothing is sent; the row waits a fixed while (it was
 * never tried, so no backoff grows) until the secret is back or max_age has passed. */
static void unusable(struct job *j)
{
    int64_t now = clock_now_ms();
    snprintf(j->error, sizeof j->error, "not sent: %s", j->w->unusable);
    struct outbox_result r = {
        .id = j->row->id, .error = j->error, .done_ms = -1, .next_ms = now + DELIVER_BACKOFF_MS};
    if (now - j->row->created_ms >= j->w->max_age_ms) {
        r.done_ms = now;
        snprintf(j->error + strlen(j->error), sizeof j->error - strlen(j->error),
                 "; dropped: undelivered for longer than max_age");
        j->stats->dropped++;
    } else {
        j->stats->retrying++;
    }
    record(j, &r);
}

static void on_done(void *ctx, int rc, struct http_response *resp, struct st_err *err)
{
    struct job *j = ctx;
    if (rc < 0 && err->code == ST_ESTOPPED) {
        /* stopped before an answer: not an attempt; the lease ends now, so the next process
         * (a restarted daemon, the next cron run) delivers it at once */
        struct outbox_result r = {.id = j->row->id, .released = true};
        record(j, &r);
        return;
    }
    settle(j, rc, rc == 0 ? resp->status : 0, rc < 0 ? without_url(err->msg, j->url) : "");
}

/* One round: claim what is due above *after (each alert's oldest undelivered notification, at
 * most DELIVER_PARALLEL), post it all at once, settle each as it answers; *after moves to the
 * highest id claimed. The number of rows claimed, or -1. */
static long round_of(struct store *db, const struct config *cfg, int64_t lease, int64_t *after,
                     struct deliver_stats *stats, struct strvec *problems, int *failed,
                     struct st_err *err)
{
    struct outbox_row *rows;
    size_t n;
    if (store_outbox_claim(db, clock_now_ms(), lease, DELIVER_PARALLEL, *after, &rows, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (rows[i].id > *after)
            *after = rows[i].id;
    struct job *jobs = xcalloc(n + 1, sizeof *jobs);
    struct http_batch *b = http_batch_new(DELIVER_PARALLEL);
    for (size_t i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        *j = (struct job){.db = db,
                          .row = &rows[i],
                          .stats = stats,
                          .problems = problems,
                          .failed = failed,
                          .err = err};
        j->w = config_webhook(cfg, rows[i].webhook);
        if (!j->w) {
            int64_t now = clock_now_ms();
            struct outbox_result r = {.id = rows[i].id,
                                      .error = "dropped: the webhook is no longer in the config",
                                      .done_ms = now,
                                      .next_ms = now};
            stats->dropped++;
            record(j, &r);
            continue;
        }
        if (clock_now_ms() >= rows[i].lease_until_ms)
            continue; /* the lease ran out: another process may own the row by now */
        if (j->w->unusable) {
            unusable(j);
            continue;
        }
        j->url = deliver_url(j->w);
        const char *hs[40];
        struct http_request req = {
            .method = "POST",
            .url = j->url,
            .headers = request_headers(j->w, rows[i].nid, j->idline, sizeof j->idline, hs, 40),
            .body = rows[i].body,
            .body_len = rows[i].len,
            .timeout_ms = j->w->timeout_ms,
            .max_bytes = 64 * 1024,
            .ca_file = j->w->ca_file};
        http_batch_add(b, &req, on_done, j);
    }
    http_batch_run(b);
    http_batch_free(b);
    for (size_t i = 0; i < n; i++)
        free(jobs[i].url);
    free(jobs);
    store_outbox_rows_free(rows, n);
    return (long)n;
}

int deliver_outbox(struct store *db, const struct config *cfg, struct deliver_stats *stats,
                   struct strvec *problems, struct st_err *err)
{
    memset(stats, 0, sizeof *stats);
    /* a round ends within its requests' timeout: the lease outlasts it */
    int64_t lease = 60000;
    for (size_t i = 0; i < cfg->nwebhooks; i++)
        if (2 * cfg->webhooks[i].timeout_ms + 10000 > lease)
            lease = 2 * cfg->webhooks[i].timeout_ms + 10000;
    int failed = 0;
    long claimed = 0;
    /* rounds walk the outbox up from the last one's highest id; a row passed over because an
     * older one of its alert was undelivered then may be due once that one went out, so a walk
     * that reaches the end starts once more from the lowest id */
    int64_t after = 0;
    bool again = true;
    for (int r = 0; r < CLAIM_MAX / DELIVER_PARALLEL && !stop_requested(); r++) {
        long n = round_of(db, cfg, lease, &after, stats, problems, &failed, err);
        if (n < 0)
            return -1;
        claimed += n;
        if (failed)
            break;
        if (n == 0) {
            if (!again || after == 0)
                break;
            again = false;
            after = 0;
        }
    }
    if (failed)
        return -1;
    return claimed > 0 ? store_outbox_prune(db, err) : 0;
}

long deliver_now(const struct cfg_webhook *w, const char *body, const char *nid, struct st_err *err)
{
    char *url = deliver_url(w);
    const char *hs[40];
    char idline[80];
    struct http_request req = {.method = "POST",
                               .url = url,
                               .headers = request_headers(w, nid, idline, sizeof idline, hs, 40),
                               .body = body,
                               .body_len = strlen(body),
                               .timeout_ms = w->timeout_ms,
                               .max_bytes = 64 * 1024,
                               .ca_file = w->ca_file};
    struct http_response resp;
    http_response_init(&resp);
    long status = -1;
    if (http_perform(&req, &resp, err) == 0) {
        status = resp.status;
    } else {
        char label[300], msg[600];
        webhook_label(w, label, sizeof label);
        snprintf(msg, sizeof msg, "%s", without_url(err->msg, url));
        st_err_set(err, err->code, "%s: %s", label, msg);
    }
    http_response_done(&resp);
    free(url);
    return status;
}
