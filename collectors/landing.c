/* The file-source backlog collector: the landing zone (the stream's `source`, listed
 * recursively, skipping what Spark skips) against the processed set of the query's file-source
 * log. Directories are cached with their mtime: a later pass lists only directories that
 * changed (and everything again every LANDING_RESCAN_MS, to catch overwrites in place). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/sourcelog.h"
#include "core/clock.h"
#include "core/xalloc.h"

#define LANDING_RESCAN_MS (5 * 60 * 1000)
/* A directory modified this close to when it was listed may change again within the same
 * timestamp tick without its mtime moving: list it again next pass (git's "racy" rule). */
#define LANDING_RACY_MS 2000

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
    bool seen; /* reached in this pass */
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
    bool force_full;
    int64_t saved_folded; /* folded_upto when the cursor was last loaded or saved */
    size_t fill_slot;     /* cursor_fill's position in the set */
    unsigned char carry[16];
    size_t carry_len, take_off;
};

/* The cursor: the processed set and where it stands, so a new process reads only the log
 * files written since. Layout: magic, logdir length, compact id, folded batch, interval,
 * entry count, logdir, then (hash, timestamp) pairs. */
#define LANDING_CURSOR_MAGIC "LND1"
#define HEADER_FIXED         (4 + 4 + 8 * 4)

static size_t header_size(const struct landing_state *s)
{
    return HEADER_FIXED + strlen(s->logdir);
}

static size_t landing_cursor_size(void *state)
{
    struct landing_state *s = state;
    if (!s->logdir || s->log.folded_upto < 0 || s->log.folded_upto == s->saved_folded)
        return 0;
    return header_size(s) + 16 * s->log.seen.n;
}

static void landing_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct landing_state *s = state;
    size_t hs = header_size(s);
    if (off == 0) {
        s->fill_slot = 0;
        s->carry_len = 0;
    }
    size_t pos = 0;
    while (pos < len && off + pos < hs) { /* the header (small; rebuilt byte by byte) */
        unsigned char hdr[HEADER_FIXED];
        uint32_t dl = (uint32_t)strlen(s->logdir);
        int64_t v[4] = {s->log.compact_id, s->log.folded_upto, s->log.interval,
                        (int64_t)s->log.seen.n};
        memcpy(hdr, LANDING_CURSOR_MAGIC, 4);
        memcpy(hdr + 4, &dl, 4);
        memcpy(hdr + 8, v, sizeof v);
        size_t at = off + pos;
        dst[pos++] = at < HEADER_FIXED ? hdr[at] : (unsigned char)s->logdir[at - HEADER_FIXED];
    }
    while (pos < len) {
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
    if (off + len >= header_size(s) + 16 * s->log.seen.n)
        s->saved_folded = s->log.folded_upto;
}

static int landing_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct landing_state *s = state;
    size_t pos = 0;
    if (s->take_off == 0) {
        uint32_t dl;
        int64_t v[4];
        if (len < HEADER_FIXED || memcmp(src, LANDING_CURSOR_MAGIC, 4) != 0)
            return -1;
        memcpy(&dl, src + 4, 4);
        memcpy(v, src + 8, sizeof v);
        if (dl > 4096 || len < HEADER_FIXED + dl || v[3] < 0 ||
            total != HEADER_FIXED + dl + 16 * (size_t)v[3])
            return -1;
        free(s->logdir);
        s->logdir = xstrndup((const char *)src + HEADER_FIXED, dl);
        s->log.compact_id = v[0];
        s->log.folded_upto = v[1];
        s->log.interval = v[2];
        s->saved_folded = v[1];
        hashset_reserve(&s->log.seen, (size_t)v[3]);
        pos = HEADER_FIXED + dl;
        s->take_off = pos;
    }
    while (pos < len) {
        size_t n = 16 - s->carry_len < len - pos ? 16 - s->carry_len : len - pos;
        memcpy(s->carry + s->carry_len, src + pos, n);
        s->carry_len += n;
        pos += n;
        if (s->carry_len == 16) {
            uint64_t key;
            int64_t val;
            memcpy(&key, s->carry, 8);
            memcpy(&val, s->carry + 8, 8);
            hashset_put(&s->log.seen, key, val);
            s->carry_len = 0;
        }
    }
    s->take_off += len;
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
    return s;
}

