/* The offset arithmetic of Kafka lag: Spark's offsets parsed, source descriptions understood,
 * and per partition end - position (committed batch) and end - planned (newest batch) from
 * real checkpoints, with made-up broker answers (the live suite compares with a real broker). */
#include "testutil.h"

#include <math.h>

#include "collectors/collector.h"
#include "collectors/kafkalag.h"
#include "core/config.h"
#include "core/clock.h"
#include "core/snapshot.h"
#include "net/kafka.h"

#define NOW_MS 1796200000000LL

static void parse_offsets_table(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        int ok;
        size_t n;
    } cases[] = {
        {"{\"events\":{\"0\":697,\"1\":697,\"2\":696}}", 0, 3},
        {"{\"b\":{\"1\":5},\"a\":{\"10\":1,\"2\":3}}", 0, 3},
        {"{\"t\":{\"0\":-2,\"1\":-1}}", 0, 2}, /* an initial-offset file: earliest, latest */
        {"{}", 0, 0},
        {"{\"t\":{\"x\":1}}", -1, 0},
        {"{\"t\":{\"-1\":1}}", -1, 0},
        {"{\"t\":{\"99999999999\":1}}", -1, 0},
        {"{\"t\":{\"0\":1.5}}", -1, 0},
        {"{\"t\":{\"0\":1e300}}", -1, 0},
        {"{\"t\":{\"0\":\"5\"}}", -1, 0},
        {"{\"t\":5}", -1, 0},
        {"[1,2]", -1, 0},
        {"{\"t\":{\"0\":1}", -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kafka_positions p;
        struct st_err err;
        int rc = kafkalag_parse_offsets(cases[i].json, strlen(cases[i].json), &p, &err);
        if (rc != cases[i].ok)
            fail_msg("case %zu (%s): rc %d", i, cases[i].json, rc);
        assert_int_equal(p.n, cases[i].n);
        kafkalag_positions_done(&p);
    }
    struct kafka_positions p;
    struct st_err err;
    const char *j = "{\"b\":{\"1\":5},\"a\":{\"10\":1,\"2\":3}}";
    assert_int_equal(kafkalag_parse_offsets(j, strlen(j), &p, &err), 0);
    /* sorted by topic, then partition number (not text) */
    assert_string_equal(p.v[0].topic, "a");
    assert_int_equal(p.v[0].partition, 2);
    assert_int_equal(p.v[1].partition, 10);
    assert_int_equal(kafkalag_find(&p, "a", 10), 1);
    assert_int_equal(kafkalag_find(&p, "b", 1), 5);
    assert_int_equal(kafkalag_find(&p, "b", 2), -3);
    assert_int_equal(kafkalag_find(&p, "c", 1), -3);
    kafkalag_positions_done(&p);
}

