/* The one table of subcommands: adding a command is one file plus one line here. */
#include <stddef.h>

#include "cmd/cmd.h"

const struct cmd_entry *const cmd_table[] = {
    &cmd_dashboard, &cmd_watch,   &cmd_export, &cmd_check,      &cmd_history,
    &cmd_silence,   &cmd_notify,  &cmd_config, &cmd_demo,       &cmd_discover,
    &cmd_simulate,  &cmd_metrics, &cmd_serve,  &cmd_completion, NULL,
};
