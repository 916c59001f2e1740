#include "tui/tui.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
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

/* Keys of the two menus (sort column, column chooser). */
static void menu_key(struct tui_model *m, enum tui_action a, size_t page)
{
    enum tui_col items[COL__N];
    size_t n = model_menu_items(m, items);
    switch (a) {
    case A_UP:
        m->menu_sel -= m->menu_sel > 0;
        break;
    case A_DOWN:
        m->menu_sel += m->menu_sel + 1 < n;
        break;
    case A_PAGE_UP:
    case A_HOME:
        m->menu_sel = a == A_HOME || m->menu_sel < page ? 0 : m->menu_sel - page;
        break;
    case A_PAGE_DOWN:
    case A_END:
        m->menu_sel = a == A_END || m->menu_sel + page >= n ? n - 1 : m->menu_sel + page;
        break;
    case A_OPEN:
    case A_TOGGLE:
        if (m->menu_sel >= n)
            break;
        if (m->view == V_SORT) {
            model_sort_by(m, items[m->menu_sel]);
            snprintf(m->message, sizeof m->message, "sorted by %s", tui_columns[m->sort].title);
            model_back(m);
        } else {
            model_toggle_column(m, items[m->menu_sel]);
        }
        break;
    case A_SORT_REVERSE:
        m->reverse = !m->reverse;
        model_apply(m);
        break;
    default:
        break;
    }
}

/* Move a position (a scroll offset, a selected row) by a key; the caller clamps it. */
static void step(size_t *pos, enum tui_action a, size_t page)
{
    switch (a) {
    case A_UP:
        *pos -= *pos > 0;
        break;
    case A_DOWN:
        (*pos)++;
        break;
    case A_PAGE_UP:
        *pos = *pos > page ? *pos - page : 0;
        break;
    case A_PAGE_DOWN:
        *pos += page;
        break;
    case A_HOME:
        *pos = 0;
        break;
    case A_END:
        *pos = SIZE_MAX;
        break;
    default:
        break;
    }
}

/* Scroll a text view (detail, alerts, help, legend). */
static void scroll_key(struct tui_model *m, enum tui_action a, size_t page)
{
    size_t *s = &m->detail_scroll;
    step(s, a, page);
    /* no further than the last page, so Up moves at once after scrolling past the end */
    size_t max = view_scroll_max(m, LINES, COLS);
    if (*s > max)
        *s = max;
}

/* Move the selection of the alerts view, its rows scrolled to keep it on screen. */
static void alerts_key(struct tui_model *m, enum tui_action a, size_t page)
{
    struct tui_alert_ref *refs;
    size_t n = model_alerts(m, &refs);
    free(refs);
    size_t *sel = &m->alert_sel;
    step(sel, a, page);
    if (*sel >= n)
        *sel = n ? n - 1 : 0;
    size_t rows = LINES > 4 ? (size_t)LINES - 3 : 1; /* between its title bar and the status line */
    if (*sel < m->detail_scroll)
        m->detail_scroll = *sel;
    if (*sel >= m->detail_scroll + rows)
        m->detail_scroll = *sel - rows + 1;
}

/* Enter on an alert: its stream's detail (q comes back to the alerts). */
static void open_alert(struct tui_model *m, struct worker *w)
{
    struct tui_alert_ref *refs;
    size_t n = model_alerts(m, &refs);
    if (m->alert_sel < n) {
        char name[256];
        snprintf(name, sizeof name, "%s", m->frame.snap->streams[refs[m->alert_sel].stream].name);
        size_t keep = m->alert_sel;
        if (model_select_name(m, name)) {
            model_open(m, V_DETAIL);
            m->alert_sel = keep;
            m->detail_opened = true;
            worker_show(w, m->window, true);
        }
    }
    free(refs);
}

/* The columns of the streams table on screen now. */
static void shown_columns(const struct tui_model *m, bool shown[COL__N])
{
    struct col_slot slots[COL__N];
    size_t n = view_streams_layout(m, COLS, slots);
    for (int i = 0; i < COL__N; i++)
        shown[i] = false;
    for (size_t k = 0; k < n; k++)
        shown[slots[k].col] = true;
}

