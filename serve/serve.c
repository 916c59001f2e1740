/* The daemon's life: options checked, the server started, the pass thread publishing frames,
 * SIGHUP reloading the config between passes, and a stop (core/stop.h) ending it all. */
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/parse.h"
#include "core/stop.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "export/families.h"
#include "serve/internal.h"

/* zlib levels. /metrics is sent to every scraper, often: its bytes cost more than the CPU
 * once a pass, up to a point (1,000 streams: 3.2 MiB of text, 229 KiB at level 1 in 10 ms,
 * 192 KiB at 6 in 26 ms, 182 KiB at 9 in 65 ms, a sixth of the pass). The JSON is fetched far
 * less: the fastest level. */
#define GZ_METRICS_LEVEL 6
#define GZ_JSON_LEVEL    1

/* How much lower the pass thread runs than the server's (nice(2) steps). */
#define PASS_NICE 10

/* SIGHUP asked for a reload (set by the handler, taken by the pass thread). */
static volatile sig_atomic_t reload_asked;

static void on_hup(int sig)
{
    (void)sig;
    reload_asked = 1;
}

struct frame *serve_frame_get(struct serve *s)
{
    pthread_mutex_lock(&s->lock);
    struct frame *f = s->frame;
    if (f)
        atomic_fetch_add(&f->refs, 1);
    pthread_mutex_unlock(&s->lock);
    return f;
}

void serve_frame_json(struct frame *f)
{
    pthread_mutex_lock(&f->json_lock);
    if (!f->json_built) {
        /* compressed as it is rendered: its 7 MB of text (1,000 streams) is never held */
        struct serve_gz *g = serve_gz_new(&f->json_gz, GZ_JSON_LEVEL);
        export_json_stream(f->snap, serve_gz_put, g);
        struct serve_gz_end jend;
        if (serve_gz_end(g, false, &jend) == 0)
            f->json_len = jend.len;
        else /* compression failed (out of memory): the plain text, sent as it is */
            export_json.render(f->snap, &f->json);
        f->json_built = true;
    }
    pthread_mutex_unlock(&f->json_lock);
}

static void frame_free(struct frame *f)
{
    pthread_mutex_destroy(&f->json_lock);
    snapshot_free(f->snap);
    struct buf *bufs[] = {&f->prom,       &f->prom_tail, &f->om_tail, &f->prom_gz, &f->prom_gz_tail,
                          &f->om_gz_tail, &f->json_gz,   &f->json,    &f->alerts};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        buf_done(bufs[i]);
    free(f);
}

void serve_frame_put(struct frame *f)
{
    if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
        return;
    if (!f->grave) {
        frame_free(f);
        return;
    }
    struct frame *top = atomic_load(f->grave);
    do
        f->next_dead = top;
    while (!atomic_compare_exchange_weak(f->grave, &top, f));
}

size_t serve_frame_bury(struct serve *s)
{
    size_t n = 0;
    for (struct frame *f = atomic_exchange(&s->grave, NULL), *next; f; f = next, n++) {
        next = f->next_dead;
        frame_free(f);
    }
    return n;
}

static void say(const struct serve *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct serve *s, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (s->o->say)
        s->o->say(line);
}

/* A log line: text, or (--log-format json) {"time","level","msg"} with msg JSON-escaped. */
static void log_event(const struct serve *s, const char *level, const char *msg)
{
    if (!s->o->log_json) {
        say(s, "serve: %s", msg);
        return;
    }
    char when[40];
    struct buf b;
    buf_init(&b);
    buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":\"",
               clock_iso8601(clock_real_ms(), when, sizeof when), level);
    for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(&b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            buf_printf(&b, "\\u%04x", *p);
        else
            buf_putc(&b, (char)*p);
    }
    buf_puts(&b, "\"}");
    say(s, "%s", buf_str(&b));
    buf_done(&b);
}

/* The three families of the daemon itself (export/families.h: the table `streamtop metrics`,
 * the Grafana dashboard and the contrib rules are checked against), in Prometheus text or in
 * OpenMetrics (where a counter's family drops the _total its sample keeps). */
static void pass_metrics(struct buf *out, bool om, double duration_s, uint64_t errors,
                         double last_s)
{
    char num[40];
    const struct prom_family *d = &prom_families[PF_PASS_DURATION];
    prom_family_header(out, d->name, d->type, d->help);
    buf_printf(out, "streamtop_%s %s\n", d->name, fmt_number(duration_s, num, sizeof num));
    const struct prom_family *e = &prom_families[PF_PASS_ERRORS];
    size_t elen = strlen(e->name) - (om ? strlen("_total") : 0);
    char fam[64];
    snprintf(fam, sizeof fam, "%.*s", (int)elen, e->name);
    prom_family_header(out, fam, e->type, e->help);
    buf_printf(out, "streamtop_%s %llu\n", e->name, (unsigned long long)errors);
    const struct prom_family *l = &prom_families[PF_LAST_PASS_TIMESTAMP];
    prom_family_header(out, l->name, l->type, l->help);
    snprintf(num, sizeof num, "%.3f", last_s);
    buf_printf(out, "streamtop_%s %s\n", l->name, num);
}

