/* The state/ folder of a checkpoint: its size and, per stateful operator, what its file names
 * and small metadata files tell (name, partitions, newest state version, schema files), without
 * decoding any state. Layout [code] apache/spark: state/<op>/<partition>/[<store>/]<version>
 * [_<uniqueId>].zip|.changelog|.delta|.snapshot (+ SSTs/, logs/), state/<op>/_metadata/metadata
 * (v1) and _metadata/v2/<batch> (OperatorStateMetadata.scala), state/<op>/_stateSchema/<store>/
 * <batch>_<uuid> (transformWithState and schema format v3), and a "<file>.crc" JSON checksum
 * beside each file with Spark 4.1+ (ChecksumCheckpointFileManager.scala), which may outlive its
 * file (an orphan). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/checkpoint.h"
#include "collectors/fs.h"
#include "collectors/statelog.h"
#include "core/buf.h"
#include "core/parse.h"
#include "core/snapshot.h"
#include "core/xalloc.h"

struct op_walk {
    struct snap_operator op;
    int max_partition;     /* highest partition folder seen, -1 none */
    int64_t meta_v2_batch; /* newest _metadata/v2/<batch>, -1 none */
    bool meta_v1;          /* _metadata/metadata seen */
};

struct walk {
    double bytes;
    struct op_walk *ops;
    size_t nops, cap;
    bool too_many;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The leading "<digits>/" of a relative name; *rest gets what follows. */
static bool leading_id(const char *name, int64_t *id, const char **rest)
{
    const char *slash = strchr(name, '/');
    if (!slash || slash == name || slash - name > 9)
        return false;
    int64_t v = 0;
    for (const char *p = name; p < slash; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *id = v;
    *rest = slash + 1;
    return true;
}

static struct op_walk *op_for(struct walk *w, int64_t id)
{
    for (size_t i = 0; i < w->nops; i++)
        if (w->ops[i].op.id == id)
            return &w->ops[i];
    if (w->nops >= CKPT_MAX_OPERATORS) {
        w->too_many = true;
        return NULL;
    }
    xgrow((void **)&w->ops, &w->cap, w->nops + 1, sizeof *w->ops);
    struct op_walk *o = &w->ops[w->nops++];
    memset(o, 0, sizeof *o);
    o->op.id = id;
    o->op.partitions = -1;
    o->op.state_version = -1;
    o->op.schema_batch = -1;
    o->op.schema_ms = -1;
    o->op.meta_batch = -1;
    o->max_partition = -1;
    o->meta_v2_batch = -1;
    return o;
}

static int visit(const struct fs_entry *e, void *ctx)
{
    struct walk *w = ctx;
    const char *base = strrchr(e->name, '/');
    base = base ? base + 1 : e->name;
    if (base[0] == '.' || ends_with(base, ".crc") || ends_with(base, ".tmp"))
        return 0; /* checksums (orphans too), temp and hidden files are not state */
    double size = e->size > 0 ? (double)e->size : 0;
    w->bytes += size;
    int64_t opid;
    const char *rest;
    if (!leading_id(e->name, &opid, &rest))
        return 0;
    struct op_walk *o = op_for(w, opid);
    if (!o)
        return 0;
    o->op.bytes += size;
    int64_t n;
    if (strcmp(rest, "_metadata/metadata") == 0) {
        o->meta_v1 = true;
    } else if (strncmp(rest, "_metadata/v2/", 13) == 0) {
        if (strchr(rest + 13, '/') == NULL && parse_batch_name(rest + 13, &n) &&
            n > o->meta_v2_batch)
            o->meta_v2_batch = n;
    } else if (strncmp(rest, "_stateSchema/", 13) == 0) {
        if (statelog_schema_file(base, &n)) {
            o->op.nschemas++;
            if (n > o->op.schema_batch) {
                o->op.schema_batch = n;
                o->op.schema_ms = e->mtime_ms;
            }
        }
    } else {
        int64_t part;
        const char *inner;
        if (leading_id(rest, &part, &inner) && strncmp(inner, "SSTs/", 5) != 0 &&
            strstr(inner, "/SSTs/") == NULL && statelog_version_file(base, &n)) {
            o->op.files++;
            if (n > o->op.state_version)
                o->op.state_version = n;
            if (part > o->max_partition)
                o->max_partition = (int)part;
        }
    }
    return 0;
}

static void read_op_meta(const char *statedir, struct op_walk *o, struct snap_stream *out,
                         struct buf *scratch)
{
    char rel[96];
    if (o->meta_v2_batch >= 0)
        snprintf(rel, sizeof rel, "%lld/_metadata/v2/%lld", (long long)o->op.id,
                 (long long)o->meta_v2_batch);
    else if (o->meta_v1)
        snprintf(rel, sizeof rel, "%lld/_metadata/metadata", (long long)o->op.id);
    else
        return;
    char *path = fs_join(statedir, rel);
    struct st_err err;
    struct op_meta m;
    if (fs_read(path, CKPT_OPMETA_CAP, scratch, NULL, &err) == 0) {
        out->bytes_read += scratch->len;
        if (statelog_parse_opmeta(scratch->data, scratch->len, &m, &err) == 0) {
            if (m.id != o->op.id)
                strvec_pushf(&out->warnings, "%s: says operator %lld, in the folder of %lld", path,
                             (long long)m.id, (long long)o->op.id);
            o->op.name = m.name;
            m.name = NULL;
            if (m.partitions > 0)
                o->op.partitions = m.partitions;
            o->op.meta_batch = o->meta_v2_batch;
            statelog_opmeta_done(&m);
        } else {
            strvec_pushf(&out->warnings, "%s: %s", path, err.msg);
        }
    } else if (err.code != ST_ENOENT) { /* purged since the listing: nothing to say */
        strvec_push(&out->warnings, err.msg);
    }
    free(path);
}

static int cmp_op(const void *a, const void *b)
{
    int64_t x = ((const struct op_walk *)a)->op.id, y = ((const struct op_walk *)b)->op.id;
    return (x > y) - (x < y);
}

void ckptstate_measure(const char *ckpt, struct snap_stream *out, struct buf *scratch)
{
    char *path = fs_join(ckpt, "state");
    struct walk w = {0};
    struct st_err err;
    if (fs_list(path, FS_RECURSIVE, visit, &w, &err) == 0) {
        out->metrics[M_STATE_BYTES] = w.bytes;
    } else if (err.code == ST_ENOENT) {
        out->metrics[M_STATE_BYTES] = 0; /* a stateless query keeps no state */
    } else {
        strvec_push(&out->warnings, err.msg);
        w.nops = 0;
    }
    if (w.too_many)
        strvec_pushf(&out->warnings, "%s: more than %d operators; only the first are described",
                     path, CKPT_MAX_OPERATORS);
    if (w.nops)
        qsort(w.ops, w.nops, sizeof *w.ops, cmp_op);
    out->operators = w.nops ? xcalloc(w.nops, sizeof *out->operators) : NULL;
    for (size_t i = 0; i < w.nops; i++) {
        struct op_walk *o = &w.ops[i];
        read_op_meta(path, o, out, scratch);
        if (o->op.partitions < 0 && o->max_partition >= 0)
            o->op.partitions = o->max_partition + 1;
        out->operators[out->noperators++] = o->op;
    }
    free(w.ops);
    free(path);
}
