/* The files each source kind adds to a simulated stream, as Spark 4.0 and Delta 4.0 write them
 * (shapes checked against tests/fixtures/live/spark-4.0.0 by tests/unit/test_parity.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/xalloc.h"
#include "sim/simint.h"

#define COMPACT_EVERY  10 /* spark.sql.streaming.fileSource.log.compactInterval */
#define KAFKA_TOPIC    "events"
#define KAFKA_RUN      50 /* records an arrival produces */
#define RATE_PER_SEC   10
#define WATERMARK_MS   2000 /* withWatermark("timestamp", "2 seconds") */
#define WINDOW_MS      2000 /* window("timestamp", "2 seconds") */
#define DSRC_ROWS_BASE 10

static const char DSRC_SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"
    "\"metadata\":{}},{\"name\":\"v\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";
#define WINDOW_TYPE                                                                                \
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"start\",\"type\":\"timestamp\",\"nullable\":"    \
    "true,\"metadata\":{}},{\"name\":\"end\",\"type\":\"timestamp\",\"nullable\":true,"            \
    "\"metadata\":{}}]}"
#define WINDOW_META "{\"spark.timeWindow\":true,\"spark.watermarkDelayMs\":2000}"
static const char RATE_SCHEMA[] =
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"window\",\"type\":" WINDOW_TYPE
    ",\"nullable\":true,\"metadata\":" WINDOW_META "},{\"name\":\"n\",\"type\":\"long\","
    "\"nullable\":true,\"metadata\":{}},{\"name\":\"total\",\"type\":\"long\",\"nullable\":true,"
    "\"metadata\":{}}]}";
/* the aggregation's state key and value schemas (state/0/0/_metadata/schema) */
static const char STATE_KEY[] =
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"window\",\"type\":" WINDOW_TYPE
    ",\"nullable\":false,\"metadata\":" WINDOW_META "}]}";
static const char STATE_VALUE[] =
    "{\"type\":\"struct\",\"fields\":[{\"name\":\"count\",\"type\":\"long\",\"nullable\":false,"
    "\"metadata\":{}},{\"name\":\"sum\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";
/* An HDFS-backed state store delta with no change: lz4-java's LZ4Block framing of the end
 * marker (int -1) in a raw block, then the empty end block, byte for byte as Spark writes it. */
static const unsigned char EMPTY_DELTA[46] = {
    'L', 'Z',  '4',  'B',  'l',  'o',  'c',  'k',  0x15, 4,   0,   0,   0,   4,   0,   0,
    0,   0xdb, 0x80, 0x4d, 0x08, 0xff, 0xff, 0xff, 0xff, 'L', 'Z', '4', 'B', 'l', 'o', 'c',
    'k', 0x15, 0,    0,    0,    0,    0,    0,    0,    0,   0,   0,   0,   0};

static int spark_file(struct sim *sim, const char *path, const void *data, size_t len, int64_t t,
                      struct st_err *err)
{
    return sim_write_spark(path, data, len, t, &sim->rng, err);
}

static void add_unit(struct sim_stream *s, char *path, int64_t t, int64_t size)
{
    xgrow((void **)&s->files, &s->capfiles, s->nfiles + 1, sizeof *s->files);
    s->files[s->nfiles++] = (struct sim_file){path, t, size, -1};
}

/* ---- setup ---------------------------------------------------------------------------- */

