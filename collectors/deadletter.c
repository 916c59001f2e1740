/* The dead-letter collector: each of a stream's prefixes listed recursively (Spark's markers
 * and hidden files skipped); files, bytes, the newest file and a sample of it (its first line,
 * at most 4 KiB, read by range, with path/reason/record pulled out when it is JSON). New files
 * are those newer than the previous pass, which the cursor carries across processes. On an
 * object store, where the keys sort by time (collectors/keyorder.h: Spark's <ts>/bad_records/,
 * dt=/hr= partitions, Firehose's processing-failed/YYYY/MM/DD/HH/), a pass lists only the open
 * partitions and what sorts after them, as the landing collector does, with the stream's
 * `listing` and `full_listing_every`; the partitions so listed are kept in the cursor. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/keyorder.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

#define SAMPLE_CAP     4096
#define ARRIVAL_WINDOW (15 * 60 * 1000) /* deadletter_arrivals_per_minute averages over this */

#define LAYOUT_BAD_RECORDS  1
#define LAYOUT_PARTITIONED  2
#define LAYOUT_DATED        4
#define LAYOUT_FIREHOSE     8
#define LAYOUT_ALL          15
#define CURSOR_MAX_NAME     4096
#define CURSOR_MAX_PREFIXES 256

struct dlfile {
    int64_t size, mtime_ms;
};

/* A partition (key folder) of a prefix, as last listed. */
struct dlpart {
    char *rel;         /* (owned) the key's folders, "" for the top */
    char *last;        /* (owned) the greatest key listed in it, NULL when none */
    char *newest;      /* (owned) the key of its newest file (the smaller key on a tie) */
    int64_t newest_ms; /* that file's mtime, -1 none */
    unsigned layout;   /* LAYOUT_* its keys show */
    struct dlfile *files;
    size_t nfiles, cap;
    bool relisted; /* listed whole in this incremental pass */
};

/* What is kept of one prefix. */
struct dlprefix {
    uint64_t hash;   /* of the prefix as configured */
    uint64_t layout; /* the keys' time layout at the last whole listing (keyorder.h), 0 none */
    int64_t
        last_full_ms; /* clock time of the last whole listing of an incremental prefix, 0 none */
    bool incremental; /* the partitions are kept for incremental passes */
    bool warned;      /* the warning that keys stopped sorting by time was given */
    bool used;        /* configured in this pass */
    struct dlpart *parts;
    size_t nparts, cap;
    struct hashset index; /* hash(rel) -> index in parts */
};

struct dl_state {
    int64_t last_pass_ms; /* generated time of the previous pass, -1 before the first */
    struct dlprefix *pre;
    size_t npre, cappre;
    struct buf save; /* the cursor being saved */
    struct buf take; /* the cursor being restored */
};

static void *dl_state_new(void)
{
    struct dl_state *s = xcalloc(1, sizeof *s);
    s->last_pass_ms = -1;
    buf_init(&s->save);
    buf_init(&s->take);
    return s;
}

static void parts_drop(struct dlprefix *p)
{
    for (size_t i = 0; i < p->nparts; i++) {
        free(p->parts[i].rel);
        free(p->parts[i].last);
        free(p->parts[i].newest);
        free(p->parts[i].files);
    }
    p->nparts = 0;
    hashset_clear(&p->index);
}

static void prefixes_drop(struct dl_state *s)
{
    for (size_t i = 0; i < s->npre; i++) {
        parts_drop(&s->pre[i]);
        free(s->pre[i].parts);
        hashset_done(&s->pre[i].index);
    }
    s->npre = 0;
}

static void dl_state_free(void *state)
{
    struct dl_state *s = state;
    if (!s)
        return;
    prefixes_drop(s);
    free(s->pre);
    buf_done(&s->save);
    buf_done(&s->take);
    free(s);
}

