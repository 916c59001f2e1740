#include "collectors/sourcelog.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/fs.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/parse.h"
#include "core/xalloc.h"

void sourcelog_init(struct sourcelog *sl)
{
    memset(sl, 0, sizeof *sl);
    hashset_init(&sl->seen);
    sl->folded_upto = -1;
    sl->compact_id = -1;
}

void sourcelog_done(struct sourcelog *sl)
{
    hashset_done(&sl->seen);
}

uint64_t sourcelog_path_hash(const char *path, size_t n, bool is_uri)
{
    char stack[1024];
    char *out = n + 16 <= sizeof stack ? stack : xmalloc(n + 16);
    size_t o = 0, i = 0;
    if (n >= 5 && memcmp(path, "file:", 5) == 0) {
        i = 5;
    } else if (n >= 14 && memcmp(path, "dbfs:/Volumes/", 14) == 0) {
        i = 5; /* a volume: dbfs:/Volumes/x is /Volumes/x (not under /dbfs) */
    } else if (n >= 5 && memcmp(path, "dbfs:", 5) == 0) {
        memcpy(out, "/dbfs", 5);
        o = 5;
        i = 5;
    } else if (n >= 6 && (memcmp(path, "s3a://", 6) == 0 || memcmp(path, "s3n://", 6) == 0)) {
        memcpy(out, "s3://", 5);
        o = 5;
        i = 6;
    } else if (n >= 5 && memcmp(path, "s3://", 5) == 0) {
        memcpy(out, "s3://", 5);
        o = 5;
        i = 5;
    }
    for (; i < n; i++) {
        char c = path[i];
        if (is_uri && c == '%' && i + 2 < n && parse_hexdigit(path[i + 1]) >= 0 &&
            parse_hexdigit(path[i + 2]) >= 0) {
            c = (char)(parse_hexdigit(path[i + 1]) * 16 + parse_hexdigit(path[i + 2]));
            i += 2;
        }
        if (c == '/' && o > 0 && out[o - 1] == '/' && !(o == 5 && memcmp(out, "s3://", 5) == 0))
            continue; /* collapse "//" (but keep the one of "s3://") */
        out[o++] = c;
    }
    while (o > 1 && out[o - 1] == '/')
        o--;
    uint64_t h = hash64(out, o);
    if (out != stack)
        free(out);
    return h;
}

/* ---- one log line ------------------------------------------------------------------------ */

struct entry {
    const char *path;
    size_t pathlen;
    int64_t ts;
    int64_t batch; /* -1 when absent */
    char *owned;   /* set when the slow path had to unescape */
};

static bool scan_int(const char *p, const char *end, int64_t *out)
{
    bool neg = p < end && *p == '-';
    if (neg)
        p++;
    if (p >= end || *p < '0' || *p > '9')
        return false;
    int64_t v = 0;
    while (p < end && *p >= '0' && *p <= '9' && v < 922337203685477580LL)
        v = v * 10 + (*p++ - '0');
    *out = neg ? -v : v;
    return true;
}

static const char *find_key(const char *s, const char *end, const char *key, size_t keylen)
{
    for (const char *p = s; p + keylen <= end; p++) {
        p = memchr(p, '"', (size_t)(end - p));
        if (!p || p + keylen > end)
            return NULL;
        if (memcmp(p, key, keylen) == 0)
            return p + keylen;
    }
    return NULL;
}

/* Fast path for Spark's own lines; cJSON when the line holds escapes or another layout. */
static bool parse_entry(const char *s, size_t n, struct entry *e)
{
    const char *end = s + n;
    memset(e, 0, sizeof *e);
    e->batch = -1;
    if (n < 2 || s[0] != '{' || end[-1] != '}')
        return false;
    const char *p = find_key(s, end, "\"path\":\"", 8);
    const char *q = p ? memchr(p, '"', (size_t)(end - p)) : NULL;
    const char *ts = find_key(s, end, "\"timestamp\":", 12);
    if (p && q && !memchr(p, '\\', (size_t)(q - p)) && ts && scan_int(ts, end, &e->ts)) {
        e->path = p;
        e->pathlen = (size_t)(q - p);
        const char *b = find_key(s, end, "\"batchId\":", 10);
        if (b)
            scan_int(b, end, &e->batch);
        return true;
    }
    cJSON *obj = cJSON_ParseWithLength(s, n);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(obj, "path");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, "timestamp");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(obj, "batchId");
    /* a timestamp beyond int64 (1e300) makes the line garbage; such a batchId is ignored */
    bool ok =
        cJSON_IsString(path) && cJSON_IsNumber(t) && parse_double_to_i64(t->valuedouble, &e->ts);
    if (ok) {
        e->owned = xstrdup(path->valuestring);
        e->path = e->owned;
        e->pathlen = strlen(e->owned);
        if (!cJSON_IsNumber(b) || !parse_double_to_i64(b->valuedouble, &e->batch))
            e->batch = -1;
    }
    cJSON_Delete(obj);
    return ok;
}

