/* dbx_auth: the process-wide Databricks settings and, per profile, the workspace and
 * credentials, resolved once: a named profile (a stream's databricks_profile, [databricks]
 * profile, $DATABRICKS_CONFIG_PROFILE) from ~/.databrickscfg ($DATABRICKS_CONFIG_FILE); else
 * the environment (DATABRICKS_HOST, DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/_SECRET) when it
 * holds credentials; else the file's DEFAULT profile. The host is the credentials' own, else
 * [databricks] host, else $DATABRICKS_HOST. OAuth M2M tokens are cached until a minute before
 * they expire; a failed exchange is not asked again for a minute. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "net/dbx_internal.h"
#include "net/redact.h"

#define CFG_MAX_BYTES      (1024 * 1024)
#define DEFAULT_PARALLEL   8
#define DEFAULT_TIMEOUT_MS 10000
#define TOKEN_MARGIN_MS    60000
#define FAILED_RETRY_MS    60000
#define TOKEN_MAX_BYTES    (64 * 1024)

struct slot {
    char *name; /* the profile asked for, "" for the default chain */
    int rc;     /* resolution: 0 or -1 (err) */
    struct st_err err;
    char *host;           /* (owned) normalised */
    struct dbx_profile p; /* token or client id/secret */
    char *origin;         /* (owned) where the credentials came from, for messages */
    char *oauth;          /* (owned) cached access token, or NULL */
    int64_t oauth_until;  /* monotonic ms it is good until */
    int64_t failed_until; /* monotonic ms a failed exchange is remembered until */
    struct st_err failed;
};

static struct {
    char *host, *profile;
    int parallel;
    int64_t timeout_ms;
    struct slot *slots;
    size_t nslots;
} g;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local const char *current;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char *dup_nonempty(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

static void slot_done(struct slot *s)
{
    free(s->name);
    free(s->host);
    dbx_profile_done(&s->p);
    free(s->origin);
    if (s->oauth) {
        memset(s->oauth, 0, strlen(s->oauth));
        free(s->oauth);
    }
}

void dbx_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < g.nslots; i++)
        slot_done(&g.slots[i]);
    free(g.slots);
    free(g.host);
    free(g.profile);
    memset(&g, 0, sizeof g);
    pthread_mutex_unlock(&lock);
}

void dbx_configure(const struct dbx_settings *s)
{
    dbx_reset();
    g.host = dup_nonempty(s->host);
    g.profile = dup_nonempty(s->profile);
    g.parallel = s->parallel;
    g.timeout_ms = s->timeout_ms;
}

void dbx_use_profile(const char *profile)
{
    current = profile && *profile ? profile : NULL;
}

bool dbx_workspace(void)
{
    return current || g.host || g.profile || env("DATABRICKS_HOST") ||
           env("DATABRICKS_CONFIG_PROFILE");
}

int dbx_parallel(void)
{
    return g.parallel > 0 ? g.parallel : DEFAULT_PARALLEL;
}

