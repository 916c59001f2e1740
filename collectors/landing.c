/* The landing-zone collector: the landing zone (the stream's `source`, listed recursively,
 * skipping what Spark skips) against the processed set of the query's file-source log, or, for
 * an Auto Loader query, against the start of its last planned batch (a lower bound). It also
 * tracks arrivals (the newest file, files per minute, the usual gap between arrivals, kept in
 * the cursor so a cron pass learns from the ones before) and the feeder's staging folder.
 * Directories are cached with their mtime: a later pass lists only directories that changed
 * (and everything again every LANDING_RESCAN_MS, to catch overwrites in place). On an object
 * store, where keys sort by time (collectors/keyorder.h), a pass lists only its open partitions
 * and what sorts after the newest key it knows, and everything again every
 * `full_listing_every`; the files so listed are kept in the cursor too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/keyorder.h"
#include "collectors/sourcelog.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"

#define LANDING_RESCAN_MS (5 * 60 * 1000)
/* A directory modified this close to when it was listed may change again within the same
 * timestamp tick without its mtime moving: list it again next pass (git's "racy" rule). */
#define LANDING_RACY_MS 2000
/* Arrivals are kept as one bucket per minute that saw any (first and last file time, files):
 * 512 of them, eight and a half hours of a feeder that writes every minute, three weeks of an
 * hourly one. */
#define FRESH_BUCKETS    512
#define MINUTE_MS        60000
#define ARRIVAL_WINDOW   (15 * MINUTE_MS) /* landing_arrivals_per_minute averages over this */
#define GAPS_TO_LEARN    3                /* gaps between buckets before a usual gap is known */
#define STAGING_STALE_MS (10 * MINUTE_MS) /* when the stream sets none */

struct bucket {
    int64_t first_ms, last_ms, files;
};

/* What the collector knows of arrivals; saved in the cursor. */
struct fresh {
    uint64_t source_hash; /* the `source` it describes */
    int64_t newest_ms;    /* newest file time seen (clamped to the clock), -1 none */
    int64_t warned_ms;    /* newest future file time already warned about, -1 none */
    struct bucket *b;     /* (owned) at most FRESH_BUCKETS, grown as arrivals come */
    size_t nb, capb;
};

struct lfile {
    uint64_t hash; /* canonical full path */
    int64_t size;
    int64_t mtime_ms;
};

struct ldir {
    char *rel;         /* (owned) "" for the root */
    int64_t mtime_ms;  /* -1 when the backend has no directory times (always listed) */
    int64_t listed_ms; /* real time it was listed */
    struct lfile *files;
    size_t nfiles;
    char **subdirs; /* (owned) relative paths */
    size_t nsubdirs;
    char *last;      /* (owned) object stores: the greatest key listed in it, or NULL */
    size_t capfiles; /* object stores: files allocated */
    bool seen;       /* reached in this pass */
    bool was_seen;   /* reached in the pass before */
    bool relisted;   /* object stores: listed whole in this (incremental) pass */
};

struct landing_state {
    struct sourcelog log;
    char *logdir; /* (owned) sources/<i> the set comes from */
    struct ldir *dirs;
    size_t ndirs, capdirs;
    struct hashset dir_index; /* hash(rel) -> index in dirs */
    struct hashset walked;    /* fs_entry ids of the folders reached in this pass */
    size_t entries;           /* files and folders reached in this pass (bounded) */
    int64_t last_full_mono_ms;
    int64_t last_full_real_ms; /* the same in real time, saved in the cursor */
    bool force_full;
    uint64_t layout;      /* object stores: the time layout of every key at the last full listing
                           * (collectors/keyorder.h), 0 when they did not sort by time */
    bool layout_warned;   /* the warning that keys stopped sorting by time was given */
    bool incremental;     /* the object store's listing is kept (in the cursor too) */
    bool listing_dirty;   /* a folder was listed (or went) since the cursor was saved */
    int64_t saved_folded; /* folded_upto when the cursor was last loaded or saved */
    struct dirstamp saved_stamp; /* the log folder's stamp then */
    size_t fill_slot;            /* cursor_fill's position in the set */
    unsigned char carry[16];
    size_t carry_len, take_off;
    struct fresh fresh;
    bool fresh_dirty;      /* changed since the cursor was last loaded or saved */
    struct buf take_tail;  /* cursor_take: the buckets and folders, gathered */
    struct buf save_tail;  /* cursor_size .. cursor_fill: the buckets and folders to save */
    size_t listing_len;    /* cursor_take: bytes of folders after the buckets */
    size_t take_pairs_end; /* cursor_take: where the pairs end */
};

/* The cursor: the processed set and where it stands, so a new process reads only the log
 * files written since (and, with the log folder's stamp, whether it needs listing at all); the
 * arrivals; and the landing folders as last listed (local storage), so a new process stats
 * folders and lists only those that changed. Layout: magic, logdir length, compact id, folded
 * batch, interval, entry count, the log folder's mtime and time listed (sourcelog's stamp, 0
 * when none), source hash, newest file time,
 * warned time, bucket count, folders' bytes, time of the last full listing, key layout (an
 * object store's, keyorder.h, with KEYORDER_VERSION in it), flags (1: the listing is an object
 * store's incremental one, 2: warned that keys stopped sorting), logdir, (hash, timestamp)
 * pairs, (first, last, files) buckets, then the folders (listing_put). */
#define LANDING_CURSOR_MAGIC "LND5"
#define HEADER_VALUES        14
#define HEADER_FIXED         (4 + 4 + 8 * HEADER_VALUES)
#define LISTING_MAX_NAME     4096

/* The folders reached by the last pass: count, then each one's relative name, greatest key
 * (object stores, else empty), mtime, time listed, files (hash, size, mtime) and subfolders'
 * relative names. */
static void listing_put(const struct landing_state *s, struct buf *b)
{
    uint32_t n = 0;
    for (size_t i = 0; i < s->ndirs; i++)
        n += s->dirs[i].seen;
    buf_put_u32(b, n);
    for (size_t i = 0; i < s->ndirs; i++) {
        const struct ldir *d = &s->dirs[i];
        if (!d->seen)
            continue;
        buf_put_u32(b, (uint32_t)strlen(d->rel));
        buf_append(b, d->rel, strlen(d->rel));
        const char *last = d->last ? d->last : "";
        buf_put_u32(b, (uint32_t)strlen(last));
        buf_append(b, last, strlen(last));
        buf_put_i64(b, d->mtime_ms);
        buf_put_i64(b, d->listed_ms);
        buf_put_u32(b, (uint32_t)d->nfiles);
        buf_put_u32(b, (uint32_t)d->nsubdirs);
        if (d->nfiles)
            buf_append(b, d->files, d->nfiles * sizeof *d->files);
        for (size_t k = 0; k < d->nsubdirs; k++) {
            buf_put_u32(b, (uint32_t)strlen(d->subdirs[k]));
            buf_append(b, d->subdirs[k], strlen(d->subdirs[k]));
        }
    }
}

