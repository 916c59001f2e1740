/* xalloc: allocation wrappers that abort on out-of-memory, so callers never check for NULL. */
#ifndef STREAMTOP_XALLOC_H
#define STREAMTOP_XALLOC_H

#include <stddef.h>

/* Like malloc/calloc/realloc/strdup, but print a message and abort() when memory runs out.
 * Never return NULL (a zero size is rounded up to one byte). The caller frees with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copy at most n bytes of s and NUL-terminate (s need not be terminated within n). */
char *xstrndup(const char *s, size_t n);
/* printf into a fresh heap string (caller frees). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow an array *v of *cap elements of size elem so that it can hold at least need elements. */
void xgrow(void **v, size_t *cap, size_t need, size_t elem);

#endif
