/* The fault soak: N small distinct JPEGs (500; 120 under PIXPIPE_SAN=1)
 * uploaded to the test S3 server, then processed twice while the gates
 * inject random faults into a tenth of this test's requests
 * (tests/servers/faults.js: 500 InternalError, 503 ServiceUnavailable,
 * 503 SlowDown / 400 ThrottlingException and
 * ProvisionedThroughputExceededException, connection resets before the
 * request reaches the server and part way through its answer, answers held
 * a second, answers stalled a second part way through their body):
 *
 *   1. `pixpipe run -j 4` with one s3://BUCKET/KEY argument per object,
 *      storage s3 and metadata dynamodb;
 *   2. `pixpipe lambda` through a private runtime of the Lambda emulator,
 *      the objects announced in SQS batches of 10 (each body an S3
 *      notification with a sequencer), the batchItemFailures delivered
 *      again as SQS would, up to SK_DELIVERIES deliveries in all.
 *
 * Then, faults off, everything is read back with awscli, a client pixpipe
 * shares no code with: every source must have exactly one DynamoDB item
 * saying ok, made from the whole source (its size, ETag and SHA-256 those
 * of the object uploaded), and both its renditions in the output bucket,
 * whole (each decodes pixel by pixel with libvips at the expected size, its
 * bytes hash to its ETag and have the size the item gives), or else
 * pixpipe must have reported it failed with a reason (retries exhausted),
 * in its job line or, for Lambda, in batchItemFailures.  Counted and
 * asserted: 0 lost (neither), 0 duplicated (an item or an object under a
 * key no source accounts for), 0 half-written (an object that does not
 * decode, or whose size or hash differs), 0 failures for a reason that is
 * not an injected fault, 0 requests refused by the gate (a retry signed
 * wrong), no crash and no hang.  The figures are printed on stderr with the
 * injected faults per kind.
 *
 * PIXPIPE_SOAK_IMAGES, PIXPIPE_SOAK_RATE, PIXPIPE_SOAK_SEED and
 * PIXPIPE_SOAK_KINDS change N, the fault rate (default 0.1), the seed
 * (default 13) and the kinds (a comma list; default all), to try other
 * mixes by hand; PIXPIPE_SOAK_KEEP=1 keeps the temp folder.  Skipped
 * without the test servers. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define SK_AWS "/usr/bin/aws"
#define SK_SRC "pixpipe-src"
#define SK_DST "pixpipe-out"
#define SK_BATCH 10      /* SQS messages per invocation                 */
#define SK_DELIVERIES 4  /* an SQS message is delivered at most so often */
#define SK_MAIN_W 40     /* every source is 4k x 3k: main is 40x30       */
#define SK_MAIN_H 30
#define SK_THUMB 16      /* thumb: 16x16                                 */

extern char **environ;

static char *sk_dir;   /* this test's temp folder                        */
static char *sk_tag;   /* "soak-XXXXXX": key prefix, tables, fault match  */
static char *sk_admin; /* the private Lambda runtime's admin base URL     */
static char *sk_api;   /* its host:port                                   */
#define SK_INSTANCES 2 /* lambda processes polling the runtime at once  */
static pid_t sk_pid[SK_INSTANCES] = { -1, -1 };
static int sk_status[SK_INSTANCES]; /* exit status once reaped (-1: signal) */

static const char *sk_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void sk_setup(void)
{
    if (!sk_env("PIXPIPE_TEST_S3"))
        return; /* the test skips */
    sk_dir = tu_tmpdir();
    cr_assert_not_null(sk_dir);
    sk_tag = tu_strf("soak-%s", strrchr(sk_dir, '-') + 1);
    char *cfg = tu_strf("%s/aws.cfg", sk_dir);
    const char *text = "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n";
    cr_assert_eq(tu_write_file(cfg, text, strlen(text)), 0);
    free(cfg);
}

static void sk_chaos_off(void);

static void sk_teardown(void)
{
    for (int p = 0; p < SK_INSTANCES; p++)
        if (sk_pid[p] > 0) {
            kill(sk_pid[p], SIGKILL);
            waitpid(sk_pid[p], NULL, 0);
            sk_pid[p] = -1;
        }
    if (sk_tag && sk_env("PIXPIPE_TEST_GATE_ADMIN"))
        sk_chaos_off(); /* whatever happened, no fault outlives the test */
    if (sk_admin) {
        char *args = tu_strf("-X DELETE '%s'", sk_admin);
        tu_curl(NULL, 10, args);
        free(args);
    }
    if (sk_dir && !sk_env("PIXPIPE_SOAK_KEEP"))
        tu_rmrf(sk_dir);
    else if (sk_dir)
        fprintf(stderr, "soak: kept %s\n", sk_dir);
    free(sk_dir);
    free(sk_tag);
    free(sk_admin);
    free(sk_api);
    sk_dir = sk_tag = sk_admin = sk_api = NULL;
}

TestSuite(soak, .init = sk_setup, .fini = sk_teardown, .timeout = 600);

/* ---- helpers --------------------------------------------------------- */

/* The awscli environment: the servers' one key pair, path-style S3, no
 * config or instance metadata looked up, plain (not aws-chunked) uploads. */
