/* config_internal: what the three parts of the config module share (private to core/config*.c).
 * config_table.c holds the key table, config_value.c parses and renders values by type,
 * config.c reads the file (inih), builds the sections and checks them. */
#ifndef STREAMTOP_CONFIG_INTERNAL_H
#define STREAMTOP_CONFIG_INTERNAL_H

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

/* The row of key name in section sec, or NULL. */
const struct cfg_key *config_key_find(enum cfg_section sec, const char *name);
/* The key of section sec closest to the misspelt name, or NULL when none is close. */
const char *config_key_closest(enum cfg_section sec, const char *name);

/* Parse value as key k wants and store it in base (the struct its section lives in). 0, or -1
 * with err saying what is wrong with the value (the caller adds file, line, section, key). */
int config_value_set(void *base, const struct cfg_key *k, const char *value, struct st_err *err);
/* Set every key of section sec that has a default to it, in base. */
void config_value_defaults(void *base, enum cfg_section sec);

/* A double-quoted value starting at q (which points at the opening quote) and ending before
 * end: its unescaped text appended to out, and 0; -1 with err when it is malformed. What
 * follows the closing quote may only be white space or a comment. */
int config_unquote(const char *q, const char *end, struct buf *out, struct st_err *err);

#endif
