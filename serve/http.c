/* The HTTP server: libmicrohttpd (included here only) with a small thread pool, bounded
 * connections and a per-connection timeout; every request is answered by serve_answer. */
#include <microhttpd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/xalloc.h"
#include "serve/internal.h"

/* Connections served at once, and how long an idle or slow one may stay. */
#define HTTP_MAX_CONNECTIONS 256
#define HTTP_TIMEOUT_SECONDS 10
/* Threads serving them: one a CPU, within these bounds. More threads than CPUs only take turns:
 * with 100 scrapers on 2 CPUs, 4 threads gave a p99 of 17-19 ms, 2 threads 15-16 ms. */
#define HTTP_THREADS_MIN 2
#define HTTP_THREADS_MAX 8

static unsigned http_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < HTTP_THREADS_MIN)
        return HTTP_THREADS_MIN;
    return n > HTTP_THREADS_MAX ? HTTP_THREADS_MAX : (unsigned)n;
}

struct serve_http {
    struct MHD_Daemon *d;
    struct serve *s;
};

/* Leave URLs as sent: route_parse decodes a stream's name as one path segment, so %2F in a
 * name is not taken for a '/'. */
static size_t keep_escapes(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* The query string again, from the arguments the library split (still percent-encoded). */
static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct buf *q = cls;
    (void)kind;
    if (q->len)
        buf_putc(q, '&');
    buf_puts(q, key);
    if (value) {
        buf_putc(q, '=');
        buf_puts(q, value);
    }
    return MHD_YES;
}

/* The library is done with a frame's bytes: give its reference back. */
static void release_frame(void *cls)
{
    serve_frame_put(cls);
}

/* A gzipped document of a frame sent inflated, as the library asks for it. */
struct inflating {
    struct frame *f; /* (owned reference) */
    struct serve_gunzip *u;
    uint64_t at; /* plain bytes given so far */
};

static ssize_t inflate_more(void *cls, uint64_t pos, char *out, size_t max)
{
    struct inflating *in = cls;
    if (pos != in->at) /* the library reads in order; anything else is a bug: end the reply */
        return MHD_CONTENT_READER_END_WITH_ERROR;
    long n = serve_gunzip_read(in->u, out, max);
    if (n <= 0) /* damaged, or shorter than its stated length */
        return MHD_CONTENT_READER_END_WITH_ERROR;
    in->at += (uint64_t)n;
    return (ssize_t)n;
}

static void inflate_done(void *cls)
{
    struct inflating *in = cls;
    serve_gunzip_free(in->u);
    serve_frame_put(in->f);
    free(in);
}

static struct MHD_Response *frame_response(struct serve_reply *rep)
{
    struct MHD_Response *resp;
    if (rep->gunzip_len > 0) {
        struct inflating *in = xcalloc(1, sizeof *in);
        in->f = rep->hold;
        in->u = serve_gunzip_new(rep->part[0].data, rep->part[0].len, rep->part[1].data,
                                 rep->part[1].len);
        resp = MHD_create_response_from_callback(rep->gunzip_len, 64 * 1024, inflate_more, in,
                                                 inflate_done);
        if (!resp)
            inflate_done(in);
        return resp;
    }
    struct MHD_IoVec iov[2];
    unsigned n = 0;
    for (int i = 0; i < 2; i++)
        if (rep->part[i].len > 0)
            iov[n++] = (struct MHD_IoVec){rep->part[i].data, rep->part[i].len};
    resp = MHD_create_response_from_iovec(iov, n, release_frame, rep->hold);
    if (!resp)
        serve_frame_put(rep->hold);
    return resp;
}

static enum MHD_Result queue(struct MHD_Connection *c, struct serve_reply *rep, bool auth_fail)
{
    struct MHD_Response *resp;
    if (rep->hold) {
        buf_done(&rep->body);
        resp = frame_response(rep);
        if (!resp)
            return MHD_NO;
    } else {
        size_t len = rep->body.len;
        char *body = buf_steal(&rep->body);
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            free(body);
            return MHD_NO;
        }
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    if (rep->gzip)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (rep->varies)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (rep->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    enum MHD_Result rc = auth_fail ? MHD_queue_basic_auth_fail_response(c, "streamtop", resp)
                                   : MHD_queue_response(c, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    struct serve *s = cls;
    (void)version;
    (void)upload_data;
    (void)upload_size;
    (void)con_cls;
    struct serve_reply rep;
    if (s->users.n > 0 && serve_needs_auth(url)) {
        char *password = NULL;
        char *user = MHD_basic_auth_get_username_password(c, &password);
        bool ok = serve_auth_ok(&s->users, user, password);
        if (user)
            MHD_free(user);
        if (password) {
            memset(password, 0, strlen(password));
            MHD_free(password);
        }
        if (!ok) {
            buf_init(&rep.body);
            buf_puts(&rep.body, "{\"error\":\"authentication required\"}\n");
            rep.status = 401;
            rep.content_type = "application/json";
            rep.allow = NULL;
            rep.hold = NULL;
            rep.gunzip_len = 0;
            rep.gzip = rep.varies = false;
            return queue(c, &rep, true);
        }
    }
    struct buf q;
    buf_init(&q);
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, add_arg, &q);
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
    const char *encoding =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
    serve_answer(s, method, url, buf_str(&q), accept, encoding, &rep);
    buf_done(&q);
    return queue(c, &rep, false);
}

struct serve_http *serve_http_start(struct serve *s, const void *addr, unsigned len, bool v6,
                                    const char *cert, const char *key, struct st_err *err)
{
    (void)len;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            st_err_set(err, ST_EFAIL, "TLS: this libmicrohttpd was built without it");
            return NULL;
        }
        flags |= MHD_USE_TLS;
    }
    struct serve_http *h = xcalloc(1, sizeof *h);
    h->s = s;
    struct MHD_OptionItem tls[] = {
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, (void *)cert},
        {cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, (void *)key},
        {MHD_OPTION_END, 0, NULL},
    };
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)HTTP_TIMEOUT_SECONDS, MHD_OPTION_THREAD_POOL_SIZE, http_threads(),
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!h->d) {
        free(h);
        st_err_set(err, ST_EFAIL,
                   "cannot listen there (address in use or not this host's, or a bad TLS "
                   "certificate or key)");
        return NULL;
    }
    return h;
}

unsigned serve_http_port(const struct serve_http *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void serve_http_stop(struct serve_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->d);
    free(h);
}
