#include "pass/pass.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "pass/collect.h"
#include "pass/deliver.h"
#include "pass/evaluate.h"
#include "store/store.h"

struct pass {
    const struct config *cfg; /* (borrowed) */
    struct store *store;      /* (owned) or NULL: no history */
    struct collect *collect;  /* (owned) the collectors' state between passes */
    char db_problem[800];     /* why there is no store, or "" */
};

void pass_report_done(struct pass_report *r)
{
    if (r)
        strvec_done(&r->problems);
}

struct pass *pass_new(const struct config *cfg, bool need_db, struct st_err *err)
{
    struct st_err derr;
    struct store *store = store_open(cfg->database, &derr);
    if (!store && need_db) {
        *err = derr;
        return NULL;
    }
    struct pass *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->store = store;
    if (!store) {
        log_warn("history not recorded: %s", derr.msg);
        snprintf(p->db_problem, sizeof p->db_problem, "%s", derr.msg);
    }
    p->collect = collect_new(cfg, store);
    return p;
}

void pass_free(struct pass *p)
{
    if (!p)
        return;
    if (p->collect)
        collect_save_cursors(p->collect);
    collect_free(p->collect);
    store_close(p->store);
    free(p);
}

static int run(struct pass *p, unsigned flags, struct snapshot **out, struct pass_report *rep,
               struct st_err *err)
{
    *rep = (struct pass_report){0};
    strvec_init(&rep->problems);
    struct snapshot *snap = collect_run(p->collect);
    *out = snap;
    /* the one point where every front end's cursors are saved */
    collect_save_cursors(p->collect);
    if (stop_requested()) {
        /* a cut-short pass would evaluate the streams it did not reach as unknown */
        rep->stopped = true;
        return 0;
    }
    if (!(flags & PASS_EVALUATE) || !p->store)
        return 0;
    bool notify = flags & PASS_NOTIFY;
    bool held;
    if (evaluate_run(p->store, p->cfg, snap, notify, &held, err) < 0)
        return -1;
    rep->evaluated = true;
    if (!notify || held) /* a clock behind the last evaluation sends nothing at all */
        return 0;
    struct deliver_stats ds = {0};
    if (deliver_outbox(p->store, p->cfg, &ds, &rep->problems, err) < 0)
        return -1;
    rep->delivered = ds.delivered;
    rep->stopped = stop_requested(); /* during delivery: what was not sent stays queued */
    struct st_err cerr;
    if (store_outbox_count(p->store, &rep->pending, &cerr) < 0)
        rep->pending = 0;
    return 0;
}

struct pass *pass_open_reader(const struct config *cfg, struct st_err *err)
{
    struct store *store = store_open(cfg->database, err);
    if (!store)
        return NULL;
    struct pass *p = xcalloc(1, sizeof *p);
    p->cfg = cfg;
    p->store = store;
    return p;
}

int pass_run(struct pass *p, unsigned flags, struct snapshot **out, struct pass_report *rep,
             struct st_err *err)
{
    int rc = run(p, flags, out, rep, err);
    /* after the pass, never inside its transactions: rollups and pruning */
    if (!stop_requested())
        collect_maintain(p->collect, (*out)->generated_ms);
    return rc;
}

const char *pass_db_problem(const struct pass *p)
{
    return p->db_problem;
}

int pass_series(struct pass *p, const char *stream, const char *metric, int64_t since_ms,
                struct sample **out, size_t *n)
{
    struct st_err err;
    *out = NULL;
    *n = 0;
    if (!p->store)
        return -1;
    return store_series(p->store, stream, metric, since_ms, out, n, &err);
}

int pass_points(struct pass *p, const char *stream, const char *metric, int64_t since_ms,
                struct trend_point **out, size_t *n)
{
    struct st_err err;
    struct store_point *sp;
    *out = NULL;
    *n = 0;
    if (!p->store || store_points(p->store, stream, metric, since_ms, &sp, n, &err) < 0)
        return -1;
    *out = xcalloc(*n ? *n : 1, sizeof **out);
    for (size_t i = 0; i < *n; i++)
        (*out)[i] =
            (struct trend_point){sp[i].ts_ms, sp[i].step_ms, sp[i].last, sp[i].min, sp[i].max};
    free(sp);
    return 0;
}

int pass_metric_names(struct pass *p, const char *stream, int64_t since_ms, struct strvec *out,
                      bool *known)
{
    struct st_err err;
    *known = false;
    if (!p->store)
        return -1;
    return store_metric_names(p->store, stream, since_ms, out, known, &err);
}

void pass_schema_versions(struct pass *p, const char *stream, struct strvec *lines)
{
    struct st_err err;
    if (p->store)
        store_schema_history(p->store, stream, lines, &err);
}

void pass_notes(struct pass *p, const char *stream, size_t max, struct notification **out,
                size_t *n)
{
    struct st_err err;
    *out = NULL;
    *n = 0;
    if (p->store)
        store_notifications(p->store, stream, max, out, n, &err); /* none on failure */
}
