/* xml: the little XML reading the storage APIs need (S3 and Azure answers): elements found
 * by name, text decoded. Not a general XML parser. */
#include "net/xml.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* The text between <tag> and </tag> within [p, end), or NULL. *next is set past the close. */
const char *xml_elem(const char *p, const char *end, const char *tag, size_t *len,
                     const char **next)
{
    size_t tl = strlen(tag);
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            return NULL;
        const char *q = lt + 1;
        if ((size_t)(end - q) > tl && memcmp(q, tag, tl) == 0 && (q[tl] == '>' || q[tl] == ' ')) {
            const char *gt = memchr(q + tl, '>', (size_t)(end - q - tl));
            if (!gt)
                return NULL;
            const char *body = gt + 1;
            if (gt[-1] == '/') { /* <Tag/> */
                *len = 0;
                if (next)
                    *next = body;
                return body;
            }
            for (const char *c = body; c < end;) {
                const char *cl = memchr(c, '<', (size_t)(end - c));
                if (!cl)
                    return NULL;
                if ((size_t)(end - cl) >= tl + 3 && cl[1] == '/' && memcmp(cl + 2, tag, tl) == 0 &&
                    cl[2 + tl] == '>') {
                    *len = (size_t)(cl - body);
                    if (next)
                        *next = cl + 3 + tl;
                    return body;
                }
                c = cl + 1;
            }
            return NULL;
        }
        p = lt + 1;
    }
    return NULL;
}

/* Decode XML character references and the five entities into out. */
void xml_text(const char *s, size_t n, struct buf *out)
{
    buf_reset(out);
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '&') {
            buf_putc(out, s[i]);
            continue;
        }
        static const struct {
            const char *name;
            char c;
        } ents[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
        bool done = false;
        for (size_t e = 0; e < sizeof ents / sizeof ents[0] && !done; e++) {
            size_t el = strlen(ents[e].name);
            if (n - i - 1 >= el && memcmp(s + i + 1, ents[e].name, el) == 0) {
                buf_putc(out, ents[e].c);
                i += el;
                done = true;
            }
        }
        if (!done && i + 2 < n && s[i + 1] == '#') {
            size_t j = i + 2;
            int base = 10;
            if (s[j] == 'x' || s[j] == 'X') {
                base = 16;
                j++;
            }
            unsigned long v = 0;
            size_t start = j;
            while (j < n && j - start < 8 && isxdigit((unsigned char)s[j]) &&
                   (base == 16 || isdigit((unsigned char)s[j]))) {
                v = v * (unsigned long)base + (unsigned long)(isdigit((unsigned char)s[j])
                                                                  ? s[j] - '0'
                                                                  : (tolower(s[j]) - 'a' + 10));
                j++;
            }
            if (j < n && s[j] == ';' && j > start && v > 0 && v <= 0x10FFFF) {
                /* UTF-8 encode */
                if (v < 0x80) {
                    buf_putc(out, (char)v);
                } else if (v < 0x800) {
                    buf_putc(out, (char)(0xC0 | (v >> 6)));
                    buf_putc(out, (char)(0x80 | (v & 0x3F)));
                } else if (v < 0x10000) {
                    buf_putc(out, (char)(0xE0 | (v >> 12)));
                    buf_putc(out, (char)(0x80 | ((v >> 6) & 0x3F)));
                    buf_putc(out, (char)(0x80 | (v & 0x3F)));
                } else {
                    buf_putc(out, (char)(0xF0 | (v >> 18)));
                    buf_putc(out, (char)(0x80 | ((v >> 12) & 0x3F)));
                    buf_putc(out, (char)(0x80 | ((v >> 6) & 0x3F)));
                    buf_putc(out, (char)(0x80 | (v & 0x3F)));
                }
                i = j;
                done = true;
            }
        }
        if (!done)
            buf_putc(out, '&');
    }
}
