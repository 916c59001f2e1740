/* sim: a simulated ingestion pipeline written in Spark's exact on-disk formats: checkpoints
 * with retention, landing files in dt=/hr= folders, a file-source log with .compact files,
 * progress JSON lines, a dead-letter prefix and an Auto Loader _schemas folder, plus a
 * streamtop.ini that watches it all. Used by `simulate`, `demo`, the tests and bench/. */
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

struct sim_opts {
    const char *dir;     /* created if missing */
    int streams;         /* default 4 */
    int batches;         /* history per stream, default 120 */
    int files_per_batch; /* default 3 */
    int64_t trigger_ms;  /* batch cadence, default 10 s */
    uint64_t seed;       /* names and uuids are reproducible for a seed */
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

#endif
