/* check: the headless mode for cron, a systemd timer or a monitoring system, following the
 * Monitoring Plugins guidelines. One pass over every configured stream (collect, record
 * history, evaluate the rules with the state of earlier runs, deliver notifications), then a
 * status line starting OK / WARNING / CRITICAL / UNKNOWN with performance data after '|', one
 * line per stream that is not OK, and per-stream performance data. --stream reports only the
 * streams named (the pass still covers all, so alert states stay whole); --metric with -w/-c
 * adds a threshold range on one metric. Exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, the worst
 * by health_worse (critical > warning > unknown > ok); 3 also for a usage, config or state DB
 * problem (so cron mails it) and when SIGINT/SIGTERM stopped it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/context.h"
#include "alerts/rules.h"
#include "alerts/threshold.h"
#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/plugin.h"
#include "core/sanitize.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "pass/pass.h"

enum {
    OPT_QUIET = 1,
    OPT_NO_NOTIFY,
    OPT_FORMAT,
    OPT_STREAM,
    OPT_METRIC,
    OPT_WARNING,
    OPT_CRITICAL,
    OPT_SHARD,
    OPT_SELECT
};

/* An ad-hoc threshold on one metric (--metric M -w RANGE -c RANGE). */
struct adhoc {
    int metric; /* -1: none */
    bool has_w, has_c;
    struct plugin_range w, c;
};