int simkind_init(struct sim *sim, struct sim_stream *s, int64_t start, struct st_err *err)
{
    char *path = NULL;
    int rc = 0;
    switch (s->kind) {
    case SIM_KIND_FILES: {
        path = xasprintf("%s/sources/0", s->ckpt);
        rc = sim_mkdirs(path, err) < 0 || sim_mkdirs(s->landing, err) < 0 ? -1 : 0;
        char *schema = sim_schema_json(0);
        simdelta_init(&s->delta, s->table, schema, start, &sim->rng);
        free(schema);
        s->has_delta = true;
        break;
    }
    case SIM_KIND_KAFKA: {
        /* KafkaSource's initial offsets: a NUL byte (a writeUTF quirk), "v1", the offsets */
        static const char body[] = "\0v1\n{\"" KAFKA_TOPIC "\":{\"0\":0,\"1\":0,\"2\":0}}";
        char *dir = xasprintf("%s/sources/0", s->ckpt);
        path = xasprintf("%s/0", dir);
        rc = sim_mkdirs(dir, err);
        if (rc == 0)
            rc = spark_file(sim, path, body, sizeof body - 1, start, err);
        free(dir);
        break;
    }
    case SIM_KIND_DELTA:
        simdelta_init(&s->delta, s->table, DSRC_SCHEMA, start - 3 * s->arrival_gap_ms, &sim->rng);
        s->has_delta = true;
        /* the table exists with two versions before the query starts */
        for (int i = 2; i >= 1 && rc == 0; i--)
            rc = simkind_arrive(sim, s, start - (int64_t)(i * s->arrival_gap_ms), err);
        break;
    case SIM_KIND_RATE: {
        char *dir = xasprintf("%s/sources/0", s->ckpt);
        path = xasprintf("%s/0", dir);
        char *body = xasprintf("v1\n%lld", (long long)start); /* the rate source's start time */
        rc = sim_mkdirs(dir, err);
        if (rc == 0)
            rc = spark_file(sim, path, body, strlen(body), start, err);
        free(body);
        free(dir);
        s->rate_start_ms = start;
        s->rate_seconds = -1;
        s->next_arrival_ms = INT64_MAX; /* rows are made by the clock */
        simdelta_init(&s->delta, s->table, RATE_SCHEMA, start, &sim->rng);
        s->has_delta = true;
        break;
    }
    default:
        break;
    }
    free(path);
    return rc;
}

/* ---- arrivals ------------------------------------------------------------------------- */

static int arrive_file(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    char uuid[37];
    sim_uuid(&sim->rng, uuid);
    char *dir = sim_feed_dir(s, t);
    if (sim_mkdirs(dir, err) < 0) {
        free(dir);
        return -1;
    }
    char *name = sim_feed_name(s, t, uuid);
    char *path = xasprintf("%s/%s", dir, name);
    free(name);
    free(dir);
    struct buf body;
    buf_init(&body);
    int records = 5 + (int)(sim_unit(&sim->rng) * 20);
    for (int i = 0; i < records; i++)
        buf_printf(&body, "{\"id\":%llu,\"ts\":\"%lld\",\"amount\":%.2f}\n",
                   (unsigned long long)(sim_rand(&sim->rng) % 1000000), (long long)t,
                   sim_unit(&sim->rng) * 500);
    /* the feeder is not Spark: a plain file, no checksum sidecar */
    int rc = sim_write(path, body.data, body.len, t, &sim->rng, err);
    if (rc == 0)
        add_unit(s, path, t, (int64_t)body.len);
    else
        free(path);
    buf_done(&body);
    return rc;
}

int simkind_arrive(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    switch (s->kind) {
    case SIM_KIND_FILES:
        return arrive_file(sim, s, t, err);
    case SIM_KIND_KAFKA:
        for (int p = 0; p < SIM_KAFKA_PARTITIONS; p++)
            s->produced[p] += KAFKA_RUN / SIM_KAFKA_PARTITIONS + (p < KAFKA_RUN % 3);
        return 0;
    case SIM_KIND_DELTA: {
        /* another writer appends a version of one file */
        int64_t rows = DSRC_ROWS_BASE + (int64_t)(sim_unit(&sim->rng) * 20);
        struct sim_delta_write w = {.rows = rows, .bytes = 600 + rows * 25};
        if (simdelta_commit(&s->delta, &w, t, &sim->rng, err) < 0)
            return -1;
        add_unit(s, NULL, t, rows);
        return 0;
    }
    default:
        return 0;
    }
}

/* ---- planning a batch ------------------------------------------------------------------ */

