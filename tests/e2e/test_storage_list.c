/* The storage plugins' list() and remove() (ABI 2.1), in process: the
 * plugins are loaded from the build's plugins/ folder as the core loads
 * them, a pipeline is parsed and started with the real host table, and the
 * callbacks are called on a job as the backfill calls them.
 *
 * storage-fs: key order across folders ("a.jpg" before "a/b.jpg"), pages
 * of 1000 with the token as the last key, hidden files, links and FIFOs
 * left out, etags equal to get()'s, the depth cap, a missing folder;
 * remove() deleting, pruning empty folders but never the bucket, and
 * refusing a ".." key.
 *
 * storage-s3 against s3rver behind the signature-checking gate
 * (PIXPIPE_TEST_S3; those tests skip without it): 2 500 objects over three
 * pages, awkward keys exactly, ETags equal to get()'s, remove idempotent, a
 * missing bucket named.  And against a small fake S3 in the test (always
 * run): the answers s3rver never gives, a url-encoded listing, a token too
 * long, a truncated page without a token, a DTD, a 404 NoSuchKey. */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "job.h"
#include "pipeline.h"
#include "registry.h"
#include "testutil.h"

#define SL_SRC "pixpipe-src"

static char *sl_dir; /* this test's temp folder */

static void sl_setup(void)
{
    sl_dir = tu_tmpdir();
    cr_assert_not_null(sl_dir);
}

static void sl_teardown(void)
{
    if (sl_dir)
        tu_rmrf(sl_dir);
    free(sl_dir);
    sl_dir = NULL;
}

TestSuite(storage_list, .init = sl_setup, .fini = sl_teardown, .timeout = 300);

/* ------------------------------------------------------------ in process */

/* A started pipeline whose source storage is under test, and a job to
 * call it with. */
typedef struct sl_pipe {
    pix_registry *reg;
    pix_pipeline *p;
    const pix_instance *src;
} sl_pipe;

/* Parses and starts "source: SOURCE" (a YAML flow mapping) with the
 * build's plugins. */
static void sl_open(sl_pipe *s, const char *source)
{
    char *plugins = tu_strf("%s/plugins", tu_build());
    const char *dirs[] = { plugins };
    char *yaml = tu_strf("name: list-test\nsource: %s\ndestination: { storage: fs, root: %s/out }\n"
                         "stages:\n  - resize: { width: 10 }\n", source, sl_dir);
    pix_err err = { { 0 } };

    s->reg = pix_registry_new_dirs(dirs, 1);
    cr_assert_not_null(s->reg);
    s->p = pix_pipeline_parse("list-test.yaml", yaml, strlen(yaml), s->reg, &err);
    cr_assert_not_null(s->p, "pipeline: %s\n%s", err.msg, yaml);
    cr_assert_eq(pix_pipeline_start(s->p, &pix_host_api, &err), 0, "start: %s", err.msg);
    s->src = s->p->source;
    cr_assert_not_null(s->src->storage->list, "%s has no list()", s->src->plugin->name);
    cr_assert_not_null(s->src->storage->remove, "%s has no remove()", s->src->plugin->name);
    free(yaml);
    free(plugins);
}

static void sl_close(sl_pipe *s)
{
    pix_pipeline_free(s->p);
    pix_registry_free(s->reg);
}

/* A job as the core makes one for a call into the source storage: its
 * errors carry the plugin's name.  Caller frees with pix_job_free(). */
static pix_job *sl_job(const sl_pipe *s, const char *bucket)
{
    pix_job *job = pix_job_new(s->p, bucket, "listing");
    cr_assert_not_null(job);
    job->actor = s->src;
    return job;
}

/* What one or more pages handed to the callback. */
typedef struct sl_seen {
    char **keys, **etags;
    uint64_t *sizes;
    int64_t *mtimes;
    size_t n, cap;
    int fail_at; /* return -1 for this entry (1-based); 0: never */
} sl_seen;

static int sl_collect(void *user, const pix_object_entry *e)
{
    sl_seen *c = user;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->keys = realloc(c->keys, c->cap * sizeof *c->keys);
        c->etags = realloc(c->etags, c->cap * sizeof *c->etags);
        c->sizes = realloc(c->sizes, c->cap * sizeof *c->sizes);
        c->mtimes = realloc(c->mtimes, c->cap * sizeof *c->mtimes);
        cr_assert(c->keys && c->etags && c->sizes && c->mtimes);
    }
    cr_assert_not_null(e->key);
    cr_assert_not_null(e->etag);
    c->keys[c->n] = strdup(e->key);
    c->etags[c->n] = strdup(e->etag);
    c->sizes[c->n] = e->size;
    c->mtimes[c->n] = e->mtime_ms;
    c->n++;
    if (c->fail_at && (size_t)c->fail_at == c->n)
        return -1;
    return 0;
}

static void sl_seen_free(sl_seen *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->keys[i]);
        free(c->etags[i]);
    }
    free(c->keys);
    free(c->etags);
    free(c->sizes);
    free(c->mtimes);
    memset(c, 0, sizeof *c);
}

/* One list() page into c; the token of the next into next.  Returns
 * list()'s result; on success the job must still be ok. */
static int sl_page(const sl_pipe *s, pix_job *job, const char *bucket, const char *prefix,
                   const char *token, sl_seen *c, char next[PIX_LIST_TOKEN_MAX])
{
    memset(next, 'X', PIX_LIST_TOKEN_MAX - 1); /* list() must write it */
    next[PIX_LIST_TOKEN_MAX - 1] = '\0';
    int rc = s->src->storage->list(&s->src->ctx, job, bucket, prefix, token, sl_collect, c, next);
    if (rc == 0)
        cr_assert_eq(job->status, PIX_JOB_OK, "list() returned 0 but failed the job: %s",
                     job->reason);
    else
        cr_assert_eq(job->status, PIX_JOB_FAILED, "list() returned %d without failing the job",
                     rc);
    return rc;
}

