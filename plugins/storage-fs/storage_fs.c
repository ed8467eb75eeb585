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
 * list() walks the bucket folder in the order S3 lists keys (bytes of the
 * whole key), 1000 files a page; the token is the page's last key, and the
 * next page starts strictly after it.  The walk is as safe as a folder walk
 * of the core (core/inputs.c): no symbolic link is followed (each subfolder
 * is opened relative to its parent with O_NOFOLLOW), hidden entries (put()'s
 * temp files among them) and anything but regular files are left out, a
 * folder met again inside itself (a bind mount) is not walked twice, and
 * nesting past 64 levels is an error.  Each entry's etag is exactly what
 * get() gives for the same file.
 *
 * head() is get()'s info from stat() alone.
 *
 * remove() unlinks the file (a missing one is success) and then the
 * folders it leaves empty, up to but never including the bucket.
 *
 * Options:
 *   fsync (bool, default true)  flush each object and its folder to disk
 *                               before put() returns.
 *
 * The config and the state are read-only after create(), so jobs may run
 * concurrently.
 */
#include <dirent.h>
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

/* The change tag of a file: its modification time to the nanosecond and
 * its size, what make(1) and rsync look at too.  get() and list() both use
 * it, so a listed etag equals the one a get() of the same file gives. */
static void fs_etag(const struct stat *sb, char *buf, size_t size)
{
    snprintf(buf, size, "%lld.%09ld-%llu", (long long)sb->st_mtim.tv_sec,
             (long)sb->st_mtim.tv_nsec, (unsigned long long)sb->st_size);
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
        fs_etag(&sb, info->etag, sizeof info->etag);
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
    /* A concurrent remove() prunes the folders it leaves empty, so the
     * folder may go between its creation and the temp file's: make it
     * again then, a few times.  Once the temp file is in, the folder is not
     * empty and stays. */
    for (int attempt = 1;; attempt++) {
        if (*dir && fs_mkdirs(host, job, dir) != 0)
            goto out;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT || attempt == 3)
            break;
        memcpy(tmp + strlen(tmp) - 6, "XXXXXX", 6); /* mkostemp() filled them in */
    }
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

/* What get() would say of bucket/key, from stat() alone: the core's
 * --only-stale and `pixpipe watch` compare the etag without reading. */
static int fs_head(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                   pix_object_info *info)
{
    const pix_host *host = ctx->host;
    char *path = fs_path(host, job, bucket, key);
    struct stat sb;
    int rc = -1;

    if (!path)
        return -1;
    if (stat(path, &sb) != 0) {
        host->job_error(job, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        host->job_error(job, "%s is not a regular file", path);
        goto out;
    }
    memset(info, 0, sizeof *info);
    info->size = (uint64_t)sb.st_size;
    fs_etag(&sb, info->etag, sizeof info->etag);
    snprintf(info->content_type, sizeof info->content_type, "%s", fs_guess_type(key));
    rc = 0;
out:
    free(path);
    return rc;
}

/* ------------------------------------------------------------------ list */

/* The most files a page holds (what S3 gives). */
#define FS_LIST_PAGE 1000
/* How deep a listing walks below the bucket, as the core's folder walk. */
#define FS_LIST_MAX_DEPTH 64
/* The longest key a walk can build: a name per level and its '/'. */
#define FS_KEY_MAX ((FS_LIST_MAX_DEPTH + 2) * (NAME_MAX + 1) + 1)

/* One entry of a folder: its name, with a '/' appended for a folder, so
 * that sorting these names sorts the keys below them in whole-key byte
 * order ("a.jpg" before "a/b.jpg", since '.' < '/'). */
typedef struct fs_entry {
    char *name; /* owned */
    bool dir;
} fs_entry;

typedef struct fs_lister {
    const pix_host *host;
    pix_job *job;
    const char *bucket;
    const char *prefix;
    size_t prefix_len;
    const char *token;  /* the previous page's last key; NULL: first page */
    size_t token_len;
    pix_list_fn each;
    void *user;
    size_t n;           /* files handed to each on this page              */
    bool more;          /* a file past the page's last was seen           */
    /* The folders being walked, outermost first (see core/inputs.c): a
     * bind mount that puts a folder inside itself is not walked again. */
    dev_t dev[FS_LIST_MAX_DEPTH + 1];
    ino_t ino[FS_LIST_MAX_DEPTH + 1];
    char key[FS_KEY_MAX];  /* the key being built                          */
    char last[FS_KEY_MAX]; /* the last key handed to each                  */
} fs_lister;

static int fs_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const fs_entry *)a)->name, ((const fs_entry *)b)->name);
}

