/* fs: one interface over storage (local paths, s3:// and gs://, Azure abfss:// and wasbs://). Every
 * collector reads through it; every read has a byte cap. Paths are already normalised by config
 * ("file:///x" is "/x"). */
#ifndef STREAMTOP_FS_H
#define STREAMTOP_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct fs_entry {
    const char *name; /* (borrowed, valid during the callback) relative to the listed path */
    int64_t size;     /* bytes; -1 when not known (FS_NOSTAT) */
    int64_t mtime_ms; /* -1 when not known */
    bool is_dir;
    uint64_t id; /* identity of the file or folder it resolves to (local: device and inode),
                  * 0 when not known: a walk lists a folder reached twice only once */
};

enum fs_flags {
    FS_RECURSIVE = 1, /* descend; report files only, names relative ("a/b/c") */
    FS_NOSTAT = 2,    /* names only (cheaper); size and mtime are -1 */
};

/* Called once per entry; return 0 to go on, non-zero to stop the listing early. */
typedef int (*fs_visit_fn)(const struct fs_entry *e, void *ctx);

struct fs_ops {
    const char *name;                  /* "local", "s3", "azure" */
    bool (*handles)(const char *path); /* does this backend serve the path? */
    int (*list)(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err);
    /* recursive listing of the names sorting after `after` (object stores), or NULL */
    int (*list_after)(const char *path, const char *after, fs_visit_fn fn, void *ctx,
                      struct st_err *err);
    int (*stat)(const char *path, struct fs_entry *out, struct st_err *err);
    int (*read)(const char *path, int64_t offset, size_t cap, struct buf *out, struct fs_entry *st,
                struct st_err *err);
    bool dir_times; /* directories have an mtime that moves when entries change */
    /* whether path's folder times can be trusted by a later process too (a disk file system,
     * not a network or FUSE mount); NULL: never */
    bool (*durable_dir_times)(const char *path);
};

/* The most entries one listing may report before it stops with an error (bounded memory). */
#define FS_MAX_LIST_ENTRIES 5000000

/* List path; entries come in no particular order. A missing path fails with ST_ENOENT.
 * Returns 0, or -1 with err naming the path. */
int fs_list(const char *path, int flags, fs_visit_fn fn, void *ctx, struct st_err *err);
/* Whether path's backend lists in key order from a given name (fs_list_after): S3 and GCS. */
bool fs_lists_after(const char *path);
/* A recursive listing of path of the files whose relative names sort (bytewise) after `after`
 * ("" for all), in one chain of requests: what arrived in a folder whose names sort by time.
 * ST_EFAIL where the backend cannot (see fs_lists_after). Returns 0, or -1 with err. */
int fs_list_after(const char *path, const char *after, fs_visit_fn fn, void *ctx,
                  struct st_err *err);
/* Size, mtime and type of one path (name is NULL). ST_ENOENT when missing. */
int fs_stat(const char *path, struct fs_entry *out, struct st_err *err);
/* Read a whole file into out (replacing its contents). Fails with ST_ETOOBIG if the file holds
 * more than cap bytes. If st is non-NULL it gets the file's size and mtime. */
int fs_read(const char *path, size_t cap, struct buf *out, struct fs_entry *st, struct st_err *err);
/* Read at most len bytes starting at offset (for tails of large files). Reading at or past the
 * end gives an empty buffer. */
int fs_read_range(const char *path, int64_t offset, size_t len, struct buf *out,
                  struct fs_entry *st, struct st_err *err);
/* Sorted ids of the files in dir whose names are batch numbers ("0", "135"; not ".0.crc" or
 * "9.compact"). */
struct fs_ids {
    int64_t *v; /* (owned) ascending; free with free() */
    size_t n, cap;
};
/* List dir's batch-numbered files into out (names only). ST_ENOENT when dir is missing. */
int fs_list_ids(const char *dir, struct fs_ids *out, struct st_err *err);

/* Whether path's backend keeps directory mtimes (local yes, S3 no): a caller that caches
 * listings by directory mtime must list everything again where it does not. */
bool fs_dir_times(const char *path);
/* Whether path's folder times may be trusted by a later process: local file systems on a disk
 * or in memory (ext2/3/4, xfs, btrfs, zfs, f2fs, tmpfs, overlay) yes; network and FUSE mounts
 * (NFS, SMB, /dbfs, gcsfuse), whose times may lag or never move, and object stores no. One
 * statfs for a local path, or none when a stat in this scope found path to be a folder on a
 * device already asked in this pass (fs_folder_device): ask after stat'ing the folder. */
