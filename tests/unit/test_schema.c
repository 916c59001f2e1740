/* Schema parsing and diffs (nested structs, arrays, maps, nullability), table-driven; the
 * schema-location collector on good and bad versions. */
#include "cursorutil.h"

#include <math.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/structtype.h"
#include "core/buf.h"
#include "core/clock.h"

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

#define NOW_MS 1795341600000LL

static struct snap_stream *run_schema(const char *dir, void *state, struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.schema = (char *)dir;
    cfg.full_listing_every_ms = 3600000;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, "s");
    schema_collector.collect(&cfg, state, st, NOW_MS);
    return st;
}

static void count_listing(const char *path, void *ctx)
{
    (void)path;
    ++*(int *)ctx;
}

/* Same schema figures and messages from two passes. */
static void assert_same(const struct snap_stream *a, const struct snap_stream *b)
{
    assert_int_equal(a->schema.version, b->schema.version);
    assert_int_equal(a->schema.appeared_ms, b->schema.appeared_ms);
    assert_true(a->metrics[M_SCHEMA_VERSION] == b->metrics[M_SCHEMA_VERSION]);
    assert_true(a->metrics[M_SCHEMA_AGE_SECONDS] == b->metrics[M_SCHEMA_AGE_SECONDS]);
    const struct strvec *va[] = {&a->errors, &a->warnings, &a->schema.fields, &a->schema.changes};
    const struct strvec *vb[] = {&b->errors, &b->warnings, &b->schema.fields, &b->schema.changes};
    for (size_t k = 0; k < 4; k++) {
        assert_int_equal(va[k]->n, vb[k]->n);
        for (size_t i = 0; i < va[k]->n; i++)
            assert_string_equal(va[k]->v[i], vb[k]->v[i]);
    }
}

/* The cursor a new process loads (saved and taken in chunks of step bytes). */
static void *schema_round_trip(void *state, size_t step, unsigned char **blob_out, size_t *total)
{
    return cursor_round_trip_with(&schema_collector, state, step, step, blob_out, total);
}

static void *schema_taken(const unsigned char *blob, size_t len, int want)
{
    void *state = schema_collector.state_new();
    assert_int_equal(schema_collector.cursor_take(state, blob, len, len), want);
    return state;
}

/* A cron pass over an unchanged schema location (its folder's mtime the one listed, on a disk
 * file system) lists and reads nothing and reports what a cold pass does; a new version (the
 * folder's mtime moved) is listed and read alone; a racy listing is not reused; a folder
 * replaced since is read afresh; damaged cursors are refused. */
