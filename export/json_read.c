/* The JSON snapshot read back into a struct snapshot: what `export -f json` writes (json.c),
 * as a `streamtop serve` daemon answers it over the network. It is untrusted input: the text
 * has a size cap, every item's type is checked before it is read, numbers are range-checked
 * before they become integers, and an error names the stream and the field. Fields a newer
 * writer adds are ignored; a field that is absent keeps the snapshot's default (not measured).
 * Reading a document and writing it again gives the same document. */
#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"
#include "export/export.h"

/* Where an error is: "streams[3] (orders): sources[0].end_offset". */
struct rd {
    char where[200];
    struct st_err *err;
};

static int bad(struct rd *r, const char *field, const char *what)
{
    return st_err_set(r->err, ST_EFORMAT, "%s%s%s: %s", r->where, *r->where ? ": " : "", field,
                      what);
}

static const cJSON *get(const cJSON *o, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A string or null field: 0 with *out (owned) or NULL; -1 for another type. */
static int opt_str(struct rd *r, const cJSON *o, const char *key, char **out)
{
    const cJSON *v = get(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return bad(r, key, "not a string");
    *out = xstrdup(v->valuestring);
    return 0;
}

/* A number or null field: NaN for null or absent; -1 for another type. */
static int opt_num(struct rd *r, const cJSON *o, const char *key, double *out)
{
    const cJSON *v = get(o, key);
    *out = NAN;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsNumber(v))
        return bad(r, key, "not a number");
    *out = v->valuedouble;
    return 0;
}

/* A whole number field within [lo, hi]; absent or null gives dflt. */
static int opt_i64(struct rd *r, const cJSON *o, const char *key, int64_t lo, int64_t hi,
                   int64_t dflt, int64_t *out)
{
    double d;
    *out = dflt;
    if (opt_num(r, o, key, &d) < 0)
        return -1;
    if (isnan(d))
        return 0;
    int64_t i;
    if (!parse_double_to_i64(d, &i) || (double)i != d || i < lo || i > hi)
        return bad(r, key, "not a whole number in range");
    *out = i;
    return 0;
}

static int opt_int(struct rd *r, const cJSON *o, const char *key, int lo, int hi, int dflt,
                   int *out)
{
    int64_t v;
    if (opt_i64(r, o, key, lo, hi, dflt, &v) < 0)
        return -1;
    *out = (int)v;
    return 0;
}

static int opt_bool(struct rd *r, const cJSON *o, const char *key, bool *out)
{
    const cJSON *v = get(o, key);
    *out = false;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsBool(v))
        return bad(r, key, "not true or false");
    *out = cJSON_IsTrue(v);
    return 0;
}

/* An ISO-8601 time or null: ms, or -1. */
static int opt_time(struct rd *r, const cJSON *o, const char *key, int64_t *out)
{
    char *s;
    *out = -1;
    if (opt_str(r, o, key, &s) < 0)
        return -1;
    if (!s)
        return 0;
    int rc = parse_iso8601_ms(s, out);
    free(s);
    if (rc < 0) {
        *out = -1;
        return bad(r, key, "not an ISO-8601 time");
    }
    return 0;
}

/* An array field (absent or null: none); -1 for another type. */
static int opt_array(struct rd *r, const cJSON *o, const char *key, const cJSON **out)
{
    const cJSON *v = get(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsArray(v))
        return bad(r, key, "not an array");
    if (cJSON_GetArraySize(v) > EXPORT_JSON_READ_ITEMS)
        return st_err_set(r->err, ST_ETOOBIG, "%s%s%s: more than %d items", r->where,
                          *r->where ? ": " : "", key, EXPORT_JSON_READ_ITEMS);
    *out = v;
    return 0;
}

static int opt_object(struct rd *r, const cJSON *o, const char *key, const cJSON **out)
{
    const cJSON *v = get(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v))
        return bad(r, key, "not an object");
    *out = v;
    return 0;
}

static int strings_of(struct rd *r, const cJSON *o, const char *key, struct strvec *sv)
{
    const cJSON *arr, *v;
    if (opt_array(r, o, key, &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsString(v))
            return bad(r, key, "an item is not a string");
        strvec_push(sv, v->valuestring);
    }
    return 0;
}

/* An embedded offset back to the text the snapshot holds: JSON as compact text; a string is
 * the writer's fallback for text that is not JSON, kept as it is unless it would read as JSON
 * (then it is quoted, so writing it again gives the string). */