static char *kafka_json(const int64_t *v)
{
    return xasprintf("{\"" KAFKA_TOPIC "\":{\"0\":%lld,\"1\":%lld,\"2\":%lld}}", (long long)v[0],
                     (long long)v[1], (long long)v[2]);
}

int simkind_take(struct sim *sim, struct sim_stream *s, int64_t t)
{
    size_t cap =
        s->sc == SIM_GROWING ? (size_t)sim->o.files_per_batch : (size_t)sim->o.files_per_batch * 4;
    size_t n = 0;
    while (s->first_pending + n < s->nfiles && n < cap &&
           s->files[s->first_pending + n].mtime_ms <= t)
        n++;
    s->inflight_first = s->first_pending;
    s->inflight_n = 0;
    s->inflight_rows = 0;
    free(s->end_offset);
    s->end_offset = NULL;
    switch (s->kind) {
    case SIM_KIND_FILES:
        if (n == 0)
            return 0; /* a file source runs no batch without new files */
        for (size_t i = 0; i < n; i++)
            s->inflight_rows += s->files[s->first_pending + i].size / 40;
        s->end_offset = xasprintf("{\"logOffset\":%lld}", (long long)s->next_batch);
        break;
    case SIM_KIND_KAFKA: {
        /* maxOffsetsPerTrigger, split over the partitions in proportion to what each has */
        int64_t avail[SIM_KAFKA_PARTITIONS], total = 0, limit = (int64_t)cap * KAFKA_RUN;
        for (int p = 0; p < SIM_KAFKA_PARTITIONS; p++)
            total += avail[p] = s->produced[p] - s->read[p];
        if (total == 0)
            return 0;
        for (int p = 0; p < SIM_KAFKA_PARTITIONS; p++) {
            int64_t take = total <= limit ? avail[p] : avail[p] * limit / total;
            s->read[p] += take;
            s->inflight_rows += take;
        }
        if (s->inflight_rows == 0)
            return 0;
        s->end_offset = kafka_json(s->read);
        break;
    }
    case SIM_KIND_DELTA: {
        if (n == 0)
            return 0;
        if (s->dsrc_start < 0) /* the first batch reads the snapshot of the newest version */
            while (s->dsrc_start + 1 < (int64_t)s->nfiles &&
                   s->files[s->dsrc_start + 1].mtime_ms <= t)
                s->dsrc_start++;
        for (size_t i = 0; i < n; i++)
            s->inflight_rows += s->files[s->first_pending + i].size;
        int64_t last = (int64_t)(s->first_pending + n) - 1; /* one file a version */
        bool starting = last < s->dsrc_start;
        s->end_offset = xasprintf("{\"sourceVersion\":1,\"reservoirId\":\"%s\","
                                  "\"reservoirVersion\":%lld,\"index\":%lld,"
                                  "\"isStartingVersion\":%s}",
                                  s->delta.id, (long long)(starting ? s->dsrc_start : last + 1),
                                  (long long)(starting ? last : -1), starting ? "true" : "false");
        break;
    }
    case SIM_KIND_RATE: {
        int64_t secs = (t - s->rate_start_ms) / 1000;
        if (secs <= s->rate_seconds)
            return 0;
        s->inflight_rows = s->rate_seconds < 0 ? 0 : (secs - s->rate_seconds) * RATE_PER_SEC;
        if (s->inflight_rows > 0) { /* the newest event time seen sets the next watermark */
            int64_t max_event = s->rate_start_ms + secs * 1000 - 1000 / RATE_PER_SEC;
            if (max_event - WATERMARK_MS > s->next_watermark_ms)
                s->next_watermark_ms = max_event - WATERMARK_MS;
        }
        s->rate_seconds = secs;
        s->end_offset = xasprintf("%lld", (long long)secs);
        free(s->latest_offset);
        s->latest_offset = xstrdup(s->end_offset);
        return 1;
    }
    default:
        return 0;
    }
    if (s->kind == SIM_KIND_KAFKA) { /* latestOffset: what the topic held at planning */
        memcpy(s->latest, s->produced, sizeof s->latest);
        free(s->latest_offset);
        s->latest_offset = kafka_json(s->produced);
    }
    s->inflight_n = s->kind == SIM_KIND_KAFKA ? 0 : n;
    s->first_pending += s->kind == SIM_KIND_KAFKA ? 0 : n;
    return 1;
}

