/* pixpipe worker against a real SQS implementation (fauxqs behind the
 * signature gate, PIXPIPE_TEST_SQS) and s3rver: at-least-once delivery as
 * a fleet meets it.  Two workers drain one queue; one is killed with
 * SIGKILL half-way; every image is still processed and recorded, and no
 * message is left, in the queue or in flight.  SIGTERM drains: a worker
 * asked to stop hands back what it had not started. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqs.h"
#include "testutil.h"

#define WK_SRC "pixpipe-src"
#define WK_DST "pixpipe-out"

static char *wk_dir, *wk_tag;

static void wk_setup(void)
{
    wk_dir = tu_tmpdir();
    wk_tag = tu_strf("wk%ld-%ld", (long)getpid(), (long)time(NULL));
}

static void wk_teardown(void)
{
    /* a worker still running is stopped, whatever the test did */
    tu_runf(NULL, NULL, "cd '%s' && for f in *.pid; do [ -f \"$f\" ] && kill -9 $(cat \"$f\") "
            "2>/dev/null; done; true", wk_dir);
    tu_rmrf(wk_dir);
    free(wk_dir), free(wk_tag);
}

TestSuite(worker, .init = wk_setup, .fini = wk_teardown, .timeout = 180);

static void wk_need_servers(void)
{
    const char *s3 = getenv("PIXPIPE_TEST_S3"), *sqs = getenv("PIXPIPE_TEST_SQS");
    if (!s3 || !*s3 || !sqs || !*sqs)
        cr_skip_test("PIXPIPE_TEST_S3 or PIXPIPE_TEST_SQS is not set (no local servers)");
}

#define WK_ENV                                                                                   \
    "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 -u AWS_ENDPOINT_URL_SQS "   \
    "-u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "              \
    "AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 "

/* awscli against s3rver (path style, no aws-chunked uploads). */
static int wk_aws(char **out, const char *args)
{
    char *cfg = tu_strf("%s/aws.cfg", wk_dir);
    const char *text = "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n";
    cr_assert_eq(tu_write_file(cfg, text, strlen(text)), 0);
    int rc = tu_runf(out, NULL, WK_ENV "AWS_CONFIG_FILE='%s' AWS_SHARED_CREDENTIALS_FILE=/dev/null "
                     "AWS_EC2_METADATA_DISABLED=true AWS_PAGER= "
                     "AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
                     "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required "
                     "/usr/bin/aws --endpoint-url '%s' %s",
                     cfg, getenv("PIXPIPE_TEST_S3"), args);
    free(cfg);
    return rc;
}

/* n images uploaded as WK_SRC/<tag>/img<i>.jpg; a queue holding one S3
 * notification per image (visibility 10 s) is returned open. */
static pix_sqs *wk_prepare(int n)
{
    char *tree = tu_strf("%s/up", wk_dir);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s'", tree), 0);
    for (int i = 0; i < n; i++) {
        char *f = tu_strf("%s/img%03d.jpg", tree, i);
        cr_assert_eq(tu_make_image(f, 320, 240), 0);
        free(f);
    }
    char *args = tu_strf("s3 cp --recursive --only-show-errors --content-type image/jpeg '%s' "
                         "s3://" WK_SRC "/%s/", tree, wk_tag);
    cr_assert_eq(wk_aws(NULL, args), 0, "upload failed");
    free(args), free(tree);

    char *yaml = tu_strf(
        "name: worker-test\n"
        "source:      { storage: s3, endpoint: \"${PIXPIPE_TEST_S3}\", path_style: true }\n"
        "destination: { storage: s3, bucket: " WK_DST ", endpoint: \"${PIXPIPE_TEST_S3}\",\n"
        "               path_style: true, key: \"{key}.{rendition}.{ext}\" }\n"
        "metadata:    { backend: sqlite, path: ./md.db }\n"
        "output:      { rendition: main, format: jpeg, quality: 80 }\n"
        "stages:\n"
        "  - resize:    { width: 160, height: 160 }\n"
        "  - metadata-sink: {}\n");
    char *path = tu_strf("%s/pipe.yaml", wk_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path), free(yaml);

    char *url = tu_strf("%s/000000000000/%s", getenv("PIXPIPE_TEST_SQS"), wk_tag);
    pix_sqs *q = NULL;
    pix_err err = { { 0 } };
    json_t *answer = NULL;
    setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    unsetenv("AWS_SESSION_TOKEN");
    cr_assert_eq(pix_sqs_open(url, &q, &err), 0, "%s", err.msg);
    json_t *req = json_pack("{s:s, s:{s:s}}", "QueueName", wk_tag, "Attributes",
                            "VisibilityTimeout", "10");
    cr_assert_eq(pix_sqs_call(q, "CreateQueue", req, &answer, &err), 0, "%s", err.msg);
    json_decref(req), json_decref(answer);
    for (int i = 0; i < n; i++) {
        char *body = tu_strf("{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\","
                             "\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
                             "\"" WK_SRC "\"},\"object\":{\"key\":\"%s/img%03d.jpg\","
                             "\"sequencer\":\"%04X\"}}}]}", wk_tag, i, i + 1);
        cr_assert_eq(pix_sqs_send(q, body, NULL, &err), 0, "%s", err.msg);
        free(body);
    }
    free(url);
    return q;
}

