/* metadata-sink + metadata-dynamodb, end to end through the pixpipe binary
 * against dynalite behind the SigV4-verifying gate (PIXPIPE_TEST_DYNAMODB;
 * skipped when unset).  Tables are created and items read back with
 * Debian's awscli, a client pixpipe shares no code with: native types (N, BOOL,
 * L of M, M), values, one item after two runs, the endpoint option, a
 * missing table's error, and the S3-event ordering (an older sequencer never
 * overwrites a newer record, a replay is a no-op success). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define DD_AWS "/usr/bin/aws"

/* The gate's URL, or skip: unit runs without Node still pass. */
static const char *dd_server(void)
{
    const char *e = getenv("PIXPIPE_TEST_DYNAMODB");
    if (!e || !*e)
        cr_skip_test("PIXPIPE_TEST_DYNAMODB is not set (no local DynamoDB server)");
    if (access(DD_AWS, X_OK) != 0)
        cr_skip_test("no awscli at " DD_AWS);
    return e;
}

/* The test servers' setting `name` (PIXPIPE_TEST_<name>), else def. */
static const char *dd_setting(const char *name, const char *def)
{
    char var[64];
    snprintf(var, sizeof var, "PIXPIPE_TEST_%s", name);
    const char *v = getenv(var);
    return v && *v ? v : def;
}

/* Environment for pixpipe and awscli alike: the test servers' credentials,
 * no shared config file, nothing looked up on an instance metadata service,
 * plain (not aws-chunked) uploads, which s3rver would store raw. */
static char *dd_env(void)
{
    return tu_strf("env -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                   "-u AWS_PROFILE AWS_ACCESS_KEY_ID='%s' AWS_SECRET_ACCESS_KEY='%s' "
                   "AWS_REGION='%s' AWS_DEFAULT_REGION='%s' "
                   "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
                   "AWS_PAGER= AWS_EC2_METADATA_DISABLED=true "
                   "AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
                   "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required",
                   dd_setting("AWS_ACCESS_KEY_ID", "S3RVER"),
                   dd_setting("AWS_SECRET_ACCESS_KEY", "S3RVER"),
                   dd_setting("AWS_REGION", "us-east-1"), dd_setting("AWS_REGION", "us-east-1"));
}

/* Runs `aws dynamodb ARGS` against the test server; stdout as JSON. */
static int dd_aws(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int dd_aws(char **out, char **err, const char *fmt, ...)
{
    char *args = NULL, *env = dd_env();
    va_list ap;
    va_start(ap, fmt);
    cr_assert_geq(vasprintf(&args, fmt, ap), 0);
    va_end(ap);
    int rc = tu_runf(out, err, "%s %s --endpoint-url '%s' --output json dynamodb %s", env,
                     DD_AWS, dd_server(), args);
    free(args);
    free(env);
    return rc;
}

/* A table name of the test's own (its temp folder's random name), so tests
 * running side by side on one server never meet. */
static char *dd_table_for(const char *dir)
{
    return tu_strf("pixpipe-%s", strrchr(dir, '/') + 1);
}

/* The table with the documented key schema.  The test dynalite makes
 * tables ACTIVE at once (createTableMs 0), so no wait; tables are not
 * deleted either, since they live in that server's memory for one run
 * (each awscli start costs a second or two). */
static void dd_create_table(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = dd_aws(&out, &err,
                    "create-table --table-name '%s' "
                    "--attribute-definitions AttributeName=source_bucket,AttributeType=S "
                    "AttributeName=source_key,AttributeType=S "
                    "--key-schema AttributeName=source_bucket,KeyType=HASH "
                    "AttributeName=source_key,KeyType=RANGE --billing-mode PAY_PER_REQUEST",
                    table);
    cr_assert_eq(rc, 0, "create-table %s: exit %d\n%s%s", table, rc, out, err);
    free(out);
    free(err);
}

/* Parses stdout of awscli; the caller decrefs. */
static json_t *dd_json(const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text ? text : "", 0, &jerr);
    cr_assert_not_null(j, "awscli printed no JSON (%s): %s", jerr.text, text);
    return j;
}

/* Every item of the table, read back with a consistent scan.  The caller
 * decrefs. */
