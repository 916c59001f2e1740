#include "collectors/structtype.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "core/xalloc.h"

void sfields_init(struct sfields *f)
{
    memset(f, 0, sizeof *f);
}

void sfields_done(struct sfields *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i].path);
        free(f->v[i].type);
    }
    free(f->v);
    sfields_init(f);
}

static void add(struct sfields *f, const char *path, const char *type, bool nullable)
{
    xgrow((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v);
    f->v[f->n++] = (struct sfield){xstrdup(path), xstrdup(type), nullable};
}

static bool primitive(const char *t)
{
    static const char *const names[] = {
        "string", "long",    "integer",          "int",  "short",     "byte",          "double",
        "float",  "boolean", "binary",           "date", "timestamp", "timestamp_ntz", "null",
        "void",   "variant", "calendarinterval", NULL};
    for (size_t i = 0; names[i]; i++)
        if (strcmp(t, names[i]) == 0)
            return true;
    return str_prefix(t, "decimal(") || str_prefix(t, "char(") || str_prefix(t, "varchar(") ||
           str_prefix(t, "interval ") || str_prefix(t, "geometry") || str_prefix(t, "geography");
}

static int walk_type(const cJSON *type, const char *path, bool nullable, struct sfields *out,
                     struct st_err *err, int depth);

/* A short name for a type, as it appears inside array<...> and map<...>. */
static char *type_name(const cJSON *type)
{
    if (cJSON_IsString(type))
        return xstrdup(type->valuestring);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(type, "type");
    if (!cJSON_IsString(t))
        return xstrdup("?");
    if (strcmp(t->valuestring, "array") == 0) {
        char *e = type_name(cJSON_GetObjectItemCaseSensitive(type, "elementType"));
        char *s = xasprintf("array<%s>", e);
        free(e);
        return s;
    }
    if (strcmp(t->valuestring, "map") == 0) {
        char *k = type_name(cJSON_GetObjectItemCaseSensitive(type, "keyType"));
        char *v = type_name(cJSON_GetObjectItemCaseSensitive(type, "valueType"));
        char *s = xasprintf("map<%s,%s>", k, v);
        free(k);
        free(v);
        return s;
    }
    if (strcmp(t->valuestring, "udt") == 0) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(type, "class");
        return xasprintf("udt(%s)", cJSON_IsString(c) ? c->valuestring : "?");
    }
    return xstrdup(t->valuestring);
}

