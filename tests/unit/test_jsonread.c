/* export_json_read: the JSON export read back (what `dashboard --remote` gets from a daemon).
 * The proof is the round trip: write, read, write again gives the same document, for every
 * stream kind the simulator makes, for the real checkpoints, and for a snapshot that sets every
 * field the export has (Kafka partitions, jobs, trigger, schemas, dead letters, nulls). */
#include "testutil.h"

#include <dirent.h>
#include <math.h>

#include "core/clock.h"
#include "core/config.h"
#include "export/export.h"
#include "pass/pass.h"
#include "sim/sim.h"

static char *render(const struct snapshot *snap)
{
    struct buf b;
    buf_init(&b);
    export_json.render(snap, &b);
    return buf_steal(&b);
}

/* Write, read, write: the two texts are the same. Returns the snapshot read (caller frees). */
static struct snapshot *round_trip(const struct snapshot *snap)
{
    char *first = render(snap);
    struct snapshot *back = NULL;
    struct st_err err;
    if (export_json_read(first, strlen(first), &back, &err) < 0)
        fail_msg("read back: %s", err.msg);
    char *second = render(back);
    if (strcmp(first, second) != 0) {
        size_t i = 0;
        while (first[i] && first[i] == second[i])
            i++;
        size_t from = i > 200 ? i - 200 : 0;
        fail_msg("documents differ at byte %zu:\n--- written\n%.400s\n--- again\n%.400s", i,
                 first + from, second + from);
    }
    assert_int_equal(back->nstreams, snap->nstreams);
    free(first);
    free(second);
    return back;
}

/* One pass (alerts evaluated, history in memory) over cfg. */
static struct snapshot *collect(struct config *cfg)
{
    free(cfg->database);
    cfg->database = xstrdup(":memory:");
    struct st_err err;
    struct pass *p = pass_new(cfg, true, &err);
    if (!p)
        fail_msg("%s", err.msg);
    struct snapshot *snap;
    struct pass_report rep;
    pass_run(p, PASS_EVALUATE, &snap, &rep, &err);
    pass_report_done(&rep);
    pass_free(p);
    return snap;
}

static void test_simulated(void **unused)
{
    (void)unused;
    clock_fix(1795341600000LL);
    for (int k = 0; k < SIM_KIND__COUNT; k++) {
        if (k == SIM_KIND_MIXED)
            continue; /* the four kinds above it, one per stream */
        char *dir = scratch_dir("jsonread");
        struct sim_opts o = {.dir = dir,
                             .streams = 4,
                             .batches = 30,
                             .files_per_batch = 2,
                             .trigger_ms = 10000,
                             .seed = 7,
                             .kind = (enum sim_kind)k};
        struct st_err err;
        struct sim *sim = sim_create(&o, &err);
        if (!sim)
            fail_msg("%s: %s", sim_kind_name((enum sim_kind)k), err.msg);
        sim_free(sim);
        char *ini = xasprintf("%s/streamtop.ini", dir);
        struct config *cfg = config_load(ini, &err);
        if (!cfg)
            fail_msg("%s", err.msg);
        struct snapshot *snap = collect(cfg);
        fprintf(stderr, "# %s: %zu streams\n", sim_kind_name((enum sim_kind)k), snap->nstreams);
        assert_true(snap->nstreams > 0);
        snapshot_free(round_trip(snap));
        snapshot_free(snap);
        config_free(cfg);
        free(ini);
        free(dir);
    }
    clock_fix(0);
}

/* Every real checkpoint of the shared fixtures and the live suite's trees, one stream each. */
static void test_real(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    const char *groups[] = {"spark-checkpoints", "user-checkpoints"};
    struct config *cfg = config_new_default();
    for (size_t g = 0; fx && g < 2; g++) {
        char *gdir = xasprintf("%s/%s", fx, groups[g]);
        DIR *d = opendir(gdir);
        assert_non_null(d);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char *path = xasprintf("%s/%s", gdir, e->d_name);
            config_add_stream(cfg, e->d_name, path);
            free(path);
        }
        closedir(d);
        free(gdir);
    }
    const char *live[] = {"files", "kafka", "rate", "dsrc", "evolve"};
    for (size_t i = 0; i < sizeof live / sizeof *live; i++) {
        char *path = xasprintf("tests/fixtures/live/spark-4.0.0/%s/checkpoint", live[i]);
        char *prog = xasprintf("tests/fixtures/live/spark-4.0.0/%s/progress.jsonl", live[i]);
        struct cfg_stream *cs = config_add_stream(cfg, live[i], path);
        struct st_err err;
        if (access(prog, R_OK) == 0 && config_stream_set(cs, "progress", prog, &err) < 0)
            fail_msg("%s", err.msg);
        free(path);
        free(prog);
    }
    struct snapshot *snap = collect(cfg);
    assert_true(snap->nstreams >= 5);
    snapshot_free(round_trip(snap));
    snapshot_free(snap);
    config_free(cfg);
}