bool fs_dir_times_durable(const char *path);
/* The local backend's note that path (len bytes) is a folder on device dev, as a stat in the
 * current scope found it. */
void fs_folder_device(const char *path, size_t len, uint64_t dev);
/* A new pass: the answers fs_dir_times_durable keeps by device are asked again (a device
 * number may name another mount later). */
void fs_forget_devices(void);

/* A listing of a folder as a cursor keeps it, so that a later pass, in this process or the next
 * (cron), reuses what the listing found instead of listing again. */
struct dirstamp {
    int64_t mtime_ms;  /* the folder's mtime when listed */
    int64_t listed_ms; /* wall clock of the listing; 0 for none */
};
/* A folder written to this close before its listing may change again within the same timestamp
 * tick without its mtime moving (git's "racy" rule): such a listing is never reused. */
#define DIRSTAMP_RACY_MS 2000
/* Whether the listing stamped *st still holds for a folder whose stat is now *info: the folder's
 * mtime is the one listed, the listing is not racy, and it is at most max_age_ms old (a listing
 * is taken again at least that often, to catch what a folder time missed). The caller knows that
 * the folder's times are durable (fs_dir_times_durable). */
bool dirstamp_holds(const struct dirstamp *st, const struct fs_entry *info, int64_t max_age_ms,
                    int64_t now_ms);
/* Stamp a listing of a folder whose stat, taken before the listing began, is *info. */
void dirstamp_set(struct dirstamp *st, const struct fs_entry *info, int64_t listed_ms);

/* What the following calls on this thread may reach: one stream's configured paths. A link
 * (local storage) is followed only when it resolves inside one of the roots, unless
 * follow_links: listings skip the others, and reads and listings of such a path fail. Without
 * a scope, a listing's own path is its root and reads follow links. */
struct fs_scope {
    const char *const *roots; /* (borrowed) configured paths; s3:// ones are ignored here */
    size_t nroots;
    bool follow_links;
    const char *profile;           /* AWS profile for s3:// paths, or NULL for the default */
    const char *dbx_profile;       /* Databricks profile for /Volumes and /dbfs paths, or NULL */
    const char *azure_sas_token;   /* this stream's Azure credentials (borrowed), or NULL */
    const char *azure_account_key; /* for the settings' and the environment's */
};
/* Use scope (borrowed until the next call) for the following calls; NULL for none. */
void fs_use_scope(const struct fs_scope *scope);
/* The scope in use on this thread, or NULL. */
const struct fs_scope *fs_current_scope(void);
/* Whether a local path may be reached under the current scope: every link on its way (at or
 * below the root it names) resolves inside the roots; a path not plainly below a root is
 * resolved whole. True without a scope, with follow_links, and for non-local paths. */
bool fs_path_allowed(const char *path);
/* fs_path_allowed for every component of path but its last, for a caller that opens that one
 * with O_NOFOLLOW and checks it when it is a link. A path not plainly below a root, or ending
 * in '/', is checked whole (fs_path_allowed). */
bool fs_parent_allowed(const char *path);
/* fs_path_allowed, with the lstat() of path made on the way handed to a caller that would stat
 * it next: *lerrno is 0 and *lst filled, or *lerrno is lstat's errno (the one stat would give:
 * both resolve every component but the last alike). When *lst is a link, stat it to follow.
 * Without a scope or with follow_links: the lstat only, and true. */
struct stat;
bool fs_path_allowed_lstat(const char *path, struct stat *lst, int *lerrno);
/* Whether path, a local link (or a path through one), may be followed under the current scope
 * (or, without one, inside root when root is non-NULL): its target, links resolved, lies inside
 * a root. False for a dangling link. */
bool fs_link_allowed(const char *path, const char *root);

/* Called after each listing that succeeded (fs_list, fs_list_ids), before the caller goes on
 * with its entries; path is the listed path. For tests: it changes the tree between a listing
 * and the reads that follow, as a writer racing a pass does. */
typedef void (*fs_listed_fn)(const char *path, void *ctx);
/* Set the hook (NULL removes it); not for use while passes run on other threads. */
void fs_set_listed_hook(fs_listed_fn fn, void *ctx);

/* dir + "/" + name, without doubling the slash. Caller frees. */
char *fs_join(const char *dir, const char *name);
/* True for names Spark and Hadoop treat as hidden: starting with '.' or '_'. */
bool fs_hidden(const char *name);

#endif

/* Backends (one file each), listed in fs.c. */
extern const struct fs_ops fs_local_ops;
extern const struct fs_ops fs_s3_ops;
extern const struct fs_ops fs_dbx_ops;
extern const struct fs_ops fs_azure_ops;
