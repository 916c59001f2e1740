/* dlqlist: what the dead-letter collector keeps of its prefixes' listings. Each prefix is held
 * as partitions (key folders) with their files' sizes and times, the greatest key and the newest
 * file of each. On an object store whose keys sort by time (keyorder.h), a pass lists only the
 * open partitions and what sorts after them (keyorder_plan, as the landing collector does), and
 * the partitions are kept in the cursor; on a local disk, each folder is stat'ed and listed only
 * when it changed (its listing is kept in the cursor too); elsewhere, and every
 * `full_listing_every`, a prefix is listed whole. */
#ifndef STREAMTOP_DLQLIST_H
#define STREAMTOP_DLQLIST_H

#include <stdint.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/strvec.h"

struct dlq_prefix;

struct dlq_list {
    struct dlq_prefix *pre; /* (owned) */
    size_t npre, cappre;
};

void dlqlist_init(struct dlq_list *l);
/* Forget every prefix; the list may be used again. */
void dlqlist_done(struct dlq_list *l);

/* A pass: dlqlist_begin, dlqlist_refresh (and dlqlist_sum) for each configured prefix, then
 * dlqlist_end, which forgets the prefixes not refreshed since (no longer configured, or kept by
 * a cursor of another configuration) and the files of those not listed incrementally. */
void dlqlist_begin(struct dlq_list *l);
void dlqlist_end(struct dlq_list *l);

/* Bring one prefix up to date, incrementally or whole (the stream's `listing` and
 * `full_listing_every`); keys that no longer sort by time after they did warn once into
 * warnings. 0, or -1 with err (ST_ENOENT: no such prefix yet); the prefix's partitions are then
 * forgotten. */
int dlqlist_refresh(struct dlq_list *l, const struct cfg_stream *cfg, const char *prefix,
                    int64_t now_ms, struct strvec *warnings, struct st_err *err);

/* What a prefix holds as last refreshed. */
struct dlq_sum {
    double files, bytes;
    double fresh;       /* files newer than since_ms */
    double recent;      /* files newer than recent_after_ms */
    int64_t newest_ms;  /* the newest file's mtime, -1 none */
    const char *newest; /* (borrowed, valid until the next refresh) its key under the prefix */
    const char *layout; /* (static) "badRecordsPath", "firehose", "partitioned", "dated", "flat" */
};

void dlqlist_sum(const struct dlq_list *l, const char *prefix, int64_t since_ms,
                 int64_t recent_after_ms, struct dlq_sum *out);

/* The cursor's part: every prefix's hash, key layout (with KEYORDER_VERSION in it), time of the
 * last whole listing, flags (1: incremental, 2: warned that keys stopped sorting, 4: stamped)
 * and its partitions: an incremental prefix's with files, a stamped prefix's folders, all
 * (name, greatest key and newest file's key, both empty for a folder without files, that file's
 * mtime, layout bits, files' sizes and mtimes, then, from version 4 on, the folder's stamp and
 * its folders' names). A stamped prefix is a local one on a disk file system
 * (fs_dir_times_durable): a pass stats its folders and lists only those whose stamp no longer
 * holds (dirstamp_holds, with `full_listing_every` as the oldest listing reused). dlqlist_take
 * reads a cursor of the given version (3 or 4) into an empty list: 0, or -1 when the bytes do
 * not read as such (the list is then emptied). */
void dlqlist_put(const struct dlq_list *l, struct buf *b);
int dlqlist_take(struct dlq_list *l, struct buf_reader *r, int version);

#endif
