#include "core/select.h"

#include <string.h>

#include "core/parse.h"

void select_spec_init(struct select_spec *spec)
{
    spec->shard_k = spec->shard_n = 0;
    strvec_init(&spec->labels);
}

void select_spec_done(struct select_spec *spec)
{
    strvec_done(&spec->labels);
}

uint64_t select_hash(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

int select_parse_shard(struct select_spec *spec, const char *text, struct st_err *err)
{
    const char *slash = strchr(text, '/');
    char k[24], n[24];
    int64_t kv, nv;
    if (!slash || (size_t)(slash - text) >= sizeof k || strlen(slash + 1) >= sizeof n)
        return st_err_set(err, ST_EFORMAT, "--shard takes K/N (like 1/3), not '%s'", text);
    memcpy(k, text, (size_t)(slash - text));
    k[slash - text] = '\0';
    memcpy(n, slash + 1, strlen(slash + 1) + 1); /* length checked above */
    if (parse_int64(k, &kv) < 0 || parse_int64(n, &nv) < 0 || nv < 1 || nv > 100000 || kv < 1 ||
        kv > nv)
        return st_err_set(err, ST_EFORMAT, "--shard takes K/N with 1 <= K <= N <= 100000, not '%s'",
                          text);
    spec->shard_k = kv;
    spec->shard_n = nv;
    return 0;
}

int select_add_label(struct select_spec *spec, const char *text, struct st_err *err)
{
    const char *eq = strchr(text, '=');
    if (!eq || eq == text)
        return st_err_set(err, ST_EFORMAT, "--select takes label=value, not '%s'", text);
    strvec_push(&spec->labels, text);
    return 0;
}

bool select_match(const struct select_spec *spec, const struct cfg_stream *cs)
{
    if (spec->shard_n > 0 &&
        select_hash(cs->name) % (uint64_t)spec->shard_n != (uint64_t)(spec->shard_k - 1))
        return false;
    for (size_t i = 0; i < spec->labels.n; i++) {
        const char *sel = spec->labels.v[i], *eq = strchr(sel, '=');
        size_t kl = (size_t)(eq - sel);
        bool hit = false;
        for (size_t l = 0; l < cs->labels.n && !hit; l++)
            hit = strlen(cs->labels.v[l].key) == kl && strncmp(cs->labels.v[l].key, sel, kl) == 0 &&
                  strcmp(cs->labels.v[l].value, eq + 1) == 0;
        if (!hit)
            return false;
    }
    return true;
}

static bool keep(const struct cfg_stream *cs, const void *arg)
{
    return select_match(arg, cs);
}

size_t select_apply(const struct select_spec *spec, struct config *cfg)
{
    return config_keep_streams(cfg, keep, spec);
}
