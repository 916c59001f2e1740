#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_done(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static void reserve(struct buf *b, size_t extra)
{
    xgrow((void **)&b->data, &b->cap, b->len + extra + 1, 1);
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_append(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0)
        return;
    reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *buf_steal(struct buf *b)
{
    char *p = b->data ? b->data : xstrdup("");
    buf_init(b);
    return p;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}

void buf_put_u32(struct buf *b, uint32_t v)
{
    buf_append(b, &v, sizeof v);
}

void buf_put_i64(struct buf *b, int64_t v)
{
    buf_append(b, &v, sizeof v);
}

void buf_put_name(struct buf *b, const char *s)
{
    buf_put_u32(b, (uint32_t)strlen(s));
    buf_append(b, s, strlen(s));
}

const void *buf_take(struct buf_reader *r, size_t n)
{
    if (r->bad || n > r->left) {
        r->bad = true;
        return NULL;
    }
    const void *at = r->p;
    r->p += n;
    r->left -= n;
    return at;
}

uint32_t buf_take_u32(struct buf_reader *r)
{
    uint32_t v = 0;
    const void *p = buf_take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

int64_t buf_take_i64(struct buf_reader *r)
{
    int64_t v = 0;
    const void *p = buf_take(r, sizeof v);
    if (p)
        memcpy(&v, p, sizeof v);
    return v;
}

char *buf_take_name(struct buf_reader *r, size_t max)
{
    uint32_t n = buf_take_u32(r);
    const char *p = n <= max ? buf_take(r, n) : NULL;
    if (!p || memchr(p, '\0', n)) {
        r->bad = true;
        return NULL;
    }
    return xstrndup(p, n);
}

void buf_take_into(struct buf_reader *r, void *dst, size_t n)
{
    const void *p = buf_take(r, n);
    if (p)
        memcpy(dst, p, n);
    else
        memset(dst, 0, n);
}

void buf_put_names(struct buf *b, const struct strvec *v)
{
    buf_put_u32(b, (uint32_t)v->n);
    for (size_t i = 0; i < v->n; i++)
        buf_put_name(b, v->v[i]);
}

void buf_take_names(struct buf_reader *r, struct strvec *out, size_t max)
{
    uint32_t n = buf_take_u32(r);
    if (n > r->left / 4) /* each name takes 4 bytes at least */
        r->bad = true;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        char *name = buf_take_name(r, max);
        if (name)
            strvec_take(out, name);
    }
}