/* Every page of bucket/prefix into c; the number of pages.  Asserts each
 * page holds at most 1000 entries and every page but the last exactly
 * continues the one before. */
static size_t sl_list_all(const sl_pipe *s, const char *bucket, const char *prefix, sl_seen *c,
                          size_t *page_sizes, size_t max_pages)
{
    char token[PIX_LIST_TOKEN_MAX] = "", next[PIX_LIST_TOKEN_MAX];
    size_t pages = 0;
    pix_job *job = sl_job(s, bucket);
    do {
        size_t before = c->n;
        int rc = sl_page(s, job, bucket, prefix, token[0] ? token : NULL, c, next);
        cr_assert_eq(rc, 0, "list %s/%s page %zu: %s", bucket, prefix, pages + 1, job->reason);
        cr_assert_leq(c->n - before, 1000, "a page of %zu entries", c->n - before);
        cr_assert_lt(pages, max_pages, "more than %zu pages", max_pages);
        page_sizes[pages++] = c->n - before;
        snprintf(token, sizeof token, "%s", next);
    } while (token[0]);
    pix_job_free(job);
    return pages;
}

/* get() of bucket/key: its etag into etag (128 bytes) and size. */
static void sl_get(const sl_pipe *s, const char *bucket, const char *key, char *etag,
                   uint64_t *size)
{
    pix_job *job = sl_job(s, bucket);
    pix_bytes bytes = { 0 };
    pix_object_info info;
    int rc = s->src->storage->get(&s->src->ctx, job, bucket, key, 0, &bytes, &info);
    cr_assert_eq(rc, 0, "get %s/%s: %s", bucket, key, job->reason);
    snprintf(etag, 128, "%s", info.etag);
    if (size)
        *size = info.size;
    free(bytes.data);
    pix_job_free(job);
}

static int sl_strcmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts c's keys are exactly want[0..n) in that order. */
static void sl_expect_keys(const sl_seen *c, const char *const *want, size_t n)
{
    for (size_t i = 0; i < c->n && i < n; i++)
        cr_assert_str_eq(c->keys[i], want[i], "entry %zu is '%s', expected '%s'", i, c->keys[i],
                         want[i]);
    cr_assert_eq(c->n, n, "%zu entries listed, expected %zu", c->n, n);
}

static void sl_expect_recent(const sl_seen *c)
{
    int64_t now = (int64_t)time(NULL) * 1000;
    for (size_t i = 0; i < c->n; i++)
        cr_assert(c->mtimes[i] > now - 60000 && c->mtimes[i] < now + 60000,
                  "%s: mtime %lld ms is not within a minute of now (%lld)", c->keys[i],
                  (long long)c->mtimes[i], (long long)now);
}

/* Writes bucket/key (folders made, the bucket's too) holding len bytes. */
static void sl_file(const char *bucket, const char *key, size_t len)
{
    char *path = tu_strf("%s/%s", bucket, key);
    char *data = malloc(len + 1);
    cr_assert_not_null(data);
    memset(data, 'a' + (int)(len % 26), len);
    for (char *p = path + 1; (p = strchr(p, '/')); p++) {
        *p = '\0';
        cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
        *p = '/';
    }
    cr_assert_eq(tu_write_file(path, data, len), 0, "cannot write %s", path);
    free(data);
    free(path);
}

/* -------------------------------------------------------------- storage-fs */

/* Key order is byte order of the whole key: "a.jpg" < "a/b.jpg" < "a0.jpg"
 * ('.' 0x2e < '/' 0x2f < '0' 0x30), which sorting a folder by name alone
 * would get wrong.  Hidden entries, links and a FIFO are not listed. */
