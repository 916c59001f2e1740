/* kafka: the only librdkafka user. A read-only client of a Kafka cluster: cluster metadata, the
 * log start and end offsets of partitions (ListOffsets, one request per leader broker for all
 * the partitions asked), and the timestamp of the record at an offset. It never joins a consumer
 * group (no group.id), never commits and never produces. Every call returns by its deadline
 * (core/clock.h monotonic milliseconds), whatever the brokers do. No librdkafka type leaks. */
#ifndef STREAMTOP_NET_KAFKA_H
#define STREAMTOP_NET_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct kafka_conn;

/* A client of the cluster at bootstrap ("host:port,..."); props are librdkafka properties
 * (names[i] = values[i]) set after streamtop's own, so they may replace them (but never
 * group.id, which is refused). Connects lazily. NULL with err when a property is refused. */
struct kafka_conn *kafka_conn_new(const char *bootstrap, const char *const *names,
                                  const char *const *values, size_t n, struct st_err *err);
/* Close it without waiting on the brokers; NULL is a no-op. */
void kafka_conn_free(struct kafka_conn *c);

struct kafka_topic_meta {
    char *name;          /* (owned) */
    int32_t *partitions; /* (owned) partition ids, ascending */
    size_t npartitions;
    char *error; /* (owned) the broker's error for the topic (not authorised, ...), or NULL */
};

struct kafka_meta {
    struct kafka_topic_meta *v; /* sorted by name */
    size_t n;
};

/* Every topic of the cluster (one Metadata request). -1 with err naming the bootstrap servers
 * and the cause (the last connection or authentication error seen) when no broker answered by
 * the deadline. Free out with kafka_meta_done. */
int kafka_metadata(struct kafka_conn *c, int64_t deadline_ms, struct kafka_meta *out,
                   struct st_err *err);
void kafka_meta_done(struct kafka_meta *m);
/* The topic named name in m (borrowed), or NULL. */
const struct kafka_topic_meta *kafka_meta_find(const struct kafka_meta *m, const char *name);

struct kafka_tp {
    const char *topic; /* (borrowed) */
    int32_t partition;
    int64_t low, high; /* out: log start and end offsets, -1 unknown */
    int64_t fetch_at;  /* in (kafka_first_records): the offset to read, -1 to skip */
    int64_t ts_ms;     /* out: timestamp of the first record at or after fetch_at, -1 none */
    char error[160];   /* out: why this partition's figures are missing, or "" */
};

/* The log start and end offsets of the partitions: ListOffsets for the earliest, then for the
 * latest, each one request per leader broker. 0 when the cluster answered (a partition may
 * still carry its own error), -1 with err when it did not by the deadline. */
int kafka_offsets(struct kafka_conn *c, struct kafka_tp *tps, size_t n, int64_t deadline_ms,
                  struct st_err *err);
/* For each partition with fetch_at >= 0: fetch from there (a small fetch, without a group) and
 * take the first record's timestamp. What has not arrived by the deadline stays -1. Returns
 * how many partitions got a timestamp. */
size_t kafka_first_records(struct kafka_conn *c, struct kafka_tp *tps, size_t n,
                           int64_t deadline_ms);
/* The bootstrap servers this client was made with (borrowed). */
const char *kafka_conn_bootstrap(const struct kafka_conn *c);

#endif
