/* `pixpipe lambda`, the Lambda custom runtime, end to end: the real binary
 * in the background with AWS_LAMBDA_RUNTIME_API pointing at a private
 * runtime of the tests' emulator (tests/servers/runtime.js), the real s3rver
 * and dynalite behind their SigV4-checking gates, events queued through the
 * emulator's admin API and the answers read back exactly as pixpipe posted
 * them.  Covered: every event shape (S3 with a '+'/%XX/unicode key, SNS,
 * EventBridge, SQS, s3:TestEvent, ObjectRemoved, garbage), renditions read
 * back with awscli and measured with libvips, the DynamoDB item, a bad
 * record among good ones (summary and batchItemFailures exact), init errors
 * (unknown plugin, recursion), the deadline, one kept-alive runtime
 * connection, pixpipe's own outputs skipped, duplicate delivery, the JSON
 * log and EMF lines, the `bootstrap` name and the shipped lambda.yaml.
 * PIXPIPE_LAMBDA_MAX_INVOCATIONS makes each process exit by itself; the
 * suite's fini kills it in any case.  Skipped without the test servers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#define LT_AWS "/usr/bin/aws"
#define LT_SRC "pixpipe-src"
#define LT_DST "pixpipe-out"
#define LT_OWN "written by pixpipe itself (an output, not an original)"

extern char **environ;

static char *lt_dir;    /* this test's temp folder (pixpipe's cwd)         */
static char *lt_tag;    /* its random part: key prefixes, table names      */
static char *lt_admin;  /* the private runtime's admin base URL            */
static char *lt_api;    /* its host:port, as AWS_LAMBDA_RUNTIME_API        */
static pid_t lt_pid = -1; /* the pixpipe process, until waited for         */

static const char *lt_s3(void)
{
    return getenv("PIXPIPE_TEST_S3");
}

static const char *lt_ddb(void)
{
    return getenv("PIXPIPE_TEST_DYNAMODB");
}

static int lt_have_servers(void)
{
    const char *a = getenv("PIXPIPE_TEST_LAMBDA_ADMIN"), *s = lt_s3(), *d = lt_ddb();
    return a && *a && s && *s && d && *d;
}

/* ---- shell and HTTP helpers ---------------------------------------- */

/* Runs curl (ARGS: shell words, URL included); returns the HTTP status and
 * the body in *body (caller frees) when body != NULL. */
static int lt_curl(char **body, const char *args)
{
    char *text = NULL;
    int status = tu_curl(body ? body : &text, 40, args);
    cr_assert_geq(status, 0, "%s", body ? *body : text);
    free(text);
    return status;
}

/* METHOD url with an optional JSON body (sent from a file, so no shell
 * quoting of event text); the answer parsed into *answer when wanted. */
static int lt_http(const char *method, const char *url, const char *json, json_t **answer)
{
    char *file = tu_strf("%s/request.json", lt_dir);
    if (json)
        cr_assert_eq(tu_write_file(file, json, strlen(json)), 0);
    char *args = json ? tu_strf("-X %s -H 'Content-Type: application/json' --data-binary @%s '%s'",
                                method, file, url)
                      : tu_strf("-X %s '%s'", method, url);
    char *body = NULL;
    int status = lt_curl(&body, args);
    if (answer) {
        *answer = json_loads(body, 0, NULL);
        cr_assert_not_null(*answer, "%s %s answered %d: %s", method, url, status, body);
    }
    free(body);
    free(args);
    free(file);
    return status;
}

static int lt_adm(const char *method, const char *path, const char *json, json_t **answer)
{
    char *url = tu_strf("%s%s", lt_admin, path);
    int status = lt_http(method, url, json, answer);
    free(url);
    return status;
}

/* The environment awscli and pixpipe share: the test servers' one
 * credential pair, no config files, no instance metadata, plain uploads. */
static const char *lt_aws_env(void)
{
    return "env -u AWS_SESSION_TOKEN -u AWS_PROFILE -u AWS_ENDPOINT_URL "
           "-u AWS_ENDPOINT_URL_S3 -u AWS_ENDPOINT_URL_DYNAMODB "
           "AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "
           "AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 "
           "AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
           "AWS_EC2_METADATA_DISABLED=true AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
           "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required";
}

