/* The schema collector: an Auto Loader schema location (<schema>/_schemas/0, 1, ...). Each new
 * version is read once and compared with the previous one; the newest version, when it
 * appeared (file mtime) and what changed are reported. A version file is written once and never
 * changed: while the folder's mtime is the one of the listing the state reflects (on a disk file
 * system) a pass lists and reads nothing, in this process or, through the cursor, the next. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/structtype.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/parse.h"
#include "core/xalloc.h"

#define SCHEMA_FILE_CAP (4u * 1024 * 1024)

struct schema_state {
    int64_t version; /* newest version read, -1 none */
    int64_t appeared_ms;
    struct sfields fields; /* of that version */
    struct strvec changes; /* against the version before it */
    /* the listing the state reflects whole (every version listed read), 0 for none */
    struct dirstamp stamp;
    uint64_t path_hash; /* the folder the state was read from, 0 before a pass */
    bool restored;      /* taken from a cursor, not yet checked against the folder */
    bool dirty;         /* changed since the cursor was loaded or saved */
    struct buf save;    /* cursor_size .. cursor_fill: the bytes to save */
    struct buf take;    /* cursor_take: the bytes so far */
};

static void schema_state_init(struct schema_state *s)
{
    memset(s, 0, sizeof *s);
    s->version = -1;
    sfields_init(&s->fields);
    strvec_init(&s->changes);
    buf_init(&s->save);
    buf_init(&s->take);
}

static void *schema_state_new(void)
{
    struct schema_state *s = xmalloc(sizeof *s);
    schema_state_init(s);
    return s;
}

/* Forget what was read; the cursor's buffers and the path stay. */
static void schema_forget(struct schema_state *s)
{
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    sfields_init(&s->fields);
    strvec_init(&s->changes);
    s->version = -1;
    s->appeared_ms = 0;
    s->stamp = (struct dirstamp){0};
    s->dirty = true;
}

