#include "store/store.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/xalloc.h"

#define PRUNE_EVERY_MS (3600 * 1000LL)

struct store {
    sqlite3 *sqlite;
    char *path;
};

static const char *const schema_v1[] = {
    "CREATE TABLE streams (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE metrics (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE samples (stream_id INTEGER NOT NULL, metric_id INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, value REAL NOT NULL,"
    " PRIMARY KEY (stream_id, metric_id, ts_ms)) WITHOUT ROWID",
    "CREATE INDEX samples_ts ON samples (ts_ms)",
    /* data last: SQLite writes a zeroblob in place only when it ends the record */
    "CREATE TABLE cursors (stream TEXT NOT NULL, collector TEXT NOT NULL,"
    " updated_ms INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (stream, collector))",
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    NULL,
};

/* version 2: schema versions with the time streamtop first saw each */
static const char *const schema_v2[] = {
    "CREATE TABLE schema_versions (stream TEXT NOT NULL, origin TEXT NOT NULL,"
    " version INTEGER NOT NULL, first_seen_ms INTEGER NOT NULL, appeared_ms INTEGER NOT NULL,"
    " changes TEXT NOT NULL, PRIMARY KEY (stream, origin, version))",
    NULL,
};

/* version 3: alert states, the notification outbox, silences */
static const char *const schema_v3[] = {
    "CREATE TABLE alerts (rule TEXT NOT NULL, stream TEXT NOT NULL, phase INTEGER NOT NULL,"
    " level INTEGER NOT NULL, since_ms INTEGER NOT NULL, notified_ms INTEGER NOT NULL,"
    " unmeasured_ms INTEGER NOT NULL, value REAL, held INTEGER NOT NULL,"
    " PRIMARY KEY (rule, stream))",
    "CREATE TABLE outbox (id INTEGER PRIMARY KEY, webhook TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, what TEXT NOT NULL, body BLOB NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0, next_ms INTEGER NOT NULL, lease_ms INTEGER NOT NULL"
    " DEFAULT 0, done_ms INTEGER, status INTEGER, error TEXT)",
    "CREATE INDEX outbox_due ON outbox (done_ms, next_ms)",
    "CREATE TABLE silences (id INTEGER PRIMARY KEY, match TEXT NOT NULL, comment TEXT NOT NULL,"
    " created_ms INTEGER NOT NULL, ends_ms INTEGER NOT NULL)",
    NULL,
};

/* version 4: which alert a notification is about (the dashboard shows delivery and history) */
static const char *const schema_v4[] = {
    "ALTER TABLE outbox ADD COLUMN stream TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE outbox ADD COLUMN rule TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX outbox_alert ON outbox (stream, rule, id)",
    NULL,
};

static int db_err(struct store *db, struct st_err *err, const char *what)
{
    int code = sqlite3_errcode(db->sqlite);
    const char *hint = "";
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        hint = " (another streamtop holds the lock)";
    else if (code == SQLITE_READONLY)
        hint = " (read-only)";
    else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        hint = " (corrupt, or not a streamtop database)";
    return st_err_set(err, ST_EIO, "%s: %s: %s%s", db->path, what, sqlite3_errmsg(db->sqlite),
                      hint);
}