static json_t *dd_scan(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = dd_aws(&out, &err, "scan --consistent-read --table-name '%s'", table);
    cr_assert_eq(rc, 0, "scan: exit %d\n%s%s", rc, out, err);
    json_t *resp = dd_json(out);
    json_t *items = json_incref(json_object_get(resp, "Items"));
    cr_assert(json_is_array(items), "scan gave no Items: %s", out);
    cr_assert_eq(json_integer_value(json_object_get(resp, "Count")),
                 (json_int_t)json_array_size(items));
    json_decref(resp);
    free(out);
    free(err);
    return items;
}

/* The table's only item, which must be that of (bucket, key).  The caller
 * decrefs. */
static json_t *dd_the_item(const char *table, const char *bucket, const char *key)
{
    json_t *items = dd_scan(table);
    cr_assert_eq(json_array_size(items), 1, "%zu items in %s, expected one (%s)",
                 json_array_size(items), table, key);
    json_t *item = json_incref(json_array_get(items, 0));
    json_decref(items);
    const char *b = json_string_value(json_object_get(json_object_get(item, "source_bucket"), "S"));
    const char *k = json_string_value(json_object_get(json_object_get(item, "source_key"), "S"));
    cr_assert(b && k && strcmp(b, bucket) == 0 && strcmp(k, key) == 0,
              "the item is keyed (%s, %s), expected (%s, %s)", b ? b : "-", k ? k : "-", bucket,
              key);
    return item;
}

/* The value of attribute `name` of a map, which must be of DynamoDB type
 * `type` and no other.  Borrowed from map. */
static json_t *dd_av(const json_t *map, const char *name, const char *type)
{
    json_t *av = json_object_get(map, name);
    char *dump = av ? json_dumps(av, JSON_COMPACT) : NULL;
    cr_assert_not_null(av, "no attribute %s", name);
    cr_assert(json_object_size(av) == 1 && json_object_get(av, type),
              "attribute %s is not of type %s: %s", name, type, dump);
    free(dump);
    return json_object_get(av, type);
}

static const char *dd_s(const json_t *map, const char *name)
{
    return json_string_value(dd_av(map, name, "S"));
}

/* A number attribute (DynamoDB sends N as a decimal string). */
static double dd_n(const json_t *map, const char *name)
{
    const char *s = json_string_value(dd_av(map, name, "N"));
    char *end = NULL;
    cr_assert_not_null(s);
    double v = strtod(s, &end);
    cr_assert(end && *end == '\0' && end != s, "%s: N '%s' is not a number", name, s);
    return v;
}

static long dd_file_size(const char *dir, const char *rel)
{
    char *p = tu_strf("%s/%s", dir, rel);
    struct stat sb;
    cr_assert_eq(stat(p, &sb), 0, "missing %s", p);
    free(p);
    return (long)sb.st_size;
}

/* metadata: is the YAML flow map for the metadata section. */
static void dd_write_pipeline(const char *dir, const char *metadata)
{
    char *yaml = tu_strf("name: ddb-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
                         "metadata: %s\n"
                         "output: { rendition: main, format: jpeg, quality: 80 }\n"
                         "stages:\n"
                         "  - resize: { width: 320, height: 320 }\n"
                         "  - metadata-sink: { include_gps: true }\n",
                         metadata);
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(yaml);
    free(path);
}

/* `pixpipe run -p pipe.yaml ARGS` in dir, with the servers' credentials;
 * endpoint_env is AWS_ENDPOINT_URL_DYNAMODB's value (NULL: unset). */
static int dd_run(const char *dir, const char *endpoint_env, const char *args, char **out,
                  char **err)
{
    char *env = dd_env();
    int rc = tu_runf(out, err, "cd '%s' && %s %s%s%s '%s' run -p pipe.yaml %s", dir, env,
                     endpoint_env ? "AWS_ENDPOINT_URL_DYNAMODB='" : "-u AWS_ENDPOINT_URL_DYNAMODB",
                     endpoint_env ? endpoint_env : "", endpoint_env ? "'" : "", tu_pixpipe(),
                     args);
    free(env);
    return rc;
}

