/* azure_list: List Blobs as a directory listing, several requests at once over one
 * http_batch. A recursive listing whose first page is not the last fans out over the
 * subdirectories of its prefix (a delimited listing of the level: its blobs are reported, each
 * of its prefixes is scanned on its own, up to SPLIT_DEPTH levels down); the first page, held
 * back until then, is dropped (List Blobs has no start-after). Every chain of pages runs
 * through the paging guard (net/paging.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "net/azure_internal.h"
#include "net/paging.h"

#define LIST_MAX_BYTES   (16u * 1024 * 1024)
#define DEFAULT_PARALLEL 8
#define SPLIT_DEPTH      2
#define LIST_MAX_PAGES   100000

enum task_kind { T_SCAN, T_SPLIT, T_LEVEL };

struct lister {
    struct http_batch *batch;
    struct az_cred cred;
    const char *url; /* (borrowed) the path listed, for messages */
    char *shown;     /* (owned) "abfss://container@host/" for messages about prefixes */
    struct azure_path path;
    size_t root_len;
    azure_visit_fn fn;
    void *ctx;
    size_t count, max_entries, pages;
    int rc;
    struct st_err *err;
    char page_size[16];
};

struct held {
    char *name;
    int64_t size, mtime;
};

struct task {
    struct lister *l;
    enum task_kind kind;
    char *prefix; /* ending in '/' (or "" for the container) */
    char *marker; /* or NULL */
    int depth, retries;
    bool hold; /* first page of a scan that may split: entries held back */
    struct held *held;
    size_t nheld, capheld;
    size_t page_entries, page_prefixes;
    struct paging pg;
};

static void task_free(struct task *t)
{
    free(t->prefix);
    free(t->marker);
    for (size_t i = 0; i < t->nheld; i++)
        free(t->held[i].name);
    free(t->held);
    paging_done(&t->pg);
    free(t);
}

static void lister_fail(struct lister *l)
{
    if (l->rc == 0)
        l->rc = -1;
    http_batch_stop(l->batch);
}

static void report(struct lister *l, const char *name, int64_t size, int64_t mtime, bool is_prefix)
{
    if (l->rc != 0)
        return;
    size_t nl = strlen(name);
    if (nl <= l->root_len)
        return;
    if (!is_prefix && name[nl - 1] == '/')
        return; /* a directory marker */
    if (++l->count > l->max_entries) {
        st_err_set(l->err, ST_ETOOBIG, "%s: more than %zu entries; listing stopped", l->url,
                   l->max_entries);
        lister_fail(l);
        return;
    }
    char *rel = xstrdup(name + l->root_len);
    size_t rl = strlen(rel);
    if (is_prefix && rl > 0 && rel[rl - 1] == '/')
        rel[rl - 1] = '\0';
    struct azure_blob b = {.name = rel, .size = size, .mtime_ms = mtime, .is_prefix = is_prefix};
    if (l->fn(&b, l->ctx)) {
        l->rc = 1;
        http_batch_stop(l->batch);
    }
    free(rel);
}

static void task_submit(struct task *t);

static struct task *task_new(struct lister *l, enum task_kind kind, const char *prefix, int depth)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->l = l;
    t->kind = kind;
    t->prefix = xstrdup(prefix);
    t->depth = depth;
    t->hold = kind == T_SCAN && depth < SPLIT_DEPTH && l->max_entries >= 1000;
    paging_init(&t->pg, l->url, LIST_MAX_PAGES, &l->pages);
    return t;
}

static void on_blob(void *ctx, const char *name, int64_t size, int64_t mtime, bool folder)
{
    struct task *t = ctx;
    t->page_entries++;
    if (folder)
        return; /* an ADLS Gen2 directory: its blobs are what counts */
    if (!t->hold) {
        report(t->l, name, size, mtime, false);
        return;
    }
    xgrow((void **)&t->held, &t->capheld, t->nheld + 1, sizeof *t->held);
    t->held[t->nheld++] = (struct held){xstrdup(name), size, mtime};
}

static void on_prefix(void *ctx, const char *name)
{
    struct task *t = ctx;
    t->page_entries++;
    if (t->kind == T_LEVEL) {
        report(t->l, name, -1, -1, true);
    } else if (t->kind == T_SPLIT && t->l->rc == 0) {
        t->page_prefixes++;
        task_submit(task_new(t->l, T_SCAN, name, t->depth + 1));
    }
}

/* Take one answered page: 0 (also when the visitor stopped), or -1 with l->err set. *marker
 * (heap, or NULL) is the continuation. */
