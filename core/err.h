/* err: a caller-owned error buffer. Functions that can fail return -1 and fill it with a message
 * that names what failed and why, e.g. "offsets/12: truncated (no metadata line)". */
#ifndef STREAMTOP_ERR_H
#define STREAMTOP_ERR_H

#include <stdbool.h>

enum st_errcode {
    ST_OK = 0,
    ST_EFAIL,     /* generic failure */
    ST_ENOENT,    /* the thing does not exist */
    ST_ETOOBIG,   /* a size cap was hit */
    ST_EFORMAT,   /* the content is not what it should be */
    ST_EIO,       /* the read or write itself failed */
    ST_ETIMEDOUT, /* a network request took longer than its timeout */
    ST_ESTOPPED,  /* given up because the program was asked to stop (core/stop.h) */
};

struct st_err {
    enum st_errcode code;
    char msg[768];
};

/* Set the error (printf-style); returns -1 so callers can `return st_err_set(...)`. */
int st_err_set(struct st_err *err, enum st_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepend "prefix: " to the message already in err, unless it starts with it already (so a
 * path is never named twice); returns -1. */
int st_err_prefix(struct st_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void st_err_clear(struct st_err *err);

#endif
