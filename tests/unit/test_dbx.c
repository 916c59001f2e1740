/* Databricks pieces without a server: which API serves a path, the parsers of directory pages,
 * DBFS answers, errors, tokens, runs and jobs, base64, Quartz cron intervals, .databrickscfg
 * profiles, and the path forms (dbfs:/Volumes is a volume) in the config and the file-source
 * log. */
#include "testutil.h"

#include "collectors/sourcelog.h"
#include "core/buf.h"
#include "core/config.h"
#include "net/dbx.h"

static void test_api_of(void **state)
{
    (void)state;
    assert_int_equal(dbx_api_of("/Volumes/main/default/lake/x"), DBX_FILES);
    assert_int_equal(dbx_api_of("/Volumes"), DBX_FILES);
    assert_int_equal(dbx_api_of("/dbfs/mnt/x"), DBX_DBFS);
    assert_int_equal(dbx_api_of("/VolumesX/a"), DBX_NONE);
    assert_int_equal(dbx_api_of("/data/x"), DBX_NONE);
    assert_int_equal(dbx_api_of("s3://b/Volumes/x"), DBX_NONE);
}

static void test_path_forms(void **state)
{
    (void)state;
    char *p = config_normalize_path("dbfs:/Volumes/main/default/lake/in");
    assert_string_equal(p, "/Volumes/main/default/lake/in");
    free(p);
    p = config_normalize_path("dbfs:/mnt/in");
    assert_string_equal(p, "/dbfs/mnt/in");
    free(p);
    /* Spark on Databricks logs a volume's files as dbfs:/Volumes/...; the listing names them
     * /Volumes/... */
    const char *uri = "dbfs:/Volumes/c/s/v/in/a%20b.json", *path = "/Volumes/c/s/v/in/a b.json";
    assert_true(sourcelog_path_hash(uri, strlen(uri), true) ==
                sourcelog_path_hash(path, strlen(path), false));
}

struct seen {
    char names[8][64];
    bool dir[8];
    int64_t size[8], mtime[8];
    int n;
};

static void on_entry(void *ctx, const char *name, bool is_dir, int64_t size, int64_t mtime)
{
    struct seen *s = ctx;
    if (s->n < 8) {
        snprintf(s->names[s->n], sizeof s->names[0], "%s", name);
        s->dir[s->n] = is_dir;
        s->size[s->n] = size;
        s->mtime[s->n++] = mtime;
    }
}

static void test_dir_page(void **state)
{
    (void)state;
    static const char page[] =
        "{\"contents\":[{\"path\":\"/Volumes/c/s/v/d/f.json\",\"is_directory\":false,"
        "\"file_size\":12,\"last_modified\":1700000000123,\"name\":\"f.json\"},"
        "{\"path\":\"/Volumes/c/s/v/d/sub\",\"is_directory\":true,\"name\":\"sub\"},"
        "{\"path\":\"/Volumes/c/s/v/d/g\",\"is_directory\":false,\"file_size\":3},"
        "{\"name\":\"..\",\"is_directory\":true},{\"name\":\"a/b\"},{\"name\":7}],"
        "\"next_page_token\":\"MTAwMA==\"}";
    struct seen s = {0};
    char *next = NULL;
    struct st_err err;
    assert_int_equal(dbx_parse_dir_page(page, strlen(page), on_entry, &s, &next, &err), 3);
    assert_string_equal(next, "MTAwMA==");
    free(next);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "f.json");
    assert_int_equal(s.size[0], 12);
    assert_int_equal(s.mtime[0], 1700000000123);
    assert_true(s.dir[1]);
    assert_int_equal(s.size[1], -1);
    assert_string_equal(s.names[2], "g"); /* from its path */
    static const char last[] = "{\"contents\":[]}";
    assert_int_equal(dbx_parse_dir_page(last, strlen(last), on_entry, &s, &next, &err), 0);
    assert_null(next);
    static const char empty[] = "{}";
    assert_int_equal(dbx_parse_dir_page(empty, 2, on_entry, &s, &next, &err), 0);
    static const char bad[] = "{\"contents\":{}}";
    assert_int_equal(dbx_parse_dir_page(bad, strlen(bad), on_entry, &s, &next, &err), -1);
    assert_non_null(strstr(err.msg, "not a directory listing"));
    assert_int_equal(dbx_parse_dir_page("<html>", 6, on_entry, &s, &next, &err), -1);
}

