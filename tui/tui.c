#include "tui/tui.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts/notify.h"
#include "cmd/alerting.h"
#include "cmd/tick.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "sim/sim.h"
#include "store/store.h"
#include "tui/keymap.h"
#include "tui/model.h"
#include "tui/view.h"

#define POLL_MS 200
/* longest wait for the worker after quitting */
#define WORKER_WAIT_MS 2000

int tui_usable(struct st_err *err)
{
    const char *term = getenv("TERM");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return st_err_set(err, ST_EFAIL,
                          "the dashboard needs a terminal; use `streamtop export` for a snapshot "
                          "or `streamtop check` for alerts");
    if (!term || !*term || strcmp(term, "dumb") == 0)
        return st_err_set(err, ST_EFAIL,
                          "the dashboard needs a terminal that can move the cursor (TERM is %s); "
                          "use `streamtop export` or `streamtop check`",
                          term && *term ? term : "unset");
    return 0;
}

/* ---- the collector thread ---------------------------------------------------------------- */

struct shared {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    const struct tui_opts *o;
    struct snapshot *fresh; /* handed over, not yet taken */
    struct tui_spark *fresh_spark;
    struct notification *fresh_notes;
    size_t fresh_nnotes;
    struct strvec *fresh_schemas;
    size_t fresh_nschemas;
    bool fresh_history;
    bool quit, refresh_now, paused, collecting;
    bool finished;      /* the worker has returned */
    int window;         /* sparkline window (the screen sets it) */
    bool detail;        /* the detail is open: read its sparklines too */
    char note[800];     /* the state DB problem, or "" */
    char message[1100]; /* the last log line */
    const char *db;
};

static struct shared *g_shared; /* for the log sink */

static void log_to_status(enum log_level level, const char *line)
{
    (void)level;
    if (!g_shared)
        return;
    pthread_mutex_lock(&g_shared->mu);
    snprintf(g_shared->message, sizeof g_shared->message, "%s", line);
    pthread_mutex_unlock(&g_shared->mu);
}

static int64_t wall_ms(void)
{
    return clock_now_ms();
}

static struct tui_spark *sparks(struct store *st, const struct snapshot *snap, int window,
                                bool detail_too)
{
    struct tui_spark *sp = xcalloc(snap->nstreams + 1, sizeof *sp);
    int64_t span = tui_spark_windows_ms[window];
    int64_t since = snap->generated_ms - span;
    for (size_t i = 0; i < snap->nstreams; i++) {
        for (int mk = 0; mk < SPARK_METRICS; mk++) {
            for (int k = 0; k < SPARK_POINTS; k++)
                sp[i].v[mk][k] = NAN;
            if (mk > 0 && !detail_too)
                continue;
            struct sample *s = NULL;
            size_t n = 0;
            struct st_err err;
            if (!st ||
                store_series(st, snap->streams[i].name, metric_defs[tui_spark_metrics[mk]].name,
                             since, &s, &n, &err) < 0) {
                free(s);
                continue;
            }
            for (size_t j = 0; j < n; j++) {
                int64_t slot = (s[j].ts_ms - since) * SPARK_POINTS / span;
                if (slot >= 0 && slot < SPARK_POINTS)
                    sp[i].v[mk][slot] = s[j].value;
            }
            free(s);
        }
    }
    return sp;
}

