#include "pass/collect.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/rules.h"
#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/structtype.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/log.h"
#include "core/stop.h"
#include "core/trend.h"
#include "core/xalloc.h"
#include "net/redact.h"
#include "store/store.h"

/* How often history is rolled up and pruned when the last run finished its work. */
#define COLLECT_MAINTAIN_EVERY_MS 60000

struct collect {
    const struct config *cfg; /* (borrowed) */
    struct store *store;      /* (borrowed) or NULL */
    void **state;             /* [stream][collector] */
    uint64_t *saved;          /* [stream][collector] hash of the cursor as read or last
                               * written (a small one), 0 when none is known */
    size_t ncollectors;
    char last_error[768];          /* the state DB error last reported, to report each once */
    int64_t maintain_next_mono_ms; /* when history maintenance is due again */
    bool maintain_more;            /* the last maintenance left work for later */
    bool loaded;                   /* a pass ran: the cursors were loaded */
};

struct collect *collect_new(const struct config *cfg, struct store *store)
{
    struct collect *t = xcalloc(1, sizeof *t);
    t->cfg = cfg;
    t->store = store;
    while (collector_table[t->ncollectors])
        t->ncollectors++;
    t->state = xcalloc(cfg->nstreams * t->ncollectors + 1, sizeof *t->state);
    t->saved = xcalloc(cfg->nstreams * t->ncollectors + 1, sizeof *t->saved);
    return t;
}

void collect_free(struct collect *t)
{
    if (!t)
        return;
    for (size_t s = 0; s < t->cfg->nstreams; s++)
        for (size_t c = 0; c < t->ncollectors; c++)
            collector_table[c]->state_free(t->state[s * t->ncollectors + c]);
    free(t->state);
    free(t->saved);
    free(t);
}

/* Report a state DB problem once per change (collectd's "complain once"). */
static void store_trouble(struct collect *t, const struct st_err *err)
{
    if (strcmp(t->last_error, err->msg) == 0)
        return;
    snprintf(t->last_error, sizeof t->last_error, "%s", err->msg);
    log_warn("history not recorded: %s", err->msg);
}

struct take_ctx {
    const struct collector_ops *ops;
    void *state;
    uint64_t h;
    int rc;
};

static int take_hashing(void *p, const unsigned char *src, size_t len, size_t total)
{
    struct take_ctx *c = p;
    /* a cursor that comes whole (at most STORE_CHUNK bytes: the only ones compared before a
     * write) is hashed; a larger one is always written, its hash is 0 (none known) */
    c->h = len == total ? hash64(src, len) : 0;
    c->rc = c->ops->cursor_take(c->state, src, len, total);
    return c->rc;
}

static void *new_state(struct collect *t, const struct collector_ops *ops, const char *stream,
                       uint64_t *saved)
{
    void *state = ops->state_new();
    *saved = 0;
    if (!t->store || !ops->cursor_take)
        return state;
    struct st_err err;
    struct take_ctx c = {ops, state, 0, -1};
    if (store_cursor_read(t->store, stream, ops->name, take_hashing, &c, &err) < 0 &&
        err.code != ST_ENOENT) {
        store_trouble(t, &err);
        ops->state_free(state);
        state = ops->state_new();
    } else if (c.rc == 0) {
        *saved = c.h; /* taken whole: the same bytes need not be written back */
    }
    return state;
}

/* The first pass's load of every cursor (store_cursor_read_all): the state of each slot whose
 * stream and collector want one, made as new_state makes it. */
struct preload {
    struct collect *t;
    struct hashset by_name; /* hash of a stream's name -> its index (names that share a hash
                             * with an earlier one are left to new_state) */
    struct take_ctx *takes; /* [stream][collector]: ops set once its cursor was handed over */
};

