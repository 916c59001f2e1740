/* cmd: subcommands. Each lives in its own file and exports one const struct cmd_entry, listed
 * once in cmd_table (main.c). Only main.c and cmd/ print to stdout or choose exit codes. */
#ifndef STREAMTOP_CMD_H
#define STREAMTOP_CMD_H

#include <stdbool.h>

#include "core/config.h"
#include "core/err.h"
#include "core/select.h"
#include "core/strvec.h"
#include "pass/pass.h"

/* The monitoring-plugin convention, also used for usage and config errors (UNKNOWN). */
enum exit_code { EXIT_OK = 0, EXIT_WARNING = 1, EXIT_CRITICAL = 2, EXIT_UNKNOWN = 3 };

/* What main parsed before dispatching (the one app struct). */
struct app {
    const char *config_arg; /* -c FILE, or NULL */
    const char *db_arg;     /* --db PATH, or NULL */
    int verbose;
    struct config *zc;         /* (owned) streams given on the command line, or NULL */
    struct config *cfg;        /* (owned) the loaded config, once app_config() ran */
    bool implicit;             /* "streamtop [PATH...]": no command was named */
    struct select_spec select; /* --shard/--select of the commands that take them */
};

/* ---- option parsing, once for every subcommand ------------------------------------------ */

struct opt_spec {
    const char *lng; /* "output" for --output, or NULL */
    char shrt;       /* 'o' for -o, or 0 */
    bool arg;        /* takes a value */
    int id;          /* 1 .. CMD_MAX_OPT - 1 */
};

#define CMD_MAX_OPT 16

/* A command line as its command receives it, parsed by cmd_run. */
struct cmd_args {
    const char *opt[CMD_MAX_OPT];   /* by option id: its (last) value ("" for a flag), or NULL */
    struct strvec all[CMD_MAX_OPT]; /* by option id: every value given, in order (repeated) */
    const char **words;             /* positional words, in order */
    size_t nwords;
};

enum cmd_flags {
    CMD_STREAMS = 1, /* zero-config streams: --checkpoint/--source/--progress/--name */
    CMD_PATHS = 2,   /* every word is a PATH: a checkpoint, or a folder to discover */
    CMD_OWN_C = 4,   /* -c after the command's name is its own option, not the config file */
};

struct cmd_entry {
    const char *name;
    const char *usage;           /* arguments after the name */
    const char *help;            /* one line */
    const struct opt_spec *opts; /* the command's own options (a zeroed entry ends), or NULL */
    unsigned flags;              /* enum cmd_flags */
    size_t min_words, max_words; /* positional words (without CMD_PATHS); max 0: any number */
    int (*exec)(struct app *app, const struct cmd_args *a);
};

/* Parse argv (argv[0] is the command name) by cmd's table entry and run it: a bad option or
 * word count prints the usage and returns EXIT_UNKNOWN. */
int cmd_run(const struct cmd_entry *cmd, struct app *app, int argc, char **argv);

extern const struct cmd_entry *const cmd_table[];
/* The zero-config stream options every CMD_STREAMS command takes (a zeroed entry ends). */
extern const struct opt_spec stream_specs[];
/* The global options main.c parses, for help and shell completion (a NULL lng ends). */
extern const struct opt_spec global_specs[];
extern const struct cmd_entry cmd_watch, cmd_export, cmd_config, cmd_simulate, cmd_history,
    cmd_check, cmd_silence, cmd_notify, cmd_dashboard, cmd_demo, cmd_discover, cmd_metrics,
    cmd_completion, cmd_serve;

/* A PATH argument: a checkpoint, or a folder whose checkpoints are discovered (with their
 * guessed source and schema). 0 or -1 with err. */
int app_add_path(struct app *app, const char *path, struct st_err *err);
/* Zero-config stream options, as --checkpoint/--source/--progress/--name would give them. */
enum stream_opt { OPT_STREAM_CHECKPOINT, OPT_STREAM_SOURCE, OPT_STREAM_PROGRESS, OPT_STREAM_NAME };
/* Handle one of them. 0 or -1 with err. */
int app_stream_opt(struct app *app, enum stream_opt id, const char *val, struct st_err *err);
/* The set-once hooks other layers give core (the config's validator of rule conditions): once
 * at startup, before any config is loaded. */
void app_hooks(void);
/* Load the config (command-line streams, else the config file lookup) into app->cfg and apply
 * --db. 0, or -1 with err holding a one-line message. */
int app_config(struct app *app, struct st_err *err);
/* The config file loaded again as app_config loads it (--db, --shard, --select applied, the
 * network configured), for a daemon's reload: a new config (caller frees), or NULL with err
 * naming file and line (app->cfg stays as it is). */
struct config *app_config_again(struct app *app, struct st_err *err);
/* Take --shard K/N and --select label=value (each value of sel) into app->select before
 * app_config. 0, or -1 with err. */
int app_select_args(struct app *app, const char *shard, const struct strvec *sel,
                    struct st_err *err);
/* A front end attached to a `streamtop serve` daemon (--remote URL [--remote-auth-file FILE]). */
struct app_remote {
    struct pass_remote r;  /* what pass_new_remote takes */
    char *user, *password; /* (owned) from the auth file, or NULL */
    char shown[512];       /* the URL as it may be printed (no credentials) */
};
/* Set up ar for url: refuses streams given on the command line (the daemon has them); the
 * config is read only when -c names one, and only its [global] refresh and timeout are used
 * (streams, rules, webhooks and the state DB are the daemon's); app->cfg is set either way.
 * 0, or -1 with err. */
int app_remote(struct app *app, const char *url, const char *auth_file, struct app_remote *ar,
               struct st_err *err);
void app_remote_done(struct app_remote *ar);
/* One warning line on stderr per webhook of app->cfg that cannot be used (a ${VAR} unset, a
 * url_file missing), naming the webhook and what is missing, never a secret; returns how
 * many. For the commands that carry on without it. */
size_t app_warn_unusable_webhooks(const struct app *app);
/* Print "streamtop: <msg>" to stderr (sanitised) and return EXIT_UNKNOWN. */
int app_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "streamtop: <msg>" to stderr (sanitised); the command goes on. */
void app_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "streamtop: <msg>" to stderr and end the process at once with EXIT_UNKNOWN, freeing
 * nothing: for a thread that could not be stopped and still uses what a return would free. */
_Noreturn void app_exit_now(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage line for cmd to stderr and return EXIT_UNKNOWN. */
int app_usage(const struct cmd_entry *cmd);

#endif
