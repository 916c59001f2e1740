#include "core/notification.h"

#include <stdlib.h>

void notifications_free(struct notification *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].stream);
        free(v[i].rule);
        free(v[i].webhook);
        free(v[i].what);
        free(v[i].error);
    }
    free(v);
}