/* "adb-1.azuredatabricks.net/" -> "https://adb-1.azuredatabricks.net" */
static char *norm_host(const char *h)
{
    char *s = strstr(h, "://") ? xstrdup(h) : xasprintf("https://%s", h);
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

static char *cfg_path(void)
{
    if (env("DATABRICKS_CONFIG_FILE"))
        return xstrdup(env("DATABRICKS_CONFIG_FILE"));
    return xasprintf("%s/.databrickscfg", env("HOME") ? env("HOME") : "");
}

/* Read profile want of the config file into p. 0, or -1 with err. */
static int read_profile(const char *want, struct dbx_profile *p, char **origin, struct st_err *err)
{
    char *path = cfg_path();
    FILE *f = fopen(path, "rb");
    if (!f) {
        st_err_set(err, ST_EFAIL, "Databricks profile '%s': cannot open %s", want, path);
        free(path);
        return -1;
    }
    char *text = xmalloc(CFG_MAX_BYTES + 1);
    size_t n = fread(text, 1, CFG_MAX_BYTES + 1, f);
    fclose(f);
    int rc = 0;
    if (n > CFG_MAX_BYTES) {
        rc = st_err_set(err, ST_ETOOBIG, "%s: larger than %d bytes", path, CFG_MAX_BYTES);
    } else {
        text[n] = '\0';
        if (!dbx_cfg_parse(text, want, p))
            rc = st_err_set(err, ST_ENOENT, "Databricks profile '%s' not found in %s", want, path);
    }
    memset(text, 0, n < CFG_MAX_BYTES + 1 ? n : CFG_MAX_BYTES + 1);
    free(text);
    if (rc == 0)
        *origin = xasprintf("profile '%s' (%s)", want, path);
    free(path);
    return rc;
}

static void resolve(struct slot *s, const char *named)
{
    const char *want = named ? named : env("DATABRICKS_CONFIG_PROFILE");
    if (!want && (env("DATABRICKS_TOKEN") || env("DATABRICKS_CLIENT_ID"))) {
        s->p.host = dup_nonempty(env("DATABRICKS_HOST"));
        s->p.token = dup_nonempty(env("DATABRICKS_TOKEN"));
        s->p.client_id = dup_nonempty(env("DATABRICKS_CLIENT_ID"));
        s->p.client_secret = dup_nonempty(env("DATABRICKS_CLIENT_SECRET"));
        s->origin = xstrdup("the environment");
    } else if (read_profile(want ? want : "DEFAULT", &s->p, &s->origin, &s->err) < 0) {
        s->rc = -1;
        return;
    }
    const char *host = s->p.host ? s->p.host : g.host ? g.host : env("DATABRICKS_HOST");
    if (!host) {
        s->rc = st_err_set(&s->err, ST_EFAIL,
                           "no Databricks workspace host (set [databricks] host, "
                           "$DATABRICKS_HOST or host in %s)",
                           s->origin);
        return;
    }
    s->host = norm_host(host);
    if (!s->p.token && !(s->p.client_id && s->p.client_secret))
        s->rc = st_err_set(&s->err, ST_EFAIL,
                           "no Databricks credentials in %s (token, or client_id and "
                           "client_secret)",
                           s->origin);
}

static struct slot *slot_for(const char *named)
{
    const char *key = named ? named : "";
    for (size_t i = 0; i < g.nslots; i++)
        if (strcmp(g.slots[i].name, key) == 0)
            return &g.slots[i];
    g.slots = xrealloc(g.slots, (g.nslots + 1) * sizeof *g.slots);
    struct slot *s = &g.slots[g.nslots++];
    memset(s, 0, sizeof *s);
    s->name = xstrdup(key);
    resolve(s, named);
    return s;
}

static char *base64(const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s);
    char *out = xmalloc(4 * ((n + 2) / 3) + 1), *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        *o++ = tbl[(v >> 18) & 63];
        *o++ = tbl[(v >> 12) & 63];
        *o++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tbl[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Exchange the slot's client id and secret for an access token (client_credentials, scope
 * all-apis) at the workspace's token endpoint. 0, or -1 with err (no secret in it). */
static int exchange(struct slot *s, struct st_err *err)
{
    char *url = xasprintf("%s/oidc/v1/token", s->host);
    char *pair = xasprintf("%s:%s", s->p.client_id, s->p.client_secret);
    char *b = base64(pair);
    char *basic = xasprintf("Authorization: Basic %s", b);
    const char *headers[] = {basic, "Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", NULL};
    static const char body[] = "grant_type=client_credentials&scope=all-apis";
    struct http_request req = {.method = "POST",
                               .url = url,
                               .headers = headers,
                               .body = body,
                               .body_len = sizeof body - 1,
                               .timeout_ms = g.timeout_ms > 0 ? g.timeout_ms : DEFAULT_TIMEOUT_MS,
                               .max_bytes = TOKEN_MAX_BYTES,
                               .show_path = true};
    struct http_response resp;
    http_response_init(&resp);
    int rc = http_perform(&req, &resp, err);
    char shown[512];
    redact_url(url, true, shown, sizeof shown);
    if (rc == 0 && resp.status != 200) {
        dbx_answer_error(shown, &resp, err);
        rc = -1;
    } else if (rc == 0) {
        char *tok;
        int64_t expires;
        if (dbx_parse_token(resp.body.data, resp.body.len, &tok, &expires) < 0) {
            rc = st_err_set(err, ST_EFORMAT, "%s: the answer holds no access_token", shown);
        } else {
            if (s->oauth) {
                memset(s->oauth, 0, strlen(s->oauth));
                free(s->oauth);
            }
            s->oauth = tok;
            int64_t life = (expires > 0 ? expires : 3600) * 1000;
            s->oauth_until =
                clock_mono_ms() + (life > 2 * TOKEN_MARGIN_MS ? life - TOKEN_MARGIN_MS : life / 2);
            log_debug("databricks: OAuth token for %s, good for %lld s", s->origin,
                      (long long)(expires > 0 ? expires : 3600));
        }
    }
    memset(pair, 0, strlen(pair));
    memset(b, 0, strlen(b));
    memset(basic, 0, strlen(basic));
    free(pair);
    free(b);
    free(basic);
    free(url);
    http_response_done(&resp);
    if (rc < 0)
        st_err_prefix(err, "Databricks OAuth (client %s of %s)", s->p.client_id, s->origin);
    return rc;
}

int dbx_ctx_init(struct dbx_ctx *c, struct st_err *err)
{
    memset(c, 0, sizeof *c);
    c->timeout_ms = g.timeout_ms > 0 ? g.timeout_ms : DEFAULT_TIMEOUT_MS;
    const char *named = current ? current : g.profile;
    pthread_mutex_lock(&lock);
    struct slot *s = slot_for(named);
    int rc = s->rc;
    if (rc < 0) {
        *err = s->err;
    } else if (s->p.token) {
        c->auth_header = xasprintf("Authorization: Bearer %s", s->p.token);
    } else {
        int64_t now = clock_mono_ms();
        if (!s->oauth || now >= s->oauth_until) {
            if (now < s->failed_until) {
                *err = s->failed;
                rc = -1;
            } else if ((rc = exchange(s, err)) < 0) {
                s->failed = *err;
                s->failed_until = now + FAILED_RETRY_MS;
            }
        }
        if (rc == 0)
            c->auth_header = xasprintf("Authorization: Bearer %s", s->oauth);
    }
    if (rc == 0)
        c->host = xstrdup(s->host);
    pthread_mutex_unlock(&lock);
    c->headers[0] = c->auth_header;
    c->headers[1] = NULL;
    return rc;
}

void dbx_ctx_done(struct dbx_ctx *c)
{
    if (c->auth_header) {
        memset(c->auth_header, 0, strlen(c->auth_header));
        free(c->auth_header);
    }
    free(c->host);
    memset(c, 0, sizeof *c);
}
