#include "testutil.h"

#include "alerts/threshold.h"
#include "core/buf.h"

#include "core/config.h"

static struct config *parse(const char *text, struct st_err *err)
{
    return config_parse("config.ini", text, strlen(text), err);
}

static void test_good_config(void **state)
{
    (void)state;
    setenv("ST_TEST_BUCKET", "lake", 1);
    const char *text = "; comment\n"
                       "[global]\n"
                       "refresh   = 5s            ; dashboard refresh\n"
                       "retention = 7d\n"
                       "database  = :memory:\n"
                       "\n"
                       "[stream orders]\n"
                       "  checkpoint = s3a://${ST_TEST_BUCKET}/_checkpoints/orders\n"
                       "source     = file:///landing/orders\n"
                       "deadletter = s3://lake/_dlq/orders/, dbfs:/bad_records/orders/\n"
                       "progress   = /var/log/orders.jsonl\n"
                       "trigger    = 1m\n"
                       "labels     = team=payments, tier=1\n"
                       "[stream clicks]\n"
                       "checkpoint = /ckpt/clicks\n";
    struct st_err err = {0};
    struct config *cfg = parse(text, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->refresh_ms, 5000);
    assert_int_equal(cfg->retention_ms, 7 * 86400000LL);
    assert_string_equal(cfg->database, ":memory:");
    assert_int_equal(cfg->nstreams, 2);
    const struct cfg_stream *o = &cfg->streams[0];
    assert_string_equal(o->name, "orders");
    assert_int_equal(o->line, 7);
    assert_string_equal(o->checkpoint, "s3://lake/_checkpoints/orders");
    assert_string_equal(o->source, "/landing/orders");
    assert_int_equal(o->deadletter.n, 2);
    assert_string_equal(o->deadletter.v[1], "/dbfs/bad_records/orders/");
    assert_int_equal(o->trigger_ms, 60000);
    assert_int_equal(o->labels.n, 2);
    assert_string_equal(o->labels.v[1].key, "tier");
    assert_string_equal(o->labels.v[1].value, "1");
    /* defaults */
    assert_int_equal(cfg->streams[1].trigger_ms, 0);
    assert_null(cfg->streams[1].source);
    config_free(cfg);
}

static void test_defaults(void **state)
{
    (void)state;
    setenv("XDG_STATE_HOME", "/state", 1);
    struct st_err err;
    struct config *cfg = parse("[stream a]\ncheckpoint=/x\n", &err);
    assert_non_null(cfg);
    assert_int_equal(cfg->refresh_ms, 2000);
    assert_int_equal(cfg->retention_ms, 14 * 86400000LL);
    assert_string_equal(cfg->database, "/state/streamtop/history.db");
    config_free(cfg);
    unsetenv("XDG_STATE_HOME");
}

static void test_errors_name_file_line_key(void **state)
{
    (void)state;
    unsetenv("ST_TEST_UNSET");
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"[stream orders]\nchekpoint = /x\n",
         "config.ini:2: [stream orders]: unknown key 'chekpoint' (did you mean 'checkpoint'?)"},
        {"[global]\nrefresh = soon\n", "config.ini:2: [global]: refresh: 'soon' is not a duration"},
        {"[globl]\n", "config.ini:1: unknown section [globl]"},
        {"[stream]\ncheckpoint=/x\n", "config.ini:1: [stream] needs a name"},
        {"[stream a]\ncheckpoint=/x\n[stream a]\n",
         "config.ini:3: [stream a]: stream defined twice"},
        {"[stream a]\ncheckpoint = /x\ncheckpoint = /y\n",
         "config.ini:3: [stream a]: key 'checkpoint' set twice"},
        {"[stream a]\ncheckpoint = ${ST_TEST_UNSET}\n",
         "config.ini:2: [stream a]: checkpoint: environment variable ST_TEST_UNSET is not set"},
        {"[stream a]\nlabels = stream=x\n",
         "config.ini:2: [stream a]: labels: label name 'stream'"},
        {"[stream a]\nlabels = team\n",
         "config.ini:2: [stream a]: labels: label 'team' is not key=value"},
        {"[stream a]\ntrigger = 5m\n", "config.ini:1: [stream a]: nothing to watch"},
        {"refresh = 2s\n", "config.ini:1: key 'refresh' outside a known section"},
        {"[global]\nthis is not ini\n", "config.ini:2: syntax error"},
        {"[global]\nrefresh = 2s\n[stream b]\nsink = /t\nwhat = 1\n",
         "config.ini:5: [stream b]: unknown key 'what'"},
        {"[stream a]\ncheckpoint = \n", "config.ini:2: [stream a]: checkpoint: empty path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct st_err err = {0};
        struct config *cfg = parse(cases[i].text, &err);
        if (cfg) {
            config_free(cfg);
            fail_msg("case %zu parsed, expected: %s", i, cases[i].want);
        }
        if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu:\n got: %s\nwant: %s", i, err.msg, cases[i].want);
    }
}

