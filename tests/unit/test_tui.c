/* Headless render tests: each view drawn from a fixed model into an off-screen terminal (newterm
 * on /dev/null, as tig does) at 80x24 and 200x50, compared with golden text in tests/golden/
 * (STREAMTOP_GOLDEN_UPDATE=1 rewrites them). Hostile names stay inert; filtering and sorting. */
#include "testutil.h"

#include <curses.h>
#include <math.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "tui/model.h"
#include "tui/view.h"

#define NOW 1795440000000LL

static struct snapshot *fixture(void)
{
    struct snapshot *snap = snapshot_new(NOW);
    static const struct {
        const char *name;
        enum health h;
        double batch, cage, backlog, bage, dlq, dnew, schema, sage;
    } rows[] = {
        {"orders", HEALTH_OK, 4123, 8, 0, 0, 0, 0, 2, 86400},
        {"clicks", HEALTH_WARNING, 991, 12, 1342, 905, 3, 0, 0, 9000},
        {"payments", HEALTH_CRITICAL, 77, 1320, 34, 1300, NAN, NAN, NAN, NAN},
        {"evil\x1b[2J\x1b]0;pwned\x07name", HEALTH_UNKNOWN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN},
        {"devices", HEALTH_OK, 12, 4, 2, 3, 17, 5, 3, 120},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct snap_stream *st = snapshot_add_stream(snap, rows[i].name);
        st->status = rows[i].h;
        snap_stream_add_label(st, "team", i % 2 ? "growth" : "payments");
        double *m = st->metrics;
        m[M_LAST_BATCH_ID] = rows[i].batch;
        m[M_COMMITTED_BATCH_ID] = rows[i].batch - 1;
        m[M_COMMIT_AGE_SECONDS] = rows[i].cage;
        m[M_INFLIGHT_SECONDS] = isnan(rows[i].cage) ? NAN : 2;
        m[M_BACKLOG_FILES] = rows[i].backlog;
        m[M_BACKLOG_BYTES] = rows[i].backlog * 2048;
        m[M_BACKLOG_AGE_SECONDS] = rows[i].bage;
        m[M_INPUT_ROWS_PER_SECOND] = isnan(rows[i].cage) ? NAN : 1200.5;
        m[M_PROCESSED_ROWS_PER_SECOND] = isnan(rows[i].cage) ? NAN : 1180;
        m[M_BATCH_DURATION_SECONDS] = isnan(rows[i].cage) ? NAN : 4.2;
        m[M_DEADLETTER_FILES] = rows[i].dlq;
        m[M_DEADLETTER_NEW_FILES] = rows[i].dnew;
        m[M_SCHEMA_VERSION] = rows[i].schema;
        m[M_SCHEMA_AGE_SECONDS] = rows[i].sage;
        st->origin[M_LAST_BATCH_ID] = ORIGIN_CHECKPOINT;
        if (rows[i].h == HEALTH_UNKNOWN)
            strvec_push(&st->errors, "checkpoint /x/\x1b[31mred: No such file or directory");
        if (rows[i].h == HEALTH_CRITICAL) {
            snap_stream_add_alert(st, "builtin:stalled", "> 5m00s", HEALTH_CRITICAL, true, false,
                                  NOW - 600000, 1320);
            /* its Kafka partitions as the brokers answered: lagging, caught up, new, lost */
            st->kafka.bootstrap = xstrdup("broker1:9092,broker2:9092");
            st->kafka.planned_lag = 40;
            static const struct {
                const char *topic;
                int part;
                double pos, end, lag, lost;
                int64_t oldest;
                bool is_new;
            } kp[] = {{"payments", 0, 1200345, 1200360, 15, 0, NOW - 95000, false},
                      {"payments", 1, 1199000, 1199000, 0, 0, -1, false},
                      {"payments-eu", 0, NAN, 25, 25, 0, NOW - 30000, true},
                      {"refunds\x1b[31m", 3, 10, 900, 700, 190, NOW - 7200000, false}};
            for (size_t k = 0; k < sizeof kp / sizeof kp[0]; k++) {
                struct snap_kpart *p = snap_stream_add_kpart(st, kp[k].topic, kp[k].part);
                p->position = kp[k].pos;
                p->end = kp[k].end;
                p->lag = kp[k].lag;
                p->lost = kp[k].lost;
                p->oldest_ms = kp[k].oldest;
                p->is_new = kp[k].is_new;
            }
            st->kafka.parts[3].error = xstrdup("reading offset 10: Broker: Offset out of range");
            m[M_BACKLOG_RECORDS] = 740;
            snap_stream_sanitize(st);
        }
        if (rows[i].h == HEALTH_WARNING)
            snap_stream_add_alert(st, "backlog-old", "> 600", HEALTH_WARNING, true, true,
                                  NOW - 120000, 905);
    }
    return snap;
}