static struct dlprefix *prefix_slot(struct dl_state *s, uint64_t hash)
{
    for (size_t i = 0; i < s->npre; i++)
        if (s->pre[i].hash == hash)
            return &s->pre[i];
    xgrow((void **)&s->pre, &s->cappre, s->npre + 1, sizeof *s->pre);
    struct dlprefix *p = &s->pre[s->npre++];
    memset(p, 0, sizeof *p);
    p->hash = hash;
    hashset_init(&p->index);
    return p;
}

static struct dlpart *part_slot(struct dlprefix *p, const char *rel, size_t n)
{
    int64_t idx;
    uint64_t h = hash64(rel, n);
    if (hashset_get(&p->index, h, &idx) && strlen(p->parts[idx].rel) == n &&
        memcmp(p->parts[idx].rel, rel, n) == 0)
        return &p->parts[idx];
    xgrow((void **)&p->parts, &p->cap, p->nparts + 1, sizeof *p->parts);
    struct dlpart *d = &p->parts[p->nparts];
    memset(d, 0, sizeof *d);
    d->rel = xstrndup(rel, n);
    d->newest_ms = -1;
    hashset_put(&p->index, h, (int64_t)p->nparts);
    p->nparts++;
    return d;
}

static void part_reset(struct dlpart *d)
{
    d->nfiles = 0;
    free(d->last);
    free(d->newest);
    d->last = d->newest = NULL;
    d->newest_ms = -1;
    d->layout = 0;
}

static bool dl_wants(const struct cfg_stream *cfg)
{
    return cfg->deadletter.n > 0;
}

/* Firehose's error prefixes (Amazon Data Firehose writes failed records under
 * <error prefix>/YYYY/MM/DD/HH/): Lambda transformation failures, data format conversion and
 * decompression failures by default, or a custom error prefix commonly named errors/. */
static const char *const firehose_dirs[] = {"processing-failed", "format-conversion-failed",
                                            "decompression-failed", "errors", NULL};

/* Is one '/'-separated component of path, or its last, a Firehose error folder? */
static bool firehose_path(const char *path)
{
    for (const char *c = path; c && *c;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        for (size_t i = 0; firehose_dirs[i]; i++)
            if (n == strlen(firehose_dirs[i]) && strncmp(c, firehose_dirs[i], n) == 0)
                return true;
        c = end ? end + 1 : NULL;
    }
    return false;
}

/* A name of the walk with a hidden component: a marker (_SUCCESS, .crc) or a file below a
 * folder such as _temporary/, where a job writes what it has not committed yet (and which goes
 * again when it commits). */
static bool hidden_path(const char *name)
{
    for (const char *c = name; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        if (fs_hidden(c))
            return true;
    }
    return false;
}

/* Does the name sit in YYYY/MM/DD/HH/ (or YYYY/MM/DD/) folders, Firehose's and many
 * feeders' key layout? */
static bool path_dated(const char *name)
{
    static const size_t widths[] = {4, 2, 2};
    for (const char *c = name; *c;) {
        const char *p = c;
        size_t k = 0;
        for (; k < 3; k++) {
            size_t n = 0;
            while (p[n] >= '0' && p[n] <= '9')
                n++;
            if (n != widths[k] || p[n] != '/')
                break;
            p += n + 1;
        }
        if (k == 3)
            return true;
        const char *slash = strchr(c, '/');
        if (!slash)
            break;
        c = slash + 1;
    }
    return false;
}

/* What the name of a listed file says of the prefix's layout (LAYOUT_*). */
static unsigned name_layout(const char *name)
{
    unsigned l = 0;
    if (strstr(name, "/bad_records/") || strstr(name, "/bad_files/") ||
        str_prefix(name, "bad_records/") || str_prefix(name, "bad_files/"))
        l |= LAYOUT_BAD_RECORDS;
    else if (strstr(name, "="))
        l |= LAYOUT_PARTITIONED;
    else if (path_dated(name))
        l |= LAYOUT_DATED;
    if (firehose_path(name))
        l |= LAYOUT_FIREHOSE;
    return l;
}

