/* Headless render tests: each view drawn from a fixed model into an off-screen terminal (newterm
 * on /dev/null, as tig does) at 80x24 and 200x50, compared with golden text in tests/golden/
 * (STREAMTOP_GOLDEN_UPDATE=1 rewrites them). Hostile names stay inert; filtering and sorting. */
#include "testutil.h"

#include <curses.h>
#include <math.h>
#include <time.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "tui/format.h"
#include "tui/keymap.h"
#include "tui/lines.h"
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
        if (rows[i].h == HEALTH_UNKNOWN) {
            strvec_push(&st->errors, "checkpoint /x/\x1b[31mred: No such file or directory");
            /* longer than 80 columns: the detail wraps it under itself, its end on screen */
            strvec_push(&st->errors, "progress /var/log/spark/pipelines/orders_eu_2024/driver/"
                                     "orders-progress.jsonl: line 12: unexpected character "
                                     "after the JSON value (END-OF-ERROR)");
        }
        if (rows[i].h == HEALTH_CRITICAL)
            st->realtime_ms = 300000; /* in real-time mode, as its batches show */
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
    setenv("TZ", "UTC", 1); /* the header's clock and the detail's times */
    tzset();
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
    m.view = V_LEGEND;
    draw(&m, 24, 80, "tui-legend-80x24.txt");
    m.view = V_STREAMS;
    m.depth = 0;
    model_open(&m, V_SORT);
    draw(&m, 24, 80, "tui-sort-80x24.txt");
    model_back(&m);
    model_open(&m, V_COLUMNS);
    model_toggle_column(&m, COL_COMMIT_AGE);
    draw(&m, 24, 80, "tui-columns-80x24.txt");
    model_done(&m);
}

/* Columns a screen line takes (UTF-8 continuation bytes take none). */
static int line_cols(const char *s, size_t n)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* At 60 columns every view still fits: no line is cut by the terminal's edge (each is drawn
 * within the width), the status line keeps help and quit, the header its time zone. */
static void test_narrow(void **unused)
{
    (void)unused;
    struct tui_model m;
    model_init(&m);
    m.refresh_ms = 2000;
    m.now_ms = NOW + 1000;
    struct tui_frame f = {.snap = fixture()};
    model_take(&m, &f);
    static const enum tui_view views[] = {V_STREAMS, V_DETAIL, V_ALERTS, V_HELP,
                                          V_LEGEND,  V_SORT,   V_COLUMNS};
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
        m.view = views[v];
        resizeterm(24, 60);
        view_draw(&m, 24, 60);
        char *text = screen_text(24, 60);
        for (const char *l = text; *l;) {
            const char *e = strchr(l, '\n');
            assert_true(line_cols(l, (size_t)(e - l)) <= 60);
            l = e + 1;
        }
        char *last = text + strlen(text) - 1;
        while (last > text && last[-1] != '\n')
            last--;
        assert_non_null(strstr(last, "q "));
        assert_non_null(strstr(text, "13:20:00 UTC"));
        if (views[v] == V_STREAMS)
            assert_non_null(strstr(last, "F1 help"));
        free(text);
    }
    model_done(&m);
}

/* Two names that differ only at the end stay apart when the name column is narrower than
 * them: the middle is cut, not the end. */
static void test_names_cut_in_the_middle(void **unused)
{
    (void)unused;
    struct tui_model m;
    model_init(&m);
    m.now_ms = NOW;
    struct snapshot *snap = snapshot_new(NOW);
    for (int y = 2023; y <= 2024; y++) {
        char name[64];
        snprintf(name, sizeof name, "orders_eu_%d_backfill_hourly_v2", y);
        struct snap_stream *st = snapshot_add_stream(snap, name);
        snap_stream_add_alert(st, "builtin:deadletter-growing", "new dead letters", HEALTH_WARNING,
                              true, false, NOW - 65000, 3);
    }
    struct tui_frame f = {.snap = snap};
    model_take(&m, &f);
    resizeterm(24, 80);
    view_draw(&m, 24, 80);
    char *text = screen_text(24, 80);
    /* an even cut would show both as "orders_eu_202..fill_hourly_v2" */
    assert_non_null(strstr(text, "orders_eu_2023..ill_hourly_v2"));
    assert_non_null(strstr(text, "orders_eu_2024..ill_hourly_v2"));
    free(text);
    m.view = V_ALERTS; /* at 60 columns: the names apart, the age and value still there */
    resizeterm(24, 60);
    view_draw(&m, 24, 60);
    text = screen_text(24, 60);
    assert_non_null(strstr(text, "ord..u_2023.. "));
    assert_non_null(strstr(text, "ord..u_2024.. "));
    assert_non_null(strstr(text, "1m ago        3\n"));
    char a[64], b[64];
    assert_string_equal(tui_fit_middle("orders_eu_2023", 10, false, a, sizeof a), "orde..2023");
    assert_string_equal(tui_fit_middle("orders_eu_2024", 10, true, b, sizeof b),
                        "orde\xe2\x80\xa6_2024");
    assert_string_equal(tui_fit_middle("short", 10, true, b, sizeof b), "short");
    static const char *const names[] = {"orders_eu_2023_backfill", "orders_eu_2024_backfill",
                                        "clicks"};
    int head[3], tail[3];
    tui_distinct_ends(names, 3, head, tail);
    assert_int_equal(head[0], 14);
    assert_int_equal(tail[0], 10);
    assert_int_equal(head[2], 1);
    assert_string_equal(tui_fit_apart(names[0], 16, true, head[0], tail[0], a, sizeof a),
                        "order\xe2\x80\xa6"
                        "3_backfill");
    assert_string_equal(tui_fit_apart(names[1], 16, true, head[1], tail[1], b, sizeof b),
                        "order\xe2\x80\xa6"
                        "4_backfill");
    free(text);
    model_done(&m);
}