static struct ldir *dir_slot(struct landing_state *s, const char *rel);
static void drop_listing(struct landing_state *s);

/* The folders listing_put wrote; -1 when the bytes do not read as such. */
static int listing_take(struct landing_state *s, const unsigned char *p, size_t n)
{
    struct buf_reader r = {p, n, false};
    uint32_t nd = buf_take_u32(&r);
    for (uint32_t i = 0; i < nd && !r.bad; i++) {
        char *rel = buf_take_name(&r, LISTING_MAX_NAME);
        if (!rel)
            break;
        struct ldir *d = dir_slot(s, rel);
        free(rel);
        char *last = buf_take_name(&r, LISTING_MAX_NAME);
        if (!last)
            break;
        if (d->nfiles || d->nsubdirs || d->last) {
            free(last);
            r.bad = true; /* a folder twice */
            break;
        }
        if (*last)
            d->last = last;
        else
            free(last);
        d->mtime_ms = buf_take_i64(&r);
        d->listed_ms = buf_take_i64(&r);
        uint32_t nf = buf_take_u32(&r), ns = buf_take_u32(&r);
        if (nf > r.left / sizeof *d->files || ns > r.left / 4) {
            r.bad = true; /* counts beyond the bytes */
            break;
        }
        const void *files = buf_take(&r, (size_t)nf * sizeof *d->files);
        if (!files)
            break;
        free(d->files);
        d->files = xmalloc((nf ? nf : 1) * sizeof *d->files);
        if (nf)
            memcpy(d->files, files, (size_t)nf * sizeof *d->files);
        d->nfiles = d->capfiles = nf;
        free(d->subdirs);
        d->subdirs = xcalloc(ns ? ns : 1, sizeof *d->subdirs);
        for (uint32_t k = 0; k < ns && !r.bad; k++)
            if ((d->subdirs[k] = buf_take_name(&r, LISTING_MAX_NAME)) != NULL)
                d->nsubdirs++;
    }
    return r.bad || r.left ? -1 : 0;
}

static size_t header_size(const struct landing_state *s)
{
    return HEADER_FIXED + (s->logdir ? strlen(s->logdir) : 0);
}

static size_t pairs_end(const struct landing_state *s)
{
    return header_size(s) + 16 * s->log.seen.n;
}

static size_t landing_cursor_size(void *state)
{
    struct landing_state *s = state;
    bool log_changed =
        s->logdir && ((s->log.folded_upto >= 0 && s->log.folded_upto != s->saved_folded) ||
                      s->log.stamp.mtime_ms != s->saved_stamp.mtime_ms ||
                      s->log.stamp.listed_ms != s->saved_stamp.listed_ms);
    if (!log_changed && !s->fresh_dirty && !s->listing_dirty)
        return 0;
    /* the tail is built once per save (cursor_size may be asked more than once) */
    if (!s->save_tail.len) {
        buf_append(&s->save_tail, s->fresh.b, sizeof(struct bucket) * s->fresh.nb);
        if (s->last_full_real_ms > 0) /* a listing that completed */
            listing_put(s, &s->save_tail);
        else
            buf_put_u32(&s->save_tail, 0);
    }
    return pairs_end(s) + s->save_tail.len;
}

static void landing_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct landing_state *s = state;
    size_t hs = header_size(s), pe = pairs_end(s);
    if (off == 0) {
        s->fill_slot = 0;
        s->carry_len = 0;
    }
    size_t pos = 0;
    while (pos < len && off + pos < hs) { /* the header (small; rebuilt byte by byte) */
        unsigned char hdr[HEADER_FIXED];
        uint32_t dl = s->logdir ? (uint32_t)strlen(s->logdir) : 0;
        int64_t v[HEADER_VALUES] = {
            s->log.compact_id,
            s->log.folded_upto,
            s->log.interval,
            (int64_t)s->log.seen.n,
            s->log.stamp.mtime_ms,
            s->log.stamp.listed_ms,
            (int64_t)s->fresh.source_hash,
            s->fresh.newest_ms,
            s->fresh.warned_ms,
            (int64_t)s->fresh.nb,
            (int64_t)(s->save_tail.len - sizeof(struct bucket) * s->fresh.nb),
            s->last_full_real_ms,
            (int64_t)s->layout,
            (s->incremental ? 1 : 0) | (s->layout_warned ? 2 : 0)};
        memcpy(hdr, LANDING_CURSOR_MAGIC, 4);
        memcpy(hdr + 4, &dl, 4);
        memcpy(hdr + 8, v, sizeof v);
        size_t at = off + pos;
        dst[pos++] = at < HEADER_FIXED ? hdr[at] : (unsigned char)s->logdir[at - HEADER_FIXED];
    }
    while (pos < len && off + pos < pe) {
        if (s->carry_len == 0) {
            while (s->fill_slot < s->log.seen.cap && !s->log.seen.keys[s->fill_slot])
                s->fill_slot++;
            if (s->fill_slot >= s->log.seen.cap)
                break;
            memcpy(s->carry, &s->log.seen.keys[s->fill_slot], 8);
            memcpy(s->carry + 8, &s->log.seen.vals[s->fill_slot], 8);
            s->fill_slot++;
            s->carry_len = 16;
        }
        size_t n = s->carry_len;
        size_t from = 16 - s->carry_len;
        if (n > len - pos)
            n = len - pos;
        memcpy(dst + pos, s->carry + from, n);
        pos += n;
        s->carry_len -= n;
    }
    if (pos < len && off + pos >= pe) { /* the buckets and folders */
        size_t at = off + pos - pe, total = s->save_tail.len;
        size_t n = len - pos < total - at ? len - pos : total - at;
        memcpy(dst + pos, s->save_tail.data + at, n);
        pos += n;
    }
    if (off + len >= pe + s->save_tail.len) {
        s->saved_folded = s->log.folded_upto;
        s->saved_stamp = s->log.stamp;
        s->fresh_dirty = s->listing_dirty = false;
        buf_done(&s->save_tail);
        buf_init(&s->save_tail);
    }
}

