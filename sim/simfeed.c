/* The simulator's feeders and the layouts around them: landing zones fed every minute or hourly
 * and one whose feeder stopped (feeder), feeders killed between copying into the staging folder
 * and moving into the landing zone (staging), an Auto Loader checkpoint whose last batch is
 * older than the newest files (autoloader), and Firehose's key layout with its
 * processing-failed/ records (firehose). Everything is dated from the clock, so a test that
 * fixes it (STREAMTOP_NOW_MS) knows every figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "sim/simint.h"

#define SECOND_MS 1000LL
#define MINUTE_MS (60 * SECOND_MS)
#define HOUR_MS   (60 * MINUTE_MS)

/* Auto Loader streams: a file every 15 s for an hour; a batch a minute taking at most
 * maxFilesPerTrigger of what arrived before it, the last one planned 5 minutes ago. */
#define AL_SPAN_MS    HOUR_MS
#define AL_ARRIVAL_MS (15 * SECOND_MS)
#define AL_BATCH_MS   MINUTE_MS
#define AL_MAX_FILES  3
#define AL_IDLE_MS    (5 * MINUTE_MS)
#define AL_CLOCK_SKEW (30 * SECOND_MS) /* streamtop's default clock_skew */
#define AL_PINNED_CONF                                                                             \
    "{\"spark.sql.shuffle.partitions\":\"200\",\"spark.sql.streaming.multipleWatermarkPolicy\":"   \
    "\"min\"}"

static void utc(int64_t t, struct tm *tm)
{
    time_t secs = (time_t)(t / 1000);
    gmtime_r(&secs, tm);
}

char *sim_feed_dir(const struct sim_stream *s, int64_t t)
{
    struct tm tm;
    utc(t, &tm);
    if (s->asked == SIM_KIND_FIREHOSE)
        return xasprintf("%s/%04d/%02d/%02d/%02d", s->landing, tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour);
    return xasprintf("%s/dt=%04d-%02d-%02d/hr=%02d", s->landing, tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour);
}

char *sim_feed_name(const struct sim_stream *s, int64_t t, const char *uuid)
{
    struct tm tm;
    utc(t, &tm);
    if (s->asked == SIM_KIND_FIREHOSE) /* DeliveryStreamName-Version-YYYY-MM-DD-HH-MM-SS-id */
        return xasprintf("%s-1-%04d-%02d-%02d-%02d-%02d-%02d-%s", s->name, tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, uuid);
    return xasprintf("part-00000-%s-c000.json", uuid);
}

