/*
 * storage-fs: objects as files on the local file system.
 *
 * A bucket is a folder (a path relative to the current folder, or absolute;
 * it comes from the pipeline or the command line and is trusted).  A key is
 * a '/'-separated path inside it, checked with host->key_check so that no
 * key can reach outside its bucket.
 *
 * get() stats the file first and refuses it when it is over the size limit,
 * then reads it whole.  put() writes a hidden temp file (".name.XXXXXX") in
 * the object's folder, flushes it, and renames it over the final name, so a
 * reader sees the old object or the new one, never a partial one.  Missing
 * folders (the bucket too) are created.  Files get mode 0644 minus the
 * process umask.
 *
 * Options:
 *   fsync (bool, default true)  flush each object and its folder to disk
 *                               before put() returns.
 *
 * The config and the state are read-only after create(), so jobs may run
 * concurrently.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pixpipe/pixpipe.h>

typedef struct fs_config {
    bool fsync;
} fs_config;

/* Not config: what the process environment gives once. */
typedef struct fs_state {
    mode_t file_mode; /* 0644 & ~umask, read once in create() */
} fs_state;

static const pix_option fs_options[] = {
    { .name = "fsync", .type = PIX_OPT_BOOL, .offset = offsetof(fs_config, fsync),
      .def = "true",
      .doc = "Flush every written object and its folder to disk before reporting it stored." },
    { .name = NULL },
};

/* *state owns the file mode until destroy(). */
static int fs_create(const pix_ctx *ctx, void **state)
{
    fs_state *st = malloc(sizeof *st);

    if (!st)
        return ctx->host->error(ctx, "out of memory");
    /* umask() can only be read by setting it; create() runs on the main
     * thread before any job, so this brief swap races with nothing. */
    mode_t mask = umask(022);
    umask(mask);
    st->file_mode = 0644 & ~mask;
    *state = st;
    return 0;
}

/* Frees the state create() made. */
static void fs_destroy(const pix_ctx *ctx)
{
    free(ctx->state);
}

/* "bucket/key" (caller frees), or NULL after recording the error on job. */
static char *fs_path(const pix_host *host, pix_job *job, const char *bucket, const char *key)
{
    const char *why = NULL;
    char *path = NULL;

    if (!bucket || !*bucket) {
        host->job_error(job, "no bucket (folder) given for key '%s'", key ? key : "");
        return NULL;
    }
    if (!key || host->key_check(key, &why) != 0) {
        host->job_error(job, "refusing key '%s' in bucket '%s': %s", key ? key : "", bucket,
                        why ? why : "invalid key");
        return NULL;
    }
    size_t blen = strlen(bucket);
    bool slash = bucket[blen - 1] == '/';
    if (asprintf(&path, "%s%s%s", bucket, slash ? "" : "/", key) < 0) {
        host->job_error(job, "out of memory");
        return NULL;
    }
    return path;
}

