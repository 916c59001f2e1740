/* A driver log (or a JSON-lines progress file): the line scanner that finds the pretty-printed
 * "Streaming query made progress: {" blocks, and the parse of each block it completes. */
#include "fuzz.h"

#include "collectors/progressparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    struct progress_scanner sc;
    progress_scanner_init(&sc);
    uint64_t lineno = 0;
    for (const char *s = text, *end = text + size; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        /* each line in its own block, so a read past its end is seen */
        char *line = fuzz_exact((const uint8_t *)s, n);
        size_t objlen;
        uint64_t objline;
        const char *obj = progress_scan_line(&sc, line, n, ++lineno, &objlen, &objline);
        if (obj) {
            struct progress_info pi;
            struct st_err err;
            progress_from_json(obj, objlen, &pi, &err);
        }
        free(line);
        s = nl ? nl + 1 : end;
    }
    progress_scanner_done(&sc);
    free(text);
    return 0;
}
