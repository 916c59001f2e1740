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
    sqlite3 *db;
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

static int db_err(struct store *st, struct st_err *err, const char *what)
{
    int code = sqlite3_errcode(st->db);
    const char *hint = "";
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        hint = " (another streamtop holds the lock)";
    else if (code == SQLITE_READONLY)
        hint = " (read-only)";
    else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        hint = " (corrupt, or not a streamtop database)";
    return st_err_set(err, ST_EIO, "%s: %s: %s%s", st->path, what, sqlite3_errmsg(st->db), hint);
}

static int exec(struct store *st, const char *sql, struct st_err *err)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(st, err, sql);
    return 0;
}

static int user_version(struct store *st, int *v, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "reading the schema version");
    int rc = sqlite3_step(s);
    *v = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? 0 : db_err(st, err, "reading the schema version");
}

static int migrate(struct store *st, struct st_err *err)
{
    int v;
    if (user_version(st, &v, err) < 0)
        return -1;
    if (v > STORE_SCHEMA_VERSION)
        return st_err_set(err, ST_EFORMAT,
                          "%s: written by a newer streamtop (schema %d; this one knows up to %d)",
                          st->path, v, STORE_SCHEMA_VERSION);
    if (v == STORE_SCHEMA_VERSION)
        return 0;
    if (store_begin(st, err) < 0)
        return -1;
    if (user_version(st, &v, err) < 0) { /* another process may have migrated meanwhile */
        store_rollback(st);
        return -1;
    }
    static const char *const *const steps[] = {schema_v1, schema_v2};
    for (int step = v; step < STORE_SCHEMA_VERSION; step++) {
        for (int i = 0; steps[step][i]; i++) {
            if (exec(st, steps[step][i], err) < 0) {
                store_rollback(st);
                return -1;
            }
        }
    }
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    if (exec(st, sql, err) < 0) {
        store_rollback(st);
        return -1;
    }
    return store_commit(st, err);
}

/* Switch to WAL. Changing the journal mode takes an exclusive lock and does not wait through
 * the busy handler, so two processes creating the database at once retry here, within the
 * busy timeout. */
static int enable_wal(struct store *st, struct st_err *err)
{
    int64_t deadline = clock_mono_ms() + STORE_BUSY_TIMEOUT_MS;
    for (;;) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL) != SQLITE_OK)
            return db_err(st, err, "PRAGMA journal_mode = WAL");
        int rc = sqlite3_step(s);
        const unsigned char *mode = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
        bool wal = mode && strcmp((const char *)mode, "wal") == 0;
        bool memory = mode && strcmp((const char *)mode, "memory") == 0;
        sqlite3_finalize(s);
        if (wal || memory)
            return 0;
        if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED && rc != SQLITE_ROW) ||
            clock_mono_ms() > deadline)
            return db_err(st, err, "PRAGMA journal_mode = WAL");
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
    struct store *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    if (strcmp(path, ":memory:") != 0)
        make_parent(path);
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        if (st->db)
            db_err(st, err, "open");
        else
            st_err_set(err, ST_EIO, "%s: cannot open", path);
        store_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(st->db, 0);
    if (enable_wal(st, err) < 0 || exec(st, "PRAGMA synchronous = NORMAL", err) < 0 ||
        migrate(st, err) < 0) {
        store_close(st);
        return NULL;
    }
    return st;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

const char *store_path(const struct store *st)
{
    return st->path;
}

bool store_is_memory(const struct store *st)
{
    return strcmp(st->path, ":memory:") == 0;
}

int store_begin(struct store *st, struct st_err *err)
{
    return exec(st, "BEGIN IMMEDIATE", err);
}

int store_commit(struct store *st, struct st_err *err)
{
    if (exec(st, "COMMIT", err) < 0) {
        store_rollback(st);
        return -1;
    }
    return 0;
}

void store_rollback(struct store *st)
{
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* The id of name in table (streams or metrics), inserting it when new. */
static int64_t name_id(struct store *st, const char *table, const char *name, struct st_err *err)
{
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT INTO %s (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
             table);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(st, err, "inserting a name");
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE name = ?1", table);
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing");
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return id < 0 ? db_err(st, err, "reading a name id") : id;
}

static int prune(struct store *st, int64_t now_ms, int64_t retention_ms, struct st_err *err)
{
    sqlite3_stmt *s;
    int64_t last = 0;
    if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = 'pruned_ms'", -1, &s,
                           NULL) != SQLITE_OK)
        return db_err(st, err, "reading meta");
    if (sqlite3_step(s) == SQLITE_ROW)
        last = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (now_ms - last < PRUNE_EVERY_MS && last <= now_ms)
        return 0;
    if (sqlite3_prepare_v2(st->db, "DELETE FROM samples WHERE ts_ms < ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return db_err(st, err, "preparing prune");
    sqlite3_bind_int64(s, 1, now_ms - retention_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(st, err, "pruning");
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO meta (key, value) VALUES ('pruned_ms', ?1) "
                           "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing meta");
    sqlite3_bind_int64(s, 1, now_ms);
    rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : db_err(st, err, "writing meta");
}

int store_record(struct store *st, const struct snapshot *snap, int64_t retention_ms,
                 struct st_err *err)
{
    int64_t metric_ids[METRIC_COUNT];
    for (int m = 0; m < METRIC_COUNT; m++)
        if ((metric_ids[m] = name_id(st, "metrics", metric_defs[m].name, err)) < 0)
            return -1;
    sqlite3_stmt *ins;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO samples (stream_id, metric_id, ts_ms, value) "
                           "VALUES (?1, ?2, ?3, ?4)",
                           -1, &ins, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing insert");
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < snap->nstreams; i++) {
        const struct snap_stream *s = &snap->streams[i];
        int64_t sid = name_id(st, "streams", s->name, err);
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
                rc = db_err(st, err, "inserting a sample");
                break;
            }
            sqlite3_reset(ins);
        }
    }
    sqlite3_finalize(ins);
    if (rc == 0 && retention_ms > 0)
        rc = prune(st, snap->generated_ms, retention_ms, err);
    return rc;
}

