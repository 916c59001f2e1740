/* simint: the simulator's internal types, shared by the state machine (sim.c) and the writers
 * of each source kind's files (simkind.c). Not for use outside sim/. */
#ifndef STREAMTOP_SIMINT_H
#define STREAMTOP_SIMINT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "sim/sim.h"
#include "sim/simdelta.h"
#include "sim/simio.h"

#define SIM_KAFKA_PARTITIONS 3
#define SIM_STATE_PARTITIONS 2 /* spark.sql.shuffle.partitions of a stateful (rate) query */

/* One unit of arrival: a landing file, a run of Kafka records, or a Delta source version. */
struct sim_file {
    char *path; /* (owned) absolute landing path; NULL for records and versions */
    int64_t mtime_ms;
    int64_t size;  /* bytes (files), records (Kafka, Delta versions) */
    int64_t batch; /* -1 while waiting */
};

struct sim_stream {
    char name[32];
    enum sim_scenario sc;
    enum sim_kind kind;
    enum sim_kind asked; /* the kind asked for: staging and firehose run as files */
    char qid[37], runid[37];
    char *ckpt, *landing, *progress, *dlq, *schemas, *table;
    struct sim_file *files;
    size_t nfiles, capfiles, first_pending;
    double arrival_gap_ms;
    int64_t next_arrival_ms;
    int64_t next_batch;
    int64_t next_batch_ms;
    int64_t inflight; /* batch planned but not committed, -1 none */
    int64_t inflight_start_ms;
    int64_t inflight_commit_ms;
    size_t inflight_first, inflight_n;
    int64_t inflight_rows;
    char *start_offset;  /* (owned) end offset JSON of the batch before the one in flight */
    char *end_offset;    /* (owned) end offset JSON of the batch in flight */
    char *latest_offset; /* (owned) latestOffset of the batch in flight (Kafka, rate) */
    int64_t stall_at_ms;
    int schema_version;
    struct sim_delta delta; /* the sink (files, rate) or the source table (delta) */
    bool has_delta;
    /* Kafka: records produced and read per partition */
    int64_t produced[SIM_KAFKA_PARTITIONS], read[SIM_KAFKA_PARTITIONS];
    int64_t latest[SIM_KAFKA_PARTITIONS]; /* produced when the batch in flight was planned */
    /* Delta source: the snapshot version the query started at (-1 before), files of that
     * snapshot read so far, and the first version to read after it */
    int64_t dsrc_start, dsrc_index, dsrc_next;
    /* rate: start time, the offset (seconds) of the last planned batch, the watermark of the
     * batch in flight and the one its commit sets */
    int64_t rate_start_ms, rate_seconds, watermark_ms, next_watermark_ms;
};

struct sim {
    struct sim_opts o;
    char *root;
    struct sim_rng rng;
    struct sim_stream *st;
};

/* The kinds of simfeed.c. sim_feed_create writes the feeder and autoloader kinds whole (their
 * streams and config); sim_feed_extras adds, after a files-kind stream is written, what the
 * staging and firehose kinds leave beside it. Each returns 0, or -1 with err. */
int sim_feed_create(struct sim *sim, int64_t now, struct st_err *err);
int sim_feed_extras(struct sim *sim, struct sim_stream *s, int64_t now, struct st_err *err);
/* The landing folder of a file arriving at t: dt=/hr= folders, or Firehose's YYYY/MM/DD/HH. */
char *sim_feed_dir(const struct sim_stream *s, int64_t t);
/* The name of a landing file: part-00000-<uuid>-c000.json, or Firehose's
 * <stream>-1-YYYY-MM-DD-HH-MM-SS-<uuid>. Caller frees. */
char *sim_feed_name(const struct sim_stream *s, int64_t t, const char *uuid);

/* The Auto Loader / sink schema of the files kind at a version (heap StructType JSON). */
char *sim_schema_json(int version);

/* Per-kind writers (simkind.c). Each returns 0, or -1 with err naming the file. */

/* Called once at setup after the checkpoint folders exist: the source's own files. */
int simkind_init(struct sim *sim, struct sim_stream *s, int64_t start, struct st_err *err);
/* Whatever arrives at t (a landing file, Kafka records, a version of the source table). */
int simkind_arrive(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err);
/* Take what the next batch reads at t: fills s->inflight_first/_n/_rows and s->end_offset.
 * 1: a batch runs; 0: nothing new, no batch. */
int simkind_take(struct sim *sim, struct sim_stream *s, int64_t t);
/* The source's log for batch b (file-source log, nothing for the others). */
int simkind_source_log(struct sim *sim, struct sim_stream *s, int64_t b, int64_t t,
                       struct st_err *err);
/* What a commit writes besides commits/b: state, the Delta sink. */
int simkind_commit(struct sim *sim, struct sim_stream *s, int64_t b, int64_t t, struct st_err *err);
/* The "sources":[...] element and "sink" of the progress line, plus eventTime and
 * stateOperators, appended to b in Spark's key order. */
void simkind_progress(struct sim *sim, const struct sim_stream *s, struct buf *b, double in_rate,
                      double proc_rate, int64_t t_end);
/* Remove what retention lets Spark delete below batch keep. */
void simkind_purge(struct sim_stream *s, int64_t keep);
/* The config keys of the stream's inputs besides checkpoint and progress. */
void simkind_config(const struct sim_stream *s, struct buf *b);

#endif
