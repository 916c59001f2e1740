/* gzip: a frame's big documents compressed once per pass, so a scrape that sends
 * Accept-Encoding: gzip (Prometheus always does) costs a tenth of the bytes and no compression
 * work per request. A document is compressed as it is rendered (its plain text need not be
 * held), and the two /metrics formats share their compressed body: it ends on a flush (a byte
 * boundary, no final block), and each format's tail is deflated apart and carries the trailer
 * of the whole. zlib is included here only. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/xalloc.h"
#include "serve/internal.h"

struct serve_gz {
    z_stream z;
    struct buf *out; /* (borrowed) */
    uLong crc;
    size_t len;
    bool bad;
};

/* A gzip member's header: deflate, no name, no time, "fastest", Unix. */
static const unsigned char gzip_head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3};

/* Deflate what z holds with flush, appending the output to out. 0, or -1. */
static int pump(z_stream *z, struct buf *out, int flush)
{
    unsigned char chunk[16384];
    int rc;
    do {
        z->next_out = chunk;
        z->avail_out = sizeof chunk;
        rc = deflate(z, flush);
        if (rc == Z_STREAM_ERROR)
            return -1;
        buf_append(out, chunk, sizeof chunk - z->avail_out);
    } while (z->avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return 0;
}

struct serve_gz *serve_gz_new(struct buf *out, int level)
{
    struct serve_gz *g = xcalloc(1, sizeof *g);
    g->out = out;
    g->crc = crc32(0, Z_NULL, 0);
    buf_reset(out);
    /* raw deflate (-15): the header and trailer are written here, so a stream can end on a
     * flush and a tail can carry the trailer */
    if (deflateInit2(&g->z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        g->bad = true;
        return g;
    }
    buf_append(out, gzip_head, sizeof gzip_head);
    return g;
}

void serve_gz_put(void *ctx, const char *data, size_t len)
{
    struct serve_gz *g = ctx;
    while (!g->bad && len > 0) {
        uInt n = len > UINT_MAX ? UINT_MAX : (uInt)len;
        g->z.next_in = (Bytef *)(uintptr_t)data;
        g->z.avail_in = n;
        g->bad = pump(&g->z, g->out, Z_NO_FLUSH) < 0;
        g->crc = crc32(g->crc, (const Bytef *)data, n);
        g->len += n;
        data += n;
        len -= n;
    }
}

/* The trailer: CRC-32 and length (mod 2^32) of the whole plain text, little-endian. */
static void put_trailer(struct buf *out, uLong crc, size_t len)
{
    unsigned char t[8];
    for (int i = 0; i < 4; i++) {
        t[i] = (unsigned char)(crc >> (8 * i));
        t[4 + i] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    buf_append(out, t, sizeof t);
}

int serve_gz_end(struct serve_gz *g, bool cut, struct serve_gz_end *end)
{
    int rc = -1;
    if (!g->bad) {
        g->z.next_in = Z_NULL;
        g->z.avail_in = 0;
        rc = pump(&g->z, g->out, cut ? Z_SYNC_FLUSH : Z_FINISH);
        if (rc == 0 && !cut)
            put_trailer(g->out, g->crc, g->len);
        deflateEnd(&g->z);
    }
    end->crc = g->crc;
    end->len = g->len;
    if (rc < 0)
        buf_reset(g->out);
    free(g);
    return rc;
}

int serve_gz_tail(const struct serve_gz_end *end, const char *data, size_t len, struct buf *out)
{
    z_stream z = {0};
    buf_reset(out);
    if (len > UINT_MAX || deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    int rc = pump(&z, out, Z_FINISH);
    deflateEnd(&z);
    if (rc < 0) {
        buf_reset(out);
        return -1;
    }
    uLong crc = crc32_combine(end->crc, crc32(crc32(0, Z_NULL, 0), (const Bytef *)data, (uInt)len),
                              (z_off_t)len);
    put_trailer(out, crc, end->len + len);
    return 0;
}

struct serve_gunzip {
    z_stream z;
    const char *next; /* (borrowed) the second piece, once the first is read */
    size_t next_len;
    bool ok;
};

struct serve_gunzip *serve_gunzip_new(const char *gz, size_t len, const char *gz2, size_t len2)
{
    struct serve_gunzip *u = xcalloc(1, sizeof *u);
    u->ok = len <= UINT_MAX && len2 <= UINT_MAX && inflateInit2(&u->z, 15 + 16) == Z_OK;
    u->z.next_in = (Bytef *)(uintptr_t)gz;
    u->z.avail_in = (uInt)len;
    u->next = gz2;
    u->next_len = len2;
    return u;
}

long serve_gunzip_read(struct serve_gunzip *u, char *out, size_t max)
{
    if (!u->ok)
        return -1;
    u->z.next_out = (Bytef *)out;
    u->z.avail_out = max > UINT_MAX ? UINT_MAX : (uInt)max;
    int rc = Z_OK;
    while (u->z.avail_out > 0 && rc == Z_OK) {
        if (u->z.avail_in == 0 && u->next_len > 0) {
            u->z.next_in = (Bytef *)(uintptr_t)u->next;
            u->z.avail_in = (uInt)u->next_len;
            u->next_len = 0;
        }
        rc = inflate(&u->z, Z_NO_FLUSH);
    }
    long n = (long)((size_t)(u->z.next_out - (Bytef *)out));
    if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && n > 0))
        return -1;
    return n;
}

void serve_gunzip_free(struct serve_gunzip *u)
{
    if (!u)
        return;
    if (u->ok)
        inflateEnd(&u->z);
    free(u);
}
