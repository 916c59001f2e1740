#include "net/s3.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "net/http.h"
#include "net/paging.h"
#include "net/redact.h"

/* SHA-256 of the empty body: every request streamtop sends is a GET or HEAD. */
#define EMPTY_SHA256        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define LIST_MAX_BYTES      (16u * 1024 * 1024)
#define CRED_FILE_MAX_BYTES (1024 * 1024)
#define DEFAULT_PARALLEL    8
/* A 5xx or a dropped connection is asked again this many times, after 100 ms, then 400 ms. */
#define MAX_RETRIES   2
#define RETRY_BASE_MS 100
/* A recursive listing whose first page is full splits over subdirectories this deep. */
#define SPLIT_DEPTH 2
/* pages one listing may take (1000 keys a page on AWS: far beyond any real listing) */
#define LIST_MAX_PAGES 100000

/* ---- settings and credentials ---------------------------------------------------------- */

struct profile_slot {
    char *name; /* "" for the default chain */
    int rc;
    struct s3_creds creds;
    struct st_err err;
};

static struct {
    char *endpoint, *region, *profile;
    int parallel;
    int64_t timeout_ms;
    const char *current; /* (borrowed) s3_use_profile */
    struct profile_slot *slots;
    size_t nslots;
} g;

void s3_creds_done(struct s3_creds *c)
{
    if (c->secret)
        memset(c->secret, 0, strlen(c->secret));
    if (c->token)
        memset(c->token, 0, strlen(c->token));
    free(c->key);
    free(c->secret);
    free(c->token);
    free(c->region);
    free(c->origin);
    memset(c, 0, sizeof *c);
}

static void forget_creds(void)
{
    for (size_t i = 0; i < g.nslots; i++) {
        free(g.slots[i].name);
        s3_creds_done(&g.slots[i].creds);
    }
    free(g.slots);
    g.slots = NULL;
    g.nslots = 0;
}

void s3_reset(void)
{
    forget_creds();
    free(g.endpoint);
    free(g.region);
    free(g.profile);
    memset(&g, 0, sizeof g);
}

