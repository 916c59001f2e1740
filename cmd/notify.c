/* notify test NAME: send a test notification through one webhook now and report the HTTP
 * status (exit 0 on 2xx, 1 otherwise, 3 for a config problem). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pass/deliver.h"
#include "alerts/payload.h"
#include "cmd/cmd.h"
#include "core/clock.h"

static int notify_exec(struct app *app, const struct cmd_args *a)
{
    const char *const *words = a->words;
    struct st_err err;
    if (strcmp(words[0], "test") != 0)
        return app_usage(&cmd_notify);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    const struct cfg_webhook *w = config_webhook(app->cfg, words[1]);
    if (!w)
        return app_fail("notify: no [webhook %s] in the config", words[1]);
    if (w->unusable)
        return app_fail("notify: [webhook %s] (line %d) is unusable: %s", w->name, w->line,
                        w->unusable);
    int64_t now = clock_now_ms();
    static char threshold[] = "> 0";
    static char rule[] = "streamtop-test", stream[] = "test";
    struct alert_event e = {EV_FIRING, rule, stream, HEALTH_WARNING, HEALTH_OK, 1,
                            threshold, now,  now,    false};
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    char nid[DELIVER_ID_LEN];
    deliver_new_id(nid);
    struct notice n = {&e, "streamtop test notification: the webhook works", NULL, NULL, host, nid};
    char *body = payload_render(w, &n);
    long status = deliver_now(w, body, nid, &err);
    free(body);
    if (status < 0) {
        app_warn("%s", err.msg);
        return EXIT_WARNING;
    }
    printf("webhook %s: HTTP %ld\n", w->name, status);
    return status >= 200 && status < 300 ? EXIT_OK : EXIT_WARNING;
}

const struct cmd_entry cmd_notify = {
    .name = "notify",
    .usage = "test NAME",
    .help = "send a test notification through one webhook",
    .min_words = 2,
    .max_words = 2,
    .exec = notify_exec,
};
