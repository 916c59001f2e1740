#include "tui/worker.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "pass/pass.h"

#define POLL_MS 200
/* the sparklines have one point a minute: history is read again once a minute */
#define HISTORY_MS 60000

struct worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const struct tui_opts *o;
    struct tui_frame fresh; /* handed over, not yet taken (fresh.snap NULL when none) */
    struct worker_news news;
    bool quit, refresh_now, paused, finished;
    int window;  /* sparkline window (the screen sets it) */
    bool detail; /* a detail is open: read its sparklines and schema versions too */
};

static struct worker *g_worker; /* for the log sink: one dashboard per process */

static void log_to_status(enum log_level level, const char *line)
{
    (void)level;
    if (!g_worker)
        return;
    pthread_mutex_lock(&g_worker->mu);
    snprintf(g_worker->news.message, sizeof g_worker->news.message, "%s", line);
    pthread_mutex_unlock(&g_worker->mu);
}

static void timed_wait(struct worker *w)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += POLL_MS * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&w->cv, &w->mu, &ts);
}

static struct tui_spark *sparks(struct pass *p, const struct snapshot *snap, int window,
                                bool detail_too)
{
    struct tui_spark *sp = xcalloc(snap->nstreams + 1, sizeof *sp);
    int64_t span = tui_spark_windows_ms[window];
    int64_t since = snap->generated_ms - span;
    for (size_t i = 0; i < snap->nstreams; i++) {
        for (int mk = 0; mk < SPARK_METRICS; mk++) {
            for (int k = 0; k < SPARK_POINTS; k++)
                sp[i].v[mk][k] = NAN;
            if (mk > 0 && !detail_too)
                continue;
            struct sample *s = NULL;
            size_t n = 0;
            if (pass_series(p, snap->streams[i].name, metric_defs[tui_spark_metrics[mk]].name,
                            since, &s, &n) < 0) {
                free(s);
                continue;
            }
            for (size_t j = 0; j < n; j++) {
                int64_t slot = (s[j].ts_ms - since) * SPARK_POINTS / span;
                if (slot >= 0 && slot < SPARK_POINTS)
                    sp[i].v[mk][slot] = s[j].value;
            }
            free(s);
        }
    }
    return sp;
}

/* What the frames show of the past, read once a minute (or when the view changes) and copied
 * into every frame. */
struct history {
    struct tui_spark *spark; /* (owned) */
    struct strvec *schemas;  /* (owned) */
    size_t n;                /* streams they were read for */
    int64_t read_ms;         /* monotonic */
    int window;
    bool detail;
};

static void history_done(struct history *h)
{
    free(h->spark);
    for (size_t i = 0; h->schemas && i < h->n; i++)
        strvec_done(&h->schemas[i]);
    free(h->schemas);
    *h = (struct history){.window = -1};
}

static void history_read(struct history *h, struct pass *p, const struct snapshot *snap, int window,
                         bool detail)
{
    if (h->spark && h->n == snap->nstreams && h->window == window && h->detail == detail &&
        clock_mono_ms() - h->read_ms < HISTORY_MS)
        return;
    history_done(h);
    h->spark = sparks(p, snap, window, detail);
    h->schemas = xcalloc(snap->nstreams + 1, sizeof *h->schemas);
    for (size_t i = 0; i < snap->nstreams; i++) {
        strvec_init(&h->schemas[i]);
        if (detail)
            pass_schema_versions(p, snap->streams[i].name, &h->schemas[i]);
    }
    h->n = snap->nstreams;
    h->window = window;
    h->detail = detail;
    h->read_ms = clock_mono_ms();
}

/* One frame: the snapshot (taken) and copies of the history. */
static struct tui_frame frame_of(struct pass *p, struct snapshot *snap, const struct history *h)
{
    struct tui_frame f = {.snap = snap, .nschemas = h->n};
    f.spark = xmalloc((h->n + 1) * sizeof *f.spark);
    memcpy(f.spark, h->spark, (h->n + 1) * sizeof *f.spark);
    f.schemas = xcalloc(h->n + 1, sizeof *f.schemas);
    for (size_t i = 0; i < h->n; i++) {
        strvec_init(&f.schemas[i]);
        strvec_copy(&f.schemas[i], &h->schemas[i]);
    }
    pass_notes(p, NULL, 500, &f.notes, &f.nnotes);
    return f;
}