static int exec(struct store *db, const char *sql, struct st_err *err)
{
    if (sqlite3_exec(db->sqlite, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(db, err, sql);
    return 0;
}

static int user_version(struct store *db, int *v, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "reading the schema version");
    int rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : db_err(db, err, "reading the schema version");
}

static int migrate(struct store *db, struct st_err *err)
{
    int v;
    if (user_version(db, &v, err) < 0)
        return -1;
    if (v > STORE_SCHEMA_VERSION)
        return st_err_set(err, ST_EFORMAT,
                          "%s: written by a newer streamtop (schema %d; this one knows up to %d)",
                          db->path, v, STORE_SCHEMA_VERSION);
    if (v == STORE_SCHEMA_VERSION)
        return 0;
    if (store_begin(db, err) < 0)
        return -1;
    if (user_version(db, &v, err) < 0) { /* another process may have migrated meanwhile */
        store_rollback(db);
        return -1;
    }
    static const char *const *const steps[] = {schema_v1, schema_v2, schema_v3, schema_v4};
    for (int step = v; step < STORE_SCHEMA_VERSION; step++) {
        for (int i = 0; steps[step][i]; i++) {
            if (exec(db, steps[step][i], err) < 0) {
                store_rollback(db);
                return -1;
            }
        }
    }
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    if (exec(db, sql, err) < 0) {
        store_rollback(db);
        return -1;
    }
    return store_commit(db, err);
}

/* Switch to WAL. Changing the journal mode takes an exclusive lock and does not wait through
 * the busy handler, so two processes creating the database at once retry here, within the
 * busy timeout. */
static int enable_wal(struct store *db, struct st_err *err)
{
    int64_t deadline = clock_mono_ms() + STORE_BUSY_TIMEOUT_MS;
    for (;;) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(db->sqlite, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK)
            return db_err(db, err, "PRAGMA journal_mode = WAL");
        int rc = sqlite3_step(s);
        const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
        bool wal = mode && strcmp((const char *)mode, "wal") == 0;
        bool memory = mode && strcmp((const char *)mode, "memory") == 0;
        sqlite3_finalize(s);
        if (wal || memory)
            return 0;
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_ROW) ||
            clock_mono_ms() > deadline)
            return db_err(db, err, "PRAGMA journal_mode = WAL");
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void make_parent(const char *path)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0700);
            *s = '/';
        }
    }
    free(p);
}

