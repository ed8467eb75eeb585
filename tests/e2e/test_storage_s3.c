/* The storage-s3 plugin end to end, against s3rver behind the
 * signature-verifying gate (PIXPIPE_TEST_S3; the tests skip without it):
 * originals uploaded and renditions read back with awscli, a client no one
 * here wrote; `pixpipe run s3://...` in between.  What a user cares about:
 * the renditions' pixels, Content-Type, Cache-Control and x-amz-meta-pixpipe-*
 * metadata; keys with spaces, '+', '%', '&', '=', unicode and folders kept
 * exactly; pixpipe's own outputs skipped; a missing object, an object over
 * the byte limit and a wrong secret each failing with one clear message;
 * SlowDown answers retried. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

/* The buckets tests/servers/start.sh configures. */
#define S3T_SRC "pixpipe-src"
#define S3T_DST "pixpipe-out"

static char *s3t_dir;    /* this test's temp folder                    */
static char *s3t_prefix; /* key prefix unique to this test process     */

/* The gate in front of s3rver, or skip. */
static const char *s3t_url(void)
{
    const char *url = getenv("PIXPIPE_TEST_S3");
    if (!url || !*url)
        cr_skip_test("PIXPIPE_TEST_S3 is not set (no local S3 server)");
    return url;
}

/* s in single quotes for sh. Caller frees. */
static char *s3t_q(const char *s)
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

/* Runs awscli (ARGS: "s3api ...", "s3 cp ...") with s3rver's credentials, path-style addressing
 * and plain (not aws-chunked) uploads.  Returns the exit status. */
static int s3t_aws(char **out, char **err, const char *args)
{
    cr_assert(access("/usr/bin/aws", X_OK) == 0, "/usr/bin/aws missing: scripts/deps.sh installs awscli");
    return tu_runf(out, err,
                   "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                   "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
                   "AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 "
                   "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE='%s/aws.cfg' "
                   "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
                   "AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
                   "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required "
                   "%s --endpoint-url '%s' %s",
                   s3t_dir, "/usr/bin/aws", s3t_url(), args);
}

static void s3t_setup(void)
{
    if (!getenv("PIXPIPE_TEST_S3") || !*getenv("PIXPIPE_TEST_S3"))
        return; /* the test itself skips */
    s3t_dir = tu_tmpdir();
    cr_assert_not_null(s3t_dir);
    s3t_prefix = tu_strf("t%ld-%ld", (long)getpid(), (long)time(NULL));
    char *cfg = tu_strf("%s/aws.cfg", s3t_dir);
    const char *text = "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n";
    cr_assert_eq(tu_write_file(cfg, text, strlen(text)), 0);
    free(cfg);
}

static void s3t_teardown(void)
{
    if (s3t_dir)
        tu_rmrf(s3t_dir);
    free(s3t_dir);
    free(s3t_prefix);
    s3t_dir = s3t_prefix = NULL;
}

TestSuite(storage_s3, .init = s3t_setup, .fini = s3t_teardown, .timeout = 120);

/* Makes a w x h JPEG and uploads it as bucket/key with awscli. */
static void s3t_upload(const char *bucket, const char *key, int w, int h)
{
    char *file = tu_strf("%s/upload.jpg", s3t_dir), *out = NULL, *err = NULL;
    cr_assert_eq(tu_make_image(file, w, h), 0);
    char *qk = s3t_q(key), *qf = s3t_q(file);
    char *args = tu_strf("s3api put-object --bucket %s --key %s --body %s --content-type image/jpeg",
                         bucket, qk, qf);
    int rc = s3t_aws(&out, &err, args);
    cr_assert_eq(rc, 0, "upload of %s failed: %s%s", key, out, err);
    free(args);
    free(qk);
    free(qf);
    free(file);
    free(out);
    free(err);
}

/* head-object as parsed JSON, or NULL when the object is absent. */
static json_t *s3t_head(const char *bucket, const char *key)
{
    char *out = NULL, *qk = s3t_q(key);
    char *args = tu_strf("s3api head-object --bucket %s --key %s", bucket, qk);
    int rc = s3t_aws(&out, NULL, args);
    json_t *j = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    free(args);
    free(qk);
    free(out);
    return j;
}

