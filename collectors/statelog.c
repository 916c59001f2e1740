#include "collectors/statelog.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

/* "v<digits>" of the first line (up to '\n', a '\r' before it dropped); the rest after it. */
static int version_line(const char *text, size_t len, int max, int *version, const char **rest,
                        size_t *restlen, struct st_err *err)
{
    if (len == 0)
        return st_err_set(err, ST_EFORMAT, "empty file");
    const char *nul = memchr(text, '\0', len);
    if (nul)
        return st_err_set(err, ST_EFORMAT, "binary data (NUL byte at offset %zu)",
                          (size_t)(nul - text));
    const char *nl = memchr(text, '\n', len);
    size_t n = nl ? (size_t)(nl - text) : len;
    size_t m = n;
    while (m && (text[m - 1] == '\r' || text[m - 1] == ' '))
        m--;
    int v = 0;
    bool ok = m >= 2 && m <= 8 && text[0] == 'v';
    for (size_t i = 1; ok && i < m; i++) {
        ok = text[i] >= '0' && text[i] <= '9';
        v = v * 10 + (text[i] - '0');
    }
    if (!ok) {
        char *ex = sanitize_dup(text, m < 24 ? m : 24);
        st_err_set(err, ST_EFORMAT, "no version header (first line is '%s%s', expected v1)", ex,
                   m > 24 ? "..." : "");
        free(ex);
        return -1;
    }
    if (v < 1 || v > max)
        return st_err_set(err, ST_EFORMAT,
                          "version v%d is not supported (streamtop reads v1 to v%d; written by a "
                          "newer Spark or another engine?)",
                          v, max);
    *version = v;
    *rest = nl ? nl + 1 : text + len;
    *restlen = nl ? len - n - 1 : 0;
    return 0;
}

/* The JSON of a commit: {"nextBatchWatermarkMs":N,"stateUniqueIds":{"<opId>":[["<id>",...],
 * ...]}} (the second only with spark.sql.streaming.stateStore.checkpointFormatVersion=2; Spark
 * 4.0 writes an empty map in v1 too) [code] apache/spark
 * sql/core/.../streaming/checkpointing/CommitLog.scala (CommitMetadata). A missing second line
 * means "{}" there. */
int statelog_parse_commit(const char *text, size_t len, struct commit_file *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    const char *rest;
    size_t restlen;
    if (version_line(text, len, STATELOG_COMMIT_MAX_VERSION, &out->version, &rest, &restlen, err) <
        0)
        return -1;
    while (restlen && (rest[restlen - 1] == '\n' || rest[restlen - 1] == '\r'))
        restlen--;
    if (restlen == 0)
        return 0;
    cJSON *root = cJSON_ParseWithLength(rest, restlen);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "commit metadata is not a JSON object");
    }
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(root, "nextBatchWatermarkMs");
    int64_t v;
    if (cJSON_IsNumber(wm) && parse_double_to_i64(round(wm->valuedouble), &v))
        out->next_wm_ms = v;
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(root, "stateUniqueIds");
    int rc = 0;
    if (ids && !cJSON_IsNull(ids)) {
        if (!cJSON_IsObject(ids)) {
            rc = st_err_set(err, ST_EFORMAT, "stateUniqueIds is not an object");
        } else {
            const cJSON *op;
            cJSON_ArrayForEach(op, ids)
            {
                int64_t opid;
                if (parse_int64(op->string, &opid) < 0 || opid < 0 || !cJSON_IsArray(op)) {
                    rc = st_err_set(err, ST_EFORMAT,
                                    "stateUniqueIds: expected {operatorId: [[id, ...] per "
                                    "partition]}");
                    break;
                }
                int parts = 0;
                const cJSON *part;
                cJSON_ArrayForEach(part, op)
                {
                    if (!cJSON_IsArray(part)) {
                        rc = st_err_set(err, ST_EFORMAT,
                                        "stateUniqueIds[%lld]: a partition is not an array",
                                        (long long)opid);
                        break;
                    }
                    parts++;
                }
                if (rc < 0)
                    break;
                out->noperators++;
                if (parts > out->npartitions)
                    out->npartitions = parts;
            }
            out->state_unique_ids = rc == 0 && out->noperators > 0;
        }
    }
    cJSON_Delete(root);
    return rc;
}