Test(storage_list, fs_order_nested_hidden_links)
{
    sl_pipe s;
    sl_open(&s, "{ storage: fs }");
    char *b = tu_strf("%s/bucket", sl_dir);
    cr_assert_eq(mkdir(b, 0755), 0);
    const char *files[] = { "a0.jpg", "a/c/d.jpg", "z/y/x.png", "a.jpg", "b.txt", "a/b.jpg",
                            "a b/sp ace.jpg", "a-b.jpg" };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        sl_file(b, files[i], 10 + i);
    /* none of these may be listed */
    sl_file(b, ".hidden.jpg", 5);
    sl_file(b, "a/.a.jpg.AbC123", 5); /* put()'s temp file */
    sl_file(b, ".git/config.jpg", 5);
    char *target = tu_strf("%s/outside", sl_dir);
    sl_file(sl_dir, "outside/secret.jpg", 7);
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s' && ln -s a.jpg link.jpg && ln -s a ldir && "
                         "ln -s '%s' out && ln -s /etc/passwd a/pw.jpg && mkfifo fifo.jpg",
                         b, target), 0);

    sl_seen c = { 0 };
    size_t sizes[4];
    cr_assert_eq(sl_list_all(&s, b, "", &c, sizes, 4), 1);
    const char *want[] = { "a b/sp ace.jpg", "a-b.jpg", "a.jpg", "a/b.jpg", "a/c/d.jpg",
                           "a0.jpg", "b.txt", "z/y/x.png" };
    sl_expect_keys(&c, want, sizeof want / sizeof *want);
    sl_expect_recent(&c);
    for (size_t i = 0; i < c.n; i++) {
        char etag[128];
        uint64_t size = 0;
        sl_get(&s, b, c.keys[i], etag, &size);
        cr_assert_str_eq(c.etags[i], etag, "%s: listed etag '%s', get() gives '%s'", c.keys[i],
                         c.etags[i], etag);
        cr_assert_eq(c.sizes[i], size, "%s: listed %llu bytes, get() %llu", c.keys[i],
                     (unsigned long long)c.sizes[i], (unsigned long long)size);
        size_t j = 0;
        while (strcmp(files[j], c.keys[i]) != 0)
            j++;
        cr_assert_eq(c.sizes[i], 10 + j);
    }
    sl_seen_free(&c);

    /* prefixes, a part of a name included */
    struct { const char *prefix; const char *keys[6]; } cases[] = {
        { "a", { "a b/sp ace.jpg", "a-b.jpg", "a.jpg", "a/b.jpg", "a/c/d.jpg", "a0.jpg" } },
        { "a/", { "a/b.jpg", "a/c/d.jpg" } },
        { "a/c", { "a/c/d.jpg" } },
        { "a/c/d.jpg", { "a/c/d.jpg" } },
        { "z/y/", { "z/y/x.png" } },
        { "nothing/", { NULL } },
        { "a/c/d.jpgx", { NULL } },
        { "ldir/", { NULL } },
        { "out/", { NULL } },
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        size_t n = 0;
        while (n < 6 && cases[k].keys[n])
            n++;
        cr_assert_eq(sl_list_all(&s, b, cases[k].prefix, &c, sizes, 4), 1);
        sl_expect_keys(&c, cases[k].keys, n);
        sl_seen_free(&c);
    }
    free(target);
    free(b);
    sl_close(&s);
}

/* 2 500 files over 25 folders: three pages of 1000, 1000 and 500, each
 * token the page's last key, every key once, in order; a file outside the
 * prefix is not listed.  A folder of exactly 1000 is one page. */
Test(storage_list, fs_pages_continue_across_folders)
{
    sl_pipe s;
    sl_open(&s, "{ storage: fs, fsync: false }");
    char *b = tu_strf("%s/bucket", sl_dir);
    cr_assert_eq(mkdir(b, 0755), 0);
    enum { N = 2500 };
    char **want = calloc(N, sizeof *want);
    cr_assert_not_null(want);
    for (int i = 0; i < N; i++) {
        /* folders of 100, and in reverse creation order, so no order of
         * the file system's can pass for key order */
        int j = N - 1 - i;
        want[j] = tu_strf("p/g%02d/k%04d.bin", j / 100, j);
        sl_file(b, want[j], (size_t)(j % 37));
    }
    sl_file(b, "p.bin", 1);
    sl_file(b, "q/after.bin", 1);
    qsort(want, N, sizeof *want, sl_strcmp);

    sl_seen c = { 0 };
    size_t sizes[8];
    pix_job *job = sl_job(&s, b);
    char next[PIX_LIST_TOKEN_MAX];
    cr_assert_eq(sl_page(&s, job, b, "p/", NULL, &c, next), 0, "%s", job->reason);
    cr_assert_eq(c.n, 1000);
    cr_assert_str_eq(next, want[999], "the token is '%s', not the page's last key", next);
    pix_job_free(job);
    sl_seen_free(&c);

    cr_assert_eq(sl_list_all(&s, b, "p/", &c, sizes, 8), 3);
    cr_assert_eq(sizes[0], 1000);
    cr_assert_eq(sizes[1], 1000);
    cr_assert_eq(sizes[2], 500);
    sl_expect_keys(&c, (const char *const *)want, N);
    for (size_t i = 0; i < c.n; i++) {
        unsigned k = 0;
        cr_assert_eq(sscanf(c.keys[i], "p/g%*2u/k%4u.bin", &k), 1);
        cr_assert_eq(c.sizes[i], k % 37, "%s: %llu bytes", c.keys[i],
                     (unsigned long long)c.sizes[i]);
    }
    sl_seen_free(&c);

    /* the whole bucket: the two others too, in their places */
    cr_assert_eq(sl_list_all(&s, b, "", &c, sizes, 8), 3);
    cr_assert_eq(c.n, N + 2);
    cr_assert_str_eq(c.keys[0], "p.bin");
    cr_assert_str_eq(c.keys[N + 1], "q/after.bin");
    sl_seen_free(&c);

    /* exactly 1000: one page, no empty page after it */
    cr_assert_eq(sl_list_all(&s, b, "p/g0", &c, sizes, 8), 1);
    cr_assert_eq(c.n, 1000);
    sl_seen_free(&c);

    /* a callback that stops the listing stops it */
    job = sl_job(&s, b);
    c.fail_at = 3;
    cr_assert_eq(s.src->storage->list(&s.src->ctx, job, b, "", NULL, sl_collect, &c, next), -1);
    cr_assert_eq(c.n, 3);
    sl_seen_free(&c);
    pix_job_free(job);

    for (int i = 0; i < N; i++)
        free(want[i]);
    free(want);
    free(b);
    sl_close(&s);
}

/* A missing bucket folder fails, naming it; so do folders nested past 64
 * levels (the walk always ends); a prefix elsewhere, or a token after
 * them, does not walk them. */
