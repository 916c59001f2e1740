#include "tui/columns.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/metrics.h"
#include "core/parse.h"
#include "core/sanitize.h"
#include "tui/format.h"

/* a schema version younger than this is marked with a star */
#define RECENT_SECONDS 3600

const struct tui_column tui_columns[COL__N] = {
    [COL_STATUS] = {"STATUS",
                    "health: ok, warn(ing), crit(ical), unkn(own); the status check computes", 7,
                    100, C_STATUS, -1, true},
    [COL_NAME] = {"STREAM", "the stream's name (cut in the middle with an ellipsis when too long)",
                  16, 99, C_NAME, -1, true},
    [COL_BATCH] = {"BATCH", "last planned batch id", 7, 80, C_METRIC, M_LAST_BATCH_ID, true},
    [COL_COMMIT] = {"COMMIT", "last committed batch id", 7, 30, C_METRIC, M_COMMITTED_BATCH_ID,
                    true},
    [COL_COMMIT_AGE] = {"C.AGE", "commit age: time since the last commit", 7, 90, C_METRIC,
                        M_COMMIT_AGE_SECONDS, true},
    [COL_INFLIGHT] = {"INFLIGHT", "how long the planned batch has been running uncommitted", 9, 50,
                      C_METRIC, M_INFLIGHT_SECONDS, true},
    [COL_BACKLOG] = {"BACKLOG",
                     "work waiting: files, or records (r, Kafka), Delta versions (v), bytes", 8, 95,
                     C_BACKLOG, -1, true},
    [COL_BYTES] = {"BYTES", "bytes waiting", 8, 20, C_METRIC, M_BACKLOG_BYTES, true},
    [COL_BACKLOG_AGE] = {"B.AGE",
                         "backlog age: of the oldest waiting file, or records behind / rate", 7, 85,
                         C_METRIC, M_BACKLOG_AGE_SECONDS, true},
    [COL_IN] = {"IN/S", "input rows per second", 7, 40, C_METRIC, M_INPUT_ROWS_PER_SECOND, true},
    [COL_OUT] = {"OUT/S", "processed rows per second", 7, 25, C_METRIC, M_PROCESSED_ROWS_PER_SECOND,
                 true},
    [COL_DURATION] = {"DUR", "duration of the last batch", 7, 35, C_METRIC,
                      M_BATCH_DURATION_SECONDS, true},
    [COL_WM_LAG] = {"WM.LAG", "watermark lag: now minus the event-time watermark", 7, 10, C_METRIC,
                    M_WATERMARK_LAG_SECONDS, true},
    [COL_DLQ] = {"DLQ", "dead-letter files (+ new since the previous pass)", 8, 70, C_DLQ, -1,
                 true},
    [COL_SCHEMA] = {"SCHEMA", "schema version (* changed within the hour)", 7, 60, C_SCHEMA, -1,
                    true},
    [COL_TREND] = {"B.AGE TREND", "backlog age over the last hour, a cell a minute", 14, 55,
                   C_SPARK, -1, false},
};

size_t columns_layout(const bool on[COL__N], int cols, int name_min, int name_max,
                      struct col_slot out[COL__N])
{
    bool shown[COL__N];
    int total = 0;
    for (int i = 0; i < COL__N; i++) {
        shown[i] = on[i] || i == COL_STATUS || i == COL_NAME;
        if (shown[i])
            total += (i == COL_NAME ? name_min : tui_columns[i].width) + 1;
    }
    while (total > cols) {
        int drop = -1;
        for (int i = 0; i < COL__N; i++)
            if (shown[i] && i != COL_NAME && i != COL_STATUS &&
                (drop < 0 || tui_columns[i].priority < tui_columns[drop].priority))
                drop = i;
        if (drop < 0)
            break;
        shown[drop] = false;
        total -= tui_columns[drop].width + 1;
    }
    int name_w = name_min + (cols > total ? cols - total : 0);
    if (name_w > name_max)
        name_w = name_max;
    size_t n = 0;
    int x = 0;
    for (int i = 0; i < COL__N; i++) {
        if (!shown[i])
            continue;
        int w = i == COL_NAME ? name_w : tui_columns[i].width;
        out[n++] = (struct col_slot){(enum tui_col)i, x, w};
        x += w + 1;
    }
    return n;
}

