/* The simulator keeps faith with Spark: for each scenario of the live suite, the checkpoint,
 * Delta log and progress a live Spark 4.0.0 query wrote (tests/fixtures/live/spark-4.0.0) and
 * the tree the simulator writes for that kind are read by the same collectors and give the same
 * kinds of answers (source kinds, which metrics are measurable), and their files have the same
 * shapes (layout, .crc sidecars, offsets and commits, source logs, Delta actions, progress). */
#include "testutil.h"

#include <cJSON.h>
#include <dirent.h>
#include <math.h>

#include "collectors/collector.h"
#include "core/buf.h"
#include "core/clock.h"
#include "sim/sim.h"

#define NOW_MS 1800000000000LL
#define LIVE   "tests/fixtures/live/spark-4.0.0"

struct pcase {
    const char *live;         /* folder under LIVE */
    enum sim_kind kind;       /* what the simulator writes for it */
    const char *sink;         /* the Delta sink's folder, or NULL (foreachBatch) */
    const char *source_table; /* a Delta table read as the source, or NULL */
    enum source_kind src;
    bool state; /* a stateful query: state/ */
};

static const struct pcase cases[] = {
    {"files", SIM_KIND_FILES, "sink", NULL, SRC_FILE, false},
    {"kafka", SIM_KIND_KAFKA, NULL, NULL, SRC_KAFKA, false},
    {"dsrc", SIM_KIND_DELTA, NULL, "table", SRC_DELTA, false},
    {"rate", SIM_KIND_RATE, "sink", NULL, SRC_NUMBER, true},
};

/* the paths of one tree (live or simulated) */
struct tree {
    char *ckpt, *sink, *source, *progress; /* (owned) sink/source NULL when absent */
};

static void tree_done(struct tree *t)
{
    free(t->ckpt);
    free(t->sink);
    free(t->source);
    free(t->progress);
}

static struct snap_stream *pass(const struct tree *t, struct snapshot **snap)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.checkpoint = t->ckpt;
    cfg.sink = t->sink;
    cfg.source = t->source;
    cfg.progress = t->progress;
    *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(*snap, cfg.name);
    for (const struct collector_ops *const *c = collector_table; *c; c++) {
        if (!(*c)->wants(&cfg))
            continue;
        void *state = (*c)->state_new ? (*c)->state_new() : NULL;
        (*c)->collect(&cfg, state, st, NOW_MS);
        if ((*c)->state_free)
            (*c)->state_free(state);
    }
    for (size_t i = 0; i < st->errors.n; i++)
        fprintf(stderr, "%s: error: %s\n", t->ckpt, st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        fprintf(stderr, "%s: warning: %s\n", t->ckpt, st->warnings.v[i]);
    return st;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = xcalloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Visible names in dir, sorted, joined by ' '; names[] gets numbers too. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *listing(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return xstrdup("(none)");
    char *names[4096];
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d)) && n < 4096;)
        if (de->d_name[0] != '.')
            names[n++] = xstrdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "%s%s", i ? " " : "", names[i]);
        free(names[i]);
    }
    return buf_steal(&b);
}

/* The newest numbered file of dir (batch files and Delta versions), or -1. */
static long long newest(const char *dir, const char *suffix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long long best = -1;
    for (struct dirent *de; (de = readdir(d));) {
        char *end;
        long long v = strtoll(de->d_name, &end, 10);
        if (end != de->d_name && strcmp(end, suffix) == 0 && v > best)
            best = v;
    }
    closedir(d);
    return best;
}

/* Every visible file of dir has the Hadoop sidecar .<name>.crc. */
static void assert_sidecars(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t files = 0;
    for (struct dirent *de; (de = readdir(d));) {
        char *p = xasprintf("%s/%s", dir, de->d_name);
        struct stat sb;
        if (de->d_name[0] != '.' && stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            char *side = xasprintf("%s/.%s.crc", dir, de->d_name);
            if (!exists(side))
                fail_msg("%s has no checksum sidecar %s", p, side);
            size_t n;
            char *c = slurp(side, &n);
            assert_int_equal(memcmp(c, "crc\0\0\0\2\0", 8), 0); /* magic, 512 bytes a chunk */
            assert_int_equal(n, 8 + 4 * (((size_t)sb.st_size + 511) / 512));
            free(c);
            free(side);
            files++;
        }
        free(p);
    }
    closedir(d);
    assert_true(files > 0);
}