static int offset_text(struct rd *r, const cJSON *o, const char *key, char **out)
{
    const cJSON *v = get(o, key);
    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return 0;
    if (cJSON_IsString(v)) {
        cJSON *probe = cJSON_Parse(v->valuestring);
        if (!probe) {
            *out = xstrdup(v->valuestring);
            return 0;
        }
        cJSON_Delete(probe);
    }
    char *text = cJSON_PrintUnformatted(v);
    if (!text)
        return bad(r, key, "cannot be printed");
    *out = xstrdup(text);
    cJSON_free(text);
    return 0;
}

static int source_kind_of(const char *s)
{
    for (int k = SRC_NONE; k <= SRC_OTHER; k++)
        if (strcmp(source_kind_name((enum source_kind)k), s) == 0)
            return k;
    return -1;
}

static int origin_of(const char *s)
{
    for (int k = ORIGIN_NONE; k <= ORIGIN_BROKER; k++)
        if (strcmp(metric_origin_name((enum metric_origin)k), s) == 0)
            return k;
    return -1;
}

static int health_of(const char *s)
{
    for (int h = 0; h < HEALTH__N; h++)
        if (strcmp(health_name((enum health)h), s) == 0)
            return h;
    return -1;
}

static const char *layout_of(const char *s)
{
    static const char *const layouts[] = {"badRecordsPath", "firehose", "partitioned",
                                          "dated",          "flat",     "missing"};
    for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
        if (strcmp(layouts[i], s) == 0)
            return layouts[i];
    return NULL;
}

static int read_metrics(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *metrics, *reasons, *origins, *v;
    if (opt_object(r, so, "metrics", &metrics) < 0 ||
        opt_object(r, so, "null_reasons", &reasons) < 0 ||
        opt_object(r, so, "origins", &origins) < 0)
        return -1;
    cJSON_ArrayForEach(v, metrics)
    {
        int m = metric_find(v->string);
        if (m < 0)
            continue; /* a metric of a newer writer */
        if (cJSON_IsNumber(v))
            st->metrics[m] = v->valuedouble;
        else if (!cJSON_IsNull(v))
            return bad(r, "metrics", "a value is neither a number nor null");
    }
    cJSON_ArrayForEach(v, reasons)
    {
        int m = metric_find(v->string);
        if (m < 0 || !isnan(st->metrics[m]))
            continue;
        if (!cJSON_IsString(v))
            return bad(r, "null_reasons", "a reason is not a string");
        if (strcmp(v->valuestring, "infinite") == 0)
            st->metrics[m] = INFINITY;
        else if (strcmp(v->valuestring, "negative_infinite") == 0)
            st->metrics[m] = -INFINITY;
    }
    cJSON_ArrayForEach(v, origins)
    {
        int m = metric_find(v->string);
        if (m < 0)
            continue;
        int o = cJSON_IsString(v) ? origin_of(v->valuestring) : -1;
        if (o < 0)
            return bad(r, "origins", "an origin is not one streamtop knows");
        st->origin[m] = (enum metric_origin)o;
    }
    return 0;
}

static int read_trigger(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *t;
    if (opt_object(r, so, "trigger", &t) < 0)
        return -1;
    if (!t)
        return 0;
    char *mode, *from;
    double secs;
    if (opt_str(r, t, "mode", &mode) < 0 || opt_num(r, t, "seconds", &secs) < 0)
        return -1;
    if (opt_str(r, t, "from", &from) < 0) {
        free(mode);
        return -1;
    }
    bool rt = mode && strcmp(mode, "realtime") == 0;
    if (!isnan(secs) && (secs <= 0 || secs > 1e12)) {
        free(mode);
        free(from);
        return bad(r, "trigger.seconds", "out of range");
    }
    if (rt) {
        if (isnan(secs)) {
            free(mode);
            free(from);
            return bad(r, "trigger.seconds", "missing for mode realtime");
        }
        st->realtime_ms = secs * 1000;
        st->realtime_configured = !from || strcmp(from, "batches") != 0;
    } else if (!isnan(secs)) {
        st->trigger_ms = (int64_t)llround(secs * 1000);
    }
    free(mode);
    free(from);
    return 0;
}

static int read_paths(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *p;
    if (opt_object(r, so, "paths", &p) < 0)
        return -1;
    if (!p)
        return 0;
    if (opt_str(r, p, "checkpoint", &st->checkpoint) < 0 ||
        opt_str(r, p, "source", &st->source) < 0 || opt_str(r, p, "schema", &st->schema_path) < 0 ||
        opt_str(r, p, "sink", &st->sink) < 0 || opt_str(r, p, "progress", &st->progress) < 0)
        return -1;
    return strings_of(r, p, "deadletter", &st->deadletter_paths);
}

