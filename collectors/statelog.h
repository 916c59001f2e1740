/* statelog: parsers for what a Spark checkpoint keeps about its state, without decoding state:
 * the commit log (commits/N, v1 and v2 with stateUniqueIds), the operator metadata
 * (state/<op>/_metadata/metadata v1, state/<op>/_metadata/v2/<batch>), and the names of state
 * files and transformWithState schema files. Pure functions over bytes and names: no I/O.
 * Error messages do not name the file; the caller prefixes it. */
#ifndef STREAMTOP_STATELOG_H
#define STREAMTOP_STATELOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define STATELOG_COMMIT_MAX_VERSION 2

struct commit_file {
    int version;           /* 1 or 2 (the state checkpoint format version) */
    int64_t next_wm_ms;    /* nextBatchWatermarkMs, 0 when absent */
    int noperators;        /* operators in stateUniqueIds (0 when absent or empty) */
    int npartitions;       /* the most partitions of any operator there */
    bool state_unique_ids; /* stateUniqueIds present and not empty */
};

/* Parse the text of commits/N: a version line, then an optional JSON object. Fails
 * (ST_EFORMAT) on: empty or binary data, no or unsupported version header (v3 and later, e.g.
 * a commit log with sink metadata, are reported as unsupported), a second line that is not a
 * JSON object, a stateUniqueIds that is not {opId: [[id, ...] per partition]}. */
int statelog_parse_commit(const char *text, size_t len, struct commit_file *out,
                          struct st_err *err);

struct op_meta {
    int version;    /* 1 or 2 */
    int64_t id;     /* operatorInfo.operatorId */
    char *name;     /* (owned) operatorInfo.operatorName, sanitised */
    int nstores;    /* entries of stateStoreInfo */
    int partitions; /* the most numPartitions of its stores, -1 unknown */
};

/* Parse an operator metadata file ("v1" or "v2" line, then JSON with operatorInfo and
 * stateStoreInfo). Fails (ST_EFORMAT) on a bad header, an unsupported version, or JSON without
 * operatorInfo.operatorName. On success free with statelog_opmeta_done. */
int statelog_parse_opmeta(const char *text, size_t len, struct op_meta *out, struct st_err *err);
void statelog_opmeta_done(struct op_meta *m);

/* Whether a state file name (the last path component) is a state version file:
 * "<version>.delta|.snapshot|.zip|.changelog" (HDFS-backed and RocksDB stores) or, with state
 * checkpoint v2, "<version>_<uniqueId>.<same suffixes>". The version is the prefix. Checksum
 * files ("<name>.crc", Spark 4.1+ beside every state file; ".<name>.crc" from Hadoop), temp
 * files and anything else are not. */
bool statelog_version_file(const char *base, int64_t *version);

/* Whether a file name under state/<op>/_stateSchema/<store>/ is a schema file
 * "<batchId>_<uuid>" (not its ".crc"); *batch gets the batch that wrote it. */
bool statelog_schema_file(const char *base, int64_t *batch);

#endif
