/* The Delta sink collector: the `sink` table's _delta_log. Entry is _last_checkpoint (version 0
 * may be long gone); later passes read only JSON commits newer than the last one seen. From
 * commitInfo "STREAMING UPDATE" of this query: the epoch, rows, files and time of its last
 * commit; from txn (appId == the checkpoint's query id): the batch the sink committed; from
 * metaData: the table's schema versions and what changed.
 * A log cleaned past its checkpoint (delta.logRetentionDuration, 30 days by default) may have
 * no commit left with the metaData or the query's txn; the parquet checkpoint holds them but is
 * not read. The version checksum <v>.crc does too, as JSON (metadata, setTransactions; see
 * deltacrc.h): the first pass takes them from the newest checksum whose later commits it read,
 * and warns, naming the folder, when neither a commit nor a checksum has them. */
#include "collectors/deltalog.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/deltacrc.h"
#include "collectors/deltafiles.h"
#include "collectors/fs.h"
#include "collectors/structtype.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/parse.h"
#include "core/xalloc.h"

#define COMMIT_CAP   (64u * 1024 * 1024)
#define FIRST_WINDOW 200 /* commits read forward on a first pass, at most */
#define BACK_SCAN    50  /* commits read backward for a metaData/txn older than that */
/* A checksum is read from its start up to this; metadata and setTransactions come before
 * allFiles (which Delta writes only below 50 files), so even a larger file usually gives them. */
#define CRC_CAP   (8u * 1024 * 1024)
#define CRC_TRIES 3 /* checksums tried, newest first, when one cannot be read */

struct delta_state {
    int64_t seen;        /* newest commit read, -1 before the first pass */
    int64_t txn_version; /* txn.version for this query's appId, -1 unknown */
    int64_t stream_ms;   /* timestamp of this query's last STREAMING UPDATE, -1 */
    int64_t epoch;
    double rows, added_files;
    int64_t schema_version; /* commit version of the newest metaData, -1 */
    int64_t schema_ms;
    bool have_fields; /* fields known (from a commit, or a checksum when version is not) */
    int64_t newest, newest_crc; /* newest commit and checksum listed, -1 */
    bool catalog_managed;       /* the newest protocol known names catalogManaged */
    int64_t protocol_version;   /* where that protocol was seen, -1 */
    struct sfields fields;
    struct strvec changes;
    /* The cursor (deltacursor below). Kept across delta_reset: */
    uint64_t path_hash; /* the _delta_log the state was read from, 0 before a pass */
    struct buf save;    /* cursor_size .. cursor_fill: the bytes to save */
    struct buf take;    /* cursor_take: the bytes so far */
    /* Reset with the state: */
    uint64_t qid_hash; /* the query id the txn and STREAMING UPDATEs were matched with */
    bool restored;     /* taken from a cursor, not yet checked against the log */
    bool dirty;        /* changed since the cursor was loaded or saved */
    int64_t ident_v;   /* the commit whose size and mtime follow, -1 */
    int64_t ident_size, ident_mtime;
    int64_t lc_size, lc_mtime; /* _last_checkpoint when ident_v was stat'ed; -1 when absent */
    int64_t oldest;            /* the oldest commit the last listing had, -1 */
    bool check_oldest;         /* restored: a listing with another oldest commit starts over */
    struct strvec sticky;      /* the first read's warnings, given while the log is unchanged */
    /* the listing the state reflects whole (every commit listed read, no error): while the
     * folder's mtime stays (on a disk file system) a pass lists nothing; 0 for none */
    struct dirstamp stamp;
};

static void delta_state_init(struct delta_state *s)
{
    memset(s, 0, sizeof *s);
    s->seen = s->txn_version = s->stream_ms = s->epoch = s->schema_version = s->schema_ms = -1;
    s->newest = s->newest_crc = s->protocol_version = -1;
    s->ident_v = s->ident_size = s->ident_mtime = s->lc_size = s->lc_mtime = s->oldest = -1;
    s->rows = s->added_files = NAN;
    sfields_init(&s->fields);
    strvec_init(&s->changes);
    strvec_init(&s->sticky);
    buf_init(&s->save);
    buf_init(&s->take);
}

/* Forget what was read (the table was recreated, or the log moved under a first read); the
 * path and the cursor's buffers stay. */
static void delta_reset(struct delta_state *s)
{
    uint64_t path_hash = s->path_hash;
    struct buf save = s->save, take = s->take;
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    strvec_done(&s->sticky);
    delta_state_init(s);
    s->path_hash = path_hash;
    s->save = save;
    s->take = take;
    s->dirty = true;
}

static void *delta_state_new(void)
{
    struct delta_state *s = xmalloc(sizeof *s);
    delta_state_init(s);
    return s;
}

static void delta_state_free_parts(struct delta_state *s)
{
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    strvec_done(&s->sticky);
    buf_done(&s->save);
    buf_done(&s->take);
}

static void delta_state_free(void *state)
{
    struct delta_state *s = state;
    if (!s)
        return;
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    strvec_done(&s->sticky);
    buf_done(&s->save);
    buf_done(&s->take);
    free(s);
}

static bool delta_wants(const struct cfg_stream *cfg)
{
    return cfg->sink != NULL;
}

/* One listing of _delta_log, by kind (deltafiles_classify). Only commits are versions: a
 * UUID-named checkpoint and a log-compaction file end in .json too. */
struct versions {
    int64_t *v; /* commits */
    size_t n, cap;
    int64_t *crc; /* checksums */
    size_t ncrc, crc_cap;
    int64_t *comp; /* log compactions, as x, y pairs */
    size_t ncomp, comp_cap;
    int64_t json_ckpt; /* newest UUID-named JSON checkpoint, -1 */
    char *json_ckpt_name;
    bool has_last_checkpoint;
};

static int on_name(const struct fs_entry *e, void *ctx)
{
    struct versions *vs = ctx;
    int64_t v, y;
    switch (deltafiles_classify(e->name, &v, &y)) {
    case DF_LAST_CHECKPOINT:
        vs->has_last_checkpoint = true;
        break;
    case DF_COMMIT:
        xgrow((void **)&vs->v, &vs->cap, vs->n + 1, sizeof *vs->v);
        vs->v[vs->n++] = v;
        break;
    case DF_CRC:
        xgrow((void **)&vs->crc, &vs->crc_cap, vs->ncrc + 1, sizeof *vs->crc);
        vs->crc[vs->ncrc++] = v;
        break;
    case DF_COMPACTED:
        xgrow((void **)&vs->comp, &vs->comp_cap, vs->ncomp + 2, sizeof *vs->comp);
        vs->comp[vs->ncomp++] = v;
        vs->comp[vs->ncomp++] = y;
        break;
    case DF_CHECKPOINT_JSON:
        if (v > vs->json_ckpt) {
            vs->json_ckpt = v;
            free(vs->json_ckpt_name);
            vs->json_ckpt_name = xstrdup(e->name);
        }
        break;
    default: /* parquet checkpoints are not read; _sidecars/ and _staged_commits/ neither */
        break;
    }
    return 0;
}

