#include "collectors/offsetlog.h"

#include <cJSON.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

/* A short, terminal-safe excerpt of untrusted text for error messages. */
static void excerpt(char *out, size_t outlen, const char *s, size_t n)
{
    char tmp[48];
    size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
    memcpy(tmp, s, k);
    tmp[k] = '\0';
    char *clean = sanitize_dup(tmp, k);
    snprintf(out, outlen, "'%s%s'", clean, n > k ? "..." : "");
    free(clean);
}

/* Read a JSON number that should be a whole millisecond count (may arrive as 1.7E12). */
static bool json_ms(const cJSON *item, int64_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    return parse_double_to_i64(round(item->valuedouble), out);
}

struct line {
    const char *p;
    size_t n;
};

/* Split into lines; a final empty line after a trailing newline is dropped. */
static size_t split_lines(const char *text, size_t len, struct line **out)
{
    size_t cap = 0, n = 0;
    *out = NULL;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || text[i] == '\n') {
            if (i == len && start == len && n > 0)
                break;
            size_t l = i - start;
            if (l && text[start + l - 1] == '\r')
                l--;
            xgrow((void **)out, &cap, n + 1, sizeof **out);
            (*out)[n++] = (struct line){text + start, l};
            start = i + 1;
        }
    }
    return n;
}

void offsetlog_done(struct offset_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nsources; i++) {
        free(f->sources[i].id);
        free(f->sources[i].json);
        free(f->sources[i].provider);
    }
    free(f->sources);
    free(f->control);
    memset(f, 0, sizeof *f);
}

static char *dup_or_null(const char *v)
{
    return v ? xstrdup(v) : NULL;
}

void offsetlog_copy(struct offset_file *out, const struct offset_file *f)
{
    *out = *f;
    out->control = dup_or_null(f->control);
    out->sources = xcalloc(f->nsources + 1, sizeof *out->sources);
    for (size_t i = 0; i < f->nsources; i++)
        out->sources[i] =
            (struct offset_entry){dup_or_null(f->sources[i].id), dup_or_null(f->sources[i].json),
                                  dup_or_null(f->sources[i].provider)};
}

static int parse_version(const struct line *l, int *version, struct st_err *err)
{
    char ex[80];
    if (l->n < 2 || l->p[0] != 'v') {
        excerpt(ex, sizeof ex, l->p, l->n);
        return st_err_set(err, ST_EFORMAT, "no version header (first line is %s, expected v1)", ex);
    }
    int v = 0;
    for (size_t i = 1; i < l->n; i++) {
        if (l->p[i] < '0' || l->p[i] > '9' || v > 100000) {
            excerpt(ex, sizeof ex, l->p, l->n);
            return st_err_set(err, ST_EFORMAT, "bad version header %s", ex);
        }
        v = v * 10 + (l->p[i] - '0');
    }
    if (v < 1 || v > OFFSETLOG_MAX_VERSION)
        return st_err_set(err, ST_EFORMAT,
                          "log version v%d is not supported (streamtop reads v1 to v%d)", v,
                          OFFSETLOG_MAX_VERSION);
    *version = v;
    return 0;
}

/* The metadata line (OffsetSeqMetadata in v1, OffsetSeqMetadataV2 in v2: the same fields plus
 * "sourceMetadataInfo": {id: {"sourceId","providerName","apiVersion"}} and, on a control batch
 * only, "controlBatchInfo": {"operationType","operationInfo"}) [code] apache/spark
 * sql/core/.../streaming/checkpointing/OffsetSeq.scala. *meta keeps the parsed object (NULL for
 * the legal empty line) for the sources to look up their provider. */
