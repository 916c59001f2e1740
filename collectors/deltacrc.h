/* deltacrc: what the Delta sink collector takes from a version checksum, _delta_log/<v>.crc, as a
 * pure function over bytes (no I/O). The checksum is one JSON object, Delta's VersionChecksum
 * (delta-io/delta spark/src/main/scala/org/apache/spark/sql/delta/Checksum.scala): txnId,
 * tableSizeBytes, numFiles, numMetadata, numProtocol, inCommitTimestampOpt, setTransactions
 * (SetTransaction: appId, version, lastUpdated; left out past 100 of them), domainMetadata,
 * metadata (Metadata: id, name, description, format, schemaString, partitionColumns,
 * configuration, createdTime), protocol, histogramOpt / fileSizeHistogram, allFiles (every
 * AddFile of the table, written while there are fewer than 50) and more. Jackson writes them in
 * that order, so metadata and setTransactions come before allFiles, but no order is assumed.
 * Error messages do not name the file; the caller prefixes it. */
#ifndef STREAMTOP_DELTACRC_H
#define STREAMTOP_DELTACRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct delta_crc {
    bool seen_all;       /* the object was read to its closing brace, or both parts were found */
    bool has_metadata;   /* a metadata object with a schemaString */
    char *schema;        /* (owned) metadata.schemaString, or NULL */
    char *table_id;      /* (owned) metadata.id, or NULL */
    bool has_txns;       /* a setTransactions array (null or absent: Delta left it out) */
    bool has_txn;        /* an entry of the query in it */
    int64_t txn_version; /* its version (the query's batch id), -1 without one */
};

void deltacrc_init(struct delta_crc *c);
void deltacrc_done(struct delta_crc *c);
/* Read metadata and setTransactions from the checksum text[0..len), which may be only the
 * first len bytes of the file (cut at a read cap): those two members are parsed (cJSON), every
 * other one, allFiles included, is skipped without being built; reading stops once both are
 * found. query_id NULL takes the last entry of setTransactions. Returns 0 (seen_all false when
 * the text ended inside the object with a part still missing), or -1 with err (ST_EFORMAT)
 * when the text is not a JSON object or either part is not what Delta writes. */
int deltacrc_parse(const char *text, size_t len, const char *query_id, struct delta_crc *c,
                   struct st_err *err);

#endif
