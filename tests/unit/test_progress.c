/* Batch metrics: every real progress JSON maps to the expected figures; driver logs with
 * multi-line blocks; tailing through appends, truncation and rotation; servlet text. */
#include "testutil.h"

#include "core/parse.h"

#include <cJSON.h>
#include <math.h>
#include <time.h>

#include "collectors/collector.h"
#include "collectors/progressparse.h"
#include "core/clock.h"

#define NOW_MS 1795341600000LL

static bool close_to(double a, double b)
{
    return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-9 * fmax(1, fabs(b));
}

static const struct {
    const char *file;
    const char *id;
    int64_t batch;
    double in, done, dur, wm_ms, records;
} real[] = {
    {"japila-ProgressReporter.json", "4976adb3-e8a6-4c4d-b895-912808013992", 10, 1.000333444481494,
     122.95081967213115, 0.122, NAN, NAN},
    {"japila-StreamExecution.json", "8b57b0bd-fc4a-42eb-81a3-777d7ba5e370", -1, NAN, 0, 0.009, NAN,
     NAN},
    {"japila-deep-dive-into-filestreamsink.json", "f4dc1b6c-6bc7-423a-9bfe-49db2a440bda", 2, 0, 0,
     0, NAN, NAN},
    {"japila-streaming-windowed-aggregation.json", "25015c4c-d60e-4ad5-92d1-b9c396be7276", 5, 0, 0,
     0.003, 6000, 0},
    {"spark-docs-2.x-guide-2.json", "8c57e1ec-94b5-4c99-b100-f694162df0b9", -1, 0, 0, 0.001, NAN,
     NAN},
    {"spark-docs-2.x-guide.json", "ce011fdc-8762-4dcb-84eb-a77333e28109", -1, 120, 200, 0.003,
     1481741124873.0, NAN},
};

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = xcalloc(1, 1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    fclose(f);
    return buf;
}

static void test_real_progress(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        char *path = xasprintf("%s/progress/%s", fx, real[i].file);
        size_t len;
        char *text = slurp(path, &len);
        struct progress_info pi;
        struct st_err err;
        if (progress_from_json(text, len, &pi, &err) < 0)
            fail_msg("%s: %s", real[i].file, err.msg);
        if (strcmp(pi.query_id, real[i].id) != 0 || pi.batch_id != real[i].batch ||
            !close_to(pi.input_rps, real[i].in) || !close_to(pi.processed_rps, real[i].done) ||
            !close_to(pi.duration_s, real[i].dur) || !close_to(pi.watermark_ms, real[i].wm_ms) ||
            !close_to(pi.backlog_records, real[i].records))
            fail_msg("%s: id %s batch %lld in %g done %g dur %g wm %g records %g", real[i].file,
                     pi.query_id, (long long)pi.batch_id, pi.input_rps, pi.processed_rps,
                     pi.duration_s, pi.watermark_ms, pi.backlog_records);
        free(text);
        free(path);
    }
}

static void test_number_forms_and_backlogs(void **unused)
{
    (void)unused;
    const char *text =
        "{\"id\":\"q\",\"batchId\":7,\"inputRowsPerSecond\":6.9230769E7,"
        "\"processedRowsPerSecond\":\"2.5\",\"durationMs\":{\"triggerExecution\":1.5e3},"
        "\"eventTime\":{\"watermark\":\"2026-11-22T09:59:00.000Z\"},\"sources\":["
        "{\"description\":\"KafkaV2[Subscribe[t]]\",\"endOffset\":{\"t\":{\"0\":100,\"1\":50}},"
        "\"latestOffset\":{\"t\":{\"0\":160,\"1\":70}},\"metrics\":{\"maxOffsetsBehindLatest\":"
        "\"60\"}},"
        "{\"description\":\"KafkaV2[Subscribe[u]]\",\"endOffset\":{\"u\":{\"0\":1}},"
        "\"latestOffset\":null,\"metrics\":{\"maxOffsetsBehindLatest\":\"2.70941269E8\"}},"
        "{\"description\":\"CloudFilesSource[/mnt/landing/]\",\"metrics\":{"
        "\"numFilesOutstanding\":\"12\",\"numBytesOutstanding\":\"3400000\"}}]}";
    struct progress_info pi;
    struct st_err err;
    assert_int_equal(progress_from_json(text, strlen(text), &pi, &err), 0);
    assert_true(close_to(pi.input_rps, 69230769));
    assert_true(close_to(pi.processed_rps, 2.5));
    assert_true(close_to(pi.duration_s, 1.5));
    assert_true(close_to(pi.watermark_ms, 1795341540000.0));
    assert_true(close_to(pi.backlog_records, 80 + 270941269)); /* sum, else maxOffsetsBehind */
    assert_true(close_to(pi.backlog_files, 12));
    assert_true(close_to(pi.backlog_bytes, 3400000));
    assert_int_equal(progress_from_json("{\"id\": \"x\", \"batch", 18, &pi, &err), -1);
    assert_int_equal(progress_from_json("{\"other\":1}", 11, &pi, &err), -1);
    int64_t ms;
    assert_int_equal(parse_iso8601_ms("2016-12-14T18:45:24.873Z", &ms), 0);
    assert_int_equal(ms, 1481741124873LL);
    assert_int_equal(parse_iso8601_ms("1970-01-01T00:00:06Z", &ms), 0);
    assert_int_equal(ms, 6000);
    assert_int_equal(parse_iso8601_ms("yesterday", &ms), -1);
}

