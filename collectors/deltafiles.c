/* The files of a _delta_log beside its commits. Names follow PROTOCOL.md "File Types": every
 * version is zero-padded to 20 digits; only <v>.json is a (published) commit. A UUID-named
 * checkpoint <v>.checkpoint.<uuid>.json|parquet (Checkpoints, "UUID-named checkpoint") and a
 * log-compaction file <x>.<y>.compacted.json ("Log Compaction Files") also end in .json but
 * are neither commits nor versions. */
#include "collectors/deltafiles.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"

/* 20 decimal digits at s (a version as PROTOCOL.md writes it) into *v. */
static bool version20(const char *s, int64_t *v)
{
    char num[21];
    for (int i = 0; i < 20; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    memcpy(num, s, 20);
    num[20] = '\0';
    /* versions up to 10^18 - 1 (int64 holds them; two leading zeros) */
    return num[0] == '0' && num[1] == '0' && parse_batch_name(num + 2, v);
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* 8-4-4-4-12 hex digits, as java.util.UUID prints them. */
static bool uuid36(const char *s)
{
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-'
                 : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

enum delta_file deltafiles_classify(const char *name, int64_t *v, int64_t *v_end)
{
    *v = *v_end = -1;
    if (strcmp(name, "_last_checkpoint") == 0)
        return DF_LAST_CHECKPOINT;
    size_t n = strlen(name);
    int64_t ver;
    if (n < 21 || name[20] != '.' || !version20(name, &ver))
        return DF_OTHER;
    const char *rest = name + 21;
    size_t rn = n - 21;
    enum delta_file kind = DF_OTHER;
    if (strcmp(rest, "json") == 0)
        kind = DF_COMMIT;
    else if (strcmp(rest, "crc") == 0)
        kind = DF_CRC;
    else if (strcmp(rest, "checkpoint.parquet") == 0)
        kind = DF_CHECKPOINT;
    else if (rn == 11 + 10 + 1 + 10 + 8 && str_prefix(rest, "checkpoint.") &&
             digits(rest + 11, 10) && rest[21] == '.' && digits(rest + 22, 10) &&
             strcmp(rest + 32, ".parquet") == 0)
        kind = DF_CHECKPOINT; /* multi-part: <o>.<p> zero-padded to 10 */
    else if (rn == 11 + 36 + 5 && str_prefix(rest, "checkpoint.") && uuid36(rest + 11) &&
             strcmp(rest + 47, ".json") == 0)
        kind = DF_CHECKPOINT_JSON;
    else if (rn == 11 + 36 + 8 && str_prefix(rest, "checkpoint.") && uuid36(rest + 11) &&
             strcmp(rest + 47, ".parquet") == 0)
        kind = DF_CHECKPOINT_V2;
    else if (rn == 20 + 15 && version20(rest, v_end) && strcmp(rest + 20, ".compacted.json") == 0)
        kind = *v_end > ver ? DF_COMPACTED : DF_OTHER; /* PROTOCOL.md: y must be greater */
    else if (rn == 36 + 5 && uuid36(rest) && strcmp(rest + 36, ".json") == 0)
        kind = DF_STAGED; /* _staged_commits/<v>.<uuid>.json */
    if (kind != DF_COMPACTED)
        *v_end = -1;
    if (kind != DF_OTHER)
        *v = ver;
    return kind;
}

void deltafiles_nonfile_init(struct delta_nonfile *nf)
{
    memset(nf, 0, sizeof *nf);
    nf->version = nf->txn_version = -1;
    nf->ict = -1;
}

void deltafiles_nonfile_done(struct delta_nonfile *nf)
{
    free(nf->schema);
    free(nf->table_id);
    deltafiles_nonfile_init(nf);
}

static bool names_feature(const cJSON *list)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, list)
    {
        /* catalogManaged since Delta 4.0; catalogOwned-preview before it */
        if (cJSON_IsString(f) && (strcmp(f->valuestring, "catalogManaged") == 0 ||
                                  strcmp(f->valuestring, "catalogOwned-preview") == 0))
            return true;
    }
    return false;
}

bool deltafiles_catalog_managed(const cJSON *protocol)
{
    return names_feature(cJSON_GetObjectItemCaseSensitive(protocol, "readerFeatures")) ||
           names_feature(cJSON_GetObjectItemCaseSensitive(protocol, "writerFeatures"));
}

int deltafiles_ict_enabled(const cJSON *metadata)
{
    /* PROTOCOL.md "In-Commit Timestamps": enabled when this table property is "true" */
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(metadata, "configuration"),
        "delta.enableInCommitTimestamps");
    return cJSON_IsString(p) && strcmp(p->valuestring, "true") == 0;
}

