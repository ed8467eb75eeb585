/* metadata-jsonl: appends each job's record to a file as one line of JSON
 * (JSON Lines), for `jq`, log shippers and quick audits.
 *
 * Records of concurrent jobs (pixpipe run -j N, Lambda batches) arrive on
 * several threads at once with the same state: a mutex keeps every line
 * whole, and each line goes out in one write() on an O_APPEND descriptor,
 * so several pixpipe processes may share the file too.
 *
 * The file is a log, so a source's record is the last line naming its
 * source_bucket and source_key.  get() scans the file for that line (a
 * real store would look the key up; this reads the whole file each time).
 * remove() appends a tombstone line,
 *
 *   {"source_bucket", "source_key", "deleted": true, "sequencer" (when the
 *    delete has one), "deleted_at": UTC ISO-8601 with ms}
 *
 * Both put() and remove() keep the order of S3's events: a line is not
 * appended when the current record carries a newer "sequencer" (remove()
 * then returns 1; put() succeeds, the newer record staying, as S3 delivers
 * events out of order).  The read, the comparison and the append are done
 * under the mutex, so the guard holds between the threads of one process,
 * not between processes sharing the file.  Lines are read back with
 * jansson.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, fsync, getline under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pixpipe/pixpipe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct jsonl_config {
    char *path;
    bool fsync;
} jsonl_config;

/* What create() opens: the options stay in ctx->config. */
typedef struct jsonl_state {
    int fd;
    pthread_mutex_t lock; /* one line at a time on fd; one reader or writer of the file */
} jsonl_state;

static const pix_option jsonl_options[] = {
    { .name = "path", .type = PIX_OPT_STRING, .flags = PIX_OPT_REQUIRED,
      .offset = offsetof(jsonl_config, path), .min = 1, .max = 4096,
      .doc = "The file records are appended to; created when missing." },
    { .name = "fsync", .type = PIX_OPT_BOOL, .offset = offsetof(jsonl_config, fsync),
      .def = "false", .doc = "Flush every line to disk before the job counts as done." },
    { .name = NULL },
};

/* Opens the file once for every job; *state owns the descriptor and the
 * lock until destroy(). */
static int jsonl_create(const pix_ctx *ctx, void **state)
{
    const jsonl_config *cfg = ctx->config;
    int fd = open(cfg->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return ctx->host->error(ctx, "cannot open %s: %s", cfg->path, strerror(errno));
    jsonl_state *st = malloc(sizeof *st);
    if (!st) {
        close(fd);
        return ctx->host->error(ctx, "out of memory");
    }
    st->fd = fd;
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return 0;
}

static void jsonl_destroy(const pix_ctx *ctx)
{
    jsonl_state *st = ctx->state;
    close(st->fd);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* Appends line (len bytes, its '\n' included) in one write(), flushed to
 * disk when the fsync option says so.  Call with the lock held.  Returns
 * 0, an errno value, or -1 for a short write. */
static int jsonl_append(const jsonl_config *cfg, jsonl_state *st, const char *line, size_t len)
{
    ssize_t n = write(st->fd, line, len);
    if (n < 0)
        return errno;
    if ((size_t)n != len)
        return -1;
    if (cfg->fsync && fsync(st->fd) != 0)
        return errno;
    return 0;
}

static const char *jsonl_why(int err)
{
    return err > 0 ? strerror(err) : "short write";
}

/* The record of bucket/key: the last line of the file naming them, parsed,
 * into *found (the caller's reference; NULL when there is none).  Call with
 * the lock held.  Returns 0, or an errno value. */
static int jsonl_find(const char *path, const char *bucket, const char *key, json_t **found)
{
    char *line = NULL;
    size_t cap = 0;
    int err = 0;

    *found = NULL;
    FILE *f = fopen(path, "re");
    if (!f)
        return errno == ENOENT ? 0 : errno; /* no file, no record */
    while (getline(&line, &cap, f) > 0) {
        /* A line another process is still writing does not parse: skipped. */
        json_t *rec = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
        const char *b = json_string_value(json_object_get(rec, "source_bucket"));
        const char *k = json_string_value(json_object_get(rec, "source_key"));
        if (b && k && strcmp(b, bucket) == 0 && strcmp(k, key) == 0) {
            json_decref(*found);
            *found = rec;
        } else {
            json_decref(rec);
        }
    }
    if (ferror(f))
        err = errno ? errno : EIO;
    fclose(f);
    free(line);
    if (err) {
        json_decref(*found);
        *found = NULL;
    }
    return err;
}

/* Whether rec carries a sequencer newer than seq ("" is never newer nor
 * older): the host pads both to one width, so they compare as strings. */
static bool jsonl_newer(const pix_host *host, const json_t *rec, const char *seq)
{
    const char *was = json_string_value(json_object_get(rec, "sequencer"));
    char a[65], b[65];
    return was && *was && *seq && host->sequencer_pad(was, a, 64) == 0 &&
           host->sequencer_pad(seq, b, 64) == 0 && strcmp(a, b) > 0;
}

/* Appends rec as one line.  Call with the lock held.  Returns 0, an errno
 * value, or -1 for a short write. */
static int jsonl_append_json(const jsonl_config *cfg, jsonl_state *st, const json_t *rec)
{
    char *text = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return ENOMEM;
    size_t len = strlen(text);
    char *line = realloc(text, len + 2);
    if (!line) {
        free(text);
        return ENOMEM;
    }
    memcpy(line + len, "\n", 2); /* the line goes out in one write */
    int err = jsonl_append(cfg, st, line, len + 1);
    free(line);
    return err;
}

/* Appends record (borrowed) as one line, unless a newer event's record is
 * already the source's. */
static int jsonl_put(const pix_ctx *ctx, pix_job *job, const pix_record *record)
{
    const jsonl_config *cfg = ctx->config;
    jsonl_state *st = ctx->state;
    const pix_source *src = ctx->host->job_source(job);
    char *text = ctx->host->rec_to_json(record); /* ours to free */
    json_t *rec = text ? json_loads(text, 0, NULL) : NULL, *now = NULL;
    int err = 0, rc = -1;

    free(text);
    if (!rec)
        return ctx->host->job_error(job, "cannot write the record to %s: out of memory",
                                    cfg->path);
    const char *bucket = json_string_value(json_object_get(rec, "source_bucket"));
    const char *key = json_string_value(json_object_get(rec, "source_key"));
    pthread_mutex_lock(&st->lock); /* the read, the comparison and the append as one */
    if (*src->sequencer && (err = jsonl_find(cfg->path, bucket ? bucket : src->bucket,
                                             key ? key : src->key, &now)) != 0) {
        ctx->host->job_error(job, "cannot read %s: %s", cfg->path, strerror(err));
    } else if (now && jsonl_newer(ctx->host, now, src->sequencer)) {
        ctx->host->log(ctx, PIX_LOG_DEBUG, "%s: %s/%s: a newer record is kept", cfg->path,
                       src->bucket, src->key);
        rc = 0;
    } else if ((err = jsonl_append_json(cfg, st, rec)) != 0) {
        ctx->host->job_error(job, "cannot append to %s: %s", cfg->path, jsonl_why(err));
    } else {
        rc = 0;
    }
    pthread_mutex_unlock(&st->lock);
    json_decref(now);
    json_decref(rec);
    return rc;
}

/* The record of bucket/key (a tombstone too) into *json; NULL: none. */
static int jsonl_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                     char **json)
{
    const jsonl_config *cfg = ctx->config;
    jsonl_state *st = ctx->state;
    json_t *rec = NULL;

    *json = NULL;
    pthread_mutex_lock(&st->lock); /* no line is read half written */
    int err = jsonl_find(cfg->path, bucket, key, &rec);
    pthread_mutex_unlock(&st->lock);
    if (err)
        return ctx->host->job_error(job, "cannot read %s: %s", cfg->path, strerror(err));
    if (rec && !(*json = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER)))
        err = ENOMEM;
    json_decref(rec);
    if (err)
        return ctx->host->job_error(job, "cannot read %s: out of memory", cfg->path);
    return 0;
}

