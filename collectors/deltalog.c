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
#include "collectors/fs.h"
#include "collectors/structtype.h"
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
    struct sfields fields;
    struct strvec changes;
};

static void delta_state_init(struct delta_state *s)
{
    memset(s, 0, sizeof *s);
    s->seen = s->txn_version = s->stream_ms = s->epoch = s->schema_version = s->schema_ms = -1;
    s->rows = s->added_files = NAN;
    sfields_init(&s->fields);
    strvec_init(&s->changes);
}

static void *delta_state_new(void)
{
    struct delta_state *s = xmalloc(sizeof *s);
    delta_state_init(s);
    return s;
}

static void delta_state_free(void *state)
{
    struct delta_state *s = state;
    if (!s)
        return;
    sfields_done(&s->fields);
    strvec_done(&s->changes);
    free(s);
}

static bool delta_wants(const struct cfg_stream *cfg)
{
    return cfg->sink != NULL;
}

struct versions {
    int64_t *v; /* commits */
    size_t n, cap;
    int64_t *crc; /* checksums */
    size_t ncrc, crc_cap;
    bool has_last_checkpoint;
};

static int on_name(const struct fs_entry *e, void *ctx)
{
    struct versions *vs = ctx;
    if (strcmp(e->name, "_last_checkpoint") == 0) {
        vs->has_last_checkpoint = true;
        return 0;
    }
    size_t n = strlen(e->name);
    bool json = n == 25 && strcmp(e->name + 20, ".json") == 0;
    bool crc = n == 24 && strcmp(e->name + 20, ".crc") == 0;
    if (!json && !crc)
        return 0;
    char num[21];
    memcpy(num, e->name, 20);
    num[20] = '\0';
    int64_t v;
    if (!parse_batch_name(num + 2, &v) || num[0] != '0' || num[1] != '0')
        return 0;
    if (json) {
        xgrow((void **)&vs->v, &vs->cap, vs->n + 1, sizeof *vs->v);
        vs->v[vs->n++] = v;
    } else {
        xgrow((void **)&vs->crc, &vs->crc_cap, vs->ncrc + 1, sizeof *vs->crc);
        vs->crc[vs->ncrc++] = v;
    }
    return 0;
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
                       str_prefix(line, "{\"metaData\""))) {
            cJSON *o = cJSON_ParseWithLength(line, n);
            const cJSON *ci = cJSON_GetObjectItemCaseSensitive(o, "commitInfo");
            const cJSON *txn = cJSON_GetObjectItemCaseSensitive(o, "txn");
            const cJSON *md = cJSON_GetObjectItemCaseSensitive(o, "metaData");
            if (ci) {
                const cJSON *op = cJSON_GetObjectItemCaseSensitive(ci, "operation");
                const cJSON *params = cJSON_GetObjectItemCaseSensitive(ci, "operationParameters");
                const cJSON *qid = cJSON_GetObjectItemCaseSensitive(params, "queryId");
                const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(ci, "operationMetrics");
                int64_t ts;
                if (parse_double_to_i64(num(cJSON_GetObjectItemCaseSensitive(ci, "timestamp")),
                                        &ts))
                    c->ts_ms = ts;
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
        strvec_pushf(&a->warnings,
                     "sink %s: larger than the %u-byte limit for a checksum, and its %s is not "
                     "within that",
                     path, CRC_CAP, c->has_metadata ? "setTransactions" : "metadata");
    } else if (!c->seen_all) {
        strvec_pushf(&a->warnings, "sink %s: truncated (ends inside its JSON object)", path);
        rc = -1;
    }
    free(path);
    return rc;
}

/* The first pass found no metaData (or no txn of the query) in the commits it read, oldest
 * `lowest`: take them from the newest checksum at or below `newest` whose later commits were
 * all read (an older one could miss a metaData or txn of an unread commit), trying older ones
 * when one cannot be read. Warn when neither gives them. */