static void *run(void *arg)
{
    struct worker *w = arg;
    const struct tui_opts *o = w->o;
    struct st_err err;
    struct pass *p = o->remote ? pass_new_remote(o->remote) : pass_new(o->cfg, false, &err);
    pthread_mutex_lock(&w->mu);
    snprintf(w->news.db_note, sizeof w->news.db_note, "%s", pass_db_problem(p));
    pthread_mutex_unlock(&w->mu);
    unsigned flags = PASS_EVALUATE | (o->alerts ? PASS_NOTIFY : 0);
    struct history h = {.window = -1};
    int64_t next = 0;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->quit && !w->refresh_now && (w->paused || clock_mono_ms() < next))
            timed_wait(w);
        if (w->quit) {
            pthread_mutex_unlock(&w->mu);
            break;
        }
        w->refresh_now = false;
        w->news.collecting = true;
        pthread_mutex_unlock(&w->mu);

        if (o->before_pass)
            o->before_pass(o->before_ctx);
        struct snapshot *snap;
        struct pass_report rep;
        if (pass_run(p, flags, &snap, &rep, &err) < 0)
            log_warn("alerts: %s", err.msg);
        for (size_t i = 0; i < rep.problems.n; i++)
            log_warn("%s", rep.problems.v[i]);
        pass_report_done(&rep);
        if (rep.stopped) { /* quitting: a cut-short pass is neither evaluated nor shown */
            snapshot_free(snap);
            break;
        }
        pthread_mutex_lock(&w->mu);
        int window = w->window;
        bool detail = w->detail;
        pthread_mutex_unlock(&w->mu);
        history_read(&h, p, snap, window, detail);
        struct tui_frame f = frame_of(p, snap, &h);

        pthread_mutex_lock(&w->mu);
        tui_frame_done(&w->fresh);
        w->fresh = f;
        w->news.collecting = false;
        next = clock_mono_ms() + o->cfg->refresh_ms;
        pthread_mutex_unlock(&w->mu);
    }
    history_done(&h);
    pass_free(p);
    pthread_mutex_lock(&w->mu);
    w->finished = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct worker *worker_start(const struct tui_opts *o)
{
    struct worker *w = xcalloc(1, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->o = o;
    g_worker = w;
    log_set_sink(log_to_status);
    pthread_create(&w->thread, NULL, run, w);
    return w;
}

bool worker_take(struct worker *w, struct tui_frame *f, struct worker_news *news)
{
    pthread_mutex_lock(&w->mu);
    bool fresh = w->fresh.snap != NULL;
    if (fresh) {
        tui_frame_done(f);
        *f = w->fresh;
        w->fresh = (struct tui_frame){0};
    }
    *news = w->news;
    w->news.message[0] = '\0';
    pthread_mutex_unlock(&w->mu);
    return fresh;
}

static void poke(struct worker *w)
{
    w->refresh_now = true;
    pthread_cond_signal(&w->cv);
}

void worker_refresh(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    poke(w);
    pthread_mutex_unlock(&w->mu);
}

void worker_pause(struct worker *w, bool paused)
{
    pthread_mutex_lock(&w->mu);
    w->paused = paused;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void worker_show(struct worker *w, int window, bool detail)
{
    pthread_mutex_lock(&w->mu);
    if (w->window != window || w->detail != detail) {
        w->window = window;
        w->detail = detail;
        poke(w);
    }
    pthread_mutex_unlock(&w->mu);
}

int worker_stop(struct worker *w, int wait_ms)
{
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    pthread_cond_signal(&w->cv);
    /* a stop ends any request within 100 ms; anything else the worker may be stuck in (a hung
     * local mount) gets a bounded wait */
    int64_t give_up = clock_mono_ms() + wait_ms;
    while (!w->finished && clock_mono_ms() < give_up)
        timed_wait(w);
    bool finished = w->finished;
    pthread_mutex_unlock(&w->mu);
    log_set_sink(NULL);
    g_worker = NULL;
    if (!finished) {
        /* the thread still uses w and the config: both are left to the process exit */
        pthread_detach(w->thread);
        return -1;
    }
    pthread_join(w->thread, NULL);
    tui_frame_done(&w->fresh);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    return 0;
}
