/* History driver: record simulated passes of N streams straight through the store, one a
 * minute with the clock stepped (clock_fix), as a pass does: BEGIN IMMEDIATE, store_record,
 * COMMIT, then (schema 5) store_maintain with the pass's budget. Built against this tree, or
 * with -DHIST_V4 against the version-4 store (pruning inside the pass's transaction).
 * Passes before STATS_FROM - 60 are written an hour (60 passes) per transaction, with the
 * maintenance after each hour, to reach day 30 in minutes: the DB ends up the same, only
 * faster. Prints, for the passes at or after STATS_FROM: bytes written per pass (wchar of
 * /proc/self/io: WAL, checkpoints, pages) as mean, median and max, and the slowest write
 * transaction in ms.
 * usage: histdrive DB STREAMS FROM_MIN TO_MIN STATS_FROM_MIN */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/snapshot.h"
#include "store/store.h"

#define T0_MS     1793491200000LL /* 2026-11-01T00:00:00Z */
#define RETENTION (14 * 86400 * 1000LL)

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static long long wchar(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    char line[128];
    long long v = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "wchar:", 6) == 0)
            v = strtoll(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* a deterministic pseudo-random number in [0, 1) per (stream, pass, salt) */
static double rnd(unsigned s, long p, unsigned salt)
{
    unsigned long long x = (unsigned long long)s * 0x9E3779B97F4A7C15ull ^
                           (unsigned long long)p * 0xC2B2AE3D27D4EB4Full ^ salt * 0x165667B1ull;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return (double)(x >> 11) / 9007199254740992.0;
}

/* What a pass measures of a healthy file stream: 17 metrics, the rest unmeasured. */
static struct snapshot *pass_at(int streams, long p)
{
    struct snapshot *snap = snapshot_new(T0_MS + p * 60000LL);
    for (int i = 0; i < streams; i++) {
        char name[32];
        snprintf(name, sizeof name, "stream-%03d", i);
        struct snap_stream *st = snapshot_add_stream(snap, name);
        double *m = st->metrics;
        double backlog = floor(20 * rnd((unsigned)i, p, 1));
        m[M_LAST_BATCH_ID] = (double)p;
        m[M_COMMITTED_BATCH_ID] = (double)p - (rnd((unsigned)i, p, 2) < 0.3);
        m[M_INFLIGHT_SECONDS] = floor(50 * rnd((unsigned)i, p, 3));
        m[M_COMMIT_AGE_SECONDS] = floor(60 * rnd((unsigned)i, p, 4));
        m[M_BATCH_INTERVAL_SECONDS] = 60;
        m[M_BATCH_DURATION_SECONDS] = 5 + 20 * rnd((unsigned)i, p, 5);
        m[M_INPUT_ROWS_PER_SECOND] = 1000 * rnd((unsigned)i, p, 6);
        m[M_PROCESSED_ROWS_PER_SECOND] = 1100 * rnd((unsigned)i, p, 7);
        m[M_BACKLOG_FILES] = backlog;
        m[M_BACKLOG_BYTES] = backlog * 1048576;
        m[M_BACKLOG_AGE_SECONDS] = backlog ? floor(120 * rnd((unsigned)i, p, 8)) : 0;
        m[M_WATERMARK_LAG_SECONDS] = 300 + floor(60 * rnd((unsigned)i, p, 9));
        m[M_OVERWRITTEN_FILES] = 0;
        m[M_STATE_BYTES] = 1e8 + (double)p * 1000;
        m[M_SCHEMA_VERSION] = 1;
        m[M_SCHEMA_AGE_SECONDS] = 86400 + (double)p * 60;
        m[M_DRAIN_ETA_SECONDS] = backlog ? 60 * rnd((unsigned)i, p, 10) : 0;
    }
    return snap;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: histdrive DB STREAMS FROM_MIN TO_MIN STATS_FROM_MIN\n");
        return 2;
    }
    int streams = atoi(argv[2]);
    long from = atol(argv[3]), to = atol(argv[4]), stats_from = atol(argv[5]);
    struct st_err err;
    struct store *db = store_open(argv[1], &err);
    if (!db) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    long long *bytes = calloc((size_t)(to - from) + 1, sizeof *bytes);
    size_t nb = 0;
    double slowest = 0;
    long p = from;
    for (; p + 60 <= stats_from - 60; p += 60) { /* fast forward */
        int rc = store_begin(db, &err);
        for (long q = p; rc == 0 && q < p + 60; q++) {
            struct snapshot *snap = pass_at(streams, q);
            clock_fix(snap->generated_ms);
#ifdef HIST_V4
            rc = store_record(db, snap, RETENTION, &err);
#else
            rc = store_record(db, snap, &err);
#endif
            snapshot_free(snap);
        }
        if (rc == 0)
            rc = store_commit(db, &err);
#ifndef HIST_V4
        struct store_maint st = {0};
        do {
            if (rc == 0 && (p / 60) % 6 == 5)
                rc = store_maintain(db, T0_MS + (p + 59) * 60000LL, RETENTION, 60000, &st, &err);
        } while (rc == 0 && st.more);
#endif
        if (rc < 0) {
            fprintf(stderr, "pass %ld: %s\n", p, err.msg);
            return 1;
        }
    }
    for (; p < to; p++) {
        struct snapshot *snap = pass_at(streams, p);
        clock_fix(snap->generated_ms);
        long long w0 = wchar();
        double t0 = mono_ms();
        int rc = store_begin(db, &err);
#ifdef HIST_V4
        if (rc == 0)
            rc = store_record(db, snap, RETENTION, &err);
#else
        if (rc == 0)
            rc = store_record(db, snap, &err);
#endif
        if (rc == 0)
            rc = store_commit(db, &err);
        double tx = mono_ms() - t0;
#ifndef HIST_V4
        struct store_maint st;
        if (rc == 0)
            rc = store_maintain(db, snap->generated_ms, RETENTION, 1000, &st, &err);
        if (rc == 0 && (double)st.slowest_ms > tx)
            tx = (double)st.slowest_ms;
#endif
        if (rc < 0) {
            fprintf(stderr, "pass %ld: %s\n", p, err.msg);
            return 1;
        }
        if (p >= stats_from) {
            bytes[nb++] = wchar() - w0;
            slowest = tx > slowest ? tx : slowest;
        }
        snapshot_free(snap);
    }
    store_close(db);
    if (nb) {
        long long sum = 0;
        for (size_t i = 0; i < nb; i++)
            sum += bytes[i];
        qsort(bytes, nb, sizeof *bytes, cmp);
        printf("bytes_per_pass_mean %lld\nbytes_per_pass_median %lld\nbytes_per_pass_max %lld\n"
               "slowest_tx_ms %.1f\n",
               sum / (long long)nb, bytes[nb / 2], bytes[nb - 1], slowest);
    }
    free(bytes);
    return 0;
}
