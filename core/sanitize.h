/* sanitize: make text from storage or the network safe for a terminal or a one-line format.
 * Control characters (C0, DEL, C1, and ESC in particular) become visible escapes such as "\x1b";
 * invalid UTF-8 bytes become "\xNN"; valid UTF-8 passes through. */
#ifndef STREAMTOP_SANITIZE_H
#define STREAMTOP_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

/* Write a sanitised, NUL-terminated copy of src into dst (dstlen > 0), truncating on a character
 * boundary. Returns the number of bytes written (excluding the NUL). */
size_t sanitize_copy(char *dst, size_t dstlen, const char *src);
/* Heap-allocated sanitised copy of the first n bytes of src (caller frees). */
char *sanitize_dup(const char *src, size_t n);
/* True when s is free of control characters and invalid UTF-8 (nothing to sanitise). */
bool sanitize_is_clean(const char *s);

#endif
