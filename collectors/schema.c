/* The schema collector: an Auto Loader schema location (<schema>/_schemas/0, 1, ...). Each new
 * version is read once and compared with the previous one; the newest version, when it
 * appeared (file mtime) and what changed are reported. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/structtype.h"
#include "core/parse.h"
#include "core/xalloc.h"

#define SCHEMA_FILE_CAP (4u * 1024 * 1024)

struct schema_state {
    int64_t version; /* newest version read, -1 none */
    int64_t appeared_ms;
    struct sfields fields; /* of that version */
    struct strvec changes; /* against the version before it */
};

static void *schema_state_new(void)
{
    struct schema_state *s = xcalloc(1, sizeof *s);
    s->version = -1;
    sfields_init(&s->fields);
    strvec_init(&s->changes);
    return s;
}

static void schema_state_free(void *state)
{
    struct schema_state *s = state;
    if (!s)
        return;
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    free(s);
}

static bool schema_wants(const struct cfg_stream *cfg)
{
    return cfg->schema != NULL;
}

static void schema_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                           int64_t now_ms)
{
    struct schema_state *s = state;
    size_t len = strlen(cfg->schema);
    bool is_dir = len >= 8 && strcmp(cfg->schema + len - 8, "_schemas") == 0;
    char *dir = is_dir ? xstrdup(cfg->schema) : fs_join(cfg->schema, "_schemas");
    struct buf b;
    buf_init(&b);
    /* a version listed but gone when read (the folder replaced meanwhile): list once more */
    for (int attempt = 0; attempt < 2; attempt++) {
        struct fs_ids ids;
        struct st_err err;
        if (fs_list_ids(dir, &ids, &err) < 0) {
            strvec_pushf(&out->errors, "schema %s", err.msg);
            buf_done(&b);
            free(dir);
            return;
        }
        bool again = false;
        for (size_t i = 0; i < ids.n; i++) {
            if (ids.v[i] <= s->version)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%lld", (long long)ids.v[i]);
            char *path = fs_join(dir, name);
            struct fs_entry info;
            struct sfields f;
            int rc = fs_read(path, SCHEMA_FILE_CAP, &b, &info, &err);
            out->bytes_read += b.len;
            again = rc < 0 && err.code == ST_ENOENT && attempt == 0;
            if (rc == 0)
                rc = structtype_parse(buf_str(&b), b.len, &f, &err);
            if (rc < 0) {
                if (!again) {
                    st_err_prefix(&err, "%s", path); /* a read error names it already */
                    strvec_push(&out->errors, err.msg);
                }
                free(path);
                break; /* keep the last good version; try this one again next pass */
            }
            strvec_done(&s->changes);
            strvec_init(&s->changes);
            if (s->version >= 0)
                structtype_diff(&s->fields, &f, &s->changes);
            sfields_done(&s->fields);
            s->fields = f;
            s->version = ids.v[i];
            s->appeared_ms = info.mtime_ms;
            free(path);
        }
        free(ids.v);
        if (!again)
            break;
    }
    buf_done(&b);
    free(dir);
    if (s->version < 0)
        return;
    out->schema.version = s->version;
    out->schema.appeared_ms = s->appeared_ms;
    strvec_copy(&out->schema.changes, &s->changes);
    structtype_lines(&s->fields, &out->schema.fields);
    out->metrics[M_SCHEMA_VERSION] = (double)s->version;
    out->metrics[M_SCHEMA_AGE_SECONDS] = fmax(0, (double)(now_ms - s->appeared_ms) / 1000);
    out->origin[M_SCHEMA_VERSION] = out->origin[M_SCHEMA_AGE_SECONDS] = ORIGIN_STORAGE;
}

const struct collector_ops schema_collector = {
    .name = "schema",
    .wants = schema_wants,
    .state_new = schema_state_new,
    .state_free = schema_state_free,
    .collect = schema_collect,
};
