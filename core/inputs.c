#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grow.h"
#include "log.h"
#include "paths.h"

/* Appends one input holding copies of bucket and key (borrowed), and of
 * display escaped for a log line (pix_log_escape): a name with a line break
 * or a terminal escape in it can then never forge a line of the report.
 * Returns 0, or -1 when out of memory with nothing added. */
static int push(pix_inputs *in, const char *bucket, const char *key, const char *display,
                bool from_folder)
{
    pix_input *items = pix_grow(in->items, in->n, &in->cap, sizeof *items, 64);
    if (!items)
        return -1;
    in->items = items;
    pix_input *it = &in->items[in->n];
    size_t room = 4 * strlen(display) + 1;
    it->bucket = strdup(bucket);
    it->key = strdup(key);
    it->display = malloc(room);
    it->from_folder = from_folder;
    it->s3 = false;
    it->sequencer = NULL;
    it->message_id = NULL;
    it->etag = NULL;
    it->removed = false;
    if (!it->bucket || !it->key || !it->display) {
        free(it->bucket);
        free(it->key);
        free(it->display);
        return -1;
    }
    pix_log_escape(display, it->display, room);
    in->n++;
    if (in->on_page && in->n >= in->page_size)
        in->on_page(in, in->page_user);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A folder walk never leaves the folder it was given and always ends:
 * entries are looked at without following links (fstatat with
 * AT_SYMLINK_NOFOLLOW), each subfolder is opened relative to its parent
 * with O_NOFOLLOW (so one swapped for a link meanwhile is not entered
 * either), and nesting is capped. */
#define PIX_WALK_MAX_DEPTH 64

typedef struct walker {
    pix_inputs *in;
    const char *root;  /* the folder's real path: the bucket of every input */
    const char *shown; /* the folder as the user wrote it, for messages     */
    bool exclude;      /* whether ex_dev/ex_ino name a folder to pass over */
    dev_t ex_dev;
    ino_t ex_ino;
    /* The folders being walked, outermost first: a bind mount that puts a
     * folder inside itself would otherwise be walked until the depth cap,
     * once per branch. */
    dev_t dev[PIX_WALK_MAX_DEPTH + 1];
    ino_t ino[PIX_WALK_MAX_DEPTH + 1];
    pix_err *err;
} walker;

/* Walks the folder open at dfd (taken over), which is root/rel at the
 * given depth (0 for the root), in name order so runs are reproducible. */
static int walk(walker *w, int dfd, const char *rel, int depth)
{
    DIR *d = fdopendir(dfd);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;

    if (!d) {
        pix_err_set(w->err, "cannot read folder %s%s%s: %s", w->shown, rel[0] ? "/" : "", rel,
                    strerror(errno));
        close(dfd);
        goto out;
    }
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char **nn = pix_grow(names, n, &cap, sizeof *nn, 32);
        if (!nn || !(nn[n] = strdup(de->d_name))) {
            names = nn ? nn : names;
            pix_err_set(w->err, "out of memory");
            goto out;
        }
        names = nn;
        n++;
        errno = 0;
    }
    if (errno) {
        pix_err_set(w->err, "cannot read folder %s%s%s: %s", w->shown, rel[0] ? "/" : "", rel,
                    strerror(errno));
        goto out;
    }
    /* qsort(NULL, 0, ...) is undefined behaviour, and an empty folder has
     * no array at all. */
    if (n > 1)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char *key = rel[0] ? pix_path_join(rel, names[i]) : strdup(names[i]);
        char *display = key ? pix_path_join(w->shown, key) : NULL;
        struct stat st;
        int r = 0;
        if (!key || !display) {
            r = pix_err_set(w->err, "out of memory");
        } else if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
            /* gone meanwhile: the job says so */
            if (push(w->in, w->root, key, display, true) < 0)
                r = pix_err_set(w->err, "out of memory");
        } else if (S_ISLNK(st.st_mode)) {
            /* Its target may lie outside the folder (/etc) or be an
             * ancestor (a loop): links are not followed in a walk. */
            pix_log(PIX_LOG_INFO, NULL, "%s: a symbolic link, not followed in a folder walk "
                    "(name it on the command line to process it)", display);
        } else if (S_ISDIR(st.st_mode)) {
            bool seen = false;
            for (int k = 0; k <= depth; k++)
                seen |= w->dev[k] == st.st_dev && w->ino[k] == st.st_ino;
            if (seen)
                pix_log(PIX_LOG_INFO, NULL, "%s: the folder is one it lies in (a bind mount), "
                        "not walked again", display);
            else if (!(w->exclude && st.st_dev == w->ex_dev && st.st_ino == w->ex_ino)) {
                int sub = -1;
                if (depth + 1 > PIX_WALK_MAX_DEPTH)
                    r = pix_err_set(w->err, "%s: folders nest deeper than %d levels below %s; "
                                    "pixpipe walks at most %d", display, PIX_WALK_MAX_DEPTH,
                                    w->shown, PIX_WALK_MAX_DEPTH);
                else if ((sub = openat(dirfd(d), names[i],
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
                    r = pix_err_set(w->err, "cannot read folder %s: %s", display,
                                    strerror(errno));
                else {
                    w->dev[depth + 1] = st.st_dev;
                    w->ino[depth + 1] = st.st_ino;
                    r = walk(w, sub, key, depth + 1);
                }
            }
        } else if (!S_ISREG(st.st_mode)) {
            /* A FIFO would block the job that opens it, a device could be
             * read without end. */
            pix_log(PIX_LOG_INFO, NULL, "%s: not a regular file, passed over in a folder walk",
                    display);
        } else if (push(w->in, w->root, key, display, true) < 0) {
            r = pix_err_set(w->err, "out of memory");
        }
        free(key);
        free(display);
        if (r < 0)
            goto out;
    }
    rc = 0;
out:
    if (d)
        closedir(d);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

/* Walks the folder arg, whose real path is real. */
static int walk_root(pix_inputs *in, const char *arg, const char *real, const char *exclude,
                     pix_err *err)
{
    walker *w = calloc(1, sizeof *w);
    struct stat st, ex;
    int fd = -1, rc = -1;

    if (!w)
        return pix_err_set(err, "out of memory");
    *w = (walker){ .in = in, .root = real, .shown = arg, .err = err };
    /* A destination that does not exist yet cannot lie inside the folder. */
    if (exclude && stat(exclude, &ex) == 0) {
        w->exclude = true;
        w->ex_dev = ex.st_dev;
        w->ex_ino = ex.st_ino;
    }
    if ((fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        pix_err_set(err, "cannot read folder %s: %s", arg, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    w->dev[0] = st.st_dev;
    w->ino[0] = st.st_ino;
    rc = walk(w, fd, "", 0);
out:
    free(w);
    return rc;
}

int pix_inputs_add(pix_inputs *in, const char *arg, const char *exclude, pix_err *err)
{
    struct stat st;
    char real[PATH_MAX];

    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!realpath(arg, real))
            return pix_err_set(err, "cannot resolve folder %s", arg);
        return walk_root(in, arg, real, exclude, err);
    }
    /* A file: its folder is the bucket, its name the key. */
    char *copy = strdup(arg);
    if (!copy)
        return pix_err_set(err, "out of memory");
    char *slash = strrchr(copy, '/');
    const char *name = slash ? slash + 1 : copy;
    const char *folder = ".";
    if (slash == copy)
        folder = "/";
    else if (slash) {
        *slash = '\0';
        folder = copy;
    }
    int rc;
    if (!*name)
        rc = pix_err_set(err, "%s: not a file name", arg);
    else
        rc = push(in, realpath(folder, real) ? real : folder, name, arg, false) < 0
                 ? pix_err_set(err, "out of memory") : 0;
    free(copy);
    return rc;
}

void pix_inputs_truncate(pix_inputs *in, size_t n)
{
    for (size_t i = n; i < in->n; i++) {
        free(in->items[i].bucket);
        free(in->items[i].key);
        free(in->items[i].display);
        free(in->items[i].sequencer);
        free(in->items[i].message_id);
        free(in->items[i].etag);
    }
    if (n < in->n)
        in->n = n;
}

void pix_inputs_free(pix_inputs *in)
{
    pix_inputs_truncate(in, 0);
    free(in->items);
    memset(in, 0, sizeof *in);
}

int pix_inputs_add_s3_msg(pix_inputs *in, const char *bucket, const char *key,
                          const char *sequencer, const char *message_id, const char *display,
                          pix_err *err)
{
    if (!*bucket || !*key)
        return pix_err_set(err, "%s: an S3 object needs a bucket and a key", display);
    if (push(in, bucket, key, display, false) < 0)
        return pix_err_set(err, "out of memory");
    pix_input *it = &in->items[in->n - 1];
    it->s3 = true;
    /* A half-made input is dropped, so the caller never sees one. */
    if ((sequencer && *sequencer && !(it->sequencer = strdup(sequencer))) ||
        (message_id && !(it->message_id = strdup(message_id)))) {
        pix_inputs_truncate(in, in->n - 1);
        return pix_err_set(err, "out of memory");
    }
    return 0;
}

int pix_inputs_add_s3(pix_inputs *in, const char *bucket, const char *key, const char *sequencer,
                      const char *display, pix_err *err)
{
    return pix_inputs_add_s3_msg(in, bucket, key, sequencer, NULL, display, err);
}

int pix_inputs_add_s3_uri(pix_inputs *in, const char *uri, pix_err *err)
{
    const char *b = uri + 5; /* after "s3://" */
    const char *slash = strchr(b, '/');
    if (!slash || slash == b || !slash[1])
        return pix_err_set(err, "%s: expected s3://BUCKET/KEY", uri);
    char *bucket = strndup(b, (size_t)(slash - b));
    if (!bucket)
        return pix_err_set(err, "out of memory");
    int rc = pix_inputs_add_s3(in, bucket, slash + 1, NULL, uri, err);
    free(bucket);
    return rc;
}

int pix_inputs_add_listed(pix_inputs *in, const char *bucket, const char *key, const char *etag,
                          bool s3, pix_err *err)
{
    char *display = NULL;
    int n = s3 ? asprintf(&display, "s3://%s/%s", bucket, key)
               : asprintf(&display, "%s/%s", bucket, key);
    if (n < 0)
        return pix_err_set(err, "out of memory");
    int rc = push(in, bucket, key, display, !s3);
    free(display);
    if (rc < 0)
        return pix_err_set(err, "out of memory");
    pix_input *it = &in->items[in->n - 1];
    it->s3 = s3;
    if (etag && *etag && !(it->etag = strdup(etag))) {
        pix_inputs_truncate(in, in->n - 1);
        return pix_err_set(err, "out of memory");
    }
    return 0;
}
