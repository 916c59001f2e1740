#include "tui/keymap.h"

#include <curses.h>
#include <stddef.h>

/* htop's function keys (F1 help, F2 setup, F4 filter, F6 sort by, F10 quit) beside k9s' and
 * less' letters (q and Esc go back, / filters, ? explains). */
const struct tui_key tui_keys[] = {
    {KEY_UP, A_UP, "Up k", "previous stream or alert (scrolls a detail and help)"},
    {'k', A_UP, NULL, NULL},
    {KEY_DOWN, A_DOWN, "Down j", "next stream"},
    {'j', A_DOWN, NULL, NULL},
    {KEY_PPAGE, A_PAGE_UP, "PgUp", "one page up"},
    {KEY_NPAGE, A_PAGE_DOWN, "PgDn", "one page down"},
    {KEY_HOME, A_HOME, "Home g", "first stream"},
    {'g', A_HOME, NULL, NULL},
    {KEY_END, A_END, "End G", "last stream"},
    {'G', A_END, NULL, NULL},
    {'\n', A_OPEN, "Enter",
     "the selected stream's detail (of an alert, its stream); in a menu, pick"},
    {KEY_ENTER, A_OPEN, NULL, NULL},
    {'\r', A_OPEN, NULL, NULL},
    {' ', A_TOGGLE, "Space", "in the column chooser, show or hide a column"},
    {'q', A_QUIT, "q", "back to the view before; quits from the streams table"},
    {27, A_BACK, "Esc", "back to the view before; clears the filter in the streams table"},
    {KEY_BACKSPACE, A_BACK, NULL, NULL},
    {KEY_F(10), A_EXIT, "F10", "quit from any view"},
    {KEY_F(1), A_HELP, "F1 h", "this help (again: back)"},
    {'h', A_HELP, NULL, NULL},
    {'?', A_LEGEND, "?", "what each column's abbreviation means"},
    {'/', A_FILTER, "/ F4", "filter by name or label (Enter keeps it, Esc clears it)"},
    {KEY_F(4), A_FILTER, NULL, NULL},
    {KEY_F(6), A_SORT_MENU, "F6", "choose the sort column from a list"},
    {'<', A_SORT_PREV, "< >", "sort by the column left or right of the sorted one"},
    {'>', A_SORT_NEXT, NULL, NULL},
    {'s', A_SORT_NEXT, "s", "next sort column (as >)"},
    {'S', A_SORT_REVERSE, "S", "reverse the sort"},
    {'C', A_COLUMNS, "C F2", "choose the columns (for this session)"},
    {KEY_F(2), A_COLUMNS, NULL, NULL},
    {'a', A_ALERTS, "a", "every firing and pending alert"},
    {'p', A_PAUSE, "p", "pause or resume collection"},
    {'r', A_REFRESH, "r", "collect now"},
    {'e', A_EXPORT, "e", "write a JSON snapshot to a file"},
    {'w', A_WINDOW, "w", "history window of the detail's sparklines: 1h, 6h, 24h"},
    {0, A_NONE, NULL, NULL},
};

enum tui_action keymap_action(int key)
{
    for (const struct tui_key *k = tui_keys; k->key; k++)
        if (k->key == key)
            return k->action;
    return A_NONE;
}
