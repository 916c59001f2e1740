#include "collectors/progressparse.h"

#include <cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/parse.h"

void progress_info_init(struct progress_info *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->batch_id = -1;
    pi->timestamp_ms = -1;
    pi->input_rps = pi->processed_rps = pi->duration_s = pi->watermark_ms = NAN;
    pi->input_rows = NAN;
    pi->backlog_records = pi->backlog_files = pi->backlog_bytes = NAN;
}

/* A number, or a string holding one ("2.70941269E8"). */
static double num(const cJSON *v)
{
    double d;
    if (cJSON_IsNumber(v))
        return isfinite(v->valuedouble) ? v->valuedouble : NAN;
    if (cJSON_IsString(v) && parse_double(v->valuestring, &d) == 0)
        return d;
    return NAN;
}

static void add(double *acc, double v)
{
    if (isnan(v))
        return;
    *acc = isnan(*acc) ? v : *acc + v;
}

/* Kafka backlog of one source: the sum over partitions of latestOffset - endOffset. */
static double kafka_behind(const cJSON *latest, const cJSON *end)
{
    if (!cJSON_IsObject(latest) || !cJSON_IsObject(end))
        return NAN;
    double total = NAN;
    const cJSON *topic;
    cJSON_ArrayForEach(topic, latest)
    {
        const cJSON *etopic = cJSON_GetObjectItemCaseSensitive(end, topic->string);
        if (!cJSON_IsObject(topic) || !cJSON_IsObject(etopic))
            return NAN;
        const cJSON *part;
        cJSON_ArrayForEach(part, topic)
        {
            double l = num(part), e = num(cJSON_GetObjectItemCaseSensitive(etopic, part->string));
            if (isnan(l) || isnan(e))
                return NAN;
            add(&total, l > e ? l - e : 0);
        }
    }
    return total;
}

static const char progress_marker[] = "Streaming query made progress: ";
static const char idle_phrase[] = "has been idle and waiting for new data";

static const char *find(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (const char *p = hay; m && p + m <= hay + n; p++) {
        p = memchr(p, needle[0], (size_t)(hay + n - p));
        if (!p || p + m > hay + n)
            return NULL;
        if (memcmp(p, needle, m) == 0)
            return p;
    }
    return NULL;
}

static void take_id(struct progress_info *pi, const cJSON *id)
{
    if (cJSON_IsString(id))
        snprintf(pi->query_id, sizeof pi->query_id, "%s", id->valuestring);
}

static void take_time(struct progress_info *pi, const cJSON *ts)
{
    int64_t ms;
    if (cJSON_IsString(ts) && parse_iso8601_ms(ts->valuestring, &ms) == 0)
        pi->timestamp_ms = ms;
}

static int from_object(const cJSON *o, struct progress_info *pi, struct st_err *err, int depth);

/* A structured log record: the progress in its MDC, else after the marker in msg; the idle
 * record; anything else is a log record to skip. */
static int from_log_record(const cJSON *o, struct progress_info *pi, struct st_err *err, int depth)
{
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "msg");
    const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(o, "context");
    const cJSON *qid = cJSON_GetObjectItem(ctx, "query_id"); /* QUERY_ID in Spark 4.3 */
    const cJSON *prog = cJSON_GetObjectItem(ctx, "streaming_query_progress");
    const char *text = NULL;
    size_t len = 0;
    if (cJSON_IsString(prog)) {
        text = prog->valuestring;
        len = strlen(text);
    } else {
        size_t mlen = strlen(msg->valuestring);
        const char *hit = find(msg->valuestring, mlen, progress_marker);
        if (hit && hit[sizeof progress_marker - 1] == '{') {
            text = hit + sizeof progress_marker - 1;
            len = (size_t)(msg->valuestring + mlen - text);
        } else if (find(msg->valuestring, mlen, idle_phrase)) {
            pi->kind = PK_IDLE;
            take_id(pi, qid);
            take_time(pi, cJSON_GetObjectItemCaseSensitive(o, "ts"));
            return 0;
        }
    }
    if (!text) {
        pi->kind = PK_LOG;
        return 0;
    }
    cJSON *inner = cJSON_ParseWithLength(text, len);
    int rc = cJSON_IsObject(inner)
                 ? from_object(inner, pi, err, depth + 1)
                 : st_err_set(err, ST_EFORMAT, "malformed progress JSON in a log record");
    if (rc == 0 && pi->kind != PK_PROGRESS)
        rc = st_err_set(err, ST_EFORMAT, "a log record's progress is not a query progress");
    if (rc == 0 && !*pi->query_id)
        take_id(pi, qid);
    cJSON_Delete(inner);
    return rc;
}

