/* cmd: subcommands. Each lives in its own file and exports one const struct cmd_entry, listed
 * once in cmd_table (main.c). Only main.c and cmd/ print to stdout or choose exit codes. */
#ifndef STREAMTOP_CMD_H
#define STREAMTOP_CMD_H

#include <stdbool.h>

#include "core/config.h"
#include "core/err.h"

/* The monitoring-plugin convention, also used for usage and config errors (UNKNOWN). */
enum exit_code { EXIT_OK = 0, EXIT_WARNING = 1, EXIT_CRITICAL = 2, EXIT_UNKNOWN = 3 };

/* What main parsed before dispatching (the one app struct). */
struct app {
    const char *config_arg; /* -c FILE, or NULL */
    const char *db_arg;     /* --db PATH, or NULL */
    int verbose;
    struct config *zc;  /* (owned) streams given on the command line, or NULL */
    struct config *cfg; /* (owned) the loaded config, once app_config() ran */
};

struct cmd_entry {
    const char *name;
    const char *usage;                                   /* arguments after the name */
    const char *help;                                    /* one line */
    int (*exec)(struct app *app, int argc, char **argv); /* argv[0] is the command name */
};

extern const struct cmd_entry *const cmd_table[];
extern const struct cmd_entry cmd_watch, cmd_export, cmd_config, cmd_simulate, cmd_history,
    cmd_check, cmd_silence, cmd_notify, cmd_dashboard, cmd_demo, cmd_discover;

struct store;
/* Open the state DB of app->cfg (after app_config). On failure say why on stderr and return
 * NULL: the pass goes on without history. Close with store_close. */
struct store *app_open_store(struct app *app);

/* ---- option parsing shared by the subcommands ------------------------------------------ */

struct opt_spec {
    const char *lng; /* "output" for --output, or NULL */
    char shrt;       /* 'o' for -o, or 0 */
    bool arg;        /* takes a value */
    int id;          /* > 0 */
};

/* Ids of the zero-config stream options every collecting command accepts. */
enum {
    OPT_STREAM_CHECKPOINT = 1000,
    OPT_STREAM_SOURCE,
    OPT_STREAM_PROGRESS,
    OPT_STREAM_NAME,
};
#define OPT_STREAM_SPECS                                                                           \
    {"checkpoint", 0, true, OPT_STREAM_CHECKPOINT}, {"source", 0, true, OPT_STREAM_SOURCE},        \
        {"progress", 0, true, OPT_STREAM_PROGRESS},                                                \
    {                                                                                              \
        "name", 0, true, OPT_STREAM_NAME                                                           \
    }

struct opt_iter {
    int argc;
    char **argv;
    int i;
    bool only_args; /* after "--" */
};

void opt_init(struct opt_iter *it, int argc, char **argv);
/* Next option: its id (value in *val when it takes one); 0 for a positional word (in *val);
 * -1 at the end; -2 on a bad option (err says which). specs ends with a zeroed entry. */
int opt_next(struct opt_iter *it, const struct opt_spec *specs, const char **val,
             struct st_err *err);

/* A PATH argument: a checkpoint, or a folder whose checkpoints are discovered (with their
 * guessed source and schema). 0 or -1 with err. */
int app_add_path(struct app *app, const char *path, struct st_err *err);
/* Handle an OPT_STREAM_* option. 0 or -1 with err. */
int app_stream_opt(struct app *app, int id, const char *val, struct st_err *err);
/* Load the config (command-line streams, else the config file lookup) into app->cfg and apply
 * --db. 0, or -1 with err holding a one-line message. */
int app_config(struct app *app, struct st_err *err);
/* Print "streamtop: <msg>" to stderr (sanitised) and return EXIT_UNKNOWN. */
int app_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "streamtop: <msg>" to stderr (sanitised); the command goes on. */
void app_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a usage line for cmd to stderr and return EXIT_UNKNOWN. */
int app_usage(const struct cmd_entry *cmd);

#endif
