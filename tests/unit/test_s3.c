/* S3 pieces without a server: URI encoding the SigV4 way, request URLs (path-style and
 * virtual-hosted, query sorted), s3:// URL splitting, ListObjectsV2 and <Error> parsing, and
 * credentials from the environment and from profile files. */
#include "testutil.h"

#include "core/buf.h"
#include "net/s3.h"

static void clear_aws_env(void)
{
    const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",       "AWS_SESSION_TOKEN",
                          "AWS_PROFILE",       "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                          "AWS_REGION",        "AWS_DEFAULT_REGION"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void test_uri_encode(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool keep_slash;
        const char *out;
    } cases[] = {
        {"abc-XYZ_0.9~", false, "abc-XYZ_0.9~"},
        {"a b+c=d&e", false, "a%20b%2Bc%3Dd%26e"},
        {"dt=2026-11-20/part 1.json", true, "dt%3D2026-11-20/part%201.json"},
        {"dt=2026-11-20/", false, "dt%3D2026-11-20%2F"},
        {"caf\xc3\xa9", false, "caf%C3%A9"},
        {"*%'", false, "%2A%25%27"},
        {"", false, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b;
        buf_init(&b);
        s3_uri_encode(&b, cases[i].in, cases[i].keep_slash);
        assert_string_equal(buf_str(&b), cases[i].out);
        buf_done(&b);
    }
}

static void test_request_url(void **state)
{
    (void)state;
    /* path-style with an endpoint; the query comes out sorted by name, values escaped */
    struct s3_param p[] = {{"prefix", "landing/dt=1/"},
                           {"list-type", "2"},
                           {"continuation-token", "a+b/c=="},
                           {"delimiter", "/"}};
    char *u = s3_request_url("http://127.0.0.1:9000", "eu-west-1", "lake", "", p, 4);
    assert_string_equal(u, "http://127.0.0.1:9000/lake?continuation-token=a%2Bb%2Fc%3D%3D&"
                           "delimiter=%2F&list-type=2&prefix=landing%2Fdt%3D1%2F");
    free(u);
    u = s3_request_url("http://minio:9000", "us-east-1", "lake", "a b/c=1.json", NULL, 0);
    assert_string_equal(u, "http://minio:9000/lake/a%20b/c%3D1.json");
    free(u);
    /* AWS: virtual-hosted style, or path-style when the bucket name has dots */
    u = s3_request_url(NULL, "eu-west-1", "lake", "k/v", NULL, 0);
    assert_string_equal(u, "https://lake.s3.eu-west-1.amazonaws.com/k/v");
    free(u);
    struct s3_param q[] = {{"list-type", "2"}};
    u = s3_request_url(NULL, "us-east-1", "my.bucket", "", q, 1);
    assert_string_equal(u, "https://s3.us-east-1.amazonaws.com/my.bucket?list-type=2");
    free(u);
}

static void test_split_url(void **state)
{
    (void)state;
    char *b, *k;
    struct st_err err;
    assert_int_equal(s3_split_url("s3://lake/a/b/", &b, &k, &err), 0);
    assert_string_equal(b, "lake");
    assert_string_equal(k, "a/b/");
    free(b);
    free(k);
    assert_int_equal(s3_split_url("s3://lake", &b, &k, &err), 0);
    assert_string_equal(k, "");
    free(b);
    free(k);
    assert_int_equal(s3_split_url("s3://UPPER/x", &b, &k, &err), -1);
    assert_non_null(strstr(err.msg, "s3://UPPER/x: 'UPPER' is not a bucket name"));
    assert_int_equal(s3_split_url("s3://ab/x", &b, &k, &err), -1);
    assert_int_equal(s3_split_url("/local/path", &b, &k, &err), -1);
}

struct seen {
    char keys[8][128];
    int64_t sizes[8], mtimes[8];
    int nkeys;
    char prefixes[8][128];
    int nprefixes;
};

static void seen_object(void *ctx, const char *key, int64_t size, int64_t mtime)
{
    struct seen *s = ctx;
    snprintf(s->keys[s->nkeys], sizeof s->keys[0], "%s", key);
    s->sizes[s->nkeys] = size;
    s->mtimes[s->nkeys++] = mtime;
}

static void seen_prefix(void *ctx, const char *prefix)
{
    struct seen *s = ctx;
    snprintf(s->prefixes[s->nprefixes++], sizeof s->prefixes[0], "%s", prefix);
}