static void parse_desc_table(void **state)
{
    (void)state;
    static const struct {
        const char *desc;
        int rc;
        enum kafka_sub_kind kind;
        const char *topics; /* joined with "|" */
        const char *pattern;
    } cases[] = {
        {"KafkaV2[Subscribe[events]]", 0, KSUB_SUBSCRIBE, "events", NULL},
        {"KafkaV2[Subscribe[a, b,c]]", 0, KSUB_SUBSCRIBE, "a|b|c", NULL},
        {"KafkaV2[SubscribePattern[lag-.*]]", 0, KSUB_PATTERN, "", "lag-.*"},
        {"KafkaV2[SubscribePattern[a[0-9]+]]", 0, KSUB_PATTERN, "", "a[0-9]+"},
        {"KafkaV2[Assign[t-a-0, t-a-1, u-3]]", 0, KSUB_ASSIGN, "t-a|u", NULL},
        {"KafkaSource[Subscribe[old]]", 0, KSUB_SUBSCRIBE, "old", NULL},
        {"KafkaV2[SomethingNew[x]]", 0, KSUB_NONE, "", NULL},
        {"FileStreamSource[file:/x]", -1, KSUB_NONE, "", NULL},
        {"KafkaV2[Subscribe[x]", 0, KSUB_NONE, "", NULL}, /* cut short: no strategy */
        {"KafkaV2[", -1, KSUB_NONE, "", NULL},
        {"", -1, KSUB_NONE, "", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct kafka_sub sub;
        int rc = kafkalag_parse_desc(cases[i].desc, strlen(cases[i].desc), &sub);
        if (rc != cases[i].rc || (rc == 0 && sub.kind != cases[i].kind))
            fail_msg("case %zu (%s): rc %d kind %d", i, cases[i].desc, rc, (int)sub.kind);
        char joined[200] = "";
        for (size_t k = 0; k < sub.topics.n; k++) {
            strcat(joined, k ? "|" : "");
            strcat(joined, sub.topics.v[k]);
        }
        if (rc == 0)
            assert_string_equal(joined, cases[i].topics);
        if (cases[i].pattern)
            assert_string_equal(sub.pattern, cases[i].pattern);
        kafkalag_sub_done(&sub);
    }
}

static bool same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void compute_table(void **state)
{
    (void)state;
    static const struct {
        double position, planned, log_start, end;
        bool is_new;
        double lag, planned_lag, lost;
    } cases[] = {
        /* caught up */
        {100, 100, 0, 100, false, 0, 0, 0},
        /* behind; a batch planned up to 150 in flight */
        {100, 150, 0, 180, false, 80, 30, 0},
        /* retention deleted 100..119 before they were read: 20 lost, 60 still waiting */
        {100, 100, 120, 180, false, 60, 60, 20},
        /* retention past the planned batch too */
        {100, 110, 120, 180, false, 60, 60, 20},
        /* a partition the checkpoint does not know: its whole retained range waits */
        {NAN, NAN, 30, 80, true, 50, 50, 0},
        /* a position past the end (the topic deleted and made again): no lag */
        {500, 500, 0, 20, false, 0, 0, 0},
        /* the broker did not answer for this partition */
        {100, 100, NAN, NAN, false, NAN, NAN, NAN},
        /* in a planned batch only (it appeared after the committed one) */
        {NAN, 40, 0, 50, false, 50, 10, NAN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct snap_kpart p = {.position = cases[i].position,
                               .planned = cases[i].planned,
                               .log_start = cases[i].log_start,
                               .end = cases[i].end,
                               .is_new = cases[i].is_new,
                               .oldest_ms = -1};
        kafkalag_compute(&p);
        if (!same(p.lag, cases[i].lag) || !same(p.planned_lag, cases[i].planned_lag) ||
            !same(p.lost, cases[i].lost))
            fail_msg("case %zu: lag %g planned %g lost %g", i, p.lag, p.planned_lag, p.lost);
    }
}

/* The checkpoint collector over dir, then what the Kafka collector takes from it. */
static struct snapshot *collect_ckpt(const char *dir)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"k";
    cfg.checkpoint = (char *)dir;
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "k");
    void *s = checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, s, st, NOW_MS);
    checkpoint_collector.state_free(s);
    return snap;
}

/* A made-up broker answer: log start and end of each partition, and when its oldest waiting
 * record was written. */
static void answer(struct snap_stream *st, double log_start, double end, int64_t oldest_ms)
{
    for (size_t i = 0; i < st->kafka.nparts; i++) {
        struct snap_kpart *kp = &st->kafka.parts[i];
        kp->log_start = log_start;
        kp->end = end;
        kafkalag_compute(kp);
        kp->oldest_ms = kp->lag > 0 ? oldest_ms : -1;
    }
}

/* Spark 4.0 checkpoint (tests/fixtures/live): batch 13 committed, batch 14 planned (in
 * flight). The position is offsets/13's, the planned offsets offsets/14's. */
