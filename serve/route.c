#include "serve/route.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"

char *route_decode(const char *s, size_t n, int plus_space)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            int hi = i + 1 < n ? parse_hexdigit(s[i + 1]) : -1;
            int lo = i + 2 < n ? parse_hexdigit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_space) {
            out[o++] = ' ';
        } else if (c == '\0') {
            free(out);
            return NULL;
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

void route_done(struct route *r)
{
    free(r->stream);
    free(r->metric);
    free(r->since);
    r->stream = r->metric = r->since = NULL;
}

/* Set *slot to the decoded value of v[0..n), replacing what it held. */
static int set_value(char **slot, const char *key, const char *v, size_t n, struct st_err *err)
{
    char *d = route_decode(v, n, 1);
    if (!d)
        return st_err_set(err, ST_EFORMAT, "query parameter '%s': bad percent-encoding", key);
    if (strlen(d) > ROUTE_MAX_VALUE) {
        free(d);
        return st_err_set(err, ST_EFORMAT, "query parameter '%s': longer than %d bytes", key,
                          ROUTE_MAX_VALUE);
    }
    free(*slot);
    *slot = d;
    return 0;
}

static int parse_query(const char *q, struct route *r, struct st_err *err)
{
    while (q && *q) {
        const char *amp = strchr(q, '&');
        size_t len = amp ? (size_t)(amp - q) : strlen(q);
        const char *eq = memchr(q, '=', len);
        size_t klen = eq ? (size_t)(eq - q) : len;
        const char *v = eq ? eq + 1 : q + len;
        size_t vlen = eq ? len - klen - 1 : 0;
        if (klen == 6 && memcmp(q, "metric", 6) == 0) {
            if (set_value(&r->metric, "metric", v, vlen, err) < 0)
                return -1;
        } else if (klen == 5 && memcmp(q, "since", 5) == 0) {
            if (set_value(&r->since, "since", v, vlen, err) < 0)
                return -1;
        }
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

int route_parse(const char *path, const char *query, struct route *r, struct st_err *err)
{
    static const struct {
        const char *path;
        enum route_kind kind;
    } fixed[] = {
        {"/metrics", ROUTE_METRICS},      {"/api/v1/snapshot", ROUTE_SNAPSHOT},
        {"/api/v1/series", ROUTE_SERIES}, {"/api/v1/alerts", ROUTE_ALERTS},
        {"/healthz", ROUTE_HEALTHZ},      {"/readyz", ROUTE_READYZ},
    };
    static const char prefix[] = "/api/v1/streams/", suffix[] = "/history";
    memset(r, 0, sizeof *r);
    r->kind = ROUTE_NOT_FOUND;
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(path, fixed[i].path) == 0)
            r->kind = fixed[i].kind;
    size_t plen = strlen(path);
    if (r->kind == ROUTE_NOT_FOUND && strncmp(path, prefix, sizeof prefix - 1) == 0) {
        const char *name = path + sizeof prefix - 1;
        size_t n = plen - (sizeof prefix - 1);
        r->kind = ROUTE_STREAM;
        if (n >= sizeof suffix - 1 && strcmp(name + n - (sizeof suffix - 1), suffix) == 0) {
            r->kind = ROUTE_HISTORY;
            n -= sizeof suffix - 1;
        }
        if (n == 0 || memchr(name, '/', n)) { /* "/api/v1/streams/" or a deeper path */
            r->kind = ROUTE_NOT_FOUND;
            return 0;
        }
        r->stream = route_decode(name, n, 0);
        if (!r->stream)
            return st_err_set(err, ST_EFORMAT, "stream name: bad percent-encoding");
        if (strlen(r->stream) > ROUTE_MAX_VALUE) {
            route_done(r);
            return st_err_set(err, ST_EFORMAT, "stream name: longer than %d bytes",
                              ROUTE_MAX_VALUE);
        }
    }
    if (r->kind == ROUTE_NOT_FOUND)
        return 0;
    if (parse_query(query, r, err) < 0) {
        route_done(r);
        return -1;
    }
    return 0;
}

int route_since_ms(const char *text, int64_t now_ms, int64_t *out, struct st_err *err)
{
    int64_t v;
    if (parse_duration_ms(text, &v) == 0 && v >= 0) {
        *out = now_ms - v;
        return 0;
    }
    if (parse_iso8601_ms(text, &v) == 0) {
        *out = v;
        return 0;
    }
    return st_err_set(err, ST_EFORMAT,
                      "since: a duration (30m, 1h, 7d) or an RFC 3339 time, not '%.80s'", text);
}