/* A snapshot with every field of the export set, including the values JSON has no number for. */
static struct snapshot *full(void)
{
    struct snapshot *snap = snapshot_new(1795341600123LL);
    struct snap_stream *a = snapshot_add_stream(snap, "orders");
    a->status = HEALTH_WARNING;
    snap_stream_add_label(a, "team", "payments");
    snap_stream_add_label(a, "tier", "1");
    a->query_id = xstrdup("4b845061-ea3a-4bcd-af05-ad21b45da953");
    a->checkpoint = xstrdup("s3://lake/_checkpoints/orders");
    a->source = xstrdup("s3://lake/landing/orders");
    a->schema_path = xstrdup("s3://lake/_schemas/orders");
    a->sink = xstrdup("s3://lake/tables/orders");
    a->progress = xstrdup("http://driver:4040/metrics/prometheus");
    strvec_push(&a->deadletter_paths, "s3://lake/_dlq/orders/");
    strvec_push(&a->deadletter_paths, "s3://lake/bad/orders/");
    a->metrics[M_LAST_BATCH_ID] = 194;
    a->origin[M_LAST_BATCH_ID] = ORIGIN_CHECKPOINT;
    a->metrics[M_BACKLOG_FILES] = 12;
    a->origin[M_BACKLOG_FILES] = ORIGIN_STORAGE_LOWER_BOUND;
    a->metrics[M_BACKLOG_RECORDS] = 123456789012.0;
    a->origin[M_BACKLOG_RECORDS] = ORIGIN_BROKER;
    a->metrics[M_INPUT_ROWS_PER_SECOND] = 0.1 + 0.2;
    a->metrics[M_DRAIN_ETA_SECONDS] = INFINITY;
    a->metrics[M_WATERMARK_LAG_SECONDS] = -INFINITY;
    a->bytes_read = 987654321;
    struct snap_source *s = snap_stream_add_source(a, 0);
    s->kind = SRC_KAFKA;
    s->id = xstrdup("orders_topic");
    s->provider = xstrdup("kafka");
    s->end_offset = xstrdup("{\"orders\":{\"0\":120,\"1\":99,\"2\":1e3}}");
    s->initial_offset = xstrdup("{\"orders\":{\"0\":0}}");
    s->committed_offset = xstrdup("{\"orders\":{\"0\":100}}");
    s->description = xstrdup("KafkaV2[Subscribe[orders]]");
    s = snap_stream_add_source(a, 1);
    s->kind = SRC_OTHER;
    s->end_offset = xstrdup("not json {");
    s = snap_stream_add_source(a, 2);
    s->kind = SRC_NUMBER;
    s->end_offset = xstrdup("\"42\""); /* a JSON string that reads as a number when unquoted */
    snap_stream_add_source(a, 3);      /* "-": no offset yet */
    a->ckpt = (struct snap_ckptinfo){.offset_log = 2,
                                     .commit_log = 1,
                                     .state_format = 2,
                                     .shuffle_partitions = 200,
                                     .unrestartable = xstrdup("offsets/5 is version 9")};
    a->batches = xcalloc(3, sizeof *a->batches);
    a->batches[0] = (struct snap_batch){.id = 5,
                                        .start_ms = 1795341500000LL,
                                        .commit_ms = 1795341502500LL,
                                        .rows = 1200,
                                        .kind = BATCH_DATA};
    a->batches[1] = (struct snap_batch){
        .id = 6, .start_ms = -1, .commit_ms = -1, .rows = NAN, .kind = BATCH_REPARTITION};
    a->batches[2] = (struct snap_batch){
        .id = 7, .start_ms = 1795341600000LL, .commit_ms = -1, .rows = NAN, .kind = BATCH_CONTROL};
    a->nbatches = 3;
    a->operators = xcalloc(2, sizeof *a->operators);
    a->operators[0] = (struct snap_operator){.id = 0,
                                             .name = xstrdup("transformWithStateExec"),
                                             .partitions = 200,
                                             .state_version = 7,
                                             .files = 3,
                                             .bytes = 4096,
                                             .nschemas = 2,
                                             .schema_batch = 4};
    a->operators[1] = (struct snap_operator){.id = 1, .partitions = -1, .state_version = -1};
    a->noperators = 2;
    a->realtime_ms = 5000;
    a->realtime_configured = true;
    a->kafka.bootstrap = xstrdup("127.0.0.1:9092");
    a->kafka.planned_lag = 20;
    struct snap_kpart *kp = snap_stream_add_kpart(a, "orders", 0);
    kp->position = 100;
    kp->planned = 120;
    kp->log_start = 0;
    kp->end = 130;
    kp->lag = 30;
    kp->planned_lag = 10;
    kp->oldest_ms = 1795341590456LL;
    kp = snap_stream_add_kpart(a, "orders", 1);
    kp->is_new = true;
    kp->error = xstrdup("broker did not answer");
    a->schema.version = 3;
    a->schema.appeared_ms = 1795341000000LL;
    a->schema.first_seen_ms = 1795341060000LL;
    strvec_push(&a->schema.changes, "+ discount: double");
    strvec_push(&a->schema.fields, "id: long not null");
    strvec_push(&a->sink_schema.fields, "id: long"); /* version cleaned from the Delta log */
    struct snap_deadletter *d = snap_stream_add_deadletter(a, "s3://lake/_dlq/orders/");
    d->layout = "badRecordsPath";
    d->files = 3;
    d->bytes = 5120;
    d->newest_ms = 1795341500000LL;
    d->sample_file = xstrdup("s3://lake/_dlq/orders/20261122T100000/bad_records/part-0");
    d->sample_line = xstrdup("{\"path\":\"a.json\",\"reason\":\"bad\",\"record\":\"{x\"}");
    d->sample_path = xstrdup("a.json");
    d->sample_reason = xstrdup("bad");
    d = snap_stream_add_deadletter(a, "s3://lake/bad/orders/");
    d->layout = "missing";
    d->error = xstrdup("s3://lake/bad/orders/: HTTP 403");
    a->job = (struct snap_job){.id = 11, .running = true, .continuous = true, .last_end_ms = -1};
    a->feeder = (struct snap_job){
        .id = 12, .interval_ms = 60000, .last_run_id = 99, .last_end_ms = 1795341540000LL};
    snprintf(a->feeder.last_result, sizeof a->feeder.last_result, "FAILED");
    snprintf(a->feeder.last_message, sizeof a->feeder.last_message, "Task failed");
    snap_stream_add_alert(a, "backlog-old", "> 600", HEALTH_WARNING, true, true, 1795341000000LL,
                          842.5);
    snap_stream_add_alert(a, "eta", "> 60", HEALTH_CRITICAL, false, false, 1795341000000LL,
                          INFINITY);
    strvec_push(&a->warnings, "progress: 2 malformed lines");

