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

/* Read-only after create(): get() and put() run on several threads. */
typedef struct @SYM@_state {
    const pix_host *host;
} @SYM@_state;

static int @SYM@_create(const pix_host *host, pix_instance *self, const void *config,
                        void **state)
{
    (void)config; /* no options yet: add a table as in a stage */
    @SYM@_state *st = malloc(sizeof *st);
    if (!st) {
        host->error(self, "out of memory");
        return -1;
    }
    st->host = host;
    *state = st;
    return 0;
}

static void @SYM@_destroy(void *state)
{
    free(state);
}

/* "bucket/key" (caller frees), or NULL after recording why on the job. */
static char *@SYM@_path(const @SYM@_state *st, pix_job *job, const char *bucket,
                        const char *key)
{
    const char *why = NULL;
    if (st->host->key_check(key, &why) != 0) {
        st->host->job_error(job, "refusing key '%s': %s", key, why);
        return NULL;
    }
    size_t n = strlen(bucket) + strlen(key) + 2;
    char *path = malloc(n);
    if (!path) {
        st->host->job_error(job, "out of memory");
        return NULL;
    }
    snprintf(path, n, "%s/%s", bucket, key);
    return path;
}

static int @SYM@_get(void *state, pix_job *job, const char *bucket, const char *key,
                     uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    const @SYM@_state *st = state;
    char *path = @SYM@_path(st, job, bucket, key);
    unsigned char *data = NULL;
    int fd = -1, rc = -1;
    struct stat sb;
    if (!path)
        goto out;
    if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &sb) != 0) {
        st->host->job_error(job, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (max_bytes && (uint64_t)sb.st_size > max_bytes) {
        st->host->job_error(job, "%s is %lld bytes, over the limit of %llu", path,
                            (long long)sb.st_size, (unsigned long long)max_bytes);
        goto out;
    }
    size_t len = (size_t)sb.st_size, got = 0;
    if (!(data = malloc(len ? len : 1))) {
        st->host->job_error(job, "out of memory reading %s", path);
        goto out;
    }
    while (got < len) {
        ssize_t n = read(fd, data + got, len - got);
        if (n <= 0) {
            st->host->job_error(job, "cannot read %s: %s", path,
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

static int @SYM@_put(void *state, pix_job *job, const char *bucket, const char *key,
                     const void *data, size_t len, const pix_put_info *put)
{
    const @SYM@_state *st = state;
    char *path = @SYM@_path(st, job, bucket, key), *tmp = NULL;
    int fd = -1, rc = -1;
    bool made = false;
    (void)put; /* content type and user metadata: files keep neither */
    if (!path)
        goto out;
    size_t n = strlen(path) + 8;
    if (!(tmp = malloc(n))) {
        st->host->job_error(job, "out of memory");
        goto out;
    }
    /* Write beside the object and rename: readers never see half a file. */
    snprintf(tmp, n, "%s.XXXXXX", path);
    if (@SYM@_mkdirs(tmp) != 0 || (fd = mkstemp(tmp)) < 0) {
        st->host->job_error(job, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    made = true;
    const unsigned char *p = data;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0) {
            st->host->job_error(job, "cannot write %s: %s", path, strerror(errno));
            goto out;
        }
        done += (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || close(fd) != 0) {
        fd = -1;
        st->host->job_error(job, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        st->host->job_error(job, "cannot write %s: %s", path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0 && made)
        unlink(tmp);
    free(tmp);
    free(path);
    return rc;
}

PIX_STORAGE_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying where objects live",
                   .create = @SYM@_create, .destroy = @SYM@_destroy,
                   .ops.storage.get = @SYM@_get, .ops.storage.put = @SYM@_put);
