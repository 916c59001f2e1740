/* The landing collector's cursor as the state DB hands it back (tests/fuzz/fuzz_cursor.h). */
#include "fuzz_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_cursor(&landing_collector, data, size, 80, 7, false);
    return 0;
}
