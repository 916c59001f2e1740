/* The pass layer: one pass collects, records history and cursors at one point, evaluates the
 * rules read-only or for real, and delivers; a stop ends it before evaluation. Runs over a
 * simulated pipeline with a state DB file in a scratch folder. */
#include "testutil.h"

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
        cmocka_unit_test(test_evaluate_and_notify),
        cmocka_unit_test(test_missing_db),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