static void versions_done(struct versions *vs)
{
    free(vs->v);
    free(vs->crc);
    free(vs->comp);
    free(vs->json_ckpt_name);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static double num(const cJSON *v)
{
    double d;
    if (cJSON_IsNumber(v))
        return v->valuedouble;
    if (cJSON_IsString(v) && parse_double(v->valuestring, &d) == 0)
        return d;
    return NAN;
}

void deltalog_commit_init(struct delta_commit *c, int64_t version)
{
    memset(c, 0, sizeof *c);
    c->version = version;
    c->ts_ms = -1;
    c->epoch = -1;
    c->txn_version = -1;
    c->rows = c->added = NAN;
}

void deltalog_commit_done(struct delta_commit *c)
{
    free(c->schema);
    c->schema = NULL;
}

void deltalog_parse_commit(const char *text, size_t len, const char *query_id,
                           struct delta_commit *c)
{
    for (const char *line = text, *end = text + len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const char *next = nl ? nl + 1 : end;
        /* only three kinds of action matter; skip add/remove without parsing them */
        if (n > 12 && (str_prefix(line, "{\"commitInfo\"") || str_prefix(line, "{\"txn\"") ||
                       str_prefix(line, "{\"metaData\"") || str_prefix(line, "{\"protocol\""))) {
            cJSON *o = cJSON_ParseWithLength(line, n);
            const cJSON *ci = cJSON_GetObjectItemCaseSensitive(o, "commitInfo");
            const cJSON *txn = cJSON_GetObjectItemCaseSensitive(o, "txn");
            const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metaData");
            const cJSON *proto = cJSON_GetObjectItemCaseSensitive(o, "protocol");
            if (ci) {
                const cJSON *op = cJSON_GetObjectItemCaseSensitive(ci, "operation");
                const cJSON *params = cJSON_GetObjectItemCaseSensitive(ci, "operationParameters");
                const cJSON *qid = cJSON_GetObjectItemCaseSensitive(params, "queryId");
                const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(ci, "operationMetrics");
                int64_t ts;
                /* PROTOCOL.md "In-Commit Timestamps": a writer of a table with
                 * delta.enableInCommitTimestamps puts inCommitTimestamp in every commitInfo,
                 * and readers should take it as the commit's time (the file's mtime is only the
                 * time it was published: a catalog-managed table may publish late) */
                if (parse_double_to_i64(
                        num(cJSON_GetObjectItemCaseSensitive(ci, "inCommitTimestamp")), &ts) &&
                    ts >= 0) {
                    c->ts_ms = ts;
                    c->ict = true;
                } else if (parse_double_to_i64(
                               num(cJSON_GetObjectItemCaseSensitive(ci, "timestamp")), &ts)) {
                    c->ts_ms = ts;
                }
                if (cJSON_IsString(op) && strcmp(op->valuestring, "STREAMING UPDATE") == 0 &&
                    (!query_id ||
                     (cJSON_IsString(qid) && strcmp(qid->valuestring, query_id) == 0))) {
                    c->streaming_mine = true;
                    double e = num(cJSON_GetObjectItemCaseSensitive(params, "epochId"));
                    if (!parse_double_to_i64(e, &c->epoch))
                        c->epoch = -1;
                    c->rows = num(cJSON_GetObjectItemCaseSensitive(metrics, "numOutputRows"));
                    c->added = num(cJSON_GetObjectItemCaseSensitive(metrics, "numAddedFiles"));
                }
            } else if (txn) {
                const cJSON *app = cJSON_GetObjectItemCaseSensitive(txn, "appId");
                double v = num(cJSON_GetObjectItemCaseSensitive(txn, "version"));
                int64_t tv;
                if (cJSON_IsString(app) && parse_double_to_i64(v, &tv) &&
                    (!query_id || strcmp(app->valuestring, query_id) == 0)) {
                    c->has_txn = true;
                    c->txn_version = tv;
                }
            } else if (proto) {
                c->has_protocol = true;
                c->catalog_managed = deltafiles_catalog_managed(proto);
            } else if (md) {
                const cJSON *ss = cJSON_GetObjectItemCaseSensitive(md, "schemaString");
                if (cJSON_IsString(ss)) {
                    free(c->schema);
                    c->schema = xstrdup(ss->valuestring);
                }
            }
            cJSON_Delete(o);
        }
        line = next;
    }
}

static char *commit_path(const char *logdir, int64_t v)
{
    char name[32];
    snprintf(name, sizeof name, "%020lld.json", (long long)v);
    return fs_join(logdir, name);
}

/* What one try at the log gathered, kept apart from the snapshot until the pass knows it will
 * not try again. */
struct attempt {
    struct strvec errors, warnings;
    bool vanished;      /* a file listed was gone when read */
    struct st_err gone; /* the last such read */
    uint64_t *bytes_read;
    bool durable;        /* the sink's folder times hold across processes */
    struct fs_entry dir; /* _delta_log's stat before the last listing, when durable */
    int64_t listed_ms;   /* real time of that listing; 0 when not stat'ed */
    bool have_dir;       /* dir and listed_ms were taken by the pass, for its first try */
};

/* Read commit v; 0 or -1 (an error in a, or a->vanished when the file had gone). */
static int load(const char *logdir, int64_t v, const char *qid, struct delta_commit *c,
                struct attempt *a, struct buf *b)
{
    deltalog_commit_init(c, v);
    char *path = commit_path(logdir, v);
    struct st_err err;
    struct fs_entry info;
    int rc = fs_read(path, COMMIT_CAP, b, &info, &err);
    *a->bytes_read += b->len;
    if (rc < 0 && err.code == ST_ENOENT) {
        a->vanished = true;
        a->gone = err;
    } else if (rc < 0) {
        strvec_pushf(&a->errors, "sink %s", err.msg);
    } else {
        deltalog_parse_commit(buf_str(b), b->len, qid, c);
        if (c->ts_ms < 0)
            c->ts_ms = info.mtime_ms;
    }
    free(path);
    return rc;
}

static void apply_schema(struct delta_state *s, const struct delta_commit *c,
                         struct strvec *warnings)
{
    struct sfields f;
    struct st_err err;
    if (structtype_parse(c->schema, strlen(c->schema), &f, &err) < 0) {
        strvec_pushf(warnings, "sink version %lld: metaData.schemaString: %s",
                     (long long)c->version, err.msg);
        return;
    }
    strvec_done(&s->changes);
    strvec_init(&s->changes);
    if (s->have_fields)
        structtype_diff(&s->fields, &f, &s->changes);
    sfields_done(&s->fields);
    s->fields = f;
    s->have_fields = true;
    s->schema_version = c->version;
    s->schema_ms = c->ts_ms;
}

static char *crc_path(const char *logdir, int64_t v)
{
    char name[32];
    snprintf(name, sizeof name, "%020lld.crc", (long long)v);
    return fs_join(logdir, name);
}

/* Read checksum v into c: 0, or -1 with a warning naming the file. */
static int load_crc(const char *logdir, int64_t v, const char *qid, struct delta_crc *c,
                    struct attempt *a, struct buf *b)
{
    char *path = crc_path(logdir, v);
    struct st_err err;
    /* one byte more than the cap tells a file over it from one that is cut short */
    int rc = fs_read_range(path, 0, CRC_CAP + 1, b, NULL, &err);
    *a->bytes_read += b->len;
    bool over = rc == 0 && b->len > CRC_CAP;
    if (rc == 0 && deltacrc_parse(buf_str(b), over ? CRC_CAP : b->len, qid, c, &err) < 0)
        rc = -1;
    if (rc < 0) {
        strvec_pushf(&a->warnings, "sink %s: %s", path, err.msg);
    } else if (!c->seen_all && over) {
        if (!c->has_metadata || !c->has_txns)
            strvec_pushf(&a->warnings,
                         "sink %s: larger than the %u-byte limit for a checksum, and its %s is "
                         "not within that",
                         path, CRC_CAP, c->has_metadata ? "setTransactions" : "metadata");
    } else if (!c->seen_all) {
        strvec_pushf(&a->warnings, "sink %s: truncated (ends inside its JSON object)", path);
        rc = -1;
    }
    free(path);
    return rc;
}

/* What the table's state says as of one version (a checksum, _last_checkpoint's
 * nonFileActions, a JSON v2 checkpoint, a log compaction), kept for the first pass. */
static void note_protocol(struct delta_state *s, int64_t version, bool has, bool catalog)
{
    if (has && version >= s->protocol_version) {
        s->protocol_version = version;
        s->catalog_managed = catalog;
    }
}

/* Take schema and txn from state as of version v (complete: every txn of the table is in it)
 * when the pass read every commit after v (v >= lowest - 1), or v is newer than any commit
 * (a catalog-managed table's checksum may be). */
static void fill(struct delta_state *s, const struct delta_nonfile *nf, int64_t lowest,
                 const char *qid, bool *txn_known, struct strvec *warnings, const char *what)
{
    if (nf->version < lowest - 1)
        return;
    if (!s->have_fields && nf->schema) {
        struct sfields f;
        struct st_err err;
        if (structtype_parse(nf->schema, strlen(nf->schema), &f, &err) < 0) {
            strvec_pushf(warnings, "sink %s: metadata.schemaString: %s", what, err.msg);
        } else {
            sfields_done(&s->fields);
            s->fields = f;
            s->have_fields = true; /* which commit set it is not known: no schema version */
        }
    }
    if (nf->has_txn && nf->txn_version > s->txn_version)
        s->txn_version = nf->txn_version; /* a query's txn.version only grows */
    if (qid && nf->has_txns)
        *txn_known = true;
}

static void crc_nonfile(const struct delta_crc *c, int64_t v, struct delta_nonfile *nf)
{
    deltafiles_nonfile_init(nf);
    nf->version = v;
    nf->schema = c->schema ? xstrdup(c->schema) : NULL;
    nf->has_txns = c->has_txns;
    nf->has_txn = c->has_txn;
    nf->txn_version = c->txn_version;
    nf->has_protocol = c->has_protocol;
    nf->catalog_managed = c->catalog_managed;
}

/* The newest version checksum that can be read (PROTOCOL.md "Version Checksum File":
 * metadata and protocol always; setTransactions optional, and Delta-Spark leaves it out past
 * spark.databricks.delta.maxSetTransactionsInCRC = 100 entries), trying CRC_TRIES of them,
 * into nf; its version, or -1. */
static int64_t newest_crc(struct delta_state *s, const char *logdir, const struct versions *vs,
                          const char *qid, struct delta_nonfile *nf, struct attempt *a,
                          struct buf *b)
{
    deltafiles_nonfile_init(nf);
    for (size_t i = vs->ncrc, tries = 0; i-- > 0 && tries < CRC_TRIES; tries++) {
        struct delta_crc c;
        deltacrc_init(&c);
        int rc = load_crc(logdir, vs->crc[i], qid, &c, a, b);
        if (rc == 0 && c.has_metadata) {
            crc_nonfile(&c, vs->crc[i], nf);
            note_protocol(s, vs->crc[i], c.has_protocol, c.catalog_managed);
            deltacrc_done(&c);
            return vs->crc[i];
        }
        deltacrc_done(&c);
    }
    return -1;
}

/* Read a JSON file of table-level actions (a v2 checkpoint, a log compaction) into nf. */
static int load_actions(const char *logdir, const char *name, const char *qid,
                        struct delta_nonfile *nf, struct attempt *a, struct buf *b)
{
    char *path = fs_join(logdir, name);
    struct st_err err;
    int rc = fs_read(path, COMMIT_CAP, b, NULL, &err);
    *a->bytes_read += b->len;
    if (rc == 0)
        deltafiles_parse_actions(buf_str(b), b->len, qid, nf);
    else if (err.code != ST_ENOENT) /* gone: cleaned up meanwhile, as a commit may be */
        strvec_pushf(&a->warnings, "sink %s", err.msg);
    free(path);
    return rc;
}

/* The first pass still lacks the metaData or the query's txn after the commits it read (oldest
 * `lowest`): take them from the newest checksum (read before the commits), _last_checkpoint's
 * nonFileActions, the newest JSON v2 checkpoint, then log compactions reaching back from
 * `lowest` (each gives versions x..y: PROTOCOL.md "Log Compaction Files"). Warn when none
 * does. */
static void from_state(struct delta_state *s, const char *logdir, const struct versions *vs,
                       int64_t lowest, const struct delta_nonfile *crc,
                       const struct delta_last_checkpoint *lc, const char *qid, bool warn,
                       struct attempt *a, struct buf *b)
{
    bool txn_known = s->txn_version >= 0;
    fill(s, crc, lowest, qid, &txn_known, &a->warnings, "checksum");
    if (lc->has_nonfile)
        fill(s, &lc->nf, lowest, qid, &txn_known, &a->warnings, "_last_checkpoint");
    bool want = !s->have_fields || (qid && !txn_known);
    if (want && vs->json_ckpt >= lowest - 1) {
        struct delta_nonfile nf;
        deltafiles_nonfile_init(&nf);
        if (load_actions(logdir, vs->json_ckpt_name, qid, &nf, a, b) == 0) {
            nf.version = vs->json_ckpt;
            nf.has_txns = true; /* a checkpoint holds the table's every txn */
            note_protocol(s, nf.version, nf.has_protocol, nf.catalog_managed);
            fill(s, &nf, lowest, qid, &txn_known, &a->warnings, vs->json_ckpt_name);
        }
        deltafiles_nonfile_done(&nf);
    }
    for (bool more = true; more && (!s->have_fields || (qid && !txn_known));) {
        more = false;
        for (size_t i = 0; i + 1 < vs->ncomp; i += 2) {
            int64_t x = vs->comp[i], y = vs->comp[i + 1];
            if (x >= lowest || y < lowest - 1)
                continue;
            char name[64];
            snprintf(name, sizeof name, "%020lld.%020lld.compacted.json", (long long)x,
                     (long long)y);
            struct delta_nonfile nf;
            deltafiles_nonfile_init(&nf);
            if (load_actions(logdir, name, qid, &nf, a, b) == 0) {
                nf.version = y;
                if (nf.has_txn)
                    txn_known = true; /* a txn of x..y: the newest, as y >= lowest - 1 */
                fill(s, &nf, lowest, qid, &txn_known, &a->warnings, name);
                lowest = x; /* versions x..y are now accounted for */
                more = true;
            }
            deltafiles_nonfile_done(&nf);
            break;
        }
    }
    const char *why =
        vs->v[0] > 0 ? "the log was cleaned past its checkpoint" : "older commits were not read";
    if (!warn) /* every commit was read: nothing is missing */
        return;
    if (!s->have_fields)
        strvec_pushf(&a->warnings,
                     "sink %s: the table's schema is unknown: %s (oldest commit %lld) and no "
                     "version checksum (<version>.crc) has its metadata, nor _last_checkpoint, a "
                     "JSON checkpoint or a log compaction",
                     logdir, why, (long long)vs->v[0]);
    if (qid && s->txn_version < 0 && !txn_known)
        strvec_pushf(&a->warnings,
                     "sink %s: sink_lag_batches unmeasurable: no commit read has a txn of query "
                     "%s, %s (oldest commit %lld), and no version checksum (<version>.crc) has "
                     "setTransactions (Delta leaves them out past 100), nor _last_checkpoint, a "
                     "JSON checkpoint or a log compaction",
                     logdir, qid, why, (long long)vs->v[0]);
}

/* A commit of the query: its STREAMING UPDATE, or a write that carries its txn, which is how
 * foreachBatch writes a Delta table idempotently (the txnAppId / txnVersion writer options:
 * commitInfo says WRITE or MERGE, and a txn action has the app id) [doc] delta-io/delta
 * docs "Idempotent table writes in foreachBatch"; seen in the Delta 4.4.0 fixture
 * (tests/fixtures/live/spark-4.3.0/delta: seven WRITE commits with a txn each). Either is
 * the time the query last wrote the sink. */
static bool query_commit(const struct delta_commit *c)
{
    return c->streaming_mine || c->has_txn;
}

static void apply(struct delta_state *s, const struct delta_commit *c, struct strvec *warnings)
{
    if (c->streaming_mine) {
        s->stream_ms = c->ts_ms;
        s->epoch = c->epoch;
        s->rows = c->rows;
        s->added_files = c->added;
    } else if (query_commit(c)) {
        s->stream_ms = c->ts_ms;
    }
    if (c->has_txn)
        s->txn_version = c->txn_version;
    if (c->schema)
        apply_schema(s, c, warnings);
    note_protocol(s, c->version, c->has_protocol, c->catalog_managed);
}

int deltalog_parse_last_checkpoint(const char *text, size_t len, int64_t *version,
                                   struct st_err *err)
{
    struct delta_last_checkpoint lc;
    if (deltafiles_parse_last_checkpoint(text, len, NULL, &lc, err) < 0)
        return -1;
    *version = lc.version;
    deltafiles_last_checkpoint_done(&lc);
    return 0;
}

/* _last_checkpoint into lc: 0, or -1 (lc->version -1; a warning, or a->vanished). */
static int last_checkpoint(const char *logdir, const char *qid, struct delta_last_checkpoint *lc,
                           struct attempt *a, struct buf *b)
{
    char *path = fs_join(logdir, "_last_checkpoint");
    struct st_err err;
    int rc = fs_read(path, 1024 * 1024, b, NULL, &err);
    memset(lc, 0, sizeof *lc);
    lc->version = -1;
    deltafiles_nonfile_init(&lc->nf);
    if (rc == 0) {
        *a->bytes_read += b->len;
        rc = deltafiles_parse_last_checkpoint(buf_str(b), b->len, qid, lc, &err);
        if (rc < 0)
            strvec_pushf(&a->warnings, "%s: %s", path, err.msg);
    } else if (err.code == ST_ENOENT) {
        a->vanished = true; /* listed a moment ago */
    } else {
        strvec_pushf(&a->warnings, "%s", err.msg);
    }
    free(path);
    return rc;
}

/* One listing of the log and the reads it calls for, into a. Returns -1 when the log cannot be
 * listed or holds no commit (said in a), else 0; a->vanished or *gap tell that the log
 * changed under the pass (a commit listed was gone when read, or the listing skips versions). */
static int delta_once(const struct cfg_stream *cfg, struct delta_state *s, const char *logdir,
                      const char *qid, const struct snap_stream *out, struct attempt *a, bool *gap,
                      struct buf *b)
{
    struct versions vs = {.json_ckpt = -1};
    struct st_err err;
    *gap = false;
    if (a->have_dir) { /* the pass's own stat of the folder, taken before this listing */
        a->have_dir = false;
    } else {
        a->listed_ms = 0;
        if (a->durable && fs_stat(logdir, &a->dir, &err) == 0 && a->dir.is_dir)
            a->listed_ms = clock_real_ms(); /* the folder's stat comes before its listing */
    }
    if (fs_list(logdir, FS_NOSTAT, on_name, &vs, &err) < 0) {
        /* a query in its first batch has not created its sink yet (20-30 s seen live) */
        if (err.code == ST_ENOENT && collector_before_first_commit(cfg, out))
            strvec_pushf(&a->warnings, "sink %s (the query has not committed a batch yet)",
                         err.msg);
        else
            strvec_pushf(&a->errors, "sink %s", err.msg);
        versions_done(&vs);
        return -1;
    }
    if (vs.n == 0) {
        /* seen live too: _delta_log/ is made a moment before its first commit file */
        if (collector_before_first_commit(cfg, out))
            strvec_pushf(&a->warnings,
                         "sink %s: no commit files yet (the query has not committed a batch yet)",
                         logdir);
        else
            strvec_pushf(&a->errors, "sink %s: no commit files; not a Delta table?", logdir);
        versions_done(&vs);
        return -1;
    }
    qsort(vs.v, vs.n, sizeof *vs.v, cmp_i64);
    if (vs.ncrc)
        qsort(vs.crc, vs.ncrc, sizeof *vs.crc, cmp_i64);
    int64_t newest = vs.v[vs.n - 1];
    /* a cursor's state is a cold read's only over the same commits: a log cleaned since (even
     * without a checkpoint) is read afresh */
    if (newest < s->seen || (s->check_oldest && vs.v[0] != s->oldest))
        delta_reset(s); /* (newest < seen: the table was recreated) start over */
    s->check_oldest = false;
    if (s->oldest != vs.v[0])
        s->dirty = true;
    s->oldest = vs.v[0];
    s->newest = newest;
    s->newest_crc = vs.ncrc ? vs.crc[vs.ncrc - 1] : -1;
    int64_t start = s->seen + 1;
    bool first = s->seen < 0;
    struct delta_last_checkpoint lc = {.version = -1};
    struct delta_nonfile crc;
    deltafiles_nonfile_init(&lc.nf);
    deltafiles_nonfile_init(&crc);
    int64_t crc_v = -1;
    if (first) {
        /* The table's state as of a recent version, before any commit: the newest checksum
         * and _last_checkpoint (with a v2 checkpoint's nonFileActions). Only the commits after
         * it are replayed, so a first pass over a long log stays cheap. */
        if (vs.has_last_checkpoint)
            last_checkpoint(logdir, qid, &lc, a, b);
        note_protocol(s, lc.version, lc.nf.has_protocol, lc.nf.catalog_managed);
        crc_v = newest_crc(s, logdir, &vs, qid, &crc, a, b);
        int64_t base = lc.version > crc_v ? lc.version : crc_v;
        start = base >= 0 ? base + 1 : vs.v[0];
        if (newest - start >= FIRST_WINDOW)
            start = newest - FIRST_WINDOW + 1;
        if (start > newest)
            start = newest + 1;
    }
    /* the versions from start to newest must all be there */
    size_t i0 = 0;
    while (i0 < vs.n && vs.v[i0] < start)
        i0++;
    for (size_t i = i0; i < vs.n; i++) {
        int64_t want = i == i0 ? start : vs.v[i - 1] + 1;
        if (vs.v[i] != want) {
            *gap = true;
            strvec_pushf(&a->errors,
                         "sink %s: version %lld is missing (the log jumps from %lld to %lld)",
                         logdir, (long long)want, (long long)(want - 1), (long long)vs.v[i]);
            break;
        }
    }
    int64_t lowest = i0 < vs.n ? vs.v[i0] : newest + 1; /* oldest commit read */
    if (first) {
        /* The newest commits of the query (its last STREAMING UPDATE), and the commit that set
         * the schema, may predate the window: look back a little for them (a commit gone
         * meanwhile was cleaned up by the table's log retention: the look stops there). A
         * checksum at the window's edge already has the txn. */
        struct delta_commit c;
        bool schema = false, stream = false;
        bool txn = !qid || (crc_v >= start - 1 && crc.has_txns) ||
                   (lc.has_nonfile && lc.version >= start - 1);
        for (size_t k = i0; k-- > 0 && i0 - k <= BACK_SCAN && !(schema && txn && stream);) {
            if (load(logdir, vs.v[k], qid, &c, a, b) < 0)
                break;
            lowest = vs.v[k];
            if (!schema && c.schema) {
                apply_schema(s, &c, &a->warnings);
                schema = true;
            }
            if (!txn && c.has_txn) {
                s->txn_version = c.txn_version;
                txn = true;
            }
            if (!stream && query_commit(&c)) {
                s->stream_ms = c.ts_ms;
                if (c.streaming_mine) {
                    s->epoch = c.epoch;
                    s->rows = c.rows;
                    s->added_files = c.added;
                }
                stream = true;
            }
            note_protocol(s, c.version, c.has_protocol, c.catalog_managed);
            deltalog_commit_done(&c);
        }
    }
    bool back_vanished = a->vanished;
    a->vanished = false;
    for (size_t i = i0; i < vs.n; i++) {
        struct delta_commit c;
        if (load(logdir, vs.v[i], qid, &c, a, b) < 0)
            break;
        apply(s, &c, &a->warnings);
        deltalog_commit_done(&c);
        s->seen = vs.v[i];
    }
    if (a->vanished)
        strvec_pushf(&a->errors, "sink %s (listed, then gone when read, twice in a row)",
                     a->gone.msg);
    a->vanished = a->vanished || back_vanished;
    if (s->seen < newest && a->errors.n == 0)
        s->seen = newest;
    if (first && (lowest > 0 || crc_v >= 0 || lc.has_nonfile))
        from_state(s, logdir, &vs, lowest, &crc, &lc, qid, lowest > 0, a, b);
    deltafiles_last_checkpoint_done(&lc);
    deltafiles_nonfile_done(&crc);
    versions_done(&vs);
    return 0;
}

static int staged_name(const struct fs_entry *e, void *ctx)
{
    int64_t *max = ctx, v, y;
    if (deltafiles_classify(e->name, &v, &y) == DF_STAGED && v > *max)
        *max = v;
    return 0;
}

/* A catalog-managed table (PROTOCOL.md "Catalog-managed tables"): the catalog is the source of
 * truth, and its newest ratified commits may be only in the catalog or in
 * _delta_log/_staged_commits/<v>.<uuid>.json (whose contents readers must not interpret), so
 * the newest version on storage is a lower bound. Said on the stream every pass. */
static void catalog_note(const char *role, const char *logdir, int64_t newest, int64_t crc,
                         const char *bounds, struct strvec *warnings)
{
    char *staged = fs_join(logdir, "_staged_commits");
    int64_t staged_max = -1;
    struct st_err err;
    if (fs_list(staged, FS_NOSTAT, staged_name, &staged_max, &err) < 0 && err.code != ST_ENOENT)
        strvec_pushf(warnings, "%s %s", role, err.msg);
    int64_t known = crc > newest ? crc : newest; /* a checksum may precede publishing */
    char extra[160] = "";
    if (staged_max > known)
        snprintf(extra, sizeof extra,
                 "; _staged_commits/ holds proposed versions up to %lld (only the catalog knows "
                 "which are ratified)",
                 (long long)staged_max);
    strvec_pushf(warnings,
                 "%s %s: catalog-managed table (table feature catalogManaged): the catalog holds "
                 "its newest commits, so version %lld, the newest on storage, is a lower bound%s; "
                 "%s",
                 role, logdir, (long long)known, extra, bounds);
    free(staged);
}

/* Size and mtime of commit s->seen and of _last_checkpoint (-1 when absent), as the cursor
 * keeps them: a new process continues from the cursor only while they are the same. */
static void note_ident(struct delta_state *s, const char *logdir)
{
    char *path = commit_path(logdir, s->seen);
    struct fs_entry e;
    struct st_err err;
    s->ident_v = s->ident_size = s->ident_mtime = -1;
    if (fs_stat(path, &e, &err) == 0) {
        s->ident_v = s->seen;
        s->ident_size = e.size;
        s->ident_mtime = e.mtime_ms;
    }
    free(path);
    path = fs_join(logdir, "_last_checkpoint");
    s->lc_size = s->lc_mtime = -1;
    if (fs_stat(path, &e, &err) == 0) {
        s->lc_size = e.size;
        s->lc_mtime = e.mtime_ms;
    }
    free(path);
    s->dirty = true;
}

/* Whether the log still holds the commit a cursor was saved after, as it was, and the same
 * _last_checkpoint. A table replaced under the same path has another commit there (or none);
 * a checkpoint written since, or a log cleaned with it, sends the pass back to a first read,
 * so its figures are the ones a cold process gets from the same log. */
static bool ident_same(const struct delta_state *s, const char *logdir)
{
    if (s->ident_v < 0 || s->ident_v != s->seen)
        return false;
    char *path = commit_path(logdir, s->ident_v);
    struct fs_entry e;
    struct st_err err;
    bool same = fs_stat(path, &e, &err) == 0 && !e.is_dir && e.size == s->ident_size &&
                e.mtime_ms == s->ident_mtime;
    free(path);
    if (!same)
        return false;
    path = fs_join(logdir, "_last_checkpoint");
    if (fs_stat(path, &e, &err) == 0)
        same = e.size == s->lc_size && e.mtime_ms == s->lc_mtime;
    else
        same = err.code == ST_ENOENT && s->lc_size < 0;
    free(path);
    return same;
}

/* New commits were read after a first read's warnings: those naming a file read then are not
 * repeated (a first read now would read newer ones); those saying the schema or the query's txn
 * is unknown stand while it still is, as a first read over this log would give them (same
 * oldest commit: another one reads the log afresh). */
static void keep_sticky(struct delta_state *s, struct snap_stream *out)
{
    struct strvec kept;
    strvec_init(&kept);
    for (size_t i = 0; i < s->sticky.n; i++) {
        const char *w = s->sticky.v[i];
        if ((!s->have_fields && strstr(w, ": the table's schema is unknown: ")) ||
            (s->txn_version < 0 && strstr(w, ": sink_lag_batches unmeasurable: "))) {
            strvec_push(&kept, w);
            strvec_push(&out->warnings, w);
        }
    }
    strvec_done(&s->sticky);
    s->sticky = kept;
}

static void delta_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                          int64_t now_ms)
{
    struct delta_state *s = state;
    char *logdir = fs_join(cfg->sink, "_delta_log");
    struct buf b;
    buf_init(&b);
    struct attempt a = {.bytes_read = &out->bytes_read};
    int rc;
    uint64_t h = hash64(logdir, strlen(logdir));
    const char *qid = out->query_id ? out->query_id : "";
    uint64_t qh = hash64(qid, strlen(qid));
    if (s->path_hash != h || (s->seen >= 0 && s->qid_hash != qh)) {
        /* a cursor of another table path, or read for another query (its txn and STREAMING
         * UPDATEs were matched with that query's id): not these figures */
        if (s->path_hash || s->seen >= 0)
            delta_reset(s);
        s->path_hash = h;
    }
    s->qid_hash = qh;
    /* Commit files, checksums and checkpoints are written once and never changed: a folder
     * whose mtime is the one of the listing the state reflects holds no new file, and the pass
     * lists nothing (files of the sink's folders share its file system). _delta_log is stat'ed
     * first: its file system is then asked without a statfs when another folder on its device
     * was asked in this pass, and the paths below it (ident_same's) are checked without
     * another lstat of it. */
    struct fs_entry dir = {.mtime_ms = -1};
    struct st_err serr;
    bool found = fs_dir_times(logdir) && fs_stat(logdir, &dir, &serr) == 0 && dir.is_dir;
    a.durable = found && fs_dir_times_durable(logdir);
    if (a.durable) { /* the first listing's stat: a second one would only repeat it */
        a.dir = dir;
        a.listed_ms = clock_real_ms();
        a.have_dir = true;
    }
    bool reuse = false;
    if (a.durable && s->seen >= 0 && s->stamp.listed_ms > 0)
        reuse = dirstamp_holds(&s->stamp, &dir, cfg->full_listing_every_ms, clock_real_ms());
    /* A cursor's log is checked for its newest commit and _last_checkpoint, unless the folder
     * still has the mtime of the listing the cursor reflects: then no file was made, removed or
     * renamed in it since (Delta writes each file once, _last_checkpoint by a rename), and a
     * pass over an unchanged sink stats _delta_log alone. A log replaced by another has another
     * folder mtime (one copied in with its times has the other table's). */
    if (s->restored) {
        s->restored = false;
        if (!reuse && !ident_same(s, logdir))
            delta_reset(s); /* read as a first pass, like a cold process */
    }
    int64_t seen0 = s->seen;
    struct dirstamp stamp0 = s->stamp;
    strvec_init(&a.errors);
    strvec_init(&a.warnings);
    rc = 0;
    /* The table's writer adds commits and checkpoints and cleans old commits while the pass
     * reads: when it changed under this try, try once more. Only the last try reports. */
    for (int attempt = 0; !reuse; attempt++) {
        if (attempt > 0) {
            strvec_done(&a.errors);
            strvec_done(&a.warnings);
            strvec_init(&a.errors);
            strvec_init(&a.warnings);
        }
        a.vanished = false;
        bool first = s->seen < 0, gap = false;
        rc = delta_once(cfg, s, logdir, out->query_id, out, &a, &gap, &b);
        if (rc < 0 || attempt > 0 || !(a.vanished || gap))
            break;
        if (first) { /* what the first try gathered came from a log that moved: start again */
            delta_reset(s);
        } else { /* warnings of commits applied stand; they are not read again */
            for (size_t i = 0; i < a.warnings.n; i++)
                strvec_push(&out->warnings, a.warnings.v[i]);
        }
    }
    /* a listing is kept when the state has all it showed (every commit read, nothing failed)
     * and it can be reused: not racy (one that is would be saved, never used, every pass) */
    if (!reuse && rc == 0 && a.listed_ms > 0 && a.errors.n == 0 && !a.vanished &&
        s->seen == s->newest && a.dir.mtime_ms < a.listed_ms - DIRSTAMP_RACY_MS)
        dirstamp_set(&s->stamp, &a.dir, a.listed_ms);
    else if (!reuse)
        s->stamp = (struct dirstamp){0};
    if (s->stamp.mtime_ms != stamp0.mtime_ms || s->stamp.listed_ms != stamp0.listed_ms)
        s->dirty = true;
    for (size_t i = 0; i < a.warnings.n; i++)
        strvec_push(&out->warnings, a.warnings.v[i]);
    for (size_t i = 0; i < a.errors.n; i++)
        strvec_push(&out->errors, a.errors.v[i]);
    if (rc == 0 && seen0 < 0) { /* a first read: its warnings stand while the log does */
        strvec_copy(&s->sticky, &a.warnings);
    } else if (rc == 0 && s->seen == seen0) {
        for (size_t i = 0; i < s->sticky.n; i++)
            strvec_push(&out->warnings, s->sticky.v[i]);
    } else if (rc == 0) {
        keep_sticky(s, out);
    }
    strvec_done(&a.errors);
    strvec_done(&a.warnings);
    if (rc < 0)
        goto done;
    if (s->seen != seen0 || s->seen != s->ident_v)
        note_ident(s, logdir);
    if (s->catalog_managed)
        catalog_note("sink", logdir, s->newest, s->newest_crc,
                     "sink_lag_batches is an upper bound and the sink commit age is as of that "
                     "version",
                     &out->warnings);
    double *m = out->metrics;
    if (s->txn_version >= 0 && !isnan(m[M_LAST_BATCH_ID])) {
        m[M_SINK_LAG_BATCHES] = fmax(0, m[M_LAST_BATCH_ID] - (double)s->txn_version);
        out->origin[M_SINK_LAG_BATCHES] = ORIGIN_STORAGE;
    }
    if (s->stream_ms >= 0) {
        m[M_SINK_COMMIT_AGE_SECONDS] = fmax(0, (double)(now_ms - s->stream_ms) / 1000);
        out->origin[M_SINK_COMMIT_AGE_SECONDS] = ORIGIN_STORAGE;
    }
    if (s->schema_version >= 0) {
        out->sink_schema.version = s->schema_version;
        out->sink_schema.appeared_ms = s->schema_ms;
        strvec_copy(&out->sink_schema.changes, &s->changes);
        if (out->origin[M_SCHEMA_VERSION] == ORIGIN_NONE) { /* no schema location set */
            m[M_SCHEMA_VERSION] = (double)s->schema_version;
            m[M_SCHEMA_AGE_SECONDS] = fmax(0, (double)(now_ms - s->schema_ms) / 1000);
            out->origin[M_SCHEMA_VERSION] = out->origin[M_SCHEMA_AGE_SECONDS] = ORIGIN_STORAGE;
        }
    }
    if (s->have_fields)
        structtype_lines(&s->fields, &out->sink_schema.fields);
done:
    buf_done(&b);
    free(logdir);
}

