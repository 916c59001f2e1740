#include "collectors/discover.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/checkpoint.h"
#include "collectors/fs.h"
#include "collectors/offsetlog.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/parse.h"
#include "core/strvec.h"
#include "core/xalloc.h"

#define LOG_CAP      (1024u * 1024)
#define SAMPLE_PATHS 50

bool discover_is_checkpoint(const char *path)
{
    char *off = fs_join(path, "offsets");
    struct fs_entry e;
    struct st_err err;
    bool yes = fs_stat(off, &e, &err) == 0 && e.is_dir;
    free(off);
    return yes;
}

void found_list_done(struct found_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].checkpoint);
        free(l->v[i].source);
        free(l->v[i].schema);
        free(l->v[i].kind);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Folder of a path: everything before the last '/'. */
static size_t dir_len(const char *p, size_t n)
{
    while (n > 0 && p[n - 1] != '/')
        n--;
    return n > 0 ? n - 1 : 0;
}

char *discover_source_from_log(const char *text, size_t len)
{
    char *common = NULL;
    size_t clen = 0, seen = 0;
    const char *p = text, *end = text + len;
    while (p < end && seen < SAMPLE_PATHS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        cJSON *o = n && *p == '{' ? cJSON_ParseWithLength(p, n) : NULL;
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(o, "path");
        if (cJSON_IsString(path)) {
            const char *s = path->valuestring;
            size_t d = dir_len(s, strlen(s));
            if (!common) {
                common = xstrndup(s, d);
                clen = d;
            } else {
                /* the longest common prefix that ends at a folder boundary in both */
                size_t k = 0;
                while (k < clen && k < d && common[k] == s[k])
                    k++;
                while (k > 0 && !((k == clen || common[k] == '/') && (k == d || s[k] == '/')))
                    k--;
                clen = k;
                common[clen] = '\0';
            }
            seen++;
        }
        cJSON_Delete(o);
        p += n + 1;
    }
    if (!common)
        return NULL;
    /* cut partition folders (dt=2026-11-20/hr=09) off the end */
    for (;;) {
        size_t d = dir_len(common, clen);
        const char *last = common + (d ? d + 1 : 0);
        if (d == 0 || !strchr(last, '='))
            break;
        clen = d;
        common[clen] = '\0';
    }
    char *out = config_normalize_path(common); /* file://, dbfs:/, s3a:// as in the config */
    free(common);
    return out;
}

/* Read (at most cap bytes of) the newest batch-numbered file of ckpt/rel into b. 0 or -1. */
static int read_newest(const char *ckpt, const char *rel, size_t cap, struct buf *b)
{
    char *dir = fs_join(ckpt, rel);
    struct fs_ids ids;
    struct st_err err;
    int rc = -1;
    if (fs_list_ids(dir, &ids, &err) == 0 && ids.n) {
        char name[32];
        snprintf(name, sizeof name, "%lld", (long long)ids.v[ids.n - 1]);
        char *path = fs_join(dir, name);
        rc = fs_read_range(path, 0, cap, b, NULL, &err);
        free(path);
    }
    free(ids.v);
    free(dir);
    return rc;
}

/* The first source's kind from the newest offsets file. */
static char *first_kind(const char *ckpt)
{
    struct buf b;
    buf_init(&b);
    char *kind = NULL;
    struct offset_file f;
    struct st_err err;
    if (read_newest(ckpt, "offsets", CKPT_OFFSETS_CAP, &b) == 0 &&
        offsetlog_parse(buf_str(&b), b.len, &f, &err) == 0) {
        if (f.nsources) {
            double pos;
            kind = xstrdup(source_kind_name(
                f.sources[0].json ? offsetlog_classify(f.sources[0].json, &pos) : SRC_NONE));
        }
        offsetlog_done(&f);
    }
    buf_done(&b);
    return kind;
}

/* Guess the landing folder from sources/0: the paths of its newest log file. */
static char *guess_source(const char *ckpt)
{
    struct buf b;
    buf_init(&b);
    char *src = NULL;
    if (read_newest(ckpt, "sources/0", LOG_CAP, &b) == 0)
        src = discover_source_from_log(buf_str(&b), b.len);
    buf_done(&b);
    return src;
}

struct walk {
    const char *root;
    struct strvec dirs;
};

static int on_entry(const struct fs_entry *e, void *ctx)
{
    struct walk *w = ctx;
    /* a file "…/offsets/<n>": its checkpoint is the folder above offsets/ */
    size_t n = strlen(e->name);
    size_t i = n;
    while (i > 0 && e->name[i - 1] != '/')
        i--;
    int64_t id;
    if (!parse_batch_name(e->name + i, &id) || i < 8 || strncmp(e->name + i - 8, "offsets/", 8))
        return 0;
    size_t dl = i >= 9 ? i - 9 : 0; /* "<dir>/offsets/" */
    char *dir = dl ? xstrndup(e->name, dl) : xstrdup("");
    for (size_t k = 0; k < w->dirs.n; k++)
        if (strcmp(w->dirs.v[k], dir) == 0) {
            free(dir);
            return 0;
        }
    strvec_take(&w->dirs, dir);
    return 0;
}

static int cmp_found(const void *a, const void *b)
{
    return strcmp(((const struct found *)a)->checkpoint, ((const struct found *)b)->checkpoint);
}

int discover(const char *root, struct found_list *out, struct st_err *err)
{
    struct walk w = {.root = root};
    strvec_init(&w.dirs);
    if (fs_list(root, FS_RECURSIVE | FS_NOSTAT, on_entry, &w, err) < 0) {
        strvec_done(&w.dirs);
        return -1;
    }
    for (size_t i = 0; i < w.dirs.n; i++) {
        /* not inside another checkpoint's state/ or sources/ (they have no offsets/ anyway) */
        char *ckpt = *w.dirs.v[i] ? fs_join(root, w.dirs.v[i]) : xstrdup(root);
        size_t cl = strlen(ckpt);
        while (cl > 1 && ckpt[cl - 1] == '/')
            ckpt[--cl] = '\0';
        xgrow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v);
        struct found *f = &out->v[out->n++];
        memset(f, 0, sizeof *f);
        f->checkpoint = ckpt;
        f->kind = first_kind(ckpt);
        if (f->kind && strcmp(f->kind, "file") == 0)
            f->source = guess_source(ckpt);
        char *schemas = fs_join(ckpt, "_schemas");
        struct fs_entry e;
        struct st_err ignored;
        if (fs_stat(schemas, &e, &ignored) == 0 && e.is_dir)
            f->schema = xstrdup(ckpt);
        free(schemas);
    }
    strvec_done(&w.dirs);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_found);
    return 0;
}