/* The bucket pixpipe gives a local file: the real path of its folder. */
static char *dd_bucket_of(const char *dir)
{
    char buf[PATH_MAX];
    cr_assert_not_null(realpath(dir, buf), "realpath %s", dir);
    return strdup(buf);
}

Test(dynamodb, item_in_native_types_and_second_run_keeps_one, .timeout = 120)
{
    const char *server = dd_server();
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *table = dd_table_for(dir), *bucket = dd_bucket_of(dir);
    char *img = tu_strf("%s/a.jpg", dir), *meta = tu_strf("{ backend: dynamodb, table: %s }", table);
    cr_assert_eq(tu_make_scene(img, 640, 480, 1, 1), 0);
    dd_create_table(table);
    dd_write_pipeline(dir, meta);

    int rc = dd_run(dir, server, "a.jpg", &out, &err);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    free(out);
    free(err);

    json_t *item = dd_the_item(table, bucket, "a.jpg");
    cr_expect_str_eq(dd_s(item, "status"), "ok");
    cr_expect_str_eq(dd_s(item, "pipeline"), "ddb-test");
    cr_expect_str_eq(dd_s(item, "format"), "jpeg");
    cr_expect_eq(dd_n(item, "width"), 640);
    cr_expect_eq(dd_n(item, "height"), 480);
    cr_expect_eq(dd_n(item, "orientation"), 1);
    cr_expect_eq(dd_n(item, "source_bytes"), dd_file_size(dir, "a.jpg"));
    cr_expect(json_is_false(dd_av(item, "alpha", "BOOL")), "alpha is not BOOL false");
    cr_expect_eq(strlen(dd_s(item, "sha256")), 64);
    cr_expect(!json_object_get(item, "error"), "an ok job has an error attribute");
    cr_expect(!json_object_get(item, "sequencer"), "a local file has no S3 sequencer");

    /* The renditions list holds maps, their numbers as numbers. */
    json_t *rends = dd_av(item, "renditions", "L");
    cr_assert_eq(json_array_size(rends), 1);
    json_t *main_r = json_object_get(json_array_get(rends, 0), "M");
    cr_assert_not_null(main_r, "renditions[0] is not a map");
    cr_expect_str_eq(dd_s(main_r, "name"), "main");
    cr_expect_str_eq(dd_s(main_r, "key"), "a-main.jpg");
    cr_expect_str_eq(dd_s(main_r, "format"), "jpeg");
    cr_expect_eq(dd_n(main_r, "width"), 320);
    cr_expect_eq(dd_n(main_r, "height"), 240);
    cr_expect_eq(dd_n(main_r, "bytes"), dd_file_size(dir, "out/a-main.jpg"));

    /* Objects become maps: EXIF strings, GPS reals, the core's decode facts. */
    json_t *exif = dd_av(item, "exif", "M");
    cr_expect_str_eq(dd_s(exif, "make"), "Pixpipe Optics");
    cr_expect_str_eq(dd_s(exif, "model"), "Demo Camera 1");
    cr_expect_str_eq(dd_s(exif, "date_taken"), "2026-06-21T12:00:00");
    json_t *gps = dd_av(item, "gps", "M");
    cr_expect(fabs(dd_n(gps, "latitude") - (48 + 51 / 60.0 + 30 / 3600.0)) < 1e-6,
              "latitude %g", dd_n(gps, "latitude"));
    cr_expect(fabs(dd_n(gps, "longitude") - (2 + 17 / 60.0 + 40 / 3600.0)) < 1e-6,
              "longitude %g", dd_n(gps, "longitude"));
    cr_expect_eq(dd_n(dd_av(item, "decode", "M"), "decodes"), 1);
    json_t *timings = dd_av(item, "timings_ms", "M");
    cr_expect_gt(json_object_size(timings), 0);
    cr_expect_geq(dd_n(timings, "resize"), 0);
    const char *first_at = dd_s(item, "processed_at");
    char *first = strdup(first_at);

    /* A second run replaces the item: still one, written again. */
    rc = dd_run(dir, server, "a.jpg", &out, &err);
    cr_assert_eq(rc, 0, "second run: exit %d\n%s%s", rc, out, err);
    json_t *again = dd_the_item(table, bucket, "a.jpg");
    cr_expect_str_eq(dd_s(again, "status"), "ok");
    cr_expect(strcmp(dd_s(again, "processed_at"), first) >= 0, "processed_at went back");

    json_decref(again);
    json_decref(item);
    free(first);
    free(out);
    free(err);
    free(meta);
    free(img);
    free(bucket);
    free(table);
    tu_rmrf(dir);
    free(dir);
}