/* ---- Delta as a source --------------------------------------------------------------- */

/* The Delta source collector: a stream whose checkpoint reads a Delta table (offsets hold
 * reservoirVersion) and whose `source` names that table. Lag = newest table version -
 * reservoirVersion (FORMATS.md: versions committed after the one the query is reading). */
struct dsrc_state {
    char *checked_id;     /* reservoirId whose table id was compared, or NULL */
    int64_t crc_read;     /* newest checksum read for the table's protocol, -1 (0 calloc'd) */
    bool catalog_managed; /* its protocol names catalogManaged */
};

static void *dsrc_state_new(void)
{
    struct dsrc_state *s = xcalloc(1, sizeof *s);
    s->crc_read = -1;
    return s;
}

/* The source table's protocol, from its newest checksum (read once per new checksum): whether
 * it is catalog-managed. A checksum that cannot be read leaves what was known. */
static void source_protocol(struct dsrc_state *s, const char *logdir, int64_t v,
                            struct snap_stream *out)
{
    char *path = crc_path(logdir, v);
    struct buf b;
    buf_init(&b);
    struct st_err err;
    struct delta_crc c;
    deltacrc_init(&c);
    if (fs_read_range(path, 0, CRC_CAP, &b, NULL, &err) == 0) {
        out->bytes_read += b.len;
        if (deltacrc_parse(buf_str(&b), b.len, NULL, &c, &err) == 0 && c.has_protocol) {
            s->catalog_managed = c.catalog_managed;
            s->crc_read = v;
        }
    }
    deltacrc_done(&c);
    buf_done(&b);
    free(path);
}

