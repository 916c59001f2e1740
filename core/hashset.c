#include "core/hashset.h"

#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

uint64_t hash64(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0x100000001B3ULL);
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ mix(w)) * 0x87c37b91114253d5ULL;
        h = (h << 31) | (h >> 33);
        s += 8;
        n -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, s, n);
    h ^= mix(tail ^ n);
    h = mix(h);
    return h ? h : 1;
}

void hashset_init(struct hashset *h)
{
    memset(h, 0, sizeof *h);
}

void hashset_done(struct hashset *h)
{
    free(h->keys);
    free(h->vals);
    hashset_init(h);
}

void hashset_clear(struct hashset *h)
{
    if (h->cap)
        memset(h->keys, 0, h->cap * sizeof *h->keys);
    h->n = 0;
}

static void rehash(struct hashset *h, size_t ncap)
{
    uint64_t *okeys = h->keys;
    int64_t *ovals = h->vals;
    size_t ocap = h->cap;
    h->keys = xcalloc(ncap, sizeof *h->keys);
    h->vals = xmalloc(ncap * sizeof *h->vals);
    h->cap = ncap;
    h->n = 0;
    for (size_t i = 0; i < ocap; i++)
        if (okeys[i])
            hashset_put(h, okeys[i], ovals[i]);
    free(okeys);
    free(ovals);
}

void hashset_reserve(struct hashset *h, size_t n)
{
    size_t need = 16;
    while (need / 8 * 7 < n)
        need *= 2;
    if (need > h->cap)
        rehash(h, need);
}

void hashset_put(struct hashset *h, uint64_t key, int64_t val)
{
    if (!key)
        key = 1;
    /* at most 7/8 full: 16 bytes a slot matter more than a few extra probes */
    if ((h->n + 1) * 8 > h->cap * 7)
        rehash(h, h->cap ? h->cap * 2 : 16);
    size_t mask = h->cap - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
        if (h->keys[i] == key) {
            h->vals[i] = val;
            return;
        }
        if (!h->keys[i]) {
            h->keys[i] = key;
            h->vals[i] = val;
            h->n++;
            return;
        }
    }
}

bool hashset_get(const struct hashset *h, uint64_t key, int64_t *val)
{
    if (!h->cap)
        return false;
    if (!key)
        key = 1;
    size_t mask = h->cap - 1;
    for (size_t i = key & mask;; i = (i + 1) & mask) {
        if (h->keys[i] == key) {
            if (val)
                *val = h->vals[i];
            return true;
        }
        if (!h->keys[i])
            return false;
    }
}

size_t hashset_bytes(const struct hashset *h)
{
    return h->cap * (sizeof *h->keys + sizeof *h->vals);
}

static uint64_t pair_key(const char *a, const char *b)
{
    uint64_t h = hash64(a, strlen(a)) * 0x9e3779b97f4a7c15ULL;
    h ^= hash64(b, strlen(b));
    return h ? h : 1; /* 0 marks an empty slot */
}

void pair_index_init(struct pair_index *x)
{
    hashset_init(&x->at);
    x->collided = false;
}

void pair_index_done(struct pair_index *x)
{
    hashset_done(&x->at);
}

void pair_index_put(struct pair_index *x, const char *a, const char *b, size_t i)
{
    uint64_t k = pair_key(a, b);
    if (hashset_get(&x->at, k, NULL))
        x->collided = true;
    else
        hashset_put(&x->at, k, (int64_t)i);
}

ptrdiff_t pair_index_find(const struct pair_index *x, size_t n, pair_is_fn is, const void *ctx,
                          const char *a, const char *b)
{
    int64_t i;
    if (hashset_get(&x->at, pair_key(a, b), &i) && is(ctx, (size_t)i, a, b))
        return (ptrdiff_t)i;
    for (size_t k = 0; x->collided && k < n; k++)
        if (is(ctx, k, a, b))
            return (ptrdiff_t)k;
    return -1;
}
