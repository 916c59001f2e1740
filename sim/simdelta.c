#include "sim/simdelta.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"

#define ENGINE "Apache-Spark/4.0.0 Delta-Lake/4.0.0"

void simdelta_init(struct sim_delta *d, const char *table, const char *schema, int64_t created_ms,
                   struct sim_rng *r)
{
    memset(d, 0, sizeof *d);
    d->logdir = xasprintf("%s/_delta_log", table);
    sim_uuid(r, d->id);
    d->created_ms = created_ms;
    d->schema = xstrdup(schema);
    d->new_schema = true;
    d->version = -1;
}

void simdelta_done(struct sim_delta *d)
{
    free(d->logdir);
    free(d->schema);
    d->logdir = d->schema = NULL;
}

void simdelta_set_schema(struct sim_delta *d, const char *schema)
{
    free(d->schema);
    d->schema = xstrdup(schema);
    d->new_schema = true;
}

static cJSON *metadata(const struct sim_delta *d)
{
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "id", d->id);
    cJSON *fmt = cJSON_AddObjectToObject(m, "format");
    cJSON_AddStringToObject(fmt, "provider", "parquet");
    cJSON_AddObjectToObject(fmt, "options");
    cJSON_AddStringToObject(m, "schemaString", d->schema);
    cJSON_AddArrayToObject(m, "partitionColumns");
    cJSON_AddObjectToObject(m, "configuration");
    cJSON_AddNumberToObject(m, "createdTime", (double)d->created_ms);
    return m;
}

static cJSON *protocol(void)
{
    cJSON *p = cJSON_CreateObject();
    cJSON_AddNumberToObject(p, "minReaderVersion", 1);
    cJSON_AddNumberToObject(p, "minWriterVersion", 2);
    return p;
}

static cJSON *txn(const struct sim_delta *d)
{
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "appId", d->app_id);
    cJSON_AddNumberToObject(t, "version", (double)d->txn_version);
    cJSON_AddNumberToObject(t, "lastUpdated", (double)d->txn_updated_ms);
    return t;
}

static void counter(cJSON *o, const char *key, int64_t v)
{
    char text[24];
    snprintf(text, sizeof text, "%lld", (long long)v);
    cJSON_AddStringToObject(o, key, text); /* operationMetrics are strings */
}

/* Append one action line {"<key>":<value>} (takes value). */
static void line(struct buf *b, const char *key, cJSON *value)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, key, value);
    char *text = cJSON_PrintUnformatted(o);
    if (b->len)
        buf_putc(b, '\n');
    buf_puts(b, text ? text : "{}");
    cJSON_free(text);
    cJSON_Delete(o);
}

static cJSON *commit_info(const struct sim_delta *d, const struct sim_delta_write *w, int64_t t,
                          const char *txn_id)
{
    cJSON *ci = cJSON_CreateObject();
    cJSON_AddNumberToObject(ci, "timestamp", (double)t);
    cJSON_AddStringToObject(ci, "operation", w->query_id ? "STREAMING UPDATE" : "WRITE");
    cJSON *op = cJSON_AddObjectToObject(ci, "operationParameters");
    if (w->query_id) {
        cJSON_AddStringToObject(op, "outputMode", "Append");
        cJSON_AddStringToObject(op, "queryId", w->query_id);
        counter(op, "epochId", w->epoch);
    } else {
        cJSON_AddStringToObject(op, "mode", "Append");
        cJSON_AddStringToObject(op, "partitionBy", "[]");
    }
    if (d->version >= 0)
        cJSON_AddNumberToObject(ci, "readVersion", (double)d->version);
    cJSON_AddStringToObject(ci, "isolationLevel", "Serializable");
    cJSON_AddTrueToObject(ci, "isBlindAppend");
    cJSON *m = cJSON_AddObjectToObject(ci, "operationMetrics");
    if (w->query_id) {
        counter(m, "numRemovedFiles", 0);
        counter(m, "numAddedFiles", w->rows > 0);
    } else {
        counter(m, "numFiles", w->rows > 0);
    }
    counter(m, "numOutputRows", w->rows);
    counter(m, "numOutputBytes", w->bytes);
    cJSON_AddStringToObject(ci, "engineInfo", ENGINE);
    cJSON_AddStringToObject(ci, "txnId", txn_id);
    return ci;
}

