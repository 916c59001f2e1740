/* A read-only Kafka client on librdkafka's consumer handle without a group.id: no group is
 * joined and nothing is committed (librdkafka creates no group handle without one), and nothing
 * is produced (a consumer handle cannot). Offsets come from ListOffsets through
 * rd_kafka_offsets_for_times with the special timestamps -2 (earliest) and -1 (latest), which
 * librdkafka 2.0 sends as one request per leader broker; rd_kafka_query_watermark_offsets would
 * be one request per partition, and rd_kafka_ListOffsets is newer than 2.0. A record's
 * timestamp comes from the legacy queue consumer (rd_kafka_consume_start_queue), which fetches
 * from an explicit offset without a group. */
#include "net/kafka.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"

struct kafka_conn {
    rd_kafka_t *rk;
    char *bootstrap;
    pthread_mutex_t lock;      /* guards cause: error_cb may run on librdkafka's threads */
    char cause[256];           /* the last connection/authentication error, "" none */
    rd_kafka_topic_t **topics; /* handles opened for fetches, kept for the next pass */
    size_t ntopics;
};

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    struct kafka_conn *c = opaque;
    /* "1/1 brokers are down" says less than the connection error that caused it */
    pthread_mutex_lock(&c->lock);
    if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || !c->cause[0])
        snprintf(c->cause, sizeof c->cause, "%s", reason ? reason : rd_kafka_err2str(err));
    pthread_mutex_unlock(&c->lock);
}

static int set(rd_kafka_conf_t *conf, const char *name, const char *value, struct st_err *err)
{
    char msg[256];
    if (rd_kafka_conf_set(conf, name, value, msg, sizeof msg) != RD_KAFKA_CONF_OK)
        return st_err_set(err, ST_EFORMAT, "kafka.%s: %s", name, msg);
    return 0;
}

struct kafka_conn *kafka_conn_new(const char *bootstrap, const char *const *names,
                                  const char *const *values, size_t n, struct st_err *err)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* streamtop's defaults: a small footprint, no prefetching, quiet logs, the read_uncommitted
     * end offsets Spark and kafka-get-offsets see, quick reconnects after a broker restart */
    static const char *const defaults[][2] = {
        {"client.id", "streamtop"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"enable.partition.eof", "true"},
        {"allow.auto.create.topics", "false"},
        {"isolation.level", "read_uncommitted"},
        {"queued.min.messages", "1"},
        {"queued.max.messages.kbytes", "256"},
        {"max.partition.fetch.bytes", "65536"},
        {"fetch.wait.max.ms", "100"},
        {"reconnect.backoff.max.ms", "1000"},
        {"topic.metadata.refresh.interval.ms", "-1"},
        {"log_level", "0"},
        {"auto.offset.reset", "error"},
    };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof defaults / sizeof defaults[0]; i++)
        rc = set(conf, defaults[i][0], defaults[i][1], err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (strcmp(names[i], "group.id") == 0 || strcmp(names[i], "group.instance.id") == 0)
            rc = st_err_set(err, ST_EFORMAT,
                            "kafka.%s: not allowed (streamtop never joins a consumer group)",
                            names[i]);
        else
            rc = set(conf, names[i], values[i], err);
    }
    if (rc == 0)
        rc = set(conf, "bootstrap.servers", bootstrap, err);
    if (rc < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    struct kafka_conn *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    c->bootstrap = xstrdup(bootstrap);
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_error_cb(conf, on_error);
    char msg[512];
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, msg, sizeof msg);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        st_err_set(err, ST_EFORMAT, "kafka %s: %s", bootstrap, msg);
        pthread_mutex_destroy(&c->lock);
        free(c->bootstrap);
        free(c);
        return NULL;
    }
    return c;
}

void kafka_conn_free(struct kafka_conn *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ntopics; i++)
        rd_kafka_topic_destroy(c->topics[i]);
    free(c->topics);
    rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    pthread_mutex_destroy(&c->lock);
    free(c->bootstrap);
    free(c);
}

const char *kafka_conn_bootstrap(const struct kafka_conn *c)
{
    return c->bootstrap;
}

static int remaining(int64_t deadline_ms)
{
    int64_t left = deadline_ms - clock_mono_ms();
    return left < 0 ? 0 : left > 600000 ? 600000 : (int)left;
}

/* err: "kafka HOSTS: what: librdkafka's error[: the cause seen]". */
static int fail(struct kafka_conn *c, rd_kafka_resp_err_t e, const char *what, struct st_err *err)
{
    rd_kafka_poll(c->rk, 0); /* serve queued error callbacks */
    pthread_mutex_lock(&c->lock);
    char cause[256];
    snprintf(cause, sizeof cause, "%s", c->cause);
    pthread_mutex_unlock(&c->lock);
    const char *es = e == RD_KAFKA_RESP_ERR__TRANSPORT || e == RD_KAFKA_RESP_ERR__TIMED_OUT
                         ? "no broker answered in time"
                         : rd_kafka_err2str(e);
    return st_err_set(err, e == RD_KAFKA_RESP_ERR__TIMED_OUT ? ST_ETIMEDOUT : ST_EIO,
                      "kafka %s: %s: %s%s%s", c->bootstrap, what, es, cause[0] ? ": " : "", cause);
}

