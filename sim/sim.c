/* The simulator's state machine. Each stream is a sequence of events in time order: landing
 * files arrive, a batch is planned (offsets/N + file-source log), later committed (commits/N +
 * a progress line). History is the same machine run over simulated time ending now; live mode
 * runs it up to the real clock. Retention and log compaction follow Spark's rules. */
#include "sim/sim.h"

#include <cJSON.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xalloc.h"
#include "sim/simint.h"

#define RETAIN 100 /* spark.sql.streaming.minBatchesToRetain */
#define NEVER  INT64_MAX
/* the session confs Spark 4.0 pins in every offsets file (OffsetSeqMetadata.relevantSQLConfs),
 * in the order it writes them; %s is spark.sql.shuffle.partitions */
#define PINNED_CONF                                                                                \
    "{\"spark.sql.streaming.stateStore.providerClass\":\"org.apache.spark.sql.execution."          \
    "streaming.state.HDFSBackedStateStoreProvider\",\"spark.sql.streaming.stateStore.rocksdb."     \
    "formatVersion\":\"5\",\"spark.sql.streaming.stateStore.encodingFormat\":\"unsaferow\","       \
    "\"spark.sql.streaming.statefulOperator.useStrictDistribution\":\"true\",\"spark.sql."         \
    "streaming.flatMapGroupsWithState.stateFormatVersion\":\"2\",\"spark.sql.streaming."           \
    "multipleWatermarkPolicy\":\"min\",\"spark.sql.streaming.aggregation.stateFormatVersion\":"    \
    "\"2\",\"spark.sql.shuffle.partitions\":\"%s\",\"spark.sql.streaming.join."                    \
    "stateFormatVersion\":\"2\",\"spark.sql.streaming.stateStore.compression.codec\":\"lz4\","     \
    "\"spark.sql.optimizer.pruneFiltersCanPruneStreamingSubplan\":\"false\"}"

const char *sim_scenario_name(enum sim_scenario s)
{
    static const char *const names[] = {"healthy", "growing", "stalled", "evolving"};
    return (unsigned)s < SIM__COUNT ? names[s] : "?";
}

static const char *const kind_names[] = {"files",  "kafka",   "delta",      "rate",    "mixed",
                                         "feeder", "staging", "autoloader", "firehose"};

const char *sim_kind_name(enum sim_kind k)
{
    return (unsigned)k < SIM_KIND__COUNT ? kind_names[k] : "?";
}

int sim_kind_parse(const char *name)
{
    for (int k = 0; k < SIM_KIND__COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return k;
    return -1;
}

/* ---- schema --------------------------------------------------------------------------- */

static cJSON *field(const char *name, cJSON *type)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "name", name);
    cJSON_AddItemToObject(f, "type", type);
    cJSON_AddTrueToObject(f, "nullable");
    cJSON_AddItemToObject(f, "metadata", cJSON_CreateObject());
    return f;
}

char *sim_schema_json(int version)
{
    cJSON *device = cJSON_CreateObject();
    cJSON_AddStringToObject(device, "type", "struct");
    cJSON *dfields = cJSON_AddArrayToObject(device, "fields");
    cJSON_AddItemToArray(dfields, field("id", cJSON_CreateString("string")));
    cJSON_AddItemToArray(dfields,
                         field("battery", cJSON_CreateString(version >= 2 ? "double" : "long")));
    cJSON *payload = cJSON_CreateObject();
    cJSON_AddStringToObject(payload, "type", "struct");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(payload, "fields"), field("device", device));
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "type", "struct");
    cJSON *fields = cJSON_AddArrayToObject(root, "fields");
    cJSON_AddItemToArray(fields, field("id", cJSON_CreateString("long")));
    cJSON_AddItemToArray(fields, field("ts", cJSON_CreateString("timestamp")));
    cJSON_AddItemToArray(fields, field("amount", cJSON_CreateString("double")));
    if (version >= 1)
        cJSON_AddItemToArray(fields, field("discount", cJSON_CreateString("double")));
    cJSON_AddItemToArray(fields, field("payload", payload));
    if (version >= 2)
        cJSON_AddItemToArray(fields, field("channel", cJSON_CreateString("string")));
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    char *copy = xstrdup(text ? text : "{}");
    cJSON_free(text);
    return copy;
}