/* The endpoint option beats AWS_ENDPOINT_URL_DYNAMODB, here a dead port. */
Test(dynamodb, endpoint_option_wins_over_environment, .timeout = 120)
{
    const char *server = dd_server();
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *table = dd_table_for(dir), *bucket = dd_bucket_of(dir);
    char *img = tu_strf("%s/b.png", dir);
    char *meta = tu_strf("{ backend: dynamodb, table: %s, endpoint: \"%s\", region: %s }",
                         table, server, dd_setting("AWS_REGION", "us-east-1"));
    cr_assert_eq(tu_make_image(img, 300, 200), 0);
    dd_create_table(table);
    dd_write_pipeline(dir, meta);

    int rc = dd_run(dir, "http://127.0.0.1:9", "b.png", &out, &err);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    json_t *item = dd_the_item(table, bucket, "b.png");
    cr_expect_str_eq(dd_s(item, "format"), "png");
    cr_expect_eq(dd_n(item, "width"), 300);
    cr_expect(json_is_false(dd_av(item, "alpha", "BOOL")));

    json_decref(item);
    free(out);
    free(err);
    free(meta);
    free(img);
    free(bucket);
    free(table);
    tu_rmrf(dir);
    free(dir);
}

/* A table that does not exist fails the job with one line naming the
 * operation, the table and DynamoDB's error code. */
Test(dynamodb, missing_table_fails_the_job_naming_it, .timeout = 120)
{
    const char *server = dd_server();
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *table = tu_strf("%s-absent", strrchr(dir, '/') + 1);
    char *img = tu_strf("%s/c.jpg", dir), *meta = tu_strf("{ backend: dynamodb, table: %s }", table);
    cr_assert_eq(tu_make_image(img, 64, 48), 0);
    dd_write_pipeline(dir, meta);

    int rc = dd_run(dir, server, "c.jpg", &out, &err);
    cr_assert_eq(rc, 1, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "0 processed, 1 failed, 0 skipped"), "stdout: %s", out);
    char *want = tu_strf("PutItem table %s", table);
    cr_expect(strstr(err, want), "no '%s' in stderr: %s", want, err);
    cr_expect(strstr(err, "ResourceNotFoundException"), "no AWS error code in stderr: %s", err);
    cr_expect(strstr(err, "c.jpg"), "the failed source is not named: %s", err);

    free(want);
    free(out);
    free(err);
    free(meta);
    free(img);
    free(table);
    tu_rmrf(dir);
    free(dir);
}

/* Jobs on worker threads share the plugin's state: every one gets its item. */
Test(dynamodb, concurrent_jobs_each_get_an_item, .timeout = 180)
{
    const char *server = dd_server();
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *table = dd_table_for(dir), *in = tu_strf("%s/in", dir);
    char *meta = tu_strf("{ backend: dynamodb, table: %s }", table);
    cr_assert_eq(mkdir(in, 0755), 0);
    for (int i = 0; i < 6; i++) {
        char *p = tu_strf("%s/img%d.png", in, i);
        cr_assert_eq(tu_make_image(p, 100 + i, 80), 0);
        free(p);
    }
    dd_create_table(table);
    dd_write_pipeline(dir, meta);

    int rc = dd_run(dir, server, "-j 4 in", &out, &err);
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(out, "6 processed, 0 failed, 0 skipped"), "stdout: %s", out);
    json_t *items = dd_scan(table);
    cr_assert_eq(json_array_size(items), 6);
    char *bucket = dd_bucket_of(in);
    int seen = 0;
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        const char *key = dd_s(item, "source_key");
        int n = -1;
        cr_assert(sscanf(key, "img%d.png", &n) == 1 && n >= 0 && n < 6, "key %s", key);
        cr_expect_str_eq(dd_s(item, "source_bucket"), bucket);
        cr_expect_str_eq(dd_s(item, "status"), "ok");
        cr_expect_eq(dd_n(item, "width"), 100 + n, "%s", key);
        seen |= 1 << n;
    }
    cr_expect_eq(seen, 0x3f, "not every image has its item");
    json_decref(items);

    free(bucket);
    free(out);
    free(err);
    free(meta);
    free(in);
    free(table);
    tu_rmrf(dir);
    free(dir);
}

