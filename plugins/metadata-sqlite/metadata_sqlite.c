/*
 * metadata-sqlite: stores one row per source object in a SQLite file, the
 * local twin of metadata-dynamodb.  A job's record (as laid out by
 * metadata-sink) is upserted by (source_bucket, source_key): processing an
 * object again replaces its row.  get() reads a row's record back;
 * remove() replaces the row with a tombstone.
 *
 * Schema (table name from the `table` option):
 *
 *   CREATE TABLE IF NOT EXISTS images (
 *     source_bucket TEXT NOT NULL,
 *     source_key    TEXT NOT NULL,
 *     pipeline      TEXT,
 *     status        TEXT NOT NULL,     -- 'ok' | 'failed' | 'skipped' | 'deleted'
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
 * Ordering, as in metadata-dynamodb.  S3 may deliver the events of one
 * object out of order, and again.  A job from an S3 event has a sequencer:
 * it is stored in the record as "sequencer" (unless the record carries
 * one), left-padded with zeros to 32 upper-case hex digits, DynamoDB's
 * form, and the put replaces only a row with no sequencer or one not newer
 * than the job's (both padded, so comparing the text compares the
 * numbers: S3's sequencers vary in length).  A put refused so is a
 * success, with a debug line: the newer record stays.  A job without a
 * sequencer writes unconditionally.  The sequencer lives in the record
 * JSON, not in a column of its own, so that databases made before it keep
 * working; it is read back with json_extract().
 *
 * Tombstones.  remove() replaces the row by one with status 'deleted' and
 * the record
 *
 *   { source_bucket, source_key, deleted: true, sequencer (padded, when the
 *     delete has one), deleted_at: "UTC ISO-8601 with ms" }
 *
 * rather than deleting it, so that an older ObjectCreated that S3 delivers
 * after the ObjectRemoved fails the put's ordering instead of writing its
 * record again; for the same reason a tombstone is written even where
 * there was no row.  With a sequencer, a row newer than the delete is kept
 * and remove() returns 1.  The read, the comparison and the write are one
 * BEGIN IMMEDIATE transaction (the put's too, when it has a sequencer), so
 * that no other process writes between them.  Tombstones stay until the
 * object is written again; they are small.
 *
 * Options:
 *   path            (string, default ./out/metadata.db)  the database file;
 *                   missing folders are created.
 *   table           (string, default images)  an identifier [A-Za-z_][A-Za-z0-9_]*.
 *   busy_timeout_ms (int, default 5000)  how long a write waits for another
 *                   process holding the database lock.
 *
 * One connection (opened SQLITE_OPEN_FULLMUTEX, WAL journal) and its prepared
 * statements are shared by all jobs; a mutex serialises their
 * bind/step/reset and holds each transaction whole (a transaction belongs
 * to the connection, so another thread's statement would otherwise run
 * inside it).  They are the state; everything else is read from the
 * config.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include <pixpipe/pixpipe.h>

/* Width of a stored sequencer, as metadata-dynamodb stores it. */
#define SQL_SEQ_WIDTH 32

typedef struct sql_config {
    char *path;
    char *table;
    int64_t busy_timeout_ms;
} sql_config;

