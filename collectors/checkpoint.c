/* The checkpoint collector. Per pass it lists offsets/ and commits/ (names only), reads the
 * metadata file, and reads only the offsets files of new batches within the window; parsed
 * batches, commit times and Kafka initial offsets are remembered across passes (the batches
 * across processes too, in the cursor), and forgotten when the query id changes (the
 * checkpoint was replaced). A listing is reused while its folder's mtime stays; across
 * processes (cron) only on a disk file system and for at most full_listing_every, with the
 * checkpoint folder's own mtime standing for its metadata file and the newest offsets and
 * commit files kept in the cursor as read: a pass over a checkpoint nothing wrote to stats three
 * folders and reads no file. */
#include "collectors/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "core/clock.h"
#include "collectors/offsetlog.h"
#include "collectors/statelog.h"
#include "core/buf.h"
#include "core/hashset.h"
#include "core/parse.h"
#include "core/xalloc.h"

struct cached_batch {
    int64_t id;
    bool ok;           /* offsets/<id> parsed */
    int64_t start_ms;  /* batchTimestampMs or -1 */
    int64_t wm_ms;     /* batchWatermarkMs */
    int64_t commit_ms; /* mtime of commits/<id>, -1 unknown */
    int version;       /* offset log version */
    int shuffle;       /* spark.sql.shuffle.partitions, -1 unknown */
    bool control;      /* v2 controlBatchInfo: a control batch */
    bool gone;         /* offsets/<id> was listed but had vanished when read */
    char *error;       /* (owned) why offsets/<id> could not be parsed */
    int64_t bad_size;  /* size and mtime of the bad file, to notice a rewrite */
    int64_t bad_mtime;
};

/* A listing of offsets/ or commits/ kept while the folder's mtime stays (a folder written to
 * within DIRSTAMP_RACY_MS of its listing is listed again; in a process, every folder at least
 * every RELIST_MS in case a mount does not move folder times; a listing from the cursor, made
 * by another process, only on a disk file system and for at most full_listing_every). */
struct ids_cache {
    struct fs_ids ids;
    struct dirstamp stamp;
    int64_t listed_mono_ms; /* -1: listed by another process (taken from the cursor) */
    bool valid;
};
#define RELIST_MS 30000

/* A small file as last read (offsets/<id> or commits/<id>, written once): a new process parses
 * these bytes from the cursor instead of reading the file again. */
struct raw_file {
    int64_t id; /* -1: none */
    struct buf bytes;
};
#define RAW_CAP (16u * 1024)

struct ckpt_state {
    struct ids_cache offs_cache, coms_cache;
    struct dirstamp root_stamp; /* the checkpoint folder when its metadata file was read */
    bool root_from_cursor;      /* root_stamp was taken from the cursor */
    struct raw_file raw_newest, raw_committed, raw_commit;
    char *query_id;
    struct cached_batch *b; /* the window, ascending ids */
    size_t nb;
    struct offset_file newest;    /* sources of the newest batch */
    int64_t newest_id;            /* -1: none kept */
    struct offset_file committed; /* sources of the newest committed batch when not the newest */
    int64_t committed_id;         /* -1: none kept */
    char **kafka_initial;         /* per source index; NULL when not read */
    bool *kafka_tried;
    size_t nkafka;
    int64_t commit_id; /* newest commits/N read, -1 none */
    struct commit_file commit;
    char *commit_error; /* (owned) why it could not be read */
    bool no_metadata;   /* this pass: the metadata file is missing */
    bool dirty;         /* the window's batches changed since the cursor was loaded or saved */
    uint64_t path_hash; /* the checkpoint path the batches were read from, 0 before a pass */
    struct buf save;    /* cursor_size .. cursor_fill: the bytes to save */
    struct buf take;    /* cursor_take: the bytes so far */
};

static void *ckpt_state_new(void)
{
    struct ckpt_state *s = xcalloc(1, sizeof *s);
    s->newest_id = -1;
    s->committed_id = -1;
    s->commit_id = -1;
    s->offs_cache.listed_mono_ms = s->coms_cache.listed_mono_ms = -1;
    struct raw_file *raws[] = {&s->raw_newest, &s->raw_committed, &s->raw_commit};
    for (size_t i = 0; i < 3; i++) {
        raws[i]->id = -1;
        buf_init(&raws[i]->bytes);
    }
    buf_init(&s->save);
    buf_init(&s->take);
    return s;
}

static void raw_forget(struct raw_file *r)
{
    r->id = -1;
    buf_done(&r->bytes);
}

/* Hold exactly len bytes (a buffer grows by doubling; thousands of streams keep these). */
static void raw_set(struct raw_file *r, int64_t id, const void *p, size_t len)
{
    raw_forget(r);
    r->id = id;
    r->bytes.data = xmalloc(len + 1);
    if (len)
        memcpy(r->bytes.data, p, len);
    r->bytes.data[len] = '\0';
    r->bytes.len = len;
    r->bytes.cap = len + 1;
}

/* The kept bytes of file id into scratch, if r holds them. */
static bool raw_get(const struct raw_file *r, int64_t id, struct buf *scratch)
{
    if (r->id < 0 || r->id != id)
        return false;
    buf_reset(scratch);
    buf_append(scratch, r->bytes.len ? r->bytes.data : "", r->bytes.len);
    return true;
}

/* Keep what was read of file id (it parsed), when small. */
static void raw_keep(struct raw_file *r, int64_t id, const struct buf *scratch)
{
    raw_forget(r);
    if (scratch->len <= RAW_CAP)
        raw_set(r, id, scratch->data, scratch->len);
}

static void forget_batches(struct ckpt_state *s)
{
    for (size_t i = 0; i < s->nb; i++)
        free(s->b[i].error);
    free(s->b);
    s->b = NULL;
    s->nb = 0;
    offsetlog_done(&s->newest);
    s->newest_id = -1;
    offsetlog_done(&s->committed);
    s->committed_id = -1;
    for (size_t i = 0; i < s->nkafka; i++)
        free(s->kafka_initial[i]);
    free(s->kafka_initial);
    free(s->kafka_tried);
    s->kafka_initial = NULL;
    s->kafka_tried = NULL;
    s->nkafka = 0;
    s->commit_id = -1;
    free(s->commit_error);
    s->commit_error = NULL;
    raw_forget(&s->raw_newest);
    raw_forget(&s->raw_committed);
    raw_forget(&s->raw_commit);
}

