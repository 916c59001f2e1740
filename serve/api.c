/* The daemon's answers: every document comes from the newest frame (or, for the past, from the
 * read-only DB handle); nothing here collects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/sanitize.h"
#include "core/trend.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "serve/internal.h"
#include "serve/route.h"

#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"
#define CT_OM   "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* s as a JSON string (quoted; control bytes, quote and backslash escaped; other bytes as
 * they are, so UTF-8 stays UTF-8). */
static void json_str(struct buf *out, const char *s)
{
    buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            buf_printf(out, "\\u%04x", *p);
        else
            buf_putc(out, (char)*p);
    }
    buf_putc(out, '"');
}

static int fail(struct serve_reply *rep, int status, const char *what, const char *detail)
{
    rep->status = status;
    rep->content_type = CT_JSON;
    buf_reset(&rep->body);
    buf_puts(&rep->body, "{\"error\":");
    struct buf msg;
    buf_init(&msg);
    buf_puts(&msg, what);
    if (detail)
        buf_puts(&msg, detail);
    /* what a client sent may hold any bytes: control bytes and invalid UTF-8 written out */
    char *clean = sanitize_dup(buf_str(&msg), msg.len);
    json_str(&rep->body, clean);
    free(clean);
    buf_done(&msg);
    buf_puts(&rep->body, "}\n");
    return 0;
}

static int reply_buf(struct serve_reply *rep, const char *ct, const struct buf *b)
{
    rep->status = 200;
    rep->content_type = ct;
    buf_append(&rep->body, buf_str(b), b->len);
    return 0;
}

/* The stream a request names: by its name as the snapshot has it (control bytes written out
 * as escapes), or by the name as configured, which gives that once sanitised. */
static const struct snap_stream *find_stream(const struct snapshot *snap, const char *name,
                                             size_t *idx)
{
    char *clean = sanitize_dup(name, strlen(name));
    const struct snap_stream *hit = NULL;
    for (size_t i = 0; i < snap->nstreams && !hit; i++)
        if (strcmp(snap->streams[i].name, name) == 0 || strcmp(snap->streams[i].name, clean) == 0) {
            *idx = i;
            hit = &snap->streams[i];
        }
    free(clean);
    return hit;
}

/* Is media type mt among the Accept header's (a plain substring test of the type name is
 * enough: no other type contains it). */
static bool accepts(const char *accept, const char *mt)
{
    return accept && strstr(accept, mt);
}

/* Does an Accept-Encoding header take gzip (named, or *, and not with q=0)? */
bool serve_takes_gzip(const char *encoding)
{
    for (const char *p = encoding; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t name = strcspn(p, ";, ");
        bool match = (name == 4 && strncasecmp(p, "gzip", 4) == 0) || (name == 1 && *p == '*');
        if (match) {
            const char *q = p + name;
            const char *end = p + n;
            while (q < end && (*q == ' ' || *q == ';'))
                q++;
            if (q + 2 <= end && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
                double v = strtod(q + 2, NULL);
                return v > 0;
            }
            return true;
        }
        p += n;
    }
    return false;
}

/* A frame's document, sent from the frame itself: a body and a tail (tail may be NULL), or
 * their gzipped counterparts when the client takes gzip and it could be compressed. */
static int reply_frame(struct serve_reply *rep, struct frame *f, const char *ct,
                       const struct buf *b, const struct buf *tail, const struct buf *gz,
                       const struct buf *gz_tail, const char *encoding)
{
    rep->status = 200;
    rep->content_type = ct;
    rep->varies = true;
    rep->gzip = gz->len > 0 && serve_takes_gzip(encoding);
    const struct buf *use[2] = {rep->gzip ? gz : b, rep->gzip ? gz_tail : tail};
    atomic_fetch_add(&f->refs, 1);
    rep->hold = f;
    for (int i = 0; i < 2; i++) {
        rep->part[i].data = use[i] ? buf_str(use[i]) : NULL;
        rep->part[i].len = use[i] ? use[i]->len : 0;
    }
    return 0;
}

/* A document held gzipped (gz then gz_tail, NULL for none) of plain_len bytes: sent so, or
 * inflated as it is sent to a client that does not take gzip; held plain (b, tail) when it
 * could not be compressed. */
static int reply_gz(struct serve_reply *rep, struct frame *f, const char *ct, const struct buf *b,
                    const struct buf *tail, const struct buf *gz, const struct buf *gz_tail,
                    size_t plain_len, const char *encoding)
{
    if (gz->len == 0)
        return reply_frame(rep, f, ct, b, tail, gz, gz_tail, encoding);
    reply_frame(rep, f, ct, gz, gz_tail, gz, gz_tail, "gzip");
    if (!serve_takes_gzip(encoding)) {
        rep->gzip = false;
        rep->gunzip_len = plain_len;
    }
    return 0;
}

