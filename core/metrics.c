#include "core/metrics.h"

#include <string.h>

const struct metric_def metric_defs[METRIC_COUNT] = {
    [M_LAST_BATCH_ID] = {"last_batch_id", UNIT_COUNT, "Highest planned batch id (offsets/N).",
                         MG_BATCHES},
    [M_COMMITTED_BATCH_ID] = {"committed_batch_id", UNIT_COUNT,
                              "Highest committed batch id (commits/N).", MG_BATCHES},
    [M_INFLIGHT_SECONDS] = {"inflight_seconds", UNIT_SECONDS,
                            "Time since the planned but uncommitted batch started (0 when none).",
                            MG_BATCHES},
    [M_COMMIT_AGE_SECONDS] = {"commit_age_seconds", UNIT_SECONDS,
                              "Time since the last batch commit (mtime of the newest commits/N).",
                              MG_BATCHES},
    [M_BATCH_INTERVAL_SECONDS] = {"batch_interval_seconds", UNIT_SECONDS,
                                  "Median gap between the start times of recent batches.",
                                  MG_BATCHES},
    [M_BATCH_DURATION_SECONDS] = {"batch_duration_seconds", UNIT_SECONDS,
                                  "Duration of the last committed batch.", MG_BATCHES},
    [M_INPUT_ROWS_PER_SECOND] = {"input_rows_per_second", UNIT_RATE,
                                 "Rows per second arriving, from the query progress.",
                                 MG_THROUGHPUT},
    [M_PROCESSED_ROWS_PER_SECOND] = {"processed_rows_per_second", UNIT_RATE,
                                     "Rows per second processed, from the query progress.",
                                     MG_THROUGHPUT},
    [M_BACKLOG_FILES] = {"backlog_files", UNIT_COUNT, "Files waiting to be processed.", MG_BACKLOG},
    [M_BACKLOG_BYTES] = {"backlog_bytes", UNIT_BYTES, "Bytes waiting to be processed.", MG_BACKLOG},
    [M_BACKLOG_RECORDS] = {"backlog_records", UNIT_COUNT,
                           "Records behind the latest available offset (Kafka, Delta).",
                           MG_BACKLOG},
    [M_BACKLOG_VERSIONS] = {"backlog_versions", UNIT_COUNT,
                            "Delta source: table versions not yet read by the query.", MG_BACKLOG},
    [M_BACKLOG_AGE_SECONDS] = {"backlog_age_seconds", UNIT_SECONDS,
                               "Age of the oldest waiting input.", MG_BACKLOG},
    [M_WATERMARK_LAG_SECONDS] = {"watermark_lag_seconds", UNIT_SECONDS,
                                 "Time since the event-time watermark.", MG_FRESHNESS},
    [M_OVERWRITTEN_FILES] = {"overwritten_files", UNIT_COUNT,
                             "Input files modified after they were ingested (never re-read).",
                             MG_LANDING},
    [M_STATE_BYTES] = {"state_bytes", UNIT_BYTES, "Size of the checkpoint state/ folder.",
                       MG_STATE},
    [M_SCHEMA_VERSION] = {"schema_version", UNIT_COUNT, "Latest schema version.", MG_STATE},
    [M_SCHEMA_AGE_SECONDS] = {"schema_age_seconds", UNIT_SECONDS,
                              "Time since the latest schema version appeared.", MG_STATE},
    [M_DEADLETTER_FILES] = {"deadletter_files", UNIT_COUNT,
                            "Files under the stream's dead-letter prefixes.", MG_DEADLETTER},
    [M_DEADLETTER_BYTES] = {"deadletter_bytes", UNIT_BYTES,
                            "Bytes under the stream's dead-letter prefixes.", MG_DEADLETTER},
    [M_DEADLETTER_NEW_FILES] = {"deadletter_new_files", UNIT_COUNT,
                                "Dead-letter files that appeared since the previous pass.",
                                MG_DEADLETTER},
    [M_DEADLETTER_NEWEST_AGE_SECONDS] = {"deadletter_newest_age_seconds", UNIT_SECONDS,
                                         "Age of the newest dead-letter file.", MG_DEADLETTER},
    [M_SINK_LAG_BATCHES] = {"sink_lag_batches", UNIT_COUNT,
                            "Planned batches not yet committed by the Delta sink.", MG_FRESHNESS},
    [M_SINK_COMMIT_AGE_SECONDS] =
        {"sink_commit_age_seconds", UNIT_SECONDS,
         "Time since the Delta sink's last streaming commit of this query.", MG_FRESHNESS},
    [M_DRAIN_ETA_SECONDS] = {"drain_eta_seconds", UNIT_SECONDS,
                             "Time until the backlog is gone at the current drain rate.",
                             MG_BACKLOG},
    [M_JOB_RUNNING] = {"job_running", UNIT_NONE,
                       "1 while the stream's Databricks job has an active run, else 0.", MG_JOBS},
    [M_JOB_LAST_SUCCESS_AGE_SECONDS] = {"job_last_success_age_seconds", UNIT_SECONDS,
                                        "Time since the stream's job last ended successfully.",
                                        MG_JOBS},
    [M_FEEDER_LAST_SUCCESS_AGE_SECONDS] = {"feeder_last_success_age_seconds", UNIT_SECONDS,
                                           "Time since the feeder job last ended successfully.",
                                           MG_JOBS},
    [M_LANDING_NEWEST_AGE_SECONDS] = {"landing_newest_age_seconds", UNIT_SECONDS,
                                      "Age of the newest file that arrived in the landing zone.",
                                      MG_LANDING},
    [M_LANDING_ARRIVALS_PER_MINUTE] = {"landing_arrivals_per_minute", UNIT_RATE,
                                       "Files arriving in the landing zone per minute (last "
                                       "15 minutes).",
                                       MG_LANDING},
    [M_LANDING_ARRIVAL_GAP_SECONDS] = {"landing_arrival_gap_seconds", UNIT_SECONDS,
                                       "Usual gap between arrivals in the landing zone "
                                       "(learned from recorded arrivals).",
                                       MG_LANDING},
    [M_STAGING_STALE_FILES] = {"staging_stale_files", UNIT_COUNT,
                               "Files left in the landing zone's staging folder longer than "
                               "staging_stale.",
                               MG_LANDING},
    [M_DEADLETTER_ARRIVALS_PER_MINUTE] = {"deadletter_arrivals_per_minute", UNIT_RATE,
                                          "Dead-letter files per minute (last 15 minutes).",
                                          MG_DEADLETTER},
    [M_KAFKA_LOST_RECORDS] = {"kafka_lost_records", UNIT_COUNT,
                              "Kafka records deleted by retention before the query read them "
                              "(log start offset minus the committed position).",
                              MG_BACKLOG},
};

int metric_find(const char *name)
{
    for (int i = 0; i < METRIC_COUNT; i++)
        if (strcmp(metric_defs[i].name, name) == 0)
            return i;
    return -1;
}

const char *metric_unit_name(enum metric_unit unit)
{
    switch (unit) {
    case UNIT_SECONDS:
        return "seconds";
    case UNIT_BYTES:
        return "bytes";
    case UNIT_COUNT:
        return "count";
    case UNIT_RATE:
        return "rate";
    default:
        return "none";
    }
}

const char *metric_group_title(enum metric_group group)
{
    static const char *const titles[MG__N] = {
        [MG_HEALTH] = "Health",
        [MG_BATCHES] = "Batches",
        [MG_THROUGHPUT] = "Throughput",
        [MG_BACKLOG] = "Backlog",
        [MG_FRESHNESS] = "Latency and freshness",
        [MG_LANDING] = "Landing zone",
        [MG_DEADLETTER] = "Dead letters",
        [MG_STATE] = "State and schema",
        [MG_JOBS] = "Jobs",
        [MG_DAEMON] = "streamtop serve",
    };
    return (unsigned)group < MG__N ? titles[group] : "Other";
}
