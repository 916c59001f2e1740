/* The body the cursor harnesses share: a collector's cursor as the state DB hands it back (a
 * blob another version or a damaged file may have written), taken whole, then in chunks (a
 * first one of `first` bytes, then `step` at a time, as the store's chunked reads do), and each
 * time written back; with round_trip, what it writes back is taken again and written back byte
 * for byte the same (a cron pass's cursor survives any number of processes). */
#ifndef STREAMTOP_FUZZ_CURSOR_H
#define STREAMTOP_FUZZ_CURSOR_H

#include "fuzz.h"

#include "collectors/collector.h"

static void fuzz_cursor_take(const struct collector_ops *ops, const uint8_t *data, size_t size,
                             size_t first, size_t step)
{
    void *state = ops->state_new();
    for (size_t off = 0, len = first; off < size; off += len, len = step) {
        if (len > size - off)
            len = size - off;
        if (ops->cursor_take(state, data + off, len, size) < 0)
            break;
    }
    size_t n = ops->cursor_size(state);
    if (n && n < (1u << 24)) {
        unsigned char *out = xmalloc(n);
        ops->cursor_fill(state, 0, out, n);
        free(out);
    }
    ops->state_free(state);
}

/* The bytes a cursor taken whole is written back as (NULL when refused); *n their length. */
static unsigned char *fuzz_cursor_written_back(const struct collector_ops *ops, const uint8_t *data,
                                               size_t size, size_t *n)
{
    void *state = ops->state_new();
    unsigned char *out = NULL;
    if (ops->cursor_take(state, data, size, size) == 0) {
        *n = ops->cursor_size(state);
        out = xmalloc(*n ? *n : 1);
        ops->cursor_fill(state, 0, out, *n);
    }
    ops->state_free(state);
    return out;
}

static void fuzz_cursor(const struct collector_ops *ops, const uint8_t *data, size_t size,
                        size_t first, size_t step, bool round_trip)
{
    char *copy = fuzz_exact(data, size);
    const uint8_t *p = (const uint8_t *)copy;
    fuzz_cursor_take(ops, p, size, size ? size : 1, size ? size : 1);
    fuzz_cursor_take(ops, p, size, first, step);
    if (round_trip) {
        size_t n, m;
        unsigned char *once = fuzz_cursor_written_back(ops, p, size, &n);
        if (once) {
            unsigned char *twice = fuzz_cursor_written_back(ops, once, n, &m);
            if (!twice || m != n || memcmp(once, twice, n) != 0)
                abort();
            free(twice);
        }
        free(once);
    }
    free(copy);
}

#endif
