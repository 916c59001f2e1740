#include "tui/tui.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "tui/keymap.h"
#include "tui/model.h"
#include "tui/view.h"
#include "tui/widgets.h"
#include "tui/worker.h"

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
    if (!m->frame.snap) {
        snprintf(m->message, sizeof m->message, "nothing collected yet");
        return;
    }
    char when[40], path[4200], cwd[4096];
    clock_iso8601(m->frame.snap->generated_ms, when, sizeof when);
    for (char *c = when; *c; c++)
        if (*c == ':')
            *c = '-';
    if (!getcwd(cwd, sizeof cwd))
        snprintf(cwd, sizeof cwd, ".");
    snprintf(path, sizeof path, "%s/streamtop-%s.json", cwd, when);
    struct buf out;
    buf_init(&out);
    exporter_find("json")->render(m->frame.snap, &out);
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
static bool key(struct tui_model *m, struct worker *w, int ch)
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
            m->detail_opened = true; /* its sparklines are read from now on */
            worker_show(w, m->window, true);
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
        m->paused = !m->paused;
        worker_pause(w, m->paused);
        snprintf(m->message, sizeof m->message, m->paused ? "paused (p resumes)" : "resumed");
        break;
    case A_REFRESH:
        worker_refresh(w);
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
        worker_show(w, m->window, m->detail_opened);
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

    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        model_done(&m);
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

    struct worker *w = worker_start(o);
    struct tui_frame fresh = {0};
    int64_t last_draw = 0;
    bool dirty = true;
    while (!stop_requested()) {
        struct worker_news news;
        if (worker_take(w, &fresh, &news)) {
            model_take(&m, &fresh);
            dirty = true;
        }
        if (m.collecting != news.collecting) {
            m.collecting = news.collecting;
            dirty = true;
        }
        if (strcmp(m.db_note, news.db_note) != 0) {
            snprintf(m.db_note, sizeof m.db_note, "%s", news.db_note);
            dirty = true;
        }
        if (*news.message) {
            snprintf(m.message, sizeof m.message, "%s", news.message);
            dirty = true;
        }
        int64_t now = clock_real_ms();
        if (dirty || now - last_draw >= 1000) {
            m.now_ms = clock_now_ms();
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
        if (!key(&m, w, ch)) {
            stop_request();
            break;
        }
    }
    int stopped = worker_stop(w, WORKER_WAIT_MS);
    endwin();
    delscreen(scr);
    model_done(&m);
    if (stopped < 0)
        return st_err_set(err, ST_ESTOPPED,
                          "the collector did not stop within %d s; leaving without it",
                          WORKER_WAIT_MS / 1000);
    return 0;
}