/* Starts `pixpipe worker` in the background as NAME (NAME.pid, NAME.log). */
static void wk_start(const char *name, const char *extra)
{
    int rc = tu_runf(NULL, NULL, "cd '%s' && (exec " WK_ENV "'%s' worker -p pipe.yaml -j 2 "
                     "--queue '%s/000000000000/%s' --visibility 10 --log-format text %s "
                     ">%s.log 2>&1 & echo $! >%s.pid)",
                     wk_dir, tu_pixpipe(), getenv("PIXPIPE_TEST_SQS"), wk_tag, extra, name,
                     name);
    cr_assert_eq(rc, 0);
}

static pid_t wk_pid(const char *name)
{
    char *path = tu_strf("%s/%s.pid", wk_dir, name);
    char *text = tu_read_file(path, NULL);
    cr_assert_not_null(text, "no %s", path);
    pid_t pid = (pid_t)atol(text);
    free(text), free(path);
    return pid;
}

/* Waits (limit s at most) for the worker to end; its exit status, or -1. */
static int wk_wait(const char *name, int limit_s)
{
    pid_t pid = wk_pid(name);
    for (int i = 0; i < limit_s * 10; i++) {
        if (kill(pid, 0) != 0) {
            char *path = tu_strf("%s/%s.pid", wk_dir, name);
            unlink(path);
            free(path);
            return 0;
        }
        usleep(100 * 1000);
    }
    return -1;
}

/* Rows of the records table with status ok (through sqlite3). */
static int wk_records_ok(void)
{
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "cd '%s' && sqlite3 md.db \"SELECT count(*) FROM images WHERE "
                     "status = 'ok'\" 2>/dev/null", wk_dir);
    int n = rc == 0 && out ? atoi(out) : 0;
    free(out);
    return n;
}

/* The queue's approximate counts, visible + in flight. */
static long wk_left(pix_sqs *q)
{
    pix_err err = { { 0 } };
    json_t *answer = NULL;
    json_t *req = json_pack("{s:s, s:[s, s]}", "QueueUrl", pix_sqs_url(q), "AttributeNames",
                            "ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible");
    cr_assert_eq(pix_sqs_call(q, "GetQueueAttributes", req, &answer, &err), 0, "%s", err.msg);
    json_t *a = json_object_get(answer, "Attributes");
    long n = atol(json_string_value(json_object_get(a, "ApproximateNumberOfMessages")) ?: "-1") +
             atol(json_string_value(json_object_get(a, "ApproximateNumberOfMessagesNotVisible"))
                      ?: "-1");
    json_decref(req), json_decref(answer);
    return n;
}

Test(worker, two_workers_one_killed_nothing_lost)
{
    wk_need_servers();
    enum { N = 40 };
    pix_sqs *q = wk_prepare(N);
    wk_start("a", "");
    wk_start("b", "--until-empty");
    /* half-way: a has records stored, messages in flight */
    for (int i = 0; i < 600 && wk_records_ok() < N / 3; i++)
        usleep(100 * 1000);
    char *alog = tu_strf("%s/a.log", wk_dir), *atext = tu_read_file(alog, NULL);
    cr_assert_geq(wk_records_ok(), N / 3, "the workers processed nothing:\n%s", atext);
    free(atext), free(alog);
    cr_assert_eq(kill(wk_pid("a"), SIGKILL), 0);
    /* b gets a's messages back after their visibility (10 s), then finds
     * the queue empty for a whole long poll and ends */
    cr_assert_eq(wk_wait("b", 120), 0, "worker b did not end");
    char *log = tu_strf("%s/b.log", wk_dir), *text = tu_read_file(log, NULL);
    cr_expect_eq(wk_records_ok(), N, "records: %d of %d\n%s", wk_records_ok(), N, text);
    cr_expect_eq(wk_left(q), 0, "messages left in the queue");
    char *out = NULL;
    char *args = tu_strf("s3api list-objects-v2 --bucket " WK_DST " --prefix '%s/'", wk_tag);
    cr_assert_eq(wk_aws(&out, args), 0);
    json_t *j = json_loads(out, 0, NULL);
    cr_expect_eq(json_array_size(json_object_get(j, "Contents")), N, "renditions: %s", out);
    json_decref(j);
    free(out), free(args), free(text), free(log);
    pix_sqs_close(q);
}

/* SIGTERM while a batch runs: the worker ends soon, what it started is
 * recorded and deleted, what it had not started is back in the queue at
 * once (visibility 0), so another worker takes it without waiting. */
Test(worker, sigterm_drains_and_hands_back)
{
    wk_need_servers();
    enum { N = 20 };
    pix_sqs *q = wk_prepare(N);
    wk_start("a", "-j 1");
    for (int i = 0; i < 600 && wk_records_ok() < 1; i++)
        usleep(100 * 1000);
    cr_assert_geq(wk_records_ok(), 1, "the worker processed nothing");
    cr_assert_eq(kill(wk_pid("a"), SIGTERM), 0);
    cr_assert_eq(wk_wait("a", 40), 0, "worker a did not drain within 40 s");
    int done = wk_records_ok();
    cr_expect_lt(done, N, "everything was done before the stop; the test proves nothing");
    cr_expect_eq(wk_left(q), N - done, "the queue holds %ld, expected the %d not done",
                 wk_left(q), N - done);
    /* handed back, not in flight: visible now */
    pix_sqs_message *m = NULL;
    size_t n = 0;
    pix_err err = { { 0 } };
    cr_assert_eq(pix_sqs_receive(q, 10, 0, 1, &m, &n, &err), 0, "%s", err.msg);
    cr_expect_gt(n, 0, "the messages not started were not handed back");
    pix_sqs_messages_free(m, n);
    pix_sqs_close(q);
}
