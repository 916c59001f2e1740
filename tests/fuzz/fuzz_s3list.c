/* An S3 ListObjectsV2 answer (ListBucketResult XML). */
#include "fuzz.h"

#include "net/s3.h"

static void on_object(void *ctx, const char *key, int64_t size, int64_t mtime_ms)
{
    (void)size;
    (void)mtime_ms;
    *(size_t *)ctx += strlen(key);
}

static void on_prefix(void *ctx, const char *prefix)
{
    *(size_t *)ctx += strlen(prefix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    const struct s3_page_fns fns = {on_object, on_prefix};
    size_t total = 0;
    bool truncated;
    char *next = NULL;
    struct st_err err;
    if (s3_parse_list(text, size, &fns, &total, &truncated, &next, &err) == 0)
        free(next);
    free(text);
    return 0;
}
