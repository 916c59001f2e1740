/* collect: the collection step of a pass (pass.h) over every configured stream.
 * It keeps each collector's per-stream state between passes (later passes read only what
 * changed), records each pass in the state DB when there is one, derives the metrics that need
 * history (drain_eta_seconds), and saves the collectors' cursors. */
#ifndef STREAMTOP_COLLECT_H
#define STREAMTOP_COLLECT_H

#include <stdint.h>

#include "core/config.h"
#include "core/snapshot.h"

struct collect;
struct store;

/* cfg and store are borrowed and must outlive the collection; store may be NULL (no history). */
struct collect *collect_new(const struct config *cfg, struct store *store);
/* NULL is a no-op. */
void collect_free(struct collect *t);
/* Run one pass at the clock's current time; returns a new snapshot the caller frees. Streams
 * whose collectors reported errors get status unknown. A state DB that fails is reported on
 * stderr once per change of its error, and the pass goes on without history. Once a stop is
 * requested (core/stop.h) the remaining streams get the error "stopped" and the pass is not
 * recorded. */
struct snapshot *collect_run(struct collect *t);
/* Save the collectors' cursors (what changed since they were loaded) to the state DB. */
void collect_save_cursors(struct collect *t);

/* How long collect_maintain works at most per call; what is left waits for the next pass. */
#define COLLECT_MAINTAIN_BUDGET_MS 1000
/* After a pass: roll up and prune history as of now_ms (store_maintain), in short transactions
 * of their own, for at most COLLECT_MAINTAIN_BUDGET_MS. A failure is reported like a
 * recording failure and costs nothing else. */
void collect_maintain(struct collect *t, int64_t now_ms);

#endif