static int landing_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct landing_state *s = state;
    size_t pos = 0, base = s->take_off; /* bytes taken before this chunk */
    if (base == 0) {
        uint32_t dl;
        int64_t v[HEADER_VALUES];
        if (len < HEADER_FIXED || memcmp(src, LANDING_CURSOR_MAGIC, 4) != 0)
            return -1;
        memcpy(&dl, src + 4, 4);
        memcpy(v, src + 8, sizeof v);
        /* counts bounded before they are multiplied (a damaged count must not wrap) */
        if (dl > 4096 || len < HEADER_FIXED + dl || v[3] < 0 || (uint64_t)v[3] > total / 16 ||
            v[5] < 0 || v[9] < 0 || v[9] > FRESH_BUCKETS || v[10] < 4 || (uint64_t)v[10] > total ||
            v[13] < 0 || v[13] > 3 ||
            total != HEADER_FIXED + dl + 16 * (size_t)v[3] + sizeof(struct bucket) * (size_t)v[9] +
                         (size_t)v[10])
            return -1;
        free(s->logdir);
        s->logdir = dl ? xstrndup((const char *)src + HEADER_FIXED, dl) : NULL;
        s->log.compact_id = v[0];
        s->log.folded_upto = v[1];
        s->log.interval = v[2];
        s->saved_folded = v[1];
        s->log.stamp = (struct dirstamp){.mtime_ms = v[4], .listed_ms = v[5]};
        s->saved_stamp = s->log.stamp;
        s->fresh.source_hash = (uint64_t)v[6];
        s->fresh.newest_ms = v[7];
        s->fresh.warned_ms = v[8];
        s->fresh.nb = (size_t)v[9];
        s->listing_len = (size_t)v[10];
        s->last_full_real_ms = v[11];
        s->layout = (uint64_t)v[12];
        s->incremental = (v[13] & 1) != 0;
        s->layout_warned = (v[13] & 2) != 0;
        hashset_reserve(&s->log.seen, (size_t)v[3]);
        pos = HEADER_FIXED + dl;
        s->take_pairs_end = pos + 16 * (size_t)v[3];
    }
    size_t pe = s->take_pairs_end;
    size_t at = base + pos;
    while (pos < len && at < pe) {
        size_t n = 16 - s->carry_len < len - pos ? 16 - s->carry_len : len - pos;
        if (n > pe - at)
            n = pe - at;
        memcpy(s->carry + s->carry_len, src + pos, n);
        s->carry_len += n;
        pos += n;
        at += n;
        if (s->carry_len == 16) {
            uint64_t key;
            int64_t val;
            memcpy(&key, s->carry, 8);
            memcpy(&val, s->carry + 8, 8);
            hashset_put(&s->log.seen, key, val);
            s->carry_len = 0;
        }
    }
    if (pos < len)
        buf_append(&s->take_tail, src + pos, len - pos);
    s->take_off += len;
    if (s->take_off == total) {
        size_t want = sizeof(struct bucket) * s->fresh.nb;
        if (s->take_tail.len != want + s->listing_len)
            return -1;
        if (want) {
            xgrow((void **)&s->fresh.b, &s->fresh.capb, s->fresh.nb, sizeof *s->fresh.b);
            memcpy(s->fresh.b, s->take_tail.data, want);
        }
        int rc = listing_take(s, (const unsigned char *)s->take_tail.data + want, s->listing_len);
        buf_done(&s->take_tail);
        buf_init(&s->take_tail);
        if (rc < 0) {
            drop_listing(s); /* part of a listing is no listing */
            return -1;
        }
        if (s->ndirs && s->last_full_real_ms > 0 && !s->incremental) {
            /* the folders as the last process left them: this one stats them and lists only
             * those that changed, with a full listing when the last is LANDING_RESCAN_MS old */
            int64_t ago = clock_real_ms() - s->last_full_real_ms;
            s->force_full = ago < 0 || ago >= LANDING_RESCAN_MS;
            s->last_full_mono_ms = clock_mono_ms() - (ago > 0 ? ago : 0);
            for (size_t i = 0; i < s->ndirs; i++)
                s->dirs[i].was_seen = true;
        } else if (s->ndirs && s->last_full_real_ms > 0) {
            /* an object store's partitions as the last process left them: landing_collect
             * decides whether they are good for an incremental pass */
            for (size_t i = 0; i < s->ndirs; i++)
                s->dirs[i].was_seen = true;
        }
    }
    return 0;
}

static void *landing_state_new(void)
{
    struct landing_state *s = xcalloc(1, sizeof *s);
    sourcelog_init(&s->log);
    hashset_init(&s->dir_index);
    hashset_init(&s->walked);
    s->force_full = true;
    s->saved_folded = -1;
    s->fresh.newest_ms = -1;
    s->fresh.warned_ms = -1;
    buf_init(&s->take_tail);
    buf_init(&s->save_tail);
    return s;
}

static void dir_done(struct ldir *d)
{
    free(d->last);
    free(d->rel);
    free(d->files);
    for (size_t i = 0; i < d->nsubdirs; i++)
        free(d->subdirs[i]);
    free(d->subdirs);
}

/* Forget the folders or partitions kept: the next pass lists everything. */
static void drop_listing(struct landing_state *s)
{
    for (size_t i = 0; i < s->ndirs; i++)
        dir_done(&s->dirs[i]);
    s->ndirs = 0;
    hashset_clear(&s->dir_index);
    s->force_full = true;
    s->last_full_real_ms = 0;
    s->incremental = false;
}

static void landing_state_free(void *state)
{
    struct landing_state *s = state;
    if (!s)
        return;
    sourcelog_done(&s->log);
    free(s->logdir);
    free(s->fresh.b);
    for (size_t i = 0; i < s->ndirs; i++)
        dir_done(&s->dirs[i]);
    free(s->dirs);
    hashset_done(&s->dir_index);
    hashset_done(&s->walked);
    buf_done(&s->take_tail);
    buf_done(&s->save_tail);
    free(s);
}

static bool landing_wants(const struct cfg_stream *cfg)
{
    return cfg->source != NULL;
}

/* What Spark's file listing skips: hidden and underscore names, in-progress copies. */
static bool skipped_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] == '.' || name[0] == '_' || (n > 10 && strcmp(name + n - 10, "._COPYING_") == 0);
}

struct list_ctx {
    const char *root;
    const char *rel;
    struct ldir *d;
    size_t capfiles, capsub;
    const char *staging;   /* the staging folder relative to root, or NULL */
    struct staging *stage; /* what a flat listing finds in it */
};

