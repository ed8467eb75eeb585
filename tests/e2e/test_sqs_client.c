/* The core's SQS client (core/sqs.c), in this process, against fauxqs
 * behind the SigV4-verifying gate (PIXPIPE_TEST_SQS; the server tests skip
 * when it is unset): receiving up to ten, a long poll that returns as soon
 * as a message is sent, the visibility timeout hiding a message and giving
 * it back, a visibility of 0 giving it back at once, per-entry batch
 * failures, a delete that lasts, a wrong secret and a queue that does not
 * exist named in the error, 5xx retried and 4xx not, and the stop flag
 * cutting a 20 s wait short.
 * Queues are made with CreateQueue through the same client (awscli 2.9
 * speaks SQS's query protocol, which fauxqs refuses), one per test, named
 * after the test process.  Short visibility timeouts (1-2 s) keep it fast. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqs.h"
#include "testutil.h"

#define SQ_WRONG_SECRET "not-the-secret-3f9c"

static char *sq_prefix; /* queue names unique to this test process */

static void sq_setup(void)
{
    const char *ak = getenv("PIXPIPE_TEST_AWS_ACCESS_KEY_ID");
    const char *sk = getenv("PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY");
    /* the client reads the standard variables; nothing from the host's own */
    setenv("AWS_ACCESS_KEY_ID", ak && *ak ? ak : "S3RVER", 1);
    setenv("AWS_SECRET_ACCESS_KEY", sk && *sk ? sk : "S3RVER", 1);
    setenv("AWS_REGION", "us-east-1", 1);
    unsetenv("AWS_DEFAULT_REGION");
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_SQS");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    sq_prefix = tu_strf("sqsc%ld-%ld", (long)getpid(), (long)time(NULL));
}

static void sq_teardown(void)
{
    free(sq_prefix);
    sq_prefix = NULL;
}

TestSuite(sqs_client, .init = sq_setup, .fini = sq_teardown, .timeout = 90);

static const char *sq_server(void)
{
    const char *e = getenv("PIXPIPE_TEST_SQS");
    if (!e || !*e)
        cr_skip_test("PIXPIPE_TEST_SQS is not set (no local SQS server)");
    return e;
}

static double sq_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The URL of this process's queue `suffix` on the gate. Caller frees. */
static char *sq_url(const char *suffix)
{
    return tu_strf("%s/000000000000/%s-%s", sq_server(), sq_prefix, suffix);
}

/* Creates this process's queue `suffix` with the attributes (a JSON object
 * as text, or NULL) and opens it.  The URL CreateQueue hands out must be
 * the gate's, the one the client was opened with. */
static pix_sqs *sq_queue(const char *suffix, const char *attributes)
{
    char *url = sq_url(suffix);
    char *name = strrchr(url, '/') + 1;
    pix_sqs *q = NULL;
    pix_err err = { { 0 } };
    json_t *answer = NULL;

    cr_assert_eq(pix_sqs_open(url, &q, &err), 0, "%s", err.msg);
    json_t *req = json_pack("{s:s}", "QueueName", name);
    if (attributes)
        json_object_set_new(req, "Attributes", json_loads(attributes, 0, NULL));
    cr_assert_eq(pix_sqs_call(q, "CreateQueue", req, &answer, &err), 0, "%s", err.msg);
    cr_assert_str_eq(json_string_value(json_object_get(answer, "QueueUrl")), url,
                     "fauxqs handed out a QueueUrl that is not the gate's");
    json_decref(req);
    json_decref(answer);
    free(url);
    return q;
}

static void sq_send(pix_sqs *q, const char *body)
{
    pix_err err = { { 0 } };
    char *id = NULL;
    cr_assert_eq(pix_sqs_send(q, body, &id, &err), 0, "%s", err.msg);
    cr_assert(id && *id, "SendMessage gave no MessageId");
    free(id);
}

/* Receives with the given limits, asserting the call succeeds. */
static size_t sq_receive(pix_sqs *q, int max, int wait_s, int visibility_s, pix_sqs_message **m)
{
    pix_err err = { { 0 } };
    size_t n = 99;
    cr_assert_eq(pix_sqs_receive(q, max, wait_s, visibility_s, m, &n, &err), 0, "%s", err.msg);
    return n;
}

