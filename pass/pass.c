#include "pass/pass.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "pass/collect.h"
#include "pass/deliver.h"
#include "pass/evaluate.h"
#include "pass/remote.h"
#include "net/redact.h"
#include "store/store.h"

struct pass {
    const struct config *cfg; /* (borrowed) */
    struct store *store;      /* (owned) or NULL: no history */
    struct collect *collect;  /* (owned) the collectors' state between passes */
    char db_problem[800];     /* why there is no store, or "" */
    struct remote *remote;    /* (owned) attached to a daemon: none of the above */
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

int pass_remote_check(const struct pass_remote *r, struct st_err *err)
{
    char shown[512];
    if (!r->url || !redact_is_http(r->url))
        return st_err_set(err, ST_EFORMAT, "--remote takes an http:// or https:// URL");
    if (redact_url(r->url, true, shown, sizeof shown) < 0)
        return st_err_set(err, ST_EFORMAT, "--remote: %s", REDACT_UNPARSABLE);
    if (strpbrk(r->url, "?#"))
        return st_err_set(err, ST_EFORMAT,
                          "%s: --remote takes the daemon's address, without a "
                          "query or fragment",
                          shown);
    if (!r->read_snapshot)
        return st_err_set(err, ST_EFAIL, "no reader of the snapshot document");
    return 0;
}

int pass_remote_auth_file(const char *path, char **user, char **password, struct st_err *err)
{
    *user = *password = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return st_err_set(err, ST_EIO, "%s: %s", path, strerror(errno));
    char line[1024];
    bool got = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    size_t len = got ? strcspn(line, "\r\n") : 0;
    line[len] = '\0';
    char *colon = strchr(line, ':');
    int rc = 0;
    if (!got || len + 1 >= sizeof line)
        rc = st_err_set(err, ST_EFORMAT,
                        "%s: line 1: expected user:password (one line, under "
                        "1 KiB)",
                        path);
    else if (!colon || colon == line)
        rc = st_err_set(err, ST_EFORMAT, "%s: line 1: expected user:password", path);
    if (rc == 0) {
        *colon = '\0';
        *user = xstrdup(line);
        *password = xstrdup(colon + 1);
    }
    memset(line, 0, sizeof line);
    return rc;
}

struct pass *pass_new_remote(const struct pass_remote *r)
{
    struct pass *p = xcalloc(1, sizeof *p);
    p->remote = remote_new(r);
    return p;
}

void pass_free(struct pass *p)
{
    if (!p)
        return;
    if (p->remote) {
        remote_free(p->remote);
        free(p);
        return;
    }
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
    if (p->remote) {
        *rep = (struct pass_report){0};
        strvec_init(&rep->problems);
        remote_run(p->remote, out, rep);
        return 0;
    }
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
    if (p->remote)
        return remote_series(p->remote, stream, metric, since_ms, out, n);
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
    if (p->remote)
        remote_schema_versions(p->remote, stream, lines);
    else if (p->store)
        store_schema_history(p->store, stream, lines, &err);
}

void pass_notes(struct pass *p, const char *stream, size_t max, struct notification **out,
                size_t *n)
{
    struct st_err err;
    *out = NULL;
    *n = 0;
    if (p->remote)
        remote_notes(p->remote, stream, max, out, n);
    else if (p->store)
        store_notifications(p->store, stream, max, out, n, &err); /* none on failure */
}