static void dsrc_state_free(void *state)
{
    struct dsrc_state *s = state;
    if (s)
        free(s->checked_id);
    free(s);
}

static bool dsrc_wants(const struct cfg_stream *cfg)
{
    return cfg->source != NULL && cfg->checkpoint != NULL;
}

/* Compare the table's metaData.id (from its oldest JSON commit) with the checkpoint's
 * reservoirId once; a mismatch means `source` names another table. */
static void check_table_id(struct dsrc_state *s, const char *logdir, int64_t oldest,
                           const char *reservoir_id, struct snap_stream *out)
{
    if (s->checked_id && strcmp(s->checked_id, reservoir_id) == 0)
        return;
    free(s->checked_id);
    s->checked_id = xstrdup(reservoir_id);
    char *path = commit_path(logdir, oldest);
    struct buf b;
    buf_init(&b);
    struct st_err err;
    if (fs_read(path, COMMIT_CAP, &b, NULL, &err) == 0) {
        out->bytes_read += b.len;
        const char *p = buf_str(&b), *end = p + b.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            cJSON *o = cJSON_ParseWithLength(p, n);
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(o, "metaData"), "id");
            if (cJSON_IsString(id) && strcmp(id->valuestring, reservoir_id) != 0)
                strvec_pushf(&out->warnings,
                             "source %s: the table's id is %s but the checkpoint reads table %s; "
                             "does `source` name the table the query reads?",
                             logdir, id->valuestring, reservoir_id);
            cJSON_Delete(o);
            p += n + 1;
        }
    } else if (err.code == ST_ENOENT) {
        /* cleaned up by the table's log retention since the listing: compare next pass */
        free(s->checked_id);
        s->checked_id = NULL;
    }
    buf_done(&b);
    free(path);
}

