/* The Kafka collector: for a stream with a Kafka source and bootstrap servers, the lag of every
 * partition measured at the brokers. Spark does not commit its Kafka positions to a consumer
 * group; they are in the checkpoint: the newest committed batch's end offsets (where the query
 * resumes) and the newest planned batch's (offsets/N, in flight until committed). The topics are
 * those of the checkpoint's offsets plus, when progress describes the source, every partition of
 * its Subscribe topics or of the topics its SubscribePattern matches (partitions and topics the
 * checkpoint does not know yet: their whole retained range waits). A pass asks the cluster for
 * its metadata (one request), the log start and end offsets of those partitions (two
 * ListOffsets requests per leader broker), and the first waiting record of each lagging
 * partition (one small fetch each, without a group), all within the stream's Kafka timeout.
 * Runs after progress (concurrently, after every other collector): a figure measured at the
 * brokers wins over progress's. */
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/collector.h"
#include "collectors/kafkalag.h"
#include "core/clock.h"
#include "core/xalloc.h"
#include "net/kafka.h"

struct kafka_state {
    struct kafka_conn *conn;
};

/* The cluster that did not answer within this pass: streams of the same pass measured after it
 * (beyond the streams measured at once) that use the same bootstrap servers get its error at
 * once instead of waiting out the timeout again. The collector's one piece of process state
 * (passes are keyed by their time; the lock is for the streams' threads). */
static pthread_mutex_t down_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int64_t pass_ms;
    char bootstrap[512];
    char error[768];
} down = {.pass_ms = -1};

static bool known_down(const char *bootstrap, int64_t pass_ms, struct snap_stream *out)
{
    pthread_mutex_lock(&down_lock);
    bool hit = down.pass_ms == pass_ms && strcmp(down.bootstrap, bootstrap) == 0;
    if (hit)
        strvec_push(&out->errors, down.error);
    pthread_mutex_unlock(&down_lock);
    return hit;
}

static void remember_down(const char *bootstrap, int64_t pass_ms, const char *error)
{
    pthread_mutex_lock(&down_lock);
    down.pass_ms = pass_ms;
    snprintf(down.bootstrap, sizeof down.bootstrap, "%s", bootstrap);
    snprintf(down.error, sizeof down.error, "%s", error);
    pthread_mutex_unlock(&down_lock);
}

static void *kafka_state_new(void)
{
    return xcalloc(1, sizeof(struct kafka_state));
}

static void kafka_state_free(void *state)
{
    struct kafka_state *s = state;
    if (!s)
        return;
    kafka_conn_free(s->conn);
    free(s);
}

static bool kafka_wants(const struct cfg_stream *cfg)
{
    return cfg->kafka_bootstrap != NULL && *cfg->kafka_bootstrap && cfg->checkpoint != NULL;
}

static bool has_part(const struct snap_stream *out, int source, const char *topic, int part)
{
    for (size_t i = 0; i < out->kafka.nparts; i++) {
        const struct snap_kpart *kp = &out->kafka.parts[i];
        if (kp->source == source && kp->partition == part && strcmp(kp->topic, topic) == 0)
            return true;
    }
    return false;
}

static void add_topic(struct snap_stream *out, const struct kafkalag_source *k,
                      const struct kafka_topic_meta *t)
{
    for (size_t p = 0; p < t->npartitions; p++) {
        if (has_part(out, k->index, t->name, t->partitions[p]))
            continue;
        struct snap_kpart *kp = snap_stream_add_kpart(out, t->name, t->partitions[p]);
        kp->source = k->index;
        kp->is_new = true;
    }
}

/* Partitions of subscribed topics (or of the topics the pattern matches) not in the
 * checkpoint: new partitions, and topics created after the query planned its newest batch. */
static void add_subscribed(struct snap_stream *out, const struct kafkalag_source *k,
                           const struct kafka_meta *md)
{
    if (k->sub.kind == KSUB_SUBSCRIBE) {
        for (size_t i = 0; i < k->sub.topics.n; i++) {
            const struct kafka_topic_meta *t = kafka_meta_find(md, k->sub.topics.v[i]);
            if (t)
                add_topic(out, k, t);
            else
                strvec_pushf(&out->errors, "kafka %s: topic %s: not in the cluster (deleted?)",
                             out->kafka.bootstrap, k->sub.topics.v[i]);
        }
    } else if (k->sub.kind == KSUB_PATTERN) {
        /* Spark matches the whole name with a Java regex; POSIX extended syntax covers the
         * usual ones (prefix.*, a|b, [0-9]+) */
        char *anchored = xasprintf("^(%s)$", k->sub.pattern);
        regex_t re;
        if (regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB) != 0) {
            strvec_pushf(&out->warnings,
                         "source %d: subscribePattern %s: not understood; only the checkpoint's "
                         "topics are measured",
                         k->index, k->sub.pattern);
        } else {
            for (size_t i = 0; i < md->n; i++)
                /* internal topics (__consumer_offsets) are never subscribed by a pattern */
                if (strncmp(md->v[i].name, "__", 2) != 0 &&
                    regexec(&re, md->v[i].name, 0, NULL, 0) == 0)
                    add_topic(out, k, &md->v[i]);
            regfree(&re);
        }
        free(anchored);
    }
}