/* Files of the feeder's staging folder: stale ones are a feeder's leftovers. */
struct staging {
    int64_t stale_before_ms; /* a file older than this is stale */
    double files, stale;
    int64_t oldest_ms;
};

static void staging_count(struct staging *g, int64_t mtime_ms)
{
    g->files++;
    if (mtime_ms >= 0 && mtime_ms < g->stale_before_ms) {
        g->stale++;
        if (g->oldest_ms < 0 || mtime_ms < g->oldest_ms)
            g->oldest_ms = mtime_ms;
    }
}

/* Is rel (relative to the landing root) the staging folder, or inside it? */
static bool in_staging(const char *staging, const char *rel)
{
    if (!staging || !*staging)
        return false;
    size_t n = strlen(staging);
    return strncmp(rel, staging, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

static int on_entry(const struct fs_entry *e, void *vctx)
{
    struct list_ctx *c = vctx;
    if (skipped_name(e->name))
        return 0;
    char *rel = *c->rel ? xasprintf("%s/%s", c->rel, e->name) : xstrdup(e->name);
    if (in_staging(c->staging, rel)) { /* counted on its own, never backlog */
        free(rel);
        return 0;
    }
    if (e->is_dir) {
        xgrow((void **)&c->d->subdirs, &c->capsub, c->d->nsubdirs + 1, sizeof *c->d->subdirs);
        c->d->subdirs[c->d->nsubdirs++] = rel;
        return 0;
    }
    char *full = fs_join(c->root, rel);
    xgrow((void **)&c->d->files, &c->capfiles, c->d->nfiles + 1, sizeof *c->d->files);
    c->d->files[c->d->nfiles++] =
        (struct lfile){sourcelog_path_hash(full, strlen(full), false), e->size, e->mtime_ms};
    free(full);
    free(rel);
    return 0;
}

static struct ldir *dir_slot(struct landing_state *s, const char *rel)
{
    int64_t idx;
    uint64_t h = hash64(rel, strlen(rel));
    if (hashset_get(&s->dir_index, h, &idx))
        return &s->dirs[idx];
    xgrow((void **)&s->dirs, &s->capdirs, s->ndirs + 1, sizeof *s->dirs);
    struct ldir *d = &s->dirs[s->ndirs];
    memset(d, 0, sizeof *d);
    d->rel = xstrdup(rel);
    d->mtime_ms = -2; /* never listed */
    hashset_put(&s->dir_index, h, (int64_t)s->ndirs);
    s->ndirs++;
    return d;
}

/* True when some component of a relative path is one Spark skips. */
static bool skipped_path(const char *rel)
{
    for (const char *c = rel; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        const char *end = strchr(c, '/');
        char comp[256];
        size_t n = end ? (size_t)(end - c) : strlen(c);
        snprintf(comp, sizeof comp, "%.*s", (int)(n < sizeof comp ? n : sizeof comp - 1), c);
        if (skipped_name(comp))
            return true;
        if (!end)
            break;
    }
    return false;
}

static int on_staged(const struct fs_entry *e, void *ctx);

/* A flat (object store) listing, whole or incremental, into partitions: one ldir per key
 * folder, with its files and its greatest key. */
struct flat_ctx {
    struct landing_state *s;
    const char *root;
    const char *prefix;    /* what the listed names are relative to, under root ("" for root) */
    const char *staging;   /* the staging folder relative to root, or NULL */
    struct staging *stage; /* what a whole listing finds in it */
    bool scan;             /* a whole listing: learn the keys' layout */
    struct keyorder_scan ko;
    bool after;    /* the listing of keys after the newest: skip partitions relisted */
    uint64_t want; /* incremental: the layout every key must have (0: any) */
    char *bad;     /* (owned) incremental: the first key without it */
    size_t added;  /* files added */
    char *part;    /* (owned) the partition of the previous key (keys come grouped) */
    size_t part_idx;
};

static void part_reset(struct ldir *d)
{
    d->nfiles = 0;
    free(d->last);
    d->last = NULL;
    d->mtime_ms = -1;
}

static int flat_add(struct flat_ctx *c, const char *key, int64_t size, int64_t mtime_ms)
{
    struct landing_state *s = c->s;
    const char *sl = strrchr(key, '/');
    size_t pl = sl ? (size_t)(sl - key) : 0;
    if (!c->part || strlen(c->part) != pl || memcmp(c->part, key, pl) != 0) {
        free(c->part);
        c->part = xstrndup(key, pl);
        c->part_idx = (size_t)(dir_slot(s, c->part) - s->dirs);
    }
    struct ldir *d = &s->dirs[c->part_idx];
    if (c->after && d->relisted)
        return 0; /* listed whole in this pass */
    if (!d->seen) {
        part_reset(d); /* a partition new to this pass (or gone before): only what is listed */
        d->seen = true;
    }
    if (!c->after && !c->scan && !d->relisted) {
        part_reset(d); /* a folder below an open partition */
        d->relisted = true;
    }
    xgrow((void **)&d->files, &d->capfiles, d->nfiles + 1, sizeof *d->files);
    char *full = fs_join(c->root, key);
    d->files[d->nfiles++] =
        (struct lfile){sourcelog_path_hash(full, strlen(full), false), size, mtime_ms};
    free(full);
    if (!d->last || strcmp(key, d->last) > 0) {
        free(d->last);
        d->last = xstrdup(key);
    }
    c->added++;
    return 0;
}

static int on_flat_entry(const struct fs_entry *e, void *vctx)
{
    struct flat_ctx *c = vctx;
    if (e->is_dir)
        return 0;
    char *key = *c->prefix ? xasprintf("%s/%s", c->prefix, e->name) : xstrdup(e->name);
    int rc = 0;
    if (in_staging(c->staging, key)) {
        if (c->stage)
            staging_count(c->stage, e->mtime_ms);
    } else if (!skipped_path(key)) {
        if (c->scan)
            keyorder_scan_add(&c->ko, key);
        struct key_time kt;
        if (c->want && (!keyorder_parse(key, &kt) || kt.layout != c->want)) {
            c->bad = xstrdup(key); /* a key of another layout: this pass lists everything */
            rc = 1;
        } else {
            rc = flat_add(c, key, e->size, e->mtime_ms);
        }
    }
    free(key);
    return rc;
}

/* A backend without directory times (S3): one recursive listing of the whole landing zone,
 * kept as partitions (key folders), and the layout of its keys learned. */
static int refresh_flat(struct landing_state *s, const char *root, const char *staging,
                        struct staging *stage, struct st_err *err)
{
    for (size_t i = 0; i < s->ndirs; i++)
        s->dirs[i].seen = s->dirs[i].relisted = false;
    struct flat_ctx c = {
        .s = s, .root = root, .prefix = "", .staging = staging, .stage = stage, .scan = true};
    keyorder_scan_init(&c.ko);
    int rc = fs_list(root, FS_RECURSIVE, on_flat_entry, &c, err);
    free(c.part);
    if (rc < 0)
        return -1;
    s->layout = keyorder_scan_layout(&c.ko);
    return 0;
}

/* A checksum of the files of the partitions sorting from `from` on. */
static uint64_t part_sum_from(const struct landing_state *s, const char *from)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < s->ndirs; i++) {
        const struct ldir *d = &s->dirs[i];
        if (!d->seen || strcmp(d->rel, from) < 0)
            continue;
        sum += hash64(d->rel, strlen(d->rel));
        for (size_t k = 0; k < d->nfiles; k++)
            sum += hash64(&d->files[k], sizeof d->files[k]);
    }
    return sum;
}