/* A listing, whole or incremental, into a prefix's partitions. */
struct list_ctx {
    struct dlprefix *p;
    bool scan; /* a whole listing: learn the keys' layout */
    struct keyorder_scan ko;
    bool relist;   /* incremental from an open partition: every partition reached is whole */
    uint64_t want; /* incremental: the layout every key must have (0: any) */
    char *bad;     /* (owned) incremental: the first key without it */
    size_t added;
    size_t cur; /* index of the previous key's partition (keys come grouped), SIZE_MAX none */
};

static int on_file(const struct fs_entry *e, void *ctx)
{
    struct list_ctx *c = ctx;
    if (e->is_dir || hidden_path(e->name))
        return 0;
    const char *key = e->name;
    if (c->scan)
        keyorder_scan_add(&c->ko, key);
    struct key_time kt;
    if (c->want && (!keyorder_parse(key, &kt) || kt.layout != c->want)) {
        c->bad = xstrdup(key); /* a key of another layout: this pass lists everything */
        return 1;
    }
    const char *sl = strrchr(key, '/');
    size_t pl = sl ? (size_t)(sl - key) : 0;
    struct dlprefix *p = c->p;
    if (c->cur == SIZE_MAX || strlen(p->parts[c->cur].rel) != pl ||
        memcmp(p->parts[c->cur].rel, key, pl) != 0)
        c->cur = (size_t)(part_slot(p, key, pl) - p->parts);
    struct dlpart *d = &p->parts[c->cur];
    if (c->relist && !d->relisted) {
        part_reset(d); /* a partition the pass did not know to list again */
        d->relisted = true;
    }
    xgrow((void **)&d->files, &d->cap, d->nfiles + 1, sizeof *d->files);
    d->files[d->nfiles++] = (struct dlfile){e->size, e->mtime_ms};
    if (!d->last || strcmp(key, d->last) > 0) {
        free(d->last);
        d->last = xstrdup(key);
    }
    if (!d->newest || e->mtime_ms > d->newest_ms ||
        (e->mtime_ms == d->newest_ms && strcmp(key, d->newest) < 0)) {
        free(d->newest);
        d->newest = xstrdup(key);
        d->newest_ms = e->mtime_ms;
    }
    d->layout |= name_layout(key);
    c->added++;
    return 0;
}

static char *json_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        return sanitize_dup(v->valuestring, strlen(v->valuestring));
    if (v && !cJSON_IsNull(v)) {
        char *text = cJSON_PrintUnformatted(v);
        char *clean = text ? sanitize_dup(text, strlen(text)) : NULL;
        cJSON_free(text);
        return clean;
    }
    return NULL;
}

/* A Firehose failed record: errorCode/errorMessage (processing-failed/) or
 * ErrorCode/ErrorMessage (format conversion), rawData (the record, base64 as written). */
