/* The remote pass: every answer of the daemon is untrusted network input (size caps, types
 * checked, errors naming the URL). A daemon that stops answering costs one timeout per pass at
 * most: once a request of a pass has failed, the rest of that pass answer from what the last
 * good requests gave, so the screen keeps its last frame and the worker is never held long. */
#include "pass/remote.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "net/http.h"
#include "net/redact.h"

#define SNAPSHOT_MAX_BYTES (16 * 1024 * 1024) /* as export_json_read's cap */
#define ANSWER_MAX_BYTES   (8 * 1024 * 1024)  /* series, a stream, the alerts */
#define MAX_POINTS         100000             /* per stream of a series (the daemon sends 1000) */
#define MAX_NOTES          100000
#define SERIES_SLOTS       8 /* metrics whose series are kept (the dashboard asks for 4) */

struct stream_series {
    char *name;
    struct sample *s;
    size_t n;
};

/* One metric's series for every stream, as one request gave it. */
struct series_slot {
    char *metric; /* (owned) NULL: free slot */
    int64_t since_ms;
    unsigned gen; /* the pass it was read in */
    struct stream_series *v;
    size_t n;
};

struct schema_lines {
    char *name;
    struct strvec lines;
};

struct remote {
    char *base; /* (owned) the URL without trailing '/' */
    char *user, *password;
    int64_t timeout_ms;
    int (*read_snapshot)(const char *, size_t, struct snapshot **, struct st_err *);
    struct buf last; /* the last snapshot document the daemon gave */
    bool have_last;
    unsigned gen;    /* passes run */
    bool gen_failed; /* a request of this pass failed: no more of them in this pass */
    bool failing;    /* the last snapshot request failed */
    struct series_slot series[SERIES_SLOTS];
    struct notification *notes; /* (owned) the last good alerts answer */
    size_t nnotes;
    unsigned notes_gen;           /* the pass it was read in (0: never) */
    struct schema_lines *schemas; /* the last good answer per stream */
    size_t nschemas;
};

/* ---- requests ------------------------------------------------------------------------------ */

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

static void put_escaped(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (unreserved((unsigned char)*s))
            buf_putc(b, *s);
        else
            buf_printf(b, "%%%02X", (unsigned char)*s);
    }
}

/* The "error" of a JSON error answer, sanitised and cut short, into out ("" when none). */
static void error_of(const struct buf *body, char *out, size_t outlen)
{
    *out = '\0';
    cJSON *j = cJSON_ParseWithLength(body->data ? body->data : "", body->len);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
    if (cJSON_IsString(e)) {
        char cut[200];
        snprintf(cut, sizeof cut, "%s", e->valuestring);
        sanitize_copy(out, outlen, cut);
    }
    cJSON_Delete(j);
}

/* GET base + path (path already escaped). 0 with the 200 answer's body in *body (the caller's
 * buf_done), or -1 with err naming the URL (its credentials never). */
static int get(struct remote *rm, const char *path, size_t max_bytes, struct buf *body,
               struct st_err *err)
{
    char *url = xasprintf("%s%s", rm->base, path);
    struct http_request req = {.url = url,
                               .timeout_ms = rm->timeout_ms,
                               .max_bytes = max_bytes,
                               .user = rm->user,
                               .password = rm->password,
                               .show_path = true,
                               .gzip = true};
    struct http_response resp;
    http_response_init(&resp);
    int rc = http_perform(&req, &resp, err);
    if (rc == 0 && resp.status != 200) {
        char shown[512], why[300];
        redact_url(url, true, shown, sizeof shown);
        error_of(&resp.body, why, sizeof why);
        rc = st_err_set(err, ST_EIO, "%s: HTTP %ld%s%s", shown, resp.status, *why ? ": " : "", why);
    }
    free(url);
    if (rc == 0) {
        *body = resp.body;
        buf_init(&resp.body);
    }
    http_response_done(&resp);
    return rc;
}

static void prefix_url(struct remote *rm, const char *path, struct st_err *err)
{
    char *url = xasprintf("%s%s", rm->base, path);
    char shown[512];
    redact_url(url, true, shown, sizeof shown);
    st_err_prefix(err, "%s", shown);
    free(url);
}

/* ---- the pass ------------------------------------------------------------------------------ */

struct remote *remote_new(const struct pass_remote *r)
{
    struct remote *rm = xcalloc(1, sizeof *rm);
    size_t len = strlen(r->url);
    while (len > 0 && r->url[len - 1] == '/')
        len--;
    rm->base = xstrndup(r->url, len);
    rm->user = r->user ? xstrdup(r->user) : NULL;
    rm->password = r->password ? xstrdup(r->password) : NULL;
    rm->timeout_ms = r->timeout_ms > 0 ? r->timeout_ms : 10000;
    rm->read_snapshot = r->read_snapshot;
    buf_init(&rm->last);
    return rm;
}

