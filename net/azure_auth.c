/* azure_auth: the process-wide Azure settings and the credential chain, in the order the Azure
 * SDKs try it: an account SAS token, the account's shared key, a service principal (OAuth2
 * client credentials against Microsoft Entra ID), the managed identity of the machine (the
 * instance metadata endpoint). A token is kept until a minute before it expires; a failed
 * fetch is not asked again for a minute (a dashboard refreshing every 2 s must not hammer a
 * token endpoint). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/azure_internal.h"
#include "net/redact.h"
#include "net/s3.h"

#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define DEFAULT_IMDS      "http://169.254.169.254/metadata/identity/oauth2/token"
#define STORAGE_SCOPE     "https://storage.azure.com/.default"
#define STORAGE_RESOURCE  "https://storage.azure.com/"
#define TOKEN_MARGIN_MS   60000
#define RETRY_FAILED_MS   60000
#define TOKEN_MAX_BYTES   (64u * 1024)

static struct {
    char *endpoint, *sas, *key, *authority, *imds;
    int parallel, page_size;
    int64_t timeout_ms;
    pthread_mutex_t mu;
    char *token;        /* (owned) the bearer token fetched */
    int64_t expires_ms; /* real wall clock */
    struct st_err failed;
    int64_t failed_ms; /* when the last fetch failed, or 0 */
} g = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void wipe_free(char *s)
{
    if (s)
        memset(s, 0, strlen(s));
    free(s);
}

