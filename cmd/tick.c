#include "cmd/tick.h"

#include <stdlib.h>

#include "collectors/collector.h"
#include "core/clock.h"
#include "core/xalloc.h"

struct tick {
    const struct config *cfg; /* (borrowed) */
    void **state;             /* [stream][collector] */
    size_t ncollectors;
};

struct tick *tick_new(const struct config *cfg)
{
    struct tick *t = xcalloc(1, sizeof *t);
    t->cfg = cfg;
    while (collector_table[t->ncollectors])
        t->ncollectors++;
    t->state = xcalloc(cfg->nstreams * t->ncollectors + 1, sizeof *t->state);
    return t;
}

void tick_free(struct tick *t)
{
    if (!t)
        return;
    for (size_t s = 0; s < t->cfg->nstreams; s++)
        for (size_t c = 0; c < t->ncollectors; c++)
            collector_table[c]->state_free(t->state[s * t->ncollectors + c]);
    free(t->state);
    free(t);
}

struct snapshot *tick_run(struct tick *t)
{
    int64_t now = clock_now_ms();
    struct snapshot *snap = snapshot_new(now);
    snap->streams = xcalloc(t->cfg->nstreams + 1, sizeof *snap->streams);
    for (size_t s = 0; s < t->cfg->nstreams; s++) {
        const struct cfg_stream *cs = &t->cfg->streams[s];
        struct snap_stream *st = snapshot_add_stream(snap, cs->name);
        for (size_t i = 0; i < cs->labels.n; i++)
            snap_stream_add_label(st, cs->labels.v[i].key, cs->labels.v[i].value);
        st->checkpoint = cs->checkpoint ? xstrdup(cs->checkpoint) : NULL;
        st->source = cs->source ? xstrdup(cs->source) : NULL;
        for (size_t c = 0; c < t->ncollectors; c++) {
            const struct collector_ops *ops = collector_table[c];
            if (!ops->wants(cs))
                continue;
            void **state = &t->state[s * t->ncollectors + c];
            if (!*state)
                *state = ops->state_new();
            ops->collect(cs, *state, st, now);
        }
        if (st->errors.n)
            st->status = HEALTH_UNKNOWN;
    }
    return snap;
}
