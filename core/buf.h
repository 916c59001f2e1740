/* buf: a growable byte buffer, always NUL-terminated so it can be used as a C string. */
#ifndef STREAMTOP_BUF_H
#define STREAMTOP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* (owned) NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
/* Free the storage; the buffer may be reused after buf_init. */
void buf_done(struct buf *b);
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Give the contents to the caller (who frees); the buffer is left empty. Never NULL. */
char *buf_steal(struct buf *b);
/* The contents as a C string ("" when empty); borrowed. */
const char *buf_str(const struct buf *b);

#endif