double deltalog_source_backlog(int64_t newest, const char *offset, double reservoir_version)
{
    if (isnan(reservoir_version))
        return NAN;
    double unread = (double)newest - reservoir_version;
    cJSON *o = offset ? cJSON_Parse(offset) : NULL;
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(o, "index");
    /* no index (an older or foreign shape): count as before, versions after R only */
    if (cJSON_IsNumber(index) && index->valuedouble < 0)
        unread += 1;
    cJSON_Delete(o);
    return fmax(0, unread);
}

static void dsrc_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                         int64_t now_ms)
{
    (void)now_ms;
    const struct snap_source *src = NULL;
    for (size_t i = 0; i < out->nsources && !src; i++)
        if (out->sources[i].kind == SRC_DELTA && !isnan(out->sources[i].position))
            src = &out->sources[i];
    if (!src)
        return;
    char *logdir = fs_join(cfg->source, "_delta_log");
    struct versions vs = {.json_ckpt = -1};
    struct st_err err;
    struct dsrc_state *s = state;
    if (fs_list(logdir, FS_NOSTAT, on_name, &vs, &err) < 0) {
        strvec_pushf(&out->errors, "source %s", err.msg);
    } else if (vs.n == 0) {
        strvec_pushf(&out->errors, "source %s: no commit files; not a Delta table?", logdir);
    } else {
        qsort(vs.v, vs.n, sizeof *vs.v, cmp_i64);
        if (vs.ncrc)
            qsort(vs.crc, vs.ncrc, sizeof *vs.crc, cmp_i64);
        int64_t newest = vs.v[vs.n - 1];
        int64_t crc = vs.ncrc ? vs.crc[vs.ncrc - 1] : -1;
        if (crc > s->crc_read)
            source_protocol(s, logdir, crc, out);
        if (s->catalog_managed && crc > newest)
            newest = crc; /* checksum of a ratified version not yet published */
        out->metrics[M_BACKLOG_VERSIONS] =
            deltalog_source_backlog(newest, src->end_offset, src->position);
        out->origin[M_BACKLOG_VERSIONS] = ORIGIN_STORAGE;
        cJSON *o = src->end_offset ? cJSON_Parse(src->end_offset) : NULL;
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(o, "reservoirId");
        if (cJSON_IsString(rid))
            check_table_id(state, logdir, vs.v[0], rid->valuestring, out);
        cJSON_Delete(o);
        if (s->catalog_managed)
            catalog_note("source", logdir, vs.v[vs.n - 1], crc, "backlog_versions is a lower bound",
                         &out->warnings);
    }
    versions_done(&vs);
    free(logdir);
}