static int read_sources(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *arr, *v;
    if (opt_array(r, so, "sources", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsObject(v))
            return bad(r, "sources", "an item is not an object");
        int index;
        if (opt_int(r, v, "index", 0, 1 << 20, 0, &index) < 0)
            return -1;
        struct snap_source *src = snap_stream_add_source(st, index);
        char *kind;
        if (opt_str(r, v, "id", &src->id) < 0 || opt_str(r, v, "provider", &src->provider) < 0 ||
            opt_str(r, v, "kind", &kind) < 0)
            return -1;
        int k = kind ? source_kind_of(kind) : SRC_NONE;
        free(kind);
        if (k < 0)
            return bad(r, "sources.kind", "not a source kind streamtop knows");
        src->kind = (enum source_kind)k;
        if (offset_text(r, v, "end_offset", &src->end_offset) < 0 ||
            offset_text(r, v, "initial_offset", &src->initial_offset) < 0 ||
            offset_text(r, v, "committed_offset", &src->committed_offset) < 0 ||
            opt_str(r, v, "description", &src->description) < 0)
            return -1;
    }
    return 0;
}

/* Put a batch in its place by id (oldest first); one already there is replaced. */
static void put_batch(struct snap_stream *st, const struct snap_batch *b)
{
    size_t i = st->nbatches;
    while (i > 0 && st->batches[i - 1].id > b->id)
        i--;
    if (i > 0 && st->batches[i - 1].id == b->id) {
        st->batches[i - 1] = *b;
        return;
    }
    st->batches = xrealloc(st->batches, (st->nbatches + 1) * sizeof *st->batches);
    memmove(&st->batches[i + 1], &st->batches[i], (st->nbatches - i) * sizeof *st->batches);
    st->batches[i] = *b;
    st->nbatches++;
}

static int read_checkpoint(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *c, *arr, *v;
    if (opt_object(r, so, "checkpoint", &c) < 0)
        return -1;
    if (!c)
        return 0;
    if (opt_int(r, c, "offset_log_version", 0, 1 << 20, 0, &st->ckpt.offset_log) < 0 ||
        opt_int(r, c, "commit_log_version", 0, 1 << 20, 0, &st->ckpt.commit_log) < 0 ||
        opt_int(r, c, "state_format_version", 0, 1 << 20, 0, &st->ckpt.state_format) < 0 ||
        opt_int(r, c, "shuffle_partitions", 0, 1 << 30, -1, &st->ckpt.shuffle_partitions) < 0 ||
        opt_str(r, c, "unrestartable", &st->ckpt.unrestartable) < 0 ||
        opt_array(r, c, "control_batches", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsObject(v))
            return bad(r, "checkpoint.control_batches", "an item is not an object");
        struct snap_batch b = {.start_ms = -1, .commit_ms = -1, .rows = NAN};
        char *kind;
        if (opt_i64(r, v, "id", 0, INT64_MAX / 2, 0, &b.id) < 0 || opt_str(r, v, "kind", &kind) < 0)
            return -1;
        b.kind = kind && strcmp(kind, "repartition") == 0 ? BATCH_REPARTITION : BATCH_CONTROL;
        free(kind);
        put_batch(st, &b);
    }
    /* the newest batches, merged by id with the control batches above (a control batch among
     * them is in both) */
    if (opt_array(r, c, "recent_batches", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsObject(v))
            return bad(r, "checkpoint.recent_batches", "an item is not an object");
        struct snap_batch b = {.rows = NAN};
        char *kind;
        if (opt_i64(r, v, "id", 0, INT64_MAX / 2, 0, &b.id) < 0 ||
            opt_time(r, v, "started_at", &b.start_ms) < 0 ||
            opt_time(r, v, "committed_at", &b.commit_ms) < 0 ||
            opt_num(r, v, "input_rows", &b.rows) < 0 || opt_str(r, v, "kind", &kind) < 0)
            return -1;
        b.kind = !kind || strcmp(kind, "data") == 0 ? BATCH_DATA
                 : strcmp(kind, "repartition") == 0 ? BATCH_REPARTITION
                                                    : BATCH_CONTROL;
        free(kind);
        put_batch(st, &b);
    }
    if (opt_array(r, c, "operators", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsObject(v))
            return bad(r, "checkpoint.operators", "an item is not an object");
        st->operators = xrealloc(st->operators, (st->noperators + 1) * sizeof *st->operators);
        struct snap_operator *op = &st->operators[st->noperators++];
        *op = (struct snap_operator){.partitions = -1, .schema_ms = -1, .meta_batch = -1};
        double files, bytes;
        if (opt_i64(r, v, "id", 0, INT64_MAX / 2, 0, &op->id) < 0 ||
            opt_str(r, v, "name", &op->name) < 0 ||
            opt_int(r, v, "partitions", 0, 1 << 30, -1, &op->partitions) < 0 ||
            opt_i64(r, v, "state_version", 0, INT64_MAX / 2, -1, &op->state_version) < 0 ||
            opt_num(r, v, "state_files", &files) < 0 || opt_num(r, v, "state_bytes", &bytes) < 0 ||
            opt_int(r, v, "schema_files", 0, 1 << 30, 0, &op->nschemas) < 0 ||
            opt_i64(r, v, "schema_changed_batch", 0, INT64_MAX / 2, -1, &op->schema_batch) < 0)
            return -1;
        op->files = isnan(files) ? 0 : files;
        op->bytes = isnan(bytes) ? 0 : bytes;
    }
    return 0;
}