/* ------------------------------------------------ S3 events and ordering */

#define DD_SRC_BUCKET "pixpipe-src" /* made by tests/servers/start.sh */

/* Uploads a w x h JPEG as DD_SRC_BUCKET/key with awscli (path-style). */
static void dd_upload(const char *dir, const char *key, int w, int h)
{
    char *file = tu_strf("%s/upload.jpg", dir), *cfg = tu_strf("%s/aws.cfg", dir);
    char *env = dd_env(), *out = NULL, *err = NULL;
    const char *text = "[default]\ns3 =\n    addressing_style = path\n";
    cr_assert_eq(tu_make_image(file, w, h), 0);
    cr_assert_eq(tu_write_file(cfg, text, strlen(text)), 0);
    int rc = tu_runf(&out, &err,
                     "%s AWS_CONFIG_FILE='%s' %s --endpoint-url '%s' s3api put-object "
                     "--bucket " DD_SRC_BUCKET " --key '%s' --body '%s' --content-type image/jpeg",
                     env, cfg, DD_AWS, getenv("PIXPIPE_TEST_S3"), key, file);
    cr_assert_eq(rc, 0, "upload %s: exit %d\n%s%s", key, rc, out, err);
    free(out);
    free(err);
    free(env);
    free(cfg);
    free(file);
}

/* Writes DIR/NAME: an S3 notification of one ObjectCreated:Put of key
 * (URL-safe as given) with the given sequencer. */
static void dd_write_event(const char *dir, const char *name, const char *key,
                           const char *sequencer)
{
    json_t *ev = json_pack("{s:[{s:s, s:s, s:s, s:s, s:{s:s, s:{s:s}, s:{s:s, s:s}}}]}",
                           "Records", "eventVersion", "2.1", "eventSource", "aws:s3",
                           "awsRegion", "us-east-1", "eventName", "ObjectCreated:Put", "s3",
                           "s3SchemaVersion", "1.0", "bucket", "name", DD_SRC_BUCKET, "object",
                           "key", key, "sequencer", sequencer);
    char *text = json_dumps(ev, JSON_INDENT(1)), *path = tu_strf("%s/%s", dir, name);
    cr_assert_not_null(text);
    cr_assert_eq(tu_write_file(path, text, strlen(text)), 0);
    free(path);
    free(text);
    json_decref(ev);
}

/* pipe.yaml reading from the S3 test server, named `name` so the item
 * tells which run wrote it. */
static void dd_write_s3_pipeline(const char *dir, const char *name, const char *table)
{
    char *yaml = tu_strf("name: %s\n"
                         "source: { storage: s3, endpoint: \"${PIXPIPE_TEST_S3}\", path_style: true }\n"
                         "destination: { storage: fs, root: ./out, key: \"{key}.{rendition}.{ext}\" }\n"
                         "metadata: { backend: dynamodb, table: %s }\n"
                         "output: { rendition: main, format: jpeg, quality: 80 }\n"
                         "stages:\n"
                         "  - resize: { width: 64, height: 64 }\n"
                         "  - metadata-sink: {}\n",
                         name, table);
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(yaml);
    free(path);
}

/* Runs pipeline `name` on event file `event`; asserts success. */
static void dd_run_event(const char *dir, const char *table, const char *name, const char *event,
                         char **err)
{
    char *out = NULL, *args = tu_strf("-v --event %s", event);
    dd_write_s3_pipeline(dir, name, table);
    int rc = dd_run(dir, dd_server(), args, &out, err);
    cr_assert_eq(rc, 0, "%s on %s: exit %d\n%s%s", name, event, rc, out, *err);
    cr_expect(strstr(out, "1 processed, 0 failed, 0 skipped"), "%s: stdout: %s", event, out);
    free(args);
    free(out);
}