static void test_long_lines_and_nul(void **state)
{
    (void)state;
    char path[600];
    memset(path, 'p', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    char *text = xasprintf("[stream a]\ncheckpoint = %s ; trailing comment\nsource = /s\n", path);
    struct st_err err;
    struct config *cfg = parse(text, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg->streams[0].checkpoint, path);
    assert_string_equal(cfg->streams[0].source, "/s");
    config_free(cfg);
    free(text);
    const char nul[] = "[stream a]\ncheckpoint = /x\0y\n";
    cfg = config_parse("config.ini", nul, sizeof nul - 1, &err);
    assert_null(cfg);
    assert_string_equal(err.msg, "config.ini:2: NUL byte in the file");
}

static void test_env_expansion(void **state)
{
    (void)state;
    struct st_err err;
    setenv("ST_A", "alpha", 1);
    unsetenv("ST_B");
    char *s = config_expand_env("x-${ST_A}-${ST_B:-dflt}-$$-$HOME", &err);
    assert_string_equal(s, "x-alpha-dflt-$-$HOME");
    free(s);
    assert_null(config_expand_env("${ST_B}", &err));
    assert_string_equal(err.msg, "environment variable ST_B is not set");
    assert_null(config_expand_env("${bad-name}", &err));
    assert_null(config_expand_env("${ST_A", &err));
}

static void test_normalize_path(void **state)
{
    (void)state;
    setenv("HOME", "/home/u", 1);
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"file:///tmp/x", "/tmp/x"},
        {"file:/tmp/x", "/tmp/x"},
        {"dbfs:/mnt/a", "/dbfs/mnt/a"},
        {"s3a://b/k", "s3://b/k"},
        {"~/ckpt", "/home/u/ckpt"},
        {"/Volumes/c", "/Volumes/c"},
        {"s3://b/p", "s3://b/p"},
        /* Windows paths as Hadoop logs them: the drive, not a folder named "D:" */
        {"file:///D:/landing/x", "D:/landing/x"},
        {"file:/C:/a", "C:/a"},
        {"file:/D:", "D:"},
        {"file:///Dx:/a", "/Dx:/a"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = config_normalize_path(cases[i].in);
        assert_string_equal(out, cases[i].want);
        free(out);
    }
}

static void test_lookup_order(void **state)
{
    (void)state;
    char *dir = scratch_dir("cfg");
    char *xdg = xasprintf("%s/xdg", dir);
    write_str(dir, "xdg/streamtop/config.ini", "[stream a]\ncheckpoint=/x\n");
    write_str(dir, "env.ini", "[stream b]\ncheckpoint=/y\n");
    write_str(dir, "explicit.ini", "[stream c]\ncheckpoint=/z\n");
    char *env = xasprintf("%s/env.ini", dir), *explicit = xasprintf("%s/explicit.ini", dir);
    struct st_err err;
    setenv("XDG_CONFIG_HOME", xdg, 1);
    setenv("STREAMTOP_CONFIG", env, 1);
    char *found = config_find(explicit, &err);
    assert_string_equal(found, explicit);
    free(found);
    found = config_find(NULL, &err);
    assert_string_equal(found, env);
    free(found);
    unsetenv("STREAMTOP_CONFIG");
    found = config_find(NULL, &err);
    char *want = xasprintf("%s/streamtop/config.ini", xdg);
    assert_string_equal(found, want);
    free(found);
    free(want);
    char *missing = xasprintf("%s/nope.ini", dir);
    assert_null(config_find(missing, &err));
    assert_non_null(strstr(err.msg, "nope.ini: No such file"));
    setenv("XDG_CONFIG_HOME", dir, 1); /* holds no streamtop/config.ini */
    if (access("/etc/streamtop/config.ini", F_OK) != 0) {
        assert_null(config_find(NULL, &err));
        assert_non_null(strstr(err.msg, "no config file"));
    }
    unsetenv("XDG_CONFIG_HOME");
    free(missing);
    free(env);
    free(explicit);
    free(xdg);
    free(dir);
}