static void ckpt_state_free(void *state)
{
    struct ckpt_state *s = state;
    if (!s)
        return;
    buf_done(&s->save);
    buf_done(&s->take);
    free(s->offs_cache.ids.v);
    free(s->coms_cache.ids.v);
    forget_batches(s);
    buf_done(&s->raw_newest.bytes);
    buf_done(&s->raw_committed.bytes);
    buf_done(&s->raw_commit.bytes);
    free(s->query_id);
    free(s->commit_error);
    free(s);
}

static bool ckpt_wants(const struct cfg_stream *cfg)
{
    return cfg->checkpoint != NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool has_id(const struct fs_ids *l, int64_t id)
{
    return l->n && bsearch(&id, l->v, l->n, sizeof *l->v, cmp_i64) != NULL;
}

/* Read the metadata file (a few dozen bytes, read every pass: it is what tells that the
 * checkpoint was replaced, whatever the mtime granularity); forget cached batches when the query
 * id changes. */
static bool read_metadata(const char *ckpt, struct ckpt_state *s, struct snap_stream *out,
                          struct buf *scratch)
{
    char *path = fs_join(ckpt, "metadata");
    struct st_err err;
    char *id = NULL;
    s->no_metadata = false;
    if (fs_read(path, CKPT_METADATA_CAP, scratch, NULL, &err) < 0 ||
        offsetlog_parse_metadata(scratch->data, scratch->len, &id, &err) < 0) {
        if (err.code == ST_ENOENT)
            s->no_metadata = true; /* said once the logs are listed */
        else {
            if (err.code == ST_EFORMAT)
                st_err_prefix(&err, "%s", path);
            strvec_push(&out->errors, err.msg);
        }
        free(path);
        return false;
    }
    out->bytes_read += scratch->len;
    if (s->query_id && strcmp(s->query_id, id) != 0) {
        strvec_pushf(&out->warnings, "%s: query id changed from %s to %s (checkpoint replaced)",
                     path, s->query_id, id);
        forget_batches(s);
        s->dirty = true;
    }
    free(s->query_id);
    s->query_id = id;
    out->query_id = xstrdup(id);
    free(path);
    return true;
}

/* Keep only the window's ids in the cache, carrying over what was already read. */
static void rebuild_window(struct ckpt_state *s, const struct fs_ids *offs)
{
    size_t first = offs->n > CKPT_WINDOW ? offs->n - CKPT_WINDOW : 0;
    size_t n = offs->n - first;
    struct cached_batch *nb = xcalloc(n ? n : 1, sizeof *nb);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t id = offs->v[first + i];
        while (j < s->nb && s->b[j].id < id) {
            free(s->b[j].error);
            j++;
        }
        if (j < s->nb && s->b[j].id == id) {
            nb[i] = s->b[j++];
        } else {
            nb[i] = (struct cached_batch){.id = id, .start_ms = -1, .commit_ms = -1};
        }
    }
    for (; j < s->nb; j++)
        free(s->b[j].error);
    free(s->b);
    s->b = nb;
    s->nb = n;
}

static void read_batch(const char *offdir, struct ckpt_state *s, struct cached_batch *cb,
                       bool keep_sources, struct buf *scratch, struct snap_stream *out)
{
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)cb->id);
    char *path = fs_join(offdir, name);
    struct st_err err;
    struct fs_entry info = {.size = -1, .mtime_ms = -1};
    if (cb->error) {
        /* known bad: read again only if the file changed */
        struct fs_entry now;
        if (fs_stat(path, &now, &err) == 0 && now.size == cb->bad_size &&
            now.mtime_ms == cb->bad_mtime) {
            free(path);
            return;
        }
        free(cb->error);
        cb->error = NULL;
    }
    struct offset_file f;
    bool kept = keep_sources && raw_get(&s->raw_newest, cb->id, scratch);
    int rrc = kept ? 0 : fs_read(path, CKPT_OFFSETS_CAP, scratch, &info, &err);
    if (!kept)
        out->bytes_read += scratch->len;
    cb->gone = rrc < 0 && err.code == ST_ENOENT;
    if (cb->gone) { /* purged by Spark, or the checkpoint replaced, since the listing */
        cb->ok = false;
        free(path);
        return;
    }
    if (rrc < 0 || offsetlog_parse(scratch->data, scratch->len, &f, &err) < 0) {
        if (err.code == ST_EFORMAT)
            st_err_prefix(&err, "%s", path);
        cb->error = xstrdup(err.msg);
        cb->bad_size = info.size;
        cb->bad_mtime = info.mtime_ms;
        cb->ok = false;
        free(path);
        return;
    }
    cb->ok = true;
    if (!kept)
        s->dirty = true;
    if (keep_sources && !kept)
        raw_keep(&s->raw_newest, cb->id, scratch);
    cb->start_ms = f.batch_ts_ms;
    cb->wm_ms = f.watermark_ms;
    cb->version = f.version;
    cb->shuffle = f.shuffle_partitions;
    cb->control = f.control != NULL;
    if (keep_sources) {
        offsetlog_done(&s->newest);
        s->newest = f;
        s->newest_id = cb->id;
    } else {
        offsetlog_done(&f);
    }
    free(path);
}

static void stat_commit(const char *comdir, struct ckpt_state *s, struct cached_batch *cb)
{
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)cb->id);
    char *path = fs_join(comdir, name);
    struct fs_entry e;
    struct st_err err;
    if (fs_stat(path, &e, &err) == 0) {
        cb->commit_ms = e.mtime_ms;
        s->dirty = true;
    }
    free(path);
}

/* A v2 source id usable as a folder name under sources/ (Spark's rule for source names:
 * [a-zA-Z0-9_-], at most 64 [code] OffsetSeqV2.scala validateSourceName). */
static bool plain_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return false;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