const struct collector_ops deltasource_collector = {
    .name = "deltasource",
    .wants = dsrc_wants,
    .state_new = dsrc_state_new,
    .state_free = dsrc_state_free,
    .collect = dsrc_collect,
};

/* The cursor: what the passes computed from the sink's log, so a new process (cron) whose log
 * still ends with the same commit (same size and mtime) and has the same _last_checkpoint
 * reads nothing, and one with new commits reads only those; while _delta_log's mtime is the
 * one of the listing kept (dirstamp) it neither lists the folder nor stats those two files.
 * Layout (host byte order, like the other cursors): magic, path hash, query id hash, 17 int64
 * (seen, txn, stream time, epoch, schema version and time, newest commit and checksum,
 * protocol version, the commit's version, size and mtime, _last_checkpoint's size, the oldest
 * commit listed, _last_checkpoint's mtime, the folder's mtime and real time of the listing),
 * rows and added files (double), a flags byte (1 fields known, 2 catalog-managed), then the
 * fields (count; per field path, type and nullable), the schema changes and the first read's
 * warnings (count; strings), each string as a uint32 length and its bytes. */
#define DELTA_CURSOR_MAGIC "DLC2"
#define DELTA_CURSOR_CAP   (4u * 1024 * 1024)
#define DELTA_STR_CAP      (64u * 1024)

