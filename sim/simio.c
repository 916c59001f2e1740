#include "sim/simio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/xalloc.h"

uint64_t sim_rand(struct sim_rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double sim_unit(struct sim_rng *r)
{
    return (double)(sim_rand(r) >> 11) / 9007199254740992.0;
}

void sim_uuid(struct sim_rng *r, char out[37])
{
    uint64_t a = sim_rand(r), b = sim_rand(r);
    snprintf(out, 37, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)((a >> 16) & 0xFFFF), (unsigned)(a & 0xFFF),
             (unsigned)(0x8000 | ((b >> 48) & 0x3FFF)),
             (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

int sim_mkdirs(const char *path, struct st_err *err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            st_err_set(err, ST_EIO, "%s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = 0;
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        rc = st_err_set(err, ST_EIO, "%s: %s", p, strerror(errno));
    free(p);
    return rc;
}

static int set_mtime(const char *path, int64_t mtime_ms, struct st_err *err)
{
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = (time_t)(mtime_ms / 1000);
    ts[0].tv_nsec = ts[1].tv_nsec = (long)(mtime_ms % 1000) * 1000000L;
    if (utimensat(AT_FDCWD, path, ts, 0) != 0)
        return st_err_set(err, ST_EIO, "%s: cannot set mtime: %s", path, strerror(errno));
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int sim_write(const char *path, const char *data, size_t len, int64_t mtime_ms, struct sim_rng *r,
              struct st_err *err)
{
    const char *slash = strrchr(path, '/');
    char uuid[37];
    sim_uuid(r, uuid);
    char *tmp = slash ? xasprintf("%.*s/.%s.%s.tmp", (int)(slash - path), path, slash + 1, uuid)
                      : xasprintf(".%s.%s.tmp", path, uuid);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        st_err_set(err, ST_EIO, "%s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    int rc = 0;
    if (write_all(fd, data, len) != 0)
        rc = st_err_set(err, ST_EIO, "%s: write failed: %s", tmp, strerror(errno));
    close(fd);
    if (rc == 0)
        rc = set_mtime(tmp, mtime_ms, err);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = st_err_set(err, ST_EIO, "%s: %s", path, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    free(tmp);
    return rc;
}

static uint32_t crc32_chunk(const unsigned char *p, size_t n)
{
    /* CRC-32 (IEEE 802.3, reflected 0xEDB88320), the checksum Hadoop's local file system uses */
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

static char *sidecar_path(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? xasprintf("%.*s/.%s.crc", (int)(slash - path), path, slash + 1)
                 : xasprintf(".%s.crc", path);
}

static void put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

int sim_write_spark(const char *path, const char *data, size_t len, int64_t mtime_ms,
                    struct sim_rng *r, struct st_err *err)
{
    enum { CHUNK = 512 };
    size_t chunks = (len + CHUNK - 1) / CHUNK;
    unsigned char *crc = xmalloc(8 + 4 * chunks);
    memcpy(crc, "crc", 4);
    put_be32(crc + 4, CHUNK);
    for (size_t i = 0; i < chunks; i++) {
        size_t n = len - i * CHUNK < CHUNK ? len - i * CHUNK : CHUNK;
        put_be32(crc + 8 + 4 * i, crc32_chunk((const unsigned char *)data + i * CHUNK, n));
    }
    char *side = sidecar_path(path);
    /* Hadoop writes the sidecar beside the temp file and renames both: it is in place first */
    int rc = sim_write(side, (const char *)crc, 8 + 4 * chunks, mtime_ms, r, err);
    if (rc == 0)
        rc = sim_write(path, data, len, mtime_ms, r, err);
    free(side);
    free(crc);
    return rc;
}

void sim_unlink_spark(const char *path)
{
    char *side = sidecar_path(path);
    unlink(path);
    unlink(side);
    free(side);
}

int sim_append(const char *path, const char *line, int64_t mtime_ms, struct st_err *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return st_err_set(err, ST_EIO, "%s: %s", path, strerror(errno));
    int rc = 0;
    if (write_all(fd, line, strlen(line)) != 0 || write_all(fd, "\n", 1) != 0)
        rc = st_err_set(err, ST_EIO, "%s: write failed: %s", path, strerror(errno));
    close(fd);
    return rc == 0 ? set_mtime(path, mtime_ms, err) : rc;
}

void sim_compact_time(int64_t ms, char out[20])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y%m%dT%H%M%S", &tm);
}
