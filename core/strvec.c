#include "core/strvec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"

void strvec_init(struct strvec *sv)
{
    sv->v = NULL;
    sv->n = 0;
    sv->cap = 0;
}

void strvec_done(struct strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    strvec_init(sv);
}

void strvec_take(struct strvec *sv, char *s)
{
    xgrow((void **)&sv->v, &sv->cap, sv->n + 1, sizeof *sv->v);
    sv->v[sv->n++] = s;
}

void strvec_push(struct strvec *sv, const char *s)
{
    strvec_take(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
    struct buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&b, fmt, ap);
    va_end(ap);
    strvec_take(sv, buf_steal(&b));
}

void strvec_copy(struct strvec *dst, const struct strvec *src)
{
    for (size_t i = 0; i < src->n; i++)
        strvec_push(dst, src->v[i]);
}

void strvec_split_lines(struct strvec *sv, const char *text)
{
    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        strvec_pushf(sv, "%.*s", (int)n, p);
        p += n + (nl != NULL);
    }
}

char *strvec_join_lines(const struct strvec *sv)
{
    struct buf b;
    buf_init(&b);
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            buf_putc(&b, '\n');
        buf_puts(&b, sv->v[i]);
    }
    return buf_steal(&b);
}
