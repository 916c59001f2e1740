/* Local file system backend of fs. Never blocks on special files (FIFOs, devices), lists every
 * folder of a walk once whatever its links (folders are tracked by device and inode), and does
 * not leave the configured paths through links (fs_link_allowed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "collectors/fs.h"
#include "core/hashset.h"
#include "core/log.h"
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

/* The identity of a file or folder: device and inode, hashed (never 0). */
static uint64_t file_id(const struct stat *st)
{
    uint64_t v[2] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino};
    return hash64(v, sizeof v);
}

struct walk {
    const char *root; /* the listed path: the root of links when no scope is set */
    int flags;
    fs_visit_fn fn;
    void *ctx;
    struct st_err *err;
    struct hashset seen; /* folders already walked (by file_id): links cannot loop or repeat */
    size_t count;
    bool stopped;
};

/* Whether the entry childabs, whose dirent type is d_type, may be reported: anything but a link
 * that resolves outside the roots (fs_link_allowed). */
static bool entry_allowed(const struct walk *w, const char *childabs, unsigned char d_type)
{
    struct stat lst;
    if (d_type != DT_LNK && d_type != DT_UNKNOWN)
        return true;
    if (lstat(childabs, &lst) != 0 || !S_ISLNK(lst.st_mode))
        return true;
    if (fs_link_allowed(childabs, w->root))
        return true;
    log_debug("fs: %s: a link out of the configured paths; not followed", childabs);
    return false;
}

