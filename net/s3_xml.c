/* s3_xml: the two XML documents S3 answers with that streamtop reads: a ListObjectsV2 page
 * (ListBucketResult) and an <Error>. Not a general XML parser: elements are found by name,
 * text is decoded (character references and the five entities). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "net/s3_internal.h"
#include "net/xml.h"

int s3_parse_error(const char *xml, size_t len, char *code, size_t codelen, char *msg,
                   size_t msglen)
{
    const char *end = xml + len;
    size_t n;
    const char *err = xml_elem(xml, end, "Error", &n, NULL);
    if (!err)
        return -1;
    const char *eend = err + n;
    size_t cl = 0, ml = 0;
    const char *c = xml_elem(err, eend, "Code", &cl, NULL);
    const char *m = xml_elem(err, eend, "Message", &ml, NULL);
    if (!c)
        return -1;
    struct buf t;
    buf_init(&t);
    xml_text(c, cl < 128 ? cl : 128, &t);
    sanitize_copy(code, codelen, buf_str(&t));
    xml_text(m ? m : "", m ? (ml < 300 ? ml : 300) : 0, &t);
    sanitize_copy(msg, msglen, buf_str(&t));
    buf_done(&t);
    return 0;
}

/* Does [p, end) start with tag? Bounded: the text is not NUL-terminated, and strncmp may read
 * its n bytes past the first difference (libFuzzer's hook of it does). */
static bool at_tag(const char *p, const char *end, const char *tag)
{
    size_t n = strlen(tag);
    return (size_t)(end - p) >= n && memcmp(p, tag, n) == 0;
}

int s3_parse_list(const char *xml, size_t len, const struct s3_page_fns *fns, void *ctx,
                  bool *truncated, char **next_token, struct st_err *err)
{
    *truncated = false;
    *next_token = NULL;
    const char *end = xml + len;
    size_t n;
    const char *root = xml_elem(xml, end, "ListBucketResult", &n, NULL);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "the answer is not a ListBucketResult");
    const char *rend = root + n;
    struct buf t;
    buf_init(&t);
    const char *p = root, *next;
    size_t bl;
    const char *body;
    /* Contents and CommonPrefixes interleave in no fixed order: walk the children. */
    while (p < rend) {
        const char *lt = memchr(p, '<', (size_t)(rend - p));
        if (!lt)
            break;
        if (at_tag(lt, end, "<Contents>") &&
            (body = xml_elem(lt, rend, "Contents", &bl, &next)) != NULL) {
            size_t kl = 0, sl = 0, ml = 0;
            const char *k = xml_elem(body, body + bl, "Key", &kl, NULL);
            const char *s = xml_elem(body, body + bl, "Size", &sl, NULL);
            const char *m = xml_elem(body, body + bl, "LastModified", &ml, NULL);
            if (!k) {
                buf_done(&t);
                free(*next_token); /* a token may come before the bad entry */
                *next_token = NULL;
                return st_err_set(err, ST_EFORMAT, "a <Contents> entry has no <Key>");
            }
            int64_t size = -1, mtime = -1;
            if (s) {
                char tmp[32];
                snprintf(tmp, sizeof tmp, "%.*s", (int)(sl < 31 ? sl : 31), s);
                if (parse_int64(tmp, &size) < 0)
                    size = -1;
            }
            if (m) {
                char tmp[40];
                snprintf(tmp, sizeof tmp, "%.*s", (int)(ml < 39 ? ml : 39), m);
                if (parse_iso8601_ms(tmp, &mtime) < 0)
                    mtime = -1;
            }
            xml_text(k, kl, &t);
            if (fns->object)
                fns->object(ctx, buf_str(&t), size, mtime);
            p = next;
        } else if (at_tag(lt, end, "<CommonPrefixes>") &&
                   (body = xml_elem(lt, rend, "CommonPrefixes", &bl, &next)) != NULL) {
            size_t pl = 0;
            const char *pre = xml_elem(body, body + bl, "Prefix", &pl, NULL);
            if (pre && fns->prefix) {
                xml_text(pre, pl, &t);
                fns->prefix(ctx, buf_str(&t));
            }
            p = next;
        } else if (at_tag(lt, end, "<IsTruncated>") &&
                   (body = xml_elem(lt, rend, "IsTruncated", &bl, &next)) != NULL) {
            *truncated = bl == 4 && memcmp(body, "true", 4) == 0;
            p = next;
        } else if (at_tag(lt, end, "<NextContinuationToken>") &&
                   (body = xml_elem(lt, rend, "NextContinuationToken", &bl, &next)) != NULL) {
            xml_text(body, bl, &t);
            free(*next_token);
            *next_token = xstrdup(buf_str(&t));
            p = next;
        } else {
            p = lt + 1;
        }
    }
    buf_done(&t);
    if (*truncated && !*next_token)
        return st_err_set(err, ST_EFORMAT,
                          "the listing is truncated but has no <NextContinuationToken>");
    return 0;
}
