/* The batch-metrics collector: a stream's `progress` is a JSON-lines file of progress objects,
 * a Spark driver log (or both mixed), or an http(s):// PrometheusServlet URL. Files are tailed:
 * the byte offset is remembered, a changed first block (rotation) or a shorter file
 * (truncation) starts over, an unfinished multi-line block is read again next pass. A file read
 * to its end whose size and mtime have not moved since (and whose read was not racy, nor older
 * than `full_listing_every`) is only stat'ed: nothing was added to it. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "collectors/progressparse.h"
#include "core/clock.h"
#include "core/hashset.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "net/http.h"
#include "net/redact.h"

#define PROGRESS_CHUNK    (1024u * 1024)
#define PROGRESS_TAIL_CAP (8u * 1024 * 1024) /* at most this much of the end is read */
#define FINGERPRINT_BYTES 256
#define MAX_BAD_REPORTED  3

#define ROWS_KEPT 32

struct progress_state {
    int64_t offset;       /* next byte to read */
    uint64_t fingerprint; /* hash of the first fp_len bytes */
    size_t fp_len;
    uint64_t lineno;  /* lines before offset */
    bool lines_known; /* false after jumping to the tail of a large file */
    bool have_last;
    struct progress_info last; /* newest good progress */
    struct {
        int64_t batch_plus1; /* 0: empty */
        double rows;
    } recent[ROWS_KEPT]; /* numInputRows of recent batches (slot batch % ROWS_KEPT) */
    bool idle;
    bool shared;           /* the file holds progress of other queries too (a driver log) */
    struct dirstamp stamp; /* the file's mtime at the last read that succeeded, and its time */
    int64_t stamp_size;    /* its size then */
};

#define PROGRESS_CURSOR_MAGIC "PRG3"

/* The cursor is the state itself (plain data), behind a magic and its size. */
static size_t progress_cursor_size(void *state)
{
    (void)state;
    return 4 + sizeof(uint32_t) + sizeof(struct progress_state);
}

static void progress_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    unsigned char all[4 + sizeof(uint32_t) + sizeof(struct progress_state)];
    uint32_t size = sizeof(struct progress_state);
    memcpy(all, PROGRESS_CURSOR_MAGIC, 4);
    memcpy(all + 4, &size, sizeof size);
    memcpy(all + 4 + sizeof size, state, sizeof(struct progress_state));
    memcpy(dst, all + off, len);
}

static int progress_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    uint32_t size;
    if (total != progress_cursor_size(state) || len != total ||
        memcmp(src, PROGRESS_CURSOR_MAGIC, 4) != 0)
        return -1;
    memcpy(&size, src + 4, sizeof size);
    if (size != sizeof(struct progress_state))
        return -1;
    /* a damaged cursor must not bring what a pass never writes: a bool other than 0 or 1, a
     * string without its end, an offset before the start of the file */
    const unsigned char *body = src + 4 + sizeof size;
    static const size_t bools[] = {
        offsetof(struct progress_state, lines_known), offsetof(struct progress_state, have_last),
        offsetof(struct progress_state, idle), offsetof(struct progress_state, shared)};
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++)
        if (body[bools[i]] > 1)
            return -1;
    struct progress_state v;
    memcpy(&v, body, sizeof v);
    bool ok = v.offset >= 0 && v.fp_len <= FINGERPRINT_BYTES && (unsigned)v.last.kind <= PK_LOG &&
              memchr(v.last.query_id, '\0', sizeof v.last.query_id) != NULL;
    for (size_t i = 0; ok && i < PROGRESS_DESC_SOURCES; i++)
        ok = memchr(v.last.kafka_desc[i], '\0', sizeof v.last.kafka_desc[i]) != NULL;
    if (!ok)
        return -1;
    memcpy(state, &v, sizeof v);
    return 0;
}

static void *progress_state_new(void)
{
    struct progress_state *s = xcalloc(1, sizeof *s);
    progress_info_init(&s->last);
    return s;
}

static void progress_state_free(void *state)
{
    free(state);
}

static bool progress_wants(const struct cfg_stream *cfg)
{
    return cfg->progress != NULL;
}

static bool is_url(const char *p)
{
    return str_prefix(p, "http://") || str_prefix(p, "https://");
}

struct reading {
    struct progress_state *s;
    const char *path;
    int64_t reuse_max_ms; /* full_listing_every: the oldest read an unchanged file is spared */
    const char *qid;      /* the checkpoint's query id, or NULL: take every query's progress */
    struct snap_stream *out;
    struct progress_scanner sc;
    uint64_t bad;
    int64_t block_start; /* byte offset of the unfinished block's first line */
    bool idle;           /* the newest event of this query is an idle line */
    uint64_t others;     /* objects of other queries read in this pass */
    char other_id[64];   /* the last of them */
};

