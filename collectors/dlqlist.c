#include "collectors/dlqlist.h"

#include <stdlib.h>
#include <string.h>

#include "collectors/fs.h"
#include "collectors/keyorder.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"

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
    /* a stamped prefix's folder (every folder of the walk, with or without files): */
    struct dirstamp stamp; /* its listing, reused while it holds */
    char **subdirs;        /* (owned) the names of its folders (not hidden) */
    size_t nsub;
    bool seen; /* reached in this pass */
};

/* What is kept of one prefix. */
struct dlq_prefix {
    uint64_t hash;        /* of the prefix as configured */
    uint64_t layout;      /* the keys' time layout at the last whole listing (keyorder.h) or 0 */
    int64_t last_full_ms; /* clock time of an incremental prefix's last whole listing, or 0 */
    bool incremental;     /* the partitions are kept for incremental passes */
    bool stamped;         /* local folders, kept with their stamps for the passes to come */
    bool warned;          /* the warning that keys stopped sorting by time was given */
    bool used;            /* configured in this pass */
    struct dlpart *parts;
    size_t nparts, cap;
    struct hashset index; /* hash(rel) -> index in parts */
};

static void part_free(struct dlpart *d)
{
    free(d->rel);
    free(d->last);
    free(d->newest);
    free(d->files);
    for (size_t k = 0; k < d->nsub; k++)
        free(d->subdirs[k]);
    free(d->subdirs);
}

static void parts_drop(struct dlq_prefix *p)
{
    for (size_t i = 0; i < p->nparts; i++)
        part_free(&p->parts[i]);
    p->nparts = 0;
    hashset_clear(&p->index);
}

void dlqlist_init(struct dlq_list *l)
{
    memset(l, 0, sizeof *l);
}

void dlqlist_done(struct dlq_list *s)
{
    for (size_t i = 0; i < s->npre; i++) {
        parts_drop(&s->pre[i]);
        free(s->pre[i].parts);
        hashset_done(&s->pre[i].index);
    }
    free(s->pre);
    dlqlist_init(s);
}

static struct dlq_prefix *prefix_slot(struct dlq_list *s, uint64_t hash)
{
    for (size_t i = 0; i < s->npre; i++)
        if (s->pre[i].hash == hash)
            return &s->pre[i];
    xgrow((void **)&s->pre, &s->cappre, s->npre + 1, sizeof *s->pre);
    struct dlq_prefix *p = &s->pre[s->npre++];
    memset(p, 0, sizeof *p);
    p->hash = hash;
    hashset_init(&p->index);
    return p;
}

/* The kept partition rel (n bytes), or NULL. */
static struct dlpart *part_find(struct dlq_prefix *p, const char *rel, size_t n)
{
    int64_t idx;
    if (hashset_get(&p->index, hash64(rel, n), &idx) && strlen(p->parts[idx].rel) == n &&
        memcmp(p->parts[idx].rel, rel, n) == 0)
        return &p->parts[idx];
    return NULL;
}

static struct dlpart *part_slot(struct dlq_prefix *p, const char *rel, size_t n)
{
    struct dlpart *found = part_find(p, rel, n);
    if (found)
        return found;
    uint64_t h = hash64(rel, n);
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
    struct dlq_prefix *p;
    bool scan; /* a whole listing: learn the keys' layout */
    struct keyorder_scan ko;
    bool relist;   /* incremental from an open partition: every partition reached is whole */
    uint64_t want; /* incremental: the layout every key must have (0: any) */
    char *bad;     /* (owned) incremental: the first key without it */
    size_t added;
    size_t cur; /* index of the previous key's partition (keys come grouped), SIZE_MAX none */
};

