/* widgets: the drawing pieces every view shares: sanitised text at a place, right-aligned cells,
 * title bars, scrolled rows, colours by health, formatted numbers, sparklines and notification
 * states. Text from storage always goes through widget_put (or widget_putf), which sanitises it. */
#ifndef STREAMTOP_TUI_WIDGETS_H
#define STREAMTOP_TUI_WIDGETS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/health.h"
#include "pass/pass.h"
#include "tui/format.h"
#include "tui/model.h"

/* Colour pairs (set up by tui.c when colour is on). */
enum { CP_OK = 1, CP_WARNING, CP_CRITICAL, CP_UNKNOWN, CP_HEADER, CP_DIM };

/* Put text (NULL = "") at (y, x), sanitised, at most w columns; pads with spaces to w when pad. */
void widget_put(int y, int x, int w, const char *text, bool pad);
/* widget_put of a formatted text, not padded. */
void widget_putf(int y, int x, int w, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Put text right-aligned in the w columns at (y, x), the columns to its left blanked. */
void widget_put_right(int y, int x, int w, const char *text);
/* Put a note (e.g. "no streams") under the title bar, indented. */
void widget_empty(int cols, const char *text);

/* Turn on colour pair (0 = none; only when the model has colour) and bold. */
void widget_attr(const struct tui_model *m, int pair, bool bold);
/* Back to normal attributes. */
void widget_attr_off(void);
/* Start a title bar on row y: the row cleared, reverse video on. */
void widget_bar_begin(int y);
/* End the title bar of row y: columns x..cols-1 filled in reverse video, then reverse off. */
void widget_bar_end(int y, int x, int cols);
/* Draw a scrolled list on rows y0..y1-1: each row cleared, then row(ctx, i, y) for the item
 * i = first + (y - y0) while i < n. */
void widget_rows(int y0, int y1, size_t first, size_t n,
                 void (*row)(const void *ctx, size_t i, int y), const void *ctx);

/* The colour pair of a health. */
int widget_health_pair(enum health h);
/* A health as a mark and a short name: "+ ok", "! warn" (with UTF-8 symbols when utf8). */
const char *widget_health_tag(enum health h, bool utf8);
/* The short name of a health: "ok", "warn", "crit", "unkn". */
const char *widget_health_short(enum health h);

/* Write v into out (n bytes) in unit: "-" for NaN, "inf", "0s" for a zero duration. Returns out. */
char *widget_num(double v, char *out, size_t n, enum widget_unit unit);
/* widget_num in the unit of metric (an index in metric_defs). Returns out. */
char *widget_metric(double v, int metric, char *out, size_t n);
/* A sparkline of w cells from s (SPARK_POINTS values, oldest first; NULL = none), scaled to its
 * own maximum, into out (n bytes): UTF-8 blocks when utf8, else ASCII. */
void widget_sparkline(char *out, size_t n, const double *s, int w, bool utf8);
/* The state of a notification into out: "delivered 14:02:11", "HTTP 503, retrying (3 tries)",
 * "failed: ...", "waiting". */
void widget_note_state(const struct notification *note, char *out, size_t n);

#endif
