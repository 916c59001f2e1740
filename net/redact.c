#include "net/redact.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static char *part(CURLU *u, CURLUPart which)
{
    char *s = NULL;
    if (curl_url_get(u, which, &s, 0) != CURLUE_OK)
        return NULL;
    return s;
}

int redact_url(const char *url, bool show_path, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    int rc = -1;
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *frag = NULL;
    /* any scheme parses (s3://, ftp://): the caller decides what it requests */
    if (u && url && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK) {
        scheme = part(u, CURLUPART_SCHEME);
        host = part(u, CURLUPART_HOST);
        port = part(u, CURLUPART_PORT);
        path = part(u, CURLUPART_PATH);
        query = part(u, CURLUPART_QUERY);
        frag = part(u, CURLUPART_FRAGMENT);
        /* "http://u:p@ss/w?rd#x@host/": the authority ends at the first '/', '?' or '#', so
         * libcurl (and the request) sees host "ss"; an '@' after the host means the user name
         * or password may have spilled into host, path, query and fragment */
        bool spilled = (path && strchr(path, '@')) || (query && strchr(query, '@')) ||
                       (frag && strchr(frag, '@'));
        if (scheme && host && *host && !spilled) {
            snprintf(out, outlen, "%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
                     show_path && path && strcmp(path, "/") != 0 ? path : "");
            rc = 0;
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(query);
    curl_free(frag);
    curl_url_cleanup(u);
    if (rc < 0)
        snprintf(out, outlen, "%s", REDACT_UNPARSABLE);
    return rc;
}

bool redact_is_http(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}