static void read_kafka_initial(const char *ckpt, struct ckpt_state *s, size_t index,
                               struct snap_source *src, struct buf *scratch,
                               struct snap_stream *out)
{
    if (index >= s->nkafka) {
        size_t n = index + 1;
        s->kafka_initial = xrealloc(s->kafka_initial, n * sizeof *s->kafka_initial);
        s->kafka_tried = xrealloc(s->kafka_tried, n * sizeof *s->kafka_tried);
        for (size_t i = s->nkafka; i < n; i++) {
            s->kafka_initial[i] = NULL;
            s->kafka_tried[i] = false;
        }
        s->nkafka = n;
    }
    if (!s->kafka_tried[index]) {
        s->kafka_tried[index] = true;
        char rel[96];
        if (src->id && plain_id(src->id))
            snprintf(rel, sizeof rel, "sources/%s/0", src->id);
        else
            snprintf(rel, sizeof rel, "sources/%zu/0", index);
        char *path = fs_join(ckpt, rel);
        struct st_err err;
        char *json = NULL;
        if (fs_read(path, CKPT_SOURCE0_CAP, scratch, NULL, &err) == 0) {
            out->bytes_read += scratch->len;
            if (offsetlog_parse_kafka_initial(scratch->data, scratch->len, &json, &err) == 0)
                s->kafka_initial[index] = json;
            else
                strvec_pushf(&out->warnings, "%s: %s", path, err.msg);
        } else if (err.code != ST_ENOENT) {
            strvec_push(&out->warnings, err.msg);
        }
        free(path);
    }
    if (s->kafka_initial[index])
        src->initial_offset = xstrdup(s->kafka_initial[index]);
}

/* The sources of the newest committed batch, when a newer one is planned (in flight): where
 * the query resumes, beside where its planned batch ends. Read once per committed batch. */
static void read_committed(const char *offdir, struct ckpt_state *s, int64_t id,
                           struct buf *scratch, struct snap_stream *out)
{
    if (id == s->committed_id)
        return;
    offsetlog_done(&s->committed);
    s->committed_id = -1;
    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)id);
    char *path = fs_join(offdir, name);
    struct st_err err;
    bool kept = raw_get(&s->raw_committed, id, scratch);
    /* the committed batch is most often the newest, parsed already from the same bytes */
    bool same = kept && s->newest_id == id && s->raw_newest.id == id &&
                s->raw_newest.bytes.len == scratch->len &&
                memcmp(s->raw_newest.bytes.data, scratch->data, scratch->len) == 0;
    if (same)
        offsetlog_copy(&s->committed, &s->newest);
    if (same || ((kept || fs_read(path, CKPT_OFFSETS_CAP, scratch, NULL, &err) == 0) &&
                 offsetlog_parse(scratch->data, scratch->len, &s->committed, &err) == 0)) {
        s->committed_id = id;
        if (!kept) {
            raw_keep(&s->raw_committed, id, scratch);
            s->dirty = true;
        }
    } else if (err.code != ST_ENOENT) {
        strvec_pushf(&out->warnings, "%s: %s", path, err.msg);
    }
    if (!kept)
        out->bytes_read += scratch->len;
    free(path);
}

/* Whether the ids have a hole; with out, say where. */
static bool check_holes(const char *dir, const struct fs_ids *l, struct snap_stream *out)
{
    if (l->n < 2 || (int64_t)l->n == l->v[l->n - 1] - l->v[0] + 1)
        return false;
    for (size_t i = 1; i < l->n; i++) {
        if (l->v[i] != l->v[i - 1] + 1) {
            if (out)
                strvec_pushf(&out->warnings,
                             "%s: batch ids are not contiguous (%lld is missing between %lld and "
                             "%lld); Spark refuses to restart from such a log",
                             dir, (long long)(l->v[i - 1] + 1), (long long)l->v[0],
                             (long long)l->v[l->n - 1]);
            return true;
        }
    }
    return false;
}

static double seconds_since(int64_t now_ms, int64_t then_ms)
{
    double d = (double)(now_ms - then_ms) / 1000.0;
    return d < 0 ? 0 : d;
}

/* A batch that moves no input: a v2 control batch (controlBatchInfo), or a state repartition
 * batch, the first whose spark.sql.shuffle.partitions differs from its predecessor's (Spark
 * 4.2's offline repartition writes it with the last committed batch's offsets and the new
 * count) [code] apache/spark sql/core/.../streaming/state/OfflineStateRepartitionRunner.scala
 * (isRepartitionBatch). The first batch of the window has no predecessor here: data. */
static enum batch_kind kind_of(const struct ckpt_state *s, size_t i)
{
    const struct cached_batch *b = &s->b[i];
    if (!b->ok)
        return BATCH_DATA;
    if (b->control)
        return BATCH_CONTROL;
    if (i > 0) {
        const struct cached_batch *a = &s->b[i - 1];
        if (a->ok && a->id + 1 == b->id && a->shuffle > 0 && b->shuffle > 0 &&
            a->shuffle != b->shuffle)
            return BATCH_REPARTITION;
    }
    return BATCH_DATA;
}

/* Whether the file times of batch i tell its duration. A checkpoint copied without its times
 * (cp without -p, a restore from backup) has commit times of the copy, not of the batch: seen
 * 908 days between a batch's start and its commit file. A commit cannot be written before its
 * batch starts nor after the next batch starts (allowing CLOCK_SLACK_MS for clock skew between
 * the driver and the storage, coarse times, and asynchronous progress tracking); the newest
 * batch has no next one, and its commit time is not believed when the batch before it shows
 * that the commit times are not the batches' (a copy dates them all alike). */
#define CLOCK_SLACK_MS 60000
static bool commit_in_interval(const struct ckpt_state *s, size_t i)
{
    const struct cached_batch *cb = &s->b[i];
    if (cb->commit_ms < cb->start_ms - CLOCK_SLACK_MS)
        return false;
    for (size_t j = i + 1; j < s->nb; j++)
        if (s->b[j].ok && s->b[j].start_ms >= 0)
            return cb->commit_ms <= s->b[j].start_ms + CLOCK_SLACK_MS;
    return true;
}

