/* offsets/N (v1 and v2) and commits/N (v1 and v2) of a checkpoint, the source offsets they
 * hold, a Kafka source's initial-offset file sources/<i>/0, operator metadata
 * (state/<op>/_metadata/...) and the names of state and state schema files. */
#include "fuzz.h"

#include "collectors/offsetlog.h"
#include "collectors/statelog.h"

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
    struct commit_file c;
    (void)statelog_parse_commit(text, size, &c, &err);
    struct op_meta m;
    if (statelog_parse_opmeta(text, size, &m, &err) == 0)
        statelog_opmeta_done(&m);
    char *name = fuzz_cstr(data, size);
    int64_t v;
    (void)statelog_version_file(name, &v);
    (void)statelog_schema_file(name, &v);
    free(name);
    free(text);
    return 0;
}
