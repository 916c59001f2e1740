#include "testutil.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "core/clock.h"
#include "export/export.h"
#include "export/json_internal.h"

static struct snapshot *sample(void)
{
    struct snapshot *snap = snapshot_new(1795341600000LL); /* 2026-11-22T10:00:00Z */
    struct snap_stream *a = snapshot_add_stream(snap, "orders");
    snap_stream_add_label(a, "team", "pay\"ments\nx\x1b[31m");
    a->query_id = xstrdup("4b845061-ea3a-4bcd-af05-ad21b45da953");
    a->metrics[M_LAST_BATCH_ID] = 194;
    a->metrics[M_COMMITTED_BATCH_ID] = 193;
    a->metrics[M_INFLIGHT_SECONDS] = 4.2;
    a->metrics[M_DRAIN_ETA_SECONDS] = INFINITY;
    a->sink = xstrdup("/t/orders");
    strvec_push(&a->deadletter_paths, "/dl/a");
    strvec_push(&a->deadletter_paths, "/dl/b");
    snap_stream_add_alert(a, "eta", "> 60", HEALTH_WARNING, true, false, 1795341000000LL, INFINITY);
    struct snap_source *src = snap_stream_add_source(a, 0);
    src->kind = SRC_FILE;
    src->end_offset = xstrdup("{\"logOffset\":194}");
    a->realtime_ms = 300000; /* recognised from its batches (trigger_mode auto) */
    a->trigger_ms = 0;
    struct snap_stream *b = snapshot_add_stream(snap, "clicks, eu");
    b->status = HEALTH_UNKNOWN;
    strvec_push(&b->errors, "checkpoint /x: No such file or directory");
    return snap;
}

struct pieces {
    struct buf text;
    size_t n;
};

static void put_pieces(void *ctx, const char *p, size_t n)
{
    struct pieces *pc = ctx;
    buf_append(&pc->text, p, n);
    pc->n++;
}

/* The document streamed a stream at a time has the bytes cJSON_Print gives for the whole tree
 * (none, one and several streams), and comes in more than one piece. */
static void test_json_stream(void **unused)
{
    (void)unused;
    struct snapshot *snap = sample();
    for (size_t keep = 0; keep <= snap->nstreams; keep++) {
        struct snapshot part = *snap;
        part.nstreams = keep;
        cJSON *root = cJSON_CreateObject();
        char when[40];
        cJSON_AddStringToObject(root, "generated_at",
                                clock_iso8601(part.generated_ms, when, sizeof when));
        cJSON_AddNumberToObject(root, "format_version", EXPORT_JSON_FORMAT_VERSION);
        cJSON_AddStringToObject(root, "version", STREAMTOP_VERSION);
        cJSON *streams = cJSON_AddArrayToObject(root, "streams");
        for (size_t i = 0; i < keep; i++)
            cJSON_AddItemToArray(streams, export_stream_json(&part.streams[i], part.generated_ms));
        char *whole = cJSON_Print(root);
        cJSON_Delete(root);
        struct pieces pc = {.n = 0};
        buf_init(&pc.text);
        export_json_stream(&part, put_pieces, &pc);
        assert_true(pc.n >= 2 + keep);
        assert_int_equal(pc.text.len, strlen(whole) + 1);
        assert_memory_equal(pc.text.data, whole, strlen(whole));
        assert_int_equal(pc.text.data[pc.text.len - 1], '\n');
        cJSON_free(whole);
        buf_done(&pc.text);
    }
    snapshot_free(snap);
}

