#include "tui/format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "core/parse.h"
#include "core/xalloc.h"

char *tui_fmt_num(double v, char *out, size_t n, enum widget_unit unit)
{
    if (isnan(v))
        return snprintf(out, n, "-"), out;
    if (isinf(v))
        return snprintf(out, n, "inf"), out;
    switch (unit) {
    case WU_DURATION:
        if (v == 0)
            return snprintf(out, n, "0s"), out;
        return fmt_duration(v, out, n);
    case WU_BYTES:
        return fmt_bytes(v, out, n);
    case WU_COUNT:
        break;
    }
    return fmt_count(v, out, n);
}

char *tui_fmt_metric(double v, int metric, char *out, size_t n)
{
    enum metric_unit u = metric_defs[metric].unit;
    return tui_fmt_num(v, out, n,
                       u == UNIT_SECONDS ? WU_DURATION
                       : u == UNIT_BYTES ? WU_BYTES
                                         : WU_COUNT);
}

char *tui_fmt_ago(int64_t ms, int64_t now_ms, char *out, size_t n)
{
    if (ms < 0)
        return snprintf(out, n, "-"), out;
    long long s = now_ms > ms ? (now_ms - ms) / 1000 : 0;
    if (s < 60)
        snprintf(out, n, "%llds ago", s);
    else if (s < 3600)
        snprintf(out, n, "%lldm ago", s / 60);
    else if (s < 86400)
        snprintf(out, n, "%lldh%02lldm ago", s / 3600, s % 3600 / 60);
    else
        snprintf(out, n, "%lldd%02lldh ago", s / 86400, s % 86400 / 3600);
    return out;
}

char *tui_fmt_local(int64_t ms, enum tui_time style, char *out, size_t n)
{
    struct tm tm;
    time_t t = (time_t)(ms / 1000);
    size_t len = 0;
    if (ms >= 0 && localtime_r(&t, &tm))
        len = style == TT_CLOCK_ZONE ? strftime(out, n, "%H:%M:%S %Z", &tm)
                                     : strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm);
    if (len == 0)
        snprintf(out, n, "-");
    return out;
}

const char *tui_health_tag(enum health h, bool utf8)
{
    static const char *const u[] = {"\xe2\x9c\x94 ok", "\xe2\x96\xb2 warn", "\xe2\x9c\x96 crit",
                                    "? unkn"};
    static const char *const a[] = {"+ ok", "! warn", "X crit", "? unkn"};
    return utf8 ? u[h] : a[h];
}

int tui_text_cols(const char *text)
{
    int cols = 0;
    for (const char *c = text; *c; c++)
        cols += ((unsigned char)*c & 0xC0) != 0x80;
    return cols;
}

/* Byte offset of the character that starts column col of text. */
static size_t col_offset(const char *text, int col)
{
    size_t i = 0;
    for (int c = 0; text[i]; i++) {
        if (((unsigned char)text[i] & 0xC0) == 0x80)
            continue;
        if (c++ == col)
            break;
    }
    return i;
}

char *tui_fit_middle(const char *text, int w, bool utf8, char *out, size_t n)
{
    return tui_fit_apart(text, w, utf8, 0, 0, out, n);
}