/* The shape of a JSON value: keys in order, every number 0, string s, boolean b, null n; an
 * array by its first element. */
static void skeleton_of(const cJSON *v, struct buf *b)
{
    if (cJSON_IsObject(v)) {
        buf_putc(b, '{');
        for (const cJSON *c = v->child; c; c = c->next) {
            buf_printf(b, "%s%s:", c == v->child ? "" : ",", c->string);
            skeleton_of(c, b);
        }
        buf_putc(b, '}');
    } else if (cJSON_IsArray(v)) {
        buf_putc(b, '[');
        if (v->child)
            skeleton_of(v->child, b);
        buf_putc(b, ']');
    } else {
        buf_putc(b, cJSON_IsNumber(v)   ? '0'
                    : cJSON_IsString(v) ? 's'
                    : cJSON_IsBool(v)   ? 'b'
                                        : 'n');
    }
}

static char *skeleton(const char *json, size_t len)
{
    cJSON *v = cJSON_ParseWithLength(json, len);
    if (!v)
        fail_msg("not JSON: %.*s", (int)(len > 200 ? 200 : len), json);
    struct buf b;
    buf_init(&b);
    skeleton_of(v, &b);
    cJSON_Delete(v);
    return buf_steal(&b);
}

/* Line i (0-based) of text, as a pointer and length. */
static const char *line_at(const char *text, int i, size_t *len)
{
    const char *p = text;
    for (; i > 0 && p; i--) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    if (!p)
        fail_msg("no line %d in %.80s", i, text);
    const char *nl = strchr(p, '\n');
    *len = nl ? (size_t)(nl - p) : strlen(p);
    return p;
}

static void assert_same_line(const char *what, const char *a_path, const char *a,
                             const char *b_path, const char *b, int line)
{
    size_t la, lb;
    const char *pa = line_at(a, line, &la), *pb = line_at(b, line, &lb);
    char *sa = skeleton(pa, la), *sb = skeleton(pb, lb);
    if (strcmp(sa, sb) != 0)
        fail_msg("%s line %d differs in shape:\n  live %s: %s\n  sim  %s: %s", what, line + 1,
                 a_path, sa, b_path, sb);
    free(sa);
    free(sb);
}

/* The newest file of a batch log, read whole. */
static char *newest_file(const char *dir, const char *suffix, char **path)
{
    long long n = newest(dir, suffix);
    if (n < 0)
        fail_msg("%s: no batch file", dir);
    *path = xasprintf("%s/%lld%s", dir, n, suffix);
    return slurp(*path, NULL);
}

