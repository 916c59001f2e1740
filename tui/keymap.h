/* keymap: the one table of keys; the help view prints it and tui.c dispatches through it. What
 * an action does can depend on the view (Enter opens a detail, picks a sort column, shows or
 * hides a column). */
#ifndef STREAMTOP_TUI_KEYMAP_H
#define STREAMTOP_TUI_KEYMAP_H

enum tui_action {
    A_NONE,
    A_UP,
    A_DOWN,
    A_PAGE_UP,
    A_PAGE_DOWN,
    A_HOME,
    A_END,
    A_OPEN,
    A_TOGGLE,
    A_BACK,
    A_QUIT,
    A_EXIT,
    A_HELP,
    A_LEGEND,
    A_FILTER,
    A_SORT_MENU,
    A_SORT_PREV,
    A_SORT_NEXT,
    A_SORT_REVERSE,
    A_COLUMNS,
    A_ALERTS,
    A_PAUSE,
    A_REFRESH,
    A_EXPORT,
    A_WINDOW,
};

struct tui_key {
    int key; /* a curses key code or a character */
    enum tui_action action;
    const char *label; /* how help names the key, or NULL to list it with the previous one */
    const char *help;
};

extern const struct tui_key tui_keys[];
/* The action of a key, or A_NONE. */
enum tui_action keymap_action(int key);

#endif