/* A driver log: progress blocks (three loggers) interleaved with other lines, an idle line. */
static const char driver_log[] =
    "22/07/25 14:29:01 INFO SparkContext: Running Spark version 3.3.0\n"
    "22/07/25 14:29:04 INFO MicroBatchExecution: Streaming query made progress: {\n"
    "  \"id\" : \"bec9640f-ac16-4d00-bd4a-ed8d29b5f768\",\n"
    "  \"batchId\" : 1,\n"
    "  \"inputRowsPerSecond\" : 10.0,\n"
    "  \"processedRowsPerSecond\" : 20.0,\n"
    "  \"durationMs\" : { \"triggerExecution\" : 500 },\n"
    "  \"sources\" : [ { \"description\" : \"x {not a brace} }\" } ]\n"
    "}\n"
    "22/07/25 14:29:05 INFO CheckpointFileManager: Renamed temp file ... to .../commits/1\n"
    "22/07/25 14:29:14 INFO StreamExecution: Streaming query made progress: {\n"
    "  \"id\" : \"bec9640f-ac16-4d00-bd4a-ed8d29b5f768\",\n"
    "  \"batchId\" : 2,\n"
    "  \"inputRowsPerSecond\" : 30.0,\n"
    "  \"processedRowsPerSecond\" : 40.0,\n"
    "  \"durationMs\" : { \"triggerExecution\" : 700 }\n"
    "}\n"
    "26/04/02 17:12:18 INFO ProgressReporter: Streaming query made progress: {\n"
    "  \"id\" : \"bec9640f-ac16-4d00-bd4a-ed8d29b5f768\",\n"
    "  \"batchId\" : 3, BROKEN\n"
    "}\n"
    "26/04/02 17:12:28 INFO MicroBatchExecution: Streaming query has been idle and waiting for "
    "new data more than 10000 ms.\n";

struct pworld {
    char *dir, *file;
    struct cfg_stream cfg;
    void *state;
    const char *qid; /* the checkpoint's query id, as the checkpoint collector sets it */
};

static struct snap_stream *ppass(struct pworld *w, struct snapshot **snap)
{
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "p");
    if (w->qid)
        st->query_id = xstrdup(w->qid);
    progress_collector.collect(&w->cfg, w->state, st, NOW_MS);
    return st;
}

static void append(const char *path, const char *text)
{
    FILE *f = fopen(path, "ab");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_driver_log(void **unused)
{
    (void)unused;
    struct pworld w = {0};
    w.dir = scratch_dir("progress");
    w.file = xasprintf("%s/driver.log", w.dir);
    w.cfg.name = (char *)"p";
    w.cfg.progress = w.file;
    w.state = progress_collector.state_new();
    /* first half: a block cut in the middle of its lines */
    const char *cut = strstr(driver_log, "  \"processedRowsPerSecond\" : 40.0");
    char *head = xstrndup(driver_log, (size_t)(cut - driver_log));
    append(w.file, head);
    struct snapshot *snap;
    struct snap_stream *st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 10)); /* batch 1 */
    assert_true(close_to(st->metrics[M_BATCH_DURATION_SECONDS], 0.5));
    assert_int_equal(st->origin[M_BATCH_DURATION_SECONDS], ORIGIN_PROGRESS);
    snapshot_free(snap);
    /* the rest: batch 2 completes, batch 3 is broken (skipped, named), then idle */
    append(w.file, cut);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_BATCH_DURATION_SECONDS], 0.7)); /* the last good: 2 */
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 0));    /* idle now */
    assert_int_equal(st->warnings.n, 1);
    if (!strstr(st->warnings.v[0], "driver.log:18: malformed progress JSON"))
        fail_msg("%s", st->warnings.v[0]);
    uint64_t second = st->bytes_read;
    snapshot_free(snap);
    /* nothing new: only the fingerprint is read, and the query is still idle */
    st = ppass(&w, &snap);
    assert_true(st->bytes_read <= 256);
    assert_true(second > st->bytes_read);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 0));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 0));
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    free(head);
    free(w.file);
    free(w.dir);
}

/* A driver log is the application's: the progress of every query, and idle lines that name
 * none. A stream takes only its checkpoint's query; an idle line is its own when it names
 * the query's id (a pattern with the thread) or when no other query logs there. */