static void schema_state_free(void *state)
{
    struct schema_state *s = state;
    if (!s)
        return;
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    buf_done(&s->save);
    buf_done(&s->take);
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
    uint64_t h = hash64(dir, strlen(dir));
    if (s->path_hash != h) {
        if (s->path_hash) /* a cursor of another schema location: not its versions */
            schema_forget(s);
        s->path_hash = h;
        s->dirty = true;
    }
    /* the folder is stat'ed before its file system is asked, which then needs no statfs when
     * another folder on its device was asked in this pass */
    struct fs_entry info = {.mtime_ms = -1};
    struct st_err err;
    int64_t listed_ms = 0;
    bool found = fs_dir_times(dir) && fs_stat(dir, &info, &err) == 0 && info.is_dir;
    if (found && fs_dir_times_durable(dir))
        listed_ms = clock_real_ms();
    bool reuse =
        listed_ms > 0 && dirstamp_holds(&s->stamp, &info, cfg->full_listing_every_ms, listed_ms);
    if (s->restored && !reuse && s->version >= 0) {
        /* a cursor is continued only over the same newest version: a folder replaced since is
         * read afresh, as a cold process reads it */
        char name[32];
        snprintf(name, sizeof name, "%lld", (long long)s->version);
        char *path = fs_join(dir, name);
        struct fs_entry e;
        if (fs_stat(path, &e, &err) < 0 || e.is_dir || e.mtime_ms != s->appeared_ms)
            schema_forget(s);
        free(path);
    }
    s->restored = false;
    struct dirstamp stamp0 = s->stamp;
    if (!reuse)
        s->stamp = (struct dirstamp){0};
    struct buf b;
    buf_init(&b);
    /* a version listed but gone when read (the folder replaced meanwhile): list once more */
    for (int attempt = 0; attempt < 2 && !reuse; attempt++) {
        struct fs_ids ids;
        if (fs_list_ids(dir, &ids, &err) < 0) {
            strvec_pushf(&out->errors, "schema %s", err.msg);
            if (stamp0.listed_ms) /* the stamp dropped is saved: the next process lists too */
                s->dirty = true;
            buf_done(&b);
            free(dir);
            return;
        }
        bool again = false, complete = true;
        for (size_t i = 0; i < ids.n; i++) {
            if (ids.v[i] <= s->version)
                continue;
            char name[32];
            snprintf(name, sizeof name, "%lld", (long long)ids.v[i]);
            char *path = fs_join(dir, name);
            struct fs_entry finfo;
            struct sfields f;
            int rc = fs_read(path, SCHEMA_FILE_CAP, &b, &finfo, &err);
            out->bytes_read += b.len;
            again = rc < 0 && err.code == ST_ENOENT && attempt == 0;
            if (rc == 0)
                rc = structtype_parse(buf_str(&b), b.len, &f, &err);
            if (rc < 0) {
                complete = false;
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
            s->appeared_ms = finfo.mtime_ms;
            s->dirty = true;
            free(path);
        }
        free(ids.v);
        /* kept when every version listed was read, on the first try (a second one follows a
         * change), and not racy (one that is would be saved, never used) */
        if (complete && attempt == 0 && listed_ms > 0 &&
            info.mtime_ms < listed_ms - DIRSTAMP_RACY_MS)
            dirstamp_set(&s->stamp, &info, listed_ms);
        if (!again)
            break;
    }
    if (s->stamp.mtime_ms != stamp0.mtime_ms || s->stamp.listed_ms != stamp0.listed_ms)
        s->dirty = true;
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

/* The cursor: the newest version, its mtime, fields and changes, and the listing they reflect,
 * so a new process (cron) over an unchanged folder lists and reads nothing, and one with new
 * versions reads only those. Layout (host byte order, like the other cursors): magic, path
 * hash, 4 int64 (version, its mtime, the folder's mtime and real time of the listing), the
 * fields (count; per field path, type and nullable) and the changes (count; strings), each
 * string as a uint32 length and its bytes. */
#define SCHEMA_CURSOR_MAGIC "SCC1"
#define SCHEMA_CURSOR_CAP   (4u * 1024 * 1024)
#define SCHEMA_STR_CAP      (64u * 1024)

static size_t schema_cursor_size(void *state)
{
    struct schema_state *s = state;
    if (!s->dirty || !s->path_hash)
        return 0;
    struct buf *b = &s->save;
    buf_reset(b);
    buf_append(b, SCHEMA_CURSOR_MAGIC, 4);
    buf_append(b, &s->path_hash, 8);
    int64_t v[4] = {s->version, s->appeared_ms, s->stamp.mtime_ms, s->stamp.listed_ms};
    buf_append(b, v, sizeof v);
    sfields_put(b, &s->fields);
    buf_put_names(b, &s->changes);
    if (b->len > SCHEMA_CURSOR_CAP) { /* not kept: the next process reads the folder */
        buf_reset(b);
        return 0;
    }
    return b->len;
}

static void schema_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct schema_state *s = state;
    cursor_fill_from(&s->save, &s->dirty, off, dst, len);
}

/* The state a cursor holds into s, or -1 when its bytes do not read as one (s untouched). */
static int schema_cursor_parse(void *state, const unsigned char *p, size_t n)
{
    struct schema_state *s = state;
    if (n < 4 || memcmp(p, SCHEMA_CURSOR_MAGIC, 4) != 0)
        return -1;
    struct buf_reader r = {.p = p + 4, .left = n - 4};
    uint64_t path_hash;
    int64_t v[4];
    buf_take_into(&r, &path_hash, 8);
    buf_take_into(&r, v, sizeof v);
    /* a listing's time is 0 for none */
    if (r.bad || path_hash == 0 || v[0] < -1 || v[2] < -1 || v[3] < 0)
        return -1;
    struct sfields fields;
    struct strvec changes;
    sfields_init(&fields);
    strvec_init(&changes);
    sfields_take(&r, &fields, SCHEMA_STR_CAP);
    buf_take_names(&r, &changes, SCHEMA_STR_CAP);
    /* no version read holds no field and no change */
    if (r.bad || r.left != 0 || (v[0] < 0 && (fields.n || changes.n))) {
        sfields_done(&fields);
        strvec_done(&changes);
        return -1;
    }
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    s->fields = fields;
    s->changes = changes;
    s->path_hash = path_hash;
    s->version = v[0];
    s->appeared_ms = v[1];
    s->stamp = (struct dirstamp){.mtime_ms = v[2], .listed_ms = v[3]};
    s->restored = true;
    s->dirty = false;
    return 0;
}

static int schema_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct schema_state *s = state;
    return cursor_gather(&s->take, src, len, total, SCHEMA_CURSOR_CAP, schema_cursor_parse, s);
}

const struct collector_ops schema_collector = {
    .name = "schema",
    .wants = schema_wants,
    .state_new = schema_state_new,
    .state_free = schema_state_free,
    .collect = schema_collect,
    .cursor_size = schema_cursor_size,
    .cursor_fill = schema_cursor_fill,
    .cursor_take = schema_cursor_take,
};