static size_t delta_cursor_size(void *state)
{
    struct delta_state *s = state;
    if (!s->dirty || s->seen < 0 || s->ident_v != s->seen)
        return 0;
    struct buf *b = &s->save;
    buf_reset(b);
    buf_append(b, DELTA_CURSOR_MAGIC, 4);
    buf_append(b, &s->path_hash, 8);
    buf_append(b, &s->qid_hash, 8);
    int64_t v[14] = {s->seen,    s->txn_version,    s->stream_ms,
                     s->epoch,   s->schema_version, s->schema_ms,
                     s->newest,  s->newest_crc,     s->protocol_version,
                     s->ident_v, s->ident_size,     s->ident_mtime,
                     s->lc_size, s->oldest};
    buf_append(b, v, sizeof v);
    int64_t w[3] = {s->lc_mtime, s->stamp.mtime_ms, s->stamp.listed_ms}; /* the 15th to 17th */
    buf_append(b, w, sizeof w);
    double d[2] = {s->rows, s->added_files};
    buf_append(b, d, sizeof d);
    unsigned char flags = (unsigned char)((s->have_fields ? 1 : 0) | (s->catalog_managed ? 2 : 0));
    buf_append(b, &flags, 1);
    sfields_put(b, &s->fields);
    buf_put_names(b, &s->changes);
    buf_put_names(b, &s->sticky);
    if (b->len > DELTA_CURSOR_CAP) { /* not kept: the next process reads the log */
        buf_reset(b);
        return 0;
    }
    return b->len;
}