/* A queue attribute (ApproximateNumberOfMessages...) as a number. */
static long sq_attribute(pix_sqs *q, const char *name)
{
    pix_err err = { { 0 } };
    json_t *answer = NULL;
    json_t *req = json_pack("{s:s, s:[s]}", "QueueUrl", pix_sqs_url(q), "AttributeNames", name);
    cr_assert_eq(pix_sqs_call(q, "GetQueueAttributes", req, &answer, &err), 0, "%s", err.msg);
    const char *v = json_string_value(json_object_get(json_object_get(answer, "Attributes"), name));
    cr_assert_not_null(v, "GetQueueAttributes gave no %s", name);
    long n = atol(v);
    json_decref(req);
    json_decref(answer);
    return n;
}

static void sq_delete_all(pix_sqs *q, pix_sqs_message *m, size_t n)
{
    const char *receipts[PIX_SQS_MAX_BATCH];
    pix_sqs_entry_result results[PIX_SQS_MAX_BATCH];
    pix_err err = { { 0 } };
    size_t failed = 99;
    for (size_t i = 0; i < n; i++)
        receipts[i] = m[i].receipt_handle;
    cr_assert_eq(pix_sqs_delete_batch(q, receipts, n, results, &failed, &err), 0, "%s", err.msg);
    cr_assert_eq(failed, 0);
    for (size_t i = 0; i < n; i++)
        cr_assert(results[i].ok, "entry %zu: %s %s", i, results[i].code, results[i].message);
}

/* No server needed: where requests go and how they are signed, from the
 * queue URL and the environment, and the URLs refused. */
Test(sqs_client, open_resolves_endpoint_and_region)
{
    pix_sqs *q = NULL;
    pix_err err = { { 0 } };

    setenv("AWS_REGION", "us-west-2", 1);
    cr_assert_eq(pix_sqs_open("https://sqs.eu-west-1.amazonaws.com/123456789012/images", &q, &err), 0,
                 "%s", err.msg);
    cr_expect_str_eq(pix_sqs_endpoint(q), "https://sqs.eu-west-1.amazonaws.com");
    cr_expect_str_eq(pix_sqs_region(q), "eu-west-1", "the URL's region wins over AWS_REGION");
    cr_expect_str_eq(pix_sqs_url(q), "https://sqs.eu-west-1.amazonaws.com/123456789012/images");
    pix_sqs_close(q);

    cr_assert_eq(pix_sqs_open("https://vpce-0a1b2c.sqs.ap-south-1.vpce.amazonaws.com/1/q", &q, &err), 0,
                 "%s", err.msg);
    cr_expect_str_eq(pix_sqs_region(q), "ap-south-1");
    cr_expect_str_eq(pix_sqs_endpoint(q), "https://vpce-0a1b2c.sqs.ap-south-1.vpce.amazonaws.com");
    pix_sqs_close(q);

    cr_assert_eq(pix_sqs_open("http://127.0.0.1:4566/000000000000/q", &q, &err), 0, "%s", err.msg);
    cr_expect_str_eq(pix_sqs_endpoint(q), "http://127.0.0.1:4566");
    cr_expect_str_eq(pix_sqs_region(q), "us-west-2", "no region in the host: AWS_REGION");
    pix_sqs_close(q);

    unsetenv("AWS_REGION");
    setenv("AWS_DEFAULT_REGION", "ca-central-1", 1);
    cr_assert_eq(pix_sqs_open("http://127.0.0.1:4566/000000000000/q", &q, &err), 0, "%s", err.msg);
    cr_expect_str_eq(pix_sqs_region(q), "ca-central-1");
    pix_sqs_close(q);
    unsetenv("AWS_DEFAULT_REGION");
    cr_assert_eq(pix_sqs_open("http://127.0.0.1:4566/000000000000/q", &q, &err), 0, "%s", err.msg);
    cr_expect_str_eq(pix_sqs_region(q), "us-east-1");
    pix_sqs_close(q);

    /* the configured endpoint replaces the URL's host; the URL is kept */
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9999", 1);
    cr_assert_eq(pix_sqs_open("https://sqs.eu-west-1.amazonaws.com/1/q", &q, &err), 0, "%s", err.msg);
    cr_expect_str_eq(pix_sqs_endpoint(q), "http://127.0.0.1:9999");
    cr_expect_str_eq(pix_sqs_region(q), "eu-west-1");
    cr_expect_str_eq(pix_sqs_url(q), "https://sqs.eu-west-1.amazonaws.com/1/q");
    pix_sqs_close(q);
    setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:8888/", 1);
    cr_assert_eq(pix_sqs_open("https://sqs.eu-west-1.amazonaws.com/1/q", &q, &err), 0, "%s", err.msg);
    cr_expect_str_eq(pix_sqs_endpoint(q), "http://127.0.0.1:8888", "_SQS first, trailing / dropped");
    pix_sqs_close(q);
    setenv("AWS_ENDPOINT_URL_SQS", "ftp://127.0.0.1/", 1);
    cr_expect_eq(pix_sqs_open("https://sqs.eu-west-1.amazonaws.com/1/q", &q, &err), -1);
    cr_expect(strstr(err.msg, "AWS_ENDPOINT_URL_SQS"), "%s", err.msg);
    cr_expect_null(q);
    unsetenv("AWS_ENDPOINT_URL_SQS");
    unsetenv("AWS_ENDPOINT_URL");

    static const char *const bad[] = {
        "ftp://sqs.us-east-1.amazonaws.com/1/q", "sqs.us-east-1.amazonaws.com/1/q",
        "https://sqs.us-east-1.amazonaws.com", "https://sqs.us-east-1.amazonaws.com/",
        "https:///1/q", "https://sqs.us-east-1.amazonaws.com/1/a q",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.msg[0] = '\0';
        cr_expect_eq(pix_sqs_open(bad[i], &q, &err), -1, "%s was accepted", bad[i]);
        cr_expect_null(q);
        cr_expect(strstr(err.msg, "queue URL"), "%s: %s", bad[i], err.msg);
    }
    cr_expect_eq(pix_sqs_open("https://me:" SQ_WRONG_SECRET "@sqs.us-east-1.amazonaws.com/1/q", &q, &err),
                 -1);
    cr_expect_null(strstr(err.msg, SQ_WRONG_SECRET), "the password is in the error: %s", err.msg);
    cr_expect_eq(pix_sqs_open("ftp://me:" SQ_WRONG_SECRET "@example.com/1/q", &q, &err), -1);
    cr_expect_null(strstr(err.msg, SQ_WRONG_SECRET), "the password is in the error: %s", err.msg);
}