static int cmp_kpart(const void *a, const void *b)
{
    const struct snap_kpart *x = a, *y = b;
    if (x->source != y->source)
        return (x->source > y->source) - (x->source < y->source);
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void measure(struct kafka_state *s, struct snap_stream *out,
                    const struct kafkalag_source *ks, size_t nks, int64_t deadline, int64_t now_ms)
{
    struct st_err err;
    struct kafka_meta md;
    if (known_down(out->kafka.bootstrap, now_ms, out))
        return;
    if (kafka_metadata(s->conn, deadline, &md, &err) < 0) {
        strvec_push(&out->errors, err.msg);
        remember_down(out->kafka.bootstrap, now_ms, err.msg);
        return;
    }
    /* a topic of the checkpoint the cluster does not have (any more) */
    for (size_t i = 0; i < out->kafka.nparts; i++) {
        struct snap_kpart *kp = &out->kafka.parts[i];
        if (i > 0 && strcmp(kp->topic, out->kafka.parts[i - 1].topic) == 0)
            continue;
        const struct kafka_topic_meta *t = kafka_meta_find(&md, kp->topic);
        if (!t || t->npartitions == 0)
            strvec_pushf(&out->errors, "kafka %s: topic %s: not in the cluster (deleted?)",
                         out->kafka.bootstrap, kp->topic);
        else if (t->error)
            strvec_pushf(&out->errors, "kafka %s: topic %s: %s", out->kafka.bootstrap, kp->topic,
                         t->error);
    }
    for (size_t i = 0; i < nks; i++)
        add_subscribed(out, &ks[i], &md);
    if (out->kafka.nparts > 1)
        qsort(out->kafka.parts, out->kafka.nparts, sizeof *out->kafka.parts, cmp_kpart);
    kafkalag_set_positions(out, ks, nks);
    struct kafka_tp *tps = xcalloc(out->kafka.nparts + 1, sizeof *tps);
    for (size_t i = 0; i < out->kafka.nparts; i++)
        tps[i] = (struct kafka_tp){.topic = out->kafka.parts[i].topic,
                                   .partition = out->kafka.parts[i].partition};
    if (kafka_offsets(s->conn, tps, out->kafka.nparts, deadline, &err) < 0) {
        strvec_push(&out->errors, err.msg);
        free(tps);
        kafka_meta_done(&md);
        return;
    }
    size_t lagging = 0;
    for (size_t i = 0; i < out->kafka.nparts; i++) {
        struct snap_kpart *kp = &out->kafka.parts[i];
        kp->log_start = tps[i].low >= 0 ? (double)tps[i].low : NAN;
        kp->end = tps[i].high >= 0 ? (double)tps[i].high : NAN;
        if (tps[i].error[0] && kafka_meta_find(&md, kp->topic))
            kp->error = xstrdup(tps[i].error);
        kafkalag_compute(kp);
        tps[i].fetch_at = -1;
        if (!isnan(kp->lag) && kp->lag > 0) {
            double from =
                isnan(kp->position) || kp->position < kp->log_start ? kp->log_start : kp->position;
            tps[i].fetch_at = (int64_t)from;
            lagging++;
        }
    }
    if (lagging)
        kafka_first_records(s->conn, tps, out->kafka.nparts, deadline);
    for (size_t i = 0; i < out->kafka.nparts; i++) {
        struct snap_kpart *kp = &out->kafka.parts[i];
        if (tps[i].fetch_at >= 0)
            kp->oldest_ms = tps[i].ts_ms;
        if (!kp->error && tps[i].error[0])
            kp->error = xstrdup(tps[i].error);
    }
    free(tps);
    kafka_meta_done(&md);
    kafkalag_totals(out, now_ms);
}

static void kafka_collect(const struct cfg_stream *cfg, void *state, struct snap_stream *out,
                          int64_t now_ms)
{
    struct kafka_state *s = state;
    int64_t deadline = clock_mono_ms() + cfg->kafka_timeout_ms;
    struct kafkalag_source *ks;
    size_t nks = kafkalag_gather(out, &ks);
    if (nks == 0) {
        if (out->nsources)
            strvec_pushf(&out->warnings,
                         "kafka bootstrap %s is set, but the checkpoint has no Kafka source",
                         cfg->kafka_bootstrap);
        free(ks);
        return;
    }
    out->kafka.bootstrap = xstrdup(cfg->kafka_bootstrap);
    if (!s->conn) {
        const char **names = xcalloc(cfg->kafka_props.n + 1, sizeof *names);
        const char **values = xcalloc(cfg->kafka_props.n + 1, sizeof *values);
        for (size_t i = 0; i < cfg->kafka_props.n; i++) {
            names[i] = cfg->kafka_props.v[i].name;
            values[i] = cfg->kafka_props.v[i].value;
        }
        struct st_err err;
        s->conn = kafka_conn_new(cfg->kafka_bootstrap, names, values, cfg->kafka_props.n, &err);
        free(names);
        free(values);
        if (!s->conn)
            strvec_push(&out->errors, err.msg);
    }
    for (size_t i = 0; i < nks; i++)
        kafkalag_add_known(out, &ks[i]);
    if (s->conn)
        measure(s, out, ks, nks, deadline, now_ms);
    for (size_t i = 0; i < nks; i++)
        kafkalag_source_done(&ks[i]);
    free(ks);
}

const struct collector_ops kafka_collector = {
    .name = "kafka",
    .wants = kafka_wants,
    .state_new = kafka_state_new,
    .state_free = kafka_state_free,
    .collect = kafka_collect,
    .concurrent = true,
};