static void firehose_sample(struct snap_deadletter *d, const cJSON *o)
{
    if (!d->sample_reason) {
        char *code = json_field(o, "errorCode"), *msg = json_field(o, "errorMessage");
        if (!code && !msg) {
            code = json_field(o, "ErrorCode");
            msg = json_field(o, "ErrorMessage");
        }
        if (code || msg)
            d->sample_reason =
                xasprintf("%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
        free(code);
        free(msg);
    }
    if (!d->sample_record)
        d->sample_record = json_field(o, "rawData");
}

static void sample(struct snap_deadletter *d, const char *prefix, const char *rel,
                   uint64_t *bytes_read)
{
    char *path = fs_join(prefix, rel);
    struct buf b;
    buf_init(&b);
    struct st_err err;
    if (fs_read_range(path, 0, SAMPLE_CAP, &b, NULL, &err) == 0) {
        *bytes_read += b.len;
        const char *nl = memchr(buf_str(&b), '\n', b.len);
        size_t n = nl ? (size_t)(nl - buf_str(&b)) : b.len;
        d->sample_file = sanitize_dup(path, strlen(path));
        d->sample_line = sanitize_dup(buf_str(&b), n);
        cJSON *o = cJSON_ParseWithLength(buf_str(&b), n);
        if (cJSON_IsObject(o)) {
            d->sample_path = json_field(o, "path");
            d->sample_reason = json_field(o, "reason");
            d->sample_record = json_field(o, "record");
            firehose_sample(d, o);
        }
        cJSON_Delete(o);
    }
    buf_done(&b);
    free(path);
}

/* A whole listing of a prefix into its partitions, the keys' layout learned. 0, or -1 with
 * err. */
static int list_whole(struct dlprefix *p, const char *prefix, struct st_err *err)
{
    parts_drop(p);
    struct list_ctx c = {.p = p, .scan = true, .cur = SIZE_MAX};
    keyorder_scan_init(&c.ko);
    if (fs_list(prefix, FS_RECURSIVE, on_file, &c, err) < 0) {
        parts_drop(p);
        return -1;
    }
    p->layout = keyorder_scan_layout(&c.ko);
    return 0;
}

/* An incremental pass (keyorder_plan: from the oldest open partition, or after the greatest
 * key). 1 when the keys no longer have the kept layout or the newest partition went (the
 * caller lists everything), 0, or -1 with err. */
static int list_incremental(struct dlprefix *p, const struct cfg_stream *cfg, const char *prefix,
                            int64_t now_ms, struct st_err *err)
{
    struct keyorder_part *kp = xmalloc((p->nparts ? p->nparts : 1) * sizeof *kp);
    size_t n = 0, newest = SIZE_MAX;
    for (size_t i = 0; i < p->nparts; i++) {
        struct dlpart *d = &p->parts[i];
        d->relisted = false;
        if (!d->last)
            continue;
        kp[n++] = (struct keyorder_part){d->rel, d->last};
        if (newest == SIZE_MAX || strcmp(d->rel, p->parts[newest].rel) > 0)
            newest = i;
    }
    bool relist;
    const char *start = keyorder_plan(kp, n, p->layout, cfg->clock_skew_ms, now_ms, &relist);
    char *from = start ? xstrdup(start) : NULL;
    free(kp);
    if (!from)
        return 1; /* nothing known */
    size_t newest_files = p->parts[newest].nfiles;
    for (size_t i = 0; relist && i < p->nparts; i++)
        if (strcmp(p->parts[i].rel, from) >= 0) {
            part_reset(&p->parts[i]); /* listed again, whole */
            p->parts[i].relisted = true;
        }
    struct list_ctx c = {.p = p, .relist = relist, .want = p->layout, .cur = SIZE_MAX};
    int rc = fs_list_after(prefix, from, on_file, &c, err);
    if (rc < 0 && err->code == ST_ENOENT)
        rc = 0; /* nothing after it */
    if (rc == 0 && c.bad)
        rc = 1;
    else if (rc == 0 && relist && newest_files && p->parts[newest].nfiles == 0)
        rc = 1; /* the newest partition went: the prefix changed under the cursor */
    if (rc >= 0)
        log_debug("deadletter %s: incremental: %zu files after '%s'%s", prefix, c.added, from,
                  relist ? " (the open partitions and what follows)" : "");
    if (rc == 1)
        log_info("deadletter %s: the key '%s' does not have the layout the kept listing has: "
                 "listing everything",
                 prefix, c.bad ? c.bad : "(the newest partition is gone)");
    free(c.bad);
    free(from);
    return rc;
}

/* Bring one prefix's partitions up to date: incremental on an object store whose keys sort by
 * time (or with `listing = incremental`) while the last whole listing is younger than
 * full_listing_every, else listed whole (warning once when keys that sorted no longer do). 0,
 * or -1 with err (the kept partitions are then dropped). */
static int list_prefix(struct dlprefix *p, const struct cfg_stream *cfg, const char *prefix,
                       int64_t now_ms, struct snap_stream *out, struct st_err *err)
{
    bool can = cfg->listing != LM_FULL && fs_lists_after(prefix);
    int64_t clock = clock_now_ms();
    bool due =
        keyorder_full_due(p->incremental, p->last_full_ms, cfg->full_listing_every_ms, clock);
    int rc = 1;
    if (can && !due && (p->layout != 0 || cfg->listing == LM_INCREMENTAL))
        rc = list_incremental(p, cfg, prefix, now_ms, err);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        parts_drop(p);
        p->incremental = false;
        p->last_full_ms = 0;
        return -1;
    }
    uint64_t before = p->layout;
    if (list_whole(p, prefix, err) < 0) {
        p->incremental = false;
        p->last_full_ms = 0;
        return -1;
    }
    bool sorted = p->layout != 0;
    if (!sorted && can && before != 0 && cfg->listing != LM_INCREMENTAL && !p->warned) {
        strvec_pushf(&out->warnings,
                     "deadletter %s: its keys no longer sort by time (date or hour partitions, "
                     "or timestamped names, all of one layout): listed whole every pass",
                     prefix);
        p->warned = true;
    } else if (sorted) {
        p->warned = false;
    }
    p->incremental = can && (sorted || cfg->listing == LM_INCREMENTAL);
    p->last_full_ms = p->incremental ? clock : 0;
    log_debug("deadletter %s: listed whole (%s)", prefix,
              p->incremental ? "incremental passes follow" : "no incremental passes");
    return 0;
}