static int write_schema(struct sim *sim, struct sim_stream *s, int version, int64_t t,
                        struct st_err *err)
{
    char *data = sim_schema_json(version);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "dataSchemaJson", data);
    cJSON_AddStringToObject(doc, "partitionSchemaJson",
                            "{\"type\":\"struct\",\"fields\":[{\"name\":\"dt\",\"type\":\"date\","
                            "\"nullable\":true,\"metadata\":{}}]}");
    char *text = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    free(data);
    char *body = xasprintf("v1\n%s", text ? text : "{}");
    cJSON_free(text);
    char *path = xasprintf("%s/_schemas/%d", s->schemas, version);
    int rc = sim_write(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    free(body);
    return rc;
}

/* ---- events --------------------------------------------------------------------------- */

static void unlink_batch(const char *dir, int64_t id)
{
    char *p = xasprintf("%s/%lld", dir, (long long)id);
    sim_unlink_spark(p);
    free(p);
}

static int plan(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    s->next_batch_ms = t + sim->o.trigger_ms;
    if (simkind_take(sim, s, t) == 0)
        return 0; /* no new data: the query runs no batch */
    int64_t b = s->next_batch++;
    for (size_t i = 0; i < s->inflight_n; i++)
        s->files[s->inflight_first + i].batch = b;
    char *conf = xasprintf(PINNED_CONF, s->kind == SIM_KIND_RATE ? "2" : "200");
    char *path = xasprintf("%s/offsets/%lld", s->ckpt, (long long)b);
    char *body =
        xasprintf("v1\n{\"batchWatermarkMs\":%lld,\"batchTimestampMs\":%lld,\"conf\":%s}\n%s",
                  (long long)s->watermark_ms, (long long)t, conf, s->end_offset);
    int rc = sim_write_spark(path, body, strlen(body), t, &sim->rng, err);
    free(conf);
    free(path);
    free(body);
    if (rc < 0 || simkind_source_log(sim, s, b, t, err) < 0)
        return -1;
    s->inflight = b;
    s->inflight_start_ms = t;
    if (s->sc == SIM_STALLED && t >= s->stall_at_ms) {
        s->inflight_commit_ms = NEVER;
        s->next_batch_ms = NEVER;
    } else {
        double frac = 0.15 + 0.3 * sim_unit(&sim->rng);
        s->inflight_commit_ms = t + (int64_t)((double)sim->o.trigger_ms * frac) + 1;
    }
    return 0;
}

static int progress_line(struct sim *sim, struct sim_stream *s, int64_t t_end, struct st_err *err)
{
    int64_t rows = s->inflight_rows;
    int64_t dur = t_end - s->inflight_start_ms;
    double secs = (double)sim->o.trigger_ms / 1000.0;
    double in_rate = (double)rows / secs;
    double proc_rate = dur > 0 ? (double)rows * 1000.0 / (double)dur : 0.0;
    char ts[40];
    clock_iso8601(s->inflight_start_ms, ts, sizeof ts);
    if (!strchr(ts, '.')) /* Spark always writes milliseconds */
        snprintf(ts + 19, sizeof ts - 19, ".000Z");
    struct buf b;
    buf_init(&b);
    buf_printf(
        &b,
        "{\"id\":\"%s\",\"runId\":\"%s\",\"name\":\"%s\",\"timestamp\":\"%s\",\"batchId\":%lld,"
        "\"batchDuration\":%lld,\"numInputRows\":%lld,\"inputRowsPerSecond\":%.15g,"
        "\"processedRowsPerSecond\":%.15g,\"durationMs\":{\"addBatch\":%lld,"
        "\"commitOffsets\":3,\"getBatch\":1,\"latestOffset\":2,\"queryPlanning\":4,"
        "\"triggerExecution\":%lld,\"walCommit\":3},",
        s->qid, s->runid, s->name, ts, (long long)s->inflight, (long long)dur, (long long)rows,
        in_rate, proc_rate, (long long)(dur > 12 ? dur - 12 : 1), (long long)dur);
    simkind_progress(sim, s, &b, in_rate, proc_rate, t_end);
    buf_putc(&b, '}');
    int rc = sim_append(s->progress, b.data, t_end, err);
    buf_done(&b);
    return rc;
}

