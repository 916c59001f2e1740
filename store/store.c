#include "store/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/xalloc.h"

/* The database itself: open (WAL, busy timeout), close, write transactions, the error every
 * store file reports, and the schema, created and migrated step by step by PRAGMA user_version. */

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

/* version 5: history as one packed row per stream and pass, plus 5-minute and hourly rollups;
 * the samples move into it (history_migrate_v5) and their table goes. Both tables are ordered by
 * time first (points by their 5-minute bucket, then stream): a pass's rows land in the few
 * pages of the current bucket instead of one page per stream, and a stream's range is read with
 * one seek per bucket. */
static const char *const schema_v5[] = {
    "CREATE TABLE points (bucket INTEGER NOT NULL, stream_id INTEGER NOT NULL,"
    " ts_ms INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (bucket, stream_id, ts_ms))"
    " WITHOUT ROWID",
    "CREATE TABLE rollups (step_ms INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
    " stream_id INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (step_ms, ts_ms, stream_id))"
    " WITHOUT ROWID",
    NULL,
};
static const char *const schema_v5_after[] = {
    "DROP TABLE samples",
    "DELETE FROM meta WHERE key = 'pruned_ms'",
    NULL,
};

struct migration {
    const char *const *sql;                          /* run first */
    int (*convert)(struct store *, struct st_err *); /* then this, or NULL */
    const char *const *after;                        /* then these, or NULL */
};
/* version 6: every notification's stable id (Idempotency-Key and a field of every payload) */
static const char *const schema_v6[] = {
    "ALTER TABLE outbox ADD COLUMN nid TEXT NOT NULL DEFAULT ''",
    NULL,
};

/* version 7: each schema version's fields, so a pass that finds only the newest version (a
 * later process, the log read from its newest checksum) names what changed since the last */
static const char *const schema_v7[] = {
    "ALTER TABLE schema_versions ADD COLUMN fields TEXT NOT NULL DEFAULT ''",
    NULL,
};

static const struct migration migrations[] = {
    {schema_v1, NULL, NULL},
    {schema_v2, NULL, NULL},
    {schema_v3, NULL, NULL},
    {schema_v4, NULL, NULL},
    {schema_v5, history_migrate_v5, schema_v5_after},
    {schema_v6, NULL, NULL},
    {schema_v7, NULL, NULL},
};

int db_err(struct store *db, struct st_err *err, const char *what)
{
    int code = sqlite3_errcode(db->sqlite);
    const char *hint = "", *msg = sqlite3_errmsg(db->sqlite);
    /* a full disk surfaces as SQLITE_FULL, or as a generic I/O error with errno ENOSPC */
    if (code == SQLITE_FULL || (code == SQLITE_IOERR && sqlite3_system_errno(db->sqlite) == ENOSPC))
        msg = "no space left on device";
    else if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        hint = " (another streamtop holds the lock)";
    else if (code == SQLITE_READONLY)
        hint = " (read-only)";
    else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        hint = " (corrupt, or not a streamtop database)";
    return st_err_set(err, ST_EIO, "%s: %s: %s%s", db->path, what, msg, hint);
}