static int sk_aws(char **out, char **err, const char *endpoint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int sk_aws(char **out, char **err, const char *endpoint, const char *fmt, ...)
{
    char *args = NULL;
    va_list ap;
    va_start(ap, fmt);
    cr_assert_geq(vasprintf(&args, fmt, ap), 0);
    va_end(ap);
    int rc = tu_runf(out, err,
                     "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                     "-u AWS_ENDPOINT_URL_DYNAMODB -u AWS_SESSION_TOKEN "
                     "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
                     "AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 "
                     "AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE='%s/aws.cfg' "
                     "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
                     "AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
                     "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required "
                     SK_AWS " --endpoint-url '%s' --output json %s",
                     sk_dir, endpoint, args);
    free(args);
    return rc;
}

/* METHOD url with an optional JSON body (from a file: no shell quoting of
 * event text); *answer gets the answer parsed when answer != NULL. */
static int sk_http(const char *method, const char *url, const char *json, json_t **answer)
{
    char *file = tu_strf("%s/request.json", sk_dir), *body = NULL;
    if (json)
        cr_assert_eq(tu_write_file(file, json, strlen(json)), 0);
    char *args = json ? tu_strf("-X %s -H 'Content-Type: application/json' --data-binary @%s '%s'",
                                method, file, url)
                      : tu_strf("-X %s '%s'", method, url);
    int status = tu_curl(&body, 130, args);
    cr_assert_geq(status, 0, "%s", body);
    if (answer) {
        *answer = json_loads(body, 0, NULL);
        cr_assert_not_null(*answer, "%s %s answered %d: %s", method, url, status, body);
    }
    free(body), free(args), free(file);
    return status;
}

/* The gate admin call, which must succeed with JSON.  Caller decrefs. */
static json_t *sk_gate(const char *method, const char *path, const char *body)
{
    json_t *j = NULL;
    int status = tu_gate_admin(method, path, body, &j);
    cr_assert(status >= 200 && status < 300 && j, "gate admin %s %s: HTTP %d", method, path,
              status);
    return j;
}

static void sk_chaos_off(void)
{
    char *body = tu_strf("{\"match\":\"%s\"}", sk_tag);
    tu_gate_admin("POST", "/chaos/off", body, NULL);
    free(body);
}

static char *sk_dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_assert_not_null(s);
    return s;
}

static const char *sk_s(const json_t *obj, const char *name)
{
    const char *v = json_string_value(json_object_get(obj, name));
    return v ? v : "";
}

/* A DynamoDB attribute's S or N value as text ("" when absent). */
static const char *sk_av(const json_t *map, const char *name)
{
    const json_t *av = json_object_get(map, name);
    const char *v = json_string_value(json_object_get(av, "S"));
    if (!v)
        v = json_string_value(json_object_get(av, "N"));
    return v ? v : "";
}

static double sk_elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static long sk_env_long(const char *name, long def)
{
    const char *v = sk_env(name);
    return v ? strtol(v, NULL, 10) : def;
}

/* The source key of image i. Caller frees. */
static char *sk_key(int i)
{
    return tu_strf("%s/src/img-%04d.jpg", sk_tag, i);
}

/* ---- fixtures ---------------------------------------------------------- */

/* N distinct photo-like JPEGs, 4k x 3k for k in 16..40 (so every main
 * rendition is exactly 40x30), uploaded in one awscli call. */
static void sk_make_and_upload(int n)
{
    char *root = tu_strf("%s/up/%s/src", sk_dir, sk_tag), *out = NULL, *err = NULL;
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s'", root), 0);
    for (int i = 0; i < n; i++) {
        int k = 16 + (i * 7) % 25;
        char *file = tu_strf("%s/img-%04d.jpg", root, i);
        cr_assert_eq(tu_make_image(file, 4 * k, 3 * k), 0, "cannot make %s", file);
        free(file);
    }
    int rc = sk_aws(&out, &err, sk_env("PIXPIPE_TEST_S3"),
                    "s3 cp --recursive --only-show-errors --content-type image/jpeg '%s' "
                    "s3://" SK_SRC "/%s/src/", root, sk_tag);
    cr_assert_eq(rc, 0, "upload: %s%s", out, err);
    free(out), free(err), free(root);
}

static void sk_create_table(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = sk_aws(&out, &err, sk_env("PIXPIPE_TEST_DYNAMODB"),
                    "dynamodb create-table --table-name '%s' "
                    "--attribute-definitions AttributeName=source_bucket,AttributeType=S "
                    "AttributeName=source_key,AttributeType=S "
                    "--key-schema AttributeName=source_bucket,KeyType=HASH "
                    "AttributeName=source_key,KeyType=RANGE --billing-mode PAY_PER_REQUEST",
                    table);
    cr_assert_eq(rc, 0, "create-table %s: %s%s", table, out, err);
    free(out), free(err);
}

/* Every object under bucket/prefix: key -> {"etag", "size"}.  Decref. */
static json_t *sk_list(const char *bucket, const char *prefix)
{
    char *out = NULL, *err = NULL;
    int rc = sk_aws(&out, &err, sk_env("PIXPIPE_TEST_S3"),
                    "s3api list-objects-v2 --bucket %s --prefix '%s'", bucket, prefix);
    cr_assert_eq(rc, 0, "list s3://%s/%s: %s%s", bucket, prefix, out, err);
    json_t *j = *out ? json_loads(out, 0, NULL) : json_object(), *map = json_object(), *o;
    cr_assert_not_null(j, "list printed no JSON: %s", out);
    size_t i;
    json_array_foreach(json_object_get(j, "Contents"), i, o) {
        char etag[64];
        snprintf(etag, sizeof etag, "%s", sk_s(o, "ETag"));
        size_t n = strlen(etag);
        if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
            memmove(etag, etag + 1, n - 2);
            etag[n - 2] = '\0';
        }
        json_object_set_new(map, sk_s(o, "Key"),
                            json_pack("{s:s, s:I}", "etag", etag, "size",
                                      json_integer_value(json_object_get(o, "Size"))));
    }
    json_decref(j);
    free(out), free(err);
    return map;
}

/* Every item of the table (consistent scan).  Decref. */
static json_t *sk_scan(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = sk_aws(&out, &err, sk_env("PIXPIPE_TEST_DYNAMODB"),
                    "dynamodb scan --consistent-read --table-name '%s'", table);
    cr_assert_eq(rc, 0, "scan %s: %s%s", table, out, err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "scan printed no JSON: %s", out);
    json_t *items = json_incref(json_object_get(j, "Items"));
    cr_assert(json_is_array(items), "%s", out);
    json_decref(j);
    free(out), free(err);
    return items;
}

