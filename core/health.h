/* health: the one severity vocabulary of streamtop (ok, warning, critical, unknown), used by
 * snapshots, the alert engine, check's exit status and the dashboard's order. */
#ifndef STREAMTOP_HEALTH_H
#define STREAMTOP_HEALTH_H

enum health { HEALTH_OK, HEALTH_WARNING, HEALTH_CRITICAL, HEALTH_UNKNOWN };
#define HEALTH__N 4

/* "ok", "warning", "critical", "unknown" ("unknown" for anything else). */
const char *health_name(enum health h);
/* The dashboard's order of attention: ok 0 < warning 1 < unknown 2 < critical 3 (a stream that
 * cannot be read is listed above a warning). Only for sorting what is shown. */
int health_urgency(enum health h);
/* The status that wins when a stream's alerts, or check's streams, are combined: critical >
 * warning > unknown > ok, the precedence of the Monitoring Plugins' max_state_alt, so a stream
 * that cannot be read never hides a known warning from the exit status. */
enum health health_worse(enum health a, enum health b);

#endif