/* Twelve messages: ten in one receive, each with its id, receipt handle,
 * body and receive count 1; then the other two; deleted in batches. */
Test(sqs_client, receive_up_to_ten)
{
    pix_sqs *q = sq_queue("ten", NULL);
    pix_sqs_message *m = NULL;
    for (int i = 0; i < 12; i++) {
        char body[32];
        snprintf(body, sizeof body, "message %d", i);
        sq_send(q, body);
    }
    size_t n = sq_receive(q, 10, 0, 30, &m);
    cr_assert_eq(n, 10);
    for (size_t i = 0; i < n; i++) {
        char body[32];
        snprintf(body, sizeof body, "message %zu", i); /* fauxqs keeps the order */
        cr_expect_str_eq(m[i].body, body);
        cr_expect_eq(m[i].body_len, strlen(body));
        cr_expect(m[i].message_id && *m[i].message_id);
        cr_expect(m[i].receipt_handle && *m[i].receipt_handle);
        cr_expect_eq(m[i].receive_count, 1);
    }
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);

    n = sq_receive(q, 10, 0, 30, &m);
    cr_assert_eq(n, 2);
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);
    n = sq_receive(q, 10, 0, -1, &m);
    cr_expect_eq(n, 0);
    cr_expect_null(m);

    /* out of range: refused before anything is sent */
    pix_err err = { { 0 } };
    cr_expect_eq(pix_sqs_receive(q, 11, 0, -1, &m, &n, &err), -1);
    cr_expect(strstr(err.msg, "ReceiveMessage"), "%s", err.msg);
    cr_expect_eq(pix_sqs_receive(q, 1, 21, -1, &m, &n, &err), -1);
    cr_expect_eq(pix_sqs_delete_batch(q, (const char *const[]){ "a" }, 0, NULL, NULL, &err), -1);
    pix_sqs_close(q);
}

typedef struct sq_later {
    pix_sqs *q;
    int delay_ms;
} sq_later;

static void *sq_send_later(void *arg)
{
    sq_later *l = arg;
    usleep((useconds_t)l->delay_ms * 1000);
    pix_err err = { { 0 } };
    if (pix_sqs_send(l->q, "arrived during the wait", NULL, &err) < 0)
        fprintf(stderr, "send_later: %s\n", err.msg);
    return NULL;
}

/* An empty queue holds a long poll for its wait; a message sent during a
 * 10 s wait ends it at once. */
