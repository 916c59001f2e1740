/* The pass layer: one pass collects, records history and cursors at one point, evaluates the
 * rules read-only or for real, and delivers; a stop ends it before evaluation. Runs over a
 * simulated pipeline with a state DB file in a scratch folder. */
#include "testutil.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/stop.h"
#include "pass/pass.h"
#include "sim/sim.h"

static struct config *pipeline(const char *tag, const char *extra)
{
    char *dir = scratch_dir(tag);
    struct sim_opts so = {.dir = dir, .streams = 2, .batches = 20, .seed = 3};
    struct st_err err;
    struct sim *sim = sim_create(&so, &err);
    if (!sim)
        fail_msg("%s", err.msg);
    sim_free(sim);
    char *ini = xasprintf("%s/streamtop.ini", dir);
    if (extra) {
        FILE *f = fopen(ini, "a");
        assert_non_null(f);
        fputs(extra, f);
        fclose(f);
    }
    struct config *cfg = config_load(ini, &err);
    if (!cfg)
        fail_msg("%s", err.msg);
    free(cfg->database);
    cfg->database = xasprintf("%s/history.db", dir);
    free(ini);
    free(dir);
    return cfg;
}

static const struct snap_stream *stream(const struct snapshot *s, const char *name)
{
    const struct snap_stream *st = snapshot_find(s, name);
    assert_non_null(st);
    return st;
}

/* History and cursors are written by every pass, whatever the front end: a second process
 * finds the series and reads only what is new. */
static void test_records_history_and_cursors(void **unused)
{
    (void)unused;
    struct config *cfg = pipeline("pass-rec", NULL);
    struct st_err err;
    struct pass *p = pass_new(cfg, true, &err);
    assert_non_null(p);
    assert_string_equal(pass_db_problem(p), "");
    struct snapshot *snap;
    struct pass_report rep;
    assert_int_equal(pass_run(p, 0, &snap, &rep, &err), 0);
    assert_false(rep.stopped);
    assert_false(rep.evaluated);
    uint64_t first_read = stream(snap, "clicks")->bytes_read;
    assert_true(first_read > 0);
    int64_t at = snap->generated_ms;
    snapshot_free(snap);
    pass_report_done(&rep);
    pass_free(p);

    p = pass_new(cfg, true, &err);
    struct sample *s;
    size_t n;
    assert_int_equal(pass_series(p, "clicks", "last_batch_id", at - 1, &s, &n), 0);
    assert_int_equal(n, 1);
    assert_true(s[0].value >= 19);
    free(s);
    assert_int_equal(pass_run(p, 0, &snap, &rep, &err), 0);
    /* the cursors of the first process: the file-source log is not read again */
    assert_true(stream(snap, "clicks")->bytes_read < first_read);
    snapshot_free(snap);
    pass_report_done(&rep);
    pass_free(p);
    config_free(cfg);
}

/* Each cursor row of db: "stream/collector" -> "updated_ms data-hex", one line each, sorted. */
static char *cursor_rows(const char *db)
{
    char *cmd = xasprintf("sqlite3 '%s' \"SELECT stream || '/' || collector, updated_ms, hex(data)"
                          " FROM cursors ORDER BY 1\"",
                          db);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    struct buf b;
    buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    assert_int_equal(pclose(f), 0);
    free(cmd);
    return buf_steal(&b);
}

/* A new process loads every cursor at its first pass: what it found unchanged is not written
 * back (its updated_ms stays), what changed is; the second process reads only what is new. */
static void test_first_pass_loads_cursors_once(void **unused)
{
    (void)unused;
    struct config *cfg = pipeline("pass-load", NULL);
    struct st_err err;
    struct snapshot *snap;
    struct pass_report rep;
    char *rows[2];
    uint64_t read[2];
    for (int k = 0; k < 2; k++) {
        clock_fix(1900000000000LL + k * 60000);
        struct pass *p = pass_new(cfg, true, &err);
        assert_non_null(p);
        assert_int_equal(pass_run(p, 0, &snap, &rep, &err), 0);
        read[k] = stream(snap, "clicks")->bytes_read;
        snapshot_free(snap);
        pass_report_done(&rep);
        pass_free(p);
        rows[k] = cursor_rows(cfg->database);
    }
    clock_fix(0);
    assert_true(read[1] < read[0]);
    /* line by line: the same data keeps the first time; changed data has the second */
    size_t same = 0, lines = 0;
    char *save0, *save1;
    char *a = strtok_r(rows[0], "\n", &save0), *b = strtok_r(rows[1], "\n", &save1);
    for (; a && b; a = strtok_r(NULL, "\n", &save0), b = strtok_r(NULL, "\n", &save1)) {
        char *ta = strchr(a, '|'), *tb = strchr(b, '|');
        assert_non_null(ta);
        assert_non_null(tb);
        assert_memory_equal(a, b, (size_t)(ta - a) + 1); /* the same stream/collector */
        char *da = strchr(ta + 1, '|'), *db = strchr(tb + 1, '|');
        bool unchanged = strcmp(da, db) == 0;
        if (unchanged && strncmp(ta, tb, (size_t)(da - ta)) != 0)
            fail_msg("%.*s: written again with the same data", (int)(ta - a), a);
        same += unchanged;
        lines++;
    }
    assert_null(a);
    assert_null(b);
    assert_true(lines >= 8);
    assert_true(same >= 4);
    free(rows[0]);
    free(rows[1]);
    config_free(cfg);
}