static void test_command_line_streams(void **state)
{
    (void)state;
    struct config *cfg = config_new_default();
    struct st_err err;
    config_add_stream(cfg, NULL, "file:///data/ckpt/orders/");
    struct cfg_stream *b = config_add_stream(cfg, NULL, "/other/orders");
    assert_int_equal(config_stream_set(b, "source", "/landing", &err), 0);
    assert_int_equal(config_stream_set(b, "nope", "x", &err), -1);
    assert_string_equal(cfg->streams[0].name, "orders");
    assert_string_equal(cfg->streams[0].checkpoint, "/data/ckpt/orders/");
    assert_string_equal(cfg->streams[1].name, "orders-2");
    assert_string_equal(cfg->streams[1].source, "/landing");
    config_free(cfg);
}

static void test_value_text(void **state)
{
    (void)state;
    struct st_err err;
    struct config *cfg = parse(
        "[stream a]\ncheckpoint=/x\ntrigger=90s\nlabels=t=1, u=2\ndeadletter=/d1,/d2\n", &err);
    assert_non_null(cfg);
    static const struct {
        const char *key, *want;
    } cases[] = {{"checkpoint", "/x"},
                 {"trigger", "1m30s"},
                 {"labels", "t=1, u=2"},
                 {"deadletter", "/d1, /d2"},
                 {"source", ""}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct cfg_key *k = config_keys;
        while (k->name && !(k->section == CS_STREAM && strcmp(k->name, cases[i].key) == 0))
            k++;
        assert_non_null(k->name);
        char *v = config_value_text(&cfg->streams[0], k);
        assert_string_equal(v, cases[i].want);
        free(v);
    }
    config_free(cfg);
}

/* A fleet's config file: 6,000 streams with long paths (1.7 MB) loads; a file past the cap
 * (16 MiB) is refused by name, however it would parse. */
static void test_fleet_sized_file(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("fleet");
    struct buf b;
    buf_init(&b);
    const char *root = "/mnt/datalake/pipelines/ingest/production/region-eu-west-1";
    for (int i = 0; i < 6000; i++)
        buf_printf(&b,
                   "[stream stream-%d]\ncheckpoint = %s/checkpoints/stream-%d\n"
                   "source = %s/landing/stream-%d\nsink = %s/tables/stream-%d\n"
                   "deadletter = %s/deadletter/stream-%d\n"
                   "labels = team=ingest, tier=gold, region=eu-west-1\n",
                   i, root, i, root, i, root, i, root, i);
    assert_true(b.len > 1024 * 1024);
    char *path = xasprintf("%s/fleet.ini", dir);
    write_text(path, buf_str(&b), b.len);
    struct st_err err;
    struct config *cfg = config_load(path, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->nstreams, 6000);
    config_free(cfg);
    while (b.len <= 16 * 1024 * 1024)
        buf_puts(&b, "; a comment line that pads the file past the cap of a config file\n");
    write_text(path, buf_str(&b), b.len);
    assert_null(config_load(path, &err));
    assert_int_equal(err.code, ST_ETOOBIG);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, "larger than 16777216 bytes"));
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
    buf_done(&b);
}

/* Every rule's notify list is checked, however many rules there are (the 70th too). */
static void test_many_rules_notify_checked(void **unused)
{
    (void)unused;
    struct buf b;
    buf_init(&b);
    buf_puts(&b, "[stream s]\ncheckpoint = /c\n[webhook hook]\nurl = http://127.0.0.1:9/\n");
    for (int i = 0; i < 70; i++)
        buf_printf(&b, "[rule r%d]\nmetric = backlog_files\nwarn = > 1\nnotify = %s\n", i,
                   i == 69 ? "nosuch" : "hook");
    struct st_err err;
    struct config *cfg = config_parse("many.ini", buf_str(&b), b.len, &err);
    assert_null(cfg);
    assert_non_null(strstr(err.msg, "[rule r69]: notify: no [webhook nosuch]"));
    buf_done(&b);
}

/* config_quote then config_parse gives back every value exactly: paths found in storage can be
 * pasted into a config without expanding a variable or losing what follows a ';'. */
