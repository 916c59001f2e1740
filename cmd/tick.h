/* tick: one collection pass over every configured stream, shared by watch, check and export.
 * It keeps each collector's per-stream state between passes (later passes read only what
 * changed), records each pass in the state DB when there is one, derives the metrics that need
 * history (drain_eta_seconds), and saves the collectors' cursors. */
#ifndef STREAMTOP_TICK_H
#define STREAMTOP_TICK_H

#include "core/config.h"
#include "core/snapshot.h"

struct tick;
struct store;

/* cfg and store are borrowed and must outlive the tick; store may be NULL (no history). */
struct tick *tick_new(const struct config *cfg, struct store *store);
/* NULL is a no-op. */
void tick_free(struct tick *t);
/* Run one pass at the clock's current time; returns a new snapshot the caller frees. Streams
 * whose collectors reported errors get status unknown. A state DB that fails is reported on
 * stderr once per change of its error, and the pass goes on without history. Once a stop is
 * requested (core/stop.h) the remaining streams get the error "stopped" and the pass is not
 * recorded. */
struct snapshot *tick_run(struct tick *t);
/* Save the collectors' cursors (what changed since they were loaded) to the state DB. */
void tick_save_cursors(struct tick *t);

#endif
