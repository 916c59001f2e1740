#include "tui/lines.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/xalloc.h"

static void push(struct lines *l, char *owned)
{
    xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    l->v[l->n++] = owned;
}

static void vadd(struct lines *l, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void vadd(struct lines *l, const char *fmt, va_list ap)
{
    char buf[4096];
    vsnprintf(buf, sizeof buf, fmt, ap);
    push(l, sanitize_dup(buf, strlen(buf)));
}

void lines_add(struct lines *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vadd(l, fmt, ap);
    va_end(ap);
}

void lines_section(struct lines *l, const char *fmt, ...)
{
    push(l, xstrdup(""));
    va_list ap;
    va_start(ap, fmt);
    vadd(l, fmt, ap);
    va_end(ap);
}

/* Byte offsets of each column's character in s: offs[c] for column c, offs[ncols] = strlen. */
static size_t *column_offsets(const char *s, size_t *ncols)
{
    size_t len = strlen(s), n = 0;
    size_t *offs = xcalloc(len + 1, sizeof *offs);
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            offs[n++] = i;
    offs[n] = len;
    *ncols = n;
    return offs;
}

/* Where continuation lines of s start: under the text after its first word. */
static size_t hang_of(const char *s, const size_t *offs, size_t ncols, int cols)
{
    size_t c = 0;
    while (c < ncols && s[offs[c]] == ' ')
        c++;
    size_t indent = c;
    if (indent == 0) /* a title */
        return 2;
    while (c < ncols && s[offs[c]] != ' ')
        c++;
    while (c < ncols && s[offs[c]] == ' ')
        c++;
    return c < ncols && c <= (size_t)cols / 2 ? c : indent + 2;
}

static void wrap_one(struct lines *out, const char *s, int cols)
{
    size_t ncols;
    size_t *offs = column_offsets(s, &ncols);
    if (cols < 8 || ncols <= (size_t)cols) {
        push(out, xstrdup(s));
        free(offs);
        return;
    }
    size_t hang = hang_of(s, offs, ncols, cols);
    size_t start = 0, width = (size_t)cols; /* the piece from column start, width wide */
    bool first = true;
    while (start < ncols) {
        size_t end = start + width;
        if (end >= ncols) {
            end = ncols;
        } else {
            /* the last space in the piece, so a word is not split, unless there is none */
            size_t sp = end;
            while (sp > start && s[offs[sp]] != ' ')
                sp--;
            if (sp > start)
                end = sp;
        }
        char *piece = xasprintf("%*s%.*s", first ? 0 : (int)hang, "",
                                (int)(offs[end] - offs[start]), s + offs[start]);
        push(out, piece);
        start = end;
        while (start < ncols && s[offs[start]] == ' ')
            start++;
        first = false;
        width = (size_t)cols - hang;
    }
    free(offs);
}

void lines_wrap(struct lines *l, int cols, size_t **first_of)
{
    struct lines out = {0};
    size_t *map = NULL, cap = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t before = out.n;
        wrap_one(&out, l->v[i], cols);
        if (first_of) {
            xgrow((void **)&map, &cap, out.n + 1, sizeof *map);
            for (size_t k = before; k < out.n; k++)
                map[k] = i;
        }
    }
    lines_free(l);
    *l = out;
    if (first_of)
        *first_of = map;
}

void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (struct lines){0};
}