static void preload_pick(void *ctx, const char *stream, const char *collector, store_take_fn *take,
                         void **tctx)
{
    struct preload *pl = ctx;
    struct collect *t = pl->t;
    int64_t s;
    if (!hashset_get(&pl->by_name, hash64(stream, strlen(stream)), &s) ||
        strcmp(t->cfg->streams[s].name, stream) != 0)
        return;
    for (size_t c = 0; c < t->ncollectors; c++) {
        const struct collector_ops *ops = collector_table[c];
        size_t i = (size_t)s * t->ncollectors + c;
        if (strcmp(ops->name, collector) != 0)
            continue;
        if (t->state[i] || !ops->cursor_take || !ops->wants(&t->cfg->streams[s]))
            return;
        t->state[i] = ops->state_new();
        pl->takes[i] = (struct take_ctx){ops, t->state[i], 0, -1};
        *take = take_hashing;
        *tctx = &pl->takes[i];
        return;
    }
}

/* Load every cursor at once, in the read transaction of the first pass. The slots it settles
 * (found[i]: a cursor, or none in the DB) need no new_state read. False when the load failed:
 * the slots without a state then read theirs one by one, as before. */
static bool preload(struct collect *t, bool *found)
{
    size_t n = t->cfg->nstreams * t->ncollectors;
    struct preload pl = {.t = t, .takes = xcalloc(n + 1, sizeof *pl.takes)};
    hashset_init(&pl.by_name);
    for (size_t s = 0; s < t->cfg->nstreams; s++) {
        const char *name = t->cfg->streams[s].name;
        uint64_t h = hash64(name, strlen(name));
        if (!hashset_get(&pl.by_name, h, NULL))
            hashset_put(&pl.by_name, h, (int64_t)s);
    }
    struct st_err err;
    bool ok = store_cursor_read_all(t->store, preload_pick, &pl, &err) == 0;
    if (!ok)
        store_trouble(t, &err);
    for (size_t i = 0; i < n; i++) {
        if (!pl.takes[i].ops)
            continue;
        found[i] = true;
        if (pl.takes[i].rc == 0)
            t->saved[i] = pl.takes[i].h; /* taken whole, as in new_state */
    }
    /* a stream whose name shares a hash with another's keeps its own reads */
    for (size_t s = 0; ok && s < t->cfg->nstreams; s++) {
        const char *name = t->cfg->streams[s].name;
        int64_t at;
        if (hashset_get(&pl.by_name, hash64(name, strlen(name)), &at) && (size_t)at == s)
            for (size_t c = 0; c < t->ncollectors; c++)
                found[s * t->ncollectors + c] = true;
    }
    hashset_done(&pl.by_name);
    free(pl.takes);
    return ok;
}

static void drain_eta(struct collect *t, struct snap_stream *st, int64_t now_ms)
{
    int m = snap_stream_primary_backlog(st);
    if (m < 0)
        return;
    /* while the newest batch moves no input (a state repartition or another control batch) the
     * backlog stands still for a reason that is not the drain rate: no estimate */
    if (st->nbatches && st->batches[st->nbatches - 1].kind != BATCH_DATA)
        return;
    struct sample now = {now_ms, st->metrics[m]};
    double eta = trend_drain_eta(&now, 1);
    /* an unknown backlog has no estimate and an empty one is drained, whatever came before:
     * the history is read only for a backlog that is there */
    if (!isnan(now.value) && now.value > 0) {
        struct sample *s;
        size_t n;
        struct st_err err;
        if (store_series(t->store, st->name, metric_defs[m].name, now_ms - TREND_DRAIN_WINDOW_MS,
                         &s, &n, &err) < 0) {
            store_trouble(t, &err);
            return;
        }
        s = xrealloc(s, (n + 1) * sizeof *s);
        s[n++] = now;
        eta = trend_drain_eta(s, n);
        free(s);
    }
    if (!isnan(eta)) {
        st->metrics[M_DRAIN_ETA_SECONDS] = eta;
        st->origin[M_DRAIN_ETA_SECONDS] = ORIGIN_HISTORY;
    }
}