/* Downloads bucket/key and asserts it is a w x h image. */
static void s3t_expect_image(const char *bucket, const char *key, int w, int h)
{
    char *file = tu_strf("%s/download.img", s3t_dir), *out = NULL, *err = NULL;
    char *qk = s3t_q(key), *qf = s3t_q(file);
    char *args = tu_strf("s3api get-object --bucket %s --key %s %s", bucket, qk, qf);
    unlink(file);
    int rc = s3t_aws(&out, &err, args);
    cr_assert_eq(rc, 0, "s3://%s/%s cannot be downloaded: %s%s", bucket, key, out, err);
    int gw = 0, gh = 0;
    cr_assert_eq(tu_image_size(file, &gw, &gh, NULL), 0, "s3://%s/%s is not an image", bucket,
                 key);
    cr_expect(gw == w && gh == h, "s3://%s/%s is %dx%d, expected %dx%d", bucket, key, gw, gh, w,
              h);
    free(args);
    free(qk);
    free(qf);
    free(file);
    free(out);
    free(err);
}

/* %XX decoding, to read back the metadata values put() encodes. */
static char *s3t_unpercent(const char *s)
{
    char *out = malloc(strlen(s) + 1), *o = out;
    cr_assert_not_null(out);
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1) {
            *o++ = (char)v;
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static const char *s3t_jstr(const json_t *obj, const char *name)
{
    const char *v = json_string_value(json_object_get(obj, name));
    return v ? v : "";
}

/* Writes pipe.yaml: source and destination on the test server (every put
 * option set: the gate checks they are signed; s3rver shows only the storage
 * class back), resize to 100 px, a 32x32 thumbnail, the record in md.db. */
static void s3t_pipeline_style(const char *limit, const char *path_style)
{
    char *yaml = tu_strf(
        "name: s3-test\n"
        "source:      { storage: s3, endpoint: \"${PIXPIPE_TEST_S3}\", path_style: %s }\n"
        "destination: { storage: s3, bucket: " S3T_DST ", endpoint: \"${PIXPIPE_TEST_S3}\",\n"
        "               path_style: %s, cache_control: \"public, max-age=60\",\n"
        "               storage_class: STANDARD_IA, sse: \"aws:kms\",\n"
        "               sse_kms_key_id: alias/pixpipe-test,\n"
        "               key: \"{key}.{rendition}.{ext}\" }\n"
        "metadata:    { backend: sqlite, path: ./md.db }\n"
        "limits:      { max_input_bytes: %s }\n"
        "output:      { rendition: main, format: jpeg, quality: 80 }\n"
        "stages:\n"
        "  - resize:    { width: 100, height: 100 }\n"
        "  - thumbnail: { name: thumb, width: 32, height: 32, crop: centre, format: png }\n"
        "  - metadata-sink: {}\n",
        path_style, path_style, limit ? limit : "50MB");
    char *path = tu_strf("%s/pipe.yaml", s3t_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path);
    free(yaml);
}

static void s3t_pipeline(const char *limit)
{
    s3t_pipeline_style(limit, "true");
}

/* Runs pixpipe on the given s3:// inputs (already shell-quoted, joined
 * with spaces) with env_extra before it (e.g. a wrong secret). */
static int s3t_run(char **out, char **err, const char *env_extra, const char *inputs)
{
    return tu_runf(out, err,
                   "cd '%s' && env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                   "-u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
                   "AWS_REGION=us-east-1 %s '%s' run -j 2 -p pipe.yaml %s",
                   s3t_dir, env_extra ? env_extra : "", tu_pixpipe(), inputs);
}

/* "'s3://bucket/key'" for the command line. Caller frees. */
static char *s3t_arg(const char *bucket, const char *key)
{
    char *uri = tu_strf("s3://%s/%s", bucket, key), *q = s3t_q(uri);
    free(uri);
    return q;
}

/* A value of the record metadata-sink wrote for bucket/key, via sqlite3. */
static char *s3t_record_field(const char *bucket, const char *key, const char *field)
{
    char *out = NULL, *sql = tu_strf("SELECT json_extract(record, '$.%s') FROM images WHERE "
                                     "source_bucket = '%s' AND source_key = '%s'",
                                     field, bucket, key);
    char *qsql = s3t_q(sql);
    int rc = tu_runf(&out, NULL, "cd '%s' && sqlite3 md.db %s", s3t_dir, qsql);
    cr_assert_eq(rc, 0, "sqlite3 failed on %s", sql);
    size_t n = strlen(out);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    free(sql);
    free(qsql);
    return out;
}

static const char *const s3t_keys[] = {
    "plain.jpg",
    "with space.jpg",
    "plus+sign.jpg",
    "100%.jpg",
    "a&b=c.jpg",
    "\xc3\xbcn\xc3\xaf\x63\xc3\xb8\x64\xc3\xa9 \xe5\x86\x99\xe7\x9c\x9f.jpg", /* ünïcødé 写真 */
    "deep/nested/folder/x.jpg",
    "%2F encoded-looking %20.jpg",
};
#define S3T_NKEYS (sizeof s3t_keys / sizeof *s3t_keys)

/* Runs `/usr/bin/aws s3 cp --recursive FROM TO` (uploads get type image/jpeg). */
static void s3t_copy_tree(const char *from, const char *to)
{
    char *qf = s3t_q(from), *qt = s3t_q(to), *out = NULL, *err = NULL;
    char *args = tu_strf("s3 cp --recursive --only-show-errors --content-type image/jpeg %s %s",
                         qf, qt);
    int rc = s3t_aws(&out, &err, args);
    cr_assert_eq(rc, 0, "/usr/bin/aws s3 cp %s %s failed: %s%s", from, to, out, err);
    free(args);
    free(qf);
    free(qt);
    free(out);
    free(err);
}

/* list-objects-v2 under bucket/prefix/: key -> ETag (as listed). */
static json_t *s3t_list(const char *bucket, const char *prefix)
{
    char *out = NULL, *err = NULL, *qp = s3t_q(prefix);
    char *args = tu_strf("s3api list-objects-v2 --bucket %s --prefix %s/", bucket, qp);
    int rc = s3t_aws(&out, &err, args);
    cr_assert_eq(rc, 0, "listing s3://%s/%s failed: %s%s", bucket, prefix, out, err);
    json_t *j = json_loads(out, 0, NULL), *e, *map = json_object();
    cr_assert_not_null(j, "listing: %s", out);
    size_t i;
    json_array_foreach(json_object_get(j, "Contents"), i, e)
        json_object_set_new(map, s3t_jstr(e, "Key"), json_string(s3t_jstr(e, "ETag")));
    json_decref(j);
    free(args);
    free(qp);
    free(out);
    free(err);
    return map;
}

/* Every awkward key: uploaded, processed, both renditions stored at the
 * exact derived keys (and nothing else), readable at the right size, with
 * their type, cache control and pixpipe metadata; the record keeps the
 * source's ETag. */
Test(storage_s3, awkward_keys_round_trip_with_metadata)
{
    s3t_url();
    s3t_pipeline(NULL);
    char *up = tu_strf("%s/up", s3t_dir), *down = tu_strf("%s/down", s3t_dir);
    char *inputs = strdup(""), *keys[S3T_NKEYS];
    for (size_t i = 0; i < S3T_NKEYS; i++) {
        keys[i] = tu_strf("%s/%s", s3t_prefix, s3t_keys[i]);
        char *file = tu_strf("%s/%s", up, s3t_keys[i]), *qf = s3t_q(file);
        cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p \"$(dirname %s)\"", qf), 0);
        cr_assert_eq(tu_make_image(file, 400, 300), 0, "cannot make %s", file);
        char *arg = s3t_arg(S3T_SRC, keys[i]), *more = tu_strf("%s %s", inputs, arg);
        free(arg);
        free(inputs);
        free(file);
        free(qf);
        inputs = more;
    }
    char *src_uri = tu_strf("s3://%s/%s/", S3T_SRC, s3t_prefix);
    char *dst_uri = tu_strf("s3://%s/%s/", S3T_DST, s3t_prefix);
    s3t_copy_tree(up, src_uri);

    char *out = NULL, *err = NULL;
    int rc = s3t_run(&out, &err, NULL, inputs);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    char *summary = tu_strf("%zu processed, 0 failed, 0 skipped", S3T_NKEYS);
    cr_assert(strstr(out, summary), "stdout: %s\nstderr: %s", out, err);

    json_t *made = s3t_list(S3T_DST, s3t_prefix), *sources = s3t_list(S3T_SRC, s3t_prefix);
    cr_expect_eq(json_object_size(made), 2 * S3T_NKEYS, "%zu objects written",
                 json_object_size(made));
    s3t_copy_tree(dst_uri, down);
    for (size_t i = 0; i < S3T_NKEYS; i++) {
        char *main_key = tu_strf("%s.main.jpg", keys[i]);
        char *thumb_key = tu_strf("%s.thumb.png", keys[i]);
        cr_expect(json_object_get(made, main_key), "no s3://%s/%s", S3T_DST, main_key);
        cr_expect(json_object_get(made, thumb_key), "no s3://%s/%s", S3T_DST, thumb_key);
        char *main_file = tu_strf("%s/%s.main.jpg", down, s3t_keys[i]);
        char *thumb_file = tu_strf("%s/%s.thumb.png", down, s3t_keys[i]);
        int w = 0, h = 0;
        cr_expect(tu_image_size(main_file, &w, &h, NULL) == 0 && w == 100 && h == 75,
                  "%s is %dx%d", main_key, w, h);
        cr_expect(tu_image_size(thumb_file, &w, &h, NULL) == 0 && w == 32 && h == 32,
                  "%s is %dx%d", thumb_key, w, h);

        json_t *head = s3t_head(S3T_DST, main_key);
        cr_assert_not_null(head, "no head for s3://%s/%s", S3T_DST, main_key);
        cr_expect_str_eq(s3t_jstr(head, "ContentType"), "image/jpeg");
        cr_expect_str_eq(s3t_jstr(head, "CacheControl"), "public, max-age=60");
        cr_expect_str_eq(s3t_jstr(head, "StorageClass"), "STANDARD_IA");
        json_t *meta = json_object_get(head, "Metadata");
        cr_expect_str_eq(s3t_jstr(meta, "pixpipe-pipeline"), "s3-test");
        cr_expect_str_eq(s3t_jstr(meta, "pixpipe-rendition"), "main");
        char *src = s3t_unpercent(s3t_jstr(meta, "pixpipe-source-key"));
        cr_expect_str_eq(src, keys[i], "source key metadata '%s' decodes to '%s'",
                         s3t_jstr(meta, "pixpipe-source-key"), src);
        free(src);
        json_decref(head);

        /* The source's ETag as S3 lists it, minus its quotes. */
        char *etag = s3t_record_field(S3T_SRC, keys[i], "source_etag");
        char *want = tu_strf("\"%s\"", etag);
        cr_expect_str_eq(want, s3t_jstr(sources, keys[i]), "record etag %s", etag);
        cr_expect(strlen(etag) == 32, "etag '%s'", etag);
        free(etag);
        free(want);
        free(main_file);
        free(thumb_file);
        free(main_key);
        free(thumb_key);
    }
    /* One thumbnail's own type and rendition name. */
    char *thumb_key = tu_strf("%s.thumb.png", keys[0]);
    json_t *head = s3t_head(S3T_DST, thumb_key);
    cr_assert_not_null(head);
    cr_expect_str_eq(s3t_jstr(head, "ContentType"), "image/png");
    cr_expect_str_eq(s3t_jstr(json_object_get(head, "Metadata"), "pixpipe-rendition"), "thumb");
    json_decref(head);
    free(thumb_key);

    for (size_t i = 0; i < S3T_NKEYS; i++)
        free(keys[i]);
    json_decref(made);
    json_decref(sources);
    free(src_uri);
    free(dst_uri);
    free(up);
    free(down);
    free(summary);
    free(inputs);
    free(out);
    free(err);
}