/* Runs awscli: `aws --endpoint-url URL --output json ARGS`. */
static int lt_aws(char **out, char **err, const char *url, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int lt_aws(char **out, char **err, const char *url, const char *fmt, ...)
{
    char *args = NULL;
    va_list ap;
    va_start(ap, fmt);
    cr_assert_geq(vasprintf(&args, fmt, ap), 0);
    va_end(ap);
    int rc = tu_runf(out, err, "%s %s --endpoint-url '%s' --output json %s", lt_aws_env(), LT_AWS,
                     url, args);
    free(args);
    return rc;
}

/* ---- suite ------------------------------------------------------------ */

static void lt_setup(void)
{
    if (!lt_have_servers())
        return; /* each test skips */
    lt_dir = tu_tmpdir();
    cr_assert_not_null(lt_dir);
    lt_tag = strdup(strrchr(lt_dir, '-') + 1);
    json_t *j = NULL;
    char *url = tu_strf("%s/runtimes", getenv("PIXPIPE_TEST_LAMBDA_ADMIN"));
    cr_assert_eq(lt_http("POST", url, NULL, &j), 200);
    lt_admin = strdup(json_string_value(json_object_get(j, "admin")));
    lt_api = strdup(json_string_value(json_object_get(j, "api")));
    json_decref(j);
    free(url);
}

static void lt_teardown(void)
{
    if (lt_pid > 0) {
        kill(lt_pid, SIGKILL);
        waitpid(lt_pid, NULL, 0);
        lt_pid = -1;
    }
    if (lt_admin)
        lt_adm("DELETE", "", NULL, NULL);
    if (lt_dir)
        tu_rmrf(lt_dir);
    free(lt_dir);
    free(lt_tag);
    free(lt_admin);
    free(lt_api);
    lt_dir = lt_tag = lt_admin = lt_api = NULL;
}

TestSuite(lambda, .init = lt_setup, .fini = lt_teardown, .timeout = 60);

static void lt_need_servers(void)
{
    if (!lt_have_servers())
        cr_skip_test("the test servers are not running "
                     "(PIXPIPE_TEST_LAMBDA_ADMIN/S3/DYNAMODB unset)");
    if (access(LT_AWS, X_OK) != 0)
        cr_skip_test("no awscli at " LT_AWS);
}

/* ---- fixtures ---------------------------------------------------------- */

/* Writes pipe.yaml in the test folder: originals from the S3 server, the
 * renditions to LT_DST under out/{dir}/, a 400 px large and a 64x64 thumb;
 * metadata in DynamoDB table `table`, else in ./md.db (SQLite). */
static const char *lt_extra_top = ""; /* more top-level YAML for lt_pipeline */

static void lt_pipeline(const char *table)
{
    char *meta = table ? tu_strf("{ backend: dynamodb, table: %s, endpoint: \"%s\" }", table,
                                 lt_ddb())
                       : strdup("{ backend: sqlite, path: ./md.db }");
    char *yaml = tu_strf(
        "name: lt\n"
        "trigger:     { bucket: " LT_SRC ", prefix: \"%s/\", suffix: \"\" }\n"
        "source:      { storage: s3, endpoint: \"%s\", path_style: true }\n"
        "destination: { storage: s3, bucket: " LT_DST ", endpoint: \"%s\", path_style: true,\n"
        "               key: \"out/{dir}/{name}-{rendition}.{ext}\" }\n"
        "metadata:    %s\n"
        "output:      { rendition: large, format: jpeg, quality: 80 }\n"
        "stages:\n"
        "  - resize:    { width: 400, height: 400, fit: inside }\n"
        "  - thumbnail: { name: thumb, width: 64, height: 64, crop: centre }\n"
        "  - metadata-sink: {}\n"
        "%s",
        lt_tag, lt_s3(), lt_s3(), meta, lt_extra_top);
    char *path = tu_strf("%s/pipe.yaml", lt_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path);
    free(yaml);
    free(meta);
}

static void lt_write(const char *name, const char *text)
{
    char *path = tu_strf("%s/%s", lt_dir, name);
    cr_assert_eq(tu_write_file(path, text, strlen(text)), 0);
    free(path);
}

/* Makes 800x600 scenes named by `names` (NULL-terminated, relative to the
 * test's key prefix; folders made as needed) and uploads them all with one
 * awscli call as LT_SRC/<tag>/<name>. */
static void lt_upload(const char *const *names)
{
    char *root = tu_strf("%s/up/%s", lt_dir, lt_tag), *out = NULL, *err = NULL;
    for (size_t i = 0; names[i]; i++) {
        char *file = tu_strf("%s/%s", root, names[i]);
        int rc = tu_runf(NULL, NULL, "mkdir -p \"$(dirname '%s')\"", file);
        cr_assert_eq(rc, 0);
        cr_assert_eq(tu_make_scene(file, 800, 600, 1, 0), 0, "cannot make %s", file);
        free(file);
    }
    int rc = lt_aws(&out, &err, lt_s3(), "s3 cp --recursive --only-show-errors '%s' s3://" LT_SRC
                    "/%s/", root, lt_tag);
    cr_assert_eq(rc, 0, "upload: %s%s", out, err);
    free(out), free(err), free(root);
}

static void lt_create_table(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = lt_aws(&out, &err, lt_ddb(),
                    "dynamodb create-table --table-name '%s' "
                    "--attribute-definitions AttributeName=source_bucket,AttributeType=S "
                    "AttributeName=source_key,AttributeType=S "
                    "--key-schema AttributeName=source_bucket,KeyType=HASH "
                    "AttributeName=source_key,KeyType=RANGE --billing-mode PAY_PER_REQUEST",
                    table);
    cr_assert_eq(rc, 0, "create-table %s: %s%s", table, out, err);
    free(out), free(err);
}

/* The keys under LT_DST/out/<tag>/, sorted by S3, joined with '\n' (each
 * as many times as listed).  Caller frees. */
static char *lt_list_out(void)
{
    char *out = NULL, *err = NULL;
    int rc = lt_aws(&out, &err, lt_s3(), "s3api list-objects-v2 --bucket " LT_DST
                    " --prefix 'out/%s/'", lt_tag);
    cr_assert_eq(rc, 0, "list: %s%s", out, err);
    json_t *j = *out ? json_loads(out, 0, NULL) : json_object(); /* empty: no output */
    cr_assert_not_null(j, "list printed no JSON: %s", out);
    size_t i, cap = 1;
    json_t *o;
    json_array_foreach(json_object_get(j, "Contents"), i, o)
        cap += strlen(json_string_value(json_object_get(o, "Key"))) + 1;
    char *keys = calloc(1, cap);
    json_array_foreach(json_object_get(j, "Contents"), i, o) {
        strcat(keys, json_string_value(json_object_get(o, "Key")));
        strcat(keys, "\n");
    }
    json_decref(j);
    free(out), free(err);
    return keys;
}

/* Downloads LT_DST/key and asserts it is a w x h image. */
static void lt_expect_image(const char *key, int w, int h)
{
    char *file = tu_strf("%s/download.jpg", lt_dir), *out = NULL, *err = NULL;
    int rc = lt_aws(&out, &err, lt_s3(), "s3api get-object --bucket " LT_DST " --key '%s' '%s'",
                    key, file);
    cr_assert_eq(rc, 0, "get %s: %s%s", key, out, err);
    int gw = 0, gh = 0;
    cr_assert_eq(tu_image_size(file, &gw, &gh, NULL), 0, "%s is not an image", key);
    cr_expect(gw == w && gh == h, "%s is %dx%d, expected %dx%d", key, gw, gh, w, h);
    unlink(file);
    free(file), free(out), free(err);
}

/* Every item of a DynamoDB table (consistent scan).  Caller decrefs. */
static json_t *lt_scan(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = lt_aws(&out, &err, lt_ddb(), "dynamodb scan --consistent-read --table-name '%s'",
                    table);
    cr_assert_eq(rc, 0, "scan: %s%s", out, err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "scan printed no JSON: %s", out);
    json_t *items = json_incref(json_object_get(j, "Items"));
    cr_assert(json_is_array(items), "%s", out);
    json_decref(j);
    free(out), free(err);
    return items;
}

static const char *lt_item_s(const json_t *item, const char *name)
{
    const char *v = json_string_value(json_object_get(json_object_get(item, name), "S"));
    return v ? v : "";
}

/* ---- events ------------------------------------------------------------- */

/* One S3 notification record; key as S3 sends it (URL-encoded). */
static json_t *lt_s3rec(const char *event_name, const char *bucket, const char *key,
                        const char *sequencer)
{
    json_t *object = json_pack("{s:s}", "key", key);
    if (sequencer)
        json_object_set_new(object, "sequencer", json_string(sequencer));
    return json_pack("{s:s, s:s, s:s, s:{s:{s:s}, s:o}}", "eventVersion", "2.1", "eventSource",
                     "aws:s3", "eventName", event_name, "s3", "bucket", "name", bucket,
                     "object", object);
}

/* {"Records":[records...]} from a NULL-terminated list (references stolen). */
static json_t *lt_records(json_t *first, ...)
{
    json_t *list = json_array();
    va_list ap;
    va_start(ap, first);
    for (json_t *r = first; r; r = va_arg(ap, json_t *))
        json_array_append_new(list, r);
    va_end(ap);
    return json_pack("{s:o}", "Records", list);
}

/* An S3 event of created objects under the test's prefix (names
 * URL-encoded by the caller), NULL-terminated. */
static json_t *lt_s3_event(const char *first, ...)
{
    json_t *list = json_array();
    va_list ap;
    va_start(ap, first);
    for (const char *n = first; n; n = va_arg(ap, const char *)) {
        char *key = tu_strf("%s/%s", lt_tag, n);
        json_array_append_new(list, lt_s3rec("ObjectCreated:Put", LT_SRC, key, NULL));
        free(key);
    }
    va_end(ap);
    return json_pack("{s:o}", "Records", list);
}

static char *lt_dump(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_assert_not_null(s);
    return s;
}

/* An SQS message whose body is `body` (text). */
static json_t *lt_sqs_msg(const char *id, const char *body)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "messageId", id, "receiptHandle", "rh",
                     "eventSource", "aws:sqs", "body", body);
}

/* An SQS message whose body is that S3 event (decref'd). */
static json_t *lt_sqs_s3(const char *id, json_t *s3_event)
{
    char *body = lt_dump(s3_event);
    json_t *m = lt_sqs_msg(id, body);
    free(body);
    json_decref(s3_event);
    return m;
}

/* Queues an event (decref'd) with timeout_ms (0: the emulator's 30 s);
 * returns the invocation id.  Caller frees. */
static char *lt_invoke(json_t *event, int timeout_ms)
{
    json_t *req = json_pack("{s:o}", "event", event);
    if (timeout_ms)
        json_object_set_new(req, "timeout_ms", json_integer(timeout_ms));
    char *text = lt_dump(req);
    json_t *j = NULL;
    cr_assert_eq(lt_adm("POST", "/invoke", text, &j), 200);
    const char *id = json_string_value(json_object_get(j, "id"));
    cr_assert(id && *id, "invoke answered no id");
    char *copy = strdup(id);
    json_decref(j);
    json_decref(req);
    free(text);
    return copy;
}

/* Queues text as is (not JSON, perhaps).  Caller frees the id. */
static char *lt_invoke_raw(const char *raw)
{
    json_t *req = json_pack("{s:s}", "raw", raw);
    char *text = lt_dump(req);
    json_t *j = NULL;
    cr_assert_eq(lt_adm("POST", "/invoke", text, &j), 200);
    char *copy = strdup(json_string_value(json_object_get(j, "id")));
    json_decref(j);
    json_decref(req);
    free(text);
    return copy;
}

/* Waits (20 s at most) for the invocation's result.  Caller decrefs. */
static json_t *lt_result(const char *id)
{
    char *path = tu_strf("/result/%s?wait_ms=20000", id);
    json_t *j = NULL;
    cr_assert_eq(lt_adm("GET", path, NULL, &j), 200);
    free(path);
    return j;
}

