/* silence: mute notifications for a while. `silence add MATCH --for 2h --comment TEXT` (MATCH:
 * a stream glob or label matchers, optionally "/rule"), `silence list`, `silence expire ID`; kept
 * in the state DB. A silenced alert keeps its state and shows as silenced, but counts for nothing
 * (check's exit status); it sends nothing until the silence ends, then a still-firing alert
 * notifies once. `add` says what the match covers now and warns (exit 1) when it covers nothing;
 * times are shown in local time with their UTC offset and relative to now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts/rules.h"
#include "cmd/cmd.h"
#include "core/clock.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "store/store.h"

enum { OPT_FOR = 1, OPT_COMMENT };

/* "2026-12-02 14:00 UTC+1 (in 2h)": local time, its offset, and how far from now. */
static char *when_text(int64_t ms, int64_t now, char *out, size_t outlen)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char day[40] = "?", zone[32] = "", rel[32];
    if (localtime_r(&t, &tm)) {
        strftime(day, sizeof day, "%Y-%m-%d %H:%M", &tm);
        char z[8] = "";
        /* %z is "+0100": shown as UTC+1 (UTC+5:30, UTC) */
        if (strftime(z, sizeof z, "%z", &tm) == 5) {
            int h = (z[1] - '0') * 10 + (z[2] - '0'), m = (z[3] - '0') * 10 + (z[4] - '0');
            if (h == 0 && m == 0)
                snprintf(zone, sizeof zone, " UTC");
            else if (m == 0)
                snprintf(zone, sizeof zone, " UTC%c%d", z[0], h);
            else
                snprintf(zone, sizeof zone, " UTC%c%d:%02d", z[0], h, m);
        }
    }
    fmt_span((double)(ms > now ? ms - now : now - ms) / 1000, rel, sizeof rel);
    snprintf(out, outlen, "%s%s (%s%s%s)", day, zone, ms > now ? "in " : "", rel,
             ms > now ? "" : " ago");
    return out;
}

static const char *cfg_label(const void *ctx, const char *key)
{
    const struct cfg_stream *cs = ctx;
    return cs ? config_label(&cs->labels, key) : NULL;
}

static const struct cfg_stream *find_stream(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nstreams; i++)
        if (strcmp(cfg->streams[i].name, name) == 0)
            return &cfg->streams[i];
    return NULL;
}

/* What a new silence covers now: the (stream, rule) pairs of the config it matches, and the
 * alerts it mutes at once. Returns the number of pairs. */
static size_t coverage(const struct config *cfg, struct store *db, const char *match)
{
    size_t pairs = 0, streams = 0;
    struct strvec shown;
    strvec_init(&shown);
    for (size_t i = 0; i < cfg->nstreams; i++) {
        struct strvec rules;
        strvec_init(&rules);
        rules_names(cfg, &cfg->streams[i], &rules);
        size_t here = 0;
        for (size_t r = 0; r < rules.n; r++)
            here += rules_silence_matches_labels(match, cfg->streams[i].name, rules.v[r], cfg_label,
                                                 &cfg->streams[i]);
        if (here) {
            streams++;
            pairs += here;
            if (shown.n < 10)
                strvec_pushf(&shown, "%s (%zu rule%s)", cfg->streams[i].name, here,
                             here == 1 ? "" : "s");
        }
        strvec_done(&rules);
    }
    if (streams) {
        printf("covers now: %zu stream%s:", streams, streams == 1 ? "" : "s");
        for (size_t i = 0; i < shown.n; i++) {
            char *c = sanitize_dup(shown.v[i], strlen(shown.v[i]));
            printf("%s %s", i ? "," : "", c);
            free(c);
        }
        printf("%s\n", streams > shown.n ? ", ..." : "");
    }
    strvec_done(&shown);
    struct store_alert *rows = NULL;
    size_t n = 0;
    struct st_err err;
    if (store_alerts_load(db, &rows, &n, &err) == 0) {
        size_t active = 0;
        for (size_t i = 0; i < n; i++) {
            if (rows[i].phase == 0 ||
                !rules_silence_matches_labels(match, rows[i].stream, rows[i].rule, cfg_label,
                                              find_stream(cfg, rows[i].stream)))
                continue;
            char *st = sanitize_dup(rows[i].stream, strlen(rows[i].stream));
            char *ru = sanitize_dup(rows[i].rule, strlen(rows[i].rule));
            printf("%s %s/%s (%s %s)", active++ ? "," : "mutes now:", st, ru,
                   rows[i].phase == 2 ? "firing" : "pending",
                   rows[i].phase == 2 ? health_name(rows[i].level) : "");
            free(st);
            free(ru);
        }
        if (active)
            printf("\n");
        else if (pairs)
            printf("mutes now: nothing is firing or pending there\n");
    }
    store_alerts_free(rows, n);
    return pairs;
}

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
            char until[80];
            char *m = sanitize_dup(words[1], strlen(words[1]));
            printf("silence %lld: %s until %s\n", (long long)id, m,
                   when_text(now + for_ms, now, until, sizeof until));
            if (coverage(app->cfg, db, words[1]) == 0) {
                app_warn("silence %lld: '%s' covers no stream or rule of the config now (a "
                         "typo?); `streamtop silence expire %lld` removes it",
                         (long long)id, m, (long long)id);
                rc = EXIT_WARNING;
            }
            free(m);
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
                char until[80];
                char *m = sanitize_dup(v[i].match, strlen(v[i].match));
                char *c = sanitize_dup(v[i].comment, strlen(v[i].comment));
                printf("%lld  %-24s ends %s  %s\n", (long long)v[i].id, m,
                       when_text(v[i].ends_ms, now, until, sizeof until), c);
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
    .help =
        "mute notifications of streams (stream glob or label=value, optionally /rule) for a while",
    .opts = silence_opts,
    .min_words = 1,
    .max_words = 2,
    .exec = silence_exec,
};