/* What create() opens: the options stay in ctx->config. */
typedef struct sql_state {
    sqlite3 *db;
    sqlite3_stmt *upsert;   /* one row, by primary key                     */
    sqlite3_stmt *select;   /* a row's record and its stored sequencer     */
    sqlite3_stmt *begin, *commit, *rollback;
    pthread_mutex_t lock;   /* guards the statements, and each transaction
                               whole */
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
    sqlite3_finalize(st->select);
    sqlite3_finalize(st->begin);
    sqlite3_finalize(st->commit);
    sqlite3_finalize(st->rollback);
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

/* Prepares sql (an sqlite3_mprintf() result, freed here; NULL when that
 * ran out of memory) into *stmt, for the statement called what. */
static int sql_prepare(const pix_ctx *ctx, sqlite3 *db, char *sql, sqlite3_stmt **stmt,
                       const char *what)
{
    const sql_config *cfg = ctx->config;
    int rc = 0;

    if (!sql)
        return ctx->host->error(ctx, "%s: out of memory", cfg->path);
    if (sqlite3_prepare_v2(db, sql, -1, stmt, NULL) != SQLITE_OK)
        rc = ctx->host->error(ctx, "%s: cannot prepare the %s of table %s: %s", cfg->path, what,
                              cfg->table, sqlite3_errmsg(db));
    sqlite3_free(sql);
    return rc;
}

/* Opens the database, creates the table and prepares the statements every
 * job runs; *state owns them until destroy(). */
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
    if (!sql) {
        ctx->host->error(ctx, "%s: out of memory", cfg->path);
        goto out;
    }
    if (sql_exec(ctx, st->db, sql) != 0)
        goto out;
    /* ?11 is the job's padded sequencer (NULL: none), added to the record
     * unless the record has one; ?12 the time of a tombstone, so that its
     * updated_at and deleted_at agree (NULL: now). */
    if (sql_prepare(ctx, st->db, sqlite3_mprintf(
            "INSERT INTO \"%w\" (source_bucket, source_key, pipeline, status, error, format, "
            "width, height, source_bytes, renditions, record, updated_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
            "COALESCE(json_array_length(?10, '$.renditions'), 0), "
            "CASE WHEN ?11 IS NULL THEN ?10 ELSE json_insert(?10, '$.sequencer', ?11) END, "
            "COALESCE(?12, strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now'))) "
            "ON CONFLICT (source_bucket, source_key) DO UPDATE SET "
            "pipeline = excluded.pipeline, status = excluded.status, error = excluded.error, "
            "format = excluded.format, width = excluded.width, height = excluded.height, "
            "source_bytes = excluded.source_bytes, renditions = excluded.renditions, "
            "record = excluded.record, updated_at = excluded.updated_at",
            cfg->table), &st->upsert, "upsert") != 0 ||
        sql_prepare(ctx, st->db, sqlite3_mprintf(
            "SELECT record, json_extract(record, '$.sequencer') FROM \"%w\" "
            "WHERE source_bucket = ?1 AND source_key = ?2", cfg->table),
            &st->select, "select") != 0 ||
        /* IMMEDIATE takes the write lock at once: a deferred transaction
         * that read first could not upgrade to write when another process
         * wrote meanwhile (SQLITE_BUSY without waiting). */
        sql_prepare(ctx, st->db, sqlite3_mprintf("BEGIN IMMEDIATE"), &st->begin, "begin") != 0 ||
        sql_prepare(ctx, st->db, sqlite3_mprintf("COMMIT"), &st->commit, "commit") != 0 ||
        sql_prepare(ctx, st->db, sqlite3_mprintf("ROLLBACK"), &st->rollback, "rollback") != 0)
        goto out;
    *state = st;
    st = NULL;
    rc = 0;
out:
    sqlite3_free(sql);
    sql_free(st); /* NULL once handed over */
    return rc;
}

/* -------------------------------------------------------------- ordering */

/* Steps a statement that returns no row (BEGIN, COMMIT, the upsert), then
 * resets it.  Returns 0, or -1 after host->job_error() saying what failed. */
static int sql_step_done(const pix_ctx *ctx, pix_job *job, sqlite3_stmt *stmt, const char *what,
                         const char *bucket, const char *key)
{
    const sql_config *cfg = ctx->config;
    sql_state *st = ctx->state;
    int rc = 0;

    if (sqlite3_step(stmt) != SQLITE_DONE)
        rc = ctx->host->job_error(job, "%s: table %s: cannot %s for %s/%s: %s", cfg->path,
                                  cfg->table, what, bucket, key, sqlite3_errmsg(st->db));
    sqlite3_reset(stmt);
    return rc;
}

/* Ends a transaction the caller did not commit (a refused write, an
 * error), unless SQLite already rolled it back itself. */