static void test_dbfs(void **state)
{
    (void)state;
    static const char list[] =
        "{\"files\":[{\"path\":\"/sim/a\",\"is_dir\":false,\"file_size\":5,"
        "\"modification_time\":1700000000000},{\"path\":\"/sim/d\",\"is_dir\":true,"
        "\"file_size\":0,\"modification_time\":0},{\"path\":\"rel\"},{\"file_size\":-1}]}";
    struct seen s = {0};
    struct st_err err;
    assert_int_equal(dbx_parse_dbfs_list(list, strlen(list), on_entry, &s, &err), 2);
    assert_string_equal(s.names[0], "/sim/a");
    assert_int_equal(s.mtime[1], -1);
    assert_int_equal(dbx_parse_dbfs_list("{}", 2, on_entry, &s, &err), 0);
    bool dir;
    int64_t size, mtime;
    static const char st[] = "{\"path\":\"/sim/a\",\"is_dir\":false,\"file_size\":1e17}";
    /* beyond 2^53 a size is not exact: not taken */
    assert_int_equal(dbx_parse_dbfs_status(st, strlen(st), &dir, &size, &mtime, &err), 0);
    assert_int_equal(size, 0);
    struct buf b;
    buf_init(&b);
    int64_t n;
    static const char rd[] = "{\"bytes_read\":5,\"data\":\"aGVsbG8=\"}";
    assert_int_equal(dbx_parse_dbfs_read(rd, strlen(rd), &b, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(b.data, "hello", 5);
    static const char lie[] = "{\"bytes_read\":6,\"data\":\"aGVsbG8=\"}";
    assert_int_equal(dbx_parse_dbfs_read(lie, strlen(lie), &b, &n, &err), -1);
    assert_non_null(strstr(err.msg, "bytes_read 6, but 5 bytes"));
    assert_int_equal(b.len, 5); /* nothing half-appended */
    static const char notb64[] = "{\"bytes_read\":3,\"data\":\"a$b=\"}";
    assert_int_equal(dbx_parse_dbfs_read(notb64, strlen(notb64), &b, &n, &err), -1);
    buf_done(&b);
}

static void test_base64(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b);
    assert_int_equal(dbx_base64_decode("", 0, &b), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(dbx_base64_decode("Zm9vYmFy", 8, &b), 0);
    assert_int_equal(dbx_base64_decode("Zg==", 4, &b), 0);
    assert_int_equal(dbx_base64_decode("Zm8", 3, &b), 0);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.data, "foobarffo", 9);
    assert_int_equal(dbx_base64_decode("Z", 1, &b), -1);
    assert_int_equal(dbx_base64_decode("Zm9v\n", 5, &b), -1);
    buf_done(&b);
}

static void test_errors_and_tokens(void **state)
{
    (void)state;
    char code[64], msg[128];
    static const char e1[] = "{\"error_code\":\"PERMISSION_DENIED\",\"message\":\"no\\u001b[31m\"}";
    assert_int_equal(dbx_parse_error(e1, strlen(e1), code, sizeof code, msg, sizeof msg), 0);
    assert_string_equal(code, "PERMISSION_DENIED");
    assert_null(strchr(msg, '\x1b'));
    static const char e2[] = "{\"error\":\"invalid_client\",\"error_description\":\"Client "
                             "authentication failed\"}";
    assert_int_equal(dbx_parse_error(e2, strlen(e2), code, sizeof code, msg, sizeof msg), 0);
    assert_string_equal(code, "invalid_client");
    assert_int_equal(dbx_parse_error("{}", 2, code, sizeof code, msg, sizeof msg), -1);
    char *tok;
    int64_t exp;
    static const char t[] =
        "{\"access_token\":\"abc\",\"token_type\":\"Bearer\",\"expires_in\":3600}";
    assert_int_equal(dbx_parse_token(t, strlen(t), &tok, &exp), 0);
    assert_string_equal(tok, "abc");
    assert_int_equal(exp, 3600);
    free(tok);
    assert_int_equal(dbx_parse_token("{\"access_token\":\"\"}", 19, &tok, &exp), -1);
    assert_null(tok);
}

static void test_runs(void **state)
{
    (void)state;
    struct dbx_job_state js;
    memset(&js, 0, sizeof js);
    js.last_end_ms = js.last_success_ms = -1;
    static const char p1[] =
        "{\"runs\":[{\"run_id\":9,\"state\":{\"life_cycle_state\":\"RUNNING\"}},"
        "{\"run_id\":8,\"end_time\":800,\"state\":{\"life_cycle_state\":\"INTERNAL_ERROR\","
        "\"state_message\":\"Task x failed:\\u001b[31m OOM\"}},"
        "{\"run_id\":7,\"end_time\":700,\"state\":{\"life_cycle_state\":\"TERMINATED\","
        "\"result_state\":\"FAILED\"}}],\"has_more\":true,\"next_page_token\":\"25\"}";
    char *next;
    struct st_err err;
    assert_int_equal(dbx_parse_runs(p1, strlen(p1), &js, &next, &err), 0);
    assert_string_equal(next, "25");
    free(next);
    assert_true(js.running);
    assert_int_equal(js.active_run_id, 9);
    assert_int_equal(js.last_run_id, 8);
    assert_int_equal(js.last_end_ms, 800);
    assert_string_equal(js.last_result, "FAILED");
    assert_null(strchr(js.last_message, '\x1b'));
    assert_int_equal(js.last_success_ms, -1);
    static const char p2[] = "{\"runs\":[{\"run_id\":\"6\",\"end_time\":\"600\",\"state\":{"
                             "\"life_cycle_state\":\"TERMINATED\",\"result_state\":\"SUCCESS\"}}],"
                             "\"has_more\":false}";
    assert_int_equal(dbx_parse_runs(p2, strlen(p2), &js, &next, &err), 0);
    assert_null(next);
    assert_int_equal(js.last_success_ms, 600);
    assert_int_equal(js.last_run_id, 8); /* the newest finished run stays */
    static const char job[] =
        "{\"job_id\":1,\"settings\":{\"schedule\":{\"quartz_cron_expression\":"
        "\"0 0/10 * * * ?\",\"pause_status\":\"UNPAUSED\"}}}";
    assert_int_equal(dbx_parse_job(job, strlen(job), &js, &err), 0);
    assert_int_equal(js.interval_ms, 600000);
    assert_false(js.continuous);
    static const char cont[] = "{\"settings\":{\"continuous\":{\"pause_status\":\"UNPAUSED\"}}}";
    assert_int_equal(dbx_parse_job(cont, strlen(cont), &js, &err), 0);
    assert_true(js.continuous);
}

static void test_cron(void **state)
{
    (void)state;
    static const struct {
        const char *cron;
        int64_t ms;
    } cases[] = {
        {"0 0/10 * * * ?", 600000},
        {"0 */5 * * * ?", 300000},
        {"0 * * * * ?", 60000},
        {"*/30 * * * * ?", 30000},
        {"0 0,15,30,45 * * * ?", 900000},
        {"0 0 * * * ?", 3600000},
        {"0 0 */2 * * ?", 7200000},
        {"0 30 9 * * ?", 86400000},
        {"0 0 9 * * ? 2026", 86400000},
        {"0 0/7 * * * ?", 0},     /* not even around the hour */
        {"0 0,10,30 * * * ?", 0}, /* uneven list */
        {"0 0 9 ? * MON-FRI", 0}, /* weekdays only */
        {"0 0/10 9-17 * * ?", 0}, /* office hours */
        {"0 0 9", 0},             /* too short */
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (dbx_cron_interval_ms(cases[i].cron) != cases[i].ms)
            fail_msg("'%s': %lld, want %lld", cases[i].cron,
                     (long long)dbx_cron_interval_ms(cases[i].cron), (long long)cases[i].ms);
    }
}

static void test_cfg(void **state)
{
    (void)state;
    char text[] = "; the CLI's file\n[DEFAULT]\nhost = https://adb-1.2.azuredatabricks.net\n"
                  "token = dapi123\n\n[m2m]\nhost=https://h\nclient_id = abc\n"
                  "client_secret = s3cr3t # not a comment\n[other]\ntoken = x\n";
    struct dbx_profile p = {0};
    assert_int_equal(dbx_cfg_parse(text, "m2m", &p), 1);
    assert_string_equal(p.host, "https://h");
    assert_string_equal(p.client_id, "abc");
    assert_string_equal(p.client_secret, "s3cr3t # not a comment");
    assert_null(p.token);
    dbx_profile_done(&p);
    char again[] = "[DEFAULT]\ntoken = a\n";
    assert_int_equal(dbx_cfg_parse(again, "nope", &p), 0);
    dbx_profile_done(&p);
}

/* Without credentials a /Volumes read fails on its own with a clear error, and no request. */
static void test_no_credentials(void **state)
{
    (void)state;
    char *dir = scratch_dir("dbx");
    char *nofile = xasprintf("%s/none.cfg", dir);
    setenv("DATABRICKS_CONFIG_FILE", nofile, 1);
    unsetenv("DATABRICKS_TOKEN");
    unsetenv("DATABRICKS_CLIENT_ID");
    unsetenv("DATABRICKS_CONFIG_PROFILE");
    dbx_configure(&(struct dbx_settings){.host = "http://127.0.0.1:9"});
    assert_true(dbx_workspace());
    struct buf b;
    buf_init(&b);
    struct st_err err;
    assert_int_equal(dbx_get("/Volumes/c/s/v/x", 0, 10, &b, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "/Volumes/c/s/v/x: Databricks profile 'DEFAULT': cannot open"));
    dbx_use_profile("ghost");
    assert_int_equal(dbx_get("/dbfs/x", 0, 10, &b, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "/dbfs/x: Databricks profile 'ghost'"));
    dbx_use_profile(NULL);
    buf_done(&b);
    dbx_reset();
    assert_false(dbx_workspace());
    unsetenv("DATABRICKS_CONFIG_FILE");
    free(nofile);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_of),   cmocka_unit_test(test_path_forms),
        cmocka_unit_test(test_dir_page), cmocka_unit_test(test_dbfs),
        cmocka_unit_test(test_base64),   cmocka_unit_test(test_errors_and_tokens),
        cmocka_unit_test(test_runs),     cmocka_unit_test(test_cron),
        cmocka_unit_test(test_cfg),      cmocka_unit_test(test_no_credentials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