static void test_shared_driver_log(void **unused)
{
    (void)unused;
    static const char a1[] =
        "26/12/02 00:39:14 INFO ProgressReporter: Streaming query made progress: {\n"
        "  \"id\" : \"aaaa-1\",\n  \"name\" : \"files\",\n  \"batchId\" : 5,\n"
        "  \"inputRowsPerSecond\" : 10.0,\n  \"processedRowsPerSecond\" : 20.0\n}\n";
    static const char b1[] =
        "26/12/02 00:39:15 INFO ProgressReporter: Streaming query made progress: {\n"
        "  \"id\" : \"bbbb-2\",\n  \"name\" : \"kafka\",\n  \"batchId\" : 9,\n"
        "  \"inputRowsPerSecond\" : 99.0,\n  \"processedRowsPerSecond\" : 98.0\n}\n"
        "26/12/02 00:39:26 INFO MicroBatchExecution: Streaming query has been idle and waiting "
        "for new data more than 10000 ms.\n";
    static const char idle_a[] =
        "26/12/02 00:39:30 INFO [stream execution thread for files [id = aaaa-1, runId = r]] "
        "MicroBatchExecution: Streaming query has been idle and waiting for new data more than "
        "10000 ms.\n";
    static const char a2[] =
        "26/12/02 00:39:40 INFO ProgressReporter: Streaming query made progress: {\n"
        "  \"id\" : \"aaaa-1\",\n  \"batchId\" : 6,\n"
        "  \"inputRowsPerSecond\" : 7.0,\n  \"processedRowsPerSecond\" : 8.0\n}\n";
    struct pworld w = {0}, other = {0};
    w.dir = scratch_dir("sharedlog");
    w.file = xasprintf("%s/driver.log", w.dir);
    w.cfg.name = (char *)"files";
    w.cfg.progress = w.file;
    w.state = progress_collector.state_new();
    w.qid = "aaaa-1";
    other.cfg = w.cfg;
    other.state = progress_collector.state_new();
    other.qid = "cccc-3";
    append(w.file, a1);
    append(w.file, b1);
    struct snapshot *snap;
    /* the other query's batch and the idle line that names no query are not this query's */
    struct snap_stream *st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 10));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 20));
    assert_int_equal(st->warnings.n, 0);
    snapshot_free(snap);
    /* no progress of its query at all: no figures, and a warning saying whose there is */
    st = ppass(&other, &snap);
    assert_true(isnan(st->metrics[M_INPUT_ROWS_PER_SECOND]));
    assert_int_equal(st->warnings.n, 1);
    if (!strstr(st->warnings.v[0], "2 progress objects, none of query cccc-3 (the last is "
                                   "query bbbb-2)"))
        fail_msg("%s", st->warnings.v[0]);
    snapshot_free(snap);
    /* an idle line naming the query's id is its own; it stays idle while nothing is new */
    append(w.file, idle_a);
    for (int pass = 0; pass < 2; pass++) {
        st = ppass(&w, &snap);
        assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 0));
        assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 0));
        snapshot_free(snap);
    }
    append(w.file, a2);
    append(w.file, b1);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 7));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 8));
    snapshot_free(snap);
    /* without a query id (no checkpoint) every object is taken, the newest wins */
    void *any = progress_collector.state_new();
    struct pworld all = {.cfg = w.cfg, .state = any};
    st = ppass(&all, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 0)); /* b1's idle line */
    snapshot_free(snap);
    progress_collector.state_free(any);
    progress_collector.state_free(other.state);
    progress_collector.state_free(w.state);
    free(w.file);
    free(w.dir);
}

/* Each JSON shape a progress file holds, as Spark 4.0-4.3 serialises it: the kind and what is
 * taken. Listener events by their json methods (StreamingQueryListener.scala), structured log
 * records by SparkLayout.json (ts, level, msg, context = the MDC with lowercased LogKeys). */
