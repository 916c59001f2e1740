/* dbx_json: the parsers of Databricks answers (directory pages, DBFS list/status/read, errors,
 * OAuth tokens, job runs and settings), base64, Quartz cron intervals and .databrickscfg. Pure
 * functions over untrusted text (tests/fuzz/fuzz_dbxjson.c): every type is checked before it is
 * read, every number range-checked. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "net/dbx.h"

/* 2^53: the largest whole number a JSON double holds exactly */
#define MAX_EXACT 9007199254740992.0

static cJSON *parse(const char *json, size_t len, const char *what, struct st_err *err)
{
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        if (err)
            st_err_set(err, ST_EFORMAT, "not a %s (not a JSON object)", what);
        return NULL;
    }
    return root;
}

/* A whole number in 0..2^53 from item (a JSON number, or a string of digits as the API gives
 * 64-bit ids at times). */
static bool get_i64(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d) || d < 0 || d > MAX_EXACT || d != floor(d))
            return false;
        *out = (int64_t)d;
        return true;
    }
    if (cJSON_IsString(v) && v->valuestring && *v->valuestring)
        return parse_int64(v->valuestring, out) == 0 && *out >= 0;
    return false;
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool get_bool(const cJSON *o, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

int dbx_parse_dir_page(const char *json, size_t len, dbx_page_fn fn, void *ctx, char **next_token,
                       struct st_err *err)
{
    *next_token = NULL;
    cJSON *root = parse(json, len, "directory listing", err);
    if (!root)
        return -1;
    const cJSON *contents = cJSON_GetObjectItemCaseSensitive(root, "contents");
    if (contents && !cJSON_IsArray(contents)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "not a directory listing ('contents' is not a list)");
    }
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, contents)
    {
        if (!cJSON_IsObject(e))
            continue;
        const char *name = get_str(e, "name");
        const char *path = get_str(e, "path");
        if (!name && path) {
            const char *slash = strrchr(path, '/');
            name = slash ? slash + 1 : path;
        }
        /* a name that is not one plain component could lead a walk astray */
        if (!name || !*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
            strcmp(name, "..") == 0)
            continue;
        bool dir = get_bool(e, "is_directory");
        int64_t size = -1, mtime = -1;
        if (!dir && !get_i64(e, "file_size", &size))
            size = 0;
        if (!get_i64(e, "last_modified", &mtime))
            mtime = -1;
        fn(ctx, name, dir, dir ? -1 : size, mtime);
        n++;
    }
    const char *tok = get_str(root, "next_page_token");
    if (tok && *tok)
        *next_token = xstrdup(tok);
    cJSON_Delete(root);
    return n;
}

/* One DBFS file-info object: path, is_dir, file_size, modification_time. */
static bool file_info(const cJSON *e, const char **path, bool *is_dir, int64_t *size,
                      int64_t *mtime)
{
    if (!cJSON_IsObject(e))
        return false;
    *path = get_str(e, "path");
    *is_dir = get_bool(e, "is_dir");
    if (*is_dir || !get_i64(e, "file_size", size))
        *size = *is_dir ? -1 : 0;
    if (!get_i64(e, "modification_time", mtime) || *mtime == 0)
        *mtime = -1;
    return *path && **path == '/';
}

int dbx_parse_dbfs_list(const char *json, size_t len, dbx_page_fn fn, void *ctx, struct st_err *err)
{
    cJSON *root = parse(json, len, "DBFS listing", err);
    if (!root)
        return -1;
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (files && !cJSON_IsArray(files)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "not a DBFS listing ('files' is not a list)");
    }
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, files)
    {
        const char *path;
        bool dir;
        int64_t size, mtime;
        if (!file_info(e, &path, &dir, &size, &mtime))
            continue;
        fn(ctx, path, dir, size, mtime);
        n++;
    }
    cJSON_Delete(root);
    return n;
}

int dbx_parse_dbfs_status(const char *json, size_t len, bool *is_dir, int64_t *size,
                          int64_t *mtime_ms, struct st_err *err)
{
    cJSON *root = parse(json, len, "DBFS file status", err);
    if (!root)
        return -1;
    const char *path;
    bool ok = file_info(root, &path, is_dir, size, mtime_ms);
    cJSON_Delete(root);
    return ok ? 0 : st_err_set(err, ST_EFORMAT, "not a DBFS file status (no path)");
}

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int dbx_base64_decode(const char *s, size_t n, struct buf *out)
{
    while (n > 0 && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    unsigned char chunk[768];
    size_t c = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            chunk[c++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
            if (c == sizeof chunk) {
                buf_append(out, chunk, c);
                c = 0;
            }
        }
    }
    buf_append(out, chunk, c);
    return 0;
}

