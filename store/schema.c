#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"

/* Schema versions: when streamtop first saw each version of a stream's schema, with its
 * changes kept after the log that showed them is cleaned up. */

/* Whether the lines of sv join to the empty text (strvec_join_lines). */
static bool joins_empty(const struct strvec *sv)
{
    return sv->n == 0 || (sv->n == 1 && sv->v[0][0] == '\0');
}

/* A version recorded before whose row the upsert below would leave as it is (its changes and
 * fields kept, or none to fill in): 1 with *first_seen_ms and, when changes is empty, the kept
 * changes; 0 when the upsert has something to do (or the read failed: the upsert reports). */
static int schema_kept(struct store *db, const char *stream, const char *origin, int64_t version,
                       const struct strvec *fields, struct strvec *changes, int64_t *first_seen_ms)
{
    sqlite3_stmt *s;
    struct st_err ignored;
    if (db_prepare(db, &s,
                   "SELECT first_seen_ms, changes, fields = '' FROM schema_versions"
                   " WHERE stream = ?1 AND origin = ?2 AND version = ?3",
                   DB_ARGS(DB_TEXT(stream), DB_TEXT(origin), DB_INT(version)),
                   "preparing a schema read", &ignored) < 0)
        return 0;
    int kept = 0;
    if (sqlite3_step(s) == SQLITE_ROW) {
        const char *had = (const char *)sqlite3_column_text(s, 1);
        bool fill_changes = had && *had == '\0' && !joins_empty(changes);
        bool fill_fields = sqlite3_column_int(s, 2) != 0 && !joins_empty(fields);
        if (!fill_changes && !fill_fields) {
            *first_seen_ms = sqlite3_column_int64(s, 0);
            if (changes->n == 0) /* the log that showed them is gone */
                strvec_split_lines(changes, had);
            kept = 1;
        }
    }
    db_finish(db, s);
    return kept;
}

int store_schema_seen(struct store *db, const char *stream, const char *origin, int64_t version,
                      int64_t appeared_ms, int64_t now_ms, const struct strvec *fields,
                      struct strvec *changes, int64_t *first_seen_ms, struct st_err *err)
{
    /* most passes see versions recorded before: a read, no write */
    if (schema_kept(db, stream, origin, version, fields, changes, first_seen_ms))
        return 0;
    char *joined = strvec_join_lines(changes), *flines = strvec_join_lines(fields);
    int rc = db_run(db,
                    "INSERT INTO schema_versions (stream, origin, version, first_seen_ms,"
                    " appeared_ms, changes, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                    " ON CONFLICT DO UPDATE SET"
                    " changes = iif(changes = '', excluded.changes, changes),"
                    " fields = iif(fields = '', excluded.fields, fields)",
                    DB_ARGS(DB_TEXT(stream), DB_TEXT(origin), DB_INT(version), DB_INT(now_ms),
                            DB_INT(appeared_ms), DB_TEXT(joined), DB_TEXT(flines)),
                    "writing a schema version", err);
    free(joined);
    free(flines);
    if (rc < 0)
        return -1;
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT first_seen_ms, changes FROM schema_versions"
                   " WHERE stream = ?1 AND origin = ?2 AND version = ?3",
                   DB_ARGS(DB_TEXT(stream), DB_TEXT(origin), DB_INT(version)),
                   "preparing a schema read", err) < 0)
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        *first_seen_ms = sqlite3_column_int64(s, 0);
        if (changes->n == 0) /* the log that showed them is gone */
            strvec_split_lines(changes, (const char *)sqlite3_column_text(s, 1));
        rc = 0;
    } else {
        rc = db_err(db, err, "reading a schema version");
    }
    db_finish(db, s);
    return rc;
}

int store_schema_before(struct store *db, const char *stream, const char *origin, int64_t version,
                        struct strvec *fields, int64_t *before, struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT version, fields FROM schema_versions"
                   " WHERE stream = ?1 AND origin = ?2 AND version < ?3 AND fields != ''"
                   " ORDER BY version DESC LIMIT 1",
                   DB_ARGS(DB_TEXT(stream), DB_TEXT(origin), DB_INT(version)),
                   "preparing a schema read", err) < 0)
        return -1;
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *before = sqlite3_column_int64(s, 0);
        strvec_split_lines(fields, (const char *)sqlite3_column_text(s, 1));
        rc = 1;
    } else {
        rc = rc == SQLITE_DONE ? 0 : db_err(db, err, "reading a schema version");
    }
    db_finish(db, s);
    return rc;
}

int store_schema_history(struct store *db, const char *stream, struct strvec *lines,
                         struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s,
                   "SELECT origin, version, first_seen_ms, appeared_ms, changes"
                   " FROM schema_versions WHERE stream = ?1"
                   " ORDER BY origin, version DESC LIMIT 50",
                   DB_ARGS(DB_TEXT(stream)), "reading schema history", err) < 0)
        return -1;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        char a[40], f[40];
        int64_t appeared = sqlite3_column_int64(s, 3), first = sqlite3_column_int64(s, 2);
        strvec_pushf(lines, "%s version %lld: appeared %.19s, first seen %.19s",
                     (const char *)sqlite3_column_text(s, 0), (long long)sqlite3_column_int64(s, 1),
                     appeared >= 0 ? clock_iso8601(appeared, a, sizeof a) : "-",
                     first >= 0 ? clock_iso8601(first, f, sizeof f) : "-");
        struct strvec changes;
        strvec_init(&changes);
        strvec_split_lines(&changes, (const char *)sqlite3_column_text(s, 4));
        for (size_t i = 0; i < changes.n; i++)
            strvec_pushf(lines, "    %s", changes.v[i]);
        strvec_done(&changes);
    }
    db_finish(db, s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading schema history");
}