Test(sqs_client, long_poll_returns_early)
{
    pix_sqs *q = sq_queue("poll", NULL);
    pix_sqs_message *m = NULL;

    double t0 = sq_now();
    size_t n = sq_receive(q, 10, 1, -1, &m);
    double waited = sq_now() - t0;
    cr_expect_eq(n, 0);
    cr_expect_geq(waited, 0.9, "an empty 1 s long poll returned after %.2f s", waited);

    sq_later l = { q, 800 };
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, sq_send_later, &l), 0);
    t0 = sq_now();
    n = sq_receive(q, 10, 10, -1, &m);
    waited = sq_now() - t0;
    pthread_join(th, NULL);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(m[0].body, "arrived during the wait");
    cr_expect(waited >= 0.6 && waited < 5.0, "returned after %.2f s (message sent at 0.8 s)", waited);
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);
    pix_sqs_close(q);
}

/* Received and not deleted: invisible, then back after its visibility
 * timeout (1 s), received a second time. */
Test(sqs_client, visibility_timeout_returns_message)
{
    pix_sqs *q = sq_queue("vis", "{\"VisibilityTimeout\": \"1\"}");
    pix_sqs_message *m = NULL;

    sq_send(q, "come back");
    size_t n = sq_receive(q, 1, 0, -1, &m);
    cr_assert_eq(n, 1);
    cr_expect_eq(m[0].receive_count, 1);
    char *first = strdup(m[0].message_id);
    pix_sqs_messages_free(m, n);

    double t0 = sq_now();
    n = sq_receive(q, 1, 0, -1, &m);
    cr_expect_eq(n, 0, "the message was visible during its visibility timeout");
    pix_sqs_messages_free(m, n);
    n = sq_receive(q, 1, 5, -1, &m);
    double back = sq_now() - t0;
    cr_assert_eq(n, 1);
    cr_expect_str_eq(m[0].message_id, first);
    cr_expect_eq(m[0].receive_count, 2);
    cr_expect(back >= 0.7 && back < 4.0, "back after %.2f s (visibility 1 s)", back);

    /* handed back at once, then received with a visibility_s of its own,
     * which overrides the queue's: 2 s */
    pix_err err = { { 0 } };
    const char *receipts[] = { m[0].receipt_handle };
    cr_assert_eq(pix_sqs_change_visibility_batch(q, receipts, 1, 0, NULL, NULL, &err), 0, "%s",
                 err.msg);
    pix_sqs_messages_free(m, n);
    n = sq_receive(q, 1, 0, 2, &m);
    cr_assert_eq(n, 1);
    pix_sqs_messages_free(m, n);
    t0 = sq_now();
    n = sq_receive(q, 1, 5, -1, &m);
    back = sq_now() - t0;
    cr_assert_eq(n, 1);
    cr_expect(back >= 1.6 && back < 5.0, "back after %.2f s (visibility 2 s)", back);
    cr_expect_eq(m[0].receive_count, 4);
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);
    free(first);
    pix_sqs_close(q);
}

/* A visibility of 0 hands a message back at once; a receipt handle SQS
 * does not know fails alone, reported per entry, or as the error when the
 * caller does not ask for the count. */
Test(sqs_client, change_visibility_to_zero)
{
    pix_sqs *q = sq_queue("cmv", NULL);
    pix_sqs_message *m = NULL;
    pix_sqs_entry_result results[2];
    pix_err err = { { 0 } };
    size_t failed = 99;

    sq_send(q, "hand me back");
    size_t n = sq_receive(q, 1, 0, 30, &m);
    cr_assert_eq(n, 1);
    const char *receipts[] = { m[0].receipt_handle, "not-a-receipt-handle" };
    cr_assert_eq(pix_sqs_change_visibility_batch(q, receipts, 2, 0, results, &failed, &err), 0,
                 "%s", err.msg);
    cr_expect_eq(failed, 1);
    cr_expect(results[0].ok, "%s %s", results[0].code, results[0].message);
    cr_expect_not(results[1].ok);
    cr_expect_str_eq(results[1].code, "ReceiptHandleIsInvalid");
    cr_expect(results[1].sender_fault);
    pix_sqs_messages_free(m, n);

    double t0 = sq_now();
    n = sq_receive(q, 1, 0, 30, &m);
    cr_assert_eq(n, 1, "not back at once after a visibility of 0");
    cr_expect_lt(sq_now() - t0, 1.0);
    cr_expect_eq(m[0].receive_count, 2);

    /* without n_failed, the failed entry is the error */
    const char *again[] = { m[0].receipt_handle, "not-a-receipt-handle" };
    cr_expect_eq(pix_sqs_change_visibility_batch(q, again, 2, 5, NULL, NULL, &err), -1);
    cr_expect(strstr(err.msg, "ChangeMessageVisibilityBatch") && strstr(err.msg, "1 of 2") &&
              strstr(err.msg, "entry 1: ReceiptHandleIsInvalid"), "%s", err.msg);
    cr_expect_eq(pix_sqs_change_visibility_batch(q, again, 1, -1, NULL, NULL, &err), -1);
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);
    pix_sqs_close(q);
}

