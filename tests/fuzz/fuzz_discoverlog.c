/* discover's guess of a landing folder from a file-source log: the paths' common folder, with
 * dt=/hr= partitions and a YYYY/MM/DD/HH tail cut off. */
#include "fuzz.h"

#include "collectors/discover.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    free(discover_source_from_log(text, size));
    free(text);
    return 0;
}
