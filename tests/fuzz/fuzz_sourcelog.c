/* A file-source log file (sources/<i>/N and N.compact), read whole and as the tail of a
 * .compact. */
#include "fuzz.h"

#include "collectors/sourcelog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    struct sourcelog sl;
    sourcelog_init(&sl);
    sourcelog_fold_text(&sl, text, size, -1);
    sourcelog_fold_text(&sl, text, size, 1);
    sourcelog_done(&sl);
    sourcelog_path_hash(text, size, true);
    free(text);
    return 0;
}