/* Forget the kept partitions that a failed or abandoned incremental pass touched. */
static void flat_unseen(struct landing_state *s)
{
    for (size_t i = 0; i < s->ndirs; i++)
        s->dirs[i].seen = s->dirs[i].relisted = false;
}

/* An incremental pass over an object store whose keys sort by time: one chain of requests
 * from the oldest open partition on (a partition's names need not sort: its files come in any
 * order while its time lasts; the newest one is always open), or, where the names themselves
 * sort, from the newest key known; and the staging folder when it sorts before that. 1 when
 * the keys no longer have the layout (the caller lists everything), 0, or -1 with err. */
static int refresh_incremental(struct landing_state *s, const struct cfg_stream *cfg,
                               const char *staging, struct staging *stage, int64_t now_ms,
                               struct st_err *err)
{
    const char *root = cfg->source;
    size_t newest = SIZE_MAX, nparts = 0;
    struct keyorder_part *parts = xmalloc((s->ndirs ? s->ndirs : 1) * sizeof *parts);
    for (size_t i = 0; i < s->ndirs; i++) {
        struct ldir *d = &s->dirs[i];
        d->seen = d->was_seen && d->last;
        d->relisted = false;
        if (!d->seen)
            continue;
        if (newest == SIZE_MAX || strcmp(d->rel, s->dirs[newest].rel) > 0)
            newest = i;
        parts[nparts++] = (struct keyorder_part){d->rel, d->last};
    }
    bool relist;
    const char *start =
        keyorder_plan(parts, nparts, s->layout, cfg->clock_skew_ms, now_ms, &relist);
    char *from = start ? xstrdup(start) : NULL;
    free(parts);
    if (!from)
        return 1; /* nothing known */
    size_t newest_files = s->dirs[newest].nfiles;
    uint64_t sum_before = relist ? part_sum_from(s, from) : 0;
    if (relist)
        for (size_t i = 0; i < s->ndirs; i++) {
            struct ldir *d = &s->dirs[i];
            if (d->seen && strcmp(d->rel, from) >= 0) {
                part_reset(d); /* listed again, whole */
                d->relisted = true;
            }
        }
    /* the staging folder: in the chain when it sorts after its start, else on its own */
    bool staging_apart = staging && strcmp(staging, from) <= 0;
    struct flat_ctx c = {.s = s,
                         .root = root,
                         .prefix = "",
                         .staging = staging,
                         .stage = staging_apart ? NULL : stage,
                         .want = s->layout,
                         .after = !relist};
    int rc = 0;
    if (staging_apart) {
        char *dir = fs_join(root, staging);
        rc = fs_list_after(dir, "", on_staged, stage, err);
        if (rc < 0 && err->code == ST_ENOENT)
            rc = 0;
        free(dir);
    }
    if (rc == 0) {
        rc = fs_list_after(root, from, on_flat_entry, &c, err);
        if (rc == 0 && c.bad)
            rc = 1;
        else if (rc == 0 && relist && newest_files && s->dirs[newest].nfiles == 0)
            rc = 1; /* the newest partition went: the zone changed under the cursor */
        log_debug("landing %s: incremental: %zu files after '%s'%s", root, c.added, from,
                  relist ? " (the open partitions and what follows)" : "");
    }
    bool changed = relist ? part_sum_from(s, from) != sum_before : c.added > 0;
    if (rc == 1) {
        log_info("landing %s: the key '%s' does not have the layout the kept listing has: "
                 "listing everything",
                 root, c.bad ? c.bad : "(the newest partition is gone)");
        flat_unseen(s);
    } else if (rc < 0) {
        flat_unseen(s);
    } else if (changed) {
        s->listing_dirty = true;
    }
    free(c.bad);
    free(c.part);
    free(from);
    return rc;
}

/* Does a new listing of a folder differ from the one kept (so the cursor must be saved)? A
 * full listing of folders that did not change saves nothing. */
static bool dir_differs(const struct ldir *d, const struct ldir *fresh)
{
    if (d->mtime_ms != fresh->mtime_ms || d->nfiles != fresh->nfiles ||
        d->nsubdirs != fresh->nsubdirs ||
        (d->nfiles && memcmp(d->files, fresh->files, d->nfiles * sizeof *d->files) != 0))
        return true;
    for (size_t i = 0; i < d->nsubdirs; i++)
        if (strcmp(d->subdirs[i], fresh->subdirs[i]) != 0)
            return true;
    return false;
}