Test(storage_list, fs_missing_bucket_and_depth)
{
    sl_pipe s;
    sl_open(&s, "{ storage: fs }");
    char *missing = tu_strf("%s/no-such-folder", sl_dir), next[PIX_LIST_TOKEN_MAX];
    sl_seen c = { 0 };
    pix_job *job = sl_job(&s, missing);
    cr_assert_eq(sl_page(&s, job, missing, "", NULL, &c, next), -1);
    cr_assert(strstr(job->reason, missing), "reason: %s", job->reason);
    cr_assert(strstr(job->reason, "storage-fs"), "reason: %s", job->reason);
    pix_job_free(job);

    char *b = tu_strf("%s/deep", sl_dir);
    char *key = strdup("");
    for (int i = 0; i < 66; i++) {
        char *k = tu_strf("%sd/", key);
        free(key);
        key = k;
    }
    char *file = tu_strf("%sx.jpg", key);
    sl_file(b, file, 3);
    sl_file(b, "shallow.jpg", 3);
    job = sl_job(&s, b);
    cr_assert_eq(sl_page(&s, job, b, "", NULL, &c, next), -1);
    cr_assert(strstr(job->reason, "64 levels"), "reason: %s", job->reason);
    pix_job_free(job);
    sl_seen_free(&c);
    size_t sizes[2];
    cr_assert_eq(sl_list_all(&s, b, "s", &c, sizes, 2), 1);
    cr_assert_eq(c.n, 1);
    sl_seen_free(&c);
    /* a page after the token "d0" never enters d/, wholly before it: the
     * too deep folder is not read, so the page succeeds */
    job = sl_job(&s, b);
    cr_assert_eq(sl_page(&s, job, b, "", "d0", &c, next), 0, "%s", job->reason);
    const char *after[] = { "shallow.jpg" };
    sl_expect_keys(&c, after, 1);
    cr_assert_str_eq(next, "");
    pix_job_free(job);
    sl_seen_free(&c);
    free(file);
    free(key);
    free(b);
    free(missing);
    sl_close(&s);
}

/* remove() deletes the file and the folders it leaves empty, never the
 * bucket; a missing key is success; a key with ".." is refused. */
Test(storage_list, fs_remove_prunes_but_keeps_root)
{
    sl_pipe s;
    sl_open(&s, "{ storage: fs }");
    const pix_storage_plugin *st = s.src->storage;
    char *b = tu_strf("%s/bucket", sl_dir);
    cr_assert_eq(mkdir(b, 0755), 0);
    sl_file(b, "x/y/z.jpg", 4);
    sl_file(b, "x/keep.jpg", 4);
    sl_file(b, "only/one/file.jpg", 4);
    char *x = tu_strf("%s/x", b), *xy = tu_strf("%s/x/y", b), *z = tu_strf("%s/x/y/z.jpg", b);
    char *only = tu_strf("%s/only", b);
    pix_job *job = sl_job(&s, b);

    cr_assert_eq(st->remove(&s.src->ctx, job, b, "x/y/z.jpg"), 0, "%s", job->reason);
    cr_assert(!tu_exists(z) && !tu_exists(xy), "z.jpg and its empty folder should be gone");
    cr_assert(tu_exists(x), "x/ still holds keep.jpg");
    cr_assert_eq(st->remove(&s.src->ctx, job, b, "x/y/z.jpg"), 0, "again: %s", job->reason);
    cr_assert_eq(st->remove(&s.src->ctx, job, b, "x/keep.jpg"), 0, "%s", job->reason);
    cr_assert(!tu_exists(x));
    cr_assert_eq(st->remove(&s.src->ctx, job, b, "only/one/file.jpg"), 0, "%s", job->reason);
    cr_assert(!tu_exists(only));
    cr_assert(tu_exists(b), "the bucket itself must never be removed");
    cr_assert_eq(st->remove(&s.src->ctx, job, b, "never/was/here.jpg"), 0, "%s", job->reason);
    cr_assert(tu_exists(b));
    cr_assert_eq(job->status, PIX_JOB_OK);

    /* a folder still holding a hidden file is not empty: kept */
    sl_file(b, "h/.partial", 1);
    sl_file(b, "h/v.jpg", 1);
    cr_assert_eq(st->remove(&s.src->ctx, job, b, "h/v.jpg"), 0, "%s", job->reason);
    char *h = tu_strf("%s/h/.partial", b);
    cr_assert(tu_exists(h));
    free(h);
    pix_job_free(job);

    /* the bucket's parent holds a file ".." would reach */
    sl_file(sl_dir, "victim.jpg", 3);
    char *victim = tu_strf("%s/victim.jpg", sl_dir);
    job = sl_job(&s, b);
    cr_assert_eq(st->remove(&s.src->ctx, job, b, "../victim.jpg"), -1);
    cr_assert_eq(job->status, PIX_JOB_FAILED);
    cr_assert(strstr(job->reason, "'..'"), "reason: %s", job->reason);
    cr_assert(tu_exists(victim));
    pix_job_free(job);

    free(victim);
    free(only);
    free(x);
    free(xy);
    free(z);
    free(b);
    sl_close(&s);
}

/* -------------------------------------------------------------- storage-s3 */

static const char *sl_s3_url(void)
{
    const char *url = getenv("PIXPIPE_TEST_S3");
    if (!url || !*url)
        cr_skip_test("PIXPIPE_TEST_S3 is not set (no local S3 server)");
    return url;
}

/* The plugin reads its credentials from the environment, as in Lambda. */
static void sl_aws_env(void)
{
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    setenv("AWS_REGION", "us-east-1", 1);
}

static void sl_open_s3(sl_pipe *s, const char *endpoint)
{
    sl_aws_env();
    char *src = tu_strf("{ storage: s3, endpoint: \"%s\", path_style: true }", endpoint);
    sl_open(s, src);
    free(src);
}