static void take_object(struct reading *p, const char *obj, size_t n, uint64_t line)
{
    struct progress_info pi;
    struct st_err err;
    if (progress_from_json(obj, n, &pi, &err) < 0) {
        if (++p->bad > MAX_BAD_REPORTED)
            return;
        if (line)
            strvec_pushf(&p->out->warnings, "%s:%llu: %s, skipped", p->path,
                         (unsigned long long)line, err.msg);
        else
            strvec_pushf(&p->out->warnings, "%s: %s near the end, skipped", p->path, err.msg);
        return;
    }
    /* a structured log record of something else, a query's start or end: nothing to take */
    if (pi.kind == PK_LOG || pi.kind == PK_STARTED || pi.kind == PK_TERMINATED)
        return;
    /* a driver log holds the progress of every query of the application */
    if (p->qid && *pi.query_id && strcmp(pi.query_id, p->qid) != 0) {
        if (pi.kind == PK_IDLE)
            return; /* another query's idleness says nothing of this one */
        p->others++;
        p->s->shared = true;
        snprintf(p->other_id, sizeof p->other_id, "%s", pi.query_id);
        return;
    }
    if (pi.kind == PK_IDLE) {
        /* QueryIdleEvent: no batch ran since the last progress (ProgressReporter's
         * updateIdleness); an idle record without a query id counts as the idle line does */
        if (*pi.query_id || !p->qid || !p->s->shared)
            p->idle = true;
        return;
    }
    p->s->last = pi;
    p->s->have_last = true;
    p->idle = false;
    if (pi.batch_id >= 0 && !isnan(pi.input_rows)) {
        size_t slot = (size_t)(pi.batch_id % ROWS_KEPT);
        p->s->recent[slot].batch_plus1 = pi.batch_id + 1;
        p->s->recent[slot].rows = pi.input_rows;
    }
}

/* Spark's idle line names no query ("Streaming query has been idle and waiting for new data
 * more than 10000 ms."): it is this query's when the line names its id (a log pattern with
 * the thread, "stream execution thread for NAME [id = ID, ...]"), or when the file has shown
 * no other query's progress. */
static bool idle_is_ours(const struct reading *p, const char *line, size_t n)
{
    if (!p->qid || !*p->qid || !p->s->shared)
        return true;
    size_t m = strlen(p->qid);
    for (const char *c = line; m && c + m <= line + n; c++)
        if (memcmp(c, p->qid, m) == 0)
            return true;
    return false;
}