static void test_quote_round_trip(void **unused)
{
    (void)unused;
    static const char *const values[] = {
        "/plain/path",
        "/data/${AWS_SECRET_ACCESS_KEY}/x",
        "/a ; b = 1 # c",
        "/q\"uote\\back\\\\slash",
        " edge spaces ",
        "/ctl\x1b[2J\x07\tand\nnewline",
        "/c1-\xc2\x9b-and-\xff-bytes",
        "/utf8-caf\xc3\xa9",
        "$$ and $(id)",
    };
    setenv("AWS_SECRET_ACCESS_KEY", "leaked", 1);
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        char *q = config_quote(values[i]);
        for (const char *c = q; *c; c++)
            assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
        char *text = xasprintf("[stream s]\ncheckpoint = /c\nsource = %s ; note\n", q);
        struct st_err err;
        struct config *cfg = parse(text, &err);
        if (!cfg)
            fail_msg("%s: %s", q, err.msg);
        assert_string_equal(cfg->streams[0].source, values[i]);
        config_free(cfg);
        free(text);
        free(q);
    }
    char *q = config_quote("/plain/path");
    assert_string_equal(q, "/plain/path"); /* quotes only when needed */
    free(q);
    unsetenv("AWS_SECRET_ACCESS_KEY");
}

static void test_quoted_value_errors(void **unused)
{
    (void)unused;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"[stream s]\ncheckpoint = \"/c\n", "config.ini:2: quoted value without its closing \""},
        {"[stream s]\ncheckpoint = \"/c\" x\n",
         "config.ini:2: text after the closing quote of a value"},
        {"[stream s]\ncheckpoint = \"/c\\q\"\n", "config.ini:2: unknown escape \\q in a quoted"},
        {"[stream s]\ncheckpoint = \"/c\\x00\"\n", "config.ini:2: \\x in a quoted value needs"},
        {"[stream s]\ncheckpoint = \"/c\\x4\"\n", "config.ini:2: \\x in a quoted value needs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct st_err err;
        struct config *cfg = parse(cases[i].text, &err);
        assert_null(cfg);
        if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0)
            fail_msg("%s: got '%s'", cases[i].text, err.msg);
    }
}

/* Duplicates are found among 10,000 streams (by a hash set: the check was quadratic), and two
 * streams whose long names share their first 174 bytes are not taken for one. */
static void test_duplicates_many_streams(void **unused)
{
    (void)unused;
    struct buf b;
    buf_init(&b);
    for (int i = 0; i < 10000; i++)
        buf_printf(&b, "[stream s%d]\ncheckpoint = /c/%d\ntrigger = 1m\n", i, i);
    char longname[175];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    buf_printf(&b, "[stream %sA]\ncheckpoint = /a\n[stream %sB]\ncheckpoint = /b\n", longname,
               longname);
    struct st_err err;
    struct config *cfg = config_parse("many.ini", buf_str(&b), b.len, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->nstreams, 10002);
    config_free(cfg);
    size_t len = b.len;
    buf_puts(&b, "[stream s5000]\ncheckpoint = /again\n");
    assert_null(config_parse("many.ini", buf_str(&b), b.len, &err));
    assert_string_equal(err.msg, "many.ini:30005: [stream s5000]: stream defined twice");
    b.len = len;
    buf_puts(&b, "[stream last]\ncheckpoint = /x\ntrigger = 1m\ntrigger = 2m\n");
    assert_null(config_parse("many.ini", buf_str(&b), b.len, &err));
    assert_string_equal(err.msg, "many.ini:30008: [stream last]: key 'trigger' set twice");
    buf_done(&b);
}

/* Ranges belong to the key, not to its type: a factor of 100 is fine (it was refused when every
 * count was capped at 64), and an out-of-range value names the key's own range. */
static void test_key_ranges(void **unused)
{
    (void)unused;
    struct st_err err;
    struct config *cfg = parse("[builtin]\nstuck_factor = 100\nstalled_factor = 1000\n"
                               "[s3]\nparallel = 64\n[global]\nrefresh = 100ms\n",
                               &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->builtin.stuck_factor, 100);
    assert_int_equal(cfg->builtin.stalled_factor, 1000);
    assert_int_equal(cfg->s3_parallel, 64);
    assert_int_equal(cfg->refresh_ms, 100);
    config_free(cfg);
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"[builtin]\nstuck_factor = 1001\n",
         "config.ini:2: [builtin]: stuck_factor: '1001' is not a whole number from 1 to 1000"},
        {"[builtin]\n\nstalled_factor = 0\n",
         "config.ini:3: [builtin]: stalled_factor: '0' is not a whole number from 1 to 1000"},
        {"[s3]\nparallel = 65\n",
         "config.ini:2: [s3]: parallel: '65' is not a whole number from 1 to 64"},
        {"[global]\nrefresh = 50ms\n",
         "config.ini:2: [global]: refresh: '50ms' is shorter than 100ms"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_null(parse(cases[i].text, &err));
        assert_string_equal(err.msg, cases[i].want);
    }
}

static const struct cfg_key *key_row(enum cfg_section sec, const char *name)
{
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == sec && strcmp(k->name, name) == 0)
            return k;
    fail_msg("no key %s", name);
    return NULL;
}