static void test_cursor_across_processes(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("schemacur");
    write_str(dir, "_schemas/0", "v1\n" ST(F("id", "\"long\"")));
    write_str(dir, "_schemas/1", "v1\n" ST(F("id", "\"long\"") "," F("discount", "\"double\"")));
    int64_t real = clock_real_ms();
    touch_ms(dir, "_schemas/1", real - 90000);
    touch_ms(dir, "_schemas", real - 60000);
    int listings = 0;
    fs_set_listed_hook(count_listing, &listings);
    void *state = schema_collector.state_new();
    struct snapshot *cold_snap, *snap;
    struct snap_stream *cold = run_schema(dir, state, &cold_snap);
    assert_int_equal(listings, 1);
    assert_true(cold->bytes_read > 0);
    assert_int_equal(cold->schema.version, 1);
    assert_int_equal(cold->schema.appeared_ms, real - 90000);
    assert_int_equal(cold->schema.changes.n, 1);
    unsigned char *blob;
    size_t total;
    void *again = schema_round_trip(state, 5, &blob, &total);
    listings = 0;
    struct snap_stream *st = run_schema(dir, again, &snap);
    assert_int_equal(listings, 0);
    assert_true(st->bytes_read == 0);
    assert_same(cold, st);
    snapshot_free(snap);
    assert_int_equal(schema_collector.cursor_size(again), 0); /* nothing changed */
    schema_collector.state_free(again);
    /* in the same process too */
    listings = 0;
    st = run_schema(dir, state, &snap);
    assert_int_equal(listings, 0);
    assert_same(cold, st);
    snapshot_free(snap);
    /* a new version, the folder's mtime moved (to an older time, so not racy) */
    const char *v2 = "v1\n" ST(F("id", "\"long\"") "," F("discount", "\"string\""));
    write_str(dir, "_schemas/2", v2);
    touch_ms(dir, "_schemas", real - 30000);
    again = schema_taken(blob, total, 0);
    listings = 0;
    st = run_schema(dir, again, &snap);
    assert_int_equal(listings, 1);
    assert_true(st->bytes_read == strlen(v2)); /* versions 0 and 1 not read again */
    assert_int_equal(st->schema.version, 2);
    assert_int_equal(st->schema.changes.n, 1);
    assert_string_equal(st->schema.changes.v[0], "~ discount: double -> string");
    snapshot_free(snap);
    /* the same as a cold process, whose cursor then holds in the next one */
    void *cold2 = schema_collector.state_new();
    struct snapshot *snap2;
    assert_same(run_schema(dir, cold2, &snap2), run_schema(dir, again, &snap));
    snapshot_free(snap);
    free(blob);
    void *next = schema_round_trip(again, 64, &blob, &total);
    listings = 0;
    st = run_schema(dir, next, &snap);
    assert_int_equal(listings, 0);
    assert_true(st->bytes_read == 0);
    assert_same(snap2->streams, st);
    snapshot_free(snap);
    snapshot_free(snap2);
    schema_collector.state_free(cold2);
    schema_collector.state_free(next);
    schema_collector.state_free(again);
    /* a folder written a moment before its listing (racy): the listing is not reused */
    write_str(dir, "_schemas/3", v2);
    void *fresh = schema_collector.state_new();
    run_schema(dir, fresh, &snap);
    snapshot_free(snap);
    unsigned char *racy_blob;
    size_t racy_total;
    again = schema_round_trip(fresh, 64, &racy_blob, &racy_total);
    listings = 0;
    st = run_schema(dir, again, &snap);
    assert_int_equal(listings, 1);
    assert_true(st->bytes_read == 0); /* nothing new: nothing read */
    assert_int_equal(st->schema.version, 3);
    snapshot_free(snap);
    schema_collector.state_free(again);
    schema_collector.state_free(fresh);
    free(racy_blob);
    /* the folder replaced by one with version 0 alone: read afresh, as a cold pass does */
    for (int v = 0; v <= 3; v++) {
        char *path = xasprintf("%s/_schemas/%d", dir, v);
        unlink(path);
        free(path);
    }
    write_str(dir, "_schemas/0", "v1\n" ST(F("sku", "\"string\"")));
    again = schema_taken(blob, total, 0);
    st = run_schema(dir, again, &snap);
    assert_int_equal(st->schema.version, 0);
    assert_int_equal(st->schema.fields.n, 1);
    assert_string_equal(st->schema.fields.v[0], "sku: string");
    assert_int_equal(st->schema.changes.n, 0);
    snapshot_free(snap);
    schema_collector.state_free(again);
    /* a cursor of another schema location: not used */
    char *other = scratch_dir("schemaother");
    write_str(other, "_schemas/0", "v1\n" ST(F("id", "\"long\"")));
    touch_ms(other, "_schemas", real - 60000);
    again = schema_taken(blob, total, 0);
    st = run_schema(other, again, &snap);
    assert_int_equal(st->schema.version, 0);
    assert_true(st->bytes_read > 0);
    snapshot_free(snap);
    schema_collector.state_free(again);
    free(other);
    fs_set_listed_hook(NULL, NULL);
    /* damaged or of another layout: not understood */
    for (size_t k = 0; k < total; k++)
        schema_collector.state_free(schema_taken(blob, k, -1));
    unsigned char *longer = xcalloc(total + 1, 1);
    memcpy(longer, blob, total);
    schema_collector.state_free(schema_taken(longer, total + 1, -1));
    memcpy(longer, "SCC0", 4);
    schema_collector.state_free(schema_taken(longer, total, -1));
    memcpy(longer, blob, total);
    int64_t bad = -5; /* the version */
    memcpy(longer + 4 + 8, &bad, 8);
    schema_collector.state_free(schema_taken(longer, total, -1));
    memcpy(longer, blob, total);
    bad = -1; /* the listing's time */
    memcpy(longer + 4 + 8 + 24, &bad, 8);
    schema_collector.state_free(schema_taken(longer, total, -1));
    memcpy(longer, blob, total);
    uint32_t huge = 0xFFFFFFFFu; /* the field count */
    memcpy(longer + 4 + 8 + 32, &huge, 4);
    schema_collector.state_free(schema_taken(longer, total, -1));
    assert_int_equal(schema_collector.cursor_take(state, blob, 8, 5 * 1024 * 1024), -1);
    free(longer);
    snapshot_free(cold_snap);
    schema_collector.state_free(state);
    free(blob);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diffs),
        cmocka_unit_test(test_parse_forms_and_errors),
        cmocka_unit_test(test_collector),
        cmocka_unit_test(test_cursor_across_processes),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
