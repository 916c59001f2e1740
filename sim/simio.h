/* simio: file helpers of the simulator: Spark-style atomic writes (".name.<uuid>.tmp" renamed
 * into place) with a chosen mtime, Hadoop's ".name.crc" checksum sidecars, recursive mkdir, and
 * a seeded random source for uuids. */
#ifndef STREAMTOP_SIMIO_H
#define STREAMTOP_SIMIO_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct sim_rng {
    uint64_t s;
};

uint64_t sim_rand(struct sim_rng *r);
/* Uniform double in [0, 1). */
double sim_unit(struct sim_rng *r);
/* A version-4 style uuid into out[37]. */
void sim_uuid(struct sim_rng *r, char out[37]);
/* mkdir -p. 0 or -1 with err. */
int sim_mkdirs(const char *path, struct st_err *err);
/* Write data to path through a hidden temp file and rename, then set the mtime. */
int sim_write(const char *path, const char *data, size_t len, int64_t mtime_ms, struct sim_rng *r,
              struct st_err *err);
/* As sim_write, then the sidecar Hadoop's local file system (ChecksumFileSystem) writes beside
 * every file Spark and Delta write there: ".name.crc" = "crc\0", the bytes per checksum (512,
 * big-endian), then the CRC-32 of each 512-byte chunk (big-endian). */
int sim_write_spark(const char *path, const char *data, size_t len, int64_t mtime_ms,
                    struct sim_rng *r, struct st_err *err);
/* Remove path and its ".name.crc" sidecar (missing files are fine). */
void sim_unlink_spark(const char *path);
/* Append a line to path (creating it) and set the mtime; for JSON-lines files. */
int sim_append(const char *path, const char *line, int64_t mtime_ms, struct st_err *err);
/* Format ms as "20260722T101153" (the badRecordsPath folder name) into out[20]. */
void sim_compact_time(int64_t ms, char out[20]);

#endif