/* s in single quotes for sh.  Caller frees. */
static char *sl_q(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *out = malloc(n), *o = out;
    cr_assert_not_null(out);
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* awscli ("s3api ...", "s3 cp ...") against the gate, path style, plain
 * uploads.  Returns its exit status. */
static int sl_aws(char **out, char **err, const char *args)
{
    cr_assert(access("/usr/bin/aws", X_OK) == 0, "/usr/bin/aws missing: scripts/deps.sh installs awscli");
    char *cfg = tu_strf("%s/aws.cfg", sl_dir);
    if (!tu_exists(cfg)) {
        const char *text = "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n";
        cr_assert_eq(tu_write_file(cfg, text, strlen(text)), 0);
    }
    int rc = tu_runf(out, err,
                     "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                     "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
                     "AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 "
                     "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE='%s' "
                     "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
                     "AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
                     "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required "
                     "/usr/bin/aws --endpoint-url '%s' %s",
                     cfg, sl_s3_url(), args);
    free(cfg);
    return rc;
}

/* `aws s3 cp --recursive FOLDER s3://SL_SRC/PREFIX/`: one command for
 * thousands of files, where put-object per file would take minutes. */
static void sl_upload_tree(const char *folder, const char *prefix)
{
    char *uri = tu_strf("s3://" SL_SRC "/%s/", prefix);
    char *qf = sl_q(folder), *qu = sl_q(uri), *out = NULL, *err = NULL;
    char *args = tu_strf("s3 cp --recursive --only-show-errors %s %s", qf, qu);
    int rc = sl_aws(&out, &err, args);
    cr_assert_eq(rc, 0, "aws s3 cp to %s failed: %s%s", uri, out, err);
    free(args);
    free(qf);
    free(qu);
    free(uri);
    free(out);
    free(err);
}

/* A key prefix no other test process uses. */
static char *sl_prefix(const char *what)
{
    return tu_strf("list-%ld-%ld-%s", (long)getpid(), (long)time(NULL), what);
}

/* 2 500 objects: three pages (1000, 1000, 500), the keys in order, sizes,
 * ETags equal to what get() gives (and to the MD5 s3rver's ETags are),
 * modification times of now; the last page's token empty. */
Test(storage_list, s3_pages_of_2500)
{
    const char *url = sl_s3_url();
    sl_pipe s;
    sl_open_s3(&s, url);
    enum { N = 2500 };
    char *prefix = sl_prefix("big");
    char *up = tu_strf("%s/up", sl_dir);
    cr_assert_eq(mkdir(up, 0755), 0);
    char **want = calloc(N, sizeof *want), (*md5)[33] = calloc(N, sizeof *md5);
    cr_assert(want && md5);
    for (int i = 0; i < N; i++) {
        char name[32], data[64];
        snprintf(name, sizeof name, "k%04d.txt", i);
        int len = snprintf(data, sizeof data, "o%d ", i); /* under 10 bytes */
        while (len < 10 + i % 37)
            data[len++] = 'x';
        char *path = tu_strf("%s/%s", up, name);
        cr_assert_eq(tu_write_file(path, data, (size_t)len), 0);
        tu_md5_hex(data, (size_t)len, md5[i]);
        want[i] = tu_strf("%s/%s", prefix, name);
        free(path);
    }
    sl_upload_tree(up, prefix);

    sl_seen c = { 0 };
    size_t sizes[8];
    char *listed = tu_strf("%s/", prefix);
    cr_assert_eq(sl_list_all(&s, SL_SRC, listed, &c, sizes, 8), 3);
    cr_assert_eq(sizes[0], 1000);
    cr_assert_eq(sizes[1], 1000);
    cr_assert_eq(sizes[2], 500);
    sl_expect_keys(&c, (const char *const *)want, N);
    sl_expect_recent(&c);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(c.sizes[i], (uint64_t)(10 + i % 37), "%s: %llu bytes", c.keys[i],
                     (unsigned long long)c.sizes[i]);
        cr_assert_str_eq(c.etags[i], md5[i], "%s: ETag '%s', content MD5 %s", c.keys[i],
                         c.etags[i], md5[i]);
    }
    /* get()'s ETag, for a sample across the three pages */
    for (int i = 0; i < N; i += 97) {
        char etag[128];
        sl_get(&s, SL_SRC, c.keys[i], etag, NULL);
        cr_assert_str_eq(c.etags[i], etag, "%s: listed '%s', get() gives '%s'", c.keys[i],
                         c.etags[i], etag);
    }
    sl_seen_free(&c);

    /* a prefix that matches nothing: one empty, last page */
    char *none = tu_strf("%s/nothing-here/", prefix), next[PIX_LIST_TOKEN_MAX];
    pix_job *job = sl_job(&s, SL_SRC);
    cr_assert_eq(sl_page(&s, job, SL_SRC, none, NULL, &c, next), 0, "%s", job->reason);
    cr_assert_eq(c.n, 0);
    cr_assert_str_eq(next, "");
    pix_job_free(job);

    for (int i = 0; i < N; i++)
        free(want[i]);
    free(want);
    free(md5);
    free(none);
    free(listed);
    free(up);
    free(prefix);
    sl_close(&s);
}

static const char *const sl_awkward[] = {
    "plain.jpg",
    "with space.jpg",
    "plus+sign.jpg",
    "100%.jpg",
    "a&b=c.jpg",
    "\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9 \xe5\x86\x99\xe7\x9c\x9f.jpg", /* ünïcødé 写真 */
    "deep/nested/folder/x.jpg",
    "%2F encoded-looking %20.jpg",
    "quote\"and'apos<lt>&amp;.jpg",
};
#define SL_NAWKWARD (sizeof sl_awkward / sizeof *sl_awkward)

