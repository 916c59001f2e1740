/* The JSON documents of `history -f json` and of the daemon's API (streamtop serve), built with
 * the snapshot document's own builders so a stream or an alert reads the same everywhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "export/export.h"
#include "export/json_internal.h"

/* Print root (deleted) into out with a final newline. */
static void emit(cJSON *root, struct buf *out)
{
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        abort(); /* out of memory, as xmalloc does */
    buf_puts(out, text);
    buf_putc(out, '\n');
    cJSON_free(text);
}

/* A number, or null when it is none (JSON has no infinity); reasons (when given) gets the
 * metric's entry saying why: a recorded value is never NaN, so a null is an infinity. */
static void add_value(cJSON *arr, double v, cJSON *reasons, const char *metric)
{
    if (isfinite(v)) {
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v));
        return;
    }
    cJSON_AddItemToArray(arr, cJSON_CreateNull());
    const char *why = isnan(v) ? "not_measurable" : v > 0 ? "infinite" : "negative_infinite";
    if (reasons && !cJSON_GetObjectItemCaseSensitive(reasons, metric))
        cJSON_AddStringToObject(reasons, metric, why);
}

void export_history_doc(const char *stream, const struct export_series *v, size_t n, int64_t now_ms,
                        struct buf *out)
{
    char when[40];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format_version", EXPORT_JSON_FORMAT_VERSION);
    cJSON_AddStringToObject(root, "generated_at", clock_iso8601(now_ms, when, sizeof when));
    cJSON_AddStringToObject(root, "version", STREAMTOP_VERSION);
    cJSON *st = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(root, "streams"), st);
    cJSON_AddStringToObject(st, "name", stream);
    cJSON *series = cJSON_AddObjectToObject(st, "history");
    cJSON *reasons = cJSON_AddObjectToObject(st, "null_reasons");
    for (size_t i = 0; i < n; i++) {
        cJSON *points = cJSON_AddArrayToObject(series, v[i].name);
        for (size_t k = 0; k < v[i].n; k++) {
            const struct trend_point *p = &v[i].pts[k];
            cJSON *pt = cJSON_CreateArray();
            cJSON_AddItemToArray(pt,
                                 cJSON_CreateString(clock_iso8601(p->ts_ms, when, sizeof when)));
            add_value(pt, p->last, reasons, v[i].name);
            if (p->step_ms > 0) { /* a rollup: its value is the last (or mean), then min and max */
                add_value(pt, p->min, reasons, v[i].name);
                add_value(pt, p->max, reasons, v[i].name);
            }
            cJSON_AddItemToArray(points, pt);
        }
    }
    emit(root, out);
}

void export_series_doc(const char *metric, int64_t since_ms, const struct export_series *v,
                       size_t n, struct buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "metric", metric);
    cJSON_AddNumberToObject(root, "since_ms", (double)since_ms);
    cJSON *streams = cJSON_AddArrayToObject(root, "streams");
    for (size_t i = 0; i < n; i++) {
        cJSON *st = cJSON_CreateObject();
        cJSON_AddStringToObject(st, "name", v[i].name);
        cJSON *points = cJSON_AddArrayToObject(st, "points");
        for (size_t k = 0; k < v[i].n; k++) {
            cJSON *pt = cJSON_CreateArray();
            cJSON_AddItemToArray(pt, cJSON_CreateNumber((double)v[i].pts[k].ts_ms));
            add_value(pt, v[i].pts[k].last, NULL, NULL);
            cJSON_AddItemToArray(points, pt);
        }
        cJSON_AddItemToArray(streams, st);
    }
    emit(root, out);
}

void export_stream_doc(const struct snapshot *snap, size_t i, const struct strvec *schema_versions,
                       struct buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "stream",
                          export_stream_json(&snap->streams[i], snap->generated_ms));
    cJSON *sv = cJSON_AddArrayToObject(root, "schema_versions");
    for (size_t k = 0; schema_versions && k < schema_versions->n; k++)
        cJSON_AddItemToArray(sv, cJSON_CreateString(schema_versions->v[k]));
    emit(root, out);
}

static void add_ms_or_null(cJSON *o, const char *key, int64_t ms)
{
    if (ms >= 0)
        cJSON_AddNumberToObject(o, key, (double)ms);
    else
        cJSON_AddNullToObject(o, key);
}

static void add_str_or_null(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

void export_alerts_doc(const struct snapshot *snap, const struct notification *notes, size_t nnotes,
                       struct buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *alerts = cJSON_AddArrayToObject(root, "alerts");
    for (size_t i = 0; i < snap->nstreams; i++) {
        const struct snap_stream *st = &snap->streams[i];
        for (size_t k = 0; k < st->nalerts; k++) {
            /* the stream first, then the alert as the stream's list has it */
            cJSON *src = export_alert_json(&st->alerts[k]);
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "stream", st->name);
            while (src->child) {
                cJSON *c = cJSON_DetachItemViaPointer(src, src->child);
                cJSON_AddItemToObject(a, c->string, c); /* the key is copied before it is freed */
            }
            cJSON_Delete(src);
            cJSON_AddItemToArray(alerts, a);
        }
    }
    cJSON *nv = cJSON_AddArrayToObject(root, "notifications");
    for (size_t i = 0; i < nnotes; i++) {
        const struct notification *n = &notes[i];
        cJSON *o = cJSON_CreateObject();
        add_str_or_null(o, "stream", n->stream);
        add_str_or_null(o, "rule", n->rule);
        add_str_or_null(o, "webhook", n->webhook);
        add_str_or_null(o, "what", n->what);
        add_str_or_null(o, "error", n->error);
        add_ms_or_null(o, "created_ms", n->created_ms);
        add_ms_or_null(o, "done_ms", n->done_ms);
        cJSON_AddNumberToObject(o, "status", n->status);
        cJSON_AddNumberToObject(o, "attempts", n->attempts);
        cJSON_AddItemToArray(nv, o);
    }
    emit(root, out);
}
