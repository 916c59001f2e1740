/* The dead-letter collector: each of a stream's prefixes listed recursively (Spark's markers
 * and hidden files skipped); files, bytes, the newest file and a sample of it (its first line,
 * at most 4 KiB, read by range, with path/reason/record pulled out when it is JSON). New files
 * are those newer than the newest file the previous pass saw, which the cursor carries across
 * processes (not the pass's own time: the cursor's bytes then change only when a file arrives,
 * so a cron pass over quiet prefixes writes no cursor back, and the store's clock never meets
 * the storage's). On an
 * object store, where the keys sort by time (collectors/keyorder.h: Spark's <ts>/bad_records/,
 * dt=/hr= partitions, Firehose's processing-failed/YYYY/MM/DD/HH/), a pass lists only the open
 * partitions and what sorts after them, as the landing collector does, with the stream's
 * `listing` and `full_listing_every`; the partitions so listed are kept in the cursor. On a local
 * disk the folders are kept in the cursor with their mtimes: a pass stats them and lists only
 * those that changed. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/dlqlist.h"
#include "collectors/fs.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

#define SAMPLE_CAP     4096
#define ARRIVAL_WINDOW (15 * 60 * 1000) /* deadletter_arrivals_per_minute averages over this */

struct dl_state {
    int64_t seen_ms;      /* the newest file's mtime as the previous pass saw it (0 when it saw no
                           * file), -1 before the first pass */
    struct dlq_list list; /* the prefixes as last listed */
    struct buf save;      /* the cursor being saved */
    struct buf take;      /* the cursor being restored */
};

static void *dl_state_new(void)
{
    struct dl_state *s = xcalloc(1, sizeof *s);
    s->seen_ms = -1;
    dlqlist_init(&s->list);
    buf_init(&s->save);
    buf_init(&s->take);
    return s;
}

static void dl_state_free(void *state)
{
    struct dl_state *s = state;
    if (!s)
        return;
    dlqlist_done(&s->list);
    buf_done(&s->save);
    buf_done(&s->take);
    free(s);
}

static bool dl_wants(const struct cfg_stream *cfg)
{
    return cfg->deadletter.n > 0;
}

static char *json_field(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsString(v))
        return sanitize_dup(v->valuestring, strlen(v->valuestring));
    if (v && !cJSON_IsNull(v)) {
        char *text = cJSON_PrintUnformatted(v);
        char *clean = text ? sanitize_dup(text, strlen(text)) : NULL;
        cJSON_free(text);
        return clean;
    }
    return NULL;
}

/* A Firehose failed record: errorCode/errorMessage (processing-failed/) or
 * ErrorCode/ErrorMessage (format conversion), rawData (the record, base64 as written). */
static void firehose_sample(struct snap_deadletter *d, const cJSON *o)
{
    if (!d->sample_reason) {
        char *code = json_field(o, "errorCode"), *msg = json_field(o, "errorMessage");
        if (!code && !msg) {
            code = json_field(o, "ErrorCode");
            msg = json_field(o, "ErrorMessage");
        }
        if (code || msg)
            d->sample_reason =
                xasprintf("%s%s%s", code ? code : "", code && msg ? ": " : "", msg ? msg : "");
        free(code);
        free(msg);
    }
    if (!d->sample_record)
        d->sample_record = json_field(o, "rawData");
}

static void sample(struct snap_deadletter *d, const char *prefix, const char *rel,
                   uint64_t *bytes_read)
{
    char *path = fs_join(prefix, rel);
    struct buf b;
    buf_init(&b);
    struct st_err err;
    if (fs_read_range(path, 0, SAMPLE_CAP, &b, NULL, &err) == 0) {
        *bytes_read += b.len;
        const char *nl = memchr(buf_str(&b), '\n', b.len);
        size_t n = nl ? (size_t)(nl - buf_str(&b)) : b.len;
        d->sample_file = sanitize_dup(path, strlen(path));
        d->sample_line = sanitize_dup(buf_str(&b), n);
        cJSON *o = cJSON_ParseWithLength(buf_str(&b), n);
        if (cJSON_IsObject(o)) {
            d->sample_path = json_field(o, "path");
            d->sample_reason = json_field(o, "reason");
            d->sample_record = json_field(o, "record");
            firehose_sample(d, o);
        }
        cJSON_Delete(o);
    }
    buf_done(&b);
    free(path);
}

