#include "export/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xalloc.h"

const struct exporter *const exporter_table[] = {&export_json, &export_csv, &export_prom, NULL};

const struct exporter *exporter_find(const char *name)
{
    if (strcmp(name, "prometheus") == 0)
        name = "prom";
    for (size_t i = 0; exporter_table[i]; i++)
        if (strcmp(exporter_table[i]->name, name) == 0)
            return exporter_table[i];
    return NULL;
}

/* Write all of data to path, opened for writing without creating or replacing it. */
static int write_in_place(const char *path, const char *data, size_t len, struct st_err *err)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return st_err_set(err, ST_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            return st_err_set(err, ST_EIO, "%s: write failed: %s", path, strerror(e));
        }
        off += (size_t)n;
    }
    if (close(fd) != 0)
        return st_err_set(err, ST_EIO, "%s: close failed: %s", path, strerror(errno));
    return 0;
}

int export_write_atomic(const char *path, const char *data, size_t len, struct st_err *err)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
    const char *base = slash ? slash + 1 : path;
    if (!*base) {
        free(dir);
        return st_err_set(err, ST_EFAIL, "%s: names a folder, not a file", path);
    }
    free(dir);
    /* not a regular file (/dev/null, /dev/stdout, a pipe): written in place, never replaced */
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode))
            return st_err_set(err, ST_EFAIL, "%s: names a folder, not a file", path);
        return write_in_place(path, data, len, err);
    }
    dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup("");
    char *tmp = xasprintf("%s.%s.XXXXXX", dir, base);
    free(dir);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return st_err_set(err, ST_EIO, "%s: cannot create a temporary file beside it: %s", path,
                          strerror(e));
    }
    /* mkstemp makes 0600; an export is meant to be read by others (node_exporter, jq users) */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    size_t off = 0;
    int rc = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = st_err_set(err, ST_EIO, "%s: write failed: %s", tmp, strerror(errno));
            break;
        }
        off += (size_t)n;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = st_err_set(err, ST_EIO, "%s: fsync failed: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = st_err_set(err, ST_EIO, "%s: close failed: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = st_err_set(err, ST_EIO, "%s: rename failed: %s", path, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}