static void fs_entries_free(fs_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

/* Compares the first min(len, prefix_len) bytes of key with the prefix:
 * 0 when one starts with the other (files below key may match), < 0 or > 0
 * when every key starting with key sorts before or after the prefix's. */
static int fs_prefix_cmp(const fs_lister *l, const char *key, size_t len)
{
    return memcmp(key, l->prefix, len < l->prefix_len ? len : l->prefix_len);
}

/* Whether a folder whose keys all start with key (len bytes) holds keys
 * after the token: not when key sorts before the token without being a
 * start of it, and then the folder is not even opened. */
static bool fs_after_token(const fs_lister *l, const char *key, size_t len)
{
    return !l->token || memcmp(key, l->token, len < l->token_len ? len : l->token_len) >= 0;
}

/* The visible entries of the folder open as d (whose key is the first
 * klen bytes of l->key), sorted, into *out (caller frees with
 * fs_entries_free()).  Links and anything but files and folders are left
 * out here; d_type says which is which, and fstatat() without following
 * links where the file system does not fill it in.  Returns 0, or -1
 * after host->job_error(). */
static int fs_read_folder(fs_lister *l, DIR *d, size_t klen, fs_entry **out, size_t *n_out)
{
    fs_entry *e = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    for (errno = 0; (de = readdir(d)); errno = 0) {
        if (de->d_name[0] == '.')
            continue; /* hidden, put()'s temp files, "." and ".." */
        unsigned char type = de->d_type;
        if (type == DT_UNKNOWN) {
            struct stat sb;
            if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                continue; /* gone meanwhile */
            type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_LNK;
        }
        if (type != DT_DIR && type != DT_REG)
            continue; /* a link is not followed; a FIFO or device is no object */
        if (n == cap) {
            size_t ncap = cap ? 2 * cap : 64;
            fs_entry *ne = realloc(e, ncap * sizeof *ne);
            if (!ne)
                goto nomem;
            e = ne;
            cap = ncap;
        }
        bool dir = type == DT_DIR;
        if (asprintf(&e[n].name, "%s%s", de->d_name, dir ? "/" : "") < 0)
            goto nomem;
        e[n++].dir = dir;
    }
    if (errno) {
        l->host->job_error(l->job, "cannot read folder %s/%.*s: %s", l->bucket, (int)klen,
                           l->key, strerror(errno));
        fs_entries_free(e, n);
        return -1;
    }
    /* qsort(NULL, 0, ...) is undefined behaviour */
    if (n > 1)
        qsort(e, n, sizeof *e, fs_entry_cmp);
    *out = e;
    *n_out = n;
    return 0;
nomem:
    l->host->job_error(l->job, "cannot list folder %s: out of memory", l->bucket);
    fs_entries_free(e, n);
    return -1;
}

/* Hands the file l->key (klen bytes, named name in the folder d) to each,
 * or notes that the page is full.  Returns 0 to go on, 1 when the page is
 * complete, -1 after an error was recorded. */
static int fs_list_file(fs_lister *l, DIR *d, const char *name, size_t klen)
{
    struct stat sb;

    if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT)
            return 0; /* removed since the folder was read */
        return l->host->job_error(l->job, "cannot stat %s/%s: %s", l->bucket, l->key,
                                  strerror(errno));
    }
    if (!S_ISREG(sb.st_mode))
        return 0; /* replaced by a link or other since the folder was read */
    if (l->n == FS_LIST_PAGE) {
        l->more = true;
        return 1;
    }
    char etag[sizeof ((pix_object_info *)0)->etag];
    fs_etag(&sb, etag, sizeof etag);
    pix_object_entry e = {
        .key = l->key, .size = (uint64_t)sb.st_size, .etag = etag,
        .mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000,
    };
    if (l->each(l->user, &e) < 0)
        return -1; /* each recorded why */
    memcpy(l->last, l->key, klen + 1);
    l->n++;
    return 0;
}

