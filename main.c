/* streamtop: parse the global options (anywhere on the line), pick the subcommand from the one
 * table, and run it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "core/version.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: streamtop [-c FILE] [--db PATH] [-v] COMMAND [ARGS]\n"
                 "       streamtop --version | --help\n\ncommands:\n");
    for (size_t i = 0; cmd_table[i]; i++)
        fprintf(out, "  %-9s %s\n", cmd_table[i]->name, cmd_table[i]->help);
    fprintf(out, "\nglobal options:\n"
                 "  -c, --config FILE  config file (else $STREAMTOP_CONFIG, "
                 "~/.config/streamtop/config.ini, /etc/streamtop/config.ini)\n"
                 "  --db PATH          state database (:memory: allowed)\n"
                 "  -v, --verbose      log more (repeat for debug)\n"
                 "\nSee streamtop(1) and streamtop.conf(5).\n");
}

static const struct cmd_entry *find_cmd(const char *name)
{
    for (size_t i = 0; cmd_table[i]; i++)
        if (strcmp(cmd_table[i]->name, name) == 0)
            return cmd_table[i];
    return NULL;
}

/* The position of the command's name when that command owns -c (CMD_OWN_C), else argc. */
static int own_c_after(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (strcmp(w, "--") == 0)
            break;
        if (strcmp(w, "-c") == 0 || strcmp(w, "--config") == 0 || strcmp(w, "--db") == 0) {
            i++; /* and its value */
            continue;
        }
        if (w[0] == '-')
            continue;
        const struct cmd_entry *cmd = find_cmd(w);
        return cmd && (cmd->flags & CMD_OWN_C) ? i : argc;
    }
    return argc;
}

int main(int argc, char **argv)
{
    struct app app = {0};
    select_spec_init(&app.select);
    const char *fixed = getenv("STREAMTOP_NOW_MS");
    int64_t now_ms;
    if (fixed && parse_int64(fixed, &now_ms) == 0 && now_ms > 0)
        clock_fix(now_ms);
    app_hooks();

    /* Pull the global options out wherever they stand; the rest goes to the subcommand. After
     * the name of a command that has its own -c (check's critical threshold), -c is its. */
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    bool help = false, only_args = false;
    int own_c_from = own_c_after(argc, argv);
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *w = argv[i];
        if (only_args || (i > own_c_from && strcmp(w, "-c") == 0)) {
            rest[nrest++] = argv[i];
            continue;
        }
        if (strcmp(w, "--") == 0) {
            only_args = true;
            rest[nrest++] = argv[i];
        } else if (strcmp(w, "-c") == 0 || strcmp(w, "--config") == 0 || strcmp(w, "--db") == 0) {
            if (i + 1 >= argc) {
                free(rest);
                return app_fail("option '%s' needs a value", w);
            }
            if (w[1] == 'c' || w[2] == 'c')
                app.config_arg = argv[++i];
            else
                app.db_arg = argv[++i];
        } else if (str_prefix(w, "--config=")) {
            app.config_arg = w + 9;
        } else if (str_prefix(w, "--db=")) {
            app.db_arg = w + 5;
        } else if (strcmp(w, "-v") == 0 || strcmp(w, "--verbose") == 0) {
            app.verbose++;
        } else if (strcmp(w, "-vv") == 0) {
            app.verbose += 2;
        } else if (strcmp(w, "--version") == 0) {
            printf("streamtop %s\n", STREAMTOP_VERSION);
            free(rest);
            return EXIT_OK;
        } else if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
            help = true;
        } else {
            rest[nrest++] = argv[i];
        }
    }
    log_set_level(app.verbose >= 2 ? LOG_DEBUG : app.verbose == 1 ? LOG_INFO : LOG_WARN);

    const struct cmd_entry *cmd = NULL;
    int shift = 1;
    if (nrest > 1 && rest[1][0] != '-')
        cmd = find_cmd(rest[1]);
    if (cmd) {
        shift = 1;
    } else if (nrest > 1 && rest[1][0] != '-' && !strchr(rest[1], '/') &&
               access(rest[1], F_OK) != 0) {
        int rc = app_fail("unknown command '%s' (see streamtop --help)", rest[1]);
        free(rest);
        return rc;
    } else {
        /* "streamtop [PATH...]" and bare options: the dashboard on a terminal, else watch */
        cmd = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO) ? &cmd_dashboard : &cmd_watch;
        shift = 0;
        app.implicit = true;
    }
    if (help) {
        if (shift == 0 && nrest == 1) {
            usage(stdout);
        } else {
            printf("usage: streamtop [-c FILE] %s %s\n  %s\n", cmd->name, cmd->usage, cmd->help);
        }
        free(rest);
        return EXIT_OK;
    }
    if (shift == 0 && nrest == 1 && !isatty(STDOUT_FILENO) && !app.config_arg) {
        usage(stderr);
        free(rest);
        return EXIT_UNKNOWN;
    }
    int rc = cmd_run(cmd, &app, nrest - shift, rest + shift);
    config_free(app.cfg);
    config_free(app.zc);
    select_spec_done(&app.select);
    free(rest);
    return rc;
}