/* [azure] and [gcs]: their keys, defaults and ranges; Azure and gs:// paths are storage paths,
 * hdfs:// is not. */
static void test_azure_gcs_sections(void **unused)
{
    (void)unused;
    setenv("ST_TEST_AZKEY", "a2V5", 1);
    struct st_err err;
    struct config *cfg = parse("[azure]\nendpoint = http://127.0.0.1:10000/devstoreaccount1\n"
                               "account_key = ${ST_TEST_AZKEY}\npage_size = 100\n"
                               "[gcs]\naccess_id = GOOG1E\n"
                               "[stream a]\ncheckpoint = abfss://c@acct.dfs.core.windows.net/ck\n"
                               "source = wasbs://c@acct.blob.core.windows.net/in\n"
                               "deadletter = gs://bkt/dlq/, abfs://c@acct.dfs.core.windows.net/d\n",
                               &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg->azure_endpoint, "http://127.0.0.1:10000/devstoreaccount1");
    assert_string_equal(cfg->azure_account_key, "a2V5");
    assert_int_equal(cfg->azure_page_size, 100);
    assert_int_equal(cfg->azure_parallel, 8);
    assert_null(cfg->gcs_endpoint); /* net/ picks $STORAGE_EMULATOR_HOST or Google's */
    assert_string_equal(cfg->gcs_access_id, "GOOG1E");
    assert_null(cfg->gcs_secret);
    assert_string_equal(cfg->streams[0].checkpoint, "abfss://c@acct.dfs.core.windows.net/ck");
    assert_string_equal(cfg->streams[0].deadletter.v[0], "gs://bkt/dlq/");
    config_free(cfg);
    unsetenv("ST_TEST_AZKEY");
    assert_true(key_row(CS_AZURE, "sas_token")->secret);
    assert_true(key_row(CS_AZURE, "account_key")->secret);
    assert_true(key_row(CS_GCS, "secret")->secret);
    assert_string_equal(config_section_name(CS_AZURE), "azure");
    assert_string_equal(config_section_name(CS_GCS), "gcs");
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"[azure]\npage_size = 5001\n",
         "config.ini:2: [azure]: page_size: '5001' is not a whole number from 1 to 5000"},
        {"[azure]\nparallel = 0\n",
         "config.ini:2: [azure]: parallel: '0' is not a whole number from 1 to 64"},
        {"[gcs]\nendpoint = storage.googleapis.com\n", "config.ini:2: [gcs]: endpoint: "},
        {"[stream a]\ncheckpoint = hdfs://nn/ck\n",
         "config.ini:2: [stream a]: checkpoint: no storage backend for the 'hdfs://' scheme"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_null(parse(cases[i].text, &err));
        if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu:\n got: %s\nwant: %s", i, err.msg, cases[i].want);
    }
}

/* [webhook] format is one of its choices, parsed once into the enum. */
static void test_webhook_format_choice(void **unused)
{
    (void)unused;
    static const char *const names[] = {"json", "slack", "pagerduty", "alertmanager"};
    for (int f = WF_JSON; f <= WF_ALERTMANAGER; f++) {
        char *text = xasprintf("[webhook h]\nurl = http://127.0.0.1:1/\nformat = %s\n"
                               "routing_key = k\n",
                               names[f]);
        struct st_err err;
        struct config *cfg = parse(text, &err);
        if (!cfg)
            fail_msg("%s", err.msg);
        assert_int_equal(cfg->webhooks[0].format, f);
        assert_string_equal(config_webhook_format_name(cfg->webhooks[0].format), names[f]);
        config_free(cfg);
        free(text);
    }
    struct st_err err;
    struct config *cfg = parse("[webhook h]\nurl = http://127.0.0.1:1/\n", &err);
    assert_non_null(cfg);
    assert_int_equal(cfg->webhooks[0].format, WF_JSON);
    config_free(cfg);
    assert_null(parse("[webhook h]\nurl = http://127.0.0.1:1/\nformat = xml\n", &err));
    assert_string_equal(err.msg, "config.ini:3: [webhook h]: format 'xml' (expected json, slack, "
                                 "pagerduty or alertmanager)");
}

/* A rule's conditions are kept as text; the alert rules' validator refuses a malformed one
 * where it is written and gives `config check` its canonical text. */