/* Asserts the invocation was answered with exactly `want` as its response. */
static void lt_expect_response(const char *id, const char *want)
{
    json_t *r = lt_result(id);
    const char *kind = json_string_value(json_object_get(r, "kind"));
    const char *text = json_string_value(json_object_get(r, "text"));
    char *dump = lt_dump(r);
    cr_expect(kind && strcmp(kind, "response") == 0, "not a response: %s", dump);
    cr_expect(text && strcmp(text, want) == 0, "response\n  %s\nexpected\n  %s", text ? text : dump,
              want);
    free(dump);
    json_decref(r);
}

/* Asserts the invocation ended in an error of that type; returns its
 * message (caller frees). */
static char *lt_expect_error(const char *id, const char *type)
{
    json_t *r = lt_result(id);
    char *dump = lt_dump(r);
    const char *kind = json_string_value(json_object_get(r, "kind"));
    const char *hdr = json_string_value(json_object_get(r, "error_type"));
    json_t *body = json_object_get(r, "body");
    const char *bt = json_string_value(json_object_get(body, "errorType"));
    const char *msg = json_string_value(json_object_get(body, "errorMessage"));
    cr_assert(kind && strcmp(kind, "error") == 0, "not an error: %s", dump);
    cr_expect(bt && strcmp(bt, type) == 0, "errorType: %s", dump);
    cr_expect(hdr && strcmp(hdr, type) == 0, "Lambda-Runtime-Function-Error-Type: %s", dump);
    cr_assert_not_null(msg, "%s", dump);
    char *copy = strdup(msg);
    free(dump);
    json_decref(r);
    return copy;
}

/* ---- the process ------------------------------------------------------ */

/* Starts `pixpipe lambda -p pipe.yaml` (or, with as_bootstrap, a symlink
 * named bootstrap, no arguments and PIXPIPE_PIPELINE) in the test folder,
 * for max invocations, stdout and stderr to files there.  extra: more
 * NAME=VALUE settings, NULL-terminated (may be NULL). */
static void lt_start(int max, int as_bootstrap, const char *const *extra)
{
    static const char *const drop[] = { "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
                                        "AWS_ENDPOINT_URL=", "AWS_LAMBDA_RUNTIME_API=",
                                        "PIXPIPE_PIPELINE=", "PIXPIPE_LAMBDA_", NULL };
    size_t n = 0, k = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 32, sizeof *env);
    cr_assert_not_null(env);
    for (size_t i = 0; i < n; i++) {
        int keep = 1;
        for (size_t d = 0; drop[d]; d++)
            keep &= strncmp(environ[i], drop[d], strlen(drop[d])) != 0;
        if (keep)
            env[k++] = environ[i];
    }
    char *own[] = {
        tu_strf("AWS_LAMBDA_RUNTIME_API=%s", lt_api),
        tu_strf("PIXPIPE_LAMBDA_MAX_INVOCATIONS=%d", max),
        tu_strf("AWS_ENDPOINT_URL_S3=%s", lt_s3()),
        tu_strf("AWS_ENDPOINT_URL_DYNAMODB=%s", lt_ddb()),
        strdup("AWS_ACCESS_KEY_ID=S3RVER"), strdup("AWS_SECRET_ACCESS_KEY=S3RVER"),
        strdup("AWS_REGION=us-east-1"), strdup("AWS_DEFAULT_REGION=us-east-1"),
        strdup("AWS_CONFIG_FILE=/dev/null"), strdup("AWS_SHARED_CREDENTIALS_FILE=/dev/null"),
        strdup("AWS_EC2_METADATA_DISABLED=true"), strdup("PIXPIPE_PIPELINE=pipe.yaml"),
    };
    size_t n_own = sizeof own / sizeof own[0];
    /* extra first: getenv() takes the first of a name, so they override */
    for (size_t i = 0; extra && extra[i] && i < 16; i++)
        env[k++] = (char *)extra[i];
    for (size_t i = 0; i < n_own; i++)
        env[k++] = own[i];
    env[k] = NULL;

    char *link = tu_strf("%s/bootstrap", lt_dir);
    if (as_bootstrap)
        cr_assert_eq(symlink(tu_pixpipe(), link), 0, "symlink: %s", strerror(errno));
    char *outp = tu_strf("%s/stdout.txt", lt_dir), *errp = tu_strf("%s/stderr.txt", lt_dir);
    const char *bin = as_bootstrap ? link : tu_pixpipe();
    char *const argv_lambda[] = { (char *)bin, "lambda", "-p", "pipe.yaml", NULL };
    char *const argv_boot[] = { (char *)bin, NULL };

    fflush(NULL);
    pid_t pid = fork();
    cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || chdir(lt_dir) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(126);
        execve(bin, as_bootstrap ? argv_boot : argv_lambda, env);
        _exit(127);
    }
    lt_pid = pid;
    for (size_t i = 0; i < n_own; i++)
        free(own[i]);
    free(env), free(link), free(outp), free(errp);
}

/* Waits up to ms for the process to exit by itself; returns its exit
 * status, or -1 (it is then killed) when it did not exit or was killed. */
static int lt_wait(int ms)
{
    int status = 0;
    for (int waited = 0; lt_pid > 0; waited += 20) {
        pid_t r = waitpid(lt_pid, &status, WNOHANG);
        if (r == lt_pid) {
            lt_pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        if (waited >= ms) {
            kill(lt_pid, SIGKILL);
            waitpid(lt_pid, NULL, 0);
            lt_pid = -1;
            return -1;
        }
        struct timespec ts = { 0, 20 * 1000000L };
        nanosleep(&ts, NULL);
    }
    return -1;
}

static char *lt_output(const char *name)
{
    char *path = tu_strf("%s/%s", lt_dir, name);
    char *text = tu_read_file(path, NULL);
    free(path);
    return text ? text : strdup("");
}

/* Asserts the process exited 0 by itself. */
static void lt_expect_clean_exit(void)
{
    int rc = lt_wait(20000);
    char *err = lt_output("stderr.txt");
    cr_expect_eq(rc, 0, "pixpipe lambda exited %d:\n%s", rc, err);
    free(err);
}

/* The runtime's counts (stats).  Caller decrefs. */
static json_t *lt_stats(void)
{
    json_t *j = NULL;
    cr_assert_eq(lt_adm("GET", "/stats", NULL, &j), 200);
    return j;
}

static long lt_stat(const json_t *stats, const char *name)
{
    return (long)json_integer_value(json_object_get(stats, name));
}

/* "{"event":KIND,"processed":P,"ignored":I,"tests":T,"failed":[...],..." */
static char *lt_summary(const char *kind, int processed, int ignored, int tests,
                        const char *failed, const char *skipped)
{
    return tu_strf("{\"event\":\"%s\",\"processed\":%d,\"ignored\":%d,\"tests\":%d,"
                   "\"failed\":[%s],\"skipped\":[%s],\"not_processed\":[]}",
                   kind, processed, ignored, tests, failed ? failed : "", skipped ? skipped : "");
}

/* The two renditions of source name (under the test's prefix, decoded,
 * without extension) as listed keys. */
static char *lt_renditions(const char *stem)
{
    return tu_strf("out/%s/%s-large.jpg\nout/%s/%s-thumb.jpg\n", lt_tag, stem, lt_tag, stem);
}

/* ---- tests ------------------------------------------------------------- */

/* An S3 notification as S3 sends it: the key URL-encoded, '+' for a space
 * and UTF-8 bytes as %XX.  The renditions land under the decoded key, with
 * the pipeline's sizes, and the item is in DynamoDB under the decoded key. */
Test(lambda, s3_event_awkward_key_renditions_and_item)
{
    lt_need_servers();
    char *table = tu_strf("lt-%s", lt_tag);
    lt_create_table(table);
    lt_pipeline(table);
    lt_upload((const char *const[]){ "up/my photo \xc3\xa9t\xc3\xa9.jpg", NULL });
    lt_start(1, 0, NULL);

    char *key = tu_strf("%s/up/my+photo+%%C3%%A9t%%C3%%A9.jpg", lt_tag);
    char *id = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_SRC, key,
                                             "0062E99A88DC407460"), NULL), 0);
    char *want = lt_summary("s3", 1, 0, 0, NULL, NULL);
    lt_expect_response(id, want);
    lt_expect_clean_exit();

    char *keys = lt_list_out(), *want_keys = lt_renditions("up/my photo \xc3\xa9t\xc3\xa9");
    cr_expect_str_eq(keys, want_keys);
    char *large = tu_strf("out/%s/up/my photo \xc3\xa9t\xc3\xa9-large.jpg", lt_tag);
    char *thumb = tu_strf("out/%s/up/my photo \xc3\xa9t\xc3\xa9-thumb.jpg", lt_tag);
    lt_expect_image(large, 400, 300);
    lt_expect_image(thumb, 64, 64);

    json_t *items = lt_scan(table);
    cr_assert_eq(json_array_size(items), 1, "%zu items", json_array_size(items));
    json_t *item = json_array_get(items, 0);
    char *src_key = tu_strf("%s/up/my photo \xc3\xa9t\xc3\xa9.jpg", lt_tag);
    cr_expect_str_eq(lt_item_s(item, "source_bucket"), LT_SRC);
    cr_expect_str_eq(lt_item_s(item, "source_key"), src_key);
    cr_expect_str_eq(lt_item_s(item, "status"), "ok");
    json_decref(items);
    free(src_key), free(large), free(thumb), free(keys), free(want_keys);
    free(want), free(id), free(key), free(table);
}

