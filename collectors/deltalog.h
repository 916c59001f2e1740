/* deltalog: what the Delta sink collector (deltalog_collector in collector.h) takes from one
 * _delta_log commit and from _last_checkpoint, as pure functions over bytes (no I/O). Error
 * messages do not name the file; the caller prefixes it. */
#ifndef STREAMTOP_DELTALOG_H
#define STREAMTOP_DELTALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* What one commit says. Numbers beyond int64 (1e300) count as absent. */
struct delta_commit {
    int64_t version;
    int64_t ts_ms;       /* commitInfo.inCommitTimestamp, else .timestamp; -1 when neither */
    bool ict;            /* ts_ms is the inCommitTimestamp */
    bool streaming_mine; /* a commitInfo "STREAMING UPDATE" of the query */
    int64_t epoch;       /* its epochId, -1 when absent */
    double rows, added;  /* its numOutputRows, numAddedFiles; NaN when absent */
    bool has_txn;        /* a txn action of the query's appId */
    int64_t txn_version;
    char *schema;         /* (owned) metaData.schemaString, or NULL */
    bool has_protocol;    /* a protocol action */
    bool catalog_managed; /* it names the catalogManaged table feature (deltafiles.h) */
};

/* An empty commit of the given version (times and ids -1, counts NaN). */
void deltalog_commit_init(struct delta_commit *c, int64_t version);
void deltalog_commit_done(struct delta_commit *c);
/* Read the actions of one commit file (JSON lines) into c, which deltalog_commit_init set up.
 * query_id NULL takes any query's STREAMING UPDATE and txn. Lines that are not JSON are
 * skipped; nothing fails. */
void deltalog_parse_commit(const char *text, size_t len, const char *query_id,
                           struct delta_commit *c);
/* The version of a _last_checkpoint file ({"version":10,"size":...}). -1 with err (ST_EFORMAT)
 * when there is none or it is not a version number (negative, fractional, beyond int64). */
int deltalog_parse_last_checkpoint(const char *text, size_t len, int64_t *version,
                                   struct st_err *err);

/* The table versions a Delta source has still to read: newest - R, plus R itself when the
 * offset's index is negative. {"reservoirVersion":R,"index":-1} (BASE_INDEX of sourceVersion 1;
 * -100 in sourceVersion 3, and -20/-19 around a schema change) points before the first file of
 * R, so R is unread; a query that has read the last file of N moves on to (N+1, -1) and then
 * counts 0. offset is the source's end offset (JSON, borrowed); reservoir_version its
 * reservoirVersion. Never negative; NaN when offset has no usable reservoirVersion. */
double deltalog_source_backlog(int64_t newest, const char *offset, double reservoir_version);

#endif