/* One file the feeder (not Spark: no checksum sidecar) writes into dir at t. */
static int feed_file(struct sim *sim, const char *dir, const char *name, const char *body,
                     int64_t t, struct st_err *err)
{
    if (sim_mkdirs(dir, err) < 0)
        return -1;
    char *path = xasprintf("%s/%s", dir, name);
    int rc = sim_write(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    return rc;
}

/* A landing file named by its time, in YYYY/MM/DD/HH (dated) or dt=/hr= folders. */
static int landing_file(struct sim *sim, const char *landing, bool dated, int64_t t, int seq,
                        struct st_err *err)
{
    struct tm tm;
    utc(t, &tm);
    char *dir = dated ? xasprintf("%s/%04d/%02d/%02d/%02d", landing, tm.tm_year + 1900,
                                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour)
                      : xasprintf("%s/dt=%04d-%02d-%02d/hr=%02d", landing, tm.tm_year + 1900,
                                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour);
    char name[64], body[96];
    snprintf(name, sizeof name, "part-%05d-%lld.json", seq, (long long)(t / 1000));
    snprintf(body, sizeof body, "{\"id\":%d,\"ts\":%lld}\n", seq, (long long)t);
    int rc = feed_file(sim, dir, name, body, t, err);
    free(dir);
    return rc;
}

/* ---- feeder --------------------------------------------------------------------------- */

static int feeders(struct sim *sim, int64_t now, struct buf *ini, struct st_err *err)
{
    char *minutely = xasprintf("%s/landing/minutely", sim->root);
    char *hourly = xasprintf("%s/landing/hourly", sim->root);
    char *stopped = xasprintf("%s/landing/stopped", sim->root);
    int rc =
        sim_mkdirs(minutely, err) < 0 || sim_mkdirs(hourly, err) < 0 || sim_mkdirs(stopped, err) < 0
            ? -1
            : 0;
    /* every minute for three hours, the newest 10 s ago */
    for (int k = 0; rc == 0 && k < 180; k++)
        rc = landing_file(sim, minutely, true, now - 10 * SECOND_MS - k * MINUTE_MS, k, err);
    /* five files at once every hour for two days, the newest 40 minutes ago */
    for (int h = 0; rc == 0 && h < 48; h++)
        for (int j = 0; rc == 0 && j < 5; j++)
            rc = landing_file(sim, hourly, false, now - 40 * MINUTE_MS - h * HOUR_MS + j * 2000,
                              h * 5 + j, err);
    /* every minute for three hours, until 20 minutes ago: its feeder stopped */
    for (int k = 0; rc == 0 && k < 180; k++)
        rc = landing_file(sim, stopped, true, now - 20 * MINUTE_MS - k * MINUTE_MS, k, err);
    buf_printf(ini,
               "\n; fed every minute (YYYY/MM/DD/HH/ keys), the newest file 10 s old\n"
               "[stream minutely]\nsource = %s\nlabels = scenario=feeding\n"
               "\n; five files at once every hour (dt=/hr= folders), the newest 40 minutes old\n"
               "[stream hourly]\nsource = %s\nlabels = scenario=hourly\n"
               "\n; fed every minute until 20 minutes ago\n"
               "[stream stopped]\nsource = %s\nlabels = scenario=stopped\n",
               minutely, hourly, stopped);
    free(minutely);
    free(hourly);
    free(stopped);
    return rc;
}

/* ---- autoloader ----------------------------------------------------------------------- */

static int al_ckpt_file(struct sim *sim, const char *ckpt, const char *rel, int64_t id,
                        const char *body, int64_t t, struct st_err *err)
{
    char *path =
        id >= 0 ? xasprintf("%s/%s/%lld", ckpt, rel, (long long)id) : xasprintf("%s/%s", ckpt, rel);
    int rc = sim_write_spark(path, body, strlen(body), t, &sim->rng, err);
    free(path);
    return rc;
}

/* One Auto Loader stream: returns the files no batch read (*unread) and those of them newer
 * than the last batch's start plus the clock skew (*certain). */
static int autoloader(struct sim *sim, const char *name, bool progress, int64_t now,
                      struct buf *ini, struct st_err *err)
{
    char *ckpt = xasprintf("%s/checkpoints/%s", sim->root, name);
    char *landing = xasprintf("%s/landing/%s", sim->root, name);
    char *offsets = xasprintf("%s/offsets", ckpt), *commits = xasprintf("%s/commits", ckpt);
    char qid[37];
    sim_uuid(&sim->rng, qid);
    int64_t start = now - AL_SPAN_MS;
    int rc =
        sim_mkdirs(offsets, err) < 0 || sim_mkdirs(commits, err) < 0 || sim_mkdirs(landing, err) < 0
            ? -1
            : 0;
    char *meta = xasprintf("{\"id\":\"%s\"}", qid);
    if (rc == 0)
        rc = al_ckpt_file(sim, ckpt, "metadata", -1, meta, start, err);
    free(meta);
    /* the files, oldest first */
    size_t nfiles = (size_t)((AL_SPAN_MS - 5 * SECOND_MS) / AL_ARRIVAL_MS) + 1;
    int64_t *ft = xmalloc(nfiles * sizeof *ft);
    for (size_t k = 0; k < nfiles; k++) {
        ft[k] = start + (int64_t)k * AL_ARRIVAL_MS;
        if (rc == 0)
            rc = landing_file(sim, landing, false, ft[k], (int)k, err);
    }
    /* the batches: each takes at most AL_MAX_FILES of the files that arrived before it */
    size_t read = 0;
    int64_t batch = 0, last_start = -1;
    for (int64_t t = start + AL_BATCH_MS; rc == 0 && t <= now - AL_IDLE_MS; t += AL_BATCH_MS) {
        size_t take = 0;
        while (read + take < nfiles && ft[read + take] < t && take < AL_MAX_FILES)
            take++;
        if (!take)
            continue;
        read += take;
        char *off = xasprintf("v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":%lld,\"conf\":"
                              "%s}\n{\"seqNum\":%zu,\"sourceVersion\":1,"
                              "\"lastBackfillStartTimeMs\":%lld,\"lastBackfillFinishTimeMs\":"
                              "%lld}",
                              (long long)t, AL_PINNED_CONF, read - 1, (long long)start,
                              (long long)start + 1500);
        rc = al_ckpt_file(sim, ckpt, "offsets", batch, off, t + 200, err);
        free(off);
        if (rc == 0)
            rc = al_ckpt_file(sim, ckpt, "commits", batch, "v1\n{\"nextBatchWatermarkMs\":0}",
                              t + 4000, err);
        last_start = t;
        batch++;
    }
    size_t unread = nfiles - read, certain = 0;
    for (size_t k = read; k < nfiles; k++)
        certain += last_start >= 0 && ft[k] > last_start + AL_CLOCK_SKEW;
    free(ft);
    char *prog = NULL;
    if (rc == 0 && progress) {
        /* the query reports its own figure: numFilesOutstanding, which wins */
        prog = xasprintf("%s/progress/%s.jsonl", sim->root, name);
        char *line = xasprintf(
            "{\"id\":\"%s\",\"runId\":\"%s\",\"name\":null,\"timestamp\":\"x\",\"batchId\":"
            "%lld,\"numInputRows\":%d,\"inputRowsPerSecond\":0.05,\"processedRowsPerSecond\":"
            "1.0,\"durationMs\":{\"triggerExecution\":4000},\"stateOperators\":[],\"sources\":[{"
            "\"description\":\"CloudFilesSource[%s]\",\"startOffset\":null,\"endOffset\":null,"
            "\"latestOffset\":null,\"numInputRows\":%d,\"inputRowsPerSecond\":0.05,"
            "\"processedRowsPerSecond\":1.0,\"metrics\":{\"numBytesOutstanding\":\"%zu\","
            "\"numFilesOutstanding\":\"%zu\"}}],\"sink\":{\"description\":\"DeltaSink\","
            "\"numOutputRows\":%d}}",
            qid, qid, (long long)(batch - 1), AL_MAX_FILES, landing, AL_MAX_FILES, unread * 24,
            unread, AL_MAX_FILES);
        rc = sim_append(prog, line, last_start + 4000, err);
        free(line);
    }
    buf_printf(ini,
               "\n; Auto Loader: %zu files no batch read; %zu of them arrived after the last "
               "batch started (plus 30s of clock skew)\n[stream %s]\ncheckpoint = %s\nsource = "
               "%s\n",
               unread, certain, name, ckpt, landing);
    if (prog)
        buf_printf(ini, "progress = %s\n", prog);
    buf_printf(ini, "labels = scenario=autoloader, unread=%zu, certain=%zu\n", unread, certain);
    free(prog);
    free(offsets);
    free(commits);
    free(ckpt);
    free(landing);
    return rc;
}

int sim_feed_create(struct sim *sim, int64_t now, struct st_err *err)
{
    struct buf ini;
    buf_init(&ini);
    buf_printf(&ini,
               "; A simulated pipeline (streamtop simulate --kind %s).\n[global]\nrefresh = "
               "2s\n",
               sim_kind_name(sim->o.kind));
    int rc;
    if (sim->o.kind == SIM_KIND_FEEDER) {
        rc = feeders(sim, now, &ini, err);
    } else {
        char *dir = xasprintf("%s/progress", sim->root);
        rc = sim_mkdirs(dir, err);
        free(dir);
        if (rc == 0)
            rc = autoloader(sim, "bronze", false, now, &ini, err);
        if (rc == 0)
            rc = autoloader(sim, "bronze_reported", true, now, &ini, err);
    }
    sim->o.streams = 0; /* nothing for sim_advance to move */
    if (rc == 0) {
        char *path = xasprintf("%s/streamtop.ini", sim->root);
        rc = sim_write(path, ini.data, ini.len, now, &sim->rng, err);
        free(path);
    }
    buf_done(&ini);
    return rc;
}

/* ---- staging and firehose extras ------------------------------------------------------ */

static int staging_leftovers(struct sim *sim, struct sim_stream *s, int64_t now, struct st_err *err)
{
    char *dir = xasprintf("%s/_staging", s->landing);
    char uuid[37];
    sim_uuid(&sim->rng, uuid);
    /* copied, never moved: the feeder was killed 25 minutes ago, mid-way through the next */
    char *a = xasprintf("part-00000-%s-c000.json", uuid);
    char *b = xasprintf("part-00001-%s-c000.json._COPYING_", uuid);
    char *c = xasprintf("part-00002-%s-c000.json", uuid); /* being moved right now */
    int rc = feed_file(sim, dir, a, "{\"id\":1}\n", now - 25 * MINUTE_MS, err);
    if (rc == 0)
        rc = feed_file(sim, dir, b, "{\"id\":2", now - 25 * MINUTE_MS, err);
    if (rc == 0)
        rc = feed_file(sim, dir, c, "{\"id\":3}\n", now - 20 * SECOND_MS, err);
    free(a);
    free(b);
    free(c);
    free(dir);
    return rc;
}

/* Firehose's failed records: JSON lines in <error prefix>/YYYY/MM/DD/HH/, Lambda
 * transformation failures (processing-failed/, keys errorCode/errorMessage) and, under a
 * custom error prefix errors/, data format conversion failures (ErrorCode/ErrorMessage). */
static int firehose_failures(struct sim *sim, struct sim_stream *s, int64_t now, struct st_err *err)
{
    static const int64_t ages[] = {50 * MINUTE_MS, 20 * MINUTE_MS, 2 * MINUTE_MS};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof ages / sizeof *ages; i++) {
        int64_t t = now - ages[i];
        struct sim_stream where = *s;
        where.landing = s->dlq;
        char uuid[37];
        sim_uuid(&sim->rng, uuid);
        char *dir = sim_feed_dir(&where, t), *name = sim_feed_name(&where, t, uuid);
        char *body = xasprintf(
            "{\"attemptsMade\":4,\"arrivalTimestamp\":%lld,\"errorCode\":\"Lambda.FunctionError\","
            "\"errorMessage\":\"The Lambda function was successfully invoked but it returned an "
            "error result.\",\"attemptEndingTimestamp\":%lld,\"rawData\":\"eyJpZCI6MTcsImFtb3Vu"
            "dCI6IjEyLDUwIn0=\",\"lambdaArn\":\"arn:aws:lambda:us-east-1:123456789012:function:"
            "transform:$LATEST\"}\n",
            (long long)t - 60000, (long long)t);
        rc = feed_file(sim, dir, name, body, t, err);
        free(body);
        free(dir);
        free(name);
    }
    if (rc == 0) {
        const char *slash = strrchr(s->dlq, '/'); /* the bucket holds both prefixes */
        int bucket = slash ? (int)(slash - s->dlq) : 0;
        char *errors = xasprintf("%.*s/errors/format-conversion-failed", bucket, s->dlq);
        struct sim_stream where = *s;
        where.landing = errors;
        char uuid[37];
        sim_uuid(&sim->rng, uuid);
        int64_t t = now - 30 * MINUTE_MS;
        char *dir = sim_feed_dir(&where, t), *name = sim_feed_name(&where, t, uuid);
        rc = feed_file(sim, dir, name,
                       "{\"attemptsMade\":1,\"arrivalTimestamp\":1,\"ErrorCode\":"
                       "\"DataFormatConversion.MalformedData\",\"ErrorMessage\":\"The data is "
                       "malformed.\",\"attemptEndingTimestamp\":2,\"rawData\":\"e30K\"}\n",
                       t, err);
        free(dir);
        free(name);
        free(errors);
    }
    return rc;
}

int sim_feed_extras(struct sim *sim, struct sim_stream *s, int64_t now, struct st_err *err)
{
    if (s->asked == SIM_KIND_STAGING)
        return staging_leftovers(sim, s, now, err);
    if (s->asked == SIM_KIND_FIREHOSE)
        return firehose_failures(sim, s, now, err);
    return 0;
}