/* SNS wrapping an S3 notification (Message is its JSON as a string). */
Test(lambda, sns_wrapped_s3_event)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "sns/a.jpg", NULL });
    lt_start(1, 0, NULL);

    json_t *inner = lt_s3_event("sns/a.jpg", NULL);
    char *message = lt_dump(inner);
    json_decref(inner);
    json_t *ev = lt_records(json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "EventSource",
                                      "aws:sns", "EventVersion", "1.0", "Sns", "Type",
                                      "Notification", "MessageId", "sns-1", "Subject",
                                      "Amazon S3 Notification", "Message", message),
                            NULL);
    char *id = lt_invoke(ev, 0);
    char *want = lt_summary("sns", 1, 0, 0, NULL, NULL);
    lt_expect_response(id, want);
    lt_expect_clean_exit();
    char *keys = lt_list_out(), *want_keys = lt_renditions("sns/a");
    cr_expect_str_eq(keys, want_keys);
    free(keys), free(want_keys), free(want), free(id), free(message);
}

/* EventBridge "Object Created": the key is literal (no URL encoding), so a
 * '+' stays a '+' and a space is a space.  The runtime is entered here as
 * a symlink named bootstrap with no arguments and PIXPIPE_PIPELINE. */
Test(lambda, eventbridge_literal_key_as_bootstrap)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "eb/a b+c.jpg", NULL });
    lt_start(1, 1, NULL);

    char *key = tu_strf("%s/eb/a b+c.jpg", lt_tag);
    json_t *ev = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:{s:s, s:{s:s}, s:{s:s, s:i, s:s}, s:s}}",
                           "version", "0", "detail-type", "Object Created", "source", "aws.s3",
                           "region", "us-east-1", "resources", "arn:aws:s3:::" LT_SRC, "detail",
                           "version", "0", "bucket", "name", LT_SRC, "object", "key", key, "size",
                           1234, "sequencer", "0062E99A88DC407461", "reason", "PutObject");
    char *id = lt_invoke(ev, 0);
    char *want = lt_summary("eventbridge", 1, 0, 0, NULL, NULL);
    lt_expect_response(id, want);
    lt_expect_clean_exit();
    char *keys = lt_list_out(), *want_keys = lt_renditions("eb/a b+c");
    cr_expect_str_eq(keys, want_keys);
    free(keys), free(want_keys), free(want), free(id), free(key);
}

/* SQS messages whose bodies are S3 notifications: all processed, so no
 * message is named in batchItemFailures. */
Test(lambda, sqs_bodies_all_processed)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "q/one.jpg", "q/two.jpg", NULL });
    lt_start(1, 0, NULL);
    json_t *ev = lt_records(lt_sqs_s3("m-1", lt_s3_event("q/one.jpg", NULL)),
                            lt_sqs_s3("m-2", lt_s3_event("q/two.jpg", NULL)), NULL);
    char *id = lt_invoke(ev, 0);
    lt_expect_response(id, "{\"batchItemFailures\":[]}");
    lt_expect_clean_exit();
    char *keys = lt_list_out();
    char *want_keys = tu_strf("out/%s/q/one-large.jpg\nout/%s/q/one-thumb.jpg\n"
                              "out/%s/q/two-large.jpg\nout/%s/q/two-thumb.jpg\n",
                              lt_tag, lt_tag, lt_tag, lt_tag);
    cr_expect_str_eq(keys, want_keys);
    free(keys), free(want_keys), free(id);
}

/* s3:TestEvent is acknowledged, ObjectRemoved ignored, text that is not
 * JSON answered with Pixpipe.InvalidEvent, and the same process goes on to
 * the next invocation: nothing is fetched or written for any of them, and
 * all three come over one kept-alive runtime connection. */
Test(lambda, test_event_removed_and_garbage)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_start(3, 0, NULL);

    char *id1 = lt_invoke(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Service", "Amazon S3",
                                    "Event", "s3:TestEvent", "Time", "2024-01-01T00:00:00.000Z",
                                    "Bucket", LT_SRC, "RequestId", "R1", "HostId", "H1"),
                          0);
    char *gone = tu_strf("%s/gone.jpg", lt_tag);
    char *id2 = lt_invoke(lt_records(lt_s3rec("ObjectRemoved:Delete", LT_SRC, gone, NULL), NULL),
                          0);
    char *id3 = lt_invoke_raw("{\"Records\": [ this is not JSON");
    char *want1 = lt_summary("test", 0, 0, 1, NULL, NULL);
    char *want2 = lt_summary("s3", 0, 1, 0, NULL, NULL);
    lt_expect_response(id1, want1);
    lt_expect_response(id2, want2);
    char *msg = lt_expect_error(id3, "Pixpipe.InvalidEvent");
    cr_expect(strstr(msg, "JSON") || strstr(msg, "json"), "message: %s", msg);
    lt_expect_clean_exit();

    json_t *st = lt_stats();
    cr_expect_eq(lt_stat(st, "connections"), 1, "connections %ld", lt_stat(st, "connections"));
    cr_expect_eq(lt_stat(st, "next_requests"), 3);
    cr_expect_eq(lt_stat(st, "responses"), 2);
    cr_expect_eq(lt_stat(st, "errors"), 1);
    json_decref(st);
    /* no job ran: no job log line, one EMF line per invocation */
    char *out = lt_output("stdout.txt");
    cr_expect(strstr(out, "\"requestId\"") == NULL, "a job ran:\n%s", out);
    free(out);
    char *keys = lt_list_out();
    cr_expect_str_eq(keys, "");
    free(keys), free(msg), free(want1), free(want2), free(gone), free(id1), free(id2), free(id3);
}

/* A missing object among good ones in a direct S3 event: the invocation
 * succeeds, the summary lists exactly the failed key with its reason and
 * counts the others as processed. */
Test(lambda, s3_event_bad_record_among_good)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "b/good1.jpg", "b/good2.jpg", NULL });
    lt_start(1, 0, NULL);
    char *id = lt_invoke(lt_s3_event("b/good1.jpg", "b/missing.jpg", "b/good2.jpg", NULL), 0);
    char *failed = tu_strf("{\"bucket\":\"" LT_SRC "\",\"key\":\"%s/b/missing.jpg\",\"reason\":"
                           "\"storage-s3: GetObject s3://" LT_SRC "/%s/b/missing.jpg: HTTP 404 "
                           "NoSuchKey: The specified key does not exist.\"}",
                           lt_tag, lt_tag);
    char *want = lt_summary("s3", 2, 0, 0, failed, NULL);
    lt_expect_response(id, want);
    lt_expect_clean_exit();
    char *keys = lt_list_out();
    char *want_keys = tu_strf("out/%s/b/good1-large.jpg\nout/%s/b/good1-thumb.jpg\n"
                              "out/%s/b/good2-large.jpg\nout/%s/b/good2-thumb.jpg\n",
                              lt_tag, lt_tag, lt_tag, lt_tag);
    cr_expect_str_eq(keys, want_keys);
    free(keys), free(want_keys), free(want), free(failed), free(id);
}