static int read_file(struct reading *p, struct st_err *err)
{
    struct progress_state *s = p->s;
    struct fs_entry info;
    int64_t stat_ms = clock_real_ms();
    if (fs_stat(p->path, &info, err) < 0)
        return -1;
    /* read to its end, and neither its size nor its mtime moved since: nothing to read (the
     * stamp is taken before the stat, so a write right after that read makes it racy) */
    if (s->offset == info.size && s->stamp_size == info.size &&
        dirstamp_holds(&s->stamp, &info, p->reuse_max_ms, stat_ms))
        return 0;
    s->stamp = (struct dirstamp){0};
    struct buf chunk;
    buf_init(&chunk);
    /* rotation: the first bytes changed; truncation: the file is shorter than our offset */
    size_t fp_len = info.size < FINGERPRINT_BYTES ? (size_t)info.size : FINGERPRINT_BYTES;
    if (fs_read_range(p->path, 0, fp_len, &chunk, NULL, err) < 0) {
        buf_done(&chunk);
        return -1;
    }
    p->out->bytes_read += chunk.len;
    uint64_t fp = hash64(buf_str(&chunk), s->fp_len <= chunk.len ? s->fp_len : chunk.len);
    if (s->offset == 0 || info.size < s->offset ||
        (s->fp_len && (chunk.len < s->fp_len || fp != s->fingerprint))) {
        s->offset = 0;
        s->lineno = 0;
        s->lines_known = true;
    }
    if (s->offset == 0 || s->fp_len < FINGERPRINT_BYTES) {
        s->fp_len = chunk.len;
        s->fingerprint = hash64(buf_str(&chunk), chunk.len);
    }
    int64_t start = s->offset;
    bool skip_partial = false;
    if (info.size - start > (int64_t)PROGRESS_TAIL_CAP) {
        start = info.size - PROGRESS_TAIL_CAP; /* only the newest progress matters */
        skip_partial = true;
        s->lineno = 0;
        s->lines_known = false;
    }
    uint64_t lineno = s->lineno;
    struct buf carry;
    buf_init(&carry);
    int64_t pos = start, line_start = start, consumed = start;
    int rc = 0;
    p->block_start = -1;
    while (pos < info.size) {
        size_t want =
            (size_t)(info.size - pos) < PROGRESS_CHUNK ? (size_t)(info.size - pos) : PROGRESS_CHUNK;
        if (fs_read_range(p->path, pos, want, &chunk, NULL, err) < 0) {
            rc = -1;
            break;
        }
        if (chunk.len == 0)
            break;
        p->out->bytes_read += chunk.len;
        const char *c = buf_str(&chunk), *end = c + chunk.len;
        while (c < end) {
            const char *nl = memchr(c, '\n', (size_t)(end - c));
            if (!nl) {
                if (carry.len + (size_t)(end - c) <= PROGRESS_MAX_OBJECT)
                    buf_append(&carry, c, (size_t)(end - c));
                break;
            }
            size_t n = (size_t)(nl - c);
            const char *line = c;
            if (carry.len) {
                buf_append(&carry, c, n);
                line = carry.data;
                n = carry.len;
            }
            int64_t this_start = line_start;
            line_start = pos + (nl + 1 - buf_str(&chunk));
            if (skip_partial) {
                skip_partial = false;
            } else {
                lineno++;
                bool was_in = p->sc.in_block;
                size_t objlen;
                uint64_t objline;
                const char *obj = progress_scan_line(&p->sc, line, n, lineno, &objlen, &objline);
                if (!was_in && p->sc.in_block)
                    p->block_start = this_start;
                if (obj)
                    take_object(p, obj, objlen, s->lines_known ? objline : 0);
                else if (p->sc.idle_line && idle_is_ours(p, line, n))
                    p->idle = true;
                if (!p->sc.in_block)
                    consumed = line_start;
            }
            buf_reset(&carry);
            c = nl + 1;
        }
        pos += (int64_t)chunk.len;
    }
    /* a last line without its newline: use it if it is a whole object, read it again later */
    if (rc == 0 && carry.len && !p->sc.in_block && !skip_partial) {
        size_t objlen;
        uint64_t objline;
        struct progress_scanner probe;
        progress_scanner_init(&probe);
        const char *obj =
            progress_scan_line(&probe, carry.data, carry.len, lineno + 1, &objlen, &objline);
        struct progress_info pi;
        struct st_err perr;
        /* one the writer is still writing is no error: it is read whole next pass */
        if (obj && progress_from_json(obj, objlen, &pi, &perr) == 0)
            take_object(p, obj, objlen, s->lines_known ? objline : 0);
        progress_scanner_done(&probe);
    }
    if (rc == 0) {
        if (p->sc.in_block && p->block_start >= 0) {
            s->offset = p->block_start; /* read the unfinished block again next pass */
            s->lineno = p->sc.block_line - 1;
        } else {
            s->offset = consumed;
            s->lineno = lineno;
        }
        s->idle = p->idle;
        dirstamp_set(&s->stamp, &info, stat_ms);
        s->stamp_size = info.size;
    }
    if (p->bad > MAX_BAD_REPORTED)
        strvec_pushf(&p->out->warnings, "%s: %llu more malformed progress objects skipped", p->path,
                     (unsigned long long)(p->bad - MAX_BAD_REPORTED));
    buf_done(&carry);
    buf_done(&chunk);
    return rc;
}

static int fetch_url(const struct cfg_stream *cfg, struct progress_state *s,
                     struct snap_stream *out, struct st_err *err)
{
    /* Spark's UI answers /metrics/prometheus with a redirect to /metrics/prometheus/ */
    struct http_request req = {.url = cfg->progress,
                               .timeout_ms = cfg->timeout_ms,
                               .show_path = true,
                               .same_origin_redirects = 3};
    struct http_response resp;
    http_response_init(&resp);
    int rc = http_perform(&req, &resp, err);
    out->bytes_read += resp.body.len;
    if (rc == 0 && resp.status != 200) {
        char shown[512];
        redact_url(cfg->progress, true, shown, sizeof shown);
        rc = st_err_set(err, ST_EIO, "%s: HTTP %ld%s", shown, resp.status,
                        resp.status >= 300 && resp.status < 400
                            ? " (a redirect to another scheme, host or port is not followed)"
                            : "");
    }
    struct progress_info pi;
    if (rc == 0 && progress_from_servlet(resp.body.data, resp.body.len, cfg->name,
                                         out->query_id ? out->query_id : "", &pi, err) == 0) {
        s->last = pi;
        s->have_last = true;
        s->idle = false;
    } else if (rc == 0) {
        char shown[512];
        redact_url(cfg->progress, true, shown, sizeof shown);
        rc = st_err_prefix(err, "%s", shown);
    }
    http_response_done(&resp);
    return rc;
}

