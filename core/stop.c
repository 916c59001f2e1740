#include "core/stop.h"

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>

/* Lock-free atomics are async-signal-safe, and unlike a volatile sig_atomic_t they may be read
 * from the dashboard's worker thread without a data race. */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "the stop flag needs a lock-free atomic int");

static atomic_int stopped; /* set-once: 0, or -1 (no signal) / the signal number */

void stop_request(void)
{
    int none = 0;
    atomic_compare_exchange_strong(&stopped, &none, -1);
}

bool stop_requested(void)
{
    return atomic_load(&stopped) != 0;
}

int stop_signal(void)
{
    int s = atomic_load(&stopped);
    return s > 0 ? s : 0;
}

const char *stop_reason(void)
{
    switch (stop_signal()) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    default:
        return "a stop request";
    }
}

static void on_signal(int sig)
{
    int none = 0;
    atomic_compare_exchange_strong(&stopped, &none, sig);
}

void stop_on_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    /* once: a second signal has its default effect, so a process stuck where no request can
     * see the flag (a hung local mount) still ends on a second Ctrl-C */
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void stop_reset(void)
{
    atomic_store(&stopped, 0);
}
