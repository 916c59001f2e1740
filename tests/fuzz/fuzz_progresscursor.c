/* The progress collector's cursor as the state DB hands it back (a blob another version or a
 * damaged file may have written): what is taken is written back byte for byte, and a state so
 * taken is applied to a snapshot (its strings read, its figures used). */
#include "fuzz.h"

#include "collectors/collector.h"
#include "core/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_exact(data, size);
    void *state = progress_collector.state_new();
    if (progress_collector.cursor_take(state, (const unsigned char *)copy, size, size) == 0) {
        size_t n = progress_collector.cursor_size(state);
        unsigned char *out = xmalloc(n ? n : 1);
        progress_collector.cursor_fill(state, 0, out, n);
        if (n != size || memcmp(out, copy, n) != 0)
            abort();
        free(out);
        /* a pass whose progress file is missing: the kept figures are applied */
        struct cfg_stream cfg = {0};
        cfg.name = (char *)"f";
        cfg.progress = (char *)"/nonexistent/streamtop-fuzz/progress.jsonl";
        struct snapshot *snap = snapshot_new(1);
        struct snap_stream *st = snapshot_add_stream(snap, "f");
        progress_collector.collect(&cfg, state, st, 1);
        snapshot_free(snap);
    }
    progress_collector.state_free(state);
    free(copy);
    return 0;
}
