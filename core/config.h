/* config: the INI configuration. One key table (config_keys) drives the parser, `config check`
 * and the man page test. Errors name file, line, section and key. */
#ifndef STREAMTOP_CONFIG_H
#define STREAMTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strvec.h"

enum cfg_section {
    CS_GLOBAL,
    CS_S3,
    CS_BUILTIN,
    CS_STREAM,
    CS_RULE,
    CS_WEBHOOK,
    CS_DATABRICKS,
    CS_KAFKA,
    CS_AZURE,
    CS_GCS,
    CS__COUNT
};
enum cfg_type {
    CT_STRING,
    CT_PATH,
    CT_PATHLIST,
    CT_DURATION, /* within the row's min..max (ms; max 0: no upper bound) */
    CT_LABELS,
    CT_COUNT,     /* a whole number within the row's min..max */
    CT_THRESHOLD, /* a condition as text ("> 600"), checked by the registered validator */
    CT_LIST,      /* comma-separated names */
    CT_BOOL,      /* on/off, yes/no, true/false, 1/0 */
    CT_METRIC,    /* a name of the metric registry */
    CT_HEADER,    /* "Name: value", repeatable */
    CT_URL,       /* an http:// or https:// URL */
    CT_CHOICE,    /* one of the row's choices, stored as its index (an int-sized enum) */
    CT_TEMPLATE,  /* text with {placeholders} (core/template.h), every one checked */
    CT_ROUTES,    /* "label=value[, label=value] -> webhook[, webhook]", repeatable */
    CT_LINKS,     /* link.NAME = URL template: a row named "link.NAME" takes every NAME */
    CT__COUNT
};

/* One row of the key table: it drives the parser, `config check` and the man page test. */
struct cfg_key {
    enum cfg_section section;
    const char *name;
    enum cfg_type type;
    const char *def;            /* default as text (before parsing), or NULL for none */
    int64_t min, max;           /* CT_COUNT, CT_DURATION: the allowed range (see enum cfg_type) */
    const char *const *choices; /* CT_CHOICE: the allowed names, NULL-terminated */
    const char *help;           /* one line; the man page says more */
    size_t offset; /* of the field in struct config (global), cfg_stream, cfg_rule, cfg_webhook */
    bool secret;   /* masked by `config check` */
};

/* Checks the text of a value whose meaning belongs to another layer (CT_THRESHOLD: the alert
 * rules'): returns its canonical text (caller frees), or NULL with err saying what is wrong. */
typedef char *(*config_validator_fn)(const char *text, struct st_err *err);

/* Register the validator of values of type t, once at startup, before any config is loaded
 * (setting it again replaces it). Until one is registered, such values are kept as written. */
void config_set_validator(enum cfg_type t, config_validator_fn fn);

/* [webhook] format, in the order of its choices in the key table */
enum webhook_format { WF_JSON, WF_SLACK, WF_PAGERDUTY, WF_ALERTMANAGER };
/* How a stream's query is triggered: learned from its batches, or said in the config. */
enum trigger_mode { TM_AUTO, TM_MICROBATCH, TM_REALTIME };
/* How a landing zone on an object store is listed: incremental where its keys sort by time
 * (auto), always incremental, or always whole. A stream's LM_AUTO takes [global]'s. */
enum listing_mode { LM_AUTO, LM_INCREMENTAL, LM_FULL };

/* The key table; terminated by an entry with name NULL. */
extern const struct cfg_key config_keys[];
/* "global", "s3", "builtin", "stream", "rule", "webhook", "databricks", "kafka", "azure",
 * "gcs". */
const char *config_section_name(enum cfg_section s);
/* "json", "slack", "pagerduty", "alertmanager". */
const char *config_webhook_format_name(enum webhook_format f);

struct cfg_label {
    char *key;   /* (owned) a Prometheus label name */
    char *value; /* (owned) */
};

struct cfg_labels {
    struct cfg_label *v;
    size_t n;
};

/* A route: the alerts of streams whose labels all match (a glob over the value; the name
 * "stream" matches the stream's name) go to notify. */
struct cfg_route {
    struct cfg_labels match;
    struct strvec notify; /* webhook names */
    int line;             /* where it is written, for messages */
};

struct cfg_routes {
    struct cfg_route *v;
    size_t n;
};

/* librdkafka properties given as `kafka.<property> = value` ([kafka] defaults, then a stream's
 * own, which replace a default of the same name). */
struct cfg_kprop {
    char *name;  /* (owned) the property, without "kafka." */
    char *value; /* (owned) with ${VAR} expanded */
    bool secret; /* written with ${VAR}, or a password/secret/key/token/jaas property: never
                  * printed */
};

struct cfg_kprops {
    struct cfg_kprop *v;
    size_t n;
};