/* Finds the JSON line of stdout whose key is `key`.  Caller decrefs. */
static json_t *lt_log_line(const char *out, const char *key)
{
    json_t *found = NULL;
    char *copy = strdup(out), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *k = json_string_value(json_object_get(j, "key"));
        if (k && strcmp(k, key) == 0 && !found)
            found = json_incref(j);
        json_decref(j);
    }
    free(copy);
    cr_assert_not_null(found, "no log line for %s in:\n%s", key, out);
    return found;
}

/* The one EMF line of stdout.  Caller decrefs. */
static json_t *lt_emf_line(const char *out)
{
    json_t *found = NULL;
    int n = 0;
    char *copy = strdup(out), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        json_t *j = json_loads(line, 0, NULL);
        if (json_object_get(json_object_get(j, "_aws"), "CloudWatchMetrics")) {
            n++;
            if (!found)
                found = json_incref(j);
        }
        json_decref(j);
    }
    free(copy);
    cr_assert_eq(n, 1, "%d EMF lines in:\n%s", n, out);
    return found;
}

static void lt_expect_job_line(const char *out, const char *id, const char *key,
                               const char *status)
{
    json_t *j = lt_log_line(out, key);
    char *dump = lt_dump(j);
    cr_expect_str_eq(json_string_value(json_object_get(j, "requestId")), id, "%s", dump);
    cr_expect_str_eq(json_string_value(json_object_get(j, "bucket")), LT_SRC, "%s", dump);
    cr_expect_str_eq(json_string_value(json_object_get(j, "status")), status, "%s", dump);
    cr_expect_str_eq(json_string_value(json_object_get(j, "pipeline")), "lt", "%s", dump);
    if (strcmp(status, "ok") == 0)
        cr_expect(json_integer_value(json_object_get(j, "bytes_in")) > 0 &&
                      json_integer_value(json_object_get(j, "bytes_out")) > 0,
                  "%s", dump);
    else
        cr_expect(json_string_value(json_object_get(j, "reason")) != NULL, "%s", dump);
    free(dump);
    json_decref(j);
}

/* An SQS batch with a body that is not JSON and a message naming an object
 * that does not exist among good ones: batchItemFailures names exactly
 * those two, in event order.  The process's stdout has one JSON line per
 * job (request id, bucket, key, status) and one EMF line with the counts. */
Test(lambda, sqs_bad_messages_and_log_lines)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "s/ok1.jpg", "s/ok2.jpg", NULL });
    lt_start(1, 0, NULL);
    json_t *ev = lt_records(lt_sqs_s3("m-ok1", lt_s3_event("s/ok1.jpg", NULL)),
                            lt_sqs_msg("m-notjson", "this body is { not JSON"),
                            lt_sqs_s3("m-missing", lt_s3_event("s/missing.jpg", NULL)),
                            lt_sqs_s3("m-ok2", lt_s3_event("s/ok2.jpg", NULL)), NULL);
    char *id = lt_invoke(ev, 0);
    lt_expect_response(id, "{\"batchItemFailures\":[{\"itemIdentifier\":\"m-notjson\"},"
                           "{\"itemIdentifier\":\"m-missing\"}]}");
    lt_expect_clean_exit();

    char *keys = lt_list_out();
    char *want_keys = tu_strf("out/%s/s/ok1-large.jpg\nout/%s/s/ok1-thumb.jpg\n"
                              "out/%s/s/ok2-large.jpg\nout/%s/s/ok2-thumb.jpg\n",
                              lt_tag, lt_tag, lt_tag, lt_tag);
    cr_expect_str_eq(keys, want_keys);

    char *out = lt_output("stdout.txt");
    char *k1 = tu_strf("%s/s/ok1.jpg", lt_tag), *k2 = tu_strf("%s/s/ok2.jpg", lt_tag);
    char *km = tu_strf("%s/s/missing.jpg", lt_tag);
    lt_expect_job_line(out, id, k1, "ok");
    lt_expect_job_line(out, id, k2, "ok");
    lt_expect_job_line(out, id, km, "failed");
    json_t *emf = lt_emf_line(out);
    char *dump = lt_dump(emf);
    json_t *cw = json_array_get(json_object_get(json_object_get(emf, "_aws"), "CloudWatchMetrics"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(cw, "Namespace")), "pixpipe", "%s", dump);
    cr_expect_eq(json_integer_value(json_object_get(emf, "ImagesProcessed")), 2, "%s", dump);
    cr_expect_eq(json_integer_value(json_object_get(emf, "ImagesFailed")), 1, "%s", dump);
    cr_expect_eq(json_integer_value(json_object_get(emf, "ImagesSkipped")), 0, "%s", dump);
    cr_expect_str_eq(json_string_value(json_object_get(emf, "Pipeline")), "lt", "%s", dump);
    free(dump), json_decref(emf);
    free(k1), free(k2), free(km), free(out), free(keys), free(want_keys), free(id);
}

/* Asserts the process failed at init: exit status non-zero, the runtime
 * holds an init error Pixpipe.InitError whose message holds each of the
 * NULL-terminated fragments, and no invocation was asked for. */
static void lt_expect_init_error(const char *first, ...)
{
    int rc = lt_wait(20000);
    cr_expect(rc > 0, "exit status %d", rc);
    json_t *j = NULL;
    cr_assert_eq(lt_adm("GET", "/init-error", NULL, &j), 200, "no init error posted");
    char *dump = lt_dump(j);
    const char *type = json_string_value(json_object_get(json_object_get(j, "body"), "errorType"));
    const char *msg =
        json_string_value(json_object_get(json_object_get(j, "body"), "errorMessage"));
    cr_expect(type && strcmp(type, "Pixpipe.InitError") == 0, "%s", dump);
    cr_expect_str_eq(json_string_value(json_object_get(j, "error_type")), "Pixpipe.InitError");
    cr_assert_not_null(msg, "%s", dump);
    va_list ap;
    va_start(ap, first);
    for (const char *f = first; f; f = va_arg(ap, const char *))
        cr_expect(strstr(msg, f) != NULL, "'%s' not in the message: %s", f, msg);
    va_end(ap);
    json_t *st = lt_stats();
    cr_expect_eq(lt_stat(st, "next_requests"), 0);
    json_decref(st);
    free(dump);
    json_decref(j);
}

/* A pipeline naming a plugin that does not exist. */
Test(lambda, init_error_unknown_plugin)
{
    lt_need_servers();
    char *yaml = tu_strf("name: lt\n"
                         "source:      { storage: s3, endpoint: \"%s\", path_style: true }\n"
                         "destination: { storage: s3, bucket: " LT_DST ", endpoint: \"%s\",\n"
                         "               path_style: true, key: \"out/{dir}/{name}-{rendition}.{ext}\" }\n"
                         "stages:\n"
                         "  - resize: { width: 100 }\n"
                         "  - no-such-plugin: {}\n",
                         lt_s3(), lt_s3());
    lt_write("pipe.yaml", yaml);
    lt_start(1, 0, NULL);
    lt_expect_init_error("pipe.yaml:7:", "no-such-plugin", NULL);
    free(yaml);
}

/* Recursion: the destination is the trigger's bucket and its key template
 * can write under the trigger's prefix. */
Test(lambda, init_error_recursion_refused)
{
    lt_need_servers();
    char *yaml = tu_strf("name: lt\n"
                         "trigger:     { bucket: " LT_SRC ", prefix: \"%s/\" }\n"
                         "source:      { storage: s3, endpoint: \"%s\", path_style: true }\n"
                         "destination: { storage: s3, bucket: " LT_SRC ", endpoint: \"%s\",\n"
                         "               path_style: true, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
                         "stages:\n"
                         "  - resize: { width: 100 }\n",
                         lt_tag, lt_s3(), lt_s3());
    lt_write("pipe.yaml", yaml);
    lt_start(1, 0, NULL);
    char *prefix = tu_strf("'%s/'", lt_tag);
    lt_expect_init_error("pipe.yaml:2:", "trigger", "'" LT_SRC "'", prefix, NULL);
    free(prefix), free(yaml);
}

/* No time left: the margin (default 3000 ms) exceeds the invocation's
 * timeout, so no record starts.  An S3 event ends in the retryable error
 * Pixpipe.DeadlineExceeded; an SQS batch names every message. */
