/* simdelta: the Delta tables of the simulator (a streaming sink, or a table another writer
 * appends to and a query reads as a source), written as Delta 4.0 writes them on a local file
 * system: _delta_log/<v>.json (commitInfo, metaData and protocol in version 0 and metaData again
 * when the schema changes, the query's txn, one add per commit that wrote rows) and the version
 * checksum <v>.crc (txnId, size, counts, setTransactions, domainMetadata, metadata, protocol),
 * each with its Hadoop ".crc" sidecar. No parquet data and no checkpoints are written. */
#ifndef STREAMTOP_SIMDELTA_H
#define STREAMTOP_SIMDELTA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "sim/simio.h"

struct sim_delta {
    char *logdir; /* (owned) <table>/_delta_log */
    char id[37];  /* metaData.id (a Delta source's reservoirId) */
    int64_t created_ms;
    char *schema;    /* (owned) schemaString */
    bool new_schema; /* the next commit writes metaData */
    int64_t version; /* newest written, -1 before the first */
    int64_t nfiles, bytes;
    char app_id[37]; /* the streaming query's id once it committed ("" before) */
    int64_t txn_version, txn_updated_ms;
};

/* A table at <table> (no file written yet) with the schema (a StructType JSON). */
void simdelta_init(struct sim_delta *d, const char *table, const char *schema, int64_t created_ms,
                   struct sim_rng *r);
void simdelta_done(struct sim_delta *d);
/* The next commit writes this schema as a new metaData. */
void simdelta_set_schema(struct sim_delta *d, const char *schema);

struct sim_delta_write {
    const char *query_id; /* a streaming sink's query ("STREAMING UPDATE", txn), or NULL for a
                             batch append ("WRITE") */
    int64_t epoch;        /* the batch id (streaming only) */
    int64_t rows;         /* rows written; 0 writes no add */
    int64_t bytes;        /* size of the (absent) parquet file */
};

/* Write the next version at time t. 0, or -1 with err naming the file. */
int simdelta_commit(struct sim_delta *d, const struct sim_delta_write *w, int64_t t,
                    struct sim_rng *r, struct st_err *err);

#endif