static void test_parse_list(void **state)
{
    (void)state;
    const char *xml =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>lake</Name>"
        "<Prefix>dl/</Prefix><KeyCount>3</KeyCount><MaxKeys>1000</MaxKeys>"
        "<Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>"
        "<Contents><Key>dl/a&amp;b &lt;1&gt;.json</Key>"
        "<LastModified>2026-11-21T09:12:00.000Z</LastModified><ETag>&quot;x&quot;</ETag>"
        "<Size>5120</Size><StorageClass>STANDARD</StorageClass></Contents>"
        "<CommonPrefixes><Prefix>dl/dt=2026-11-20/</Prefix></CommonPrefixes>"
        "<Contents><Key>dl/caf&#233;&#x2F;x</Key><LastModified>2026-11-21T09:12:01Z"
        "</LastModified><Size>0</Size></Contents>"
        "<CommonPrefixes><Prefix>dl/dt=2026-11-21/</Prefix></CommonPrefixes>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</"
        "NextContinuationToken>"
        "</ListBucketResult>";
    static const struct s3_page_fns fns = {seen_object, seen_prefix};
    struct seen s = {0};
    bool truncated;
    char *token;
    struct st_err err;
    assert_int_equal(s3_parse_list(xml, strlen(xml), &fns, &s, &truncated, &token, &err), 0);
    assert_true(truncated);
    assert_string_equal(token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    free(token);
    assert_int_equal(s.nkeys, 2);
    assert_string_equal(s.keys[0], "dl/a&b <1>.json");
    assert_int_equal(s.sizes[0], 5120);
    assert_int_equal(s.mtimes[0], 1795252320000LL);
    assert_string_equal(s.keys[1], "dl/caf\xc3\xa9/x");
    assert_int_equal(s.sizes[1], 0);
    assert_int_equal(s.nprefixes, 2);
    assert_string_equal(s.prefixes[0], "dl/dt=2026-11-20/");
    assert_string_equal(s.prefixes[1], "dl/dt=2026-11-21/");

    /* an empty, final page */
    const char *empty = "<ListBucketResult><Name>lake</Name><KeyCount>0</KeyCount>"
                        "<IsTruncated>false</IsTruncated></ListBucketResult>";
    memset(&s, 0, sizeof s);
    assert_int_equal(s3_parse_list(empty, strlen(empty), &fns, &s, &truncated, &token, &err), 0);
    assert_false(truncated);
    assert_null(token);
    assert_int_equal(s.nkeys, 0);

    /* not a listing; a truncated page without a token; a Contents without a Key */
    const char *html = "<html><body>proxy login</body></html>";
    assert_int_equal(s3_parse_list(html, strlen(html), &fns, &s, &truncated, &token, &err), -1);
    assert_non_null(strstr(err.msg, "not a ListBucketResult"));
    const char *notoken = "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>";
    assert_int_equal(s3_parse_list(notoken, strlen(notoken), &fns, &s, &truncated, &token, &err),
                     -1);
    assert_non_null(strstr(err.msg, "NextContinuationToken"));
    const char *nokey = "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>";
    assert_int_equal(s3_parse_list(nokey, strlen(nokey), &fns, &s, &truncated, &token, &err), -1);
    /* cut short in the middle of an element: an error, not a read past the end */
    size_t cut = (size_t)(strstr(xml, "<Size>5120") - xml) + 3;
    memset(&s, 0, sizeof s);
    int rc = s3_parse_list(xml, cut, &fns, &s, &truncated, &token, &err);
    assert_int_equal(rc, -1);
}

static void test_parse_error(void **state)
{
    (void)state;
    char code[64], msg[256];
    const char *xml = "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>"
                      "<Message>The request signature we calculated does not match\x1b[2J"
                      "</Message><AWSAccessKeyId>AKIA</AWSAccessKeyId><StringToSign>x"
                      "</StringToSign></Error>";
    assert_int_equal(s3_parse_error(xml, strlen(xml), code, sizeof code, msg, sizeof msg), 0);
    assert_string_equal(code, "SignatureDoesNotMatch");
    assert_non_null(strstr(msg, "does not match"));
    assert_null(strchr(msg, '\x1b'));
    assert_null(strstr(msg, "AKIA"));
    const char *noerr = "<ListBucketResult></ListBucketResult>";
    assert_int_equal(s3_parse_error(noerr, strlen(noerr), code, sizeof code, msg, sizeof msg), -1);
    assert_int_equal(s3_parse_error("", 0, code, sizeof code, msg, sizeof msg), -1);
}

static void test_creds_env(void **state)
{
    (void)state;
    clear_aws_env();
    char *dir = scratch_dir("s3creds");
    char *nofile = xasprintf("%s/none", dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", nofile, 1);
    setenv("AWS_CONFIG_FILE", nofile, 1);
    struct s3_creds c;
    struct st_err err;
    assert_int_equal(s3_creds_resolve(NULL, &c, &err), -1);
    assert_non_null(strstr(err.msg, "no AWS credentials"));
    assert_non_null(strstr(err.msg, nofile));
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    setenv("AWS_SESSION_TOKEN", "envtoken", 1);
    assert_int_equal(s3_creds_resolve(NULL, &c, &err), 0);
    assert_string_equal(c.key, "AKIDENV");
    assert_string_equal(c.secret, "envsecret");
    assert_string_equal(c.token, "envtoken");
    assert_string_equal(c.origin, "environment");
    s3_creds_done(&c);
    clear_aws_env();
    free(nofile);
    free(dir);
}

static void test_creds_profiles(void **state)
{
    (void)state;
    clear_aws_env();
    char *dir = scratch_dir("s3prof");
    /* a session token far longer than inih's line limit */
    char token[1200];
    memset(token, 'T', sizeof token - 1);
    token[sizeof token - 1] = '\0';
    char *cred =
        xasprintf("# comment\n[default]\naws_access_key_id = AKIDDEF\n"
                  "aws_secret_access_key = defsecret\n\n"
                  "[prod]\r\naws_access_key_id=AKIDPROD\r\naws_secret_access_key=prodsecret"
                  "\r\naws_session_token = %s\r\n[nokeys]\nregion = x\n",
                  token);
    write_str(dir, "credentials", cred);
    write_str(dir, "config",
              "[default]\nregion = eu-central-1\n[profile prod]\nregion = "
              "ap-south-1\n[profile cfgonly]\naws_access_key_id = AKIDCFG\n"
              "aws_secret_access_key = cfgsecret\n");
    char *cp = xasprintf("%s/credentials", dir), *fp = xasprintf("%s/config", dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cp, 1);
    setenv("AWS_CONFIG_FILE", fp, 1);
    struct s3_creds c;
    struct st_err err;

    assert_int_equal(s3_creds_resolve(NULL, &c, &err), 0);
    assert_string_equal(c.key, "AKIDDEF");
    assert_string_equal(c.region, "eu-central-1");
    assert_null(c.token);
    s3_creds_done(&c);

    setenv("AWS_PROFILE", "prod", 1);
    assert_int_equal(s3_creds_resolve(NULL, &c, &err), 0);
    assert_string_equal(c.key, "AKIDPROD");
    assert_string_equal(c.secret, "prodsecret");
    assert_string_equal(c.token, token);
    assert_string_equal(c.region, "ap-south-1");
    assert_non_null(strstr(c.origin, "profile 'prod'"));
    s3_creds_done(&c);

    /* an explicit profile beats $AWS_PROFILE and the environment's keys */
    setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
    assert_int_equal(s3_creds_resolve("default", &c, &err), 0);
    assert_string_equal(c.key, "AKIDDEF");
    s3_creds_done(&c);
    assert_int_equal(s3_creds_resolve("cfgonly", &c, &err), 0);
    assert_string_equal(c.key, "AKIDCFG");
    s3_creds_done(&c);

    assert_int_equal(s3_creds_resolve("missing", &c, &err), -1);
    assert_non_null(strstr(err.msg, "AWS profile 'missing' not found"));
    assert_int_equal(s3_creds_resolve("nokeys", &c, &err), -1);
    assert_non_null(strstr(err.msg, "has no aws_access_key_id"));
    assert_null(strstr(err.msg, "secret="));
    clear_aws_env();
    free(cp);
    free(fp);
    free(cred);
    free(dir);
}

static void test_no_credentials_is_a_clear_error(void **state)
{
    (void)state;
    clear_aws_env();
    char *dir = scratch_dir("s3none");
    char *nofile = xasprintf("%s/none", dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", nofile, 1);
    setenv("AWS_CONFIG_FILE", nofile, 1);
    s3_configure(&(struct s3_settings){.endpoint = "http://127.0.0.1:9"});
    struct buf b;
    buf_init(&b);
    struct st_err err;
    assert_int_equal(s3_get("s3://lake/x", 0, 10, &b, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "s3://lake/x: no AWS credentials"));
    s3_use_profile("ghost");
    assert_int_equal(s3_get("s3://lake/x", 0, 10, &b, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "AWS profile 'ghost' not found"));
    s3_use_profile(NULL);
    buf_done(&b);
    s3_reset();
    clear_aws_env();
    free(nofile);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uri_encode),
        cmocka_unit_test(test_request_url),
        cmocka_unit_test(test_split_url),
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_error),
        cmocka_unit_test(test_creds_env),
        cmocka_unit_test(test_creds_profiles),
        cmocka_unit_test(test_no_credentials_is_a_clear_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
