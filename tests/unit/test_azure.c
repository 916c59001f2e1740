/* Azure pieces without a server: URL splitting (abfss://, abfs://, wasbs://, wasb://), request
 * URLs, the Shared Key string to sign and its signature, List Blobs and <Error> parsing, RFC
 * 1123 dates and OAuth2 token answers. */
#include "testutil.h"

#include "core/buf.h"
#include "net/azure.h"

#define DEV_KEY                                                                                    \
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

static void test_split_url(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        const char *account, *container, *blob, *host;
    } good[] = {
        {"abfss://raw@lake.dfs.core.windows.net/a/b", "lake", "raw", "a/b",
         "lake.blob.core.windows.net"},
        {"abfs://raw@lake.dfs.core.windows.net", "lake", "raw", "", "lake.blob.core.windows.net"},
        {"wasbs://raw-2@lake9.blob.core.windows.net//x/", "lake9", "raw-2", "x/",
         "lake9.blob.core.windows.net"},
        {"wasb://raw@lake.blob.core.chinacloudapi.cn/y", "lake", "raw", "y",
         "lake.blob.core.chinacloudapi.cn"},
        {"abfss://raw@lake.dfs.core.usgovcloudapi.net/y", "lake", "raw", "y",
         "lake.blob.core.usgovcloudapi.net"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct azure_path p;
        struct st_err err;
        assert_int_equal(azure_split_url(good[i].url, &p, &err), 0);
        assert_string_equal(p.account, good[i].account);
        assert_string_equal(p.container, good[i].container);
        assert_string_equal(p.blob, good[i].blob);
        assert_string_equal(p.host, good[i].host);
        azure_path_done(&p);
    }
    static const struct {
        const char *url, *says;
    } bad[] = {
        {"s3://raw/x", "not an abfss://"},
        {"abfss://lake.dfs.core.windows.net/x", "no container"},
        {"abfss://Raw@lake.dfs.core.windows.net/x", "'Raw' is not a container name"},
        {"abfss://raw@LAKE.dfs.core.windows.net/x", "is not an account host"},
        {"abfss://raw@la.dfs.core.windows.net/x", "is not an account host"},
        {"abfss://raw@lake/x", "is not an account host"},
        {"abfss://raw@lake.dfs.core.windows.net:80@evil.com/x", "is not an account host"},
        {"wasbs://raw@lake.blob.core.windows.net?sig=x", "is not an account host"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct azure_path p;
        struct st_err err;
        assert_int_equal(azure_split_url(bad[i].url, &p, &err), -1);
        assert_non_null(strstr(err.msg, bad[i].says));
        assert_null(p.account);
    }
    assert_true(azure_handles("abfss://a@b.c/x") && azure_handles("wasb://a@b.c"));
    assert_false(azure_handles("s3://x") || azure_handles("/abfss://"));
}

static void test_request_url(void **state)
{
    (void)state;
    struct azure_path p;
    struct st_err err;
    assert_int_equal(
        azure_split_url("abfss://raw@lake.dfs.core.windows.net/dt=1/a b.json", &p, &err), 0);
    struct azure_param q[] = {{"restype", "container"}, {"comp", "list"}, {"prefix", "dt=1/"}};
    char *u = azure_request_url("https://lake.blob.core.windows.net", &p, false, q, 3, NULL);
    assert_string_equal(u, "https://lake.blob.core.windows.net/raw?comp=list&prefix=dt%3D1%2F"
                           "&restype=container");
    free(u);
    u = azure_request_url("http://127.0.0.1:10000/devstoreaccount1", &p, true, NULL, 0,
                          "sv=2021&sig=a%2Bb");
    assert_string_equal(u, "http://127.0.0.1:10000/devstoreaccount1/raw/dt%3D1/a%20b.json"
                           "?sv=2021&sig=a%2Bb");
    free(u);
    azure_path_done(&p);
}

static void test_shared_key(void **state)
{
    (void)state;
    const char *xms[] = {"x-ms-date:Wed, 02 Dec 2026 03:44:21 GMT", "x-ms-version:2021-08-06",
                         NULL};
    struct azure_param q[] = {
        {"restype", "container"}, {"prefix", "a b/"}, {"delimiter", "/"}, {"comp", "list"}};
    char *text =
        azure_string_to_sign("GET", NULL, xms, "devstoreaccount1", "/devstoreaccount1/lake", q, 4);
    assert_string_equal(text, "GET\n\n\n\n\n\n\n\n\n\n\n\n"
                              "x-ms-date:Wed, 02 Dec 2026 03:44:21 GMT\n"
                              "x-ms-version:2021-08-06\n"
                              "/devstoreaccount1/devstoreaccount1/lake\n"
                              "comp:list\ndelimiter:/\nprefix:a b/\nrestype:container");
    char *auth = NULL;
    struct st_err err;
    /* the signature Python's hmac and base64 give for the same text and key */
    assert_int_equal(azure_shared_key_auth("devstoreaccount1", DEV_KEY, text, &auth, &err), 0);
    assert_string_equal(auth,
                        "SharedKey devstoreaccount1:K4vdHT6/uvSHgOYuIsvtyQkqPCMnWBVxD3JGIYqDf1A=");
    free(auth);
    /* a key that is not base64 fails without showing it */
    assert_int_equal(azure_shared_key_auth("a", "not*base64!", text, &auth, &err), -1);
    assert_null(auth);
    assert_null(strstr(err.msg, "not*base64"));
    free(text);
}

struct seen {
    struct buf names;
    int64_t size, mtime;
    int folders;
};

static void on_blob(void *ctx, const char *name, int64_t size, int64_t mtime, bool folder)
{
    struct seen *s = ctx;
    buf_printf(&s->names, "b:%s;", name);
    s->size = size;
    s->mtime = mtime;
    s->folders += folder;
}

static void on_prefix(void *ctx, const char *name)
{
    buf_printf(&((struct seen *)ctx)->names, "p:%s;", name);
}

static void test_parse_list(void **state)
{
    (void)state;
    static const char page[] =
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults "
        "ServiceEndpoint=\"https://lake.blob.core.windows.net/\" ContainerName=\"raw\">"
        "<Prefix>dlq/</Prefix><Delimiter>/</Delimiter><Blobs>"
        "<BlobPrefix><Name>dlq/dt=1/</Name></BlobPrefix>"
        "<Blob><Name>dlq/dir</Name><Properties><Content-Length>0</Content-Length></Properties>"
        "<Metadata><hdi_isfolder>true</hdi_isfolder></Metadata></Blob>"
        "<Blob><Name>dlq/a&amp;b.json</Name><Properties><Last-Modified>Wed, 02 Dec 2026 "
        "03:44:21 GMT</Last-Modified><Content-Length>1234</Content-Length></Properties>"
        "<Metadata><NextMarker>fake</NextMarker></Metadata></Blob>"
        "</Blobs><NextMarker>2!72!MDAwMDE5</NextMarker></EnumerationResults>";
    static const struct azure_page_fns fns = {on_blob, on_prefix};
    struct seen s = {.size = 0};
    buf_init(&s.names);
    char *marker = NULL;
    struct st_err err;
    assert_int_equal(azure_parse_list(page, sizeof page - 1, &fns, &s, &marker, &err), 0);
    assert_string_equal(buf_str(&s.names), "p:dlq/dt=1/;b:dlq/dir;b:dlq/a&b.json;");
    assert_int_equal(s.size, 1234);
    assert_int_equal(s.mtime, 1796183061000LL);
    assert_int_equal(s.folders, 1);
    assert_string_equal(marker, "2!72!MDAwMDE5");
    free(marker);
    /* the last page: an empty NextMarker */
    static const char last[] = "<EnumerationResults><Blobs/><NextMarker /></EnumerationResults>";
    buf_reset(&s.names);
    assert_int_equal(azure_parse_list(last, sizeof last - 1, &fns, &s, &marker, &err), 0);
    assert_null(marker);
    /* truncated, not XML, a blob without a name */
    static const char *const bad[] = {
        "<EnumerationResults><Blobs><Blob><Name>a</Name></Blob>",
        "hello",
        "<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></EnumerationResults>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(azure_parse_list(bad[i], strlen(bad[i]), &fns, &s, &marker, &err), -1);
        assert_null(marker);
    }
    buf_done(&s.names);
}

static void test_parse_error(void **state)
{
    (void)state;
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthenticationFailed</Code>"
        "<Message>Server failed to authenticate the request.\nRequestId:42\nTime:x</Message>"
        "<AuthenticationErrorDetail>The MAC signature found in the HTTP request 'c2ln' is not "
        "the same</AuthenticationErrorDetail></Error>";
    char code[64], msg[128];
    assert_int_equal(azure_parse_error(body, sizeof body - 1, code, sizeof code, msg, sizeof msg),
                     0);
    assert_string_equal(code, "AuthenticationFailed");
    assert_string_equal(msg, "Server failed to authenticate the request.");
    static const char esc[] = "<Error><Code>X\x1b[31m</Code></Error>";
    assert_int_equal(azure_parse_error(esc, sizeof esc - 1, code, sizeof code, msg, sizeof msg), 0);
    assert_null(strchr(code, '\x1b'));
    assert_int_equal(azure_parse_error("<Error></Error>", 15, code, sizeof code, msg, sizeof msg),
                     -1);
}

static void test_http_date(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(azure_parse_http_date("Thu, 01 Jan 1970 00:00:01 GMT", 29, &ms), 0);
    assert_int_equal(ms, 1000);
    assert_int_equal(azure_parse_http_date("Wed, 02 Dec 2026 03:44:21 GMT", 29, &ms), 0);
    assert_int_equal(ms, 1796183061000LL);
    assert_int_equal(azure_parse_http_date("Wed, 02 Dex 2026 03:44:21 GMT", 29, &ms), -1);
    assert_int_equal(azure_parse_http_date("Wed, 02 Dec 2026 03:44:21 UTC", 29, &ms), -1);
    assert_int_equal(azure_parse_http_date("2026-12-02T03:44:21Z", 20, &ms), -1);
}

static void test_parse_token(void **state)
{
    (void)state;
    char *tok;
    int64_t secs;
    struct st_err err;
    static const char sp[] = "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":"
                             "\"eyJ0\"}";
    assert_int_equal(azure_parse_token(sp, sizeof sp - 1, &tok, &secs, &err), 0);
    assert_string_equal(tok, "eyJ0");
    assert_int_equal(secs, 3599);
    free(tok);
    static const char mi[] = "{\"access_token\":\"abc\",\"expires_in\":\"86399\"}";
    assert_int_equal(azure_parse_token(mi, sizeof mi - 1, &tok, &secs, &err), 0);
    assert_int_equal(secs, 86399);
    free(tok);
    static const char bad[] = "{\"error\":\"invalid_client\",\"error_description\":\"secret "
                              "s3cr3t\"}";
    assert_int_equal(azure_parse_token(bad, sizeof bad - 1, &tok, &secs, &err), -1);
    assert_non_null(strstr(err.msg, "invalid_client"));
    assert_null(strstr(err.msg, "s3cr3t"));
    assert_int_equal(azure_parse_token("[1]", 3, &tok, &secs, &err), -1);
    static const char noexp[] = "{\"access_token\":\"abc\"}";
    assert_int_equal(azure_parse_token(noexp, sizeof noexp - 1, &tok, &secs, &err), -1);
    assert_null(tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_url),   cmocka_unit_test(test_request_url),
        cmocka_unit_test(test_shared_key),  cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_error), cmocka_unit_test(test_http_date),
        cmocka_unit_test(test_parse_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