static void *worker(void *arg)
{
    struct shared *sh = arg;
    const struct tui_opts *o = sh->o;
    struct st_err err;
    struct store *store = store_open(o->cfg->database, &err);
    if (!store) {
        pthread_mutex_lock(&sh->mu);
        snprintf(sh->note, sizeof sh->note, "%s", err.msg);
        pthread_mutex_unlock(&sh->mu);
    }
    struct tick *t = tick_new(o->cfg, store);
    int64_t next = 0;
    /* the sparklines have one point a minute: read them (and the recorded schema versions)
     * from history once a minute */
    struct tui_spark *spark_cache = NULL;
    struct strvec *schema_cache = NULL;
    size_t spark_n = 0;
    int64_t spark_ms = 0;
    int spark_window = -1;
    bool spark_detail = false;
    for (;;) {
        pthread_mutex_lock(&sh->mu);
        while (!sh->quit && !sh->refresh_now && (sh->paused || wall_ms() < next)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += POLL_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
        }
        if (sh->quit) {
            pthread_mutex_unlock(&sh->mu);
            break;
        }
        sh->refresh_now = false;
        sh->collecting = true;
        pthread_mutex_unlock(&sh->mu);

        if (o->sim && sim_advance(o->sim, &err) < 0)
            log_warn("demo: %s", err.msg);
        struct snapshot *snap = tick_run(t);
        if (stop_requested()) { /* quitting: a cut-short pass is neither evaluated nor shown */
            snapshot_free(snap);
            break;
        }
        if (store) {
            if (alerting_run(store, o->cfg, snap, o->alerts, &err) < 0)
                log_warn("alerts: %s", err.msg);
            else if (o->alerts) {
                struct notify_stats ns;
                struct strvec problems;
                strvec_init(&problems);
                if (notify_deliver(store, o->cfg, snap->generated_ms, &ns, &problems, &err) < 0)
                    log_warn("notifications: %s", err.msg);
                for (size_t i = 0; i < problems.n; i++)
                    log_warn("%s", problems.v[i]);
                strvec_done(&problems);
            }
        }
        pthread_mutex_lock(&sh->mu);
        int window = sh->window;
        bool detail = sh->detail;
        pthread_mutex_unlock(&sh->mu);
        if (!spark_cache || spark_n != snap->nstreams || window != spark_window ||
            detail != spark_detail || wall_ms() - spark_ms >= 60000) {
            free(spark_cache);
            spark_cache = sparks(store, snap, window, detail);
            model_schemas_free(schema_cache, spark_n);
            schema_cache = xcalloc(snap->nstreams + 1, sizeof *schema_cache);
            for (size_t i = 0; i < snap->nstreams; i++) {
                strvec_init(&schema_cache[i]);
                if (store && detail)
                    store_schema_history(store, snap->streams[i].name, &schema_cache[i], &err);
            }
            spark_window = window;
            spark_detail = detail;
            spark_n = snap->nstreams;
            spark_ms = wall_ms();
        }
        struct tui_spark *sp = xmalloc((spark_n + 1) * sizeof *sp);
        memcpy(sp, spark_cache, (spark_n + 1) * sizeof *sp);
        struct notification *notes = NULL;
        size_t nnotes = 0;
        if (store && store_notifications(store, NULL, 500, &notes, &nnotes, &err) < 0)
            nnotes = 0;
        struct strvec *schemas = xcalloc(spark_n + 1, sizeof *schemas);
        for (size_t i = 0; i < spark_n; i++) {
            strvec_init(&schemas[i]);
            strvec_copy(&schemas[i], &schema_cache[i]);
        }

        pthread_mutex_lock(&sh->mu);
        snapshot_free(sh->fresh);
        free(sh->fresh_spark);
        sh->fresh = snap;
        sh->fresh_spark = sp;
        if (sh->fresh_history) {
            store_notifications_free(sh->fresh_notes, sh->fresh_nnotes);
            model_schemas_free(sh->fresh_schemas, sh->fresh_nschemas);
        }
        sh->fresh_notes = notes;
        sh->fresh_nnotes = nnotes;
        sh->fresh_schemas = schemas;
        sh->fresh_nschemas = spark_n;
        sh->fresh_history = true;
        sh->collecting = false;
        next = wall_ms() + o->cfg->refresh_ms;
        pthread_mutex_unlock(&sh->mu);
    }
    free(spark_cache);
    model_schemas_free(schema_cache, spark_n);
    tick_save_cursors(t);
    tick_free(t);
    store_close(store);
    pthread_mutex_lock(&sh->mu);
    sh->finished = true;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return NULL;
}

/* ---- the screen -------------------------------------------------------------------------- */

static void on_crash(int sig)
{
    endwin(); /* give the terminal back before dying */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void colors(struct tui_model *m)
{
    const char *nc = getenv("NO_COLOR");
    m->color = has_colors() && !(nc && *nc);
    if (!m->color)
        return;
    start_color();
    use_default_colors();
    init_pair(CP_OK, COLOR_GREEN, -1);
    init_pair(CP_WARNING, COLOR_YELLOW, -1);
    init_pair(CP_CRITICAL, COLOR_RED, -1);
    init_pair(CP_UNKNOWN, COLOR_MAGENTA, -1);
    init_pair(CP_HEADER, COLOR_CYAN, -1);
    init_pair(CP_DIM, COLOR_BLUE, -1);
}

static void export_snapshot(struct tui_model *m)
{
    if (!m->snap) {
        snprintf(m->message, sizeof m->message, "nothing collected yet");
        return;
    }
    char when[40], path[4200], cwd[4096];
    clock_iso8601(m->snap->generated_ms, when, sizeof when);
    for (char *c = when; *c; c++)
        if (*c == ':')
            *c = '-';
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(path, sizeof path, "%s/streamtop-%s.json", cwd, when);
    struct buf out;
    buf_init(&out);
    exporter_find("json")->render(m->snap, &out);
    struct st_err err;
    if (export_write_atomic(path, buf_str(&out), out.len, &err) < 0)
        snprintf(m->message, sizeof m->message, "snapshot not written: %s", err.msg);
    else
        snprintf(m->message, sizeof m->message, "snapshot written to %s", path);
    buf_done(&out);
}

/* Keys while the filter is being typed. */
static void filter_key(struct tui_model *m, int ch)
{
    size_t n = strlen(m->filter);
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        m->editing_filter = false;
    } else if (ch == 27) {
        m->filter[0] = '\0';
        m->editing_filter = false;
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (n)
            m->filter[n - 1] = '\0';
    } else if (ch >= 0x20 && ch < 0x7f && n + 1 < sizeof m->filter) {
        m->filter[n] = (char)ch;
        m->filter[n + 1] = '\0';
    }
    model_apply(m);
}