static int walk_struct(const cJSON *st, const char *prefix, struct sfields *out, struct st_err *err,
                       int depth)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(st, "fields");
    if (!cJSON_IsArray(fields))
        return st_err_set(err, ST_EFORMAT, "%s: struct without a fields array",
                          *prefix ? prefix : "schema");
    const cJSON *f;
    cJSON_ArrayForEach(f, fields)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
        const cJSON *nullable = cJSON_GetObjectItemCaseSensitive(f, "nullable");
        if (!cJSON_IsString(name))
            return st_err_set(err, ST_EFORMAT, "%s: field without a name",
                              *prefix ? prefix : "schema");
        char *clean = sanitize_dup(name->valuestring, strlen(name->valuestring));
        char *path = *prefix ? xasprintf("%s.%s", prefix, clean) : xstrdup(clean);
        free(clean);
        int rc = walk_type(cJSON_GetObjectItemCaseSensitive(f, "type"), path,
                           !cJSON_IsFalse(nullable), out, err, depth + 1);
        free(path);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int walk_type(const cJSON *type, const char *path, bool nullable, struct sfields *out,
                     struct st_err *err, int depth)
{
    if (depth > 64)
        return st_err_set(err, ST_EFORMAT, "%s: nested too deeply", path);
    if (cJSON_IsString(type)) {
        if (!primitive(type->valuestring)) {
            char *clean = sanitize_dup(type->valuestring, strlen(type->valuestring));
            st_err_set(err, ST_EFORMAT, "%s: unknown type '%s'", path, clean);
            free(clean);
            return -1;
        }
        add(out, path, type->valuestring, nullable);
        return 0;
    }
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(type, "type");
    if (!cJSON_IsString(t))
        return st_err_set(err, ST_EFORMAT, "%s: type is neither a name nor an object", path);
    char *name = type_name(type);
    add(out, path, name, nullable);
    free(name);
    int rc = 0;
    if (strcmp(t->valuestring, "struct") == 0) {
        rc = walk_struct(type, path, out, err, depth);
    } else if (strcmp(t->valuestring, "array") == 0) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(type, "elementType");
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(type, "containsNull");
        char *sub = xasprintf("%s[]", path);
        if (!cJSON_IsString(e))
            rc = walk_type(e, sub, !cJSON_IsFalse(cn), out, err, depth + 1);
        else if (!primitive(e->valuestring))
            rc = st_err_set(err, ST_EFORMAT, "%s: unknown type '%s'", sub, e->valuestring);
        free(sub);
    } else if (strcmp(t->valuestring, "map") == 0) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(type, "valueType");
        const cJSON *vn = cJSON_GetObjectItemCaseSensitive(type, "valueContainsNull");
        char *sub = xasprintf("%s{}", path);
        if (!cJSON_IsString(v))
            rc = walk_type(v, sub, !cJSON_IsFalse(vn), out, err, depth + 1);
        else if (!primitive(v->valuestring))
            rc = st_err_set(err, ST_EFORMAT, "%s: unknown type '%s'", sub, v->valuestring);
        free(sub);
    } else if (strcmp(t->valuestring, "udt") != 0) {
        rc = st_err_set(err, ST_EFORMAT, "%s: unknown type '%s'", path, t->valuestring);
    }
    return rc;
}

static int parse_struct_text(const char *text, size_t n, struct sfields *out, struct st_err *err)
{
    cJSON *root = cJSON_ParseWithLength(text, n);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "schema is not JSON");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
    int rc;
    if (cJSON_IsString(t) && strcmp(t->valuestring, "struct") == 0)
        rc = walk_struct(root, "", out, err, 0);
    else
        rc = st_err_set(err, ST_EFORMAT, "not a StructType (no \"type\":\"struct\")");
    cJSON_Delete(root);
    return rc;
}

int structtype_parse(const char *text, size_t n, struct sfields *out, struct st_err *err)
{
    sfields_init(out);
    /* an optional version line */
    if (n >= 3 && text[0] == 'v' && memchr(text, '\n', n)) {
        const char *nl = memchr(text, '\n', n);
        bool version = nl - text < 8;
        for (const char *p = text + 1; version && p < nl; p++)
            version = (*p >= '0' && *p <= '9') || *p == '\r';
        if (version) {
            n -= (size_t)(nl + 1 - text);
            text = nl + 1;
        }
    }
    cJSON *root = cJSON_ParseWithLength(text, n);
    if (!root)
        return st_err_set(err, ST_EFORMAT, "schema file is not JSON");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "dataSchemaJson");
    const cJSON *part = cJSON_GetObjectItemCaseSensitive(root, "partitionSchemaJson");
    int rc;
    if (cJSON_IsString(data)) {
        rc = parse_struct_text(data->valuestring, strlen(data->valuestring), out, err);
        if (rc == 0 && cJSON_IsString(part))
            rc = parse_struct_text(part->valuestring, strlen(part->valuestring), out, err);
    } else {
        cJSON_Delete(root);
        return parse_struct_text(text, n, out, err) < 0 ? (sfields_done(out), -1) : 0;
    }
    cJSON_Delete(root);
    if (rc < 0)
        sfields_done(out);
    return rc;
}

static const struct sfield *find(const struct sfields *f, const char *path)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i].path, path) == 0)
            return &f->v[i];
    return NULL;
}

