/* keyorder: does a landing key carry its time where key order is time order? Date and hour
 * partitions (dt=2026-12-01/hr=07/, 2026/12/01/07/, year=2026/month=12/...) and timestamped
 * names (events-20261201T071530Z-x.json, 1764572400123.json) do: with the same text around
 * fixed-width fields, a later key sorts after an earlier one. Pure: no I/O. */
#ifndef STREAMTOP_KEYORDER_H
#define STREAMTOP_KEYORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped when the rules change: a layout remembered by an older version is not trusted. */
#define KEYORDER_VERSION 1

enum key_kind {
    KEY_NONE,  /* no time in the key */
    KEY_DIRS,  /* the time is in the folders: a partition (its files' names need not sort) */
    KEY_NAMES, /* the time is in the file name: the names sort */
};

struct key_time {
    enum key_kind kind;
    uint64_t layout;  /* the text around the time fields and their widths (hashed), never 0 */
    size_t part_len;  /* the partition: the key's first part_len bytes (its folders, no '/') */
    int64_t start_ms; /* the time the fields name (UTC), the start of the span they cover */
    int64_t span_ms;  /* what the finest field covers: 1h for an hour partition */
};

/* Parse a key relative to the landing root ("dt=2026-12-01/hr=07/part-0.json"). The time is
 * the first run of digits that reads as a date of at least year, month and day (or an epoch in
 * seconds or milliseconds in a file name), with each further field (hour, minute, second) of
 * two digits after a short separator. True and out filled when there is one. */
bool keyorder_parse(const char *key, struct key_time *out);

/* What a listing's keys say, fed one key at a time. */
struct keyorder_scan {
    enum key_kind kind;
    uint64_t layout; /* common layout so far, 0 before the first key */
    size_t keys;
    bool mixed; /* a key without the common layout: the listing does not sort by time */
};

void keyorder_scan_init(struct keyorder_scan *s);
void keyorder_scan_add(struct keyorder_scan *s, const char *key);
/* The layout every key had (0 when the keys do not sort by time, or there were none). */
uint64_t keyorder_scan_layout(const struct keyorder_scan *s);

/* The incremental listing of an object-store prefix whose keys sort by time, shared by the
 * landing zone and the dead-letter prefixes: what a pass keeps of each partition (key folder). */
struct keyorder_part {
    const char *rel;  /* (borrowed) the partition: its keys' folders, "" for the top */
    const char *last; /* (borrowed) the greatest key listed in it */
};

/* Where an incremental pass starts. A partition's names need not sort while its time lasts, so
 * the open partitions (the newest and any of its time, and any whose time has not ended by
 * now_ms - skew_ms) are
 * listed again whole: keys sort by time, so one chain of requests from the oldest of them
 * covers them and whatever sorts after (*relist true, the start is that partition's name).
 * With none open (names that sort by themselves), the pass lists what sorts after the greatest
 * key known (*relist false). layout 0 (`listing = incremental` on keys of no known layout):
 * only the newest partition is open. Returns the start (borrowed from parts), NULL when n is
 * 0. */
const char *keyorder_plan(const struct keyorder_part *parts, size_t n, uint64_t layout,
                          int64_t skew_ms, int64_t now_ms, bool *relist);

/* Is a whole listing due: no incremental listing kept, none completed, or the last one
 * (last_full_ms, in clock_ms's time) every_ms old or from a clock that went back. every_ms <= 0
 * means the default, an hour. */
bool keyorder_full_due(bool incremental, int64_t last_full_ms, int64_t every_ms, int64_t clock_ms);

#endif