static char *dup_nonempty(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void azure_reset(void)
{
    pthread_mutex_lock(&g.mu);
    free(g.endpoint);
    wipe_free(g.sas);
    wipe_free(g.key);
    free(g.authority);
    free(g.imds);
    wipe_free(g.token);
    g.endpoint = g.sas = g.key = g.authority = g.imds = g.token = NULL;
    g.parallel = g.page_size = 0;
    g.timeout_ms = g.expires_ms = g.failed_ms = 0;
    pthread_mutex_unlock(&g.mu);
}

static char *trimmed_url(const char *s)
{
    char *u = dup_nonempty(s);
    if (u) {
        size_t n = strlen(u);
        while (n > 0 && u[n - 1] == '/')
            u[--n] = '\0';
    }
    return u;
}

void azure_configure(const struct azure_settings *s)
{
    azure_reset();
    pthread_mutex_lock(&g.mu);
    g.endpoint = trimmed_url(s->endpoint);
    g.sas = dup_nonempty(s->sas_token);
    g.key = dup_nonempty(s->account_key);
    g.authority = trimmed_url(s->authority_host);
    g.imds = dup_nonempty(s->identity_endpoint);
    g.parallel = s->parallel;
    g.page_size = s->page_size;
    g.timeout_ms = s->timeout_ms;
    pthread_mutex_unlock(&g.mu);
}

/* Field name of $AZURE_STORAGE_CONNECTION_STRING ("BlobEndpoint=...;AccountKey=...") into
 * out, or NULL. */
static const char *conn_field(const char *name, char *out, size_t outlen)
{
    const char *cs = env("AZURE_STORAGE_CONNECTION_STRING");
    size_t n = strlen(name);
    for (const char *p = cs; p && *p;) {
        size_t len = strcspn(p, ";");
        if (len > n && strncmp(p, name, n) == 0 && p[n] == '=') {
            if (len - n - 1 >= outlen)
                return NULL;
            memcpy(out, p + n + 1, len - n - 1);
            out[len - n - 1] = '\0';
            return *out ? out : NULL;
        }
        p += len + (p[len] == ';');
    }
    return NULL;
}

const char *az_endpoint(void)
{
    static _Thread_local char ep[512];
    if (g.endpoint)
        return g.endpoint;
    const char *e = conn_field("BlobEndpoint", ep, sizeof ep);
    if (e) {
        size_t n = strlen(ep);
        while (n > 0 && ep[n - 1] == '/')
            ep[--n] = '\0';
    }
    return e;
}

int az_parallel(void)
{
    return g.parallel;
}

int az_page_size(void)
{
    return g.page_size;
}

int64_t az_timeout_ms(void)
{
    return g.timeout_ms;
}

static _Thread_local struct {
    const char *sas, *key;
} cur;

void azure_use_credentials(const char *sas_token, const char *account_key)
{
    cur.sas = sas_token && *sas_token ? sas_token : NULL;
    cur.key = account_key && *account_key ? account_key : NULL;
}

void az_cred_done(struct az_cred *c)
{
    wipe_free(c->secret);
    memset(c, 0, sizeof *c);
}

/* Ask a token endpoint (req prepared by the caller). 0 with g.token set, or -1 with err. */
static int fetch_token(const struct http_request *req, const char *what, struct st_err *err)
{
    struct http_response r;
    http_response_init(&r);
    char shown[512];
    redact_url(req->url, true, shown, sizeof shown);
    int rc = http_perform(req, &r, err);
    if (rc < 0) {
        st_err_prefix(err, "%s token from %s", what, shown);
    } else {
        char *token = NULL;
        int64_t secs = 0;
        struct st_err perr;
        int prc = azure_parse_token(buf_str(&r.body), r.body.len, &token, &secs, &perr);
        if (r.status != 200 || prc < 0) {
            /* the OAuth error code (invalid_client, ...) is safe to show; the body is not */
            rc = st_err_set(err, ST_EIO, "%s token from %s: HTTP %ld (%s)", what, shown, r.status,
                            perr.msg);
        } else {
            wipe_free(g.token);
            g.token = token;
            g.expires_ms = clock_real_ms() + secs * 1000;
            log_debug("azure: %s token for %lld s", what, (long long)secs);
        }
    }
    memset(r.body.data ? r.body.data : (char *)"", 0, r.body.len);
    http_response_done(&r);
    return rc;
}

static int service_principal(const char *tenant, const char *client, const char *secret,
                             struct st_err *err)
{
    const char *authority = g.authority ? g.authority : env("AZURE_AUTHORITY_HOST");
    char *auth = trimmed_url(authority ? authority : DEFAULT_AUTHORITY);
    struct buf url, body;
    buf_init(&url);
    buf_init(&body);
    buf_printf(&url, "%s/", auth);
    s3_uri_encode(&url, tenant, false);
    buf_puts(&url, "/oauth2/v2.0/token");
    buf_puts(&body, "grant_type=client_credentials&client_id=");
    s3_uri_encode(&body, client, false);
    buf_puts(&body, "&client_secret=");
    s3_uri_encode(&body, secret, false);
    buf_puts(&body, "&scope=");
    s3_uri_encode(&body, STORAGE_SCOPE, false);
    static const char *const headers[] = {"Content-Type: application/x-www-form-urlencoded",
                                          "Accept: application/json", NULL};
    struct http_request req = {.method = "POST",
                               .url = buf_str(&url),
                               .headers = headers,
                               .body = buf_str(&body),
                               .body_len = body.len,
                               .timeout_ms = g.timeout_ms,
                               .max_bytes = TOKEN_MAX_BYTES,
                               .show_path = true};
    int rc = fetch_token(&req, "service principal", err);
    memset(body.data, 0, body.len);
    buf_done(&body);
    buf_done(&url);
    free(auth);
    return rc;
}

static int managed_identity(struct st_err *err)
{
    const char *ep = g.imds ? g.imds : DEFAULT_IMDS;
    struct buf url;
    buf_init(&url);
    buf_printf(&url, "%s%sapi-version=2018-02-01&resource=", ep, strchr(ep, '?') ? "&" : "?");
    s3_uri_encode(&url, STORAGE_RESOURCE, false);
    if (env("AZURE_CLIENT_ID")) { /* a user-assigned identity */
        buf_puts(&url, "&client_id=");
        s3_uri_encode(&url, env("AZURE_CLIENT_ID"), false);
    }
    static const char *const headers[] = {"Metadata: true", NULL};
    struct http_request req = {.url = buf_str(&url),
                               .headers = headers,
                               .timeout_ms = g.timeout_ms,
                               .max_bytes = TOKEN_MAX_BYTES,
                               .show_path = true};
    int rc = fetch_token(&req, "managed identity", err);
    buf_done(&url);
    return rc;
}

int az_cred_get(struct az_cred *c, struct st_err *err)
{
    memset(c, 0, sizeof *c);
    char cs[1024];
    if (cur.sas || cur.key) { /* the stream's own */
        c->kind = cur.sas ? AZ_SAS : AZ_SHARED_KEY;
        c->secret = xstrdup(cur.sas ? cur.sas + (*cur.sas == '?') : cur.key);
        return 0;
    }
    const char *sas = g.sas ? g.sas
                      : env("AZURE_STORAGE_SAS_TOKEN")
                          ? env("AZURE_STORAGE_SAS_TOKEN")
                          : conn_field("SharedAccessSignature", cs, sizeof cs);
    if (sas) {
        c->kind = AZ_SAS;
        c->secret = xstrdup(sas + (*sas == '?'));
        return 0;
    }
    const char *key = g.key                      ? g.key
                      : env("AZURE_STORAGE_KEY") ? env("AZURE_STORAGE_KEY")
                                                 : conn_field("AccountKey", cs, sizeof cs);
    if (key) {
        c->kind = AZ_SHARED_KEY;
        c->secret = xstrdup(key);
        return 0;
    }
    pthread_mutex_lock(&g.mu);
    int64_t now = clock_real_ms();
    int rc = 0;
    if (g.token && now < g.expires_ms - TOKEN_MARGIN_MS) {
        /* the cached token */
    } else if (g.failed_ms && now - g.failed_ms < RETRY_FAILED_MS) {
        *err = g.failed;
        rc = -1;
    } else {
        const char *tenant = env("AZURE_TENANT_ID"), *client = env("AZURE_CLIENT_ID"),
                   *secret = env("AZURE_CLIENT_SECRET");
        if (tenant && client && secret) {
            rc = service_principal(tenant, client, secret, err);
        } else {
            rc = managed_identity(err);
            if (rc < 0)
                st_err_prefix(err,
                              "no Azure credentials (AZURE_STORAGE_SAS_TOKEN, AZURE_STORAGE_KEY, "
                              "AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET or [azure]) "
                              "and no managed identity");
        }
        if (rc < 0) {
            g.failed = *err;
            g.failed_ms = now ? now : 1;
        } else {
            g.failed_ms = 0;
        }
    }
    if (rc == 0) {
        c->kind = AZ_BEARER;
        c->secret = xstrdup(g.token);
    }
    pthread_mutex_unlock(&g.mu);
    return rc;
}