static char *nonempty_dup(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

void s3_configure(const struct s3_settings *s)
{
    s3_reset();
    g.endpoint = nonempty_dup(s->endpoint);
    if (g.endpoint) {
        size_t n = strlen(g.endpoint);
        while (n > 0 && g.endpoint[n - 1] == '/')
            g.endpoint[--n] = '\0';
    }
    g.region = nonempty_dup(s->region);
    g.profile = nonempty_dup(s->profile);
    g.parallel = s->parallel;
    g.timeout_ms = s->timeout_ms;
}

void s3_use_profile(const char *profile)
{
    g.current = profile && *profile ? profile : NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int s3_aws_parse(char *text, const char *want, struct s3_aws_section *out)
{
    int found = 0;
    bool in = false;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *s = str_trim(line);
        if (*s == '#' || *s == ';' || !*s)
            continue;
        if (*s == '[') {
            char *close = strchr(s, ']');
            if (close)
                *close = '\0';
            char *name = str_trim(s + 1);
            if (str_prefix(name, "profile ") || str_prefix(name, "profile\t"))
                name = str_trim(name + 8);
            in = strcmp(name, want) == 0;
            found |= in;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        char *k = str_trim(s), *v = str_trim(eq + 1);
        char **slot = strcmp(k, "aws_access_key_id") == 0       ? &out->key
                      : strcmp(k, "aws_secret_access_key") == 0 ? &out->secret
                      : strcmp(k, "aws_session_token") == 0     ? &out->token
                      : strcmp(k, "region") == 0                ? &out->region
                                                                : NULL;
        if (slot && *v) {
            free(*slot);
            *slot = xstrdup(v);
        }
    }
    return found;
}

/* One AWS file (credentials or config): the keys of section `want`. Values may be long
 * (session tokens), so the file is read whole. 1 when the section was found, 0 when not, -1
 * with err when the file cannot be read. */
static int read_aws_file(const char *path, const char *want, struct s3_aws_section *out,
                         struct st_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return st_err_set(err, ST_EIO, "%s: %s", path, strerror(errno));
    }
    char *text = xmalloc(CRED_FILE_MAX_BYTES + 1);
    size_t n = fread(text, 1, CRED_FILE_MAX_BYTES + 1, f);
    fclose(f);
    if (n > CRED_FILE_MAX_BYTES) {
        free(text);
        return st_err_set(err, ST_ETOOBIG, "%s: larger than %d bytes", path, CRED_FILE_MAX_BYTES);
    }
    text[n] = '\0';
    int found = s3_aws_parse(text, want, out);
    memset(text, 0, n);
    free(text);
    return found;
}

static char *aws_path(const char *envname, const char *file)
{
    const char *p = env(envname);
    if (p)
        return xstrdup(p);
    const char *home = env("HOME");
    return xasprintf("%s/.aws/%s", home ? home : ".", file);
}

int s3_creds_resolve(const char *profile, struct s3_creds *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    const char *name = profile;
    char *cfgpath = aws_path("AWS_CONFIG_FILE", "config");
    struct s3_aws_section conf = {0};
    if (!profile && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        out->key = xstrdup(env("AWS_ACCESS_KEY_ID"));
        out->secret = xstrdup(env("AWS_SECRET_ACCESS_KEY"));
        out->token = nonempty_dup(env("AWS_SESSION_TOKEN"));
        out->origin = xstrdup("environment");
        name = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
        if (read_aws_file(cfgpath, name, &conf, err) > 0)
            out->region = conf.region ? xstrdup(conf.region) : NULL;
        free(conf.key);
        free(conf.secret);
        free(conf.token);
        free(conf.region);
        free(cfgpath);
        return 0;
    }
    if (!name)
        name = env("AWS_PROFILE") ? env("AWS_PROFILE") : "default";
    char *credpath = aws_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    struct s3_aws_section cred = {0};
    int rc = read_aws_file(credpath, name, &cred, err);
    int rc2 = rc < 0 ? 0 : read_aws_file(cfgpath, name, &conf, err);
    if (rc >= 0 && rc2 >= 0) {
        /* keys may also sit in the config file's profile */
        char *key = cred.key ? cred.key : conf.key;
        char *secret = cred.secret ? cred.secret : conf.secret;
        if (key && secret) {
            out->key = xstrdup(key);
            out->secret = xstrdup(secret);
            out->token = cred.token ? xstrdup(cred.token) : nonempty_dup(conf.token);
            out->region = conf.region ? xstrdup(conf.region) : NULL;
            out->origin = xasprintf("profile '%s' (%s)", name, cred.key ? credpath : cfgpath);
        } else if (rc > 0 || rc2 > 0) {
            rc = st_err_set(err, ST_EFAIL,
                            "AWS profile '%s' has no aws_access_key_id and aws_secret_access_key "
                            "(%s)",
                            name, credpath);
        } else if (profile || env("AWS_PROFILE")) {
            rc = st_err_set(err, ST_EFAIL, "AWS profile '%s' not found in %s or %s", name, credpath,
                            cfgpath);
        } else {
            rc = st_err_set(err, ST_EFAIL,
                            "no AWS credentials: set AWS_ACCESS_KEY_ID and "
                            "AWS_SECRET_ACCESS_KEY, or add a [default] profile to %s",
                            credpath);
        }
    }
    struct s3_aws_section *both[] = {&cred, &conf};
    for (int i = 0; i < 2; i++) {
        if (both[i]->secret)
            memset(both[i]->secret, 0, strlen(both[i]->secret));
        free(both[i]->key);
        free(both[i]->secret);
        free(both[i]->token);
        free(both[i]->region);
    }
    free(credpath);
    free(cfgpath);
    if (rc < 0) {
        s3_creds_done(out);
        return -1;
    }
    return 0;
}

/* The credentials of the profile in use, resolved once per process. */
static const struct s3_creds *creds_now(struct st_err *err)
{
    const char *want = g.current ? g.current : g.profile;
    const char *key = want ? want : "";
    for (size_t i = 0; i < g.nslots; i++)
        if (strcmp(g.slots[i].name, key) == 0) {
            if (g.slots[i].rc < 0) {
                *err = g.slots[i].err;
                return NULL;
            }
            return &g.slots[i].creds;
        }
    g.slots = xrealloc(g.slots, (g.nslots + 1) * sizeof *g.slots);
    struct profile_slot *s = &g.slots[g.nslots++];
    memset(s, 0, sizeof *s);
    s->name = xstrdup(key);
    s->rc = s3_creds_resolve(want, &s->creds, &s->err);
    if (s->rc < 0) {
        *err = s->err;
        return NULL;
    }
    return &s->creds;
}

static const char *region_now(const struct s3_creds *c)
{
    if (g.region)
        return g.region;
    if (env("AWS_REGION"))
        return env("AWS_REGION");
    if (env("AWS_DEFAULT_REGION"))
        return env("AWS_DEFAULT_REGION");
    if (c && c->region)
        return c->region;
    return "us-east-1";
}

static const char *endpoint_now(void)
{
    if (g.endpoint)
        return g.endpoint;
    if (env("AWS_ENDPOINT_URL_S3"))
        return env("AWS_ENDPOINT_URL_S3");
    return env("AWS_ENDPOINT_URL");
}

/* ---- URLs ------------------------------------------------------------------------------ */

int s3_split_url(const char *url, char **bucket, char **key, struct st_err *err)
{
    *bucket = *key = NULL;
    if (!str_prefix(url, "s3://"))
        return st_err_set(err, ST_EFAIL, "%s: not an s3:// URL", url);
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

/* ---- XML ------------------------------------------------------------------------------- */

/* The text between <tag> and </tag> within [p, end), or NULL. *next is set past the close. */
static const char *xml_elem(const char *p, const char *end, const char *tag, size_t *len,
                            const char **next)
{
    size_t tl = strlen(tag);
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            return NULL;
        const char *q = lt + 1;
        if ((size_t)(end - q) > tl && memcmp(q, tag, tl) == 0 && (q[tl] == '>' || q[tl] == ' ')) {
            const char *gt = memchr(q + tl, '>', (size_t)(end - q - tl));
            if (!gt)
                return NULL;
            const char *body = gt + 1;
            if (gt[-1] == '/') { /* <Tag/> */
                *len = 0;
                if (next)
                    *next = body;
                return body;
            }
            for (const char *c = body; c < end;) {
                const char *cl = memchr(c, '<', (size_t)(end - c));
                if (!cl)
                    return NULL;
                if ((size_t)(end - cl) >= tl + 3 && cl[1] == '/' && memcmp(cl + 2, tag, tl) == 0 &&
                    cl[2 + tl] == '>') {
                    *len = (size_t)(cl - body);
                    if (next)
                        *next = cl + 3 + tl;
                    return body;
                }
                c = cl + 1;
            }
            return NULL;
        }
        p = lt + 1;
    }
    return NULL;
}

/* Decode XML character references and the five entities into out. */
static void xml_text(const char *s, size_t n, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '&') {
            buf_putc(out, s[i]);
            continue;
        }
        static const struct {
            const char *name;
            char c;
        } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
        bool done = false;
        for (size_t e = 0; e < sizeof ents / sizeof ents[0] && !done; e++) {
            size_t el = strlen(ents[e].name);
            if (n - i - 1 >= el && memcmp(s + i + 1, ents[e].name, el) == 0) {
                buf_putc(out, ents[e].c);
                i += el;
                done = true;
            }
        }
        if (!done && i + 2 < n && s[i + 1] == '#') {
            size_t j = i + 2;
            int base = 10;
            if (s[j] == 'x' || s[j] == 'X') {
                base = 16;
                j++;
            }
            unsigned long v = 0;
            size_t start = j;
            while (j < n && j - start < 8 && isxdigit((unsigned char)s[j]) &&
                   (base == 16 || isdigit((unsigned char)s[j]))) {
                v = v * (unsigned long)base + (unsigned long)(isdigit((unsigned char)s[j])
                                                                  ? s[j] - '0'
                                                                  : (tolower(s[j]) - 'a' + 10));
                j++;
            }
            if (j < n && s[j] == ';' && j > start && v > 0 && v <= 0x10FFFF) {
                /* UTF-8 encode */
                if (v < 0x80) {
                    buf_putc(out, (char)v);
                } else if (v < 0x800) {
                    buf_putc(out, (char)(0xC0 | (v >> 6)));
                    buf_putc(out, (char)(0x80 | (v & 0x3F)));
                } else if (v < 0x10000) {
                    buf_putc(out, (char)(0xE0 | (v >> 12)));
                    buf_putc(out, (char)(0x80 | ((v >> 6) & 0x3F)));
                    buf_putc(out, (char)(0x80 | (v & 0x3F)));
                } else {
                    buf_putc(out, (char)(0xF0 | (v >> 18)));
                    buf_putc(out, (char)(0x80 | ((v >> 12) & 0x3F)));
                    buf_putc(out, (char)(0x80 | ((v >> 6) & 0x3F)));
                    buf_putc(out, (char)(0x80 | (v & 0x3F)));
                }
                i = j;
                done = true;
            }
        }
        if (!done)
            buf_putc(out, '&');
    }
}

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
        if (strncmp(lt, "<Contents>", 10) == 0 &&
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
        } else if (strncmp(lt, "<CommonPrefixes>", 16) == 0 &&
                   (body = xml_elem(lt, rend, "CommonPrefixes", &bl, &next)) != NULL) {
            size_t pl = 0;
            const char *pre = xml_elem(body, body + bl, "Prefix", &pl, NULL);
            if (pre && fns->prefix) {
                xml_text(pre, pl, &t);
                fns->prefix(ctx, buf_str(&t));
            }
            p = next;
        } else if (strncmp(lt, "<IsTruncated>", 13) == 0 &&
                   (body = xml_elem(lt, rend, "IsTruncated", &bl, &next)) != NULL) {
            *truncated = bl == 4 && memcmp(body, "true", 4) == 0;
            p = next;
        } else if (strncmp(lt, "<NextContinuationToken>", 23) == 0 &&
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

/* ---- requests -------------------------------------------------------------------------- */

/* What one request needs besides its URL: signing and headers, filled from the settings. */
struct signer {
    char sigv4[160];
    const struct s3_creds *creds;
    const char *endpoint;
    const char *region;
    char *token_header; /* (owned) */
    const char *headers[4];
};

static int signer_init(struct signer *s, struct st_err *err)
{
    memset(s, 0, sizeof *s);
    s->creds = creds_now(err);
    if (!s->creds)
        return -1;
    s->region = region_now(s->creds);
    s->endpoint = endpoint_now();
    snprintf(s->sigv4, sizeof s->sigv4, "aws:amz:%s:s3", s->region);
    size_t h = 0;
    s->headers[h++] = "x-amz-content-sha256: " EMPTY_SHA256;
    if (s->creds->token) {
        s->token_header = xasprintf("x-amz-security-token: %s", s->creds->token);
        s->headers[h++] = s->token_header;
    }
    s->headers[h] = NULL;
    return 0;
}

static void signer_done(struct signer *s)
{
    free(s->token_header);
}

static void signer_request(const struct signer *s, struct http_request *req, const char *url,
                           const char *const *headers)
{
    memset(req, 0, sizeof *req);
    req->url = url;
    req->headers = headers ? headers : s->headers;
    req->timeout_ms = g.timeout_ms;
    req->aws_sigv4 = s->sigv4;
    req->user = s->creds->key;
    req->password = s->creds->secret;
}

/* The error for a non-2xx answer: the S3 code and message when the body is an <Error>. */
static int answer_error(const char *s3url, const char *httpurl, const struct http_response *r,
                        struct st_err *err)
{
    char shown[512];
    redact_url(httpurl, false, shown, sizeof shown);
    char code[128], msg[320];
    if (s3_parse_error(buf_str(&r->body), r->body.len, code, sizeof code, msg, sizeof msg) == 0) {
        enum st_errcode ec = strcmp(code, "NoSuchKey") == 0 ? ST_ENOENT : ST_EIO;
        return st_err_set(err, ec, "%s: %s (HTTP %ld from %s)%s%s", s3url, code, r->status, shown,
                          *msg ? ": " : "", msg);
    }
    if (r->status == 404)
        return st_err_set(err, ST_ENOENT, "%s: not found (HTTP 404 from %s)", s3url, shown);
    if (r->status == 403)
        return st_err_set(err, ST_EIO, "%s: AccessDenied (HTTP 403 from %s)", s3url, shown);
    char sample[81];
    sanitize_copy(sample, sizeof sample, buf_str(&r->body));
    return st_err_set(err, ST_EIO, "%s: HTTP %ld from %s, and the answer is not S3 XML%s%s%s",
                      s3url, r->status, shown, *sample ? " ('" : "", sample, *sample ? "')" : "");
}

/* Worth asking again: a 5xx (S3's SlowDown and InternalError among them) or a dropped
 * connection. Not a timeout: that would double the wait. */
static bool retryable(int rc, const struct st_err *err, const struct http_response *r)
{
    if (rc < 0)
        return err->code == ST_EIO;
    return r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504;
}

static void backoff(int attempt)
{
    if (stop_requested())
        return; /* the next request fails at once with "stopped" */
    struct timespec ts = {0, (long)RETRY_BASE_MS * 1000000L << (2 * attempt)};
    nanosleep(&ts, NULL);
    log_debug("s3: retrying after a server error (attempt %d)", attempt + 2);
}

static int one_request(const char *s3url, const char *url, const char *method, const char *range,
                       size_t max_bytes, struct http_response *resp, struct st_err *err)
{
    struct signer s;
    if (signer_init(&s, err) < 0)
        return st_err_prefix(err, "%s", s3url);
    const char *headers[5];
    size_t h = 0;
    for (const char *const *p = s.headers; *p; p++)
        headers[h++] = *p;
    char rangeh[80];
    if (range) {
        snprintf(rangeh, sizeof rangeh, "Range: %s", range);
        headers[h++] = rangeh;
    }
    headers[h] = NULL;
    struct http_request req;
    signer_request(&s, &req, url, headers);
    req.method = method;
    req.max_bytes = max_bytes;
    int rc;
    for (int attempt = 0;; attempt++) {
        rc = http_perform(&req, resp, err);
        if (attempt >= MAX_RETRIES || !retryable(rc, err, resp))
            break;
        backoff(attempt);
    }
    signer_done(&s);
    if (rc < 0)
        return st_err_prefix(err, "%s", s3url);
    return 0;
}

static char *object_url(const char *bucket, const char *key)
{
    struct st_err err;
    const struct s3_creds *c = creds_now(&err);
    return s3_request_url(endpoint_now(), region_now(c), bucket, key, NULL, 0);
}

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
    char *hurl = object_url(bucket, key);
    char range[80];
    snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset,
             (long long)(offset + (int64_t)(len ? len : 1) - 1));
    struct http_response r;
    http_response_init(&r);
    int rc = one_request(url, hurl, "GET", range, len + 1024, &r, err);
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
                const char *a = xml_elem(buf_str(&r.body), buf_str(&r.body) + r.body.len,
                                         "ActualObjectSize", &n, NULL);
                if (a)
                    total = strtoll(a, NULL, 10);
            }
        } else {
            rc = answer_error(url, hurl, &r, err);
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

/* ---- listing --------------------------------------------------------------------------- */

enum task_kind { T_SCAN, T_SPLIT, T_LEVEL };

struct lister {
    struct http_batch *batch;
    struct signer sig;
    const char *url; /* (borrowed) the s3:// URL listed, for messages */
    char *bucket;
    size_t root_len; /* length of the listed prefix (names are relative to it) */
    s3_visit_fn fn;
    void *ctx;
    size_t count, max_entries;
    size_t pages; /* pages so far, over every chain (the paging cap is per listing) */
    int rc;
    struct st_err *err;
    char page_size[16]; /* max-keys when the caller wants only a few, else "" */
};

struct task {
    struct lister *l;
    enum task_kind kind;
    char *prefix;      /* key prefix listed, ending in '/' (or "" for a bucket) */
    char *start_after; /* first page only, or NULL */
    char *token;       /* continuation, or NULL */
    char *last_key;    /* T_SPLIT: the last key the first page reported */
    int depth;
    int retries;
    bool may_split;
    /* T_SPLIT collects the level before fanning out */
    char **prefixes;
    size_t nprefixes, capprefixes;
    char **objects; /* keys directly at the level, after last_key */
    int64_t *osize, *omtime;
    size_t nobjects, capobjects;
    char *page_last;     /* last key of the current page */
    size_t page_entries; /* keys and prefixes on the current page */
    struct paging pg;    /* the tokens of this task's chain of pages */
};

static void task_free(struct task *t)
{
    free(t->prefix);
    free(t->start_after);
    free(t->token);
    free(t->last_key);
    for (size_t i = 0; i < t->nprefixes; i++)
        free(t->prefixes[i]);
    free(t->prefixes);
    for (size_t i = 0; i < t->nobjects; i++)
        free(t->objects[i]);
    free(t->objects);
    free(t->osize);
    free(t->omtime);
    free(t->page_last);
    paging_done(&t->pg);
    free(t);
}

static void lister_fail(struct lister *l)
{
    if (l->rc == 0)
        l->rc = -1;
    http_batch_stop(l->batch);
}

/* Report one entry to the visitor (names relative to the listed prefix). */
static void report(struct lister *l, const char *key, int64_t size, int64_t mtime, bool is_prefix)
{
    if (l->rc != 0)
        return;
    size_t kl = strlen(key);
    if (kl <= l->root_len)
        return; /* the prefix itself (a "directory marker") */
    if (!is_prefix && key[kl - 1] == '/')
        return; /* a directory marker further down */
    if (++l->count > l->max_entries) {
        st_err_set(l->err, ST_ETOOBIG, "%s: more than %zu entries; listing stopped", l->url,
                   l->max_entries);
        lister_fail(l);
        return;
    }
    char stackname[1024];
    const char *name = key + l->root_len;
    size_t nl = kl - l->root_len;
    char *heap = NULL;
    if (is_prefix && nl > 0 && name[nl - 1] == '/') {
        char *dst = nl < sizeof stackname ? stackname : (heap = xmalloc(nl));
        memcpy(dst, name, nl - 1);
        dst[nl - 1] = '\0';
        name = dst;
    }
    struct s3_object o = {.name = name, .size = size, .mtime_ms = mtime, .is_prefix = is_prefix};
    if (l->fn(&o, l->ctx)) {
        l->rc = 1; /* stopped by the visitor: not an error */
        http_batch_stop(l->batch);
    }
    free(heap);
}

static void task_submit(struct task *t);

static struct task *task_new(struct lister *l, enum task_kind kind, const char *prefix, int depth)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->l = l;
    t->kind = kind;
    t->prefix = xstrdup(prefix);
    t->depth = depth;
    paging_init(&t->pg, l->url, LIST_MAX_PAGES, &l->pages);
    return t;
}