int progress_from_json(const char *text, size_t n, struct progress_info *pi, struct st_err *err)
{
    progress_info_init(pi);
    cJSON *o = cJSON_ParseWithLength(text, n);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return st_err_set(err, ST_EFORMAT, "malformed progress JSON");
    }
    int rc = from_object(o, pi, err, 0);
    cJSON_Delete(o);
    return rc;
}

static int from_object(const cJSON *o, struct progress_info *pi, struct st_err *err, int depth)
{
    if (depth > 2) /* a record inside an event inside a record: not what Spark writes */
        return st_err_set(err, ST_EFORMAT, "progress JSON nested too deep");
    progress_info_init(pi);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *batch = cJSON_GetObjectItemCaseSensitive(o, "batchId");
    const cJSON *sources = cJSON_GetObjectItemCaseSensitive(o, "sources");
    const cJSON *wrapped = cJSON_GetObjectItemCaseSensitive(o, "progress");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "msg");
    if (cJSON_IsString(msg) &&
        (cJSON_GetObjectItemCaseSensitive(o, "ts") || cJSON_GetObjectItemCaseSensitive(o, "level")))
        return from_log_record(o, pi, err, depth);
    if (cJSON_IsObject(wrapped) && !cJSON_IsNumber(batch)) /* QueryProgressEvent.json */
        return from_object(wrapped, pi, err, depth + 1);
    if (!cJSON_IsString(id) && !cJSON_IsNumber(batch) && !cJSON_IsArray(sources))
        return st_err_set(err, ST_EFORMAT, "a JSON object, but not a query progress");
    take_id(pi, id);
    /* a listener that names the event it writes ("event": "QueryIdleEvent", or the class's
     * full name) says so itself */
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(o, "event");
    if (!cJSON_IsString(ev))
        ev = cJSON_GetObjectItemCaseSensitive(o, "Event");
    if (cJSON_IsString(ev) && !cJSON_IsNumber(batch) && !sources) {
        static const struct {
            const char *suffix;
            enum progress_kind kind;
        } events[] = {{"QueryIdleEvent", PK_IDLE},
                      {"QueryStartedEvent", PK_STARTED},
                      {"QueryTerminatedEvent", PK_TERMINATED}};
        size_t el = strlen(ev->valuestring);
        for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
            size_t sl = strlen(events[i].suffix);
            if (el >= sl && strcmp(ev->valuestring + el - sl, events[i].suffix) == 0) {
                pi->kind = events[i].kind;
                take_time(pi, cJSON_GetObjectItemCaseSensitive(o, "timestamp"));
                return 0;
            }
        }
    }
    if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "runId")) && !cJSON_IsNumber(batch) &&
        !sources && !cJSON_GetObjectItemCaseSensitive(o, "durationMs")) {
        if (cJSON_GetObjectItemCaseSensitive(o, "jobTags") ||
            cJSON_GetObjectItemCaseSensitive(o, "name"))
            pi->kind = PK_STARTED;
        else if (cJSON_GetObjectItemCaseSensitive(o, "timestamp"))
            pi->kind = PK_IDLE;
        else
            pi->kind = PK_TERMINATED; /* {"id", "runId"[, "exception", ...]} */
        take_time(pi, cJSON_GetObjectItemCaseSensitive(o, "timestamp"));
        return 0;
    }
    /* a batchId beyond int64 (1e300) is ignored, like a missing one */
    if (cJSON_IsNumber(batch) && !parse_double_to_i64(batch->valuedouble, &pi->batch_id))
        pi->batch_id = -1;
    int64_t ms;
    take_time(pi, cJSON_GetObjectItemCaseSensitive(o, "timestamp"));
    pi->input_rps = num(cJSON_GetObjectItemCaseSensitive(o, "inputRowsPerSecond"));
    pi->processed_rps = num(cJSON_GetObjectItemCaseSensitive(o, "processedRowsPerSecond"));
    pi->input_rows = num(cJSON_GetObjectItemCaseSensitive(o, "numInputRows"));
    const cJSON *dur = cJSON_GetObjectItemCaseSensitive(o, "durationMs");
    double trig = num(cJSON_GetObjectItemCaseSensitive(dur, "triggerExecution"));
    pi->duration_s = isnan(trig) ? NAN : trig / 1000;
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "eventTime"), "watermark");
    if (cJSON_IsString(wm) && parse_iso8601_ms(wm->valuestring, &ms) == 0 && ms > 0)
        pi->watermark_ms = (double)ms;
    const cJSON *src;
    size_t nsrc = 0;
    cJSON_ArrayForEach(src, sources)
    {
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(src, "description");
        size_t at = nsrc++;
        if (at < PROGRESS_DESC_SOURCES && cJSON_IsString(desc) &&
            strncmp(desc->valuestring, "Kafka", 5) == 0 &&
            strlen(desc->valuestring) < PROGRESS_DESC_MAX)
            memcpy(pi->kafka_desc[at], desc->valuestring, strlen(desc->valuestring) + 1);
        const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(src, "metrics");
        double behind = kafka_behind(cJSON_GetObjectItemCaseSensitive(src, "latestOffset"),
                                     cJSON_GetObjectItemCaseSensitive(src, "endOffset"));
        if (isnan(behind))
            behind = num(cJSON_GetObjectItemCaseSensitive(metrics, "maxOffsetsBehindLatest"));
        add(&pi->backlog_records, behind);
        add(&pi->backlog_files,
            num(cJSON_GetObjectItemCaseSensitive(metrics, "numFilesOutstanding")));
        add(&pi->backlog_bytes,
            num(cJSON_GetObjectItemCaseSensitive(metrics, "numBytesOutstanding")));
    }
    return 0;
}

