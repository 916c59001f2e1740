/* dbx_fs: /Volumes paths through the Files API and /dbfs paths through the DBFS API, as a
 * listing (folders listed several at once over one http_batch, each folder's pages through the
 * paging guard), a stat and a ranged read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "net/dbx_internal.h"
#include "net/paging.h"

#define LIST_MAX_BYTES (16u * 1024 * 1024)
#define LIST_MAX_PAGES 100000
#define PAGE_SIZE      "1000"
/* the DBFS API's limit for one read */
#define DBFS_READ_MAX (1024 * 1024)
/* a server that ignores Range is read whole up to this */
#define WHOLE_MAX_BYTES (64u * 1024 * 1024)

enum dbx_api dbx_api_of(const char *path)
{
    if (str_prefix(path, "/Volumes/") || strcmp(path, "/Volumes") == 0)
        return DBX_FILES;
    if (str_prefix(path, "/dbfs/") || strcmp(path, "/dbfs") == 0)
        return DBX_DBFS;
    return DBX_NONE;
}

/* The path as the API names it: /Volumes/... as is, /dbfs/x as /x; no trailing '/'. */
static char *api_path(const char *path)
{
    const char *p = dbx_api_of(path) == DBX_DBFS ? path + 5 : path;
    char *s = xstrdup(*p ? p : "/");
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        s[--n] = '\0';
    return s;
}

/* ---- listing --------------------------------------------------------------------------- */

struct lister {
    struct http_batch *batch;
    struct dbx_ctx ctx;
    const char *path; /* (borrowed) as given, for messages */
    enum dbx_api api;
    bool recursive;
    dbx_visit_fn fn;
    void *vctx;
    size_t count, max_entries;
    size_t pages;
    int rc;
    struct st_err *err;
    struct task *tasks; /* every task of the listing (a stopped batch drops queued requests
                           without their callbacks: they are freed at the end, not there) */
};

struct task {
    struct lister *l;
    char *dir; /* the folder as the API names it */
    char *rel; /* its name relative to the listed path, "" for the root */
    char *token;
    int attempt;
    int64_t deadline; /* monotonic ms: the request and its retries */
    struct paging pg;
    size_t page_entries;
    struct task *next; /* in the lister's list */
};

static void task_submit(struct task *t);

static void lister_fail(struct lister *l)
{
    if (l->rc == 0)
        l->rc = -1;
    http_batch_stop(l->batch);
}

static struct task *task_new(struct lister *l, const char *dir, const char *rel)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->l = l;
    t->dir = xstrdup(dir);
    t->rel = xstrdup(rel);
    paging_init(&t->pg, l->path, LIST_MAX_PAGES, &l->pages);
    t->next = l->tasks;
    l->tasks = t;
    return t;
}

static void task_free(struct task *t)
{
    free(t->dir);
    free(t->rel);
    free(t->token);
    paging_done(&t->pg);
    free(t);
}

static void on_entry(void *vctx, const char *name, bool is_dir, int64_t size, int64_t mtime)
{
    struct task *t = vctx;
    struct lister *l = t->l;
    if (l->rc != 0)
        return;
    t->page_entries++;
    if (l->api == DBX_DBFS) {
        /* DBFS gives full paths: keep those directly in the listed folder */
        size_t n = strlen(t->dir);
        if (strcmp(t->dir, "/") == 0)
            n = 0;
        if (strncmp(name, t->dir, n) != 0 || name[n] != '/' || !name[n + 1] ||
            strchr(name + n + 1, '/'))
            return;
        name += n + 1;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            return;
    }
    char *rel = *t->rel ? xasprintf("%s/%s", t->rel, name) : xstrdup(name);
    if (l->recursive && is_dir) {
        char *dir =
            strcmp(t->dir, "/") == 0 ? xasprintf("/%s", name) : xasprintf("%s/%s", t->dir, name);
        task_submit(task_new(l, dir, rel));
        free(dir);
        free(rel);
        return;
    }
    if (++l->count > l->max_entries) {
        st_err_set(l->err, ST_ETOOBIG, "%s: more than %zu entries; listing stopped", l->path,
                   l->max_entries);
        lister_fail(l);
        free(rel);
        return;
    }
    struct dbx_entry e = {.name = rel, .size = size, .mtime_ms = mtime, .is_dir = is_dir};
    if (l->fn(&e, l->vctx)) {
        l->rc = 1; /* stopped by the visitor: not an error */
        http_batch_stop(l->batch);
    }
    free(rel);
}

/* What a folder of the listing is called in messages: the listed path, or a folder below it. */
static char *shown_dir(const struct task *t)
{
    return *t->rel ? xasprintf("%s/%s", t->l->path, t->rel) : xstrdup(t->l->path);
}

