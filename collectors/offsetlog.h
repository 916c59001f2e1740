/* offsetlog: parsers for the text files of a Spark checkpoint (offsets/N, metadata, Kafka
 * sources/<i>/0) and the classification of source offsets. Pure functions over bytes: no I/O.
 * Error messages do not name the file; the caller prefixes it. */
#ifndef STREAMTOP_OFFSETLOG_H
#define STREAMTOP_OFFSETLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/snapshot.h"

#define OFFSETLOG_MAX_VERSION 2

struct offset_entry {
    char *id;       /* (owned) v2 source id (the name given with DataStreamReader.name(), else the
                     * source's position as text), NULL in v1 */
    char *json;     /* (owned) offset JSON text, NULL for "-" (no offset yet) */
    char *provider; /* (owned) v2 sourceMetadataInfo[id].providerName ("kafka", ...), or NULL */
};

struct offset_file {
    int version;            /* 1 or 2 */
    int64_t batch_ts_ms;    /* batchTimestampMs, -1 when the metadata line is empty or lacks it */
    int64_t watermark_ms;   /* batchWatermarkMs, 0 when absent */
    int shuffle_partitions; /* conf "spark.sql.shuffle.partitions", -1 when absent */
    char *control;          /* (owned) v2 controlBatchInfo.operationType: this batch is a control
                             * batch, not data; NULL for a data batch */
    struct offset_entry *sources;
    size_t nsources;
};

/* Parse the text of offsets/N (v1: one offset per line in source order; v2: "id:offset" per
 * line, the metadata line with sourceMetadataInfo and an optional controlBatchInfo). Tolerates a
 * missing or present trailing newline and CRLF. Fails (ST_EFORMAT) on: empty file, binary data,
 * no or unsupported version header, missing or malformed metadata line, a source offset that is
 * not JSON, a v2 line without "id:" or with an empty or repeated id. On success free with
 * offsetlog_done. */
int offsetlog_parse(const char *text, size_t len, struct offset_file *out, struct st_err *err);
void offsetlog_done(struct offset_file *f);
/* A deep copy of f into out (free with offsetlog_done). */
void offsetlog_copy(struct offset_file *out, const struct offset_file *f);

/* Recognise the kind of a source offset; *position gets logOffset / reservoirVersion / seqNum /
 * the bare number / the sum of Kafka partition offsets, or NaN. json NULL means "-". */
enum source_kind offsetlog_classify(const char *json, double *position);

/* Parse the checkpoint metadata file ({"id":"..."}) into a heap query id. */
int offsetlog_parse_metadata(const char *text, size_t len, char **query_id, struct st_err *err);

/* Parse a Kafka initial-offset file sources/<i>/0: an optional NUL byte, an optional "v1" line
 * (or Spark 2.1.0's one-byte prefix), then JSON. *json gets compact JSON text (heap). */
int offsetlog_parse_kafka_initial(const char *text, size_t len, char **json, struct st_err *err);

#endif