/* ---- reading files ----------------------------------------------------------------------- */

struct reader {
    struct sourcelog *sl;
    const char *path;
    struct strvec *warnings;
    int64_t only_batch; /* tail mode: keep entries of this batch only; -1 keeps all */
    bool saw_older;     /* tail mode: met an entry older than only_batch */
    uint64_t lineno;
    uint64_t bad;
    uint64_t first_bad;
};

static void take_line(struct reader *r, const char *s, size_t n)
{
    r->lineno++;
    if (n && s[n - 1] == '\r')
        n--;
    if (r->lineno == 1 && r->only_batch < 0) {
        if (!(n == 2 && s[0] == 'v' && s[1] == '1')) {
            r->bad++;
            r->first_bad = r->first_bad ? r->first_bad : 1;
        }
        return;
    }
    if (n == 0 || (n == 2 && s[0] == 'v' && s[1] == '1'))
        return;
    struct entry e;
    if (!parse_entry(s, n, &e)) {
        r->bad++;
        if (!r->first_bad)
            r->first_bad = r->lineno;
        return;
    }
    if (r->only_batch >= 0 && e.batch >= 0 && e.batch < r->only_batch)
        r->saw_older = true;
    else
        hashset_put(&r->sl->seen, sourcelog_path_hash(e.path, e.pathlen, true), e.ts);
    free(e.owned);
}

static void report_bad(struct reader *r)
{
    if (r->bad)
        strvec_pushf(r->warnings, "%s: %llu garbage line%s skipped (first at line %llu)", r->path,
                     (unsigned long long)r->bad, r->bad == 1 ? "" : "s",
                     (unsigned long long)r->first_bad);
    r->sl->bad_lines += r->bad;
}

uint64_t sourcelog_fold_text(struct sourcelog *sl, const char *text, size_t len, int64_t only_batch)
{
    struct reader r = {.sl = sl, .only_batch = only_batch};
    for (const char *s = text, *end = text + len; s < end;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        if (n > SOURCELOG_MAX_LINE) {
            r.lineno++;
            r.bad++;
        } else {
            take_line(&r, s, n);
        }
        s = nl ? nl + 1 : end;
    }
    sl->bad_lines += r.bad;
    return r.bad;
}

/* Size the set once for a large file, from the file size and the first chunk's line length,
 * so it is not rebuilt (and briefly held twice) while growing. */
static void presize(struct reader *r, const struct buf *first)
{
    struct fs_entry info;
    struct st_err err;
    size_t lines = 0;
    for (size_t i = 0; i < first->len; i++)
        lines += first->data[i] == '\n';
    if (lines < 16 || fs_stat(r->path, &info, &err) < 0 || info.size <= (int64_t)first->len)
        return;
    double per_line = (double)first->len / (double)lines;
    hashset_reserve(&r->sl->seen, r->sl->seen.n + (size_t)((double)info.size / per_line * 1.02));
}

/* Stream a whole file in fixed chunks, line by line. */
static int read_all(struct reader *r, struct st_err *err)
{
    struct buf chunk, carry;
    buf_init(&chunk);
    buf_init(&carry);
    int64_t off = 0;
    bool skipping = false; /* inside an over-long line */
    int rc = 0;
    for (;;) {
        if (fs_read_range(r->path, off, SOURCELOG_CHUNK, &chunk, NULL, err) < 0) {
            rc = -1;
            break;
        }
        r->sl->bytes_read += chunk.len;
        if (off == 0 && chunk.len == SOURCELOG_CHUNK)
            presize(r, &chunk);
        off += (int64_t)chunk.len;
        const char *s = buf_str(&chunk), *end = s + chunk.len;
        while (s < end) {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
            if (skipping) {
                if (nl)
                    skipping = false;
            } else if (carry.len + n > SOURCELOG_MAX_LINE) {
                r->lineno++;
                r->bad++;
                r->first_bad = r->first_bad ? r->first_bad : r->lineno;
                buf_reset(&carry);
                skipping = !nl;
            } else if (nl) {
                if (carry.len) {
                    buf_append(&carry, s, n);
                    take_line(r, carry.data, carry.len);
                    buf_reset(&carry);
                } else {
                    take_line(r, s, n);
                }
            } else {
                buf_append(&carry, s, n);
            }
            s = nl ? nl + 1 : end;
        }
        if (chunk.len < SOURCELOG_CHUNK)
            break;
    }
    if (rc == 0 && carry.len && !skipping)
        take_line(r, carry.data, carry.len); /* Spark writes no trailing newline */
    buf_done(&chunk);
    buf_done(&carry);
    return rc;
}