static struct tui_spark *spark_fixture(size_t n)
{
    struct tui_spark *sp = xcalloc(n, sizeof *sp);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < SPARK_POINTS; k++)
            for (int mk = 0; mk < SPARK_METRICS; mk++)
                sp[i].v[mk][k] = k < 30 ? NAN : (double)((k * (int)(i + 1 + mk)) % 17);
    return sp;
}

static char *screen_text(int rows, int cols)
{
    struct buf b;
    buf_init(&b);
    char *line = xmalloc((size_t)cols + 1);
    for (int y = 0; y < rows; y++) {
        mvinnstr(y, 0, line, cols);
        line[cols] = '\0';
        size_t n = strlen(line);
        while (n && line[n - 1] == ' ')
            line[--n] = '\0';
        buf_printf(&b, "%s\n", line);
    }
    free(line);
    return buf_steal(&b);
}

static SCREEN *scr;
static FILE *out, *in;

static int setup(void **state)
{
    (void)state;
    setenv("TERM", "xterm", 1);
    out = fopen("/dev/null", "w");
    in = fopen("/dev/null", "r");
    scr = newterm("xterm", out, in);
    return scr ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
    return 0;
}

static void draw(struct tui_model *m, int rows, int cols, const char *golden_name)
{
    resizeterm(rows, cols);
    view_draw(m, rows, cols);
    char *text = screen_text(rows, cols);
    assert_null(strchr(text, '\x1b')); /* nothing from storage reaches the terminal raw */
    golden_check(golden_name, text);
    free(text);
}

static void test_views(void **unused)
{
    (void)unused;
    struct tui_model m;
    model_init(&m);
    m.refresh_ms = 2000;
    m.now_ms = NOW + 1000;
    m.db = "/var/lib/streamtop/history.db";
    struct snapshot *snap = fixture();
    struct notification *notes = xcalloc(2, sizeof *notes);
    notes[0] = (struct notification){xstrdup("payments"),
                                     xstrdup("builtin:stalled"),
                                     xstrdup("pager"),
                                     xstrdup("firing"),
                                     NULL,
                                     NOW - 590000,
                                     NOW - 589000,
                                     202,
                                     1};
    notes[1] = (struct notification){xstrdup("clicks"),
                                     xstrdup("backlog-old"),
                                     xstrdup("slack"),
                                     xstrdup("firing"),
                                     xstrdup("HTTP 503"),
                                     NOW - 100000,
                                     -1,
                                     503,
                                     3};
    struct strvec *schemas = xcalloc(snap->nstreams, sizeof *schemas);
    for (size_t i = 0; i < snap->nstreams; i++)
        strvec_init(&schemas[i]);
    strvec_push(&schemas[0], "location version 2: appeared 2026-11-22T10:00:00, first seen ...");
    strvec_push(&schemas[0], "    + discount: double");
    struct tui_frame f = {snap, spark_fixture(snap->nstreams), notes, 2, schemas, snap->nstreams};
    model_take(&m, &f);
    draw(&m, 24, 80, "tui-streams-80x24.txt");
    draw(&m, 50, 200, "tui-streams-200x50.txt");
    model_move(&m, 1, 20); /* the second row by status: the unreadable one */
    m.view = V_DETAIL;
    draw(&m, 24, 80, "tui-detail-80x24.txt");
    model_move(&m, -1, 20); /* the critical one, with a notification */
    draw(&m, 50, 200, "tui-detail-200x50.txt");
    m.detail_scroll = 40; /* its Kafka partitions, the most lagging first */
    draw(&m, 50, 200, "tui-detail-kafka-200x50.txt");
    m.view = V_ALERTS;
    m.detail_scroll = 0;
    draw(&m, 24, 80, "tui-alerts-80x24.txt");
    draw(&m, 50, 200, "tui-alerts-200x50.txt");
    m.view = V_HELP;
    draw(&m, 24, 80, "tui-help-80x24.txt");
    model_done(&m);
}

