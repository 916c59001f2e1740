/* S3 backend of fs: s3://bucket/prefix paths (and Cloud Storage's gs://bucket/prefix, whose
 * XML API speaks the same) through net/s3.h. S3 has no directories, only
 * key prefixes: a "directory" exists when objects sit below it, has no mtime, and an empty one
 * lists as empty. */
#include <string.h>

#include "collectors/fs.h"
#include "net/s3.h"

static bool s3_handles(const char *path)
{
    return strncmp(path, "s3://", 5) == 0 || strncmp(path, "gs://", 5) == 0;
}

struct relay {
    fs_visit_fn fn;
    void *ctx;
};

static int relay_entry(const struct s3_object *o, void *vctx)
{
    struct relay *r = vctx;
    struct fs_entry e = {
        .name = o->name, .size = o->size, .mtime_ms = o->mtime_ms, .is_dir = o->is_prefix};
    return r->fn(&e, r->ctx);
}

static int s3fs_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err)
{
    struct relay r = {fn, ctx};
    return s3_list(path, (flags & FS_RECURSIVE) != 0, FS_MAX_LIST_ENTRIES, relay_entry, &r, err);
}

static int s3fs_list_after(const char *path, const char *after, fs_visit_fn fn, void *ctx,
                           struct st_err *err)
{
    struct relay r = {fn, ctx};
    return s3_list_after(path, after, FS_MAX_LIST_ENTRIES, relay_entry, &r, err);
}

static int s3fs_stat(const char *path, struct fs_entry *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    return s3_stat(path, &out->size, &out->mtime_ms, &out->is_dir, err);
}

static int s3fs_read(const char *path, int64_t offset, size_t cap, struct buf *out,
                     struct fs_entry *st, struct st_err *err)
{
    int64_t size, mtime;
    if (s3_get(path, offset, cap, out, &size, &mtime, err) < 0)
        return -1;
    if (st) {
        memset(st, 0, sizeof *st);
        st->size = size;
        st->mtime_ms = mtime;
    }
    return 0;
}

const struct fs_ops fs_s3_ops = {
    .name = "s3",
    .handles = s3_handles,
    .list = s3fs_list,
    .list_after = s3fs_list_after,
    .stat = s3fs_stat,
    .read = s3fs_read,
    .dir_times = false,
};
