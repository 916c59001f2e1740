/* lines: text views (detail, help, legend) as a list of lines, sanitised, then wrapped to the
 * screen's width so nothing is cut: a long error or path goes on under itself. Curses-free. */
#ifndef STREAMTOP_TUI_LINES_H
#define STREAMTOP_TUI_LINES_H

#include <stddef.h>

struct lines {
    char **v; /* (owned) each line (owned), sanitised */
    size_t n, cap;
};

/* Append a formatted line (sanitised: text from storage is inert). */
void lines_add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A blank line, then a section title. */
void lines_section(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rewrap every line to at most cols columns: broken at a space where there is one, else inside
 * a word; a continuation is indented under the text after the line's first word ("  ERROR
 * checkpoint ..." goes on under "checkpoint"), or two columns in when that is more than half
 * the width. first_of[i], when not NULL, is filled with the index in the original list of each
 * new line (the caller frees it). */
void lines_wrap(struct lines *l, int cols, size_t **first_of);
/* Free every line; l is empty again. */
void lines_free(struct lines *l);

#endif