static void test_rule_conditions(void **unused)
{
    (void)unused;
    config_set_validator(CT_THRESHOLD, threshold_validate);
    struct st_err err;
    assert_null(parse("[stream a]\ncheckpoint = /x\n[rule r]\nmetric = backlog_files\n"
                      "warn = abc\n",
                      &err));
    assert_string_equal(err.msg, "config.ini:5: [rule r]: warn: 'abc' is not a condition (use "
                                 "e.g. > 600, >= 1, < 0.5, > 10m, > 1GiB)");
    struct config *cfg = parse("[stream a]\ncheckpoint = /x\n[rule r]\nmetric = backlog_files\n"
                               "warn = >600.0\ncrit = >= 0.123456789012\n",
                               &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg->rules[0].warn, "> 600");
    assert_string_equal(cfg->rules[0].crit, ">= 0.123456789012"); /* every digit kept */
    config_free(cfg);
    assert_null(parse("[stream a]\ncheckpoint = /x\n[rule r]\nmetric = backlog_files\n", &err));
    assert_string_equal(err.msg, "config.ini:3: [rule r]: needs warn or crit (e.g. warn = > 600)");
    /* durations and sizes as people write them, kept as written */
    cfg = parse("[stream a]\ncheckpoint = /x\n[rule r]\nmetric = backlog_age_seconds\n"
                "warn = >1m\ncrit = > 1h30m\n[rule b]\nmetric = backlog_bytes\nwarn = > 1.5 GiB\n",
                &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg->rules[0].warn, "> 1m");
    assert_string_equal(cfg->rules[0].crit, "> 1h30m");
    assert_string_equal(cfg->rules[1].warn, "> 1.5GiB");
    config_free(cfg);
    assert_null(parse("[stream a]\ncheckpoint = /x\n[rule r]\nmetric = backlog_bytes\n"
                      "warn = > 10m\n",
                      &err));
    assert_string_equal(err.msg, "config.ini:3: [rule r]: warn: '> 10m' is a duration, but "
                                 "backlog_bytes is not measured in seconds");
    assert_null(parse("[stream a]\ncheckpoint = /x\n[rule r]\nmetric = commit_age_seconds\n"
                      "crit = > 1MB\n",
                      &err));
    assert_string_equal(err.msg, "config.ini:3: [rule r]: crit: '> 1MB' is a size, but "
                                 "commit_age_seconds is not measured in bytes");
    config_set_validator(CT_THRESHOLD, NULL);
}

/* A webhook whose secret is missing here is unusable, with every missing thing named and no
 * secret; the config still loads. A malformed ${ or an unset variable elsewhere is an error. */