/* Deleted: gone for good, also after its visibility timeout. */
Test(sqs_client, delete_removes_for_good)
{
    pix_sqs *q = sq_queue("del", "{\"VisibilityTimeout\": \"1\"}");
    pix_sqs_message *m = NULL;

    sq_send(q, "one");
    sq_send(q, "two");
    size_t n = sq_receive(q, 10, 0, -1, &m);
    cr_assert_eq(n, 2);
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);
    n = sq_receive(q, 10, 2, -1, &m); /* past the 1 s visibility timeout */
    cr_expect_eq(n, 0, "a deleted message came back");
    pix_sqs_messages_free(m, n);
    cr_expect_eq(sq_attribute(q, "ApproximateNumberOfMessages"), 0);
    cr_expect_eq(sq_attribute(q, "ApproximateNumberOfMessagesNotVisible"), 0);
    pix_sqs_close(q);
}

/* A wrong secret: the gate refuses the one request (403 is not retried)
 * and the error says so without showing either secret. */
Test(sqs_client, wrong_secret_refused)
{
    pix_sqs *q = sq_queue("secret", NULL);
    pix_sqs_message *m = NULL;
    pix_err err = { { 0 } };
    size_t n = 99;

    setenv("AWS_SECRET_ACCESS_KEY", SQ_WRONG_SECRET, 1);
    cr_assert_eq(pix_sqs_receive(q, 1, 0, -1, &m, &n, &err), -1);
    cr_expect_eq(n, 0);
    char *want = tu_strf("ReceiveMessage %s: HTTP 403 SignatureDoesNotMatch: ", pix_sqs_url(q));
    cr_expect(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_expect(strstr(err.msg, "(request id gate-sqs-"), "%s", err.msg);
    cr_expect_null(strstr(err.msg, SQ_WRONG_SECRET), "%s", err.msg);

    char *path = tu_strf("/stats?match=%s-secret", sq_prefix);
    json_t *stats = NULL;
    cr_assert_eq(tu_gate_admin("GET", path, NULL, &stats), 200);
    json_t *sqs = json_object_get(stats, "sqs");
    cr_expect_eq(json_integer_value(json_object_get(sqs, "refused")), 1, "refused once, not retried");
    cr_expect_eq(json_integer_value(json_object_get(sqs, "forwarded")), 1, "only the CreateQueue");
    json_decref(stats);
    free(path);
    free(want);
    pix_sqs_close(q);
}

/* A queue that was never made: the error names the operation, the queue
 * and SQS's code. */
Test(sqs_client, nonexistent_queue_named)
{
    char *url = sq_url("never-made");
    pix_sqs *q = NULL;
    pix_sqs_message *m = NULL;
    pix_err err = { { 0 } };
    size_t n = 99;

    cr_assert_eq(pix_sqs_open(url, &q, &err), 0, "%s", err.msg);
    cr_assert_eq(pix_sqs_receive(q, 1, 0, -1, &m, &n, &err), -1);
    char *want = tu_strf("ReceiveMessage %s: HTTP 400 AWS.SimpleQueueService.NonExistentQueue "
                         "(QueueDoesNotExist): The specified queue does not exist.", url);
    cr_expect(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    free(want);
    const char *receipts[] = { "r" };
    cr_expect_eq(pix_sqs_delete_batch(q, receipts, 1, NULL, NULL, &err), -1);
    want = tu_strf("DeleteMessageBatch %s: HTTP 400 AWS.SimpleQueueService.NonExistentQueue", url);
    cr_expect(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
    cr_expect_eq(pix_sqs_send(q, "x", NULL, &err), -1);
    cr_expect(strstr(err.msg, "SendMessage") && strstr(err.msg, url), "%s", err.msg);
    free(want);
    free(url);
    pix_sqs_close(q);
}

static volatile sig_atomic_t sq_stop;

static void sq_on_term(int sig)
{
    (void)sig;
    sq_stop = 1;
}

static void *sq_term_later(void *arg)
{
    (void)arg;
    usleep(500 * 1000);
    kill(getpid(), SIGTERM);
    return NULL;
}

/* SIGTERM during a 20 s long poll: the stop flag ends it within about a
 * second, with no messages and no error; a receive with the flag set sends
 * nothing; a delete still goes through. */
Test(sqs_client, stop_flag_aborts_long_poll)
{
    pix_sqs *q = sq_queue("stop", NULL);
    pix_sqs_message *m = NULL, *held = NULL;
    struct sigaction sa = { .sa_handler = sq_on_term }, old;

    sq_send(q, "in hand when stopped");
    size_t n_held = sq_receive(q, 1, 0, 30, &held);
    cr_assert_eq(n_held, 1);

    sigemptyset(&sa.sa_mask);
    cr_assert_eq(sigaction(SIGTERM, &sa, &old), 0);
    sq_stop = 0;
    pix_sqs_set_stop(q, &sq_stop);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, sq_term_later, NULL), 0);
    double t0 = sq_now();
    size_t n = sq_receive(q, 10, 20, -1, &m);
    double took = sq_now() - t0;
    pthread_join(th, NULL);
    cr_expect_eq(sq_stop, 1);
    cr_expect_eq(n, 0);
    cr_expect_null(m);
    cr_expect_lt(took, 2.5, "a 20 s long poll took %.2f s to stop (SIGTERM at 0.5 s)", took);

    char *path = tu_strf("/stats?match=%s-stop", sq_prefix);
    json_t *before = NULL, *after = NULL;
    cr_assert_eq(tu_gate_admin("GET", path, NULL, &before), 200);
    t0 = sq_now();
    n = sq_receive(q, 10, 20, -1, &m);
    cr_expect_eq(n, 0);
    cr_expect_lt(sq_now() - t0, 0.5);
    cr_assert_eq(tu_gate_admin("GET", path, NULL, &after), 200);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(after, "sqs"), "seen")),
                 json_integer_value(json_object_get(json_object_get(before, "sqs"), "seen")),
                 "a receive with the stop flag set was sent");

    sq_delete_all(q, held, n_held); /* not cut short by the flag */
    sigaction(SIGTERM, &old, NULL);
    json_decref(before);
    json_decref(after);
    free(path);
    pix_sqs_messages_free(held, n_held);
    pix_sqs_close(q);
}

