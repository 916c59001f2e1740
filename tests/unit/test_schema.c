/* Schema parsing and diffs (nested structs, arrays, maps, nullability), table-driven; the
 * schema-location collector on good and bad versions. */
#include "testutil.h"

#include <math.h>

#include "collectors/collector.h"
#include "collectors/structtype.h"
#include "core/buf.h"

#define F(name, type) "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":true,\"metadata\":{}}"
#define FNN(name, type)                                                                            \
    "{\"name\":\"" name "\",\"type\":" type ",\"nullable\":false,\"metadata\":{}}"
#define ST(fields) "{\"type\":\"struct\",\"fields\":[" fields "]}"
#define ARR(e)     "{\"type\":\"array\",\"elementType\":" e ",\"containsNull\":true}"
#define MAP(k, v)                                                                                  \
    "{\"type\":\"map\",\"keyType\":" k ",\"valueType\":" v ",\"valueContainsNull\":true}"

static const struct {
    const char *name, *old, *neu;
    const char *changes; /* joined by " | " */
} diffs[] = {
    {"added top-level", ST(F("id", "\"long\"")),
     ST(F("id", "\"long\"") "," F("discount", "\"double\"")), "+ discount: double"},
    {"removed", ST(F("id", "\"long\"") "," F("x", "\"string\"")), ST(F("id", "\"long\"")),
     "- x: string"},
    {"nested retype", ST(F("payload", ST(F("device", ST(F("battery", "\"long\"")))))),
     ST(F("payload", ST(F("device", ST(F("battery", "\"double\"")))))),
     "~ payload.device.battery: long -> double"},
    {"nullability", ST(F("id", "\"long\"")), ST(FNN("id", "\"long\"")),
     "~ id: nullable -> not null"},
    {"a new struct is one change", ST(F("id", "\"long\"")),
     ST(F("id", "\"long\"") "," F("geo", ST(F("lat", "\"double\"") "," F("lon", "\"double\"")))),
     "+ geo: struct"},
    {"array of structs", ST(F("items", ARR(ST(F("sku", "\"string\""))))),
     ST(F("items", ARR(ST(F("sku", "\"string\"") "," F("qty", "\"integer\""))))),
     "+ items[].qty: integer"},
    {"array element retype", ST(F("tags", ARR("\"string\""))), ST(F("tags", ARR("\"long\""))),
     "~ tags: array<string> -> array<long>"},
    {"map value struct", ST(F("attrs", MAP("\"string\"", ST(F("v", "\"long\""))))),
     ST(F("attrs", MAP("\"string\"", ST(F("v", "\"decimal(10,2)\""))))),
     "~ attrs{}.v: long -> decimal(10,2)"},
    {"struct became a string", ST(F("p", ST(F("a", "\"long\"")))), ST(F("p", "\"string\"")),
     "~ p: struct -> string | - p.a: long"},
    {"unchanged", ST(F("id", "\"long\"")), ST(F("id", "\"long\"")), ""},
};

static void test_diffs(void **unused)
{
    (void)unused;
    for (size_t i = 0; i < sizeof diffs / sizeof diffs[0]; i++) {
        struct sfields a, b;
        struct st_err err;
        if (structtype_parse(diffs[i].old, strlen(diffs[i].old), &a, &err) < 0 ||
            structtype_parse(diffs[i].neu, strlen(diffs[i].neu), &b, &err) < 0)
            fail_msg("%s: %s", diffs[i].name, err.msg);
        struct strvec ch;
        strvec_init(&ch);
        structtype_diff(&a, &b, &ch);
        struct buf joined;
        buf_init(&joined);
        for (size_t k = 0; k < ch.n; k++)
            buf_printf(&joined, "%s%s", k ? " | " : "", ch.v[k]);
        if (strcmp(buf_str(&joined), diffs[i].changes) != 0)
            fail_msg("%s: got '%s'", diffs[i].name, buf_str(&joined));
        buf_done(&joined);
        strvec_done(&ch);
        sfields_done(&a);
        sfields_done(&b);
    }
}

static void test_parse_forms_and_errors(void **unused)
{
    (void)unused;
    struct sfields f;
    struct st_err err;
    /* Auto Loader's wrapping: a v1 line, then the StructTypes as strings */
    const char *wrapped =
        "v1\n{\"dataSchemaJson\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":"
        "[{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,"
        "\\\"metadata\\\":{}}]}\",\"partitionSchemaJson\":\"{\\\"type\\\":"
        "\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"dt\\\",\\\"type\\\":"
        "\\\"date\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\"}";
    assert_int_equal(structtype_parse(wrapped, strlen(wrapped), &f, &err), 0);
    assert_int_equal(f.n, 2);
    assert_string_equal(f.v[1].path, "dt");
    sfields_done(&f);
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"not json at all", "not JSON"},
        {"{\"type\":\"array\"}", "not a StructType"},
        {ST(F("x", "\"quaternion\"")), "x: unknown type 'quaternion'"},
        {ST(F("x", "{\"type\":\"tensor\"}")), "x: unknown type 'tensor'"},
        {"{\"type\":\"struct\"}", "struct without a fields array"},
        {ST("{\"type\":\"long\"}"), "field without a name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(structtype_parse(bad[i].text, strlen(bad[i].text), &f, &err), -1);
        if (!strstr(err.msg, bad[i].error))
            fail_msg("case %zu: %s", i, err.msg);
    }
}

static void test_collector(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("schemaloc");
    write_str(dir, "_schemas/0", "v1\n" ST(F("id", "\"long\"")));
    write_str(dir, "_schemas/1", "v1\n" ST(F("id", "\"long\"") "," F("discount", "\"double\"")));
    write_str(dir, "_schemas/.1.crc", "crc");
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.schema = dir;
    void *state = schema_collector.state_new();
    struct snapshot *snap = snapshot_new(1795341600000LL);
    struct snap_stream *st = snapshot_add_stream(snap, "s");
    schema_collector.collect(&cfg, state, st, snap->generated_ms);
    assert_int_equal(st->errors.n, 0);
    assert_true(st->metrics[M_SCHEMA_VERSION] == 1);
    assert_int_equal(st->schema.changes.n, 1);
    assert_string_equal(st->schema.changes.v[0], "+ discount: double");
    snapshot_free(snap);
    /* a garbage version 2: an error naming it, version 1 still reported */
    write_str(dir, "_schemas/2", "\x89garbage");
    snap = snapshot_new(1795341600000LL);
    st = snapshot_add_stream(snap, "s");
    schema_collector.collect(&cfg, state, st, snap->generated_ms);
    assert_int_equal(st->errors.n, 1);
    assert_non_null(strstr(st->errors.v[0], "_schemas/2: schema file is not JSON"));
    assert_true(st->metrics[M_SCHEMA_VERSION] == 1);
    snapshot_free(snap);
    schema_collector.state_free(state);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diffs),
        cmocka_unit_test(test_parse_forms_and_errors),
        cmocka_unit_test(test_collector),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
