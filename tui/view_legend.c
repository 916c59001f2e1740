/* The legend (?): what every abbreviation of the streams and alerts tables means, and the marks
 * in their cells. The same words are in streamtop(1), under COLUMNS. */
#include "core/metrics.h"
#include "tui/columns.h"
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

static void draw(const struct tui_model *m, int rows, int cols)
{
    struct lines l = {0};
    lines_add(&l, "Columns of the streams table (q or Esc: back; C chooses them, F6 sorts)");
    for (int i = 0; i < COL__N; i++) {
        const struct tui_column *c = &tui_columns[i];
        if (c->metric >= 0)
            lines_add(&l, "  %-12s %s (%s)", c->title, c->help, metric_defs[c->metric].name);
        else
            lines_add(&l, "  %-12s %s", c->title, c->help);
    }
    lines_section(&l, "Marks");
    lines_add(&l, "  %-12s %s, %s, %s, %s", "STATUS", tui_health_tag(HEALTH_OK, m->utf8),
              tui_health_tag(HEALTH_WARNING, m->utf8), tui_health_tag(HEALTH_CRITICAL, m->utf8),
              tui_health_tag(HEALTH_UNKNOWN, m->utf8));
    lines_add(&l, "  %-12s %s", m->utf8 ? "\xe2\x96\xbc \xe2\x96\xb2" : "v ^",
              "after a title: the table is sorted by that column, down in its natural order "
              "(most urgent, largest, A first), up reversed");
    lines_add(&l, "  %-12s %s", m->utf8 ? "\xe2\x80\xa6" : "..",
              "in a name: the middle is cut to fit (Enter shows it whole)");
    lines_add(&l, "  %-12s %s", "-", "not measurable now");
    lines_add(&l, "  %-12s %s", "1.2k 3.4M", "thousands, millions (sizes in kB, MB, GB)");
    lines_add(&l, "  %-12s %s", "4m05s 2d04h", "durations");
    lines_section(&l, "Columns of the alerts view (a)");
    for (size_t i = 0; i < sizeof alert_cols / sizeof alert_cols[0]; i++)
        lines_add(&l, "  %-12s %s", alert_cols[i][0], alert_cols[i][1]);
    view_scrolled_lines(m, &l, rows, cols);
    lines_free(&l);
}

const struct view_ops view_legend_ops = {.draw = draw};
