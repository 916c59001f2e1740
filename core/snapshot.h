/* snapshot: the plain data one collection pass produces. It is built by tick, then treated as
 * immutable and read by every presenter (export, alerts, store, dashboard). It owns all its
 * strings, so it can be handed to another thread and outlive the config it came from. */
#ifndef STREAMTOP_SNAPSHOT_H
#define STREAMTOP_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/health.h"
#include "core/metrics.h"
#include "core/strvec.h"

enum source_kind {
    SRC_NONE,       /* "-": the source has no offset yet */
    SRC_FILE,       /* {"logOffset":N} or a legacy bare number in a file-source query */
    SRC_KAFKA,      /* {"topic":{"partition":offset}} */
    SRC_DELTA,      /* {"reservoirVersion":N,...} */
    SRC_AUTOLOADER, /* {"seqNum":N,...} (Databricks cloudFiles) */
    SRC_NUMBER,     /* a bare number: rate, socket, memory, or a legacy LongOffset */
    SRC_OTHER,      /* valid JSON of a shape we do not know (kept raw) */
};

/* "none", "file", "kafka", "delta", "autoloader", "number", "other". */
const char *source_kind_name(enum source_kind k);

/* Where a metric's value came from (the JSON export says so for backlog figures). */
enum metric_origin {
    ORIGIN_NONE,                /* not measured */
    ORIGIN_CHECKPOINT,          /* the checkpoint */
    ORIGIN_STORAGE,             /* measured by listing storage (landing zone, file-source log) */
    ORIGIN_PROGRESS,            /* reported by the query's progress */
    ORIGIN_HISTORY,             /* derived from recorded history */
    ORIGIN_STORAGE_LOWER_BOUND, /* counted on storage, at least this much (Auto Loader files
                                 * newer than the last planned batch); progress figures win */
    ORIGIN_BROKER,              /* measured at the Kafka brokers */
};

/* "none", "checkpoint", "storage", "progress", "history", "storage_lower_bound", "broker". */
const char *metric_origin_name(enum metric_origin o);

struct snap_source {
    int index;      /* position in offsets/N (= sources/<index> in v1) */
    char *id;       /* (owned) v2 source id: its name (DataStreamReader.name()) or position */
    char *provider; /* (owned) v2 sourceMetadataInfo providerName ("kafka", ...), or NULL */
    enum source_kind kind;
    char *end_offset;       /* (owned) offset JSON text from the newest offsets/N, NULL for "-" */
    char *initial_offset;   /* (owned) Kafka sources/<i>/0 JSON, or NULL */
    double position;        /* logOffset, reservoirVersion, seqNum, sum of Kafka offsets; NaN */
    char *committed_offset; /* (owned) offset JSON of the newest committed batch (offsets/<c>),
                             * NULL when no batch committed or it is the newest one's */
    char *description;      /* (owned) the source's description in progress ("KafkaV2[
                             * Subscribe[t]]"), or NULL */
};

/* One Kafka partition of a stream, measured at the brokers. Offsets are NaN when unknown. */
struct snap_kpart {
    char *topic; /* (owned) */
    int partition;
    int source;         /* index of the source it belongs to */
    double position;    /* end offset of the newest committed batch (where the query resumes) */
    double planned;     /* end offset of the newest planned batch (offsets/N) */
    double log_start;   /* the broker's log start offset (earliest) */
    double end;         /* the broker's end offset (latest) */
    double lag;         /* end - max(position, log_start): records waiting */
    double planned_lag; /* end - max(planned, log_start): records in no batch yet */
    double lost;        /* log_start - position when positive: deleted before they were read */
    int64_t oldest_ms;  /* timestamp of the oldest waiting record, -1 unknown or none */
    bool is_new;        /* not in the checkpoint yet (a new partition or topic) */
    char *error;        /* (owned) why this partition could not be measured, or NULL */
};

/* What a stream's Kafka collector measured. */
struct snap_kafka {
    char *bootstrap; /* (owned) bootstrap servers asked, or NULL when not measured */
    struct snap_kpart *parts;
    size_t nparts;
    double planned_lag; /* sum of the partitions' planned_lag, NaN unknown */
};

/* What a batch is: data, or a batch that moves no input (Spark 4.2+): a state repartition
 * (spark.sql.shuffle.partitions changed from the batch before) or another control batch (v2
 * controlBatchInfo). Neither counts as throughput. */
