/* A Delta table's _delta_log/_last_checkpoint, with Delta 4.x's v2Checkpoint (path and
 * nonFileActions), for one query and for any. */
#include "fuzz.h"

#include "collectors/deltafiles.h"
#include "collectors/deltalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    int64_t v;
    struct st_err err;
    deltalog_parse_last_checkpoint(text, size, &v, &err);
    const char *const qids[] = {"q", NULL};
    for (size_t i = 0; i < 2; i++) {
        struct delta_last_checkpoint lc;
        if (deltafiles_parse_last_checkpoint(text, size, qids[i], &lc, &err) == 0)
            deltafiles_last_checkpoint_done(&lc);
    }
    free(text);
    return 0;
}
