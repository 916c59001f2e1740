/* azure_read: reading blobs: Get Blob with an x-ms-range, Get Blob Properties (HEAD), and stat
 * of a "directory" (a listing of one entry below the path). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/azure_internal.h"

/* The blob's size from a ranged answer's Content-Range ("bytes 0-99/1234"), or -1. */
static long long range_total(const struct http_response *r)
{
    char cr[128];
    if (http_header(r, "content-range", cr, sizeof cr) == 0) {
        const char *slash = strrchr(cr, '/');
        if (slash && slash[1] != '*')
            return strtoll(slash + 1, NULL, 10);
    }
    return -1;
}

/* Get Blob Properties: 0 with size and mtime, or -1 with err (ST_ENOENT for a missing blob). */
static int properties(const char *url, const struct azure_path *p, int64_t *size, int64_t *mtime_ms,
                      bool *folder, struct st_err *err)
{
    struct http_response r;
    http_response_init(&r);
    int rc = az_perform(url, "HEAD", p, true, NULL, 0, NULL, 0, &r, err);
    if (rc == 0 && r.status == 200) {
        char cl[40];
        if (http_header(&r, "content-length", cl, sizeof cl) == 0)
            *size = strtoll(cl, NULL, 10);
        *mtime_ms = r.filetime_ms;
        char f[16];
        /* an ADLS Gen2 directory is a blob with this metadata */
        *folder =
            http_header(&r, "x-ms-meta-hdi_isfolder", f, sizeof f) == 0 && strcmp(f, "true") == 0;
    } else if (rc == 0) {
        rc = az_answer_error(url, &r, err);
    }
    http_response_done(&r);
    return rc;
}

int azure_get(const char *url, int64_t offset, size_t len, struct buf *out, int64_t *size,
              int64_t *mtime_ms, struct st_err *err)
{
    buf_reset(out);
    int64_t sz = -1, mt = -1;
    struct azure_path p;
    if (azure_split_url(url, &p, err) < 0)
        return -1;
    if (!*p.blob) {
        azure_path_done(&p);
        return st_err_set(err, ST_EFAIL, "%s: a container, not a blob", url);
    }
    char range[80];
    snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset,
             (long long)(offset + (int64_t)(len ? len : 1) - 1));
    struct http_response r;
    http_response_init(&r);
    int rc = az_perform(url, "GET", &p, true, NULL, 0, range, len + 1024, &r, err);
    if (rc == 0) {
        if (r.status == 206 || r.status == 200) {
            size_t from = 0;
            if (r.status == 200) /* the range was ignored: cut it here */
                from = offset < (int64_t)r.body.len ? (size_t)offset : r.body.len;
            size_t take = r.body.len - from < len ? r.body.len - from : len;
            buf_append(out, r.body.data + from, take);
            sz = r.status == 200 ? (int64_t)r.body.len : range_total(&r);
            mt = r.filetime_ms;
        } else if (r.status == 416) {
            /* at or past the end (an empty blob answers so to any range): its size from a HEAD */
            bool folder;
            rc = properties(url, &p, &sz, &mt, &folder, err);
        } else {
            rc = az_answer_error(url, &r, err);
        }
    }
    http_response_done(&r);
    azure_path_done(&p);
    if (rc < 0)
        return -1;
    if (len == 0)
        buf_reset(out);
    if (!out->data)
        buf_append(out, "", 0);
    if (size)
        *size = sz;
    if (mtime_ms)
        *mtime_ms = mt;
    return 0;
}

static int found_one(const struct azure_blob *b, void *ctx)
{
    (void)b;
    *(bool *)ctx = true;
    return 1;
}

int azure_stat(const char *url, int64_t *size, int64_t *mtime_ms, bool *is_dir, struct st_err *err)
{
    *size = *mtime_ms = -1;
    *is_dir = false;
    struct azure_path p;
    if (azure_split_url(url, &p, err) < 0)
        return -1;
    size_t bl = strlen(p.blob);
    bool try_dir = bl == 0 || p.blob[bl - 1] == '/';
    int rc = 0;
    if (!try_dir) {
        bool folder = false;
        rc = properties(url, &p, size, mtime_ms, &folder, err);
        if (rc == 0 && folder) {
            *size = -1;
            *is_dir = true;
        } else if (rc < 0 && err->code == ST_ENOENT) {
            try_dir = true;
            rc = 0;
        }
    }
    azure_path_done(&p);
    if (rc == 0 && try_dir) {
        bool any = false;
        rc = azure_list(url, true, 1, found_one, &any, err);
        if (rc == 0 && any)
            *is_dir = true;
        else if (rc == 0)
            rc = st_err_set(err, ST_ENOENT, "%s: no such blob or prefix", url);
    }
    return rc;
}