struct store *store_open(const char *path, struct st_err *err)
{
    struct store *db = xcalloc(1, sizeof *db);
    db->path = xstrdup(path);
    if (strcmp(path, ":memory:") != 0)
        make_parent(path);
    if (sqlite3_open_v2(path, &db->sqlite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        if (db->sqlite)
            db_err(db, err, "open");
        else
            st_err_set(err, ST_EIO, "%s: cannot open", path);
        store_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db->sqlite, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db->sqlite, 0);
    if (enable_wal(db, err) < 0 || exec(db, "PRAGMA synchronous = NORMAL", err) < 0 ||
        migrate(db, err) < 0) {
        store_close(db);
        return NULL;
    }
    return db;
}

void store_close(struct store *db)
{
    if (!db)
        return;
    sqlite3_close(db->sqlite);
    free(db->path);
    free(db);
}

const char *store_path(const struct store *db)
{
    return db->path;
}

bool store_is_memory(const struct store *db)
{
    return strcmp(db->path, ":memory:") == 0;
}

int store_begin(struct store *db, struct st_err *err)
{
    return exec(db, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *db, struct st_err *err)
{
    if (exec(db, "COMMIT", err) < 0) {
        store_rollback(db);
        return -1;
    }
    return 0;
}

void store_rollback(struct store *db)
{
    sqlite3_exec(db->sqlite, "ROLLBACK", NULL, NULL, NULL);
}

/* The id of name in table (streams or metrics), inserting it when new. */
static int64_t name_id(struct store *db, const char *table, const char *name, struct st_err *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
             table);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite, sql, -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "inserting a name");
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE name = ?1", table);
    if (sqlite3_prepare_v2(db->sqlite, sql, -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return id < 0 ? db_err(db, err, "reading a name id") : id;
}

static int prune(struct store *db, int64_t now_ms, int64_t retention_ms, struct st_err *err)
{
    sqlite3_stmt *s;
    int64_t last = 0;
    if (sqlite3_prepare_v2(db->sqlite, "SELECT value FROM meta WHERE key = 'pruned_ms'", -1, &s,
                           NULL) != SQLITE_OK)
        return db_err(db, err, "reading meta");
    if (sqlite3_step(s) == SQLITE_ROW)
        last = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (now_ms - last < PRUNE_EVERY_MS && last <= now_ms)
        return 0;
    if (sqlite3_prepare_v2(db->sqlite, "DELETE FROM samples WHERE ts_ms < ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return db_err(db, err, "preparing prune");
    sqlite3_bind_int64(s, 1, now_ms - retention_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "pruning");
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT INTO meta (key, value) VALUES ('pruned_ms', ?1) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing meta");
    sqlite3_bind_int64(s, 1, now_ms);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "writing meta");
}

int store_record(struct store *db, const struct snapshot *snap, int64_t retention_ms,
                 struct st_err *err)
{
    int64_t metric_ids[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++)
        if ((metric_ids[m] = name_id(db, "metrics", metric_defs[m].name, err)) < 0)
            return -1;
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT OR REPLACE INTO samples (stream_id, metric_id, ts_ms, value) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &ins, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing insert");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < snap->nstreams; i++) {
        const struct snap_stream *s = &snap->streams[i];
        int64_t sid = name_id(db, "streams", s->name, err);
        if (sid < 0) {
            rc = -1;
            break;
        }
        for (int m = 0; m < METRIC_COUNT; m++) {
            double v = s->metrics[m];
            if (isnan(v))
                continue;
            sqlite3_bind_int64(ins, 1, sid);
            sqlite3_bind_int64(ins, 2, metric_ids[m]);
            sqlite3_bind_int64(ins, 3, snap->generated_ms);
            sqlite3_bind_double(ins, 4, isinf(v) ? (v > 0 ? 1e308 : -1e308) : v);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                rc = db_err(db, err, "inserting a sample");
                break;
            }
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(ins);
    if (rc == 0 && retention_ms > 0)
        rc = prune(db, snap->generated_ms, retention_ms, err);
    return rc;
}

int store_series(struct store *db, const char *stream, const char *metric, int64_t since_ms,
                 struct sample **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT ts_ms, value FROM samples"
                           " JOIN streams ON streams.id = samples.stream_id"
                           " JOIN metrics ON metrics.id = samples.metric_id"
                           " WHERE streams.name = ?1 AND metrics.name = ?2 AND ts_ms >= ?3"
                           " ORDER BY ts_ms",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing a query");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, metric, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, since_ms);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        double v = sqlite3_column_double(s, 1);
        (*out)[(*n)++] = (struct sample){sqlite3_column_int64(s, 0), v >= 1e308    ? INFINITY
                                                                     : v <= -1e308 ? -INFINITY
                                                                                   : v};
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading samples");
}

int store_metric_names(struct store *db, const char *stream, struct strvec *out, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT DISTINCT metrics.name FROM samples"
                           " JOIN streams ON streams.id = samples.stream_id"
                           " JOIN metrics ON metrics.id = samples.metric_id"
                           " WHERE streams.name = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing a query");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    struct strvec found;
    strvec_init(&found);
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        strvec_push(&found, (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    /* registry order first, then names this version does not know */
    for (int m = 0; m < METRIC_COUNT; m++)
        for (size_t i = 0; i < found.n; i++)
            if (strcmp(found.v[i], metric_defs[m].name) == 0)
                strvec_push(out, found.v[i]);
    for (size_t i = 0; i < found.n; i++)
        if (metric_find(found.v[i]) < 0)
            strvec_push(out, found.v[i]);
    strvec_done(&found);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading metric names");
}

int store_cursor_write(struct store *db, const char *stream, const char *collector, size_t total,
                       store_fill_fn fill, void *ctx, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT OR REPLACE INTO cursors (stream, collector, updated_ms, data)"
                           " VALUES (?1, ?2, ?4, zeroblob(?3))",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "preparing a cursor write");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, collector, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)total);
    sqlite3_bind_int64(s, 4, clock_now_ms());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "writing a cursor");
    sqlite3_blob *blob;
    if (sqlite3_blob_open(db->sqlite, "main", "cursors", "data",
                          sqlite3_last_insert_rowid(db->sqlite), 1, &blob) != SQLITE_OK)
        return db_err(db, err, "opening a cursor");
    unsigned char *chunk = xmalloc(STORE_CHUNK);
    int ret = 0;
    for (size_t off = 0; off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        fill(ctx, off, chunk, len);
        if (sqlite3_blob_write(blob, chunk, (int)len, (int)off) != SQLITE_OK) {
            ret = db_err(db, err, "writing a cursor");
            break;
        }
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return ret;
}

static int cursor_read_in_txn(struct store *db, const char *stream, const char *collector,
                              store_take_fn take, void *ctx, struct st_err *err);

int store_cursor_read(struct store *db, const char *stream, const char *collector,
                      store_take_fn take, void *ctx, struct st_err *err)
{
    /* One read transaction around finding the row and reading its blob: another process may
     * replace the cursor (a new rowid) in between otherwise. */
    bool own = sqlite3_get_autocommit(db->sqlite) != 0;
    if (own && exec(db, "BEGIN", err) < 0)
        return -1;
    int ret = cursor_read_in_txn(db, stream, collector, take, ctx, err);
    if (own)
        sqlite3_exec(db->sqlite, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int cursor_read_in_txn(struct store *db, const char *stream, const char *collector,
                              store_take_fn take, void *ctx, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT rowid FROM cursors WHERE stream = ?1 AND collector = ?2", -1, &s,
                           NULL) != SQLITE_OK)
        return db_err(db, err, "preparing a query");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, collector, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_int64 rowid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return st_err_set(err, ST_ENOENT, "no cursor");
    if (rc != SQLITE_ROW)
        return db_err(db, err, "reading a cursor");
    sqlite3_blob *blob;
    if (sqlite3_blob_open(db->sqlite, "main", "cursors", "data", rowid, 0, &blob) != SQLITE_OK)
        return db_err(db, err, "opening a cursor");
    size_t total = (size_t)sqlite3_blob_bytes(blob);
    unsigned char *chunk = xmalloc(STORE_CHUNK);
    int ret = 0;
    for (size_t off = 0; off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        if (sqlite3_blob_read(blob, chunk, (int)len, (int)off) != SQLITE_OK) {
            ret = db_err(db, err, "reading a cursor");
            break;
        }
        if (take(ctx, chunk, len, total) < 0)
            break;
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return ret;
}

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

/* ---- alerts ------------------------------------------------------------------------------ */

int store_alerts_load(struct store *db, struct store_alert **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT rule, stream, phase, level, since_ms, notified_ms,"
                           " unmeasured_ms, value, held FROM alerts",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "reading alert states");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct store_alert *a = &(*out)[(*n)++];
        a->rule = xstrdup((const char *)sqlite3_column_text(s, 0));
        a->stream = xstrdup((const char *)sqlite3_column_text(s, 1));
        a->phase = sqlite3_column_int(s, 2);
        a->level = (enum health)sqlite3_column_int(s, 3);
        a->since_ms = sqlite3_column_int64(s, 4);
        a->notified_ms = sqlite3_column_int64(s, 5);
        a->unmeasured_ms = sqlite3_column_int64(s, 6);
        a->value = sqlite3_column_type(s, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 7);
        a->held = sqlite3_column_int(s, 8) != 0;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "reading alert states");
    return 0;
}