struct cfg_stream {
    char *name; /* (owned) */
    int line;   /* line of the [stream NAME] header, 0 for streams from the command line */
    char *checkpoint;
    char *source;
    char *schema;
    char *sink;
    char *progress;
    struct strvec deadletter;
    int64_t trigger_ms; /* expected cadence; 0 = learn it from history */
    enum trigger_mode trigger_mode;
    int64_t timeout_ms; /* network request timeout ([global] timeout) */
    struct cfg_labels labels;
    char *s3_profile;         /* AWS profile for this stream's s3:// paths, or NULL */
    char *dbx_profile;        /* Databricks profile for this stream's /Volumes and dbfs:/ paths */
    int64_t job_id;           /* Databricks job running the stream, 0 when none */
    int64_t feeder_job_id;    /* Databricks job feeding its landing folder, 0 when none */
    int64_t feeder_late_ms;   /* feeder's last success older than this alerts; 0: 3 x schedule */
    bool follow_links;        /* follow links that leave the stream's configured paths */
    bool source_guessed;      /* source came from the file-source log (zero-config), not the user */
    char *owner;              /* who owns it, or NULL (then its label "owner", if any) */
    char *runbook;            /* URL template, or NULL; overrides the rule's */
    struct cfg_labels links;  /* link.NAME = URL template: key NAME, value the template */
    int64_t freshness_ms;     /* no-new-data limit; 0 = learn it from the arrivals */
    char *staging;            /* (owned) the feeder's staging folder inside `source` */
    int64_t staging_stale_ms; /* a staging file older than this is a feeder's leftover */
    int64_t clock_skew_ms;    /* allowance between the storage's and the driver's clocks */
    enum listing_mode listing;     /* resolved: the stream's, else [global]'s */
    int64_t full_listing_every_ms; /* resolved: the stream's, else [global]'s */
    char *kafka_bootstrap;         /* Kafka bootstrap servers (or [kafka] bootstrap), or NULL */
    int64_t kafka_timeout_ms;      /* bound of the Kafka part of a pass (0: [kafka] timeout) */
    struct cfg_kprops kafka_props; /* resolved: [kafka]'s, then the stream's */
    char *azure_sas_token;         /* this stream's Azure credentials (secrets), or NULL */
    char *azure_account_key;
};

struct cfg_rule {
    char *name; /* (owned) */
    int line;
    char *streams;     /* glob over stream names, or label=value; default "*" */
    int metric;        /* index in the metric registry, -1 unset */
    char *warn, *crit; /* (owned) conditions as text ("> 600"), or NULL; alerts/ parses them */
    int64_t for_ms;
    int64_t repeat_ms;
    struct strvec notify;     /* webhook names */
    char *summary;            /* template, or NULL for the default */
    struct cfg_routes routes; /* by label, first match wins; none matches: notify */
    char *runbook;            /* URL template, or NULL */
    struct cfg_labels links;
};

struct cfg_webhook {
    char *name; /* (owned) */
    int line;
    enum webhook_format format;
    char *url;
    char *url_file;        /* a file holding the URL (a secret) */
    struct strvec headers; /* "Name: value" */
    char *routing_key;     /* PagerDuty */
    char *ca_file;
    int64_t timeout_ms;
    int64_t max_age_ms;
    /* (owned) why it cannot be used, or NULL: the secrets it needs that are missing, "; "
     * between them ("url: environment variable SLACK_URL is not set", "url_file: /etc/x: No
     * such file or directory"); never holds a secret. Only what sends through it stops. */
    char *unusable;
};

/* The built-in rules ([builtin]). */
struct cfg_builtin {
    bool stalled, stuck, not_draining, deadletter_growing, schema_changed, collector_failing;
    bool state_schema_changed, checkpoint_unrestartable, kafka_data_lost;
    bool job_down, feeder_late, job_failed;
    bool no_new_data, staging_stale;
    int64_t freshness_factor; /* no-new-data: max(freshness_factor x usual gap, freshness_min) */
    int64_t freshness_min_ms;
    int64_t stalled_min_ms; /* max(stalled_factor x cadence, this) */
    int64_t stalled_factor;
    int64_t stuck_min_ms; /* max(stuck_factor x median duration, this) */
    int64_t stuck_factor;
    int64_t drain_window_ms;  /* not draining: window of history looked at */
    int64_t unknown_grace_ms; /* unmeasurable this long: the alert goes UNKNOWN */
    int64_t repeat_ms;
    struct strvec notify;     /* where alerts go when no route matches */
    struct cfg_routes routes; /* by label, first match wins */
    char *runbook;            /* URL template of the built-in alerts, or NULL */
    struct cfg_labels links;
};