static int deadletter(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    char stamp[20], uuid[37];
    sim_compact_time(t, stamp);
    sim_uuid(&sim->rng, uuid);
    char *dir = xasprintf("%s/%s/bad_records", s->dlq, stamp);
    if (sim_mkdirs(dir, err) < 0) {
        free(dir);
        return -1;
    }
    const struct sim_file *f = s->inflight_n ? &s->files[s->inflight_first] : NULL;
    char *body = xasprintf(
        "{\"path\":\"%s%s\",\"record\":\"{\\\"id\\\": 17, \\\"amount\\\": \\\"12,50\\\"}\","
        "\"reason\":\"org.apache.spark.SparkRuntimeException: [MALFORMED_RECORD_IN_PARSING] "
        "Malformed records are detected in record parsing: [null,null]. Parse Mode: "
        "FAILFAST.\"}\n",
        f && f->path ? "file://" : "", f && f->path ? f->path : s->name);
    char *path = xasprintf("%s/part-00000-%s", dir, uuid);
    int rc = sim_write_spark(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    free(body);
    free(dir);
    return rc;
}

static void purge(struct sim_stream *s, int64_t cur)
{
    /* offsets/commits older than cur - minBatchesToRetain (HDFSMetadataLog.purge) */
    int64_t keep = cur + 1 - RETAIN;
    if (keep > 0) {
        char *off = xasprintf("%s/offsets", s->ckpt), *com = xasprintf("%s/commits", s->ckpt);
        unlink_batch(off, keep - 1);
        unlink_batch(com, keep - 1);
        free(off);
        free(com);
        simkind_purge(s, keep);
    }
}

static int commit(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    int64_t b = s->inflight;
    if (simkind_commit(sim, s, b, t, err) < 0)
        return -1;
    char *path = xasprintf("%s/commits/%lld", s->ckpt, (long long)b);
    char *body = xasprintf("v1\n{\"nextBatchWatermarkMs\":%lld}", (long long)s->next_watermark_ms);
    int rc = sim_write_spark(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    free(body);
    if (rc == 0)
        rc = progress_line(sim, s, t, err);
    if (rc == 0 && s->sc == SIM_EVOLVING && b % 5 == 4)
        rc = deadletter(sim, s, t, err);
    if (rc == 0 && s->sc == SIM_EVOLVING && s->kind == SIM_KIND_FILES && b % 40 == 39 &&
        s->schema_version < 2) {
        rc = write_schema(sim, s, ++s->schema_version, t, err);
        char *schema = sim_schema_json(s->schema_version);
        simdelta_set_schema(&s->delta, schema); /* the sink evolves with it (mergeSchema) */
        free(schema);
    }
    purge(s, b);
    s->inflight = -1;
    s->watermark_ms = s->next_watermark_ms;
    free(s->start_offset);
    s->start_offset = s->end_offset;
    s->end_offset = NULL;
    if (s->next_batch_ms < t)
        s->next_batch_ms = t;
    return rc;
}

static int run_until(struct sim *sim, struct sim_stream *s, int64_t until, struct st_err *err)
{
    for (;;) {
        int64_t ta = s->next_arrival_ms;
        int64_t tc = s->inflight >= 0 ? s->inflight_commit_ms : NEVER;
        int64_t tb = s->inflight >= 0 ? NEVER : s->next_batch_ms;
        int64_t t = ta < tc ? (ta < tb ? ta : tb) : (tc < tb ? tc : tb);
        if (t > until || t == NEVER)
            return 0;
        int rc;
        if (t == ta) {
            rc = simkind_arrive(sim, s, t, err);
            double jitter = 0.5 + sim_unit(&sim->rng);
            s->next_arrival_ms = t + (int64_t)(s->arrival_gap_ms * jitter) + 1;
        } else if (t == tc) {
            rc = commit(sim, s, t, err);
        } else {
            rc = plan(sim, s, t, err);
        }
        if (rc < 0)
            return -1;
    }
}

/* ---- setup ---------------------------------------------------------------------------- */

static int write_config(struct sim *sim, struct st_err *err)
{
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "; A simulated pipeline (streamtop simulate).\n[global]\nrefresh = 2s\n");
    for (int i = 0; i < sim->o.streams; i++) {
        const struct sim_stream *s = &sim->st[i];
        buf_printf(&b, "\n[stream %s]\ncheckpoint = %s\n", s->name, s->ckpt);
        simkind_config(s, &b);
        if (s->kind == SIM_KIND_FILES || s->sc == SIM_EVOLVING)
            buf_printf(&b, "deadletter = %s\n", s->dlq);
        buf_printf(&b,
                   "progress   = %s\ntrigger    = %llds\n"
                   "labels     = scenario=%s, team=%s\n",
                   s->progress, (long long)(sim->o.trigger_ms / 1000), sim_scenario_name(s->sc),
                   i % 2 ? "growth" : "payments");
    }
    char *path = xasprintf("%s/streamtop.ini", sim->root);
    int rc = sim_write(path, b.data, b.len, clock_now_ms(), &sim->rng, err);
    free(path);
    buf_done(&b);
    return rc;
}

static int init_stream(struct sim *sim, int i, int64_t start, int64_t now, struct st_err *err)
{
    static const char *const names[] = {"orders", "clicks", "payments", "devices"};
    struct sim_stream *s = &sim->st[i];
    s->sc = (enum sim_scenario)(i % SIM__COUNT);
    s->kind = sim->o.kind == SIM_KIND_MIXED ? (enum sim_kind)(i % SIM_KIND_MIXED) : sim->o.kind;
    s->asked = s->kind;
    if (s->kind == SIM_KIND_STAGING || s->kind == SIM_KIND_FIREHOSE)
        s->kind = SIM_KIND_FILES; /* plus what sim_feed_extras leaves */
    if (s->asked == SIM_KIND_FIREHOSE)
        s->sc = SIM_HEALTHY; /* its dead letters are Firehose's processing-failed/ records */
    if (i < 4)
        snprintf(s->name, sizeof s->name, "%s", names[i]);
    else
        snprintf(s->name, sizeof s->name, "stream-%03d", i);
    sim_uuid(&sim->rng, s->qid);
    sim_uuid(&sim->rng, s->runid);
    s->ckpt = xasprintf("%s/checkpoints/%s", sim->root, s->name);
    if (s->asked == SIM_KIND_FIREHOSE) { /* a bucket per delivery stream */
        s->landing = xasprintf("%s/buckets/%s/events", sim->root, s->name);
        s->dlq = xasprintf("%s/buckets/%s/processing-failed", sim->root, s->name);
    } else {
        s->landing = xasprintf("%s/landing/%s", sim->root, s->name);
        s->dlq = xasprintf("%s/deadletter/%s", sim->root, s->name);
    }
    s->progress = xasprintf("%s/progress/%s.jsonl", sim->root, s->name);
    s->schemas = xasprintf("%s/schemas/%s", sim->root, s->name);
    s->table = xasprintf("%s/tables/%s", sim->root, s->name);
    double per_batch = sim->o.files_per_batch * (s->sc == SIM_GROWING ? 2.5 : 1.0);
    s->arrival_gap_ms = (double)sim->o.trigger_ms / per_batch;
    s->next_arrival_ms = start - sim->o.trigger_ms;
    s->next_batch_ms = start;
    s->inflight = -1;
    s->dsrc_start = -1;
    s->stall_at_ms = start + (int64_t)((double)(now - start) * 0.6);
    s->stall_at_ms = s->sc == SIM_STALLED ? s->stall_at_ms : NEVER;
    char *dirs[] = {xasprintf("%s/offsets", s->ckpt), xasprintf("%s/commits", s->ckpt),
                    xasprintf("%s/progress", sim->root)};
    int rc = 0;
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        if (rc == 0)
            rc = sim_mkdirs(dirs[d], err);
        free(dirs[d]);
    }
    if (rc < 0)
        return -1;
    char *meta = xasprintf("%s/metadata", s->ckpt);
    char *body = xasprintf("{\"id\":\"%s\"}", s->qid);
    rc = sim_write_spark(meta, body, strlen(body), start, &sim->rng, err);
    free(meta);
    free(body);
    if (rc == 0 && (s->kind == SIM_KIND_FILES || s->sc == SIM_EVOLVING))
        rc = sim_mkdirs(s->dlq, err);
    if (rc == 0 && s->kind == SIM_KIND_FILES) {
        char *dir = xasprintf("%s/_schemas", s->schemas);
        rc = sim_mkdirs(dir, err);
        free(dir);
        if (rc == 0)
            rc = write_schema(sim, s, 0, start, err);
    }
    if (rc == 0)
        rc = simkind_init(sim, s, start, err);
    return rc;
}

