/* One Delta commit file (_delta_log/N.json: JSON action lines), for one query and for any. */
#include "fuzz.h"

#include "collectors/deltalog.h"
#include "collectors/structtype.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    const char *const qids[] = {"4f2b8f38-7bcd-4d3a-9b5e-6d1c2a7e9f10", NULL};
    for (size_t i = 0; i < 2; i++) {
        struct delta_commit c;
        deltalog_commit_init(&c, 1);
        deltalog_parse_commit(text, size, qids[i], &c);
        if (c.schema) {
            struct sfields f;
            struct st_err err;
            if (structtype_parse(c.schema, strlen(c.schema), &f, &err) == 0)
                sfields_done(&f);
        }
        deltalog_commit_done(&c);
    }
    free(text);
    return 0;
}
