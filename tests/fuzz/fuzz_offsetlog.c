/* offsets/N and commits/N of a checkpoint, the source offsets they hold, and a Kafka source's
 * initial-offset file sources/<i>/0. */
#include "fuzz.h"

#include "collectors/offsetlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    struct offset_file f;
    struct st_err err;
    if (offsetlog_parse(text, size, &f, &err) == 0) {
        for (size_t i = 0; i < f.nsources; i++) {
            double pos;
            offsetlog_classify(f.sources[i].json, &pos);
        }
        offsetlog_done(&f);
    }
    char *json = NULL;
    if (offsetlog_parse_kafka_initial(text, size, &json, &err) == 0) {
        double pos;
        offsetlog_classify(json, &pos);
        free(json);
    }
    free(text);
    return 0;
}