static void test_event_shapes(void **unused)
{
    (void)unused;
    static const struct {
        const char *json;
        enum progress_kind kind;
        const char *id;
        int64_t batch;
        double in, done;
    } cases[] = {
        /* QueryProgressEvent.json; inputRowsPerSecond left out (NaN or infinite) */
        {"{\"progress\":{\"id\":\"aaaa-1\",\"runId\":\"r\",\"name\":null,\"timestamp\":"
         "\"2026-12-02T01:00:00.000Z\",\"batchId\":3,\"batchDuration\":12,\"numInputRows\":0,"
         "\"processedRowsPerSecond\":0.0,\"durationMs\":{\"triggerExecution\":12},"
         "\"stateOperators\":[],\"sources\":[],\"sink\":{\"description\":\"x\"}}}",
         PK_PROGRESS, "aaaa-1", 3, NAN, 0},
        /* QueryIdleEvent.json */
        {"{\"id\":\"aaaa-1\",\"runId\":\"r\",\"timestamp\":\"2026-12-02T01:00:10.000Z\"}", PK_IDLE,
         "aaaa-1", -1, NAN, NAN},
        /* QueryStartedEvent.json */
        {"{\"id\":\"aaaa-1\",\"runId\":\"r\",\"name\":null,\"timestamp\":"
         "\"2026-12-02T01:00:00.000Z\",\"jobTags\":[]}",
         PK_STARTED, "aaaa-1", -1, NAN, NAN},
        /* QueryTerminatedEvent.json, without and with an exception */
        {"{\"id\":\"aaaa-1\",\"runId\":\"r\"}", PK_TERMINATED, "aaaa-1", -1, NAN, NAN},
        {"{\"id\":\"aaaa-1\",\"runId\":\"r\",\"exception\":\"boom\",\"errorClassOnException\":"
         "\"X\"}",
         PK_TERMINATED, "aaaa-1", -1, NAN, NAN},
        /* a structured log record: the progress in the MDC (and msg) */
        {"{\"ts\":\"2026-12-02T01:00:00.123Z\",\"level\":\"INFO\",\"msg\":\"Streaming query made "
         "progress: {\\n  \\\"id\\\" : \\\"aaaa-1\\\",\\n  \\\"batchId\\\" : 7\\n}\",\"context\":"
         "{\"query_id\":\"aaaa-1\",\"run_id\":\"r\",\"streaming_query_progress\":\"{\\n  "
         "\\\"id\\\" : \\\"aaaa-1\\\",\\n  \\\"batchId\\\" : 7,\\n  \\\"inputRowsPerSecond\\\" : "
         "5.0,\\n  \\\"processedRowsPerSecond\\\" : 6.0\\n}\"},\"logger\":\"MicroBatchExecution\"}",
         PK_PROGRESS, "aaaa-1", 7, 5, 6},
        /* the same without the MDC key: the JSON after the marker in msg */
        {"{\"ts\":\"2026-12-02T01:00:00.123Z\",\"level\":\"INFO\",\"msg\":\"Streaming query made "
         "progress: {\\n  \\\"id\\\" : \\\"aaaa-1\\\",\\n  \\\"batchId\\\" : 8,\\n  "
         "\\\"inputRowsPerSecond\\\" : 1.5\\n}\",\"logger\":\"MicroBatchExecution\"}",
         PK_PROGRESS, "aaaa-1", 8, 1.5, NAN},
        /* the idle record: the query from the thread's MDC */
        {"{\"ts\":\"2026-12-02T01:00:20.000Z\",\"level\":\"INFO\",\"msg\":\"Streaming query has "
         "been idle and waiting for new data more than 10000 ms.\",\"context\":{\"query_id\":"
         "\"aaaa-1\"},\"logger\":\"MicroBatchExecution\"}",
         PK_IDLE, "aaaa-1", -1, NAN, NAN},
        /* any other record */
        {"{\"ts\":\"2026-12-02T01:00:20.000Z\",\"level\":\"WARN\",\"msg\":\"Something else\","
         "\"context\":{},\"logger\":\"SparkContext\"}",
         PK_LOG, "", -1, NAN, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct progress_info pi;
        struct st_err err;
        if (progress_from_json(cases[i].json, strlen(cases[i].json), &pi, &err) < 0)
            fail_msg("case %zu: %s", i, err.msg);
        if (pi.kind != cases[i].kind || strcmp(pi.query_id, cases[i].id) != 0 ||
            pi.batch_id != cases[i].batch || !close_to(pi.input_rps, cases[i].in) ||
            !close_to(pi.processed_rps, cases[i].done))
            fail_msg("case %zu: kind %d id '%s' batch %lld in %g done %g", i, (int)pi.kind,
                     pi.query_id, (long long)pi.batch_id, pi.input_rps, pi.processed_rps);
    }
    /* a record whose progress does not parse, and an event wrapping no progress: errors */
    static const char *const bad[] = {
        "{\"ts\":\"t\",\"level\":\"INFO\",\"msg\":\"m\",\"context\":{\"streaming_query_progress\""
        ":\"{\\\"id\\\": \"}}",
        "{\"ts\":\"t\",\"level\":\"INFO\",\"msg\":\"m\",\"context\":{\"streaming_query_progress\""
        ":\"{\\\"ts\\\":\\\"t\\\",\\\"msg\\\":\\\"m\\\"}\"}}",
        "{\"progress\":{\"x\":1}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct progress_info pi;
        struct st_err err;
        assert_int_equal(progress_from_json(bad[i], strlen(bad[i]), &pi, &err), -1);
    }
}

/* A listener's JSON lines with every event, and a structured-logging driver log, tailed: rates
 * from the query's progress, 0 after its idle event, an absent rate unmeasured (not 0), other
 * queries' events and other log records skipped without a warning. */
static void test_events_and_structured_log(void **unused)
{
    (void)unused;
    static const char listener[] =
        "{\"id\":\"aaaa-1\",\"runId\":\"r\",\"name\":null,\"timestamp\":\"2026-12-02T01:00:00."
        "000Z\","
        "\"jobTags\":[]}\n"
        "{\"progress\":{\"id\":\"aaaa-1\",\"runId\":\"r\",\"batchId\":1,\"inputRowsPerSecond\":10."
        "0,"
        "\"processedRowsPerSecond\":20.0,\"durationMs\":{\"triggerExecution\":500}}}\n"
        "{\"id\":\"bbbb-2\",\"runId\":\"q\",\"timestamp\":\"2026-12-02T01:00:05.000Z\"}\n";
    static const char idle[] =
        "{\"id\":\"aaaa-1\",\"runId\":\"r\",\"timestamp\":\"2026-12-02T01:00:10.000Z\"}\n";
    static const char no_rate[] =
        "{\"progress\":{\"id\":\"aaaa-1\",\"runId\":\"r\",\"batchId\":2,\"numInputRows\":0,"
        "\"processedRowsPerSecond\":0.0,\"durationMs\":{\"triggerExecution\":3}}}\n"
        "{\"id\":\"aaaa-1\",\"runId\":\"r\"}\n";
    struct pworld w = {0};
    w.dir = scratch_dir("events");
    w.file = xasprintf("%s/events.jsonl", w.dir);
    w.cfg.name = (char *)"p";
    w.cfg.progress = w.file;
    w.state = progress_collector.state_new();
    w.qid = "aaaa-1";
    append(w.file, listener);
    struct snapshot *snap;
    struct snap_stream *st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 10));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 20));
    assert_true(close_to(st->metrics[M_BATCH_DURATION_SECONDS], 0.5));
    assert_int_equal(st->warnings.n, 0);
    assert_int_equal(st->errors.n, 0);
    snapshot_free(snap);
    append(w.file, idle);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 0));
    assert_true(close_to(st->metrics[M_BATCH_DURATION_SECONDS], 0.5)); /* the last batch's */
    snapshot_free(snap);
    append(w.file, no_rate);
    st = ppass(&w, &snap);
    assert_true(isnan(st->metrics[M_INPUT_ROWS_PER_SECOND]));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 0));
    assert_true(close_to(st->metrics[M_BATCH_DURATION_SECONDS], 0.003));
    assert_int_equal(st->warnings.n + st->errors.n, 0);
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    free(w.file);

    static const char jlog[] =
        "{\"ts\":\"2026-12-02T01:00:00.001Z\",\"level\":\"INFO\",\"msg\":\"Starting job\","
        "\"context\":{},\"logger\":\"SparkContext\"}\n"
        "{\"ts\":\"2026-12-02T01:00:01.000Z\",\"level\":\"INFO\",\"msg\":\"Streaming query made "
        "progress: {...}\",\"context\":{\"query_id\":\"aaaa-1\",\"streaming_query_progress\":\"{\\n"
        "  \\\"id\\\" : \\\"aaaa-1\\\",\\n  \\\"batchId\\\" : 4,\\n  \\\"inputRowsPerSecond\\\" : "
        "3.0,\\n  \\\"processedRowsPerSecond\\\" : 4.0\\n}\"},\"logger\":\"MicroBatchExecution\"}\n"
        "{\"ts\":\"2026-12-02T01:00:02.000Z\",\"level\":\"INFO\",\"msg\":\"Streaming query made "
        "progress: {...}\",\"context\":{\"query_id\":\"bbbb-2\",\"streaming_query_progress\":\"{\\n"
        "  \\\"id\\\" : \\\"bbbb-2\\\",\\n  \\\"batchId\\\" : 9,\\n  \\\"inputRowsPerSecond\\\" : "
        "99.0\\n}\"},\"logger\":\"MicroBatchExecution\"}\n"
        "{\"ts\":\"2026-12-02T01:00:03.000Z\",\"level\":\"INFO\",\"msg\":\"Streaming query has "
        "been idle and waiting for new data more than 10000 ms.\",\"context\":{\"QUERY_ID\":"
        "\"bbbb-2\"},\"logger\":\"MicroBatchExecution\"}\n";
    static const char jidle[] =
        "{\"ts\":\"2026-12-02T01:00:13.000Z\",\"level\":\"INFO\",\"msg\":\"Streaming query has "
        "been idle and waiting for new data more than 10000 ms.\",\"context\":{\"QUERY_ID\":"
        "\"aaaa-1\"},\"logger\":\"MicroBatchExecution\"}\n";
    w.file = xasprintf("%s/driver.json.log", w.dir);
    w.cfg.progress = w.file;
    w.state = progress_collector.state_new();
    append(w.file, jlog);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 3)); /* not the other query's */
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 4));
    assert_int_equal(st->warnings.n + st->errors.n, 0);
    snapshot_free(snap);
    append(w.file, jidle);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND], 0));
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    free(w.file);
    free(w.dir);
}