static void test_json(void **unused)
{
    (void)unused;
    struct snapshot *snap = sample();
    struct buf out;
    buf_init(&out);
    export_json.render(snap, &out);
    cJSON *root = cJSON_Parse(buf_str(&out));
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "generated_at")->valuestring,
                        "2026-11-22T10:00:00Z");
    assert_string_equal(cJSON_GetObjectItem(root, "version")->valuestring, STREAMTOP_VERSION);
    cJSON *streams = cJSON_GetObjectItem(root, "streams");
    assert_int_equal(cJSON_GetArraySize(streams), 2);
    cJSON *a = cJSON_GetArrayItem(streams, 0);
    assert_string_equal(cJSON_GetObjectItem(a, "status")->valuestring, "ok");
    assert_string_equal(cJSON_GetObjectItem(a, "query_id")->valuestring,
                        "4b845061-ea3a-4bcd-af05-ad21b45da953");
    cJSON *m = cJSON_GetObjectItem(a, "metrics");
    assert_int_equal(cJSON_GetArraySize(m), METRIC_COUNT);
    assert_true(cJSON_GetObjectItem(m, "last_batch_id")->valuedouble == 194);
    assert_true(cJSON_GetObjectItem(m, "inflight_seconds")->valuedouble == 4.2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(m, "backlog_files")));
    assert_int_equal(cJSON_GetObjectItem(root, "format_version")->valueint, 1);
    /* the trigger: real-time mode read from the batches; nothing known of the other's */
    cJSON *trig = cJSON_GetObjectItem(a, "trigger");
    assert_string_equal(cJSON_GetObjectItem(trig, "mode")->valuestring, "realtime");
    assert_true(cJSON_GetObjectItem(trig, "seconds")->valuedouble == 300);
    assert_string_equal(cJSON_GetObjectItem(trig, "from")->valuestring, "batches");
    trig = cJSON_GetObjectItem(cJSON_GetArrayItem(streams, 1), "trigger");
    assert_string_equal(cJSON_GetObjectItem(trig, "mode")->valuestring, "microbatch");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(trig, "seconds")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(trig, "from")));
    /* an infinite value is null, with the reason beside it; a finite one has none */
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(m, "drain_eta_seconds")));
    cJSON *why = cJSON_GetObjectItem(a, "null_reasons");
    assert_string_equal(cJSON_GetObjectItem(why, "drain_eta_seconds")->valuestring, "infinite");
    assert_string_equal(cJSON_GetObjectItem(why, "backlog_files")->valuestring, "not_measurable");
    assert_null(cJSON_GetObjectItem(why, "last_batch_id"));
    assert_null(strstr(buf_str(&out), "Inf"));
    cJSON *alert = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "alerts"), 0);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(alert, "value")));
    assert_string_equal(cJSON_GetObjectItem(alert, "value_null_reason")->valuestring, "infinite");
    /* every configured path, null or [] when not configured */
    cJSON *paths = cJSON_GetObjectItem(a, "paths");
    assert_string_equal(cJSON_GetObjectItem(paths, "sink")->valuestring, "/t/orders");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(paths, "schema")));
    assert_string_equal(
        cJSON_GetArrayItem(cJSON_GetObjectItem(paths, "deadletter"), 1)->valuestring, "/dl/b");
    cJSON *src = cJSON_GetArrayItem(cJSON_GetObjectItem(a, "sources"), 0);
    assert_string_equal(cJSON_GetObjectItem(src, "kind")->valuestring, "file");
    assert_true(
        cJSON_GetObjectItem(cJSON_GetObjectItem(src, "end_offset"), "logOffset")->valuedouble ==
        194);
    /* label text survives exactly (JSON escapes it) */
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "labels"), "team")->valuestring,
                        "pay\"ments\nx\x1b[31m");
    assert_null(strchr(buf_str(&out), '\x1b'));
    cJSON *b = cJSON_GetArrayItem(streams, 1);
    assert_string_equal(cJSON_GetObjectItem(b, "status")->valuestring, "unknown");
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "errors"), 0)->valuestring,
                        "checkpoint /x: No such file or directory");
    cJSON_Delete(root);
    buf_done(&out);
    snapshot_free(snap);
}

static void test_csv(void **unused)
{
    (void)unused;
    struct snapshot *snap = sample();
    struct buf out;
    buf_init(&out);
    export_csv.render(snap, &out);
    const char *s = buf_str(&out);
    /* header: stream,status,query_id, every metric, errors, labels */
    const char *eol = strstr(s, "\r\n");
    assert_non_null(eol);
    size_t commas = 0;
    for (const char *p = s; p < eol; p++)
        commas += *p == ',';
    assert_int_equal(commas, 4 + METRIC_COUNT);
    assert_non_null(strstr(s, "\r\norders,ok,4b845061-ea3a-4bcd-af05-ad21b45da953,194,193,4.2,"));
    assert_non_null(strstr(s, "\r\n\"clicks, eu\",unknown,,"));
    assert_non_null(strstr(s, ",checkpoint /x: No such file or directory,"));
    /* the labels last: quoted, control bytes as visible escapes */
    assert_non_null(strstr(s, ",,\"team=pay\"\"ments\\nx\\x1b[31m\"\r\n"));
    buf_done(&out);
    snapshot_free(snap);
}

