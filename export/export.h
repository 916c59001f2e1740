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
 * reader sees the old file or the new one, never a part. A path that exists and is not a
 * regular file (/dev/null, /dev/stdout, a named pipe) is written in place, never replaced.
 * 0, or -1 with err naming the path. */
int export_write_atomic(const char *path, const char *data, size_t len, struct st_err *err);

/* The version printed in exports and --version. */

#endif
