/* The dead-letter collector: each of a stream's prefixes listed recursively (Spark's markers
 * and hidden files skipped); files, bytes, the newest file and a sample of it (its first line,
 * at most 4 KiB, read by range, with path/reason/record pulled out when it is JSON). New files
 * are those newer than the previous pass, which the cursor carries across processes. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/fs.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

#define SAMPLE_CAP     4096
#define ARRIVAL_WINDOW (15 * 60 * 1000) /* deadletter_arrivals_per_minute averages over this */

struct dl_state {
    int64_t last_pass_ms; /* generated time of the previous pass, -1 before the first */
};

static void *dl_state_new(void)
{
    struct dl_state *s = xcalloc(1, sizeof *s);
    s->last_pass_ms = -1;
    return s;
}

static void dl_state_free(void *state)
{
    free(state);
}

static bool dl_wants(const struct cfg_stream *cfg)
{
    return cfg->deadletter.n > 0;
}

struct scan {
    struct snap_deadletter *d;
    int64_t since_ms;
    double new_files;
    int64_t recent_after_ms; /* files newer than this arrived within ARRIVAL_WINDOW */
    double recent;
    char *newest; /* (owned) relative name of the newest file */
    bool bad_records_layout, partitioned, dated, firehose;
};

/* Firehose's error prefixes (Amazon Data Firehose writes failed records under
 * <error prefix>/YYYY/MM/DD/HH/): Lambda transformation failures, data format conversion and
 * decompression failures by default, or a custom error prefix commonly named errors/. */
static const char *const firehose_dirs[] = {"processing-failed", "format-conversion-failed",
                                            "decompression-failed", "errors", NULL};

/* Is one '/'-separated component of path, or its last, a Firehose error folder? */
static bool firehose_path(const char *path)
{
    for (const char *c = path; c && *c;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        for (size_t i = 0; firehose_dirs[i]; i++)
            if (n == strlen(firehose_dirs[i]) && strncmp(c, firehose_dirs[i], n) == 0)
                return true;
        c = end ? end + 1 : NULL;
    }
    return false;
}

/* A name of the walk with a hidden component: a marker (_SUCCESS, .crc) or a file below a
 * folder such as _temporary/, where a job writes what it has not committed yet (and which goes
 * again when it commits). */
static bool hidden_path(const char *name)
{
    for (const char *c = name; c; c = strchr(c, '/')) {
        if (*c == '/')
            c++;
        if (fs_hidden(c))
            return true;
    }
    return false;
}

/* Does the name sit in YYYY/MM/DD/HH/ (or YYYY/MM/DD/) folders, Firehose's and many
 * feeders' key layout? */
static bool path_dated(const char *name)
{
    static const size_t widths[] = {4, 2, 2};
    for (const char *c = name; *c;) {
        const char *p = c;
        size_t k = 0;
        for (; k < 3; k++) {
            size_t n = 0;
            while (p[n] >= '0' && p[n] <= '9')
                n++;
            if (n != widths[k] || p[n] != '/')
                break;
            p += n + 1;
        }
        if (k == 3)
            return true;
        const char *slash = strchr(c, '/');
        if (!slash)
            break;
        c = slash + 1;
    }
    return false;
}

static int on_file(const struct fs_entry *e, void *ctx)
{
    struct scan *sc = ctx;
    if (hidden_path(e->name))
        return 0;
    sc->d->files++;
    sc->d->bytes += e->size > 0 ? (double)e->size : 0;
    if (sc->since_ms >= 0 && e->mtime_ms > sc->since_ms)
        sc->new_files++;
    if (e->mtime_ms > sc->recent_after_ms)
        sc->recent++;
    if (e->mtime_ms > sc->d->newest_ms || !sc->newest) {
        sc->d->newest_ms = e->mtime_ms;
        free(sc->newest);
        sc->newest = xstrdup(e->name);
    }
    if (strstr(e->name, "/bad_records/") || strstr(e->name, "/bad_files/") ||
        str_prefix(e->name, "bad_records/") || str_prefix(e->name, "bad_files/"))
        sc->bad_records_layout = true;
    else if (strstr(e->name, "="))
        sc->partitioned = true;
    else if (path_dated(e->name))
        sc->dated = true;
    if (firehose_path(e->name))
        sc->firehose = true;
    return 0;
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
    for (size_t i = 0; i < cfg->deadletter.n; i++) {
        const char *prefix = cfg->deadletter.v[i];
        struct snap_deadletter *d = snap_stream_add_deadletter(out, prefix);
        struct scan sc = {
            .d = d, .since_ms = s->last_pass_ms, .recent_after_ms = now_ms - ARRIVAL_WINDOW};
        struct st_err err;
        int lrc = fs_list(prefix, FS_RECURSIVE, on_file, &sc, &err);
        if (lrc < 0 && err.code == ST_ENOENT && d->files == 0) {
            /* Spark's writers make the folder with the first bad record: none yet */
            strvec_pushf(&out->warnings, "deadletter %s (no dead letters yet)", err.msg);
            d->layout = "missing";
            free(sc.newest);
            continue;
        }
        if (lrc < 0) {
            d->error = xstrdup(err.msg);
            strvec_pushf(&out->errors, "deadletter %s", err.msg);
            free(sc.newest);
            all_ok = false;
            continue;
        }
        d->layout = sc.bad_records_layout                  ? "badRecordsPath"
                    : sc.firehose || firehose_path(prefix) ? "firehose"
                    : sc.partitioned                       ? "partitioned"
                    : sc.dated                             ? "dated"
                                                           : "flat";
        if (sc.newest)
            sample(d, prefix, sc.newest, &out->bytes_read);
        free(sc.newest);
        files += d->files;
        bytes += d->bytes;
        fresh += sc.new_files;
        recent += sc.recent;
        if (d->newest_ms > newest)
            newest = d->newest_ms;
    }
    if (all_ok) {
        double *m = out->metrics;
        m[M_DEADLETTER_FILES] = files;
        m[M_DEADLETTER_BYTES] = bytes;
        m[M_DEADLETTER_NEW_FILES] = s->last_pass_ms >= 0 ? fresh : NAN;
        m[M_DEADLETTER_NEWEST_AGE_SECONDS] =
            newest >= 0 ? fmax(0, (double)(now_ms - newest) / 1000) : NAN;
        for (int k = M_DEADLETTER_FILES; k <= M_DEADLETTER_NEWEST_AGE_SECONDS; k++)
            if (!isnan(m[k]))
                out->origin[k] = ORIGIN_STORAGE;
        m[M_DEADLETTER_ARRIVALS_PER_MINUTE] = recent / (ARRIVAL_WINDOW / 60000);
        out->origin[M_DEADLETTER_ARRIVALS_PER_MINUTE] = ORIGIN_STORAGE;
        s->last_pass_ms = now_ms;
    }
}

static size_t dl_cursor_size(void *state)
{
    (void)state;
    return 4 + sizeof(int64_t);
}

static void dl_cursor_fill(void *state, size_t off, unsigned char *dst, size_t len)
{
    unsigned char all[4 + sizeof(int64_t)];
    memcpy(all, "DLQ1", 4);
    memcpy(all + 4, &((struct dl_state *)state)->last_pass_ms, sizeof(int64_t));
    memcpy(dst, all + off, len);
}

static int dl_cursor_take(void *state, const unsigned char *src, size_t len, size_t total)
{
    if (total != 4 + sizeof(int64_t) || len != total || memcmp(src, "DLQ1", 4) != 0)
        return -1;
    memcpy(&((struct dl_state *)state)->last_pass_ms, src + 4, sizeof(int64_t));
    return 0;
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