/* Writes the pipeline file name: sources from the S3 server, renditions
 * to SK_DST under PHASE/ (main 40x30 JPEG, thumb 16x16 PNG), one item per
 * source in table. */
static void sk_pipeline(const char *name, const char *phase, const char *table)
{
    char *yaml = tu_strf(
        "name: soak-%s\n"
        "trigger:     { bucket: " SK_SRC ", prefix: \"%s/src/\" }\n"
        "source:      { storage: s3, endpoint: \"%s\", path_style: true }\n"
        "destination: { storage: s3, bucket: " SK_DST ", endpoint: \"%s\", path_style: true,\n"
        "               key: \"%s/{key}.{rendition}.{ext}\" }\n"
        "metadata:    { backend: dynamodb, table: %s, endpoint: \"%s\" }\n"
        "output:      { rendition: main, format: jpeg, quality: 80 }\n"
        "stages:\n"
        "  - resize:    { width: %d, height: %d }\n"
        "  - thumbnail: { name: thumb, width: %d, height: %d, crop: centre, format: png }\n"
        "  - metadata-sink: {}\n",
        phase, sk_tag, sk_env("PIXPIPE_TEST_S3"), sk_env("PIXPIPE_TEST_S3"), phase, table,
        sk_env("PIXPIPE_TEST_DYNAMODB"), SK_MAIN_W, SK_MAIN_W, SK_THUMB, SK_THUMB);
    char *path = tu_strf("%s/%s", sk_dir, name);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path), free(yaml);
}

/* Reads pixpipe's JSON job lines (one per finished job, with "key",
 * "status" and, when not ok, "reason") into reports: key -> the last line
 * for it.  Returns how many job lines there were. */
static int sk_job_lines(const char *text, json_t *reports)
{
    int n = 0;
    char *copy = strdup(text), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != '{')
            continue;
        json_t *j = json_loads(line, 0, NULL);
        const char *key = json_string_value(json_object_get(j, "key"));
        if (key && json_object_get(j, "status")) {
            json_object_set(reports, key, j);
            n++;
        }
        json_decref(j);
    }
    free(copy);
    return n;
}

/* True when a failure's reason is what an injected fault explains:
 * retries used up on a 5xx, a throttling answer or a dropped connection,
 * or (Lambda) a record the deadline left no time for. */
static int sk_fault_reason(const char *reason)
{
    static const char *const known[] = {
        "HTTP 500", "HTTP 503", "ThrottlingException", "ProvisionedThroughputExceeded",
        "SlowDown", "attempts)", "not started",
    };
    for (size_t i = 0; reason && i < sizeof known / sizeof *known; i++)
        if (strstr(reason, known[i]))
            return 1;
    return 0;
}

/* ---- checking one phase's results ------------------------------------- */

/* True when the item was made from the whole source i: its source_bytes,
 * source_etag and sha256 those of the object uploaded (listed, and the
 * file made); else why not, in why. */
static int sk_same_source(const json_t *item, const json_t *listed, int i, char *why,
                          size_t size)
{
    char *file = tu_strf("%s/up/%s/src/img-%04d.jpg", sk_dir, sk_tag, i), sha[65] = "";
    size_t len = 0;
    char *bytes = tu_read_file(file, &len);
    if (bytes)
        tu_sha256_hex(bytes, len, sha);
    free(bytes), free(file);
    json_int_t listed_size = json_integer_value(json_object_get(listed, "size"));
    if (strtoll(sk_av(item, "source_bytes"), NULL, 10) != listed_size || (json_int_t)len != listed_size)
        snprintf(why, size, "the item gives the source as %s bytes, S3 lists %lld (%zu made)",
                 sk_av(item, "source_bytes"), (long long)listed_size, len);
    else if (strcmp(sk_av(item, "source_etag"), sk_s(listed, "etag")) != 0)
        snprintf(why, size, "the item gives the source's ETag as %s, S3 lists %s",
                 sk_av(item, "source_etag"), sk_s(listed, "etag"));
    else if (strcmp(sk_av(item, "sha256"), sha) != 0)
        snprintf(why, size, "the item gives the source's SHA-256 as %s, not %s (the file made)",
                 sk_av(item, "sha256"), sha);
    else
        return 1;
    return 0;
}

typedef struct sk_counts {
    int processed;   /* one ok item, both renditions whole              */
    int failed;      /* reported failed by pixpipe, with a reason       */
    int lost;        /* neither                                         */
    int duplicated;  /* items / objects no source accounts for          */
    int half;        /* objects cut, damaged or not the item's size     */
    int unexplained; /* failures whose reason is not an injected fault  */
    int objects, items;
} sk_counts;

/* What an object must be: its rendition ("main" or "thumb") from its key. */
static int sk_expected_size(const char *key, int *w, int *h)
{
    size_t n = strlen(key);
    if (n > 9 && strcmp(key + n - 9, ".main.jpg") == 0) {
        *w = SK_MAIN_W, *h = SK_MAIN_H;
        return 0;
    }
    if (n > 10 && strcmp(key + n - 10, ".thumb.png") == 0) {
        *w = SK_THUMB, *h = SK_THUMB;
        return 0;
    }
    return -1;
}

static void sk_note(char **log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sk_note(char **log, const char *fmt, ...)
{
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&line, fmt, ap) < 0)
        line = NULL;
    va_end(ap);
    char *more = tu_strf("%s  %s\n", *log ? *log : "", line ? line : "?");
    free(*log), free(line);
    *log = more;
}

/* Reads back phase `phase` (objects under SK_DST/PHASE/TAG/, items of
 * table) against the n sources and what pixpipe reported: reports (key ->
 * last job line) and, for Lambda, failed_keys (the messages still failing
 * after the last delivery; NULL for run, where a failed job line is the
 * report).  Problems are described in *log. */