/* ---- PrometheusServlet ------------------------------------------------------------------- */

static void prom_name(const char *in, char *out, size_t outlen)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < outlen; i++)
        out[i] = isalnum((unsigned char)in[i]) ? in[i] : '_';
    out[i] = '\0';
}

static const struct {
    const char *suffix;
    size_t field; /* offset of the double in progress_info */
    double scale;
} gauges[] = {
    {"_inputRate_total_Value", offsetof(struct progress_info, input_rps), 1},
    {"_processingRate_total_Value", offsetof(struct progress_info, processed_rps), 1},
    {"_latency_Value", offsetof(struct progress_info, duration_s), 0.001},
    {"_eventTime_watermark_Value", offsetof(struct progress_info, watermark_ms), 1},
};

int progress_from_servlet(const char *text, size_t n, const char *name1, const char *name2,
                          struct progress_info *pi, struct st_err *err)
{
    progress_info_init(pi);
    char want1[128], want2[128], only[128] = "";
    prom_name(name1, want1, sizeof want1);
    prom_name(name2, want2, sizeof want2);
    int queries = 0; /* distinct query names seen (up to 2 matters) */
    struct progress_info mine, single;
    progress_info_init(&mine);
    progress_info_init(&single);
    bool matched = false;
    const char *marker = "_driver_spark_streaming_";
    for (const char *line = text, *end = text + n; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const char *next = nl ? nl + 1 : end;
        char buf[512];
        if (len == 0 || line[0] == '#' || len >= sizeof buf) {
            line = next;
            continue;
        }
        memcpy(buf, line, len);
        buf[len] = '\0';
        line = next;
        char *m = strstr(buf, marker);
        char *sp = strrchr(buf, ' ');
        if (!m || !sp)
            continue;
        double v;
        if (parse_double(str_trim(sp + 1), &v) < 0)
            continue;
        *sp = '\0';
        char *brace = strchr(m, '{');
        if (brace)
            *brace = '\0';
        char *rest = m + strlen(marker);
        for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
            size_t rl = strlen(rest), sl = strlen(gauges[g].suffix);
            if (rl <= sl || strcmp(rest + rl - sl, gauges[g].suffix) != 0)
                continue;
            rest[rl - sl] = '\0';
            if (strcmp(rest, only) != 0) {
                if (queries < 2)
                    queries++;
                snprintf(only, sizeof only, "%s", rest);
            }
            double value = v * gauges[g].scale;
            if (strcmp(rest, want1) == 0 || strcmp(rest, want2) == 0) {
                *(double *)((char *)&mine + gauges[g].field) = value;
                matched = true;
            }
            *(double *)((char *)&single + gauges[g].field) = value;
            break;
        }
    }
    if (matched) {
        *pi = mine;
    } else if (queries == 1) {
        *pi = single;
    } else {
        return st_err_set(err, ST_EFORMAT,
                          queries ? "no streaming query named '%s' or '%s' on the page"
                                  : "no spark_streaming gauges on the page (is "
                                    "spark.sql.streaming.metricsEnabled on?)",
                          want1, want2);
    }
    if (!isnan(pi->watermark_ms) && pi->watermark_ms <= 0)
        pi->watermark_ms = NAN;
    return 0;
}

