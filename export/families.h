/* families: every Prometheus family streamtop exposes beyond the registry's per-stream metrics
 * (core/metrics.h), in one table: the status and identity families, the Unix times behind the
 * ages, source positions, Kafka partitions, and the daemon's own. The Prometheus exporter
 * renders from it; `streamtop metrics` lists it with the registry, and the Grafana dashboard
 * and the contrib alerting rules are checked against that list. */
#ifndef STREAMTOP_FAMILIES_H
#define STREAMTOP_FAMILIES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/metrics.h"

enum prom_family_id {
    PF_BUILD_INFO,
    PF_EXPORT_TIMESTAMP,
    PF_STREAM_INFO,
    PF_STREAM_STATUS,
    PF_LAST_COMMIT_TIMESTAMP,
    PF_LAST_BATCH_START_TIMESTAMP,
    PF_WATERMARK_TIMESTAMP,
    PF_BACKLOG_OLDEST_TIMESTAMP,
    PF_SCHEMA_CHANGE_TIMESTAMP,
    PF_DEADLETTER_NEWEST_TIMESTAMP,
    PF_SINK_COMMIT_TIMESTAMP,
    PF_LANDING_NEWEST_TIMESTAMP,
    PF_SOURCE_POSITION,
    PF_KAFKA_PARTITION_LAG,
    PF_KAFKA_PARTITION_PLANNED_LAG,
    PF_KAFKA_PARTITION_END_OFFSET,
    PF_KAFKA_PARTITION_POSITION,
    PF_KAFKA_PARTITION_LOST_RECORDS,
    PF_KAFKA_PARTITION_OLDEST_TIMESTAMP,
    PF_KAFKA_PARTITION_SERIES_OMITTED,
    PF_PASS_DURATION,
    PF_PASS_ERRORS,
    PF_LAST_PASS_TIMESTAMP,
    PF__N
};

struct prom_family {
    const char *name; /* after "streamtop_" */
    const char *type; /* "gauge" or "counter" */
    enum metric_unit unit;
    enum metric_group group;
    const char *labels; /* its labels ("stream" also stands for the configured ones), or "" */
    const char *help;   /* one line, for # HELP */
    bool serve_only;    /* only `streamtop serve` exposes it, not `export -f prom` */
};

/* The table, indexed by enum prom_family_id. */
extern const struct prom_family prom_families[PF__N];

/* The short key of a group ("backlog", "deadletter"), for listings; static. */
const char *prom_group_key(enum metric_group group);

/* Append the Grafana dashboard (JSON) generated from the registry and this table: a data
 * source and a stream variable, a row of panels per metric group, the daemon's own panels. The
 * same registry always gives the same bytes. */
void prom_grafana_dashboard(struct buf *out);

/* Append "# HELP streamtop_NAME HELP\n# TYPE streamtop_NAME TYPE\n" for a family. */
void prom_family_header(struct buf *out, const char *name, const char *type, const char *help);

#endif
