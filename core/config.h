/* config: the INI configuration. One key table (config_keys) drives the parser, `config check`
 * and the man page test. Errors name file, line, section and key. */
#ifndef STREAMTOP_CONFIG_H
#define STREAMTOP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/strvec.h"

enum cfg_section { CS_GLOBAL, CS_S3, CS_STREAM, CS__COUNT };
enum cfg_type { CT_STRING, CT_PATH, CT_PATHLIST, CT_DURATION, CT_LABELS, CT_COUNT };

struct cfg_key {
    enum cfg_section section;
    const char *name;
    enum cfg_type type;
    const char *def;  /* default as text (before parsing), or NULL for none */
    const char *help; /* one line; the man page says more */
    size_t offset;    /* of the field in struct config (global) or struct cfg_stream */
};

/* The key table; terminated by an entry with name NULL. */
extern const struct cfg_key config_keys[];
/* "global", "s3", "stream". */
const char *config_section_name(enum cfg_section s);

struct cfg_label {
    char *key;   /* (owned) a Prometheus label name */
    char *value; /* (owned) */
};

struct cfg_labels {
    struct cfg_label *v;
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
    int64_t timeout_ms; /* network request timeout ([global] timeout) */
    struct cfg_labels labels;
    char *s3_profile; /* AWS profile for this stream's s3:// paths, or NULL */
};

struct config {
    char *path; /* (owned) file it came from, or NULL (zero-config) */
    int64_t refresh_ms;
    int64_t retention_ms;
    int64_t timeout_ms;
    char *database;    /* (owned) expanded path, or ":memory:" */
    char *s3_endpoint; /* [s3] (owned) or NULL */
    char *s3_region;
    char *s3_profile;
    int64_t s3_parallel;
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
int config_stream_set(struct cfg_stream *st, const char *key, const char *value,
                      struct st_err *err);
void config_free(struct config *cfg);

/* Normalise a user path: "file:///x" -> "/x", "dbfs:/x" -> "/dbfs/x", "s3a://" -> "s3://",
 * leading "~/" -> $HOME/. Returns a heap string. */
char *config_normalize_path(const char *path);
/* Expand ${VAR} and ${VAR:-default} from the environment; "$$" is a literal "$". Returns a heap
 * string, or NULL with err naming the variable. */
char *config_expand_env(const char *value, struct st_err *err);
/* Render the value of key k of a stream (or of the global section when st is NULL) as text, as
 * `config check` prints it. Caller frees. */
char *config_value_text(const struct config *cfg, const struct cfg_stream *st,
                        const struct cfg_key *k);

#endif
