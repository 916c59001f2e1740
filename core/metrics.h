/* metrics: the one static registry of per-stream metrics. The dashboard, rules, history and every
 * export iterate this table; adding a metric is one enum value plus one row. */
#ifndef STREAMTOP_METRICS_H
#define STREAMTOP_METRICS_H

#include <stddef.h>

enum metric_id {
    M_LAST_BATCH_ID,
    M_COMMITTED_BATCH_ID,
    M_INFLIGHT_SECONDS,
    M_COMMIT_AGE_SECONDS,
    M_BATCH_INTERVAL_SECONDS,
    M_BATCH_DURATION_SECONDS,
    M_INPUT_ROWS_PER_SECOND,
    M_PROCESSED_ROWS_PER_SECOND,
    M_BACKLOG_FILES,
    M_BACKLOG_BYTES,
    M_BACKLOG_RECORDS,
    M_BACKLOG_VERSIONS,
    M_BACKLOG_AGE_SECONDS,
    M_WATERMARK_LAG_SECONDS,
    M_OVERWRITTEN_FILES,
    M_STATE_BYTES,
    M_SCHEMA_VERSION,
    M_SCHEMA_AGE_SECONDS,
    M_DEADLETTER_FILES,
    M_DEADLETTER_BYTES,
    M_DEADLETTER_NEW_FILES,
    M_DEADLETTER_NEWEST_AGE_SECONDS,
    M_SINK_LAG_BATCHES,
    M_SINK_COMMIT_AGE_SECONDS,
    M_DRAIN_ETA_SECONDS,
    M_JOB_RUNNING,
    M_JOB_LAST_SUCCESS_AGE_SECONDS,
    M_FEEDER_LAST_SUCCESS_AGE_SECONDS,
    M_LANDING_NEWEST_AGE_SECONDS,
    M_LANDING_ARRIVALS_PER_MINUTE,
    M_LANDING_ARRIVAL_GAP_SECONDS,
    M_STAGING_STALE_FILES,
    M_DEADLETTER_ARRIVALS_PER_MINUTE,
    M_KAFKA_LOST_RECORDS,
    METRIC_COUNT
};

enum metric_unit { UNIT_NONE, UNIT_SECONDS, UNIT_BYTES, UNIT_COUNT, UNIT_RATE };

/* What a metric is about: `streamtop metrics` lists it, the Grafana dashboard has one row of
 * panels per group, in this order. */
enum metric_group {
    MG_HEALTH, /* the exports' own families: status, info, build */
    MG_BATCHES,
    MG_THROUGHPUT,
    MG_BACKLOG,
    MG_FRESHNESS,
    MG_LANDING,
    MG_DEADLETTER,
    MG_STATE,
    MG_JOBS,
    MG_DAEMON, /* the families of `streamtop serve` about itself */
    MG__N
};

struct metric_def {
    const char *name; /* snake_case, also the Prometheus suffix and the JSON/CSV key */
    enum metric_unit unit;
    const char *help; /* one line, for # HELP, the man page and the detail view */
    enum metric_group group;
};

/* The registry, indexed by enum metric_id. */
extern const struct metric_def metric_defs[METRIC_COUNT];

/* Look a metric up by name; returns its id or -1. */
int metric_find(const char *name);
/* The word of a unit ("seconds", "bytes", "count", "per_second", "none"); static. */
const char *metric_unit_name(enum metric_unit unit);
/* The title of a group ("Backlog"); static. */
const char *metric_group_title(enum metric_group group);

#endif
