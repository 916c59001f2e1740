/* JSON snapshot, the shape man/streamtop.1 (JSON DOCUMENT) and
 * man/streamtop-export.schema.json document: every number is a JSON number, a value that is not
 * one (not measurable, or infinite) is null with its reason beside it, offsets are embedded as
 * JSON, errors and warnings are lists of strings. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/sanitize.h"
#include "export/export.h"
#include "export/json_internal.h"

/* Why a value is null: NULL for a finite number, "not_measurable" (NaN), "infinite" (+Inf: a
 * backlog that never drains), "negative_infinite". JSON has no number for either. */
static const char *null_reason(double v)
{
    if (isnan(v))
        return "not_measurable";
    if (isinf(v))
        return v > 0 ? "infinite" : "negative_infinite";
    return NULL;
}

static void add_number_or_null(cJSON *obj, const char *key, double v)
{
    if (null_reason(v))
        cJSON_AddNullToObject(obj, key);
    else
        cJSON_AddNumberToObject(obj, key, v);
}

static void add_string_or_null(cJSON *obj, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(obj, key, s);
    else
        cJSON_AddNullToObject(obj, key);
}

/* Escape control characters in every key and string of a parsed tree: JSON escapes such as
 * \u001b in stored offsets decode to raw control bytes (what `jq -r` would print). */
static void sanitize_tree(cJSON *item)
{
    for (; item; item = item->next) {
        if (item->string && !(item->type & cJSON_StringIsConst) &&
            !sanitize_is_clean(item->string)) {
            char *c = sanitize_dup(item->string, strlen(item->string));
            char *k = cJSON_malloc(strlen(c) + 1);
            if (!k)
                abort(); /* out of memory, as xmalloc does */
            memcpy(k, c, strlen(c) + 1);
            free(c);
            cJSON_free(item->string);
            item->string = k;
        }
        if (cJSON_IsString(item) && !sanitize_is_clean(item->valuestring)) {
            char *c = sanitize_dup(item->valuestring, strlen(item->valuestring));
            cJSON_SetValuestring(item, c);
            free(c);
        }
        sanitize_tree(item->child);
    }
}

static void add_json_text(cJSON *obj, const char *key, const char *text)
{
    cJSON *v = text ? cJSON_Parse(text) : NULL;
    if (v)
        sanitize_tree(v);
    if (v)
        cJSON_AddItemToObject(obj, key, v);
    else
        add_string_or_null(obj, key, text);
}

static cJSON *strings(const struct strvec *sv)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < sv->n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(sv->v[i]));
    return arr;
}

static cJSON *schema_json(const struct snap_schema *sc)
{
    if (sc->version < 0 && sc->fields.n == 0)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    char when[40];
    /* the fields without a version: the commit that set them was cleaned from the log */
    if (sc->version >= 0)
        cJSON_AddNumberToObject(o, "version", (double)sc->version);
    else
        cJSON_AddNullToObject(o, "version");
    add_string_or_null(o, "changed_at",
                       sc->version >= 0 && sc->appeared_ms >= 0
                           ? clock_iso8601(sc->appeared_ms, when, sizeof when)
                           : NULL);
    add_string_or_null(o, "first_seen_at",
                       sc->first_seen_ms >= 0 ? clock_iso8601(sc->first_seen_ms, when, sizeof when)
                                              : NULL);
    cJSON_AddItemToObject(o, "changes", strings(&sc->changes));
    cJSON_AddItemToObject(o, "fields", strings(&sc->fields));
    return o;
}