/* Render everything requests read of one pass, once, into a frame no one changes again. */
static struct frame *frame_build(struct serve *s, struct snapshot *snap, int64_t duration_ms)
{
    struct frame *f = xcalloc(1, sizeof *f); /* every buf zeroed: initialised */
    atomic_init(&f->refs, 1);
    f->grave = &s->grave;
    f->snap = snap;
    pthread_mutex_init(&f->json_lock, NULL); /* the JSON waits for a request (serve_frame_json) */
    /* /metrics' text rendered, compressed and let go: only its gzip is held */
    struct buf text;
    buf_init(&text);
    export_prom.render(snap, &text);
    f->prom_len = text.len;
    double dur = (double)duration_ms / 1000, last = (double)clock_real_ms() / 1000;
    pass_metrics(&f->prom_tail, false, dur, s->errors_total, last);
    pass_metrics(&f->om_tail, true, dur, s->errors_total, last);
    buf_puts(&f->om_tail, "# EOF\n");
    struct serve_gz *g = serve_gz_new(&f->prom_gz, GZ_METRICS_LEVEL);
    serve_gz_put(g, buf_str(&text), text.len);
    struct serve_gz_end pend;
    if (serve_gz_end(g, true, &pend) < 0 ||
        serve_gz_tail(&pend, buf_str(&f->prom_tail), f->prom_tail.len, &f->prom_gz_tail) < 0 ||
        serve_gz_tail(&pend, buf_str(&f->om_tail), f->om_tail.len, &f->om_gz_tail) < 0) {
        buf_reset(&f->prom_gz); /* compression failed (out of memory): sent plain */
        f->prom = text;
    } else {
        buf_done(&text);
    }
    struct notification *notes;
    size_t nn;
    pass_notes(s->pass, NULL, SERVE_MAX_NOTES, &notes, &nn);
    export_alerts_doc(snap, notes, nn, &f->alerts);
    notifications_free(notes, nn);
    f->done_mono_ms = clock_mono_ms();
    return f;
}

static void publish(struct serve *s, struct frame *f)
{
    pthread_mutex_lock(&s->lock);
    struct frame *old = s->frame;
    s->frame = f;
    pthread_mutex_unlock(&s->lock);
    serve_frame_put(old);
}

static int64_t interval_of(const struct serve *s, const struct config *cfg)
{
    return s->o->interval_ms > 0 ? s->o->interval_ms : cfg->refresh_ms;
}

/* A read-only handle on cfg's DB, or NULL (none, or in memory: another connection would see
 * another, empty database). */
static struct pass *open_reader(const struct serve *s, const struct config *cfg)
{
    struct st_err err;
    if (strcmp(cfg->database, ":memory:") == 0)
        return NULL;
    struct pass *r = pass_open_reader(cfg, &err);
    if (!r) {
        char msg[900];
        snprintf(msg, sizeof msg, "history not served: %s", err.msg);
        log_event(s, "warning", msg);
    }
    return r;
}

/* SIGHUP: the config loaded again; a bad one keeps the running one. Alert state lives in the
 * state DB, so new pass handles carry on where the old ones were. */
static void reload(struct serve *s)
{
    struct st_err err;
    char msg[1000];
    if (!s->o->reload)
        return;
    struct config *cfg = s->o->reload(s->o->reload_ctx, &err);
    if (!cfg) {
        snprintf(msg, sizeof msg, "config not reloaded, the running one stays: %s", err.msg);
        log_event(s, "error", msg);
        return;
    }
    struct pass *p = pass_new(cfg, false, &err);
    struct pass *r = open_reader(s, cfg);
    pthread_mutex_lock(&s->rlock);
    struct pass *old_r = s->reader;
    s->reader = r;
    s->cfg = cfg;
    pthread_mutex_unlock(&s->rlock);
    pass_free(old_r);
    pass_free(s->pass);
    s->pass = p;
    config_free(s->owned_cfg);
    s->owned_cfg = cfg;
    atomic_store(&s->interval_ms, interval_of(s, cfg));
    snprintf(msg, sizeof msg, "config reloaded: %zu streams", cfg->nstreams);
    log_event(s, "info", msg);
}