/* file-source log: a delta per batch, all entries so far in every 10th (.compact) */
int simkind_source_log(struct sim *sim, struct sim_stream *s, int64_t b, int64_t t,
                       struct st_err *err)
{
    if (s->kind != SIM_KIND_FILES)
        return 0; /* Kafka and rate wrote sources/0/0 at start; a Delta source keeps no log */
    struct buf log;
    buf_init(&log);
    buf_puts(&log, "v1");
    bool compact = (b + 1) % COMPACT_EVERY == 0;
    for (size_t i = 0; i < s->nfiles; i++) {
        const struct sim_file *f = &s->files[i];
        if (f->batch >= (compact ? 0 : b) && f->batch <= b)
            buf_printf(&log, "\n{\"path\":\"file://%s\",\"timestamp\":%lld,\"batchId\":%lld}",
                       f->path, (long long)f->mtime_ms, (long long)f->batch);
    }
    char *path = xasprintf("%s/sources/0/%lld%s", s->ckpt, (long long)b, compact ? ".compact" : "");
    int rc = spark_file(sim, path, log.data, log.len, t, err);
    free(path);
    buf_done(&log);
    return rc;
}

/* ---- committing a batch ---------------------------------------------------------------- */

static void be32(struct buf *b, uint32_t v)
{
    unsigned char p[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    buf_append(b, p, 4);
}

/* state/0/0/_metadata/schema: writeUTF("v2"), then key and value schema, each as a chunk count
 * and writeUTF'd chunks */
static int state_schema(struct sim *sim, struct sim_stream *s, int64_t t, struct st_err *err)
{
    struct buf b;
    buf_init(&b);
    buf_append(&b, "\0\2v2", 4);
    const char *parts[] = {STATE_KEY, STATE_VALUE};
    for (int i = 0; i < 2; i++) {
        size_t n = strlen(parts[i]);
        be32(&b, 1);
        unsigned char len[2] = {(unsigned char)(n >> 8), (unsigned char)n};
        buf_append(&b, len, 2);
        buf_append(&b, parts[i], n);
    }
    char *dir = xasprintf("%s/state/0/0/_metadata", s->ckpt);
    char *path = xasprintf("%s/schema", dir);
    int rc = sim_mkdirs(dir, err);
    if (rc == 0)
        rc = spark_file(sim, path, b.data, b.len, t, err);
    free(path);
    free(dir);
    buf_done(&b);
    if (rc < 0)
        return -1;
    dir = xasprintf("%s/state/0/_metadata", s->ckpt);
    path = xasprintf("%s/metadata", dir);
    char *body = xasprintf("v1\n{\"operatorInfo\":{\"operatorId\":0,\"operatorName\":"
                           "\"stateStoreSave\"},\"stateStoreInfo\":[{\"storeName\":\"default\","
                           "\"numColsPrefixKey\":0,\"numPartitions\":%d}]}",
                           SIM_STATE_PARTITIONS);
    rc = sim_mkdirs(dir, err);
    if (rc == 0)
        rc = spark_file(sim, path, body, strlen(body), t, err);
    free(body);
    free(path);
    free(dir);
    return rc;
}

static int64_t windows_closed(int64_t watermark_ms)
{
    return watermark_ms > 0 ? watermark_ms / WINDOW_MS : 0;
}

int simkind_commit(struct sim *sim, struct sim_stream *s, int64_t b, int64_t t, struct st_err *err)
{
    struct sim_delta_write w = {.query_id = s->qid, .epoch = b, .rows = s->inflight_rows};
    switch (s->kind) {
    case SIM_KIND_FILES:
        w.bytes = 1100 + w.rows * 50;
        return simdelta_commit(&s->delta, &w, t, &sim->rng, err);
    case SIM_KIND_RATE:
        if (b == 0 && state_schema(sim, s, t, err) < 0)
            return -1;
        for (int p = 0; p < SIM_STATE_PARTITIONS; p++) {
            char *dir = xasprintf("%s/state/0/%d", s->ckpt, p);
            char *path = xasprintf("%s/%lld.delta", dir, (long long)(b + 1)); /* version b+1 */
            int rc = sim_mkdirs(dir, err);
            if (rc == 0)
                rc = spark_file(sim, path, EMPTY_DELTA, sizeof EMPTY_DELTA, t, err);
            free(path);
            free(dir);
            if (rc < 0)
                return -1;
        }
        /* append mode: a window's row is written once the watermark passes its end */
        w.rows = s->watermark_ms > 0
                     ? windows_closed(s->next_watermark_ms) - windows_closed(s->watermark_ms)
                     : 0;
        w.bytes = w.rows > 0 ? 1400 : 0;
        return simdelta_commit(&s->delta, &w, t, &sim->rng, err);
    default:
        return 0; /* foreachBatch: what it writes is its own business */
    }
}

/* ---- progress ------------------------------------------------------------------------- */

static void iso(int64_t ms, char out[40])
{
    clock_iso8601(ms, out, 40);
    if (!strchr(out, '.'))
        snprintf(out + 19, 40 - 19, ".000Z");
}

void simkind_progress(struct sim *sim, const struct sim_stream *s, struct buf *b, double in_rate,
                      double proc_rate, int64_t t_end)
{
    (void)t_end;
    const char *start = s->start_offset ? s->start_offset : "null";
    if (s->kind == SIM_KIND_RATE) {
        char wm[40];
        iso(s->watermark_ms, wm);
        buf_puts(b, "\"eventTime\":{");
        if (s->inflight_rows > 0) {
            int64_t hi = s->rate_start_ms + s->rate_seconds * 1000 - 1000 / RATE_PER_SEC;
            int64_t lo = hi - s->inflight_rows * 1000 / RATE_PER_SEC + 1000 / RATE_PER_SEC;
            char a[40], mx[40], mn[40];
            iso((lo + hi) / 2, a);
            iso(hi, mx);
            iso(lo, mn);
            buf_printf(b, "\"avg\":\"%s\",\"max\":\"%s\",\"min\":\"%s\",", a, mx, mn);
        }
        int64_t open = (s->rate_seconds * 1000 - s->watermark_ms + s->rate_start_ms) / WINDOW_MS;
        buf_printf(b,
                   "\"watermark\":\"%s\"},\"stateOperators\":[{\"operatorName\":"
                   "\"stateStoreSave\",\"numRowsTotal\":%lld,\"numRowsUpdated\":%lld,"
                   "\"allUpdatesTimeMs\":12,\"numRowsRemoved\":1,\"allRemovalsTimeMs\":9,"
                   "\"commitTimeMs\":40,\"memoryUsedBytes\":1936,\"numRowsDroppedByWatermark\":0,"
                   "\"numShufflePartitions\":%d,\"numStateStoreInstances\":%d,"
                   "\"customMetrics\":{\"loadedMapCacheHitCount\":%lld,"
                   "\"loadedMapCacheMissCount\":0,\"stateOnCurrentVersionSizeBytes\":896}}],",
                   wm, (long long)(open > 0 ? open : 0), (long long)(s->inflight_rows > 0 ? 2 : 0),
                   SIM_STATE_PARTITIONS, SIM_STATE_PARTITIONS, (long long)(4 * s->inflight));
    } else {
        buf_puts(b, "\"stateOperators\":[],");
    }
    buf_puts(b, "\"sources\":[{\"description\":");
    switch (s->kind) {
    case SIM_KIND_FILES:
        buf_printf(b, "\"FileStreamSource[file:%s]\"", s->landing);
        break;
    case SIM_KIND_KAFKA:
        buf_puts(b, "\"KafkaV2[Subscribe[" KAFKA_TOPIC "]]\"");
        break;
    case SIM_KIND_DELTA:
        buf_printf(b, "\"DeltaSource[file:%s]\"", s->table);
        break;
    default: /* sic: Spark's description has no closing bracket */
        buf_printf(b, "\"RateStreamV2[rowsPerSecond=%d, rampUpTimeSeconds=0, numPartitions=%d\"",
                   RATE_PER_SEC, SIM_STATE_PARTITIONS);
        break;
    }
    const char *latest = (s->kind == SIM_KIND_KAFKA || s->kind == SIM_KIND_RATE) && s->latest_offset
                             ? s->latest_offset
                             : "null";
    buf_printf(b,
               ",\"startOffset\":%s,\"endOffset\":%s,\"latestOffset\":%s,\"numInputRows\":%lld,"
               "\"inputRowsPerSecond\":%.15g,\"processedRowsPerSecond\":%.15g",
               start, s->end_offset, latest, (long long)s->inflight_rows, in_rate, proc_rate);
    if (s->kind == SIM_KIND_KAFKA) {
        int64_t lo = INT64_MAX, hi = 0, sum = 0;
        for (int p = 0; p < SIM_KAFKA_PARTITIONS; p++) {
            int64_t behind = s->latest[p] - s->read[p];
            lo = behind < lo ? behind : lo;
            hi = behind > hi ? behind : hi;
            sum += behind;
        }
        buf_printf(b,
                   ",\"metrics\":{\"avgOffsetsBehindLatest\":\"%.1f\",\"maxOffsetsBehindLatest\":"
                   "\"%lld\",\"minOffsetsBehindLatest\":\"%lld\"}",
                   (double)sum / SIM_KAFKA_PARTITIONS, (long long)hi, (long long)lo);
    }
    if (s->has_delta && s->kind != SIM_KIND_DELTA)
        buf_printf(b, "}],\"sink\":{\"description\":\"DeltaSink[%s]\",\"numOutputRows\":-1}",
                   s->table);
    else
        buf_puts(b, "}],\"sink\":{\"description\":\"ForeachBatchSink\",\"numOutputRows\":-1}");
    (void)sim;
}

/* ---- retention and config -------------------------------------------------------------- */

static void unlink_spark(const char *fmt_dir, int64_t id, const char *suffix)
{
    char *p = xasprintf("%s/%lld%s", fmt_dir, (long long)id, suffix);
    sim_unlink_spark(p);
    free(p);
}

void simkind_purge(struct sim_stream *s, int64_t keep)
{
    if (s->kind == SIM_KIND_FILES) {
        /* file-source log files below minCompactionBatchId (CompactibleFileStreamLog) */
        int64_t min_compaction = keep - (keep % COMPACT_EVERY) - 1;
        char *src = xasprintf("%s/sources/0", s->ckpt);
        for (int64_t b = min_compaction - COMPACT_EVERY; b < min_compaction; b++)
            if (b >= 0)
                unlink_spark(src, b, (b + 1) % COMPACT_EVERY == 0 ? ".compact" : "");
        free(src);
    } else if (s->kind == SIM_KIND_RATE) {
        /* state store versions below the oldest batch kept (version = batch + 1) */
        for (int p = 0; p < SIM_STATE_PARTITIONS; p++) {
            char *dir = xasprintf("%s/state/0/%d", s->ckpt, p);
            unlink_spark(dir, keep, ".delta");
            free(dir);
        }
    }
}

void simkind_config(const struct sim_stream *s, struct buf *b)
{
    switch (s->kind) {
    case SIM_KIND_FILES:
        buf_printf(b, "source     = %s\nschema     = %s\nsink       = %s\n", s->landing, s->schemas,
                   s->table);
        break;
    case SIM_KIND_DELTA:
        buf_printf(b, "source     = %s\n", s->table);
        break;
    case SIM_KIND_RATE:
        buf_printf(b, "sink       = %s\n", s->table);
        break;
    default:
        break;
    }
}