void store_alerts_free(struct store_alert *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].rule);
        free(v[i].stream);
    }
    free(v);
}

int store_alerts_save(struct store *db, const struct store_alert *a, size_t n, struct st_err *err)
{
    if (exec(db, "DELETE FROM alerts", err) < 0)
        return -1;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT INTO alerts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", -1, &s,
                           NULL) != SQLITE_OK)
        return db_err(db, err, "writing alert states");
    int ret = 0;
    for (size_t i = 0; i < n && ret == 0; i++) {
        sqlite3_bind_text(s, 1, a[i].rule, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, a[i].stream, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 3, a[i].phase);
        sqlite3_bind_int(s, 4, (int)a[i].level);
        sqlite3_bind_int64(s, 5, a[i].since_ms);
        sqlite3_bind_int64(s, 6, a[i].notified_ms);
        sqlite3_bind_int64(s, 7, a[i].unmeasured_ms);
        if (isnan(a[i].value) || isinf(a[i].value))
            sqlite3_bind_null(s, 8);
        else
            sqlite3_bind_double(s, 8, a[i].value);
        sqlite3_bind_int(s, 9, a[i].held);
        if (sqlite3_step(s) != SQLITE_DONE)
            ret = db_err(db, err, "writing alert states");
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return ret;
}