int db_exec(struct store *db, const char *sql, struct st_err *err)
{
    if (sqlite3_exec(db->sqlite, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_err(db, err, sql);
    return 0;
}

static sqlite3_stmt *cached_stmt(struct store *db, const char *sql)
{
    struct db_cached *free_slot = NULL;
    for (size_t i = 0; i < db->ncache; i++) {
        struct db_cached *c = &db->cache[i];
        if (strcmp(c->sql, sql) != 0)
            continue;
        if (c->busy)
            return NULL; /* held by an outer caller: a statement of its own */
        c->busy = true;
        return c->stmt;
    }
    if (db->ncache < DB_CACHE_MAX)
        free_slot = &db->cache[db->ncache];
    sqlite3_stmt *s;
    if (!free_slot ||
        sqlite3_prepare_v3(db->sqlite, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL) != SQLITE_OK)
        return NULL;
    free_slot->sql = xstrdup(sql);
    free_slot->stmt = s;
    free_slot->busy = true;
    db->ncache++;
    return s;
}

void db_finish(struct store *db, sqlite3_stmt *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < db->ncache; i++) {
        if (db->cache[i].stmt == s) {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
            db->cache[i].busy = false;
            return;
        }
    }
    sqlite3_finalize(s); /* one of its own: not kept */
}

int db_prepare(struct store *db, sqlite3_stmt **s, const char *sql, const struct db_arg *args,
               int n, const char *what, struct st_err *err)
{
    *s = cached_stmt(db, sql);
    if (!*s && sqlite3_prepare_v2(db->sqlite, sql, -1, s, NULL) != SQLITE_OK)
        return db_err(db, err, what);
    for (int i = 0; i < n; i++) {
        const struct db_arg *a = &args[i];
        if (a->type == DB_ARG_TEXT)
            sqlite3_bind_text(*s, i + 1, a->p, -1, SQLITE_STATIC);
        else if (a->type == DB_ARG_BLOB)
            sqlite3_bind_blob(*s, i + 1, a->p, (int)a->i, SQLITE_STATIC);
        else
            sqlite3_bind_int64(*s, i + 1, a->i);
    }
    return 0;
}

int db_run(struct store *db, const char *sql, const struct db_arg *args, int n, const char *what,
           struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s, sql, args, n, what, err) < 0)
        return -1;
    int ret = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(db, err, what);
    db_finish(db, s);
    return ret;
}

int db_int64(struct store *db, const char *sql, const struct db_arg *args, int n, int64_t *out,
             const char *what, struct st_err *err)
{
    sqlite3_stmt *s;
    if (db_prepare(db, &s, sql, args, n, what, err) < 0)
        return -1;
    int rc = sqlite3_step(s), ret = 0;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(s, 0);
        ret = 1;
    } else if (rc != SQLITE_DONE) {
        ret = db_err(db, err, what);
    }
    db_finish(db, s);
    return ret;
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
    for (int step = v; step < STORE_SCHEMA_VERSION; step++) {
        const struct migration *m = &migrations[step];
        int rc = 0;
        for (int i = 0; rc == 0 && m->sql[i]; i++)
            rc = db_exec(db, m->sql[i], err);
        if (rc == 0 && m->convert)
            rc = m->convert(db, err);
        for (int i = 0; rc == 0 && m->after && m->after[i]; i++)
            rc = db_exec(db, m->after[i], err);
        if (rc < 0) {
            store_rollback(db);
            return -1;
        }
    }
    char sql[40];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    if (db_exec(db, sql, err) < 0) {
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
    if (enable_wal(db, err) < 0 || db_exec(db, "PRAGMA synchronous = NORMAL", err) < 0 ||
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
    for (size_t i = 0; i < db->ncache; i++) {
        sqlite3_finalize(db->cache[i].stmt);
        free(db->cache[i].sql);
    }
    sqlite3_close(db->sqlite);
    db_ids_done(&db->ids);
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

int store_meta_get(struct store *db, const char *key, int64_t *v, struct st_err *err)
{
    return db_int64(db, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1",
                    DB_ARGS(DB_TEXT(key)), v, "reading meta", err);
}

int store_meta_put(struct store *db, const char *key, int64_t v, struct st_err *err)
{
    return db_run(db,
                  "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                  "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                  DB_ARGS(DB_TEXT(key), DB_INT(v)), "writing meta", err);
}

int store_begin(struct store *db, struct st_err *err)
{
    return db_exec(db, "BEGIN IMMEDIATE", err);
}

int store_begin_read(struct store *db, struct st_err *err)
{
    return db_exec(db, "BEGIN", err);
}

int store_commit(struct store *db, struct st_err *err)
{
    if (db_exec(db, "COMMIT", err) < 0) {
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
