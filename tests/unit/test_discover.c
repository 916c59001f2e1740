/* discover: checkpoints found under a folder (the real fixtures in place), the landing folder
 * guessed from file-source logs (partition folders cut off, URI schemes normalised). */
#include "testutil.h"

#include <sys/stat.h>

#include "collectors/discover.h"

static void test_source_from_log(void **unused)
{
    (void)unused;
    static const struct {
        const char *log, *want;
    } cases[] = {
        {"v1\n{\"path\":\"file:///data/in/dt=2026-11-20/hr=09/a.json\",\"timestamp\":1}\n"
         "{\"path\":\"file:///data/in/dt=2026-11-21/hr=10/b.json\",\"timestamp\":2}\n",
         "/data/in"},
        {"v1\n{\"path\":\"s3a://lake/landing/orders/x.json\"}\n"
         "{\"path\":\"s3a://lake/landing/orders/y.json\"}\n",
         "s3://lake/landing/orders"},
        {"v1\n{\"path\":\"dbfs:/mnt/raw/a/1.csv\"}\n{\"path\":\"dbfs:/mnt/raw/b/2.csv\"}\n",
         "/dbfs/mnt/raw"},
        /* "/data/in2" does not share the folder "/data/in" */
        {"v1\n{\"path\":\"/data/in/a.json\"}\n{\"path\":\"/data/in2/b.json\"}\n", "/data"},
        {"v1\ngarbage\n{\"nopath\":1}\n", NULL},
        /* Firehose's keys: YYYY/MM/DD/HH cut off, whatever part of it the paths share */
        {"v1\n{\"path\":\"s3a://lake/events/2026/11/20/09/events-1-2026-11-20-09-00-00-a\"}\n"
         "{\"path\":\"s3a://lake/events/2026/11/20/10/events-1-2026-11-20-10-00-00-b\"}\n",
         "s3://lake/events"},
        {"v1\n{\"path\":\"/in/2026/11/20/09/a\"}\n{\"path\":\"/in/2026/11/20/09/b\"}\n", "/in"},
        {"v1\n{\"path\":\"/in/2026/11/a\"}\n{\"path\":\"/in/2026/12/b\"}\n", "/in"},
        /* numbers that are not a date stay */
        {"v1\n{\"path\":\"/in/123/a\"}\n{\"path\":\"/in/123/b\"}\n", "/in/123"},
        {"v1\n{\"path\":\"/in/20/11/a\"}\n{\"path\":\"/in/20/11/b\"}\n", "/in/20/11"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = discover_source_from_log(cases[i].log, strlen(cases[i].log));
        if (!cases[i].want)
            assert_null(got);
        else
            assert_string_equal(got, cases[i].want);
        free(got);
    }
}

static void test_real_checkpoints(void **unused)
{
    (void)unused;
    const char *fx = fixtures_dir();
    if (!fx)
        skip();
    char *root = xasprintf("%s/user-checkpoints", fx);
    struct found_list l = {0};
    struct st_err err;
    assert_int_equal(discover(root, &l, &err), 0);
    assert_true(l.n >= 9);
    bool vsvale = false, kafka = false;
    for (size_t i = 0; i < l.n; i++) {
        if (strstr(l.v[i].checkpoint, "vsvale-filesource-csv-spark3.3")) {
            vsvale = true;
            assert_string_equal(l.v[i].kind, "file");
            assert_non_null(l.v[i].source);
            assert_non_null(strstr(l.v[i].source, "/datasets/stock_data"));
        }
        if (strstr(l.v[i].checkpoint, "cryptoquant-bronze-kafka-3topics")) {
            kafka = true;
            assert_string_equal(l.v[i].kind, "kafka");
            assert_null(l.v[i].source);
        }
    }
    assert_true(vsvale && kafka);
    assert_false(discover_is_checkpoint(root));
    assert_true(discover_is_checkpoint(l.v[0].checkpoint));
    found_list_done(&l);
    free(root);
}

static void put(const char *root, const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", root, rel);
    for (char *c = path + strlen(root) + 1; *c; c++)
        if (*c == '/') {
            *c = '\0';
            (void)mkdir(path, 0755);
            *c = '/';
        }
    if (text) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    } else {
        (void)mkdir(path, 0755);
    }
    free(path);
}

