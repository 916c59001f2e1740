#include "net/paging.h"

#include <string.h>

#include "core/sanitize.h"
#include "core/stop.h"

void paging_init(struct paging *p, const char *what, size_t max_pages, size_t *shared_pages)
{
    memset(p, 0, sizeof *p);
    p->what = what;
    p->max_pages = max_pages;
    p->pages = shared_pages ? shared_pages : &p->own;
    hashset_init(&p->seen);
}

void paging_done(struct paging *p)
{
    if (p)
        hashset_done(&p->seen);
}

int paging_next(struct paging *p, const char *token, size_t nentries, struct st_err *err)
{
    if (stop_requested())
        return st_err_set(err, ST_ESTOPPED, "%s: stopped", p->what);
    if (++*p->pages > p->max_pages)
        return st_err_set(err, ST_EFORMAT, "%s: more than %zu pages; listing stopped", p->what,
                          p->max_pages);
    if (!token)
        return 0;
    uint64_t h = hash64(token, strlen(token));
    if (hashset_get(&p->seen, h, NULL)) {
        /* the token is server text: shown short and harmless */
        char shown[41];
        sanitize_copy(shown, sizeof shown, token);
        return st_err_set(err, ST_EFORMAT,
                          "%s: the server repeated continuation token '%s%s'; listing stopped",
                          p->what, shown, strlen(token) >= sizeof shown ? "..." : "");
    }
    hashset_put(&p->seen, h, 1);
    p->empty_run = nentries ? 0 : p->empty_run + 1;
    if (p->empty_run >= PAGING_MAX_EMPTY)
        return st_err_set(err, ST_EFORMAT,
                          "%s: %d truncated pages in a row with no keys; listing stopped", p->what,
                          p->empty_run);
    return 0;
}