static void sql_rollback(sql_state *st)
{
    if (sqlite3_get_autocommit(st->db))
        return;
    sqlite3_step(st->rollback);
    sqlite3_reset(st->rollback);
}

/* Reads the row of bucket/key, under the lock (inside the caller's
 * transaction when it compares): its record into *record when record is
 * not NULL (malloc()ed; NULL when there is no row), and whether its stored
 * sequencer is newer than seq (padded; "" is never compared).  Returns 1
 * when newer, 0 when not or when there is no row, -1 after
 * host->job_error(). */
static int sql_read_row(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                        const char *seq, char **record)
{
    const sql_config *cfg = ctx->config;
    sql_state *st = ctx->state;
    sqlite3_stmt *stmt = st->select;
    char stored[SQL_SEQ_WIDTH + 1];
    int rc = -1;

    if (record)
        *record = NULL;
    if (sqlite3_bind_text(stmt, 1, bucket, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC) != SQLITE_OK) {
        ctx->host->job_error(job, "%s: table %s: cannot bind the key: %s", cfg->path, cfg->table,
                             sqlite3_errmsg(st->db));
        goto out;
    }
    int step = sqlite3_step(stmt);
    if (step == SQLITE_DONE) {
        rc = 0;
        goto out;
    }
    if (step != SQLITE_ROW) {
        ctx->host->job_error(job, "%s: table %s: cannot read the row of %s/%s: %s", cfg->path,
                             cfg->table, bucket, key, sqlite3_errmsg(st->db));
        goto out;
    }
    const char *text = (const char *)sqlite3_column_text(stmt, 0);
    if (record && !(*record = strdup(text ? text : ""))) {
        ctx->host->job_error(job, "%s: out of memory", cfg->path);
        goto out;
    }
    rc = 0;
    if (!*seq || sqlite3_column_type(stmt, 1) == SQLITE_NULL)
        goto out; /* a row without a sequencer carries no order */
    const char *was = (const char *)sqlite3_column_text(stmt, 1);
    if (sqlite3_column_type(stmt, 1) != SQLITE_TEXT ||
        ctx->host->sequencer_pad(was, stored, SQL_SEQ_WIDTH) != 0) {
        /* Not ours (we store padded hex): ordering by it would be a guess. */
        ctx->host->job_error(job, "%s: table %s: the stored record of %s/%s has the sequencer "
                             "'%s', not a hex number of at most %d digits", cfg->path,
                             cfg->table, bucket, key, was ? was : "", SQL_SEQ_WIDTH);
        rc = -1;
        goto out;
    }
    rc = strcmp(stored, seq) > 0;
out:
    if (rc < 0 && record) {
        free(*record);
        *record = NULL;
    }
    sqlite3_reset(stmt); /* ends the read before the transaction writes */
    sqlite3_clear_bindings(stmt);
    return rc;
}

/* ------------------------------------------------- put, get and remove */

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

/* Upserts the row of rec (borrowed) under the state's lock.  A job with a
 * sequencer reads the row first, in the same transaction, and keeps a
 * newer one. */
