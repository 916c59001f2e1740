/* log: diagnostics on stderr, with a verbosity level set once from -v. Never used while curses
 * owns the terminal (the TUI installs a sink that keeps messages for its status line). */
#ifndef STREAMTOP_LOG_H
#define STREAMTOP_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Messages above this level are dropped (default LOG_WARN). */
void log_set_level(enum log_level level);
/* Replace the stderr sink (NULL restores it). The sink gets a finished, sanitised line. */
void log_set_sink(void (*sink)(enum log_level, const char *line));
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
