#include "pass/deliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static const char *const *request_headers(const struct cfg_webhook *w, const char **store,
                                          size_t cap)
{
    size_t n = 0;
    store[n++] = "Content-Type: application/json";
    for (size_t i = 0; i < w->headers.n && n + 1 < cap; i++)
        store[n++] = w->headers.v[i];
    store[n] = NULL;
    return store;
}

struct job {
    const struct cfg_webhook *w;
    const struct outbox_row *row;
    struct outbox_result *res;
    char *url;
    int64_t now;
    struct deliver_stats *stats;
    struct strvec *problems;
    char error[400];
};

static bool reported(struct strvec *problems, const char *label)
{
    for (size_t i = 0; i < problems->n; i++)
        if (strncmp(problems->v[i], label, strlen(label)) == 0)
            return true;
    return false;
}

static void settle(struct job *j, int rc, long status, const char *why)
{
    struct outbox_result *r = j->res;
    r->status = status;
    r->done_ms = -1;
    r->error = NULL;
    j->stats->sent++;
    char label[300];
    webhook_label(j->w, label, sizeof label);
    if (rc == 0 && status >= 200 && status < 300) {
        r->done_ms = j->now;
        j->stats->delivered++;
        return;
    }
    bool permanent = rc == 0 && status >= 400 && status < 500 && status != 408 && status != 429;
    if (rc == 0)
        snprintf(j->error, sizeof j->error, "HTTP %ld%s", status,
                 permanent ? " (not retried)" : "");
    else
        snprintf(j->error, sizeof j->error, "%s", why);
    r->error = j->error;
    if (permanent) {
        r->done_ms = j->now;
        j->stats->failed++;
    } else if (j->now - j->row->created_ms >= j->w->max_age_ms) {
        r->done_ms = j->now;
        snprintf(j->error + strlen(j->error), sizeof j->error - strlen(j->error),
                 "; dropped: undelivered for longer than max_age");
        j->stats->dropped++;
    } else {
        int64_t wait = DELIVER_BACKOFF_MS;
        for (int a = 0; a < j->row->attempts && wait < DELIVER_BACKOFF_MAX_MS; a++)
            wait *= 2;
        if (wait > DELIVER_BACKOFF_MAX_MS)
            wait = DELIVER_BACKOFF_MAX_MS;
        r->next_ms = j->now + wait;
        j->stats->retrying++;
    }
    if (!reported(j->problems, label))
        strvec_pushf(j->problems, "%s: %s", label, j->error);
}

static void on_done(void *ctx, int rc, struct http_response *resp, struct st_err *err)
{
    struct job *j = ctx;
    settle(j, rc, rc == 0 ? resp->status : 0, rc < 0 ? without_url(err->msg, j->url) : "");
}

int deliver_outbox(struct store *st, const struct config *cfg, int64_t now_ms,
                   struct deliver_stats *stats, struct strvec *problems, struct st_err *err)
{
    memset(stats, 0, sizeof *stats);
    int64_t lease = 60000;
    for (size_t i = 0; i < cfg->nwebhooks; i++)
        if (2 * cfg->webhooks[i].timeout_ms + 10000 > lease)
            lease = 2 * cfg->webhooks[i].timeout_ms + 10000;
    struct outbox_row *rows;
    size_t n;
    if (store_outbox_claim(st, now_ms, lease, CLAIM_MAX, &rows, &n, err) < 0)
        return -1;
    if (n == 0)
        return 0;
    struct outbox_result *res = xcalloc(n, sizeof *res);
    struct job *jobs = xcalloc(n, sizeof *jobs);
    struct http_batch *b = http_batch_new(DELIVER_PARALLEL);
    for (size_t i = 0; i < n; i++) {
        struct job *j = &jobs[i];
        j->row = &rows[i];
        j->res = &res[i];
        j->now = now_ms;
        j->stats = stats;
        j->problems = problems;
        res[i].id = rows[i].id;
        res[i].next_ms = now_ms;
        j->w = config_webhook(cfg, rows[i].webhook);
        if (!j->w) {
            res[i].done_ms = now_ms;
            res[i].error = "dropped: the webhook is no longer in the config";
            stats->dropped++;
            continue;
        }
        j->url = deliver_url(j->w);
        const char *hs[40];
        struct http_request req = {.method = "POST",
                                   .url = j->url,
                                   .headers = request_headers(j->w, hs, 40),
                                   .body = rows[i].body,
                                   .body_len = rows[i].len,
                                   .timeout_ms = j->w->timeout_ms,
                                   .max_bytes = 64 * 1024,
                                   .ca_file = j->w->ca_file};
        http_batch_add(b, &req, on_done, j);
    }
    http_batch_run(b);
    http_batch_free(b);
    int rc = store_outbox_settle(st, res, n, err);
    for (size_t i = 0; i < n; i++)
        free(jobs[i].url);
    free(jobs);
    free(res);
    store_outbox_rows_free(rows, n);
    return rc;
}

long deliver_now(const struct cfg_webhook *w, const char *body, struct st_err *err)
{
    char *url = deliver_url(w);
    const char *hs[40];
    struct http_request req = {.method = "POST",
                               .url = url,
                               .headers = request_headers(w, hs, 40),
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
