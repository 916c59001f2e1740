/* Spark StructType JSON: an Auto Loader schema file (_schemas/N) or a Delta schemaString. An
 * input holding a NUL byte is two schemas, diffed both ways. */
#include "fuzz.h"

#include "collectors/structtype.h"
#include "core/strvec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t n1 = nul ? (size_t)(nul - data) : size;
    char *a = fuzz_exact(data, n1);
    char *b = nul ? fuzz_exact(nul + 1, size - n1 - 1) : NULL;
    struct sfields fa, fb;
    struct st_err err;
    if (structtype_parse(a, n1, &fa, &err) == 0) {
        if (b && structtype_parse(b, size - n1 - 1, &fb, &err) == 0) {
            struct strvec out;
            strvec_init(&out);
            structtype_diff(&fa, &fb, &out);
            structtype_diff(&fb, &fa, &out);
            strvec_done(&out);
            sfields_done(&fb);
        }
        sfields_done(&fa);
    }
    free(a);
    free(b);
    return 0;
}