static void compare_checkpoints(const struct pcase *c, const char *live, const char *sim)
{
    char *ll = listing(live), *sl = listing(sim);
    assert_string_equal(ll, sl); /* commits metadata offsets [sources] [state] */
    free(ll);
    free(sl);
    const char *logs[] = {"offsets", "commits", "sources/0", "state/0/0", "state/0/1"};
    for (size_t i = 0; i < sizeof logs / sizeof *logs; i++) {
        char *a = xasprintf("%s/%s", live, logs[i]), *b = xasprintf("%s/%s", sim, logs[i]);
        assert_int_equal(exists(a), exists(b));
        if (exists(a)) {
            assert_sidecars(a);
            assert_sidecars(b);
        }
        free(a);
        free(b);
    }
    char *a = xasprintf("%s/.metadata.crc", live), *b = xasprintf("%s/.metadata.crc", sim);
    assert_true(exists(a) && exists(b));
    free(a);
    free(b);

    /* offsets/N: "v1", the metadata line, one offset a source; no trailing newline */
    char *ap, *bp;
    char *ao = xasprintf("%s/offsets", live), *bo = xasprintf("%s/offsets", sim);
    char *at = newest_file(ao, "", &ap), *bt = newest_file(bo, "", &bp);
    assert_true(strncmp(at, "v1\n", 3) == 0 && strncmp(bt, "v1\n", 3) == 0);
    assert_int_not_equal(at[strlen(at) - 1], '\n');
    assert_int_not_equal(bt[strlen(bt) - 1], '\n');
    assert_same_line("offsets", ap, at, bp, bt, 1); /* batchWatermarkMs, batchTimestampMs, conf */
    assert_same_line("offsets", ap, at, bp, bt, 2); /* logOffset / Kafka map / Delta / number */
    if (c->state) {                                 /* a watermark is in force in both */
        assert_null(strstr(at, "{\"batchWatermarkMs\":0,"));
        assert_null(strstr(bt, "{\"batchWatermarkMs\":0,"));
    }
    free(ap), free(bp), free(at), free(bt), free(ao), free(bo);

    /* commits/N */
    ao = xasprintf("%s/commits", live), bo = xasprintf("%s/commits", sim);
    at = newest_file(ao, "", &ap), bt = newest_file(bo, "", &bp);
    assert_true(strncmp(at, "v1\n", 3) == 0 && strncmp(bt, "v1\n", 3) == 0);
    assert_same_line("commits", ap, at, bp, bt, 1);
    free(ap), free(bp), free(at), free(bt), free(ao), free(bo);

    /* sources/0: the file-source log, or the Kafka / rate start file */
    ao = xasprintf("%s/sources/0", live), bo = xasprintf("%s/sources/0", sim);
    if (c->src == SRC_FILE) {
        at = newest_file(ao, "", &ap), bt = newest_file(bo, "", &bp);
        assert_same_line("file-source log", ap, at, bp, bt, 1); /* path, timestamp, batchId */
        free(ap), free(bp), free(at), free(bt);
        /* compaction every 10th batch: N.compact with every earlier entry */
        assert_true(newest(ao, ".compact") >= 0 && newest(bo, ".compact") >= 0);
    } else if (c->src == SRC_KAFKA || c->src == SRC_NUMBER) {
        ap = xasprintf("%s/0", ao), bp = xasprintf("%s/0", bo);
        size_t na, nb;
        at = slurp(ap, &na), bt = slurp(bp, &nb);
        const char *head = c->src == SRC_KAFKA ? "\0v1\n" : "v1\n";
        size_t hl = c->src == SRC_KAFKA ? 4 : 3;
        assert_int_equal(memcmp(at, head, hl), 0);
        assert_int_equal(memcmp(bt, head, hl), 0);
        char *sa = skeleton(at + hl, na - hl), *sb = skeleton(bt + hl, nb - hl);
        assert_string_equal(sa, sb);
        free(sa), free(sb), free(ap), free(bp), free(at), free(bt);
    }
    free(ao), free(bo);

    if (c->state) { /* state/<op>/<partition>/<version>.delta, operator metadata, schema */
        const char *dirs[] = {"state", "state/0", "state/0/0/_metadata", "state/0/_metadata"};
        for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
            char *la = xasprintf("%s/%s", live, dirs[i]), *lb = xasprintf("%s/%s", sim, dirs[i]);
            char *x = listing(la), *y = listing(lb);
            assert_string_equal(x, y);
            free(x), free(y), free(la), free(lb);
        }
        ap = xasprintf("%s/state/0/_metadata/metadata", live);
        bp = xasprintf("%s/state/0/_metadata/metadata", sim);
        at = slurp(ap, NULL), bt = slurp(bp, NULL);
        assert_string_equal(at, bt); /* v1, stateStoreSave, 2 partitions: the same query */
        free(ap), free(bp), free(at), free(bt);
        ap = xasprintf("%s/state/0/0/_metadata/schema", live);
        bp = xasprintf("%s/state/0/0/_metadata/schema", sim);
        size_t na, nb;
        at = slurp(ap, &na), bt = slurp(bp, &nb);
        assert_int_equal(na, nb);
        assert_int_equal(memcmp(at, bt, na), 0);
        free(ap), free(bp), free(at), free(bt);
        ao = xasprintf("%s/state/0/0", live), bo = xasprintf("%s/state/0/0", sim);
        assert_true(newest(ao, ".delta") > 0 && newest(bo, ".delta") > 0);
        free(ao), free(bo);
    }
}

/* The Delta log of a sink or a source table: versions with their checksums and sidecars, the
 * same actions in the same shapes. */