static void dl_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                       int64_t now_ms)
{
    struct dl_state *s = state;
    double files = 0, bytes = 0, fresh = 0, recent = 0;
    int64_t newest = -1, recent_after = now_ms - ARRIVAL_WINDOW;
    bool all_ok = true;
    for (size_t i = 0; i < s->npre; i++)
        s->pre[i].used = false;
    for (size_t i = 0; i < cfg->deadletter.n; i++) {
        const char *prefix = cfg->deadletter.v[i];
        /* a prefix kept by a cursor of another configuration is not this one's */
        struct dlprefix *p = prefix_slot(s, hash64(prefix, strlen(prefix)));
        p->used = true;
        struct snap_deadletter *d = snap_stream_add_deadletter(out, prefix);
        struct st_err err;
        int lrc = list_prefix(p, cfg, prefix, now_ms, out, &err);
        if (lrc < 0 && err.code == ST_ENOENT) {
            /* Spark's writers make the folder with the first bad record: none yet */
            strvec_pushf(&out->warnings, "deadletter %s (no dead letters yet)", err.msg);
            d->layout = "missing";
            continue;
        }
        if (lrc < 0) {
            d->error = xstrdup(err.msg);
            strvec_pushf(&out->errors, "deadletter %s", err.msg);
            all_ok = false;
            continue;
        }
        unsigned layout = 0;
        const struct dlpart *np = NULL;
        for (size_t k = 0; k < p->nparts; k++) {
            const struct dlpart *pt = &p->parts[k];
            layout |= pt->layout;
            for (size_t f = 0; f < pt->nfiles; f++) {
                const struct dlfile *lf = &pt->files[f];
                d->files++;
                d->bytes += lf->size > 0 ? (double)lf->size : 0;
                if (s->last_pass_ms >= 0 && lf->mtime_ms > s->last_pass_ms)
                    fresh++;
                if (lf->mtime_ms > recent_after)
                    recent++;
            }
            if (pt->newest &&
                (!np || pt->newest_ms > np->newest_ms ||
                 (pt->newest_ms == np->newest_ms && strcmp(pt->newest, np->newest) < 0)))
                np = pt;
        }
        d->layout = layout & LAYOUT_BAD_RECORDS                           ? "badRecordsPath"
                    : (layout & LAYOUT_FIREHOSE) || firehose_path(prefix) ? "firehose"
                    : layout & LAYOUT_PARTITIONED                         ? "partitioned"
                    : layout & LAYOUT_DATED                               ? "dated"
                                                                          : "flat";
        if (np) {
            d->newest_ms = np->newest_ms;
            sample(d, prefix, np->newest, &out->bytes_read);
        }
        files += d->files;
        bytes += d->bytes;
        if (d->newest_ms > newest)
            newest = d->newest_ms;
    }
    for (size_t i = 0; i < s->npre;) { /* prefixes no longer configured */
        if (s->pre[i].used) {
            i++;
            continue;
        }
        parts_drop(&s->pre[i]);
        free(s->pre[i].parts);
        hashset_done(&s->pre[i].index);
        s->pre[i] = s->pre[--s->npre];
    }
    if (all_ok) {
        double *m = out->metrics;
        m[M_DEADLETTER_FILES] = files;
        m[M_DEADLETTER_BYTES] = bytes;
        m[M_DEADLETTER_NEW_FILES] = s->last_pass_ms >= 0 ? fresh : NAN;
        m[M_DEADLETTER_NEWEST_AGE_SECONDS] =
            newest >= 0 ? fmax(0, (double)(now_ms - newest) / 1000) : NAN;
        for (int k = M_DEADLETTER_FILES; k <= M_DEADLETTER_NEWEST_AGE_SECONDS; k++)
            if (!isnan(m[k]))
                out->origin[k] = ORIGIN_STORAGE;
        m[M_DEADLETTER_ARRIVALS_PER_MINUTE] = recent / (ARRIVAL_WINDOW / 60000);
        out->origin[M_DEADLETTER_ARRIVALS_PER_MINUTE] = ORIGIN_STORAGE;
        s->last_pass_ms = now_ms;
    }
}