/* Bring one directory (and, recursively, its subdirectories) up to date. */
static int refresh_dir(struct landing_state *s, const char *root, const char *rel,
                       const char *staging, bool full, struct st_err *err, int depth)
{
    if (depth > 64)
        return 0;
    char *abs = *rel ? fs_join(root, rel) : xstrdup(root);
    struct fs_entry info = {.id = 0};
    int rc = fs_stat(abs, &info, err);
    if (rc == 0 && info.id) {
        /* a folder reached again through a link (a -> . or two links to one folder): its
         * files are counted once */
        if (hashset_get(&s->walked, info.id, NULL)) {
            free(abs);
            return 0;
        }
        hashset_put(&s->walked, info.id, 1);
    }
    struct ldir *d = dir_slot(s, rel);
    bool racy = d->mtime_ms >= d->listed_ms - LANDING_RACY_MS;
    if (rc == 0 && (full || racy || info.mtime_ms < 0 || info.mtime_ms != d->mtime_ms)) {
        /* fresh owns only what the listing adds; it takes d's name once it replaces d, so a
         * failed listing frees none of d's strings */
        struct ldir fresh = {.mtime_ms = info.mtime_ms, .listed_ms = clock_real_ms()};
        struct list_ctx c = {.root = root, .rel = rel, .d = &fresh, .staging = staging};
        rc = fs_list(abs, 0, on_entry, &c, err);
        d = dir_slot(s, rel); /* the array may have moved */
        if (rc == 0 && !s->listing_dirty)
            s->listing_dirty = dir_differs(d, &fresh);
        if (rc == 0) {
            fresh.rel = d->rel;
            d->rel = NULL;
            dir_done(d);
            *d = fresh;
        } else {
            dir_done(&fresh);
        }
    }
    free(abs);
    if (rc < 0)
        return rc;
    d->seen = true;
    s->entries += d->nfiles + d->nsubdirs;
    if (s->entries > FS_MAX_LIST_ENTRIES)
        return st_err_set(err, ST_ETOOBIG, "%s: more than %d files and folders; listing stopped",
                          root, FS_MAX_LIST_ENTRIES);
    size_t nsub = d->nsubdirs;
    char **subs = xmalloc((nsub ? nsub : 1) * sizeof *subs);
    for (size_t i = 0; i < nsub; i++)
        subs[i] = xstrdup(d->subdirs[i]);
    for (size_t i = 0; i < nsub && rc == 0; i++) {
        rc = refresh_dir(s, root, subs[i], staging, full, err, depth + 1);
        if (rc < 0 && err->code == ST_ENOENT)
            rc = 0; /* removed while we looked */
    }
    for (size_t i = 0; i < nsub; i++)
        free(subs[i]);
    free(subs);
    return rc;
}

/* The index of the query's file source in offsets/N, or -1. */
static int file_source_index(const struct snap_stream *out)
{
    for (size_t i = 0; i < out->nsources; i++)
        if (out->sources[i].kind == SRC_FILE)
            return out->sources[i].index;
    return -1;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Add arrival times (sorted, clamped to the clock) to the minute buckets. */
static void fresh_add(struct fresh *f, const int64_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct bucket *last = f->nb ? &f->b[f->nb - 1] : NULL;
        if (last && last->first_ms / MINUTE_MS == t[i] / MINUTE_MS) {
            if (t[i] > last->last_ms)
                last->last_ms = t[i];
            last->files++;
        } else {
            if (f->nb == FRESH_BUCKETS) {
                memmove(f->b, f->b + 1, (FRESH_BUCKETS - 1) * sizeof *f->b);
                f->nb--;
            }
            xgrow((void **)&f->b, &f->capb, f->nb + 1, sizeof *f->b);
            f->b[f->nb++] = (struct bucket){t[i], t[i], 1};
        }
        if (t[i] > f->newest_ms)
            f->newest_ms = t[i];
    }
}

/* The usual gap between arrivals: the time-weighted median of the gaps between minute
 * buckets, i.e. the gap g such that half of the time between the first and the last arrival
 * was spent in gaps of g or longer. A feeder that writes ten files at once every hour has
 * an hour, not seconds; one outage among many regular gaps does not move it. NaN until
 * GAPS_TO_LEARN gaps are known. */
static double fresh_gap_ms(const struct fresh *f)
{
    if (f->nb < GAPS_TO_LEARN + 1)
        return NAN;
    double *g = xmalloc((f->nb - 1) * sizeof *g), total = 0;
    for (size_t i = 0; i + 1 < f->nb; i++) {
        g[i] = (double)(f->b[i + 1].first_ms - f->b[i].last_ms);
        if (g[i] < 0)
            g[i] = 0;
        total += g[i];
    }
    qsort(g, f->nb - 1, sizeof *g, cmp_dbl);
    double acc = 0, gap = 0;
    for (size_t i = f->nb - 1; i-- > 0;) {
        acc += g[i];
        gap = g[i];
        if (acc >= total / 2)
            break;
    }
    free(g);
    return gap;
}

/* Arrivals: every listed file newer than the newest one seen before (the cursor carries it
 * across processes) is one; ages never go negative (a file stamped ahead of the clock counts
 * as arriving now, with one warning per newer such file). */
static void arrivals(struct landing_state *s, const struct cfg_stream *cfg, struct snap_stream *out,
                     int64_t now_ms)
{
    struct fresh *f = &s->fresh;
    uint64_t h = hash64(cfg->source, strlen(cfg->source));
    if (f->source_hash != h) {
        f->nb = 0; /* the buckets' memory is kept */
        f->source_hash = h;
        f->newest_ms = f->warned_ms = -1;
        s->fresh_dirty = true;
    }
    int64_t *t = NULL, future_max = -1;
    size_t n = 0, cap = 0, future = 0;
    for (size_t i = 0; i < s->ndirs; i++) {
        const struct ldir *d = &s->dirs[i];
        if (!d->seen)
            continue;
        for (size_t k = 0; k < d->nfiles; k++) {
            int64_t m = d->files[k].mtime_ms;
            if (m < 0)
                continue;
            if (m > now_ms + cfg->clock_skew_ms) {
                future++;
                if (m > future_max)
                    future_max = m;
            }
            if (m > now_ms)
                m = now_ms;
            if (m <= f->newest_ms)
                continue;
            xgrow((void **)&t, &cap, n + 1, sizeof *t);
            t[n++] = m;
        }
    }
    if (future && future_max > f->warned_ms) {
        char d[32];
        strvec_pushf(&out->warnings,
                     "source %s: %zu file%s stamped in the future (up to %s ahead of this "
                     "clock): their ages count as 0 and they are left out of any lower bound",
                     cfg->source, future, future == 1 ? " is" : "s are",
                     fmt_duration((double)(future_max - now_ms) / 1000, d, sizeof d));
        f->warned_ms = future_max;
        s->fresh_dirty = true;
    }
    if (n) {
        qsort(t, n, sizeof *t, cmp_i64);
        fresh_add(f, t, n);
        s->fresh_dirty = true;
    }
    free(t);
    double *m = out->metrics;
    if (f->newest_ms >= 0) {
        m[M_LANDING_NEWEST_AGE_SECONDS] = fmax(0, (double)(now_ms - f->newest_ms) / 1000);
        out->origin[M_LANDING_NEWEST_AGE_SECONDS] = ORIGIN_STORAGE;
    }
    double recent = 0;
    for (size_t i = 0; i < f->nb; i++)
        if (f->b[i].last_ms > now_ms - ARRIVAL_WINDOW)
            recent += (double)f->b[i].files;
    m[M_LANDING_ARRIVALS_PER_MINUTE] = recent / (ARRIVAL_WINDOW / MINUTE_MS);
    out->origin[M_LANDING_ARRIVALS_PER_MINUTE] = ORIGIN_HISTORY;
    double gap = fresh_gap_ms(f);
    if (!isnan(gap)) {
        m[M_LANDING_ARRIVAL_GAP_SECONDS] = gap / 1000;
        out->origin[M_LANDING_ARRIVAL_GAP_SECONDS] = ORIGIN_HISTORY;
    }
}

