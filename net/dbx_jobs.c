/* dbx_jobs: a job's state through the Jobs API 2.1: its settings (jobs/get: continuous or
 * scheduled, and the cron interval), its newest runs (runs/list, newest first, a few pages at
 * most while looking for the last success) and a failed run's message (runs/get). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "net/dbx_internal.h"

/* runs/list pages (25 runs each) looked through for the last success */
#define RUN_PAGES     4
#define JOB_MAX_BYTES (4u * 1024 * 1024)

/* GET api?query into resp; 0 when 200, else -1 with err naming what. */
static int get_json(const struct dbx_ctx *c, const char *what, const char *api, struct buf *q,
                    struct http_response *resp, struct st_err *err)
{
    char *url = dbx_url(c, api, NULL, buf_str(q));
    int rc = dbx_call(c, what, "GET", url, NULL, JOB_MAX_BYTES, resp, err);
    free(url);
    if (rc == 0 && resp->status != 200)
        rc = dbx_answer_error(what, resp, err);
    return rc;
}

int dbx_job_state(int64_t job_id, struct dbx_job_state *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    out->last_end_ms = -1;
    out->last_success_ms = -1;
    char what[64], id[32];
    snprintf(what, sizeof what, "job %lld", (long long)job_id);
    snprintf(id, sizeof id, "%lld", (long long)job_id);
    struct dbx_ctx c;
    if (dbx_ctx_init(&c, err) < 0) {
        dbx_ctx_done(&c);
        return st_err_prefix(err, "%s", what);
    }
    struct http_response resp;
    http_response_init(&resp);
    struct buf q;
    buf_init(&q);
    dbx_query_add(&q, "job_id", id);
    int rc = get_json(&c, what, "/api/2.1/jobs/get", &q, &resp, err);
    if (rc == 0 && dbx_parse_job(resp.body.data, resp.body.len, out, err) < 0)
        rc = st_err_prefix(err, "%s: jobs/get", what);
    char *token = NULL;
    for (int page = 0; rc == 0 && page < RUN_PAGES; page++) {
        buf_reset(&q);
        dbx_query_add(&q, "job_id", id);
        dbx_query_add(&q, "limit", "25");
        if (token)
            dbx_query_add(&q, "page_token", token);
        free(token);
        token = NULL;
        rc = get_json(&c, what, "/api/2.1/jobs/runs/list", &q, &resp, err);
        if (rc == 0 && dbx_parse_runs(resp.body.data, resp.body.len, out, &token, err) < 0)
            rc = st_err_prefix(err, "%s: runs/list", what);
        if (!token || out->last_success_ms >= 0)
            break;
    }
    free(token);
    if (rc == 0 && out->last_run_id > 0 && strcmp(out->last_result, "SUCCESS") != 0 &&
        !*out->last_message) {
        /* the list may leave the message out: the run itself has it */
        char rid[32];
        snprintf(rid, sizeof rid, "%lld", (long long)out->last_run_id);
        buf_reset(&q);
        dbx_query_add(&q, "run_id", rid);
        if (get_json(&c, what, "/api/2.1/jobs/runs/get", &q, &resp, err) == 0)
            dbx_parse_run(resp.body.data, resp.body.len, out, err);
    }
    buf_done(&q);
    http_response_done(&resp);
    dbx_ctx_done(&c);
    return rc;
}
