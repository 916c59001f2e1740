/* Local file system backend of fs. Never blocks on special files (FIFOs, devices) and survives
 * symlink loops: directories are tracked by (device, inode) while walking. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/fs.h"
#include "core/xalloc.h"

#define MAX_DEPTH 64

static bool local_handles(const char *path)
{
    return strstr(path, "://") == NULL;
}

static int64_t mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

static int errno_err(struct st_err *err, const char *path, int e)
{
    return st_err_set(err, e == ENOENT || e == ENOTDIR ? ST_ENOENT : ST_EIO, "%s: %s", path,
                      strerror(e));
}

struct dirid {
    dev_t dev;
    ino_t ino;
};

struct walk {
    int flags;
    fs_visit_fn fn;
    void *ctx;
    struct st_err *err;
    struct dirid *seen; /* directories on the current path (loop guard) */
    size_t nseen, capseen;
    size_t count;
    bool stopped;
};

static int walk_dir(struct walk *w, const char *abs, const char *rel, int depth)
{
    DIR *d = opendir(abs);
    if (!d)
        return errno_err(w->err, abs, errno);
    int rc = 0;
    struct dirent *de;
    while (!w->stopped && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (++w->count > FS_MAX_LIST_ENTRIES) {
            rc = st_err_set(w->err, ST_ETOOBIG, "%s: more than %d entries; listing stopped", abs,
                            FS_MAX_LIST_ENTRIES);
            break;
        }
        char *childrel = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
        struct fs_entry e = {.name = childrel, .size = -1, .mtime_ms = -1, .is_dir = false};
        if ((w->flags & FS_NOSTAT) && !(w->flags & FS_RECURSIVE) && de->d_type != DT_UNKNOWN &&
            de->d_type != DT_LNK) {
            e.is_dir = de->d_type == DT_DIR;
            if (w->fn(&e, w->ctx))
                w->stopped = true;
            free(childrel);
            continue;
        }
        char *childabs = fs_join(abs, de->d_name);
        struct stat st;
        if (stat(childabs, &st) != 0) {
            /* a dangling link or a file removed while listing: not an error of the listing */
            free(childabs);
            free(childrel);
            continue;
        }
        e.is_dir = S_ISDIR(st.st_mode);
        if (!(w->flags & FS_NOSTAT)) {
            e.size = (int64_t)st.st_size;
            e.mtime_ms = mtime_ms(&st);
        }
        if (e.is_dir && (w->flags & FS_RECURSIVE)) {
            bool loop = false;
            for (size_t i = 0; i < w->nseen; i++)
                if (w->seen[i].dev == st.st_dev && w->seen[i].ino == st.st_ino)
                    loop = true;
            if (!loop && depth < MAX_DEPTH) {
                xgrow((void **)&w->seen, &w->capseen, w->nseen + 1, sizeof *w->seen);
                w->seen[w->nseen++] = (struct dirid){st.st_dev, st.st_ino};
                rc = walk_dir(w, childabs, childrel, depth + 1);
                w->nseen--;
            }
        } else if (!e.is_dir || !(w->flags & FS_RECURSIVE)) {
            if (S_ISREG(st.st_mode) || e.is_dir) {
                if (w->fn(&e, w->ctx))
                    w->stopped = true;
            }
        }
        free(childabs);
        free(childrel);
        if (rc < 0)
            break;
    }
    closedir(d);
    return rc;
}

static int local_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno_err(err, path, errno);
    if (!S_ISDIR(st.st_mode))
        return st_err_set(err, ST_EFORMAT, "%s: not a directory", path);
    struct walk w = {.flags = flags, .fn = fn, .ctx = ctx, .err = err};
    xgrow((void **)&w.seen, &w.capseen, 1, sizeof *w.seen);
    w.seen[w.nseen++] = (struct dirid){st.st_dev, st.st_ino};
    int rc = walk_dir(&w, path, "", 0);
    free(w.seen);
    return rc;
}

static int local_stat(const char *path, struct fs_entry *out, struct st_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return errno_err(err, path, errno);
    out->name = NULL;
    out->size = (int64_t)st.st_size;
    out->mtime_ms = mtime_ms(&st);
    out->is_dir = S_ISDIR(st.st_mode);
    return 0;
}

static int local_read(const char *path, int64_t offset, size_t cap, struct buf *out,
                      struct fs_entry *info, struct st_err *err)
{
    buf_reset(out);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return errno_err(err, path, errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return errno_err(err, path, e);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return st_err_set(err, ST_EFORMAT, "%s: is a directory, expected a file", path);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return st_err_set(err, ST_EFORMAT, "%s: not a regular file", path);
    }
    if (info) {
        info->name = NULL;
        info->size = (int64_t)st.st_size;
        info->mtime_ms = mtime_ms(&st);
        info->is_dir = false;
    }
    if (offset > 0 && lseek(fd, (off_t)offset, SEEK_SET) < 0) {
        int e = errno;
        close(fd);
        return errno_err(err, path, e);
    }
    char chunk[65536];
    while (out->len < cap) {
        size_t want = cap - out->len < sizeof chunk ? cap - out->len : sizeof chunk;
        ssize_t n = read(fd, chunk, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return errno_err(err, path, e);
        }
        if (n == 0)
            break;
        buf_append(out, chunk, (size_t)n);
    }
    close(fd);
    if (!out->data)
        buf_append(out, "", 0);
    return 0;
}

const struct fs_ops fs_local_ops = {
    .name = "local",
    .handles = local_handles,
    .list = local_list,
    .stat = local_stat,
    .read = local_read,
    .dir_times = true,
};