/* The tombstone of bucket/key (the caller's reference; NULL when out of
 * memory); seq "" leaves the sequencer out. */
static json_t *jsonl_tombstone(const char *bucket, const char *key, const char *seq)
{
    struct timespec ts;
    struct tm tm;
    char when[32];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t w = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + w, sizeof when - w, ".%03ldZ", (long)(ts.tv_nsec / 1000000));

    json_t *t = json_pack("{s:s, s:s, s:b}", "source_bucket", bucket, "source_key", key,
                          "deleted", 1);
    if (t && *seq && json_object_set_new(t, "sequencer", json_string(seq)) != 0)
        goto fail;
    if (t && json_object_set_new(t, "deleted_at", json_string(when)) != 0)
        goto fail;
    return t;
fail:
    json_decref(t);
    return NULL;
}

/* Appends the tombstone of bucket/key, handing back the record it replaces
 * in *old_json, unless that record has a newer sequencer than sequencer:
 * then nothing is written and it returns 1.  Where there was no record the
 * tombstone is written too, so that an older create arriving after the
 * delete finds it. */
static int jsonl_remove(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                        const char *sequencer, char **old_json)
{
    const jsonl_config *cfg = ctx->config;
    jsonl_state *st = ctx->state;
    const char *seq = sequencer ? sequencer : "";
    json_t *old = NULL, *tomb = jsonl_tombstone(bucket, key, seq);
    int rc = -1;

    *old_json = NULL;
    if (!tomb)
        return ctx->host->job_error(job, "cannot remove the record from %s: out of memory",
                                    cfg->path);
    pthread_mutex_lock(&st->lock); /* the read, the comparison and the append as one */
    int err = jsonl_find(cfg->path, bucket, key, &old);
    if (err) {
        ctx->host->job_error(job, "cannot read %s: %s", cfg->path, strerror(err));
    } else if (old && jsonl_newer(ctx->host, old, seq)) {
        /* The object was written again after this delete: its record stays. */
        ctx->host->log(ctx, PIX_LOG_DEBUG, "%s: %s/%s: a newer record is kept", cfg->path,
                       bucket, key);
        rc = 1;
    } else if ((err = jsonl_append_json(cfg, st, tomb)) != 0) {
        ctx->host->job_error(job, "cannot append to %s: %s", cfg->path, jsonl_why(err));
    } else if (old && !(*old_json = json_dumps(old, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        ctx->host->job_error(job, "cannot remove the record from %s: out of memory", cfg->path);
    } else {
        rc = 0; /* the host frees *old_json */
    }
    pthread_mutex_unlock(&st->lock);
    json_decref(old);
    json_decref(tomb);
    return rc;
}

PIX_METADATA_PLUGIN("metadata-jsonl", "1.1.0", "Appends each record to a JSON Lines file",
                    jsonl_put, .options = jsonl_options, .config_size = sizeof(jsonl_config),
                    .create = jsonl_create, .destroy = jsonl_destroy, .get = jsonl_get,
                    .remove = jsonl_remove);