static void series_slot_done(struct series_slot *sl)
{
    for (size_t i = 0; i < sl->n; i++) {
        free(sl->v[i].name);
        free(sl->v[i].s);
    }
    free(sl->v);
    free(sl->metric);
    *sl = (struct series_slot){0};
}

void remote_free(struct remote *rm)
{
    if (!rm)
        return;
    free(rm->base);
    free(rm->user);
    if (rm->password) {
        memset(rm->password, 0, strlen(rm->password));
        free(rm->password);
    }
    buf_done(&rm->last);
    for (int i = 0; i < SERIES_SLOTS; i++)
        series_slot_done(&rm->series[i]);
    notifications_free(rm->notes, rm->nnotes);
    for (size_t i = 0; i < rm->nschemas; i++) {
        free(rm->schemas[i].name);
        strvec_done(&rm->schemas[i].lines);
    }
    free(rm->schemas);
    free(rm);
}

static int fetch_snapshot(struct remote *rm, struct snapshot **out, struct buf *body,
                          struct st_err *err)
{
    if (get(rm, "/api/v1/snapshot", SNAPSHOT_MAX_BYTES, body, err) < 0)
        return -1;
    if (rm->read_snapshot(body->data ? body->data : "", body->len, out, err) < 0) {
        prefix_url(rm, "/api/v1/snapshot", err);
        return -1;
    }
    return 0;
}

void remote_run(struct remote *rm, struct snapshot **out, struct pass_report *rep)
{
    rm->gen++;
    rm->gen_failed = false;
    struct buf body;
    buf_init(&body);
    struct st_err err;
    *out = NULL;
    if (fetch_snapshot(rm, out, &body, &err) == 0) {
        buf_done(&rm->last);
        rm->last = body;
        rm->have_last = true;
        if (rm->failing) {
            char shown[512];
            redact_url(rm->base, true, shown, sizeof shown);
            log_warn("%s: the daemon answers again", shown);
        }
        rm->failing = false;
        return;
    }
    buf_done(&body);
    rm->gen_failed = true;
    rm->failing = true;
    rep->stale = true;
    rep->stopped = err.code == ST_ESTOPPED;
    if (!rep->stopped)
        log_warn("%s", err.msg);
    /* the last snapshot again: it was read once, so it reads again */
    if (rm->have_last && rm->read_snapshot(rm->last.data, rm->last.len, out, &err) == 0)
        return;
    *out = snapshot_new(clock_now_ms());
}

/* ---- series -------------------------------------------------------------------------------- */

int remote_parse_series(const char *text, size_t len,
                        void (*each)(void *ctx, const char *name, const struct sample *s, size_t n),
                        void *ctx, struct st_err *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "not JSON");
    const cJSON *streams = cJSON_GetObjectItemCaseSensitive(root, "streams"), *st;
    int rc = 0;
    if (!cJSON_IsArray(streams))
        rc = st_err_set(err, ST_EFORMAT, "no \"streams\" list");
    struct sample *s = NULL;
    const cJSON *list = rc == 0 ? streams : NULL;
    cJSON_ArrayForEach(st, list)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(st, "name");
        const cJSON *points = cJSON_GetObjectItemCaseSensitive(st, "points"), *pt;
        if (!cJSON_IsString(name) || !cJSON_IsArray(points)) {
            rc = st_err_set(err, ST_EFORMAT, "a stream without a name or points");
            break;
        }
        int np = cJSON_GetArraySize(points);
        if (np > MAX_POINTS) {
            rc = st_err_set(err, ST_ETOOBIG, "more than %d points for a stream", MAX_POINTS);
            break;
        }
        s = xrealloc(s, ((size_t)np + 1) * sizeof *s);
        size_t n = 0;
        cJSON_ArrayForEach(pt, points)
        {
            const cJSON *t = cJSON_GetArrayItem(pt, 0), *v = cJSON_GetArrayItem(pt, 1);
            int64_t ts;
            if (!cJSON_IsArray(pt) || !cJSON_IsNumber(t) ||
                !parse_double_to_i64(t->valuedouble, &ts) ||
                !(cJSON_IsNumber(v) || cJSON_IsNull(v))) {
                rc = st_err_set(err, ST_EFORMAT, "a point is not [t_ms, value or null]");
                break;
            }
            s[n++] = (struct sample){ts, cJSON_IsNumber(v) ? v->valuedouble : NAN};
        }
        if (rc < 0)
            break;
        each(ctx, name->valuestring, s, n);
    }
    free(s);
    cJSON_Delete(root);
    return rc;
}

