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
    sqlite3_stmt *s;
    int rc = -1;
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT INTO schema_versions (stream, origin, version, first_seen_ms,"
                           " appeared_ms, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                           " ON CONFLICT DO UPDATE SET changes = excluded.changes"
                           " WHERE schema_versions.changes = '' AND excluded.changes != ''",
                           -1, &s, NULL) != SQLITE_OK) {
        buf_done(&joined);
        return db_err(db, err, "preparing a schema write");
    }
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, version);
    sqlite3_bind_int64(s, 4, now_ms);
    sqlite3_bind_int64(s, 5, appeared_ms);
    sqlite3_bind_text(s, 6, buf_str(&joined), -1, SQLITE_STATIC);
    int step = sqlite3_step(s);
    sqlite3_finalize(s);
    buf_done(&joined);
    if (step != SQLITE_DONE)
        return db_err(db, err, "writing a schema version");
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT first_seen_ms, changes FROM schema_versions"
                           " WHERE stream = ?1 AND origin = ?2 AND version = ?3",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing a schema read");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, version);
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
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT origin, version, first_seen_ms, appeared_ms, changes"
                           " FROM schema_versions WHERE stream = ?1"
                           " ORDER BY origin, version DESC LIMIT 50",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "reading schema history");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
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