static void *pass_thread(void *arg)
{
    struct serve *s = arg;
    unsigned flags = PASS_EVALUATE | (s->o->alerts ? PASS_NOTIFY : 0);
    /* Requests before passes when both want a core: a pass is background work that takes
     * longer, a scrape is waited for. Linux keeps a nice value per thread, so this lowers the
     * pass thread only (failure leaves it as it was). */
    errno = 0;
    if (nice(PASS_NICE) == -1 && errno != 0)
        log_event(s, "warning", "the pass thread's priority could not be lowered");
    while (!stop_requested()) {
        struct st_err err;
        struct snapshot *snap;
        struct pass_report rep;
        int64_t t0 = clock_mono_ms();
        int rc = pass_run(s->pass, flags, &snap, &rep, &err);
        int64_t dur = clock_mono_ms() - t0;
        if (rep.stopped) { /* a pass cut short is not published */
            pass_report_done(&rep);
            snapshot_free(snap);
            break;
        }
        size_t errs = rc < 0 ? 1 : 0;
        for (size_t i = 0; i < snap->nstreams; i++)
            errs += snap->streams[i].errors.n > 0;
        s->errors_total += errs;
        s->passes++;
        size_t nstreams = snap->nstreams, delivered = rep.delivered;
        publish(s, frame_build(s, snap, dur));
        /* the old frame (unless a request still holds it) and the pass's scratch are freed:
         * give their pages back (glibc keeps freed memory in its arenas otherwise, and the
         * daemon's RSS stays at its peak) */
        serve_frame_bury(s);
        malloc_trim(0);
        char msg[1200];
        snprintf(msg, sizeof msg, "pass %llu: %zu streams, %zu errors, %lld ms, %zu delivered%s%s",
                 (unsigned long long)s->passes, nstreams, errs, (long long)dur, delivered,
                 rc < 0 ? "; alert rules not evaluated: " : "", rc < 0 ? err.msg : "");
        log_event(s, rc < 0 ? "warning" : "info", msg);
        for (size_t i = 0; i < rep.problems.n; i++)
            log_event(s, "warning", rep.problems.v[i]);
        pass_report_done(&rep);
        /* sleep in short steps so a stop or a reload is prompt */
        int64_t until = clock_mono_ms() + atomic_load(&s->interval_ms);
        while (!stop_requested() && !reload_asked && clock_mono_ms() < until) {
            struct timespec ts = {0, 100 * 1000000L};
            nanosleep(&ts, NULL);
            if (serve_frame_bury(s) > 0) /* the old frame, once its last request ended */
                malloc_trim(0);
        }
        if (reload_asked && !stop_requested()) {
            reload_asked = 0;
            reload(s);
        }
    }
    return NULL;
}

int serve_parse_listen(const char *text, void *ss, unsigned sslen, unsigned *len, bool *loopback,
                       struct st_err *err)
{
    char host[128];
    const char *colon, *h = text;
    size_t hl;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return st_err_set(err, ST_EFORMAT, "--listen: '%s' is not [IPV6]:PORT", text);
        h = text + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon)
            return st_err_set(err, ST_EFORMAT, "--listen: '%s' is not ADDR:PORT", text);
        hl = (size_t)(colon - text);
    }
    int64_t port;
    if (hl == 0 || hl >= sizeof host || parse_int64(colon + 1, &port) < 0 || port < 0 ||
        port > 65535)
        return st_err_set(err, ST_EFORMAT, "--listen: '%s' is not ADDR:PORT (port 0-65535)", text);
    memcpy(host, h, hl);
    host[hl] = '\0';
    memset(ss, 0, sslen);
    struct sockaddr_in v4 = {0};
    struct sockaddr_in6 v6 = {0};
    if (text[0] != '[' && inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)port);
        *loopback = (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
        memcpy(ss, &v4, sizeof v4);
        *len = sizeof v4;
        return 0;
    }
    if (text[0] == '[' && inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)port);
        *loopback = memcmp(&v6.sin6_addr, &in6addr_loopback, sizeof v6.sin6_addr) == 0;
        memcpy(ss, &v6, sizeof v6);
        *len = sizeof v6;
        return 0;
    }
    return st_err_set(err, ST_EFORMAT,
                      "--listen: '%s': the address must be numeric (127.0.0.1, 0.0.0.0, [::1])",
                      text);
}

/* A whole small file (at most 1 MB) into a heap string. NULL with err naming it. */
static char *slurp(const char *what, const char *path, struct st_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        st_err_set(err, ST_ENOENT, "%s %s: %s", what, path, strerror(errno));
        return NULL;
    }
    struct buf b;
    buf_init(&b);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len <= 1024 * 1024)
        buf_append(&b, chunk, n);
    bool bad = ferror(f) || b.len > 1024 * 1024;
    fclose(f);
    if (bad) {
        buf_done(&b);
        st_err_set(err, ST_EFAIL, "%s %s: unreadable or over 1 MB", what, path);
        return NULL;
    }
    return buf_steal(&b);
}