/* ---- the line scanner -------------------------------------------------------------------- */

void progress_scanner_init(struct progress_scanner *sc)
{
    memset(sc, 0, sizeof *sc);
    buf_init(&sc->block);
}

void progress_scanner_done(struct progress_scanner *sc)
{
    buf_done(&sc->block);
}

/* Track brace depth outside JSON strings. */
static void track(struct progress_scanner *sc, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (sc->in_string) {
            if (sc->escaped)
                sc->escaped = false;
            else if (c == '\\')
                sc->escaped = true;
            else if (c == '"')
                sc->in_string = false;
        } else if (c == '"') {
            sc->in_string = true;
        } else if (c == '{') {
            sc->depth++;
        } else if (c == '}') {
            sc->depth--;
        }
    }
}

const char *progress_scan_line(struct progress_scanner *sc, const char *line, size_t n,
                               uint64_t lineno, size_t *objlen, uint64_t *obj_line)
{
    static const char marker[] = "Streaming query made progress: ";
    sc->idle_line = false;
    if (n && line[n - 1] == '\r')
        n--;
    if (sc->in_block) {
        buf_append(&sc->block, "\n", 1);
        buf_append(&sc->block, line, n);
        track(sc, line, n);
        if (sc->block.len > PROGRESS_MAX_OBJECT) {
            sc->in_block = false; /* give up on a runaway block */
            buf_reset(&sc->block);
            return NULL;
        }
        if (sc->depth <= 0) {
            sc->in_block = false;
            *objlen = sc->block.len;
            *obj_line = sc->block_line;
            return sc->block.data;
        }
        return NULL;
    }
    if (n && line[0] == '{') { /* a JSON-lines object */
        sc->idle = false;
        *objlen = n;
        *obj_line = lineno;
        return line;
    }
    /* the marker can sit after any log prefix; search the line */
    const char *hit = NULL;
    for (const char *p = line; p + sizeof marker - 1 <= line + n; p++) {
        p = memchr(p, 'S', (size_t)(line + n - p));
        if (!p || p + sizeof marker - 1 > line + n)
            break;
        if (memcmp(p, marker, sizeof marker - 1) == 0) {
            hit = p + sizeof marker - 1;
            break;
        }
    }
    if (hit && hit < line + n && *hit == '{') {
        sc->idle = false;
        buf_reset(&sc->block);
        sc->depth = 0;
        sc->in_string = sc->escaped = false;
        size_t rest = (size_t)(line + n - hit);
        buf_append(&sc->block, hit, rest);
        track(sc, hit, rest);
        sc->block_line = lineno;
        if (sc->depth <= 0) {
            *objlen = sc->block.len;
            *obj_line = lineno;
            return sc->block.data;
        }
        sc->in_block = true;
        return NULL;
    }
    static const char idle[] = "has been idle and waiting for new data";
    if (n >= sizeof idle - 1) {
        for (const char *p = line; p + sizeof idle - 1 <= line + n; p++) {
            p = memchr(p, 'h', (size_t)(line + n - p));
            if (!p || p + sizeof idle - 1 > line + n)
                break;
            if (memcmp(p, idle, sizeof idle - 1) == 0) {
                sc->idle = sc->idle_line = true;
                break;
            }
        }
    }
    return NULL;
}