static int read_kafka(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *k, *arr, *v;
    if (opt_object(r, so, "kafka", &k) < 0)
        return -1;
    if (!k)
        return 0;
    if (opt_str(r, k, "bootstrap", &st->kafka.bootstrap) < 0 ||
        opt_num(r, k, "planned_lag", &st->kafka.planned_lag) < 0 ||
        opt_array(r, k, "partitions", &arr) < 0)
        return -1;
    if (!st->kafka.bootstrap)
        st->kafka.bootstrap = xstrdup("");
    cJSON_ArrayForEach(v, arr)
    {
        const cJSON *topic = get(v, "topic");
        if (!cJSON_IsObject(v) || !cJSON_IsString(topic))
            return bad(r, "kafka.partitions", "an item is not an object with a topic");
        int part;
        if (opt_int(r, v, "partition", 0, INT32_MAX, 0, &part) < 0)
            return -1;
        struct snap_kpart *kp = snap_stream_add_kpart(st, topic->valuestring, part);
        if (opt_int(r, v, "source", 0, 1 << 20, 0, &kp->source) < 0 ||
            opt_num(r, v, "position", &kp->position) < 0 ||
            opt_num(r, v, "planned", &kp->planned) < 0 ||
            opt_num(r, v, "log_start", &kp->log_start) < 0 || opt_num(r, v, "end", &kp->end) < 0 ||
            opt_num(r, v, "lag", &kp->lag) < 0 ||
            opt_num(r, v, "planned_lag", &kp->planned_lag) < 0 ||
            opt_num(r, v, "lost", &kp->lost) < 0 ||
            opt_time(r, v, "oldest_at", &kp->oldest_ms) < 0 ||
            opt_bool(r, v, "new", &kp->is_new) < 0 || opt_str(r, v, "error", &kp->error) < 0)
            return -1;
    }
    return 0;
}

static int read_schema1(struct rd *r, const cJSON *o, struct snap_schema *sc)
{
    if (!o)
        return 0;
    if (opt_i64(r, o, "version", 0, INT64_MAX / 2, -1, &sc->version) < 0 ||
        opt_time(r, o, "changed_at", &sc->appeared_ms) < 0 ||
        opt_time(r, o, "first_seen_at", &sc->first_seen_ms) < 0 ||
        strings_of(r, o, "changes", &sc->changes) < 0 ||
        strings_of(r, o, "fields", &sc->fields) < 0)
        return -1;
    return 0;
}

static int read_schema(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *s, *loc, *sink;
    if (opt_object(r, so, "schema", &s) < 0)
        return -1;
    if (!s)
        return 0;
    if (opt_object(r, s, "location", &loc) < 0 || opt_object(r, s, "sink", &sink) < 0)
        return -1;
    if (!loc && !sink) /* a writer without both histories: the main one is the location's */
        return read_schema1(r, s, &st->schema);
    return read_schema1(r, loc, &st->schema) < 0 || read_schema1(r, sink, &st->sink_schema) < 0 ? -1
                                                                                                : 0;
}

