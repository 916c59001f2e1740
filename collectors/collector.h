/* collector: the interface every collector implements, and the static table tick runs. A
 * collector reads one kind of input for one stream, fills the stream's part of the snapshot, and
 * reports what it could not read in st->errors (status unknown) or st->warnings. It never prints,
 * exits, sleeps, or touches SQLite or curses. Its state remembers what it already read. */
#ifndef STREAMTOP_COLLECTOR_H
#define STREAMTOP_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/snapshot.h"

struct collector_ops {
    const char *name;
    /* Does this stream configure the input this collector reads? */
    bool (*wants)(const struct cfg_stream *cfg);
    /* Fresh per-stream state (owned by the caller, freed with state_free; free(NULL) no-op). */
    void *(*state_new)(void);
    void (*state_free)(void *state);
    /* One pass: read what changed since the last pass and fill out. */
    void (*collect)(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                    int64_t now_ms);
    /* Optional cursor, kept in the state DB so a new process continues where the last one
     * stopped (NULL when the collector keeps none). cursor_size: bytes to save now, 0 when
     * nothing changed since the last load or save; cursor_fill: write them, in order;
     * cursor_take: restore a fresh state chunk by chunk (-1: not understood, start fresh). */
    size_t (*cursor_size)(void *state);
    void (*cursor_fill)(void *state, size_t off, unsigned char *dst, size_t len);
    int (*cursor_take)(void *state, const unsigned char *src, size_t len, size_t total);
    /* Runs after every other collector of every stream, the streams side by side (each on its
     * own thread, touching only its stream and state): for collectors that wait on the
     * network, so a pass waits for the slowest stream, not for the sum of them. */
    bool concurrent;
};

/* For cursors built whole into a buffer by cursor_size: cursor_fill's bytes off..off+len of
 * save; after the last of them the buffer is freed (not kept between saves: thousands of streams
 * hold a state each) and *dirty (when not NULL) cleared. */
struct buf;
void cursor_fill_from(struct buf *save, bool *dirty, size_t off, unsigned char *dst, size_t len);
/* For cursor_take: gathers the chunks in take; once all total bytes are there, gives them to
 * parse (take freed first) and returns what it returns; 0 while more are to come; -1 when they
 * exceed total or cap. */
int cursor_gather(struct buf *take, const unsigned char *src, size_t len, size_t total, size_t cap,
                  int (*parse)(void *state, const unsigned char *p, size_t n), void *state);

/* The collectors, in the order a pass runs them; NULL-terminated. */
extern const struct collector_ops *const collector_table[];

/* True while the stream's checkpoint (read by checkpoint_collector, which runs first) names its
 * query (metadata) but has no committed batch: a query in its first batch, which has not yet
 * created its Delta sink nor written a progress event. A missing sink or progress file is then
 * a warning, not an error. */
bool collector_before_first_commit(const struct cfg_stream *cfg, const struct snap_stream *st);

extern const struct collector_ops checkpoint_collector;
extern const struct collector_ops landing_collector;
extern const struct collector_ops progress_collector;
extern const struct collector_ops deadletter_collector;
extern const struct collector_ops schema_collector;
extern const struct collector_ops deltalog_collector;
extern const struct collector_ops deltasource_collector;
extern const struct collector_ops jobs_collector;
extern const struct collector_ops kafka_collector;

#endif
