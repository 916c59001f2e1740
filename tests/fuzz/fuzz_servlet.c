/* Spark's PrometheusServlet text (/metrics/prometheus), for a query looked up by name and for
 * the only query on the page. */
#include "fuzz.h"

#include "collectors/progressparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    struct progress_info pi;
    struct st_err err;
    progress_from_servlet(text, size, "orders", "orders-to-delta", &pi, &err);
    progress_from_servlet(text, size, NULL, NULL, &pi, &err);
    free(text);
    return 0;
}