static void test_prom(void **unused)
{
    (void)unused;
    struct snapshot *snap = sample();
    struct buf out;
    buf_init(&out);
    export_prom.render(snap, &out);
    const char *s = buf_str(&out);
    assert_non_null(strstr(s, "# TYPE streamtop_stream_status gauge\n"));
    assert_non_null(strstr(s, "streamtop_stream_status{stream=\"clicks, eu\"} 3\n"));
    assert_non_null(strstr(
        s,
        "streamtop_last_batch_id{stream=\"orders\",team=\"pay\\\"ments\\\\nx\\\\x1b[31m\"} 194\n"));
    assert_non_null(strstr(s, "} 4.2\n"));
    /* NaN is omitted, and so is a family with no sample */
    assert_null(strstr(s, "NaN"));
    assert_null(strstr(s, "streamtop_backlog_files"));
    assert_null(strchr(s, '\x1b'));
    /* each family's HELP appears once */
    const char *h = strstr(s, "# HELP streamtop_last_batch_id ");
    assert_non_null(h);
    assert_null(strstr(h + 1, "# HELP streamtop_last_batch_id "));
    buf_done(&out);
    snapshot_free(snap);
}

/* The times behind the ages, the info families and the export time, line for line. */
static void test_prom_stamps(void **unused)
{
    (void)unused;
    struct snapshot *snap = sample();
    struct snap_stream *a = &snap->streams[0];
    a->checkpoint = xstrdup("/data/ck\\orders");
    a->nbatches = 2;
    a->batches = xcalloc(2, sizeof *a->batches);
    a->batches[0] =
        (struct snap_batch){193, 1795341590000LL, 1795341595250LL, 0, NAN, BATCH_DATA, false};
    a->batches[1] = (struct snap_batch){194, 1795341595800LL, -1, 0, NAN, BATCH_DATA, false};
    a->metrics[M_COMMIT_AGE_SECONDS] = 5; /* rounded: the time is the file's */
    a->metrics[M_SCHEMA_AGE_SECONDS] = 3600.5;
    a->metrics[M_BACKLOG_FILES] = 0;
    a->metrics[M_BACKLOG_AGE_SECONDS] = 0;
    a->metrics[M_DEADLETTER_NEWEST_AGE_SECONDS] = INFINITY; /* never a time */
    struct buf out;
    buf_init(&out);
    export_prom.render(snap, &out);
    const char *s = buf_str(&out);
    const char *want[] = {
        "# HELP streamtop_build_info Always 1; the label is streamtop's version.\n"
        "# TYPE streamtop_build_info gauge\n"
        "streamtop_build_info{version=\"" STREAMTOP_VERSION "\"} 1\n",
        "# TYPE streamtop_export_timestamp_seconds gauge\n"
        "streamtop_export_timestamp_seconds 1795341600\n",
        "# TYPE streamtop_stream_info gauge\n"
        "streamtop_stream_info{stream=\"orders\",team=\"pay\\\"ments\\\\nx\\\\x1b[31m\","
        "query_id=\"4b845061-ea3a-4bcd-af05-ad21b45da953\",checkpoint=\"/data/ck\\\\orders\","
        "source=\"\",trigger_mode=\"realtime\"} 1\n"
        "streamtop_stream_info{stream=\"clicks, eu\",query_id=\"\",checkpoint=\"\",source=\"\","
        "trigger_mode=\"microbatch\"} 1\n",
        /* the commit file's own time, not the clock minus the age */
        "# TYPE streamtop_last_commit_timestamp_seconds gauge\n"
        "streamtop_last_commit_timestamp_seconds{stream=\"orders\",team="
        "\"pay\\\"ments\\\\nx\\\\x1b["
        "31m\"} 1795341595.25\n",
        "streamtop_last_batch_start_timestamp_seconds{stream=\"orders\",team="
        "\"pay\\\"ments\\\\nx\\\\x1b["
        "31m\"} 1795341595.8\n",
        "streamtop_schema_change_timestamp_seconds{stream=\"orders\",team="
        "\"pay\\\"ments\\\\nx\\\\x1b["
        "31m\"} 1795337999.5\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(s, want[i]))
            fail_msg("missing:\n%s\nin:\n%s", want[i], s);
    /* nothing waits, and an infinite age has no time */
    assert_null(strstr(s, "backlog_oldest_timestamp"));
    assert_null(strstr(s, "deadletter_newest_timestamp"));
    assert_null(strstr(s, "_total"));
    buf_done(&out);
    snapshot_free(snap);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
    closedir(d);
    return n;
}

static void test_atomic_write(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("atomic");
    char *path = xasprintf("%s/snapshot.json", dir);
    struct st_err err;
    assert_int_equal(export_write_atomic(path, "first\n", 6, &err), 0);
    assert_int_equal(export_write_atomic(path, "second\n", 7, &err), 0);
    FILE *f = fopen(path, "rb");
    char buf[32] = {0};
    assert_int_equal(fread(buf, 1, sizeof buf, f), 7);
    fclose(f);
    assert_string_equal(buf, "second\n");
    assert_int_equal(count_entries(dir), 1); /* no temp file left behind */
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mode & S_IRGRP || (umask(022), true));
    char *bad = xasprintf("%s/missing/out.json", dir);
    assert_int_equal(export_write_atomic(bad, "x", 1, &err), -1);
    assert_non_null(strstr(err.msg, "missing/out.json"));
    assert_int_equal(export_write_atomic(dir, "x", 1, &err), -1); /* a folder, not a file */
    free(bad);
    free(path);
    free(dir);
}

