/* The checkpoint's metadata file ({"id":"..."}). */
#include "fuzz.h"

#include "collectors/offsetlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    char *id = NULL;
    struct st_err err;
    if (offsetlog_parse_metadata(text, size, &id, &err) == 0)
        free(id);
    free(text);
    return 0;
}
