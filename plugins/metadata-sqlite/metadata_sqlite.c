/*
 * metadata-sqlite: stores one row per source object in a SQLite file, the
 * local twin of metadata-dynamodb.  A job's record (as laid out by
 * metadata-sink) is upserted by (source_bucket, source_key): processing an
 * object again replaces its row.
 *
 * Schema (table name from the `table` option):
 *
 *   CREATE TABLE IF NOT EXISTS images (
 *     source_bucket TEXT NOT NULL,
 *     source_key    TEXT NOT NULL,
 *     pipeline      TEXT,
 *     status        TEXT NOT NULL,     -- 'ok' | 'failed' | 'skipped'
 *     error         TEXT,              -- why, when not ok
 *     format        TEXT,              -- source format: 'jpeg', 'png', ...
 *     width         INTEGER,           -- source dimensions
 *     height        INTEGER,
 *     source_bytes  INTEGER,
 *     renditions    INTEGER,           -- stored renditions
 *     record        TEXT NOT NULL,     -- the whole record as JSON
 *     updated_at    TEXT NOT NULL,     -- UTC ISO-8601 with ms
 *     PRIMARY KEY (source_bucket, source_key)
 *   );
 *
 * Columns come from the record's top-level keys of the same name; a record
 * without source_bucket/source_key/status (no metadata-sink in the pipeline)
 * falls back to the job's source and status.  The ABI has no getter for a
 * list's length, so `renditions` is counted by SQLite's JSON functions from
 * the record's "renditions" list.
 *
 * Options:
 *   path            (string, default ./out/metadata.db)  the database file;
 *                   missing folders are created.
 *   table           (string, default images)  an identifier [A-Za-z_][A-Za-z0-9_]*.
 *   busy_timeout_ms (int, default 5000)  how long a write waits for another
 *                   process holding the database lock.
 *
 * One connection (opened SQLITE_OPEN_FULLMUTEX, WAL journal) and one prepared
 * statement are shared by all jobs; a mutex serialises its bind/step/reset.
 * They are the state; everything else is read from the config.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include <pixpipe/pixpipe.h>

typedef struct sql_config {
    char *path;
    char *table;
    int64_t busy_timeout_ms;
} sql_config;

/* What create() opens: the options stay in ctx->config. */
typedef struct sql_state {
    sqlite3 *db;
    sqlite3_stmt *upsert;
    pthread_mutex_t lock; /* guards upsert */
} sql_state;

static const pix_option sql_options[] = {
    { .name = "path", .type = PIX_OPT_STRING, .offset = offsetof(sql_config, path),
      .def = "./out/metadata.db", .min = 1, .max = 4096,
      .doc = "SQLite database file; it and its folders are created when missing." },
    { .name = "table", .type = PIX_OPT_STRING, .offset = offsetof(sql_config, table),
      .def = "images", .min = 1, .max = 128,
      .doc = "Table holding one row per source object; letters, digits and '_' only." },
    { .name = "busy_timeout_ms", .type = PIX_OPT_INT,
      .offset = offsetof(sql_config, busy_timeout_ms), .def = "5000", .min = 0,
      .max = 3600000,
      .doc = "Milliseconds a write waits while another process holds the database lock." },
    { .name = NULL },
};