static void on_page(void *vctx, int rc, struct http_response *resp, struct st_err *herr)
{
    struct task *t = vctx;
    struct lister *l = t->l;
    if (l->rc != 0)
        return;
    if (dbx_retryable(rc, herr, resp) &&
        dbx_backoff(rc == 0 ? resp : NULL, t->attempt, t->deadline)) {
        t->attempt++;
        task_submit(t);
        return;
    }
    char *shown = shown_dir(t);
    char *token = NULL;
    if (rc < 0) {
        *l->err = *herr;
        st_err_prefix(l->err, "%s", shown);
        lister_fail(l);
    } else if (resp->status == 404 && *t->rel) {
        /* a folder that went away while the listing ran: nothing below it waits */
        log_debug("databricks: %s went away during the listing", shown);
    } else if (resp->status != 200) {
        dbx_answer_error(shown, resp, l->err);
        if (*t->rel && l->err->code == ST_ENOENT)
            l->err->code = ST_EIO;
        lister_fail(l);
    } else {
        t->page_entries = 0;
        int n =
            l->api == DBX_FILES
                ? dbx_parse_dir_page(resp->body.data, resp->body.len, on_entry, t, &token, l->err)
                : dbx_parse_dbfs_list(resp->body.data, resp->body.len, on_entry, t, l->err);
        if (n < 0) {
            st_err_prefix(l->err, "%s", shown);
            lister_fail(l);
        } else if (l->rc == 0 && paging_next(&t->pg, token, t->page_entries, l->err) < 0) {
            lister_fail(l);
        }
    }
    free(shown);
    if (l->rc == 0 && token) {
        free(t->token);
        t->token = token;
        t->attempt = 0;
        task_submit(t); /* the next page */
        return;
    }
    free(token);
}

static void task_submit(struct task *t)
{
    struct lister *l = t->l;
    struct buf q;
    buf_init(&q);
    char *url;
    if (l->api == DBX_FILES) {
        dbx_query_add(&q, "page_size", PAGE_SIZE);
        if (t->token)
            dbx_query_add(&q, "page_token", t->token);
        url = dbx_url(&l->ctx, "/api/2.0/fs/directories", t->dir, buf_str(&q));
    } else {
        dbx_query_add(&q, "path", t->dir);
        url = dbx_url(&l->ctx, "/api/2.0/dbfs/list", NULL, buf_str(&q));
    }
    buf_done(&q);
    if (t->attempt == 0)
        t->deadline = clock_mono_ms() + l->ctx.timeout_ms;
    log_debug("databricks: list %s%s%s", l->api == DBX_FILES ? "" : "dbfs:", t->dir,
              t->token ? " (next page)" : "");
    struct http_request req;
    dbx_request_init(&l->ctx, &req, url, NULL, LIST_MAX_BYTES, t->deadline - clock_mono_ms());
    http_batch_add(l->batch, &req, on_page, t);
    free(url);
}

int dbx_list(const char *path, bool recursive, size_t max_entries, dbx_visit_fn fn, void *ctx,
             struct st_err *err)
{
    struct lister l = {.path = path,
                       .api = dbx_api_of(path),
                       .recursive = recursive,
                       .fn = fn,
                       .vctx = ctx,
                       .max_entries = max_entries,
                       .err = err};
    if (l.api == DBX_NONE)
        return st_err_set(err, ST_EFAIL, "%s: not a /Volumes or /dbfs path", path);
    if (dbx_ctx_init(&l.ctx, err) < 0) {
        dbx_ctx_done(&l.ctx);
        return st_err_prefix(err, "%s", path);
    }
    char *dir = api_path(path);
    l.batch = http_batch_new(dbx_parallel());
    task_submit(task_new(&l, dir, ""));
    http_batch_run(l.batch);
    http_batch_free(l.batch);
    while (l.tasks) {
        struct task *t = l.tasks;
        l.tasks = t->next;
        task_free(t);
    }
    free(dir);
    dbx_ctx_done(&l.ctx);
    if (l.rc < 0 && err->code != ST_ENOENT && err->code != ST_ESTOPPED &&
        !strstr(err->msg, "listing incomplete"))
        st_err_prefix(err, "listing incomplete");
    return l.rc < 0 ? -1 : 0;
}

/* ---- stat and read --------------------------------------------------------------------- */