    struct snap_stream *b = snapshot_add_stream(snap, "clicks, eu");
    b->status = HEALTH_UNKNOWN;
    b->trigger_ms = 60000;
    b->sink_schema.version = 0;
    b->sink_schema.appeared_ms = 1795340000000LL;
    strvec_push(&b->errors, "checkpoint /x: No such file or directory");

    struct snap_stream *c = snapshot_add_stream(snap, "rt-auto");
    c->status = HEALTH_CRITICAL;
    c->realtime_ms = 300000;
    c->checkpoint = xstrdup("/ck/rt");
    return snap;
}

static void test_every_field(void **unused)
{
    (void)unused;
    struct snapshot *snap = full();
    struct snapshot *back = round_trip(snap);
    const struct snap_stream *a = &back->streams[0];
    assert_int_equal(back->generated_ms, 1795341600123LL);
    assert_int_equal(a->status, HEALTH_WARNING);
    assert_true(isinf(a->metrics[M_DRAIN_ETA_SECONDS]) && a->metrics[M_DRAIN_ETA_SECONDS] > 0);
    assert_true(isinf(a->metrics[M_WATERMARK_LAG_SECONDS]));
    assert_true(isnan(a->metrics[M_COMMIT_AGE_SECONDS]));
    assert_int_equal(a->origin[M_BACKLOG_FILES], ORIGIN_STORAGE_LOWER_BOUND);
    assert_true(a->metrics[M_BACKLOG_RECORDS] == 123456789012.0);
    assert_int_equal(a->nsources, 4);
    assert_int_equal(a->sources[0].kind, SRC_KAFKA);
    assert_string_equal(a->sources[1].end_offset, "not json {");
    assert_string_equal(a->sources[2].end_offset, "\"42\"");
    assert_null(a->sources[3].end_offset);
    assert_int_equal(a->kafka.nparts, 2);
    assert_int_equal(a->kafka.parts[0].oldest_ms, 1795341590456LL);
    assert_true(isnan(a->kafka.parts[1].lag));
    assert_true(a->kafka.parts[1].is_new);
    assert_string_equal(a->kafka.parts[1].error, "broker did not answer");
    assert_int_equal(a->job.id, 11);
    assert_int_equal(a->feeder.interval_ms, 60000);
    assert_string_equal(a->feeder.last_result, "FAILED");
    assert_int_equal(a->schema.version, 3);
    assert_int_equal(a->sink_schema.version, -1);
    assert_int_equal(a->sink_schema.fields.n, 1);
    assert_string_equal(a->deadletters[0].layout, "badRecordsPath");
    assert_null(a->deadletters[0].sample_record);
    assert_string_equal(a->deadletters[1].error, "s3://lake/bad/orders/: HTTP 403");
    assert_int_equal(a->nalerts, 2);
    assert_true(a->alerts[0].silenced && a->alerts[0].firing);
    assert_false(a->alerts[1].firing);
    assert_true(isinf(a->alerts[1].value));
    assert_true(a->realtime_configured);
    assert_int_equal(a->ckpt.shuffle_partitions, 200);
    /* the detail's recent batches: start, commit (none while in flight), rows, kind */
    assert_int_equal(a->nbatches, 3);
    assert_int_equal(a->batches[0].commit_ms - a->batches[0].start_ms, 2500);
    assert_true(a->batches[0].rows == 1200);
    assert_int_equal(a->batches[1].kind, BATCH_REPARTITION);
    assert_int_equal(a->batches[2].commit_ms, -1);
    assert_int_equal(a->bytes_read, 987654321);
    assert_int_equal(back->streams[1].trigger_ms, 60000);
    assert_int_equal(back->streams[1].sink_schema.version, 0);
    assert_false(back->streams[2].realtime_configured);
    assert_int_equal(back->streams[1].errors.n, 1);
    snapshot_free(back);
    snapshot_free(snap);
}