static void on_object(void *ctx, const char *key, int64_t size, int64_t mtime)
{
    struct task *t = ctx;
    t->page_entries++;
    free(t->page_last);
    t->page_last = xstrdup(key);
    if (t->kind != T_SPLIT) {
        report(t->l, key, size, mtime, false);
        return;
    }
    if (t->last_key && strcmp(key, t->last_key) <= 0)
        return; /* the first page had it */
    xgrow((void **)&t->objects, &t->capobjects, t->nobjects + 1, sizeof *t->objects);
    t->osize = xrealloc(t->osize, t->capobjects * sizeof *t->osize);
    t->omtime = xrealloc(t->omtime, t->capobjects * sizeof *t->omtime);
    t->objects[t->nobjects] = xstrdup(key);
    t->osize[t->nobjects] = size;
    t->omtime[t->nobjects++] = mtime;
}

static void on_prefix(void *ctx, const char *prefix)
{
    struct task *t = ctx;
    t->page_entries++;
    if (t->kind == T_LEVEL) {
        report(t->l, prefix, -1, -1, true);
        return;
    }
    if (t->kind == T_SPLIT) {
        xgrow((void **)&t->prefixes, &t->capprefixes, t->nprefixes + 1, sizeof *t->prefixes);
        t->prefixes[t->nprefixes++] = xstrdup(prefix);
    }
}