/* The table's one item: written by pipeline `pipeline`, with `sequencer`
 * stored.  The caller decrefs. */
static json_t *dd_expect_item(const char *table, const char *key, const char *pipeline,
                              const char *sequencer)
{
    json_t *item = dd_the_item(table, DD_SRC_BUCKET, key);
    cr_expect_str_eq(dd_s(item, "pipeline"), pipeline);
    cr_expect_str_eq(dd_s(item, "sequencer"), sequencer);
    cr_expect_str_eq(dd_s(item, "status"), "ok");
    return item;
}

/* S3 delivers events late and twice.  Sequencers of different lengths
 * compare as numbers (left-padded), not as strings: "55AED6DCD90281E5" is
 * older than "0055AED6DCD90281E6" though it sorts after it as text. */
Test(dynamodb, older_event_never_overwrites_newer, .timeout = 180)
{
    dd_server();
    if (!getenv("PIXPIPE_TEST_S3") || !*getenv("PIXPIPE_TEST_S3"))
        cr_skip_test("PIXPIPE_TEST_S3 is not set (no local S3 server)");
    char *s3so = tu_strf("%s/plugins/storage-s3.so", tu_build());
    bool have_s3 = tu_exists(s3so);
    free(s3so);
    if (!have_s3)
        cr_skip_test("storage-s3 plugin not built (the S3 source reads the events' objects)");
    char *dir = tu_tmpdir(), *err = NULL;
    char *table = dd_table_for(dir);
    char *key = tu_strf("ordering/%s.jpg", strrchr(dir, '/') + 1);
    dd_create_table(table);
    dd_upload(dir, key, 200, 150);
    dd_write_event(dir, "newer.json", key, "0055AED6DCD90281E6");
    dd_write_event(dir, "older.json", key, "55AED6DCD90281E5");
    dd_write_event(dir, "newest.json", key, "0055aed6dcd90281e600");

    dd_run_event(dir, table, "ddb-newer", "newer.json", &err);
    json_t *first = dd_expect_item(table, key, "ddb-newer", "000000000000000055AED6DCD90281E6");
    free(err);

    /* The older event arrives late: a success that leaves the item alone. */
    dd_run_event(dir, table, "ddb-older", "older.json", &err);
    json_t *after = dd_expect_item(table, key, "ddb-newer", "000000000000000055AED6DCD90281E6");
    cr_expect(strstr(err, "newer record"), "no debug line about the kept record: %s", err);
    cr_expect_str_eq(dd_s(after, "processed_at"), dd_s(first, "processed_at"),
                     "the item was rewritten by an older event");
    json_decref(after);
    free(err);

    /* The same event again: success, still the one item. */
    dd_run_event(dir, table, "ddb-newer", "newer.json", &err);
    json_decref(dd_expect_item(table, key, "ddb-newer", "000000000000000055AED6DCD90281E6"));
    free(err);

    /* A later event, with a longer sequencer in lower case, replaces it. */
    dd_run_event(dir, table, "ddb-newest", "newest.json", &err);
    json_decref(dd_expect_item(table, key, "ddb-newest", "0000000000000055AED6DCD90281E600"));
    free(err);

    json_decref(first);
    free(key);
    free(table);
    tu_rmrf(dir);
    free(dir);
}

/* Needs no server: `validate` refuses a name DynamoDB would refuse, and a
 * pipeline without the table. */
Test(dynamodb, validate_refuses_bad_or_missing_table)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    dd_write_pipeline(dir, "{ backend: dynamodb, table: \"my images!\" }");
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' validate -p pipe.yaml", dir, tu_pixpipe());
    cr_expect_eq(rc, 2, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(err, "my images!") && strstr(err, "not a DynamoDB table name"),
              "stderr: %s", err);
    free(out);
    free(err);

    dd_write_pipeline(dir, "{ backend: dynamodb, region: eu-west-1 }");
    rc = tu_runf(&out, &err, "cd '%s' && '%s' validate -p pipe.yaml", dir, tu_pixpipe());
    cr_expect_eq(rc, 2, "exit %d\n%s%s", rc, out, err);
    cr_expect(strstr(err, "table"), "stderr: %s", err);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}