/* The absolute since of a request, bounded by the retention (older is not kept anyway). */
static int since_of(const struct route *r, const struct config *cfg, int64_t now, int64_t *since_ms,
                    struct st_err *err)
{
    if (route_since_ms(r->since ? r->since : "1h", now, since_ms, err) < 0)
        return -1;
    if (cfg && cfg->retention_ms > 0 && *since_ms < now - cfg->retention_ms)
        *since_ms = now - cfg->retention_ms;
    return 0;
}

static int answer_history(struct serve *s, const struct route *r, const char *stream,
                          struct serve_reply *rep)
{
    struct st_err err;
    int64_t now = clock_now_ms(), since_ms;
    if (r->metric && metric_find(r->metric) < 0)
        return fail(rep, 400, "unknown metric: ", r->metric);
    struct strvec names;
    strvec_init(&names);
    pthread_mutex_lock(&s->rlock);
    if (since_of(r, s->cfg, now, &since_ms, &err) < 0) {
        pthread_mutex_unlock(&s->rlock);
        strvec_done(&names);
        return fail(rep, 400, err.msg, NULL);
    }
    bool known = true;
    if (r->metric)
        strvec_push(&names, r->metric);
    else if (s->reader)
        pass_metric_names(s->reader, stream, since_ms, &names, &known);
    struct export_series *v = xcalloc(names.n + 1, sizeof *v);
    struct trend_point **pts = xcalloc(names.n + 1, sizeof *pts);
    for (size_t i = 0; i < names.n; i++) {
        size_t n = 0;
        if (s->reader)
            pass_points(s->reader, stream, names.v[i], since_ms, &pts[i], &n);
        n = trend_downsample(pts[i], n, SERVE_MAX_POINTS);
        v[i] = (struct export_series){names.v[i], pts[i], n};
    }
    pthread_mutex_unlock(&s->rlock);
    rep->status = 200;
    rep->content_type = CT_JSON;
    export_history_doc(stream, v, names.n, now, &rep->body);
    for (size_t i = 0; i < names.n; i++)
        free(pts[i]);
    free(pts);
    free(v);
    strvec_done(&names);
    return 0;
}

static int answer_series(struct serve *s, const struct frame *f, const struct route *r,
                         struct serve_reply *rep)
{
    struct st_err err;
    int64_t now = clock_now_ms(), since_ms;
    if (!r->metric)
        return fail(rep, 400, "series needs ?metric=NAME", NULL);
    if (metric_find(r->metric) < 0)
        return fail(rep, 400, "unknown metric: ", r->metric);
    size_t ns = f->snap->nstreams;
    struct export_series *v = xcalloc(ns + 1, sizeof *v);
    struct trend_point **pts = xcalloc(ns + 1, sizeof *pts);
    pthread_mutex_lock(&s->rlock);
    if (since_of(r, s->cfg, now, &since_ms, &err) < 0) {
        pthread_mutex_unlock(&s->rlock);
        free(pts);
        free(v);
        return fail(rep, 400, err.msg, NULL);
    }
    for (size_t i = 0; i < ns; i++) {
        const char *name = f->snap->streams[i].name;
        struct sample *sm = NULL;
        size_t n = 0;
        if (s->reader)
            pass_series(s->reader, name, r->metric, since_ms, &sm, &n);
        pts[i] = xcalloc(n + 1, sizeof **pts);
        for (size_t k = 0; k < n; k++)
            pts[i][k] = (struct trend_point){sm[k].ts_ms, 0, sm[k].value, sm[k].value, sm[k].value};
        free(sm);
        n = trend_downsample(pts[i], n, SERVE_MAX_POINTS);
        v[i] = (struct export_series){name, pts[i], n};
    }
    pthread_mutex_unlock(&s->rlock);
    rep->status = 200;
    rep->content_type = CT_JSON;
    export_series_doc(r->metric, since_ms, v, ns, &rep->body);
    for (size_t i = 0; i < ns; i++)
        free(pts[i]);
    free(pts);
    free(v);
    return 0;
}

static int answer_ready(struct serve *s, const struct frame *f, struct serve_reply *rep)
{
    int64_t limit = 3 * atomic_load(&s->interval_ms);
    rep->content_type = CT_JSON;
    if (!f) {
        rep->status = 503;
        buf_puts(&rep->body, "{\"ready\":false,\"reason\":\"no pass has completed yet\"}\n");
        return 0;
    }
    int64_t age = clock_mono_ms() - f->done_mono_ms;
    if (age > limit) {
        rep->status = 503;
        buf_printf(&rep->body,
                   "{\"ready\":false,\"reason\":\"the last pass completed %lld ms ago, over 3 x "
                   "the interval (%lld ms)\",\"last_pass_age_ms\":%lld}\n",
                   (long long)age, (long long)limit, (long long)age);
        return 0;
    }
    rep->status = 200;
    buf_printf(&rep->body, "{\"ready\":true,\"last_pass_age_ms\":%lld}\n", (long long)age);
    return 0;
}