/* tests/fixtures/live/spark-4.3.0/listener: a PySpark 4.3.0 listener's JSON lines (started,
 * five progress objects, two QueryIdleEvents, terminated) with Spark's own figures beside them
 * in expected.json: the query's lastProgress after it went idle says 0 rows/s. */
#define LISTENER43 "tests/fixtures/live/spark-4.3.0/listener"
static void test_listener_fixture_43(void **unused)
{
    (void)unused;
    size_t len;
    char *truth_text = slurp(LISTENER43 "/expected.json", &len);
    cJSON *truth = cJSON_ParseWithLength(truth_text, len);
    assert_non_null(truth);
    const char *qid = cJSON_GetObjectItem(truth, "query_id")->valuestring;
    const cJSON *last = cJSON_GetObjectItem(truth, "lastProgress");
    const cJSON *events = cJSON_GetObjectItem(truth, "events");
    struct pworld w = {0};
    w.cfg.name = (char *)"named";
    w.cfg.progress = (char *)LISTENER43 "/progress.jsonl";
    w.state = progress_collector.state_new();
    w.qid = qid;
    struct snapshot *snap;
    struct snap_stream *st = ppass(&w, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0); /* no event is taken for a malformed progress */
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND],
                         cJSON_GetObjectItem(last, "inputRowsPerSecond")->valuedouble));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND],
                         cJSON_GetObjectItem(last, "processedRowsPerSecond")->valuedouble));
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    /* each line's kind, counted as the listener counted what it wrote */
    char *text = slurp(LISTENER43 "/progress.jsonl", &len);
    int count[5] = {0};
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        struct progress_info pi;
        struct st_err err;
        assert_int_equal(progress_from_json(line, (size_t)(nl - line), &pi, &err), 0);
        assert_string_equal(pi.query_id, qid);
        count[pi.kind]++;
    }
    assert_int_equal(count[PK_PROGRESS], cJSON_GetObjectItem(events, "progress")->valueint);
    assert_int_equal(count[PK_IDLE], cJSON_GetObjectItem(events, "QueryIdleEvent")->valueint);
    assert_int_equal(count[PK_STARTED], cJSON_GetObjectItem(events, "QueryStartedEvent")->valueint);
    assert_int_equal(count[PK_TERMINATED],
                     cJSON_GetObjectItem(events, "QueryTerminatedEvent")->valueint);
    assert_int_equal(count[PK_LOG], 0);
    free(text);
    cJSON_Delete(truth);
    free(truth_text);
}