static struct task *scan_task(struct lister *l, const char *prefix, const char *start_after,
                              int depth)
{
    struct task *t = task_new(l, T_SCAN, prefix, depth);
    t->start_after = start_after ? xstrdup(start_after) : NULL;
    t->may_split = depth < SPLIT_DEPTH;
    return t;
}

/* A T_SPLIT finished its level: fan out over the subdirectories not yet covered. */
static void split_done(struct task *t)
{
    struct lister *l = t->l;
    if (t->nprefixes == 0) {
        /* No subdirectories seen (or a server that does not report them): go on in order. */
        struct task *n = scan_task(l, t->prefix, t->last_key, t->depth);
        n->may_split = false;
        task_submit(n);
        return;
    }
    log_debug("s3: s3://%s/%s: fan out over %zu prefixes", l->bucket, t->prefix, t->nprefixes);
    for (size_t i = 0; i < t->nobjects; i++)
        report(l, t->objects[i], t->osize[i], t->omtime[i], false);
    for (size_t i = 0; i < t->nprefixes && l->rc == 0; i++) {
        const char *c = t->prefixes[i];
        int cmp = strcmp(c, t->last_key);
        if (cmp > 0)
            task_submit(scan_task(l, c, NULL, t->depth + 1));
        else if (str_prefix(t->last_key, c))
            task_submit(scan_task(l, c, t->last_key, t->depth + 1));
        /* else: every key below c sorts before last_key, so the first page had them all */
    }
}