static int dbfs_status(const struct dbx_ctx *c, const char *path, const char *ap, bool *is_dir,
                       int64_t *size, int64_t *mtime, struct st_err *err)
{
    struct buf q;
    buf_init(&q);
    dbx_query_add(&q, "path", ap);
    char *url = dbx_url(c, "/api/2.0/dbfs/get-status", NULL, buf_str(&q));
    buf_done(&q);
    struct http_response resp;
    http_response_init(&resp);
    int rc = dbx_call(c, path, "GET", url, NULL, 64 * 1024, &resp, err);
    if (rc == 0 && resp.status != 200)
        rc = dbx_answer_error(path, &resp, err);
    else if (rc == 0 &&
             dbx_parse_dbfs_status(resp.body.data, resp.body.len, is_dir, size, mtime, err) < 0)
        rc = st_err_prefix(err, "%s", path);
    http_response_done(&resp);
    free(url);
    return rc;
}

/* The total of a Content-Range ("bytes a-b/total", or "bytes *\/total" with a 416), or -1. */
static int64_t range_total(const struct http_response *r)
{
    char cr[128];
    int64_t total;
    if (http_header(r, "Content-Range", cr, sizeof cr) < 0)
        return -1;
    const char *slash = strrchr(cr, '/');
    return slash && parse_int64(slash + 1, &total) == 0 && total >= 0 ? total : -1;
}

/* The error body of a failed HEAD (which has none): the same request as a GET of one byte. */
static int head_error(const struct dbx_ctx *c, const char *path, const char *url,
                      const struct http_response *head, struct st_err *err)
{
    struct http_response resp;
    http_response_init(&resp);
    if (dbx_call(c, path, "GET", url, "bytes=0-0", 64 * 1024, &resp, err) == 0 &&
        resp.status == head->status)
        dbx_answer_error(path, &resp, err);
    else
        dbx_answer_error(path, head, err);
    http_response_done(&resp);
    return -1;
}

static int files_stat(const struct dbx_ctx *c, const char *path, const char *ap, bool *is_dir,
                      int64_t *size, int64_t *mtime, struct st_err *err)
{
    char *url = dbx_url(c, "/api/2.0/fs/files", ap, "");
    struct http_response resp;
    http_response_init(&resp);
    int rc = dbx_call(c, path, "HEAD", url, NULL, 0, &resp, err);
    char cl[32];
    if (rc == 0 && resp.status == 200) {
        *is_dir = false;
        *size =
            http_header(&resp, "Content-Length", cl, sizeof cl) == 0 && parse_int64(cl, size) == 0
                ? *size
                : -1;
        *mtime = resp.filetime_ms;
    } else if (rc == 0 && resp.status == 404) {
        char *durl = dbx_url(c, "/api/2.0/fs/directories", ap, "");
        rc = dbx_call(c, path, "HEAD", durl, NULL, 0, &resp, err);
        if (rc == 0 && resp.status == 200) {
            *is_dir = true;
            *size = 0;
            *mtime = -1;
        } else if (rc == 0) {
            rc = resp.status == 404 ? dbx_answer_error(path, &resp, err)
                                    : head_error(c, path, durl, &resp, err);
        }
        free(durl);
    } else if (rc == 0) {
        rc = head_error(c, path, url, &resp, err);
    }
    http_response_done(&resp);
    free(url);
    return rc;
}

int dbx_stat(const char *path, int64_t *size, int64_t *mtime_ms, bool *is_dir, struct st_err *err)
{
    enum dbx_api api = dbx_api_of(path);
    if (api == DBX_NONE)
        return st_err_set(err, ST_EFAIL, "%s: not a /Volumes or /dbfs path", path);
    struct dbx_ctx c;
    if (dbx_ctx_init(&c, err) < 0) {
        dbx_ctx_done(&c);
        return st_err_prefix(err, "%s", path);
    }
    char *ap = api_path(path);
    int rc = api == DBX_FILES ? files_stat(&c, path, ap, is_dir, size, mtime_ms, err)
                              : dbfs_status(&c, path, ap, is_dir, size, mtime_ms, err);
    free(ap);
    dbx_ctx_done(&c);
    return rc;
}