/* One file of a partition, its key relative to the prefix. */
static void part_add(struct dlpart *d, const char *key, int64_t size, int64_t mtime_ms)
{
    xgrow((void **)&d->files, &d->cap, d->nfiles + 1, sizeof *d->files);
    d->files[d->nfiles++] = (struct dlfile){size, mtime_ms};
    if (!d->last || strcmp(key, d->last) > 0) {
        free(d->last);
        d->last = xstrdup(key);
    }
    if (!d->newest || mtime_ms > d->newest_ms ||
        (mtime_ms == d->newest_ms && strcmp(key, d->newest) < 0)) {
        free(d->newest);
        d->newest = xstrdup(key);
        d->newest_ms = mtime_ms;
    }
    d->layout |= name_layout(key);
}

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
    struct dlq_prefix *p = c->p;
    if (c->cur == SIZE_MAX || strlen(p->parts[c->cur].rel) != pl ||
        memcmp(p->parts[c->cur].rel, key, pl) != 0)
        c->cur = (size_t)(part_slot(p, key, pl) - p->parts);
    struct dlpart *d = &p->parts[c->cur];
    if (c->relist && !d->relisted) {
        part_reset(d); /* a partition the pass did not know to list again */
        d->relisted = true;
    }
    part_add(d, key, e->size, e->mtime_ms);
    c->added++;
    return 0;
}

/* A whole listing of a prefix into its partitions, the keys' layout learned. 0, or -1 with
 * err. */