static int walk_dir(struct walk *w, const char *abs, const char *rel, int depth)
{
    DIR *d = opendir(abs);
    if (!d && depth > 0 && (errno == ENOENT || errno == ENOTDIR))
        return 0; /* a folder below the listed one, removed since its parent listed it */
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
        /* by name inside the open folder: the kernel resolves one component, not the path */
        if (!entry_allowed(w, childabs, de->d_type) || fstatat(dirfd(d), de->d_name, &st, 0) != 0) {
            /* a link out of the roots, a dangling link, or a file removed while listing: not an
             * error of the listing */
            free(childabs);
            free(childrel);
            continue;
        }
        e.is_dir = S_ISDIR(st.st_mode);
        e.id = file_id(&st);
        if (!(w->flags & FS_NOSTAT)) {
            e.size = (int64_t)st.st_size;
            e.mtime_ms = mtime_ms(&st);
        }
        if (e.is_dir && (w->flags & FS_RECURSIVE)) {
            if (!hashset_get(&w->seen, e.id, NULL) && depth < MAX_DEPTH) {
                hashset_put(&w->seen, e.id, 1);
                rc = walk_dir(w, childabs, childrel, depth + 1);
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

/* A path named by configuration or built from it is refused when it is a link out of the
 * roots (a checkpoint's offsets/ linked to /etc). */
static int check_link(const char *path, struct st_err *err)
{
    struct stat lst, st;
    if (lstat(path, &lst) != 0 || !S_ISLNK(lst.st_mode))
        return 0;
    if (stat(path, &st) != 0) /* a loop or a dangling link: say which */
        return errno_err(err, path, errno);
    if (!fs_link_allowed(path, NULL))
        return st_err_set(err, ST_EFORMAT,
                          "%s: a link out of the configured paths; not followed "
                          "(follow_links = yes allows it)",
                          path);
    return 0;
}

/* The refusal of a path fs_path_allowed refused: the path itself is the link out (or dangles),
 * or a link on its way leads out. */
static int refuse_path(const char *path, struct st_err *err)
{
    if (check_link(path, err) < 0) /* the path itself is the link: say so, or why it dangles */
        return -1;
    return st_err_set(err, ST_EFORMAT,
                      "%s: reached through a link out of the configured paths; not followed "
                      "(follow_links = yes allows it)",
                      path);
}

/* A path may be used and *st is its stat(): it is no link out of the roots itself (check_link)
 * and no link on its way leads out of them (a checkpoint's sources/ linked to ~/.ssh). The
 * lstat() that checks the path itself is its stat when it is no link: one call, not two. */
static int stat_path(const char *path, struct stat *st, struct st_err *err)
{
    const struct fs_scope *scope = fs_current_scope();
    if (!scope || scope->follow_links) { /* nothing to keep inside */
        if (stat(path, st) != 0)
            return errno_err(err, path, errno);
        if (S_ISDIR(st->st_mode))
            fs_folder_device(path, strlen(path), (uint64_t)st->st_dev);
        return 0;
    }
    int lerrno;
    if (!fs_path_allowed_lstat(path, st, &lerrno))
        return refuse_path(path, err);
    if (lerrno)
        return errno_err(err, path, lerrno);
    if (S_ISLNK(st->st_mode) && stat(path, st) != 0)
        return errno_err(err, path, errno);
    if (S_ISDIR(st->st_mode)) /* fs_dir_times_durable then needs no statfs for it */
        fs_folder_device(path, strlen(path), (uint64_t)st->st_dev);
    return 0;
}

static int local_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err)
{
    struct stat st;
    if (stat_path(path, &st, err) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return st_err_set(err, ST_EFORMAT, "%s: not a directory", path);
    struct walk w = {.root = path, .flags = flags, .fn = fn, .ctx = ctx, .err = err};
    hashset_init(&w.seen);
    hashset_put(&w.seen, file_id(&st), 1);
    int rc = walk_dir(&w, path, "", 0);
    hashset_done(&w.seen);
    return rc;
}

static int local_stat(const char *path, struct fs_entry *out, struct st_err *err)
{
    struct stat st;
    if (stat_path(path, &st, err) < 0)
        return -1;
    out->name = NULL;
    out->size = (int64_t)st.st_size;
    out->mtime_ms = mtime_ms(&st);
    out->is_dir = S_ISDIR(st.st_mode);
    out->id = file_id(&st);
    return 0;
}

static int local_read(const char *path, int64_t offset, size_t cap, struct buf *out,
                      struct fs_entry *info, struct st_err *err)
{
    buf_reset(out);
    /* the folders on the way may hold no link out (the file itself is opened with O_NOFOLLOW
     * below); reads of a link without a scope still go through check_link */
    const struct fs_scope *scope = fs_current_scope();
    if (scope && !scope->follow_links && !fs_parent_allowed(path))
        return refuse_path(path, err);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOFOLLOW: a link is opened only
     * once its target is known to lie inside the roots (a dead letter linked to ~/.ssh/id_rsa
     * must not become a sample). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ELOOP) {
        if (check_link(path, err) < 0)
            return -1;
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    }
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

/* File systems whose folder mtimes move with every entry made, removed or renamed, at once and
 * for every process (statfs f_type, linux/magic.h); a network or FUSE mount's may lag behind
 * (attribute caches) or never move. */
static bool local_durable_dir_times(const char *path)
{
    static const unsigned long disk[] = {
        0xEF53UL,     /* ext2, ext3, ext4 */
        0x58465342UL, /* xfs */
        0x9123683EUL, /* btrfs */
        0x2FC12FC1UL, /* zfs */
        0xF2F52010UL, /* f2fs */
        0x01021994UL, /* tmpfs */
        0x858458F6UL, /* ramfs */
        0x794C7630UL, /* overlayfs */
        0xCA451A4EUL, /* bcachefs */
        0x3153464AUL, /* jfs */
    };
    struct statfs sf;
    if (statfs(path, &sf) != 0) {
        log_debug("statfs %s: %s", path, strerror(errno));
        return false;
    }
    bool durable = false;
    for (size_t i = 0; i < sizeof disk / sizeof *disk && !durable; i++)
        durable = (unsigned long)sf.f_type == disk[i];
    log_debug("statfs %s: file system 0x%lX, folder times %s", path, (unsigned long)sf.f_type,
              durable ? "durable" : "not durable");
    return durable;
}

const struct fs_ops fs_local_ops = {
    .name = "local",
    .handles = local_handles,
    .list = local_list,
    .stat = local_stat,
    .read = local_read,
    .dir_times = true,
    .durable_dir_times = local_durable_dir_times,
};
