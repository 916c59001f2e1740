/* Databricks backend of fs: /Volumes/... (Unity Catalog volumes, the Files API) and /dbfs/...
 * (config's dbfs:/x, the DBFS API) through net/dbx.h, when a workspace is configured and the
 * path's top folder does not exist on this machine: on a Databricks driver, where /Volumes
 * and /dbfs are mounted, the same paths are read locally. Folders have no mtime here. */
#include <string.h>
#include <sys/stat.h>

#include "collectors/fs.h"
#include "net/dbx.h"

/* Whether top is a folder here; looked at once per process (-1: not yet). */
static bool mounted(const char *top, int *seen)
{
    if (*seen < 0) {
        struct stat st;
        *seen = stat(top, &st) == 0 && S_ISDIR(st.st_mode);
    }
    return *seen == 1;
}

static bool dbx_handles(const char *path)
{
    enum dbx_api api = dbx_api_of(path);
    if (api == DBX_NONE || !dbx_workspace())
        return false;
    static int volumes = -1, dbfs = -1;
    return api == DBX_FILES ? !mounted("/Volumes", &volumes) : !mounted("/dbfs", &dbfs);
}

struct relay {
    fs_visit_fn fn;
    void *ctx;
};

static int relay_entry(const struct dbx_entry *o, void *vctx)
{
    struct relay *r = vctx;
    struct fs_entry e = {
        .name = o->name, .size = o->size, .mtime_ms = o->mtime_ms, .is_dir = o->is_dir};
    return r->fn(&e, r->ctx);
}

static int dbxfs_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err)
{
    struct relay r = {fn, ctx};
    return dbx_list(path, (flags & FS_RECURSIVE) != 0, FS_MAX_LIST_ENTRIES, relay_entry, &r, err);
}

static int dbxfs_stat(const char *path, struct fs_entry *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    return dbx_stat(path, &out->size, &out->mtime_ms, &out->is_dir, err);
}

static int dbxfs_read(const char *path, int64_t offset, size_t cap, struct buf *out,
                      struct fs_entry *st, struct st_err *err)
{
    int64_t size, mtime;
    if (dbx_get(path, offset, cap, out, &size, &mtime, err) < 0)
        return -1;
    if (st) {
        memset(st, 0, sizeof *st);
        st->size = size;
        st->mtime_ms = mtime;
    }
    return 0;
}

const struct fs_ops fs_dbx_ops = {
    .name = "databricks",
    .handles = dbx_handles,
    .list = dbxfs_list,
    .stat = dbxfs_stat,
    .read = dbxfs_read,
    .dir_times = false,
};
