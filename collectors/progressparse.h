/* progressparse: what streamtop takes from Spark's batch metrics, as pure functions over text:
 * a StreamingQueryProgress JSON object, the driver-log scanner that finds the multi-line
 * "Streaming query made progress: {" blocks and idle lines, and PrometheusServlet text. */
#ifndef STREAMTOP_PROGRESSPARSE_H
#define STREAMTOP_PROGRESSPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* What one JSON object of a progress file is. A StreamingQueryListener writes its events with
 * their json methods (apache/spark StreamingQueryListener.scala, 4.0-4.3): QueryProgressEvent
 * {"progress": {...}}, QueryIdleEvent {"id", "runId", "timestamp"}, QueryStartedEvent {"id",
 * "runId", "name", "timestamp", "jobTags"}, QueryTerminatedEvent {"id", "runId"[, "exception",
 * "errorClassOnException"]}; a listener may also write the progress object itself. A driver
 * logging with spark.log.structuredLogging.enabled=true writes JSON lines through log4j2's
 * JsonTemplateLayout (org/apache/spark/SparkLayout.json: "ts", "level", "msg", "context" (the
 * MDC), "exception", "logger"); ProgressReporter's "Streaming query made progress: " record
 * carries the pretty-printed progress in msg, and the stream thread's context holds QUERY_ID,
 * RUN_ID and BATCH_ID (upper case in the Spark 4.3.0 fixture jsonlog; keys are matched in
 * either case, and a streaming_query_progress key in context is taken first when a layout puts
 * the message's MDC there); its idle record names no query but that QUERY_ID. */
enum progress_kind {
    PK_PROGRESS,   /* a StreamingQueryProgress: the fields below */
    PK_IDLE,       /* QueryIdleEvent or the idle log record: query_id and timestamp_ms */
    PK_STARTED,    /* QueryStartedEvent */
    PK_TERMINATED, /* QueryTerminatedEvent */
    PK_LOG,        /* a structured log record of something else */
};

#define PROGRESS_DESC_SOURCES 4
#define PROGRESS_DESC_MAX     256

struct progress_info {
    enum progress_kind kind;
    char query_id[64];    /* "id", or "" */
    int64_t batch_id;     /* -1 when absent */
    int64_t timestamp_ms; /* trigger start, -1 when absent */
    double input_rps;     /* NaN when absent, as every double here */
    double processed_rps;
    double duration_s;   /* durationMs.triggerExecution */
    double watermark_ms; /* eventTime.watermark (NaN when none, or the epoch) */
    double backlog_records;
    double backlog_files;
    double backlog_bytes;
    double input_rows; /* numInputRows */
    /* sources[i].description of a Kafka source ("KafkaV2[Subscribe[t]]"), "" for others; the
     * first PROGRESS_DESC_SOURCES sources, cut at PROGRESS_DESC_MAX - 1 bytes */
    char kafka_desc[PROGRESS_DESC_SOURCES][PROGRESS_DESC_MAX];
};

void progress_info_init(struct progress_info *pi);
/* Fill pi from one JSON object of a progress file: a progress, a listener event or a
 * structured log record (pi->kind says which). Numbers may be ints, decimals, exponents or
 * numeric strings; missing fields stay NaN (Spark leaves out a rate that is NaN or infinite).
 * -1 with err when the text is none of these. */
int progress_from_json(const char *text, size_t n, struct progress_info *pi, struct st_err *err);
/* Fill pi from PrometheusServlet text (metrics_APP_driver_spark_streaming_QUERY_GAUGE_
 * Value lines). The query is the one named name1 or name2 (non-alphanumerics as "_"), or the
 * only one on the page. -1 with err when no query matches. */
int progress_from_servlet(const char *text, size_t n, const char *name1, const char *name2,
                          struct progress_info *pi, struct st_err *err);

/* The line scanner of a progress file (JSON lines or a driver log, mixed freely). */
struct progress_scanner {
    bool in_block; /* inside a multi-line "made progress: {" block */
    int depth;     /* brace depth of the block */
    bool in_string, escaped;
    struct buf block;    /* (owned) text of the block so far */
    uint64_t block_line; /* line where the block began */
    bool idle;           /* the newest event is an "idle and waiting" line */
    bool idle_line;      /* the line just fed was one (it names no query by itself) */
};

#define PROGRESS_MAX_OBJECT (4u * 1024 * 1024)

void progress_scanner_init(struct progress_scanner *sc);
void progress_scanner_done(struct progress_scanner *sc);
/* Feed one line (without its newline). When it completes an object, returns its text and length
 * as the return value and *objlen (valid until the next call) and the line it began on; otherwise
 * NULL. */
const char *progress_scan_line(struct progress_scanner *sc, const char *line, size_t n,
                               uint64_t lineno, size_t *objlen, uint64_t *obj_line);

#endif