int store_outbox_add(struct store *db, const char *webhook, const char *what, const char *stream,
                     const char *rule, const char *body, size_t len, int64_t now_ms,
                     struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT INTO outbox (webhook, created_ms, what, body, next_ms, stream,"
                           " rule) VALUES (?1, ?2, ?3, ?4, ?2, ?5, ?6)",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "queueing a notification");
    sqlite3_bind_text(s, 1, webhook, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, now_ms);
    sqlite3_bind_text(s, 3, what, -1, SQLITE_STATIC);
    sqlite3_bind_blob(s, 4, body, (int)len, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, stream ? stream : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, rule ? rule : "", -1, SQLITE_STATIC);
    int ret = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(db, err, "queueing a notification");
    sqlite3_finalize(s);
    return ret;
}

int store_outbox_supersede(struct store *db, const char *webhook, const char *what,
                           struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "DELETE FROM outbox WHERE webhook = ?1 AND what = ?2 AND done_ms IS NULL"
                           " AND lease_ms = 0",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "replacing a notification");
    sqlite3_bind_text(s, 1, webhook, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, what, -1, SQLITE_STATIC);
    int ret = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(db, err, "replacing a notification");
    sqlite3_finalize(s);
    return ret;
}

void store_outbox_rows_free(struct outbox_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].webhook);
        free(rows[i].what);
        free(rows[i].body);
    }
    free(rows);
}

int store_outbox_claim(struct store *db, int64_t now_ms, int64_t lease_ms, size_t max,
                       struct outbox_row **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    if (store_begin(db, err) < 0)
        return -1;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT id, webhook, what, body, attempts, created_ms FROM outbox"
                           " WHERE done_ms IS NULL AND next_ms <= ?1 AND lease_ms <= ?1"
                           " ORDER BY id LIMIT ?2",
                           -1, &s, NULL) != SQLITE_OK) {
        store_rollback(db);
        return db_err(db, err, "reading the outbox");
    }
    sqlite3_bind_int64(s, 1, now_ms);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct outbox_row *r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(s, 0);
        r->webhook = xstrdup((const char *)sqlite3_column_text(s, 1));
        r->what = xstrdup((const char *)sqlite3_column_text(s, 2));
        r->len = (size_t)sqlite3_column_bytes(s, 3);
        r->body = xmalloc(r->len + 1);
        if (r->len)
            memcpy(r->body, sqlite3_column_blob(s, 3), r->len);
        r->body[r->len] = '\0';
        r->attempts = sqlite3_column_int(s, 4);
        r->created_ms = sqlite3_column_int64(s, 5);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        store_rollback(db);
        store_outbox_rows_free(*out, *n);
        *out = NULL;
        *n = 0;
        return db_err(db, err, "reading the outbox");
    }
    /* leased: another process skips them until the lease ends */
    if (sqlite3_prepare_v2(db->sqlite, "UPDATE outbox SET lease_ms = ?1 WHERE id = ?2", -1, &s,
                           NULL) != SQLITE_OK) {
        store_rollback(db);
        return db_err(db, err, "leasing notifications");
    }
    for (size_t i = 0; i < *n; i++) {
        sqlite3_bind_int64(s, 1, now_ms + lease_ms);
        sqlite3_bind_int64(s, 2, (*out)[i].id);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return store_commit(db, err);
}

int store_outbox_settle(struct store *db, const struct outbox_result *res, size_t n,
                        struct st_err *err)
{
    if (store_begin(db, err) < 0)
        return -1;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "UPDATE outbox SET attempts = attempts + 1, status = ?2, error = ?3,"
                           " done_ms = ?4, next_ms = ?5, lease_ms = 0 WHERE id = ?1",
                           -1, &s, NULL) != SQLITE_OK) {
        store_rollback(db);
        return db_err(db, err, "settling notifications");
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(s, 1, res[i].id);
        sqlite3_bind_int64(s, 2, res[i].status);
        if (res[i].error)
            sqlite3_bind_text(s, 3, res[i].error, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 3);
        if (res[i].done_ms >= 0)
            sqlite3_bind_int64(s, 4, res[i].done_ms);
        else
            sqlite3_bind_null(s, 4);
        sqlite3_bind_int64(s, 5, res[i].next_ms);
        sqlite3_step(s);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    /* delivered or dropped rows are kept a week for `notify list`, then pruned */
    sqlite3_exec(db->sqlite,
                 "DELETE FROM outbox WHERE done_ms IS NOT NULL AND done_ms < "
                 "(SELECT MAX(created_ms) FROM outbox) - 604800000",
                 NULL, NULL, NULL);
    return store_commit(db, err);
}

