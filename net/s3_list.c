/* s3_list: ListObjectsV2 as a directory listing, several requests at once over one
 * http_batch. A recursive listing whose first page is full fans out over the subdirectories of
 * its prefix (a delimited listing of the level, then one scan per subdirectory not covered by
 * the first page); every chain of pages runs through the paging guard (net/paging.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "net/paging.h"
#include "net/s3_internal.h"

#define LIST_MAX_BYTES   (16u * 1024 * 1024)
#define DEFAULT_PARALLEL 8
/* A recursive listing whose first page is full splits over subdirectories this deep. */
#define SPLIT_DEPTH 2
/* pages one listing may take (1000 keys a page on AWS: far beyond any real listing) */
#define LIST_MAX_PAGES 100000

enum task_kind { T_SCAN, T_SPLIT, T_LEVEL };

struct lister {
    struct http_batch *batch;
    struct s3_signer sig;
    const char *url; /* (borrowed) the s3:// URL listed, for messages */
    char *bucket;
    size_t root_len; /* length of the listed prefix (names are relative to it) */
    s3_visit_fn fn;
    void *ctx;
    size_t count, max_entries;
    size_t pages; /* pages so far, over every chain (the paging cap is per listing) */
    int rc;
    struct st_err *err;
    char page_size[16]; /* max-keys when the caller wants only a few, else "" */
    bool from_known;    /* s3_list_after: the listing starts after a key the caller knows */
};

struct task {
    struct lister *l;
    enum task_kind kind;
    char *prefix;      /* key prefix listed, ending in '/' (or "" for a bucket) */
    char *start_after; /* first page only, or NULL */
    char *token;       /* continuation, or NULL */
    char *last_key;    /* T_SPLIT: the last key the first page reported */
    int depth;
    int retries;
    bool may_split;
    /* T_SPLIT collects the level before fanning out */
    char **prefixes;
    size_t nprefixes, capprefixes;
    char **objects; /* keys directly at the level, after last_key */
    int64_t *osize, *omtime;
    size_t nobjects, capobjects;
    char *page_last;     /* last key of the current page */
    size_t page_entries; /* keys and prefixes on the current page */
    struct paging pg;    /* the tokens of this task's chain of pages */
};

static void task_free(struct task *t)
{
    free(t->prefix);
    free(t->start_after);
    free(t->token);
    free(t->last_key);
    for (size_t i = 0; i < t->nprefixes; i++)
        free(t->prefixes[i]);
    free(t->prefixes);
    for (size_t i = 0; i < t->nobjects; i++)
        free(t->objects[i]);
    free(t->objects);
    free(t->osize);
    free(t->omtime);
    free(t->page_last);
    paging_done(&t->pg);
    free(t);
}

static void lister_fail(struct lister *l)
{
    if (l->rc == 0)
        l->rc = -1;
    http_batch_stop(l->batch);
}

/* Report one entry to the visitor (names relative to the listed prefix). */
static void report(struct lister *l, const char *key, int64_t size, int64_t mtime, bool is_prefix)
{
    if (l->rc != 0)
        return;
    size_t kl = strlen(key);
    if (kl <= l->root_len)
        return; /* the prefix itself (a "directory marker") */
    if (!is_prefix && key[kl - 1] == '/')
        return; /* a directory marker further down */
    if (++l->count > l->max_entries) {
        st_err_set(l->err, ST_ETOOBIG, "%s: more than %zu entries; listing stopped", l->url,
                   l->max_entries);
        lister_fail(l);
        return;
    }
    char stackname[1024];
    const char *name = key + l->root_len;
    size_t nl = kl - l->root_len;
    char *heap = NULL;
    if (is_prefix && nl > 0 && name[nl - 1] == '/') {
        char *dst = nl < sizeof stackname ? stackname : (heap = xmalloc(nl));
        memcpy(dst, name, nl - 1);
        dst[nl - 1] = '\0';
        name = dst;
    }
    struct s3_object o = {.name = name, .size = size, .mtime_ms = mtime, .is_prefix = is_prefix};
    if (l->fn(&o, l->ctx)) {
        l->rc = 1; /* stopped by the visitor: not an error */
        http_batch_stop(l->batch);
    }
    free(heap);
}

static void task_submit(struct task *t);

static struct task *task_new(struct lister *l, enum task_kind kind, const char *prefix, int depth)
{
    struct task *t = xcalloc(1, sizeof *t);
    t->l = l;
    t->kind = kind;
    t->prefix = xstrdup(prefix);
    t->depth = depth;
    paging_init(&t->pg, l->url, LIST_MAX_PAGES, &l->pages);
    return t;
}