/* One key; false to quit. */
static bool key(struct tui_model *m, struct shared *sh, int ch)
{
    if (m->editing_filter) {
        filter_key(m, ch);
        return true;
    }
    size_t page = (size_t)view_table_rows(LINES);
    if (ch == KEY_MOUSE) {
        MEVENT ev;
        if (getmouse(&ev) == OK) {
            if (ev.bstate & BUTTON4_PRESSED)
                m->view == V_STREAMS
                    ? model_move(m, -3, page)
                    : (void)(m->detail_scroll = m->detail_scroll > 3 ? m->detail_scroll - 3 : 0);
            else if (ev.bstate & BUTTON5_PRESSED)
                m->view == V_STREAMS ? model_move(m, 3, page) : (void)(m->detail_scroll += 3);
            else if (m->view == V_STREAMS && ev.y >= 2)
                model_move(m, (long)(m->top + (size_t)(ev.y - 2)) - (long)m->sel, page);
        }
        return true;
    }
    if (m->view == V_HELP && ch != 'q') {
        m->view = m->back;
        return true;
    }
    m->message[0] = '\0';
    bool scroll = m->view == V_DETAIL || m->view == V_ALERTS;
    switch (keymap_action(ch)) {
    case A_UP:
        scroll ? (void)(m->detail_scroll -= m->detail_scroll > 0) : model_move(m, -1, page);
        break;
    case A_DOWN:
        scroll ? (void)(m->detail_scroll++) : model_move(m, 1, page);
        break;
    case A_PAGE_UP:
        scroll ? (void)(m->detail_scroll = m->detail_scroll > page ? m->detail_scroll - page : 0)
               : model_move(m, -(long)page, page);
        break;
    case A_PAGE_DOWN:
        scroll ? (void)(m->detail_scroll += page) : model_move(m, (long)page, page);
        break;
    case A_HOME:
        scroll ? (void)(m->detail_scroll = 0) : model_move(m, -(long)m->norder, page);
        break;
    case A_END:
        if (!scroll)
            model_move(m, (long)m->norder, page);
        break;
    case A_OPEN:
        if (m->view == V_STREAMS && model_selected(m)) {
            m->view = V_DETAIL;
            m->detail_scroll = 0;
            pthread_mutex_lock(&sh->mu);
            if (!sh->detail) {
                sh->detail = true; /* read the detail's sparklines from now on */
                sh->refresh_now = true;
                pthread_cond_signal(&sh->cv);
            }
            pthread_mutex_unlock(&sh->mu);
        }
        break;
    case A_BACK:
        m->view = V_STREAMS;
        break;
    case A_FILTER:
        m->view = V_STREAMS;
        m->editing_filter = true;
        break;
    case A_SORT:
        m->sort = (enum tui_sort)((m->sort + 1) % SORT__N);
        model_apply(m);
        snprintf(m->message, sizeof m->message, "sorted by %s", model_sort_name(m->sort));
        break;
    case A_SORT_REVERSE:
        m->reverse = !m->reverse;
        model_apply(m);
        break;
    case A_PAUSE:
        pthread_mutex_lock(&sh->mu);
        sh->paused = m->paused = !m->paused;
        pthread_cond_signal(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        snprintf(m->message, sizeof m->message, m->paused ? "paused (p resumes)" : "resumed");
        break;
    case A_REFRESH:
        pthread_mutex_lock(&sh->mu);
        sh->refresh_now = true;
        pthread_cond_signal(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        snprintf(m->message, sizeof m->message, "collecting now");
        break;
    case A_EXPORT:
        export_snapshot(m);
        break;
    case A_ALERTS:
        m->view = m->view == V_ALERTS ? V_STREAMS : V_ALERTS;
        m->detail_scroll = 0;
        break;
    case A_HELP:
        m->back = m->view;
        m->view = V_HELP;
        break;
    case A_WINDOW:
        m->window = (m->window + 1) % SPARK_WINDOWS;
        pthread_mutex_lock(&sh->mu);
        sh->window = m->window;
        sh->refresh_now = true;
        pthread_cond_signal(&sh->cv);
        pthread_mutex_unlock(&sh->mu);
        snprintf(m->message, sizeof m->message, "history window %s",
                 m->window == 0   ? "1h"
                 : m->window == 1 ? "6h"
                                  : "24h");
        break;
    case A_QUIT:
        return false;
    case A_NONE:
        break;
    }
    return true;
}

int tui_run(const struct tui_opts *o, struct st_err *err)
{
    if (tui_usable(err) < 0)
        return -1;
    setlocale(LC_ALL, "");
    struct tui_model m;
    model_init(&m);
    m.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    m.refresh_ms = o->cfg->refresh_ms;
    m.db = o->cfg->database;

    /* on the heap: a worker that does not stop in time keeps it after we return */
    struct shared *sh = xcalloc(1, sizeof *sh);
    pthread_mutex_init(&sh->mu, NULL);
    pthread_cond_init(&sh->cv, NULL);
    sh->o = o;
    g_shared = sh;
    log_set_sink(log_to_status);

    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        log_set_sink(NULL);
        g_shared = NULL;
        pthread_mutex_destroy(&sh->mu);
        pthread_cond_destroy(&sh->cv);
        free(sh);
        return st_err_set(err, ST_EFAIL, "cannot start the terminal (TERM=%s)", getenv("TERM"));
    }
    /* SIGINT, SIGTERM, SIGHUP and q set the process-wide stop flag: the worker's requests end
     * at once, wherever the network is stuck */
    stop_on_signals();
    signal(SIGSEGV, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    timeout(POLL_MS);
    mousemask(BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    colors(&m);

    pthread_t th;
    pthread_create(&th, NULL, worker, sh);
    int64_t last_draw = 0;
    bool dirty = true;
    while (!stop_requested()) {
        pthread_mutex_lock(&sh->mu);
        if (sh->fresh) {
            model_take(&m, sh->fresh, sh->fresh_spark);
            model_take_history(&m, sh->fresh_notes, sh->fresh_nnotes, sh->fresh_schemas,
                               sh->fresh_nschemas);
            sh->fresh = NULL;
            sh->fresh_spark = NULL;
            sh->fresh_history = false;
            dirty = true;
        }
        if (m.collecting != sh->collecting) {
            m.collecting = sh->collecting;
            dirty = true;
        }
        if (strcmp(m.db_note, sh->note) != 0) {
            snprintf(m.db_note, sizeof m.db_note, "%s", sh->note);
            dirty = true;
        }
        if (*sh->message) {
            snprintf(m.message, sizeof m.message, "%s", sh->message);
            sh->message[0] = '\0';
            dirty = true;
        }
        pthread_mutex_unlock(&sh->mu);
        int64_t now = clock_real_ms();
        if (dirty || now - last_draw >= 1000) {
            m.now_ms = wall_ms();
            view_draw(&m, LINES, COLS);
            refresh();
            last_draw = now;
            dirty = false;
        }
        int ch = getch();
        if (ch == ERR)
            continue;
        dirty = true;
        if (ch == KEY_RESIZE)
            continue;
        if (!key(&m, sh, ch)) {
            stop_request();
            break;
        }
    }
    pthread_mutex_lock(&sh->mu);
    sh->quit = true;
    pthread_cond_signal(&sh->cv);
    /* the stop ends any request within 100 ms; anything else the worker may be stuck in (a
     * hung local mount) gets a bounded wait, then the process leaves without it */
    int64_t give_up = wall_ms() + WORKER_WAIT_MS;
    while (!sh->finished && wall_ms() < give_up) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += POLL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sh->cv, &sh->mu, &ts);
    }
    bool finished = sh->finished;
    pthread_mutex_unlock(&sh->mu);
    endwin();
    delscreen(scr);
    if (!finished) {
        /* the worker still uses sh and the config: leave both to the exit */
        pthread_detach(th);
        log_set_sink(NULL);
        g_shared = NULL;
        model_done(&m);
        return st_err_set(err, ST_ESTOPPED,
                          "the collector did not stop within %d s; leaving without it",
                          WORKER_WAIT_MS / 1000);
    }
    pthread_join(th, NULL);
    log_set_sink(NULL);
    g_shared = NULL;
    snapshot_free(sh->fresh);
    free(sh->fresh_spark);
    if (sh->fresh_history) {
        store_notifications_free(sh->fresh_notes, sh->fresh_nnotes);
        model_schemas_free(sh->fresh_schemas, sh->fresh_nschemas);
    }
    model_done(&m);
    pthread_mutex_destroy(&sh->mu);
    pthread_cond_destroy(&sh->cv);
    free(sh);
    return 0;
}
