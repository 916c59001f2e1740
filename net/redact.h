/* redact: the one place URLs are made printable. Every URL that reaches an output (stderr,
 * stream errors in any export, the dashboard, `config check`, `notify test`) goes through
 * redact_url, which parses it once with libcurl's URL API and prints only the scheme, host and
 * port, plus the path where the path is not secret. User names, passwords, query strings and
 * fragments are never printed. */
#ifndef STREAMTOP_REDACT_H
#define STREAMTOP_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* What an unparsable or ambiguous URL prints as. */
#define REDACT_UNPARSABLE "(unparsable URL)"

/* Write the printable form of url into out (outlen > 0): "scheme://host[:port]" and, when
 * show_path, the path ("/metrics/prometheus"). Use show_path false where the path may be the
 * secret (webhooks: Slack's /services/T../B../SECRET) or says nothing (S3 endpoints). A URL
 * that does not parse, or has an '@' after its host (a password with an unescaped '/', '?' or
 * '#' cuts the host short there, so any part could be the password), gives
 * REDACT_UNPARSABLE. Returns 0, or -1 when the placeholder was written. */
int redact_url(const char *url, bool show_path, char *out, size_t outlen);
/* True when s starts with http:// or https:// (any case): a value to show through redact_url. */
bool redact_is_http(const char *s);

#endif