/* Is path inside parent ("a.b" in "a", "a[].x" in "a", "m{}" in "m")? */
static bool inside(const char *path, const char *parent)
{
    size_t n = strlen(parent);
    return parent[0] && strncmp(path, parent, n) == 0 &&
           (path[n] == '.' || path[n] == '[' || path[n] == '{');
}

void structtype_diff(const struct sfields *old, const struct sfields *neu, struct strvec *out)
{
    const char *last_added = "";
    for (size_t i = 0; i < neu->n; i++) {
        const struct sfield *n = &neu->v[i];
        const struct sfield *o = find(old, n->path);
        if (!o && inside(n->path, last_added))
            continue; /* the whole new struct is one change */
        if (!o) {
            strvec_pushf(out, "+ %s: %s", n->path, n->type);
            last_added = n->path;
        } else if (strcmp(o->type, n->type) != 0)
            strvec_pushf(out, "~ %s: %s -> %s", n->path, o->type, n->type);
        else if (o->nullable != n->nullable)
            strvec_pushf(out, "~ %s: %s -> %s", n->path, o->nullable ? "nullable" : "not null",
                         n->nullable ? "nullable" : "not null");
    }
    const char *last_removed = "";
    for (size_t i = 0; i < old->n; i++) {
        if (find(neu, old->v[i].path) || inside(old->v[i].path, last_removed))
            continue;
        strvec_pushf(out, "- %s: %s", old->v[i].path, old->v[i].type);
        last_removed = old->v[i].path;
    }
}

void structtype_lines(const struct sfields *f, struct strvec *out)
{
    for (size_t i = 0; i < f->n; i++)
        strvec_pushf(out, "%s: %s%s", f->v[i].path, f->v[i].type,
                     f->v[i].nullable ? "" : " not null");
}

/* "path: type[ not null]" back to a field: the path ends at the last ": " (types have none) */
static void from_lines(const struct strvec *lines, struct sfields *f)
{
    static const char nn[] = " not null";
    for (size_t i = 0; i < lines->n; i++) {
        const char *l = lines->v[i], *sep = NULL;
        for (const char *p = strstr(l, ": "); p; p = strstr(p + 1, ": "))
            sep = p;
        if (!sep)
            continue;
        char *path = xstrndup(l, (size_t)(sep - l)), *type = xstrdup(sep + 2);
        size_t n = strlen(type);
        bool nullable = !(n > sizeof nn - 1 && strcmp(type + n - (sizeof nn - 1), nn) == 0);
        if (!nullable)
            type[n - (sizeof nn - 1)] = '\0';
        add(f, path, type, nullable);
        free(path);
        free(type);
    }
}

void structtype_diff_lines(const struct strvec *old, const struct strvec *neu, struct strvec *out)
{
    struct sfields o, n;
    sfields_init(&o);
    sfields_init(&n);
    from_lines(old, &o);
    from_lines(neu, &n);
    structtype_diff(&o, &n, out);
    sfields_done(&o);
    sfields_done(&n);
}

void sfields_put(struct buf *b, const struct sfields *f)
{
    buf_put_u32(b, (uint32_t)f->n);
    for (size_t i = 0; i < f->n; i++) {
        buf_put_name(b, f->v[i].path);
        buf_put_name(b, f->v[i].type);
        unsigned char nullable = f->v[i].nullable;
        buf_append(b, &nullable, 1);
    }
}

void sfields_take(struct buf_reader *r, struct sfields *out, size_t max)
{
    uint32_t n = buf_take_u32(r);
    if (n > r->left / 9) /* path and type lengths and the nullable byte */
        r->bad = true;
    for (uint32_t i = 0; i < n && !r->bad; i++) {
        char *path = buf_take_name(r, max), *type = buf_take_name(r, max);
        unsigned char nullable = 0;
        buf_take_into(r, &nullable, 1);
        if (!path || !type || nullable > 1) {
            free(path);
            free(type);
            r->bad = true;
            break;
        }
        xgrow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v);
        out->v[out->n++] = (struct sfield){.path = path, .type = type, .nullable = nullable != 0};
    }
}
