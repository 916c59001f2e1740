/* silence: mute notifications for a while. `silence add MATCH --for 2h --comment TEXT` (MATCH:
 * a stream glob, optionally "/rule"), `silence list`, `silence expire ID`; kept in the state
 * DB. A silenced alert keeps its state and shows as silenced; it sends nothing until the
 * silence ends, then a still-firing alert notifies once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "store/store.h"

enum { OPT_FOR = 1, OPT_COMMENT };

static const struct opt_spec silence_opts[] = {
    {"for", 0, true, OPT_FOR}, {"comment", 0, true, OPT_COMMENT}, {NULL, 0, false, 0}};

static int silence_exec(struct app *app, const struct cmd_args *a)
{
    const char *const *words = a->words;
    const char *comment = a->opt[OPT_COMMENT] ? a->opt[OPT_COMMENT] : "";
    size_t nwords = a->nwords;
    int64_t for_ms = 2 * 3600 * 1000LL;
    struct st_err err;
    const char *val = a->opt[OPT_FOR];
    if (val && (parse_duration_ms(val, &for_ms) < 0 || for_ms <= 0))
        return app_fail("silence: --for: '%s' is not a duration (e.g. 30m, 2h)", val);
    const char *sub = words[0];
    if (!((strcmp(sub, "add") == 0 && nwords == 2) || (strcmp(sub, "list") == 0 && nwords == 1) ||
          (strcmp(sub, "expire") == 0 && nwords == 2)))
        return app_usage(&cmd_silence);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    struct store *db = store_open(app->cfg->database, &err);
    if (!db)
        return app_fail("silence: state DB: %s", err.msg);
    int64_t now = clock_now_ms();
    int rc = EXIT_OK;
    if (strcmp(sub, "add") == 0) {
        int64_t id;
        if (!sanitize_is_clean(words[1]) || !*words[1]) {
            rc = app_fail("silence: the match '%s' is empty or has control characters", words[1]);
        } else if (store_silence_add(db, words[1], comment, now, now + for_ms, &id, &err) < 0) {
            rc = app_fail("silence: %s", err.msg);
        } else {
            char until[40];
            printf("silence %lld: %s until %s\n", (long long)id, words[1],
                   clock_iso8601(now + for_ms, until, sizeof until));
        }
    } else if (strcmp(sub, "list") == 0) {
        struct silence *v;
        size_t n;
        if (store_silences(db, now, &v, &n, &err) < 0) {
            rc = app_fail("silence: %s", err.msg);
        } else {
            if (n == 0)
                printf("no active silences\n");
            for (size_t i = 0; i < n; i++) {
                char until[40];
                char *m = sanitize_dup(v[i].match, strlen(v[i].match));
                char *c = sanitize_dup(v[i].comment, strlen(v[i].comment));
                printf("%lld  %-24s until %s  %s\n", (long long)v[i].id, m,
                       clock_iso8601(v[i].ends_ms, until, sizeof until), c);
                free(m);
                free(c);
            }
            store_silences_free(v, n);
        }
    } else {
        int64_t id;
        if (parse_int64(words[1], &id) < 0)
            rc = app_fail("silence: '%s' is not a silence id (see silence list)", words[1]);
        else if (store_silence_expire(db, id, now, &err) < 0)
            rc = app_fail("silence: %s", err.msg);
        else
            printf("silence %lld expired\n", (long long)id);
    }
    store_close(db);
    return rc;
}

const struct cmd_entry cmd_silence = {
    .name = "silence",
    .usage = "add MATCH [--for 2h] [--comment TEXT] | list | expire ID",
    .help = "mute notifications of streams (stream glob, optionally /rule) for a while",
    .opts = silence_opts,
    .min_words = 1,
    .max_words = 2,
    .exec = silence_exec,
};
