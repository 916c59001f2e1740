#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/sanitize.h"

static enum log_level max_level = LOG_WARN;
static void (*log_sink)(enum log_level, const char *);

void log_set_level(enum log_level level)
{
    max_level = level;
}

void log_set_sink(void (*sink)(enum log_level, const char *))
{
    log_sink = sink;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > max_level)
        return;
    char raw[1024];
    char clean[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    sanitize_copy(clean, sizeof clean, raw);
    if (log_sink) {
        log_sink(level, clean);
        return;
    }
    static const char *const names[] = {"error", "warning", "info", "debug"};
    fprintf(stderr, "streamtop: %s: %s\n", names[level], clean);
}
