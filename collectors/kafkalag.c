#include "collectors/kafkalag.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/xalloc.h"

void kafkalag_positions_done(struct kafka_positions *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].topic);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

static int cmp_pos(const void *a, const void *b)
{
    const struct kafka_pos *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* A partition key: decimal digits only, within int32 (Kafka's partition ids). */
static bool partition_id(const char *s, int *out)
{
    if (!*s || strlen(s) > 10)
        return false;
    int64_t v = 0;
    for (const char *c = s; *c; c++) {
        if (*c < '0' || *c > '9')
            return false;
        v = v * 10 + (*c - '0');
    }
    if (v > INT32_MAX)
        return false;
    *out = (int)v;
    return true;
}

int kafkalag_parse_offsets(const char *json, size_t len, struct kafka_positions *out,
                           struct st_err *err)
{
    memset(out, 0, sizeof *out);
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return st_err_set(err, ST_EFORMAT, "Kafka offsets are not a JSON object");
    }
    size_t cap = 0;
    const cJSON *topic;
    int rc = 0;
    cJSON_ArrayForEach(topic, root)
    {
        if (!cJSON_IsObject(topic) || !topic->string || !*topic->string) {
            rc = st_err_set(err, ST_EFORMAT, "Kafka offsets: a topic is not an object");
            break;
        }
        const cJSON *part;
        cJSON_ArrayForEach(part, topic)
        {
            int pid;
            int64_t off;
            if (!part->string || !partition_id(part->string, &pid)) {
                rc = st_err_set(err, ST_EFORMAT, "Kafka offsets: a partition id is not a number");
                break;
            }
            if (!cJSON_IsNumber(part) || part->valuedouble != floor(part->valuedouble) ||
                !parse_double_to_i64(part->valuedouble, &off)) {
                rc = st_err_set(err, ST_EFORMAT,
                                "Kafka offsets: the offset of a partition is not a whole number");
                break;
            }
            xgrow((void **)&out->v, &cap, out->n + 1, sizeof *out->v);
            out->v[out->n++] = (struct kafka_pos){xstrdup(topic->string), pid, off};
        }
        if (rc < 0)
            break;
    }
    cJSON_Delete(root);
    if (rc < 0) {
        kafkalag_positions_done(out);
        return -1;
    }
    if (out->n)
        qsort(out->v, out->n, sizeof *out->v, cmp_pos);
    return 0;
}

int64_t kafkalag_find(const struct kafka_positions *p, const char *topic, int partition)
{
    struct kafka_pos key = {(char *)topic, partition, 0};
    const struct kafka_pos *hit = p->n ? bsearch(&key, p->v, p->n, sizeof *p->v, cmp_pos) : NULL;
    return hit ? hit->offset : -3;
}

void kafkalag_sub_done(struct kafka_sub *s)
{
    if (!s)
        return;
    strvec_done(&s->topics);
    free(s->pattern);
    s->pattern = NULL;
    s->kind = KSUB_NONE;
}

/* Trimmed copy of text[a, b). */
static char *trimmed(const char *text, size_t a, size_t b)
{
    while (a < b && (text[a] == ' ' || text[a] == '\t'))
        a++;
    while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t'))
        b--;
    return xstrndup(text + a, b - a);
}

/* Split "a, b, c" into names; for Assign, "topic-3" loses its "-<partition>". */
static void split_names(const char *s, size_t n, bool strip_partition, struct strvec *out)
{
    size_t a = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        char *name = trimmed(s, a, i);
        a = i + 1;
        if (strip_partition) {
            char *dash = strrchr(name, '-');
            int pid;
            if (!dash || !partition_id(dash + 1, &pid)) {
                free(name);
                continue;
            }
            *dash = '\0';
        }
        bool dup = !*name;
        for (size_t k = 0; !dup && k < out->n; k++)
            dup = strcmp(out->v[k], name) == 0;
        if (dup)
            free(name);
        else
            strvec_take(out, name);
    }
}

