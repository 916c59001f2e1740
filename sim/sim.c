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
#include "sim/simio.h"

#define RETAIN          100 /* spark.sql.streaming.minBatchesToRetain */
#define COMPACT_EVERY   10  /* spark.sql.streaming.fileSource.log.compactInterval */
#define NEVER           INT64_MAX
#define ROWS_PER_RECORD 1

struct sim_file {
    char *path; /* (owned) absolute */
    int64_t mtime_ms;
    int64_t size;
    int64_t batch; /* -1 while waiting */
};

struct sim_stream {
    char name[32];
    enum sim_scenario sc;
    char qid[37], runid[37];
    char *ckpt, *landing, *progress, *dlq, *schemas;
    struct sim_file *files;
    size_t nfiles, capfiles, first_pending;
    double arrival_gap_ms;
    int64_t next_arrival_ms;
    int64_t next_batch;
    int64_t next_batch_ms;
    int64_t inflight; /* batch planned but not committed, -1 none */
    int64_t inflight_start_ms;
    int64_t inflight_commit_ms;
    size_t inflight_first, inflight_n;
    int64_t stall_at_ms;
    int schema_version;
};

struct sim {
    struct sim_opts o;
    char *root;
    struct sim_rng rng;
    struct sim_stream *st;
};

const char *sim_scenario_name(enum sim_scenario s)
{
    static const char *const names[] = {"healthy", "growing", "stalled", "evolving"};
    return (unsigned)s < SIM__COUNT ? names[s] : "?";
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

static char *schema_json(int version)
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
    char *data = schema_json(version);
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

static int arrive(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    time_t secs = (time_t)(t / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char uuid[37];
    sim_uuid(&sim->rng, uuid);
    char *dir = xasprintf("%s/dt=%04d-%02d-%02d/hr=%02d", s->landing, tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
    if (sim_mkdirs(dir, err) < 0) {
        free(dir);
        return -1;
    }
    char *path = xasprintf("%s/part-00000-%s-c000.json", dir, uuid);
    free(dir);
    struct buf body;
    buf_init(&body);
    int records = 5 + (int)(sim_unit(&sim->rng) * 20);
    for (int i = 0; i < records; i++)
        buf_printf(&body, "{\"id\":%llu,\"ts\":\"%lld\",\"amount\":%.2f}\n",
                   (unsigned long long)(sim_rand(&sim->rng) % 1000000), (long long)t,
                   sim_unit(&sim->rng) * 500);
    int rc = sim_write(path, body.data, body.len, t, &sim->rng, err);
    if (rc == 0) {
        xgrow((void **)&s->files, &s->capfiles, s->nfiles + 1, sizeof *s->files);
        s->files[s->nfiles++] = (struct sim_file){path, t, (int64_t)body.len, -1};
    } else {
        free(path);
    }
    buf_done(&body);
    double jitter = 0.5 + sim_unit(&sim->rng);
    s->next_arrival_ms = t + (int64_t)(s->arrival_gap_ms * jitter) + 1;
    return rc;
}

static void source_entries(struct buf *b, const struct sim_stream *s, int64_t lo, int64_t hi)
{
    for (size_t i = 0; i < s->nfiles; i++) {
        const struct sim_file *f = &s->files[i];
        if (f->batch >= lo && f->batch <= hi)
            buf_printf(b, "\n{\"path\":\"file://%s\",\"timestamp\":%lld,\"batchId\":%lld}", f->path,
                       (long long)f->mtime_ms, (long long)f->batch);
    }
}

static void unlink_batch(const char *dir, int64_t id, const char *suffix)
{
    char *p = xasprintf("%s/%lld%s", dir, (long long)id, suffix);
    unlink(p);
    free(p);
}

static int plan(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    size_t cap =
        s->sc == SIM_GROWING ? (size_t)sim->o.files_per_batch : (size_t)sim->o.files_per_batch * 4;
    size_t n = 0;
    while (s->first_pending + n < s->nfiles && n < cap &&
           s->files[s->first_pending + n].mtime_ms <= t)
        n++;
    s->next_batch_ms = t + sim->o.trigger_ms;
    if (n == 0)
        return 0; /* a file source runs no batch without new files */
    int64_t b = s->next_batch++;
    for (size_t i = 0; i < n; i++)
        s->files[s->first_pending + i].batch = b;
    char *path = xasprintf("%s/offsets/%lld", s->ckpt, (long long)b);
    char *body = xasprintf("v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":{"
                           "\"spark.sql.streaming.stateStore.providerClass\":\"org.apache.spark."
                           "sql.execution.streaming.state.HDFSBackedStateStoreProvider\","
                           "\"spark.sql.streaming.multipleWatermarkPolicy\":\"min\","
                           "\"spark.sql.shuffle.partitions\":\"200\"}}\n{\"logOffset\":%lld}",
                           (long long)t, (long long)b);
    int rc = sim_write(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    free(body);
    if (rc < 0)
        return -1;
    /* file-source log: a delta per batch, all entries so far in every 10th (.compact) */
    struct buf log;
    buf_init(&log);
    buf_puts(&log, "v1");
    bool compact = (b + 1) % COMPACT_EVERY == 0;
    source_entries(&log, s, compact ? 0 : b, b);
    path = xasprintf("%s/sources/0/%lld%s", s->ckpt, (long long)b, compact ? ".compact" : "");
    rc = sim_write(path, log.data, log.len, t, &sim->rng, err);
    free(path);
    buf_done(&log);
    if (rc < 0)
        return -1;
    s->inflight = b;
    s->inflight_start_ms = t;
    s->inflight_first = s->first_pending;
    s->inflight_n = n;
    s->first_pending += n;
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
    int64_t rows = 0;
    for (size_t i = 0; i < s->inflight_n; i++)
        rows += s->files[s->inflight_first + i].size / 40 * ROWS_PER_RECORD;
    int64_t dur = t_end - s->inflight_start_ms;
    double secs = (double)sim->o.trigger_ms / 1000.0;
    char ts[40];
    clock_iso8601(s->inflight_start_ms, ts, sizeof ts);
    if (!strchr(ts, '.')) /* Spark always writes milliseconds */
        snprintf(ts + 19, sizeof ts - 19, ".000Z");
    long long b = (long long)s->inflight;
    char *line = xasprintf(
        "{\"id\":\"%s\",\"runId\":\"%s\",\"name\":\"%s\",\"timestamp\":\"%s\",\"batchId\":%lld,"
        "\"batchDuration\":%lld,\"numInputRows\":%lld,\"inputRowsPerSecond\":%.15g,"
        "\"processedRowsPerSecond\":%.15g,\"durationMs\":{\"addBatch\":%lld,\"commitOffsets\":"
        "3,\"getBatch\":1,\"latestOffset\":2,\"queryPlanning\":4,\"triggerExecution\":%lld,"
        "\"walCommit\":3},\"stateOperators\":[],\"sources\":[{\"description\":"
        "\"FileStreamSource[file:%s]\",\"startOffset\":%s,\"endOffset\":{\"logOffset\":%lld},"
        "\"latestOffset\":null,\"numInputRows\":%lld,\"inputRowsPerSecond\":%.15g,"
        "\"processedRowsPerSecond\":%.15g}],\"sink\":{\"description\":\"DeltaSink[%s/table]\","
        "\"numOutputRows\":-1}}",
        s->qid, s->runid, s->name, ts, b, (long long)dur, (long long)rows, (double)rows / secs,
        dur > 0 ? (double)rows * 1000.0 / (double)dur : 0.0, (long long)(dur > 12 ? dur - 12 : 1),
        (long long)dur, s->landing, b > 0 ? "{\"logOffset\":PREV}" : "null", b, (long long)rows,
        (double)rows / secs, dur > 0 ? (double)rows * 1000.0 / (double)dur : 0.0, sim->root);
    char *prev = strstr(line, "PREV");
    if (prev) {
        char *fixed = xasprintf("%.*s%lld%s", (int)(prev - line), line, b - 1, prev + 4);
        free(line);
        line = fixed;
    }
    int rc = sim_append(s->progress, line, t_end, err);
    free(line);
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
    const struct sim_file *f = &s->files[s->inflight_first];
    char *body = xasprintf(
        "{\"path\":\"file://%s\",\"record\":\"{\\\"id\\\": 17, \\\"amount\\\": \\\"12,50\\\"}\","
        "\"reason\":\"org.apache.spark.SparkRuntimeException: [MALFORMED_RECORD_IN_PARSING] "
        "Malformed records are detected in record parsing: [null,null]. Parse Mode: "
        "FAILFAST.\"}\n",
        f->path);
    char *path = xasprintf("%s/part-00000-%s", dir, uuid);
    int rc = sim_write(path, body, strlen(body), t, &sim->rng, err);
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
        unlink_batch(off, keep - 1, "");
        unlink_batch(com, keep - 1, "");
        free(off);
        free(com);
        /* file-source log files below minCompactionBatchId (CompactibleFileStreamLog) */
        int64_t min_compaction = keep - (keep % COMPACT_EVERY) - 1;
        char *src = xasprintf("%s/sources/0", s->ckpt);
        for (int64_t b = min_compaction - COMPACT_EVERY; b < min_compaction; b++) {
            if (b < 0)
                continue;
            unlink_batch(src, b, (b + 1) % COMPACT_EVERY == 0 ? ".compact" : "");
        }
        free(src);
    }
}

static int commit(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    int64_t b = s->inflight;
    char *path = xasprintf("%s/commits/%lld", s->ckpt, (long long)b);
    const char *body = "v1\n{\"nextBatchWatermarkMs\":0}";
    int rc = sim_write(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    if (rc == 0)
        rc = progress_line(sim, s, t, err);
    if (rc == 0 && s->sc == SIM_EVOLVING && b % 5 == 4)
        rc = deadletter(sim, s, t, err);
    if (rc == 0 && s->sc == SIM_EVOLVING && b % 40 == 39 && s->schema_version < 2)
        rc = write_schema(sim, s, ++s->schema_version, t, err);
    purge(s, b);
    s->inflight = -1;
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
        if (t > until)
            return 0;
        int rc;
        if (t == ta)
            rc = arrive(sim, s, t, err);
        else if (t == tc)
            rc = commit(sim, s, t, err);
        else
            rc = plan(sim, s, t, err);
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
        buf_printf(&b,
                   "\n[stream %s]\ncheckpoint = %s\nsource     = %s\nschema     = %s\n"
                   "deadletter = %s\nprogress   = %s\ntrigger    = %llds\n"
                   "labels     = scenario=%s, team=%s\n",
                   s->name, s->ckpt, s->landing, s->schemas, s->dlq, s->progress,
                   (long long)(sim->o.trigger_ms / 1000), sim_scenario_name(s->sc),
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
    if (i < 4)
        snprintf(s->name, sizeof s->name, "%s", names[i]);
    else
        snprintf(s->name, sizeof s->name, "stream-%03d", i);
    sim_uuid(&sim->rng, s->qid);
    sim_uuid(&sim->rng, s->runid);
    s->ckpt = xasprintf("%s/checkpoints/%s", sim->root, s->name);
    s->landing = xasprintf("%s/landing/%s", sim->root, s->name);
    s->progress = xasprintf("%s/progress/%s.jsonl", sim->root, s->name);
    s->dlq = xasprintf("%s/deadletter/%s", sim->root, s->name);
    s->schemas = xasprintf("%s/schemas/%s", sim->root, s->name);
    double per_batch = sim->o.files_per_batch * (s->sc == SIM_GROWING ? 2.5 : 1.0);
    s->arrival_gap_ms = (double)sim->o.trigger_ms / per_batch;
    s->next_arrival_ms = start - sim->o.trigger_ms;
    s->next_batch_ms = start;
    s->inflight = -1;
    s->stall_at_ms = start + (int64_t)((double)(now - start) * 0.6);
    s->stall_at_ms = s->sc == SIM_STALLED ? s->stall_at_ms : NEVER;
    char *dirs[] = {xasprintf("%s/offsets", s->ckpt),
                    xasprintf("%s/commits", s->ckpt),
                    xasprintf("%s/sources/0", s->ckpt),
                    xasprintf("%s/_schemas", s->schemas),
                    xstrdup(s->landing),
                    xstrdup(s->dlq),
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
    rc = sim_write(meta, body, strlen(body), start, &sim->rng, err);
    free(meta);
    free(body);
    if (rc == 0)
        rc = write_schema(sim, s, 0, start, err);
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
    sim->rng.s = opts->seed ? opts->seed : 1;
    if (sim_mkdirs(opts->dir, err) < 0) {
        free(sim);
        return NULL;
    }
    char *real = realpath(opts->dir, NULL);
    sim->root = xstrdup(real ? real : opts->dir);
    free(real);
    sim->st = xcalloc((size_t)sim->o.streams, sizeof *sim->st);
    int64_t now = clock_now_ms();
    int64_t start = now - (int64_t)sim->o.batches * sim->o.trigger_ms;
    for (int i = 0; i < sim->o.streams; i++) {
        if (init_stream(sim, i, start, now, err) < 0 || run_until(sim, &sim->st[i], now, err) < 0) {
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
    for (int i = 0; i < sim->o.streams; i++)
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
    }
    free(sim->st);
    free(sim->root);
    free(sim);
}
