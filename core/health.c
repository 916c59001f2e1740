#include "core/health.h"

const char *health_name(enum health h)
{
    static const char *const names[] = {"ok", "warning", "critical", "unknown"};
    return (unsigned)h < HEALTH__N ? names[h] : "unknown";
}

int health_urgency(enum health h)
{
    static const int urgency[] = {0, 1, 3, 2};
    return (unsigned)h < HEALTH__N ? urgency[h] : 2;
}

enum health health_worse(enum health a, enum health b)
{
    static const int rank[] = {0, 2, 3, 1}; /* ok, warning, critical, unknown */
    int ra = (unsigned)a < HEALTH__N ? rank[a] : 1, rb = (unsigned)b < HEALTH__N ? rank[b] : 1;
    return rb > ra ? b : a;
}