/* SQS answering 500 twice (a gate fault): the AWS client's retries carry
 * the receive through; a 400 is final at once and named. */
Test(sqs_client, server_errors_retried_client_errors_not)
{
    pix_sqs *q = sq_queue("retry", NULL);
    pix_sqs_message *m = NULL;
    pix_err err = { { 0 } };
    size_t n = 99;
    char *match = tu_strf("%s-retry", sq_prefix);
    char *fault = tu_strf("{\"service\":\"sqs\",\"status\":500,\"code\":\"InternalError\",\"count\":2,"
                          "\"match\":\"%s\"}", match);
    cr_assert_eq(tu_gate_admin("POST", "/fault", fault, NULL), 200);
    sq_send(q, "after two 500s"); /* the send takes both faults */
    n = sq_receive(q, 1, 0, -1, &m);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(m[0].body, "after two 500s");
    sq_delete_all(q, m, n);
    pix_sqs_messages_free(m, n);
    free(fault);

    fault = tu_strf("{\"service\":\"sqs\",\"status\":400,\"code\":\"OverLimit\",\"message\":\"too many "
                    "in flight\",\"match\":\"%s\"}", match);
    cr_assert_eq(tu_gate_admin("POST", "/fault", fault, NULL), 200);
    cr_expect_eq(pix_sqs_receive(q, 1, 0, -1, &m, &n, &err), -1);
    char *want = tu_strf("ReceiveMessage %s: HTTP 400 OverLimit: too many in flight (request id "
                         "gate-sqs-", pix_sqs_url(q));
    cr_expect(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);

    char *path = tu_strf("/stats?match=%s", match);
    json_t *stats = NULL;
    cr_assert_eq(tu_gate_admin("GET", path, NULL, &stats), 200);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(stats, "sqs"), "faulted")), 3,
                 "two 500s retried, one 400 not");
    json_decref(stats);
    free(path);
    free(want);
    free(fault);
    free(match);
    pix_sqs_close(q);
}