void deltafiles_take_action(const cJSON *action, const char *query_id, struct delta_nonfile *nf)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(action, "metaData");
    const cJSON *proto = cJSON_GetObjectItemCaseSensitive(action, "protocol");
    const cJSON *txn = cJSON_GetObjectItemCaseSensitive(action, "txn");
    if (cJSON_IsObject(md)) {
        const cJSON *ss = cJSON_GetObjectItemCaseSensitive(md, "schemaString");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(md, "id");
        if (cJSON_IsString(ss)) {
            free(nf->schema);
            nf->schema = xstrdup(ss->valuestring);
        }
        if (cJSON_IsString(id)) {
            free(nf->table_id);
            nf->table_id = xstrdup(id->valuestring);
        }
        nf->ict = deltafiles_ict_enabled(md);
    } else if (cJSON_IsObject(proto)) {
        nf->has_protocol = true;
        nf->catalog_managed = deltafiles_catalog_managed(proto);
    } else if (cJSON_IsObject(txn)) {
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(txn, "appId");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(txn, "version");
        int64_t v;
        if (cJSON_IsString(app) && cJSON_IsNumber(ver) &&
            parse_double_to_i64(ver->valuedouble, &v) && (double)v == ver->valuedouble &&
            (!query_id || strcmp(app->valuestring, query_id) == 0) &&
            (!nf->has_txn || v > nf->txn_version)) {
            nf->has_txn = true;
            nf->txn_version = v;
        }
    } else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(action, "checkpointMetadata"))) {
        nf->v2 = true;
    } else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(action, "sidecar"))) {
        nf->sidecars++;
    }
}

/* The line (n bytes, not NUL-terminated) starts with prefix. */
static bool line_starts(const char *line, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(line, prefix, k) == 0;
}

void deltafiles_parse_actions(const char *text, size_t len, const char *query_id,
                              struct delta_nonfile *nf)
{
    for (const char *line = text, *end = text + len; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const char *next = nl ? nl + 1 : end;
        /* file actions are most of a checkpoint without sidecars: not parsed */
        if (n > 7 && !line_starts(line, n, "{\"add\"") && !line_starts(line, n, "{\"remove\"")) {
            cJSON *o = cJSON_ParseWithLength(line, n);
            if (cJSON_IsObject(o))
                deltafiles_take_action(o, query_id, nf);
            cJSON_Delete(o);
        }
        line = next;
    }
}

void deltafiles_last_checkpoint_done(struct delta_last_checkpoint *lc)
{
    free(lc->v2_path);
    lc->v2_path = NULL;
    deltafiles_nonfile_done(&lc->nf);
}

int deltafiles_parse_last_checkpoint(const char *text, size_t len, const char *query_id,
                                     struct delta_last_checkpoint *lc, struct st_err *err)
{
    memset(lc, 0, sizeof *lc);
    lc->version = -1;
    deltafiles_nonfile_init(&lc->nf);
    cJSON *o = cJSON_ParseWithLength(text, len);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(o, "version");
    double d = cJSON_IsNumber(ver) ? ver->valuedouble : NAN;
    if (cJSON_IsString(ver) && parse_double(ver->valuestring, &d) < 0)
        d = NAN;
    int rc = 0;
    int64_t v;
    if (isnan(d)) {
        rc = st_err_set(err, ST_EFORMAT, "no version in it");
    } else if (!parse_double_to_i64(d, &v) || v < 0 || (double)v != d) {
        rc = st_err_set(err, ST_EFORMAT, "version %g is not a commit number", d);
    } else {
        lc->version = v;
        lc->nf.version = v;
        /* LastCheckpointInfo.scala: v2Checkpoint {path, sizeInBytes, modificationTime,
         * nonFileActions (all of the checkpoint's non-file actions, or absent), sidecarFiles} */
        const cJSON *v2 = cJSON_GetObjectItemCaseSensitive(o, "v2Checkpoint");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(v2, "path");
        const cJSON *nfa = cJSON_GetObjectItemCaseSensitive(v2, "nonFileActions");
        if (v2 && !cJSON_IsNull(v2)) {
            if (!cJSON_IsObject(v2) || !cJSON_IsString(path) || strchr(path->valuestring, '/') ||
                (nfa && !cJSON_IsNull(nfa) && !cJSON_IsArray(nfa))) {
                rc = st_err_set(err, ST_EFORMAT,
                                "v2Checkpoint is not an object with a file name as path and an "
                                "array as nonFileActions");
            } else {
                lc->v2_path = xstrdup(path->valuestring);
                if (cJSON_IsArray(nfa)) {
                    const cJSON *a;
                    cJSON_ArrayForEach(a, nfa) deltafiles_take_action(a, query_id, &lc->nf);
                    lc->has_nonfile = true;
                    lc->nf.has_txns = true; /* all of them, or none at all */
                }
            }
        }
    }
    cJSON_Delete(o);
    if (rc < 0)
        deltafiles_last_checkpoint_done(lc);
    return rc;
}