static void set_metric(struct snap_stream *out, int m, double v, bool override)
{
    /* a lower bound counted on storage gives way to the query's own figure */
    if (isnan(v) || (!override && out->origin[m] != ORIGIN_NONE &&
                     out->origin[m] != ORIGIN_STORAGE_LOWER_BOUND && !isnan(out->metrics[m])))
        return;
    out->metrics[m] = v;
    out->origin[m] = ORIGIN_PROGRESS;
}

static void apply(const struct progress_state *s, struct snap_stream *out, int64_t now_ms)
{
    const struct progress_info *pi = &s->last;
    double in = s->idle ? 0 : pi->input_rps, done = s->idle ? 0 : pi->processed_rps;
    set_metric(out, M_INPUT_ROWS_PER_SECOND, in, true);
    set_metric(out, M_PROCESSED_ROWS_PER_SECOND, done, true);
    set_metric(out, M_BATCH_DURATION_SECONDS, pi->duration_s, true); /* the exact figure */
    if (!isnan(pi->watermark_ms))
        set_metric(out, M_WATERMARK_LAG_SECONDS,
                   fmax(0, ((double)now_ms - pi->watermark_ms) / 1000), false);
    set_metric(out, M_BACKLOG_RECORDS, pi->backlog_records, false);
    set_metric(out, M_BACKLOG_FILES, pi->backlog_files, false); /* storage wins */
    set_metric(out, M_BACKLOG_BYTES, pi->backlog_bytes, false);
    if (!isnan(pi->backlog_records) && out->origin[M_BACKLOG_AGE_SECONDS] != ORIGIN_STORAGE) {
        double rate = pi->processed_rps;
        double age = pi->backlog_records == 0 ? 0 : rate > 0 ? pi->backlog_records / rate : NAN;
        set_metric(out, M_BACKLOG_AGE_SECONDS, age, false);
    }
    /* what a Kafka source subscribes to (read by the Kafka collector, which runs next) */
    for (size_t i = 0; i < out->nsources; i++) {
        struct snap_source *src = &out->sources[i];
        if (src->index >= 0 && src->index < PROGRESS_DESC_SOURCES &&
            pi->kafka_desc[src->index][0] && !src->description)
            src->description = xstrdup(pi->kafka_desc[src->index]);
    }
    if (out->query_id && *pi->query_id && strcmp(out->query_id, pi->query_id) != 0)
        strvec_pushf(&out->warnings, "progress belongs to query %s, but the checkpoint is query %s",
                     pi->query_id, out->query_id);
}

static void progress_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                             int64_t now_ms)
{
    struct progress_state *s = state;
    struct st_err err;
    int rc;
    if (is_url(cfg->progress)) {
        rc = fetch_url(cfg, s, out, &err);
    } else {
        /* a file gone between its stat and a read (a log rolled over: renamed, then made
         * again) is read once more */
        for (int attempt = 0; attempt < 2; attempt++) {
            struct reading p = {.s = s,
                                .path = cfg->progress,
                                .reuse_max_ms = cfg->full_listing_every_ms,
                                .qid = out->query_id && *out->query_id ? out->query_id : NULL,
                                .out = out,
                                .idle = s->idle};
            progress_scanner_init(&p.sc);
            rc = read_file(&p, &err);
            progress_scanner_done(&p.sc);
            if (rc == 0 && p.others && !s->have_last)
                strvec_pushf(&out->warnings,
                             "progress %s: %llu progress objects, none of query %s (the last is "
                             "query %s)",
                             cfg->progress, (unsigned long long)p.others, p.qid, p.other_id);
            if (rc == 0 || err.code != ST_ENOENT)
                break;
        }
    }
    /* no progress file before the first batch ends: the listener writes it then */
    if (rc < 0 && err.code == ST_ENOENT && collector_before_first_commit(cfg, out) &&
        !is_url(cfg->progress))
        strvec_pushf(&out->warnings, "progress %s (the query has not committed a batch yet)",
                     err.msg);
    else if (rc < 0)
        strvec_pushf(&out->errors, "progress %s", err.msg);
    if (s->have_last)
        apply(s, out, now_ms);
    for (size_t i = 0; i < out->nbatches; i++) {
        int64_t id = out->batches[i].id;
        if (id >= 0 && s->recent[id % ROWS_KEPT].batch_plus1 == id + 1)
            out->batches[i].rows = s->recent[id % ROWS_KEPT].rows;
    }
}

const struct collector_ops progress_collector = {
    .name = "progress",
    .wants = progress_wants,
    .state_new = progress_state_new,
    .state_free = progress_state_free,
    .collect = progress_collect,
    .cursor_size = progress_cursor_size,
    .cursor_fill = progress_cursor_fill,
    .cursor_take = progress_cursor_take,
};