Test(lambda, deadline_exhausted)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_start(2, 0, NULL);
    char *id1 = lt_invoke(lt_s3_event("d/1.jpg", "d/2.jpg", "d/3.jpg", NULL), 1000);
    char *msg = lt_expect_error(id1, "Pixpipe.DeadlineExceeded");
    cr_expect_str_eq(msg, "3 of 3 records not started before the deadline (3000 ms margin); "
                          "deliver the event again: records already done are idempotent");
    json_t *ev = lt_records(lt_sqs_s3("q-1", lt_s3_event("d/1.jpg", NULL)),
                            lt_sqs_s3("q-2", lt_s3_event("d/2.jpg", "d/3.jpg", NULL)),
                            lt_sqs_s3("q-3", lt_s3_event("d/4.jpg", NULL)), NULL);
    char *id2 = lt_invoke(ev, 1000);
    lt_expect_response(id2, "{\"batchItemFailures\":[{\"itemIdentifier\":\"q-1\"},"
                            "{\"itemIdentifier\":\"q-2\"},{\"itemIdentifier\":\"q-3\"}]}");
    lt_expect_clean_exit();
    char *out = lt_output("stdout.txt");
    cr_expect(strstr(out, "\"requestId\"") == NULL, "a record started:\n%s", out);
    cr_expect(strstr(out, "\"ImagesNotStarted\":3") && strstr(out, "\"ImagesNotStarted\":4"),
              "%s", out);
    free(out), free(msg), free(id1), free(id2);
}

/* The margin given by PIXPIPE_LAMBDA_MARGIN_MS: 60 s against the default
 * 30 s timeout. */
Test(lambda, deadline_margin_from_environment)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_start(1, 0, (const char *const[]){ "PIXPIPE_LAMBDA_MARGIN_MS=60000", NULL });
    char *id = lt_invoke(lt_s3_event("d/1.jpg", "d/2.jpg", NULL), 0);
    char *msg = lt_expect_error(id, "Pixpipe.DeadlineExceeded");
    cr_expect(strstr(msg, "2 of 2 records not started") && strstr(msg, "(60000 ms margin)"),
              "%s", msg);
    lt_expect_clean_exit();
    free(msg), free(id);
}

/* An event naming a rendition pixpipe wrote (it carries
 * x-amz-meta-pixpipe-pipeline): skipped with the reason, not failed. */
Test(lambda, own_outputs_skipped)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "o/pic.jpg", NULL });
    lt_start(2, 0, NULL);
    char *id1 = lt_invoke(lt_s3_event("o/pic.jpg", NULL), 0);
    char *want1 = lt_summary("s3", 1, 0, 0, NULL, NULL);
    lt_expect_response(id1, want1);

    char *out_key = tu_strf("out/%s/o/pic-large.jpg", lt_tag);
    char *id2 = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_DST, out_key, NULL), NULL),
                          0);
    char *skipped = tu_strf("{\"bucket\":\"" LT_DST "\",\"key\":\"%s\",\"reason\":\"" LT_OWN "\"}",
                            out_key);
    char *want2 = lt_summary("s3", 0, 0, 0, NULL, skipped);
    lt_expect_response(id2, want2);
    lt_expect_clean_exit();
    char *keys = lt_list_out(), *want_keys = lt_renditions("o/pic");
    cr_expect_str_eq(keys, want_keys); /* nothing derived from the rendition */
    free(keys), free(want_keys), free(want1), free(want2), free(skipped), free(out_key);
    free(id1), free(id2);
}

/* The same event delivered twice to one process: the same keys, once
 * each, one DynamoDB item, no error either time; and both invocations come
 * over one kept-alive runtime connection. */
Test(lambda, duplicate_delivery_and_one_connection)
{
    lt_need_servers();
    char *table = tu_strf("lt-%s", lt_tag);
    lt_create_table(table);
    lt_pipeline(table);
    lt_upload((const char *const[]){ "dup/x.jpg", NULL });
    lt_start(2, 0, NULL);
    char *key = tu_strf("%s/dup/x.jpg", lt_tag);
    char *want = lt_summary("s3", 1, 0, 0, NULL, NULL);
    char *id1 = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_SRC, key,
                                              "0062E99A88DC407470"), NULL), 0);
    lt_expect_response(id1, want);
    char *id2 = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_SRC, key,
                                              "0062E99A88DC407470"), NULL), 0);
    lt_expect_response(id2, want);
    json_t *st = lt_stats();
    cr_expect_eq(lt_stat(st, "connections"), 1, "connections %ld", lt_stat(st, "connections"));
    cr_expect_eq(lt_stat(st, "responses"), 2);
    cr_expect_eq(lt_stat(st, "errors"), 0);
    json_decref(st);
    lt_expect_clean_exit();

    char *keys = lt_list_out(), *want_keys = lt_renditions("dup/x");
    cr_expect_str_eq(keys, want_keys);
    json_t *items = lt_scan(table);
    cr_expect_eq(json_array_size(items), 1, "%zu items", json_array_size(items));
    cr_expect_str_eq(lt_item_s(json_array_get(items, 0), "source_key"), key);
    cr_expect_str_eq(lt_item_s(json_array_get(items, 0), "status"), "ok");
    json_decref(items);
    free(keys), free(want_keys), free(want), free(id1), free(id2), free(key), free(table);
}

/* The shipped pipelines/lambda.yaml, configured by its environment
 * variables as docs/lambda.md says, against the local servers: the
 * default 1600 px large and 256x256 thumb, the item in DynamoDB. */
Test(lambda, shipped_pipeline)
{
    lt_need_servers();
    char *table = tu_strf("lt-%s", lt_tag);
    lt_create_table(table);
    char *file = tu_strf("%s/big.jpg", lt_dir), *out = NULL, *err = NULL;
    cr_assert_eq(tu_make_scene(file, 2400, 1800, 6, 1), 0);
    int rc = lt_aws(&out, &err, lt_s3(), "s3api put-object --bucket " LT_SRC
                    " --key '%s/up/big.jpg' --body '%s'", lt_tag, file);
    cr_assert_eq(rc, 0, "upload: %s%s", out, err);
    free(out), free(err);

    char *pipeline = tu_strf("PIXPIPE_PIPELINE=%s/pipelines/lambda.yaml", tu_src());
    char *prefix = tu_strf("PIXPIPE_SOURCE_PREFIX=%s/", lt_tag);
    char *tbl = tu_strf("PIXPIPE_TABLE=%s", table);
    lt_start(1, 1, (const char *const[]){ pipeline, prefix, tbl, "PIXPIPE_SOURCE_BUCKET=" LT_SRC,
                                          "PIXPIPE_DEST_BUCKET=" LT_DST,
                                          "PIXPIPE_S3_PATH_STYLE=true", NULL });
    char *key = tu_strf("%s/up/big.jpg", lt_tag);
    char *id = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_SRC, key, "00A1"), NULL), 0);
    char *want = lt_summary("s3", 1, 0, 0, NULL, NULL);
    lt_expect_response(id, want);
    lt_expect_clean_exit();
    char *large = tu_strf("%s/up/big-large.jpg", lt_tag), *thumb = tu_strf("%s/up/big-thumb.jpg", lt_tag);
    lt_expect_image(large, 1600, 1200); /* stored sideways (orientation 6): upright */
    lt_expect_image(thumb, 256, 256);
    json_t *items = lt_scan(table);
    cr_expect_eq(json_array_size(items), 1, "%zu items", json_array_size(items));
    cr_expect_str_eq(lt_item_s(json_array_get(items, 0), "source_key"), key);
    cr_expect_str_eq(lt_item_s(json_array_get(items, 0), "pipeline"), "lambda");
    json_decref(items);
    free(large), free(thumb), free(want), free(id), free(key), free(pipeline), free(prefix);
    free(tbl), free(file), free(table);
}

/* Asks the gate to hold the next S3 request whose URL holds match for ms
 * (the match is unique to this test: tests run side by side). */
static void lt_gate_delay(const char *match, int ms)
{
    const char *gate = getenv("PIXPIPE_TEST_GATE_ADMIN");
    if (!gate || !*gate)
        cr_skip_test("PIXPIPE_TEST_GATE_ADMIN is not set");
    char *url = tu_strf("%s/fault", gate);
    char *body = tu_strf("{\"service\":\"s3\",\"delay_ms\":%d,\"count\":1,\"match\":\"%s\"}", ms,
                         match);
    int status = lt_http("POST", url, body, NULL);
    cr_assert(status >= 200 && status < 300, "gate fault: HTTP %d", status);
    free(body), free(url);
}

