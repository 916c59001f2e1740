#include "collectors/fs.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/hashset.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "net/dbx.h"
#include "net/azure.h"
#include "net/s3.h"

/* Backends in the order they are asked; local takes whatever no other backend claims. */
static const struct fs_ops *const backends[] = {
    &fs_s3_ops,
    &fs_dbx_ops, /* before local: it claims /Volumes and /dbfs paths only when not mounted */
    &fs_azure_ops,
    &fs_local_ops,
};

static const struct fs_ops *backend_for(const char *path, struct st_err *err)
{
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
        if (backends[i]->handles(path))
            return backends[i];
    const char *colon = strstr(path, "://");
    st_err_set(err, ST_EFAIL, "%s: no storage backend for the '%.*s://' scheme", path,
               colon ? (int)(colon - path) : 0, path);
    return NULL;
}

static struct {
    fs_listed_fn fn;
    void *ctx;
} listed_hook;

void fs_set_listed_hook(fs_listed_fn fn, void *ctx)
{
    listed_hook.fn = fn;
    listed_hook.ctx = ctx;
}

int fs_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err)
{
    const struct fs_ops *ops = backend_for(path, err);
    if (!ops || ops->list(path, flags, fn, ctx, err) < 0)
        return -1;
    if (listed_hook.fn)
        listed_hook.fn(path, listed_hook.ctx);
    return 0;
}

bool fs_lists_after(const char *path)
{
    struct st_err err;
    const struct fs_ops *ops = backend_for(path, &err);
    return ops && ops->list_after;
}

int fs_list_after(const char *path, const char *after, fs_visit_fn fn, void *ctx,
                  struct st_err *err)
{
    const struct fs_ops *ops = backend_for(path, err);
    if (!ops)
        return -1;
    if (!ops->list_after)
        return st_err_set(err, ST_EFAIL, "%s: the %s backend cannot list from a name", path,
                          ops->name);
    if (ops->list_after(path, after, fn, ctx, err) < 0)
        return -1;
    if (listed_hook.fn)
        listed_hook.fn(path, listed_hook.ctx);
    return 0;
}

int fs_stat(const char *path, struct fs_entry *out, struct st_err *err)
{
    const struct fs_ops *ops = backend_for(path, err);
    return ops ? ops->stat(path, out, err) : -1;
}

int fs_read(const char *path, size_t cap, struct buf *out, struct fs_entry *st, struct st_err *err)
{
    const struct fs_ops *ops = backend_for(path, err);
    if (!ops)
        return -1;
    /* ask for one byte more than the cap, to tell "exactly cap" from "too big" */
    if (ops->read(path, 0, cap + 1, out, st, err) < 0)
        return -1;
    if (out->len > cap)
        return st_err_set(err, ST_ETOOBIG, "%s: larger than the %zu-byte limit for this file", path,
                          cap);
    return 0;
}

int fs_read_range(const char *path, int64_t offset, size_t len, struct buf *out,
                  struct fs_entry *st, struct st_err *err)
{
    const struct fs_ops *ops = backend_for(path, err);
    return ops ? ops->read(path, offset, len, out, st, err) : -1;
}

/* The scope of this thread's calls, with its local roots resolved on first need (links are
 * rare: most passes never resolve anything). */
static _Thread_local struct {
    const struct fs_scope *scope;
    char **real; /* (owned) realpath of each local root, NULL entries for missing ones */
    size_t nreal;
    bool resolved;
    struct hashset dirs; /* folders below a root checked in this scope (hash of the path) */
    /* fs_dir_times_durable's answers in this scope (hash of the path: 1 durable, 0 not): the
     * collectors of a stream ask of the same folders, each a statfs() */
    struct hashset durable;
    struct hashset devices; /* folders stat'ed in this scope: hash of the path -> device */
} cur;

static bool durable_asked(const char *path, bool *durable)
{
    int64_t v;
    if (!cur.scope || !hashset_get(&cur.durable, hash64(path, strlen(path)), &v))
        return false;
    *durable = v != 0;
    return true;
}

static void durable_answered(const char *path, bool durable)
{
    if (cur.scope) /* without a scope nothing would clear it */
        hashset_put(&cur.durable, hash64(path, strlen(path)), durable);
}

void fs_folder_device(const char *path, size_t len, uint64_t dev)
{
    if (cur.scope)
        hashset_put(&cur.devices, hash64(path, len), (int64_t)dev);
}

static bool folder_device(const char *path, uint64_t *dev)
{
    int64_t v;
    if (!cur.scope || !hashset_get(&cur.devices, hash64(path, strlen(path)), &v))
        return false;
    *dev = (uint64_t)v;
    return true;
}

/* fs_dir_times_durable's answers by device in this pass (all streams, all threads): 2,000
 * streams on one disk ask one statfs, not four a stream. A handful of devices at most; past
 * DEVICES_KEPT the others are asked each time. */