static void compare_delta(const char *live, const char *sim, const char *query_live,
                          const char *query_sim)
{
    char *ld = xasprintf("%s/_delta_log", live), *sd = xasprintf("%s/_delta_log", sim);
    assert_sidecars(ld);
    assert_sidecars(sd);
    const char *dirs[] = {ld, sd};
    const char *qids[] = {query_live, query_sim};
    char *commit[2], *crc[2], *first[2];
    for (int i = 0; i < 2; i++) {
        long long v = newest(dirs[i], ".json");
        assert_true(v >= 1);
        for (long long k = 0; k <= v; k++) { /* a version checksum beside every commit */
            char *p = xasprintf("%s/%020lld.crc", dirs[i], k);
            if (!exists(p))
                fail_msg("%s is missing", p);
            free(p);
        }
        char *p = xasprintf("%s/%020lld.json", dirs[i], v);
        commit[i] = slurp(p, NULL);
        free(p);
        p = xasprintf("%s/%020lld.crc", dirs[i], v);
        crc[i] = slurp(p, NULL);
        free(p);
        p = xasprintf("%s/%020d.json", dirs[i], 0);
        first[i] = slurp(p, NULL);
        free(p);
        if (qids[i]) { /* a streaming sink: the query's txn, STREAMING UPDATE with its id */
            char *txn = xasprintf("{\"txn\":{\"appId\":\"%s\",\"version\":", qids[i]);
            assert_non_null(strstr(commit[i], txn));
            free(txn);
            assert_non_null(strstr(commit[i], "\"operation\":\"STREAMING UPDATE\""));
        } else {
            assert_non_null(strstr(commit[i], "\"operation\":\"WRITE\""));
        }
    }
    /* action by action: commitInfo, metaData, protocol, txn, add in the order written */
    assert_same_line("newest Delta commit", ld, commit[0], sd, commit[1], 0);
    size_t la, lb;
    for (int line = 0; line < 4; line++) /* version 0: commitInfo, metaData, protocol, (txn) */
        assert_same_line("Delta version 0", ld, first[0], sd, first[1], line);
    (void)la, (void)lb;
    /* the version checksum: every key Delta writes except allFiles (only for small tables) */
    for (int i = 0; i < 2; i++) {
        cJSON *o = cJSON_Parse(crc[i]);
        assert_non_null(o);
        cJSON_DeleteItemFromObjectCaseSensitive(o, "allFiles");
        cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "setTransactions");
        assert_true(cJSON_IsArray(st));
        assert_int_equal(cJSON_GetArraySize(st), qids[i] ? 1 : 0);
        cJSON_DeleteItemFromObjectCaseSensitive(o, "setTransactions");
        char *text = cJSON_PrintUnformatted(o);
        free(crc[i]);
        crc[i] = skeleton(text, strlen(text));
        cJSON_free(text);
        cJSON_Delete(o);
    }
    assert_string_equal(crc[0], crc[1]);
    for (int i = 0; i < 2; i++)
        free(commit[i]), free(crc[i]), free(first[i]);
    free(ld);
    free(sd);
}

/* The last progress line: the same keys at the top, in durationMs, the source, the sink, the
 * state operators and eventTime; the source and sink described the same way. */