/* A rendition pixpipe wrote carries its marker: given back as an input it
 * is skipped, not processed again. */
Test(storage_s3, own_outputs_skipped)
{
    s3t_url();
    /* Also: an endpoint on an IP address is addressed path style even
     * when path_style is false (no DNS name to put the bucket in). */
    s3t_pipeline_style(NULL, "false");
    char *key = tu_strf("%s/orig.jpg", s3t_prefix), *out = NULL, *err = NULL;
    s3t_upload(S3T_SRC, key, 200, 200);
    char *arg = s3t_arg(S3T_SRC, key);
    int rc = s3t_run(&out, &err, NULL, arg);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    free(out);
    free(err);
    free(arg);

    /* The output as a source: the pipeline reads from any bucket named. */
    char *made = tu_strf("%s.main.jpg", key);
    arg = s3t_arg(S3T_DST, made);
    rc = s3t_run(&out, &err, NULL, arg);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "0 processed, 0 failed, 1 skipped"), "stdout: %s\nstderr: %s", out,
              err);
    cr_expect(strstr(out, "written by pixpipe"), "stdout: %s", out);
    free(made);
    free(arg);
    free(key);
    free(out);
    free(err);
}

/* JPEG XL renditions are stored as image/jxl under .jxl keys. */
Test(storage_s3, jxl_renditions_have_their_content_type)
{
    s3t_url();
    static const char yaml[] =
        "name: s3-test\n"
        "source:      { storage: s3, endpoint: \"${PIXPIPE_TEST_S3}\", path_style: true }\n"
        "destination: { storage: s3, bucket: " S3T_DST ", endpoint: \"${PIXPIPE_TEST_S3}\",\n"
        "               path_style: true, key: \"{key}.{rendition}.{ext}\" }\n"
        "output:      { rendition: main, format: jxl, quality: 80 }\n"
        "stages:\n"
        "  - resize:    { width: 100, height: 100 }\n"
        "  - thumbnail: { name: thumb, width: 32, format: jxl }\n";
    char *path = tu_strf("%s/pipe.yaml", s3t_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path);
    char *key = tu_strf("%s/photo.jpg", s3t_prefix), *out = NULL, *err = NULL;
    s3t_upload(S3T_SRC, key, 200, 150);
    char *arg = s3t_arg(S3T_SRC, key);
    int rc = s3t_run(&out, &err, NULL, arg);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    static const struct { const char *rendition; int w, h; } made[] = {
        { "main", 100, 75 }, { "thumb", 32, 24 },
    };
    for (size_t i = 0; i < 2; i++) {
        char *k = tu_strf("%s.%s.jxl", key, made[i].rendition);
        json_t *head = s3t_head(S3T_DST, k);
        cr_assert_not_null(head, "no s3://%s/%s", S3T_DST, k);
        cr_expect_str_eq(s3t_jstr(head, "ContentType"), "image/jxl");
        s3t_expect_image(S3T_DST, k, made[i].w, made[i].h);
        json_decref(head);
        free(k);
    }
    free(arg);
    free(key);
    free(out);
    free(err);
}