/* tests/fixtures/live/spark-4.3.0/jsonlog: an excerpt of a PySpark 4.3.0 driver log written with
 * spark.log.structuredLogging.enabled=true through SparkLayout.json (the thread's QUERY_ID,
 * RUN_ID and BATCH_ID in context, the progress in msg), and Spark's lastProgress beside it. */
#define JSONLOG43 "tests/fixtures/live/spark-4.3.0/jsonlog"
static void test_jsonlog_fixture_43(void **unused)
{
    (void)unused;
    size_t len;
    char *truth_text = slurp(JSONLOG43 "/expected.json", &len);
    cJSON *truth = cJSON_ParseWithLength(truth_text, len);
    assert_non_null(truth);
    const char *qid = cJSON_GetObjectItem(truth, "query_id")->valuestring;
    const cJSON *last = cJSON_GetObjectItem(truth, "lastProgress");
    struct pworld w = {0};
    w.cfg.name = (char *)"jsonlog";
    w.cfg.progress = (char *)JSONLOG43 "/driver.jsonl";
    w.state = progress_collector.state_new();
    w.qid = qid;
    struct snapshot *snap;
    struct snap_stream *st = ppass(&w, &snap);
    assert_int_equal(st->errors.n, 0);
    assert_int_equal(st->warnings.n, 0);
    assert_true(close_to(st->metrics[M_INPUT_ROWS_PER_SECOND],
                         cJSON_GetObjectItem(last, "inputRowsPerSecond")->valuedouble));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND],
                         cJSON_GetObjectItem(last, "processedRowsPerSecond")->valuedouble));
    assert_true(
        close_to(st->metrics[M_BATCH_DURATION_SECONDS],
                 cJSON_GetObjectItem(cJSON_GetObjectItem(last, "durationMs"), "triggerExecution")
                         ->valuedouble /
                     1000));
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    /* every record a log record or a progress of the query, as many as the excerpt holds */
    char *text = slurp(JSONLOG43 "/driver.jsonl", &len);
    int lines = 0, progress = 0;
    for (char *line = text, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        assert_non_null(nl);
        struct progress_info pi;
        struct st_err err;
        assert_int_equal(progress_from_json(line, (size_t)(nl - line), &pi, &err), 0);
        lines++;
        if (pi.kind == PK_PROGRESS) {
            assert_string_equal(pi.query_id, qid);
            progress++;
        } else {
            assert_int_equal(pi.kind, PK_LOG);
        }
    }
    assert_int_equal(lines, cJSON_GetObjectItem(truth, "excerpt_lines")->valueint);
    assert_int_equal(progress, cJSON_GetObjectItem(truth, "excerpt_progress_lines")->valueint);
    free(text);
    cJSON_Delete(truth);
    free(truth_text);
}