static void from_checksum(struct delta_state *s, const char *logdir, const struct versions *vs,
                          int64_t lowest, int64_t newest, const char *qid, struct attempt *a,
                          struct buf *b)
{
    bool want_schema = !s->have_fields, want_txn = qid && s->txn_version < 0;
    bool txn_known = false;
    int tries = 0;
    for (size_t i = vs->ncrc; i-- > 0 && tries < CRC_TRIES && (want_schema || want_txn);) {
        int64_t v = vs->crc[i];
        if (v > newest)
            continue;
        if (v < lowest - 1)
            break;
        tries++;
        struct delta_crc c;
        deltacrc_init(&c);
        if (load_crc(logdir, v, qid, &c, a, b) == 0) {
            if (want_schema && c.has_metadata) {
                struct sfields f;
                struct st_err err;
                if (structtype_parse(c.schema, strlen(c.schema), &f, &err) < 0) {
                    strvec_pushf(&a->warnings, "sink checksum %lld: metadata.schemaString: %s",
                                 (long long)v, err.msg);
                } else {
                    sfields_done(&s->fields);
                    s->fields = f;
                    s->have_fields = true;
                    want_schema = false;
                }
            }
            if (want_txn && c.has_txns) {
                /* Delta's list of every appId's txn: no entry means the query has none */
                if (c.has_txn)
                    s->txn_version = c.txn_version;
                txn_known = true;
                want_txn = false;
            }
            /* a whole checksum without setTransactions: the older ones will not have them
             * either (Delta stopped writing them past 100 entries) */
            if (c.seen_all)
                want_txn = false;
        }
        deltacrc_done(&c);
    }
    const char *why =
        vs->v[0] > 0 ? "the log was cleaned past its checkpoint" : "older commits were not read";
    if (!s->have_fields)
        strvec_pushf(&a->warnings,
                     "sink %s: the table's schema is unknown: %s (oldest commit %lld) and no "
                     "version checksum (<version>.crc) has its metadata",
                     logdir, why, (long long)vs->v[0]);
    if (qid && s->txn_version < 0 && !txn_known)
        strvec_pushf(&a->warnings,
                     "sink %s: sink_lag_batches unmeasurable: no commit read has a txn of query "
                     "%s, %s (oldest commit %lld), and no version checksum (<version>.crc) has "
                     "setTransactions",
                     logdir, qid, why, (long long)vs->v[0]);
}

static void apply(struct delta_state *s, const struct delta_commit *c, struct strvec *warnings)
{
    if (c->streaming_mine) {
        s->stream_ms = c->ts_ms;
        s->epoch = c->epoch;
        s->rows = c->rows;
        s->added_files = c->added;
    }
    if (c->has_txn)
        s->txn_version = c->txn_version;
    if (c->schema)
        apply_schema(s, c, warnings);
}

int deltalog_parse_last_checkpoint(const char *text, size_t len, int64_t *version,
                                   struct st_err *err)
{
    cJSON *o = cJSON_ParseWithLength(text, len);
    double d = num(cJSON_GetObjectItemCaseSensitive(o, "version"));
    cJSON_Delete(o);
    if (isnan(d))
        return st_err_set(err, ST_EFORMAT, "no version in it");
    int64_t v;
    if (!parse_double_to_i64(d, &v) || v < 0 || (double)v != d)
        return st_err_set(err, ST_EFORMAT, "version %g is not a commit number", d);
    *version = v;
    return 0;
}

static int64_t last_checkpoint(const char *logdir, struct attempt *a, struct buf *b)
{
    char *path = fs_join(logdir, "_last_checkpoint");
    struct st_err err;
    int64_t v = -1;
    if (fs_read(path, 1024 * 1024, b, NULL, &err) == 0) {
        *a->bytes_read += b->len;
        if (deltalog_parse_last_checkpoint(buf_str(b), b->len, &v, &err) < 0) {
            strvec_pushf(&a->warnings, "%s: %s", path, err.msg);
            v = -1;
        }
    } else if (err.code == ST_ENOENT) {
        a->vanished = true; /* listed a moment ago */
    } else {
        strvec_pushf(&a->warnings, "%s", err.msg);
    }
    free(path);
    return v;
}

/* One listing of the log and the reads it calls for, into a. Returns -1 when the log cannot be
 * listed or holds no commit (said in a), else 0; a->vanished or *gap tell that the log
 * changed under the pass (a commit listed was gone when read, or the listing skips versions). */