enum batch_kind { BATCH_DATA, BATCH_REPARTITION, BATCH_CONTROL };

/* "data", "repartition", "control". */
const char *batch_kind_name(enum batch_kind k);

struct snap_batch {
    int64_t id;
    int64_t start_ms;     /* batchTimestampMs, or -1 */
    int64_t commit_ms;    /* mtime of commits/<id>, or -1 while uncommitted */
    int64_t watermark_ms; /* batchWatermarkMs, or 0 when the query has none */
    double rows;          /* numInputRows from progress, NaN when not reported */
    enum batch_kind kind;
    bool commit_time_bad; /* commit_ms is not the commit's time (a copied checkpoint) */
};

/* One dead-letter prefix of a stream. */
struct snap_deadletter {
    char *prefix;       /* (owned) as configured */
    const char *layout; /* (static) "badRecordsPath", "firehose", "partitioned", "dated", "flat"
                         * or "missing" */
    double files, bytes;
    int64_t newest_ms;   /* mtime of the newest file, -1 when empty */
    char *sample_file;   /* (owned) the newest file, or NULL */
    char *sample_line;   /* (owned) its first line (<= 4 KiB), control characters escaped */
    char *sample_path;   /* (owned) "path" field of that line, or NULL */
    char *sample_reason; /* (owned) "reason" */
    char *sample_record; /* (owned) "record" */
    char *error;         /* (owned) why this prefix could not be read, or NULL */
};

/* The newest schema version of one history (Auto Loader schema location, or Delta sink). */
struct snap_schema {
    int64_t version;       /* -1 when none is known */
    int64_t appeared_ms;   /* file mtime or Delta commit time; -1 unknown */
    int64_t first_seen_ms; /* when streamtop first saw it (from the state DB), -1 unknown */
    struct strvec changes; /* against the previous version */
    struct strvec fields;  /* "path: type[ not null]" per field; may be known when version is
                            * not (a Delta log cleaned past the commit of its metaData) */
};

struct snap_label {
    char *key;   /* (owned) */
    char *value; /* (owned) */
};

/* An alert of a stream (pending or firing), as `check` evaluated it. */
struct snap_alert {
    char *rule;      /* (owned) */
    char *threshold; /* (owned) */
    enum health level;
    bool firing; /* false: pending (its `for` not yet met) */
    bool silenced;
    int64_t since_ms;
    double value;
};

/* One stateful operator (state/<op>/), read from names and small metadata files only. */
struct snap_operator {
    int64_t id;
    char *name;            /* (owned) operatorName from its metadata, or NULL */
    int partitions;        /* -1 unknown */
    int64_t state_version; /* newest state version file (its name's prefix), -1 none */
    double files, bytes;   /* state files, checksum files excluded */
    int nschemas; /* transformWithState schema files (_stateSchema/<store>/<batch>_<uuid>) */
    int64_t schema_batch; /* batch of the newest one, -1 none */
    int64_t schema_ms;    /* its mtime, -1 unknown */
    int64_t meta_batch;   /* batch of the metadata read (_metadata/v2/<batch>); -1: v1 or none */
};

/* The checkpoint's own formats (0 where unknown). */
struct snap_ckptinfo {
    int offset_log;         /* version of the newest offsets/N */
    int commit_log;         /* version of the newest commits/N */
    int state_format;       /* 2: state checkpoint v2 (stateUniqueIds), 1: before */
    int shuffle_partitions; /* of the newest batch, -1 unknown */
    char *unrestartable;    /* (owned) why Spark would refuse to restart the query, or NULL */
};

/* A Databricks job of a stream (the one running it, or the feeder of its landing folder), as
 * the Jobs API gave it this pass. */
struct snap_job {
    int64_t id;             /* 0: not configured or not read */
    bool running;           /* a run is active */
    bool continuous;        /* a continuous (unpaused) trigger: it should always run */
    int64_t interval_ms;    /* its cron schedule's interval, 0 when none */
    int64_t last_run_id;    /* newest finished run, 0 when none */
    int64_t last_end_ms;    /* its end, -1 when none */
    char last_result[32];   /* its result ("SUCCESS", "FAILED", ...), "" when none */
    char last_message[256]; /* its state message, without control characters */
};

