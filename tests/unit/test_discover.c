/* discover: checkpoints found under a folder (the real fixtures in place), the landing folder
 * guessed from file-source logs (partition folders cut off, URI schemes normalised). */
#include "testutil.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_from_log),
        cmocka_unit_test(test_real_checkpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
