/* What a `streamtop serve` daemon answers, as `--remote` reads it: the first byte picks the
 * parser (the snapshot document, read and written again; a series; a stream's detail; the
 * alerts), the rest is its input. */
#include "fuzz.h"

#include "core/buf.h"
#include "export/export.h"
#include "pass/remote.h"

static void on_series(void *ctx, const char *name, const struct sample *s, size_t n)
{
    size_t *total = ctx;
    *total += strlen(name) + n;
    for (size_t i = 0; i < n; i++)
        *total += s[i].value > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0] % 4;
    data++;
    size--;
    char *text = fuzz_exact(data, size);
    struct st_err err;
    switch (pick) {
    case 0: {
        struct snapshot *snap;
        if (export_json_read(text, size, &snap, &err) == 0) {
            /* what was read can be written again (the dashboard and export --remote do) */
            struct buf out;
            buf_init(&out);
            export_json.render(snap, &out);
            buf_done(&out);
            snapshot_free(snap);
        }
        break;
    }
    case 1: {
        size_t total = 0;
        remote_parse_series(text, size, on_series, &total, &err);
        break;
    }
    case 2: {
        struct strvec lines;
        strvec_init(&lines);
        remote_parse_stream(text, size, &lines, &err);
        strvec_done(&lines);
        break;
    }
    default: {
        struct notification *notes;
        size_t n;
        if (remote_parse_notes(text, size, &notes, &n, &err) == 0)
            notifications_free(notes, n);
        break;
    }
    }
    free(text);
    return 0;
}
