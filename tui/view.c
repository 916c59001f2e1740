#include "tui/view.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "tui/keymap.h"

#define RECENT_MS (3600 * 1000LL)

/* Put text at (y, x), at most w columns, sanitised; pads with spaces when pad. */
static void put(int y, int x, int w, const char *text, bool pad)
{
    if (w <= 0)
        return;
    char clean[1024];
    sanitize_copy(clean, sizeof clean, text ? text : "");
    /* count columns by UTF-8 lead bytes (every printable character here is one column) */
    int cols = 0;
    size_t i = 0;
    for (; clean[i]; i++) {
        if (((unsigned char)clean[i] & 0xC0) == 0x80)
            continue;
        if (cols == w)
            break;
        cols++;
    }
    mvaddnstr(y, x, clean, (int)i);
    for (; pad && cols < w; cols++)
        addch(' ');
}

static void putf(int y, int x, int w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void putf(int y, int x, int w, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    put(y, x, w, buf, false);
}

static int health_pair(enum health h)
{
    return h == HEALTH_OK         ? CP_OK
           : h == HEALTH_WARNING  ? CP_WARNING
           : h == HEALTH_CRITICAL ? CP_CRITICAL
                                  : CP_UNKNOWN;
}

static const char *health_tag(enum health h, bool utf8)
{
    static const char *const u[] = {"\xe2\x9c\x94 ok", "\xe2\x96\xb2 warn", "\xe2\x9c\x96 crit",
                                    "? unkn"};
    static const char *const a[] = {"+ ok", "! warn", "X crit", "? unkn"};
    return utf8 ? u[h] : a[h];
}

static void on(const struct tui_model *m, int pair, bool bold)
{
    if (m->color && pair)
        attron(COLOR_PAIR(pair));
    if (bold)
        attron(A_BOLD);
}

static void off(void)
{
    attrset(A_NORMAL);
}

static char *num(double v, char *out, size_t n, int unit)
{
    if (isnan(v))
        return snprintf(out, n, "-"), out;
    if (isinf(v))
        return snprintf(out, n, "inf"), out;
    switch (unit) {
    case 1:
        if (v == 0)
            return snprintf(out, n, "0s"), out;
        return fmt_duration(v, out, n);
    case 2:
        return fmt_bytes(v, out, n);
    default:
        return fmt_count(v, out, n);
    }
}

/* A sparkline of w cells from the history (oldest first), scaled to its own maximum. */
static void sparkline(char *out, size_t n, const double *s, int w, bool utf8)
{
    static const char *const blocks[] = {"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                         "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                         "\xe2\x96\x87", "\xe2\x96\x88"};
    static const char ascii[] = "_.-=+*#@";
    out[0] = '\0';
    if (!s || w <= 0)
        return;
    double max = 0;
    for (int i = 0; i < SPARK_POINTS; i++)
        if (!isnan(s[i]) && s[i] > max)
            max = s[i];
    size_t o = 0;
    for (int c = 0; c < w; c++) {
        int i = SPARK_POINTS - w + c;
        double v = i >= 0 ? s[i] : NAN;
        const char *cell;
        char a[2] = {' ', 0};
        if (isnan(v)) {
            cell = " ";
        } else {
            /* values come from storage: negative, or infinite (inf / inf is NaN), they must
             * still give a level of 0..7 and never reach the cast out of range */
            double f = max > 0 ? v / max * 7.999 : 0;
            int lvl = f >= 7 || (isinf(v) && v > 0) ? 7 : f > 0 ? (int)f : 0;
            if (utf8) {
                cell = blocks[lvl];
            } else {
                a[0] = ascii[lvl];
                cell = a;
            }
        }
        size_t l = strlen(cell);
        if (o + l + 1 >= n)
            break;
        memcpy(out + o, cell, l);
        o += l;
    }
    out[o] = '\0';
}

/* "delivered 14:02:11", "HTTP 503, retrying (3 tries)", "waiting" for a notification. */
static void note_text(const struct pass_note *n, char *out, size_t len)
{
    char when[40];
    if (n->done_ms >= 0 && n->status >= 200 && n->status < 300)
        snprintf(out, len, "delivered %.8s", clock_iso8601(n->done_ms, when, sizeof when) + 11);
    else if (n->done_ms >= 0)
        snprintf(out, len, "failed: %s", n->error ? n->error : "-");
    else if (n->attempts > 0)
        snprintf(out, len, "%s, retrying (%d tries)", n->error ? n->error : "not delivered",
                 n->attempts);
    else
        snprintf(out, len, "waiting");
}

/* ---- the streams table ------------------------------------------------------------------ */

enum col_kind { C_STATUS, C_NAME, C_METRIC, C_BACKLOG, C_DLQ, C_SCHEMA, C_SPARK };

struct column {
    const char *title;
    int width;
    int priority; /* lower is dropped first */
    enum col_kind kind;
    int metric;
    int unit; /* 0 count, 1 duration, 2 bytes */
};

static const struct column columns[] = {
    {"STATUS", 6, 100, C_STATUS, -1, 0},
    {"STREAM", 16, 99, C_NAME, -1, 0},
    {"BATCH", 7, 80, C_METRIC, M_LAST_BATCH_ID, 0},
    {"COMMIT", 7, 30, C_METRIC, M_COMMITTED_BATCH_ID, 0},
    {"C.AGE", 7, 90, C_METRIC, M_COMMIT_AGE_SECONDS, 1},
    {"INFLIGHT", 8, 50, C_METRIC, M_INFLIGHT_SECONDS, 1},
    {"BACKLOG", 7, 95, C_BACKLOG, -1, 0},
    {"BYTES", 8, 20, C_METRIC, M_BACKLOG_BYTES, 2},
    {"B.AGE", 7, 85, C_METRIC, M_BACKLOG_AGE_SECONDS, 1},
    {"IN/S", 7, 40, C_METRIC, M_INPUT_ROWS_PER_SECOND, 0},
    {"OUT/S", 7, 25, C_METRIC, M_PROCESSED_ROWS_PER_SECOND, 0},
    {"DUR", 7, 35, C_METRIC, M_BATCH_DURATION_SECONDS, 1},
    {"WM.LAG", 7, 10, C_METRIC, M_WATERMARK_LAG_SECONDS, 1},
    {"DLQ", 8, 70, C_DLQ, -1, 0},
    {"SCHEMA", 6, 60, C_SCHEMA, -1, 0},
    {"B.AGE TREND", 14, 55, C_SPARK, -1, 0},
};
#define NCOLS (sizeof columns / sizeof columns[0])

/* Which columns fit in cols (by priority), the name column taking what is left over. */
static void layout(int cols, bool shown[NCOLS], int *name_w)
{
    int total = 0;
    for (size_t i = 0; i < NCOLS; i++) {
        shown[i] = true;
        total += columns[i].width + 1;
    }
    while (total > cols) {
        size_t drop = NCOLS;
        for (size_t i = 0; i < NCOLS; i++)
            if (shown[i] && columns[i].kind != C_NAME && columns[i].kind != C_STATUS &&
                (drop == NCOLS || columns[i].priority < columns[drop].priority))
                drop = i;
        if (drop == NCOLS)
            break;
        shown[drop] = false;
        total -= columns[drop].width + 1;
    }
    *name_w = columns[1].width + (cols > total ? cols - total : 0);
    if (*name_w > 40)
        *name_w = 40;
}

static void cell(const struct tui_model *m, const struct snap_stream *st, size_t idx,
                 const struct column *c, char *out, size_t n, int w)
{
    const double *v = st->metrics;
    switch (c->kind) {
    case C_STATUS:
        snprintf(out, n, "%s", health_tag(st->status, m->utf8));
        return;
    case C_NAME:
        snprintf(out, n, "%s", st->name);
        return;
    case C_METRIC:
        num(v[c->metric], out, n, c->unit);
        return;
    case C_BACKLOG: {
        int b = snap_stream_primary_backlog(st);
        if (b < 0)
            snprintf(out, n, "-");
        else if (b == M_BACKLOG_BYTES)
            num(v[b], out, n, 2);
        else {
            num(v[b], out, n, 0);
            if (b == M_BACKLOG_RECORDS)
                strncat(out, "r", n - strlen(out) - 1);
            else if (b == M_BACKLOG_VERSIONS)
                strncat(out, "v", n - strlen(out) - 1);
        }
        return;
    }
    case C_DLQ: {
        char a[16], b[16];
        if (isnan(v[M_DEADLETTER_FILES]))
            snprintf(out, n, "-");
        else if (v[M_DEADLETTER_NEW_FILES] > 0)
            snprintf(out, n, "%s+%s", fmt_count(v[M_DEADLETTER_FILES], a, sizeof a),
                     fmt_count(v[M_DEADLETTER_NEW_FILES], b, sizeof b));
        else
            snprintf(out, n, "%s", fmt_count(v[M_DEADLETTER_FILES], a, sizeof a));
        return;
    }
    case C_SCHEMA:
        if (isnan(v[M_SCHEMA_VERSION]))
            snprintf(out, n, "-");
        else
            snprintf(out, n, "v%.0f%s", v[M_SCHEMA_VERSION],
                     v[M_SCHEMA_VERSION] > 0 && v[M_SCHEMA_AGE_SECONDS] * 1000 < RECENT_MS ? "*"
                                                                                           : "");
        return;
    case C_SPARK:
        sparkline(out, n, m->frame.spark ? m->frame.spark[idx].v[0] : NULL, w, m->utf8);
        return;
    }
}

int view_table_rows(int rows)
{
    return rows > 4 ? rows - 4 : 1;
}

static void header(const struct tui_model *m, int cols)
{
    size_t counts[4] = {0};
    size_t firing = 0;
    if (m->frame.snap) {
        snapshot_count(m->frame.snap, counts);
        for (size_t i = 0; i < m->frame.snap->nstreams; i++)
            for (size_t a = 0; a < m->frame.snap->streams[i].nalerts; a++)
                firing += m->frame.snap->streams[i].alerts[a].firing;
    }
    char when[40], age[24], refresh[24];
    const char *t =
        m->frame.snap ? clock_iso8601(m->frame.snap->generated_ms, when, sizeof when) : "-";
    on(m, CP_HEADER, true);
    move(0, 0);
    clrtoeol();
    putf(0, 0, cols, "streamtop  %.19s", t);
    off();
    int x = 31;
    if (m->frame.snap) {
        char total[32];
        int len = snprintf(total, sizeof total, "%zu streams: ", m->frame.snap->nstreams);
        put(0, x, cols - x, total, false);
        x += len;
        static const char *const names[] = {"ok", "warn", "crit", "unkn"};
        for (int h = 0; h < 4 && x < cols; h++) {
            on(m, health_pair((enum health)h), counts[h] > 0 && h > 0);
            char part[32];
            snprintf(part, sizeof part, "%zu %s", counts[h], names[h]);
            put(0, x, cols - x, part, false);
            off();
            x += (int)strlen(part) + 1;
        }
        char rest[200];
        snprintf(rest, sizeof rest, " alerts %zu  every %s%s%s", firing,
                 fmt_duration((double)m->refresh_ms / 1000, refresh, sizeof refresh),
                 m->paused ? "  PAUSED" : "", m->collecting ? "  collecting..." : "");
        put(0, x, cols - x, rest, false);
        x += (int)strlen(rest);
        double old = (double)(m->now_ms - m->frame.snap->generated_ms) / 1000;
        if (old > 2 * (double)m->refresh_ms / 1000 + 2 || m->paused) {
            on(m, CP_WARNING, true);
            char stale[48];
            snprintf(stale, sizeof stale, "  data %s old", fmt_duration(old, age, sizeof age));
            put(0, x, cols - x, stale, false);
            x += (int)strlen(stale);
            off();
        }
        char db[900];
        snprintf(db, sizeof db, "  db %s%s", m->db ? m->db : "-",
                 *m->db_note ? " (no history)" : "");
        if (x + (int)strlen(db) <= cols)
            put(0, x, cols - x, db, false);
    } else {
        put(0, x, cols - x, "collecting...", false);
    }
}

static void footer(const struct tui_model *m, int rows, int cols)
{
    move(rows - 1, 0);
    clrtoeol();
    if (m->editing_filter) {
        putf(rows - 1, 0, cols, "/%s_", m->filter);
        return;
    }
    if (*m->message) {
        on(m, CP_DIM, true);
        put(rows - 1, 0, cols, m->message, false);
        off();
        return;
    }
    char sort[64];
    snprintf(sort, sizeof sort, "sort %s%s", model_sort_name(m->sort), m->reverse ? " (rev)" : "");
    putf(rows - 1, 0, cols,
         "q quit  Enter detail  a alerts  / filter%s%s%s  s %s  w window  ? help",
         *m->filter ? " [" : "", *m->filter ? m->filter : "", *m->filter ? "]" : "", sort);
}

static void streams_view(const struct tui_model *m, int rows, int cols)
{
    bool shown[NCOLS];
    int name_w;
    layout(cols, shown, &name_w);
    attron(A_REVERSE);
    move(1, 0);
    clrtoeol();
    int x = 0;
    for (size_t c = 0; c < NCOLS; c++) {
        if (!shown[c])
            continue;
        int w = columns[c].kind == C_NAME ? name_w : columns[c].width;
        put(1, x, w, columns[c].title, true);
        x += w + 1;
    }
    for (; x < cols; x++)
        mvaddch(1, x, ' ');
    attroff(A_REVERSE);
    int page = view_table_rows(rows);
    for (int r = 0; r < page; r++) {
        int y = 2 + r;
        move(y, 0);
        clrtoeol();
        size_t i = m->top + (size_t)r;
        if (i >= m->norder)
            continue;
        size_t idx = m->order[i];
        const struct snap_stream *st = &m->frame.snap->streams[idx];
        bool sel = i == m->sel;
        x = 0;
        for (size_t c = 0; c < NCOLS; c++) {
            if (!shown[c])
                continue;
            int w = columns[c].kind == C_NAME ? name_w : columns[c].width;
            if (st->errors.n && columns[c].kind != C_STATUS && columns[c].kind != C_NAME) {
                /* a stream that cannot be read: its reason across the rest of the row */
                if (sel)
                    attron(A_REVERSE);
                on(m, CP_UNKNOWN, false);
                put(y, x, cols - x, st->errors.v[0], true);
                off();
                break;
            }
            char text[256];
            cell(m, st, idx, &columns[c], text, sizeof text, w);
            if (sel)
                attron(A_REVERSE);
            if (columns[c].kind == C_STATUS)
                on(m, health_pair(st->status), st->status != HEALTH_OK);
            if (columns[c].kind == C_METRIC || columns[c].kind == C_BACKLOG ||
                columns[c].kind == C_DLQ || columns[c].kind == C_SCHEMA) {
                int len = (int)strlen(text);
                put(y, x, w - len > 0 ? w - len : 0, "", true);
                put(y, x + (w - len > 0 ? w - len : 0), w, text, false);
            } else {
                put(y, x, w, text, true);
            }
            if (sel)
                mvaddch(y, x + w, ' ');
            off();
            x += w + 1;
        }
    }
    if (m->norder == 0 && m->frame.snap)
        put(3, 2, cols - 2, *m->filter ? "no stream matches the filter" : "no streams", false);
}

/* ---- detail ------------------------------------------------------------------------------ */

struct lines {
    char **v;
    size_t n, cap;
};

static void line(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct lines *l, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = xstrdup(buf);
}

static void detail_lines(const struct tui_model *m, const struct snap_stream *st, struct lines *l)
{
    char a[32], b[32], when[40];
    line(l, "%s  %s", health_tag(st->status, m->utf8), st->name);
    for (size_t i = 0; i < st->nlabels; i++)
        line(l, "  label %s=%s", st->labels[i].key, st->labels[i].value);
    if (st->checkpoint)
        line(l, "  checkpoint %s", st->checkpoint);
    if (st->source)
        line(l, "  source     %s", st->source);
    if (st->query_id)
        line(l, "  query id   %s", st->query_id);
    for (size_t i = 0; i < st->errors.n; i++)
        line(l, "  ERROR %s", st->errors.v[i]);
    for (size_t i = 0; i < st->warnings.n; i++)
        line(l, "  warning %s", st->warnings.v[i]);
    line(l, "%s", "");
    line(l, "Alerts");
    if (!st->nalerts)
        line(l, "  none");
    for (size_t i = 0; i < st->nalerts; i++) {
        const struct snap_alert *al = &st->alerts[i];
        line(l, "  %-5s %-26s %s since %.19s value %s %s%s", health_name(al->level), al->rule,
             al->firing ? "firing " : "pending", clock_iso8601(al->since_ms, when, sizeof when),
             num(al->value, a, sizeof a, 0), al->threshold, al->silenced ? " [silenced]" : "");
    }
    size_t shown = 0;
    for (size_t i = 0; i < m->frame.nnotes && shown < 8; i++) {
        const struct pass_note *n = &m->frame.notes[i];
        if (strcmp(n->stream, st->name) != 0)
            continue;
        if (!shown++)
            line(l, "  notifications, newest first:");
        char t[400];
        note_text(n, t, sizeof t);
        line(l, "    %.19s %-9s %-26s -> %-10s %s", clock_iso8601(n->created_ms, when, sizeof when),
             n->what, n->rule, n->webhook, t);
    }
    line(l, "%s", "");
    line(l, "Metrics (source)");
    for (int i = 0; i < METRIC_COUNT; i++) {
        int unit = metric_defs[i].unit == UNIT_SECONDS ? 1
                   : metric_defs[i].unit == UNIT_BYTES ? 2
                                                       : 0;
        line(l, "  %-30s %12s  %s", metric_defs[i].name, num(st->metrics[i], a, sizeof a, unit),
             isnan(st->metrics[i]) ? "" : metric_origin_name(st->origin[i]));
    }
    size_t idx = (size_t)(st - m->frame.snap->streams);
    static const char *const wname[] = {"last hour", "last 6 hours", "last 24 hours"};
    line(l, "%s", "");
    line(l, "History, %s (w changes the window)", wname[m->window]);
    for (int k = 0; k < SPARK_METRICS; k++) {
        char spark[SPARK_POINTS * 4 + 1];
        sparkline(spark, sizeof spark, m->frame.spark ? m->frame.spark[idx].v[k] : NULL,
                  SPARK_POINTS, m->utf8);
        line(l, "  %-26s %s", metric_defs[tui_spark_metrics[k]].name, spark);
    }
    if (*m->db_note)
        line(l, "  (no history: %s)", m->db_note);
    line(l, "%s", "");
    line(l, "Recent batches (id, start, duration, input rows)");
    for (size_t i = st->nbatches > 10 ? st->nbatches - 10 : 0; i < st->nbatches; i++) {
        const struct snap_batch *bt = &st->batches[i];
        double dur = bt->commit_ms >= 0 && bt->start_ms >= 0
                         ? (double)(bt->commit_ms - bt->start_ms) / 1000
                         : NAN;
        char rows[32];
        line(l, "  %8lld  %.19s  %-9s  %s", (long long)bt->id,
             bt->start_ms >= 0 ? clock_iso8601(bt->start_ms, when, sizeof when) : "-",
             bt->commit_ms < 0 ? "in flight" : num(dur, b, sizeof b, 1),
             num(bt->rows, rows, sizeof rows, 0));
    }
    const struct snap_schema *schemas[] = {&st->schema, &st->sink_schema};
    const char *sname[] = {"schema location", "sink"};
    for (int k = 0; k < 2; k++) {
        const struct snap_schema *sc = schemas[k];
        if (sc->version < 0)
            continue;
        line(l, "%s", "");
        line(l, "Schema (%s): version %lld, appeared %.19s", sname[k], (long long)sc->version,
             sc->appeared_ms >= 0 ? clock_iso8601(sc->appeared_ms, when, sizeof when) : "-");
        for (size_t i = 0; i < sc->changes.n; i++)
            line(l, "  %s", sc->changes.v[i]);
    }
    if (idx < m->frame.nschemas && m->frame.schemas[idx].n) {
        line(l, "%s", "");
        line(l, "Schema history (recorded by streamtop)");
        for (size_t i = 0; i < m->frame.schemas[idx].n; i++)
            line(l, "  %s", m->frame.schemas[idx].v[i]);
    }
    for (size_t i = 0; i < st->ndeadletters; i++) {
        const struct snap_deadletter *d = &st->deadletters[i];
        line(l, "%s", "");
        line(l, "Dead letters %s: %s files, %s (%s)", d->prefix, num(d->files, a, sizeof a, 0),
             num(d->bytes, b, sizeof b, 2), d->layout ? d->layout : "-");
        if (d->error)
            line(l, "  ERROR %s", d->error);
        if (d->sample_reason)
            line(l, "  reason %s", d->sample_reason);
        if (d->sample_record)
            line(l, "  record %s", d->sample_record);
        else if (d->sample_line)
            line(l, "  sample %s", d->sample_line);
    }
}

static void detail_view(const struct tui_model *m, int rows, int cols)
{
    const struct snap_stream *st = model_selected(m);
    if (!st) {
        put(2, 0, cols, "no stream selected", false);
        return;
    }
    struct lines l = {0};
    detail_lines(m, st, &l);
    size_t first = m->detail_scroll < l.n ? m->detail_scroll : (l.n ? l.n - 1 : 0);
    for (int r = 1; r < rows - 1; r++) {
        move(r, 0);
        clrtoeol();
        size_t i = first + (size_t)(r - 1);
        if (i < l.n) {
            bool title = l.v[i][0] != ' ' && i > 0;
            if (title || i == 0)
                on(m, i == 0 ? health_pair(st->status) : CP_HEADER, true);
            put(r, 0, cols, l.v[i], false);
            off();
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
}

/* ---- alerts ------------------------------------------------------------------------------ */

struct arow {
    const struct snap_stream *st;
    const struct snap_alert *a;
};

static int cmp_arow(const void *pa, const void *pb)
{
    const struct arow *x = pa, *y = pb;
    int c = (y->a->firing - x->a->firing);
    if (!c)
        c = health_urgency(y->a->level) - health_urgency(x->a->level);
    if (!c)
        c = (x->a->since_ms > y->a->since_ms) - (x->a->since_ms < y->a->since_ms);
    return c;
}

static void alerts_view(const struct tui_model *m, int rows, int cols)
{
    attron(A_REVERSE);
    move(1, 0);
    clrtoeol();
    putf(1, 0, cols, "%-8s %-8s %-20s %-28s %-19s %10s  %-16s %s", "LEVEL", "STATE", "STREAM",
         "RULE", "SINCE", "VALUE", "THRESHOLD", "LAST NOTIFICATION");
    for (int x = getcurx(stdscr); x < cols; x++)
        addch(' ');
    attroff(A_REVERSE);
    size_t n = 0;
    for (size_t i = 0; m->frame.snap && i < m->frame.snap->nstreams; i++)
        n += m->frame.snap->streams[i].nalerts;
    struct arow *v = xcalloc(n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; m->frame.snap && i < m->frame.snap->nstreams; i++)
        for (size_t a = 0; a < m->frame.snap->streams[i].nalerts; a++)
            v[k++] =
                (struct arow){&m->frame.snap->streams[i], &m->frame.snap->streams[i].alerts[a]};
    qsort(v, n, sizeof *v, cmp_arow);
    for (int r = 2; r < rows - 1; r++) {
        move(r, 0);
        clrtoeol();
        size_t i = m->detail_scroll + (size_t)(r - 2);
        if (i >= n)
            continue;
        char when[40], val[32], note[400] = "-";
        const struct pass_note *last = model_last_note(m, v[i].st->name, v[i].a->rule);
        if (last)
            note_text(last, note, sizeof note);
        else if (v[i].a->silenced)
            snprintf(note, sizeof note, "silenced");
        on(m, health_pair(v[i].a->level), v[i].a->firing);
        putf(r, 0, cols, "%-8s %-8s %-20.20s %-28.28s %-19.19s %10s  %-16.16s %s",
             health_name(v[i].a->level), v[i].a->firing ? "firing" : "pending", v[i].st->name,
             v[i].a->rule, clock_iso8601(v[i].a->since_ms, when, sizeof when),
             num(v[i].a->value, val, sizeof val, 0), v[i].a->threshold, note);
        off();
    }
    if (n == 0)
        put(3, 2, cols - 2, "no alerts firing or pending", false);
    free(v);
}

static void help_view(int rows, int cols)
{
    int r = 1;
    put(r++, 0, cols, "Keys", false);
    for (const struct tui_key *k = tui_keys; k->key && r < rows - 1; k++)
        if (k->label)
            putf(r++, 2, cols - 2, "%-10s %s", k->label, k->help);
    if (r < rows - 1)
        putf(r + 1, 2, cols - 2, "%s", "Mouse: click selects a stream, the wheel scrolls.");
}

void view_draw(const struct tui_model *m, int rows, int cols)
{
    erase();
    if (rows < 5 || cols < 20) {
        put(0, 0, cols, "terminal too small", false);
        return;
    }
    header(m, cols);
    switch (m->view) {
    case V_STREAMS:
        streams_view(m, rows, cols);
        break;
    case V_DETAIL:
        detail_view(m, rows, cols);
        break;
    case V_ALERTS:
        alerts_view(m, rows, cols);
        break;
    case V_HELP:
        help_view(rows, cols);
        break;
    }
    footer(m, rows, cols);
}