static int cmp_topic(const void *a, const void *b)
{
    return strcmp(((const struct kafka_topic_meta *)a)->name,
                  ((const struct kafka_topic_meta *)b)->name);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int kafka_metadata(struct kafka_conn *c, int64_t deadline_ms, struct kafka_meta *out,
                   struct st_err *err)
{
    memset(out, 0, sizeof *out);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(c->rk, 1, NULL, &md, remaining(deadline_ms));
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
        return fail(c, e, "metadata", err);
    pthread_mutex_lock(&c->lock);
    c->cause[0] = '\0'; /* a broker answered: an older cause is history */
    pthread_mutex_unlock(&c->lock);
    out->v = xcalloc((size_t)md->topic_cnt + 1, sizeof *out->v);
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        struct kafka_topic_meta *m = &out->v[out->n++];
        m->name = xstrdup(t->topic);
        m->partitions = xcalloc((size_t)t->partition_cnt + 1, sizeof *m->partitions);
        for (int p = 0; p < t->partition_cnt; p++)
            m->partitions[m->npartitions++] = t->partitions[p].id;
        qsort(m->partitions, m->npartitions, sizeof *m->partitions, cmp_i32);
        if (t->err)
            m->error = xstrdup(rd_kafka_err2str(t->err));
    }
    rd_kafka_metadata_destroy(md);
    qsort(out->v, out->n, sizeof *out->v, cmp_topic);
    return 0;
}

void kafka_meta_done(struct kafka_meta *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].name);
        free(m->v[i].partitions);
        free(m->v[i].error);
    }
    free(m->v);
    memset(m, 0, sizeof *m);
}

const struct kafka_topic_meta *kafka_meta_find(const struct kafka_meta *m, const char *name)
{
    struct kafka_topic_meta key = {.name = (char *)name};
    return m->n ? bsearch(&key, m->v, m->n, sizeof *m->v, cmp_topic) : NULL;
}

/* One ListOffsets round: offset = which (-2 earliest, -1 latest) for every partition. */
static int list_offsets(struct kafka_conn *c, struct kafka_tp *tps, size_t n, int64_t which,
                        int64_t deadline_ms, struct st_err *err)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(l, tps[i].topic, tps[i].partition)->offset = which;
    rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(c->rk, l, remaining(deadline_ms));
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        rd_kafka_topic_partition_list_destroy(l);
        return fail(c, e, which == -1 ? "end offsets" : "log start offsets", err);
    }
    for (int k = 0; k < l->cnt; k++) {
        const rd_kafka_topic_partition_t *r = &l->elems[k];
        for (size_t i = 0; i < n; i++) {
            if (tps[i].partition != r->partition || strcmp(tps[i].topic, r->topic) != 0)
                continue;
            if (r->err)
                snprintf(tps[i].error, sizeof tps[i].error, "%s", rd_kafka_err2str(r->err));
            else if (which == -1)
                tps[i].high = r->offset;
            else
                tps[i].low = r->offset;
            break;
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    return 0;
}

int kafka_offsets(struct kafka_conn *c, struct kafka_tp *tps, size_t n, int64_t deadline_ms,
                  struct st_err *err)
{
    for (size_t i = 0; i < n; i++) {
        tps[i].low = tps[i].high = -1;
        tps[i].error[0] = '\0';
    }
    if (n == 0)
        return 0;
    if (list_offsets(c, tps, n, -2, deadline_ms, err) < 0)
        return -1;
    return list_offsets(c, tps, n, -1, deadline_ms, err);
}

static rd_kafka_topic_t *topic_handle(struct kafka_conn *c, const char *name)
{
    for (size_t i = 0; i < c->ntopics; i++)
        if (strcmp(rd_kafka_topic_name(c->topics[i]), name) == 0)
            return c->topics[i];
    rd_kafka_topic_t *t = rd_kafka_topic_new(c->rk, name, NULL);
    if (!t)
        return NULL;
    c->topics = xrealloc(c->topics, (c->ntopics + 1) * sizeof *c->topics);
    c->topics[c->ntopics++] = t;
    return t;
}

size_t kafka_first_records(struct kafka_conn *c, struct kafka_tp *tps, size_t n,
                           int64_t deadline_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_topic_t **started = xcalloc(n + 1, sizeof *started);
    bool *done = xcalloc(n + 1, sizeof *done);
    size_t waiting = 0, got = 0;
    for (size_t i = 0; i < n; i++) {
        tps[i].ts_ms = -1;
        if (tps[i].fetch_at < 0)
            continue;
        rd_kafka_topic_t *t = topic_handle(c, tps[i].topic);
        if (t && rd_kafka_consume_start_queue(t, tps[i].partition, tps[i].fetch_at, q) == 0) {
            started[i] = t;
            waiting++;
        }
    }
    while (waiting > 0) {
        int left = remaining(deadline_ms);
        if (left <= 0)
            break;
        rd_kafka_message_t *m = rd_kafka_consume_queue(q, left);
        if (!m)
            continue;
        const char *name = m->rkt ? rd_kafka_topic_name(m->rkt) : NULL;
        for (size_t i = 0; name && i < n; i++) {
            if (!started[i] || done[i] || tps[i].partition != m->partition ||
                strcmp(tps[i].topic, name) != 0)
                continue;
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->offset < tps[i].fetch_at)
                break; /* the start of a compressed batch before the offset asked */
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_timestamp_type_t type;
                int64_t ts = rd_kafka_message_timestamp(m, &type);
                if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ts >= 0) {
                    tps[i].ts_ms = ts;
                    got++;
                }
            } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                snprintf(tps[i].error, sizeof tps[i].error, "reading offset %lld: %s",
                         (long long)tps[i].fetch_at, rd_kafka_err2str(m->err));
            }
            done[i] = true;
            waiting--;
            break;
        }
        rd_kafka_message_destroy(m);
    }
    for (size_t i = 0; i < n; i++)
        if (started[i])
            rd_kafka_consume_stop(started[i], tps[i].partition);
    rd_kafka_queue_destroy(q);
    free(started);
    free(done);
    return got;
}
