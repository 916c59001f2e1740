/* jobs: the Databricks jobs of a stream through the Jobs API (net/dbx.h): the job that runs
 * it (`job`: is a run active, its last result and success) and the scheduled job that feeds
 * its landing folder (`feeder_job`: when it last succeeded). No state: the API is asked each
 * pass (three small requests a job). */
#include <math.h>
#include <string.h>

#include "collectors/collector.h"
#include "core/strvec.h"
#include "net/dbx.h"

static bool jobs_wants(const struct cfg_stream *cs)
{
    return cs->job_id > 0 || cs->feeder_job_id > 0;
}

static void *jobs_state_new(void)
{
    return NULL;
}

static void jobs_state_free(void *state)
{
    (void)state;
}

/* Read job id into out; the age of its last success (NaN when none seen) or NaN on error. */
static double read_job(int64_t id, struct snap_job *out, struct snap_stream *st, int64_t now_ms,
                       bool *ok)
{
    struct dbx_job_state js;
    struct st_err err;
    *ok = false;
    if (dbx_job_state(id, &js, &err) < 0) {
        strvec_push(&st->errors, err.msg);
        return NAN;
    }
    *ok = true;
    out->id = id;
    out->running = js.running;
    out->continuous = js.continuous;
    out->interval_ms = js.interval_ms;
    out->last_run_id = js.last_run_id;
    out->last_end_ms = js.last_end_ms;
    memcpy(out->last_result, js.last_result, sizeof out->last_result);
    memcpy(out->last_message, js.last_message, sizeof out->last_message);
    if (js.last_success_ms < 0)
        return NAN;
    double age = (double)(now_ms - js.last_success_ms) / 1000.0;
    return age < 0 ? 0 : age;
}

static void jobs_collect(const struct cfg_stream *cs, void *state, struct snap_stream *st,
                         int64_t now_ms)
{
    (void)state;
    bool ok;
    if (cs->job_id > 0) {
        double age = read_job(cs->job_id, &st->job, st, now_ms, &ok);
        if (ok) {
            st->metrics[M_JOB_RUNNING] = st->job.running ? 1 : 0;
            st->metrics[M_JOB_LAST_SUCCESS_AGE_SECONDS] = age;
        }
    }
    if (cs->feeder_job_id > 0) {
        double age = read_job(cs->feeder_job_id, &st->feeder, st, now_ms, &ok);
        if (ok)
            st->metrics[M_FEEDER_LAST_SUCCESS_AGE_SECONDS] = age;
    }
}

const struct collector_ops jobs_collector = {
    .name = "jobs",
    .wants = jobs_wants,
    .state_new = jobs_state_new,
    .state_free = jobs_state_free,
    .collect = jobs_collect,
};