static int answer_route(struct serve *s, struct frame *f, const struct route *r, const char *path,
                        const char *accept, const char *encoding, struct serve_reply *rep)
{
    if (r->kind == ROUTE_NOT_FOUND)
        return fail(rep, 404, "no such path: ", path);
    if (r->kind == ROUTE_HEALTHZ) {
        rep->status = 200;
        rep->content_type = CT_TEXT;
        buf_puts(&rep->body, "ok\n");
        return 0;
    }
    if (r->kind == ROUTE_READYZ)
        return answer_ready(s, f, rep);
    if (!f)
        return fail(rep, 503, "no pass has completed yet", NULL);
    size_t idx = 0;
    switch (r->kind) {
    case ROUTE_METRICS:
        if (accepts(accept, "application/openmetrics-text"))
            return reply_gz(rep, f, CT_OM, &f->prom, &f->om_tail, &f->prom_gz, &f->om_gz_tail,
                            f->prom_len + f->om_tail.len, encoding);
        return reply_gz(rep, f, CT_PROM, &f->prom, &f->prom_tail, &f->prom_gz, &f->prom_gz_tail,
                        f->prom_len + f->prom_tail.len, encoding);
    case ROUTE_SNAPSHOT:
        serve_frame_json(f);
        return reply_gz(rep, f, CT_JSON, &f->json, NULL, &f->json_gz, NULL, f->json_len, encoding);
    case ROUTE_ALERTS:
        return reply_buf(rep, CT_JSON, &f->alerts);
    case ROUTE_SERIES:
        return answer_series(s, f, r, rep);
    case ROUTE_STREAM:
    case ROUTE_HISTORY:
        if (!find_stream(f->snap, r->stream, &idx))
            return fail(rep, 404, "no such stream: ", r->stream);
        if (r->kind == ROUTE_HISTORY)
            return answer_history(s, r, f->snap->streams[idx].name, rep);
        struct strvec lines;
        strvec_init(&lines);
        pthread_mutex_lock(&s->rlock);
        if (s->reader)
            pass_schema_versions(s->reader, f->snap->streams[idx].name, &lines);
        pthread_mutex_unlock(&s->rlock);
        rep->status = 200;
        rep->content_type = CT_JSON;
        export_stream_doc(f->snap, idx, &lines, &rep->body);
        strvec_done(&lines);
        return 0;
    default:
        return fail(rep, 404, "no such path: ", path);
    }
    return 0;
}

bool serve_needs_auth(const char *path)
{
    return strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0;
}

bool serve_auth_ok(const struct strvec *users, const char *user, const char *password)
{
    if (!user || !password || strchr(user, ':'))
        return false;
    size_t ul = strlen(user), pl = strlen(password);
    bool ok = false;
    for (size_t i = 0; i < users->n; i++) {
        const char *line = users->v[i];
        size_t n = strlen(line);
        if (n != ul + 1 + pl)
            continue;
        /* every byte looked at, so the time says nothing of where a guess went wrong */
        unsigned char diff = 0;
        for (size_t k = 0; k < ul; k++)
            diff |= (unsigned char)(line[k] ^ user[k]);
        diff |= (unsigned char)(line[ul] ^ ':');
        for (size_t k = 0; k < pl; k++)
            diff |= (unsigned char)(line[ul + 1 + k] ^ password[k]);
        ok |= diff == 0;
    }
    return ok;
}

void serve_answer(struct serve *s, const char *method, const char *path, const char *query,
                  const char *accept, const char *encoding, struct serve_reply *rep)
{
    buf_init(&rep->body);
    rep->allow = NULL;
    rep->hold = NULL;
    memset(rep->part, 0, sizeof rep->part);
    rep->gunzip_len = 0;
    rep->gzip = rep->varies = false;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        rep->allow = "GET, HEAD";
        fail(rep, 405, "method not allowed: ", method);
        return;
    }
    struct route r;
    struct st_err err;
    if (route_parse(path, query, &r, &err) < 0) {
        fail(rep, 400, err.msg, NULL);
        return;
    }
    struct frame *f = serve_frame_get(s);
    answer_route(s, f, &r, path, accept, encoding, rep);
    serve_frame_put(f);
    route_done(&r);
}