struct snap_stream {
    char *name; /* (owned) */
    enum health status;
    struct snap_label *labels;
    size_t nlabels;
    char *query_id;   /* (owned) or NULL */
    char *checkpoint; /* (owned) configured paths, or NULL */
    char *source;
    char *schema_path;              /* (owned) configured schema location, or NULL */
    char *sink;                     /* (owned) configured Delta sink, or NULL */
    char *progress;                 /* (owned) configured progress file/folder/URL, or NULL */
    struct strvec deadletter_paths; /* configured dead-letter prefixes */
    double metrics[METRIC_COUNT];   /* NaN = not measurable now */
    enum metric_origin origin[METRIC_COUNT];
    uint64_t bytes_read; /* by this pass's collectors, for this stream */
    struct snap_source *sources;
    size_t nsources;
    struct snap_batch *batches; /* recent batches, oldest first */
    size_t nbatches;
    struct snap_ckptinfo ckpt;
    /* The trigger: realtime_ms is the Trigger.RealTime duration of a query in real-time mode
     * (0 when it is not), configured or, with trigger_mode auto, read from its batches;
     * trigger_ms the configured cadence (0 when not set). */
    double realtime_ms;
    bool realtime_configured;
    int64_t trigger_ms;
    struct snap_operator *operators; /* stateful operators, by id */
    size_t noperators;
    struct snap_deadletter *deadletters;
    size_t ndeadletters;
    struct snap_schema schema;      /* from the `schema` location */
    struct snap_schema sink_schema; /* from the Delta sink's metaData */
    struct strvec errors;           /* a collector could not read something: status unknown */
    struct strvec warnings;         /* something odd that does not stop measurement */
    struct snap_alert *alerts;      /* filled by `check` (and the dashboard) */
    size_t nalerts;
    struct snap_job job, feeder; /* Databricks jobs (job =, feeder_job =) */
    struct snap_kafka kafka;
};

#define SNAPSHOT_KAFKA_MAX_SERIES 1000 /* [kafka] max_partition_series's default */

struct snapshot {
    int64_t generated_ms;
    size_t kafka_max_series; /* Prometheus per-partition series of a family, at most */
    struct snap_stream *streams;
    size_t nstreams;
};

struct snapshot *snapshot_new(int64_t generated_ms);
/* Free the snapshot and everything in it; NULL is a no-op. */
void snapshot_free(struct snapshot *snap);
/* Append a stream named name with every metric NaN and status ok; returns it (borrowed, valid
 * until the next snapshot_add_stream). */
struct snap_stream *snapshot_add_stream(struct snapshot *snap, const char *name);
/* Keep only the streams i with keep[i] (nstreams entries), in order; free the others. */
void snapshot_keep(struct snapshot *snap, const bool *keep);
/* Find a stream by name (borrowed), or NULL. */
const struct snap_stream *snapshot_find(const struct snapshot *snap, const char *name);
/* Append a source to a stream; returns it with every field empty (borrowed). */
struct snap_source *snap_stream_add_source(struct snap_stream *st, int index);
void snap_stream_add_label(struct snap_stream *st, const char *key, const char *value);
/* The backlog figure a stream measures: files where the file source is known, else records,
 * else bytes, else Delta versions; -1 when none is measurable. */
int snap_stream_primary_backlog(const struct snap_stream *st);
/* Append an alert (strings copied). */
void snap_stream_add_alert(struct snap_stream *st, const char *rule, const char *threshold,
                           enum health level, bool firing, bool silenced, int64_t since_ms,
                           double value);
/* Append a Kafka partition to a stream; returns it with every figure NaN (borrowed). */
struct snap_kpart *snap_stream_add_kpart(struct snap_stream *st, const char *topic, int partition);
/* Append a dead-letter prefix to a stream; returns it zeroed but for prefix (borrowed). */
struct snap_deadletter *snap_stream_add_deadletter(struct snap_stream *st, const char *prefix);
/* Make every string of the stream safe for any output: text that came from storage or the
 * network (ids, offsets, samples, schema changes, errors, warnings, labels) has its control
 * characters and invalid UTF-8 escaped (sanitize.h). A pass calls it once a stream is
 * collected, so every front end and format gets the same clean text. */
void snap_stream_sanitize(struct snap_stream *st);
/* Count streams per status into counts[4]. */
void snapshot_count(const struct snapshot *snap, size_t counts[4]);

#endif