int store_series(struct store *st, const char *stream, const char *metric, int64_t since_ms,
                 struct sample **out, size_t *n, struct st_err *err)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT ts_ms, value FROM samples"
                           " JOIN streams ON streams.id = samples.stream_id"
                           " JOIN metrics ON metrics.id = samples.metric_id"
                           " WHERE streams.name = ?1 AND metrics.name = ?2 AND ts_ms >= ?3"
                           " ORDER BY ts_ms",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing a query");
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
    return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading samples");
}

int store_metric_names(struct store *st, const char *stream, struct strvec *out, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT DISTINCT metrics.name FROM samples"
                           " JOIN streams ON streams.id = samples.stream_id"
                           " JOIN metrics ON metrics.id = samples.metric_id"
                           " WHERE streams.name = ?1",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing a query");
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
    return rc == SQLITE_DONE ? 0 : db_err(st, err, "reading metric names");
}

int store_cursor_write(struct store *st, const char *stream, const char *collector, size_t total,
                       store_fill_fn fill, void *ctx, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT OR REPLACE INTO cursors (stream, collector, updated_ms, data)"
                           " VALUES (?1, ?2, ?4, zeroblob(?3))",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing a cursor write");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, collector, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)total);
    sqlite3_bind_int64(s, 4, clock_now_ms());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_err(st, err, "writing a cursor");
    sqlite3_blob *blob;
    if (sqlite3_blob_open(st->db, "main", "cursors", "data", sqlite3_last_insert_rowid(st->db), 1,
                          &blob) != SQLITE_OK)
        return db_err(st, err, "opening a cursor");
    unsigned char *chunk = xmalloc(STORE_CHUNK);
    int ret = 0;
    for (size_t off = 0; off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        fill(ctx, off, chunk, len);
        if (sqlite3_blob_write(blob, chunk, (int)len, (int)off) != SQLITE_OK) {
            ret = db_err(st, err, "writing a cursor");
            break;
        }
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return ret;
}

static int cursor_read_in_txn(struct store *st, const char *stream, const char *collector,
                              store_take_fn take, void *ctx, struct st_err *err);

int store_cursor_read(struct store *st, const char *stream, const char *collector,
                      store_take_fn take, void *ctx, struct st_err *err)
{
    /* One read transaction around finding the row and reading its blob: another process may
     * replace the cursor (a new rowid) in between otherwise. */
    bool own = sqlite3_get_autocommit(st->db) != 0;
    if (own && exec(st, "BEGIN", err) < 0)
        return -1;
    int ret = cursor_read_in_txn(st, stream, collector, take, ctx, err);
    if (own)
        sqlite3_exec(st->db, ret == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

static int cursor_read_in_txn(struct store *st, const char *stream, const char *collector,
                              store_take_fn take, void *ctx, struct st_err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(st->db, "SELECT rowid FROM cursors WHERE stream = ?1 AND collector = ?2",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing a query");
    sqlite3_bind_text(s, 1, stream, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, collector, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_int64 rowid = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE)
        return st_err_set(err, ST_ENOENT, "no cursor");
    if (rc != SQLITE_ROW)
        return db_err(st, err, "reading a cursor");
    sqlite3_blob *blob;
    if (sqlite3_blob_open(st->db, "main", "cursors", "data", rowid, 0, &blob) != SQLITE_OK)
        return db_err(st, err, "opening a cursor");
    size_t total = (size_t)sqlite3_blob_bytes(blob);
    unsigned char *chunk = xmalloc(STORE_CHUNK);
    int ret = 0;
    for (size_t off = 0; off < total; off += STORE_CHUNK) {
        size_t len = total - off < STORE_CHUNK ? total - off : STORE_CHUNK;
        if (sqlite3_blob_read(blob, chunk, (int)len, (int)off) != SQLITE_OK) {
            ret = db_err(st, err, "reading a cursor");
            break;
        }
        if (take(ctx, chunk, len, total) < 0)
            break;
    }
    free(chunk);
    sqlite3_blob_close(blob);
    return ret;
}

int store_schema_seen(struct store *st, const char *stream, const char *origin, int64_t version,
                      int64_t appeared_ms, int64_t now_ms, struct strvec *changes,
                      int64_t *first_seen_ms, struct st_err *err)
{
    struct buf joined;
    buf_init(&joined);
    for (size_t i = 0; i < changes->n; i++)
        buf_printf(&joined, "%s%s", i ? "\n" : "", changes->v[i]);
    sqlite3_stmt *s;
    int rc = -1;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO schema_versions (stream, origin, version, first_seen_ms,"
                           " appeared_ms, changes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                           " ON CONFLICT DO UPDATE SET changes = excluded.changes"
                           " WHERE schema_versions.changes = '' AND excluded.changes != ''",
                           -1, &s, NULL) != SQLITE_OK) {
        buf_done(&joined);
        return db_err(st, err, "preparing a schema write");
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
        return db_err(st, err, "writing a schema version");
    if (sqlite3_prepare_v2(st->db,
                           "SELECT first_seen_ms, changes FROM schema_versions"
                           " WHERE stream = ?1 AND origin = ?2 AND version = ?3",
                           -1, &s, NULL) != SQLITE_OK)
        return db_err(st, err, "preparing a schema read");
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
        rc = db_err(st, err, "reading a schema version");
    }
    sqlite3_finalize(s);
    return rc;
}