static cJSON *add(const struct sim_delta_write *w, int64_t t, struct sim_rng *r)
{
    char uuid[37];
    sim_uuid(r, uuid);
    char *path = xasprintf("part-00000-%s-c000.snappy.parquet", uuid);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "path", path);
    cJSON_AddObjectToObject(a, "partitionValues");
    cJSON_AddNumberToObject(a, "size", (double)w->bytes);
    cJSON_AddNumberToObject(a, "modificationTime", (double)(t > 20 ? t - 20 : t));
    cJSON_AddTrueToObject(a, "dataChange");
    char *stats = xasprintf("{\"numRecords\":%lld,\"minValues\":{},\"maxValues\":{},"
                            "\"nullCount\":{}}",
                            (long long)w->rows);
    cJSON_AddStringToObject(a, "stats", stats);
    free(stats);
    free(path);
    return a;
}

static char *checksum(const struct sim_delta *d, const char *txn_id)
{
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "txnId", txn_id);
    cJSON_AddNumberToObject(c, "tableSizeBytes", (double)d->bytes);
    cJSON_AddNumberToObject(c, "numFiles", (double)d->nfiles);
    cJSON_AddNumberToObject(c, "numMetadata", 1);
    cJSON_AddNumberToObject(c, "numProtocol", 1);
    cJSON *st = cJSON_AddArrayToObject(c, "setTransactions");
    if (d->app_id[0])
        cJSON_AddItemToArray(st, txn(d));
    cJSON_AddArrayToObject(c, "domainMetadata");
    cJSON_AddItemToObject(c, "metadata", metadata(d));
    cJSON_AddItemToObject(c, "protocol", protocol());
    /* Delta adds "allFiles" for small tables; left out, so the checksum does not grow with
     * every version of a long simulated history */
    char *text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    char *copy = xstrdup(text ? text : "{}");
    cJSON_free(text);
    return copy;
}

int simdelta_commit(struct sim_delta *d, const struct sim_delta_write *w, int64_t t,
                    struct sim_rng *r, struct st_err *err)
{
    if (sim_mkdirs(d->logdir, err) < 0)
        return -1;
    char txn_id[37];
    sim_uuid(r, txn_id);
    struct buf b;
    buf_init(&b);
    line(&b, "commitInfo", commit_info(d, w, t, txn_id));
    if (d->new_schema)
        line(&b, "metaData", metadata(d));
    if (d->version < 0)
        line(&b, "protocol", protocol());
    if (w->query_id) {
        snprintf(d->app_id, sizeof d->app_id, "%s", w->query_id);
        d->txn_version = w->epoch;
        d->txn_updated_ms = t > 3 ? t - 3 : t;
        line(&b, "txn", txn(d));
    }
    if (w->rows > 0) {
        line(&b, "add", add(w, t, r));
        d->nfiles++;
        d->bytes += w->bytes;
    }
    d->new_schema = false;
    d->version++;
    char *path = xasprintf("%s/%020lld.json", d->logdir, (long long)d->version);
    int rc = sim_write_spark(path, b.data, b.len, t, r, err);
    free(path);
    buf_done(&b);
    if (rc < 0)
        return -1;
    char *crc = checksum(d, txn_id);
    path = xasprintf("%s/%020lld.crc", d->logdir, (long long)d->version);
    rc = sim_write_spark(path, crc, strlen(crc), t, r, err);
    free(path);
    free(crc);
    return rc;
}
