/* select: which of a config's streams one process watches, so that N processes can split one
 * config. A shard K/N (K in 1..N) keeps the streams whose name's FNV-1a 64-bit hash modulo N is
 * K - 1: stable across hosts, versions and config order, and every stream is in exactly one
 * shard. Label selectors (label=value, all of them must hold) keep the streams whose label has
 * exactly that value. Applied where the config is loaded, so every command can use it. */
#ifndef STREAMTOP_SELECT_H
#define STREAMTOP_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"
#include "core/strvec.h"

struct select_spec {
    int64_t shard_k, shard_n; /* shard K of N; N 0: no sharding */
    struct strvec labels;     /* "label=value", all must hold */
};

/* FNV-1a 64 of s's bytes (offset basis 14695981039346656037, prime 1099511628211). */
uint64_t select_hash(const char *s);
/* Parse "K/N" (1 <= K <= N <= 100000) into spec. 0, or -1 with err quoting the text. */
int select_parse_shard(struct select_spec *spec, const char *text, struct st_err *err);
/* Check and add "label=value" (a non-empty label name). 0, or -1 with err. */
int select_add_label(struct select_spec *spec, const char *text, struct st_err *err);
/* Does the stream belong to spec (its shard, every label)? */
bool select_match(const struct select_spec *spec, const struct cfg_stream *cs);
/* Drop cfg's streams outside spec; returns how many are kept. */
size_t select_apply(const struct select_spec *spec, struct config *cfg);
void select_spec_init(struct select_spec *spec);
void select_spec_done(struct select_spec *spec);

#endif