static void test_webhook_missing_secret(void **unused)
{
    (void)unused;
    unsetenv("ST_TEST_UNSET");
    unsetenv("ST_TEST_UNSET2");
    setenv("ST_TEST_SET", "http://127.0.0.1:1/SECRET", 1);
    struct st_err err;
    struct config *cfg =
        parse("[stream a]\ncheckpoint = /x\n"
              "[webhook gone]\nurl = http://127.0.0.1:1/${ST_TEST_UNSET}\n"
              "format = pagerduty\nrouting_key = ${ST_TEST_UNSET2}\n"
              "[webhook file]\nurl_file = /nonexistent/streamtop/url\n"
              "[webhook fine]\nurl = ${ST_TEST_SET}\n"
              "[rule r]\nmetric = backlog_files\nwarn = > 1\nnotify = gone, file\n",
              &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_string_equal(cfg->webhooks[0].unusable,
                        "url: environment variable ST_TEST_UNSET is not set; routing_key: "
                        "environment variable ST_TEST_UNSET2 is not set");
    assert_string_equal(cfg->webhooks[1].unusable,
                        "url_file: /nonexistent/streamtop/url: No such file or directory");
    assert_null(cfg->webhooks[2].unusable);
    assert_string_equal(cfg->webhooks[2].url, "http://127.0.0.1:1/SECRET");
    config_free(cfg);
    assert_null(parse("[webhook w]\nurl = ${bad name}\n", &err));
    assert_string_equal(err.msg, "config.ini:2: [webhook w]: url: bad variable name '${bad name}'");
    assert_null(parse("[global]\ndatabase = ${ST_TEST_UNSET}\n", &err));
    assert_string_equal(err.msg,
                        "config.ini:2: [global]: database: environment variable ST_TEST_UNSET is "
                        "not set");
    unsetenv("ST_TEST_SET");
}

/* Routes, runbooks, owners, links and summary templates: parsed, their errors on their line. */
static void test_routing_and_context(void **unused)
{
    (void)unused;
    struct st_err err;
    const char *ok = "[stream orders]\ncheckpoint = /x\nlabels = team=payments\nowner = ana\n"
                     "runbook = https://wiki/{stream}\nlink.dash = https://g/d?s={stream}\n"
                     "[stream clicks]\ncheckpoint = /y\nlabels = team=growth, owner=growth-oncall\n"
                     "[webhook pd]\nurl = http://h/\n[webhook sl]\nurl = http://h/\n"
                     "[webhook all]\nurl = http://h/\n"
                     "[builtin]\nroute = team=payments -> pd, sl\nroute = stream=cl*, team=growth "
                     "-> sl\nnotify = all\nrunbook = https://wiki/builtin#{rule}\n"
                     "link.logs = https://logs/?q={label.team}\n"
                     "[rule r]\nmetric = backlog_files\nwarn = > 1\nroute = team=growth -> sl\n"
                     "notify = all\nsummary = {stream} {backlog_files} {label.team} {{x}\n";
    struct config *cfg = parse(ok, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    const struct cfg_builtin *b = &cfg->builtin;
    assert_int_equal(b->routes.n, 2);
    assert_int_equal(b->routes.v[0].line, 17);
    assert_string_equal(b->routes.v[1].match.v[0].key, "stream");
    assert_string_equal(b->routes.v[1].notify.v[0], "sl");
    const struct strvec *to = config_route(&b->routes, &b->notify, &cfg->streams[0]);
    assert_int_equal(to->n, 2);
    assert_string_equal(to->v[0], "pd");
    to = config_route(&b->routes, &b->notify, &cfg->streams[1]);
    assert_int_equal(to->n, 1);
    assert_string_equal(to->v[0], "sl");
    /* the first route that matches wins; none: notify */
    to = config_route(&cfg->rules[0].routes, &cfg->rules[0].notify, &cfg->streams[0]);
    assert_string_equal(to->v[0], "all");
    assert_string_equal(config_stream_owner(&cfg->streams[0]), "ana");
    assert_string_equal(config_stream_owner(&cfg->streams[1]), "growth-oncall");
    assert_int_equal(cfg->streams[0].links.n, 1);
    assert_string_equal(cfg->streams[0].links.v[0].key, "dash");
    assert_string_equal(b->links.v[0].value, "https://logs/?q={label.team}");
    config_free(cfg);

    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"[webhook w]\nurl = http://h/\n[builtin]\nroute = team=a -> w\nroute = team=b -> nope\n",
         "config.ini:5: [builtin]: route: no [webhook nope]"},
        {"[builtin]\nroute = team=a\n",
         "config.ini:2: [builtin]: route: 'team=a' is not LABEL=VALUE -> WEBHOOK[, WEBHOOK] (e.g. "
         "team=payments -> pager)"},
        {"[builtin]\nroute = -> w\n", "config.ini:2: [builtin]: route: a route needs "
                                      "LABEL=VALUE before '->'"},
        {"[stream a]\ncheckpoint = /x\n[rule r]\nmetric = backlog_files\nwarn = > 1\n"
         "summary = {stream} has {backlog_flies}\n",
         "config.ini:6: [rule r]: summary: unknown placeholder {backlog_flies} (use {stream}, "
         "{rule}, {metric}, {value}, {threshold}, {level}, {since}, {duration}, {owner}, "
         "{runbook}, {host}, a metric name or {label.NAME})"},
        {"[stream a]\ncheckpoint = /x\nlink.x y = http://h/\n",
         "config.ini:3: [stream a]: 'link.x y': a link's name is letters, digits, '_' and '-' "
         "(link.NAME)"},
        {"[stream a]\ncheckpoint = /x\nlink.dash = http://h/{nope}\n",
         "config.ini:3: [stream a]: link.dash: unknown placeholder {nope} (use {stream}, {rule}, "
         "{metric}, {value}, {threshold}, {level}, {since}, {duration}, {owner}, {runbook}, "
         "{host}, a metric name or {label.NAME})"},
        {"[stream a]\ncheckpoint = /x\nlink.dash = http://h/\nlink.dash = http://i/\n",
         "config.ini:4: [stream a]: key 'link.dash' set twice"},
        {"[builtin]\nrunbook = http://w/{label.}\n",
         "config.ini:2: [builtin]: runbook: unknown placeholder {label.} (use {stream}, {rule}, "
         "{metric}, {value}, {threshold}, {level}, {since}, {duration}, {owner}, {runbook}, "
         "{host}, a metric name or {label.NAME})"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i].text, &err))
            fail_msg("accepted: %s", bad[i].text);
        assert_string_equal(err.msg, bad[i].msg);
    }
}

/* [kafka]: defaults for every stream, a stream's own settings and properties over them, ${VAR}
 * and secret-named properties marked secret, bad keys named. */