static void on_object(void *ctx, const char *key, int64_t size, int64_t mtime)
{
    struct task *t = ctx;
    t->page_entries++;
    free(t->page_last);
    t->page_last = xstrdup(key);
    if (t->kind != T_SPLIT) {
        report(t->l, key, size, mtime, false);
        return;
    }
    if (t->last_key && strcmp(key, t->last_key) <= 0)
        return; /* the first page had it */
    xgrow((void **)&t->objects, &t->capobjects, t->nobjects + 1, sizeof *t->objects);
    t->osize = xrealloc(t->osize, t->capobjects * sizeof *t->osize);
    t->omtime = xrealloc(t->omtime, t->capobjects * sizeof *t->omtime);
    t->objects[t->nobjects] = xstrdup(key);
    t->osize[t->nobjects] = size;
    t->omtime[t->nobjects++] = mtime;
}

static void on_prefix(void *ctx, const char *prefix)
{
    struct task *t = ctx;
    t->page_entries++;
    if (t->kind == T_LEVEL) {
        report(t->l, prefix, -1, -1, true);
        return;
    }
    if (t->kind == T_SPLIT) {
        xgrow((void **)&t->prefixes, &t->capprefixes, t->nprefixes + 1, sizeof *t->prefixes);
        t->prefixes[t->nprefixes++] = xstrdup(prefix);
    }
}

static struct task *scan_task(struct lister *l, const char *prefix, const char *start_after,
                              int depth)
{
    struct task *t = task_new(l, T_SCAN, prefix, depth);
    t->start_after = start_after ? xstrdup(start_after) : NULL;
    t->may_split = depth < SPLIT_DEPTH;
    return t;
}

/* A T_SPLIT finished its level: fan out over the subdirectories not yet covered. */
static void split_done(struct task *t)
{
    struct lister *l = t->l;
    if (t->nprefixes == 0) {
        /* No subdirectories seen (or a server that does not report them): go on in order. */
        struct task *n = scan_task(l, t->prefix, t->last_key, t->depth);
        n->may_split = false;
        task_submit(n);
        return;
    }
    log_debug("s3: %.5s%s/%s: fan out over %zu prefixes", l->url, l->bucket, t->prefix,
              t->nprefixes);
    for (size_t i = 0; i < t->nobjects; i++)
        report(l, t->objects[i], t->osize[i], t->omtime[i], false);
    for (size_t i = 0; i < t->nprefixes && l->rc == 0; i++) {
        const char *c = t->prefixes[i];
        int cmp = strcmp(c, t->last_key);
        if (cmp > 0)
            task_submit(scan_task(l, c, NULL, t->depth + 1));
        else if (str_prefix(t->last_key, c))
            task_submit(scan_task(l, c, t->last_key, t->depth + 1));
        /* else: every key below c sorts before last_key, so the first page had them all */
    }
}

/* Take one answered page of t: report its entries and pass its token through the paging
 * guard. 0 (also when the visitor stopped the listing), or -1 with l->err set. *token (heap,
 * or NULL) is the continuation either way. */
static int page_take(struct task *t, int rc, const struct http_response *resp,
                     const struct st_err *herr, bool *truncated, char **token)
{
    struct lister *l = t->l;
    *truncated = false;
    if (rc < 0) {
        *l->err = *herr;
        return st_err_prefix(l->err, "%s", l->url);
    }
    if (resp->status != 200) {
        char *hurl = s3_request_url(l->sig.endpoint, l->sig.region, l->bucket, "", NULL, 0);
        s3_answer_error(l->url, hurl, resp, l->err);
        free(hurl);
        if (l->err->code == ST_ENOENT)
            l->err->code = ST_EIO; /* a missing bucket is not an empty directory */
        return -1;
    }
    static const struct s3_page_fns fns = {on_object, on_prefix};
    free(t->page_last);
    t->page_last = NULL;
    t->page_entries = 0;
    if (s3_parse_list(resp->body.data, resp->body.len, &fns, t, truncated, token, l->err) < 0)
        return st_err_prefix(l->err, "%s", l->url);
    if (l->rc != 0)
        return 0;
    /* a server that answers "more follows" forever must not hang the listing */
    if (paging_next(&t->pg, *truncated ? *token : NULL, t->page_entries, l->err) < 0)
        return -1;
    return 0;
}