/* user:password lines (blank lines and # comments skipped). The password is never shown. */
static int load_users(struct strvec *users, const char *path, struct st_err *err)
{
    char *text = slurp("basic auth file", path, err);
    if (!text)
        return -1;
    int line = 0, rc = 0;
    for (char *p = text, *nl; p && *p && rc == 0; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        line++;
        char *e = p + strlen(p);
        while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            *--e = '\0';
        if (*p == '\0' || *p == '#')
            continue;
        char *colon = strchr(p, ':');
        if (!colon || colon == p || colon[1] == '\0')
            rc = st_err_set(err, ST_EFORMAT,
                            "basic auth file %s:%d: not user:password (the line is not shown)",
                            path, line);
        else
            strvec_push(users, p);
    }
    memset(text, 0, strlen(text));
    free(text);
    if (rc == 0 && users->n == 0)
        rc = st_err_set(err, ST_EFORMAT, "basic auth file %s: no user:password line", path);
    return rc;
}

int serve_run(const struct config *cfg, const struct serve_opts *o, struct st_err *err)
{
    struct serve s = {.o = o, .cfg = cfg};
    /* Before any thread starts. Big blocks (a frame's documents, a pass's large arrays) get
     * pages of their own, given back when freed: glibc otherwise raises its mmap threshold
     * after the first such free and carves them from the arenas, which then stay as large as
     * the biggest pass left them. Two arenas: one per thread (the pass, the server's pool)
     * multiplies what freed memory is kept. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_ARENA_MAX, 2);
    pthread_mutex_init(&s.lock, NULL);
    pthread_mutex_init(&s.rlock, NULL);
    strvec_init(&s.users);
    atomic_init(&s.interval_ms, interval_of(&s, cfg));
    atomic_init(&s.grave, NULL);
    struct sockaddr_storage ss;
    unsigned sslen;
    bool loopback;
    char *cert = NULL, *key = NULL;
    int rc = -1;
    struct serve_http *h = NULL;
    const char *listen = o->listen ? o->listen : SERVE_DEFAULT_LISTEN;
    if (serve_parse_listen(listen, &ss, sizeof ss, &sslen, &loopback, err) < 0)
        goto out;
    if (!o->tls_cert != !o->tls_key) {
        st_err_set(err, ST_EFORMAT,
                   "TLS needs both a certificate and a key (--tls-cert, "
                   "--tls-key)");
        goto out;
    }
    if (o->tls_cert && (!(cert = slurp("TLS certificate", o->tls_cert, err)) ||
                        !(key = slurp("TLS key", o->tls_key, err))))
        goto out;
    if (o->basic_auth_file && load_users(&s.users, o->basic_auth_file, err) < 0)
        goto out;
    if (!loopback && !cert && s.users.n == 0)
        log_event(&s, "warning",
                  "warning: listening beyond loopback without TLS or basic auth: anyone who "
                  "can reach the port reads every stream (see --tls-cert, --basic-auth-file)");
    s.pass = pass_new(cfg, false, err);
    s.reader = open_reader(&s, cfg);
    h = serve_http_start(&s, &ss, sslen, ss.ss_family == AF_INET6, cert, key, err);
    if (!h) {
        st_err_prefix(err, "%s", listen);
        goto out;
    }
    char msg[400];
    snprintf(msg, sizeof msg, "listening on %s://%s (port %u), %zu streams, a pass every %lld ms",
             cert ? "https" : "http", listen, serve_http_port(h), cfg->nstreams,
             (long long)atomic_load(&s.interval_ms));
    log_event(&s, "info", msg);
    struct sigaction sa = {0};
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    pthread_t tid;
    if (pthread_create(&tid, NULL, pass_thread, &s) != 0) {
        st_err_set(err, ST_EFAIL, "cannot start the pass thread");
        goto out;
    }
    while (!stop_requested()) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
    }
    pthread_join(tid, NULL); /* the pass ends promptly: the network looks at the stop flag */
    snprintf(msg, sizeof msg, "stopped by %s", stop_reason());
    log_event(&s, "info", msg);
    rc = 0;
out:
    serve_http_stop(h);
    pass_free(s.reader);
    pass_free(s.pass); /* the collectors' cursors saved */
    config_free(s.owned_cfg);
    serve_frame_put(s.frame);
    serve_frame_bury(&s);
    strvec_done(&s.users);
    free(cert);
    if (key) {
        memset(key, 0, strlen(key));
        free(key);
    }
    pthread_mutex_destroy(&s.lock);
    pthread_mutex_destroy(&s.rlock);
    return rc;
}
