#include "tui/keymap.h"

#include <curses.h>
#include <stddef.h>

const struct tui_key tui_keys[] = {
    {KEY_UP, A_UP, "Up k", "previous stream (scroll in a detail)"},
    {'k', A_UP, NULL, NULL},
    {KEY_DOWN, A_DOWN, "Down j", "next stream"},
    {'j', A_DOWN, NULL, NULL},
    {KEY_PPAGE, A_PAGE_UP, "PgUp", "one page up"},
    {KEY_NPAGE, A_PAGE_DOWN, "PgDn", "one page down"},
    {KEY_HOME, A_HOME, "Home g", "first stream"},
    {'g', A_HOME, NULL, NULL},
    {KEY_END, A_END, "End G", "last stream"},
    {'G', A_END, NULL, NULL},
    {'\n', A_OPEN, "Enter", "the selected stream's detail"},
    {KEY_ENTER, A_OPEN, NULL, NULL},
    {'\r', A_OPEN, NULL, NULL},
    {27, A_BACK, "Esc", "back to the streams"},
    {KEY_BACKSPACE, A_BACK, NULL, NULL},
    {'/', A_FILTER, "/", "filter by name or label (Enter keeps it, Esc clears it)"},
    {'s', A_SORT, "s", "next sort column"},
    {'S', A_SORT_REVERSE, "S", "reverse the sort"},
    {'p', A_PAUSE, "p", "pause or resume collection"},
    {'r', A_REFRESH, "r", "collect now"},
    {'e', A_EXPORT, "e", "write a JSON snapshot to a file"},
    {'a', A_ALERTS, "a", "every firing and pending alert"},
    {'w', A_WINDOW, "w", "history window of the detail's sparklines: 1h, 6h, 24h"},
    {'?', A_HELP, "? h", "this help"},
    {'h', A_HELP, NULL, NULL},
    {'q', A_QUIT, "q", "quit"},
    {0, A_NONE, NULL, NULL},
};

enum tui_action keymap_action(int key)
{
    for (const struct tui_key *k = tui_keys; k->key; k++)
        if (k->key == key)
            return k->action;
    return A_NONE;
}
