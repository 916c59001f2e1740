/* The Databricks answers streamtop parses: the first byte picks the parser (a Files API
 * directory page, a DBFS list, status or read, an error, an OAuth token, a runs list, a run, a
 * job, a Quartz cron expression, a .databrickscfg), the rest is its input. */
#include "fuzz.h"

#include "core/buf.h"
#include "net/dbx.h"

static void on_entry(void *ctx, const char *name, bool is_dir, int64_t size, int64_t mtime)
{
    (void)is_dir;
    (void)size;
    (void)mtime;
    *(size_t *)ctx += strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0] % 11;
    data++;
    size--;
    char *text = fuzz_exact(data, size);
    struct st_err err;
    size_t total = 0;
    char *next = NULL;
    struct buf b;
    buf_init(&b);
    struct dbx_job_state js;
    memset(&js, 0, sizeof js);
    js.last_end_ms = -1;
    js.last_success_ms = -1;
    bool dir;
    int64_t sz, mt, n;
    char code[64], msg[128];
    switch (pick) {
    case 0:
        dbx_parse_dir_page(text, size, on_entry, &total, &next, &err);
        break;
    case 1:
        dbx_parse_dbfs_list(text, size, on_entry, &total, &err);
        break;
    case 2:
        dbx_parse_dbfs_status(text, size, &dir, &sz, &mt, &err);
        break;
    case 3:
        dbx_parse_dbfs_read(text, size, &b, &n, &err);
        break;
    case 4:
        dbx_parse_error(text, size, code, sizeof code, msg, sizeof msg);
        break;
    case 5:
        dbx_parse_token(text, size, &next, &n);
        break;
    case 6:
        dbx_parse_runs(text, size, &js, &next, &err);
        break;
    case 7:
        dbx_parse_run(text, size, &js, &err);
        break;
    case 8:
        dbx_parse_job(text, size, &js, &err);
        break;
    case 9: {
        char *s = fuzz_cstr(data, size);
        (void)dbx_cron_interval_ms(s);
        free(s);
        break;
    }
    default: {
        char *s = fuzz_cstr(data, size);
        struct dbx_profile p = {0};
        dbx_cfg_parse(s, "DEFAULT", &p);
        dbx_profile_done(&p);
        free(s);
        break;
    }
    }
    free(next);
    buf_done(&b);
    free(text);
    return 0;
}