static int fs_list_walk(fs_lister *l, int dfd, size_t klen, int depth);

/* Walks the subfolder name of d (its key "rel/name/" is l->key, klen
 * bytes) at depth.  Returns as fs_list_walk(). */
static int fs_list_folder(fs_lister *l, DIR *d, const char *name, size_t klen, int depth)
{
    if (depth > FS_LIST_MAX_DEPTH)
        return l->host->job_error(l->job, "cannot list folder %s: %s/%.*s nests deeper than %d "
                                  "levels", l->bucket, l->bucket, (int)(klen - 1), l->key,
                                  FS_LIST_MAX_DEPTH);
    /* Relative to its parent and without following a link, so a folder
     * swapped for a link since it was read is not entered either. */
    int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (sub < 0) {
        if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
            return 0; /* gone, or no longer a folder */
        return l->host->job_error(l->job, "cannot read folder %s/%.*s: %s", l->bucket,
                                  (int)(klen - 1), l->key, strerror(errno));
    }
    if (fstat(sub, &sb) != 0) {
        int rc = l->host->job_error(l->job, "cannot read folder %s/%.*s: %s", l->bucket,
                                    (int)(klen - 1), l->key, strerror(errno));
        close(sub);
        return rc;
    }
    for (int k = 0; k < depth; k++) {
        if (l->dev[k] == sb.st_dev && l->ino[k] == sb.st_ino) {
            close(sub);
            return 0; /* a folder it lies in: listed once, where it is */
        }
    }
    l->dev[depth] = sb.st_dev;
    l->ino[depth] = sb.st_ino;
    return fs_list_walk(l, sub, klen, depth);
}

/* Lists the folder open at dfd (taken over), whose key ("" for the bucket,
 * else "rel/") is the first klen bytes of l->key, at depth (0: the bucket).
 * Returns 0 to go on, 1 when the page is complete, -1 after an error was
 * recorded. */
static int fs_list_walk(fs_lister *l, int dfd, size_t klen, int depth)
{
    DIR *d = fdopendir(dfd);
    fs_entry *e = NULL;
    size_t n = 0;
    int rc = -1;

    if (!d) {
        l->host->job_error(l->job, "cannot read folder %s/%.*s: %s", l->bucket, (int)klen,
                           l->key, strerror(errno));
        close(dfd);
        return -1;
    }
    if (fs_read_folder(l, d, klen, &e, &n) != 0)
        goto out;
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t len = strlen(e[i].name);
        if (klen + len >= sizeof l->key) {
            rc = l->host->job_error(l->job, "cannot list folder %s: a key under %.*s is longer "
                                    "than %zu bytes", l->bucket, (int)klen, l->key,
                                    sizeof l->key - 1);
            break;
        }
        memcpy(l->key + klen, e[i].name, len + 1);
        size_t sub = klen + len;
        /* Entries come in key order: past the prefix's keys, none of the
         * rest can match. */
        int c = fs_prefix_cmp(l, l->key, sub);
        if (c > 0)
            break;
        if (c < 0)
            continue;
        if (e[i].dir) {
            if (fs_after_token(l, l->key, sub))
                rc = fs_list_folder(l, d, e[i].name, sub, depth + 1);
        } else if (sub >= l->prefix_len && (!l->token || strcmp(l->key, l->token) > 0)) {
            rc = fs_list_file(l, d, e[i].name, sub);
        }
    }
