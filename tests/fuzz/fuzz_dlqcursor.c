/* The dead-letter collector's cursor as the state DB hands it back; what it writes back reads
 * back the same (tests/fuzz/fuzz_cursor.h). */
#include "fuzz_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cursor(&deadletter_collector, data, size, 16, 7, true);
    return 0;
}