static int page_take(struct task *t, int rc, const struct http_response *resp,
                     const struct st_err *herr, char **marker)
{
    struct lister *l = t->l;
    *marker = NULL;
    if (rc < 0) {
        *l->err = *herr;
        return st_err_prefix(l->err, "%s", l->url);
    }
    if (resp->status != 200) {
        az_answer_error(l->url, resp, l->err);
        if (l->err->code == ST_ENOENT)
            l->err->code = ST_EIO; /* a missing container is not an empty directory */
        return -1;
    }
    static const struct azure_page_fns fns = {on_blob, on_prefix};
    t->page_entries = t->page_prefixes = 0;
    if (azure_parse_list(resp->body.data, resp->body.len, &fns, t, marker, l->err) < 0)
        return st_err_prefix(l->err, "%s", l->url);
    if (l->rc != 0)
        return 0;
    if (t->kind == T_SPLIT && t->page_prefixes)
        log_debug("azure: %s%s: fan out over %zu prefixes", l->shown, t->prefix, t->page_prefixes);
    return paging_next(&t->pg, *marker, t->page_entries, l->err);
}

static void on_page(void *ctx, int rc, struct http_response *resp, struct st_err *herr)
{
    struct task *t = ctx;
    struct lister *l = t->l;
    if (l->rc == 0 && t->retries < AZ_MAX_RETRIES && az_retryable(rc, herr, resp)) {
        az_backoff(t->retries++);
        task_submit(t);
        return;
    }
    char *marker = NULL;
    if (l->rc == 0 && page_take(t, rc, resp, herr, &marker) < 0)
        lister_fail(l);
    if (l->rc == 0 && t->hold) {
        t->hold = false;
        if (marker) {
            /* a big listing: the level's blobs and one scan per subdirectory instead */
            task_submit(task_new(l, T_SPLIT, t->prefix, t->depth));
            free(marker);
            task_free(t);
            return;
        }
        for (size_t i = 0; i < t->nheld; i++)
            report(l, t->held[i].name, t->held[i].size, t->held[i].mtime, false);
    }
    if (l->rc != 0 || !marker) {
        free(marker);
        task_free(t);
        return;
    }
    free(t->marker);
    t->marker = marker;
    task_submit(t);
}

static void task_submit(struct task *t)
{
    struct lister *l = t->l;
    struct azure_param p[8];
    size_t n = 0;
    p[n++] = (struct azure_param){"restype", "container"};
    p[n++] = (struct azure_param){"comp", "list"};
    p[n++] = (struct azure_param){"include", "metadata"};
    if (*t->prefix)
        p[n++] = (struct azure_param){"prefix", t->prefix};
    if (t->kind != T_SCAN)
        p[n++] = (struct azure_param){"delimiter", "/"};
    if (t->marker)
        p[n++] = (struct azure_param){"marker", t->marker};
    if (*l->page_size)
        p[n++] = (struct azure_param){"maxresults", l->page_size};
    log_debug("azure: list %s%s%s%s", l->shown, t->prefix, t->kind == T_SCAN ? "" : " (delimited)",
              t->marker ? " (next page)" : "");
    struct az_req r;
    struct st_err e;
    if (az_req_init(&r, &l->cred, "GET", &l->path, false, p, n, NULL, &e) < 0) {
        *l->err = e;
        st_err_prefix(l->err, "%s", l->url);
        lister_fail(l);
        az_req_done(&r);
        task_free(t);
        return;
    }
    r.req.max_bytes = LIST_MAX_BYTES;
    http_batch_add(l->batch, &r.req, on_page, t);
    az_req_done(&r);
}

int azure_list(const char *url, bool recursive, size_t max_entries, azure_visit_fn fn, void *ctx,
               struct st_err *err)
{
    struct lister l = {.url = url, .fn = fn, .ctx = ctx, .max_entries = max_entries, .err = err};
    if (azure_split_url(url, &l.path, err) < 0)
        return -1;
    if (az_cred_get(&l.cred, err) < 0) {
        azure_path_done(&l.path);
        return st_err_prefix(err, "%s", url);
    }
    const char *sep = strstr(url, "://");
    const char *slash = strchr(sep + 3, '/');
    l.shown = slash ? xstrndup(url, (size_t)(slash - url) + 1) : xasprintf("%s/", url);
    size_t bl = strlen(l.path.blob);
    char *prefix =
        bl && l.path.blob[bl - 1] != '/' ? xasprintf("%s/", l.path.blob) : xstrdup(l.path.blob);
    l.root_len = strlen(prefix);
    if (max_entries < 1000)
        snprintf(l.page_size, sizeof l.page_size, "%zu", max_entries + 1);
    else if (az_page_size() > 0)
        snprintf(l.page_size, sizeof l.page_size, "%d", az_page_size());
    l.batch = http_batch_new(az_parallel() > 0 ? az_parallel() : DEFAULT_PARALLEL);
    task_submit(task_new(&l, recursive ? T_SCAN : T_LEVEL, prefix, 0));
    http_batch_run(l.batch);
    http_batch_free(l.batch);
    az_cred_done(&l.cred);
    azure_path_done(&l.path);
    free(l.shown);
    free(prefix);
    return l.rc < 0 ? -1 : 0;
}