#define DEVICES_KEPT 32
static struct {
    pthread_mutex_t mu;
    size_t n;
    uint64_t dev[DEVICES_KEPT];
    bool durable[DEVICES_KEPT];
} devices = {.mu = PTHREAD_MUTEX_INITIALIZER};

static bool device_asked(uint64_t dev, bool *durable)
{
    bool found = false;
    pthread_mutex_lock(&devices.mu);
    for (size_t i = 0; i < devices.n && !found; i++)
        if (devices.dev[i] == dev) {
            *durable = devices.durable[i];
            found = true;
        }
    pthread_mutex_unlock(&devices.mu);
    return found;
}

static void device_answered(uint64_t dev, bool durable)
{
    pthread_mutex_lock(&devices.mu);
    if (devices.n < DEVICES_KEPT) {
        devices.dev[devices.n] = dev;
        devices.durable[devices.n++] = durable;
    }
    pthread_mutex_unlock(&devices.mu);
}

void fs_forget_devices(void)
{
    pthread_mutex_lock(&devices.mu);
    devices.n = 0;
    pthread_mutex_unlock(&devices.mu);
}

bool fs_dir_times_durable(const char *path)
{
    struct st_err err;
    const struct fs_ops *ops = backend_for(path, &err);
    if (!ops || !ops->dir_times || !ops->durable_dir_times)
        return false;
    bool durable;
    if (durable_asked(path, &durable))
        return durable;
    uint64_t dev;
    bool on = folder_device(path, &dev);
    if (!on || !device_asked(dev, &durable)) {
        durable = ops->durable_dir_times(path);
        if (on)
            device_answered(dev, durable);
    }
    durable_answered(path, durable);
    return durable;
}

bool dirstamp_holds(const struct dirstamp *st, const struct fs_entry *info, int64_t max_age_ms,
                    int64_t now_ms)
{
    return st->listed_ms > 0 && info->mtime_ms >= 0 && info->mtime_ms == st->mtime_ms &&
           st->mtime_ms < st->listed_ms - DIRSTAMP_RACY_MS && now_ms >= st->listed_ms &&
           now_ms - st->listed_ms < max_age_ms;
}

void dirstamp_set(struct dirstamp *st, const struct fs_entry *info, int64_t listed_ms)
{
    st->mtime_ms = info->mtime_ms;
    st->listed_ms = info->mtime_ms >= 0 ? listed_ms : 0;
}

bool fs_dir_times(const char *path)
{
    struct st_err err;
    const struct fs_ops *ops = backend_for(path, &err);
    return ops && ops->dir_times;
}

void fs_use_scope(const struct fs_scope *scope)
{
    for (size_t i = 0; i < cur.nreal; i++)
        free(cur.real[i]);
    free(cur.real);
    cur.real = NULL;
    cur.nreal = 0;
    cur.resolved = false;
    hashset_clear(&cur.dirs);
    hashset_clear(&cur.durable);
    hashset_clear(&cur.devices);
    if (!scope) {
        hashset_done(&cur.dirs);
        hashset_done(&cur.durable);
        hashset_done(&cur.devices);
    }
    cur.scope = scope;
    s3_use_profile(scope ? scope->profile : NULL);
    dbx_use_profile(scope ? scope->dbx_profile : NULL);
    azure_use_credentials(scope ? scope->azure_sas_token : NULL,
                          scope ? scope->azure_account_key : NULL);
}

const struct fs_scope *fs_current_scope(void)
{
    return cur.scope;
}

/* path lies at or below root (both absolute and free of links). */
static bool within(const char *path, const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (n == 1 && root[0] == '/')
        return true;
    return strncmp(path, root, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

bool fs_link_allowed(const char *path, const char *root)
{
    if (cur.scope && cur.scope->follow_links)
        return true;
    char *real = realpath(path, NULL);
    if (!real)
        return false;
    bool ok = false;
    if (cur.scope) {
        if (!cur.resolved) {
            cur.real = xcalloc(cur.scope->nroots + 1, sizeof *cur.real);
            for (size_t i = 0; i < cur.scope->nroots; i++)
                if (cur.scope->roots[i] && fs_local_ops.handles(cur.scope->roots[i]))
                    cur.real[cur.nreal++] = realpath(cur.scope->roots[i], NULL);
            cur.resolved = true;
        }
        for (size_t i = 0; i < cur.nreal && !ok; i++)
            ok = cur.real[i] && within(real, cur.real[i]);
    } else if (root) {
        char *rr = realpath(root, NULL);
        ok = rr && within(real, rr);
        free(rr);
    } else {
        ok = true;
    }
    free(real);
    return ok;
}

char *fs_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n && dir[n - 1] == '/')
        return xasprintf("%s%s", dir, name);
    return xasprintf("%s/%s", dir, name);
}

bool fs_hidden(const char *name)
{
    return name[0] == '.' || name[0] == '_';
}