static void delta_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct delta_state *s = state;
    cursor_fill_from(&s->save, &s->dirty, off, dst, len);
}

/* The state a cursor holds into s, or -1 when its bytes do not read as one (s untouched). */
static int delta_cursor_parse(void *state, const unsigned char *p, size_t n)
{
    struct delta_state *s = state;
    if (n < 4 || memcmp(p, DELTA_CURSOR_MAGIC, 4) != 0)
        return -1;
    struct buf_reader r = {.p = p + 4, .left = n - 4};
    struct delta_state t;
    delta_state_init(&t);
    int64_t v[17];
    double d[2];
    unsigned char flags;
    buf_take_into(&r, &t.path_hash, 8);
    buf_take_into(&r, &t.qid_hash, 8);
    buf_take_into(&r, v, sizeof v);
    buf_take_into(&r, d, sizeof d);
    buf_take_into(&r, &flags, 1);
    /* versions and sizes are never below -1; seen is a commit the log held, as is ident_v */
    for (size_t i = 0; i < 17; i++)
        r.bad = r.bad || v[i] < -1;
    r.bad = r.bad || v[16] < 0; /* a listing's time, 0 for none */
    if (r.bad || flags > 3 || t.path_hash == 0 || v[0] < 0 || v[9] != v[0] || v[6] < v[0] ||
        v[13] < 0 || v[13] > v[0]) {
        delta_state_free_parts(&t);
        return -1;
    }
    sfields_take(&r, &t.fields, DELTA_STR_CAP);
    buf_take_names(&r, &t.changes, DELTA_STR_CAP);
    buf_take_names(&r, &t.sticky, DELTA_STR_CAP);
    if (r.bad || r.left != 0 || (!(flags & 1) && t.fields.n)) {
        delta_state_free_parts(&t);
        return -1;
    }
    t.seen = v[0];
    t.txn_version = v[1];
    t.stream_ms = v[2];
    t.epoch = v[3];
    t.schema_version = v[4];
    t.schema_ms = v[5];
    t.newest = v[6];
    t.newest_crc = v[7];
    t.protocol_version = v[8];
    t.ident_v = v[9];
    t.ident_size = v[10];
    t.ident_mtime = v[11];
    t.lc_size = v[12];
    t.oldest = v[13];
    t.lc_mtime = v[14];
    t.stamp = (struct dirstamp){.mtime_ms = v[15], .listed_ms = v[16]};
    t.rows = d[0];
    t.added_files = d[1];
    t.have_fields = flags & 1;
    t.catalog_managed = (flags & 2) != 0;
    t.restored = t.check_oldest = true;
    buf_done(&t.save);
    buf_done(&t.take);
    t.save = s->save;
    t.take = s->take;
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    strvec_done(&s->sticky);
    *s = t;
    return 0;
}

static int delta_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct delta_state *s = state;
    return cursor_gather(&s->take, src, len, total, DELTA_CURSOR_CAP, delta_cursor_parse, s);
}

const struct collector_ops deltalog_collector = {
    .name = "deltalog",
    .wants = delta_wants,
    .state_new = delta_state_new,
    .state_free = delta_state_free,
    .collect = delta_collect,
    .cursor_size = delta_cursor_size,
    .cursor_fill = delta_cursor_fill,
    .cursor_take = delta_cursor_take,
};