/* A missing object fails its own job, named with bucket, key and the
 * 404 NoSuchKey; the other input is processed. */
Test(storage_s3, missing_object_fails_alone)
{
    s3t_url();
    s3t_pipeline(NULL);
    char *good = tu_strf("%s/good.jpg", s3t_prefix);
    char *missing = tu_strf("%s/no such/photo.jpg", s3t_prefix);
    s3t_upload(S3T_SRC, good, 300, 200);
    char *a1 = s3t_arg(S3T_SRC, good), *a2 = s3t_arg(S3T_SRC, missing);
    char *inputs = tu_strf("%s %s", a2, a1), *out = NULL, *err = NULL;
    int rc = s3t_run(&out, &err, NULL, inputs);
    cr_assert_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "1 processed, 1 failed, 0 skipped"), "stdout: %s\nstderr: %s", out,
              err);
    char *name = tu_strf("s3://%s/%s", S3T_SRC, missing);
    cr_expect(strstr(err, name), "stderr does not name %s: %s", name, err);
    cr_expect(strstr(err, "404"), "stderr: %s", err);
    cr_expect(strstr(err, "NoSuchKey"), "stderr: %s", err);
    char *made = tu_strf("%s.main.jpg", good);
    s3t_expect_image(S3T_DST, made, 100, 67);
    free(made);
    free(name);
    free(good);
    free(missing);
    free(a1);
    free(a2);
    free(inputs);
    free(out);
    free(err);
}