static bool times_plausible(const struct ckpt_state *s, size_t i)
{
    if (!commit_in_interval(s, i))
        return false;
    for (size_t j = i; j-- > 0;) {
        const struct cached_batch *p = &s->b[j];
        if (p->ok && p->start_ms >= 0 && p->commit_ms >= 0)
            return commit_in_interval(s, j);
    }
    return true;
}

static void compute_metrics(struct ckpt_state *s, const char *comdir, const struct fs_ids *offs,
                            const struct fs_ids *coms, bool has_commits, int64_t now_ms,
                            struct snap_stream *out)
{
    double *m = out->metrics;
    const struct cached_batch *last = &s->b[s->nb - 1];
    m[M_LAST_BATCH_ID] = (double)offs->v[offs->n - 1];
    if (last->ok && last->wm_ms > 0)
        m[M_WATERMARK_LAG_SECONDS] = seconds_since(now_ms, last->wm_ms);

    double gaps[CKPT_WINDOW];
    size_t ngaps = 0;
    /* the cadence of data batches: a gap into or out of a control batch is not one */
    for (size_t i = 1; i < s->nb; i++) {
        const struct cached_batch *a = &s->b[i - 1], *b = &s->b[i];
        if (a->ok && b->ok && a->start_ms >= 0 && b->start_ms >= a->start_ms &&
            b->id == a->id + 1 && kind_of(s, i - 1) == BATCH_DATA && kind_of(s, i) == BATCH_DATA)
            gaps[ngaps++] = (double)(b->start_ms - a->start_ms) / 1000.0;
    }
    if (ngaps) {
        qsort(gaps, ngaps, sizeof gaps[0], cmp_double);
        m[M_BATCH_INTERVAL_SECONDS] =
            ngaps % 2 ? gaps[ngaps / 2] : (gaps[ngaps / 2 - 1] + gaps[ngaps / 2]) / 2;
    }
    if (!has_commits)
        return;
    int64_t committed = coms->n ? coms->v[coms->n - 1] : -1;
    if (coms->n)
        m[M_COMMITTED_BATCH_ID] = (double)committed;
    if (last->id > committed)
        m[M_INFLIGHT_SECONDS] =
            last->ok && last->start_ms >= 0 ? seconds_since(now_ms, last->start_ms) : NAN;
    else
        m[M_INFLIGHT_SECONDS] = 0;
    for (size_t i = s->nb; i-- > 0;) {
        const struct cached_batch *cb = &s->b[i];
        if (cb->id != committed)
            continue;
        if (cb->commit_ms >= 0)
            m[M_COMMIT_AGE_SECONDS] = seconds_since(now_ms, cb->commit_ms);
        break;
    }
    /* the duration of the newest committed data batch (a repartition's is not throughput) */
    for (size_t i = s->nb; i-- > 0;) {
        const struct cached_batch *cb = &s->b[i];
        if (cb->id > committed || cb->commit_ms < 0 || kind_of(s, i) != BATCH_DATA)
            continue;
        if (cb->ok && cb->start_ms >= 0 && times_plausible(s, i))
            m[M_BATCH_DURATION_SECONDS] = seconds_since(cb->commit_ms, cb->start_ms);
        else if (cb->ok && cb->start_ms >= 0) {
            char d[32];
            int64_t gap = cb->commit_ms - cb->start_ms;
            fmt_duration((double)(gap < 0 ? -gap : gap) / 1000, d, sizeof d);
            strvec_pushf(&out->warnings,
                         "%s/%lld: written %s %s batch %lld started, outside the batch (a copied "
                         "or restored checkpoint?); the batch duration is not measured from "
                         "file times",
                         comdir, (long long)cb->id, d, gap < 0 ? "before" : "after",
                         (long long)cb->id);
        }
        break;
    }
}

/* After a state repartition the operators have the newest batch's shuffle partitions, but
 * their metadata may still say the old count: the offline repartition (Spark 4.2+,
 * StreamingCheckpointManager.repartition) rewrites the state of every partition and writes the
 * repartition batch's offsets with the new spark.sql.shuffle.partitions, and leaves an operator
 * metadata v1 file (state/<op>/_metadata/metadata, written once at the query's start) as it
 * was; seen on a Spark 4.3.0 checkpoint (tests/fixtures/live/spark-4.3.0/repartition: metadata
 * numPartitions 2, state/0/{0,1,2}, lastProgress numShufflePartitions and
 * numStateStoreInstances 3): a stateful operator keeps one state store per shuffle partition
 * [code] apache/spark OfflineStateRepartitionRunner.scala. Metadata written at or after the newest
 * repartition batch (v2, named by its batch) stands. */
static void repartitioned_operators(const struct ckpt_state *s, struct snap_stream *out)
{
    int64_t rep = -1;
    for (size_t i = 0; i < s->nb; i++)
        if (kind_of(s, i) == BATCH_REPARTITION)
            rep = s->b[i].id;
    int shuffle = s->b[s->nb - 1].shuffle;
    if (rep < 0 || shuffle <= 0)
        return;
    for (size_t i = 0; i < out->noperators; i++)
        if (out->operators[i].meta_batch < rep)
            out->operators[i].partitions = shuffle;
}

/* Read the newest commits/N when it changed: the commit log and state checkpoint versions. */
static void read_commit(const char *comdir, struct ckpt_state *s, int64_t id, struct buf *scratch,
                        struct snap_stream *out)
{
    if (id != s->commit_id) {
        s->commit_id = id;
        free(s->commit_error);
        s->commit_error = NULL;
        memset(&s->commit, 0, sizeof s->commit);
        char name[32];
        snprintf(name, sizeof name, "%lld", (long long)id);
        char *path = fs_join(comdir, name);
        struct st_err err;
        bool kept = raw_get(&s->raw_commit, id, scratch);
        if ((!kept && fs_read(path, CKPT_COMMIT_CAP, scratch, NULL, &err) < 0) ||
            statelog_parse_commit(scratch->data, scratch->len, &s->commit, &err) < 0) {
            if (err.code == ST_EFORMAT)
                st_err_prefix(&err, "%s", path);
            if (err.code == ST_ENOENT)
                s->commit_id = -1; /* purged or replaced since the listing: try again */
            else
                s->commit_error = xstrdup(err.msg);
            memset(&s->commit, 0, sizeof s->commit);
        } else if (!kept) {
            raw_keep(&s->raw_commit, id, scratch);
            s->dirty = true;
        }
        if (!kept)
            out->bytes_read += scratch->len;
        free(path);
    }
    if (s->commit_error)
        strvec_push(&out->warnings, s->commit_error);
    out->ckpt.commit_log = s->commit.version;
    if (s->commit.version)
        out->ckpt.state_format = s->commit.version == 2 || s->commit.state_unique_ids ? 2 : 1;
}

