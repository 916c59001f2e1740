/* stop: the process-wide "stop requested" flag. SIGINT/SIGTERM (and the dashboard's q) set it;
 * network requests check it between requests and while they wait, so a pass ends within a
 * fraction of a second with "stopped" errors whatever the network does. Set once, never
 * cleared (except by the unit tests). */
#ifndef STREAMTOP_STOP_H
#define STREAMTOP_STOP_H

#include <stdbool.h>

/* Ask everything to stop. Async-signal-safe and thread-safe. */
void stop_request(void);
/* True once a stop was requested. Thread-safe. */
bool stop_requested(void);
/* The signal that asked for the stop (SIGINT, SIGTERM, SIGHUP), or 0 (q, or none). */
int stop_signal(void);
/* For messages: "SIGINT", "SIGTERM", "SIGHUP", or "a stop request". */
const char *stop_reason(void);
/* Install handlers so SIGINT, SIGTERM and SIGHUP request a stop instead of killing the
 * process at once (the caller then finishes its pass and exits); a second one kills it. */
void stop_on_signals(void);
/* Forget a stop request (unit tests only). */
void stop_reset(void);

#endif
