#include "store/internal.h"

#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/xalloc.h"

/* Schema versions: when streamtop first saw each version of a stream's schema, with its
 * changes kept after the log that showed them is cleaned up. */

int store_schema_seen(struct store *db, const char *stream, const char *origin, int64_t version,
                      int64_t appeared_ms, int64_t now_ms, struct strvec *changes,
                      int64_t *first_seen_ms, struct st_err *err)
{
    struct buf joined;
    buf_init(&joined);
    for (size_t i = 0; i < changes->n; i++)
        buf_printf(&joined, "%s%s", i ? "\n" : "", changes->v[i]);
    int rc = db_run(db,
                    "INSERT INTO schema_versions (stream, origin, version, first_seen_ms,"
                    " appeared_ms, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    " ON CONFLICT DO UPDATE SET changes = excluded.changes"
                    " WHERE schema_versions.changes = '' AND excluded.changes != ''",
                    DB_ARGS(DB_TEXT(stream), DB_TEXT(origin), DB_INT(version), DB_INT(now_ms),
                            DB_INT(appeared_ms), DB_TEXT(buf_str(&joined))),
                    "writing a schema version", err);
    buf_done(&joined);
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
        const char *stored = (const char *)sqlite3_column_text(s, 1);
        if (changes->n == 0 && stored && *stored) { /* the log that showed them is gone */
            char *copy = xstrdup(stored);
            for (char *line = copy, *nl;; line = nl + 1) {
                nl = strchr(line, '\n');
                if (nl)
                    *nl = '\0';
                strvec_push(changes, line);
                if (!nl)
                    break;
            }
            free(copy);
        }
        rc = 0;
    } else {
        rc = db_err(db, err, "reading a schema version");
    }
    sqlite3_finalize(s);
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
        const char *changes = (const char *)sqlite3_column_text(s, 4);
        for (const char *p = changes; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            strvec_pushf(lines, "    %.*s", (int)n, p);
            p += n + (nl != NULL);
        }
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading schema history");
}
