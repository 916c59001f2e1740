/* The daemon's request line as a client sends it: the path and query (split at the first '?'),
 * percent-decoding, and the since value of a query. */
#include "fuzz.h"

#include "serve/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    char *q = strchr(text, '?');
    if (q)
        *q++ = '\0';
    struct route r;
    struct st_err err;
    if (route_parse(text, q, &r, &err) == 0) {
        int64_t since;
        if (r.since)
            route_since_ms(r.since, 1800000000000LL, &since, &err);
        route_done(&r);
    }
    free(route_decode((const char *)data, size, 1));
    free(text);
    return 0;
}