/* Read a .compact backwards from its end, keeping the entries of batch r->only_batch, until an
 * older entry shows up: the newest batch's entries are the last lines of the file. */
static int read_tail(struct reader *r, struct st_err *err)
{
    struct fs_entry info;
    if (fs_stat(r->path, &info, err) < 0)
        return -1;
    struct buf chunk;
    buf_init(&chunk);
    int64_t end = info.size;
    int rc = 0;
    while (end > 0 && !r->saw_older) {
        int64_t start = end > (int64_t)SOURCELOG_CHUNK ? end - (int64_t)SOURCELOG_CHUNK : 0;
        if (fs_read_range(r->path, start, (size_t)(end - start), &chunk, NULL, err) < 0) {
            rc = -1;
            break;
        }
        r->sl->bytes_read += chunk.len;
        const char *s = buf_str(&chunk), *e = s + chunk.len;
        if (start > 0) {
            const char *nl = memchr(s, '\n', chunk.len);
            if (!nl) { /* one line longer than a chunk: give up on the tail */
                rc = st_err_set(err, ST_EFORMAT, "%s: line too long", r->path);
                break;
            }
            s = nl + 1;
        }
        int64_t next_end = start + (s - buf_str(&chunk));
        while (s < e) {
            const char *nl = memchr(s, '\n', (size_t)(e - s));
            size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
            take_line(r, s, n);
            s = nl ? nl + 1 : e;
        }
        end = start > 0 ? next_end : 0;
    }
    buf_done(&chunk);
    return rc;
}

static int read_file(struct sourcelog *sl, const char *dir, const char *name, int64_t only_batch,
                     struct strvec *warnings, struct st_err *err)
{
    char *path = fs_join(dir, name);
    struct reader r = {.sl = sl, .path = path, .warnings = warnings, .only_batch = only_batch};
    int rc = only_batch >= 0 ? read_tail(&r, err) : read_all(&r, err);
    report_bad(&r);
    free(path);
    return rc;
}

/* ---- the folder -------------------------------------------------------------------------- */

struct ids {
    int64_t *v;
    size_t n, cap;
};

struct listing {
    struct ids deltas, compacts;
};

static void push_id(struct ids *ids, int64_t id)
{
    xgrow((void **)&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v);
    ids->v[ids->n++] = id;
}