static int record_schemas(struct collect *t, struct snapshot *snap, struct st_err *err)
{
    for (size_t i = 0; i < snap->nstreams; i++) {
        struct snap_stream *st = &snap->streams[i];
        struct snap_schema *both[] = {&st->schema, &st->sink_schema};
        static const char *const origin[] = {"location", "sink"};
        for (int k = 0; k < 2; k++) {
            struct snap_schema *sc = both[k];
            if (sc->version < 0)
                continue;
            /* A pass that found only this version (a new process reading the log from its
             * newest checksum) names what changed since the version a pass saw before it. */
            if (sc->changes.n == 0 && sc->fields.n) {
                struct strvec before;
                strvec_init(&before);
                int64_t v;
                int rc = store_schema_before(t->store, st->name, origin[k], sc->version, &before,
                                             &v, err);
                if (rc > 0)
                    structtype_diff_lines(&before, &sc->fields, &sc->changes);
                strvec_done(&before);
                if (rc < 0)
                    return -1;
            }
            if (store_schema_seen(t->store, st->name, origin[k], sc->version, sc->appeared_ms,
                                  snap->generated_ms, &sc->fields, &sc->changes, &sc->first_seen_ms,
                                  err) < 0)
                return -1;
        }
    }
    return 0;
}

static void record(struct collect *t, struct snapshot *snap)
{
    struct st_err err;
    if (store_begin(t->store, &err) < 0) {
        store_trouble(t, &err);
        return;
    }
    if (store_record(t->store, snap, &err) < 0 || record_schemas(t, snap, &err) < 0) {
        store_rollback(t->store);
        store_trouble(t, &err);
        return;
    }
    if (store_commit(t->store, &err) < 0)
        store_trouble(t, &err);
}

/* The concurrent collectors of one stream (collector_ops.concurrent), on a thread of its own. */
struct late {
    struct collect *t;
    size_t s;
    struct snap_stream *st;
    int64_t now;
};

static void *late_run(void *p)
{
    struct late *l = p;
    const struct cfg_stream *cs = &l->t->cfg->streams[l->s];
    for (size_t c = 0; c < l->t->ncollectors; c++) {
        const struct collector_ops *ops = collector_table[c];
        void *state = l->t->state[l->s * l->t->ncollectors + c];
        if (ops->concurrent && state && ops->wants(cs))
            ops->collect(cs, state, l->st, l->now);
    }
    return NULL;
}

/* At most this many streams' concurrent collectors at once. */
#define COLLECT_THREADS 16

static void collect_late(struct collect *t, struct snapshot *snap, const bool *late, int64_t now)
{
    struct late jobs[COLLECT_THREADS];
    pthread_t th[COLLECT_THREADS];
    bool started[COLLECT_THREADS];
    size_t s = 0;
    while (s < t->cfg->nstreams) {
        size_t n = 0;
        for (; s < t->cfg->nstreams && n < COLLECT_THREADS; s++) {
            if (!late[s])
                continue;
            jobs[n] = (struct late){t, s, &snap->streams[s], now};
            /* a thread that cannot start runs here */
            started[n] = pthread_create(&th[n], NULL, late_run, &jobs[n]) == 0;
            if (!started[n])
                late_run(&jobs[n]);
            n++;
        }
        for (size_t i = 0; i < n; i++)
            if (started[i])
                pthread_join(th[i], NULL);
    }
}

