#include "collectors/collector.h"

#include <math.h>
#include <stddef.h>

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
