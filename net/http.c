#include "net/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "core/xalloc.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_BYTES  (8u * 1024 * 1024)

static int curl_ready;

void http_global_init(void)
{
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK)
        curl_ready = 1;
}

void http_redact_url(const char *url, char *out, size_t outlen)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *slash = strchr(host, '/');
    const char *at = strchr(host, '@');
    if (at && (!slash || at < slash))
        snprintf(out, outlen, "%.*s%s", (int)(host - url), url, at + 1);
    else
        snprintf(out, outlen, "%s", url);
    /* drop a query string: it may hold a token */
    char *q = strchr(out, '?');
    if (q)
        snprintf(q, outlen - (size_t)(q - out), "?...");
}

struct sink {
    struct buf *body;
    size_t max;
    int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    if (s->body->len + n > s->max) {
        s->too_big = 1;
        return 0; /* abort the transfer */
    }
    buf_append(s->body, ptr, n);
    return n;
}

int http_perform(const struct http_request *req, struct http_response *resp, struct st_err *err)
{
    http_global_init();
    char shown[512];
    http_redact_url(req->url, shown, sizeof shown);
    resp->status = 0;
    buf_reset(&resp->body);
    CURL *c = curl_easy_init();
    if (!c)
        return st_err_set(err, ST_EFAIL, "%s: cannot start a request", shown);
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink sink = {&resp->body, req->max_bytes ? req->max_bytes : DEFAULT_MAX_BYTES, 0};
    int64_t timeout = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    struct curl_slist *hdrs = NULL;
    for (const char *const *h = req->headers; h && *h; h++)
        hdrs = curl_slist_append(hdrs, *h);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(timeout < 5000 ? timeout : 5000));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "streamtop/0.1.0");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    if (req->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_file);
    if (hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    const char *method = req->method ? req->method : "GET";
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (req->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (sink.too_big)
        return st_err_set(err, ST_ETOOBIG, "%s: response larger than %zu bytes", shown, sink.max);
    if (rc != CURLE_OK) {
        if (rc == CURLE_OPERATION_TIMEDOUT)
            return st_err_set(err, ST_EIO, "%s: timed out after %lld ms", shown,
                              (long long)timeout);
        return st_err_set(err, ST_EIO, "%s: %s", shown, *errbuf ? errbuf : curl_easy_strerror(rc));
    }
    resp->status = status;
    if (!resp->body.data)
        buf_append(&resp->body, "", 0);
    return 0;
}