static void on_page(void *ctx, int rc, struct http_response *resp, struct st_err *herr)
{
    struct task *t = ctx;
    struct lister *l = t->l;
    if (l->rc != 0) {
        task_free(t);
        return;
    }
    if (t->retries < MAX_RETRIES && retryable(rc, herr, resp)) {
        backoff(t->retries++);
        task_submit(t);
        return;
    }
    if (rc < 0) {
        *l->err = *herr;
        st_err_prefix(l->err, "%s", l->url);
        lister_fail(l);
        task_free(t);
        return;
    }
    if (resp->status != 200) {
        char *hurl = s3_request_url(l->sig.endpoint, l->sig.region, l->bucket, "", NULL, 0);
        answer_error(l->url, hurl, resp, l->err);
        if (l->err->code == ST_ENOENT)
            l->err->code = ST_EIO; /* a missing bucket is not an empty directory */
        free(hurl);
        lister_fail(l);
        task_free(t);
        return;
    }
    static const struct s3_page_fns fns = {on_object, on_prefix};
    bool truncated;
    char *token = NULL;
    free(t->page_last);
    t->page_last = NULL;
    t->page_entries = 0;
    if (s3_parse_list(resp->body.data, resp->body.len, &fns, t, &truncated, &token, l->err) < 0) {
        st_err_prefix(l->err, "%s", l->url);
        lister_fail(l);
        free(token);
        task_free(t);
        return;
    }
    if (l->rc != 0) {
        free(token);
        task_free(t);
        return;
    }
    /* a server that answers "more follows" forever must not hang the listing */
    if (paging_next(&t->pg, truncated ? token : NULL, t->page_entries, l->err) < 0) {
        lister_fail(l);
        free(token);
        task_free(t);
        return;
    }
    if (!truncated) {
        free(token);
        if (t->kind == T_SPLIT)
            split_done(t);
        task_free(t);
        return;
    }
    if (t->kind == T_SCAN && t->may_split && !t->token && t->page_last) {
        /* a big listing: fan out over the subdirectories of this prefix */
        struct task *s = task_new(l, T_SPLIT, t->prefix, t->depth);
        s->last_key = xstrdup(t->page_last);
        task_submit(s);
        free(token);
        task_free(t);
        return;
    }
    free(t->token);
    t->token = token;
    free(t->start_after);
    t->start_after = NULL;
    task_submit(t); /* the next page */
}