static void on_page(void *ctx, int rc, struct http_response *resp, struct st_err *herr)
{
    struct task *t = ctx;
    struct lister *l = t->l;
    if (l->rc == 0 && t->retries < S3_MAX_RETRIES && s3_retryable(rc, herr, resp)) {
        s3_backoff(t->retries++);
        task_submit(t);
        return;
    }
    bool truncated = false;
    char *token = NULL;
    if (l->rc == 0 && page_take(t, rc, resp, herr, &truncated, &token) < 0)
        lister_fail(l);
    if (l->rc != 0 || !truncated) {
        if (l->rc == 0 && t->kind == T_SPLIT)
            split_done(t);
        free(token);
        task_free(t);
        return;
    }
    if (t->kind == T_SCAN && t->may_split && !t->token && t->page_last) {
        /* a big listing: fan out over the subdirectories of this prefix */
        struct task *s = task_new(l, T_SPLIT, t->prefix, t->depth);
        s->last_key = xstrdup(t->page_last);
        task_submit(s);
        free(token);
        task_free(t);
        return;
    }
    free(t->token);
    t->token = token;
    free(t->start_after);
    t->start_after = NULL;
    task_submit(t); /* the next page */
}

static void task_submit(struct task *t)
{
    struct lister *l = t->l;
    struct s3_param p[6];
    size_t n = 0;
    p[n++] = (struct s3_param){"list-type", "2"};
    p[n++] = (struct s3_param){"prefix", t->prefix};
    if (t->kind != T_SCAN)
        p[n++] = (struct s3_param){"delimiter", "/"};
    if (t->token)
        p[n++] = (struct s3_param){"continuation-token", t->token};
    else if (t->start_after)
        p[n++] = (struct s3_param){"start-after", t->start_after};
    if (*l->page_size)
        p[n++] = (struct s3_param){"max-keys", l->page_size};
    char *url = s3_request_url(l->sig.endpoint, l->sig.region, l->bucket, "", p, n);
    log_debug("s3: list %.5s%s/%s%s%s%s", l->url, l->bucket, t->prefix,
              t->kind == T_SCAN ? "" : " (delimited)", t->token ? " (next page)" : "",
              !t->token && t->start_after
                  ? (l->from_known ? " (after a known key)" : " (after the first page)")
                  : "");
    struct http_request req;
    s3_signer_request(&l->sig, &req, url, NULL);
    req.max_bytes = LIST_MAX_BYTES;
    http_batch_add(l->batch, &req, on_page, t);
    free(url);
}

/* The listing s3_list and s3_list_after share: after (relative to the prefix) starts a
 * recursive listing in key order after that key, one chain of pages, no fan-out. */
static int list_run(const char *url, bool recursive, const char *after, size_t max_entries,
                    s3_visit_fn fn, void *ctx, struct st_err *err)
{
    struct lister l = {.url = url, .fn = fn, .ctx = ctx, .max_entries = max_entries, .err = err};
    char *key;
    if (s3_split_url(url, &l.bucket, &key, err) < 0)
        return -1;
    if (s3_signer_init(&l.sig, url, err) < 0) {
        free(l.bucket);
        free(key);
        return st_err_prefix(err, "%s", url);
    }
    size_t kl = strlen(key);
    char *prefix = kl && key[kl - 1] != '/' ? xasprintf("%s/", key) : xstrdup(key);
    l.root_len = strlen(prefix);
    if (max_entries < 1000)
        snprintf(l.page_size, sizeof l.page_size, "%zu", max_entries + 1);
    l.batch = http_batch_new(s3_parallel() > 0 ? s3_parallel() : DEFAULT_PARALLEL);
    if (after) {
        char *from = *after ? xasprintf("%s%s", prefix, after) : NULL;
        l.from_known = true;
        struct task *t = scan_task(&l, prefix, from, 0);
        t->may_split = false; /* what follows a known key is few pages: one chain */
        free(from);
        task_submit(t);
    } else if (recursive) {
        task_submit(scan_task(&l, prefix, NULL, 0));
    } else
        task_submit(task_new(&l, T_LEVEL, prefix, 0));
    http_batch_run(l.batch);
    http_batch_free(l.batch);
    s3_signer_done(&l.sig);
    free(prefix);
    free(key);
    free(l.bucket);
    return l.rc < 0 ? -1 : 0;
}

int s3_list(const char *url, bool recursive, size_t max_entries, s3_visit_fn fn, void *ctx,
            struct st_err *err)
{
    return list_run(url, recursive, NULL, max_entries, fn, ctx, err);
}

int s3_list_after(const char *url, const char *after, size_t max_entries, s3_visit_fn fn, void *ctx,
                  struct st_err *err)
{
    return list_run(url, true, after ? after : "", max_entries, fn, ctx, err);
}