/* Kafka partitions: per partition in JSON, and in Prometheus at most kafka_max_series of them
 * per family, the most lagging first, with the rest counted. */
static struct snapshot *kafka_sample(size_t max_series)
{
    struct snapshot *snap = snapshot_new(1795341600000LL);
    snap->kafka_max_series = max_series;
    struct snap_stream *st = snapshot_add_stream(snap, "k");
    st->kafka.bootstrap = xstrdup("b1:9092");
    st->kafka.planned_lag = 3;
    static const double lag[] = {5, 90, 0, 40};
    for (int i = 0; i < 4; i++) {
        struct snap_kpart *p = snap_stream_add_kpart(st, i == 3 ? "t\"x" : "t", i);
        p->position = 100;
        p->planned = 100;
        p->log_start = 0;
        p->end = 100 + lag[i];
        p->lag = lag[i];
        p->planned_lag = lag[i];
        p->lost = 0;
        p->oldest_ms = lag[i] > 0 ? 1795341590000LL : -1;
    }
    st->kafka.parts[2].is_new = true;
    st->kafka.parts[2].position = NAN;
    st->metrics[M_BACKLOG_RECORDS] = 135;
    st->origin[M_BACKLOG_RECORDS] = ORIGIN_BROKER;
    return snap;
}

static void test_kafka(void **unused)
{
    (void)unused;
    struct snapshot *snap = kafka_sample(2);
    struct buf out;
    buf_init(&out);
    export_prom.render(snap, &out);
    const char *text = buf_str(&out);
    /* the two most lagging: partition 1 (90), then 3 (40) */
    assert_non_null(strstr(
        text, "streamtop_kafka_partition_lag{stream=\"k\",topic=\"t\",partition=\"1\"} 90\n"));
    assert_non_null(strstr(
        text, "streamtop_kafka_partition_lag{stream=\"k\",topic=\"t\\\"x\",partition=\"3\"} 40\n"));
    assert_null(strstr(text, "partition=\"0\"}"));
    assert_non_null(strstr(text, "streamtop_kafka_partition_series_omitted 2\n"));
    assert_non_null(
        strstr(text, "streamtop_kafka_partition_oldest_timestamp_seconds{stream=\"k\",topic=\"t\","
                     "partition=\"1\"} 1795341590\n"));
    buf_reset(&out);
    export_json.render(snap, &out);
    cJSON *root = cJSON_Parse(buf_str(&out));
    const cJSON *st = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "streams"), 0);
    assert_string_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(st, "origins"), "backlog_records")->valuestring,
        "broker");
    const cJSON *k = cJSON_GetObjectItem(st, "kafka");
    assert_string_equal(cJSON_GetObjectItem(k, "bootstrap")->valuestring, "b1:9092");
    const cJSON *parts = cJSON_GetObjectItem(k, "partitions");
    assert_int_equal(cJSON_GetArraySize(parts), 4);
    const cJSON *p2 = cJSON_GetArrayItem(parts, 2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(p2, "position")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p2, "new")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(p2, "oldest_at")));
    const cJSON *p1 = cJSON_GetArrayItem(parts, 1);
    assert_true(cJSON_GetObjectItem(p1, "lag")->valuedouble == 90);
    assert_true(cJSON_GetObjectItem(p1, "oldest_age_seconds")->valuedouble == 10);
    cJSON_Delete(root);
    snapshot_free(snap);
    /* no bound reached: every partition, nothing omitted */
    snap = kafka_sample(1000);
    buf_reset(&out);
    export_prom.render(snap, &out);
    assert_non_null(strstr(buf_str(&out), "streamtop_kafka_partition_series_omitted 0\n"));
    assert_non_null(strstr(buf_str(&out), "topic=\"t\",partition=\"0\"} 5\n"));
    snapshot_free(snap);
    buf_done(&out);
}

static void test_exporter_table(void **unused)
{
    (void)unused;
    assert_ptr_equal(exporter_find("json"), &export_json);
    assert_ptr_equal(exporter_find("prometheus"), &export_prom);
    assert_null(exporter_find("xml"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_stream),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_prom),
        cmocka_unit_test(test_prom_stamps),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_exporter_table),
        cmocka_unit_test(test_kafka),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
