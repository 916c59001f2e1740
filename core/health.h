/* health: the one severity vocabulary of streamtop (ok, warning, critical, unknown), used by
 * snapshots, the alert engine, check's exit status and the dashboard's order. */
#ifndef STREAMTOP_HEALTH_H
#define STREAMTOP_HEALTH_H

enum health { HEALTH_OK, HEALTH_WARNING, HEALTH_CRITICAL, HEALTH_UNKNOWN };
#define HEALTH__N 4

/* "ok", "warning", "critical", "unknown" ("unknown" for anything else). */
const char *health_name(enum health h);
/* How urgent: ok 0 < warning 1 < unknown 2 < critical 3 (a stream that cannot be read is more
 * urgent than a warning, less than a critical alert). */
int health_urgency(enum health h);
/* The more urgent of a and b. */
enum health health_worse(enum health a, enum health b);

#endif