/* An object over limits.max_input_bytes fails with the sizes in the
 * message; one under it in the same run goes through. */
Test(storage_s3, over_byte_limit_refused)
{
    s3t_url();
    s3t_pipeline("20K");
    char *big = tu_strf("%s/big.jpg", s3t_prefix), *small = tu_strf("%s/small.jpg", s3t_prefix);
    s3t_upload(S3T_SRC, big, 1200, 900); /* noisy: well over 20 KB */
    s3t_upload(S3T_SRC, small, 40, 30);
    json_t *head = s3t_head(S3T_SRC, big);
    cr_assert_not_null(head);
    json_int_t size = json_integer_value(json_object_get(head, "ContentLength"));
    cr_assert_gt(size, 100000, "test image only %lld bytes", (long long)size);
    json_decref(head);

    char *a1 = s3t_arg(S3T_SRC, big), *a2 = s3t_arg(S3T_SRC, small);
    char *inputs = tu_strf("%s %s", a1, a2), *out = NULL, *err = NULL;
    int rc = s3t_run(&out, &err, NULL, inputs);
    cr_assert_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "1 processed, 1 failed, 0 skipped"), "stdout: %s\nstderr: %s", out,
              err);
    char *name = tu_strf("s3://%s/%s", S3T_SRC, big);
    cr_expect(strstr(err, name), "stderr does not name %s: %s", name, err);
    cr_expect(strstr(err, "20000"), "stderr does not give the limit: %s", err);
    cr_expect(strstr(err, "limit"), "stderr: %s", err);
    free(name);
    free(big);
    free(small);
    free(a1);
    free(a2);
    free(inputs);
    free(out);
    free(err);
}

/* Sends METHOD path with a JSON body (or none) to the gate's admin port
 * and returns the answer's JSON. */