static void test_filter_and_sort(void **unused)
{
    (void)unused;
    struct tui_model m;
    model_init(&m);
    struct tui_frame f = {.snap = fixture()};
    model_take(&m, &f);
    assert_int_equal(m.norder, 5);
    /* by status: critical, unknown, warning, then ok by name */
    assert_string_equal(m.frame.snap->streams[m.order[0]].name, "payments");
    assert_string_equal(m.frame.snap->streams[m.order[2]].name, "clicks");
    assert_string_equal(m.frame.snap->streams[m.order[3]].name, "devices");
    snprintf(m.filter, sizeof m.filter, "growth"); /* a label */
    model_apply(&m);
    assert_int_equal(m.norder, 2);
    snprintf(m.filter, sizeof m.filter, "ord");
    model_apply(&m);
    assert_int_equal(m.norder, 1);
    m.filter[0] = '\0';
    m.sort = SORT_BACKLOG;
    model_apply(&m);
    assert_string_equal(m.frame.snap->streams[m.order[0]].name, "clicks");
    m.reverse = true;
    model_apply(&m);
    assert_string_equal(m.frame.snap->streams[m.order[4]].name, "clicks");
    /* a new snapshot keeps the selected stream selected */
    m.reverse = false;
    m.sort = SORT_NAME;
    model_apply(&m);
    model_move(&m, 3, 10);
    const char *sel = model_selected(&m)->name;
    char keep[64];
    snprintf(keep, sizeof keep, "%s", sel);
    f = (struct tui_frame){.snap = fixture()};
    model_take(&m, &f);
    assert_string_equal(model_selected(&m)->name, keep);
    model_done(&m);
}

/* Sparkline history from storage may hold infinities (1e308 + 1e308) and negative values: each
 * cell is still one of the eight levels (once: a cast of NaN to int, and a negative index). */
static void test_sparklines_hostile_values(void **unused)
{
    (void)unused;
    static const double hostile[] = {INFINITY, -INFINITY, -5, 1e308, -1e308, 0, 3, NAN};
    struct tui_model m;
    model_init(&m);
    m.now_ms = NOW + 1000;
    struct snapshot *snap = fixture();
    struct tui_spark *sp = spark_fixture(snap->nstreams);
    for (size_t i = 0; i < snap->nstreams; i++)
        for (int k = 0; k < SPARK_POINTS; k++)
            for (int mk = 0; mk < SPARK_METRICS; mk++)
                sp[i].v[mk][k] = hostile[(size_t)(k + mk + (int)i) % 8];
    struct tui_frame f = {.snap = snap, .spark = sp};
    model_take(&m, &f);
    for (int utf8 = 0; utf8 < 2; utf8++) {
        m.utf8 = utf8;
        m.view = V_STREAMS;
        resizeterm(50, 200);
        view_draw(&m, 50, 200);
        m.view = V_DETAIL;
        view_draw(&m, 50, 200);
        char *text = screen_text(50, 200);
        if (!utf8) /* the screen text is read back as single bytes: check the ASCII blocks */
            assert_non_null(strstr(text, "@______ @")); /* the infinities at the top */
        free(text);
    }
    model_done(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views),
        cmocka_unit_test(test_filter_and_sort),
        cmocka_unit_test(test_sparklines_hostile_values),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
