/* @NAME@: a pixpipe storage backend.  Say here where objects live.
 *
 * Built from `make new-plugin KIND=storage`; see docs/plugins.md.  As it
 * stands it keeps objects as files, a bucket being a folder and a key a
 * path inside it: replace get() and put() with your store's calls.
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fchmod under -std=c11 */

#include <errno.h>
#include <fcntl.h>
#include <pixpipe/pixpipe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "bucket/key" (caller frees), or NULL after recording why on the job. */
static char *@SYM@_path(const pix_host *host, pix_job *job, const char *bucket,
                        const char *key)
{
    const char *why = NULL;
    if (host->key_check(key, &why) != 0) {
        host->job_error(job, "refusing key '%s': %s", key, why);
        return NULL;
    }
    size_t n = strlen(bucket) + strlen(key) + 2;
    char *path = malloc(n);
    if (!path) {
        host->job_error(job, "out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/%s", bucket, key);
    return path;
}

/* Reads bucket/key whole into out->data (malloc()ed; the host takes it
 * over), after refusing a file over max_bytes (0: no limit). */
static int @SYM@_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                     uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    const pix_host *host = ctx->host;
    char *path = @SYM@_path(host, job, bucket, key);
    unsigned char *data = NULL;
    int fd = -1, rc = -1;
    struct stat sb;
    if (!path)
        goto out;
    if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0) {
        host->job_error(job, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (max_bytes && (uint64_t)sb.st_size > max_bytes) {
        host->job_error(job, "%s is %lld bytes, over the limit of %llu", path,
                        (long long)sb.st_size, (unsigned long long)max_bytes);
        goto out;
    }
    size_t len = (size_t)sb.st_size, got = 0;
    if (!(data = malloc(len ? len : 1))) {
        host->job_error(job, "out of memory reading %s", path);
        goto out;
    }
    while (got < len) {
        ssize_t n = read(fd, data + got, len - got);
        if (n <= 0) {
            host->job_error(job, "cannot read %s: %s", path,
                            n < 0 ? strerror(errno) : "file shrank while read");
            goto out;
        }
        got += (size_t)n;
    }
    out->data = data; /* the host frees it */
    out->len = len;
    data = NULL;
    info->size = len;
    /* Fill info->etag and info->content_type too when your store has them:
     * they go into the metadata record ("" means unknown). */
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    free(data);
    free(path);
    return rc;
}

/* Creates the folders above path, like mkdir -p on its dirname. */
static int @SYM@_mkdirs(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* Writes len bytes of data to fd: 0, or -1 with errno set. */
static int @SYM@_write_all(int fd, const unsigned char *data, size_t len)
{
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* Writes data (borrowed) at bucket/key, all or nothing. */
static int @SYM@_put(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                     const void *data, size_t len, const pix_put_info *put)
{
    const pix_host *host = ctx->host;
    char *path = @SYM@_path(host, job, bucket, key), *tmp = NULL;
    int fd = -1, rc = -1;
    bool made = false;
    (void)put; /* content type and user metadata: files keep neither */
    if (!path)
        goto out;
    size_t n = strlen(path) + 8;
    if (!(tmp = malloc(n))) {
        host->job_error(job, "out of memory");
        goto out;
    }
    /* Write beside the object and rename: readers never see half a file. */
    snprintf(tmp, n, "%s.XXXXXX", path);
    if (@SYM@_mkdirs(tmp) == 0 && (fd = mkstemp(tmp)) >= 0) {
        made = true;
        if (@SYM@_write_all(fd, data, len) == 0 && fchmod(fd, 0644) == 0) {
            int closed = close(fd);
            fd = -1;
            if (closed == 0 && rename(tmp, path) == 0)
                rc = 0;
        }
    }
    if (rc != 0) /* errno is still the failed call's */
        host->job_error(job, "cannot write %s: %s", path, strerror(errno));
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && made)
        unlink(tmp);
    free(tmp);
    free(path);
    return rc;
}

/* No state: the host table comes with every call (ctx->host).  A store
 * that needs a connection or a client opens it in a .create callback and
 * keeps it in *state (ctx->state afterwards); options go in a table as in
 * a stage (.options, .config_size, read as ctx->config). */
PIX_STORAGE_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying where objects live",
                   @SYM@_get, @SYM@_put,
                   /* objects are named @SCHEME@://BUCKET/KEY */
                   .scheme = "@SCHEME@");
