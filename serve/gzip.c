/* gzip: a frame's big documents compressed once per pass, so a scrape that sends
 * Accept-Encoding: gzip (Prometheus always does) costs a tenth of the bytes and no compression
 * work per request. zlib is included here only. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <zlib.h>

#include "core/xalloc.h"
#include "serve/internal.h"

int serve_gzip(const char *data, size_t len, struct buf *out)
{
    z_stream z = {0};
    /* 15 + 16: a gzip wrapper; level 1: most of the gain at a fraction of the CPU of level 6 */
    if (len > UINT_MAX || deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    uLong bound = deflateBound(&z, (uLong)len);
    unsigned char *tmp = xmalloc((size_t)bound + 1);
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = tmp;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t n = (size_t)z.total_out;
    deflateEnd(&z);
    buf_reset(out);
    if (rc == Z_STREAM_END)
        buf_append(out, tmp, n);
    free(tmp);
    return rc == Z_STREAM_END ? 0 : -1;
}