/* Relative times in one or two units; never negative. */
static void test_ago(void **unused)
{
    (void)unused;
    static const struct {
        int64_t ago_ms;
        const char *want;
    } cases[] = {
        {-5000, "0s ago"},
        {0, "0s ago"},
        {42000, "42s ago"},
        {300000, "5m ago"},
        {3599000, "59m ago"},
        {3600000 + 5 * 60000, "1h05m ago"},
        {2 * 86400000LL + 4 * 3600000LL, "2d04h ago"},
    };
    char text[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_string_equal(tui_fmt_ago(NOW - cases[i].ago_ms, NOW, text, sizeof text),
                            cases[i].want);
    assert_string_equal(tui_fmt_ago(-1, NOW, text, sizeof text), "-");
}

/* Wrapping keeps every character, breaks at spaces, and hangs continuations under the text
 * after the first word. */
static void test_wrap(void **unused)
{
    (void)unused;
    struct lines l = {0};
    lines_add(&l, "  ERROR one two three four five six seven eight nine ten");
    lines_add(&l, "  short");
    lines_add(&l, "  x %s", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
    size_t *first_of = NULL;
    lines_wrap(&l, 20, &first_of);
    assert_string_equal(l.v[0], "  ERROR one two");
    assert_string_equal(l.v[1], "        three four");
    assert_string_equal(l.v[2], "        five six");
    assert_string_equal(l.v[3], "        seven eight");
    assert_string_equal(l.v[4], "        nine ten");
    assert_string_equal(l.v[5], "  short");
    assert_int_equal(first_of[4], 0);
    assert_int_equal(first_of[5], 1);
    for (size_t i = 6; i < l.n; i++) /* a word longer than the line is split */
        assert_true(strlen(l.v[i]) <= 20);
    assert_int_equal(first_of[l.n - 1], 2);
    free(first_of);
    lines_free(&l);
}

/* q and Esc go back down the stack of views; the sort moves over the columns on screen. */
static void test_views_stack_and_sort(void **unused)
{
    (void)unused;
    struct tui_model m;
    model_init(&m);
    struct tui_frame f = {.snap = fixture()};
    model_take(&m, &f);
    model_open(&m, V_DETAIL);
    model_open(&m, V_HELP);
    model_open(&m, V_LEGEND);
    assert_int_equal(m.view, V_LEGEND);
    assert_true(model_back(&m));
    assert_int_equal(m.view, V_HELP);
    model_open(&m, V_HELP); /* the view on screen again: back */
    assert_int_equal(m.view, V_DETAIL);
    assert_true(model_back(&m));
    assert_int_equal(m.view, V_STREAMS);
    assert_false(model_back(&m)); /* the bottom: q quits here */
    bool shown[COL__N] = {false};
    shown[COL_STATUS] = shown[COL_NAME] = shown[COL_COMMIT_AGE] = shown[COL_TREND] = true;
    model_sort_step(&m, 1, shown);
    assert_int_equal(m.sort, COL_NAME);
    model_sort_step(&m, 1, shown);
    assert_int_equal(m.sort, COL_COMMIT_AGE); /* the hidden ones are skipped */
    assert_string_equal(m.frame.snap->streams[m.order[0]].name, "payments"); /* 22m */
    model_sort_step(&m, 1, shown); /* the sparkline does not sort: around to status */
    assert_int_equal(m.sort, COL_STATUS);
    model_sort_step(&m, -1, shown);
    assert_int_equal(m.sort, COL_COMMIT_AGE);
    m.view = V_HELP; /* scrolled views go no further than their last page */
    size_t keys = 0;
    for (const struct tui_key *k = tui_keys; k->key; k++)
        keys += k->label != NULL;
    assert_int_equal(view_scroll_max(&m, 10, 200), keys + 2 - 8); /* title, keys, mouse */
    assert_int_equal(view_scroll_max(&m, 60, 200), 0);
    m.view = V_STREAMS;
    assert_int_equal(view_scroll_max(&m, 10, 80), 0);
    struct tui_alert_ref *refs; /* the alerts: firing, most urgent first */
    assert_int_equal(model_alerts(&m, &refs), 2);
    assert_string_equal(m.frame.snap->streams[refs[0].stream].name, "payments");
    assert_string_equal(m.frame.snap->streams[refs[1].stream].name, "clicks");
    free(refs);
    snprintf(m.filter, sizeof m.filter, "ord"); /* a filter hiding the alert's stream */
    model_apply(&m);
    assert_true(model_select_name(&m, "payments"));
    assert_string_equal(model_selected(&m)->name, "payments");
    assert_string_equal(m.filter, "");
    assert_false(model_select_name(&m, "nothing"));
    model_toggle_column(&m, COL_NAME); /* status and name always stay */
    assert_true(m.col_on[COL_NAME]);
    model_toggle_column(&m, COL_DLQ);
    assert_false(m.col_on[COL_DLQ]);
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
    m.sort = COL_BACKLOG;
    model_apply(&m);
    assert_string_equal(m.frame.snap->streams[m.order[0]].name, "clicks");
    m.reverse = true;
    model_apply(&m);
    assert_string_equal(m.frame.snap->streams[m.order[4]].name, "clicks");
    /* a new snapshot keeps the selected stream selected */
    m.reverse = false;
    m.sort = COL_NAME;
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
        cmocka_unit_test(test_narrow),
        cmocka_unit_test(test_names_cut_in_the_middle),
        cmocka_unit_test(test_ago),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_views_stack_and_sort),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
