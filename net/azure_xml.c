/* azure_xml: the answers of the Azure services that streamtop reads: a List Blobs page
 * (EnumerationResults), an <Error>, an RFC 1123 date, and an OAuth2 token (JSON). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "net/azure_internal.h"
#include "net/xml.h"

static bool at_tag(const char *p, const char *end, const char *tag)
{
    size_t n = strlen(tag);
    return (size_t)(end - p) >= n && memcmp(p, tag, n) == 0;
}

int azure_parse_http_date(const char *s, size_t n, int64_t *out)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /* "Wed, 02 Dec 2026 03:44:21 GMT" */
    if (n != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
        s[19] != ':' || s[22] != ':' || memcmp(s + 25, " GMT", 4) != 0)
        return -1;
    int64_t day, year, hh, mm, ss;
    if (!parse_digits(s + 5, 2, &day) || !parse_digits(s + 12, 4, &year) ||
        !parse_digits(s + 17, 2, &hh) || !parse_digits(s + 20, 2, &mm) ||
        !parse_digits(s + 23, 2, &ss))
        return -1;
    int mon = -1;
    for (int i = 0; i < 12; i++)
        if (memcmp(s + 8, months + 3 * i, 3) == 0)
            mon = i + 1;
    if (mon < 0)
        return -1;
    char iso[32];
    snprintf(iso, sizeof iso, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)year, mon, (int)day, (int)hh,
             (int)mm, (int)ss);
    return parse_iso8601_ms(iso, out);
}

/* One <Blob> element's body. */
static int take_blob(const char *body, size_t bl, const struct azure_page_fns *fns, void *ctx,
                     struct buf *t, struct st_err *err)
{
    const char *end = body + bl;
    size_t nl = 0, pl = 0, sl = 0, ml = 0, dl = 0;
    const char *name = xml_elem(body, end, "Name", &nl, NULL);
    if (!name)
        return st_err_set(err, ST_EFORMAT, "a <Blob> entry has no <Name>");
    int64_t size = -1, mtime = -1;
    bool folder = false;
    const char *props = xml_elem(body, end, "Properties", &pl, NULL);
    if (props) {
        const char *s = xml_elem(props, props + pl, "Content-Length", &sl, NULL);
        const char *m = xml_elem(props, props + pl, "Last-Modified", &ml, NULL);
        if (s && (sl == 0 || sl > 19 || !parse_digits(s, sl, &size)))
            size = -1;
        if (m && azure_parse_http_date(m, ml, &mtime) < 0)
            mtime = -1;
    }
    const char *meta = xml_elem(body, end, "Metadata", &ml, NULL);
    if (meta) {
        const char *f = xml_elem(meta, meta + ml, "hdi_isfolder", &dl, NULL);
        folder = f && dl == 4 && memcmp(f, "true", 4) == 0;
    }
    xml_text(name, nl, t);
    if (fns->blob)
        fns->blob(ctx, buf_str(t), size, mtime, folder);
    return 0;
}

int azure_parse_list(const char *xml, size_t len, const struct azure_page_fns *fns, void *ctx,
                     char **next_marker, struct st_err *err)
{
    *next_marker = NULL;
    const char *end = xml + len;
    size_t n;
    const char *root = xml_elem(xml, end, "EnumerationResults", &n, NULL);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "the answer is not a List Blobs EnumerationResults");
    const char *rend = root + n;
    size_t bsl = 0;
    const char *after = root;
    const char *blobs = xml_elem(root, rend, "Blobs", &bsl, &after);
    struct buf t;
    buf_init(&t);
    int rc = 0;
    if (blobs) {
        const char *bend = blobs + bsl, *p = blobs, *next, *body;
        size_t bl;
        while (p < bend && rc == 0) {
            const char *lt = memchr(p, '<', (size_t)(bend - p));
            if (!lt)
                break;
            if (at_tag(lt, bend, "<Blob>") &&
                (body = xml_elem(lt, bend, "Blob", &bl, &next)) != NULL) {
                rc = take_blob(body, bl, fns, ctx, &t, err);
                p = next;
            } else if (at_tag(lt, bend, "<BlobPrefix>") &&
                       (body = xml_elem(lt, bend, "BlobPrefix", &bl, &next)) != NULL) {
                size_t nl = 0;
                const char *name = xml_elem(body, body + bl, "Name", &nl, NULL);
                if (!name) {
                    rc = st_err_set(err, ST_EFORMAT, "a <BlobPrefix> entry has no <Name>");
                    break;
                }
                xml_text(name, nl, &t);
                if (fns->prefix)
                    fns->prefix(ctx, buf_str(&t));
                p = next;
            } else {
                p = lt + 1;
            }
        }
    } else {
        after = root;
    }
    if (rc == 0) {
        /* the marker follows the entries (a blob's metadata may hold any element name) */
        size_t ml = 0;
        const char *m = xml_elem(after, rend, "NextMarker", &ml, NULL);
        if (m && ml > 0) {
            xml_text(m, ml, &t);
            *next_marker = xstrdup(buf_str(&t));
        }
    }
    buf_done(&t);
    return rc;
}

int azure_parse_error(const char *xml, size_t len, char *code, size_t codelen, char *msg,
                      size_t msglen)
{
    const char *end = xml + len;
    size_t n;
    const char *e = xml_elem(xml, end, "Error", &n, NULL);
    if (!e)
        return -1;
    size_t cl = 0, ml = 0;
    const char *c = xml_elem(e, e + n, "Code", &cl, NULL);
    const char *m = xml_elem(e, e + n, "Message", &ml, NULL);
    if (!c || cl == 0)
        return -1;
    struct buf t;
    buf_init(&t);
    xml_text(c, cl < 128 ? cl : 128, &t);
    sanitize_copy(code, codelen, buf_str(&t));
    /* the first line only: the rest is a request id and a time */
    size_t first = 0;
    while (m && first < ml && first < 300 && m[first] != '\n' && m[first] != '\r')
        first++;
    xml_text(m ? m : "", first, &t);
    sanitize_copy(msg, msglen, buf_str(&t));
    buf_done(&t);
    return 0;
}

int azure_parse_token(const char *json, size_t len, char **token, int64_t *expires_in_s,
                      struct st_err *err)
{
    *token = NULL;
    *expires_in_s = 0;
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "the token answer is not a JSON object");
    }
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "access_token");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "error");
    int rc = 0;
    int64_t secs = -1;
    if (cJSON_IsNumber(exp) && exp->valuedouble >= 0 && exp->valuedouble < 1e9)
        secs = (int64_t)exp->valuedouble;
    else if (cJSON_IsString(exp) && parse_int64(exp->valuestring, &secs) < 0)
        secs = -1;
    if (!cJSON_IsString(tok) || !*tok->valuestring) {
        char shown[80];
        sanitize_copy(shown, sizeof shown, cJSON_IsString(code) ? code->valuestring : "");
        rc = st_err_set(err, ST_EFORMAT, "the token answer has no access_token%s%s",
                        *shown ? ": " : "", shown);
    } else if (secs < 0 || secs > 1000000000) {
        rc = st_err_set(err, ST_EFORMAT, "the token answer has no valid expires_in");
    } else {
        *token = xstrdup(tok->valuestring);
        *expires_in_s = secs;
    }
    cJSON_Delete(root);
    return rc;
}
