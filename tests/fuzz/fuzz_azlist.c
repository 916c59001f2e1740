/* The answers of Azure Blob storage: a List Blobs page (EnumerationResults), an <Error>, an RFC
 * 1123 date, and an OAuth2 token (JSON) from a token endpoint. */
#include "fuzz.h"

#include "net/azure.h"

static void on_blob(void *ctx, const char *name, int64_t size, int64_t mtime_ms, bool folder)
{
    (void)size;
    (void)mtime_ms;
    *(size_t *)ctx += strlen(name) + folder;
}

static void on_prefix(void *ctx, const char *name)
{
    *(size_t *)ctx += strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    const struct azure_page_fns fns = {on_blob, on_prefix};
    size_t total = 0;
    char *marker = NULL;
    struct st_err err;
    if (azure_parse_list(text, size, &fns, &total, &marker, &err) == 0)
        free(marker);
    char code[64], msg[256];
    azure_parse_error(text, size, code, sizeof code, msg, sizeof msg);
    azure_parse_error(text, size, code, 1, msg, 1);
    int64_t ms;
    azure_parse_http_date(text, size, &ms);
    char *token = NULL;
    int64_t secs;
    if (azure_parse_token(text, size, &token, &secs, &err) == 0)
        free(token);
    free(text);
    return 0;
}