/* fs_list_ids through the cache: out gets its own copy. */
static void ids_copy(struct fs_ids *dst, const struct fs_ids *src)
{
    dst->n = dst->cap = src->n;
    dst->v = xmalloc((src->n + 1) * sizeof *dst->v);
    if (src->n)
        memcpy(dst->v, src->v, src->n * sizeof *dst->v);
}

/* Whether the listing kept for a folder may stand now (see struct ids_cache): durable tells
 * that the folder's times hold across processes. */
static bool listing_holds(const struct dirstamp *st, int64_t listed_mono_ms,
                          const struct fs_entry *info, bool durable, int64_t max_age_ms)
{
    if (listed_mono_ms >= 0) /* listed by this process */
        return clock_mono_ms() - listed_mono_ms < RELIST_MS &&
               dirstamp_holds(st, info, INT64_MAX, clock_real_ms());
    return durable && dirstamp_holds(st, info, max_age_ms, clock_real_ms());
}

/* A stamp worth saving: the folder changed, or the listing is half as old as a listing from the
 * cursor may be (not every relisting of an unchanged folder is written to the state DB). */
static bool stamp_moved(const struct dirstamp *old, const struct dirstamp *now, int64_t max_age_ms)
{
    return old->mtime_ms != now->mtime_ms || old->listed_ms <= 0 ||
           now->listed_ms - old->listed_ms > max_age_ms / 2;
}

static int cached_ids(const char *dir, struct ids_cache *c, struct fs_ids *out, struct st_err *err,
                      bool durable, int64_t max_age_ms, bool *dirty)
{
    struct fs_entry info;
    bool times = fs_dir_times(dir) && fs_stat(dir, &info, err) == 0;
    if (c->valid && times &&
        listing_holds(&c->stamp, c->listed_mono_ms, &info, durable, max_age_ms)) {
        ids_copy(out, &c->ids);
        return 0;
    }
    c->valid = false;
    int64_t listed = clock_real_ms();
    if (fs_list_ids(dir, out, err) < 0)
        return -1;
    free(c->ids.v);
    ids_copy(&c->ids, out);
    struct dirstamp old = c->stamp;
    if (times)
        dirstamp_set(&c->stamp, &info, listed);
    else
        c->stamp = (struct dirstamp){.mtime_ms = -1};
    if (stamp_moved(&old, &c->stamp, max_age_ms))
        *dirty = true;
    c->listed_mono_ms = clock_mono_ms();
    c->valid = times;
    return 0;
}

/* Batches listed but gone when read, on the last try: an older one was purged by the query
 * (it keeps only its newest batches) and leaves the window; the newest is an error. */
static void drop_gone(struct ckpt_state *s, const char *offdir)
{
    size_t j = 0;
    for (size_t i = 0; i < s->nb; i++) {
        struct cached_batch *cb = &s->b[i];
        if (cb->gone && i == s->nb - 1) {
            cb->gone = false;
            cb->error = xasprintf("%s/%lld: listed, but removed before it could be read "
                                  "(twice in a row; is the checkpoint being deleted?)",
                                  offdir, (long long)cb->id);
            cb->bad_size = cb->bad_mtime = -1;
        }
        if (cb->gone)
            free(cb->error);
        else
            s->b[j++] = *cb;
    }
    s->nb = j;
}

static int count_visible(const struct fs_entry *e, void *ctx)
{
    if (e->name[0] != '.')
        ++*(size_t *)ctx;
    return 0;
}

/* A checkpoint folder with nothing in it but hidden files (Spark's temporary files start with
 * a dot): a query that is starting, not a folder that is something else. */
static bool starting(const char *ckpt)
{
    size_t n = 0;
    struct st_err err;
    return fs_list(ckpt, FS_NOSTAT, count_visible, &n, &err) == 0 && n == 0;
}