char *tui_fit_apart(const char *text, int w, bool utf8, int head, int tail, char *out, size_t n)
{
    int len = tui_text_cols(text);
    const char *dots = utf8 ? "\xe2\x80\xa6" : "..";
    int dw = utf8 ? 1 : 2;
    if (len <= w || w <= dw + 1) {
        size_t cut = col_offset(text, w > 0 ? w : 0);
        snprintf(out, n, "%.*s", (int)cut, text);
        return out;
    }
    int room = w - dw;
    /* an even cut, the end the larger half (orders_eu_2023, orders_eu_2024 differ there) */
    int t = (room + 1) / 2;
    int h = room - t;
    if (h < head && t < tail) { /* the even cut loses what tells this text apart */
        /* keep the side that needs fewer columns, so the other keeps more */
        if (head < room && (tail >= room || head <= tail)) {
            h = head;
            t = room - h;
        } else if (tail < room) {
            t = tail;
            h = room - t;
        } else if (room - dw >= 6 && head <= len) {
            /* alike at both ends for longer than the column: its start, then the stretch that
             * ends where it first differs, between two ellipses ("ord…u_2023…") */
            int start = (room - dw) / 3, win = room - dw - start;
            int from = head - win;
            if (from > start) {
                size_t sb = col_offset(text, start), fb = col_offset(text, from),
                       eb = col_offset(text, head);
                snprintf(out, n, "%.*s%s%.*s%s", (int)sb, text, dots, (int)(eb - fb), text + fb,
                         dots);
                return out;
            }
        }
    }
    size_t hb = col_offset(text, h), tb = col_offset(text, len - t);
    snprintf(out, n, "%.*s%s%s", (int)hb, text, dots, text + tb);
    return out;
}

/* Columns two texts share at their start, or (from_end) at their end. */
static int common_cols(const char *a, const char *b, bool from_end)
{
    size_t la = strlen(a), lb = strlen(b), k = 0;
    int cols = 0;
    while (k < la && k < lb) {
        unsigned char ca = (unsigned char)(from_end ? a[la - 1 - k] : a[k]);
        unsigned char cb = (unsigned char)(from_end ? b[lb - 1 - k] : b[k]);
        if (ca != cb)
            break;
        cols += (ca & 0xC0) != 0x80;
        k++;
    }
    return cols;
}

static const char *const *sort_texts; /* qsort has no context argument; one thread draws */

static int cmp_start(const void *pa, const void *pb)
{
    return strcmp(sort_texts[*(const size_t *)pa], sort_texts[*(const size_t *)pb]);
}

static int cmp_end(const void *pa, const void *pb)
{
    const char *a = sort_texts[*(const size_t *)pa], *b = sort_texts[*(const size_t *)pb];
    size_t la = strlen(a), lb = strlen(b);
    for (size_t k = 0; k < la && k < lb; k++)
        if (a[la - 1 - k] != b[lb - 1 - k])
            return (unsigned char)a[la - 1 - k] - (unsigned char)b[lb - 1 - k];
    return (la > lb) - (la < lb);
}

void tui_distinct_ends(const char *const *texts, size_t n, int *head, int *tail)
{
    size_t *ix = xcalloc(n + 1, sizeof *ix);
    for (int pass = 0; pass < 2; pass++) {
        int *need = pass == 0 ? head : tail;
        for (size_t i = 0; i < n; i++) {
            ix[i] = i;
            need[i] = 1;
        }
        sort_texts = texts;
        qsort(ix, n, sizeof *ix, pass == 0 ? cmp_start : cmp_end);
        sort_texts = NULL;
        /* the text most like each one sorts next to it */
        for (size_t i = 0; i + 1 < n; i++) {
            int c = common_cols(texts[ix[i]], texts[ix[i + 1]], pass == 1) + 1;
            if (c > need[ix[i]])
                need[ix[i]] = c;
            if (c > need[ix[i + 1]])
                need[ix[i + 1]] = c;
        }
    }
    free(ix);
}

int tui_fit_parts(const int *width, const int *prio, size_t n, int avail, bool *keep)
{
    bool decided[TUI_FIT_MAX] = {false};
    int used = 0;
    if (n > TUI_FIT_MAX)
        n = TUI_FIT_MAX;
    for (size_t i = 0; i < n; i++)
        keep[i] = false;
    for (size_t round = 0; round < n; round++) {
        size_t best = n; /* the most important part not decided yet */
        for (size_t i = 0; i < n; i++)
            if (!decided[i] && (best == n || prio[i] < prio[best]))
                best = i;
        decided[best] = true;
        if (used + width[best] <= avail) {
            keep[best] = true;
            used += width[best];
        }
    }
    return used;
}
