#include "export/families.h"

#define STREAM "stream"

const struct prom_family prom_families[PF__N] = {
    [PF_BUILD_INFO] = {"build_info", "gauge", UNIT_NONE, MG_HEALTH, "version",
                       "Always 1; the label is streamtop's version.", false},
    [PF_EXPORT_TIMESTAMP] = {"export_timestamp_seconds", "gauge", UNIT_SECONDS, MG_HEALTH, "",
                             "Unix time of the pass this file was written from (ages count to "
                             "it).",
                             false},
    [PF_STREAM_INFO] = {"stream_info", "gauge", UNIT_NONE, MG_HEALTH,
                        STREAM ",query_id,checkpoint,source,trigger_mode",
                        "Always 1; the labels name the stream's query id and configured paths "
                        "(empty when unknown or not configured) and its trigger mode (realtime "
                        "or microbatch).",
                        false},
    [PF_STREAM_STATUS] = {"stream_status", "gauge", UNIT_NONE, MG_HEALTH, STREAM,
                          "Stream health as check computes it: 0 ok, 1 warning, 2 critical, 3 "
                          "unknown.",
                          false},
    [PF_LAST_COMMIT_TIMESTAMP] = {"last_commit_timestamp_seconds", "gauge", UNIT_SECONDS,
                                  MG_BATCHES, STREAM,
                                  "Unix time of the last batch commit (commit_age_seconds counts "
                                  "from it).",
                                  false},
    [PF_LAST_BATCH_START_TIMESTAMP] = {"last_batch_start_timestamp_seconds", "gauge", UNIT_SECONDS,
                                       MG_BATCHES, STREAM,
                                       "Unix time the newest planned batch started "
                                       "(inflight_seconds counts from it while it is "
                                       "uncommitted).",
                                       false},
    [PF_WATERMARK_TIMESTAMP] = {"watermark_timestamp_seconds", "gauge", UNIT_SECONDS, MG_FRESHNESS,
                                STREAM, "Event-time watermark of the newest batch, as Unix time.",
                                false},
    [PF_BACKLOG_OLDEST_TIMESTAMP] = {"backlog_oldest_timestamp_seconds", "gauge", UNIT_SECONDS,
                                     MG_BACKLOG, STREAM,
                                     "Unix time of the oldest waiting input (absent when "
                                     "nothing waits).",
                                     false},
    [PF_SCHEMA_CHANGE_TIMESTAMP] = {"schema_change_timestamp_seconds", "gauge", UNIT_SECONDS,
                                    MG_STATE, STREAM,
                                    "Unix time the latest schema version appeared.", false},
    [PF_DEADLETTER_NEWEST_TIMESTAMP] = {"deadletter_newest_timestamp_seconds", "gauge",
                                        UNIT_SECONDS, MG_DEADLETTER, STREAM,
                                        "Unix time of the newest dead-letter file.", false},
    [PF_SINK_COMMIT_TIMESTAMP] = {"sink_commit_timestamp_seconds", "gauge", UNIT_SECONDS,
                                  MG_FRESHNESS, STREAM,
                                  "Unix time of the Delta sink's last streaming commit of this "
                                  "query.",
                                  false},
    [PF_LANDING_NEWEST_TIMESTAMP] = {"landing_newest_timestamp_seconds", "gauge", UNIT_SECONDS,
                                     MG_LANDING, STREAM,
                                     "Unix time of the newest file that arrived in the landing "
                                     "zone.",
                                     false},
    [PF_SOURCE_POSITION] = {"source_position", "gauge", UNIT_COUNT, MG_BATCHES,
                            STREAM ",source,kind",
                            "Position of a source in the newest offsets/N: logOffset, "
                            "reservoirVersion, seqNum, the number, or the sum of Kafka offsets.",
                            false},
    [PF_KAFKA_PARTITION_LAG] = {"kafka_partition_lag", "gauge", UNIT_COUNT, MG_BACKLOG,
                                STREAM ",topic,partition",
                                "Records of a Kafka partition waiting: end offset minus the "
                                "committed batch's (or the log start when later).",
                                false},
    [PF_KAFKA_PARTITION_PLANNED_LAG] = {"kafka_partition_planned_lag", "gauge", UNIT_COUNT,
                                        MG_BACKLOG, STREAM ",topic,partition",
                                        "Records of a Kafka partition in no planned batch yet: "
                                        "end offset minus the newest planned batch's.",
                                        false},
    [PF_KAFKA_PARTITION_END_OFFSET] = {"kafka_partition_end_offset", "gauge", UNIT_COUNT,
                                       MG_BACKLOG, STREAM ",topic,partition",
                                       "End offset of a Kafka partition at the broker.", false},
    [PF_KAFKA_PARTITION_POSITION] = {"kafka_partition_position", "gauge", UNIT_COUNT, MG_BACKLOG,
                                     STREAM ",topic,partition",
                                     "End offset of the newest committed batch in a Kafka "
                                     "partition (where the query resumes).",
                                     false},
    [PF_KAFKA_PARTITION_LOST_RECORDS] = {"kafka_partition_lost_records", "gauge", UNIT_COUNT,
                                         MG_BACKLOG, STREAM ",topic,partition",
                                         "Records of a Kafka partition deleted by retention "
                                         "before the query read them.",
                                         false},
    [PF_KAFKA_PARTITION_OLDEST_TIMESTAMP] = {"kafka_partition_oldest_timestamp_seconds", "gauge",
                                             UNIT_SECONDS, MG_BACKLOG, STREAM ",topic,partition",
                                             "Unix time of the oldest waiting record of a Kafka "
                                             "partition.",
                                             false},
    [PF_KAFKA_PARTITION_SERIES_OMITTED] = {"kafka_partition_series_omitted", "gauge", UNIT_COUNT,
                                           MG_BACKLOG, "",
                                           "Kafka partitions left out of the per-partition "
                                           "families (max_partition_series).",
                                           false},
    [PF_PASS_DURATION] = {"pass_duration_seconds", "gauge", UNIT_SECONDS, MG_DAEMON, "",
                          "Wall time of the daemon's last completed pass.", true},
    [PF_PASS_ERRORS] = {"pass_errors_total", "counter", UNIT_COUNT, MG_DAEMON, "",
                        "Collector errors (one per stream and pass) and failed evaluations since "
                        "the daemon started.",
                        true},
    [PF_LAST_PASS_TIMESTAMP] = {"last_pass_timestamp_seconds", "gauge", UNIT_SECONDS, MG_DAEMON, "",
                                "Unix time the daemon's last pass completed.", true},
};

void prom_family_header(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP streamtop_%s ", name);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            buf_puts(out, "\\\\");
        else if (*p == '\n')
            buf_puts(out, "\\n");
        else
            buf_putc(out, *p);
    }
    buf_printf(out, "\n# TYPE streamtop_%s %s\n", name, type);
}
