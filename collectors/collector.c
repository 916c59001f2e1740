#include "collectors/collector.h"

#include <stddef.h>

const struct collector_ops *const collector_table[] = {
    &checkpoint_collector,
    NULL,
};
