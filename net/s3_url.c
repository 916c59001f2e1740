/* s3_url: s3:// URLs into bucket and key, SigV4 URI encoding, and the request URL of a bucket
 * or object: path-style on a configured endpoint, virtual-hosted style on AWS when the bucket
 * name allows it, the query sorted by name with every value escaped. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"
#include "net/s3_internal.h"

int s3_split_url(const char *url, char **bucket, char **key, struct st_err *err)
{
    *bucket = *key = NULL;
    if (!str_prefix(url, "s3://") && !str_prefix(url, "gs://"))
        return st_err_set(err, ST_EFAIL, "%s: not an s3:// or gs:// URL", url);
    const char *b = url + 5;
    const char *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    if (blen < 3 || blen > 63)
        return st_err_set(err, ST_EFORMAT, "%s: '%.*s' is not a bucket name (3 to 63 characters)",
                          url, (int)blen, b);
    for (size_t i = 0; i < blen; i++) {
        char c = b[i];
        if (!(islower((unsigned char)c) || isdigit((unsigned char)c) || c == '-' || c == '.' ||
              c == '_'))
            return st_err_set(err, ST_EFORMAT,
                              "%s: '%.*s' is not a bucket name (lower-case letters, digits, '-', "
                              "'.')",
                              url, (int)blen, b);
    }
    *bucket = xstrndup(b, blen);
    const char *k = slash ? slash + 1 : "";
    *key = xstrdup(k);
    return 0;
}

void s3_uri_encode(struct buf *out, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
            (keep_slash && *p == '/')) {
            buf_putc(out, (char)*p);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            buf_append(out, e, 3);
        }
    }
}

static int cmp_param(const void *a, const void *b)
{
    const struct s3_param *x = a, *y = b;
    return strcmp(x->name, y->name);
}

static bool dns_bucket(const char *bucket)
{
    return strchr(bucket, '.') == NULL && strchr(bucket, '_') == NULL;
}

char *s3_request_url(const char *endpoint, const char *region, const char *bucket, const char *key,
                     struct s3_param *params, size_t nparams)
{
    struct buf u;
    buf_init(&u);
    /* path-style bucket requests are "/bucket" (no slash after it), object ones "/bucket/key" */
    if (endpoint) {
        buf_printf(&u, "%s/", endpoint);
        s3_uri_encode(&u, bucket, false);
        if (*key)
            buf_putc(&u, '/');
    } else if (dns_bucket(bucket)) {
        buf_printf(&u, "https://%s.s3.%s.amazonaws.com/", bucket, region);
    } else {
        buf_printf(&u, "https://s3.%s.amazonaws.com/", region);
        s3_uri_encode(&u, bucket, false);
        if (*key)
            buf_putc(&u, '/');
    }
    s3_uri_encode(&u, key, true);
    if (nparams) {
        qsort(params, nparams, sizeof *params, cmp_param);
        for (size_t i = 0; i < nparams; i++) {
            buf_putc(&u, i ? '&' : '?');
            s3_uri_encode(&u, params[i].name, false);
            buf_putc(&u, '=');
            s3_uri_encode(&u, params[i].value ? params[i].value : "", false);
        }
    }
    return buf_steal(&u);
}