int kafkalag_parse_desc(const char *desc, size_t len, struct kafka_sub *out)
{
    memset(out, 0, sizeof *out);
    strvec_init(&out->topics);
    /* KafkaV2[<strategy>] (KafkaMicroBatchStream), KafkaSource[<strategy>] (KafkaSource), and
     * KafkaTable in some Spark 3 descriptions */
    static const char *const heads[] = {"KafkaV2[", "KafkaSource[", "KafkaTable["};
    size_t at = 0;
    for (size_t i = 0; i < sizeof heads / sizeof heads[0] && !at; i++) {
        size_t h = strlen(heads[i]);
        if (len >= h && memcmp(desc, heads[i], h) == 0)
            at = h;
    }
    if (!at || len < at + 1 || desc[len - 1] != ']')
        return -1;
    const char *in = desc + at;
    size_t n = len - at - 1; /* the strategy, without the source's closing bracket */
    static const struct {
        const char *name;
        enum kafka_sub_kind kind;
    } strategies[] = {{"SubscribePattern[", KSUB_PATTERN},
                      {"Subscribe[", KSUB_SUBSCRIBE},
                      {"Assign[", KSUB_ASSIGN}};
    for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++) {
        size_t h = strlen(strategies[i].name);
        if (n < h + 1 || memcmp(in, strategies[i].name, h) != 0 || in[n - 1] != ']')
            continue;
        const char *body = in + h;
        size_t bn = n - h - 1;
        out->kind = strategies[i].kind;
        if (out->kind == KSUB_PATTERN)
            out->pattern = xstrndup(body, bn);
        else
            split_names(body, bn, out->kind == KSUB_ASSIGN, &out->topics);
        return 0;
    }
    return 0;
}

void kafkalag_compute(struct snap_kpart *p)
{
    /* where reading starts: the position, or the log start when retention passed it (or for
     * a partition the checkpoint does not know: Spark reads new partitions from the earliest) */
    double from = p->position;
    if (!isnan(p->log_start) && (isnan(from) || from < p->log_start))
        from = p->log_start;
    p->lag = isnan(p->end) || isnan(from) ? NAN : fmax(0, p->end - from);
    double pfrom = isnan(p->planned) ? from : p->planned;
    if (!isnan(p->log_start) && !isnan(pfrom) && pfrom < p->log_start)
        pfrom = p->log_start;
    p->planned_lag = isnan(p->end) || isnan(pfrom) ? NAN : fmax(0, p->end - pfrom);
    p->lost = NAN;
    if (!isnan(p->log_start) && !isnan(p->position))
        p->lost = fmax(0, p->log_start - p->position);
    else if (p->is_new && !isnan(p->log_start))
        p->lost = 0;
}

void kafkalag_source_done(struct kafkalag_source *k)
{
    kafkalag_positions_done(&k->planned);
    kafkalag_positions_done(&k->position);
    kafkalag_sub_done(&k->sub);
}

static bool parse_into(const char *json, struct kafka_positions *p, const char *what, int index,
                       struct snap_stream *out)
{
    struct st_err err;
    if (kafkalag_parse_offsets(json, strlen(json), p, &err) == 0)
        return true;
    strvec_pushf(&out->warnings, "source %d: %s offsets: %s", index, what, err.msg);
    return false;
}

size_t kafkalag_gather(struct snap_stream *out, struct kafkalag_source **res)
{
    size_t n = 0;
    *res = xcalloc(out->nsources + 1, sizeof **res);
    double committed = out->metrics[M_COMMITTED_BATCH_ID];
    double last = out->metrics[M_LAST_BATCH_ID];
    for (size_t i = 0; i < out->nsources; i++) {
        const struct snap_source *src = &out->sources[i];
        struct kafka_sub sub = {0};
        strvec_init(&sub.topics);
        bool described = src->description &&
                         kafkalag_parse_desc(src->description, strlen(src->description), &sub) == 0;
        if (!described)
            kafkalag_sub_done(&sub);
        if (src->kind != SRC_KAFKA && !described)
            continue;
        struct kafkalag_source *k = &(*res)[n++];
        memset(k, 0, sizeof *k);
        k->index = src->index;
        if (described)
            k->sub = sub;
        else
            strvec_init(&k->sub.topics);
        if (src->kind == SRC_KAFKA)
            parse_into(src->end_offset, &k->planned, "planned", k->index, out);
        if (src->committed_offset)
            k->have_position =
                parse_into(src->committed_offset, &k->position, "committed", k->index, out);
        else if (!isnan(committed) && committed == last && src->kind == SRC_KAFKA)
            k->have_position =
                parse_into(src->end_offset, &k->position, "committed", k->index, out);
        else if (isnan(committed) && src->initial_offset)
            /* batch 0 in flight: the query resumes from its initial offsets */
            k->have_position =
                parse_into(src->initial_offset, &k->position, "initial", k->index, out);
    }
    return n;
}

