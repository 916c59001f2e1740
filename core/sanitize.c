#include "core/sanitize.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes available), or 0 if invalid. C1
 * controls (U+0080..U+009F) count as invalid here: terminals may treat them as CSI. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F))
        return 0;
    return len;
}

static void sanitize_into(struct buf *out, const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t i = 0;
    while (i < n) {
        /* a run of printable ASCII, most text, goes over whole */
        size_t j = i;
        while (j < n && s[j] >= 0x20 && s[j] < 0x7F)
            j++;
        if (j > i) {
            buf_append(out, s + i, j - i);
            i = j;
            continue;
        }
        unsigned c = s[i];
        if (c == 0)
            break;
        if (c < 0x20 || c == 0x7F) {
            if (c == '\t')
                buf_puts(out, "\\t");
            else if (c == '\n')
                buf_puts(out, "\\n");
            else if (c == '\r')
                buf_puts(out, "\\r");
            else
                buf_printf(out, "\\x%02x", c);
            i++;
            continue;
        }
        size_t len = utf8_len(s + i, n - i);
        if (len == 0) {
            buf_printf(out, "\\x%02x", c);
            i++;
            continue;
        }
        buf_append(out, s + i, len);
        i += len;
    }
}

char *sanitize_dup(const char *src, size_t n)
{
    struct buf b;
    buf_init(&b);
    sanitize_into(&b, src, n);
    return buf_steal(&b);
}

size_t sanitize_copy(char *dst, size_t dstlen, const char *src)
{
    struct buf b;
    buf_init(&b);
    sanitize_into(&b, src, strlen(src));
    const char *s = buf_str(&b);
    size_t len = b.len;
    if (len >= dstlen) {
        len = dstlen - 1;
        /* back off to a character boundary */
        while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    memcpy(dst, s, len);
    dst[len] = '\0';
    buf_done(&b);
    return len;
}

bool sanitize_is_clean(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return false;
        size_t len = utf8_len((const unsigned char *)s + i, n - i);
        if (!len)
            return false;
        i += len;
    }
    return true;
}