static json_t *s3t_admin(const char *method, const char *path, const char *body)
{
    const char *admin = getenv("PIXPIPE_TEST_GATE_ADMIN");
    if (!admin || !*admin)
        cr_skip_test("PIXPIPE_TEST_GATE_ADMIN is not set");
    json_t *j = NULL;
    int status = tu_gate_admin(method, path, body, &j);
    cr_assert(status >= 200 && status < 300, "gate admin %s %s: HTTP %d", method, path, status);
    cr_assert_not_null(j, "gate admin %s %s: the answer is not JSON", method, path);
    return j;
}

/* The S3 gate's counts of requests whose URL holds match. */
static json_int_t s3t_count(const char *match, const char *outcome)
{
    char *path = tu_strf("/stats?match=%s", match);
    json_t *j = s3t_admin("GET", path, NULL);
    json_int_t n = json_integer_value(json_object_get(json_object_get(j, "s3"), outcome));
    json_decref(j);
    free(path);
    return n;
}

/* How many GET requests the gates saw for URLs holding match. */
static size_t s3t_gets(const char *match)
{
    char *path = tu_strf("/log?match=%s", match);
    json_t *log = s3t_admin("GET", path, NULL), *e;
    size_t i, n = 0;
    json_array_foreach(log, i, e)
        n += strcmp(s3t_jstr(e, "method"), "GET") == 0;
    json_decref(log);
    free(path);
    return n;
}

/* A wrong secret key: the gate refuses the signature, and the job fails
 * with one 403 line naming the object; the request is not retried. */
Test(storage_s3, wrong_secret_one_clear_403)
{
    s3t_url();
    s3t_pipeline(NULL);
    char *key = tu_strf("%s/secret.jpg", s3t_prefix), *out = NULL, *err = NULL;
    s3t_upload(S3T_SRC, key, 100, 100);
    char *arg = s3t_arg(S3T_SRC, key);
    int rc = s3t_run(&out, &err, "AWS_SECRET_ACCESS_KEY=wrong", arg);
    cr_assert_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "0 processed, 1 failed, 0 skipped"), "stdout: %s\nstderr: %s", out,
              err);
    char *name = tu_strf("s3://%s/%s", S3T_SRC, key);
    cr_expect(strstr(err, name), "stderr does not name %s: %s", name, err);
    cr_expect(strstr(err, "GetObject"), "stderr: %s", err);
    const char *first = strstr(err, "403");
    cr_expect(first && !strstr(first + 1, "403"), "not exactly one 403 error: %s", err);
    cr_expect(strstr(err, "403"), "stderr: %s", err);
    cr_expect(strstr(err, "SignatureDoesNotMatch"), "stderr: %s", err);
    cr_expect(!strstr(err, "wrong"), "the secret leaked into the error: %s", err);

    char *match = tu_strf("/%s/%s", S3T_SRC, key);
    cr_expect_eq(s3t_count(match, "refused"), 1, "refused requests for %s", match);
    cr_expect_eq(s3t_gets(match), 1, "GET requests for %s (a retry storm?)", match);
    free(match);
    free(name);
    free(arg);
    free(key);
    free(out);
    free(err);
}

/* 503 SlowDown twice on the download and twice on the upload of the main
 * rendition: both retried, the job succeeds. */
Test(storage_s3, slowdown_twice_then_success)
{
    s3t_url();
    s3t_pipeline(NULL);
    char *key = tu_strf("%s/slow.jpg", s3t_prefix), *out = NULL, *err = NULL;
    s3t_upload(S3T_SRC, key, 200, 100);
    char *get_match = tu_strf("/%s/%s", S3T_SRC, key);
    char *put_match = tu_strf("/%s/%s.main.jpg", S3T_DST, key);
    char *fault = tu_strf("{\"service\":\"s3\",\"status\":503,\"code\":\"SlowDown\",\"count\":2,"
                          "\"match\":\"%s\"}", get_match);
    json_decref(s3t_admin("POST", "/fault", fault));
    free(fault);
    fault = tu_strf("{\"service\":\"s3\",\"status\":503,\"code\":\"SlowDown\",\"count\":2,"
                    "\"match\":\"%s\"}", put_match);
    json_decref(s3t_admin("POST", "/fault", fault));
    free(fault);

    char *arg = s3t_arg(S3T_SRC, key);
    int rc = s3t_run(&out, &err, NULL, arg);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "1 processed, 0 failed, 0 skipped"), "stdout: %s\nstderr: %s", out,
              err);
    cr_expect_eq(s3t_count(get_match, "faulted"), 2, "SlowDown answers on the download");
    cr_expect_eq(s3t_count(put_match, "faulted"), 2, "SlowDown answers on the upload");
    cr_expect_eq(s3t_count(put_match, "forwarded"), 1, "uploads that reached s3rver");
    char *made = tu_strf("%s.main.jpg", key);
    s3t_expect_image(S3T_DST, made, 100, 50);
    free(made);
    free(get_match);
    free(put_match);
    free(arg);
    free(key);
    free(out);
    free(err);
}

