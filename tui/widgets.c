#include "tui/widgets.h"

#include <curses.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "tui/format.h"
#include "tui/frame.h"

void widget_put(int y, int x, int w, const char *text, bool pad)
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

void widget_putf(int y, int x, int w, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    widget_put(y, x, w, buf, false);
}

void widget_put_right(int y, int x, int w, const char *text)
{
    int len = tui_text_cols(text);
    int left = w - len > 0 ? w - len : 0;
    widget_put(y, x, left, "", true);
    widget_put(y, x + left, w, text, false);
}

void widget_empty(int cols, const char *text)
{
    widget_put(3, 2, cols - 2, text, false);
}

void widget_attr(const struct tui_model *m, int pair, bool bold)
{
    if (m->color && pair)
        attron(COLOR_PAIR(pair));
    if (bold)
        attron(A_BOLD);
}

void widget_attr_off(void)
{
    attrset(A_NORMAL);
}

void widget_bar_begin(int y)
{
    attron(A_REVERSE);
    move(y, 0);
    clrtoeol();
}

void widget_bar_end(int y, int x, int cols)
{
    for (; x < cols; x++)
        mvaddch(y, x, ' ');
    attroff(A_REVERSE);
}

void widget_rows(int y0, int y1, size_t first, size_t n,
                 void (*row)(const void *ctx, size_t i, int y), const void *ctx)
{
    for (int y = y0; y < y1; y++) {
        move(y, 0);
        clrtoeol();
        size_t i = first + (size_t)(y - y0);
        if (i < n)
            row(ctx, i, y);
    }
}

int widget_health_pair(enum health h)
{
    return h == HEALTH_OK         ? CP_OK
           : h == HEALTH_WARNING  ? CP_WARNING
           : h == HEALTH_CRITICAL ? CP_CRITICAL
                                  : CP_UNKNOWN;
}

const char *widget_health_tag(enum health h, bool utf8)
{
    return tui_health_tag(h, utf8);
}

const char *widget_health_short(enum health h)
{
    /* every ASCII tag is a one-character mark, a space, then the short name */
    return widget_health_tag(h, false) + 2;
}

char *widget_num(double v, char *out, size_t n, enum widget_unit unit)
{
    return tui_fmt_num(v, out, n, unit);
}

char *widget_metric(double v, int metric, char *out, size_t n)
{
    return tui_fmt_metric(v, metric, out, n);
}

void widget_sparkline(char *out, size_t n, const double *s, int w, bool utf8)
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

void widget_note_state(const struct notification *note, char *out, size_t n)
{
    char when[40];
    if (note->done_ms >= 0 && note->status >= 200 && note->status < 300)
        snprintf(out, n, "delivered %.8s", clock_iso8601(note->done_ms, when, sizeof when) + 11);
    else if (note->done_ms >= 0)
        snprintf(out, n, "failed: %s", note->error ? note->error : "-");
    else if (note->attempts > 0)
        snprintf(out, n, "%s, retrying (%d tries)", note->error ? note->error : "not delivered",
                 note->attempts);
    else
        snprintf(out, n, "waiting");
}
