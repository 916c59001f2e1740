#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int st_err_set(struct st_err *err, enum st_errcode code, const char *fmt, ...)
{
    if (!err)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    return -1;
}

int st_err_prefix(struct st_err *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t plen = strlen(prefix);
    if (strncmp(err->msg, prefix, plen) == 0 && strncmp(err->msg + plen, ": ", 2) == 0)
        return -1; /* the message names it already (a read error names its file) */
    size_t olen = strlen(err->msg);
    if (plen + 2 + olen >= sizeof err->msg)
        olen = sizeof err->msg - plen - 3;
    memmove(err->msg + plen + 2, err->msg, olen);
    err->msg[plen + 2 + olen] = '\0';
    memcpy(err->msg, prefix, plen);
    memcpy(err->msg + plen, ": ", 2);
    return -1;
}

void st_err_clear(struct st_err *err)
{
    if (!err)
        return;
    err->code = ST_OK;
    err->msg[0] = '\0';
}