static void test_kafka_section(void **unused)
{
    (void)unused;
    setenv("ST_TEST_KPW", "s3cret", 1);
    const char *text = "[kafka]\n"
                       "bootstrap = b1:9092,b2:9092\n"
                       "kafka.security.protocol = SASL_SSL\n"
                       "kafka.sasl.username = ${ST_TEST_USER:-svc}\n"
                       "kafka.sasl.password = ${ST_TEST_KPW}\n"
                       "kafka.ssl.ca.location = /etc/ssl/ca.pem\n"
                       "max_partition_series = 50\n"
                       "[stream a]\n"
                       "checkpoint = /c/a\n"
                       "[stream b]\n"
                       "checkpoint = /c/b\n"
                       "kafka_bootstrap = other:9093\n"
                       "kafka_timeout = 2s\n"
                       "kafka.security.protocol = SSL\n"
                       "kafka.client.id = b-reader\n";
    struct st_err err;
    struct config *cfg = parse(text, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->kafka_timeout_ms, 5000);
    assert_int_equal(cfg->kafka_max_series, 50);
    const struct cfg_stream *a = &cfg->streams[0], *b = &cfg->streams[1];
    assert_string_equal(a->kafka_bootstrap, "b1:9092,b2:9092");
    assert_int_equal(a->kafka_timeout_ms, 5000);
    assert_int_equal(a->kafka_props.n, 4);
    assert_string_equal(a->kafka_props.v[1].value, "svc");
    assert_true(a->kafka_props.v[1].secret); /* written with ${VAR} */
    assert_string_equal(a->kafka_props.v[2].name, "sasl.password");
    assert_string_equal(a->kafka_props.v[2].value, "s3cret");
    assert_true(a->kafka_props.v[2].secret);
    assert_false(a->kafka_props.v[0].secret);
    assert_false(a->kafka_props.v[3].secret);
    assert_string_equal(b->kafka_bootstrap, "other:9093");
    assert_int_equal(b->kafka_timeout_ms, 2000);
    assert_int_equal(b->kafka_props.n, 5);
    assert_string_equal(b->kafka_props.v[0].name, "security.protocol");
    assert_string_equal(b->kafka_props.v[0].value, "SSL"); /* the stream's own wins */
    assert_string_equal(b->kafka_props.v[4].name, "client.id");
    config_free(cfg);
    /* a literal password is a secret by its name */
    assert_true(config_kprop_is_secret("ssl.key.password"));
    assert_true(config_kprop_is_secret("sasl.jaas.config"));
    assert_false(config_kprop_is_secret("ssl.ca.location"));

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[kafka]\nkafka. = x\n", "config.ini:2: [kafka]: 'kafka.' names no librdkafka property"},
        {"[kafka]\nkafka.a = 1\nkafka.a = 2\n", "config.ini:3: [kafka]: key 'kafka.a' set twice"},
        {"[kafka]\ntimeout = 10ms\n", "config.ini:2: [kafka]: timeout"},
        {"[kafka]\nbootstrapp = x\n", "did you mean 'bootstrap'?"},
        {"[kafka]\nkafka.sasl.password = ${ST_TEST_UNSET_KPW}\n", "ST_TEST_UNSET_KPW"},
        {"[global]\nkafka.x = 1\n", "unknown key 'kafka.x'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cfg = parse(bad[i].text, &err);
        if (cfg || !strstr(err.msg, bad[i].want))
            fail_msg("case %zu: got '%s'", i, cfg ? "(parsed)" : err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_config),
        cmocka_unit_test(test_kafka_section),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_errors_name_file_line_key),
        cmocka_unit_test(test_long_lines_and_nul),
        cmocka_unit_test(test_env_expansion),
        cmocka_unit_test(test_normalize_path),
        cmocka_unit_test(test_lookup_order),
        cmocka_unit_test(test_command_line_streams),
        cmocka_unit_test(test_value_text),
        cmocka_unit_test(test_many_rules_notify_checked),
        cmocka_unit_test(test_quote_round_trip),
        cmocka_unit_test(test_quoted_value_errors),
        cmocka_unit_test(test_duplicates_many_streams),
        cmocka_unit_test(test_key_ranges),
        cmocka_unit_test(test_azure_gcs_sections),
        cmocka_unit_test(test_webhook_format_choice),
        cmocka_unit_test(test_rule_conditions),
        cmocka_unit_test(test_webhook_missing_secret),
        cmocka_unit_test(test_routing_and_context),
        cmocka_unit_test(test_fleet_sized_file),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