static void task_submit(struct task *t)
{
    struct lister *l = t->l;
    struct s3_param p[6];
    size_t n = 0;
    p[n++] = (struct s3_param){"list-type", "2"};
    p[n++] = (struct s3_param){"prefix", t->prefix};
    if (t->kind != T_SCAN)
        p[n++] = (struct s3_param){"delimiter", "/"};
    if (t->token)
        p[n++] = (struct s3_param){"continuation-token", t->token};
    else if (t->start_after)
        p[n++] = (struct s3_param){"start-after", t->start_after};
    if (*l->page_size)
        p[n++] = (struct s3_param){"max-keys", l->page_size};
    char *url = s3_request_url(l->sig.endpoint, l->sig.region, l->bucket, "", p, n);
    log_debug("s3: list s3://%s/%s%s%s%s", l->bucket, t->prefix,
              t->kind == T_SCAN ? "" : " (delimited)", t->token ? " (next page)" : "",
              !t->token && t->start_after ? " (after the first page)" : "");
    struct http_request req;
    signer_request(&l->sig, &req, url, NULL);
    req.max_bytes = LIST_MAX_BYTES;
    http_batch_add(l->batch, &req, on_page, t);
    free(url);
}

int s3_list(const char *url, bool recursive, size_t max_entries, s3_visit_fn fn, void *ctx,
            struct st_err *err)
{
    struct lister l = {.url = url, .fn = fn, .ctx = ctx, .max_entries = max_entries, .err = err};
    char *key;
    if (s3_split_url(url, &l.bucket, &key, err) < 0)
        return -1;
    if (signer_init(&l.sig, err) < 0) {
        free(l.bucket);
        free(key);
        return st_err_prefix(err, "%s", url);
    }
    size_t kl = strlen(key);
    char *prefix = kl && key[kl - 1] != '/' ? xasprintf("%s/", key) : xstrdup(key);
    l.root_len = strlen(prefix);
    if (max_entries < 1000)
        snprintf(l.page_size, sizeof l.page_size, "%zu", max_entries + 1);
    l.batch = http_batch_new(g.parallel > 0 ? g.parallel : DEFAULT_PARALLEL);
    if (recursive)
        task_submit(scan_task(&l, prefix, NULL, 0));
    else
        task_submit(task_new(&l, T_LEVEL, prefix, 0));
    http_batch_run(l.batch);
    http_batch_free(l.batch);
    signer_done(&l.sig);
    free(prefix);
    free(key);
    free(l.bucket);
    return l.rc < 0 ? -1 : 0;
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
        char *hurl = object_url(bucket, key);
        struct http_response r;
        http_response_init(&r);
        rc = one_request(url, hurl, "HEAD", NULL, 0, &r, err);
        if (rc == 0 && r.status == 200) {
            char cl[40];
            if (http_header(&r, "content-length", cl, sizeof cl) == 0)
                *size = strtoll(cl, NULL, 10);
            *mtime_ms = r.filetime_ms;
        } else if (rc == 0 && r.status == 404) {
            try_dir = true;
        } else if (rc == 0) {
            rc = answer_error(url, hurl, &r, err);
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
