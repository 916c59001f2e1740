/* Azure backend of fs: abfss://, abfs://, wasbs:// and wasb:// paths through net/azure.h.
 * Like S3, Blob storage has no directories (ADLS Gen2 folders are skipped by the listing): a
 * "directory" exists when blobs sit below it, has no mtime, and an empty one lists as empty. */
#include <string.h>

#include "collectors/fs.h"
#include "net/azure.h"

struct relay {
    fs_visit_fn fn;
    void *ctx;
};

static int relay_entry(const struct azure_blob *b, void *vctx)
{
    struct relay *r = vctx;
    struct fs_entry e = {
        .name = b->name, .size = b->size, .mtime_ms = b->mtime_ms, .is_dir = b->is_prefix};
    return r->fn(&e, r->ctx);
}

static int azfs_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err)
{
    struct relay r = {fn, ctx};
    return azure_list(path, (flags & FS_RECURSIVE) != 0, FS_MAX_LIST_ENTRIES, relay_entry, &r, err);
}

static int azfs_stat(const char *path, struct fs_entry *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    return azure_stat(path, &out->size, &out->mtime_ms, &out->is_dir, err);
}

static int azfs_read(const char *path, int64_t offset, size_t cap, struct buf *out,
                     struct fs_entry *st, struct st_err *err)
{
    int64_t size, mtime;
    if (azure_get(path, offset, cap, out, &size, &mtime, err) < 0)
        return -1;
    if (st) {
        memset(st, 0, sizeof *st);
        st->size = size;
        st->mtime_ms = mtime;
    }
    return 0;
}

const struct fs_ops fs_azure_ops = {
    .name = "azure",
    .handles = azure_handles,
    .list = azfs_list,
    .stat = azfs_stat,
    .read = azfs_read,
    .dir_times = false,
};
