/* A Delta version checksum read member by member. The file may hold every AddFile of the
 * table (allFiles), so only metadata and setTransactions are handed to cJSON; the rest is
 * stepped over with a scanner that keeps no more than a bracket count, and the caller may give
 * only the first bytes of a file that is over its cap. */
#include "collectors/deltacrc.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"

void deltacrc_init(struct delta_crc *c)
{
    memset(c, 0, sizeof *c);
    c->txn_version = -1;
}

void deltacrc_done(struct delta_crc *c)
{
    free(c->schema);
    free(c->table_id);
    deltacrc_init(c);
}

enum step { STEP_OK, STEP_END, STEP_BAD }; /* STEP_END: the text ran out first */

static size_t skip_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
        i++;
    return i;
}

/* t[*i] is the opening quote; leave *i just past the closing one. */
static enum step skip_string(const char *t, size_t len, size_t *i)
{
    for (size_t k = *i + 1; k < len; k++) {
        if (t[k] == '\\')
            k++;
        else if (t[k] == '"') {
            *i = k + 1;
            return STEP_OK;
        }
    }
    return STEP_END;
}

/* Step over one JSON value starting at *i. Containers are matched by count only (cJSON checks
 * the two members that are parsed). */
static enum step skip_value(const char *t, size_t len, size_t *i)
{
    if (*i >= len)
        return STEP_END;
    char c = t[*i];
    if (c == '"')
        return skip_string(t, len, i);
    if (c == '{' || c == '[') {
        size_t depth = 0;
        for (size_t k = *i; k < len; k++) {
            if (t[k] == '"') {
                if (skip_string(t, len, &k) != STEP_OK)
                    return STEP_END;
                k--; /* the loop steps past the closing quote */
            } else if (t[k] == '{' || t[k] == '[') {
                depth++;
            } else if (t[k] == '}' || t[k] == ']') {
                if (--depth == 0) {
                    *i = k + 1;
                    return STEP_OK;
                }
            }
        }
        return STEP_END;
    }
    if (c == '}' || c == ']' || c == ',' || c == ':')
        return STEP_BAD;
    size_t k = *i;
    while (k < len && !strchr(",}] \t\r\n", t[k]) && t[k] != '\0')
        k++;
    if (k == len)
        return STEP_END; /* a number cut by the cap may go on */
    *i = k;
    return STEP_OK;
}

static int take_metadata(const cJSON *md, struct delta_crc *c, struct st_err *err)
{
    const cJSON *ss = cJSON_GetObjectItemCaseSensitive(md, "schemaString");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(md, "id");
    if (!cJSON_IsObject(md) || !cJSON_IsString(ss))
        return st_err_set(err, ST_EFORMAT, "metadata is not an object with a schemaString");
    c->has_metadata = true;
    c->schema = xstrdup(ss->valuestring);
    if (cJSON_IsString(id))
        c->table_id = xstrdup(id->valuestring);
    return 0;
}

static int take_txns(const cJSON *txns, const char *query_id, struct delta_crc *c,
                     struct st_err *err)
{
    if (cJSON_IsNull(txns))
        return 0; /* as if absent */
    if (!cJSON_IsArray(txns))
        return st_err_set(err, ST_EFORMAT, "setTransactions is not an array");
    c->has_txns = true;
    int i = 0;
    for (const cJSON *t = txns->child; t; t = t->next, i++) {
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(t, "appId");
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(t, "version");
        int64_t v;
        if (!cJSON_IsString(app) || !cJSON_IsNumber(ver) ||
            !parse_double_to_i64(ver->valuedouble, &v) || (double)v != ver->valuedouble)
            return st_err_set(err, ST_EFORMAT,
                              "setTransactions[%d] has no appId and whole version number", i);
        if (query_id && strcmp(app->valuestring, query_id) != 0)
            continue;
        /* one entry per appId in what Delta writes; the highest if a file has more */
        if (!query_id || !c->has_txn || v > c->txn_version)
            c->txn_version = v;
        c->has_txn = true;
    }
    return 0;
}

static bool key_is(const char *t, size_t start, size_t end, const char *name)
{
    size_t n = strlen(name);
    return end - start == n + 2 && memcmp(t + start + 1, name, n) == 0;
}

int deltacrc_parse(const char *text, size_t len, const char *query_id, struct delta_crc *c,
                   struct st_err *err)
{
    size_t i = skip_ws(text, len, 0);
    if (i >= len || text[i] != '{')
        return st_err_set(err, ST_EFORMAT, "not a JSON object");
    i = skip_ws(text, len, i + 1);
    if (i < len && text[i] == '}') {
        c->seen_all = true;
        return 0;
    }
    bool txns_seen = false;
    for (;;) {
        if (i >= len)
            return 0;
        if (text[i] != '"')
            return st_err_set(err, ST_EFORMAT, "not JSON at byte %zu (a member name expected)", i);
        size_t key = i;
        if (skip_string(text, len, &i) != STEP_OK)
            return 0;
        size_t key_end = i;
        i = skip_ws(text, len, i);
        if (i >= len)
            return 0;
        if (text[i] != ':')
            return st_err_set(err, ST_EFORMAT, "not JSON at byte %zu (':' expected)", i);
        i = skip_ws(text, len, i + 1);
        size_t value = i;
        enum step s = skip_value(text, len, &i);
        if (s == STEP_END)
            return 0;
        if (s == STEP_BAD)
            return st_err_set(err, ST_EFORMAT, "not JSON at byte %zu (a value expected)", value);
        bool md = !c->has_metadata && key_is(text, key, key_end, "metadata");
        bool tx = !txns_seen && key_is(text, key, key_end, "setTransactions");
        if (md || tx) {
            cJSON *o = cJSON_ParseWithLength(text + value, i - value);
            if (!o)
                return st_err_set(err, ST_EFORMAT, "%s at byte %zu is not JSON",
                                  md ? "metadata" : "setTransactions", value);
            int rc = md ? take_metadata(o, c, err) : take_txns(o, query_id, c, err);
            cJSON_Delete(o);
            if (rc < 0)
                return -1;
            txns_seen |= tx;
        }
        if (c->has_metadata && txns_seen) {
            c->seen_all = true;
            return 0;
        }
        i = skip_ws(text, len, i);
        if (i >= len)
            return 0;
        if (text[i] == '}') {
            c->seen_all = true;
            return 0;
        }
        if (text[i] != ',')
            return st_err_set(err, ST_EFORMAT, "not JSON at byte %zu (',' or '}' expected)", i);
        i = skip_ws(text, len, i + 1);
    }
}