static sk_counts sk_check(const char *phase, const char *table, int n, const json_t *sources,
                          json_t *reports, json_t *failed_keys, char **log)
{
    sk_counts c = { 0 };
    char *prefix = tu_strf("%s/%s/", phase, sk_tag);
    char *down = tu_strf("%s/down/%s", sk_dir, phase), *out = NULL, *err = NULL;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    json_t *objects = sk_list(SK_DST, prefix);
    double list_s = sk_elapsed(&t0);
    json_t *items = sk_scan(table);
    double scan_s = sk_elapsed(&t0) - list_s;
    json_t *by_key = json_object(), *whole = json_object();
    c.objects = (int)json_object_size(objects);
    c.items = (int)json_array_size(items);

    /* every object, whoever wrote it: under a key a source accounts for,
     * downloaded whole, its MD5 its ETag, decoding at its rendition's size */
    int rc = sk_aws(&out, &err, sk_env("PIXPIPE_TEST_S3"),
                    "s3 cp --recursive --only-show-errors s3://" SK_DST "/%s '%s/'", prefix, down);
    cr_assert_eq(rc, 0, "download of %s: %s%s", prefix, out, err);
    double get_s = sk_elapsed(&t0) - list_s - scan_s;
    free(out), free(err);
    const char *key;
    json_t *obj;
    json_object_foreach(objects, key, obj) {
        int i = -1, w = 0, h = 0, ew = 0, eh = 0;
        char tail[32] = "";
        const char *rel = key + strlen(prefix);
        if (sscanf(rel, "src/img-%4d.jpg.%31s", &i, tail) != 2 || i < 0 || i >= n ||
            sk_expected_size(key, &ew, &eh) < 0) {
            c.duplicated++;
            sk_note(log, "%s: s3://" SK_DST "/%s: an object no source accounts for", phase, key);
            continue;
        }
        char *file = tu_strf("%s/%s", down, rel);
        size_t len = 0;
        char *bytes = tu_read_file(file, &len), md5[33] = "";
        if (bytes)
            tu_md5_hex(bytes, len, md5);
        const char *etag = sk_s(obj, "etag");
        json_int_t size = json_integer_value(json_object_get(obj, "size"));
        if (!bytes || (json_int_t)len != size || strcmp(md5, etag) != 0) {
            c.half++;
            sk_note(log, "%s: s3://" SK_DST "/%s: %zu bytes read, %lld listed; MD5 %s, ETag %s",
                    phase, key, len, (long long)size, md5, etag);
        } else if (tu_image_decode(file, &w, &h) < 0 || w != ew || h != eh) {
            c.half++;
            sk_note(log, "%s: s3://" SK_DST "/%s: does not decode whole at %dx%d (%dx%d)", phase,
                    key, ew, eh, w, h);
        } else {
            json_object_set_new(whole, key, json_integer(size));
        }
        free(bytes), free(file);
    }

    /* every item: one per source, of a source of ours */
    size_t k;
    json_t *item;
    json_array_foreach(items, k, item) {
        const char *src = sk_av(item, "source_key");
        int i = -1;
        char *want = NULL;
        if (strcmp(sk_av(item, "source_bucket"), SK_SRC) != 0 ||
            sscanf(src, "%*[^/]/src/img-%4d.jpg", &i) != 1 || i < 0 || i >= n ||
            strcmp(src, (want = sk_key(i))) != 0 || json_object_get(by_key, src)) {
            c.duplicated++;
            sk_note(log, "%s: item (%s, %s): a second item, or of no source", phase,
                    sk_av(item, "source_bucket"), src);
        } else {
            json_object_set(by_key, src, item);
        }
        free(want);
    }

    /* every source: processed whole, or reported failed with a reason */
    for (int i = 0; i < n; i++) {
        char *src = sk_key(i);
        json_t *report = json_object_get(reports, src);
        const char *status = sk_s(report, "status"), *reason = sk_s(report, "reason");
        int reported_failed = failed_keys ? json_object_get(failed_keys, src) != NULL
                                          : strcmp(status, "failed") == 0;
        if (reported_failed) {
            if (failed_keys && strcmp(status, "failed") != 0)
                reason = "not started before the deadline (listed in batchItemFailures)";
            c.failed++;
            sk_note(log, "%s: %s failed: %s", phase, src, *reason ? reason : "(no reason)");
            if (!*reason || !sk_fault_reason(reason)) {
                c.unexplained++;
                sk_note(log, "%s: %s: that failure is not one an injected fault explains",
                        phase, src);
            }
            free(src);
            continue;
        }
        /* reported done (or not reported at all): the work must be there */
        const char *why = NULL;
        char buf[512];
        item = json_object_get(by_key, src);
        const json_t *rends = json_object_get(json_object_get(item, "renditions"), "L");
        if (!report)
            why = "pixpipe never reported this source";
        else if (strcmp(status, "ok") != 0)
            why = "pixpipe reported it neither ok nor failed";
        else if (!item)
            why = "no item";
        else if (strcmp(sk_av(item, "status"), "ok") != 0)
            why = "the item does not say ok";
        else if (!sk_same_source(item, json_object_get(sources, src), i, buf, sizeof buf))
            why = buf;
        else if (json_array_size(rends) != 2 ||
                 strcmp(sk_av(json_object_get(json_array_get(rends, 0), "M"), "name"),
                        sk_av(json_object_get(json_array_get(rends, 1), "M"), "name")) == 0)
            why = "the item does not list two renditions, main and thumb";
        for (size_t r = 0; !why && r < 2; r++) {
            const json_t *m = json_object_get(json_array_get(rends, r), "M");
            const char *rkey = sk_av(m, "key");
            char *want = tu_strf("%s/%s.%s", phase, src,
                                 strcmp(sk_av(m, "name"), "main") == 0 ? "main.jpg" : "thumb.png");
            int ew = 0, eh = 0;
            json_t *size = json_object_get(whole, rkey);
            if (strcmp(rkey, want) != 0) {
                snprintf(buf, sizeof buf, "rendition %s at %s, not %s", sk_av(m, "name"), rkey,
                         want);
                why = buf;
            } else if (!json_object_get(objects, rkey)) {
                snprintf(buf, sizeof buf, "no object %s", rkey);
                why = buf;
            } else if (!size) {
                snprintf(buf, sizeof buf, "%s is not whole (above)", rkey);
                why = buf;
            } else if (sk_expected_size(rkey, &ew, &eh) < 0 ||
                       atoi(sk_av(m, "width")) != ew || atoi(sk_av(m, "height")) != eh) {
                snprintf(buf, sizeof buf, "the item gives %s as %sx%s", rkey, sk_av(m, "width"),
                         sk_av(m, "height"));
                why = buf;
            } else if (strtoll(sk_av(m, "bytes"), NULL, 10) != json_integer_value(size)) {
                c.half++;
                snprintf(buf, sizeof buf, "%s is %lld bytes, the item says %s", rkey,
                         (long long)json_integer_value(size), sk_av(m, "bytes"));
                why = buf;
            }
            free(want);
        }
        if (why) {
            char *said = report ? sk_dump(report) : strdup("nothing");
            c.lost++;
            sk_note(log, "%s: %s LOST: %s (pixpipe: %s)", phase, src, why, said);
            free(said);
        } else {
            c.processed++;
        }
        free(src);
    }
    fprintf(stderr, "soak: read-back of %s: list %.1f s, scan %.1f s, download %.1f s, "
            "checks %.1f s\n", phase, list_s, scan_s, get_s,
            sk_elapsed(&t0) - list_s - scan_s - get_s);
    json_decref(objects), json_decref(items), json_decref(by_key), json_decref(whole);
    free(prefix), free(down);
    return c;
}