static void dl_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                       int64_t now_ms)
{
    struct dl_state *s = state;
    double files = 0, bytes = 0, fresh = 0, recent = 0;
    int64_t newest = -1;
    bool all_ok = true;
    dlqlist_begin(&s->list);
    for (size_t i = 0; i < cfg->deadletter.n; i++) {
        const char *prefix = cfg->deadletter.v[i];
        struct snap_deadletter *d = snap_stream_add_deadletter(out, prefix);
        struct st_err err;
        int lrc = dlqlist_refresh(&s->list, cfg, prefix, now_ms, &out->warnings, &err);
        if (lrc < 0 && err.code == ST_ENOENT) {
            /* Spark's writers make the folder with the first bad record: none yet */
            strvec_pushf(&out->warnings, "deadletter %s (no dead letters yet)", err.msg);
            d->layout = "missing";
            continue;
        }
        if (lrc < 0) {
            d->error = xstrdup(err.msg);
            strvec_pushf(&out->errors, "deadletter %s", err.msg);
            all_ok = false;
            continue;
        }
        struct dlq_sum sum;
        dlqlist_sum(&s->list, prefix, s->seen_ms, now_ms - ARRIVAL_WINDOW, &sum);
        d->files = sum.files;
        d->bytes = sum.bytes;
        d->layout = sum.layout;
        if (sum.newest) {
            d->newest_ms = sum.newest_ms;
            sample(d, prefix, sum.newest, &out->bytes_read);
        }
        files += d->files;
        bytes += d->bytes;
        fresh += sum.fresh;
        recent += sum.recent;
        if (d->newest_ms > newest)
            newest = d->newest_ms;
    }
    dlqlist_end(&s->list);
    if (all_ok) {
        double *m = out->metrics;
        m[M_DEADLETTER_FILES] = files;
        m[M_DEADLETTER_BYTES] = bytes;
        m[M_DEADLETTER_NEW_FILES] = s->seen_ms >= 0 ? fresh : NAN;
        m[M_DEADLETTER_NEWEST_AGE_SECONDS] =
            newest >= 0 ? fmax(0, (double)(now_ms - newest) / 1000) : NAN;
        for (int k = M_DEADLETTER_FILES; k <= M_DEADLETTER_NEWEST_AGE_SECONDS; k++)
            if (!isnan(m[k]))
                out->origin[k] = ORIGIN_STORAGE;
        m[M_DEADLETTER_ARRIVALS_PER_MINUTE] = recent / (ARRIVAL_WINDOW / 60000);
        out->origin[M_DEADLETTER_ARRIVALS_PER_MINUTE] = ORIGIN_STORAGE;
        if (newest > s->seen_ms || s->seen_ms < 0)
            s->seen_ms = newest > 0 ? newest : 0;
    }
}

/* The cursor: magic, the newest file seen, then the prefixes' listings (dlqlist_put). A "DLQ3"
 * cursor holds listings without folder stamps (its local prefixes are listed again); an older
 * cursor's pass time ("DLQ2" with the listings, "DLQ1" alone) serves as the newest seen: both
 * are thresholds for "newer than". */
#define DL_CURSOR_MAGIC "DLQ4"

static size_t dl_cursor_size(void *state)
{
    struct dl_state *s = state;
    buf_done(&s->save); /* built again: cursor_size may be asked more than once */
    buf_init(&s->save);
    buf_append(&s->save, DL_CURSOR_MAGIC, 4);
    buf_put_i64(&s->save, s->seen_ms);
    dlqlist_put(&s->list, &s->save);
    return s->save.len;
}

static void dl_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    struct dl_state *s = state;
    cursor_fill_from(&s->save, NULL, off, dst, len);
}

static int dl_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    struct dl_state *s = state;
    buf_append(&s->take, src, len);
    if (s->take.len < total)
        return 0;
    const unsigned char *p = (const unsigned char *)s->take.data;
    int rc = -1;
    if (s->take.len != total)
        rc = -1;
    else if (s->take.len == 4 + sizeof(int64_t) && memcmp(p, "DLQ1", 4) == 0) {
        memcpy(&s->seen_ms, p + 4, sizeof(int64_t)); /* an older version's */
        rc = 0;
    } else if (s->take.len >= 4 && (memcmp(p, DL_CURSOR_MAGIC, 4) == 0 ||
                                    memcmp(p, "DLQ3", 4) == 0 || memcmp(p, "DLQ2", 4) == 0)) {
        struct buf_reader r = {p + 4, s->take.len - 4, false};
        s->seen_ms = buf_take_i64(&r);
        int version = memcmp(p, DL_CURSOR_MAGIC, 4) == 0 ? 4 : 3;
        rc = dlqlist_take(&s->list, &r, version) == 0 && !r.left ? 0 : -1;
    }
    if (rc < 0) { /* part of a cursor is no cursor */
        dlqlist_done(&s->list);
        s->seen_ms = -1;
    }
    buf_done(&s->take);
    buf_init(&s->take);
    return rc;
}

const struct collector_ops deadletter_collector = {
    .name = "deadletter",
    .wants = dl_wants,
    .state_new = dl_state_new,
    .state_free = dl_state_free,
    .collect = dl_collect,
    .cursor_size = dl_cursor_size,
    .cursor_fill = dl_cursor_fill,
    .cursor_take = dl_cursor_take,
};