static void live_fixture_inflight(void **state)
{
    (void)state;
    struct snapshot *snap = collect_ckpt("tests/fixtures/live/spark-4.0.0/kafka/checkpoint");
    struct snap_stream *st = &snap->streams[0];
    assert_true(st->metrics[M_LAST_BATCH_ID] == 14);
    assert_true(st->metrics[M_COMMITTED_BATCH_ID] == 13);
    assert_int_equal(st->nsources, 1);
    assert_non_null(st->sources[0].committed_offset);
    struct kafkalag_source *ks;
    size_t n = kafkalag_gather(st, &ks);
    assert_int_equal(n, 1);
    assert_true(ks[0].have_position);
    kafkalag_add_known(st, &ks[0]);
    kafkalag_set_positions(st, ks, n);
    assert_int_equal(st->kafka.nparts, 3);
    /* offsets/13: {"events":{"0":697,"1":697,"2":696}}; offsets/14: 747, 747, 746 */
    static const double pos[] = {697, 697, 696}, planned[] = {747, 747, 746};
    answer(st, 0, 1000, NOW_MS - 42000);
    for (size_t i = 0; i < 3; i++) {
        const struct snap_kpart *kp = &st->kafka.parts[i];
        assert_string_equal(kp->topic, "events");
        assert_int_equal(kp->partition, (int)i);
        if (kp->position != pos[i] || kp->planned != planned[i])
            fail_msg("partition %zu: position %g planned %g", i, kp->position, kp->planned);
        assert_true(kp->lag == 1000 - pos[i]);
        assert_true(kp->planned_lag == 1000 - planned[i]);
        assert_true(kp->lost == 0);
    }
    /* progress's estimate is replaced by the brokers' figures */
    st->metrics[M_BACKLOG_RECORDS] = 7;
    st->origin[M_BACKLOG_RECORDS] = ORIGIN_PROGRESS;
    kafkalag_totals(st, NOW_MS);
    assert_true(st->metrics[M_BACKLOG_RECORDS] == 3000 - (697 + 697 + 696));
    assert_int_equal(st->origin[M_BACKLOG_RECORDS], ORIGIN_BROKER);
    assert_true(st->kafka.planned_lag == 3000 - (747 + 747 + 746));
    assert_true(st->metrics[M_BACKLOG_AGE_SECONDS] == 42);
    assert_true(st->metrics[M_KAFKA_LOST_RECORDS] == 0);
    /* retention past the committed position of every partition: lost records, critical */
    answer(st, 700, 1000, NOW_MS - 5000);
    kafkalag_totals(st, NOW_MS);
    assert_true(st->metrics[M_KAFKA_LOST_RECORDS] == (700 - 697) * 2 + (700 - 696));
    assert_true(st->metrics[M_BACKLOG_RECORDS] == 3 * 300);
    assert_true(st->metrics[M_BACKLOG_AGE_SECONDS] == 5);
    /* everything planned: the in-flight batch holds what waits, no record is unplanned */
    for (size_t i = 0; i < 3; i++) {
        st->kafka.parts[i].log_start = 0;
        st->kafka.parts[i].end = planned[i];
        kafkalag_compute(&st->kafka.parts[i]);
    }
    kafkalag_totals(st, NOW_MS);
    assert_true(st->kafka.planned_lag == 0);
    assert_true(st->metrics[M_BACKLOG_RECORDS] == 50 * 3);
    for (size_t i = 0; i < n; i++)
        kafkalag_source_done(&ks[i]);
    free(ks);
    snapshot_free(snap);
}

/* A checkpoint whose newest batch is committed: position = planned; before any commit the
 * initial offsets (sources/0/0) are the position, and -2 (earliest) is no position. */
static void made_checkpoints(void **state)
{
    (void)state;
    char *dir = scratch_dir("kafkalag");
    const char *meta = "{\"batchWatermarkMs\":0,\"batchTimestampMs\":1796199990000,\"conf\":{}}";
    char text[512];
    write_str(dir, "a/metadata", "{\"id\":\"4b845061-ea3a-4bcd-af05-ad21b45da953\"}");
    snprintf(text, sizeof text, "v1\n%s\n{\"t\":{\"0\":10,\"1\":20},\"u\":{\"0\":5}}\n", meta);
    write_str(dir, "a/offsets/0", text);
    write_str(dir, "a/commits/0", "v1\n{\"nextBatchWatermarkMs\":0}\n");
    char *a = xasprintf("%s/a", dir);
    struct snapshot *snap = collect_ckpt(a);
    struct snap_stream *st = &snap->streams[0];
    assert_null(st->sources[0].committed_offset);
    struct kafkalag_source *ks;
    size_t n = kafkalag_gather(st, &ks);
    assert_int_equal(n, 1);
    kafkalag_add_known(st, &ks[0]);
    kafkalag_set_positions(st, ks, n);
    assert_int_equal(st->kafka.nparts, 3);
    assert_true(st->kafka.parts[0].position == 10 && st->kafka.parts[0].planned == 10);
    assert_true(st->kafka.parts[1].position == 20);
    assert_string_equal(st->kafka.parts[2].topic, "u");
    for (size_t i = 0; i < n; i++)
        kafkalag_source_done(&ks[i]);
    free(ks);
    snapshot_free(snap);

    /* batch 0 in flight: the initial offsets, earliest for partition 1 */
    write_str(dir, "b/metadata", "{\"id\":\"4b845061-ea3a-4bcd-af05-ad21b45da953\"}");
    snprintf(text, sizeof text, "v1\n%s\n{\"t\":{\"0\":10,\"1\":20}}\n", meta);
    write_str(dir, "b/offsets/0", text);
    char *commits = xasprintf("%s/b/commits", dir);
    mkdir(commits, 0755);
    free(commits);
    write_str(dir, "b/sources/0/0", "v1\n{\"t\":{\"0\":3,\"1\":-2}}");
    char *b = xasprintf("%s/b", dir);
    snap = collect_ckpt(b);
    st = &snap->streams[0];
    n = kafkalag_gather(st, &ks);
    kafkalag_add_known(st, &ks[0]);
    kafkalag_set_positions(st, ks, n);
    assert_true(st->kafka.parts[0].position == 3 && st->kafka.parts[0].planned == 10);
    assert_true(isnan(st->kafka.parts[1].position));
    answer(st, 2, 30, NOW_MS);
    assert_true(st->kafka.parts[0].lag == 27 && st->kafka.parts[1].lag == 28);
    for (size_t i = 0; i < n; i++)
        kafkalag_source_done(&ks[i]);
    free(ks);
    snapshot_free(snap);
    free(a);
    free(b);
    free(dir);
}