/* sse_kms_key_id without sse: aws:kms is refused before anything runs,
 * naming the option; needs no server. */
Test(storage_s3_config, kms_key_needs_aws_kms)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    const char *yaml = "name: kms\n"
                       "destination: { storage: s3, bucket: b, key: \"{key}.{rendition}.{ext}\",\n"
                       "               sse: AES256,\n"
                       "               sse_kms_key_id: alias/x }\n";
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    int rc = tu_runf(&out, &err, "'%s' validate -p '%s'", tu_pixpipe(), path);
    cr_expect_eq(rc, 2, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(err, "sse_kms_key_id"), "stderr: %s", err);
    cr_expect(strstr(err, "aws:kms"), "stderr: %s", err);
    free(out);
    free(err);

    yaml = "name: kms\n"
           "destination: { storage: s3, bucket: b, key: \"{key}.{rendition}.{ext}\",\n"
           "               sse: \"aws:kms\",\n"
           "               sse_kms_key_id: alias/x, endpoint: \"http://127.0.0.1:9\" }\n";
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    rc = tu_runf(&out, &err, "'%s' validate -p '%s'", tu_pixpipe(), path);
    cr_expect_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    free(out);
    free(err);

    yaml = "name: kms\n"
           "destination: { storage: s3, bucket: b, key: \"{key}.{rendition}.{ext}\",\n"
           "               endpoint: \"ftp://x\" }\n";
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    rc = tu_runf(&out, &err, "'%s' validate -p '%s'", tu_pixpipe(), path);
    cr_expect_eq(rc, 2, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(err, "endpoint"), "stderr: %s", err);
    free(out);
    free(err);
    free(path);
    tu_rmrf(dir);
    free(dir);
}

/* A backfill: every object under a prefix, listed page by page (three
 * pages of at most 1000 would be the same code: storage_list tests the
 * paging itself).  The second run with --only-stale downloads nothing; a
 * change to the pipeline re-renders every object, and nothing else. */
Test(storage_s3, backfill_prefix_then_only_stale)
{
    s3t_url();
    enum { N = 25 };
    char *tree = tu_strf("%s/tree", s3t_dir);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s'", tree), 0);
    for (int i = 0; i < N; i++) {
        char *f = tu_strf("%s/img%02d.jpg", tree, i);
        cr_assert_eq(tu_make_image(f, 64 + i, 48), 0);
        free(f);
    }
    char *to = tu_strf("s3://" S3T_SRC "/%s/bf/", s3t_prefix);
    s3t_copy_tree(tree, to);
    s3t_pipeline(NULL);
    char *arg = s3t_q(to), *out = NULL, *err = NULL;
    char *args = tu_strf("--only-stale %s", arg);

    int rc = s3t_run(&out, &err, NULL, args);
    cr_expect_eq(rc, 0, "%s%s", out, err);
    char *want = tu_strf("listed %d (0 passed over: outputs or outside the trigger): %d processed, "
                         "0 up to date, 0 failed, 0 skipped", N, N);
    cr_expect(strstr(out, want) != NULL, "first run:\n%s%s", out, err);
    free(want), free(out), free(err);
    char *obj = tu_strf("%s/bf/img07.jpg", s3t_prefix);
    char *bf = tu_strf("%s/bf", s3t_prefix);
    json_t *listed = s3t_list(S3T_SRC, bf);
    free(bf);
    char *etag = s3t_record_field(S3T_SRC, obj, "source_etag");
    char *fp = s3t_record_field(S3T_SRC, obj, "pipeline_fingerprint");
    /* as the rest of the record: the ETag's hex, without S3's quotes */
    char *quoted = tu_strf("\"%s\"", etag);
    cr_expect(*etag && strcmp(quoted, json_string_value(json_object_get(listed, obj))) == 0,
              "the record keeps the listed ETag: %s", etag);
    free(quoted);
    cr_expect_eq(strlen(fp), 16, "fingerprint '%s'", fp);
    char *dst = tu_strf("%s/bf/img07.jpg.main.jpg", s3t_prefix);
    s3t_expect_image(S3T_DST, dst, 71, 48); /* 71x48 fits 100x100: kept */

    char *match = tu_strf("%s/bf/img", s3t_prefix);
    size_t gets = s3t_gets(match);
    rc = s3t_run(&out, &err, NULL, args);
    cr_expect_eq(rc, 0, "%s%s", out, err);
    want = tu_strf("listed %d (0 passed over: outputs or outside the trigger): 0 processed, "
                   "%d up to date, 0 failed, 0 skipped", N, N);
    cr_expect(strstr(out, want) != NULL, "second run:\n%s%s", out, err);
    cr_expect_eq(s3t_gets(match), gets, "the second run downloaded originals");
    free(want), free(out), free(err);

    /* another quality: every record is stale */
    char *path = tu_strf("%s/pipe.yaml", s3t_dir);
    cr_assert_eq(tu_runf(NULL, NULL, "sed -i 's/quality: 80/quality: 70/' '%s'", path), 0);
    rc = s3t_run(&out, &err, NULL, args);
    cr_expect_eq(rc, 0, "%s%s", out, err);
    want = tu_strf("listed %d (0 passed over: outputs or outside the trigger): %d processed, "
                   "0 up to date, 0 failed, 0 skipped", N, N);
    cr_expect(strstr(out, want) != NULL, "after the change:\n%s%s", out, err);
    char *fp2 = s3t_record_field(S3T_SRC, obj, "pipeline_fingerprint");
    cr_expect_str_neq(fp2, fp);
    free(want), free(out), free(err);
    json_decref(listed);
    free(fp2), free(path), free(match), free(dst), free(fp), free(etag), free(obj);
    free(args), free(arg), free(to), free(tree);
}

