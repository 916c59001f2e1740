/* alerting: evaluate every rule over a snapshot with the alert state of the state DB. */
#ifndef STREAMTOP_EVALUATE_H
#define STREAMTOP_EVALUATE_H

#include <stdbool.h>

#include "core/config.h"
#include "core/err.h"
#include "core/snapshot.h"
#include "store/store.h"

/* Load the states, evaluate, and (when commit) save the new states and queue the
 * notifications, all in one BEGIN IMMEDIATE transaction; without commit nothing is written (a
 * dry run). Fills each stream's alerts and sets its status to the worst firing level. When the
 * clock is behind the last evaluation (by up to a day), the stored states are shown as they
 * are, nothing is evaluated or queued, and *held is set: the caller sends nothing either. 0, or
 * -1 with err when the state DB cannot be used. */
int evaluate_run(struct store *db, const struct config *cfg, struct snapshot *snap, bool commit,
                 bool *held, struct st_err *err);

#endif
