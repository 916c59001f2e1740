/* One JSON object of a progress file (a StreamingQueryProgress, a listener event wrapping one
 * or naming an idle, started or terminated query, a structured log record carrying one in its
 * msg or MDC), and the formatting every value it yields may meet on its way to a screen or
 * file. */
#include "fuzz.h"

#include "collectors/progressparse.h"
#include "core/parse.h"

static void show(double v)
{
    char out[64];
    fmt_duration(v, out, sizeof out);
    fmt_bytes(v, out, sizeof out);
    fmt_count(v, out, sizeof out);
    fmt_number(v, out, sizeof out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    struct progress_info pi;
    struct st_err err;
    if (progress_from_json(text, size, &pi, &err) == 0) {
        const double v[] = {pi.input_rps,           pi.processed_rps,   pi.duration_s,
                            pi.watermark_ms,        pi.backlog_records, pi.backlog_files,
                            pi.backlog_bytes,       pi.input_rows,      (double)pi.batch_id,
                            (double)pi.timestamp_ms};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            show(v[i]);
    }
    free(text);
    return 0;
}
