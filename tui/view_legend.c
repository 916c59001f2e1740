/* The legend (?): what every abbreviation of the streams and alerts tables means, and the marks
 * in their cells. The same words are in streamtop(1), under COLUMNS. */
#include "core/metrics.h"
#include "tui/columns.h"
#include "tui/format.h"
#include "tui/lines.h"
#include "tui/views.h"
#include "tui/widgets.h"

static const char *const alert_cols[][2] = {
    {"LEVEL", "warn or crit"},
    {"STATE", "firing, or pending (its condition holds, but not yet for the rule's `for`)"},
    {"STREAM", "the stream"},
    {"RULE", "the rule (builtin: for a built-in one)"},
    {"AGE", "how long ago it started being pending or firing"},
    {"VALUE", "the metric's value at the last evaluation"},
    {"THRESHOLD", "the condition it crossed"},
    {"LAST NOTIFICATION", "delivered, retrying or failed, of its newest notification"},
};

/* A line "  KEY  text", the key padded by columns (marks may be UTF-8). */
static void item(struct lines *l, const char *key, const char *text)
{
    int pad = 12 - tui_text_cols(key);
    lines_add(l, "  %s%*s %s", key, pad > 0 ? pad : 0, "", text);
}

static void build(const struct tui_model *m, struct lines *l)
{
    lines_add(l, "Columns of the streams table (q or Esc: back; C chooses them, F6 sorts)");
    for (int i = 0; i < COL__N; i++) {
        const struct tui_column *c = &tui_columns[i];
        if (c->metric >= 0)
            lines_add(l, "  %-12s %s (%s)", c->title, c->help, metric_defs[c->metric].name);
        else
            lines_add(l, "  %-12s %s", c->title, c->help);
    }
    lines_section(l, "Marks");
    lines_add(l, "  %-12s %s, %s, %s, %s", "STATUS", tui_health_tag(HEALTH_OK, m->utf8),
              tui_health_tag(HEALTH_WARNING, m->utf8), tui_health_tag(HEALTH_CRITICAL, m->utf8),
              tui_health_tag(HEALTH_UNKNOWN, m->utf8));
    item(l, m->utf8 ? "\xe2\x96\xbc \xe2\x96\xb2" : "v ^",
         "after a title: the table is sorted by that column, down in its natural order (most "
         "urgent, largest, A first), up reversed");
    item(l, m->utf8 ? "\xe2\x80\xa6" : "..",
         "in a name: cut to fit, keeping what tells it apart (Enter shows it whole)");
    lines_add(l, "  %-12s %s", "-", "not measurable now");
    lines_add(l, "  %-12s %s", "1.2k 3.4M", "thousands, millions (sizes in kB, MB, GB)");
    lines_add(l, "  %-12s %s", "4m05s 2d04h", "durations");
    lines_section(l, "Columns of the alerts view (a)");
    for (size_t i = 0; i < sizeof alert_cols / sizeof alert_cols[0]; i++)
        lines_add(l, "  %-12s %s", alert_cols[i][0], alert_cols[i][1]);
}

static void draw(const struct tui_model *m, int rows, int cols)
{
    struct lines l = {0};
    build(m, &l);
    view_scrolled_lines(m, &l, rows, cols);
    lines_free(&l);
}

static size_t length(const struct tui_model *m, int cols)
{
    struct lines l = {0};
    build(m, &l);
    lines_wrap(&l, cols, NULL);
    size_t n = l.n;
    lines_free(&l);
    return n;
}

const struct view_ops view_legend_ops = {.draw = draw, .length = length, .chrome = 2};