static int read_deadletters(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *arr, *v;
    if (opt_array(r, so, "deadletter", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        const cJSON *prefix = get(v, "prefix"), *sample;
        if (!cJSON_IsObject(v) || !cJSON_IsString(prefix))
            return bad(r, "deadletter", "an item is not an object with a prefix");
        struct snap_deadletter *d = snap_stream_add_deadletter(st, prefix->valuestring);
        char *layout;
        if (opt_str(r, v, "layout", &layout) < 0)
            return -1;
        d->layout = layout ? layout_of(layout) : "flat";
        free(layout);
        if (!d->layout) {
            d->layout = "flat";
            return bad(r, "deadletter.layout", "not a layout streamtop knows");
        }
        if (opt_num(r, v, "files", &d->files) < 0 || opt_num(r, v, "bytes", &d->bytes) < 0 ||
            opt_time(r, v, "newest_at", &d->newest_ms) < 0 ||
            opt_str(r, v, "error", &d->error) < 0 || opt_object(r, v, "sample", &sample) < 0)
            return -1;
        if (isnan(d->files))
            d->files = 0;
        if (isnan(d->bytes))
            d->bytes = 0;
        if (sample && (opt_str(r, sample, "file", &d->sample_file) < 0 ||
                       opt_str(r, sample, "line", &d->sample_line) < 0 ||
                       opt_str(r, sample, "path", &d->sample_path) < 0 ||
                       opt_str(r, sample, "reason", &d->sample_reason) < 0 ||
                       opt_str(r, sample, "record", &d->sample_record) < 0))
            return -1;
    }
    return 0;
}

static int read_jobs(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *arr, *v;
    if (opt_array(r, so, "jobs", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsObject(v))
            return bad(r, "jobs", "an item is not an object");
        char *role, *result, *message;
        if (opt_str(r, v, "role", &role) < 0)
            return -1;
        struct snap_job *j = role && strcmp(role, "feeder") == 0 ? &st->feeder : &st->job;
        free(role);
        double interval;
        if (opt_i64(r, v, "job_id", 1, INT64_MAX / 2, 0, &j->id) < 0 ||
            opt_bool(r, v, "running", &j->running) < 0 ||
            opt_bool(r, v, "continuous", &j->continuous) < 0 ||
            opt_num(r, v, "interval_seconds", &interval) < 0 ||
            opt_i64(r, v, "last_run_id", 0, INT64_MAX / 2, 0, &j->last_run_id) < 0 ||
            opt_time(r, v, "last_end_at", &j->last_end_ms) < 0)
            return -1;
        if (j->id <= 0)
            return bad(r, "jobs.job_id", "missing");
        if (!isnan(interval)) {
            if (interval < 0 || interval > 1e12)
                return bad(r, "jobs.interval_seconds", "out of range");
            j->interval_ms = (int64_t)llround(interval * 1000);
        }
        if (opt_str(r, v, "last_result", &result) < 0)
            return -1;
        if (opt_str(r, v, "last_message", &message) < 0) {
            free(result);
            return -1;
        }
        snprintf(j->last_result, sizeof j->last_result, "%s", result ? result : "");
        snprintf(j->last_message, sizeof j->last_message, "%s", message ? message : "");
        free(result);
        free(message);
    }
    return 0;
}

static int read_alerts(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *arr, *v;
    if (opt_array(r, so, "alerts", &arr) < 0)
        return -1;
    cJSON_ArrayForEach(v, arr)
    {
        const cJSON *rule = get(v, "rule"), *level = get(v, "level");
        int h = cJSON_IsString(level) ? health_of(level->valuestring) : -1;
        if (!cJSON_IsObject(v) || !cJSON_IsString(rule) || h < 0)
            return bad(r, "alerts", "an item is not an object with a rule and a level");
        char *state, *threshold, *reason;
        bool silenced;
        int64_t since;
        double value;
        if (opt_bool(r, v, "silenced", &silenced) < 0 || opt_time(r, v, "since", &since) < 0 ||
            opt_num(r, v, "value", &value) < 0 || opt_str(r, v, "state", &state) < 0)
            return -1;
        bool firing = !state || strcmp(state, "pending") != 0;
        free(state);
        if (opt_str(r, v, "value_null_reason", &reason) < 0)
            return -1;
        if (isnan(value) && reason && strcmp(reason, "infinite") == 0)
            value = INFINITY;
        else if (isnan(value) && reason && strcmp(reason, "negative_infinite") == 0)
            value = -INFINITY;
        free(reason);
        if (opt_str(r, v, "threshold", &threshold) < 0)
            return -1;
        snap_stream_add_alert(st, rule->valuestring, threshold, (enum health)h, firing, silenced,
                              since < 0 ? 0 : since, value);
        free(threshold);
    }
    return 0;
}

static int read_labels(struct rd *r, const cJSON *so, struct snap_stream *st)
{
    const cJSON *labels, *v;
    if (opt_object(r, so, "labels", &labels) < 0)
        return -1;
    cJSON_ArrayForEach(v, labels)
    {
        if (!cJSON_IsString(v))
            return bad(r, "labels", "a value is not a string");
        snap_stream_add_label(st, v->string, v->valuestring);
    }
    return 0;
}

static int read_stream(struct rd *r, const cJSON *so, struct snapshot *snap)
{
    const cJSON *collect;
    char *status;
    const cJSON *name = get(so, "name");
    if (!cJSON_IsString(name) || !*name->valuestring)
        return bad(r, "name", "missing");
    struct snap_stream *st = snapshot_add_stream(snap, name->valuestring);
    char shown[120];
    sanitize_copy(shown, sizeof shown, st->name);
    size_t len = strlen(r->where);
    snprintf(r->where + len, sizeof r->where - len, " (%s)", shown);
    if (opt_str(r, so, "status", &status) < 0)
        return -1;
    int h = status ? health_of(status) : HEALTH_UNKNOWN;
    free(status);
    if (h < 0)
        return bad(r, "status", "not ok, warning, critical or unknown");
    st->status = (enum health)h;
    double bytes_read = NAN;
    if (read_labels(r, so, st) < 0 || opt_str(r, so, "query_id", &st->query_id) < 0 ||
        read_trigger(r, so, st) < 0 || read_paths(r, so, st) < 0 || read_metrics(r, so, st) < 0 ||
        read_sources(r, so, st) < 0 || read_checkpoint(r, so, st) < 0 ||
        read_kafka(r, so, st) < 0 || read_schema(r, so, st) < 0 ||
        read_deadletters(r, so, st) < 0 || read_jobs(r, so, st) < 0 || read_alerts(r, so, st) < 0 ||
        opt_object(r, so, "collect", &collect) < 0 ||
        (collect && opt_num(r, collect, "bytes_read", &bytes_read) < 0) ||
        strings_of(r, so, "errors", &st->errors) < 0 ||
        strings_of(r, so, "warnings", &st->warnings) < 0)
        return -1;
    if (!isnan(bytes_read) && bytes_read >= 0 && bytes_read < 9e18)
        st->bytes_read = (uint64_t)bytes_read;
    /* what came over the network is made as safe as what a pass collects */
    snap_stream_sanitize(st);
    return 0;
}

int export_json_read(const char *text, size_t len, struct snapshot **out, struct st_err *err)
{
    *out = NULL;
    if (len > EXPORT_JSON_READ_MAX)
        return st_err_set(err, ST_ETOOBIG, "snapshot larger than %d MiB",
                          EXPORT_JSON_READ_MAX >> 20);
    if (len == 0)
        return st_err_set(err, ST_EFORMAT, "empty snapshot");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    if (!root) {
        const char *at = cJSON_GetErrorPtr();
        size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
        return st_err_set(err, ST_EFORMAT, "not JSON (near byte %zu)", off);
    }
    struct rd r = {.err = err};
    const cJSON *streams = get(root, "streams"), *v;
    int64_t gen;
    int rc = 0;
    if (!cJSON_IsObject(root) || !cJSON_IsArray(streams)) {
        rc = st_err_set(err, ST_EFORMAT, "not a streamtop snapshot (no \"streams\" list)");
    } else if (opt_time(&r, root, "generated_at", &gen) < 0) {
        rc = -1;
    } else if (gen < 0) {
        rc = bad(&r, "generated_at", "missing");
    } else if (cJSON_GetArraySize(streams) > EXPORT_JSON_READ_STREAMS) {
        rc = st_err_set(err, ST_ETOOBIG, "more than %d streams", EXPORT_JSON_READ_STREAMS);
    }
    if (rc < 0) {
        cJSON_Delete(root);
        return -1;
    }
    struct snapshot *snap = snapshot_new(gen);
    size_t i = 0;
    cJSON_ArrayForEach(v, streams)
    {
        snprintf(r.where, sizeof r.where, "streams[%zu]", i++);
        if (!cJSON_IsObject(v)) {
            rc = bad(&r, "stream", "not an object");
            break;
        }
        if ((rc = read_stream(&r, v, snap)) < 0)
            break;
    }
    cJSON_Delete(root);
    if (rc < 0) {
        snapshot_free(snap);
        return -1;
    }
    *out = snap;
    return 0;
}