static int sql_put(const pix_ctx *ctx, pix_job *job, const pix_record *rec)
{
    const sql_config *cfg = ctx->config;
    sql_state *st = ctx->state;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    const char *reason = NULL;
    const char *status = sql_status_name(host->job_status(job, &reason));
    const char *raw = src && src->sequencer ? src->sequencer : "";
    const char *bucket = NULL, *key = NULL;
    char seq[SQL_SEQ_WIDTH + 1] = "";
    sqlite3_stmt *stmt = st->upsert;
    char *json = NULL;
    int rc = -1;

    /* The row's key, as the upsert binds it. */
    if (host->rec_get_str(rec, "source_bucket", &bucket) != 0)
        bucket = src ? src->bucket : NULL;
    if (host->rec_get_str(rec, "source_key", &key) != 0)
        key = src ? src->key : NULL;
    if (*raw && ctx->host->sequencer_pad(raw, seq, SQL_SEQ_WIDTH) != 0)
        return host->job_error(job, "%s: the S3 event sequencer '%s' is not a hex number of at "
                               "most %d digits", cfg->path, raw, SQL_SEQ_WIDTH);
    if (!(json = host->rec_to_json(rec)))
        return host->job_error(job, "%s: cannot serialise the record", cfg->path);
    pthread_mutex_lock(&st->lock);
    if (*seq && bucket && key) {
        if (sql_step_done(ctx, job, st->begin, "begin a transaction", bucket, key) != 0)
            goto out;
        int newer = sql_read_row(ctx, job, bucket, key, seq, NULL);
        if (newer < 0)
            goto out;
        if (newer) {
            /* A newer event's record (or tombstone) is already there:
             * keeping it is the point. */
            host->log(ctx, PIX_LOG_DEBUG, "%s: table %s: %s/%s: a newer record (later S3 "
                      "sequencer than %s) is kept", cfg->path, cfg->table, bucket, key, raw);
            rc = 0;
            goto out;
        }
    }
    if (sql_bind_str(host, stmt, 1, rec, "source_bucket", src ? src->bucket : NULL) ||
        sql_bind_str(host, stmt, 2, rec, "source_key", src ? src->key : NULL) ||
        sql_bind_str(host, stmt, 3, rec, "pipeline", host->job_pipeline_name(job)) ||
        sql_bind_str(host, stmt, 4, rec, "status", status) ||
        sql_bind_str(host, stmt, 5, rec, "error", NULL) ||
        sql_bind_str(host, stmt, 6, rec, "format", NULL) ||
        sql_bind_int(host, stmt, 7, rec, "width") ||
        sql_bind_int(host, stmt, 8, rec, "height") ||
        sql_bind_int(host, stmt, 9, rec, "source_bytes") ||
        sqlite3_bind_text(stmt, 10, json, -1, SQLITE_STATIC) ||
        (*seq ? sqlite3_bind_text(stmt, 11, seq, -1, SQLITE_STATIC)
              : sqlite3_bind_null(stmt, 11)) ||
        sqlite3_bind_null(stmt, 12)) {
        host->job_error(job, "%s: cannot bind the row: %s", cfg->path, sqlite3_errmsg(st->db));
        goto out;
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) {
        host->job_error(job, "%s: cannot write the row for %s/%s: %s", cfg->path,
                        bucket ? bucket : "?", key ? key : "?", sqlite3_errmsg(st->db));
        goto out;
    }
    sqlite3_reset(stmt);
    if (!sqlite3_get_autocommit(st->db) &&
        sql_step_done(ctx, job, st->commit, "commit", bucket, key) != 0)
        goto out;
    rc = 0;
out:
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt); /* json and seq are gone below */
    sql_rollback(st); /* a refused or failed put: nothing was written */
    pthread_mutex_unlock(&st->lock);
    free(json);
    return rc;
}

/* The record of bucket/key (a tombstone too) into *json; NULL: no row. */
static int sql_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                   char **json)
{
    sql_state *st = ctx->state;

    pthread_mutex_lock(&st->lock);
    int rc = sql_read_row(ctx, job, bucket ? bucket : "", key ? key : "", "", json);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Writes the current UTC time as ISO-8601 with milliseconds, the form of
 * updated_at ("2024-05-01T12:00:00.123Z"), into out. */
static void sql_now(char out[32])
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", (long)(ts.tv_nsec / 1000000));
}

/* The tombstone record of bucket/key as JSON text (malloc()ed), seq
 * padded ("" leaves it out); NULL when out of memory or a name is not
 * UTF-8. */
static char *sql_tombstone(const char *bucket, const char *key, const char *seq,
                           const char *when)
{
    json_t *t = json_pack("{s:s, s:s, s:b}", "source_bucket", bucket, "source_key", key,
                          "deleted", 1);
    char *text = NULL;

    if (t && (!*seq || json_object_set_new(t, "sequencer", json_string(seq)) == 0) &&
        json_object_set_new(t, "deleted_at", json_string(when)) == 0)
        text = json_dumps(t, JSON_COMPACT);
    json_decref(t);
    return text;
}