static void keep_series(void *ctx, const char *name, const struct sample *s, size_t n)
{
    struct series_slot *sl = ctx;
    sl->v = xrealloc(sl->v, (sl->n + 1) * sizeof *sl->v);
    struct stream_series *ss = &sl->v[sl->n++];
    ss->name = xstrdup(name);
    ss->n = n;
    ss->s = xmalloc((n + 1) * sizeof *ss->s);
    if (n)
        memcpy(ss->s, s, n * sizeof *s);
}

/* The slot of metric (read this pass for since_ms, or the last good one), reading it when
 * needed; NULL when there is none. */
static struct series_slot *series_of(struct remote *rm, const char *metric, int64_t since_ms)
{
    struct series_slot *have = NULL, *freeslot = NULL;
    for (int i = 0; i < SERIES_SLOTS; i++) {
        if (!rm->series[i].metric)
            freeslot = freeslot ? freeslot : &rm->series[i];
        else if (strcmp(rm->series[i].metric, metric) == 0)
            have = &rm->series[i];
    }
    if (have && have->gen == rm->gen && have->since_ms == since_ms)
        return have;
    if (rm->gen_failed)
        return have;
    struct buf path, body;
    buf_init(&path);
    buf_init(&body);
    char since[40];
    clock_iso8601(since_ms, since, sizeof since);
    buf_puts(&path, "/api/v1/series?metric=");
    put_escaped(&path, metric);
    buf_puts(&path, "&since=");
    put_escaped(&path, since);
    struct st_err err;
    struct series_slot fresh = {.metric = xstrdup(metric), .since_ms = since_ms, .gen = rm->gen};
    int rc = get(rm, buf_str(&path), ANSWER_MAX_BYTES, &body, &err);
    if (rc == 0 &&
        remote_parse_series(body.data ? body.data : "", body.len, keep_series, &fresh, &err) < 0) {
        prefix_url(rm, buf_str(&path), &err);
        rc = -1;
    }
    buf_done(&path);
    buf_done(&body);
    if (rc < 0) {
        series_slot_done(&fresh);
        rm->gen_failed = true;
        if (err.code != ST_ESTOPPED)
            log_warn("%s", err.msg);
        return have;
    }
    struct series_slot *dst = have ? have : freeslot ? freeslot : &rm->series[0];
    series_slot_done(dst);
    *dst = fresh;
    return dst;
}

int remote_series(struct remote *rm, const char *stream, const char *metric, int64_t since_ms,
                  struct sample **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const struct series_slot *sl = series_of(rm, metric, since_ms);
    if (!sl)
        return -1;
    for (size_t i = 0; i < sl->n; i++) {
        if (strcmp(sl->v[i].name, stream) != 0)
            continue;
        *out = xmalloc((sl->v[i].n + 1) * sizeof **out);
        for (size_t j = 0; j < sl->v[i].n; j++)
            if (sl->v[i].s[j].ts_ms >= since_ms)
                (*out)[(*n)++] = sl->v[i].s[j];
        return 0;
    }
    return 0;
}

/* ---- a stream's schema versions ------------------------------------------------------------ */

int remote_parse_stream(const char *text, size_t len, struct strvec *lines, struct st_err *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "not JSON");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "schema_versions"), *l;
    int rc = 0;
    if (!cJSON_IsArray(v))
        rc = st_err_set(err, ST_EFORMAT, "no \"schema_versions\" list");
    const cJSON *list = rc == 0 ? v : NULL;
    cJSON_ArrayForEach(l, list)
    {
        if (!cJSON_IsString(l)) {
            rc = st_err_set(err, ST_EFORMAT, "a schema version is not a string");
            break;
        }
        strvec_take(lines, sanitize_dup(l->valuestring, strlen(l->valuestring)));
    }
    cJSON_Delete(root);
    return rc;
}

static struct schema_lines *schema_slot(struct remote *rm, const char *stream)
{
    for (size_t i = 0; i < rm->nschemas; i++)
        if (strcmp(rm->schemas[i].name, stream) == 0)
            return &rm->schemas[i];
    rm->schemas = xrealloc(rm->schemas, (rm->nschemas + 1) * sizeof *rm->schemas);
    struct schema_lines *sl = &rm->schemas[rm->nschemas++];
    sl->name = xstrdup(stream);
    strvec_init(&sl->lines);
    return sl;
}

void remote_schema_versions(struct remote *rm, const char *stream, struct strvec *lines)
{
    struct schema_lines *sl = schema_slot(rm, stream);
    if (!rm->gen_failed) {
        struct buf path, body;
        buf_init(&path);
        buf_init(&body);
        buf_puts(&path, "/api/v1/streams/");
        put_escaped(&path, stream);
        struct st_err err;
        struct strvec fresh;
        strvec_init(&fresh);
        int rc = get(rm, buf_str(&path), ANSWER_MAX_BYTES, &body, &err);
        if (rc == 0 &&
            remote_parse_stream(body.data ? body.data : "", body.len, &fresh, &err) < 0) {
            prefix_url(rm, buf_str(&path), &err);
            rc = -1;
        }
        if (rc == 0) {
            strvec_done(&sl->lines);
            sl->lines = fresh;
        } else {
            strvec_done(&fresh);
            rm->gen_failed = true;
            if (err.code != ST_ESTOPPED)
                log_warn("%s", err.msg);
        }
        buf_done(&path);
        buf_done(&body);
    }
    for (size_t i = 0; i < sl->lines.n; i++)
        strvec_push(lines, sl->lines.v[i]);
}

