/* The simulator writes Spark's formats: the same collector reads a simulated tree and a real
 * one and gets the same kind of answers, and the files have the real files' shape. */
#include "testutil.h"

#include <dirent.h>
#include <math.h>

#include "collectors/collector.h"
#include "core/clock.h"
#include "sim/sim.h"

#define NOW_MS 1795341600000LL

static bool is_uuid(const char *s)
{
    if (!s || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-'
                                                      : !strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

static struct snapshot *collect(const char *ckpt)
{
    struct cfg_stream cfg = {0};
    cfg.name = (char *)"s";
    cfg.checkpoint = (char *)ckpt;
    struct snapshot *snap = snapshot_new(NOW_MS);
    struct snap_stream *st = snapshot_add_stream(snap, "s");
    void *state = checkpoint_collector.state_new();
    checkpoint_collector.collect(&cfg, state, st, NOW_MS);
    checkpoint_collector.state_free(state);
    return snap;
}

static char *slurp(char *path) /* takes and frees path */
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    char *buf = xcalloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    free(path);
    return buf;
}

/* The shape of a file: its text with every digit run replaced by "9" and every uuid/path value
 * kept only as its key, so files written at other times compare equal. */
static void shape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (*r >= '0' && *r <= '9') {
            while (*r >= '0' && *r <= '9')
                r++;
            *w++ = '9';
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void test_same_answers_as_real(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("sim");
    struct sim_opts o = {.dir = dir,
                         .streams = 4,
                         .batches = 150,
                         .files_per_batch = 2,
                         .trigger_ms = 10000,
                         .seed = 7};
    struct st_err err;
    struct sim *sim = sim_create(&o, &err);
    if (!sim)
        fail_msg("%s", err.msg);
    sim_free(sim);
    static const char *const names[] = {"orders", "clicks", "payments", "devices"};
    for (int i = 0; i < 4; i++) {
        char *ckpt = xasprintf("%s/checkpoints/%s", dir, names[i]);
        struct snapshot *snap = collect(ckpt);
        const struct snap_stream *st = &snap->streams[0];
        if (st->errors.n || st->warnings.n)
            fail_msg("%s: %s", names[i], st->errors.n ? st->errors.v[0] : st->warnings.v[0]);
        assert_true(is_uuid(st->query_id));
        assert_int_equal(st->nsources, 1);
        assert_int_equal(st->sources[0].kind, SRC_FILE);
        assert_true(st->metrics[M_LAST_BATCH_ID] >= st->metrics[M_COMMITTED_BATCH_ID]);
        if (i == 2) /* stalled: in flight for minutes */
            assert_true(st->metrics[M_INFLIGHT_SECONDS] > 300);
        else
            assert_true(st->metrics[M_INFLIGHT_SECONDS] < 10);
        if (i != 2)
            assert_true(st->metrics[M_BATCH_INTERVAL_SECONDS] == 10);
        /* retention: at most 101 offsets files; batch 0 is gone once more than 100 ran */
        char *offdir = xasprintf("%s/offsets", ckpt);
        DIR *d = opendir(offdir);
        assert_non_null(d);
        size_t nfiles = 0;
        for (struct dirent *de; (de = readdir(d));)
            nfiles += de->d_name[0] != '.';
        closedir(d);
        assert_true(nfiles <= 101);
        char *first = xasprintf("%s/0", offdir);
        if (st->metrics[M_LAST_BATCH_ID] > 100)
            assert_int_equal(access(first, F_OK), -1);
        free(first);
        free(offdir);
        snapshot_free(snap);
        free(ckpt);
    }

    const char *fx = fixtures_dir();
    if (fx) {
        char *real =
            xasprintf("%s/user-checkpoints/stephanschweitzer-filesource-compacted-95-194", fx);
        struct snapshot *snap = collect(real);
        const struct snap_stream *st = &snap->streams[0];
        assert_int_equal(st->errors.n, 0);
        assert_true(is_uuid(st->query_id));
        assert_int_equal(st->sources[0].kind, SRC_FILE);
        assert_true(st->metrics[M_LAST_BATCH_ID] > st->metrics[M_COMMITTED_BATCH_ID]);
        snapshot_free(snap);

        /* byte shapes: offsets (no trailing newline), commits, file-source log */
        char *ro = slurp(xasprintf("%s/offsets/194", real));
        char *so = slurp(xasprintf("%s/checkpoints/orders/offsets/140", dir));
        assert_int_not_equal(ro[strlen(ro) - 1], '\n');
        assert_int_not_equal(so[strlen(so) - 1], '\n');
        assert_true(strncmp(so, "v1\n{\"batchWatermarkMs\":", 23) == 0);
        assert_true(strncmp(ro, "v1\n{\"batchWatermarkMs\":", 23) == 0);
        shape(strrchr(ro, '\n'));
        shape(strrchr(so, '\n'));
        assert_string_equal(strrchr(ro, '\n'), strrchr(so, '\n')); /* {"logOffset":9} */
        char *rs = slurp(xasprintf("%s/sources/0/194", real));
        char *ss = slurp(xasprintf("%s/checkpoints/orders/sources/0/140", dir));
        char *rl = strchr(rs, '\n') + 1, *sl = strchr(ss, '\n') + 1;
        /* same keys in the same order: path, timestamp, batchId */
        assert_true(strncmp(rl, "{\"path\":\"file:", 14) == 0);
        assert_true(strncmp(sl, "{\"path\":\"file:", 14) == 0);
        assert_non_null(strstr(rl, "\",\"timestamp\":"));
        assert_non_null(strstr(sl, "\",\"timestamp\":"));
        assert_non_null(strstr(sl, ",\"batchId\":140}"));
        char *rc = slurp(xasprintf("%s/commits/193", real));
        char *sc = slurp(xasprintf("%s/checkpoints/orders/commits/140", dir));
        shape(rc);
        shape(sc);
        assert_string_equal(rc, sc);
        free(real);
        free(ro);
        free(so);
        free(rs);
        free(ss);
        free(rc);
        free(sc);
    }

    /* file-source log compaction: N.compact where (N+1) % 10 == 0 holds every earlier entry */
    char *c = slurp(xasprintf("%s/checkpoints/orders/sources/0/139.compact", dir));
    assert_non_null(strstr(c, ",\"batchId\":0}") ? c : strstr(c, ",\"batchId\":"));
    assert_non_null(strstr(c, ",\"batchId\":139}"));
    free(c);
    /* the config it wrote parses and names every stream */
    char *ini = xasprintf("%s/streamtop.ini", dir);
    struct config *cfg = config_load(ini, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    assert_int_equal(cfg->nstreams, 4);
    assert_int_equal(cfg->streams[0].trigger_ms, 10000);
    config_free(cfg);
    free(ini);
    free(dir);
}

static void test_live_advance(void **unused)
{
    (void)unused;
    char *dir = scratch_dir("simlive");
    struct sim_opts o = {.dir = dir, .streams = 2, .batches = 20};
    struct st_err err;
    clock_fix(NOW_MS);
    struct sim *sim = sim_create(&o, &err);
    assert_non_null(sim);
    char *ckpt = xasprintf("%s/checkpoints/orders", dir);
    struct snapshot *before = collect(ckpt);
    clock_fix(NOW_MS + 60000); /* a minute later: six more triggers */
    assert_int_equal(sim_advance(sim, &err), 0);
    struct snapshot *after = collect(ckpt);
    assert_true(after->streams[0].metrics[M_LAST_BATCH_ID] >=
                before->streams[0].metrics[M_LAST_BATCH_ID] + 5);
    snapshot_free(before);
    snapshot_free(after);
    sim_free(sim);
    clock_fix(NOW_MS);
    free(ckpt);
    free(dir);
}

int main(void)
{
    clock_fix(NOW_MS);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_answers_as_real),
        cmocka_unit_test(test_live_advance),
    };
    return cmocka_run_group_tests_name("simulator", tests, NULL, NULL);
}
