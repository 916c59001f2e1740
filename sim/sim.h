/* sim: a simulated ingestion pipeline written in Spark 4.0's exact on-disk formats (local file
 * system: every file Spark or Delta writes has its Hadoop .crc sidecar): checkpoints with
 * retention, landing files in dt=/hr= folders with a file-source log and its .compact files,
 * Kafka and Delta sources, a stateful rate query, Delta sinks, progress JSON lines, a dead-letter
 * prefix and an Auto Loader _schemas folder, plus a streamtop.ini that watches it all. Used by
 * `simulate`, `demo`, the tests and bench/. */
#ifndef STREAMTOP_SIM_H
#define STREAMTOP_SIM_H

#include <stdint.h>

#include "core/err.h"

enum sim_scenario {
    SIM_HEALTHY,  /* keeps up: each batch takes everything that arrived */
    SIM_GROWING,  /* arrivals outpace maxFilesPerTrigger: the backlog grows */
    SIM_STALLED,  /* the last batch was planned long ago and never committed */
    SIM_EVOLVING, /* healthy, but its schema evolves and its dead-letter prefix grows */
    SIM__COUNT
};

/* What a stream reads and writes; each kind is the shape of one of the live suite's queries. */
enum sim_kind {
    SIM_KIND_FILES, /* JSON files in dt=/hr= folders, file source, Delta sink (the default) */
    SIM_KIND_KAFKA, /* a topic of 3 partitions, Kafka source, foreachBatch */
    SIM_KIND_DELTA, /* a Delta table another writer appends to, read as a source; foreachBatch */
    SIM_KIND_RATE,  /* rate source, 2 s watermark, windowed count (state on disk), Delta sink */
    SIM_KIND_MIXED, /* stream i is of kind i % 4 */
    /* Feeders and the layouts around them (simfeed.c): */
    SIM_KIND_FEEDER,     /* landing zones only: fed every minute, fed hourly, a feeder stopped */
    SIM_KIND_STAGING,    /* files, each feeder killed between copying into _staging/ and moving */
    SIM_KIND_AUTOLOADER, /* an Auto Loader checkpoint (seqNum) with files newer than its batch */
    SIM_KIND_FIREHOSE,   /* files in Firehose's YYYY/MM/DD/HH/ keys, processing-failed/ records */
    SIM_KIND__COUNT
};

struct sim_opts {
    const char *dir;     /* created if missing */
    int streams;         /* default 4 */
    int batches;         /* history per stream, default 120 */
    int files_per_batch; /* default 3 */
    int64_t trigger_ms;  /* batch cadence, default 10 s */
    uint64_t seed;       /* names and uuids are reproducible for a seed */
    enum sim_kind kind;  /* default SIM_KIND_FILES */
};

struct sim;

/* Write the history (ending at the clock's now) and streamtop.ini into opts->dir. Returns NULL
 * with err naming the path that could not be written. */
struct sim *sim_create(const struct sim_opts *opts, struct st_err *err);
/* Advance every stream to the clock's current time (live mode). 0 or -1. */
int sim_advance(struct sim *sim, struct st_err *err);
/* NULL is a no-op. Leaves the files in place. */
void sim_free(struct sim *sim);
/* The scenario name of stream i (for messages). */
const char *sim_scenario_name(enum sim_scenario s);
/* "files", "kafka", "delta", "rate", "mixed", "feeder", "staging", "autoloader", "firehose";
 * sim_kind_parse is its inverse (-1: unknown). */
const char *sim_kind_name(enum sim_kind k);
int sim_kind_parse(const char *name);

#endif