static const char *fs_guess_type(const char *key)
{
    static const struct { const char *ext, *type; } types[] = {
        { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" }, { "jpe", "image/jpeg" },
        { "png", "image/png" },  { "webp", "image/webp" }, { "avif", "image/avif" },
        { "heic", "image/heic" }, { "heif", "image/heif" }, { "gif", "image/gif" },
        { "tif", "image/tiff" }, { "tiff", "image/tiff" }, { "svg", "image/svg+xml" },
        { "jxl", "image/jxl" },  { "bmp", "image/bmp" },  { "json", "application/json" },
    };
    const char *base = strrchr(key, '/');
    const char *dot = strrchr(base ? base + 1 : key, '.');

    if (!dot)
        return "";
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (strcasecmp(dot + 1, types[i].ext) == 0)
            return types[i].type;
    return "";
}

/* Reads bucket/key whole into out->data (malloc()ed; the host takes it over)
 * after refusing a file over max_bytes (0: no limit).  info may be NULL. */
static int fs_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    const pix_host *host = ctx->host;
    char *path = fs_path(host, job, bucket, key);
    unsigned char *data = NULL;
    int fd = -1, rc = -1;
    struct stat sb;

    if (!path)
        return -1;
    /* O_NONBLOCK: a FIFO named as an input would block open() until a
     * writer comes; it is refused below as not a regular file instead. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        host->job_error(job, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &sb) != 0) {
        host->job_error(job, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        host->job_error(job, "%s is not a regular file", path);
        goto out;
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (max_bytes && size > max_bytes) {
        host->job_error(job, "%s is %llu bytes, over the %llu-byte limit (limits.max_input_bytes)",
                        path, (unsigned long long)size, (unsigned long long)max_bytes);
        goto out;
    }
    if (size > SIZE_MAX - 1) {
        host->job_error(job, "%s is %llu bytes, too large for memory", path,
                        (unsigned long long)size);
        goto out;
    }
    /* +1 so an empty file still gets a non-NULL buffer. */
    data = malloc((size_t)size + 1);
    if (!data) {
        host->job_error(job, "cannot read %s: out of memory for %llu bytes", path,
                        (unsigned long long)size);
        goto out;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, data + got, (size_t)size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            host->job_error(job, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            host->job_error(job, "cannot read %s: file shrank from %llu to %zu bytes while reading",
                            path, (unsigned long long)size, got);
            goto out;
        }
        got += (size_t)n;
    }
    out->data = data;
    out->len = got;
    data = NULL;
    if (info) {
        memset(info, 0, sizeof *info);
        info->size = got;
        /* A cheap change tag: what make(1) and rsync look at too. */
        snprintf(info->etag, sizeof info->etag, "%lld.%09ld-%llu", (long long)sb.st_mtim.tv_sec,
                 (long)sb.st_mtim.tv_nsec, (unsigned long long)size);
        snprintf(info->content_type, sizeof info->content_type, "%s", fs_guess_type(key));
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(data);
    free(path);
    return rc;
}

/* mkdir -p of dir (modified in place and restored).  Concurrent jobs may
 * create the same folders, so EEXIST is success. */
static int fs_mkdirs(const pix_host *host, pix_job *job, char *dir)
{
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            host->job_error(job, "cannot create folder %s: %s", dir, strerror(errno));
            *p = saved;
            return -1;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        host->job_error(job, "cannot create folder %s: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(sb.st_mode)) {
        host->job_error(job, "cannot create folder %s: a file is in the way", dir);
        return -1;
    }
    return 0;
}

static int fs_write_all(int fd, const unsigned char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fs_sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int rc = fsync(dfd);
    int saved = errno;
    close(dfd);
    errno = saved;
    return rc;
}

/* Writes data (borrowed) at bucket/key through a temp file renamed over it. */
static int fs_put(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  const void *data, size_t len, const pix_put_info *put)
{
    const fs_config *cfg = ctx->config;
    const fs_state *st = ctx->state;
    const pix_host *host = ctx->host;
    char *path = fs_path(host, job, bucket, key);
    char *dir = NULL, *tmp = NULL;
    int fd = -1, rc = -1;

    (void)put; /* a file has nowhere to keep a content type or user metadata */
    if (!path)
        return -1;
    char *slash = strrchr(path, '/');
    dir = strndup(path, (size_t)(slash - path));
    const char *base = slash + 1;
    if (!dir || asprintf(&tmp, "%s/.%s.XXXXXX", dir, base) < 0) {
        tmp = NULL;
        host->job_error(job, "out of memory");
        goto out;
    }
    if (*dir && fs_mkdirs(host, job, dir) != 0)
        goto out;
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        host->job_error(job, "cannot create a temp file in %s: %s", dir, strerror(errno));
        free(tmp);
        tmp = NULL; /* nothing to unlink */
        goto out;
    }
    if (fs_write_all(fd, data, len) != 0) {
        host->job_error(job, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fchmod(fd, st->file_mode) != 0) {
        host->job_error(job, "cannot set the mode of %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (cfg->fsync && fsync(fd) != 0) {
        host->job_error(job, "cannot flush %s: %s", tmp, strerror(errno));
        goto out;
    }
    int crc = close(fd);
    fd = -1;
    if (crc != 0) {
        host->job_error(job, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) != 0) {
        host->job_error(job, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL; /* renamed: nothing to clean up any more */
    /* The rename is durable only once the folder entry is on disk. */
    if (cfg->fsync && fs_sync_dir(*dir ? dir : "/") != 0) {
        host->job_error(job, "cannot flush folder %s: %s", dir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (tmp)
        unlink(tmp);
    free(tmp);
    free(dir);
    free(path);
    return rc;
}

PIX_STORAGE_PLUGIN("storage-fs", "1.0.0",
                   "Objects as files: a bucket is a folder, a key a path inside it", fs_get,
                   fs_put, .scheme = "file", .default_root = "./out", .options = fs_options,
                   .config_size = sizeof(fs_config), .create = fs_create, .destroy = fs_destroy);
