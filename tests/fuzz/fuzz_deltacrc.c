/* A Delta version checksum (_delta_log/N.crc: one JSON object), whole or cut at any length as
 * the collector's read cap cuts it, for one query and for any. */
#include "fuzz.h"

#include "collectors/deltacrc.h"
#include "collectors/structtype.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    const char *const qids[] = {"7ad252ad-4119-45d8-a3a4-76b85bae1a05", NULL};
    for (size_t i = 0; i < 2; i++) {
        struct delta_crc c;
        struct st_err err;
        deltacrc_init(&c);
        /* the second run sees the first half only (a file over the cap) */
        if (deltacrc_parse(text, i == 0 ? size : size / 2, qids[i], &c, &err) == 0 && c.schema) {
            struct sfields f;
            if (structtype_parse(c.schema, strlen(c.schema), &f, &err) == 0)
                sfields_done(&f);
        }
        deltacrc_done(&c);
    }
    free(text);
    return 0;
}
