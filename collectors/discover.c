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
        free(l->v[i].name);
        free(l->v[i].note);
        strvec_done(&l->v[i].deadletter);
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

/* All digits, n of them. */
static bool digits(const char *s, size_t len, size_t n)
{
    if (len != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Where a dated tail YYYY[/MM[/DD[/HH]]] of p[0..len) starts (the length of what is before
 * it, without its '/'), or 0 when p does not end in one. */
static size_t dated_tail(const char *p, size_t len)
{
    static const size_t widths[] = {4, 2, 2, 2};
    /* the components at the end, last first */
    size_t ends[4], starts[4], k = 0, e = len;
    while (k < 4 && e > 0) {
        size_t b = e;
        while (b > 0 && p[b - 1] != '/')
            b--;
        if (b == 0)
            break;
        starts[k] = b;
        ends[k] = e;
        k++;
        e = b - 1;
    }
    /* the longest run ending at the end that reads YYYY, MM, DD, HH in order */
    for (size_t n = k; n > 0; n--) {
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            size_t c = n - 1 - i; /* i-th component of the run, counted from its start */
            ok = digits(p + starts[c], ends[c] - starts[c], widths[i]);
        }
        if (ok)
            return starts[n - 1] - 1;
    }
    return 0;
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
    /* cut partition folders (dt=2026-11-20/hr=09) and dated keys (2026/11/20/09) off the
     * end */
    for (;;) {
        size_t d = dir_len(common, clen);
        const char *last = common + (d ? d + 1 : 0);
        size_t cut = dated_tail(common, clen);
        if (d > 0 && strchr(last, '=')) {
            clen = d;
        } else if (cut > 0) {
            clen = cut;
        } else {
            break;
        }
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

/* Firehose writes failed records beside the data, under its error prefix (processing-failed/,
 * format-conversion-failed/, decompression-failed/ by default, errors/ a common custom one):
 * those found in the landing folder's parent are the stream's dead letters. */
static void firehose_errors(const char *source, struct strvec *out)
{
    static const char *const names[] = {"processing-failed", "format-conversion-failed",
                                        "decompression-failed", "errors"};
    size_t pl = dir_len(source, strlen(source));
    if (pl == 0)
        return;
    char *parent = xstrndup(source, pl);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *dir = fs_join(parent, names[i]);
        struct fs_entry e;
        struct st_err ignored;
        if (strcmp(dir, source) != 0 && fs_stat(dir, &e, &ignored) == 0 && e.is_dir)
            strvec_take(out, dir);
        else
            free(dir);
    }
    free(parent);
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

/* Declarative Pipelines (Spark 4.1+, apache/spark sql/pipelines FlowSystemMetadata): a
 * streaming flow's checkpoints live under <storage root>/_checkpoints/<destination name parts
 * joined by "/">/<flow name>/<N>, and SystemMetadata.getLatestCheckpointDir takes the folder
 * with the highest N (a full refresh starts the next N; the older ones stay). A checkpoint
 * whose folder is a number under a "_checkpoints" folder, two or more folders down, is one of
 * a flow's. */
static int64_t number_of(const char *s, size_t n)
{
    int64_t v;
    return parse_digits(s, n, &v) ? v : -1;
}

/* Where "_checkpoints/" starts in dir (a folder path relative to the walk's root) when dir is
 * <...>/_checkpoints/<table parts...>/<flow>/<N>; -1 otherwise. *flow_len is the length of
 * dir up to the flow's folder, *n the N. */
static long pipeline_flow(const char *dir, size_t *flow_len, int64_t *n)
{
    size_t len = strlen(dir), last = len;
    while (last > 0 && dir[last - 1] != '/')
        last--;
    if (last == 0 || (*n = number_of(dir + last, len - last)) < 0)
        return -1;
    *flow_len = last - 1;
    static const char marker[] = "_checkpoints/";
    for (const char *p = dir; (p = strstr(p, marker)) != NULL; p++) {
        if (p != dir && p[-1] != '/')
            continue;
        /* at least the table and the flow between it and N */
        const char *rest = p + sizeof marker - 1;
        if (rest >= dir + *flow_len) /* "_checkpoints/<N>": no table, no flow */
            continue;
        const char *slash = memchr(rest, '/', (size_t)(dir + *flow_len - rest));
        if (slash && slash > rest && (size_t)(slash - dir) < *flow_len)
            return (long)(p - dir);
    }
    return -1;
}

struct numbered {
    int64_t max;
};

static int on_numbered(const struct fs_entry *e, void *ctx)
{
    struct numbered *nb = ctx;
    int64_t v = number_of(e->name, strlen(e->name));
    if (v > nb->max && e->is_dir)
        nb->max = v;
    return 0;
}

/* Turn the walk's folders (relative to root) into whole paths, and keep of each pipeline
 * flow's numbered checkpoints only the one Spark uses (NULL for the others), named and noted.
 * Whole paths, so a walk that starts inside _checkpoints/ sees the layout too. */
static void pipelines_pick(const char *root, struct strvec *dirs, struct strvec *names,
                           struct strvec *notes)
{
    struct strvec full;
    strvec_init(&full);
    for (size_t i = 0; i < dirs->n; i++)
        strvec_take(&full, *dirs->v[i] ? fs_join(root, dirs->v[i]) : xstrdup(root));
    for (size_t i = 0; i < dirs->n; i++) {
        size_t flow_len;
        int64_t n;
        long at = pipeline_flow(full.v[i], &flow_len, &n);
        strvec_push(names, "");
        strvec_push(notes, "");
        if (at < 0)
            continue;
        /* the highest found with offsets/, and the flow's highest numbered folder on storage
         * (a full refresh that has not planned a batch yet): the latter is the live one */
        char *flow_dir = xstrndup(full.v[i], flow_len);
        int64_t found_max = n;
        for (size_t j = 0; j < full.n; j++) {
            size_t fl;
            int64_t m;
            if (full.v[j] && pipeline_flow(full.v[j], &fl, &m) >= 0 && fl == flow_len &&
                strncmp(full.v[j], flow_dir, fl) == 0 && m > found_max)
                found_max = m;
        }
        struct numbered nb = {.max = found_max};
        struct st_err ignored;
        (void)fs_list(flow_dir, 0, on_numbered, &nb, &ignored);
        /* flow_dir is <...>/_checkpoints/<table parts>/<flow>: pipeline_flow saw the '/'s */
        const char *flow = strrchr(flow_dir, '/') + 1;
        const char *table = flow_dir + at + strlen("_checkpoints/");
        char *tbl = xstrndup(table, (size_t)(flow - 1 - table));
        if (n < found_max) {
            free(full.v[i]);
            full.v[i] = NULL; /* superseded by a full refresh */
        } else {
            if (nb.max > n) {
                free(full.v[i]);
                full.v[i] = xasprintf("%s/%lld", flow_dir, (long long)nb.max);
                n = nb.max;
            }
            char *name = xstrdup(tbl);
            for (char *c = name; *c; c++)
                if (*c == '/')
                    *c = '.';
            const char *tail = strrchr(tbl, '/');
            if (strcmp(tail ? tail + 1 : tbl, flow) != 0) {
                char *both = xasprintf("%s.%s", name, flow);
                free(name);
                name = both;
            }
            free(names->v[i]);
            names->v[i] = name;
            free(notes->v[i]);
            notes->v[i] = xasprintf("pipeline flow %s into %s: checkpoint %lld, the live one (the "
                                    "highest number)",
                                    flow, tbl, (long long)n);
        }
        free(tbl);
        free(flow_dir);
    }
    /* the walk's folders become whole paths, NULL where superseded */
    for (size_t i = 0; i < dirs->n; i++) {
        free(dirs->v[i]);
        dirs->v[i] = full.v[i];
    }
    free(full.v);
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
    struct strvec names, notes;
    strvec_init(&names);
    strvec_init(&notes);
    pipelines_pick(root, &w.dirs, &names, &notes);
    for (size_t i = 0; i < w.dirs.n; i++) {
        if (!w.dirs.v[i])
            continue;
        /* not inside another checkpoint's state/ or sources/ (they have no offsets/ anyway) */
        char *ckpt = w.dirs.v[i];
        w.dirs.v[i] = NULL;
        size_t cl = strlen(ckpt);
        while (cl > 1 && ckpt[cl - 1] == '/')
            ckpt[--cl] = '\0';
        xgrow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v);
        struct found *f = &out->v[out->n++];
        memset(f, 0, sizeof *f);
        f->checkpoint = ckpt;
        f->name = *names.v[i] ? xstrdup(names.v[i]) : NULL;
        f->note = *notes.v[i] ? xstrdup(notes.v[i]) : NULL;
        f->kind = first_kind(ckpt);
        if (f->kind && strcmp(f->kind, "file") == 0)
            f->source = guess_source(ckpt);
        strvec_init(&f->deadletter);
        if (f->source)
            firehose_errors(f->source, &f->deadletter);
        char *schemas = fs_join(ckpt, "_schemas");
        struct fs_entry e;
        struct st_err ignored;
        if (fs_stat(schemas, &e, &ignored) == 0 && e.is_dir)
            f->schema = xstrdup(ckpt);
        free(schemas);
    }
    strvec_done(&names);
    strvec_done(&notes);
    strvec_done(&w.dirs);
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_found);
    return 0;
}