static bool sql_is_identifier(const char *s)
{
    if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

/* mkdir -p of the folder holding path (borrowed). */
static int sql_mkdirs_for(const pix_ctx *ctx, const char *path)
{
    char *dir = strdup(path);
    int rc = -1;

    if (!dir)
        return ctx->host->error(ctx, "out of memory");
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        rc = 0; /* the current folder, or the root */
        goto out;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            ctx->host->error(ctx, "cannot create folder %s for the database: %s", dir,
                             strerror(errno));
            goto out;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    rc = 0;
out:
    free(dir);
    return rc;
}

/* Runs one statement on db (borrowed) at create() time. */
static int sql_exec(const pix_ctx *ctx, sqlite3 *db, const char *sql)
{
    const sql_config *cfg = ctx->config;
    char *msg = NULL;

    /* Two processes opening a new database at once (the workers of one
     * run, or two runs) can get SQLITE_BUSY for the journal switch or the
     * schema without SQLite waiting on its busy handler (it does not wait
     * where waiting could deadlock): wait here instead, as long as
     * busy_timeout_ms allows. */
    for (int64_t waited = 0;; waited += 10) {
        int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY || waited >= cfg->busy_timeout_ms)
            break;
        sqlite3_free(msg);
        msg = NULL;
        sqlite3_sleep(10);
    }
    ctx->host->error(ctx, "%s: %s", cfg->path, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
}

/* Closes and frees st (owned; NULL is fine): for destroy() and a failed
 * create(). */
static void sql_free(sql_state *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->upsert);
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static void sql_destroy(const pix_ctx *ctx)
{
    sql_free(ctx->state);
}

static int sql_check(const pix_ctx *ctx)
{
    const sql_config *cfg = ctx->config;

    if (!cfg->path || !*cfg->path)
        return ctx->host->error(ctx, "path: the database file must not be empty");
    if (!sql_is_identifier(cfg->table))
        return ctx->host->error(ctx, "table: '%s' is not an identifier ([A-Za-z_][A-Za-z0-9_]*)",
                                cfg->table ? cfg->table : "");
    return 0;
}

/* Opens the database, creates the table and prepares the upsert; *state
 * owns them until destroy(). */
static int sql_create(const pix_ctx *ctx, void **state)
{
    const sql_config *cfg = ctx->config;
    sql_state *st = calloc(1, sizeof *st);
    char *sql = NULL;
    int rc = -1;

    if (!st)
        return ctx->host->error(ctx, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    if (sql_mkdirs_for(ctx, cfg->path) != 0)
        goto out;
    int orc = sqlite3_open_v2(cfg->path, &st->db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                              NULL);
    if (orc != SQLITE_OK) {
        ctx->host->error(ctx, "cannot open %s: %s", cfg->path,
                         st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(orc));
        goto out;
    }
    /* Set the timeout first so that switching to WAL also waits for a
     * concurrent pixpipe process instead of failing at once. */
    sqlite3_busy_timeout(st->db, (int)cfg->busy_timeout_ms);
    if (sql_exec(ctx, st->db, "PRAGMA journal_mode=WAL") != 0)
        goto out;
    /* The writer only appends and replaces rows by primary key, which
     * touches a few pages per record; SQLite's default 2 MiB page cache
     * would instead grow with the database over the first thousands of
     * images.  256 KiB holds the B-tree's upper levels. */
    if (sql_exec(ctx, st->db, "PRAGMA cache_size=-256") != 0)
        goto out;
    sql = sqlite3_mprintf("CREATE TABLE IF NOT EXISTS \"%w\" ("
                          "source_bucket TEXT NOT NULL, source_key TEXT NOT NULL, "
                          "pipeline TEXT, status TEXT NOT NULL, error TEXT, format TEXT, "
                          "width INTEGER, height INTEGER, source_bytes INTEGER, "
                          "renditions INTEGER, record TEXT NOT NULL, updated_at TEXT NOT NULL, "
                          "PRIMARY KEY (source_bucket, source_key))",
                          cfg->table);
    if (!sql || sql_exec(ctx, st->db, sql) != 0)
        goto out;
    sqlite3_free(sql);
    sql = sqlite3_mprintf(
        "INSERT INTO \"%w\" (source_bucket, source_key, pipeline, status, error, format, "
        "width, height, source_bytes, renditions, record, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "COALESCE(json_array_length(?10, '$.renditions'), 0), ?10, "
        "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now')) "
        "ON CONFLICT (source_bucket, source_key) DO UPDATE SET "
        "pipeline = excluded.pipeline, status = excluded.status, error = excluded.error, "
        "format = excluded.format, width = excluded.width, height = excluded.height, "
        "source_bytes = excluded.source_bytes, renditions = excluded.renditions, "
        "record = excluded.record, updated_at = excluded.updated_at",
        cfg->table);
    if (!sql || sqlite3_prepare_v2(st->db, sql, -1, &st->upsert, NULL) != SQLITE_OK) {
        ctx->host->error(ctx, "%s: cannot prepare the upsert into %s: %s", cfg->path,
                         cfg->table, sqlite3_errmsg(st->db));
        goto out;
    }
    *state = st;
    st = NULL;
    rc = 0;
out:
    sqlite3_free(sql);
    sql_free(st); /* NULL once handed over */
    return rc;
}

/* Binds the record's string `key` to parameter i, else fallback, else NULL. */
static int sql_bind_str(const pix_host *host, sqlite3_stmt *stmt, int i, const pix_record *rec,
                        const char *key, const char *fallback)
{
    const char *v = NULL;
    if (host->rec_get_str(rec, key, &v) != 0)
        v = fallback;
    return v ? sqlite3_bind_text(stmt, i, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, i);
}

static int sql_bind_int(const pix_host *host, sqlite3_stmt *stmt, int i, const pix_record *rec,
                        const char *key)
{
    int64_t v = 0;
    if (host->rec_get_int(rec, key, &v) != 0)
        return sqlite3_bind_null(stmt, i);
    return sqlite3_bind_int64(stmt, i, v);
}

static const char *sql_status_name(pix_status s)
{
    return s == PIX_JOB_OK ? "ok" : s == PIX_JOB_SKIPPED ? "skipped" : "failed";
}

/* Upserts the row of rec (borrowed) under the state's lock. */
static int sql_put(const pix_ctx *ctx, pix_job *job, const pix_record *rec)
{
    const sql_config *cfg = ctx->config;
    sql_state *st = ctx->state;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    const char *reason = NULL;
    const char *status = sql_status_name(host->job_status(job, &reason));
    sqlite3_stmt *stmt = st->upsert;
    char *json = host->rec_to_json(rec);
    int rc = -1;

    if (!json)
        return host->job_error(job, "%s: cannot serialise the record", cfg->path);
    pthread_mutex_lock(&st->lock);
    if (sql_bind_str(host, stmt, 1, rec, "source_bucket", src ? src->bucket : NULL) ||
        sql_bind_str(host, stmt, 2, rec, "source_key", src ? src->key : NULL) ||
        sql_bind_str(host, stmt, 3, rec, "pipeline", host->job_pipeline_name(job)) ||
        sql_bind_str(host, stmt, 4, rec, "status", status) ||
        sql_bind_str(host, stmt, 5, rec, "error", NULL) ||
        sql_bind_str(host, stmt, 6, rec, "format", NULL) ||
        sql_bind_int(host, stmt, 7, rec, "width") ||
        sql_bind_int(host, stmt, 8, rec, "height") ||
        sql_bind_int(host, stmt, 9, rec, "source_bytes") ||
        sqlite3_bind_text(stmt, 10, json, -1, SQLITE_STATIC)) {
        host->job_error(job, "%s: cannot bind the row: %s", cfg->path, sqlite3_errmsg(st->db));
        goto out;
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        host->job_error(job, "%s: cannot write the row for %s/%s: %s", cfg->path,
                        src ? src->bucket : "?", src ? src->key : "?", sqlite3_errmsg(st->db));
        goto out;
    }
    rc = 0;
out:
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt); /* json is freed below */
    pthread_mutex_unlock(&st->lock);
    free(json);
    return rc;
}

PIX_METADATA_PLUGIN("metadata-sqlite", "1.0.0",
                    "One row per source object in a SQLite file, upserted by bucket and key",
                    sql_put, .options = sql_options, .config_size = sizeof(sql_config),
                    .check = sql_check, .create = sql_create, .destroy = sql_destroy);
