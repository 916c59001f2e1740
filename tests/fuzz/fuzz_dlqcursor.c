/* The dead-letter collector's cursor as the state DB hands it back (a blob another version or a
 * damaged file may have written): taken whole, then in small chunks after a header-sized first
 * one, as the store's chunked reads do. */
#include "fuzz.h"

#include "collectors/collector.h"

static void take(const uint8_t *data, size_t size, size_t first, size_t step)
{
    void *state = deadletter_collector.state_new();
    for (size_t off = 0, len = first; off < size; off += len, len = step) {
        if (len > size - off)
            len = size - off;
        if (deadletter_collector.cursor_take(state, data + off, len, size) < 0)
            break;
    }
    /* what was taken can be written back */
    size_t n = deadletter_collector.cursor_size(state);
    if (n && n < (1u << 24)) {
        unsigned char *out = xmalloc(n);
        deadletter_collector.cursor_fill(state, 0, out, n);
        free(out);
    }
    deadletter_collector.state_free(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_exact(data, size);
    take((const uint8_t *)copy, size, size, size);
    take((const uint8_t *)copy, size, 16, 7);
    free(copy);
    return 0;
}