void statelog_opmeta_done(struct op_meta *m)
{
    if (!m)
        return;
    free(m->name);
    memset(m, 0, sizeof *m);
}

/* OperatorStateMetadataV1/V2: "v<version>\n" then {"operatorInfo":{"operatorId":N,
 * "operatorName":"..."},"stateStoreInfo":[{"storeName","numColsPrefixKey","numPartitions"
 * (,"stateSchemaFilePath" in v2)}](,"operatorPropertiesJson":"..." in v2)} [code] apache/spark
 * sql/core/.../streaming/state/OperatorStateMetadata.scala. */
int statelog_parse_opmeta(const char *text, size_t len, struct op_meta *out, struct st_err *err)
{
    memset(out, 0, sizeof *out);
    out->partitions = -1;
    const char *rest;
    size_t restlen;
    if (version_line(text, len, 2, &out->version, &rest, &restlen, err) < 0)
        return -1;
    cJSON *root = restlen ? cJSON_ParseWithLength(rest, restlen) : NULL;
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(root, "operatorInfo");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(info, "operatorName");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(info, "operatorId");
    int64_t opid = -1;
    if (!cJSON_IsString(name) || !*name->valuestring || !cJSON_IsNumber(id) ||
        !parse_double_to_i64(id->valuedouble, &opid) || opid < 0) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT,
                          "operator metadata without operatorInfo.operatorId and operatorName");
    }
    out->id = opid;
    out->name = sanitize_dup(name->valuestring, strnlen(name->valuestring, 128));
    const cJSON *stores = cJSON_GetObjectItemCaseSensitive(root, "stateStoreInfo");
    const cJSON *s;
    if (!cJSON_IsArray(stores))
        stores = NULL;
    cJSON_ArrayForEach(s, stores)
    {
        out->nstores++;
        const cJSON *np = cJSON_GetObjectItemCaseSensitive(s, "numPartitions");
        if (cJSON_IsNumber(np) && np->valuedouble >= 0 && np->valuedouble < 1e9 &&
            (int)np->valuedouble > out->partitions)
            out->partitions = (int)np->valuedouble;
    }
    cJSON_Delete(root);
    return 0;
}

static bool id_chars(const char *s, size_t n)
{
    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* State file names: HDFS-backed "<v>.delta"/"<v>.snapshot", RocksDB "<v>.zip"/"<v>.changelog"
 * [code] apache/spark sql/core/.../streaming/state/HDFSBackedStateStoreProvider.scala and
 * RocksDBFileManager.scala; with checkpoint format v2 "<v>_<uniqueId>.zip" etc., e.g.
 * "20_unique_id_1.zip", "21_unique_id_2.delta" [code] CommitLog.scala (the comment above
 * CommitMetadata). A checksum file is the main file's name plus ".crc" [code]
 * ChecksumCheckpointFileManager.scala (CHECKSUM_FILE_SUFFIX), so it never ends in a state
 * suffix. */
bool statelog_version_file(const char *base, int64_t *version)
{
    static const char *const suffixes[] = {".delta", ".snapshot", ".zip", ".changelog"};
    size_t n = strlen(base);
    for (size_t k = 0; k < sizeof suffixes / sizeof *suffixes; k++) {
        size_t m = strlen(suffixes[k]);
        if (n <= m || strcmp(base + n - m, suffixes[k]) != 0)
            continue;
        size_t stem = n - m;
        const char *us = memchr(base, '_', stem);
        size_t vlen = us ? (size_t)(us - base) : stem;
        if (us && !id_chars(us + 1, stem - vlen - 1))
            return false;
        return parse_digits(base, vlen, version);
    }
    return false;
}

/* "<batchId>_<uuid>" [code] OperatorStateMetadata.scala (deleteSchemaFiles splits the name at
 * "_" for the batch) and the 4.0 fixture spark-4.0.0-tws-avro (FORMATS.md a.9). */
bool statelog_schema_file(const char *base, int64_t *batch)
{
    const char *us = strchr(base, '_');
    if (!us || !id_chars(us + 1, strlen(us + 1)))
        return false;
    return parse_digits(base, (size_t)(us - base), batch);
}