static int collect_id(const struct fs_entry *e, void *ctx)
{
    struct fs_ids *ids = ctx;
    int64_t id;
    if (!e->is_dir && parse_batch_name(e->name, &id)) {
        xgrow((void **)&ids->v, &ids->cap, ids->n + 1, sizeof *ids->v);
        ids->v[ids->n++] = id;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int fs_list_ids(const char *dir, struct fs_ids *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    if (fs_list(dir, FS_NOSTAT, collect_id, out, err) < 0) {
        free(out->v);
        memset(out, 0, sizeof *out);
        return -1;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_i64);
    return 0;
}

/* The length of the longest configured local root that path starts with (as a folder), or 0. */
static size_t root_prefix(const char *path)
{
    size_t best = 0;
    for (size_t i = 0; i < cur.scope->nroots; i++) {
        const char *r = cur.scope->roots[i];
        if (!r || !fs_local_ops.handles(r))
            continue;
        size_t n = strlen(r);
        while (n > 1 && r[n - 1] == '/')
            n--;
        if (n > best && strncmp(path, r, n) == 0 && (path[n] == '\0' || path[n] == '/'))
            best = n;
    }
    return best;
}

/* Whether each component of p from offset at that ends before end and is a link resolves inside
 * the roots; folders (on the way, or p itself when it reaches its end) are remembered for the
 * scope, so later paths through them skip their lstat. p is modified and restored. */
static bool components_allowed(char *p, size_t at, size_t end)
{
    bool ok = true;
    size_t i = at;
    while (ok && i < end && p[i]) {
        while (p[i] == '/')
            i++;
        size_t e = i;
        while (p[e] && p[e] != '/')
            e++;
        if (e == i || e > end)
            break;
        char keep = p[e];
        p[e] = '\0';
        uint64_t h = hash64(p, e);
        if (!hashset_get(&cur.dirs, h, NULL)) {
            struct stat lst;
            bool exists = lstat(p, &lst) == 0;
            if (exists && S_ISLNK(lst.st_mode))
                ok = fs_link_allowed(p, NULL);
            if (exists && S_ISDIR(lst.st_mode))
                fs_folder_device(p, e, (uint64_t)lst.st_dev);
            /* a folder (on the way, or the path itself, which a pass often stats and then
             * lists): checked once per scope */
            if (ok && (keep || (exists && S_ISDIR(lst.st_mode))))
                hashset_put(&cur.dirs, h, 1);
        }
        p[e] = keep;
        i = e;
    }
    return ok;
}

/* Whether fs_path_allowed has anything to check for path; *at is then the length of its root. */
static bool checked_below_root(const char *path, size_t *at)
{
    *at = 0;
    if (!cur.scope || cur.scope->follow_links || !fs_local_ops.handles(path))
        return false;
    *at = root_prefix(path);
    return true;
}

/* Not plainly below a root (no root names it, or ".." or "." could lead out): resolved whole. */
static bool plainly_below(const char *path, size_t at)
{
    return at > 0 && !strstr(path + at, "/..") && !strstr(path + at, "/./");
}

/* Where path's last component begins; its length when it ends in '/', as a trailing slash
 * makes lstat and O_NOFOLLOW follow a link there: such a path is checked whole. */
static size_t last_component(const char *path)
{
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] == '/')
        return n;
    while (n > 0 && path[n - 1] != '/')
        n--;
    return n;
}

/* Whether the components of path (all, or all but its last) are allowed. */
static bool allowed_up_to(const char *path, bool whole)
{
    size_t at;
    if (!checked_below_root(path, &at))
        return true;
    if (!plainly_below(path, at))
        return fs_link_allowed(path, NULL);
    /* below a root by name: each component on the way that is a link must resolve inside */
    char *p = xstrdup(path);
    bool ok = components_allowed(p, at, whole ? strlen(p) : last_component(p));
    free(p);
    return ok;
}

bool fs_path_allowed(const char *path)
{
    return allowed_up_to(path, true);
}

bool fs_parent_allowed(const char *path)
{
    return allowed_up_to(path, false);
}

bool fs_path_allowed_lstat(const char *path, struct stat *lst, int *lerrno)
{
    *lerrno = 0;
    if (!fs_parent_allowed(path))
        return false;
    if (lstat(path, lst) != 0) {
        *lerrno = errno;
        return true;
    }
    if (S_ISLNK(lst->st_mode))
        return fs_path_allowed(path); /* the link itself: resolved as fs_path_allowed does */
    size_t at;
    size_t n = strlen(path);
    /* a folder checked here is one on the way of the paths below it, as in fs_path_allowed */
    if (S_ISDIR(lst->st_mode) && checked_below_root(path, &at) && plainly_below(path, at) &&
        last_component(path) < n && last_component(path) >= at)
        hashset_put(&cur.dirs, hash64(path, n), 1);
    return true;
}
