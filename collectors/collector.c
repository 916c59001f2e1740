#include "collectors/collector.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/buf.h"

const struct collector_ops *const collector_table[] = {
    &checkpoint_collector, /* first: the others use the sources it found */
    &landing_collector,    /* before progress: a figure measured on storage wins */
    &deltasource_collector,
    &progress_collector,
    &kafka_collector, /* after progress: a figure measured at the brokers wins */
    &deadletter_collector,
    &schema_collector, /* before deltalog: a schema location wins over the sink's */
    &deltalog_collector,
    &jobs_collector,
    NULL,
};

bool collector_before_first_commit(const struct cfg_stream *cfg, const struct snap_stream *st)
{
    return cfg->checkpoint != NULL && st->query_id != NULL &&
           isnan(st->metrics[M_COMMITTED_BATCH_ID]);
}

void cursor_fill_from(struct buf *save, bool *dirty, size_t off, unsigned char *dst, size_t len)
{
    if (off > save->len || len > save->len - off)
        return;
    memcpy(dst, save->data + off, len);
    if (off + len == save->len) {
        if (dirty)
            *dirty = false;
        buf_done(save);
        buf_init(save);
    }
}

int cursor_gather(struct buf *take, const unsigned char *src, size_t len, size_t total, size_t cap,
                  int (*parse)(void *state, const unsigned char *p, size_t n), void *state)
{
    if (total > cap || take->len > total || len > total - take->len) {
        buf_done(take);
        buf_init(take);
        return -1;
    }
    if (take->len == 0 && len == total) /* whole at once (the usual case): parse it in place */
        return parse(state, src, len);
    buf_append(take, src, len);
    if (take->len < total)
        return 0;
    struct buf got = *take; /* parse may save a cursor of its own state: take is free again */
    buf_init(take);
    int rc = parse(state, (const unsigned char *)got.data, got.len);
    buf_done(&got);
    return rc;
}