static int parse_meta(const struct line *l, struct offset_file *out, cJSON **meta_out,
                      struct st_err *err)
{
    out->batch_ts_ms = -1;
    out->watermark_ms = 0;
    out->shuffle_partitions = -1;
    *meta_out = NULL;
    if (l->n == 0)
        return 0; /* "no metadata" is legal */
    cJSON *meta = cJSON_ParseWithLength(l->p, l->n);
    if (!cJSON_IsObject(meta)) {
        cJSON_Delete(meta);
        char ex[80];
        excerpt(ex, sizeof ex, l->p, l->n);
        return st_err_set(err, ST_EFORMAT, "metadata line is not a JSON object: %s", ex);
    }
    int64_t v;
    if (json_ms(cJSON_GetObjectItemCaseSensitive(meta, "batchTimestampMs"), &v))
        out->batch_ts_ms = v;
    if (json_ms(cJSON_GetObjectItemCaseSensitive(meta, "batchWatermarkMs"), &v))
        out->watermark_ms = v;
    /* the conf map holds strings; a state repartition batch is the first batch whose
     * spark.sql.shuffle.partitions differs from its predecessor's [code] apache/spark
     * sql/core/.../streaming/state/OfflineStateRepartitionRunner.scala (isRepartitionBatch) */
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(meta, "conf");
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(conf, "spark.sql.shuffle.partitions");
    if (cJSON_IsString(sp)) {
        int64_t n;
        if (parse_int64(sp->valuestring, &n) == 0 && n > 0 && n <= 1000000000)
            out->shuffle_partitions = (int)n;
    } else if (cJSON_IsNumber(sp) && sp->valuedouble >= 1 && sp->valuedouble <= 1e9) {
        out->shuffle_partitions = (int)sp->valuedouble;
    }
    const cJSON *cb = cJSON_GetObjectItemCaseSensitive(meta, "controlBatchInfo");
    if (cJSON_IsObject(cb)) {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(cb, "operationType");
        const char *name = cJSON_IsString(op) && *op->valuestring ? op->valuestring : "unknown";
        out->control = sanitize_dup(name, strnlen(name, 64));
    }
    *meta_out = meta;
    return 0;
}

/* sourceMetadataInfo[id].providerName, or NULL. */
static char *provider_of(const cJSON *meta, const char *id)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(meta, "sourceMetadataInfo");
    const cJSON *one = cJSON_IsObject(info) ? cJSON_GetObjectItemCaseSensitive(info, id) : NULL;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(one, "providerName");
    if (!cJSON_IsString(p) || !*p->valuestring)
        return NULL;
    return sanitize_dup(p->valuestring, strnlen(p->valuestring, 128));
}

int offsetlog_parse(const char *text, size_t len, struct offset_file *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    if (len == 0)
        return st_err_set(err, ST_EFORMAT, "empty file");
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return st_err_set(err, ST_EFORMAT, "binary data (NUL byte at offset %zu)",
                          (size_t)(nul - text));
    struct line *lines;
    size_t n = split_lines(text, len, &lines);
    int rc = parse_version(&lines[0], &out->version, err);
    if (rc == 0 && n < 2)
        rc = st_err_set(err, ST_EFORMAT, "truncated: only the version line, no metadata line");
    cJSON *meta = NULL;
    if (rc == 0)
        rc = parse_meta(&lines[1], out, &meta, err);
    size_t cap = 0;
    for (size_t i = 2; rc == 0 && i < n; i++) {
        struct line l = lines[i];
        char *id = NULL;
        if (out->version >= 2) {
            /* v2 (OffsetMap): "sourceId:offset", split at the first colon [code] apache/spark
             * sql/core/.../streaming/checkpointing/OffsetSeqLog.scala (VERSION_2) */
            const char *colon = memchr(l.p, ':', l.n);
            if (!colon) {
                rc = st_err_set(err, ST_EFORMAT, "line %zu: v2 source line without 'id:'", i + 1);
                break;
            }
            if (colon == l.p) {
                rc =
                    st_err_set(err, ST_EFORMAT, "line %zu: v2 source line with an empty id", i + 1);
                break;
            }
            id = xstrndup(l.p, (size_t)(colon - l.p));
            for (size_t k = 0; k < out->nsources && rc == 0; k++)
                if (strcmp(out->sources[k].id, id) == 0) {
                    char ex[80];
                    excerpt(ex, sizeof ex, id, strlen(id));
                    rc = st_err_set(err, ST_EFORMAT, "line %zu: source id %s appears twice", i + 1,
                                    ex);
                }
            if (rc < 0) {
                free(id);
                break;
            }
            l.n -= (size_t)(colon - l.p) + 1;
            l.p = colon + 1;
        }
        char *json = NULL;
        if (!(l.n == 1 && l.p[0] == '-')) {
            cJSON *probe = cJSON_ParseWithLength(l.p, l.n);
            if (!probe) {
                char ex[80];
                excerpt(ex, sizeof ex, l.p, l.n);
                if (id) {
                    char exid[80];
                    excerpt(exid, sizeof exid, id, strlen(id));
                    rc = st_err_set(err, ST_EFORMAT, "offset of source %s is not JSON: %s", exid,
                                    ex);
                } else {
                    rc = st_err_set(err, ST_EFORMAT, "offset of source %zu is not JSON: %s", i - 2,
                                    ex);
                }
                free(id);
                break;
            }
            cJSON_Delete(probe);
            json = xstrndup(l.p, l.n);
        }
        xgrow((void **)&out->sources, &cap, out->nsources + 1, sizeof *out->sources);
        out->sources[out->nsources++] =
            (struct offset_entry){id, json, id && meta ? provider_of(meta, id) : NULL};
    }
    free(lines);
    cJSON_Delete(meta);
    if (rc < 0)
        offsetlog_done(out);
    return rc;
}