static int list_whole(struct dlq_prefix *p, const char *prefix, struct st_err *err)
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
static int list_incremental(struct dlq_prefix *p, const struct cfg_stream *cfg, const char *prefix,
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

/* ---- local folders, stamped -------------------------------------------------------------- */

/* A stamped prefix is walked folder by folder: each folder is stat'ed, and listed only when its
 * stamp does not hold (its mtime moved, the listing was racy or older than full_listing_every);
 * its subfolders are walked either way, since a file made below a folder moves that folder's
 * mtime only. The walk finds what a recursive listing finds: regular files, no hidden names (a
 * hidden folder's files are all skipped, so it is not entered), each folder once whatever its
 * links, at most 64 levels down.
 *
 * When the last whole walk found every file in time partitions of one layout (<ts>/bad_records/,
 * YYYY/MM/DD/HH/: keyorder.h), the walks until the next whole one (full_listing_every) are
 * incremental, as an object store's listing is: a closed partition (its time over by now less
 * clock_skew, and older than the newest partition) whose folders were all listed, not racily,
 * keeps that listing without a stat. A folder made since is in its parent's listing (the parent
 * is stat'ed: it is not a closed partition); a file added to a closed one is seen at the next
 * whole walk. */
#define WALK_MAX_DEPTH 64

struct dlfound {
    char *name; /* (owned) */
    int64_t size, mtime_ms;
};

/* What the listing of one folder found. */
struct folder_list {
    struct dlfound *files;
    size_t nfiles, capfiles;
    char **subdirs;
    size_t nsub, capsub;
};

static int on_folder_entry(const struct fs_entry *e, void *ctx)
{
    struct folder_list *f = ctx;
    if (fs_hidden(e->name))
        return 0;
    if (e->is_dir) {
        xgrow((void **)&f->subdirs, &f->capsub, f->nsub + 1, sizeof *f->subdirs);
        f->subdirs[f->nsub++] = xstrdup(e->name);
    } else {
        xgrow((void **)&f->files, &f->capfiles, f->nfiles + 1, sizeof *f->files);
        f->files[f->nfiles++] = (struct dlfound){xstrdup(e->name), e->size, e->mtime_ms};
    }
    return 0;
}

struct walk {
    struct dlq_prefix *p;
    const char *prefix;
    int64_t max_age_ms;   /* full_listing_every */
    struct hashset ids;   /* folders reached in this pass (fs_entry ids) */
    size_t entries;       /* files and folders reached (bounded as a listing is) */
    size_t listed, stats; /* folders listed and stat'ed in this pass */
    size_t kept;          /* folders of closed partitions kept unstat'ed */
    /* an incremental walk (closed partitions kept): the layout, the newest partition's start,
     * and when a partition's time is over */
    bool incremental;
    int64_t newest_start_ms, closed_before_ms;
    struct st_err *err;
    /* the prefix's stat, taken before its file system was asked (dlqlist_refresh) */
    const struct fs_entry *top;
    int top_rc;
    const struct st_err *top_err;
};

/* List the folder abs (the prefix's rel) into the partition at idx and stamp it with info. */
static int list_folder(struct walk *w, size_t idx, const char *abs, const struct fs_entry *info)
{
    int64_t listed_ms = clock_real_ms();
    struct folder_list f = {0};
    int rc = fs_list(abs, 0, on_folder_entry, &f, w->err);
    struct dlpart *d = &w->p->parts[idx];
    if (rc == 0) {
        part_reset(d);
        for (size_t k = 0; k < d->nsub; k++)
            free(d->subdirs[k]);
        free(d->subdirs);
        d->subdirs = f.subdirs;
        d->nsub = f.nsub;
        f.subdirs = NULL;
        f.nsub = 0;
        dirstamp_set(&d->stamp, info, listed_ms);
        for (size_t k = 0; k < f.nfiles; k++) {
            char *key =
                *d->rel ? xasprintf("%s/%s", d->rel, f.files[k].name) : xstrdup(f.files[k].name);
            part_add(d, key, f.files[k].size, f.files[k].mtime_ms);
            free(key);
            /* a file written this close to the listing may still grow, without its folder's
             * mtime moving: the folder is listed again next pass */
            if (f.files[k].mtime_ms >= listed_ms - DIRSTAMP_RACY_MS)
                d->stamp.listed_ms = 0;
        }
        w->listed++;
    }
    for (size_t k = 0; k < f.nfiles; k++)
        free(f.files[k].name);
    free(f.files);
    for (size_t k = 0; k < f.nsub; k++)
        free(f.subdirs[k]);
    free(f.subdirs);
    return rc;
}

/* Is the folder rel a closed partition of the layout the last whole walk found? */
static bool closed_partition(const struct walk *w, const char *rel)
{
    char *key = xasprintf("%s/", rel);
    struct key_time kt;
    bool closed = keyorder_parse(key, &kt) && kt.kind == KEY_DIRS && kt.layout == w->p->layout &&
                  kt.start_ms < w->newest_start_ms &&
                  kt.start_ms + kt.span_ms <= w->closed_before_ms;
    free(key);
    return closed;
}

/* Collect in *idx the kept folders of rel's tree; false when one of them is unknown or was not
 * listed whole and not racily (it is walked then). */
static bool kept_tree(struct walk *w, const char *rel, int depth, size_t **idx, size_t *n,
                      size_t *cap)
{
    struct dlpart *d = part_find(w->p, rel, strlen(rel));
    if (!d || d->stamp.listed_ms <= 0 || depth > WALK_MAX_DEPTH)
        return false;
    xgrow((void **)idx, cap, *n + 1, sizeof **idx);
    (*idx)[(*n)++] = (size_t)(d - w->p->parts);
    for (size_t k = 0; k < d->nsub; k++) {
        char *sub = xasprintf("%s/%s", rel, d->subdirs[k]);
        bool ok = kept_tree(w, sub, depth + 1, idx, n, cap);
        free(sub);
        if (!ok)
            return false;
    }
    return true;
}

/* Keep a closed partition's folders as last listed, unstat'ed. False when it is to be walked. */
static bool keep_closed(struct walk *w, const char *rel, int depth)
{
    if (!w->incremental || !closed_partition(w, rel))
        return false;
    size_t *idx = NULL, n = 0, cap = 0;
    bool ok = kept_tree(w, rel, depth, &idx, &n, &cap);
    for (size_t i = 0; ok && i < n; i++) {
        struct dlpart *d = &w->p->parts[idx[i]];
        d->seen = true;
        w->entries += d->nfiles + d->nsub;
    }
    if (ok)
        w->kept += n;
    free(idx);
    return ok;
}

/* Bring the folder rel (and, recursively, its folders) up to date. */
static int walk_folder(struct walk *w, const char *rel, int depth)
{
    char *abs = *rel ? fs_join(w->prefix, rel) : xstrdup(w->prefix);
    struct fs_entry info = {.mtime_ms = -1};
    int rc;
    if (depth == 0 && w->top) { /* stat'ed already */
        info = *w->top;
        rc = w->top_rc;
        if (rc < 0)
            *w->err = *w->top_err;
    } else {
        rc = fs_stat(abs, &info, w->err);
    }
    w->stats++;
    if (rc == 0 && !info.is_dir && depth == 0)
        rc = st_err_set(w->err, ST_EFORMAT, "%s: not a directory", abs);
    /* a folder reached again through a link is walked once; a folder that became a file is
     * in its parent's listing (the parent's mtime moved) */
    bool again = rc == 0 && info.id && hashset_get(&w->ids, info.id, NULL);
    if (rc == 0 && info.is_dir && !again) {
        if (info.id)
            hashset_put(&w->ids, info.id, 1);
        size_t idx = (size_t)(part_slot(w->p, rel, strlen(rel)) - w->p->parts);
        if (!dirstamp_holds(&w->p->parts[idx].stamp, &info, w->max_age_ms, clock_real_ms()))
            rc = list_folder(w, idx, abs, &info);
        struct dlpart *d = &w->p->parts[idx];
        if (rc == 0) {
            d->seen = true;
            w->entries += d->nfiles + d->nsub;
            if (w->entries > FS_MAX_LIST_ENTRIES)
                rc = st_err_set(w->err, ST_ETOOBIG, "%s: more than %d entries; listing stopped",
                                w->prefix, FS_MAX_LIST_ENTRIES);
        }
        if (rc == 0 && depth < WALK_MAX_DEPTH) {
            size_t nsub = d->nsub; /* the parts may move: names copied */
            char **subs = xmalloc((nsub ? nsub : 1) * sizeof *subs);
            for (size_t k = 0; k < nsub; k++)
                subs[k] = *rel ? xasprintf("%s/%s", rel, d->subdirs[k]) : xstrdup(d->subdirs[k]);
            for (size_t k = 0; k < nsub && rc == 0; k++)
                if (!keep_closed(w, subs[k], depth + 1))
                    rc = walk_folder(w, subs[k], depth + 1);
            if (rc == 0 && w->entries > FS_MAX_LIST_ENTRIES)
                rc = st_err_set(w->err, ST_ETOOBIG, "%s: more than %d entries; listing stopped",
                                w->prefix, FS_MAX_LIST_ENTRIES);
            for (size_t k = 0; k < nsub; k++)
                free(subs[k]);
            free(subs);
        }
    }
    free(abs);
    if (rc < 0 && depth > 0 && w->err->code == ST_ENOENT)
        rc = 0; /* a folder removed since its parent was listed (its parent's mtime moved) */
    return rc;
}

/* Forget the folders the walk did not reach (gone since). */
static void parts_unseen_drop(struct dlq_prefix *p)
{
    size_t k = 0;
    hashset_clear(&p->index);
    for (size_t i = 0; i < p->nparts; i++) {
        if (!p->parts[i].seen) {
            part_free(&p->parts[i]);
            continue;
        }
        p->parts[k] = p->parts[i];
        hashset_put(&p->index, hash64(p->parts[k].rel, strlen(p->parts[k].rel)), (int64_t)k);
        k++;
    }
    p->nparts = k;
}

/* The time layout of every file a stamped prefix's folders hold, when all are in time
 * partitions (KEY_DIRS) of one (0 otherwise, or with no file): each partition's greatest and
 * newest keys stand for its files, whose names do not change the layout of a key timed by its
 * folders. */
static uint64_t stamped_layout(const struct dlq_prefix *p)
{
    struct keyorder_scan ko;
    keyorder_scan_init(&ko);
    for (size_t i = 0; i < p->nparts; i++)
        if (p->parts[i].nfiles) {
            keyorder_scan_add(&ko, p->parts[i].last);
            keyorder_scan_add(&ko, p->parts[i].newest);
        }
    return ko.kind == KEY_DIRS ? keyorder_scan_layout(&ko) : 0;
}

/* The start of the newest partition a stamped prefix keeps (of its layout), INT64_MIN none. */
static int64_t newest_start(const struct dlq_prefix *p)
{
    int64_t newest = INT64_MIN;
    for (size_t i = 0; i < p->nparts; i++) {
        struct key_time kt;
        if (p->parts[i].nfiles && keyorder_parse(p->parts[i].last, &kt) && kt.layout == p->layout &&
            kt.start_ms > newest)
            newest = kt.start_ms;
    }
    return newest;
}

/* The warning that a prefix's keys stopped sorting by time (once, until they sort again). */
static void sorted_or_warn(struct dlq_prefix *p, const char *prefix, uint64_t before,
                           uint64_t after, bool warn, const char *so, struct strvec *warnings)
{
    if (after == 0 && before != 0 && warn && !p->warned) {
        strvec_pushf(warnings,
                     "deadletter %s: its keys no longer sort by time (date or hour partitions, "
                     "or timestamped names, all of one layout): %s",
                     prefix, so);
        p->warned = true;
    } else if (after != 0) {
        p->warned = false;
    }
}

/* A pass over a stamped prefix. 0, or -1 with err (the folders are then forgotten). */
static int walk_stamped(struct dlq_prefix *p, const struct cfg_stream *cfg, const char *prefix,
                        const struct fs_entry *top, int top_rc, const struct st_err *top_err,
                        int64_t now_ms, struct strvec *warnings, struct st_err *err)
{
    /* a stamped prefix's last whole walk is last_full_ms (0: none yet) */
    int64_t clock = clock_now_ms();
    bool whole = !p->stamped || p->layout == 0 ||
                 keyorder_full_due(true, p->last_full_ms, cfg->full_listing_every_ms, clock);
    if (!p->stamped)
        parts_drop(p); /* partitions kept another way */
    p->stamped = true;
    p->incremental = false;
    for (size_t i = 0; i < p->nparts; i++)
        p->parts[i].seen = false;
    struct walk w = {.p = p,
                     .prefix = prefix,
                     .max_age_ms = cfg->full_listing_every_ms,
                     .err = err,
                     .top = top,
                     .top_rc = top_rc,
                     .top_err = top_err};
    if (!whole && cfg->listing != LM_FULL) {
        w.newest_start_ms = newest_start(p);
        w.closed_before_ms = now_ms - cfg->clock_skew_ms;
        w.incremental = w.newest_start_ms != INT64_MIN;
    }
    hashset_init(&w.ids);
    int rc = walk_folder(&w, "", 0);
    hashset_done(&w.ids);
    if (rc < 0) {
        parts_drop(p);
        p->stamped = false;
        p->last_full_ms = 0;
        return -1;
    }
    parts_unseen_drop(p);
    if (!w.incremental) {
        uint64_t before = p->layout;
        bool had = p->last_full_ms > 0; /* a whole walk of this kind before: its layout */
        p->layout = stamped_layout(p);
        /* kept only where incremental walks follow: a prefix walked whole every pass keeps the
         * cursor bytes it had (a new time each pass would write it each pass) */
        p->last_full_ms = p->layout ? clock : 0;
        sorted_or_warn(p, prefix, before, p->layout, had && cfg->listing != LM_FULL,
                       "every folder stat'ed every pass", warnings);
    }
    log_debug("deadletter %s: %zu folders stat'ed, %zu listed, %zu of closed partitions kept%s",
              prefix, w.stats, w.listed, w.kept, w.incremental ? "" : " (a whole walk)");
    return 0;
}

int dlqlist_refresh(struct dlq_list *l, const struct cfg_stream *cfg, const char *prefix,
                    int64_t now_ms, struct strvec *warnings, struct st_err *err)
{
    struct dlq_prefix *p = prefix_slot(l, hash64(prefix, strlen(prefix)));
    p->used = true;
    bool can = cfg->listing != LM_FULL && fs_lists_after(prefix);
    if (!can && fs_dir_times(prefix)) {
        /* stat'ed before its file system is asked, which then needs no statfs when another
         * folder on its device was asked in this pass; the walk starts from this stat */
        struct fs_entry top = {.mtime_ms = -1};
        struct st_err top_err;
        int top_rc = fs_stat(prefix, &top, &top_err);
        if (fs_dir_times_durable(prefix))
            return walk_stamped(p, cfg, prefix, &top, top_rc, &top_err, now_ms, warnings, err);
    }
    if (p->stamped) {
        parts_drop(p);
        p->stamped = false;
    }
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
    sorted_or_warn(p, prefix, before, p->layout, can && cfg->listing != LM_INCREMENTAL,
                   "listed whole every pass", warnings);
    p->incremental = can && (sorted || cfg->listing == LM_INCREMENTAL);
    p->last_full_ms = p->incremental ? clock : 0;
    log_debug("deadletter %s: listed whole (%s)", prefix,
              p->incremental ? "incremental passes follow" : "no incremental passes");
    return 0;
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

/* A folder name of a stamped prefix's folder: not empty, no '/', not "." or "..". */
static bool folder_name_ok(const char *v)
{
    return *v && !strchr(v, '/') && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
}

static int take_prefixes(struct dlq_list *s, struct buf_reader *rd, int version)
{
    struct buf_reader r = *rd;
    uint32_t np = buf_take_u32(&r);
    if (np > CURSOR_MAX_PREFIXES)
        return -1;
    for (uint32_t i = 0; i < np && !r.bad; i++) {
        uint64_t hash = (uint64_t)buf_take_i64(&r);
        for (size_t k = 0; k < s->npre; k++)
            if (s->pre[k].hash == hash)
                return -1; /* a prefix twice */
        struct dlq_prefix *p = prefix_slot(s, hash);
        p->layout = (uint64_t)buf_take_i64(&r);
        p->last_full_ms = buf_take_i64(&r);
        uint32_t flags = buf_take_u32(&r), nparts = buf_take_u32(&r);
        if (flags > (version >= 4 ? 7u : 3u) || (flags & 5) == 5 || nparts > r.left / 40)
            return -1;
        p->incremental = (flags & 1) != 0;
        p->warned = (flags & 2) != 0;
        p->stamped = (flags & 4) != 0;
        for (uint32_t k = 0; k < nparts && !r.bad; k++) {
            char *rel = take_name(&r, true);
            if (!rel)
                break;
            size_t before = p->nparts;
            struct dlpart *d = part_slot(p, rel, strlen(rel));
            free(rel);
            if (p->nparts == before)
                return -1; /* a partition twice */
            /* a stamped prefix keeps its folders without files too: no keys then */
            d->last = take_name(&r, p->stamped);
            d->newest = d->last ? take_name(&r, p->stamped) : NULL;
            if (!d->newest)
                return -1;
            bool none = !*d->last && !*d->newest;
            if (!none && (!*d->last || !*d->newest))
                return -1; /* one key without the other */
            if (none) {
                free(d->last);
                free(d->newest);
                d->last = d->newest = NULL;
            }
            d->newest_ms = buf_take_i64(&r);
            d->layout = buf_take_u32(&r);
            uint32_t nf = buf_take_u32(&r);
            if (r.bad || d->layout > LAYOUT_ALL || (nf == 0) != none || nf > r.left / 16)
                return -1;
            d->files = xmalloc((nf ? nf : 1) * sizeof *d->files);
            d->cap = d->nfiles = nf;
            for (uint32_t f = 0; f < nf; f++) {
                d->files[f].size = buf_take_i64(&r);
                d->files[f].mtime_ms = buf_take_i64(&r);
            }
            if (version < 4)
                continue;
            d->stamp.mtime_ms = buf_take_i64(&r);
            d->stamp.listed_ms = buf_take_i64(&r);
            uint32_t ns = buf_take_u32(&r);
            if (r.bad || ns > r.left / 4 || (ns && !p->stamped))
                return -1;
            d->subdirs = xcalloc(ns ? ns : 1, sizeof *d->subdirs);
            for (uint32_t f = 0; f < ns && !r.bad; f++) {
                char *name = take_name(&r, false);
                if (name && !folder_name_ok(name)) {
                    free(name);
                    return -1;
                }
                if (name)
                    d->subdirs[d->nsub++] = name;
            }
        }
    }
    *rd = r;
    return r.bad ? -1 : 0;
}

int dlqlist_take(struct dlq_list *l, struct buf_reader *r, int version)
{
    if (take_prefixes(l, r, version) < 0) {
        dlqlist_done(l); /* part of a listing is no listing */
        r->bad = true;
        return -1;
    }
    return 0;
}

void dlqlist_begin(struct dlq_list *l)
{
    for (size_t i = 0; i < l->npre; i++)
        l->pre[i].used = false;
}

void dlqlist_end(struct dlq_list *l)
{
    for (size_t i = 0; i < l->npre;) {
        if (l->pre[i].used) {
            if (!l->pre[i].incremental && !l->pre[i].stamped)
                parts_drop(&l->pre[i]); /* listed whole again next pass: not kept */
            i++;
            continue;
        }
        parts_drop(&l->pre[i]);
        free(l->pre[i].parts);
        hashset_done(&l->pre[i].index);
        l->pre[i] = l->pre[--l->npre];
    }
}

void dlqlist_sum(const struct dlq_list *l, const char *prefix, int64_t since_ms,
                 int64_t recent_after_ms, struct dlq_sum *out)
{
    memset(out, 0, sizeof *out);
    out->newest_ms = -1;
    uint64_t h = hash64(prefix, strlen(prefix));
    const struct dlq_prefix *p = NULL;
    for (size_t i = 0; i < l->npre && !p; i++)
        if (l->pre[i].hash == h)
            p = &l->pre[i];
    unsigned layout = 0;
    const struct dlpart *np = NULL;
    for (size_t k = 0; p && k < p->nparts; k++) {
        const struct dlpart *pt = &p->parts[k];
        layout |= pt->layout;
        for (size_t f = 0; f < pt->nfiles; f++) {
            const struct dlfile *lf = &pt->files[f];
            out->files++;
            out->bytes += lf->size > 0 ? (double)lf->size : 0;
            if (since_ms >= 0 && lf->mtime_ms > since_ms)
                out->fresh++;
            if (lf->mtime_ms > recent_after_ms)
                out->recent++;
        }
        /* the newest file, the smaller key on a tie: the one a full listing meets first */
        if (pt->newest && (!np || pt->newest_ms > np->newest_ms ||
                           (pt->newest_ms == np->newest_ms && strcmp(pt->newest, np->newest) < 0)))
            np = pt;
    }
    out->layout = layout & LAYOUT_BAD_RECORDS                           ? "badRecordsPath"
                  : (layout & LAYOUT_FIREHOSE) || firehose_path(prefix) ? "firehose"
                  : layout & LAYOUT_PARTITIONED                         ? "partitioned"
                  : layout & LAYOUT_DATED                               ? "dated"
                                                                        : "flat";
    if (np) {
        out->newest_ms = np->newest_ms;
        out->newest = np->newest;
    }
}

void dlqlist_put(const struct dlq_list *s, struct buf *b)
{
    buf_put_u32(b, (uint32_t)s->npre);
    for (size_t i = 0; i < s->npre; i++) {
        const struct dlq_prefix *p = &s->pre[i];
        buf_put_i64(b, (int64_t)p->hash);
        buf_put_i64(b, (int64_t)p->layout);
        buf_put_i64(b, p->last_full_ms);
        buf_put_u32(b, (p->incremental ? 1u : 0u) | (p->warned ? 2u : 0u) | (p->stamped ? 4u : 0u));
        /* an incremental prefix's partitions with files; a stamped one's folders, all */
        uint32_t n = 0;
        for (size_t k = 0; k < p->nparts; k++)
            n += p->stamped || (p->incremental && p->parts[k].nfiles > 0);
        buf_put_u32(b, n);
        for (size_t k = 0; n && k < p->nparts; k++) {
            const struct dlpart *d = &p->parts[k];
            if (!p->stamped && !d->nfiles)
                continue;
            buf_put_name(b, d->rel);
            buf_put_name(b, d->nfiles && d->last ? d->last : "");
            buf_put_name(b, d->nfiles && d->newest ? d->newest : "");
            buf_put_i64(b, d->newest_ms);
            buf_put_u32(b, d->layout);
            buf_put_u32(b, (uint32_t)d->nfiles);
            for (size_t f = 0; f < d->nfiles; f++) {
                buf_put_i64(b, d->files[f].size);
                buf_put_i64(b, d->files[f].mtime_ms);
            }
            buf_put_i64(b, d->stamp.mtime_ms);
            buf_put_i64(b, d->stamp.listed_ms);
            buf_put_u32(b, p->stamped ? (uint32_t)d->nsub : 0);
            for (size_t f = 0; p->stamped && f < d->nsub; f++)
                buf_put_name(b, d->subdirs[f]);
        }
    }
}