out:
    l->key[klen] = '\0';
    fs_entries_free(e, n);
    closedir(d);
    return rc;
}

/* One page of the files under bucket whose keys start with prefix, after
 * the key token. */
static int fs_list(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *prefix,
                   const char *token, pix_list_fn each, void *user, char *next)
{
    const pix_host *host = ctx->host;
    fs_lister *l = NULL;
    int rc = -1;

    next[0] = '\0';
    if (!bucket || !*bucket)
        return host->job_error(job, "no bucket (folder) given to list");
    if (!(l = calloc(1, sizeof *l)))
        return host->job_error(job, "cannot list folder %s: out of memory", bucket);
    *l = (fs_lister){ .host = host, .job = job, .bucket = bucket, .prefix = prefix ? prefix : "",
                      .token = token && *token ? token : NULL, .each = each, .user = user };
    l->prefix_len = strlen(l->prefix);
    l->token_len = l->token ? strlen(l->token) : 0;
    /* The bucket itself is trusted, as for get() and put(): a link to it is
     * followed; nothing below it is. */
    int fd = open(bucket, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        host->job_error(job, "cannot list folder %s: %s", bucket, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    l->dev[0] = sb.st_dev;
    l->ino[0] = sb.st_ino;
    int got = fs_list_walk(l, fd, 0, 0);
    if (got < 0)
        goto out;
    if (l->more) {
        /* Cutting the token would make the next page start elsewhere. */
        size_t len = strlen(l->last);
        if (len > PIX_LIST_TOKEN_MAX - 1) {
            host->job_error(job, "cannot list folder %s past key '%.64s...': it is %zu bytes, "
                            "over the %d a continuation token holds", bucket, l->last, len,
                            PIX_LIST_TOKEN_MAX - 1);
            goto out;
        }
        memcpy(next, l->last, len + 1);
    }
    rc = 0;
out:
    free(l);
    return rc;
}

/* ---------------------------------------------------------------- remove */

/* Removes the folders of path (bucket/key) that the removal left empty,
 * deepest first, from the key's own folder up to and never including the
 * bucket: key_start is where the key begins in path (modified in place).
 * A folder that is not empty (or already gone, pruned by a concurrent
 * remove) ends the pruning quietly. */
static void fs_prune(const pix_ctx *ctx, char *path, size_t key_start)
{
    for (char *slash = strrchr(path, '/'); slash && slash > path + key_start;
         slash = strrchr(path, '/')) {
        *slash = '\0';
        if (rmdir(path) == 0)
            continue;
        /* The object itself is gone, which is what remove() promises; a
         * folder left behind is worth a warning, not a failure that every
         * retry would hit again. */
        if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT && errno != ENOTDIR)
            ctx->host->log(ctx, PIX_LOG_WARN, "cannot remove the empty folder %s: %s", path,
                           strerror(errno));
        return;
    }
}

/* Removes bucket/key, then the folders left empty.  A missing file is
 * success (also when a folder on its path is a file: the key cannot be
 * there). */
static int fs_remove(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key)
{
    const pix_host *host = ctx->host;
    char *path = fs_path(host, job, bucket, key);
    int rc = -1;

    if (!path)
        return -1;
    if (unlink(path) != 0 && errno != ENOENT && errno != ENOTDIR) {
        host->job_error(job, "cannot remove %s: %s", path, strerror(errno));
        goto out;
    }
    /* Also after ENOENT: a remove retried after its pruning failed tidies up. */
    fs_prune(ctx, path, strlen(path) - strlen(key));
    rc = 0;
out:
    free(path);
    return rc;
}

PIX_STORAGE_PLUGIN("storage-fs", "1.1.0",
                   "Objects as files: a bucket is a folder, a key a path inside it", fs_get,
                   fs_put, .head = fs_head, .list = fs_list, .remove = fs_remove, .scheme = "file",
                   .default_root = "./out", .options = fs_options,
                   .config_size = sizeof(fs_config), .create = fs_create, .destroy = fs_destroy);
