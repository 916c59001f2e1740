/* structtype: Spark StructType JSON (Auto Loader schema files, Delta schemaString) flattened to
 * one entry per field path, and the difference between two versions. Pure functions.
 * Paths: nested struct fields "payload.device.battery"; array elements "tags[]" (and their
 * fields "items[].sku"); map values "attrs{}" (and their fields "attrs{}.x"). */
#ifndef STREAMTOP_STRUCTTYPE_H
#define STREAMTOP_STRUCTTYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/strvec.h"

struct sfield {
    char *path; /* (owned) */
    char *type; /* (owned) "long", "decimal(10,2)", "struct", "array<string>", "map<string,long>" */
    bool nullable;
};

struct sfields {
    struct sfield *v;
    size_t n, cap;
};

void sfields_init(struct sfields *f);
void sfields_done(struct sfields *f);
/* Fields in a cursor blob: their count (u32), then each one's path and type (names of at most
 * max bytes) and nullable (a byte, 0 or 1). */
struct buf;
struct buf_reader;
void sfields_put(struct buf *b, const struct sfields *f);
/* Appended to out; a field cut short or a nullable byte above 1 marks the reader bad. */
void sfields_take(struct buf_reader *r, struct sfields *out, size_t max);
/* Parse StructType JSON text (optionally wrapped as Auto Loader writes it: an optional "v1" line,
 * then an object whose dataSchemaJson/partitionSchemaJson hold StructTypes as strings).
 * Fails on text that is not JSON, not a StructType, or has a type Spark does not have. */
int structtype_parse(const char *text, size_t n, struct sfields *out, struct st_err *err);
/* Changes from old to new, one line each: "+ path: type", "- path: type",
 * "~ path: old -> new", "~ path: nullable -> not null" (and back). */
void structtype_diff(const struct sfields *old, const struct sfields *neu, struct strvec *out);
/* structtype_diff of two schemas given as structtype_lines' lines. */
void structtype_diff_lines(const struct strvec *old, const struct strvec *neu, struct strvec *out);
/* One line per field, in schema order: "path: type", with " not null" when not nullable. */
void structtype_lines(const struct sfields *f, struct strvec *out);

#endif
