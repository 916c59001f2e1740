/* azure_url: Azure URLs into account, container and blob; the request URL of the Blob
 * endpoint; the Shared Key string to sign and its HMAC-SHA256 signature (OpenSSL libcrypto). */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "net/azure_internal.h"
#include "net/s3.h"

static const char *const schemes[] = {"abfss://", "abfs://", "wasbs://", "wasb://"};

bool azure_handles(const char *path)
{
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (str_prefix(path, schemes[i]))
            return true;
    return false;
}

void azure_path_done(struct azure_path *p)
{
    free(p->account);
    free(p->container);
    free(p->blob);
    free(p->host);
    memset(p, 0, sizeof *p);
}

static bool container_ok(const char *s, size_t n)
{
    if (n == 5 && memcmp(s, "$root", 5) == 0)
        return true;
    if (n < 3 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
            return false;
    return true;
}

int azure_split_url(const char *url, struct azure_path *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    const char *rest = NULL;
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0] && !rest; i++)
        if (str_prefix(url, schemes[i]))
            rest = url + strlen(schemes[i]);
    if (!rest)
        return st_err_set(err, ST_EFAIL, "%s: not an abfss://, abfs://, wasbs:// or wasb:// URL",
                          url);
    const char *at = strchr(rest, '@');
    const char *slash = strchr(rest, '/');
    if (!at || (slash && slash < at))
        return st_err_set(err, ST_EFORMAT,
                          "%s: no container (write CONTAINER@ACCOUNT.dfs.core.windows.net/PATH)",
                          url);
    if (!container_ok(rest, (size_t)(at - rest)))
        return st_err_set(err, ST_EFORMAT,
                          "%s: '%.*s' is not a container name (3 to 63 lower-case letters, "
                          "digits and '-')",
                          url, (int)(at - rest > 64 ? 64 : at - rest), rest);
    const char *h = at + 1;
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    const char *dot = memchr(h, '.', hl);
    size_t al = dot ? (size_t)(dot - h) : hl;
    if (al < 3 || al > 24 || !dot || hl > 253)
        return st_err_set(err, ST_EFORMAT,
                          "%s: '%.*s' is not an account host (ACCOUNT.dfs.core.windows.net or "
                          "ACCOUNT.blob.core.windows.net)",
                          url, (int)(hl > 64 ? 64 : hl), h);
    for (size_t i = 0; i < hl; i++) {
        unsigned char c = (unsigned char)h[i];
        bool ok = i < al ? (islower(c) || isdigit(c)) : (isalnum(c) || c == '.' || c == '-');
        if (!ok)
            return st_err_set(err, ST_EFORMAT,
                              "%s: '%.*s' is not an account host (the account: 3 to 24 "
                              "lower-case letters and digits)",
                              url, (int)(hl > 64 ? 64 : hl), h);
    }
    out->account = xstrndup(h, al);
    out->container = xstrndup(rest, (size_t)(at - rest));
    /* ADLS Gen2 paths are read through the Blob endpoint of the same account */
    char *host = xstrndup(h, hl);
    char *dfs = strstr(host, ".dfs.");
    if (dfs)
        out->host = xasprintf("%.*s.blob.%s", (int)(dfs - host), host, dfs + 5);
    else
        out->host = xstrdup(host);
    free(host);
    const char *b = slash ? slash : "";
    while (*b == '/')
        b++;
    out->blob = xstrdup(b);
    return 0;
}

static int cmp_param(const void *a, const void *b)
{
    const struct azure_param *x = a, *y = b;
    return strcmp(x->name, y->name);
}

char *azure_request_url(const char *base, const struct azure_path *p, bool with_blob,
                        struct azure_param *params, size_t nparams, const char *sas)
{
    struct buf u;
    buf_init(&u);
    buf_printf(&u, "%s/", base);
    s3_uri_encode(&u, p->container, false);
    if (with_blob && *p->blob) {
        buf_putc(&u, '/');
        s3_uri_encode(&u, p->blob, true);
    }
    if (nparams)
        qsort(params, nparams, sizeof *params, cmp_param);
    char sep = '?';
    for (size_t i = 0; i < nparams; i++) {
        buf_putc(&u, sep);
        sep = '&';
        s3_uri_encode(&u, params[i].name, false);
        buf_putc(&u, '=');
        s3_uri_encode(&u, params[i].value ? params[i].value : "", false);
    }
    if (sas && *sas) {
        buf_putc(&u, sep);
        buf_puts(&u, sas);
    }
    return buf_steal(&u);
}

char *azure_string_to_sign(const char *method, const char *range, const char *const *xms,
                           const char *account, const char *url_path,
                           const struct azure_param *params, size_t nparams)
{
    struct buf s;
    buf_init(&s);
    /* VERB, Content-Encoding, -Language, -Length, -MD5, -Type, Date, If-Modified-Since,
     * If-Match, If-None-Match, If-Unmodified-Since, Range */
    buf_printf(&s, "%s\n\n\n\n\n\n\n\n\n\n\n%s\n", method, range ? range : "");
    for (const char *const *h = xms; h && *h; h++)
        buf_printf(&s, "%s\n", *h);
    buf_printf(&s, "/%s%s", account, url_path);
    struct azure_param *sorted = NULL;
    if (nparams) {
        sorted = xmalloc(nparams * sizeof *sorted);
        memcpy(sorted, params, nparams * sizeof *sorted);
        qsort(sorted, nparams, sizeof *sorted, cmp_param);
    }
    for (size_t i = 0; i < nparams; i++)
        buf_printf(&s, "\n%s:%s", sorted[i].name, sorted[i].value ? sorted[i].value : "");
    free(sorted);
    return buf_steal(&s);
}

int azure_shared_key_auth(const char *account, const char *key_b64, const char *text, char **out,
                          struct st_err *err)
{
    *out = NULL;
    size_t kl = strlen(key_b64);
    if (kl == 0 || kl % 4 != 0 || kl > 1024)
        return st_err_set(err, ST_EFAIL, "the Azure storage account key is not base64");
    for (size_t i = 0; i < kl; i++) {
        unsigned char c = (unsigned char)key_b64[i];
        if (!(isalnum(c) || c == '+' || c == '/' || (c == '=' && i >= kl - 2)))
            return st_err_set(err, ST_EFAIL, "the Azure storage account key is not base64");
    }
    unsigned char key[1024];
    int n = EVP_DecodeBlock(key, (const unsigned char *)key_b64, (int)kl);
    if (n < 0)
        return st_err_set(err, ST_EFAIL, "the Azure storage account key is not base64");
    n -= (key_b64[kl - 1] == '=') + (key_b64[kl - 2] == '=');
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    if (!HMAC(EVP_sha256(), key, n, (const unsigned char *)text, strlen(text), mac, &ml)) {
        memset(key, 0, sizeof key);
        return st_err_set(err, ST_EFAIL, "HMAC-SHA256 failed");
    }
    memset(key, 0, sizeof key);
    unsigned char sig[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    EVP_EncodeBlock(sig, mac, (int)ml);
    *out = xasprintf("SharedKey %s:%s", account, (const char *)sig);
    return 0;
}