static void ckpt_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                         int64_t now_ms)
{
    struct ckpt_state *s = state;
    const char *ckpt = cfg->checkpoint;
    struct st_err err;
    struct fs_entry root;
    if (fs_stat(ckpt, &root, &err) < 0) {
        strvec_pushf(&out->errors, "checkpoint %s", err.msg);
        return;
    }
    if (!root.is_dir) {
        strvec_pushf(&out->errors, "checkpoint %s: not a directory", ckpt);
        return;
    }
    uint64_t h = hash64(ckpt, strlen(ckpt));
    if (s->path_hash != h) {
        if (s->path_hash) { /* a cursor of another checkpoint path: its batches are not these */
            forget_batches(s);
            free(s->query_id);
            s->query_id = NULL;
        }
        s->offs_cache.valid = s->coms_cache.valid = false;
        s->root_from_cursor = false;
        s->path_hash = h;
        s->dirty = true;
    }
    struct buf scratch;
    buf_init(&scratch);
    /* listings and files from the cursor (another process's) stand only where folder times
     * hold across processes: asked once, of the checkpoint folder */
    bool from_cursor = s->root_from_cursor ||
                       (s->offs_cache.valid && s->offs_cache.listed_mono_ms < 0) ||
                       (s->coms_cache.valid && s->coms_cache.listed_mono_ms < 0);
    bool durable = from_cursor && fs_dir_times_durable(ckpt);
    int64_t max_age = cfg->full_listing_every_ms;
    if (s->root_from_cursor && s->query_id && fs_dir_times(ckpt) &&
        listing_holds(&s->root_stamp, -1, &root, durable, max_age)) {
        /* nothing was made, removed or renamed in the checkpoint folder since its metadata
         * file was read: the same file, the same query */
        s->no_metadata = false;
        out->query_id = xstrdup(s->query_id);
    } else {
        int64_t read_ms = clock_real_ms();
        bool ok = read_metadata(ckpt, s, out, &scratch);
        struct dirstamp old = s->root_stamp;
        if (ok && fs_dir_times(ckpt))
            dirstamp_set(&s->root_stamp, &root, read_ms);
        else
            s->root_stamp = (struct dirstamp){.mtime_ms = -1};
        if (ok && stamp_moved(&old, &s->root_stamp, max_age))
            s->dirty = true;
    }
    s->root_from_cursor = false;

    char *offdir = fs_join(ckpt, "offsets");
    char *comdir = fs_join(ckpt, "commits");
    struct fs_ids offs = {0}, coms = {0};
    bool has_commits = true;
    struct st_err comerr;
    /* The query writes offsets/N, then commits/N, and may purge the oldest of both; a pass
     * that lists or reads while it does so tries once more with fresh listings. */
    for (int attempt = 0;; attempt++) {
        /* commits/ first: every commit listed then has its offsets file in the listing after */
        has_commits =
            cached_ids(comdir, &s->coms_cache, &coms, &comerr, durable, max_age, &s->dirty) == 0;
        if (cached_ids(offdir, &s->offs_cache, &offs, &err, durable, max_age, &s->dirty) < 0) {
            if (err.code == ST_ENOENT && out->query_id)
                /* seen live: Spark writes metadata a moment before it makes offsets/ */
                strvec_pushf(&out->warnings, "%s: not made yet (the query has just started)",
                             offdir);
            else if (err.code == ST_ENOENT && starting(ckpt))
                /* seen live: Spark makes the folder a moment before it writes metadata */
                strvec_pushf(&out->warnings,
                             "%s: empty (a query starting here has not written its metadata "
                             "yet)",
                             ckpt);
            else if (err.code == ST_ENOENT)
                strvec_pushf(&out->errors, "%s: missing; %s is not a Spark checkpoint", offdir,
                             ckpt);
            else
                strvec_push(&out->errors, err.msg);
            goto done;
        }
        bool again = attempt == 0 && check_holes(offdir, &offs, NULL);
        if (!again && offs.n) {
            rebuild_window(s, &offs);
            for (size_t i = 0; i < s->nb; i++) {
                struct cached_batch *cb = &s->b[i];
                bool newest = i == s->nb - 1;
                if (!cb->ok || (newest && s->newest_id != cb->id))
                    read_batch(offdir, s, cb, newest, &scratch, out);
                again = again || (attempt == 0 && cb->gone);
            }
        }
        if (!again)
            break;
        s->offs_cache.valid = s->coms_cache.valid = false;
        free(offs.v);
        free(coms.v);
        memset(&offs, 0, sizeof offs);
        memset(&coms, 0, sizeof coms);
    }
    if (!has_commits) {
        if (comerr.code == ST_ENOENT)
            strvec_pushf(&out->warnings,
                         "%s: missing (Spark 2.1 layout, or no batch finished yet): commit "
                         "state unknown",
                         comdir);
        else
            strvec_push(&out->errors, comerr.msg);
    }
    check_holes(offdir, &offs, out);
    if (s->no_metadata) {
        char *mpath = fs_join(ckpt, "metadata");
        size_t ncom = has_commits ? coms.n : 0;
        if (offs.n || ncom) {
            /* Spark 4.2+ refuses to start such a query (STREAMING_CHECKPOINT_METADATA_ERROR.
             * MISSING_METADATA_FILE: "the metadata file is missing but offset and/or commit
             * logs contain data") [doc] Databricks error-conditions reference */
            out->ckpt.unrestartable =
                xasprintf("%s: missing while offsets/ holds %zu batch(es) and commits/ %zu; "
                          "Spark 4.2+ refuses to restart the query (restore the file or start "
                          "a new checkpoint)",
                          mpath, offs.n, ncom);
            strvec_push(&out->warnings, out->ckpt.unrestartable);
        } else {
            strvec_pushf(&out->warnings, "%s: missing, so the query id is unknown", mpath);
        }
        free(mpath);
    }
    if (has_commits && coms.n)
        read_commit(comdir, s, coms.v[coms.n - 1], &scratch, out);
    ckptstate_measure(ckpt, out, &scratch);
    if (offs.n == 0) {
        strvec_pushf(&out->warnings, "%s: no batch planned yet", offdir);
        if (has_commits && coms.n)
            out->metrics[M_COMMITTED_BATCH_ID] = (double)coms.v[coms.n - 1];
        goto done;
    }
    if (coms.n && coms.v[coms.n - 1] > offs.v[offs.n - 1])
        strvec_pushf(&out->warnings, "%s: commit %lld has no offsets file (newest is %lld)", comdir,
                     (long long)coms.v[coms.n - 1], (long long)offs.v[offs.n - 1]);

    drop_gone(s, offdir);
    for (size_t i = 0; i < s->nb; i++) {
        struct cached_batch *cb = &s->b[i];
        if (cb->error)
            strvec_push(i == s->nb - 1 ? &out->errors : &out->warnings, cb->error);
        if (has_commits && cb->commit_ms < 0 && has_id(&coms, cb->id))
            stat_commit(comdir, s, cb);
    }
    compute_metrics(s, comdir, &offs, &coms, has_commits, now_ms, out);

    int64_t committed = has_commits && coms.n ? coms.v[coms.n - 1] : -1;
    bool inflight = committed >= 0 && committed < s->b[s->nb - 1].id && has_id(&offs, committed);
    if (inflight)
        read_committed(offdir, s, committed, &scratch, out);
    if (s->newest_id == s->b[s->nb - 1].id) {
        for (size_t i = 0; i < s->newest.nsources; i++) {
            const struct offset_entry *oe = &s->newest.sources[i];
            struct snap_source *src = snap_stream_add_source(out, (int)i);
            src->id = oe->id ? xstrdup(oe->id) : NULL;
            src->provider = oe->provider ? xstrdup(oe->provider) : NULL;
            src->end_offset = oe->json ? xstrdup(oe->json) : NULL;
            src->kind = offsetlog_classify(oe->json, &src->position);
            if (src->kind == SRC_KAFKA)
                read_kafka_initial(ckpt, s, i, src, &scratch, out);
            if (inflight && s->committed_id == committed && i < s->committed.nsources &&
                s->committed.sources[i].json)
                src->committed_offset = xstrdup(s->committed.sources[i].json);
        }
    }
    out->batches = xcalloc(s->nb, sizeof *out->batches);
    for (size_t i = 0; i < s->nb; i++) {
        const struct cached_batch *cb = &s->b[i];
        out->batches[i] = (struct snap_batch){cb->id,
                                              cb->ok ? cb->start_ms : -1,
                                              cb->commit_ms,
                                              cb->ok ? cb->wm_ms : 0,
                                              NAN,
                                              kind_of(s, i),
                                              cb->commit_ms >= 0 && cb->ok && cb->start_ms >= 0 &&
                                                  !times_plausible(s, i)};
    }
    out->nbatches = s->nb;
    const struct cached_batch *nb = &s->b[s->nb - 1];
    if (nb->ok) {
        out->ckpt.offset_log = nb->version;
        out->ckpt.shuffle_partitions = nb->shuffle;
        repartitioned_operators(s, out);
    }
done:
    for (int k = 0; k < METRIC_COUNT; k++)
        if (!isnan(out->metrics[k]) && out->origin[k] == ORIGIN_NONE)
            out->origin[k] = ORIGIN_CHECKPOINT;
    free(offs.v);
    free(coms.v);
    free(offdir);
    free(comdir);
    buf_done(&scratch);
}

