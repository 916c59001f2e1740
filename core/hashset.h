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

/* An index of entries named by a pair of strings ((rule, stream) of alert states and
 * observations), by the hash of both, to find a pair among thousands in constant time. Each key
 * maps to the first index put with it; a key two entries share (a repeated pair, or two pairs
 * whose hashes meet) marks the index collided, and a lookup that misses then scans, so the
 * answer is always the first entry of the pair, as a scan's. */
struct pair_index {
    struct hashset at;
    bool collided;
};
/* Whether entry i of ctx is the pair (a, b). */
typedef bool (*pair_is_fn)(const void *ctx, size_t i, const char *a, const char *b);
void pair_index_init(struct pair_index *x);
void pair_index_done(struct pair_index *x);
void pair_index_put(struct pair_index *x, const char *a, const char *b, size_t i);
/* The first of the n entries of ctx that is (a, b), or -1. */
ptrdiff_t pair_index_find(const struct pair_index *x, size_t n, pair_is_fn is, const void *ctx,
                          const char *a, const char *b);

#endif
