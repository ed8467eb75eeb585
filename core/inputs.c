#include "inputs.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "grow.h"
#include "paths.h"

/* Appends one input holding copies of bucket, key and display (borrowed).
 * Returns 0, or -1 when out of memory with nothing added. */
static int push(pix_inputs *in, const char *bucket, const char *key, const char *display,
                bool from_folder)
{
    pix_input *items = pix_grow(in->items, in->n, &in->cap, sizeof *items, 64);
    if (!items)
        return -1;
    in->items = items;
    pix_input *it = &in->items[in->n];
    it->bucket = strdup(bucket);
    it->key = strdup(key);
    it->display = strdup(display);
    it->from_folder = from_folder;
    it->s3 = false;
    it->sequencer = NULL;
    it->message_id = NULL;
    if (!it->bucket || !it->key || !it->display) {
        free(it->bucket);
        free(it->key);
        free(it->display);
        return -1;
    }
    in->n++;
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walks root/rel in name order so runs are reproducible. */
static int walk(pix_inputs *in, const char *root, const char *rel, const char *shown,
                const char *exclude, pix_err *err)
{
    char *dir = rel[0] ? pix_path_join(root, rel) : strdup(root);
    DIR *d = dir ? opendir(dir) : NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;

    if (!d) {
        pix_err_set(err, "cannot read folder %s", dir ? dir : root);
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char **nn = pix_grow(names, n, &cap, sizeof *nn, 32);
        if (!nn)
            goto out;
        names = nn;
        if (!(names[n] = strdup(de->d_name)))
            goto out;
        n++;
    }
    qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; i++) {
        char *path = pix_path_join(dir, names[i]);
        char *key = rel[0] ? pix_path_join(rel, names[i]) : strdup(names[i]);
        char *display = pix_path_join(shown, key ? key : "");
        struct stat st;
        int r = 0;
        if (!path || !key || !display)
            r = -1;
        else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char real[PATH_MAX];
            if (!(exclude && realpath(path, real) && strcmp(real, exclude) == 0))
                r = walk(in, root, key, shown, exclude, err);
        } else if (push(in, root, key, display, true) < 0) {
            r = -1;
        }
        free(path);
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
    free(dir);
    return rc;
}

int pix_inputs_add(pix_inputs *in, const char *arg, const char *exclude, pix_err *err)
{
    struct stat st;
    char real[PATH_MAX];

    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!realpath(arg, real))
            return pix_err_set(err, "cannot resolve folder %s", arg);
        return walk(in, real, "", arg, exclude, err);
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