static void mouse(struct tui_model *m, size_t page)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return;
    bool table = m->view == V_STREAMS;
    if (ev.bstate & BUTTON4_PRESSED)
        table ? model_move(m, -3, page)
              : (void)(m->detail_scroll = m->detail_scroll > 3 ? m->detail_scroll - 3 : 0);
    else if (ev.bstate & BUTTON5_PRESSED)
        table ? model_move(m, 3, page) : (void)(m->detail_scroll += 3);
    else if (table && ev.y >= 2)
        model_move(m, (long)(m->top + (size_t)(ev.y - 2)) - (long)m->sel, page);
}

/* One key; false to quit. q and Esc go back to the view before; q quits only from the streams
 * table (F10 from anywhere). */
static bool key(struct tui_model *m, struct worker *w, int ch)
{
    if (m->editing_filter) {
        filter_key(m, ch);
        return true;
    }
    size_t page = (size_t)view_table_rows(LINES);
    if (ch == KEY_MOUSE) {
        mouse(m, page);
        return true;
    }
    m->message[0] = '\0';
    enum tui_action a = keymap_action(ch);
    bool menu = m->view == V_SORT || m->view == V_COLUMNS;
    bool text = m->view != V_STREAMS && !menu;
    switch (a) {
    case A_UP:
    case A_DOWN:
    case A_PAGE_UP:
    case A_PAGE_DOWN:
    case A_HOME:
    case A_END:
        if (menu)
            menu_key(m, a, page);
        else if (m->view == V_ALERTS)
            alerts_key(m, a, page);
        else if (text)
            scroll_key(m, a, page);
        else
            model_move(m,
                       a == A_UP          ? -1
                       : a == A_DOWN      ? 1
                       : a == A_PAGE_UP   ? -(long)page
                       : a == A_PAGE_DOWN ? (long)page
                       : a == A_HOME      ? -(long)m->norder
                                          : (long)m->norder,
                       page);
        break;
    case A_OPEN:
    case A_TOGGLE:
        if (menu) {
            menu_key(m, a, page);
        } else if (a == A_OPEN && m->view == V_ALERTS) {
            open_alert(m, w);
        } else if (a == A_OPEN && m->view == V_STREAMS && model_selected(m)) {
            model_open(m, V_DETAIL);
            m->detail_opened = true; /* its sparklines are read from now on */
            worker_show(w, m->window, true);
        }
        break;
    case A_QUIT:
        if (!model_back(m))
            return false;
        break;
    case A_BACK:
        if (!model_back(m) && *m->filter) {
            m->filter[0] = '\0';
            model_apply(m);
        }
        break;
    case A_EXIT:
        return false;
    case A_HELP:
        model_open(m, V_HELP);
        break;
    case A_LEGEND:
        model_open(m, V_LEGEND);
        break;
    case A_FILTER:
        while (model_back(m))
            ;
        m->editing_filter = true;
        break;
    case A_SORT_MENU:
        if (m->view != V_SORT) {
            while (model_back(m))
                ;
        }
        model_open(m, V_SORT);
        break;
    case A_SORT_PREV:
    case A_SORT_NEXT: {
        bool shown[COL__N];
        shown_columns(m, shown);
        model_sort_step(m, a == A_SORT_NEXT ? 1 : -1, shown);
        snprintf(m->message, sizeof m->message, "sorted by %s (%s)", tui_columns[m->sort].title,
                 tui_columns[m->sort].help);
        break;
    }
    case A_SORT_REVERSE:
        if (menu) {
            menu_key(m, a, page);
            break;
        }
        m->reverse = !m->reverse;
        model_apply(m);
        break;
    case A_COLUMNS:
        if (m->view != V_COLUMNS) {
            while (model_back(m))
                ;
        }
        model_open(m, V_COLUMNS);
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
        model_open(m, V_ALERTS);
        break;
    case A_WINDOW:
        m->window = (m->window + 1) % SPARK_WINDOWS;
        worker_show(w, m->window, m->detail_opened);
        snprintf(m->message, sizeof m->message, "history window %s",
                 m->window == 0   ? "1h"
                 : m->window == 1 ? "6h"
                                  : "24h");
        break;
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
    tzset(); /* the header's zone, read once (TZ) */
    struct tui_model m;
    model_init(&m);
    m.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    m.refresh_ms = o->cfg->refresh_ms;
    m.db = o->cfg->database;
    m.remote = o->remote ? o->remote_shown : NULL;

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
