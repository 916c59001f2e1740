/* The <Error> document of a failed S3 request. */
#include "fuzz.h"

#include "net/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    char code[64], msg[256];
    s3_parse_error(text, size, code, sizeof code, msg, sizeof msg);
    s3_parse_error(text, size, code, 1, msg, 1);
    free(text);
    return 0;
}