/* Keys with spaces, '+', '%', '&', '=', XML's own characters and unicode
 * come back byte for byte, in byte order, with get()'s ETags. */
Test(storage_list, s3_awkward_keys_exact)
{
    const char *url = sl_s3_url();
    sl_pipe s;
    sl_open_s3(&s, url);
    char *prefix = sl_prefix("awk");
    char *up = tu_strf("%s/up", sl_dir);
    char *want[SL_NAWKWARD];
    for (size_t i = 0; i < SL_NAWKWARD; i++) {
        sl_file(up, sl_awkward[i], 20 + i);
        want[i] = tu_strf("%s/%s", prefix, sl_awkward[i]);
    }
    sl_upload_tree(up, prefix);
    qsort(want, SL_NAWKWARD, sizeof *want, sl_strcmp);

    sl_seen c = { 0 };
    size_t sizes[2];
    char *listed = tu_strf("%s/", prefix);
    cr_assert_eq(sl_list_all(&s, SL_SRC, listed, &c, sizes, 2), 1);
    sl_expect_keys(&c, (const char *const *)want, SL_NAWKWARD);
    for (size_t i = 0; i < c.n; i++) {
        char etag[128];
        uint64_t size = 0;
        sl_get(&s, SL_SRC, c.keys[i], etag, &size);
        cr_assert_str_eq(c.etags[i], etag, "%s: listed '%s', get() gives '%s'", c.keys[i],
                         c.etags[i], etag);
        cr_assert_eq(c.sizes[i], size);
    }
    sl_seen_free(&c);

    /* a prefix with awkward bytes of its own is encoded right too */
    char *sub = tu_strf("%s/a&b=", prefix);
    cr_assert_eq(sl_list_all(&s, SL_SRC, sub, &c, sizes, 2), 1);
    cr_assert_eq(c.n, 1);
    sl_seen_free(&c);

    for (size_t i = 0; i < SL_NAWKWARD; i++)
        free(want[i]);
    free(sub);
    free(listed);
    free(up);
    free(prefix);
    sl_close(&s);
}

/* remove() deletes the object (head-object then fails); removing it again
 * succeeds. */
Test(storage_list, s3_remove_idempotent)
{
    const char *url = sl_s3_url();
    sl_pipe s;
    sl_open_s3(&s, url);
    char *prefix = sl_prefix("rm");
    char *up = tu_strf("%s/up", sl_dir);
    const char *name = "rm me+100%&x=\xc3\xbc.jpg";
    sl_file(up, name, 10);
    sl_file(up, "stays.jpg", 10);
    sl_upload_tree(up, prefix);
    char *key = tu_strf("%s/%s", prefix, name), *qk = sl_q(key);
    char *head = tu_strf("s3api head-object --bucket " SL_SRC " --key %s", qk);
    cr_assert_eq(sl_aws(NULL, NULL, head), 0, "the upload is not there");

    pix_job *job = sl_job(&s, SL_SRC);
    cr_assert_eq(s.src->storage->remove(&s.src->ctx, job, SL_SRC, key), 0, "%s", job->reason);
    cr_assert_neq(sl_aws(NULL, NULL, head), 0, "%s is still there after remove()", key);
    cr_assert_eq(s.src->storage->remove(&s.src->ctx, job, SL_SRC, key), 0, "again: %s",
                 job->reason);
    cr_assert_eq(job->status, PIX_JOB_OK);
    pix_job_free(job);

    sl_seen c = { 0 };
    size_t sizes[2];
    char *listed = tu_strf("%s/", prefix), *stays = tu_strf("%s/stays.jpg", prefix);
    cr_assert_eq(sl_list_all(&s, SL_SRC, listed, &c, sizes, 2), 1);
    const char *left[] = { stays };
    sl_expect_keys(&c, left, 1);
    sl_seen_free(&c);

    free(stays);
    free(listed);
    free(head);
    free(qk);
    free(key);
    free(up);
    free(prefix);
    sl_close(&s);
}

/* Listing a bucket that does not exist fails with S3's answer, naming the
 * bucket and the prefix. */
Test(storage_list, s3_missing_bucket)
{
    const char *url = sl_s3_url();
    sl_pipe s;
    sl_open_s3(&s, url);
    char *bucket = tu_strf("pixpipe-nosuch-%ld", (long)getpid()), next[PIX_LIST_TOKEN_MAX];
    sl_seen c = { 0 };
    pix_job *job = sl_job(&s, bucket);
    cr_assert_eq(sl_page(&s, job, bucket, "some/prefix/", NULL, &c, next), -1);
    char *want = tu_strf("ListObjectsV2 s3://%s/some/prefix/", bucket);
    cr_assert(strstr(job->reason, want), "reason: %s", job->reason);
    cr_assert(strstr(job->reason, "NoSuchBucket"), "reason: %s", job->reason);
    cr_assert_eq(c.n, 0);
    cr_assert_str_eq(next, "");
    pix_job_free(job);
    free(want);
    free(bucket);
    sl_close(&s);
}

/* ------------------------------------------------ storage-s3, fake answers */

/* A one-thread HTTP server on 127.0.0.1 that answers the next requests
 * with canned S3 answers, one connection each, and keeps the request
 * lines.  It checks no signature: these tests are about reading answers. */
typedef struct sl_answer {
    int status;
    const char *body;
} sl_answer;

typedef struct sl_fake {
    int fd;
    int port;
    pthread_t thread;
    const sl_answer *answers;
    size_t n;
    size_t served;
    char request[8][2048]; /* "GET /path?query HTTP/1.1" */
} sl_fake;