struct snapshot *collect_run(struct collect *t)
{
    int64_t now = clock_now_ms();
    fs_forget_devices(); /* each pass asks its devices' file systems afresh */
    struct snapshot *snap = snapshot_new(now);
    snap->kafka_max_series = (size_t)t->cfg->kafka_max_series;
    snap->streams = xcalloc(t->cfg->nstreams + 1, sizeof *snap->streams);
    bool *late = xcalloc(t->cfg->nstreams + 1, sizeof *late);
    bool *stopped = xcalloc(t->cfg->nstreams + 1, sizeof *stopped);
    /* the first pass of a process loads every cursor: in one read transaction, not one each */
    struct st_err rerr;
    bool reading = t->store && !t->loaded && store_begin_read(t->store, &rerr) == 0;
    t->loaded = true;
    /* settled[i]: slot i's cursor was loaded already, or the DB holds none for it */
    bool *settled = xcalloc(t->cfg->nstreams * t->ncollectors + 1, sizeof *settled);
    if (reading)
        preload(t, settled);
    for (size_t s = 0; s < t->cfg->nstreams; s++) {
        const struct cfg_stream *cs = &t->cfg->streams[s];
        struct snap_stream *st = snapshot_add_stream(snap, cs->name);
        for (size_t i = 0; i < cs->labels.n; i++)
            snap_stream_add_label(st, cs->labels.v[i].key, cs->labels.v[i].value);
        st->checkpoint = cs->checkpoint ? xstrdup(cs->checkpoint) : NULL;
        st->source = cs->source ? xstrdup(cs->source) : NULL;
        st->schema_path = cs->schema ? xstrdup(cs->schema) : NULL;
        st->sink = cs->sink ? xstrdup(cs->sink) : NULL;
        if (cs->progress && redact_is_http(cs->progress)) {
            /* a progress URL is shown without its user, password, query and fragment */
            char shown[1024];
            redact_url(cs->progress, true, shown, sizeof shown);
            st->progress = xstrdup(shown);
        } else {
            st->progress = cs->progress ? xstrdup(cs->progress) : NULL;
        }
        for (size_t i = 0; i < cs->deadletter.n; i++)
            strvec_push(&st->deadletter_paths, cs->deadletter.v[i]);
        if (stop_requested()) { /* the rest of the pass is not worth waiting for */
            strvec_pushf(&st->errors, "stopped");
            st->status = HEALTH_UNKNOWN;
            stopped[s] = true;
            continue;
        }
        const char *const fixed[] = {cs->checkpoint, cs->source, cs->schema, cs->sink,
                                     cs->progress};
        const char **roots = xmalloc((5 + cs->deadletter.n) * sizeof *roots);
        struct fs_scope scope = {.roots = roots,
                                 .follow_links = cs->follow_links,
                                 .profile = cs->s3_profile,
                                 .dbx_profile = cs->dbx_profile,
                                 .azure_sas_token = cs->azure_sas_token,
                                 .azure_account_key = cs->azure_account_key};
        for (size_t i = 0; i < 5; i++)
            if (fixed[i])
                roots[scope.nroots++] = fixed[i];
        for (size_t i = 0; i < cs->deadletter.n; i++)
            roots[scope.nroots++] = cs->deadletter.v[i];
        fs_use_scope(&scope);
        for (size_t c = 0; c < t->ncollectors; c++) {
            const struct collector_ops *ops = collector_table[c];
            if (!ops->wants(cs))
                continue;
            void **state = &t->state[s * t->ncollectors + c];
            if (!*state && settled[s * t->ncollectors + c])
                *state = ops->state_new(); /* no cursor in the DB */
            else if (!*state)
                *state = new_state(t, ops, cs->name, &t->saved[s * t->ncollectors + c]);
            if (ops->concurrent)
                late[s] = true;
            else
                ops->collect(cs, *state, st, now);
        }
        fs_use_scope(NULL);
        free(roots);
        st->trigger_ms = cs->trigger_ms;
        st->realtime_configured = cs->trigger_mode == TM_REALTIME;
        st->realtime_ms = cs->checkpoint ? rules_realtime_trigger_ms(cs, st) : 0;
    }
    free(settled);
    if (reading && store_commit(t->store, &rerr) < 0)
        store_trouble(t, &rerr);
    if (!stop_requested())
        collect_late(t, snap, late, now);
    free(late);
    for (size_t s = 0; s < snap->nstreams; s++) {
        struct snap_stream *st = &snap->streams[s];
        if (stopped[s])
            continue;
        if (t->store)
            drain_eta(t, st, now);
        snap_stream_sanitize(st);
        if (st->errors.n)
            st->status = HEALTH_UNKNOWN;
    }
    free(stopped);
    if (t->store && !stop_requested())
        record(t, snap); /* a pass cut short by a stop is not history */
    return snap;
}