/* The deadline reached part way: one record at a time
 * (PIXPIPE_LAMBDA_CONCURRENCY=1), the first one's download held 2.5 s by
 * the gate, a 4 s timeout and a 2 s margin.  The first record is finished
 * and written; the messages of the two never started, and only those, are
 * named in batchItemFailures. */
Test(lambda, deadline_reached_part_way_in_sqs_batch)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "p/slow.jpg", "p/next1.jpg", "p/next2.jpg", NULL });
    char *match = tu_strf("%s/p/slow.jpg", lt_tag);
    lt_gate_delay(match, 2500);
    lt_start(1, 0, (const char *const[]){ "PIXPIPE_LAMBDA_CONCURRENCY=1",
                                          "PIXPIPE_LAMBDA_MARGIN_MS=2000", NULL });
    json_t *ev = lt_records(lt_sqs_s3("p-slow", lt_s3_event("p/slow.jpg", NULL)),
                            lt_sqs_s3("p-next1", lt_s3_event("p/next1.jpg", NULL)),
                            lt_sqs_s3("p-next2", lt_s3_event("p/next2.jpg", NULL)), NULL);
    char *id = lt_invoke(ev, 4000);
    lt_expect_response(id, "{\"batchItemFailures\":[{\"itemIdentifier\":\"p-next1\"},"
                           "{\"itemIdentifier\":\"p-next2\"}]}");
    lt_expect_clean_exit();
    char *keys = lt_list_out(), *want_keys = lt_renditions("p/slow");
    cr_expect_str_eq(keys, want_keys);
    char *out = lt_output("stdout.txt");
    cr_expect(strstr(out, "\"ImagesProcessed\":1") && strstr(out, "\"ImagesNotStarted\":2"),
              "%s", out);
    free(out), free(keys), free(want_keys), free(id), free(match);
}

/* A job still in its stages half a margin before the deadline fails
 * between two stages, with the stage it did not start named, rather than
 * run on until the runtime is killed: its record is written, nothing is
 * stored, and the process answers and goes on. */
Test(lambda, deadline_reached_between_stages)
{
    lt_need_servers();
    lt_upload((const char *const[]){ "s/slow.jpg", NULL });
    char *yaml = tu_strf(
        "name: lt\n"
        "source:      { storage: s3, endpoint: \"%s\", path_style: true }\n"
        "destination: { storage: s3, bucket: " LT_DST ", endpoint: \"%s\", path_style: true,\n"
        "               key: \"out/{dir}/{name}-{rendition}.{ext}\" }\n"
        "metadata:    { backend: sqlite, path: ./md.db }\n"
        "stages:\n"
        "  - sleepy:    { ms: 3200 }\n"
        "  - resize:    { width: 40 }\n"
        "  - metadata-sink: {}\n",
        lt_s3(), lt_s3());
    lt_write("pipe.yaml", yaml);
    char *plugins = tu_strf("PIXPIPE_PLUGIN_PATH=%s/test-plugins", tu_build());
    lt_start(1, 0, (const char *const[]){ plugins, "PIXPIPE_LAMBDA_MARGIN_MS=2000", NULL });
    /* starts at once (before 4000 - 2000 ms), sleeps past 4000 - 1000 */
    char *id = lt_invoke(lt_s3_event("s/slow.jpg", NULL), 4000);
    char *failed = tu_strf("{\"bucket\":\"" LT_SRC "\",\"key\":\"%s/s/slow.jpg\",\"reason\":"
                           "\"deadline reached before resize (stage 2 of 3)\"}", lt_tag);
    char *want = lt_summary("s3", 0, 0, 0, failed, NULL);
    lt_expect_response(id, want);
    lt_expect_clean_exit();
    char *keys = lt_list_out();
    cr_expect_str_eq(keys, "", "nothing is stored: %s", keys);
    char *rec = NULL;
    int rc = tu_runf(&rec, NULL, "/usr/bin/sqlite3 %s/md.db \"select status from images\"",
                     lt_dir);
    cr_expect(rc == 0 && rec && strcmp(rec, "failed\n") == 0, "the record says failed: %s",
              rec ? rec : "");
    free(rec), free(keys), free(want), free(failed), free(id), free(plugins), free(yaml);
}

/* A records-at-once setting out of range is refused before anything starts. */
Test(lambda, concurrency_out_of_range_refused)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_start(1, 0, (const char *const[]){ "PIXPIPE_LAMBDA_CONCURRENCY=65", NULL });
    int rc = lt_wait(10000);
    char *err = lt_output("stderr.txt");
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "-j takes a number from 1 to 64"), "%s", err);
    json_t *st = lt_stats();
    cr_expect_eq(lt_stat(st, "next_requests"), 0);
    json_decref(st);
    free(err);
}

/* A poison record in an SQS batch fails alone: a worker that segfaults,
 * one that aborts, one that hangs in a stage and one that hangs in libvips'
 * SVG sniffer past limits.job_timeout each cost only their own message
 * (batchItemFailures names exactly those four),
 * the good records are stored, and the same runtime answers the next
 * invocation with new workers in place of the dead ones. */
Test(lambda, poison_records_fail_alone_in_sqs_batch)
{
    lt_need_servers();
    /* and an SVGZ whose sniff never ends in libvips 8.14 (test_isolation.c),
     * uploaded with the images */
    char *svgz = tu_strf("%s/up/%s/z/poison.svgz", lt_dir, lt_tag);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p \"$(dirname '%s')\" && printf '<svg xmlns="
                         "\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>' | "
                         "/bin/gzip -9 > '%s' && printf 'bytes after the end' >> '%s'",
                         svgz, svgz, svgz), 0);
    free(svgz);
    lt_upload((const char *const[]){ "z/ok1.jpg", "z/segv.jpg", "z/ok2.jpg", "z/hang.jpg",
                                     "z/abort.jpg", "z/ok3.jpg", "z/next.jpg", NULL });
    char *yaml = tu_strf(
        "name: lt\n"
        "source:      { storage: s3, endpoint: \"%s\", path_style: true }\n"
        "destination: { storage: s3, bucket: " LT_DST ", endpoint: \"%s\", path_style: true,\n"
        "               key: \"out/{dir}/{name}-{rendition}.{ext}\" }\n"
        "metadata:    { backend: sqlite, path: ./md.db }\n"
        "limits:      { job_timeout: 2s, formats: [jpeg, svg] }\n"
        "output:      { rendition: large, format: jpeg, quality: 80 }\n"
        "stages:\n"
        "  - crashy:    {}\n"
        "  - resize:    { width: 400, height: 400, fit: inside }\n"
        "  - thumbnail: { name: thumb, width: 64, height: 64, crop: centre }\n",
        lt_s3(), lt_s3());
    lt_write("pipe.yaml", yaml);
    char *plugins = tu_strf("PIXPIPE_PLUGIN_PATH=%s/test-plugins", tu_build());
    /* ASan (make test SAN=1) would catch the segfault and exit instead */
    lt_start(2, 0, (const char *const[]){ plugins, "PIXPIPE_LAMBDA_CONCURRENCY=2",
                                          "ASAN_OPTIONS=handle_segv=0", NULL });
    json_t *ev = lt_records(lt_sqs_s3("m-ok1", lt_s3_event("z/ok1.jpg", NULL)),
                            lt_sqs_s3("m-segv", lt_s3_event("z/segv.jpg", NULL)),
                            lt_sqs_s3("m-ok2", lt_s3_event("z/ok2.jpg", NULL)),
                            lt_sqs_s3("m-hang", lt_s3_event("z/hang.jpg", NULL)),
                            lt_sqs_s3("m-svgz", lt_s3_event("z/poison.svgz", NULL)),
                            lt_sqs_s3("m-abort", lt_s3_event("z/abort.jpg", NULL)),
                            lt_sqs_s3("m-ok3", lt_s3_event("z/ok3.jpg", NULL)), NULL);
    char *id = lt_invoke(ev, 30000);
    lt_expect_response(id, "{\"batchItemFailures\":[{\"itemIdentifier\":\"m-segv\"},"
                           "{\"itemIdentifier\":\"m-hang\"},{\"itemIdentifier\":\"m-svgz\"},"
                           "{\"itemIdentifier\":\"m-abort\"}]}");
    char *id2 = lt_invoke(lt_records(lt_sqs_s3("m-next", lt_s3_event("z/next.jpg", NULL)), NULL),
                          30000);
    lt_expect_response(id2, "{\"batchItemFailures\":[]}");
    lt_expect_clean_exit();
    char *keys = lt_list_out();
    char *want = tu_strf("out/%s/z/next-large.jpg\nout/%s/z/next-thumb.jpg\n"
                         "out/%s/z/ok1-large.jpg\nout/%s/z/ok1-thumb.jpg\n"
                         "out/%s/z/ok2-large.jpg\nout/%s/z/ok2-thumb.jpg\n"
                         "out/%s/z/ok3-large.jpg\nout/%s/z/ok3-thumb.jpg\n",
                         lt_tag, lt_tag, lt_tag, lt_tag, lt_tag, lt_tag, lt_tag, lt_tag);
    cr_expect_str_eq(keys, want);
    char *out = lt_output("stdout.txt");
    cr_expect(strstr(out, "crashed (signal 11, Segmentation fault)") &&
              strstr(out, "crashed (signal 6, Aborted)") &&
              strstr(out, "exceeded its time limit (limits.job_timeout: 2 s) and was stopped"),
              "each poison record's reason is logged: %s", out);
    free(out), free(keys), free(want), free(id), free(id2), free(plugins), free(yaml);
}