/* ---- phase 1: pixpipe run ---------------------------------------------- */

/* Runs `pixpipe run -j 4` on every source (one s3:// argument each), JSON
 * job lines on stdout, under a 5-minute `timeout` so that a hang is told
 * from a failure.  Returns the exit status; reports get the job lines. */
static int sk_run_phase(int n, json_t *reports, int *lines, char **summary, char **err)
{
    char *inputs = strdup("");
    for (int i = 0; i < n; i++) {
        char *key = sk_key(i), *more = tu_strf("%s 's3://" SK_SRC "/%s'", inputs, key);
        free(key), free(inputs);
        inputs = more;
    }
    char *out = NULL;
    int rc = tu_runf(&out, err,
                     "cd '%s' && env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                     "-u AWS_ENDPOINT_URL_DYNAMODB -u AWS_SESSION_TOKEN "
                     "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1 "
                     "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null "
                     "AWS_EC2_METADATA_DISABLED=true "
                     "timeout -k 5 300 '%s' run -j 4 --log-format json -p run.yaml %s",
                     sk_dir, tu_pixpipe(), inputs);
    *lines = sk_job_lines(out, reports);
    const char *last = strstr(out, " processed, ");
    while (last && last > out && last[-1] != '\n')
        last--;
    *summary = strndup(last ? last : "", last ? strcspn(last, "\n") : 0);
    free(out), free(inputs);
    return rc;
}

/* ---- phase 2: pixpipe lambda ------------------------------------------- */

/* Starts instance p of `pixpipe lambda -p lambda.yaml` on the private
 * runtime for max invocations, 4 records at a time, stdout and stderr to
 * lambda-ROUND-P.{out,err}. */
static void sk_lambda_start(int p, int max, int round)
{
    static const char *const drop[] = { "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
                                        "AWS_ENDPOINT_URL", "AWS_LAMBDA_RUNTIME_API=",
                                        "PIXPIPE_PIPELINE=", "PIXPIPE_LAMBDA_", "AWS_ACCESS_KEY_ID=",
                                        "AWS_SECRET_ACCESS_KEY=", "AWS_REGION=", NULL };
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 16, sizeof *env);
    cr_assert_not_null(env);
    for (size_t i = 0; i < n; i++) {
        int keep = 1;
        for (size_t d = 0; drop[d]; d++)
            keep &= strncmp(environ[i], drop[d], strlen(drop[d])) != 0;
        if (keep)
            env[k++] = environ[i];
    }
    char *own[] = {
        tu_strf("AWS_LAMBDA_RUNTIME_API=%s", sk_api),
        tu_strf("PIXPIPE_LAMBDA_MAX_INVOCATIONS=%d", max),
        strdup("PIXPIPE_LAMBDA_CONCURRENCY=4"),
        strdup("AWS_ACCESS_KEY_ID=S3RVER"), strdup("AWS_SECRET_ACCESS_KEY=S3RVER"),
        strdup("AWS_REGION=us-east-1"), strdup("AWS_CONFIG_FILE=/dev/null"),
        strdup("AWS_SHARED_CREDENTIALS_FILE=/dev/null"), strdup("AWS_EC2_METADATA_DISABLED=true"),
    };
    size_t n_own = sizeof own / sizeof *own;
    for (size_t i = 0; i < n_own; i++)
        env[k++] = own[i];
    env[k] = NULL;
    char *outp = tu_strf("%s/lambda-%d-%d.out", sk_dir, round, p);
    char *errp = tu_strf("%s/lambda-%d-%d.err", sk_dir, round, p);
    char *const argv[] = { (char *)tu_pixpipe(), "lambda", "-p", "lambda.yaml", NULL };
    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || chdir(sk_dir) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execve(argv[0], argv, env);
        _exit(127);
    }
    sk_pid[p] = pid;
    for (size_t i = 0; i < n_own; i++)
        free(own[i]);
    free(env), free(outp), free(errp);
}

