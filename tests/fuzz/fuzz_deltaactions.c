/* The table-level actions of a UUID-named JSON v2 checkpoint or a log-compaction file (JSON
 * lines), and the names of _delta_log files. */
#include "fuzz.h"

#include "collectors/deltafiles.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    const char *const qids[] = {"q", NULL};
    for (size_t i = 0; i < 2; i++) {
        struct delta_nonfile nf;
        deltafiles_nonfile_init(&nf);
        deltafiles_parse_actions(text, size, qids[i], &nf);
        deltafiles_nonfile_done(&nf);
    }
    free(text);
    char *name = fuzz_cstr(data, size); /* a name: up to its first NUL */
    int64_t v, y;
    deltafiles_classify(name, &v, &y);
    free(name);
    return 0;
}
