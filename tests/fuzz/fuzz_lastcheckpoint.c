/* A Delta table's _delta_log/_last_checkpoint. */
#include "fuzz.h"

#include "collectors/deltalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    int64_t v;
    struct st_err err;
    deltalog_parse_last_checkpoint(text, size, &v, &err);
    free(text);
    return 0;
}
