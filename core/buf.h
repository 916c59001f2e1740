/* buf: a growable byte buffer, always NUL-terminated so it can be used as a C string. */
#ifndef STREAMTOP_BUF_H
#define STREAMTOP_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/strvec.h"

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

/* Cursor blobs (saved and read back by the same machine): fixed-width values in its byte
 * order, a name as its length (u32) then its bytes. */
void buf_put_u32(struct buf *b, uint32_t v);
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_name(struct buf *b, const char *s);

/* Reading them back, bounded by the bytes there are: a read past the end, or a name longer than
 * max or holding a NUL, marks the reader bad and gives 0 (NULL); later reads give 0 too. */
struct buf_reader {
    const unsigned char *p; /* (borrowed) */
    size_t left;
    bool bad;
};

/* n bytes (borrowed from the blob), or NULL. */
const void *buf_take(struct buf_reader *r, size_t n);
uint32_t buf_take_u32(struct buf_reader *r);
int64_t buf_take_i64(struct buf_reader *r);
/* A name (caller frees), or NULL. */
char *buf_take_name(struct buf_reader *r, size_t max);
/* n bytes copied into dst, or zeros there when they are not there. */
void buf_take_into(struct buf_reader *r, void *dst, size_t n);
/* A list of names: its count (u32), then each name. */
void buf_put_names(struct buf *b, const struct strvec *v);
/* Appended to out, each name at most max bytes; a count more than the bytes left could hold
 * marks the reader bad. */
void buf_take_names(struct buf_reader *r, struct strvec *out, size_t max);

#endif
