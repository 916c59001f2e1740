/* The help view: the key table, as tui.c dispatches it. */
#include "tui/keymap.h"
#include "tui/views.h"
#include "tui/widgets.h"

static void draw(const struct tui_model *m, int rows, int cols)
{
    (void)m;
    int r = 1;
    widget_put(r++, 0, cols, "Keys", false);
    for (const struct tui_key *k = tui_keys; k->key && r < rows - 1; k++)
        if (k->label)
            widget_putf(r++, 2, cols - 2, "%-10s %s", k->label, k->help);
    if (r < rows - 1)
        widget_putf(r + 1, 2, cols - 2, "%s", "Mouse: click selects a stream, the wheel scrolls.");
}

const struct view_ops view_help_ops = {.draw = draw};