static void compare_progress(const char *live, const char *sim)
{
    const char *paths[] = {live, sim};
    cJSON *doc[2];
    for (int i = 0; i < 2; i++) {
        char *text = slurp(paths[i], NULL);
        size_t n = strlen(text);
        while (n && text[n - 1] == '\n')
            text[--n] = '\0';
        const char *last = strrchr(text, '\n');
        doc[i] = cJSON_Parse(last ? last + 1 : text);
        assert_non_null(doc[i]);
        free(text);
    }
    const char *parts[] = {NULL, "durationMs", "eventTime", "stateOperators", "sources", "sink"};
    for (size_t p = 0; p < sizeof parts / sizeof *parts; p++) {
        const cJSON *a = parts[p] ? cJSON_GetObjectItemCaseSensitive(doc[0], parts[p]) : doc[0];
        const cJSON *b = parts[p] ? cJSON_GetObjectItemCaseSensitive(doc[1], parts[p]) : doc[1];
        assert_int_equal(a != NULL, b != NULL);
        if (!a)
            continue;
        struct buf x, y;
        buf_init(&x);
        buf_init(&y);
        if (parts[p]) {
            skeleton_of(a, &x);
            skeleton_of(b, &y);
        } else { /* the top: keys only */
            for (const cJSON *c = a->child; c; c = c->next)
                buf_printf(&x, "%s,", c->string);
            for (const cJSON *c = b->child; c; c = c->next)
                buf_printf(&y, "%s,", c->string);
        }
        if (strcmp(buf_str(&x), buf_str(&y)) != 0)
            fail_msg("progress %s differs in shape:\n  live: %s\n  sim:  %s",
                     parts[p] ? parts[p] : "(top)", buf_str(&x), buf_str(&y));
        buf_done(&x);
        buf_done(&y);
    }
    const char *keys[] = {"sources", "sink"};
    for (int k = 0; k < 2; k++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(doc[0], keys[k]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(doc[1], keys[k]);
        if (cJSON_IsArray(a))
            a = a->child, b = b->child;
        const char *da = cJSON_GetObjectItemCaseSensitive(a, "description")->valuestring;
        const char *db = cJSON_GetObjectItemCaseSensitive(b, "description")->valuestring;
        size_t n = strcspn(da, "[");
        assert_int_equal(n, strcspn(db, "["));
        assert_int_equal(strncmp(da, db, n), 0); /* FileStreamSource[, KafkaV2[, DeltaSink[ */
    }
    cJSON_Delete(doc[0]);
    cJSON_Delete(doc[1]);
}

static void test_parity(void **unused)
{
    (void)unused;
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const struct pcase *c = &cases[k];
        fprintf(stderr, "# %s\n", c->live);
        char *dir = scratch_dir("parity");
        struct sim_opts o = {.dir = dir,
                             .streams = 1,
                             .batches = 40,
                             .files_per_batch = 2,
                             .trigger_ms = 10000,
                             .seed = 11,
                             .kind = c->kind};
        struct st_err err;
        struct sim *sim = sim_create(&o, &err);
        if (!sim)
            fail_msg("%s", err.msg);
        sim_free(sim);
        char *ini = xasprintf("%s/streamtop.ini", dir);
        struct config *cfg = config_load(ini, &err);
        if (!cfg)
            fail_msg("%s", err.msg);
        const struct cfg_stream *sc = &cfg->streams[0];
        /* the simulator configures what the live scenario has: a sink, a source table */
        assert_int_equal(sc->sink != NULL, c->sink != NULL);
        if (c->source_table)
            assert_non_null(sc->source);
        struct tree live = {
            .ckpt = xasprintf(LIVE "/%s/checkpoint", c->live),
            .sink = c->sink ? xasprintf(LIVE "/%s/%s", c->live, c->sink) : NULL,
            .source = c->source_table ? xasprintf(LIVE "/%s/%s", c->live, c->source_table) : NULL,
            .progress = xasprintf(LIVE "/%s/progress.jsonl", c->live),
        };
        /* the live landing folders are gone, so the file kind's landing is left out on both */
        struct tree simt = {
            .ckpt = xstrdup(sc->checkpoint),
            .sink = sc->sink ? xstrdup(sc->sink) : NULL,
            .source = c->source_table ? xstrdup(sc->source) : NULL,
            .progress = xstrdup(sc->progress),
        };
        struct snapshot *ls, *ss;
        struct snap_stream *a = pass(&live, &ls), *b = pass(&simt, &ss);
        assert_int_equal(a->errors.n, 0);
        assert_int_equal(b->errors.n, 0);
        assert_int_equal(a->nsources, 1);
        assert_int_equal(b->nsources, 1);
        assert_int_equal(a->sources[0].kind, c->src);
        assert_int_equal(b->sources[0].kind, c->src);
        assert_int_equal(a->sources[0].initial_offset != NULL,
                         b->sources[0].initial_offset != NULL);
        for (int m = 0; m < METRIC_COUNT; m++) {
            if (isnan(a->metrics[m]) != isnan(b->metrics[m]))
                fail_msg("%s: %s is %s live but %s simulated", c->live, metric_defs[m].name,
                         isnan(a->metrics[m]) ? "not measurable" : "measurable",
                         isnan(b->metrics[m]) ? "not measurable" : "measurable");
        }
        compare_checkpoints(c, live.ckpt, simt.ckpt);
        if (c->sink)
            compare_delta(live.sink, simt.sink, a->query_id, b->query_id);
        if (c->source_table)
            compare_delta(live.source, simt.source, NULL, NULL);
        compare_progress(live.progress, simt.progress);
        snapshot_free(ls);
        snapshot_free(ss);
        tree_done(&live);
        tree_done(&simt);
        config_free(cfg);
        free(ini);
        free(dir);
    }
}

int main(void)
{
    clock_fix(NOW_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parity),
    };
    return cmocka_run_group_tests_name("parity", tests, NULL, NULL);
}