static const char *word(enum health h)
{
    static const char *const w[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    return w[h];
}

static int exit_of(enum health h)
{
    return h == HEALTH_CRITICAL  ? EXIT_CRITICAL
           : h == HEALTH_UNKNOWN ? EXIT_UNKNOWN
           : h == HEALTH_WARNING ? EXIT_WARNING
                                 : EXIT_OK;
}

/* Print text with control characters and invalid UTF-8 made visible. */
static void print_clean(const char *s)
{
    char *c = sanitize_dup(s, strlen(s));
    fputs(c, stdout);
    free(c);
}

/* ---- options ------------------------------------------------------------------------------ */

#define OWN_C_HINT                                                                                 \
    "after check, -c is the critical threshold: give the config file before check, or as "         \
    "--config FILE"

static int parse_range(const char *flag, const char *val, struct plugin_range *r)
{
    struct st_err err;
    if (plugin_range_parse(val, r, &err) == 0)
        return 0;
    if (strcmp(flag, "-c") == 0)
        return app_fail("check: -c: %s (%s)", err.msg, OWN_C_HINT);
    return app_fail("check: %s: %s", flag, err.msg);
}

/* --metric, -w, -c into *ah. 0, or an exit status. */
static int parse_adhoc(const struct cmd_args *a, struct adhoc *ah)
{
    *ah = (struct adhoc){.metric = -1};
    const char *m = a->opt[OPT_METRIC], *w = a->opt[OPT_WARNING], *c = a->opt[OPT_CRITICAL];
    if (!m && !w && !c)
        return 0;
    if (!m)
        return app_fail("check: -w and -c need --metric NAME (%s)", OWN_C_HINT);
    ah->metric = metric_find(m);
    if (ah->metric < 0)
        return app_fail("check: unknown metric '%s' (see streamtop(1), METRICS)", m);
    if (!w && !c)
        return app_fail("check: --metric %s needs -w RANGE, -c RANGE or both", m);
    if (w && parse_range("-w", w, &ah->w) != 0)
        return EXIT_UNKNOWN;
    if (c && parse_range("-c", c, &ah->c) != 0)
        return EXIT_UNKNOWN;
    ah->has_w = w != NULL;
    ah->has_c = c != NULL;
    return 0;
}

/* The names of --stream (repeatable, each a comma list), checked against the config. 0, or an
 * exit status after a message naming the unknown stream. */
static int parse_streams(const struct config *cfg, const struct strvec *given, struct strvec *names)
{
    for (size_t i = 0; i < given->n; i++) {
        char *list = xstrdup(given->v[i]);
        for (char *p = list, *comma; p; p = comma ? comma + 1 : NULL) {
            comma = strchr(p, ',');
            if (comma)
                *comma = '\0';
            str_trim(p);
            if (*p)
                strvec_push(names, p);
        }
        free(list);
    }
    if (given->n > 0 && names->n == 0)
        return app_fail("check: --stream needs a stream name");
    for (size_t i = 0; i < names->n; i++) {
        bool found = false;
        for (size_t s = 0; s < cfg->nstreams && !found; s++)
            found = strcmp(cfg->streams[s].name, names->v[i]) == 0;
        if (found)
            continue;
        struct buf known;
        buf_init(&known);
        for (size_t s = 0; s < cfg->nstreams && s < 10; s++)
            buf_printf(&known, "%s%s", s ? ", " : "", cfg->streams[s].name);
        if (cfg->nstreams > 10)
            buf_printf(&known, ", ... (%zu in all)", cfg->nstreams);
        int rc = app_fail("check: --stream %s: no such stream (streams: %s)", names->v[i],
                          cfg->nstreams ? buf_str(&known) : "none");
        buf_done(&known);
        return rc;
    }
    return 0;
}

/* ---- status -------------------------------------------------------------------------------- */

/* Apply the ad-hoc threshold to a stream: its status and, when not OK, an alert named
 * check:METRIC so every output shows why. */
static void apply_adhoc(const struct adhoc *ah, struct snap_stream *st, int64_t now_ms)
{
    if (ah->metric < 0)
        return;
    double v = st->metrics[ah->metric];
    enum health h = HEALTH_OK;
    char threshold[sizeof ah->c.text + 8] = "";
    if (isnan(v)) {
        h = HEALTH_UNKNOWN;
        snprintf(threshold, sizeof threshold, "not measurable");
    } else if (ah->has_c && plugin_range_alerts(&ah->c, v)) {
        h = HEALTH_CRITICAL;
        snprintf(threshold, sizeof threshold, "-c %s", ah->c.text);
    } else if (ah->has_w && plugin_range_alerts(&ah->w, v)) {
        h = HEALTH_WARNING;
        snprintf(threshold, sizeof threshold, "-w %s", ah->w.text);
    }
    if (h == HEALTH_OK)
        return;
    char rule[80];
    snprintf(rule, sizeof rule, "check:%s", metric_defs[ah->metric].name);
    snap_stream_add_alert(st, rule, threshold, h, true, false, now_ms, v);
    st->status = health_worse(st->status, h);
}

/* ---- text output --------------------------------------------------------------------------- */

/* "name: rule level value=V (threshold); ..." of the firing alerts ("name: OK" without). */
static bool silenced_firing(const struct snap_stream *st)
{
    for (size_t i = 0; i < st->nalerts; i++)
        if (st->alerts[i].firing && st->alerts[i].silenced)
            return true;
    return false;
}

/* The configured stream named name, or NULL; the i-th first (a pass's snapshot holds the
 * configured streams in order, so a report of them all looks up each once, not all of them). */
static const struct cfg_stream *cfg_stream_of(const struct config *cfg, size_t i, const char *name)
{
    if (i < cfg->nstreams && strcmp(cfg->streams[i].name, name) == 0)
        return &cfg->streams[i];
    for (size_t k = 0; k < cfg->nstreams; k++)
        if (strcmp(cfg->streams[k].name, name) == 0)
            return &cfg->streams[k];
    return NULL;
}

static void stream_detail(struct buf *b, const struct config *cfg, const struct cfg_stream *cs,
                          const struct snap_stream *st, const struct adhoc *ah)
{
    buf_printf(b, "%s:", st->name);
    int shown = 0;
    for (size_t i = 0; i < st->nalerts; i++) {
        const struct snap_alert *a = &st->alerts[i];
        if (!a->firing)
            continue;
        char num[32];
        buf_printf(b, "%s %s %s", shown++ ? ";" : "", a->rule, health_name(a->level));
        /* the value as the notifications read it, in its rule's unit ("45m12s", "3.2 MiB"): a
         * cron mail of "value=2711.971 (> 1m)" made the reader do the arithmetic */
        struct rule_route rr;
        if (!isnan(a->value) && rules_route_of_stream(cfg, a->rule, cs, &rr))
            buf_printf(b, " value=%s", alert_value_text(a->value, rr.unit, num, sizeof num));
        else if (!isnan(a->value))
            buf_printf(b, " value=%s", fmt_number(a->value, num, sizeof num));
        if (*a->threshold)
            buf_printf(b, " (%s)", a->threshold);
        if (a->silenced)
            buf_puts(b, " [silenced]");
    }
    if (!shown) {
        buf_puts(b, " OK");
        if (ah->metric >= 0) {
            char num[32];
            buf_printf(b, ", %s=%s", metric_defs[ah->metric].name,
                       fmt_number(st->metrics[ah->metric], num, sizeof num));
        }
    }
}

/* A rule's condition as a threshold range that alerts exactly when it holds (metrics here are
 * never negative, so "> 600" is the plain "600"). */
static void range_of(const char *cond, struct buf *b)
{
    struct threshold t;
    if (!cond || threshold_parse(cond, &t) < 0 || t.op == TH_NONE)
        return;
    switch (t.op) {
    case TH_GT:
        if (t.value < 0)
            buf_puts(b, "~:");
        plugin_perf_number(b, t.value);
        break;
    case TH_GE:
        buf_putc(b, '@');
        plugin_perf_number(b, t.value);
        buf_putc(b, ':');
        break;
    case TH_LT:
        plugin_perf_number(b, t.value);
        buf_putc(b, ':');
        break;
    case TH_LE:
        buf_puts(b, "@~:");
        plugin_perf_number(b, t.value);
        break;
    case TH_EQ:
    case TH_NE:
        if (t.op == TH_EQ)
            buf_putc(b, '@');
        plugin_perf_number(b, t.value);
        buf_putc(b, ':');
        plugin_perf_number(b, t.value);
        break;
    case TH_NONE:
        break;
    }
}

/* What each stream reports as performance data, besides the metrics its rules and --metric
 * name. */
static bool perf_default(int m)
{
    switch (m) {
    case M_COMMITTED_BATCH_ID:
    case M_INFLIGHT_SECONDS:
    case M_COMMIT_AGE_SECONDS:
    case M_BACKLOG_FILES:
    case M_BACKLOG_BYTES:
    case M_BACKLOG_RECORDS:
    case M_BACKLOG_AGE_SECONDS:
    case M_DEADLETTER_FILES:
    case M_SINK_LAG_BATCHES:
        return true;
    default:
        return false;
    }
}

/* The stream's performance data, space-separated: 'NAME_METRIC'=VALUE[UOM];WARN;CRIT;MIN with
 * the thresholds of the first matching rule on that metric that sets each (or -w/-c). */
static void stream_perf(struct buf *b, const struct config *cfg, const struct cfg_stream *cs,
                        const struct snap_stream *st, const struct adhoc *ah)
{
    char *name = sanitize_dup(st->name, strlen(st->name));
    for (int m = 0; m < METRIC_COUNT; m++) {
        double v = st->metrics[m];
        if (!isfinite(v))
            continue;
        const char *warn = NULL, *crit = NULL;
        for (size_t r = 0; cs && r < cfg->nrules; r++) {
            const struct cfg_rule *rule = &cfg->rules[r];
            if (rule->metric != m || !config_rule_matches(rule, cs))
                continue;
            if (!warn)
                warn = rule->warn;
            if (!crit)
                crit = rule->crit;
        }
        bool mine = m == ah->metric;
        if (!perf_default(m) && !mine && !warn && !crit)
            continue;
        const struct metric_def *d = &metric_defs[m];
        size_t len = strlen(d->name);
        if (d->unit == UNIT_SECONDS && len > 8 && strcmp(d->name + len - 8, "_seconds") == 0)
            len -= 8;
        char label[512];
        snprintf(label, sizeof label, "%s_%.*s", name, (int)len, d->name);
        if (b->len && b->data[b->len - 1] != ' ' && b->data[b->len - 1] != '|')
            buf_putc(b, ' ');
        plugin_perf_label(b, label);
        buf_putc(b, '=');
        plugin_perf_number(b, v);
        buf_puts(b, m == M_LAST_BATCH_ID || m == M_COMMITTED_BATCH_ID ? "c"
                    : d->unit == UNIT_SECONDS                         ? "s"
                    : d->unit == UNIT_BYTES                           ? "B"
                                                                      : "");
        buf_putc(b, ';');
        if (mine && (ah->has_w || ah->has_c)) {
            buf_puts(b, ah->has_w ? ah->w.text : "");
            buf_putc(b, ';');
            buf_puts(b, ah->has_c ? ah->c.text : "");
        } else {
            range_of(warn, b);
            buf_putc(b, ';');
            range_of(crit, b);
        }
        buf_puts(b, m == M_WATERMARK_LAG_SECONDS ? ";" : ";0");
    }
    free(name);
}

static void print_text(const struct config *cfg, const struct snapshot *snap,
                       const struct pass_report *rep, const struct adhoc *ah, bool one,
                       enum health worst)
{
    int counts[HEALTH__N] = {0};
    for (size_t i = 0; i < snap->nstreams; i++)
        counts[snap->streams[i].status]++;
    struct buf line;
    buf_init(&line);
    buf_printf(&line, "%s - ", word(worst));
    if (one) {
        stream_detail(&line, cfg, cfg_stream_of(cfg, 0, snap->streams[0].name), &snap->streams[0],
                      ah);
    } else {
        size_t bad = snap->nstreams - (size_t)counts[HEALTH_OK];
        if (bad == 0)
            buf_printf(&line, "%zu stream%s OK", snap->nstreams, snap->nstreams == 1 ? "" : "s");
        else
            buf_printf(&line, "%zu of %zu stream%s not OK", bad, snap->nstreams,
                       snap->nstreams == 1 ? "" : "s");
    }
    buf_printf(&line,
               " | streams=%zu ok=%d warning=%d critical=%d unknown=%d notifications_sent=%zu "
               "notifications_pending=%zu",
               snap->nstreams, counts[HEALTH_OK], counts[HEALTH_WARNING], counts[HEALTH_CRITICAL],
               counts[HEALTH_UNKNOWN], rep->delivered, rep->pending);
    if (one)
        stream_perf(&line, cfg, cfg_stream_of(cfg, 0, snap->streams[0].name), &snap->streams[0],
                    ah);
    print_clean(buf_str(&line));
    putchar('\n');
    if (!one) {
        /* long text: the streams that are not OK, in the order of precedence */
        static const enum health order[] = {HEALTH_CRITICAL, HEALTH_WARNING, HEALTH_UNKNOWN};
        for (size_t o = 0; o < 3; o++)
            for (size_t i = 0; i < snap->nstreams; i++) {
                if (snap->streams[i].status != order[o])
                    continue;
                buf_reset(&line);
                buf_printf(&line, "%s ", word(order[o]));
                stream_detail(&line, cfg, cfg_stream_of(cfg, i, snap->streams[i].name),
                              &snap->streams[i], ah);
                print_clean(buf_str(&line));
                putchar('\n');
            }
        /* silenced alerts count for nothing, but a full report still names them */
        for (size_t i = 0; i < snap->nstreams; i++) {
            if (snap->streams[i].status != HEALTH_OK || !silenced_firing(&snap->streams[i]))
                continue;
            buf_reset(&line);
            buf_printf(&line, "%s ", word(HEALTH_OK));
            stream_detail(&line, cfg, cfg_stream_of(cfg, i, snap->streams[i].name),
                          &snap->streams[i], ah);
            print_clean(buf_str(&line));
            putchar('\n');
        }
        /* then each stream's performance data, the first line after a '|' */
        bool first = true;
        for (size_t i = 0; i < snap->nstreams; i++) {
            buf_reset(&line);
            stream_perf(&line, cfg, cfg_stream_of(cfg, i, snap->streams[i].name), &snap->streams[i],
                        ah);
            if (!line.len)
                continue;
            fputs(first ? "| " : "", stdout);
            print_clean(buf_str(&line));
            putchar('\n');
            first = false;
        }
    }
    buf_done(&line);
}

/* ---- the command --------------------------------------------------------------------------- */

static const struct opt_spec check_opts[] = {
    {"quiet", 'q', false, OPT_QUIET},      {"no-notify", 0, false, OPT_NO_NOTIFY},
    {"format", 'f', true, OPT_FORMAT},     {"stream", 0, true, OPT_STREAM},
    {"metric", 0, true, OPT_METRIC},       {"warning", 'w', true, OPT_WARNING},
    {"critical", 'c', true, OPT_CRITICAL}, {"shard", 0, true, OPT_SHARD},
    {"select", 0, true, OPT_SELECT},       {NULL, 0, false, 0}};

/* The pass, with its problems reported. 0 with *snap and *rep, or an exit status. */
static int run_pass(struct app *app, bool notify, struct snapshot **snap, struct pass_report *rep)
{
    struct st_err err;
    /* SIGINT/SIGTERM end the pass at once, even one stuck on the network */
    stop_on_signals();
    struct pass *p = pass_new(app->cfg, true, &err);
    if (!p)
        return app_fail("check: state DB: %s", err.msg);
    int rc = pass_run(p, PASS_EVALUATE | (notify ? PASS_NOTIFY : 0), snap, rep, &err);
    pass_free(p);
    for (size_t i = 0; i < rep->problems.n; i++)
        app_warn("%s", rep->problems.v[i]);
    if (rc < 0) {
        snapshot_free(*snap);
        return app_fail("check: state DB: %s", err.msg);
    }
    if (rep->stopped) {
        snapshot_free(*snap);
        return app_fail("check: stopped by %s; %s", stop_reason(),
                        rep->evaluated ? "undelivered notifications stay queued"
                                       : "nothing evaluated or sent");
    }
    return 0;
}

static int check_exec(struct app *app, const struct cmd_args *a)
{
    const char *format = a->opt[OPT_FORMAT] ? a->opt[OPT_FORMAT] : "text";
    bool quiet = a->opt[OPT_QUIET] != NULL, notify = a->opt[OPT_NO_NOTIFY] == NULL;
    struct st_err err;
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return app_fail("check: unknown format '%s' (text, json)", format);
    struct adhoc ah;
    int rc = parse_adhoc(a, &ah);
    if (rc != 0)
        return rc;
    if (app_select_args(app, a->opt[OPT_SHARD], &a->all[OPT_SELECT], &err) < 0)
        return app_fail("check: %s", err.msg);
    if (app_config(app, &err) < 0)
        return app_fail("%s", err.msg);
    struct strvec names;
    strvec_init(&names);
    rc = parse_streams(app->cfg, &a->all[OPT_STREAM], &names);
    if (rc != 0) {
        strvec_done(&names);
        return rc;
    }
    /* a webhook without its secret stops only its own notifications (they stay queued); the
     * exit status stays the streams' */
    if (notify)
        app_warn_unusable_webhooks(app);

    struct snapshot *snap;
    struct pass_report rep = {0};
    rc = run_pass(app, notify, &snap, &rep);
    if (rc != 0) {
        pass_report_done(&rep);
        strvec_done(&names);
        return rc;
    }
    if (names.n) { /* report only the streams asked for */
        bool *keep = xcalloc(snap->nstreams + 1, sizeof *keep);
        for (size_t i = 0; i < snap->nstreams; i++)
            for (size_t k = 0; k < names.n && !keep[i]; k++)
                keep[i] = strcmp(snap->streams[i].name, names.v[k]) == 0;
        snapshot_keep(snap, keep);
        free(keep);
    }
    enum health worst = HEALTH_OK; /* critical > warning > unknown > ok */
    for (size_t i = 0; i < snap->nstreams; i++) {
        apply_adhoc(&ah, &snap->streams[i], snap->generated_ms);
        worst = health_worse(worst, snap->streams[i].status);
    }
    if (strcmp(format, "json") == 0) {
        struct buf out;
        buf_init(&out);
        exporter_find("json")->render(snap, &out);
        fwrite(buf_str(&out), 1, out.len, stdout);
        buf_done(&out);
    } else if (!(quiet && worst == HEALTH_OK)) {
        print_text(app->cfg, snap, &rep, &ah, names.n == 1 && snap->nstreams == 1, worst);
    }
    fflush(stdout);
    pass_report_done(&rep);
    strvec_done(&names);
    snapshot_free(snap);
    return exit_of(worst);
}

const struct cmd_entry cmd_check = {
    .name = "check",
    .usage = "[-q] [--no-notify] [-f text|json] [--stream NAME[,NAME]]... [--metric M [-w RANGE] "
             "[-c RANGE]] [--shard K/N] [--select L=V]... [PATH | --checkpoint PATH [--name N] "
             "[--source P]]...",
    .help = "one pass for cron or a monitoring system: alerts, notify, exit 0/1/2/3",
    .opts = check_opts,
    .flags = CMD_STREAMS | CMD_PATHS | CMD_OWN_C,
    .exec = check_exec,
};