static void *sl_fake_run(void *arg)
{
    sl_fake *f = arg;
    for (; f->served < f->n; f->served++) {
        struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
        if (poll(&pfd, 1, 10000) != 1)
            break; /* the plugin asked less than expected: the test says so */
        int c = accept(f->fd, NULL, NULL);
        if (c < 0)
            break;
        char buf[8192];
        size_t got = 0;
        while (got < sizeof buf - 1) {
            ssize_t r = read(c, buf + got, sizeof buf - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            buf[got] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        buf[got] = '\0';
        if (f->served < 8)
            snprintf(f->request[f->served], sizeof f->request[0], "%.*s",
                     (int)strcspn(buf, "\r\n"), buf);
        const sl_answer *a = &f->answers[f->served];
        char head[256];
        int hl = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Type: application/xml\r\n"
                          "x-amz-request-id: fake-%zu\r\nContent-Length: %zu\r\n"
                          "Connection: close\r\n\r\n", a->status, f->served, strlen(a->body));
        if (write(c, head, (size_t)hl) < 0 || write(c, a->body, strlen(a->body)) < 0)
            break;
        close(c);
    }
    return NULL;
}

static void sl_fake_start(sl_fake *f, const sl_answer *answers, size_t n)
{
    memset(f, 0, sizeof *f);
    f->answers = answers;
    f->n = n;
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(f->fd, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof sa;
    cr_assert_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof sa), 0);
    cr_assert_eq(listen(f->fd, 4), 0);
    cr_assert_eq(getsockname(f->fd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    cr_assert_eq(pthread_create(&f->thread, NULL, sl_fake_run, f), 0);
}

/* Waits for the server to have answered everything (asserting it did). */
static void sl_fake_stop(sl_fake *f)
{
    pthread_join(f->thread, NULL);
    close(f->fd);
    cr_assert_eq(f->served, f->n, "the fake S3 answered %zu requests of %zu", f->served, f->n);
}

static void sl_open_fake(sl_pipe *s, const sl_fake *f)
{
    char *url = tu_strf("http://127.0.0.1:%d", f->port);
    sl_open_s3(s, url);
    free(url);
}

#define SL_XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define SL_LBR "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

/* AWS's answer to encoding-type=url: keys %XX-encoded, '+' a space, ETags
 * quoted as &quot;; the query asked for it, sorted, and the next token is
 * passed back encoded. */
Test(storage_list, s3_fake_url_encoded_answer)
{
    static const sl_answer answers[] = {
        { 200, SL_XML SL_LBR "<Name>bkt</Name><Prefix>p%2Fq</Prefix><KeyCount>3</KeyCount>"
               "<MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType>"
               "<IsTruncated>true</IsTruncated>"
               "<Contents><Key>p/q/a+b%2Bc%25%26%3D.jpg</Key>"
               "<LastModified>2024-05-01T12:34:56.789Z</LastModified>"
               "<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><Size>1234</Size>"
               "<StorageClass>STANDARD</StorageClass></Contents>"
               "<Contents><Key>p/q/%C3%BC%0D%0Aline.jpg</Key>"
               "<LastModified>2024-05-01T12:34:56Z</LastModified>"
               "<ETag>\"abc-3\"</ETag><Size>0</Size></Contents>"
               "<Contents><Key>p/q/z</Key><LastModified>garbage</LastModified>"
               "<ETag></ETag><Size>18446744073709551615</Size></Contents>"
               "<NextContinuationToken>1ueGc/+X==</NextContinuationToken>"
               "</ListBucketResult>" },
        { 200, SL_XML SL_LBR "<IsTruncated>false</IsTruncated>"
               "<Contents><Key>p/q/zz</Key><Size>1</Size><ETag>\"e\"</ETag></Contents>"
               "</ListBucketResult>" },
    };
    sl_fake f;
    sl_fake_start(&f, answers, 2);
    sl_pipe s;
    sl_open_fake(&s, &f);
    sl_seen c = { 0 };
    char next[PIX_LIST_TOKEN_MAX];
    pix_job *job = sl_job(&s, "bkt");
    cr_assert_eq(sl_page(&s, job, "bkt", "p/q", NULL, &c, next), 0, "%s", job->reason);
    const char *want[] = { "p/q/a b+c%&=.jpg", "p/q/\xc3\xbc\r\nline.jpg", "p/q/z" };
    sl_expect_keys(&c, want, 3);
    cr_assert_str_eq(c.etags[0], "0123456789abcdef0123456789abcdef");
    cr_assert_str_eq(c.etags[1], "abc-3");
    cr_assert_str_eq(c.etags[2], "");
    cr_assert_eq(c.sizes[0], 1234);
    cr_assert_eq(c.sizes[1], 0);
    cr_assert_eq(c.sizes[2], UINT64_MAX);
    cr_assert_eq(c.mtimes[0], 1714566896789LL);
    cr_assert_eq(c.mtimes[1], 1714566896000LL);
    cr_assert_eq(c.mtimes[2], 0, "an unreadable date is unknown (0)");
    cr_assert_str_eq(next, "1ueGc/+X==");
    char token[PIX_LIST_TOKEN_MAX];
    snprintf(token, sizeof token, "%s", next);
    cr_assert_eq(sl_page(&s, job, "bkt", "p/q", token, &c, next), 0, "%s", job->reason);
    cr_assert_eq(c.n, 4);
    cr_assert_str_eq(next, "");
    pix_job_free(job);
    sl_close(&s);
    sl_fake_stop(&f);
    cr_assert_str_eq(f.request[0],
                     "GET /bkt?encoding-type=url&list-type=2&max-keys=1000&prefix=p%2Fq HTTP/1.1");
    cr_assert_str_eq(f.request[1],
                     "GET /bkt?continuation-token=1ueGc%2F%2BX%3D%3D&encoding-type=url"
                     "&list-type=2&max-keys=1000&prefix=p%2Fq HTTP/1.1");
    sl_seen_free(&c);
}

/* Answers a listing must refuse, handing over no entry: a token too long
 * for the caller's buffer (an error, not a cut), a truncated page without
 * a token, a body that is not XML, a DTD, a key that does not decode. */
Test(storage_list, s3_fake_bad_answers)
{
    char token[PIX_LIST_TOKEN_MAX + 1];
    memset(token, 'T', PIX_LIST_TOKEN_MAX);
    token[PIX_LIST_TOKEN_MAX] = '\0'; /* one byte too many with its NUL */
    char *too_long = tu_strf(SL_XML SL_LBR "<IsTruncated>true</IsTruncated>"
                             "<Contents><Key>k</Key><Size>1</Size></Contents>"
                             "<NextContinuationToken>%s</NextContinuationToken>"
                             "</ListBucketResult>", token);
    const struct { sl_answer a; const char *why; } cases[] = {
        { { 200, too_long }, "NextContinuationToken is 1024 bytes" },
        { { 200, SL_XML SL_LBR "<IsTruncated>true</IsTruncated>"
                 "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>" },
          "gives no NextContinuationToken" },
        { { 200, "this is not xml <" }, "not a ListBucketResult" },
        { { 200, SL_XML "<!DOCTYPE ListBucketResult [<!ENTITY e \"boom\">]>" SL_LBR
                 "<IsTruncated>false</IsTruncated>"
                 "<Contents><Key>&e;</Key><Size>1</Size></Contents></ListBucketResult>" },
          "not a ListBucketResult" },
        { { 200, SL_XML "<Error><Code>X</Code></Error>" }, "not a ListBucketResult" },
        { { 200, SL_XML SL_LBR "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
                 "<Contents><Key>bad%zz</Key><Size>1</Size></Contents></ListBucketResult>" },
          "undecodable key" },
        { { 200, SL_XML SL_LBR "<IsTruncated>false</IsTruncated>"
                 "<Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>" },
          "no valid Size" },
        { { 403, SL_XML "<Error><Code>AccessDenied</Code><Message>nope</Message></Error>" },
          "HTTP 403 AccessDenied: nope" },
    };
    enum { N = sizeof cases / sizeof *cases };
    sl_answer answers[N];
    for (size_t i = 0; i < N; i++)
        answers[i] = cases[i].a;
    sl_fake f;
    sl_fake_start(&f, answers, N);
    sl_pipe s;
    sl_open_fake(&s, &f);
    for (size_t i = 0; i < N; i++) {
        sl_seen c = { 0 };
        char next[PIX_LIST_TOKEN_MAX];
        pix_job *job = sl_job(&s, "bkt");
        cr_assert_eq(sl_page(&s, job, "bkt", "pre/", NULL, &c, next), -1, "case %zu listed", i);
        cr_assert(strstr(job->reason, cases[i].why), "case %zu: reason: %s", i, job->reason);
        cr_assert(strstr(job->reason, "ListObjectsV2 s3://bkt/pre/"), "case %zu: reason: %s", i,
                  job->reason);
        cr_assert_eq(c.n, 0, "case %zu handed %zu entries over", i, c.n);
        cr_assert_str_eq(next, "");
        pix_job_free(job);
    }
    sl_close(&s);
    sl_fake_stop(&f);
    free(too_long);
}

/* DeleteObject: 204 and 404 NoSuchKey are success (the key is gone either
 * way); 404 NoSuchBucket and 403 are errors naming the object. */
Test(storage_list, s3_fake_remove_answers)
{
    static const sl_answer answers[] = {
        { 204, "" },
        { 404, SL_XML "<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>" },
        { 404, SL_XML "<Error><Code>NoSuchBucket</Code><Message>no bucket</Message></Error>" },
        { 403, SL_XML "<Error><Code>AccessDenied</Code><Message>nope</Message></Error>" },
    };
    sl_fake f;
    sl_fake_start(&f, answers, 4);
    sl_pipe s;
    sl_open_fake(&s, &f);
    const pix_storage_plugin *st = s.src->storage;
    pix_job *job = sl_job(&s, "bkt");
    cr_assert_eq(st->remove(&s.src->ctx, job, "bkt", "a b/c+d.jpg"), 0, "%s", job->reason);
    cr_assert_eq(st->remove(&s.src->ctx, job, "bkt", "a b/c+d.jpg"), 0, "%s", job->reason);
    cr_assert_eq(job->status, PIX_JOB_OK);
    pix_job_free(job);
    const char *why[] = { "HTTP 404 NoSuchBucket", "HTTP 403 AccessDenied" };
    for (size_t i = 0; i < 2; i++) {
        job = sl_job(&s, "bkt");
        cr_assert_eq(st->remove(&s.src->ctx, job, "bkt", "a b/c+d.jpg"), -1);
        cr_assert(strstr(job->reason, "DeleteObject s3://bkt/a b/c+d.jpg"), "reason: %s",
                  job->reason);
        cr_assert(strstr(job->reason, why[i]), "reason: %s", job->reason);
        pix_job_free(job);
    }
    sl_close(&s);
    sl_fake_stop(&f);
    cr_assert_str_eq(f.request[0], "DELETE /bkt/a%20b/c%2Bd.jpg HTTP/1.1");
}
