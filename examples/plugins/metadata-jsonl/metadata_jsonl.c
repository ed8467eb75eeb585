/* metadata-jsonl: appends each job's record to a file as one line of JSON
 * (JSON Lines), for `jq`, log shippers and quick audits.
 *
 * Records of concurrent jobs (pixpipe run -j N, Lambda batches) arrive on
 * several threads at once with the same state: a mutex keeps every line
 * whole, and each line goes out in one write() on an O_APPEND descriptor,
 * so several pixpipe processes may share the file too.
 */
#define _POSIX_C_SOURCE 200809L /* O_CLOEXEC, fsync under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <pixpipe/pixpipe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct jsonl_config {
    char *path;
    bool fsync;
} jsonl_config;

/* What create() opens: the options stay in ctx->config. */
typedef struct jsonl_state {
    int fd;
    pthread_mutex_t lock; /* one line at a time on fd */
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

/* Appends record (borrowed) as one line. */
static int jsonl_put(const pix_ctx *ctx, pix_job *job, const pix_record *record)
{
    const jsonl_config *cfg = ctx->config;
    jsonl_state *st = ctx->state;
    char *json = ctx->host->rec_to_json(record); /* ours to free */
    if (!json)
        return ctx->host->job_error(job, "cannot write the record to %s: out of memory",
                                    cfg->path);
    size_t len = strlen(json);
    json[len] = '\n'; /* replaces the NUL: the line goes out in one write */
    pthread_mutex_lock(&st->lock);
    ssize_t n = write(st->fd, json, len + 1);
    int err = n < 0 ? errno : 0;
    if (n == (ssize_t)(len + 1) && cfg->fsync && fsync(st->fd) != 0)
        err = errno;
    pthread_mutex_unlock(&st->lock);
    free(json);
    if (n != (ssize_t)(len + 1) || err)
        return ctx->host->job_error(job, "cannot append to %s: %s", cfg->path,
                                    err ? strerror(err) : "short write");
    return 0;
}

PIX_METADATA_PLUGIN("metadata-jsonl", "1.0.0", "Appends each record to a JSON Lines file",
                    jsonl_put, .options = jsonl_options, .config_size = sizeof(jsonl_config),
                    .create = jsonl_create, .destroy = jsonl_destroy);