/* Declarative Pipelines: a flow's checkpoints are <storage>/_checkpoints/<destination name
 * parts>/<flow>/<N> (FlowSystemMetadata.flowCheckpointsDirOpt), and Spark runs the highest N
 * (SystemMetadata.getLatestCheckpointDir); a hand-made tree of that shape. */
static void test_pipelines(void **unused)
{
    (void)unused;
    static const char off[] = "v1\n{\"batchWatermarkMs\":0,\"batchTimestampMs\":1,\"conf\":{}}\n"
                              "{\"t\":{\"0\":5}}\n";
    char *root = scratch_dir("pipelines");
    /* a flow refreshed twice: 0, 1 and 2 hold batches, 2 is live */
    for (int n = 0; n < 3; n++) {
        char rel[128];
        snprintf(rel, sizeof rel, "_checkpoints/spark_catalog/default/orders/orders/%d/offsets/0",
                 n);
        put(root, rel, off);
    }
    /* a second flow into another table, refreshed a moment ago: 1 holds nothing yet */
    put(root, "_checkpoints/spark_catalog/default/totals/append_totals/0/offsets/0", off);
    put(root, "_checkpoints/spark_catalog/default/totals/append_totals/1", NULL);
    /* numbered folders anywhere else are plain checkpoints */
    put(root, "jobs/7/offsets/0", off);
    put(root, "_checkpoints/9/offsets/0", off);
    struct found_list l = {0};
    struct st_err err;
    assert_int_equal(discover(root, &l, &err), 0);
    assert_int_equal(l.n, 4);
    static const char *const want[][2] = {
        {"_checkpoints/9", NULL},
        {"_checkpoints/spark_catalog/default/orders/orders/2", "spark_catalog.default.orders"},
        {"_checkpoints/spark_catalog/default/totals/append_totals/1",
         "spark_catalog.default.totals.append_totals"},
        {"jobs/7", NULL},
    };
    for (size_t i = 0; i < l.n; i++) {
        char *path = xasprintf("%s/%s", root, want[i][0]);
        assert_string_equal(l.v[i].checkpoint, path);
        if (want[i][1]) {
            assert_string_equal(l.v[i].name, want[i][1]);
            assert_non_null(strstr(l.v[i].note, "the live one"));
        } else {
            assert_null(l.v[i].name);
        }
        free(path);
    }
    found_list_done(&l);
    /* a walk from inside the flow's folder sees the same */
    char *flow = xasprintf("%s/_checkpoints/spark_catalog/default/orders/orders", root);
    assert_int_equal(discover(flow, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_non_null(strstr(l.v[0].checkpoint, "/orders/orders/2"));
    found_list_done(&l);
    free(flow);
    free(root);
}

/* tests/fixtures/live/spark-4.3.0/pipelines: `spark-pipelines run`, then `run
 * --full-refresh-all`, left checkpoints 0 and 1 of flow events; expected.json names the one
 * Spark runs (live_checkpoint). */
#define PIPE43 "tests/fixtures/live/spark-4.3.0/pipelines"
static void test_pipelines_fixture_43(void **unused)
{
    (void)unused;
    FILE *f = fopen(PIPE43 "/expected.json", "rb");
    assert_non_null(f);
    char text[1 << 15];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    const char *key = strstr(text, "\"live_checkpoint\": \"");
    assert_non_null(key);
    key += strlen("\"live_checkpoint\": \"");
    char live[16];
    size_t n = strcspn(key, "\"");
    assert_true(n > 0 && n < sizeof live);
    memcpy(live, key, n);
    live[n] = '\0';
    char *want =
        xasprintf(PIPE43 "/storage/_checkpoints/spark_catalog/default/events/events/%s", live);
    static const char *const roots[] = {PIPE43 "/storage",
                                        PIPE43 "/storage/_checkpoints/spark_catalog/default/events"
                                               "/events"};
    for (size_t r = 0; r < 2; r++) {
        struct found_list l = {0};
        struct st_err err;
        assert_int_equal(discover(roots[r], &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.v[0].checkpoint, want);
        assert_string_equal(l.v[0].name, "spark_catalog.default.events");
        assert_string_equal(l.v[0].kind, "file");
        found_list_done(&l);
    }
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_from_log),
        cmocka_unit_test(test_real_checkpoints),
        cmocka_unit_test(test_pipelines),
        cmocka_unit_test(test_pipelines_fixture_43),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
