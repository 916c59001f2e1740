/* clock: the one place that reads time, so tests can fix it. Times are int64 milliseconds. */
#ifndef STREAMTOP_CLOCK_H
#define STREAMTOP_CLOCK_H

#include <stdint.h>

/* Wall-clock milliseconds since the epoch (or the fixed time set by clock_fix). */
int64_t clock_now_ms(void);
/* The real wall clock, even when clock_fix is in force: for comparing with file times the
 * system writes (the "racy directory" check), never for what streamtop reports. */
int64_t clock_real_ms(void);
/* Monotonic milliseconds, for intervals and timeouts. */
int64_t clock_mono_ms(void);
/* Fix the wall clock at ms (tests, and STREAMTOP_NOW_MS for end-to-end tests); 0 un-fixes it. */
void clock_fix(int64_t ms);
/* Format ms as ISO-8601 UTC "2026-11-22T10:00:00Z" (milliseconds added when not whole seconds)
 * into out (at least 32 bytes). Returns out. */
char *clock_iso8601(int64_t ms, char *out, unsigned long outlen);

#endif