static void add_version(cJSON *o, const char *key, int v)
{
    if (v > 0)
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

/* The checkpoint's formats, its batches that are not data, and its stateful operators. */
static cJSON *checkpoint_json(const struct snap_stream *st)
{
    cJSON *o = cJSON_CreateObject();
    add_version(o, "offset_log_version", st->ckpt.offset_log);
    add_version(o, "commit_log_version", st->ckpt.commit_log);
    add_version(o, "state_format_version", st->ckpt.state_format);
    add_version(o, "shuffle_partitions", st->ckpt.shuffle_partitions);
    add_string_or_null(o, "unrestartable", st->ckpt.unrestartable);
    cJSON *cb = cJSON_AddArrayToObject(o, "control_batches");
    for (size_t i = 0; i < st->nbatches; i++) {
        if (st->batches[i].kind == BATCH_DATA)
            continue;
        cJSON *b = cJSON_CreateObject();
        cJSON_AddNumberToObject(b, "id", (double)st->batches[i].id);
        cJSON_AddStringToObject(b, "kind", batch_kind_name(st->batches[i].kind));
        cJSON_AddItemToArray(cb, b);
    }
    /* the newest ten batches, as the dashboard's detail lists them (a remote one reads them
     * back from here) */
    cJSON *rb = cJSON_AddArrayToObject(o, "recent_batches");
    for (size_t i = st->nbatches > 10 ? st->nbatches - 10 : 0; i < st->nbatches; i++) {
        const struct snap_batch *bt = &st->batches[i];
        cJSON *b = cJSON_CreateObject();
        char when[40];
        cJSON_AddNumberToObject(b, "id", (double)bt->id);
        cJSON_AddStringToObject(b, "kind", batch_kind_name(bt->kind));
        add_string_or_null(b, "started_at",
                           bt->start_ms >= 0 ? clock_iso8601(bt->start_ms, when, sizeof when)
                                             : NULL);
        add_string_or_null(b, "committed_at",
                           bt->commit_ms >= 0 ? clock_iso8601(bt->commit_ms, when, sizeof when)
                                              : NULL);
        add_number_or_null(b, "input_rows", bt->rows);
        cJSON_AddItemToArray(rb, b);
    }
    cJSON *ops = cJSON_AddArrayToObject(o, "operators");
    for (size_t i = 0; i < st->noperators; i++) {
        const struct snap_operator *op = &st->operators[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddNumberToObject(j, "id", (double)op->id);
        add_string_or_null(j, "name", op->name);
        add_version(j, "partitions", op->partitions);
        add_number_or_null(j, "state_version",
                           op->state_version >= 0 ? (double)op->state_version : NAN);
        cJSON_AddNumberToObject(j, "state_files", op->files);
        cJSON_AddNumberToObject(j, "state_bytes", op->bytes);
        cJSON_AddNumberToObject(j, "schema_files", op->nschemas);
        add_number_or_null(j, "schema_changed_batch",
                           op->nschemas > 1 ? (double)op->schema_batch : NAN);
        cJSON_AddItemToArray(ops, j);
    }
    return o;
}

/* What the brokers said, per partition (only for a stream whose Kafka lag was measured). */
static cJSON *kafka_json(const struct snap_stream *st, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bootstrap", st->kafka.bootstrap);
    add_number_or_null(o, "planned_lag", st->kafka.planned_lag);
    cJSON *parts = cJSON_AddArrayToObject(o, "partitions");
    for (size_t i = 0; i < st->kafka.nparts; i++) {
        const struct snap_kpart *kp = &st->kafka.parts[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "topic", kp->topic);
        cJSON_AddNumberToObject(j, "partition", kp->partition);
        cJSON_AddNumberToObject(j, "source", kp->source);
        add_number_or_null(j, "position", kp->position);
        add_number_or_null(j, "planned", kp->planned);
        add_number_or_null(j, "log_start", kp->log_start);
        add_number_or_null(j, "end", kp->end);
        add_number_or_null(j, "lag", kp->lag);
        add_number_or_null(j, "planned_lag", kp->planned_lag);
        add_number_or_null(j, "lost", kp->lost);
        char when[40];
        add_string_or_null(j, "oldest_at",
                           kp->oldest_ms >= 0 ? clock_iso8601(kp->oldest_ms, when, sizeof when)
                                              : NULL);
        add_number_or_null(j, "oldest_age_seconds",
                           kp->oldest_ms >= 0 ? fmax(0, (double)(now_ms - kp->oldest_ms) / 1000)
                                              : NAN);
        cJSON_AddBoolToObject(j, "new", kp->is_new);
        add_string_or_null(j, "error", kp->error);
        cJSON_AddItemToArray(parts, j);
    }
    return o;
}

cJSON *export_alert_json(const struct snap_alert *a)
{
    cJSON *aj = cJSON_CreateObject();
    cJSON_AddStringToObject(aj, "rule", a->rule);
    cJSON_AddStringToObject(aj, "level", health_name(a->level));
    cJSON_AddStringToObject(aj, "state", a->firing ? "firing" : "pending");
    cJSON_AddBoolToObject(aj, "silenced", a->silenced);
    char when[40];
    cJSON_AddStringToObject(aj, "since", clock_iso8601(a->since_ms, when, sizeof when));
    add_number_or_null(aj, "value", a->value);
    add_string_or_null(aj, "value_null_reason", null_reason(a->value));
    cJSON_AddStringToObject(aj, "threshold", a->threshold);
    return aj;
}

cJSON *export_stream_json(const struct snap_stream *st, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", st->name);
    cJSON_AddStringToObject(o, "status", health_name(st->status));
    cJSON *labels = cJSON_AddObjectToObject(o, "labels");
    for (size_t i = 0; i < st->nlabels; i++)
        cJSON_AddStringToObject(labels, st->labels[i].key, st->labels[i].value);
    add_string_or_null(o, "query_id", st->query_id);
    /* the trigger: real-time mode (configured, or recognised from the batches) or micro-batch,
     * with the duration streamtop's rules use */
    cJSON *trig = cJSON_AddObjectToObject(o, "trigger");
    bool rt = st->realtime_ms > 0;
    cJSON_AddStringToObject(trig, "mode", rt ? "realtime" : "microbatch");
    double secs = rt ? st->realtime_ms / 1000 : (double)st->trigger_ms / 1000;
    add_number_or_null(trig, "seconds", secs > 0 ? secs : NAN);
    add_string_or_null(trig, "from",
                       rt && !st->realtime_configured ? "batches"
                       : secs > 0                     ? "config"
                                                      : NULL);
    /* every configured path, null when not configured */
    cJSON *paths = cJSON_AddObjectToObject(o, "paths");
    add_string_or_null(paths, "checkpoint", st->checkpoint);
    add_string_or_null(paths, "source", st->source);
    add_string_or_null(paths, "schema", st->schema_path);
    add_string_or_null(paths, "sink", st->sink);
    add_string_or_null(paths, "progress", st->progress);
    cJSON_AddItemToObject(paths, "deadletter", strings(&st->deadletter_paths));
    cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
    for (int m = 0; m < METRIC_COUNT; m++)
        add_number_or_null(metrics, metric_defs[m].name, st->metrics[m]);
    /* beside each null metric, why it is null */
    cJSON *reasons = cJSON_AddObjectToObject(o, "null_reasons");
    for (int m = 0; m < METRIC_COUNT; m++)
        if (null_reason(st->metrics[m]))
            cJSON_AddStringToObject(reasons, metric_defs[m].name, null_reason(st->metrics[m]));
    cJSON *origins = cJSON_AddObjectToObject(o, "origins");
    for (int m = 0; m < METRIC_COUNT; m++)
        if (!isnan(st->metrics[m]) && st->origin[m] != ORIGIN_NONE)
            cJSON_AddStringToObject(origins, metric_defs[m].name,
                                    metric_origin_name(st->origin[m]));
    cJSON *sources = cJSON_AddArrayToObject(o, "sources");
    for (size_t i = 0; i < st->nsources; i++) {
        const struct snap_source *src = &st->sources[i];
        cJSON *so = cJSON_CreateObject();
        cJSON_AddNumberToObject(so, "index", src->index);
        if (src->id) {
            cJSON_AddStringToObject(so, "id", src->id);
            cJSON_AddStringToObject(so, "name", src->id);
        }
        if (src->provider)
            cJSON_AddStringToObject(so, "provider", src->provider);
        cJSON_AddStringToObject(so, "kind", source_kind_name(src->kind));
        add_json_text(so, "end_offset", src->end_offset);
        if (src->initial_offset)
            add_json_text(so, "initial_offset", src->initial_offset);
        if (src->committed_offset)
            add_json_text(so, "committed_offset", src->committed_offset);
        if (src->description)
            cJSON_AddStringToObject(so, "description", src->description);
        cJSON_AddItemToArray(sources, so);
    }
    if (st->checkpoint)
        cJSON_AddItemToObject(o, "checkpoint", checkpoint_json(st));
    if (st->kafka.bootstrap)
        cJSON_AddItemToObject(o, "kafka", kafka_json(st, now_ms));
    /* "schema" follows the schema location when there is one, else the Delta sink; both
     * histories are under it too */
    const struct snap_schema *main_schema =
        st->schema.version >= 0 ? &st->schema : &st->sink_schema;
    cJSON *schema = schema_json(main_schema);
    if (cJSON_IsObject(schema)) {
        cJSON_AddItemToObject(schema, "location", schema_json(&st->schema));
        cJSON_AddItemToObject(schema, "sink", schema_json(&st->sink_schema));
    }
    cJSON_AddItemToObject(o, "schema", schema);
    cJSON *dls = cJSON_AddArrayToObject(o, "deadletter");
    for (size_t i = 0; i < st->ndeadletters; i++) {
        const struct snap_deadletter *d = &st->deadletters[i];
        cJSON *dj = cJSON_CreateObject();
        cJSON_AddStringToObject(dj, "prefix", d->prefix);
        cJSON_AddStringToObject(dj, "layout", d->layout);
        cJSON_AddNumberToObject(dj, "files", d->files);
        cJSON_AddNumberToObject(dj, "bytes", d->bytes);
        char when[40];
        add_string_or_null(dj, "newest_at",
                           d->newest_ms >= 0 ? clock_iso8601(d->newest_ms, when, sizeof when)
                                             : NULL);
        if (d->sample_line) {
            cJSON *sj = cJSON_AddObjectToObject(dj, "sample");
            cJSON_AddStringToObject(sj, "file", d->sample_file);
            cJSON_AddStringToObject(sj, "line", d->sample_line);
            add_string_or_null(sj, "path", d->sample_path);
            add_string_or_null(sj, "reason", d->sample_reason);
            add_string_or_null(sj, "record", d->sample_record);
        }
        if (d->error)
            cJSON_AddStringToObject(dj, "error", d->error);
        cJSON_AddItemToArray(dls, dj);
    }
    /* the Databricks jobs of the stream, when configured and read this pass */
    const struct snap_job *jobs[2] = {&st->job, &st->feeder};
    if (st->job.id > 0 || st->feeder.id > 0) {
        cJSON *ja = cJSON_AddArrayToObject(o, "jobs");
        for (int i = 0; i < 2; i++) {
            const struct snap_job *j = jobs[i];
            if (j->id <= 0)
                continue;
            cJSON *jo = cJSON_CreateObject();
            cJSON_AddStringToObject(jo, "role", i == 0 ? "job" : "feeder");
            cJSON_AddNumberToObject(jo, "job_id", (double)j->id);
            cJSON_AddBoolToObject(jo, "running", j->running);
            cJSON_AddBoolToObject(jo, "continuous", j->continuous);
            cJSON_AddNumberToObject(jo, "interval_seconds", (double)j->interval_ms / 1000);
            if (j->last_run_id > 0)
                cJSON_AddNumberToObject(jo, "last_run_id", (double)j->last_run_id);
            else
                cJSON_AddNullToObject(jo, "last_run_id");
            add_string_or_null(jo, "last_result", *j->last_result ? j->last_result : NULL);
            add_string_or_null(jo, "last_message", *j->last_message ? j->last_message : NULL);
            char when[40];
            add_string_or_null(
                jo, "last_end_at",
                j->last_end_ms >= 0 ? clock_iso8601(j->last_end_ms, when, sizeof when) : NULL);
            cJSON_AddItemToArray(ja, jo);
        }
    }
    cJSON *alerts = cJSON_AddArrayToObject(o, "alerts");
    for (size_t i = 0; i < st->nalerts; i++)
        cJSON_AddItemToArray(alerts, export_alert_json(&st->alerts[i]));
    cJSON *collect = cJSON_AddObjectToObject(o, "collect");
    cJSON_AddNumberToObject(collect, "bytes_read", (double)st->bytes_read);
    cJSON_AddItemToObject(o, "errors", strings(&st->errors));
    cJSON_AddItemToObject(o, "warnings", strings(&st->warnings));
    return o;
}

/* Text cJSON printed and then freed, handed to put: when indent, with two tabs after each
 * newline (a stream's object printed alone, indented as it is inside the root's "streams"). */
static void put_printed(char *text, bool indent, void (*put)(void *ctx, const char *p, size_t n),
                        void *ctx)
{
    if (!text)
        return;
    const char *p = text;
    for (const char *nl; indent && (nl = strchr(p, '\n')); p = nl + 1) {
        put(ctx, p, (size_t)(nl + 1 - p));
        put(ctx, "\t\t", 2);
    }
    put(ctx, p, strlen(p));
    cJSON_free(text);
}

void export_json_stream(const struct snapshot *snap,
                        void (*put)(void *ctx, const char *p, size_t n), void *ctx)
{
    /* the root with an empty "streams" printed, each stream's object printed alone between
     * its "[" and "]": the bytes cJSON_Print gives for the whole tree, without ever holding
     * the tree or the text of every stream at once */
    cJSON *root = cJSON_CreateObject();
    char when[40];
    cJSON_AddStringToObject(root, "generated_at",
                            clock_iso8601(snap->generated_ms, when, sizeof when));
    cJSON_AddNumberToObject(root, "format_version", EXPORT_JSON_FORMAT_VERSION);
    cJSON_AddStringToObject(root, "version", STREAMTOP_VERSION);
    cJSON_AddArrayToObject(root, "streams");
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *hole = text ? strstr(text, "[]") : NULL;
    if (!hole) { /* out of memory */
        cJSON_free(text);
        return;
    }
    put(ctx, text, (size_t)(hole + 1 - text));
    for (size_t i = 0; i < snap->nstreams; i++) {
        if (i)
            put(ctx, ", ", 2);
        cJSON *o = export_stream_json(&snap->streams[i], snap->generated_ms);
        put_printed(cJSON_Print(o), true, put, ctx);
        cJSON_Delete(o);
    }
    put(ctx, hole + 1, strlen(hole + 1));
    put(ctx, "\n", 1);
    cJSON_free(text);
}

static void put_buf(void *ctx, const char *p, size_t n)
{
    buf_append(ctx, p, n);
}

static void render_json(const struct snapshot *snap, struct buf *out)
{
    export_json_stream(snap, put_buf, out);
}

const struct exporter export_json = {
    .name = "json",
    .help = "one JSON document (for jq, tickets, scripts)",
    .render = render_json,
};