static int on_staged(const struct fs_entry *e, void *ctx)
{
    if (!e->is_dir)
        staging_count(ctx, e->mtime_ms);
    return 0;
}

/* The staging folder of a backend with folders (a flat listing counted it on its way). */
static void staging_list(const struct cfg_stream *cfg, struct staging *g, struct snap_stream *out)
{
    char *dir = fs_join(cfg->source, cfg->staging);
    struct st_err err;
    if (fs_list(dir, FS_RECURSIVE, on_staged, g, &err) < 0 && err.code != ST_ENOENT)
        strvec_pushf(&out->warnings, "staging %s", err.msg);
    free(dir);
}

/* The start (batchTimestampMs) of the last planned batch, or -1. */
static int64_t last_batch_start(const struct snap_stream *out)
{
    int64_t id = -1, start = -1;
    for (size_t i = 0; i < out->nbatches; i++)
        if (out->batches[i].start_ms >= 0 && out->batches[i].id > id) {
            id = out->batches[i].id;
            start = out->batches[i].start_ms;
        }
    return start;
}

/* Auto Loader keeps the files it has read in RocksDB, which streamtop does not read. But a
 * file whose time is after the start of the last planned batch (plus clock_skew, for the
 * storage's clock against the driver's and the listing during planning) was not listed by any
 * batch yet: those are certainly waiting, and the backlog is at least them. Files stamped
 * beyond the clock are left out (their times say nothing). */
static void autoloader_bound(const struct landing_state *s, const struct cfg_stream *cfg,
                             struct snap_stream *out, int64_t now_ms)
{
    int64_t start = last_batch_start(out);
    if (start < 0)
        return;
    int64_t cutoff = start + cfg->clock_skew_ms, oldest = INT64_MAX;
    double files = 0, bytes = 0;
    for (size_t i = 0; i < s->ndirs; i++) {
        const struct ldir *d = &s->dirs[i];
        if (!d->seen)
            continue;
        for (size_t k = 0; k < d->nfiles; k++) {
            const struct lfile *lf = &d->files[k];
            if (lf->mtime_ms <= cutoff || lf->mtime_ms > now_ms + cfg->clock_skew_ms)
                continue;
            files++;
            bytes += lf->size > 0 ? (double)lf->size : 0;
            if (lf->mtime_ms < oldest)
                oldest = lf->mtime_ms;
        }
    }
    double *m = out->metrics;
    m[M_BACKLOG_FILES] = files;
    m[M_BACKLOG_BYTES] = bytes;
    m[M_BACKLOG_AGE_SECONDS] = files == 0 ? 0 : fmax(0, (double)(now_ms - oldest) / 1000);
    out->origin[M_BACKLOG_FILES] = out->origin[M_BACKLOG_BYTES] =
        out->origin[M_BACKLOG_AGE_SECONDS] = ORIGIN_STORAGE_LOWER_BOUND;
}

/* An object store's landing zone: incremental where its keys sort by time (or `listing =
 * incremental`) and the last full listing is younger than full_listing_every, else listed
 * whole. *full says which. A whole listing that finds the keys no longer sorting by time after
 * they did warns once. 0, or -1 with err. */
static int refresh_object_store(struct landing_state *s, const struct cfg_stream *cfg,
                                const char *staging, struct staging *stage, int64_t now_ms,
                                bool *full, struct snap_stream *out, struct st_err *err)
{
    bool can = cfg->listing != LM_FULL && fs_lists_after(cfg->source);
    bool due = keyorder_full_due(s->incremental, s->last_full_real_ms, cfg->full_listing_every_ms,
                                 clock_now_ms());
    int rc = 1;
    *full = false;
    if (can && !due && (s->layout != 0 || cfg->listing == LM_INCREMENTAL))
        rc = refresh_incremental(s, cfg, staging, stage, now_ms, err);
    if (rc != 1)
        return rc;
    *stage = (struct staging){.stale_before_ms = stage->stale_before_ms, .oldest_ms = -1};
    uint64_t before = s->layout;
    bool was_incremental = s->incremental, was_warned = s->layout_warned;
    if (refresh_flat(s, cfg->source, staging, stage, err) < 0)
        return -1;
    *full = true;
    bool sorted = s->layout != 0;
    if (!sorted && can && before != 0 && cfg->listing != LM_INCREMENTAL && !s->layout_warned) {
        /* `listing = incremental` says they sort, whatever they look like */
        strvec_pushf(&out->warnings,
                     "source %s: its keys no longer sort by time (date or hour partitions, or "
                     "timestamped names, all of one layout): listed whole every pass",
                     cfg->source);
        s->layout_warned = true;
    } else if (sorted) {
        s->layout_warned = false;
    }
    s->incremental = can && (sorted || cfg->listing == LM_INCREMENTAL);
    log_debug("landing %s: listed whole (%s)", cfg->source,
              s->incremental ? "incremental passes follow" : "no incremental passes");
    if (s->incremental || was_incremental || before != s->layout || was_warned != s->layout_warned)
        s->listing_dirty = true;
    return 0;
}

static bool autoloader_source(const struct snap_stream *out)
{
    return out->nsources && out->sources[0].kind == SRC_AUTOLOADER;
}