/* The cursor: the window's parsed batches, so a new process (cron) reads only the offsets
 * files of new batches and the newest one's (for its sources), and stats no commit it knows.
 * offsets/N and commits/N are written once; a checkpoint replaced under the same path has
 * another query id, which forgets them, and a cursor of another path (a copy keeps its query id,
 * not its commit times) is not used. Layout: magic, path hash, query id length and bytes, batch
 * count, then per batch its id, start, watermark and commit times (int64), offset log version
 * and shuffle partitions (int32) and whether it is a control batch (one byte); then the
 * checkpoint folder's stamp (mtime, listed; listed 0 for none), the listings of offsets/ and
 * commits/ (stamp, count of runs of consecutive ids, each run's first id and length), and the
 * newest offsets file, the newest committed one and the newest commit file as read (id, -1 for
 * none, length, bytes). */
#define CKPT_CURSOR_MAGIC "CKP3"
#define CKPT_BATCH_BYTES  (8 * 4 + 4 * 2 + 1)
#define CKPT_MAX_ID       256
#define CKPT_MAX_RUNS     64     /* a listing with more holes is not kept */
#define CKPT_MAX_IDS      100000 /* nor one of more files */
#define CKPT_CURSOR_CAP                                                                            \
    (20 + CKPT_MAX_ID + (size_t)CKPT_WINDOW * CKPT_BATCH_BYTES + 16 +                              \
     2 * (20 + (size_t)CKPT_MAX_RUNS * 16) + 3 * (12 + (size_t)RAW_CAP))

static size_t count_runs(const struct fs_ids *l)
{
    size_t runs = 0;
    for (size_t i = 0; i < l->n; i++)
        runs += i == 0 || l->v[i] != l->v[i - 1] + 1;
    return runs;
}

static void put_listing(struct buf *b, const struct ids_cache *c)
{
    size_t runs = count_runs(&c->ids);
    bool keep =
        c->valid && c->stamp.listed_ms > 0 && runs <= CKPT_MAX_RUNS && c->ids.n <= CKPT_MAX_IDS;
    buf_put_i64(b, keep ? c->stamp.mtime_ms : -1);
    buf_put_i64(b, keep ? c->stamp.listed_ms : 0);
    buf_put_u32(b, keep ? (uint32_t)runs : 0);
    for (size_t i = 0; keep && i < c->ids.n;) {
        size_t j = i + 1;
        while (j < c->ids.n && c->ids.v[j] == c->ids.v[j - 1] + 1)
            j++;
        buf_put_i64(b, c->ids.v[i]);
        buf_put_i64(b, (int64_t)(j - i));
        i = j;
    }
}

/* A listing from the cursor into c (not valid when it holds none); -1 when malformed. */
static int take_listing(struct buf_reader *r, struct ids_cache *c)
{
    int64_t mtime = buf_take_i64(r), listed = buf_take_i64(r);
    uint32_t runs = buf_take_u32(r);
    if (r->bad || runs > CKPT_MAX_RUNS || (listed <= 0 && runs))
        return -1;
    struct fs_ids ids = {0};
    int64_t next = 0;
    for (uint32_t k = 0; k < runs; k++) {
        int64_t first = buf_take_i64(r), len = buf_take_i64(r);
        if (r->bad || first < next || len <= 0 || len > CKPT_MAX_IDS ||
            (int64_t)ids.n + len > CKPT_MAX_IDS || first > INT64_MAX - len) {
            free(ids.v);
            return -1;
        }
        xgrow((void **)&ids.v, &ids.cap, ids.n + (size_t)len, sizeof *ids.v);
        for (int64_t i = 0; i < len; i++)
            ids.v[ids.n++] = first + i;
        next = first + len + 1; /* runs are apart */
    }
    free(c->ids.v);
    c->ids = ids;
    c->stamp = (struct dirstamp){mtime, listed};
    c->listed_mono_ms = -1;
    c->valid = listed > 0;
    return 0;
}

static void put_raw(struct buf *b, const struct raw_file *r)
{
    buf_put_i64(b, r->id);
    buf_put_u32(b, r->id >= 0 ? (uint32_t)r->bytes.len : 0);
    if (r->id >= 0)
        buf_append(b, r->bytes.len ? r->bytes.data : "", r->bytes.len);
}

static int take_raw(struct buf_reader *r, struct raw_file *f)
{
    int64_t id = buf_take_i64(r);
    uint32_t len = buf_take_u32(r);
    if (r->bad || id < -1 || len > RAW_CAP || (id < 0 && len))
        return -1;
    const void *p = len ? buf_take(r, len) : "";
    if (r->bad)
        return -1;
    raw_forget(f);
    if (id >= 0)
        raw_set(f, id, p, len);
    return 0;
}