/* The cursor: magic, the time of the last pass, the prefixes kept (count), and each one's hash,
 * key layout (keyorder.h, with KEYORDER_VERSION in it), time of its last whole listing, flags
 * (1: incremental, 2: warned that keys stopped sorting) and partitions: name, greatest key,
 * newest file's key and mtime, layout bits, files (size, mtime). An older cursor ("DLQ1": the
 * time only) is taken as that. */
#define DL_CURSOR_MAGIC "DLQ2"

static size_t dl_cursor_size(void *state)
{
    struct dl_state *s = state;
    buf_done(&s->save); /* built again: cursor_size may be asked more than once */
    buf_init(&s->save);
    buf_append(&s->save, DL_CURSOR_MAGIC, 4);
    buf_put_i64(&s->save, s->last_pass_ms);
    buf_put_u32(&s->save, (uint32_t)s->npre);
    for (size_t i = 0; i < s->npre; i++) {
        const struct dlprefix *p = &s->pre[i];
        buf_put_i64(&s->save, (int64_t)p->hash);
        buf_put_i64(&s->save, (int64_t)p->layout);
        buf_put_i64(&s->save, p->last_full_ms);
        buf_put_u32(&s->save, (p->incremental ? 1u : 0u) | (p->warned ? 2u : 0u));
        uint32_t n = 0;
        for (size_t k = 0; p->incremental && k < p->nparts; k++)
            n += p->parts[k].nfiles > 0;
        buf_put_u32(&s->save, n);
        for (size_t k = 0; n && k < p->nparts; k++) {
            const struct dlpart *d = &p->parts[k];
            if (!d->nfiles)
                continue;
            buf_put_name(&s->save, d->rel);
            buf_put_name(&s->save, d->last);
            buf_put_name(&s->save, d->newest);
            buf_put_i64(&s->save, d->newest_ms);
            buf_put_u32(&s->save, d->layout);
            buf_put_u32(&s->save, (uint32_t)d->nfiles);
            for (size_t f = 0; f < d->nfiles; f++) {
                buf_put_i64(&s->save, d->files[f].size);
                buf_put_i64(&s->save, d->files[f].mtime_ms);
            }
        }
    }
    return s->save.len;
}