static bool kafka_shape(const cJSON *obj, double *sum)
{
    double total = 0;
    int parts = 0;
    const cJSON *topic;
    cJSON_ArrayForEach(topic, obj)
    {
        if (!cJSON_IsObject(topic))
            return false;
        const cJSON *part;
        cJSON_ArrayForEach(part, topic)
        {
            if (!cJSON_IsNumber(part))
                return false;
            total += part->valuedouble;
            parts++;
        }
    }
    *sum = total;
    return parts > 0;
}

enum source_kind offsetlog_classify(const char *json, double *position)
{
    *position = NAN;
    if (!json)
        return SRC_NONE;
    cJSON *v = cJSON_Parse(json);
    if (!v)
        return SRC_OTHER;
    enum source_kind kind = SRC_OTHER;
    const cJSON *f;
    if (cJSON_IsNumber(v)) {
        kind = SRC_NUMBER;
        *position = v->valuedouble;
    } else if (cJSON_IsObject(v)) {
        double sum;
        if (cJSON_IsNumber(f = cJSON_GetObjectItemCaseSensitive(v, "logOffset"))) {
            kind = SRC_FILE;
            *position = f->valuedouble;
        } else if (cJSON_IsNumber(f = cJSON_GetObjectItemCaseSensitive(v, "reservoirVersion"))) {
            kind = SRC_DELTA;
            *position = f->valuedouble;
        } else if (cJSON_IsNumber(f = cJSON_GetObjectItemCaseSensitive(v, "seqNum"))) {
            kind = SRC_AUTOLOADER;
            *position = f->valuedouble;
        } else if (kafka_shape(v, &sum)) {
            kind = SRC_KAFKA;
            *position = sum;
        }
    }
    cJSON_Delete(v);
    return kind;
}

int offsetlog_parse_metadata(const char *text, size_t len, char **query_id, struct st_err *err)
{
    *query_id = NULL;
    if (len == 0)
        return st_err_set(err, ST_EFORMAT, "empty file");
    if (memchr(text, '\0', len))
        return st_err_set(err, ST_EFORMAT, "binary data, expected {\"id\":\"...\"}");
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (!cJSON_IsString(id) || !*id->valuestring) {
        cJSON_Delete(root);
        char ex[80];
        excerpt(ex, sizeof ex, text, len);
        return st_err_set(err, ST_EFORMAT, "no query id (expected {\"id\":\"...\"}, got %s)", ex);
    }
    *query_id = sanitize_dup(id->valuestring, strlen(id->valuestring));
    cJSON_Delete(root);
    return 0;
}

int offsetlog_parse_kafka_initial(const char *text, size_t len, char **json, struct st_err *err)
{
    *json = NULL;
    size_t i = 0;
    if (i < len && text[i] == '\0')
        i++;
    if (len - i >= 3 && text[i] == 'v' && text[i + 1] == '1' && text[i + 2] == '\n')
        i += 3;
    /* Spark 2.1.0 wrote one stray byte before the JSON (SPARK-19517) */
    if (i < len && text[i] != '{' && i + 1 < len && text[i + 1] == '{')
        i++;
    cJSON *root = len > i ? cJSON_ParseWithLength(text + i, len - i) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "not a Kafka initial-offset file");
    }
    char *printed = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!printed)
        return st_err_set(err, ST_EFAIL, "out of memory printing JSON");
    *json = xstrdup(printed);
    cJSON_free(printed);
    return 0;
}
