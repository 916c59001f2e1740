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

struct lfile {
    uint64_t hash; /* canonical full path */
    int64_t size;
    int64_t mtime_ms;
};

struct ldir {
    char *rel;        /* (owned) "" for the root */
    int64_t mtime_ms; /* -1 when the backend has no directory times (always listed) */
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
    int64_t last_full_mono_ms;
    bool force_full;
};

static void *landing_state_new(void)
{
    struct landing_state *s = xcalloc(1, sizeof *s);
    sourcelog_init(&s->log);
    hashset_init(&s->dir_index);
    s->force_full = true;
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

/* Bring one directory (and, recursively, its subdirectories) up to date. */
static int refresh_dir(struct landing_state *s, const char *root, const char *rel, bool full,
                       struct st_err *err, int depth)
{
    if (depth > 64)
        return 0;
    char *abs = *rel ? fs_join(root, rel) : xstrdup(root);
    struct fs_entry st;
    int rc = fs_stat(abs, &st, err);
    struct ldir *d = dir_slot(s, rel);
    if (rc == 0 && (full || st.mtime_ms < 0 || st.mtime_ms != d->mtime_ms)) {
        struct ldir fresh = {.rel = d->rel, .mtime_ms = st.mtime_ms};
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
    if (refresh_dir(s, cfg->source, "", full, &err, 0) < 0) {
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
    m[M_BACKLOG_AGE_SECONDS] =
        files == 0 ? 0 : oldest == INT64_MAX ? NAN : fmax(0, (double)(now_ms - oldest) / 1000);
    for (int k = M_BACKLOG_FILES; k <= M_BACKLOG_AGE_SECONDS; k++)
        if (k != M_BACKLOG_RECORDS)
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
};
