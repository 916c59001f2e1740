/* hashset: an open-addressing map from 64-bit keys (hashes of paths) to an int64 value. Used
 * for processed-file sets of millions of entries: 16 bytes per slot, no copies of the paths. */
#ifndef STREAMTOP_HASHSET_H
#define STREAMTOP_HASHSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashset {
    uint64_t *keys; /* (owned) 0 marks an empty slot */
    int64_t *vals;  /* (owned) */
    size_t cap;     /* power of two, or 0 */
    size_t n;
};

/* 64-bit hash of n bytes (never 0, which marks empty slots). */
uint64_t hash64(const void *p, size_t n);

void hashset_init(struct hashset *h);
void hashset_done(struct hashset *h);
void hashset_clear(struct hashset *h);
/* Insert or replace key -> val. */
void hashset_put(struct hashset *h, uint64_t key, int64_t val);
/* True if key is present; *val (when non-NULL) gets its value. */
bool hashset_get(const struct hashset *h, uint64_t key, int64_t *val);
/* Make room for at least n entries without rehashing. */
void hashset_reserve(struct hashset *h, size_t n);
/* Bytes of memory the set holds. */
size_t hashset_bytes(const struct hashset *h);

#endif