static void landing_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                            int64_t now_ms)
{
    struct landing_state *s = state;
    struct st_err err;
    bool have_log = false;
    /* the log folder's listing is reused only where its folder times can be trusted across
     * processes (one statfs per pass) */
    int64_t log_reuse_ms =
        cfg->checkpoint && fs_dir_times_durable(cfg->checkpoint) ? cfg->full_listing_every_ms : 0;
    for (size_t i = 0; i < out->nsources; i++)
        if (out->sources[i].kind == SRC_DELTA)
            return; /* `source` names the Delta table: the deltasource collector's */
    if (cfg->checkpoint) {
        int idx = file_source_index(out);
        if (idx < 0 && out->nsources && !autoloader_source(out)) {
            strvec_pushf(&out->warnings,
                         "%s: source 0 is a %s source, not a file source: its processed files "
                         "are not in the checkpoint, so the file backlog comes from progress",
                         cfg->checkpoint, source_kind_name(out->sources[0].kind));
        } else if (idx >= 0) {
            char rel[32];
            snprintf(rel, sizeof rel, "sources/%d", idx);
            char *logdir = fs_join(cfg->checkpoint, rel);
            if (!s->logdir || strcmp(s->logdir, logdir) != 0) {
                free(s->logdir);
                s->logdir = xstrdup(logdir);
                sourcelog_done(&s->log);
                sourcelog_init(&s->log);
            }
            free(logdir);
            if (sourcelog_update(&s->log, s->logdir, log_reuse_ms, &out->warnings, &err) < 0)
                strvec_push(&out->errors, err.msg);
            else
                have_log = true;
            out->bytes_read += s->log.bytes_read;
        }
    }

    buf_done(&s->save_tail); /* a tail built for a save that did not happen is stale */
    buf_init(&s->save_tail);
    if (s->ndirs && s->fresh.source_hash != hash64(cfg->source, strlen(cfg->source))) {
        /* folders or partitions a cursor kept of another source: not trusted */
        drop_listing(s);
        s->layout = 0;
        s->layout_warned = false;
    }
    int64_t mono = clock_mono_ms();
    bool full = s->force_full || mono - s->last_full_mono_ms >= LANDING_RESCAN_MS;
    for (size_t i = 0; i < s->ndirs; i++)
        s->dirs[i].seen = false;
    hashset_clear(&s->walked);
    s->entries = 0;
    const char *staging = cfg->staging && *cfg->staging ? cfg->staging : NULL;
    int64_t stale_ms = cfg->staging_stale_ms > 0 ? cfg->staging_stale_ms : STAGING_STALE_MS;
    struct staging stage = {.stale_before_ms = now_ms - stale_ms, .oldest_ms = -1};
    bool folders = fs_dir_times(cfg->source);
    int rc = folders ? refresh_dir(s, cfg->source, "", staging, full, &err, 0)
                     : refresh_object_store(s, cfg, staging, &stage, now_ms, &full, out, &err);
    if (rc < 0 && cfg->source_guessed && err.code == ST_ENOENT) {
        /* a landing folder guessed from the paths the query logged (zero-config) that this
         * machine does not have: the file backlog is unknown, the rest of the stream is fine */
        strvec_pushf(&out->warnings,
                     "source %s: guessed from the file-source log; not found here, so the file "
                     "backlog is not measured (give --source)",
                     cfg->source);
        s->force_full = true;
        s->last_full_real_ms = 0; /* no listing worth keeping */
        return;
    }
    if (rc < 0) {
        strvec_pushf(&out->errors, "source %s", err.msg);
        s->force_full = true;
        s->last_full_real_ms = 0;
        return;
    }
    if (full) {
        s->last_full_mono_ms = mono;
        /* an object store's in this clock's time (full_listing_every is the collector's own
         * schedule); a folder's in the system's, for its mtimes */
        s->last_full_real_ms = folders ? clock_real_ms() : clock_now_ms();
        s->force_full = false;
    }
    if (!folders && !s->incremental)
        s->last_full_real_ms = 0; /* an object store's listing is kept only when incremental */
    for (size_t i = 0; i < s->ndirs && !s->listing_dirty; i++)
        s->listing_dirty = s->dirs[i].seen != s->dirs[i].was_seen; /* a folder went or came */
    for (size_t i = 0; i < s->ndirs; i++)
        s->dirs[i].was_seen = s->dirs[i].seen;
    arrivals(s, cfg, out, now_ms);
    if (staging) {
        if (folders)
            staging_list(cfg, &stage, out);
        out->metrics[M_STAGING_STALE_FILES] = stage.stale;
        out->origin[M_STAGING_STALE_FILES] = ORIGIN_STORAGE;
        if (stage.stale > 0) {
            char d[32], d2[32];
            strvec_pushf(
                &out->warnings,
                "staging %s/%s: %.0f file%s older than %s (the oldest %s old): a feeder "
                "that stopped between copying and moving; not counted as backlog",
                cfg->source, staging, stage.stale, stage.stale == 1 ? "" : "s",
                fmt_duration((double)stale_ms / 1000, d, sizeof d),
                fmt_duration(fmax(0, (double)(now_ms - stage.oldest_ms) / 1000), d2, sizeof d2));
        }
    }
    if (!have_log) {
        if (autoloader_source(out))
            autoloader_bound(s, cfg, out, now_ms);
        return;
    }
    double files = 0, bytes = 0, overwritten = 0, matched = 0, total = 0;
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < s->ndirs; i++) {
        const struct ldir *d = &s->dirs[i];
        if (!d->seen)
            continue; /* a directory that is gone */
        for (size_t f = 0; f < d->nfiles; f++) {
            const struct lfile *lf = &d->files[f];
            int64_t ingested;
            total++;
            if (hashset_get(&s->log.seen, lf->hash, &ingested)) {
                matched++;
                if (lf->mtime_ms > ingested)
                    overwritten++;
                continue;
            }
            files++;
            bytes += lf->size > 0 ? (double)lf->size : 0;
            if (lf->mtime_ms >= 0 && lf->mtime_ms < oldest)
                oldest = lf->mtime_ms;
        }
    }
    double *m = out->metrics;
    m[M_BACKLOG_FILES] = files;
    m[M_BACKLOG_BYTES] = bytes;
    m[M_OVERWRITTEN_FILES] = overwritten;
    m[M_BACKLOG_AGE_SECONDS] = files == 0            ? 0
                               : oldest == INT64_MAX ? NAN
                                                     : fmax(0, (double)(now_ms - oldest) / 1000);
    for (int k = M_BACKLOG_FILES; k <= M_BACKLOG_AGE_SECONDS; k++)
        if (k != M_BACKLOG_RECORDS && k != M_BACKLOG_VERSIONS)
            out->origin[k] = ORIGIN_STORAGE;
    out->origin[M_OVERWRITTEN_FILES] = ORIGIN_STORAGE;
    if (total > 0 && matched == 0 && s->log.seen.n > 0)
        strvec_pushf(&out->warnings,
                     "%s: none of the %.0f landing files is in the query's file-source log; "
                     "does `source` name the path the query reads?",
                     cfg->source, total);
}

const struct collector_ops landing_collector = {
    .name = "landing",
    .wants = landing_wants,
    .state_new = landing_state_new,
    .state_free = landing_state_free,
    .collect = landing_collect,
    .cursor_size = landing_cursor_size,
    .cursor_fill = landing_cursor_fill,
    .cursor_take = landing_cursor_take,
};