void kafkalag_add_known(struct snap_stream *out, const struct kafkalag_source *k)
{
    for (size_t j = 0; j < k->planned.n; j++) {
        const struct kafka_pos *p = &k->planned.v[j];
        struct snap_kpart *kp = snap_stream_add_kpart(out, p->topic, p->partition);
        kp->source = k->index;
        kp->planned = (double)p->offset;
    }
    for (size_t j = 0; j < k->position.n; j++) {
        const struct kafka_pos *p = &k->position.v[j];
        if (kafkalag_find(&k->planned, p->topic, p->partition) == -3) {
            struct snap_kpart *kp = snap_stream_add_kpart(out, p->topic, p->partition);
            kp->source = k->index;
        }
    }
}

void kafkalag_set_positions(struct snap_stream *out, const struct kafkalag_source *ks, size_t nks)
{
    for (size_t i = 0; i < out->kafka.nparts; i++) {
        struct snap_kpart *kp = &out->kafka.parts[i];
        for (size_t k = 0; k < nks; k++) {
            if (ks[k].index != kp->source || !ks[k].have_position)
                continue;
            int64_t at = kafkalag_find(&ks[k].position, kp->topic, kp->partition);
            /* an initial-offset file's -2 (earliest) or -1 (latest) is no position yet */
            if (at >= 0)
                kp->position = (double)at;
        }
    }
}

static void set(struct snap_stream *out, int m, double v)
{
    out->metrics[m] = v;
    out->origin[m] = ORIGIN_BROKER;
}

void kafkalag_totals(struct snap_stream *out, int64_t now_ms)
{
    double lag = 0, planned = 0, lost = 0, age = 0;
    bool lag_ok = true, age_ok = true, lost_ok = true;
    for (size_t i = 0; i < out->kafka.nparts; i++) {
        const struct snap_kpart *kp = &out->kafka.parts[i];
        if (isnan(kp->lag))
            lag_ok = false;
        else
            lag += kp->lag;
        planned += isnan(kp->planned_lag) ? 0 : kp->planned_lag;
        if (isnan(kp->lost))
            lost_ok = false;
        else
            lost += kp->lost;
        if (!isnan(kp->lag) && kp->lag > 0) {
            if (kp->oldest_ms < 0)
                age_ok = false;
            else
                age = fmax(age, (double)(now_ms - kp->oldest_ms) / 1000);
        }
    }
    out->kafka.planned_lag = lag_ok ? planned : NAN;
    if (lag_ok)
        set(out, M_BACKLOG_RECORDS, lag);
    if (lost_ok)
        set(out, M_KAFKA_LOST_RECORDS, lost);
    if (lag_ok && (age_ok || age > 0))
        set(out, M_BACKLOG_AGE_SECONDS, age);
    else if (lag_ok && lag > 0) {
        /* lagging, but no record's time arrived: progress's estimate is no measurement */
        out->metrics[M_BACKLOG_AGE_SECONDS] = NAN;
        out->origin[M_BACKLOG_AGE_SECONDS] = ORIGIN_NONE;
    }
    if (lag_ok && !age_ok && age > 0)
        strvec_pushf(&out->warnings,
                     "kafka %s: the oldest waiting record of some lagging partitions did not "
                     "arrive in time; backlog_age_seconds is a lower bound",
                     out->kafka.bootstrap);
}