char *columns_cell(const struct snap_stream *st, enum tui_col col, bool utf8, bool words, char *out,
                   size_t n)
{
    const struct tui_column *c = &tui_columns[col];
    const double *v = st->metrics;
    char a[32], b[32];
    switch (c->kind) {
    case C_STATUS:
        snprintf(out, n, "%s", words ? health_name(st->status) : tui_health_tag(st->status, utf8));
        break;
    case C_NAME:
        sanitize_copy(out, n, st->name);
        break;
    case C_METRIC:
        tui_fmt_metric(v[c->metric], c->metric, out, n);
        break;
    case C_BACKLOG: {
        int m = snap_stream_primary_backlog(st);
        /* a lower bound (an Auto Loader backlog counted on storage): at least this many */
        const char *ge = m >= 0 && !isnan(v[m]) && st->origin[m] == ORIGIN_STORAGE_LOWER_BOUND
                             ? (utf8 ? "\xe2\x89\xa5" : ">=")
                             : "";
        if (m < 0)
            snprintf(out, n, "-");
        else if (m == M_BACKLOG_BYTES)
            snprintf(out, n, "%s%s", ge, tui_fmt_num(v[m], a, sizeof a, WU_BYTES));
        else
            snprintf(out, n, "%s%s%s", ge, tui_fmt_num(v[m], a, sizeof a, WU_COUNT),
                     m == M_BACKLOG_RECORDS    ? "r"
                     : m == M_BACKLOG_VERSIONS ? "v"
                                               : "");
        break;
    }
    case C_DLQ:
        if (isnan(v[M_DEADLETTER_FILES]))
            snprintf(out, n, "-");
        else if (v[M_DEADLETTER_NEW_FILES] > 0)
            snprintf(out, n, "%s+%s", fmt_count(v[M_DEADLETTER_FILES], a, sizeof a),
                     fmt_count(v[M_DEADLETTER_NEW_FILES], b, sizeof b));
        else
            snprintf(out, n, "%s", fmt_count(v[M_DEADLETTER_FILES], a, sizeof a));
        break;
    case C_SCHEMA:
        if (isnan(v[M_SCHEMA_VERSION]))
            snprintf(out, n, "-");
        else
            snprintf(out, n, "v%.0f%s", v[M_SCHEMA_VERSION],
                     v[M_SCHEMA_VERSION] > 0 && v[M_SCHEMA_AGE_SECONDS] < RECENT_SECONDS ? "*"
                                                                                         : "");
        break;
    case C_SPARK:
        snprintf(out, n, "%s", "");
        break;
    }
    return out;
}

bool columns_right(enum tui_col col)
{
    enum col_kind k = tui_columns[col].kind;
    return k == C_METRIC || k == C_BACKLOG || k == C_DLQ || k == C_SCHEMA;
}

/* Larger first, NaN (unmeasured) last. */
static int cmp_num(double a, double b)
{
    if (isnan(a))
        a = -INFINITY;
    if (isnan(b))
        b = -INFINITY;
    return (a < b) - (a > b);
}

static double backlog(const struct snap_stream *st)
{
    int m = snap_stream_primary_backlog(st);
    return m < 0 ? NAN : st->metrics[m];
}

int columns_cmp(const struct snap_stream *a, const struct snap_stream *b, enum tui_col col)
{
    const struct tui_column *c = &tui_columns[col];
    int r = 0;
    switch (c->kind) {
    case C_STATUS:
        r = health_urgency(b->status) - health_urgency(a->status);
        break;
    case C_NAME:
    case C_SPARK:
        break;
    case C_METRIC:
        r = cmp_num(a->metrics[c->metric], b->metrics[c->metric]);
        break;
    case C_BACKLOG:
        r = cmp_num(backlog(a), backlog(b));
        break;
    case C_DLQ:
        r = cmp_num(a->metrics[M_DEADLETTER_FILES], b->metrics[M_DEADLETTER_FILES]);
        break;
    case C_SCHEMA:
        r = cmp_num(a->metrics[M_SCHEMA_VERSION], b->metrics[M_SCHEMA_VERSION]);
        break;
    }
    return r ? r : strcmp(a->name, b->name);
}
