/* The JSON export's builders, shared by the files of export/ only (they return cJSON trees). */
#ifndef STREAMTOP_EXPORT_JSON_INTERNAL_H
#define STREAMTOP_EXPORT_JSON_INTERNAL_H

#include <cJSON.h>

#include "core/snapshot.h"

/* One stream's object of the snapshot document (caller deletes). */
cJSON *export_stream_json(const struct snap_stream *st, int64_t now_ms);
/* One alert's object, as a stream's "alerts" list has it (caller deletes). */
cJSON *export_alert_json(const struct snap_alert *a);

#endif