/* Reaps the lambda processes that ended; returns how many still run and
 * sets *failed when one ended otherwise than by exit 0. */
static int sk_lambda_reap(int *failed)
{
    int running = 0;
    for (int p = 0; p < SK_INSTANCES; p++) {
        int status = 0;
        if (sk_pid[p] > 0 && waitpid(sk_pid[p], &status, WNOHANG) == sk_pid[p]) {
            sk_pid[p] = -1;
            sk_status[p] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        running += sk_pid[p] > 0;
        if (sk_pid[p] <= 0 && sk_status[p] != 0)
            *failed = 1;
    }
    return running;
}

/* Waits up to ms for the lambda processes to end, killing those that do
 * not (a hang: sk_status -1). */
static void sk_lambda_wait(int ms)
{
    int failed = 0;
    for (int waited = 0; sk_lambda_reap(&failed) > 0; waited += 20) {
        if (waited >= ms) {
            for (int p = 0; p < SK_INSTANCES; p++)
                if (sk_pid[p] > 0) {
                    kill(sk_pid[p], SIGKILL);
                    waitpid(sk_pid[p], NULL, 0);
                    sk_pid[p] = -1;
                    sk_status[p] = -1;
                }
            return;
        }
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* The SQS batch for sources idx[0..n-1]: message "m-NNNN" per source, its
 * body an S3 notification of the object with its own sequencer.  Caller
 * frees the JSON text. */
static char *sk_batch(const int *idx, int n)
{
    json_t *records = json_array();
    for (int b = 0; b < n; b++) {
        char *key = sk_key(idx[b]), id[32], seq[32];
        snprintf(id, sizeof id, "m-%04d", idx[b]);
        snprintf(seq, sizeof seq, "0062E99A88DC4%05X", idx[b]);
        json_t *s3 = json_pack("{s:[{s:s, s:s, s:s, s:s, s:{s:s, s:{s:s}, s:{s:s, s:s}}}]}",
                               "Records", "eventVersion", "2.1", "eventSource", "aws:s3",
                               "awsRegion", "us-east-1", "eventName", "ObjectCreated:Put", "s3",
                               "s3SchemaVersion", "1.0", "bucket", "name", SK_SRC, "object",
                               "key", key, "sequencer", seq);
        char *body = sk_dump(s3);
        json_array_append_new(records,
                              json_pack("{s:s, s:s, s:s, s:s, s:s}", "messageId", id,
                                        "receiptHandle", "rh", "eventSource", "aws:sqs",
                                        "eventSourceARN", "arn:aws:sqs:us-east-1:123456789012:soak",
                                        "body", body));
        free(body), free(key);
        json_decref(s3);
    }
    json_t *req = json_pack("{s:{s:o}, s:i}", "event", "Records", records, "timeout_ms", 120000);
    char *text = sk_dump(req);
    json_decref(req);
    return text;
}

typedef struct sk_lambda_stats {
    int invocations, deliveries, redelivered, function_errors, bad_exits, rounds;
} sk_lambda_stats;

/* Delivers every source in SQS batches of SK_BATCH, then the messages
 * named in batchItemFailures again (a function error: the whole batch),
 * SK_DELIVERIES times at most; one lambda process per round, which must
 * exit 0 after its invocations.  reports get the job lines; failed_keys
 * the sources whose messages still failed after the last delivery. */
static void sk_lambda_phase(int n, json_t *reports, json_t *failed_keys, sk_lambda_stats *st,
                            char **log)
{
    int *pending = malloc(sizeof *pending * (size_t)n), n_pending = n;
    cr_assert_not_null(pending);
    for (int i = 0; i < n; i++)
        pending[i] = i;
    for (int round = 0; round < SK_DELIVERIES && n_pending > 0; round++) {
        int n_batches = (n_pending + SK_BATCH - 1) / SK_BATCH, *next = malloc(sizeof *next * (size_t)n);
        char **ids = calloc((size_t)n_batches, sizeof *ids);
        int n_next = 0;
        cr_assert(next && ids);
        st->rounds++;
        if (round > 0)
            st->redelivered += n_pending;
        /* SK_INSTANCES processes share the batches, as Lambda runs
         * instances side by side: their quotas add up to the batches, so
         * each exits once it has served its share (or what the others left) */
        for (int p = 0; p < SK_INSTANCES; p++) {
            int quota = n_batches / SK_INSTANCES + (p < n_batches % SK_INSTANCES);
            sk_status[p] = 0;
            if (quota > 0)
                sk_lambda_start(p, quota, round);
        }
        for (int b = 0; b < n_batches; b++) {
            int first = b * SK_BATCH, count = n_pending - first < SK_BATCH ? n_pending - first : SK_BATCH;
            char *event = sk_batch(pending + first, count), *url = tu_strf("%s/invoke", sk_admin);
            json_t *j = NULL;
            cr_assert_eq(sk_http("POST", url, event, &j), 200);
            ids[b] = strdup(sk_s(j, "id"));
            json_decref(j);
            free(event), free(url);
            st->deliveries += count;
        }
        for (int b = 0; b < n_batches; b++) {
            int first = b * SK_BATCH, count = n_pending - first < SK_BATCH ? n_pending - first : SK_BATCH;
            json_t *r = NULL;
            const char *kind = "pending";
            /* 100 s for one batch of 10 small images: far more than faults
             * explain; past it the process is taken as hung */
            for (int tries = 0; tries < 20 && strcmp(kind, "pending") == 0; tries++) {
                json_decref(r);
                char *url = tu_strf("%s/result/%s?wait_ms=5000", sk_admin, ids[b]);
                cr_assert_eq(sk_http("GET", url, NULL, &r), 200);
                free(url);
                kind = sk_s(r, "kind");
                int died = 0;
                if (strcmp(kind, "pending") == 0 && (sk_lambda_reap(&died) == 0 || died))
                    break; /* a process died, or none is left: no answer comes */
            }
            st->invocations++;
            if (strcmp(kind, "response") == 0) {
                json_t *f, *list = json_object_get(json_object_get(r, "body"), "batchItemFailures");
                size_t i;
                cr_assert(json_is_array(list), "not an SQS batch response: %s", sk_s(r, "text"));
                json_array_foreach(list, i, f) {
                    int m = -1;
                    if (sscanf(sk_s(f, "itemIdentifier"), "m-%4d", &m) == 1 && m >= 0 && m < n)
                        next[n_next++] = m;
                }
            } else {
                /* an error (or no answer): SQS delivers the whole batch again */
                st->function_errors++;
                char *dump = sk_dump(r);
                sk_note(log, "lambda: invocation %s: %s", ids[b], dump);
                free(dump);
                for (int i = 0; i < count; i++)
                    next[n_next++] = pending[first + i];
            }
            json_decref(r);
        }
        sk_lambda_wait(30000);
        for (int p = 0; p < SK_INSTANCES; p++) {
            char *errp = tu_strf("%s/lambda-%d-%d.err", sk_dir, round, p);
            char *outp = tu_strf("%s/lambda-%d-%d.out", sk_dir, round, p);
            char *errtext = tu_read_file(errp, NULL), *outtext = tu_read_file(outp, NULL);
            if (sk_status[p] != 0 || (errtext && (strstr(errtext, "Sanitizer") ||
                                                  strstr(errtext, "runtime error:")))) {
                st->bad_exits++;
                sk_note(log, "lambda: round %d: pixpipe lambda %d exited %d (-1: signal or "
                        "hang):\n%.4000s", round + 1, p, sk_status[p], errtext ? errtext : "");
            }
            sk_job_lines(outtext ? outtext : "", reports);
            free(errp), free(outp), free(errtext), free(outtext);
        }
        for (int b = 0; b < n_batches; b++)
            free(ids[b]);
        free(ids);
        free(pending);
        pending = next;
        n_pending = n_next;
    }
    for (int i = 0; i < n_pending; i++) {
        char *key = sk_key(pending[i]);
        json_object_set_new(failed_keys, key, json_true());
        free(key);
    }
    free(pending);
}

/* ---- the soak ------------------------------------------------------------ */

static void sk_print_counts(const char *phase, int n, const sk_counts *c)
{
    char *line = tu_strf("soak %-6s %d sources: %d processed, %d failed with a reason, %d lost, "
                         "%d duplicated, %d half-written (%d objects, %d items; %d failures "
                         "unexplained)",
                         phase, n, c->processed, c->failed, c->lost, c->duplicated, c->half,
                         c->objects, c->items, c->unexplained);
    fprintf(stderr, "%s\n", line);
    cr_log_info("%s", line);
    free(line);
}

Test(soak, faults_lose_nothing)
{
    if (!sk_env("PIXPIPE_TEST_S3") || !sk_env("PIXPIPE_TEST_DYNAMODB") ||
        !sk_env("PIXPIPE_TEST_GATE_ADMIN") || !sk_env("PIXPIPE_TEST_LAMBDA_ADMIN"))
        cr_skip_test("the test servers are not running (PIXPIPE_TEST_* unset)");
    if (access(SK_AWS, X_OK) != 0)
        cr_skip_test("no awscli at " SK_AWS);
    const char *san = sk_env("PIXPIPE_SAN");
    int n = (int)sk_env_long("PIXPIPE_SOAK_IMAGES", san && strcmp(san, "1") == 0 ? 120 : 500);
    const char *rate = sk_env("PIXPIPE_SOAK_RATE") ? sk_env("PIXPIPE_SOAK_RATE") : "0.1";
    long seed = sk_env_long("PIXPIPE_SOAK_SEED", 13);
    cr_assert(n >= 1 && n <= 5000, "PIXPIPE_SOAK_IMAGES: 1 to 5000");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    /* sources, tables and pipelines, with no fault yet */
    sk_make_and_upload(n);
    char *src_prefix = tu_strf("%s/src/", sk_tag);
    json_t *sources = sk_list(SK_SRC, src_prefix);
    cr_assert_eq(json_object_size(sources), (size_t)n, "%zu sources uploaded of %d",
                 json_object_size(sources), n);
    char *run_table = tu_strf("%s-run", sk_tag), *lambda_table = tu_strf("%s-lambda", sk_tag);
    sk_create_table(run_table);
    sk_create_table(lambda_table);
    sk_pipeline("run.yaml", "run", run_table);
    sk_pipeline("lambda.yaml", "lambda", lambda_table);
    json_t *rt = NULL;
    char *url = tu_strf("%s/runtimes", sk_env("PIXPIPE_TEST_LAMBDA_ADMIN"));
    cr_assert_eq(sk_http("POST", url, NULL, &rt), 200);
    sk_admin = strdup(sk_s(rt, "admin"));
    sk_api = strdup(sk_s(rt, "api"));
    json_decref(rt);
    free(url);
    double setup_s = sk_elapsed(&t0);

    /* faults on, for this test's requests only (keys, tables and item
     * bodies all hold the tag) */
    char *kinds = strdup("");
    if (sk_env("PIXPIPE_SOAK_KINDS")) { /* "reset_response,slow": only those */
        char *list = strdup(sk_env("PIXPIPE_SOAK_KINDS")), *save = NULL;
        for (char *k = strtok_r(list, ", ", &save); k; k = strtok_r(NULL, ", ", &save)) {
            char *more = tu_strf("%s%s\"%s\"", kinds, *kinds ? "," : "", k);
            free(kinds);
            kinds = more;
        }
        free(list);
        char *field = tu_strf(",\"kinds\":[%s]", kinds);
        free(kinds);
        kinds = field;
    }
    char *chaos = tu_strf("{\"match\":\"%s\",\"rate\":%s,\"seed\":%ld,\"delay_ms\":1000%s}",
                          sk_tag, rate, seed, kinds);
    free(kinds);
    json_decref(sk_gate("POST", "/chaos", chaos));
    free(chaos);

    char *log = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    json_t *run_reports = json_object();
    int run_lines = 0;
    char *run_summary = NULL, *run_err = NULL;
    int run_rc = sk_run_phase(n, run_reports, &run_lines, &run_summary, &run_err);
    double run_s = sk_elapsed(&t1);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    json_t *lambda_reports = json_object(), *lambda_failed = json_object();
    sk_lambda_stats ls = { 0 };
    sk_lambda_phase(n, lambda_reports, lambda_failed, &ls, &log);
    double lambda_s = sk_elapsed(&t1);

    /* faults off: what was injected, then everything read back */
    char *off = tu_strf("{\"match\":\"%s\"}", sk_tag);
    json_t *offj = sk_gate("POST", "/chaos/off", off);
    json_t *faults = json_incref(json_array_get(json_object_get(offj, "chaos"), 0));
    json_decref(offj);
    free(off);
    char *stats_path = tu_strf("/stats?match=%s", sk_tag);
    json_t *gate_stats = sk_gate("GET", stats_path, NULL);
    free(stats_path);

    clock_gettime(CLOCK_MONOTONIC, &t1);
    sk_counts run = sk_check("run", run_table, n, sources, run_reports, NULL, &log);
    sk_counts lam = sk_check("lambda", lambda_table, n, sources, lambda_reports, lambda_failed,
                             &log);
    double check_s = sk_elapsed(&t1);

    /* the figures */
    json_t *injected = json_object_get(faults, "injected");
    char *inj = sk_dump(injected), *by = sk_dump(json_object_get(faults, "by_service"));
    char *codes = sk_dump(json_object_get(faults, "codes"));
    char *seen = sk_dump(json_object_get(faults, "seen")), *gs = sk_dump(gate_stats);
    fprintf(stderr,
            "soak: %d images, fault rate %s, seed %ld; %s\n"
            "soak: requests seen by the fault stage %s; faults injected %lld: %s\n"
            "soak: per service %s\n"
            "soak: error codes %s\n"
            "soak: gate counts for the run's requests %s\n"
            "soak: run exit %d, %d job lines, \"%s\"\n"
            "soak: lambda %d invocations, %d message deliveries (%d again), %d rounds, "
            "%d function errors, %d bad exits\n",
            n, rate, seed, san && strcmp(san, "1") == 0 ? "sanitizers" : "normal build", seen,
            (long long)json_integer_value(json_object_get(faults, "injected_total")), inj, by,
            codes, gs, run_rc, run_lines, run_summary, ls.invocations, ls.deliveries,
            ls.redelivered, ls.rounds, ls.function_errors, ls.bad_exits);
    sk_print_counts("run", n, &run);
    sk_print_counts("lambda", n, &lam);
    fprintf(stderr, "soak: %.1f s in all: set-up %.1f s, run %.1f s, lambda %.1f s, "
            "read-back %.1f s\n", sk_elapsed(&t0), setup_s, run_s, lambda_s, check_s);
    if (log)
        fprintf(stderr, "soak: details:\n%s", log);
    cr_log_info("soak: faults injected %s; run %.1f s, lambda %.1f s", inj, run_s, lambda_s);

    /* the faults happened, of every kind, and were the only trouble */
    cr_expect_gt(json_integer_value(json_object_get(faults, "injected_total")), 0, "no fault");
    const char *kind;
    json_t *count;
    json_object_foreach(injected, kind, count)
        cr_expect(json_integer_value(count) > 0 || sk_env("PIXPIPE_SOAK_KINDS"),
                  "no fault of kind %s injected", kind);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(gate_stats, "s3"), "refused")) +
                     json_integer_value(json_object_get(json_object_get(gate_stats, "dynamodb"),
                                                        "refused")),
                 0, "the gates refused some of the soak's requests (a retry signed wrong?)");
    cr_expect(run_rc == 0 || run_rc == 1, "pixpipe run exited %d (124: hung, killed by timeout; "
              "other: crashed):\n%.4000s", run_rc, run_err);
    cr_expect(!strstr(run_err, "Sanitizer") && !strstr(run_err, "runtime error:"),
              "pixpipe run: %.4000s", run_err);
    cr_expect_eq(run_lines, n, "pixpipe run reported %d jobs of %d", run_lines, n);
    cr_expect_eq(run_rc == 1, run.failed > 0, "exit %d with %d failed", run_rc, run.failed);
    cr_expect_eq(ls.bad_exits, 0, "pixpipe lambda crashed, hung or exited non-zero");
    cr_expect_eq(ls.function_errors, 0, "invocations ended in an error, not a batch response");
    for (int p = 0; p < 2; p++) {
        const sk_counts *c = p ? &lam : &run;
        const char *phase = p ? "lambda" : "run";
        cr_expect_eq(c->lost, 0, "%s: %d sources lost", phase, c->lost);
        cr_expect_eq(c->duplicated, 0, "%s: %d duplicated", phase, c->duplicated);
        cr_expect_eq(c->half, 0, "%s: %d half-written", phase, c->half);
        cr_expect_eq(c->unexplained, 0, "%s: %d failures no fault explains", phase,
                     c->unexplained);
        cr_expect_eq(c->processed + c->failed + c->lost, n, "%s: sources miscounted", phase);
    }

    free(inj), free(by), free(codes), free(seen), free(gs);
    json_decref(faults), json_decref(gate_stats), json_decref(sources);
    json_decref(run_reports), json_decref(lambda_reports), json_decref(lambda_failed);
    free(log), free(run_summary), free(run_err), free(src_prefix), free(run_table);
    free(lambda_table);
}