static void test_json_lines_rotation(void **unused)
{
    (void)unused;
    struct pworld w = {0};
    w.dir = scratch_dir("jsonl");
    w.file = xasprintf("%s/p.jsonl", w.dir);
    w.cfg.name = (char *)"p";
    w.cfg.progress = w.file;
    w.state = progress_collector.state_new();
    append(w.file, "{\"id\":\"q\",\"batchId\":1,\"processedRowsPerSecond\":1.0}\n"
                   "{\"id\":\"q\",\"batchId\":2,\"processedRowsPerSecond\":2.0}\n");
    struct snapshot *snap;
    struct snap_stream *st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 2));
    snapshot_free(snap);
    /* a line still being written is not taken yet */
    append(w.file, "{\"id\":\"q\",\"batchId\":3,\"processedRowsPer");
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 2));
    snapshot_free(snap);
    append(w.file, "Second\":3.0}\n");
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 3));
    snapshot_free(snap);
    /* truncated: start over */
    write_text(w.file, "{\"id\":\"q\",\"batchId\":9,\"processedRowsPerSecond\":9.0}\n", 51);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 9));
    snapshot_free(snap);
    /* rotated: a different file of the same size or larger under the same name */
    char *rotated = xasprintf("%s/p.jsonl.1", w.dir);
    assert_int_equal(rename(w.file, rotated), 0);
    append(w.file, "{\"id\":\"r\",\"batchId\":1,\"processedRowsPerSecond\":4.0}\n"
                   "{\"id\":\"r\",\"batchId\":2,\"processedRowsPerSecond\":5.0}\n");
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 5));
    snapshot_free(snap);
    /* the file disappears: an error naming it, the last good figures kept */
    unlink(w.file);
    st = ppass(&w, &snap);
    assert_int_equal(st->errors.n, 1);
    assert_non_null(strstr(st->errors.v[0], "p.jsonl: No such file or directory"));
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 5));
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    free(rotated);
    free(w.file);
    free(w.dir);
}

/* Save the progress cursor and take it into a fresh state, as a new process does. */
static void *progress_round_trip(void *state)
{
    size_t n = progress_collector.cursor_size(state);
    unsigned char *blob = xmalloc(n);
    progress_collector.cursor_fill(state, 0, blob, n);
    progress_collector.state_free(state);
    void *fresh = progress_collector.state_new();
    assert_int_equal(progress_collector.cursor_take(fresh, blob, n, n), 0);
    /* an older version's, or a damaged one, is refused */
    void *other = progress_collector.state_new();
    memcpy(blob, "PRG2", 4);
    assert_int_equal(progress_collector.cursor_take(other, blob, n, n), -1);
    assert_int_equal(progress_collector.cursor_take(other, blob, n - 1, n - 1), -1);
    /* the right magic and size, a body no pass writes (bools of 0xff, a negative offset, a
     * query id without its end) */
    memcpy(blob, "PRG3", 4);
    memset(blob + 8, 0xff, n - 8);
    assert_int_equal(progress_collector.cursor_take(other, blob, n, n), -1);
    progress_collector.state_free(other);
    free(blob);
    return fresh;
}

/* A cron pass is a new process: a progress file read to its end whose size and mtime did not
 * move is not opened (nothing read), the figures the same; an append is read; a read right
 * after the file changed (racy) is not trusted, nor one older than full_listing_every. */
static void test_unchanged_file_not_read(void **unused)
{
    (void)unused;
    struct pworld w = {0};
    w.dir = scratch_dir("unchanged");
    w.file = xasprintf("%s/p.jsonl", w.dir);
    w.cfg.name = (char *)"p";
    w.cfg.progress = w.file;
    w.cfg.full_listing_every_ms = 3600 * 1000;
    w.state = progress_collector.state_new();
    int64_t old = NOW_MS - 3600 * 1000;
    append(w.file, "{\"id\":\"q\",\"batchId\":1,\"processedRowsPerSecond\":1.0}\n"
                   "{\"id\":\"q\",\"batchId\":2,\"processedRowsPerSecond\":2.0}\n");
    touch_ms(w.dir, "p.jsonl", old);
    struct snapshot *snap;
    struct snap_stream *st = ppass(&w, &snap);
    assert_true(st->bytes_read > 0);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 2));
    snapshot_free(snap);
    w.state = progress_round_trip(w.state);
    st = ppass(&w, &snap);
    assert_int_equal(st->bytes_read, 0); /* stat'ed, not read */
    assert_int_equal(st->errors.n + st->warnings.n, 0);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 2));
    snapshot_free(snap);

    /* an append moves size and mtime: read */
    append(w.file, "{\"id\":\"q\",\"batchId\":3,\"processedRowsPerSecond\":3.0}\n");
    touch_ms(w.dir, "p.jsonl", old + 1000);
    st = ppass(&w, &snap);
    assert_true(st->bytes_read > 0);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 3));
    snapshot_free(snap);
    w.state = progress_round_trip(w.state);
    st = ppass(&w, &snap);
    assert_int_equal(st->bytes_read, 0);
    snapshot_free(snap);

    /* written just now, then rewritten with as many bytes within the same tick (its mtime put
     * back): the racy read is not trusted, the rewrite is read */
    append(w.file, "{\"id\":\"q\",\"batchId\":4,\"processedRowsPerSecond\":4.0}\n");
    struct stat before;
    assert_int_equal(stat(w.file, &before), 0);
    st = ppass(&w, &snap);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 4));
    snapshot_free(snap);
    size_t len = (size_t)before.st_size;
    char *same = xmalloc(len + 1);
    const char *line = "{\"id\":\"r\",\"batchId\":7,\"processedRowsPerSecond\":7.0}\n";
    memset(same, '\n', len);
    memcpy(same + len - strlen(line), line, strlen(line));
    write_text(w.file, same, len);
    struct timespec ts[2] = {before.st_atim, before.st_mtim};
    assert_int_equal(utimensat(AT_FDCWD, w.file, ts, 0), 0);
    w.state = progress_round_trip(w.state);
    st = ppass(&w, &snap);
    assert_true(st->bytes_read > 0);
    assert_true(close_to(st->metrics[M_PROCESSED_ROWS_PER_SECOND], 7));
    snapshot_free(snap);

    /* a read older than full_listing_every is done again */
    touch_ms(w.dir, "p.jsonl", old + 2000);
    st = ppass(&w, &snap);
    snapshot_free(snap);
    st = ppass(&w, &snap);
    assert_int_equal(st->bytes_read, 0);
    snapshot_free(snap);
    w.cfg.full_listing_every_ms = 1;
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    st = ppass(&w, &snap);
    assert_true(st->bytes_read > 0);
    snapshot_free(snap);
    progress_collector.state_free(w.state);
    free(same);
    free(w.file);
    free(w.dir);
}