struct sim *sim_create(const struct sim_opts *opts, struct st_err *err)
{
    struct sim *sim = xcalloc(1, sizeof *sim);
    sim->o = *opts;
    if (sim->o.streams <= 0)
        sim->o.streams = 4;
    if (sim->o.batches <= 0)
        sim->o.batches = 120;
    if (sim->o.files_per_batch <= 0)
        sim->o.files_per_batch = 3;
    if (sim->o.trigger_ms <= 0)
        sim->o.trigger_ms = 10000;
    if ((unsigned)sim->o.kind >= SIM_KIND__COUNT)
        sim->o.kind = SIM_KIND_FILES;
    sim->rng.s = opts->seed ? opts->seed : 1;
    if (sim_mkdirs(opts->dir, err) < 0) {
        free(sim);
        return NULL;
    }
    char *real = realpath(opts->dir, NULL);
    sim->root = xstrdup(real ? real : opts->dir);
    free(real);
    int64_t now = clock_now_ms();
    if (sim->o.kind == SIM_KIND_FEEDER || sim->o.kind == SIM_KIND_AUTOLOADER) {
        if (sim_feed_create(sim, now, err) < 0) {
            sim_free(sim);
            return NULL;
        }
        return sim;
    }
    sim->st = xcalloc((size_t)sim->o.streams, sizeof *sim->st);
    int64_t start = now - (int64_t)sim->o.batches * sim->o.trigger_ms;
    for (int i = 0; i < sim->o.streams; i++) {
        if (init_stream(sim, i, start, now, err) < 0 || run_until(sim, &sim->st[i], now, err) < 0 ||
            sim_feed_extras(sim, &sim->st[i], now, err) < 0) {
            sim_free(sim);
            return NULL;
        }
    }
    if (write_config(sim, err) < 0) {
        sim_free(sim);
        return NULL;
    }
    return sim;
}

int sim_advance(struct sim *sim, struct st_err *err)
{
    int64_t now = clock_now_ms();
    for (int i = 0; sim->st && i < sim->o.streams; i++)
        if (run_until(sim, &sim->st[i], now, err) < 0)
            return -1;
    return 0;
}

void sim_free(struct sim *sim)
{
    if (!sim)
        return;
    for (int i = 0; sim->st && i < sim->o.streams; i++) {
        struct sim_stream *s = &sim->st[i];
        for (size_t f = 0; f < s->nfiles; f++)
            free(s->files[f].path);
        free(s->files);
        free(s->ckpt);
        free(s->landing);
        free(s->progress);
        free(s->dlq);
        free(s->schemas);
        free(s->table);
        free(s->start_offset);
        free(s->end_offset);
        free(s->latest_offset);
        if (s->has_delta)
            simdelta_done(&s->delta);
    }
    free(sim->st);
    free(sim->root);
    free(sim);
}
