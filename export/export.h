/* export: snapshot writers (JSON, CSV, Prometheus text) behind one table, and the atomic file
 * write (temp file in the same folder + rename) used for -o. */
#ifndef STREAMTOP_EXPORT_H
#define STREAMTOP_EXPORT_H

#include "core/version.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/notification.h"
#include "core/snapshot.h"
#include "core/strvec.h"
#include "core/trend.h"

struct exporter {
    const char *name; /* "json", "csv", "prom" */
    const char *help;
    /* Render the whole snapshot into out (appending). */
    void (*render)(const struct snapshot *snap, struct buf *out);
};

/* The JSON documents' own format (export, history); it changes only when a field changes
 * meaning or goes away (added fields keep it). Separate from the program's version. */
#define EXPORT_JSON_FORMAT_VERSION 1

/* NULL-terminated table of exporters. */
extern const struct exporter *const exporter_table[];
/* Find an exporter by name (also "prometheus" for "prom"), or NULL. */
const struct exporter *exporter_find(const char *name);

extern const struct exporter export_json;
extern const struct exporter export_csv;
extern const struct exporter export_prom;

/* The JSON document export_json renders, the same bytes, handed to put a piece at a time
 * (about a stream's worth each): the whole text is never held. */
void export_json_stream(const struct snapshot *snap,
                        void (*put)(void *ctx, const char *p, size_t n), void *ctx);

/* Write data to path atomically: a temp file in the same folder, fsync, rename over path. A
 * reader sees the old file or the new one, never a part. A path that exists and is not a
 * regular file (/dev/null, /dev/stdout, a named pipe) is written in place, never replaced.
 * 0, or -1 with err naming the path. */
int export_write_atomic(const char *path, const char *data, size_t len, struct st_err *err);

/* One named run of points: a metric's (history) or a stream's (series). */
struct export_series {
    const char *name;              /* (borrowed) */
    const struct trend_point *pts; /* (borrowed) oldest first */
    size_t n;
};

/* `history -f json`'s document: {format_version, generated_at, version, streams: [{name,
 * history: {METRIC: [[time, value] or, for a rollup or down-sampled point, [time, value, min,
 * max]]}, null_reasons: {METRIC: why}}]}, one series per metric. Appends to out. */
void export_history_doc(const char *stream, const struct export_series *v, size_t n, int64_t now_ms,
                        struct buf *out);
/* {"metric": M, "since_ms": T, "streams": [{"name": S, "points": [[t_ms, value or null]]}]},
 * one entry of v per stream. Appends to out. */
void export_series_doc(const char *metric, int64_t since_ms, const struct export_series *v,
                       size_t n, struct buf *out);
/* {"stream": the stream's object of the snapshot document, "schema_versions": [lines]}. */
void export_stream_doc(const struct snapshot *snap, size_t i, const struct strvec *schema_versions,
                       struct buf *out);
/* {"alerts": [{"stream", then the alert's fields as the snapshot has them}], "notifications":
 * [{stream, rule, webhook, what, error, created_ms, done_ms (null while undelivered), status,
 * attempts}]}. */
void export_alerts_doc(const struct snapshot *snap, const struct notification *notes, size_t nnotes,
                       struct buf *out);

/* ---- reading the JSON document back (what a `streamtop serve` daemon answers) ----------- */

/* Caps on a document read back: its size, its streams, the items of any one list. */
#define EXPORT_JSON_READ_MAX     (16 * 1024 * 1024)
#define EXPORT_JSON_READ_STREAMS 100000
#define EXPORT_JSON_READ_ITEMS   100000

/* Read the document export_json renders (len bytes at text, no NUL needed) into a new snapshot
 * (*out, caller frees with snapshot_free). Writing it again gives the same document. Fields a
 * newer writer adds are ignored; absent ones stay unmeasured. Every string is sanitised
 * (snap_stream_sanitize). 0, or -1 with err naming the stream and field ("streams[2] (orders):
 * metrics: ...") and *out NULL; ST_ETOOBIG past a cap. */
int export_json_read(const char *text, size_t len, struct snapshot **out, struct st_err *err);

#endif