int store_outbox_count(struct store *db, size_t *pending, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite, "SELECT COUNT(*) FROM outbox WHERE done_ms IS NULL", -1, &s,
                           NULL) != SQLITE_OK)
        return db_err(db, err, "reading the outbox");
    int rc = sqlite3_step(s);
    *pending = rc == SQLITE_ROW ? (size_t)sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : db_err(db, err, "reading the outbox");
}

/* ---- silences ---------------------------------------------------------------------------- */

int store_silence_add(struct store *db, const char *match, const char *comment, int64_t now_ms,
                      int64_t ends_ms, int64_t *id, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "INSERT INTO silences (match, comment, created_ms, ends_ms)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "adding a silence");
    sqlite3_bind_text(s, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, comment, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, now_ms);
    sqlite3_bind_int64(s, 4, ends_ms);
    int ret = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(db, err, "adding a silence");
    sqlite3_finalize(s);
    *id = sqlite3_last_insert_rowid(db->sqlite);
    return ret;
}

void store_silences_free(struct silence *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].match);
        free(v[i].comment);
    }
    free(v);
}

int store_silences(struct store *db, int64_t active_at_ms, struct silence **out, size_t *n,
                   struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT id, match, comment, created_ms, ends_ms FROM silences"
                           " WHERE ends_ms > ?1 ORDER BY id",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "reading silences");
    sqlite3_bind_int64(s, 1, active_at_ms);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct silence *v = &(*out)[(*n)++];
        v->id = sqlite3_column_int64(s, 0);
        v->match = xstrdup((const char *)sqlite3_column_text(s, 1));
        v->comment = xstrdup((const char *)sqlite3_column_text(s, 2));
        v->created_ms = sqlite3_column_int64(s, 3);
        v->ends_ms = sqlite3_column_int64(s, 4);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading silences");
}

int store_silence_expire(struct store *db, int64_t id, int64_t now_ms, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "UPDATE silences SET ends_ms = ?2 WHERE id = ?1 AND ends_ms > ?2", -1,
                           &s, NULL) != SQLITE_OK)
        return db_err(db, err, "expiring a silence");
    sqlite3_bind_int64(s, 1, id);
    sqlite3_bind_int64(s, 2, now_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(db, err, "expiring a silence");
    if (sqlite3_changes(db->sqlite) == 0)
        return st_err_set(err, ST_ENOENT, "no active silence %lld", (long long)id);
    return 0;
}

int store_notifications(struct store *db, const char *stream, size_t max, struct notification **out,
                        size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->sqlite,
                           "SELECT stream, rule, webhook, what, created_ms, done_ms, status,"
                           " error, attempts FROM outbox WHERE stream != ''"
                           " AND (?1 IS NULL OR stream = ?1) ORDER BY id DESC LIMIT ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(db, err, "reading notifications");
    if (stream)
        sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 1);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        xgrow((void **)out, &cap, *n + 1, sizeof **out);
        struct notification *v = &(*out)[(*n)++];
        v->stream = xstrdup((const char *)sqlite3_column_text(s, 0));
        v->rule = xstrdup((const char *)sqlite3_column_text(s, 1));
        v->webhook = xstrdup((const char *)sqlite3_column_text(s, 2));
        v->what = xstrdup((const char *)sqlite3_column_text(s, 3));
        v->created_ms = sqlite3_column_int64(s, 4);
        v->done_ms = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, 5);
        v->status = sqlite3_column_int(s, 6);
        const unsigned char *e = sqlite3_column_text(s, 7);
        v->error = e ? xstrdup((const char *)e) : NULL;
        v->attempts = sqlite3_column_int(s, 8);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(db, err, "reading notifications");
}

void store_notifications_free(struct notification *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].stream);
        free(v[i].rule);
        free(v[i].webhook);
        free(v[i].what);
        free(v[i].error);
    }
    free(v);
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
