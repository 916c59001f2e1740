/* The configuration file (streamtop.conf, INI through inih), parsed from memory. */
#include "fuzz.h"

#include "alerts/threshold.h"
#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    config_set_validator(CT_THRESHOLD, threshold_validate); /* as streamtop runs it */
    char *text = fuzz_exact(data, size);
    struct st_err err;
    struct config *cfg = config_parse("fuzz.conf", text, size, &err);
    config_free(cfg);
    free(text);
    return 0;
}
