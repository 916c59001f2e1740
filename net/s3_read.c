/* s3_read: reading objects: GET with a Range, and stat (HEAD, else a listing of one entry to
 * tell a "directory" from a missing key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/s3_internal.h"

int s3_get(const char *url, int64_t offset, size_t len, struct buf *out, int64_t *size,
           int64_t *mtime_ms, struct st_err *err)
{
    buf_reset(out);
    if (size)
        *size = -1;
    if (mtime_ms)
        *mtime_ms = -1;
    char *bucket, *key;
    if (s3_split_url(url, &bucket, &key, err) < 0)
        return -1;
    char *hurl = s3_object_url(bucket, key);
    char range[80];
    snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset,
             (long long)(offset + (int64_t)(len ? len : 1) - 1));
    struct http_response r;
    http_response_init(&r);
    int rc = s3_one_request(url, hurl, "GET", range, len + 1024, &r, err);
    if (rc == 0) {
        char cr[128];
        long long total = -1;
        if (http_header(&r, "content-range", cr, sizeof cr) == 0) {
            const char *slash = strrchr(cr, '/');
            if (slash && slash[1] != '*')
                total = strtoll(slash + 1, NULL, 10);
        }
        if (r.status == 206 || r.status == 200) {
            if (r.status == 200) { /* the server ignored the range: cut it here */
                total = (long long)r.body.len;
                size_t from = offset < (int64_t)r.body.len ? (size_t)offset : r.body.len;
                size_t take = r.body.len - from < len ? r.body.len - from : len;
                buf_append(out, r.body.data + from, take);
            } else {
                buf_append(out, r.body.data, r.body.len < len ? r.body.len : len);
            }
            if (len == 0)
                buf_reset(out);
        } else if (r.status == 416) {
            if (total < 0) {
                size_t n = 0;
                const char *a = s3_xml_elem(buf_str(&r.body), buf_str(&r.body) + r.body.len,
                                            "ActualObjectSize", &n, NULL);
                if (a)
                    total = strtoll(a, NULL, 10);
            }
        } else {
            rc = s3_answer_error(url, hurl, &r, err);
        }
        if (rc == 0) {
            if (!out->data)
                buf_append(out, "", 0);
            if (size)
                *size = total;
            if (mtime_ms)
                *mtime_ms = r.filetime_ms;
        }
    }
    http_response_done(&r);
    free(hurl);
    free(bucket);
    free(key);
    return rc;
}

static int count_one(const struct s3_object *o, void *ctx)
{
    (void)o;
    *(bool *)ctx = true;
    return 1;
}

int s3_stat(const char *url, int64_t *size, int64_t *mtime_ms, bool *is_dir, struct st_err *err)
{
    *size = *mtime_ms = -1;
    *is_dir = false;
    char *bucket, *key;
    if (s3_split_url(url, &bucket, &key, err) < 0)
        return -1;
    int rc = 0;
    bool try_dir = !*key || key[strlen(key) - 1] == '/';
    if (!try_dir) {
        char *hurl = s3_object_url(bucket, key);
        struct http_response r;
        http_response_init(&r);
        rc = s3_one_request(url, hurl, "HEAD", NULL, 0, &r, err);
        if (rc == 0 && r.status == 200) {
            char cl[40];
            if (http_header(&r, "content-length", cl, sizeof cl) == 0)
                *size = strtoll(cl, NULL, 10);
            *mtime_ms = r.filetime_ms;
        } else if (rc == 0 && r.status == 404) {
            try_dir = true;
        } else if (rc == 0) {
            rc = s3_answer_error(url, hurl, &r, err);
        }
        http_response_done(&r);
        free(hurl);
    }
    if (rc == 0 && try_dir) {
        bool any = false;
        rc = s3_list(url, true, 1, count_one, &any, err);
        if (rc == 0 && any)
            *is_dir = true;
        else if (rc == 0)
            rc = st_err_set(err, ST_ENOENT, "%s: no such object or prefix", url);
    }
    free(bucket);
    free(key);
    return rc;
}