static int delta_once(const struct cfg_stream *cfg, struct delta_state *s, const char *logdir,
                      const char *qid, const struct snap_stream *out, struct attempt *a, bool *gap,
                      struct buf *b)
{
    struct versions vs = {0};
    struct st_err err;
    *gap = false;
    if (fs_list(logdir, FS_NOSTAT, on_name, &vs, &err) < 0) {
        /* a query in its first batch has not created its sink yet (20-30 s seen live) */
        if (err.code == ST_ENOENT && collector_before_first_commit(cfg, out))
            strvec_pushf(&a->warnings, "sink %s (the query has not committed a batch yet)",
                         err.msg);
        else
            strvec_pushf(&a->errors, "sink %s", err.msg);
        free(vs.v);
        free(vs.crc);
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
        free(vs.v);
        free(vs.crc);
        return -1;
    }
    qsort(vs.v, vs.n, sizeof *vs.v, cmp_i64);
    if (vs.ncrc)
        qsort(vs.crc, vs.ncrc, sizeof *vs.crc, cmp_i64);
    int64_t newest = vs.v[vs.n - 1];
    if (newest < s->seen) { /* the table was recreated: start over */
        sfields_done(&s->fields);
        strvec_done(&s->changes);
        delta_state_init(s);
    }
    int64_t start = s->seen + 1;
    bool first = s->seen < 0;
    if (first) {
        int64_t ckpt = vs.has_last_checkpoint ? last_checkpoint(logdir, a, b) : -1;
        start = ckpt >= 0 ? ckpt + 1 : vs.v[0];
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
        /* metaData and txn may predate the window: look back a little for them (a commit
         * gone meanwhile was cleaned up by the table's log retention: the look stops there) */
        struct delta_commit c;
        bool schema = false, txn = false, stream = false;
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
            if (!stream && c.streaming_mine) {
                s->stream_ms = c.ts_ms;
                s->epoch = c.epoch;
                s->rows = c.rows;
                s->added_files = c.added;
                stream = true;
            }
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
    if (first && lowest > 0 && (!s->have_fields || (qid && s->txn_version < 0)))
        from_checksum(s, logdir, &vs, lowest, newest, qid, a, b);
    free(vs.v);
    free(vs.crc);
    return 0;
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
    /* The table's writer adds commits and checkpoints and cleans old commits while the pass
     * reads: when it changed under this try, try once more. Only the last try reports. */
    for (int attempt = 0;; attempt++) {
        strvec_init(&a.errors);
        strvec_init(&a.warnings);
        a.vanished = false;
        bool first = s->seen < 0, gap = false;
        rc = delta_once(cfg, s, logdir, out->query_id, out, &a, &gap, &b);
        if (rc < 0 || attempt > 0 || !(a.vanished || gap))
            break;
        if (first) { /* what the first try gathered came from a log that moved: start again */
            sfields_done(&s->fields);
            strvec_done(&s->changes);
            delta_state_init(s);
        } else { /* warnings of commits applied stand; they are not read again */
            for (size_t i = 0; i < a.warnings.n; i++)
                strvec_push(&out->warnings, a.warnings.v[i]);
        }
        strvec_done(&a.errors);
        strvec_done(&a.warnings);
    }
    for (size_t i = 0; i < a.warnings.n; i++)
        strvec_push(&out->warnings, a.warnings.v[i]);
    for (size_t i = 0; i < a.errors.n; i++)
        strvec_push(&out->errors, a.errors.v[i]);
    strvec_done(&a.errors);
    strvec_done(&a.warnings);
    if (rc < 0)
        goto done;
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
    char *checked_id; /* reservoirId whose table id was compared, or NULL */
};

static void *dsrc_state_new(void)
{
    return xcalloc(1, sizeof(struct dsrc_state));
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
    struct versions vs = {0};
    struct st_err err;
    if (fs_list(logdir, FS_NOSTAT, on_name, &vs, &err) < 0) {
        strvec_pushf(&out->errors, "source %s", err.msg);
    } else if (vs.n == 0) {
        strvec_pushf(&out->errors, "source %s: no commit files; not a Delta table?", logdir);
    } else {
        qsort(vs.v, vs.n, sizeof *vs.v, cmp_i64);
        int64_t newest = vs.v[vs.n - 1];
        out->metrics[M_BACKLOG_VERSIONS] =
            deltalog_source_backlog(newest, src->end_offset, src->position);
        out->origin[M_BACKLOG_VERSIONS] = ORIGIN_STORAGE;
        cJSON *o = src->end_offset ? cJSON_Parse(src->end_offset) : NULL;
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(o, "reservoirId");
        if (cJSON_IsString(rid))
            check_table_id(state, logdir, vs.v[0], rid->valuestring, out);
        cJSON_Delete(o);
    }
    free(vs.v);
    free(vs.crc);
    free(logdir);
}

const struct collector_ops deltasource_collector = {
    .name = "deltasource",
    .wants = dsrc_wants,
    .state_new = dsrc_state_new,
    .state_free = dsrc_state_free,
    .collect = dsrc_collect,
};

const struct collector_ops deltalog_collector = {
    .name = "deltalog",
    .wants = delta_wants,
    .state_new = delta_state_new,
    .state_free = delta_state_free,
    .collect = delta_collect,
};