/* Spark's own test resource (kafka-0-10-sql, 2.1.0) and a user's Kafka checkpoint from
 * ../shared/fixtures/real. */
static void real_fixtures(void **state)
{
    (void)state;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    char *path = xasprintf("%s/source-offsets/kafka-source-offset-version-2.1.0.txt", fx);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char text[256];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    struct kafka_positions p;
    struct st_err err;
    assert_int_equal(kafkalag_parse_offsets(text, len, &p, &err), 0);
    assert_int_equal(p.n, 3);
    assert_int_equal(kafkalag_find(&p, "topic1", 0), 456);
    assert_int_equal(kafkalag_find(&p, "topic1", 1), 789);
    assert_int_equal(kafkalag_find(&p, "topic2", 0), 0);
    kafkalag_positions_done(&p);
    free(path);

    char *ck = xasprintf("%s/user-checkpoints/chrisfinlayson-kafka-single-batch", fx);
    struct snapshot *snap = collect_ckpt(ck);
    struct snap_stream *st = &snap->streams[0];
    struct kafkalag_source *ks;
    size_t n = kafkalag_gather(st, &ks);
    assert_int_equal(n, 1);
    kafkalag_add_known(st, &ks[0]);
    kafkalag_set_positions(st, ks, n);
    assert_int_equal(st->kafka.nparts, 1);
    assert_string_equal(st->kafka.parts[0].topic, "OrderEventStream");
    assert_true(st->kafka.parts[0].position == 8600);
    answer(st, 0, 9000, NOW_MS - 1000);
    kafkalag_totals(st, NOW_MS);
    assert_true(st->metrics[M_BACKLOG_RECORDS] == 400);
    for (size_t i = 0; i < n; i++)
        kafkalag_source_done(&ks[i]);
    free(ks);
    snapshot_free(snap);
    free(ck);
}

/* The client: never a group, librdkafka's refusal of a property named, and a cluster that is not
 * there reported by the deadline, naming the bootstrap servers. */
static void client_refusals(void **state)
{
    (void)state;
    struct st_err err;
    const char *n[] = {"group.id"}, *v[] = {"g"};
    assert_null(kafka_conn_new("127.0.0.1:1", n, v, 1, &err));
    assert_non_null(strstr(err.msg, "never joins a consumer group"));
    const char *n2[] = {"no.such.property"};
    assert_null(kafka_conn_new("127.0.0.1:1", n2, v, 1, &err));
    assert_non_null(strstr(err.msg, "kafka.no.such.property: "));
    struct kafka_conn *c = kafka_conn_new("127.0.0.1:1", NULL, NULL, 0, &err);
    assert_non_null(c);
    struct kafka_meta md;
    assert_int_equal(kafka_metadata(c, clock_mono_ms() + 300, &md, &err), -1);
    assert_non_null(strstr(err.msg, "kafka 127.0.0.1:1: metadata: "));
    kafka_conn_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_offsets_table), cmocka_unit_test(parse_desc_table),
        cmocka_unit_test(compute_table),       cmocka_unit_test(live_fixture_inflight),
        cmocka_unit_test(made_checkpoints),    cmocka_unit_test(real_fixtures),
        cmocka_unit_test(client_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
