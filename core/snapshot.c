#include "core/snapshot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sanitize.h"
#include "core/xalloc.h"

const char *source_kind_name(enum source_kind k)
{
    static const char *const names[] = {"none",       "file",   "kafka", "delta",
                                        "autoloader", "number", "other"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "other";
}

const char *batch_kind_name(enum batch_kind k)
{
    static const char *const names[] = {"data", "repartition", "control"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "data";
}

const char *metric_origin_name(enum metric_origin o)
{
    static const char *const names[] = {"none",    "checkpoint",          "storage", "progress",
                                        "history", "storage_lower_bound", "broker"};
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "none";
}

struct snapshot *snapshot_new(int64_t generated_ms)
{
    struct snapshot *snap = xcalloc(1, sizeof *snap);
    snap->generated_ms = generated_ms;
    snap->kafka_max_series = SNAPSHOT_KAFKA_MAX_SERIES;
    return snap;
}

static void stream_done(struct snap_stream *st)
{
    free(st->name);
    for (size_t i = 0; i < st->nlabels; i++) {
        free(st->labels[i].key);
        free(st->labels[i].value);
    }
    free(st->labels);
    free(st->query_id);
    free(st->checkpoint);
    free(st->source);
    free(st->schema_path);
    free(st->sink);
    free(st->progress);
    strvec_done(&st->deadletter_paths);
    for (size_t i = 0; i < st->nsources; i++) {
        free(st->sources[i].id);
        free(st->sources[i].end_offset);
        free(st->sources[i].initial_offset);
        free(st->sources[i].provider);
        free(st->sources[i].committed_offset);
        free(st->sources[i].description);
    }
    free(st->sources);
    free(st->kafka.bootstrap);
    for (size_t i = 0; i < st->kafka.nparts; i++) {
        free(st->kafka.parts[i].topic);
        free(st->kafka.parts[i].error);
    }
    free(st->kafka.parts);
    free(st->batches);
    for (size_t i = 0; i < st->noperators; i++)
        free(st->operators[i].name);
    free(st->operators);
    free(st->ckpt.unrestartable);
    for (size_t i = 0; i < st->ndeadletters; i++) {
        struct snap_deadletter *d = &st->deadletters[i];
        free(d->prefix);
        free(d->sample_file);
        free(d->sample_line);
        free(d->sample_path);
        free(d->sample_reason);
        free(d->sample_record);
        free(d->error);
    }
    free(st->deadletters);
    strvec_done(&st->schema.changes);
    strvec_done(&st->sink_schema.changes);
    strvec_done(&st->schema.fields);
    strvec_done(&st->sink_schema.fields);
    strvec_done(&st->errors);
    strvec_done(&st->warnings);
    for (size_t i = 0; i < st->nalerts; i++) {
        free(st->alerts[i].rule);
        free(st->alerts[i].threshold);
    }
    free(st->alerts);
}

int snap_stream_primary_backlog(const struct snap_stream *st)
{
    static const int order[] = {M_BACKLOG_FILES, M_BACKLOG_RECORDS, M_BACKLOG_BYTES,
                                M_BACKLOG_VERSIONS};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (!isnan(st->metrics[order[i]]))
            return order[i];
    return -1;
}

struct snap_kpart *snap_stream_add_kpart(struct snap_stream *st, const char *topic, int partition)
{
    st->kafka.parts = xrealloc(st->kafka.parts, (st->kafka.nparts + 1) * sizeof *st->kafka.parts);
    struct snap_kpart *p = &st->kafka.parts[st->kafka.nparts++];
    *p = (struct snap_kpart){.topic = xstrdup(topic),
                             .partition = partition,
                             .position = NAN,
                             .planned = NAN,
                             .log_start = NAN,
                             .end = NAN,
                             .lag = NAN,
                             .planned_lag = NAN,
                             .lost = NAN,
                             .oldest_ms = -1};
    return p;
}

void snap_stream_add_alert(struct snap_stream *st, const char *rule, const char *threshold,
                           enum health level, bool firing, bool silenced, int64_t since_ms,
                           double value)
{
    st->alerts = xrealloc(st->alerts, (st->nalerts + 1) * sizeof *st->alerts);
    st->alerts[st->nalerts++] = (struct snap_alert){
        xstrdup(rule), xstrdup(threshold ? threshold : ""), level, firing, silenced, since_ms,
        value};
}

void snapshot_free(struct snapshot *snap)
{
    if (!snap)
        return;
    for (size_t i = 0; i < snap->nstreams; i++)
        stream_done(&snap->streams[i]);
    free(snap->streams);
    free(snap);
}

void snapshot_keep(struct snapshot *snap, const bool *keep)
{
    size_t n = 0;
    for (size_t i = 0; i < snap->nstreams; i++) {
        if (!keep[i])
            stream_done(&snap->streams[i]);
        else if (n++ != i)
            snap->streams[n - 1] = snap->streams[i];
    }
    snap->nstreams = n;
}

struct snap_stream *snapshot_add_stream(struct snapshot *snap, const char *name)
{
    snap->streams = xrealloc(snap->streams, (snap->nstreams + 1) * sizeof *snap->streams);
    struct snap_stream *st = &snap->streams[snap->nstreams++];
    memset(st, 0, sizeof *st);
    st->name = xstrdup(name);
    st->status = HEALTH_OK;
    for (int i = 0; i < METRIC_COUNT; i++)
        st->metrics[i] = NAN;
    strvec_init(&st->errors);
    strvec_init(&st->deadletter_paths);
    strvec_init(&st->warnings);
    st->schema.version = st->sink_schema.version = -1;
    st->kafka.planned_lag = NAN;
    st->ckpt.shuffle_partitions = -1;
    st->schema.first_seen_ms = st->sink_schema.first_seen_ms = -1;
    st->schema.appeared_ms = st->sink_schema.appeared_ms = -1;
    strvec_init(&st->schema.changes);
    strvec_init(&st->sink_schema.changes);
    strvec_init(&st->schema.fields);
    strvec_init(&st->sink_schema.fields);
    return st;
}

const struct snap_stream *snapshot_find(const struct snapshot *snap, const char *name)
{
    for (size_t i = 0; i < snap->nstreams; i++)
        if (strcmp(snap->streams[i].name, name) == 0)
            return &snap->streams[i];
    return NULL;
}

struct snap_source *snap_stream_add_source(struct snap_stream *st, int index)
{
    st->sources = xrealloc(st->sources, (st->nsources + 1) * sizeof *st->sources);
    struct snap_source *src = &st->sources[st->nsources++];
    memset(src, 0, sizeof *src);
    src->index = index;
    src->position = NAN;
    return src;
}

void snap_stream_add_label(struct snap_stream *st, const char *key, const char *value)
{
    st->labels = xrealloc(st->labels, (st->nlabels + 1) * sizeof *st->labels);
    st->labels[st->nlabels].key = xstrdup(key);
    st->labels[st->nlabels].value = xstrdup(value);
    st->nlabels++;
}

struct snap_deadletter *snap_stream_add_deadletter(struct snap_stream *st, const char *prefix)
{
    st->deadletters = xrealloc(st->deadletters, (st->ndeadletters + 1) * sizeof *st->deadletters);
    struct snap_deadletter *d = &st->deadletters[st->ndeadletters++];
    memset(d, 0, sizeof *d);
    d->prefix = xstrdup(prefix);
    d->layout = "flat";
    d->newest_ms = -1;
    return d;
}

void snapshot_count(const struct snapshot *snap, size_t counts[4])
{
    memset(counts, 0, 4 * sizeof counts[0]);
    for (size_t i = 0; i < snap->nstreams; i++)
        counts[snap->streams[i].status < 4 ? snap->streams[i].status : HEALTH_UNKNOWN]++;
}

/* Replace *s by its sanitised copy when it needs one (the common case costs one scan). */
static void clean(char **s)
{
    if (*s && !sanitize_is_clean(*s)) {
        char *c = sanitize_dup(*s, strlen(*s));
        free(*s);
        *s = c;
    }
}

static void clean_all(struct strvec *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        clean(&sv->v[i]);
}

void snap_stream_sanitize(struct snap_stream *st)
{
    clean(&st->name);
    clean(&st->query_id);
    clean(&st->checkpoint);
    clean(&st->source);
    clean(&st->schema_path);
    clean(&st->sink);
    clean(&st->progress);
    clean_all(&st->deadletter_paths);
    for (size_t i = 0; i < st->nlabels; i++) {
        clean(&st->labels[i].key);
        clean(&st->labels[i].value);
    }
    for (size_t i = 0; i < st->nsources; i++) {
        clean(&st->sources[i].id);
        clean(&st->sources[i].end_offset);
        clean(&st->sources[i].initial_offset);
        clean(&st->sources[i].provider);
        clean(&st->sources[i].committed_offset);
        clean(&st->sources[i].description);
    }
    clean(&st->kafka.bootstrap);
    for (size_t i = 0; i < st->kafka.nparts; i++) {
        clean(&st->kafka.parts[i].topic);
        clean(&st->kafka.parts[i].error);
    }
    for (size_t i = 0; i < st->noperators; i++)
        clean(&st->operators[i].name);
    clean(&st->ckpt.unrestartable);
    for (size_t i = 0; i < st->ndeadletters; i++) {
        struct snap_deadletter *d = &st->deadletters[i];
        clean(&d->prefix);
        clean(&d->sample_file);
        clean(&d->sample_line);
        clean(&d->sample_path);
        clean(&d->sample_reason);
        clean(&d->sample_record);
        clean(&d->error);
    }
    clean_all(&st->schema.changes);
    clean_all(&st->sink_schema.changes);
    clean_all(&st->schema.fields);
    clean_all(&st->sink_schema.fields);
    clean_all(&st->errors);
    clean_all(&st->warnings);
    for (size_t i = 0; i < st->nalerts; i++) {
        clean(&st->alerts[i].rule);
        clean(&st->alerts[i].threshold);
    }
}