/* numInputRows of recent batches reach the batch timeline. */
static void test_rows_per_batch(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("prows");
    char *file = xasprintf("%s/p.jsonl", dir);
    append(file, "{\"id\":\"q\",\"batchId\":5,\"numInputRows\":10,\"timestamp\":"
                 "\"2026-11-23T10:00:00.000Z\"}\n"
                 "{\"id\":\"q\",\"batchId\":6,\"numInputRows\":42,\"timestamp\":"
                 "\"2026-11-23T10:00:10.000Z\"}\n");
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"p";
    cfg.progress = file;
    void *state = progress_collector.state_new();
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "p");
    st->batches = xcalloc(3, sizeof *st->batches);
    for (int i = 0; i < 3; i++)
        st->batches[i] = (struct snap_batch){4 + i, -1, -1, 0, NAN, BATCH_DATA, false};
    st->nbatches = 3;
    progress_collector.collect(&cfg, state, st, NOW_MS);
    assert_true(isnan(st->batches[0].rows)); /* batch 4: not reported */
    assert_true(st->batches[1].rows == 10);
    assert_true(st->batches[2].rows == 42);
    snapshot_free(snap);
    progress_collector.state_free(state);
    free(file);
    free(dir);
}

static void test_servlet_text(void **unused)
{
    (void)unused;
    const char *page =
        "metrics_app_1_driver_BlockManager_memory_memUsed_MB_Value{type=\"gauges\"} 0\n"
        "metrics_app_1_driver_spark_streaming_orders_inputRate_total_Number{type=\"gauges\"} 12.5\n"
        "metrics_app_1_driver_spark_streaming_orders_inputRate_total_Value{type=\"gauges\"} 12.5\n"
        "metrics_app_1_driver_spark_streaming_orders_processingRate_total_Value{type=\"gauges\"} "
        "30\n"
        "metrics_app_1_driver_spark_streaming_orders_latency_Value{type=\"gauges\"} 1500\n"
        "metrics_app_1_driver_spark_streaming_orders_eventTime_watermark_Value{type=\"gauges\"} "
        "1795341540000\n"
        "metrics_app_1_driver_spark_streaming_clicks_v2_inputRate_total_Value{type=\"gauges\"} 7\n";
    struct progress_info pi;
    struct st_err err;
    assert_int_equal(progress_from_servlet(page, strlen(page), "orders", "", &pi, &err), 0);
    assert_true(close_to(pi.input_rps, 12.5));
    assert_true(close_to(pi.processed_rps, 30));
    assert_true(close_to(pi.duration_s, 1.5));
    assert_true(close_to(pi.watermark_ms, 1795341540000.0));
    assert_int_equal(progress_from_servlet(page, strlen(page), "clicks.v2", "", &pi, &err), 0);
    assert_true(close_to(pi.input_rps, 7));
    assert_int_equal(progress_from_servlet(page, strlen(page), "nope", "", &pi, &err), -1);
    assert_non_null(strstr(err.msg, "no streaming query named 'nope'"));
    const char *one = "metrics_a_driver_spark_streaming_4b845061_ea3a_latency_Value 42\n";
    assert_int_equal(progress_from_servlet(one, strlen(one), "other", "", &pi, &err), 0);
    assert_true(close_to(pi.duration_s, 0.042)); /* the only query on the page */
    assert_int_equal(progress_from_servlet("# nothing\n", 10, "x", "", &pi, &err), -1);
    assert_non_null(strstr(err.msg, "metricsEnabled"));
}

int main(void)
{
    clock_fix(NOW_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_progress),
        cmocka_unit_test(test_number_forms_and_backlogs),
        cmocka_unit_test(test_driver_log),
        cmocka_unit_test(test_shared_driver_log),
        cmocka_unit_test(test_event_shapes),
        cmocka_unit_test(test_events_and_structured_log),
        cmocka_unit_test(test_listener_fixture_43),
        cmocka_unit_test(test_jsonlog_fixture_43),
        cmocka_unit_test(test_json_lines_rotation),
        cmocka_unit_test(test_unchanged_file_not_read),
        cmocka_unit_test(test_servlet_text),
        cmocka_unit_test(test_rows_per_batch),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
