/* template: text with {name} placeholders, as in a rule's summary, a runbook and a link. The
 * names are the fixed ones of template_names, every metric of the registry and label.NAME (a
 * label of the stream; empty when the stream has none of that name). "{{" is a literal "{";
 * a "{" that does not start a placeholder ({name} of letters, digits, '_' and '.') is itself. */
#ifndef STREAMTOP_TEMPLATE_H
#define STREAMTOP_TEMPLATE_H

#include <stdbool.h>

#include "core/err.h"

/* The fixed names, NULL-terminated: stream, rule, metric, value, value_raw, threshold, level,
 * since, duration, owner, runbook, host. */
extern const char *const template_names[];

/* Is name (without braces) a placeholder a template may use? */
bool template_name_known(const char *name);
/* 0 when every placeholder of tmpl is known; -1 with err "unknown placeholder {x} (...)". */
int template_check(const char *tmpl, struct st_err *err);

/* The text of placeholder name (a known one), or NULL for none. */
typedef const char *(*template_value_fn)(void *ctx, const char *name);
/* tmpl with each placeholder replaced by fn's text; url_escape percent-encodes that text (a link
 * or runbook URL), leaving the template's own characters as written. Caller frees. */
char *template_render(const char *tmpl, template_value_fn fn, void *ctx, bool url_escape);

#endif
