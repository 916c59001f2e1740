/* The dead-letter collector's cursor as the state DB hands it back (a blob another version or a
 * damaged file may have written): taken whole, then in small chunks after a header-sized first
 * one, as the store's chunked reads do; what it writes back reads back the same. */
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

/* The bytes a cursor taken whole is written back as (NULL when refused); *n their length. */
static unsigned char *written_back(const uint8_t *data, size_t size, size_t *n)
{
    void *state = deadletter_collector.state_new();
    unsigned char *out = NULL;
    if (deadletter_collector.cursor_take(state, data, size, size) == 0) {
        *n = deadletter_collector.cursor_size(state);
        out = xmalloc(*n ? *n : 1);
        deadletter_collector.cursor_fill(state, 0, out, *n);
    }
    deadletter_collector.state_free(state);
    return out;
}

/* What is written back (this version's layout, folder stamps and all) is taken again and
 * written back byte for byte the same: a cron pass's cursor survives any number of processes. */
static void round_trip(const uint8_t *data, size_t size)
{
    size_t n, m;
    unsigned char *once = written_back(data, size, &n);
    if (!once)
        return;
    unsigned char *twice = written_back(once, n, &m);
    if (!twice || m != n || memcmp(once, twice, n) != 0)
        abort();
    free(once);
    free(twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_exact(data, size);
    take((const uint8_t *)copy, size, size, size);
    take((const uint8_t *)copy, size, 16, 7);
    round_trip((const uint8_t *)copy, size);
    free(copy);
    return 0;
}