static void test_hostile(void **unused)
{
    (void)unused;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"", "empty snapshot"},
        {"{\"streams\": [", "not JSON"},
        {"<html>502 Bad Gateway</html>", "not JSON"},
        {"[]", "no \"streams\" list"},
        {"{\"streams\": {}}", "no \"streams\" list"},
        {"{\"streams\": []}", "generated_at: missing"},
        {"{\"generated_at\": \"yesterday\", \"streams\": []}", "generated_at: not an ISO-8601"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [1]}",
         "streams[0]: stream: not an object"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{}]}", "streams[0]: name"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"status\": \"fine\"}]}",
         "streams[0] (a): status"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"metrics\": {\"backlog_files\": \"12\"}}]}",
         "streams[0] (a): metrics"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"jobs\": [{\"job_id\": 1e300}]}]}",
         "job_id: not a whole number"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"checkpoint\": {\"operators\": [{\"id\": -5}]}}]}",
         "id: not a whole number"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"deadletter\": [{\"prefix\": \"/d\", \"layout\": \"weird\"}]}]}",
         "deadletter.layout"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"sources\": [{\"kind\": \"tape\"}]}]}",
         "sources.kind"},
        {"{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": \"a\", "
         "\"errors\": [3]}]}",
         "errors: an item is not a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct snapshot *snap = (struct snapshot *)1;
        struct st_err err;
        assert_int_equal(export_json_read(cases[i].text, strlen(cases[i].text), &snap, &err), -1);
        assert_null(snap);
        if (!strstr(err.msg, cases[i].want))
            fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, cases[i].want);
    }
    /* past the size cap: refused before parsing */
    struct snapshot *snap;
    struct st_err err;
    assert_int_equal(export_json_read("{}", (size_t)EXPORT_JSON_READ_MAX + 1, &snap, &err), -1);
    assert_int_equal(err.code, ST_ETOOBIG);
    /* nested past cJSON's limit: an error, not a crash */
    size_t depth = 100000;
    char *deep = xmalloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    assert_int_equal(export_json_read(deep, 2 * depth, &snap, &err), -1);
    free(deep);
    /* control characters from the network are escaped before any front end sees them */
    const char *esc = "{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": [{\"name\": "
                      "\"a\\u001b[2J\", \"errors\": [\"x\\u001b]0;owned\\u0007\"]}]}";
    assert_int_equal(export_json_read(esc, strlen(esc), &snap, &err), 0);
    assert_null(strchr(snap->streams[0].name, 0x1b));
    assert_null(strchr(snap->streams[0].errors.v[0], 0x1b));
    assert_null(strchr(snap->streams[0].errors.v[0], 0x07));
    snapshot_free(snap);
    /* a text without a NUL after it is read within its length */
    const char *two = "{\"generated_at\": \"2026-11-22T10:00:00Z\", \"streams\": []}garbage";
    assert_int_equal(export_json_read(two, strlen(two) - 7, &snap, &err), 0);
    assert_int_equal(snap->nstreams, 0);
    snapshot_free(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_simulated),
        cmocka_unit_test(test_real),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