/* Replaces the row of bucket/key by its tombstone, in one transaction with
 * reading the row it replaces (handed back in *old_json) and, with a
 * sequencer, comparing the two. */
static int sql_remove(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                      const char *sequencer, char **old_json)
{
    const sql_config *cfg = ctx->config;
    sql_state *st = ctx->state;
    const pix_host *host = ctx->host;
    const char *raw = sequencer ? sequencer : "";
    char seq[SQL_SEQ_WIDTH + 1] = "", when[32];
    sqlite3_stmt *stmt = st->upsert;
    char *tomb = NULL, *old = NULL;
    int rc = -1;

    *old_json = NULL;
    bucket = bucket ? bucket : "";
    key = key ? key : "";
    if (*raw && ctx->host->sequencer_pad(raw, seq, SQL_SEQ_WIDTH) != 0)
        return host->job_error(job, "%s: the S3 event sequencer '%s' is not a hex number of at "
                               "most %d digits", cfg->path, raw, SQL_SEQ_WIDTH);
    sql_now(when);
    if (!(tomb = sql_tombstone(bucket, key, seq, when)))
        return host->job_error(job, "%s: cannot build the tombstone of %s/%s (out of memory, "
                               "or a name that is not UTF-8)", cfg->path, bucket, key);
    pthread_mutex_lock(&st->lock);
    if (sql_step_done(ctx, job, st->begin, "begin a transaction", bucket, key) != 0)
        goto out;
    int newer = sql_read_row(ctx, job, bucket, key, seq, &old);
    if (newer < 0)
        goto out;
    if (newer) {
        /* The object was written again after this delete: its record
         * stays, and so do its renditions. */
        host->log(ctx, PIX_LOG_DEBUG, "%s: table %s: %s/%s: a newer record (later S3 sequencer "
                  "than %s) is kept; the delete changes nothing", cfg->path, cfg->table, bucket,
                  key, raw);
        rc = 1;
        goto out;
    }
    /* The tombstone's columns: no image, so no format, size or renditions
     * (the upsert counts none in its record). */
    if (sqlite3_bind_text(stmt, 1, bucket, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(stmt, 2, key, -1, SQLITE_STATIC) ||
        sqlite3_bind_text(stmt, 3, host->job_pipeline_name(job), -1, SQLITE_STATIC) ||
        sqlite3_bind_text(stmt, 4, "deleted", -1, SQLITE_STATIC) ||
        sqlite3_bind_null(stmt, 5) || sqlite3_bind_null(stmt, 6) ||
        sqlite3_bind_null(stmt, 7) || sqlite3_bind_null(stmt, 8) ||
        sqlite3_bind_null(stmt, 9) ||
        sqlite3_bind_text(stmt, 10, tomb, -1, SQLITE_STATIC) ||
        sqlite3_bind_null(stmt, 11) ||
        sqlite3_bind_text(stmt, 12, when, -1, SQLITE_STATIC)) {
        host->job_error(job, "%s: cannot bind the row: %s", cfg->path, sqlite3_errmsg(st->db));
        goto out;
    }
    if (sql_step_done(ctx, job, stmt, "write the tombstone", bucket, key) != 0 ||
        sql_step_done(ctx, job, st->commit, "commit", bucket, key) != 0)
        goto out;
    *old_json = old;
    old = NULL;
    rc = 0;
out:
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt); /* tomb is freed below */
    sql_rollback(st); /* a kept row or an error: nothing was written */
    pthread_mutex_unlock(&st->lock);
    free(old);
    free(tomb);
    return rc;
}

PIX_METADATA_PLUGIN("metadata-sqlite", "1.1.0",
                    "One row per source object in a SQLite file, upserted by bucket and key",
                    sql_put, .options = sql_options, .config_size = sizeof(sql_config),
                    .check = sql_check, .create = sql_create, .destroy = sql_destroy,
                    .get = sql_get, .remove = sql_remove);