/* An object's focal-point user metadata (x-amz-meta-focal-point) is the
 * source's focus: recorded with origin "metadata" and used by crop: focus;
 * a malformed one is ignored with a note. */
Test(storage_s3, focal_point_metadata_sets_the_focus)
{
    s3t_url();
    char *yaml = tu_strf(
        "name: s3-focus\n"
        "source:      { storage: s3, endpoint: \"${PIXPIPE_TEST_S3}\", path_style: true }\n"
        "destination: { storage: s3, bucket: " S3T_DST ", endpoint: \"${PIXPIPE_TEST_S3}\",\n"
        "               path_style: true, key: \"{key}.{rendition}.{ext}\" }\n"
        "metadata:    { backend: sqlite, path: ./md.db }\n"
        "output:      { rendition: main, format: jpeg }\n"
        "stages:\n"
        "  - thumbnail: { name: thumb, width: 64, height: 64, crop: focus }\n"
        "  - metadata-sink: {}\n");
    char *path = tu_strf("%s/pipe.yaml", s3t_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    char *file = tu_strf("%s/wide.jpg", s3t_dir);
    cr_assert_eq(tu_make_image(file, 800, 400), 0);
    char *good = tu_strf("%s/focus/good.jpg", s3t_prefix), *bad = tu_strf("%s/focus/bad.jpg",
                                                                          s3t_prefix);
    char *out = NULL, *err = NULL;
    char *args = tu_strf("s3api put-object --bucket %s --key %s --body '%s' --content-type "
                         "image/jpeg --metadata '{\"focal-point\":\"0.95,0.5\"}'", S3T_SRC, good, file);
    cr_assert_eq(s3t_aws(&out, &err, args), 0, "%s%s", out, err);
    free(args);
    free(out);
    free(err);
    args = tu_strf("s3api put-object --bucket %s --key %s --body '%s' --content-type image/jpeg "
                   "--metadata '{\"focal-point\":\"left\"}'", S3T_SRC, bad, file);
    cr_assert_eq(s3t_aws(&out, &err, args), 0, "%s%s", out, err);
    free(args);
    free(out);
    free(err);
    char *ga = s3t_arg(S3T_SRC, good), *ba = s3t_arg(S3T_SRC, bad), *inputs = tu_strf("%s %s", ga, ba);
    int rc = s3t_run(&out, &err, NULL, inputs);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    char *origin = s3t_record_field(S3T_SRC, good, "focus.origin");
    char *x = s3t_record_field(S3T_SRC, good, "focus.x");
    cr_expect_str_eq(origin, "metadata");
    cr_expect_str_eq(x, "0.95");
    char *none = s3t_record_field(S3T_SRC, bad, "focus");
    char *notes = s3t_record_field(S3T_SRC, bad, "notes");
    cr_expect_str_eq(none, "");
    cr_expect(strstr(notes, "focal-point 'left' ignored: expected x,y with both in 0..1"),
              "notes: %s", notes);
    char *list[] = { origin, x, none, notes, ga, ba, inputs, good, bad, file, path, yaml, out, err };
    for (size_t i = 0; i < sizeof list / sizeof *list; i++)
        free(list[i]);
}