int dbx_parse_dbfs_read(const char *json, size_t len, struct buf *out, int64_t *bytes_read,
                        struct st_err *err)
{
    cJSON *root = parse(json, len, "DBFS read answer", err);
    if (!root)
        return -1;
    const char *data = get_str(root, "data");
    int64_t n = 0;
    if (!get_i64(root, "bytes_read", &n))
        n = 0;
    size_t before = out->len;
    int rc = 0;
    if (n > 0 && !data)
        rc = st_err_set(err, ST_EFORMAT, "DBFS read answer: bytes_read %lld without data",
                        (long long)n);
    else if (data && dbx_base64_decode(data, strlen(data), out) < 0)
        rc = st_err_set(err, ST_EFORMAT, "DBFS read answer: data is not base64");
    else if ((int64_t)(out->len - before) != n)
        rc = st_err_set(err, ST_EFORMAT, "DBFS read answer: bytes_read %lld, but %zu bytes of data",
                        (long long)n, out->len - before);
    cJSON_Delete(root);
    if (rc < 0) {
        out->len = before;
        return -1;
    }
    *bytes_read = n;
    return 0;
}

int dbx_parse_error(const char *json, size_t len, char *code, size_t codelen, char *msg,
                    size_t msglen)
{
    cJSON *root = parse(json, len, "error", NULL);
    if (!root)
        return -1;
    const char *c = get_str(root, "error_code");
    const char *m = get_str(root, "message");
    /* the OAuth token endpoint answers the RFC 6749 way */
    if (!c)
        c = get_str(root, "error");
    if (!m)
        m = get_str(root, "error_description");
    int rc = -1;
    if (c && *c) {
        sanitize_copy(code, codelen, c);
        sanitize_copy(msg, msglen, m ? m : "");
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

int dbx_parse_token(const char *json, size_t len, char **token, int64_t *expires_in)
{
    *token = NULL;
    *expires_in = 0;
    cJSON *root = parse(json, len, "token answer", NULL);
    if (!root)
        return -1;
    const char *t = get_str(root, "access_token");
    int64_t e;
    if (get_i64(root, "expires_in", &e) && e < 10LL * 365 * 86400)
        *expires_in = e;
    int rc = -1;
    if (t && *t) {
        *token = xstrdup(t);
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

static bool active_state(const char *s)
{
    static const char *const active[] = {"PENDING",     "QUEUED",  "RUNNING",
                                         "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY"};
    for (size_t i = 0; s && i < sizeof active / sizeof active[0]; i++)
        if (strcmp(s, active[i]) == 0)
            return true;
    return false;
}

int dbx_parse_runs(const char *json, size_t len, struct dbx_job_state *st, char **next_token,
                   struct st_err *err)
{
    *next_token = NULL;
    cJSON *root = parse(json, len, "runs list", err);
    if (!root)
        return -1;
    const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
    if (runs && !cJSON_IsArray(runs)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "not a runs list ('runs' is not a list)");
    }
    const cJSON *r;
    cJSON_ArrayForEach(r, runs)
    {
        if (!cJSON_IsObject(r))
            continue;
        int64_t id = 0, end = -1;
        get_i64(r, "run_id", &id);
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(r, "state");
        const char *life = cJSON_IsObject(state) ? get_str(state, "life_cycle_state") : NULL;
        const char *result = cJSON_IsObject(state) ? get_str(state, "result_state") : NULL;
        if (active_state(life)) {
            if (!st->running) {
                st->running = true;
                st->active_run_id = id;
            }
            continue;
        }
        if (!get_i64(r, "end_time", &end) || end == 0)
            end = -1;
        if (!st->last_run_id && life) {
            st->last_run_id = id ? id : -1;
            st->last_end_ms = end;
            sanitize_copy(st->last_result, sizeof st->last_result,
                          result ? result
                                 : (strcmp(life, "INTERNAL_ERROR") == 0 ? "FAILED" : life));
            const char *m = get_str(state, "state_message");
            sanitize_copy(st->last_message, sizeof st->last_message, m ? m : "");
        }
        if (result && strcmp(result, "SUCCESS") == 0 && end > 0 && end > st->last_success_ms)
            st->last_success_ms = end;
    }
    const char *tok = get_str(root, "next_page_token");
    if (get_bool(root, "has_more") && tok && *tok)
        *next_token = xstrdup(tok);
    cJSON_Delete(root);
    return 0;
}

int dbx_parse_run(const char *json, size_t len, struct dbx_job_state *st, struct st_err *err)
{
    cJSON *root = parse(json, len, "run", err);
    if (!root)
        return -1;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "state");
    const char *m = cJSON_IsObject(state) ? get_str(state, "state_message") : NULL;
    if (m && *m)
        sanitize_copy(st->last_message, sizeof st->last_message, m);
    cJSON_Delete(root);
    return 0;
}

int dbx_parse_job(const char *json, size_t len, struct dbx_job_state *st, struct st_err *err)
{
    cJSON *root = parse(json, len, "job", err);
    if (!root)
        return -1;
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(root, "settings");
    if (cJSON_IsObject(settings)) {
        const cJSON *cont = cJSON_GetObjectItemCaseSensitive(settings, "continuous");
        const cJSON *sched = cJSON_GetObjectItemCaseSensitive(settings, "schedule");
        if (cJSON_IsObject(cont)) {
            const char *p = get_str(cont, "pause_status");
            st->paused = p && strcmp(p, "PAUSED") == 0;
            st->continuous = !st->paused;
        } else if (cJSON_IsObject(sched)) {
            const char *p = get_str(sched, "pause_status");
            st->paused = p && strcmp(p, "PAUSED") == 0;
            const char *cron = get_str(sched, "quartz_cron_expression");
            st->interval_ms = cron ? dbx_cron_interval_ms(cron) : 0;
        }
    }
    cJSON_Delete(root);
    return 0;
}

/* The step of a cron field that fires at a regular step: "*" 1, "0/5" or "* /5" (no space)
 * 5, "0,15,30,45" 15 (an evenly spaced list), a single number 0 (fixed). -1 otherwise. */
static int64_t field_step(const char *f, size_t n, int64_t range)
{
    if (n == 1 && (*f == '*' || *f == '?'))
        return 1;
    const char *slash = memchr(f, '/', n);
    int64_t v;
    if (slash) {
        if (!parse_digits(slash + 1, n - (size_t)(slash - f) - 1, &v) || v < 1 || v > range)
            return -1;
        return range % v == 0 ? v : -1;
    }
    if (parse_digits(f, n, &v))
        return 0;
    /* a list: evenly spaced around the whole range */
    int64_t first = -1, prev = -1, step = -1;
    for (const char *p = f, *end = f + n; p < end;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        size_t l = comma ? (size_t)(comma - p) : (size_t)(end - p);
        if (!parse_digits(p, l, &v) || v >= range || v <= prev)
            return -1;
        if (prev >= 0) {
            if (step >= 0 && v - prev != step)
                return -1;
            step = v - prev;
        } else {
            first = v;
        }
        prev = v;
        p = comma ? comma + 1 : end;
    }
    if (step <= 0 || first + range - prev != step)
        return -1;
    return step;
}

int64_t dbx_cron_interval_ms(const char *cron)
{
    /* seconds minutes hours day-of-month month day-of-week [year] */
    const char *f[7];
    size_t l[7];
    int nf = 0;
    for (const char *p = cron; *p && nf < 7;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        f[nf] = s;
        l[nf++] = (size_t)(p - s);
    }
    if (nf < 6)
        return 0;
    for (int i = 3; i < 6; i++) /* any day, any month */
        if (!(l[i] == 1 && (f[i][0] == '*' || f[i][0] == '?')))
            return 0;
    static const int64_t range[3] = {60, 60, 24};
    static const int64_t unit[3] = {1000, 60000, 3600000};
    /* the finest field that moves sets the interval; coarser ones must be "every" */
    for (int i = 0; i < 3; i++) {
        int64_t s = field_step(f[i], l[i], range[i]);
        if (s < 0)
            return 0;
        if (s == 0)
            continue; /* fixed: a coarser field moves */
        for (int j = i + 1; j < 3; j++)
            if (field_step(f[j], l[j], range[j]) != 1)
                return 0;
        return s * unit[i];
    }
    return 86400000; /* every field fixed: once a day */
}

void dbx_profile_done(struct dbx_profile *p)
{
    if (p->token)
        memset(p->token, 0, strlen(p->token));
    if (p->client_secret)
        memset(p->client_secret, 0, strlen(p->client_secret));
    free(p->host);
    free(p->token);
    free(p->client_id);
    free(p->client_secret);
    memset(p, 0, sizeof *p);
}

static void keep(char **slot, const char *v)
{
    free(*slot);
    *slot = *v ? xstrdup(v) : NULL;
}

int dbx_cfg_parse(char *text, const char *want, struct dbx_profile *out)
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
            in = strcmp(str_trim(s + 1), want) == 0;
            found |= in;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!in || !eq)
            continue;
        *eq = '\0';
        char *k = str_trim(s), *v = str_trim(eq + 1);
        if (strcmp(k, "host") == 0)
            keep(&out->host, v);
        else if (strcmp(k, "token") == 0)
            keep(&out->token, v);
        else if (strcmp(k, "client_id") == 0)
            keep(&out->client_id, v);
        else if (strcmp(k, "client_secret") == 0)
            keep(&out->client_secret, v);
    }
    return found;
}
