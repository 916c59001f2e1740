/* paging: the guard every paged listing runs its continuation tokens through (S3 today; Azure
 * markers and Databricks page tokens later), so a server that answers "more follows" forever
 * ends the listing with an error instead of hanging it. A token the server already gave in this
 * chain of pages is an error at once; so is a run of PAGING_MAX_EMPTY truncated pages in a row
 * with no entries (S3 may legitimately answer one such page, rarely, so one alone is not), and
 * more than a cap of pages per listing. It also gives up when a stop was requested
 * (core/stop.h). */
#ifndef STREAMTOP_PAGING_H
#define STREAMTOP_PAGING_H

#include <stddef.h>

#include "core/err.h"
#include "core/hashset.h"

/* Truncated pages in a row with no entries that are tolerated before the listing fails. */
#define PAGING_MAX_EMPTY 10

struct paging {
    const char *what; /* (borrowed) what is listed, for messages: "s3://bucket/prefix/" */
    size_t max_pages; /* more pages than this (in the listing) is an error */
    size_t *pages;    /* (borrowed) the page count: &own, or one shared by a listing's chains */
    size_t own;
    int empty_run;       /* truncated pages in a row without entries */
    struct hashset seen; /* hashes of the tokens of this chain (owned) */
};

/* Start a chain of pages of what (borrowed; must outlive p) with at most max_pages pages.
 * shared_pages, when non-NULL, is a count several chains of one listing add to (the cap is
 * then per listing); NULL counts this chain alone. */
void paging_init(struct paging *p, const char *what, size_t max_pages, size_t *shared_pages);
/* NULL-safe on a zeroed struct. */
void paging_done(struct paging *p);
/* One page arrived with nentries entries (keys and prefixes). token is the continuation the
 * page gave (non-NULL: the page was truncated and the listing goes on with token; NULL: the
 * last page). Returns 0 to go on (or when the listing is complete), -1 with err when the
 * server repeated a token of this chain, sent PAGING_MAX_EMPTY empty truncated pages in a row,
 * or the listing went past max_pages, and ST_ESTOPPED when a stop was requested. */
int paging_next(struct paging *p, const char *token, size_t nentries, struct st_err *err);

#endif
