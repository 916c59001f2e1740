#include "collectors/keyorder.h"

#include <string.h>

#include "core/buf.h"
#include "core/hashset.h"

#define MAX_SEP    8 /* "/month=": the text between two fields is short */
#define MAX_FIELDS 6 /* year, month, day, hour, minute, second */

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

static int64_t num(const char *p, size_t w)
{
    int64_t v = 0;
    for (size_t i = 0; i < w; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool field_ok(int idx, int64_t v)
{
    static const int64_t lo[MAX_FIELDS] = {1970, 1, 1, 0, 0, 0};
    static const int64_t hi[MAX_FIELDS] = {2999, 12, 31, 23, 59, 60};
    return v >= lo[idx] && v <= hi[idx];
}

struct fields {
    int64_t v[MAX_FIELDS];
    int n;
    struct buf shape; /* the key's text with each field's digits as '#' */
};

/* Fields from a run of w digits at p: a whole year, or a compact date (YYYYMMDD[hh[mm[ss]]]). */
static bool first_fields(const char *p, size_t w, struct fields *f)
{
    if (w != 4 && w != 8 && w != 10 && w != 12 && w != 14)
        return false;
    for (size_t at = 0; at < w; at += at ? 2 : 4) {
        int idx = f->n;
        int64_t v = num(p + at, at ? 2 : 4);
        if (!field_ok(idx, v)) {
            f->n = 0;
            return false;
        }
        f->v[f->n++] = v;
    }
    for (size_t i = 0; i < w; i++)
        buf_append(&f->shape, "#", 1);
    return true;
}

bool keyorder_parse(const char *key, struct key_time *out)
{
    size_t n = strlen(key);
    const char *slash = strrchr(key, '/');
    size_t name_at = slash ? (size_t)(slash - key) + 1 : 0;
    for (size_t i = 0; i < n;) {
        if (!digit(key[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < n && digit(key[j]))
            j++;
        struct fields f = {.n = 0};
        buf_init(&f.shape);
        buf_append(&f.shape, key, i);
        bool in_dirs = i < name_at;
        bool epoch = false;
        if (!first_fields(key + i, j - i, &f)) {
            /* an epoch in a file name: ten digits of seconds or thirteen of milliseconds */
            if (in_dirs || (j - i != 10 && j - i != 13) || key[i] == '0') {
                buf_done(&f.shape);
                i = j;
                continue;
            }
            epoch = true;
            for (size_t k = i; k < j; k++)
                buf_append(&f.shape, "#", 1);
        }
        size_t end = j; /* where the last field ends */
        while (!epoch && f.n < MAX_FIELDS) {
            size_t s = end;
            while (s < n && !digit(key[s]) && s - end <= MAX_SEP)
                s++;
            if (s == end || s >= n || s - end > MAX_SEP)
                break;
            if (in_dirs && s >= name_at)
                break; /* a partition's time ends with its folders */
            size_t e = s;
            while (e < n && digit(key[e]))
                e++;
            size_t w = e - s;
            /* after a compact date, "T071530": its time in one run */
            size_t step = f.n >= 3 && w <= 6 && w % 2 == 0 ? 2 : w;
            if (step != 2 || f.n + (int)(w / 2) > MAX_FIELDS)
                break;
            bool good = true;
            for (size_t k = 0; k < w && good; k += 2)
                good = field_ok(f.n + (int)(k / 2), num(key + s + k, 2));
            if (!good)
                break;
            for (size_t k = 0; k < w; k += 2)
                f.v[f.n++] = num(key + s + k, 2);
            buf_append(&f.shape, key + end, s - end);
            for (size_t k = 0; k < w; k++)
                buf_append(&f.shape, "#", 1);
            end = e;
        }
        if (!epoch && f.n < 3) {
            buf_done(&f.shape);
            i = j;
            continue;
        }
        memset(out, 0, sizeof *out);
        out->kind = in_dirs ? KEY_DIRS : KEY_NAMES;
        out->part_len = name_at ? name_at - 1 : 0;
        if (epoch) {
            int64_t v = num(key + i, j - i);
            out->start_ms = j - i == 13 ? v : v * 1000;
            out->span_ms = j - i == 13 ? 1 : 1000;
        } else {
            static const int64_t span[MAX_FIELDS + 1] = {0, 0, 0, 86400000, 3600000, 60000, 1000};
            int64_t v[MAX_FIELDS] = {0, 1, 1, 0, 0, 0};
            memcpy(v, f.v, (size_t)f.n * sizeof *v);
            out->start_ms = days_from_civil(v[0], v[1], v[2]) * 86400000 + v[3] * 3600000 +
                            v[4] * 60000 + v[5] * 1000;
            out->span_ms = span[f.n];
        }
        unsigned char tag[2] = {KEYORDER_VERSION, (unsigned char)out->kind};
        buf_append(&f.shape, tag, sizeof tag);
        out->layout = hash64(f.shape.data, f.shape.len);
        if (out->layout == 0)
            out->layout = 1;
        buf_done(&f.shape);
        return true;
    }
    return false;
}

void keyorder_scan_init(struct keyorder_scan *s)
{
    memset(s, 0, sizeof *s);
}

void keyorder_scan_add(struct keyorder_scan *s, const char *key)
{
    if (s->mixed)
        return;
    struct key_time kt;
    s->keys++;
    if (!keyorder_parse(key, &kt)) {
        s->mixed = true;
        return;
    }
    if (s->layout == 0) {
        s->layout = kt.layout;
        s->kind = kt.kind;
    } else if (kt.layout != s->layout) {
        s->mixed = true;
    }
}

uint64_t keyorder_scan_layout(const struct keyorder_scan *s)
{
    return s->mixed ? 0 : s->layout;
}

const char *keyorder_plan(const struct keyorder_part *parts, size_t n, uint64_t layout,
                          int64_t skew_ms, int64_t now_ms, bool *relist)
{
    size_t newest = SIZE_MAX;
    const char *maxkey = NULL;
    for (size_t i = 0; i < n; i++) {
        if (newest == SIZE_MAX || strcmp(parts[i].rel, parts[newest].rel) > 0)
            newest = i;
        if (!maxkey || strcmp(parts[i].last, maxkey) > 0)
            maxkey = parts[i].last;
    }
    *relist = false;
    if (newest == SIZE_MAX)
        return NULL;
    /* partitions of the newest one's time (<ts>/bad_records/ beside <ts>/bad_files/) are as
     * open as it is */
    struct key_time nk;
    int64_t newest_start =
        keyorder_parse(parts[newest].last, &nk) && nk.kind == KEY_DIRS ? nk.start_ms : INT64_MIN;
    const char *oldest_open = NULL;
    for (size_t i = 0; i < n; i++) {
        struct key_time kt;
        bool open;
        if (!keyorder_parse(parts[i].last, &kt) || kt.kind != KEY_DIRS)
            open = i == newest && layout == 0;
        else
            open = i == newest || kt.start_ms == newest_start ||
                   kt.start_ms + kt.span_ms + skew_ms > now_ms;
        if (open && (!oldest_open || strcmp(parts[i].rel, oldest_open) < 0))
            oldest_open = parts[i].rel;
    }
    *relist = oldest_open != NULL;
    return oldest_open ? oldest_open : maxkey;
}

bool keyorder_full_due(bool incremental, int64_t last_full_ms, int64_t every_ms, int64_t clock_ms)
{
    if (every_ms <= 0)
        every_ms = 3600000;
    return !incremental || last_full_ms <= 0 || clock_ms < last_full_ms ||
           clock_ms - last_full_ms >= every_ms;
}
