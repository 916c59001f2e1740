/* notification: one webhook notification as the front ends list it (the state DB's outbox row,
 * read through the pass layer). */
#ifndef STREAMTOP_NOTIFICATION_H
#define STREAMTOP_NOTIFICATION_H

#include <stddef.h>
#include <stdint.h>

struct notification {
    char *stream, *rule, *webhook, *what, *error; /* (owned) error may be NULL */
    int64_t created_ms, done_ms;                  /* done_ms -1 while undelivered */
    int status, attempts;
};

/* Free v[0..n) and their strings; (NULL, 0) is a no-op. */
void notifications_free(struct notification *v, size_t n);

#endif
