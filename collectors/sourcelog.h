/* sourcelog: the set of files a file-source query has processed, from its log sources/<i>/ (the
 * newest N.compact plus the deltas after it). Files are streamed in fixed chunks; the set holds
 * path hashes and ingestion timestamps only. Later updates read only new delta files, and when
 * a new .compact appears right after what was folded, only its tail. */
#ifndef STREAMTOP_SOURCELOG_H
#define STREAMTOP_SOURCELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/fs.h"
#include "core/err.h"
#include "core/hashset.h"
#include "core/strvec.h"

#define SOURCELOG_CHUNK    (1024u * 1024)
#define SOURCELOG_MAX_LINE (256u * 1024)

struct sourcelog {
    struct hashset seen;   /* canonical path hash -> "timestamp" (ms) recorded at ingestion */
    int64_t folded_upto;   /* highest log batch folded into seen, -1 for none */
    int64_t compact_id;    /* the .compact seen was built from, -1 for none */
    int64_t interval;      /* compaction interval derived from the file names, 0 unknown */
    struct dirstamp stamp; /* the folder as last listed whole and folded without error */
    uint64_t bytes_read;   /* by the last update */
    uint64_t bad_lines;    /* lines skipped as garbage by the last update */
};

void sourcelog_init(struct sourcelog *sl);
void sourcelog_done(struct sourcelog *sl);
/* Bring sl up to date with the log folder dir. Garbage lines are skipped with a warning naming
 * file and line. A file listed but gone when read, or a listing that skips a batch (the query
 * compacting and cleaning its log meanwhile), lists and reads once more. With reuse_max_ms > 0
 * (the caller knows dir's folder times are durable, fs_dir_times_durable), the folder is
 * stat'ed first and not listed when sl->stamp holds for it (dirstamp_holds, at most
 * reuse_max_ms old): Spark writes each log file once (a compaction writes a new N.compact), so
 * a folder whose mtime did not move holds nothing new. Returns 0, or -1 with err when the
 * folder cannot be listed or a file read (ST_ENOENT: gone on both tries). */
int sourcelog_update(struct sourcelog *sl, const char *dir, int64_t reuse_max_ms,
                     struct strvec *warnings, struct st_err *err);
/* Fold the text of one log file into sl->seen as sourcelog_update does for each file it reads
 * (a "v1" line, then one JSON entry per line; no trailing newline needed). only_batch >= 0
 * keeps only that batch's entries and expects no "v1" line (the tail of a .compact). Lines
 * that are not entries, or longer than SOURCELOG_MAX_LINE, are skipped. Pure: no I/O, does not
 * touch folded_upto or compact_id. Returns the number of lines skipped. */
uint64_t sourcelog_fold_text(struct sourcelog *sl, const char *text, size_t len,
                             int64_t only_batch);
/* Hash of a path in canonical form: "file:///a//b" and "/a/b" hash alike, so do "s3a://b/k" and
 * "s3://b/k", "dbfs:/x" and "/dbfs/x", and "dbfs:/Volumes/x" and "/Volumes/x". With is_uri,
 * %XX escapes are decoded first (log entries are URIs; listed names are not). */
uint64_t sourcelog_path_hash(const char *path, size_t n, bool is_uri);

#endif