void collect_maintain(struct collect *t, int64_t now_ms)
{
    /* rollups and pruning go by 5-minute buckets: once a minute is enough, unless the last run
     * ran out of its budget (a long-running dashboard passes every few seconds) */
    if (!t->store || (clock_mono_ms() < t->maintain_next_mono_ms && !t->maintain_more))
        return;
    struct store_maint st;
    struct st_err err;
    if (store_maintain(t->store, now_ms, t->cfg->retention_ms, COLLECT_MAINTAIN_BUDGET_MS, &st,
                       &err) < 0)
        store_trouble(t, &err);
    t->maintain_more = st.more;
    t->maintain_next_mono_ms = clock_mono_ms() + COLLECT_MAINTAIN_EVERY_MS;
}

/* A cursor to write: a small one's bytes (filled already, compared with what the DB holds), or
 * a large one filled straight into the DB. */
struct pending {
    size_t i;
    size_t size;
    unsigned char *small; /* (owned) or NULL */
    uint64_t h;
};

static void fill_small(void *ctx, size_t off, unsigned char *dst, size_t len)
{
    memcpy(dst, (const unsigned char *)ctx + off, len);
}

void collect_save_cursors(struct collect *t)
{
    if (!t->store || store_is_memory(t->store))
        return;
    /* most passes change no cursor, and most cursors a pass calls changed hold the bytes the DB
     * has (a newest file read again to the same values): no write for those, and no write
     * transaction when none is left */
    size_t n = t->cfg->nstreams * t->ncollectors, np = 0;
    struct pending *p = xcalloc(n + 1, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        const struct collector_ops *ops = collector_table[i % t->ncollectors];
        void *state = t->state[i];
        size_t size = state && ops->cursor_size ? ops->cursor_size(state) : 0;
        if (!size)
            continue;
        p[np] = (struct pending){.i = i, .size = size};
        if (size <= STORE_CHUNK) { /* a large one is never copied whole in memory */
            p[np].small = xmalloc(size);
            ops->cursor_fill(state, 0, p[np].small, size);
            p[np].h = hash64(p[np].small, size);
            if (p[np].h == t->saved[i]) {
                free(p[np].small);
                continue;
            }
        }
        np++;
    }
    struct st_err err;
    int rc = 0;
    if (np && store_begin(t->store, &err) < 0) {
        store_trouble(t, &err);
        rc = -1;
    }
    for (size_t k = 0; k < np && rc == 0; k++) {
        size_t i = p[k].i;
        const struct collector_ops *ops = collector_table[i % t->ncollectors];
        const char *stream = t->cfg->streams[i / t->ncollectors].name;
        if (p[k].small)
            rc = store_cursor_write(t->store, stream, ops->name, p[k].size, fill_small, p[k].small,
                                    &err);
        else
            rc = store_cursor_write(t->store, stream, ops->name, p[k].size, ops->cursor_fill,
                                    t->state[i], &err);
        if (rc < 0) {
            store_rollback(t->store);
            store_trouble(t, &err);
        }
    }
    if (np && rc == 0 && store_commit(t->store, &err) < 0) {
        store_trouble(t, &err);
        rc = -1;
    }
    for (size_t k = 0; k < np; k++) {
        /* what the DB holds now; unknown after a failed write (written again next time) */
        t->saved[p[k].i] = rc == 0 && p[k].small ? p[k].h : 0;
        free(p[k].small);
    }
    free(p);
}