static void dl_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct dl_state *s = state;
    memcpy(dst, s->save.data + off, len);
    if (off + len >= s->save.len) {
        buf_done(&s->save);
        buf_init(&s->save);
    }
}

/* A name of the cursor; an empty one only where allowed. */
static char *take_name(struct buf_reader *r, bool empty_ok)
{
    char *v = buf_take_name(r, CURSOR_MAX_NAME);
    if (v && !*v && !empty_ok) {
        free(v);
        r->bad = true;
        return NULL;
    }
    return v;
}

static int cursor_parse(struct dl_state *s, const unsigned char *src, size_t n)
{
    struct buf_reader r = {src + 4, n - 4, false};
    s->last_pass_ms = buf_take_i64(&r);
    uint32_t np = buf_take_u32(&r);
    if (np > CURSOR_MAX_PREFIXES)
        return -1;
    for (uint32_t i = 0; i < np && !r.bad; i++) {
        uint64_t hash = (uint64_t)buf_take_i64(&r);
        for (size_t k = 0; k < s->npre; k++)
            if (s->pre[k].hash == hash)
                return -1; /* a prefix twice */
        struct dlprefix *p = prefix_slot(s, hash);
        p->layout = (uint64_t)buf_take_i64(&r);
        p->last_full_ms = buf_take_i64(&r);
        uint32_t flags = buf_take_u32(&r), nparts = buf_take_u32(&r);
        if (flags > 3 || nparts > r.left / 40)
            return -1;
        p->incremental = (flags & 1) != 0;
        p->warned = (flags & 2) != 0;
        for (uint32_t k = 0; k < nparts && !r.bad; k++) {
            char *rel = take_name(&r, true);
            if (!rel)
                break;
            size_t before = p->nparts;
            struct dlpart *d = part_slot(p, rel, strlen(rel));
            free(rel);
            if (p->nparts == before)
                return -1; /* a partition twice */
            d->last = take_name(&r, false);
            d->newest = take_name(&r, false);
            d->newest_ms = buf_take_i64(&r);
            d->layout = buf_take_u32(&r);
            uint32_t nf = buf_take_u32(&r);
            if (r.bad || d->layout > LAYOUT_ALL || nf == 0 || nf > r.left / 16)
                return -1;
            d->files = xmalloc((size_t)nf * sizeof *d->files);
            d->cap = d->nfiles = nf;
            for (uint32_t f = 0; f < nf; f++) {
                d->files[f].size = buf_take_i64(&r);
                d->files[f].mtime_ms = buf_take_i64(&r);
            }
        }
    }
    return r.bad || r.left ? -1 : 0;
}

static int dl_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct dl_state *s = state;
    buf_append(&s->take, src, len);
    if (s->take.len < total)
        return 0;
    const unsigned char *p = (const unsigned char *)s->take.data;
    int rc = -1;
    if (s->take.len != total)
        rc = -1;
    else if (s->take.len == 4 + sizeof(int64_t) && memcmp(p, "DLQ1", 4) == 0) {
        memcpy(&s->last_pass_ms, p + 4, sizeof(int64_t)); /* an older version's */
        rc = 0;
    } else if (s->take.len >= 4 && memcmp(p, DL_CURSOR_MAGIC, 4) == 0) {
        rc = cursor_parse(s, p, s->take.len);
    }
    if (rc < 0) { /* part of a cursor is no cursor */
        prefixes_drop(s);
        s->last_pass_ms = -1;
    }
    buf_done(&s->take);
    buf_init(&s->take);
    return rc;
}

const struct collector_ops deadletter_collector = {
    .name = "deadletter",
    .wants = dl_wants,
    .state_new = dl_state_new,
    .state_free = dl_state_free,
    .collect = dl_collect,
    .cursor_size = dl_cursor_size,
    .cursor_fill = dl_cursor_fill,
    .cursor_take = dl_cursor_take,
};
