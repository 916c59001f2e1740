/* Key-order detection over keys an object store's listing returns (any bytes but NUL): a
 * layout and a time, or none; a listing's common layout over the lines of the input. */
#include "fuzz.h"

#include "collectors/keyorder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *key = fuzz_cstr(data, size);
    struct key_time kt;
    if (keyorder_parse(key, &kt) && (kt.layout == 0 || kt.part_len > size))
        abort();
    struct keyorder_scan s;
    keyorder_scan_init(&s);
    for (char *line = key, *nl; line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = '\0';
        keyorder_scan_add(&s, line);
    }
    (void)keyorder_scan_layout(&s);
    free(key);
    return 0;
}
