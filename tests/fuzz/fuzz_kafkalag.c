/* Kafka offsets as Spark writes them ({"topic":{"partition":offset}}) and Kafka source
 * descriptions from progress (KafkaV2[SubscribePattern[...]]), then the lag arithmetic over
 * what parsed. */
#include "fuzz.h"

#include "collectors/kafkalag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_exact(data, size);
    struct kafka_positions p;
    struct st_err err;
    if (kafkalag_parse_offsets(text, size, &p, &err) == 0) {
        for (size_t i = 0; i < p.n; i++) {
            struct snap_kpart kp = {.position = (double)p.v[i].offset,
                                    .planned = (double)p.v[i].offset,
                                    .log_start = (double)p.v[i].partition,
                                    .end =
                                        (double)kafkalag_find(&p, p.v[0].topic, p.v[i].partition),
                                    .oldest_ms = -1};
            kafkalag_compute(&kp);
        }
        kafkalag_positions_done(&p);
    }
    struct kafka_sub sub;
    kafkalag_parse_desc(text, size, &sub);
    kafkalag_sub_done(&sub);
    free(text);
    return 0;
}
