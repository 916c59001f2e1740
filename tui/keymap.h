/* keymap: the one table of keys; the help view prints it and tui.c dispatches through it. */
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
    A_BACK,
    A_FILTER,
    A_SORT,
    A_SORT_REVERSE,
    A_PAUSE,
    A_REFRESH,
    A_EXPORT,
    A_ALERTS,
    A_HELP,
    A_WINDOW,
    A_QUIT,
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