static size_t ckpt_cursor_size(void *state)
{
    struct ckpt_state *s = state;
    if (!s->dirty || !s->query_id)
        return 0;
    buf_reset(&s->save);
    uint32_t idlen = (uint32_t)strlen(s->query_id), n = 0;
    for (size_t i = 0; i < s->nb; i++)
        n += s->b[i].ok && !s->b[i].error;
    buf_append(&s->save, CKPT_CURSOR_MAGIC, 4);
    buf_append(&s->save, &s->path_hash, 8);
    buf_append(&s->save, &idlen, 4);
    buf_append(&s->save, s->query_id, idlen);
    buf_append(&s->save, &n, 4);
    for (size_t i = 0; i < s->nb; i++) {
        const struct cached_batch *cb = &s->b[i];
        if (!cb->ok || cb->error)
            continue;
        int64_t v[4] = {cb->id, cb->start_ms, cb->wm_ms, cb->commit_ms};
        int32_t w[2] = {cb->version, cb->shuffle};
        unsigned char control = cb->control;
        buf_append(&s->save, v, sizeof v);
        buf_append(&s->save, w, sizeof w);
        buf_append(&s->save, &control, 1);
    }
    buf_put_i64(&s->save, s->root_stamp.listed_ms > 0 ? s->root_stamp.mtime_ms : -1);
    buf_put_i64(&s->save, s->root_stamp.listed_ms > 0 ? s->root_stamp.listed_ms : 0);
    put_listing(&s->save, &s->offs_cache);
    put_listing(&s->save, &s->coms_cache);
    put_raw(&s->save, &s->raw_newest);
    put_raw(&s->save, &s->raw_committed);
    put_raw(&s->save, &s->raw_commit);
    return s->save.len;
}

static void ckpt_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct ckpt_state *s = state;
    cursor_fill_from(&s->save, &s->dirty, off, dst, len);
}

/* The batches a cursor holds, or -1 when its bytes do not read as one (nothing kept). */
static int ckpt_cursor_parse(void *state, const unsigned char *p, size_t n)
{
    struct ckpt_state *s = state;
    uint32_t idlen, nb;
    uint64_t path_hash;
    if (n < 20 || memcmp(p, CKPT_CURSOR_MAGIC, 4) != 0)
        return -1;
    memcpy(&path_hash, p + 4, 8);
    p += 8;
    n -= 8;
    memcpy(&idlen, p + 4, 4);
    if (idlen == 0 || idlen > CKPT_MAX_ID || n < 12 + (size_t)idlen || memchr(p + 8, '\0', idlen))
        return -1;
    memcpy(&nb, p + 8 + idlen, 4);
    size_t fixed = 12 + (size_t)idlen + (size_t)nb * CKPT_BATCH_BYTES;
    if (nb > CKPT_WINDOW || n < fixed)
        return -1;
    const unsigned char *q = p + 12 + idlen;
    struct cached_batch *b = xcalloc(nb ? nb : 1, sizeof *b);
    for (uint32_t i = 0; i < nb; i++, q += CKPT_BATCH_BYTES) {
        int64_t v[4];
        int32_t w[2];
        memcpy(v, q, sizeof v);
        memcpy(w, q + sizeof v, sizeof w);
        if (v[0] < 0 || (i && v[0] <= b[i - 1].id) || q[sizeof v + sizeof w] > 1) {
            free(b);
            return -1; /* ids ascend, as the window keeps them */
        }
        b[i] = (struct cached_batch){.id = v[0],
                                     .ok = true,
                                     .start_ms = v[1],
                                     .wm_ms = v[2],
                                     .commit_ms = v[3],
                                     .version = w[0],
                                     .shuffle = w[1],
                                     .control = q[sizeof v + sizeof w] != 0};
    }
    /* the stamps, listings and files: into a scratch state, so a malformed tail keeps none */
    struct buf_reader r = {q, n - fixed, false};
    struct ckpt_state *t = ckpt_state_new();
    int64_t root_mtime = buf_take_i64(&r), root_listed = buf_take_i64(&r);
    if (r.bad || root_listed < 0 || take_listing(&r, &t->offs_cache) < 0 ||
        take_listing(&r, &t->coms_cache) < 0 || take_raw(&r, &t->raw_newest) < 0 ||
        take_raw(&r, &t->raw_committed) < 0 || take_raw(&r, &t->raw_commit) < 0 || r.left) {
        ckpt_state_free(t);
        free(b);
        return -1;
    }
    forget_batches(s);
    s->b = b;
    s->nb = nb;
    free(s->query_id);
    s->query_id = xstrndup((const char *)p + 8, idlen);
    s->path_hash = path_hash;
    s->root_stamp = (struct dirstamp){root_mtime, root_listed};
    s->root_from_cursor = root_listed > 0;
    struct ids_cache *mine[] = {&s->offs_cache, &s->coms_cache},
                     *theirs[] = {&t->offs_cache, &t->coms_cache};
    for (size_t i = 0; i < 2; i++) {
        struct fs_ids ids = mine[i]->ids;
        *mine[i] = *theirs[i];
        theirs[i]->ids = ids; /* freed with t */
    }
    struct raw_file *rm[] = {&s->raw_newest, &s->raw_committed, &s->raw_commit},
                    *rt[] = {&t->raw_newest, &t->raw_committed, &t->raw_commit};
    for (size_t i = 0; i < 3; i++) {
        struct raw_file keep = *rm[i];
        *rm[i] = *rt[i];
        *rt[i] = keep;
    }
    ckpt_state_free(t);
    s->dirty = false;
    return 0;
}

static int ckpt_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct ckpt_state *s = state;
    return cursor_gather(&s->take, src, len, total, CKPT_CURSOR_CAP, ckpt_cursor_parse, s);
}

const struct collector_ops checkpoint_collector = {
    .name = "checkpoint",
    .wants = ckpt_wants,
    .state_new = ckpt_state_new,
    .state_free = ckpt_state_free,
    .collect = ckpt_collect,
    .cursor_size = ckpt_cursor_size,
    .cursor_fill = ckpt_cursor_fill,
    .cursor_take = ckpt_cursor_take,
};
