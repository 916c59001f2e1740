/* frame: what one pass hands the screen, owned as one piece: the snapshot and what the
 * dashboard shows of the past with it (sparklines, notifications, recorded schema versions). */
#ifndef STREAMTOP_TUI_FRAME_H
#define STREAMTOP_TUI_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/snapshot.h"
#include "core/strvec.h"
#include "pass/pass.h"

#define SPARK_POINTS 60

/* The metrics with sparklines: [0] backlog age (also in the streams table), then the detail's. */
#define SPARK_METRICS 4
extern const int tui_spark_metrics[SPARK_METRICS];
/* History windows of the sparklines (w cycles): 1h, 6h, 24h. */
#define SPARK_WINDOWS 3
extern const int64_t tui_spark_windows_ms[SPARK_WINDOWS];

struct tui_spark {
    double v[SPARK_METRICS][SPARK_POINTS]; /* oldest first over the window; NaN gaps */
};

struct tui_frame {
    struct snapshot *snap;      /* (owned) or NULL */
    struct tui_spark *spark;    /* (owned) one per snapshot stream, or NULL */
    struct notification *notes; /* (owned) newest first, from the state DB's outbox */
    size_t nnotes;
    struct strvec *schemas; /* (owned) per snapshot stream: recorded schema versions, or NULL */
    size_t nschemas;
};

/* Free everything f holds and empty it. */
void tui_frame_done(struct tui_frame *f);

#endif