/* ---- the bucket's whole life ------------------------------------------ */

/* The result of the task taskId in a Batch Operations answer. */
static json_t *lt_task_result(json_t *answer, const char *task)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(answer, "results"), i, r)
        if (strcmp(json_string_value(json_object_get(r, "taskId")), task) == 0)
            return r;
    return NULL;
}

/* An S3 Batch Operations 2.0 invocation over three keys: one there, one
 * missing, one not an image.  Each task gets its own result: Succeeded,
 * and PermanentFailure with the reason (Batch must not retry those). */
Test(lambda, batch_operations_2_0_per_task_results)
{
    lt_need_servers();
    lt_pipeline(NULL);
    lt_upload((const char *const[]){ "batch/good.jpg", NULL });
    lt_write("corrupt.jpg", "\xff\xd8\xff\xe0 this is no JPEG at all");
    char *out = NULL, *err = NULL;
    int rc = lt_aws(&out, &err, lt_s3(), "s3 cp --only-show-errors '%s/corrupt.jpg' s3://" LT_SRC
                    "/%s/batch/corrupt.jpg", lt_dir, lt_tag);
    cr_assert_eq(rc, 0, "upload: %s%s", out, err);
    free(out), free(err);
    lt_start(1, 0, NULL);

    char *good = tu_strf("%s/batch/good.jpg", lt_tag);
    char *missing = tu_strf("%s/batch/missing.jpg", lt_tag);
    char *corrupt = tu_strf("%s/batch/corrupt.jpg", lt_tag);
    json_t *ev = json_pack("{s:s, s:s, s:{s:s, s:{}}, s:[{s:s, s:s, s:s, s:n}, {s:s, s:s, s:s, "
                           "s:n}, {s:s, s:s, s:s, s:n}]}",
                           "invocationSchemaVersion", "2.0", "invocationId", "inv-42", "job",
                           "id", "job-1", "userArguments", "tasks",
                           "taskId", "t-good", "s3Bucket", LT_SRC, "s3Key", good, "s3VersionId",
                           "taskId", "t-missing", "s3Bucket", LT_SRC, "s3Key", missing,
                           "s3VersionId",
                           "taskId", "t-corrupt", "s3Bucket", LT_SRC, "s3Key", corrupt,
                           "s3VersionId");
    char *id = lt_invoke(ev, 0);
    json_t *r = lt_result(id);
    const char *text = json_string_value(json_object_get(r, "text"));
    cr_assert_not_null(text, "no response: %s", lt_dump(r));
    json_t *answer = json_loads(text, 0, NULL);
    cr_assert_not_null(answer, "%s", text);
    cr_expect_str_eq(json_string_value(json_object_get(answer, "invocationSchemaVersion")), "2.0");
    cr_expect_str_eq(json_string_value(json_object_get(answer, "invocationId")), "inv-42");
    cr_expect_str_eq(json_string_value(json_object_get(answer, "treatMissingKeysAs")),
                     "PermanentFailure");
    cr_expect_eq(json_array_size(json_object_get(answer, "results")), 3, "%s", text);
    json_t *g = lt_task_result(answer, "t-good"), *m = lt_task_result(answer, "t-missing");
    json_t *c = lt_task_result(answer, "t-corrupt");
    cr_assert(g && m && c, "%s", text);
    cr_expect_str_eq(json_string_value(json_object_get(g, "resultCode")), "Succeeded");
    cr_expect_str_eq(json_string_value(json_object_get(m, "resultCode")), "PermanentFailure");
    cr_expect(strstr(json_string_value(json_object_get(m, "resultString")), "missing: ") &&
                  strstr(json_string_value(json_object_get(m, "resultString")), "NoSuchKey"),
              "%s", text);
    cr_expect_str_eq(json_string_value(json_object_get(c, "resultCode")), "PermanentFailure");
    cr_expect(strstr(json_string_value(json_object_get(c, "resultString")), "corrupt.jpg") ||
                  strstr(json_string_value(json_object_get(c, "resultString")), "not"),
              "%s", text);
    lt_expect_clean_exit();
    char *keys = lt_list_out(), *want_keys = lt_renditions("batch/good");
    cr_expect_str_eq(keys, want_keys);
    free(keys), free(want_keys);
    json_decref(answer);
    json_decref(r);
    free(id), free(good), free(missing), free(corrupt);
}

/* on_delete: remove.  A create, then its delete: the renditions and the
 * item go, a tombstone with the delete's sequencer stays.  The delete
 * delivered again changes nothing; the create delivered late (older
 * sequencer, the object still readable) does not bring the renditions
 * back. */
Test(lambda, delete_removes_renditions_and_item_in_order)
{
    lt_need_servers();
    char *table = tu_strf("lt-%s", lt_tag);
    lt_create_table(table);
    lt_extra_top = "on_delete: remove\n";
    lt_pipeline(table);
    lt_extra_top = "";
    lt_upload((const char *const[]){ "del/a.jpg", NULL });
    lt_start(4, 0, NULL);

    char *key = tu_strf("%s/del/a.jpg", lt_tag);
    char *id = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_SRC, key, "0A"), NULL), 0);
    json_decref(lt_result(id));
    free(id);
    char *keys = lt_list_out(), *want_keys = lt_renditions("del/a");
    cr_expect_str_eq(keys, want_keys);
    free(keys);

    for (int round = 0; round < 2; round++) {
        id = lt_invoke(lt_records(lt_s3rec("ObjectRemoved:Delete", LT_SRC, key, "0B"), NULL), 0);
        json_t *r = lt_result(id);
        char *dump = lt_dump(r);
        cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "response", "%s", dump);
        free(dump), free(id);
        json_decref(r);
        keys = lt_list_out();
        cr_expect_str_eq(keys, "", "round %d: renditions left:\n%s", round, keys);
        free(keys);
        json_t *items = lt_scan(table);
        cr_assert_eq(json_array_size(items), 1);
        json_t *item = json_array_get(items, 0);
        cr_expect(json_is_true(json_object_get(json_object_get(item, "deleted"), "BOOL")),
                  "round %d: not a tombstone", round);
        cr_expect_null(json_object_get(item, "renditions"), "round %d: the record stayed", round);
        json_decref(items);
    }

    /* the create's event again, late: older than the delete */
    id = lt_invoke(lt_records(lt_s3rec("ObjectCreated:Put", LT_SRC, key, "0A"), NULL), 0);
    json_decref(lt_result(id));
    free(id);
    keys = lt_list_out();
    cr_expect_str_eq(keys, "", "a late create brought renditions back:\n%s", keys);
    free(keys);
    lt_expect_clean_exit();
    free(want_keys), free(key), free(table);
}
