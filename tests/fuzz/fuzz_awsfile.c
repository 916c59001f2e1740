/* An AWS credentials or config file (~/.aws/credentials, ~/.aws/config). */
#include "fuzz.h"

#include "net/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *const profiles[] = {"default", "lake"};
    for (size_t i = 0; i < 2; i++) {
        char *text = fuzz_cstr(data, size);
        struct s3_aws_section sec = {0};
        s3_aws_parse(text, profiles[i], &sec);
        free(sec.key);
        free(sec.secret);
        free(sec.token);
        free(sec.region);
        free(text);
    }
    return 0;
}