static int files_get(const struct dbx_ctx *c, const char *path, const char *ap, int64_t offset,
                     size_t len, struct buf *out, int64_t *size, int64_t *mtime, struct st_err *err)
{
    char *url = dbx_url(c, "/api/2.0/fs/files", ap, "");
    char range[80];
    snprintf(range, sizeof range, "bytes=%lld-%lld", (long long)offset,
             (long long)(offset + (int64_t)len - 1));
    /* room for the whole file (bounded), for a server that ignores Range */
    size_t cap = len > WHOLE_MAX_BYTES ? len : WHOLE_MAX_BYTES;
    struct http_response resp;
    http_response_init(&resp);
    int rc = dbx_call(c, path, "GET", url, range, cap, &resp, err);
    if (rc < 0 && err->code == ST_ETOOBIG)
        st_err_set(err, ST_ETOOBIG,
                   "%s: the server did not honour Range, and the file is larger than the %zu "
                   "bytes read whole",
                   path, cap);
    else if (rc == 0 && resp.status == 206) {
        int64_t total = range_total(&resp);
        *size = total;
        *mtime = resp.filetime_ms;
        buf_append(out, resp.body.data, resp.body.len > len ? len : resp.body.len);
    } else if (rc == 0 && resp.status == 200) {
        /* Range not honoured: the whole file, read within the bound */
        *size = (int64_t)resp.body.len;
        *mtime = resp.filetime_ms;
        if (offset < (int64_t)resp.body.len) {
            size_t n = resp.body.len - (size_t)offset;
            buf_append(out, resp.body.data + offset, n > len ? len : n);
        }
    } else if (rc == 0 && resp.status == 416) {
        *size = range_total(&resp);
        *mtime = resp.filetime_ms;
    } else if (rc == 0) {
        rc = dbx_answer_error(path, &resp, err);
    }
    http_response_done(&resp);
    free(url);
    return rc;
}

static int dbfs_get(const struct dbx_ctx *c, const char *path, const char *ap, int64_t offset,
                    size_t len, struct buf *out, int64_t *size, int64_t *mtime, struct st_err *err)
{
    bool dir;
    if (dbfs_status(c, path, ap, &dir, size, mtime, err) < 0)
        return -1;
    if (dir)
        return st_err_set(err, ST_EFAIL, "%s: is a folder", path);
    int64_t end = *size;
    if (len < (size_t)INT64_MAX && offset + (int64_t)len < end)
        end = offset + (int64_t)len;
    struct http_response resp;
    http_response_init(&resp);
    int rc = 0;
    for (int64_t at = offset; rc == 0 && at < end;) {
        int64_t n = end - at < DBFS_READ_MAX ? end - at : DBFS_READ_MAX;
        struct buf q;
        buf_init(&q);
        char num[32];
        dbx_query_add(&q, "path", ap);
        snprintf(num, sizeof num, "%lld", (long long)at);
        dbx_query_add(&q, "offset", num);
        snprintf(num, sizeof num, "%lld", (long long)n);
        dbx_query_add(&q, "length", num);
        char *url = dbx_url(c, "/api/2.0/dbfs/read", NULL, buf_str(&q));
        buf_done(&q);
        /* base64 takes 4 bytes for 3, plus the JSON around it */
        rc = dbx_call(c, path, "GET", url, NULL, (size_t)n / 3 * 4 + 4096, &resp, err);
        free(url);
        int64_t got = 0;
        if (rc == 0 && resp.status != 200)
            rc = dbx_answer_error(path, &resp, err);
        else if (rc == 0 && dbx_parse_dbfs_read(resp.body.data, resp.body.len, out, &got, err) < 0)
            rc = st_err_prefix(err, "%s", path);
        else if (rc == 0 && got > n)
            rc = st_err_set(err, ST_EFORMAT, "%s: DBFS read gave %lld bytes for %lld asked", path,
                            (long long)got, (long long)n);
        if (rc == 0 && got == 0)
            break; /* the file shrank since its status */
        at += got;
    }
    http_response_done(&resp);
    return rc;
}

int dbx_get(const char *path, int64_t offset, size_t len, struct buf *out, int64_t *size,
            int64_t *mtime_ms, struct st_err *err)
{
    buf_reset(out);
    enum dbx_api api = dbx_api_of(path);
    if (api == DBX_NONE)
        return st_err_set(err, ST_EFAIL, "%s: not a /Volumes or /dbfs path", path);
    struct dbx_ctx c;
    if (dbx_ctx_init(&c, err) < 0) {
        dbx_ctx_done(&c);
        return st_err_prefix(err, "%s", path);
    }
    char *ap = api_path(path);
    int64_t sz = -1, mt = -1;
    int rc;
    if (len == 0) {
        bool dir;
        rc = api == DBX_FILES ? files_stat(&c, path, ap, &dir, &sz, &mt, err)
                              : dbfs_status(&c, path, ap, &dir, &sz, &mt, err);
    } else {
        rc = api == DBX_FILES ? files_get(&c, path, ap, offset, len, out, &sz, &mt, err)
                              : dbfs_get(&c, path, ap, offset, len, out, &sz, &mt, err);
    }
    free(ap);
    dbx_ctx_done(&c);
    if (rc == 0) {
        if (size)
            *size = sz;
        if (mtime_ms)
            *mtime_ms = mt;
    }
    if (!out->data)
        buf_append(out, "", 0);
    return rc;
}
