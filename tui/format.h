/* format: the dashboard's text of numbers, times and names, without curses, so the plain
 * `watch` table writes them exactly as the dashboard does. */
#ifndef STREAMTOP_TUI_FORMAT_H
#define STREAMTOP_TUI_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/health.h"

/* How a number is written: a count (1.2k), a duration (4m05s) or bytes (3.4 MB). */
enum widget_unit { WU_COUNT, WU_DURATION, WU_BYTES };

/* Write v into out (n bytes) in unit: "-" for NaN, "inf", "0s" for a zero duration. Returns out. */
char *tui_fmt_num(double v, char *out, size_t n, enum widget_unit unit);
/* tui_fmt_num in the unit of metric (an index in metric_defs). Returns out. */
char *tui_fmt_metric(double v, int metric, char *out, size_t n);
/* How long ago ms was, seen at now_ms, in one or two units: "42s ago", "5m ago", "3h05m ago",
 * "2d04h ago" ("0s ago" for a time ahead of now, "-" when ms is negative). Returns out. */
char *tui_fmt_ago(int64_t ms, int64_t now_ms, char *out, size_t n);
/* How a time is written: "14:02:11 CET" (the header), or "2026-11-23 14:02:11" (the detail). */
enum tui_time { TT_CLOCK_ZONE, TT_DATE_TIME };
/* ms in local time as style says, "-" when ms is negative. The zone is the process's (TZ), read
 * once by tzset() at startup. Returns out. */
char *tui_fmt_local(int64_t ms, enum tui_time style, char *out, size_t n);
/* A health as a mark and a short name: "+ ok", "! warn" (with UTF-8 symbols when utf8). */
const char *tui_health_tag(enum health h, bool utf8);
/* Columns text takes on screen (a character is one column; text is sanitised UTF-8). */
int tui_text_cols(const char *text);
/* text (sanitised) fitted into w columns: as is when it fits, else its start and its end around
 * a middle ellipsis ("…" when utf8, else ".."), so names that differ at the end stay apart.
 * Returns out. */
char *tui_fit_middle(const char *text, int w, bool utf8, char *out, size_t n);
/* For each of n texts (sanitised), how many columns of its start (head[i]) and of its end
 * (tail[i]) tell it apart from every other text: one more than its longest common prefix, and
 * suffix, with any of them. */
void tui_distinct_ends(const char *const *texts, size_t n, int *head, int *tail);
/* tui_fit_middle that keeps the text apart from the others of tui_distinct_ends: when the even
 * cut would lose what differs, the cut moves so that head columns of the start, or else tail
 * columns of the end, stay, whichever needs fewer (orders_eu_2023_backfill and
 * orders_eu_2024_backfill in 16 columns: "order…3_backfill", "order…4_backfill"); when
 * neither fits, its start and the stretch up to where it differs, between two ellipses.
 * Returns out. */
char *tui_fit_apart(const char *text, int w, bool utf8, int head, int tail, char *out, size_t n);
/* Which of n parts to keep on a line of avail columns: the parts of the lowest priority numbers
 * first, in that order, while they fit (width[i] columns each, separators included); a part
 * that does not fit is skipped and later ones are still tried. Fills keep[]; returns the
 * columns used. At most TUI_FIT_MAX parts (those past it are never kept). */
#define TUI_FIT_MAX 64
int tui_fit_parts(const int *width, const int *prio, size_t n, int avail, bool *keep);

#endif