/* Evaluation without PASS_NOTIFY is read-only: alerts and statuses in the snapshot, nothing
 * queued; with it, the notification is queued and its failed delivery reported. */
static void test_evaluate_and_notify(void **unused)
{
    (void)unused;
    struct config *cfg = pipeline("pass-eval", "\n[rule waiting]\nmetric = backlog_files\n"
                                               "warn = > 0\nnotify = hook\n"
                                               "[webhook hook]\nurl = http://127.0.0.1:1/\n"
                                               "timeout = 1s\n");
    struct st_err err;
    struct pass *p = pass_new(cfg, true, &err);
    assert_non_null(p);
    struct snapshot *snap;
    struct pass_report rep;
    assert_int_equal(pass_run(p, PASS_EVALUATE, &snap, &rep, &err), 0);
    assert_true(rep.evaluated);
    const struct snap_stream *c = stream(snap, "clicks");
    assert_int_equal(c->status, HEALTH_WARNING);
    assert_int_equal(c->nalerts, 1);
    assert_string_equal(c->alerts[0].rule, "waiting");
    snapshot_free(snap);
    pass_report_done(&rep);
    struct notification *notes;
    size_t nnotes;
    pass_notes(p, NULL, 10, &notes, &nnotes);
    assert_int_equal(nnotes, 0); /* read-only: nothing queued */
    notifications_free(notes, nnotes);

    assert_int_equal(pass_run(p, PASS_EVALUATE | PASS_NOTIFY, &snap, &rep, &err), 0);
    assert_int_equal(rep.delivered, 0);
    assert_int_equal(rep.pending, 1); /* the receiver refused: kept for a retry */
    assert_int_equal(rep.problems.n, 1);
    assert_non_null(strstr(rep.problems.v[0], "webhook hook"));
    snapshot_free(snap);
    pass_report_done(&rep);
    pass_notes(p, "clicks", 10, &notes, &nnotes);
    assert_int_equal(nnotes, 1);
    assert_string_equal(notes[0].rule, "waiting");
    assert_string_equal(notes[0].webhook, "hook");
    assert_int_equal(notes[0].done_ms, -1);
    notifications_free(notes, nnotes);
    pass_free(p);
    config_free(cfg);
}

/* A state DB that cannot be opened: fatal when the front end needs it, else passes go on
 * without history and say why. */
static void test_missing_db(void **unused)
{
    (void)unused;
    struct config *cfg = pipeline("pass-nodb", NULL);
    free(cfg->database);
    cfg->database = xstrdup("/proc/streamtop-no/such.db");
    struct st_err err;
    assert_null(pass_new(cfg, true, &err));
    assert_non_null(strstr(err.msg, "/proc/streamtop-no/such.db"));
    struct pass *p = pass_new(cfg, false, &err);
    assert_non_null(p);
    assert_non_null(strstr(pass_db_problem(p), "/proc/streamtop-no/such.db"));
    struct snapshot *snap;
    struct pass_report rep;
    assert_int_equal(pass_run(p, PASS_EVALUATE | PASS_NOTIFY, &snap, &rep, &err), 0);
    assert_int_equal(snap->nstreams, 2);
    assert_false(rep.evaluated);
    struct sample *s;
    size_t n;
    assert_int_equal(pass_series(p, "clicks", "last_batch_id", 0, &s, &n), -1);
    snapshot_free(snap);
    pass_report_done(&rep);
    pass_free(p);
    config_free(cfg);
}

/* Last: the stop flag is set once per process. A stopped pass is neither evaluated nor
 * delivered, and its streams say so. */
static void test_stop(void **unused)
{
    (void)unused;
    struct config *cfg = pipeline("pass-stop", NULL);
    struct st_err err;
    struct pass *p = pass_new(cfg, true, &err);
    stop_request();
    struct snapshot *snap;
    struct pass_report rep;
    assert_int_equal(pass_run(p, PASS_EVALUATE | PASS_NOTIFY, &snap, &rep, &err), 0);
    assert_true(rep.stopped);
    assert_false(rep.evaluated);
    assert_int_equal(stream(snap, "orders")->status, HEALTH_UNKNOWN);
    snapshot_free(snap);
    pass_report_done(&rep);
    pass_free(p);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records_history_and_cursors),
        cmocka_unit_test(test_first_pass_loads_cursors_once),
        cmocka_unit_test(test_evaluate_and_notify),
        cmocka_unit_test(test_missing_db),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
