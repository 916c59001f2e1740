/* s3_read: reading objects: GET with a Range, and stat (HEAD, else a listing of one entry to
 * tell a "directory" from a missing key). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/s3_internal.h"
#include "net/xml.h"

/* The object's size from a ranged answer: Content-Range's total, else (a 416 from a server
 * that does not send one) the <ActualObjectSize> of its body; -1 when neither says. */
static long long range_total(const struct http_response *r)
{
    char cr[128];
    long long total = -1;
    if (http_header(r, "content-range", cr, sizeof cr) == 0) {
        const char *slash = strrchr(cr, '/');
        if (slash && slash[1] != '*')
            total = strtoll(slash + 1, NULL, 10);
    }
    if (total < 0 && r->status == 416) {
        size_t n = 0;
        const char *body = buf_str(&r->body);
        const char *a = xml_elem(body, body + r->body.len, "ActualObjectSize", &n, NULL);
        if (a)
            total = strtoll(a, NULL, 10);
    }
    return total;
}

int s3_get(const char *url, int64_t offset, size_t len, struct buf *out, int64_t *size,
           int64_t *mtime_ms, struct st_err *err)
{
    buf_reset(out);
    if (size)
        *size = -1;
    if (mtime_ms)
        *mtime_ms = -1;
    struct s3_call c;
    char range[80];
    snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset,
             (long long)(offset + (int64_t)(len ? len : 1) - 1));
    if (s3_call_init(&c, url, err) < 0 || s3_call_run(&c, "GET", range, len + 1024, err) < 0) {
        s3_call_done(&c);
        return -1;
    }
    const struct http_response *r = &c.resp;
    long long total = range_total(r);
    if (r->status == 200) { /* the server ignored the range: cut it here */
        total = (long long)r->body.len;
        size_t from = offset < (int64_t)r->body.len ? (size_t)offset : r->body.len;
        size_t take = r->body.len - from < len ? r->body.len - from : len;
        buf_append(out, r->body.data + from, take);
    } else if (r->status == 206) {
        buf_append(out, r->body.data, r->body.len < len ? r->body.len : len);
    } else if (r->status != 416) { /* 416: reading at or past the end */
        int rc = s3_call_error(&c, err);
        s3_call_done(&c);
        return rc;
    }
    if (len == 0)
        buf_reset(out);
    if (!out->data)
        buf_append(out, "", 0);
    if (size)
        *size = total;
    if (mtime_ms)
        *mtime_ms = r->filetime_ms;
    s3_call_done(&c);
    return 0;
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
    struct s3_call c;
    int rc = s3_call_init(&c, url, err);
    bool try_dir = rc == 0 && (!*c.key || c.key[strlen(c.key) - 1] == '/');
    if (rc == 0 && !try_dir) {
        rc = s3_call_run(&c, "HEAD", NULL, 0, err);
        if (rc == 0 && c.resp.status == 200) {
            char cl[40];
            if (http_header(&c.resp, "content-length", cl, sizeof cl) == 0)
                *size = strtoll(cl, NULL, 10);
            *mtime_ms = c.resp.filetime_ms;
        } else if (rc == 0 && c.resp.status == 404) {
            try_dir = true;
        } else if (rc == 0) {
            rc = s3_call_error(&c, err);
        }
    }
    /* done before listing: the listing signs for itself */
    s3_call_done(&c);
    if (rc == 0 && try_dir) {
        bool any = false;
        rc = s3_list(url, true, 1, count_one, &any, err);
        if (rc == 0 && any)
            *is_dir = true;
        else if (rc == 0)
            rc = st_err_set(err, ST_ENOENT, "%s: no such object or prefix", url);
    }
    return rc;
}
