/* kafkalag: the pure part of measuring a Kafka source's lag at the brokers. It parses Spark's
 * Kafka offsets ({"topic":{"partition":offset}}, as offsets/N and sources/<i>/0 hold them) and a
 * source's description in progress (KafkaV2[Subscribe[a, b]], KafkaV2[SubscribePattern[re]],
 * KafkaV2[Assign[t-0, t-1]]; KafkaSource[...] before Spark 3), and does the arithmetic of one
 * partition. No I/O. */
#ifndef STREAMTOP_KAFKALAG_H
#define STREAMTOP_KAFKALAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/snapshot.h"
#include "core/strvec.h"

/* Spark's special offsets in an initial-offset file (KafkaOffsetRangeLimit). */
#define KAFKALAG_LATEST   (-1)
#define KAFKALAG_EARLIEST (-2)

struct kafka_pos {
    char *topic; /* (owned) */
    int partition;
    int64_t offset;
};

struct kafka_positions {
    struct kafka_pos *v; /* sorted by topic, then partition */
    size_t n;
};

/* Parse Kafka offset JSON into out (sorted). Fails (ST_EFORMAT) when it is not an object of
 * topic objects of partition numbers (a partition name that is not a number 0..2^31-1, an
 * offset that is not a whole number in int64). On success free with kafkalag_positions_done;
 * out is empty after a failure. */
int kafkalag_parse_offsets(const char *json, size_t len, struct kafka_positions *out,
                           struct st_err *err);
void kafkalag_positions_done(struct kafka_positions *p);
/* The offset of topic/partition in p, or -3 when p does not have it. */
int64_t kafkalag_find(const struct kafka_positions *p, const char *topic, int partition);

enum kafka_sub_kind { KSUB_NONE, KSUB_SUBSCRIBE, KSUB_PATTERN, KSUB_ASSIGN };

struct kafka_sub {
    enum kafka_sub_kind kind;
    struct strvec topics; /* Subscribe: the topics; Assign: the topics of its partitions */
    char *pattern;        /* (owned) SubscribePattern: the Java regex as written */
};

/* Parse a source description from progress. 0 with out filled when it is a Kafka source's
 * (kind KSUB_NONE when its strategy is not recognised); -1 when the text is not a Kafka
 * source's description. Free with kafkalag_sub_done (also after -1). */
int kafkalag_parse_desc(const char *desc, size_t len, struct kafka_sub *out);
void kafkalag_sub_done(struct kafka_sub *s);

/* Fill a partition's derived figures from its offsets (position, planned, log_start, end;
 * NaN where unknown): lag = end - max(position, log_start) (a new partition: its whole
 * retained range), planned_lag the same from planned, lost = log_start - position when
 * positive. A position past the end (a topic deleted and made again) is not lag: 0. */
void kafkalag_compute(struct snap_kpart *p);

/* What one Kafka source of a stream's checkpoint (and progress) says. */
struct kafkalag_source {
    int index;
    struct kafka_positions planned;  /* end offsets of the newest planned batch */
    struct kafka_positions position; /* where the query resumes: the newest committed batch's
                                      * end offsets, or the initial offsets before any commit */
    bool have_position;
    struct kafka_sub sub; /* what progress says it subscribes to */
};

void kafkalag_source_done(struct kafkalag_source *k);
/* The Kafka sources of a collected stream (sources of kind kafka, or described as Kafka in
 * progress), with their positions; offsets that do not parse are warnings on out. *res is
 * heap (free each with kafkalag_source_done, then the array). Returns how many. */
size_t kafkalag_gather(struct snap_stream *out, struct kafkalag_source **res);
/* Add the partitions the checkpoint knows of one source to out->kafka (planned set). */
void kafkalag_add_known(struct snap_stream *out, const struct kafkalag_source *k);
/* Set each partition's position from its source. */
void kafkalag_set_positions(struct snap_stream *out, const struct kafkalag_source *ks, size_t nks);
/* The stream's figures from its partitions (each kafkalag_compute'd, oldest_ms filled):
 * backlog_records (sum of lag), backlog_age_seconds (the oldest waiting record's age; 0 when
 * nothing waits), kafka_lost_records, all of origin broker; kafka.planned_lag. A figure with a
 * partition unknown is left as it was. */
void kafkalag_totals(struct snap_stream *out, int64_t now_ms);

#endif
