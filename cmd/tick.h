/* tick: one collection pass over every configured stream, shared by watch, check and export.
 * It keeps each collector's per-stream state between passes, so later passes read only what
 * changed. */
#ifndef STREAMTOP_TICK_H
#define STREAMTOP_TICK_H

#include "core/config.h"
#include "core/snapshot.h"

struct tick;

/* cfg is borrowed and must outlive the tick. */
struct tick *tick_new(const struct config *cfg);
/* NULL is a no-op. */
void tick_free(struct tick *t);
/* Run one pass at the clock's current time; returns a new snapshot the caller frees. Streams
 * whose collectors reported errors get status unknown. */
struct snapshot *tick_run(struct tick *t);

#endif