static int on_entry(const struct fs_entry *e, void *ctx)
{
    struct listing *l = ctx;
    int64_t id;
    if (e->is_dir)
        return 0;
    const char *dot = strchr(e->name, '.');
    if (dot && strcmp(dot, ".compact") == 0) {
        char num[24];
        size_t n = (size_t)(dot - e->name);
        if (n && n < sizeof num) {
            memcpy(num, e->name, n);
            num[n] = '\0';
            if (parse_batch_name(num, &id))
                push_id(&l->compacts, id);
        }
    } else if (parse_batch_name(e->name, &id)) {
        push_id(&l->deltas, id);
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t derive_interval(const struct ids *compacts, const struct ids *deltas)
{
    if (compacts->n >= 2)
        return compacts->v[compacts->n - 1] - compacts->v[compacts->n - 2];
    if (compacts->n == 1 && deltas->n && deltas->v[0] == 0)
        return compacts->v[0] + 1; /* nothing deleted yet: the first compaction batch */
    return 0;
}

/* The deltas after folded_upto in the listing skip a batch (before any compact there is). */
static bool has_gap(const struct sourcelog *sl, const struct listing *l, int64_t newest_compact)
{
    int64_t at = newest_compact > sl->compact_id ? newest_compact : sl->folded_upto;
    for (size_t i = 0; i < l->deltas.n; i++) {
        int64_t id = l->deltas.v[i];
        if (id <= at)
            continue;
        if (at >= 0 && id != at + 1)
            return true;
        at = id;
    }
    return false;
}

/* One listing of dir and the reads it calls for. *again is set (and nothing is reported) when
 * the listing shows a gap or a listed file has gone when read, and allow_again: the query was
 * compacting or cleaning its log meanwhile, so the caller lists again. */
static int update_once(struct sourcelog *sl, const char *dir, struct strvec *warnings,
                       bool allow_again, bool *again, struct st_err *err)
{
    struct listing l = {0};
    *again = false;
    if (fs_list(dir, FS_NOSTAT, on_entry, &l, err) < 0)
        return -1;
    if (l.deltas.n)
        qsort(l.deltas.v, l.deltas.n, sizeof *l.deltas.v, cmp_i64);
    if (l.compacts.n)
        qsort(l.compacts.v, l.compacts.n, sizeof *l.compacts.v, cmp_i64);
    int64_t newest_compact = l.compacts.n ? l.compacts.v[l.compacts.n - 1] : -1;
    int64_t newest = newest_compact;
    if (l.deltas.n && l.deltas.v[l.deltas.n - 1] > newest)
        newest = l.deltas.v[l.deltas.n - 1];
    char name[40];
    int rc = 0;

    if (allow_again && has_gap(sl, &l, newest_compact)) {
        *again = true;
        goto out;
    }
    sl->interval = derive_interval(&l.compacts, &l.deltas);
    if (newest < sl->folded_upto || (newest_compact >= 0 && newest_compact < sl->compact_id)) {
        /* the log went backwards: a new checkpoint in the same place */
        hashset_clear(&sl->seen);
        sl->folded_upto = -1;
        sl->compact_id = -1;
    }
    if (newest_compact > sl->compact_id) {
        snprintf(name, sizeof name, "%lld.compact", (long long)newest_compact);
        if (sl->folded_upto >= 0 && sl->folded_upto == newest_compact - 1) {
            /* everything before the new compact is folded: only its own batch is new */
            rc = read_file(sl, dir, name, newest_compact, warnings, err);
        } else {
            hashset_clear(&sl->seen);
            sl->folded_upto = -1;
            sl->compact_id = -1;
            rc = read_file(sl, dir, name, -1, warnings, err);
        }
        if (rc == 0) {
            sl->compact_id = newest_compact;
            sl->folded_upto = newest_compact;
        }
    }
    for (size_t i = 0; rc == 0 && i < l.deltas.n; i++) {
        int64_t id = l.deltas.v[i];
        if (id <= sl->folded_upto)
            continue;
        if (sl->folded_upto >= 0 && id != sl->folded_upto + 1)
            strvec_pushf(warnings, "%s: log batches %lld to %lld are missing", dir,
                         (long long)(sl->folded_upto + 1), (long long)(id - 1));
        snprintf(name, sizeof name, "%lld", (long long)id);
        rc = read_file(sl, dir, name, -1, warnings, err);
        if (rc == 0)
            sl->folded_upto = id;
    }
    /* a file listed but gone when read: compacted away, or the checkpoint replaced */
    if (rc < 0 && err->code == ST_ENOENT && allow_again) {
        *again = true;
        rc = 0;
    } else if (rc < 0 && err->code == ST_ENOENT) {
        char was[sizeof err->msg];
        snprintf(was, sizeof was, "%s", err->msg);
        st_err_set(err, ST_ENOENT, "%s (listed, then gone when read, twice in a row)", was);
    }
out:
    free(l.deltas.v);
    free(l.compacts.v);
    return rc;
}

int sourcelog_update(struct sourcelog *sl, const char *dir, int64_t reuse_max_ms,
                     struct strvec *warnings, struct st_err *err)
{
    sl->bytes_read = 0;
    sl->bad_lines = 0;
    /* the folder's stat before its listing: a file added after it moves the mtime past it */
    struct fs_entry info = {.mtime_ms = -1};
    struct st_err serr;
    bool stamped = reuse_max_ms > 0 && fs_stat(dir, &info, &serr) == 0 && info.is_dir;
    int64_t listed_ms = clock_real_ms();
    if (stamped && dirstamp_holds(&sl->stamp, &info, reuse_max_ms, listed_ms))
        return 0;
    sl->stamp = (struct dirstamp){0};
    bool again;
    int rc = update_once(sl, dir, warnings, true, &again, err);
    if (rc == 0 && again)
        rc = update_once(sl, dir, warnings, false, &again, err);
    if (rc == 0 && stamped)
        dirstamp_set(&sl->stamp, &info, listed_ms);
    return rc;
}
