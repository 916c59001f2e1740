/* For the unit tests of collectors' cursors: what a new process does through the state DB. */
#ifndef STREAMTOP_CURSORUTIL_H
#define STREAMTOP_CURSORUTIL_H

#include "testutil.h"

#include "collectors/collector.h"

/* The state a new process loads from ops's cursor of state: saved in chunks of step bytes
 * (after which nothing is left to save), then taken the same way after a first chunk of first
 * bytes (the store's chunks hold a header whole). With blob_out the saved bytes (caller frees),
 * with total their size. */
static inline void *cursor_round_trip_with(const struct collector_ops *ops, void *state,
                                           size_t first, size_t step, unsigned char **blob_out,
                                           size_t *total)
{
    size_t n = ops->cursor_size(state);
    assert_true(n > 0);
    unsigned char *blob = xmalloc(n);
    for (size_t off = 0; off < n; off += step)
        ops->cursor_fill(state, off, blob + off, n - off < step ? n - off : step);
    assert_int_equal(ops->cursor_size(state), 0); /* saved: nothing new */
    void *fresh = ops->state_new();
    for (size_t off = 0, len = first; off < n; off += len, len = step) {
        if (len > n - off)
            len = n - off;
        assert_int_equal(ops->cursor_take(fresh, blob + off, len, n), 0);
    }
    if (total)
        *total = n;
    if (blob_out)
        *blob_out = blob;
    else
        free(blob);
    return fresh;
}

#endif