static void dir_done(struct ldir *d)
{
    free(d->rel);
    free(d->files);
    for (size_t i = 0; i < d->nsubdirs; i++)
        free(d->subdirs[i]);
    free(d->subdirs);
}

static void landing_state_free(void *state)
{
    struct landing_state *s = state;
    if (!s)
        return;
    sourcelog_done(&s->log);
    free(s->logdir);
    for (size_t i = 0; i < s->ndirs; i++)
        dir_done(&s->dirs[i]);
    free(s->dirs);
    hashset_done(&s->dir_index);
    hashset_done(&s->walked);
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
};

static int on_entry(const struct fs_entry *e, void *vctx)
{
    struct list_ctx *c = vctx;
    if (skipped_name(e->name))
        return 0;
    char *rel = *c->rel ? xasprintf("%s/%s", c->rel, e->name) : xstrdup(e->name);
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

static int on_flat_entry(const struct fs_entry *e, void *vctx)
{
    struct list_ctx *c = vctx;
    if (e->is_dir || skipped_path(e->name))
        return 0;
    char *full = fs_join(c->root, e->name);
    xgrow((void **)&c->d->files, &c->capfiles, c->d->nfiles + 1, sizeof *c->d->files);
    c->d->files[c->d->nfiles++] =
        (struct lfile){sourcelog_path_hash(full, strlen(full), false), e->size, e->mtime_ms};
    free(full);
    return 0;
}

/* A backend without directory times (S3): one recursive listing of the whole landing zone
 * each pass, kept as the root's files. */
static int refresh_flat(struct landing_state *s, const char *root, struct st_err *err)
{
    struct ldir fresh = {.mtime_ms = -1, .listed_ms = clock_real_ms()};
    struct list_ctx c = {.root = root, .rel = "", .d = &fresh};
    if (fs_list(root, FS_RECURSIVE, on_flat_entry, &c, err) < 0) {
        dir_done(&fresh);
        return -1;
    }
    struct ldir *d = dir_slot(s, "");
    fresh.rel = d->rel;
    d->rel = NULL;
    dir_done(d);
    *d = fresh;
    d->seen = true;
    return 0;
}

/* Bring one directory (and, recursively, its subdirectories) up to date. */
static int refresh_dir(struct landing_state *s, const char *root, const char *rel, bool full,
                       struct st_err *err, int depth)
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
        struct list_ctx c = {.root = root, .rel = rel, .d = &fresh};
        rc = fs_list(abs, 0, on_entry, &c, err);
        d = dir_slot(s, rel); /* the array may have moved */
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
        rc = refresh_dir(s, root, subs[i], full, err, depth + 1);
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

static void landing_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                            int64_t now_ms)
{
    struct landing_state *s = state;
    struct st_err err;
    bool have_log = false;
    for (size_t i = 0; i < out->nsources; i++)
        if (out->sources[i].kind == SRC_DELTA)
            return; /* `source` names the Delta table: the deltasource collector's */
    if (cfg->checkpoint) {
        int idx = file_source_index(out);
        if (idx < 0 && out->nsources) {
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
            if (sourcelog_update(&s->log, s->logdir, &out->warnings, &err) < 0)
                strvec_push(&out->errors, err.msg);
            else
                have_log = true;
            out->bytes_read += s->log.bytes_read;
        }
    }

    int64_t mono = clock_mono_ms();
    bool full = s->force_full || mono - s->last_full_mono_ms >= LANDING_RESCAN_MS;
    for (size_t i = 0; i < s->ndirs; i++)
        s->dirs[i].seen = false;
    hashset_clear(&s->walked);
    s->entries = 0;
    int rc = fs_dir_times(cfg->source) ? refresh_dir(s, cfg->source, "", full, &err, 0)
                                       : refresh_flat(s, cfg->source, &err);
    if (rc < 0 && cfg->source_guessed && err.code == ST_ENOENT) {
        /* a landing folder guessed from the paths the query logged (zero-config) that this
         * machine does not have: the file backlog is unknown, the rest of the stream is fine */
        strvec_pushf(&out->warnings,
                     "source %s: guessed from the file-source log; not found here, so the file "
                     "backlog is not measured (give --source)",
                     cfg->source);
        s->force_full = true;
        return;
    }
    if (rc < 0) {
        strvec_pushf(&out->errors, "source %s", err.msg);
        s->force_full = true;
        return;
    }
    if (full) {
        s->last_full_mono_ms = mono;
        s->force_full = false;
    }
    if (!have_log)
        return;
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
