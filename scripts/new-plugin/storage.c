/* @NAME@: a pixpipe storage backend.  Say here where objects live.
 *
 * Built from `make new-plugin KIND=storage`; see docs/plugins.md.  As it
 * stands it keeps objects as files, a bucket being a folder and a key a
 * path inside it: replace each callback with your store's calls.
 *
 *   get(), put()   required: read an object whole, write one all or nothing
 *   head()         optional: get()'s info without the bytes (--dry-run,
 *                  --only-stale)
 *   list()         optional: a page of keys in key order (backfills:
 *                  pixpipe run s3://BUCKET/PREFIX/)
 *   remove()       optional: delete an object (on_delete: remove)
 */
#define _POSIX_C_SOURCE 200809L /* mkstemp, fchmod, openat under -std=c11 */

#include <dirent.h>
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

/* The object's change tag: its modification time and size.  get(), head()
 * and list() give the same one for the same file, so --only-stale can
 * compare a listing with the stored record without reading anything. */
static void @SYM@_etag(const struct stat *sb, char *buf, size_t size)
{
    snprintf(buf, size, "%lld.%09ld-%llu", (long long)sb->st_mtim.tv_sec,
             (long)sb->st_mtim.tv_nsec, (unsigned long long)sb->st_size);
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
    @SYM@_etag(&sb, info->etag, sizeof info->etag);
    /* Fill info->content_type too when your store has one: it goes into
     * the metadata record ("" means unknown). */
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
    size_t n = strlen(path) + 9;
    if (!(tmp = malloc(n))) {
        host->job_error(job, "out of memory");
        goto out;
    }
    /* Write a hidden file beside the object and rename it: readers never
     * see half a file, and list() leaves hidden names out. */
    const char *base = strrchr(path, '/') + 1;
    snprintf(tmp, n, "%.*s.%s.XXXXXX", (int)(base - path), path, base);
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

/* What get() would say of bucket/key, from stat() alone: --dry-run plans
 * with it, and --only-stale compares its etag with the stored record's. */
static int @SYM@_head(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                      pix_object_info *info)
{
    const pix_host *host = ctx->host;
    char *path = @SYM@_path(host, job, bucket, key);
    struct stat sb;
    int rc = -1;
    if (!path)
        return -1;
    if (stat(path, &sb) != 0) {
        host->job_error(job, "cannot stat %s: %s", path, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        host->job_error(job, "%s is not a file", path);
    } else {
        info->size = (uint64_t)sb.st_size;
        @SYM@_etag(&sb, info->etag, sizeof info->etag);
        rc = 0;
    }
    free(path);
    return rc;
}

/* Removes bucket/key.  A missing file is success: a remove is idempotent
 * (a retried delete, S3 delivering an event twice).  Folders it leaves
 * empty stay. */
static int @SYM@_remove(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key)
{
    char *path = @SYM@_path(ctx->host, job, bucket, key);
    int rc = 0;
    if (!path)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR)
        rc = ctx->host->job_error(job, "cannot remove %s: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* ------------------------------------------------------------------ list */

#define LIST_PAGE 1000     /* the most objects a page holds, as in S3     */
#define LIST_MAX_DEPTH 64  /* folders below the bucket a listing enters   */

/* One object a listing found. */
typedef struct @SYM@_object {
    char *key; /* owned */
    struct stat sb;
} @SYM@_object;

/* What one list() call gathers: the objects under prefix after token. */
typedef struct @SYM@_lister {
    const pix_host *host;
    pix_job *job;
    const char *bucket, *prefix, *token; /* token "": the first page */
    @SYM@_object *obj;
    size_t n, cap;
} @SYM@_lister;

/* Adds key (taken over) to the listing.  Returns 0, or -1 after
 * host->job_error(). */
static int @SYM@_found(@SYM@_lister *l, char *key, const struct stat *sb)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        @SYM@_object *obj = realloc(l->obj, cap * sizeof *obj);
        if (!obj) {
            free(key);
            return l->host->job_error(l->job, "cannot list %s: out of memory", l->bucket);
        }
        l->obj = obj;
        l->cap = cap;
    }
    l->obj[l->n++] = (@SYM@_object){ .key = key, .sb = *sb };
    return 0;
}

/* Gathers the files of the folder open as fd (taken over) and of its
 * subfolders, whose keys start with rel ("" for the bucket, else "a/b/").
 * No symbolic link is followed, and hidden names (put()'s temp files
 * among them) are left out.  Returns 0, or -1 after host->job_error(). */
static int @SYM@_walk(@SYM@_lister *l, int fd, const char *rel, int depth)
{
    DIR *d = fdopendir(fd);
    size_t plen = strlen(l->prefix);
    struct dirent *de;
    int rc = 0;
    if (!d) {
        close(fd);
        return l->host->job_error(l->job, "cannot list %s/%s: %s", l->bucket, rel,
                                  strerror(errno));
    }
    for (errno = 0; rc == 0 && (de = readdir(d)); errno = 0) {
        struct stat sb;
        if (de->d_name[0] == '.' ||
            fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
            continue; /* hidden ("." and ".." too), or gone meanwhile */
        bool dir = S_ISDIR(sb.st_mode);
        if (!dir && !S_ISREG(sb.st_mode))
            continue; /* a link, a device: no object */
        size_t size = strlen(rel) + strlen(de->d_name) + 2;
        char *key = malloc(size);
        if (!key) {
            rc = l->host->job_error(l->job, "cannot list %s: out of memory", l->bucket);
            break;
        }
        snprintf(key, size, "%s%s%s", rel, de->d_name, dir ? "/" : "");
        size_t klen = strlen(key);
        /* Only files whose keys start with the prefix, and only folders
         * whose keys do or are a start of it ("a/" for "a/b"). */
        if (strncmp(key, l->prefix, klen < plen ? klen : plen) != 0 || (!dir && klen < plen)) {
            free(key);
        } else if (!dir) {
            if (strcmp(key, l->token) > 0) /* strictly after the last page */
                rc = @SYM@_found(l, key, &sb);
            else
                free(key);
        } else if (depth == LIST_MAX_DEPTH) {
            /* a bind mount can make a folder hold itself */
            rc = l->host->job_error(l->job, "cannot list %s: %s nests deeper than %d folders",
                                    l->bucket, key, LIST_MAX_DEPTH);
            free(key);
        } else {
            /* O_NOFOLLOW: a folder swapped for a link since is not entered */
            int sub = openat(dirfd(d), de->d_name,
                             O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                rc = @SYM@_walk(l, sub, key, depth + 1);
            else if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP) /* gone, a link */
                rc = l->host->job_error(l->job, "cannot list %s/%s: %s", l->bucket, key,
                                        strerror(errno));
            free(key);
        }
    }
    if (rc == 0 && errno)
        rc = l->host->job_error(l->job, "cannot list %s/%s: %s", l->bucket, rel,
                                strerror(errno));
    closedir(d);
    return rc;
}

static int @SYM@_key_cmp(const void *a, const void *b)
{
    return strcmp(((const @SYM@_object *)a)->key, ((const @SYM@_object *)b)->key);
}

/* One page of the objects of bucket whose keys start with prefix, in byte
 * order of the whole key (strcmp(), as S3 lists): at most LIST_PAGE, the
 * first ones after token, the last key of the page before ("" or NULL for
 * the first page).  Writes the last key of this page into next when more
 * follow, else "".
 *
 * For brevity this gathers every key under the prefix past the token and
 * sorts them, so its memory grows with the folder.  A real store lists a
 * page in key order itself (S3's ListObjectsV2, an index of a database)
 * and holds one page at a time. */
static int @SYM@_list(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *prefix,
                      const char *token, pix_list_fn each, void *user, char *next)
{
    @SYM@_lister l = { .host = ctx->host, .job = job, .bucket = bucket,
                       .prefix = prefix ? prefix : "", .token = token ? token : "" };
    int rc = -1;
    next[0] = '\0';
    /* The bucket is the pipeline's or the input's, and trusted: a link to
     * it is followed; nothing below it is. */
    int fd = open(bucket, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ctx->host->job_error(job, "cannot list %s: %s", bucket, strerror(errno));
    if (@SYM@_walk(&l, fd, "", 0) != 0)
        goto out;
    if (l.n > 1)
        qsort(l.obj, l.n, sizeof *l.obj, @SYM@_key_cmp);
    size_t page = l.n < LIST_PAGE ? l.n : LIST_PAGE;
    for (size_t i = 0; i < page; i++) {
        const struct stat *sb = &l.obj[i].sb;
        char etag[64];
        @SYM@_etag(sb, etag, sizeof etag);
        pix_object_entry e = {
            .key = l.obj[i].key, .size = (uint64_t)sb->st_size, .etag = etag,
            .mtime_ms = (int64_t)sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000,
        };
        if (each(user, &e) < 0)
            goto out; /* each() recorded why */
    }
    if (l.n > page) {
        /* The next page starts after this one's last key. */
        const char *last = l.obj[page - 1].key;
        size_t len = strlen(last);
        if (len >= PIX_LIST_TOKEN_MAX) {
            ctx->host->job_error(job, "cannot list %s past %s: the key is longer than the %d "
                                 "bytes of a continuation token", bucket, last,
                                 PIX_LIST_TOKEN_MAX - 1);
            goto out;
        }
        memcpy(next, last, len + 1);
    }
    rc = 0;
out:
    for (size_t i = 0; i < l.n; i++)
        free(l.obj[i].key);
    free(l.obj);
    return rc;
}

/* No state: the host table comes with every call (ctx->host).  A store
 * that needs a connection or a client opens it in a .create callback and
 * keeps it in *state (ctx->state afterwards); options go in a table as in
 * a stage (.options, .config_size, read as ctx->config).  head, list and
 * remove are optional: without list pixpipe refuses a backfill, without
 * remove a pipeline with on_delete: remove, and without head --dry-run
 * reads whole objects. */
PIX_STORAGE_PLUGIN("@NAME@", "0.1.0", "@NAME@: one line saying where objects live",
                   @SYM@_get, @SYM@_put, .head = @SYM@_head, .list = @SYM@_list,
                   .remove = @SYM@_remove,
                   /* objects are named @SCHEME@://BUCKET/KEY */
                   .scheme = "@SCHEME@");
