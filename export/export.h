/* export: snapshot writers (JSON, CSV, Prometheus text) behind one table, and the atomic file
 * write (temp file in the same folder + rename) used for -o. */
#ifndef STREAMTOP_EXPORT_H
#define STREAMTOP_EXPORT_H

#include "core/version.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/snapshot.h"

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

/* Write data to path atomically: a temp file in the same folder, fsync, rename over path. A
 * reader sees the old file or the new one, never a part. 0, or -1 with err naming the path. */
int export_write_atomic(const char *path, const char *data, size_t len, struct st_err *err);

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