struct config {
    char *path; /* (owned) file it came from, or NULL (zero-config) */
    int64_t refresh_ms;
    int64_t retention_ms;
    int64_t timeout_ms;
    char *database;                /* (owned) expanded path, or ":memory:" */
    enum listing_mode listing;     /* default of the streams' `listing` */
    int64_t full_listing_every_ms; /* default of the streams' `full_listing_every` */
    char *serve_listen; /* streamtop serve's [global] listen, tls_cert, tls_key, basic_auth_file */
    char *serve_tls_cert;
    char *serve_tls_key;
    char *serve_basic_auth_file;
    char *s3_endpoint; /* [s3] (owned) or NULL */
    char *s3_region;
    char *s3_profile;
    int64_t s3_parallel;
    char *dbx_host; /* [databricks] (owned) or NULL */
    char *dbx_profile;
    int64_t dbx_parallel;
    char *kafka_bootstrap; /* [kafka] (owned) or NULL */
    int64_t kafka_timeout_ms;
    int64_t kafka_max_series; /* Prometheus per-partition series, at most */
    struct cfg_kprops kafka_props;
    char *azure_endpoint; /* [azure] (owned) or NULL */
    char *azure_sas_token;
    char *azure_account_key;
    char *azure_authority_host;
    char *azure_identity_endpoint;
    int64_t azure_parallel;
    int64_t azure_page_size; /* 0: the service's */
    char *gcs_endpoint;      /* [gcs] (owned) or NULL */
    char *gcs_access_id;
    char *gcs_secret;
    struct cfg_builtin builtin;
    struct cfg_rule *rules;
    size_t nrules;
    struct cfg_webhook *webhooks;
    size_t nwebhooks;
    struct cfg_stream *streams;
    size_t nstreams;
};

/* Where to look: explicit (-c) if non-NULL, else $STREAMTOP_CONFIG, $XDG_CONFIG_HOME/streamtop/
 * config.ini (or ~/.config/...), /etc/streamtop/config.ini. Returns a heap path of the first that
 * exists, or NULL with err filled (listing where it looked) when none does. */
char *config_find(const char *explicit_path, struct st_err *err);
/* A config with defaults and no streams (for zero-config use); free with config_free. */
struct config *config_new_default(void);
/* Parse the file at path. Returns NULL and fills err ("file:line: [section]: message") on the
 * first error; nothing is half-applied. */
struct config *config_load(const char *path, struct st_err *err);
/* Parse INI text held in memory; name is used in error messages. */
struct config *config_parse(const char *name, const char *text, size_t len, struct st_err *err);
/* Add a stream from the command line; name NULL derives one from the checkpoint path. Returns
 * it (borrowed, valid until the next add). */
struct cfg_stream *config_add_stream(struct config *cfg, const char *name, const char *checkpoint);
/* Set one key of a stream from text, as the file would ("source", "/landing"). 0 or -1. */
int config_stream_set(struct cfg_stream *cs, const char *key, const char *value,
                      struct st_err *err);
void config_free(struct config *cfg);
/* Keep the streams for which keep(stream, arg) is true (in order), free the others. Returns
 * how many are kept. */
size_t config_keep_streams(struct config *cfg,
                           bool (*keep)(const struct cfg_stream *cs, const void *arg),
                           const void *arg);
/* The webhook named name, or NULL. */
const struct cfg_webhook *config_webhook(const struct config *cfg, const char *name);
/* Does the rule's `streams` match the stream (glob over the name, or label=value)? */
bool config_rule_matches(const struct cfg_rule *r, const struct cfg_stream *cs);
/* The webhooks of the first route whose matchers all hold for the stream, else fallback
 * (borrowed either way). */
const struct strvec *config_route(const struct cfg_routes *routes, const struct strvec *fallback,
                                  const struct cfg_stream *cs);
/* The owner of a stream: its owner key, else its label "owner", else NULL (borrowed). */
const char *config_stream_owner(const struct cfg_stream *cs);
/* The value of a label of the stream, or NULL (borrowed). */
const char *config_label(const struct cfg_labels *l, const char *key);

/* Normalise a user path: "file:///x" -> "/x", "file:/D:/x" (Windows) -> "D:/x", "dbfs:/x" ->
 * "/dbfs/x", "dbfs:/Volumes/x" -> "/Volumes/x", "s3a://" -> "s3://", leading "~/" -> $HOME/.
 * Returns a heap string. */
char *config_normalize_path(const char *path);
/* Expand ${VAR} and ${VAR:-default} from the environment; "$$" is a literal "$". Returns a heap
 * string, or NULL with err naming the variable (code ST_ENOENT when it is unset, ST_EFORMAT
 * when the text is malformed). */
char *config_expand_env(const char *value, struct st_err *err);
/* The text to write after "key = " so that the file gives back exactly value: "$" doubled (no
 * variable is expanded), and the whole in double quotes with \\ \" \xHH escapes when it holds
 * a ';', '#', quote, backslash, control byte or edge space (what inih would cut or change).
 * For writing paths found in storage into a config. Caller frees. */
char *config_quote(const char *value);
/* Add (or replace) librdkafka property name (without "kafka.") in props; value already expanded. */
void config_kprops_set(struct cfg_kprops *props, const char *name, const char *value, bool secret);
void config_kprops_done(struct cfg_kprops *props);
/* Whether a librdkafka property's value is a secret by its name (sasl.password, *.key,
 * ssl.key.password, sasl.jaas.config, sasl.oauthbearer.client.secret, ...). */
bool config_kprop_is_secret(const char *name);

/* Render the value of key k of base (the struct config, cfg_stream, cfg_rule or cfg_webhook its
 * section lives in) as text, as `config check` prints it. Caller frees. */
char *config_value_text(const void *base, const struct cfg_key *k);

#endif
