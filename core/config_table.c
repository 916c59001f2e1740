/* The key table: one row per key of the configuration file, with its type, default, limits
 * and help. The parser, `config check` and the man page test all read it. */
#include <stddef.h>
#include <string.h>

#include "core/config_internal.h"
#include "core/parse.h"

/* where a row's value goes: the field of the struct its section lives in */
#define G(field) offsetof(struct config, field)
#define S(field) offsetof(struct cfg_stream, field)
#define R(field) offsetof(struct cfg_rule, field)
#define W(field) offsetof(struct cfg_webhook, field)

/* in the order of enum webhook_format */
static const char *const webhook_formats[] = {"json", "slack", "pagerduty", "alertmanager", NULL};
static const char *const trigger_modes[] = {"auto", "microbatch", "realtime", NULL};

const struct cfg_key config_keys[] = {
    /* [global] */
    {.section = CS_GLOBAL,
     .name = "refresh",
     .type = CT_DURATION,
     .def = "2s",
     .min = 100, /* a shorter one would keep the dashboard and watch busy collecting */
     .help = "Dashboard refresh interval (at least 100ms).",
     .offset = G(refresh_ms)},
    {.section = CS_GLOBAL,
     .name = "retention",
     .type = CT_DURATION,
     .def = "14d",
     .help = "How long history is kept in the state database.",
     .offset = G(retention_ms)},
    {.section = CS_GLOBAL,
     .name = "timeout",
     .type = CT_DURATION,
     .def = "10s",
     .help = "Longest wait for one network request (metrics URLs, S3).",
     .offset = G(timeout_ms)},
    {.section = CS_GLOBAL,
     .name = "database",
     .type = CT_PATH,
     .help = "State database path (default $XDG_STATE_HOME/streamtop/history.db; :memory: "
             "allowed).",
     .offset = G(database)},

    /* [s3] */
    {.section = CS_S3,
     .name = "endpoint",
     .type = CT_URL,
     .help = "S3-compatible endpoint URL (path-style addressing); unset for AWS.",
     .offset = G(s3_endpoint)},
    {.section = CS_S3,
     .name = "region",
     .type = CT_STRING,
     .help = "Signing region (default $AWS_REGION, the profile's, or us-east-1).",
     .offset = G(s3_region)},
    {.section = CS_S3,
     .name = "profile",
     .type = CT_STRING,
     .help = "AWS profile in ~/.aws/credentials (default: the environment's keys, then "
             "$AWS_PROFILE).",
     .offset = G(s3_profile)},
    {.section = CS_S3,
     .name = "parallel",
     .type = CT_COUNT,
     .def = "8",
     .min = 1,
     .max = 64,
     .help = "Requests one S3 listing may run at once (1 to 64).",
     .offset = G(s3_parallel)},

    /* [azure] */
    {.section = CS_AZURE,
     .name = "endpoint",
     .type = CT_URL,
     .help = "Blob service URL of the account, path-style (Azurite: "
             "http://127.0.0.1:10000/devstoreaccount1); unset for https://ACCOUNT.blob.SUFFIX.",
     .offset = G(azure_endpoint)},
    {.section = CS_AZURE,
     .name = "sas_token",
     .type = CT_STRING,
     .help = "Account SAS token (default $AZURE_STORAGE_SAS_TOKEN); write ${VAR}.",
     .offset = G(azure_sas_token),
     .secret = true},
    {.section = CS_AZURE,
     .name = "account_key",
     .type = CT_STRING,
     .help = "Storage account key for Shared Key requests (default $AZURE_STORAGE_KEY); write "
             "${VAR}.",
     .offset = G(azure_account_key),
     .secret = true},
    {.section = CS_AZURE,
     .name = "authority_host",
     .type = CT_URL,
     .help = "Microsoft Entra ID host for a service principal's token (default "
             "$AZURE_AUTHORITY_HOST or https://login.microsoftonline.com).",
     .offset = G(azure_authority_host)},
    {.section = CS_AZURE,
     .name = "identity_endpoint",
     .type = CT_URL,
     .help = "Managed identity token URL (default the instance metadata service's).",
     .offset = G(azure_identity_endpoint)},
    {.section = CS_AZURE,
     .name = "parallel",
     .type = CT_COUNT,
     .def = "8",
     .min = 1,
     .max = 64,
     .help = "Requests one Azure listing may run at once (1 to 64).",
     .offset = G(azure_parallel)},
    {.section = CS_AZURE,
     .name = "page_size",
     .type = CT_COUNT,
     .def = "5000",
     .min = 1,
     .max = 5000,
     .help = "Blobs asked for per List Blobs page (maxresults, 1 to 5000).",
     .offset = G(azure_page_size)},

    /* [gcs] */
    {.section = CS_GCS,
     .name = "endpoint",
     .type = CT_URL,
     .help = "Cloud Storage XML API endpoint, path-style (default $STORAGE_EMULATOR_HOST, else "
             "https://storage.googleapis.com).",
     .offset = G(gcs_endpoint)},
    {.section = CS_GCS,
     .name = "access_id",
     .type = CT_STRING,
     .help = "HMAC key access id (default $GCS_HMAC_ACCESS_ID).",
     .offset = G(gcs_access_id)},
    {.section = CS_GCS,
     .name = "secret",
     .type = CT_STRING,
     .help = "HMAC key secret (default $GCS_HMAC_SECRET); write ${VAR}.",
     .offset = G(gcs_secret),
     .secret = true},

    /* [builtin] */
    {.section = CS_BUILTIN,
     .name = "stalled",
     .type = CT_BOOL,
     .def = "on",
     .help = "Stream stalled: no commit for max(stalled_factor x cadence, stalled_min) while "
             "work waits.",
     .offset = G(builtin.stalled)},
    {.section = CS_BUILTIN,
     .name = "stalled_factor",
     .type = CT_COUNT,
     .def = "3",
     .min = 1,
     .max = 1000,
     .help = "Cadences without a commit before stalled (1 to 1000).",
     .offset = G(builtin.stalled_factor)},
    {.section = CS_BUILTIN,
     .name = "stalled_min",
     .type = CT_DURATION,
     .def = "1m",
     /* Nothing beats outside the driver: a dead one and one restarting look alike until the
      * restart's first commit, and the cadence floor must also clear slow commits of a
      * healthy query. Live on two busy cores (bench/detect.sh): healthy commit gaps of 1-2 s
      * triggers up to 28 s (a Delta sink while other JVMs started), a driver's start to its
      * first batch 15-72 s. 1m keeps twice the longest healthy gap and sees a killed driver
      * in 62 s with a pass every 10 s (it was 5m: 303 s). */
     .help = "Shortest time without a commit that stalls: longer than a driver restart and "
             "its first batch take (raise it above your restarts' length if they should not "
             "page).",
     .offset = G(builtin.stalled_min_ms)},
    {.section = CS_BUILTIN,
     .name = "stuck",
     .type = CT_BOOL,
     .def = "on",
     .help = "Batch stuck: in flight for more than max(stuck_factor x median duration, "
             "stuck_min).",
     .offset = G(builtin.stuck)},
    {.section = CS_BUILTIN,
     .name = "stuck_factor",
     .type = CT_COUNT,
     .def = "10",
     .min = 1,
     .max = 1000,
     .help = "Median batch durations before stuck (1 to 1000).",
     .offset = G(builtin.stuck_factor)},
    {.section = CS_BUILTIN,
     .name = "stuck_min",
     .type = CT_DURATION,
     .def = "2m",
     /* the limit until three batches have committed (no median yet): the first batch of a
      * cold JVM must fit (in flight up to 60 s in the live runs on two busy cores); a dead
      * driver with a batch in flight is `stalled` after stalled_min anyway (it was 15m) */
     .help = "Shortest time in flight that is stuck; the limit while no median duration is "
             "known, so a first batch (a cold start, an initial backfill) must fit in it.",
     .offset = G(builtin.stuck_min_ms)},
    {.section = CS_BUILTIN,
     .name = "not_draining",
     .type = CT_BOOL,
     .def = "on",
     .help = "Backlog not draining: it never shrank over drain_window while batches committed.",
     .offset = G(builtin.not_draining)},
    {.section = CS_BUILTIN,
     .name = "drain_window",
     .type = CT_DURATION,
     .def = "30m",
     .help = "History window of not_draining.",
     .offset = G(builtin.drain_window_ms)},
    {.section = CS_BUILTIN,
     .name = "deadletter_growing",
     .type = CT_BOOL,
     .def = "on",
     .help = "New dead-letter files since the last pass.",
     .offset = G(builtin.deadletter_growing)},
    {.section = CS_BUILTIN,
     .name = "schema_changed",
     .type = CT_BOOL,
     .def = "on",
     .help = "A new schema version appeared (warning, 1h).",
     .offset = G(builtin.schema_changed)},
    {.section = CS_BUILTIN,
     .name = "collector_failing",
     .type = CT_BOOL,
     .def = "on",
     .help = "A path cannot be read: the stream is UNKNOWN.",
     .offset = G(builtin.collector_failing)},
    {.section = CS_BUILTIN,
     .name = "state_schema_changed",
     .type = CT_BOOL,
     .def = "on",
     .help = "A stateful operator's state schema changed (warning, 1h).",
     .offset = G(builtin.state_schema_changed)},
    {.section = CS_BUILTIN,
     .name = "checkpoint_unrestartable",
     .type = CT_BOOL,
     .def = "on",
     .help = "The checkpoint is in a state Spark refuses to restart from (critical).",
     .offset = G(builtin.checkpoint_unrestartable)},
    {.section = CS_BUILTIN,
     .name = "unknown_grace",
     .type = CT_DURATION,
     .def = "10m",
     .help = "How long a firing alert's metric may be unmeasurable before the alert is UNKNOWN.",
     .offset = G(builtin.unknown_grace_ms)},
    {.section = CS_BUILTIN,
     .name = "repeat",
     .type = CT_DURATION,
     .def = "4h",
     .help = "Re-notify interval of built-in alerts.",
     .offset = G(builtin.repeat_ms)},
    {.section = CS_BUILTIN,
     .name = "notify",
     .type = CT_LIST,
     .help = "Webhooks the built-in rules notify (none unless set).",
     .offset = G(builtin.notify)},

    /* [stream NAME] */
    {.section = CS_STREAM,
     .name = "checkpoint",
     .type = CT_PATH,
     .help = "Spark checkpoint location of the query.",
     .offset = S(checkpoint)},
    {.section = CS_STREAM,
     .name = "source",
     .type = CT_PATH,
     .help = "Landing path the stream reads (file backlog).",
     .offset = S(source)},
    {.section = CS_STREAM,
     .name = "schema",
     .type = CT_PATH,
     .help = "Auto Loader schemaLocation (holds _schemas/).",
     .offset = S(schema)},
    {.section = CS_STREAM,
     .name = "sink",
     .type = CT_PATH,
     .help = "Delta table the stream writes (reads _delta_log).",
     .offset = S(sink)},
    {.section = CS_STREAM,
     .name = "deadletter",
     .type = CT_PATHLIST,
     .help = "Comma-separated dead-letter prefixes.",
     .offset = S(deadletter)},
    {.section = CS_STREAM,
     .name = "progress",
     .type = CT_PATH,
     .help = "Progress JSON lines, a driver log, or an http(s):// metrics URL.",
     .offset = S(progress)},
    {.section = CS_STREAM,
     .name = "trigger",
     .type = CT_DURATION,
     .def = "0",
     .help = "Expected batch cadence (0: learn it from history); in real-time mode the "
             "Trigger.RealTime duration (0: Spark's default, 5m).",
     .offset = S(trigger_ms)},
    {.section = CS_STREAM,
     .name = "trigger_mode",
     .type = CT_CHOICE,
     .def = "auto",
     .choices = trigger_modes,
     .help = "auto | microbatch | realtime (Trigger.RealTime: one long batch per trigger).",
     .offset = S(trigger_mode)},
    {.section = CS_STREAM,
     .name = "labels",
     .type = CT_LABELS,
     .help = "Comma-separated key=value labels.",
     .offset = S(labels)},
    {.section = CS_STREAM,
     .name = "s3_profile",
     .type = CT_STRING,
     .help = "AWS profile for this stream's s3:// paths (overrides [s3] profile).",
     .offset = S(s3_profile)},
    {.section = CS_STREAM,
     .name = "azure_sas_token",
     .type = CT_STRING,
     .help = "SAS token for this stream's Azure paths (overrides [azure]); write ${VAR}.",
     .offset = S(azure_sas_token),
     .secret = true},
    {.section = CS_STREAM,
     .name = "azure_account_key",
     .type = CT_STRING,
     .help = "Account key for this stream's Azure paths (overrides [azure]); write ${VAR}.",
     .offset = S(azure_account_key),
     .secret = true},
    {.section = CS_STREAM,
     .name = "follow_links",
     .type = CT_BOOL,
     .def = "no",
     .help = "Follow links that lead out of the stream's configured paths.",
     .offset = S(follow_links)},

    /* [rule NAME] */
    {.section = CS_RULE,
     .name = "streams",
     .type = CT_STRING,
     .def = "*",
     .help = "Glob over stream names, or label=value.",
     .offset = R(streams)},
    {.section = CS_RULE,
     .name = "metric",
     .type = CT_METRIC,
     .help = "The metric the rule watches (any registry name).",
     .offset = R(metric)},
    {.section = CS_RULE,
     .name = "warn",
     .type = CT_THRESHOLD,
     .help = "Warning condition: > 600, >= 1, < 0.5.",
     .offset = R(warn)},
    {.section = CS_RULE,
     .name = "crit",
     .type = CT_THRESHOLD,
     .help = "Critical condition.",
     .offset = R(crit)},
    {.section = CS_RULE,
     .name = "for",
     .type = CT_DURATION,
     .def = "0",
     .help = "How long the condition must hold before firing.",
     .offset = R(for_ms)},
    {.section = CS_RULE,
     .name = "repeat",
     .type = CT_DURATION,
     .def = "4h",
     .help = "Re-notify interval while firing.",
     .offset = R(repeat_ms)},
    {.section = CS_RULE,
     .name = "notify",
     .type = CT_LIST,
     .help = "Webhook names to notify.",
     .offset = R(notify)},
    {.section = CS_RULE,
     .name = "summary",
     .type = CT_STRING,
     .help = "Message template: {stream}, {metric}, {value}, {threshold}, {level}, {rule}.",
     .offset = R(summary)},

    /* [webhook NAME] */
    {.section = CS_WEBHOOK,
     .name = "format",
     .type = CT_CHOICE,
     .def = "json",
     .choices = webhook_formats,
     .help = "json | slack | pagerduty | alertmanager.",
     .offset = W(format)},
    {.section = CS_WEBHOOK,
     .name = "url",
     .type = CT_STRING,
     .help = "Where to POST (Alertmanager: its base URL).",
     .offset = W(url),
     .secret = true},
    {.section = CS_WEBHOOK,
     .name = "url_file",
     .type = CT_PATH,
     .help = "A file holding the URL (instead of url).",
     .offset = W(url_file)},
    {.section = CS_WEBHOOK,
     .name = "header",
     .type = CT_HEADER,
     .help = "An extra header, Name: value (repeatable).",
     .offset = W(headers),
     .secret = true},
    {.section = CS_WEBHOOK,
     .name = "routing_key",
     .type = CT_STRING,
     .help = "PagerDuty Events API v2 routing key.",
     .offset = W(routing_key),
     .secret = true},
    {.section = CS_WEBHOOK,
     .name = "ca_file",
     .type = CT_PATH,
     .help = "Extra CA bundle for TLS.",
     .offset = W(ca_file)},
    {.section = CS_WEBHOOK,
     .name = "timeout",
     .type = CT_DURATION,
     .def = "5s",
     .help = "Longest wait for one delivery.",
     .offset = W(timeout_ms)},
    {.section = CS_WEBHOOK,
     .name = "max_age",
     .type = CT_DURATION,
     .def = "24h",
     .help = "How long an undelivered notification is retried before it is dropped.",
     .offset = W(max_age_ms)},

    {.name = NULL},
};

const char *config_section_name(enum cfg_section s)
{
    static const char *const names[] = {"global", "s3",      "builtin", "stream",
                                        "rule",   "webhook", "azure",   "gcs"};
    return (unsigned)s < CS__COUNT ? names[s] : "?";
}

const char *config_webhook_format_name(enum webhook_format f)
{
    return (unsigned)f < sizeof webhook_formats / sizeof webhook_formats[0] - 1 ? webhook_formats[f]
                                                                                : "?";
}

const struct cfg_key *config_key_find(enum cfg_section sec, const char *name)
{
    for (const struct cfg_key *k = config_keys; k->name; k++)
        if (k->section == sec && strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

const char *config_key_closest(enum cfg_section sec, const char *name)
{
    const char *best = NULL;
    int bestd = 3; /* suggest only close misspellings */
    for (const struct cfg_key *k = config_keys; k->name; k++) {
        if (k->section != sec)
            continue;
        int d = str_distance(name, k->name);
        if (d < bestd) {
            bestd = d;
            best = k->name;
        }
    }
    return best;
}
