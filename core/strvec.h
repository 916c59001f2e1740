/* strvec: a growable array of owned C strings. */
#ifndef STREAMTOP_STRVEC_H
#define STREAMTOP_STRVEC_H

#include <stddef.h>

struct strvec {
    char **v; /* (owned) each element owned */
    size_t n;
    size_t cap;
};

void strvec_init(struct strvec *sv);
void strvec_done(struct strvec *sv);
/* Append a copy of s. */
void strvec_push(struct strvec *sv, const char *s);
/* Append a formatted string. */
void strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s, taking ownership of it. */
void strvec_take(struct strvec *sv, char *s);
/* Deep copy of src into dst (dst must be initialised or empty). */
void strvec_copy(struct strvec *dst, const struct strvec *src);
/* Append each line of text (split at '\n'; an empty or NULL text appends nothing). */
void strvec_split_lines(struct strvec *sv, const char *text);
/* The elements joined with '\n' (owned; "" for none). */
char *strvec_join_lines(const struct strvec *sv);

#endif