/* ---- notifications ------------------------------------------------------------------------- */

static int note_str(const cJSON *o, const char *key, bool nullable, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = NULL;
    if (cJSON_IsString(v)) {
        *out = sanitize_dup(v->valuestring, strlen(v->valuestring));
        return 0;
    }
    if (nullable && (!v || cJSON_IsNull(v)))
        return 0;
    return -1;
}

static int note_int(const cJSON *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v || cJSON_IsNull(v)) {
        *out = lo;
        return 0;
    }
    return cJSON_IsNumber(v) && parse_double_to_i64(v->valuedouble, out) && *out >= lo && *out <= hi
               ? 0
               : -1;
}

int remote_parse_notes(const char *text, size_t len, struct notification **out, size_t *n,
                       struct st_err *err)
{
    *out = NULL;
    *n = 0;
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "not JSON");
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "notifications"), *v;
    int rc = 0;
    if (!cJSON_IsArray(arr))
        rc = st_err_set(err, ST_EFORMAT, "no \"notifications\" list");
    else if (cJSON_GetArraySize(arr) > MAX_NOTES)
        rc = st_err_set(err, ST_ETOOBIG, "more than %d notifications", MAX_NOTES);
    if (rc == 0)
        *out = xcalloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof **out);
    const cJSON *list = rc == 0 ? arr : NULL;
    cJSON_ArrayForEach(v, list)
    {
        struct notification *nt = &(*out)[(*n)++];
        int64_t created, done, status, attempts;
        if (note_str(v, "stream", false, &nt->stream) < 0 ||
            note_str(v, "rule", false, &nt->rule) < 0 ||
            note_str(v, "webhook", true, &nt->webhook) < 0 ||
            note_str(v, "what", false, &nt->what) < 0 ||
            note_str(v, "error", true, &nt->error) < 0 ||
            note_int(v, "created_ms", 0, INT64_MAX / 2, &created) < 0 ||
            note_int(v, "done_ms", -1, INT64_MAX / 2, &done) < 0 ||
            note_int(v, "status", -1, 1000, &status) < 0 ||
            note_int(v, "attempts", 0, 1000000, &attempts) < 0) {
            rc = st_err_set(err, ST_EFORMAT,
                            "notification %zu: a field is missing or of the "
                            "wrong type",
                            *n - 1);
            break;
        }
        /* the front ends print these as they are: never NULL but for error */
        if (!nt->webhook)
            nt->webhook = xstrdup("-");
        nt->created_ms = created;
        nt->done_ms = done;
        nt->status = (int)status;
        nt->attempts = (int)attempts;
    }
    cJSON_Delete(root);
    if (rc < 0) {
        notifications_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

void remote_notes(struct remote *rm, const char *stream, size_t max, struct notification **out,
                  size_t *n)
{
    if (rm->notes_gen != rm->gen && !rm->gen_failed) {
        struct buf body;
        buf_init(&body);
        struct st_err err;
        struct notification *fresh = NULL;
        size_t nfresh = 0;
        int rc = get(rm, "/api/v1/alerts", ANSWER_MAX_BYTES, &body, &err);
        if (rc == 0 &&
            remote_parse_notes(body.data ? body.data : "", body.len, &fresh, &nfresh, &err) < 0) {
            prefix_url(rm, "/api/v1/alerts", &err);
            rc = -1;
        }
        buf_done(&body);
        if (rc == 0) {
            notifications_free(rm->notes, rm->nnotes);
            rm->notes = fresh;
            rm->nnotes = nfresh;
            rm->notes_gen = rm->gen;
        } else {
            rm->gen_failed = true;
            if (err.code != ST_ESTOPPED)
                log_warn("%s", err.msg);
        }
    }
    *out = xcalloc(rm->nnotes + 1, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < rm->nnotes && *n < max; i++) {
        const struct notification *s = &rm->notes[i];
        if (stream && strcmp(s->stream, stream) != 0)
            continue;
        struct notification *d = &(*out)[(*n)++];
        *d = *s;
        d->stream = xstrdup(s->stream);
        d->rule = xstrdup(s->rule);
        d->webhook = xstrdup(s->webhook);
        d->what = xstrdup(s->what);
        d->error = s->error ? xstrdup(s->error) : NULL;
    }
}
