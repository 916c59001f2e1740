/* The schema location collector's cursor as the state DB hands it back (a blob another version
 * or a damaged file may have written): taken whole, then in small chunks, then written back. */
#include "fuzz.h"

#include "collectors/collector.h"

static void take(const uint8_t *data, size_t size, size_t step)
{
    void *state = schema_collector.state_new();
    for (size_t off = 0, len = step; off < size; off += len) {
        if (len > size - off)
            len = size - off;
        if (schema_collector.cursor_take(state, data + off, len, size) < 0)
            break;
    }
    size_t n = schema_collector.cursor_size(state);
    if (n) {
        unsigned char *out = xmalloc(n);
        schema_collector.cursor_fill(state, 0, out, n);
        free(out);
    }
    schema_collector.state_free(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_exact(data, size);
    take((const uint8_t *)copy, size, size ? size : 1);
    take((const uint8_t *)copy, size, 5);
    free(copy);
    return 0;
}
