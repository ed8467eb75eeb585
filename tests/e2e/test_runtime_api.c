/* The tests' Lambda Runtime API emulator (tests/servers/runtime.js), checked
 * with curl(1) as the runtime side: GET next blocks until an event is
 * queued and hands it out with the four Lambda-Runtime-* headers and a
 * deadline in the future; response and error posts answer 202 and become
 * the invocation's result; an unknown, undelivered or already answered id
 * gets 400 InvalidRequestID; a body over 6 MB gets 413; init errors are
 * stored; the connection count tells one kept-alive connection from two.
 * The `pixpipe lambda` tests rely on all of it: if the emulator accepted
 * anything, they would prove nothing.  Each test uses its own private
 * runtime (POST /runtimes), since criterion runs tests in parallel.  They
 * skip when PIXPIPE_TEST_LAMBDA_ADMIN is unset (no servers). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "testutil.h"

#define RTX_LIMIT 6291456L /* Lambda's response payload limit, 6 MB */

static char *rtx_dir;   /* this test's temp folder: headers, bodies */
static char *rtx_admin; /* the private runtime's admin base URL     */
static char *rtx_api;   /* its host:port, as AWS_LAMBDA_RUNTIME_API */

static const char *rtx_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_skip_test("%s is not set (no local test servers)", name);
    return v;
}

/* Runs curl with args (shell words, URL included) and returns the HTTP
 * status; *body (when not NULL) receives the answer's body. */
static int rtx_curl(char **body, const char *args)
{
    char *text = NULL;
    int status = tu_curl(body ? body : &text, 20, args);
    cr_assert_geq(status, 0, "%s", body ? *body : text);
    free(text);
    return status;
}

/* METHOD base+path with an optional JSON body; returns the status and,
 * when answer != NULL, the parsed JSON answer. */
static int rtx_call(const char *base, const char *method, const char *path, const char *json, json_t **answer)
{
    char *args = tu_strf("-X %s %s%s%s '%s%s'", method, json ? "-H 'Content-Type: application/json' -d '" : "",
                         json ? json : "", json ? "'" : "", base, path);
    char *body = NULL;
    int status = rtx_curl(&body, args);
    if (answer) {
        *answer = json_loads(body, 0, NULL);
        cr_assert_not_null(*answer, "%s %s answered %d: %s", method, path, status, body);
    }
    free(body);
    free(args);
    return status;
}

static int rtx_adm(const char *method, const char *path, const char *json, json_t **answer)
{
    return rtx_call(rtx_admin, method, path, json, answer);
}

static void rtx_setup(void)
{
    const char *admin = getenv("PIXPIPE_TEST_LAMBDA_ADMIN");
    if (!admin || !*admin)
        return; /* each test skips */
    rtx_dir = tu_tmpdir();
    cr_assert_not_null(rtx_dir);
    json_t *j = NULL;
    cr_assert_eq(rtx_call(admin, "POST", "/runtimes", NULL, &j), 200);
    rtx_admin = strdup(json_string_value(json_object_get(j, "admin")));
    rtx_api = strdup(json_string_value(json_object_get(j, "api")));
    json_decref(j);
}

static void rtx_teardown(void)
{
    if (rtx_admin)
        rtx_call(rtx_admin, "DELETE", "", NULL, NULL);
    if (rtx_dir)
        tu_rmrf(rtx_dir);
    free(rtx_dir);
    free(rtx_admin);
    free(rtx_api);
    rtx_dir = rtx_admin = rtx_api = NULL;
}

TestSuite(runtime_api, .init = rtx_setup, .fini = rtx_teardown, .timeout = 90);

/* Queues event_json with timeout_ms (0: the default); returns its id. */
static char *rtx_invoke(const char *event_json, int timeout_ms)
{
    char *req = timeout_ms ? tu_strf("{\"event\":%s,\"timeout_ms\":%d}", event_json, timeout_ms)
                           : tu_strf("{\"event\":%s}", event_json);
    json_t *j = NULL;
    cr_assert_eq(rtx_adm("POST", "/invoke", req, &j), 200);
    const char *id = json_string_value(json_object_get(j, "id"));
    cr_assert(id && *id, "invoke answered no id");
    char *copy = strdup(id);
    json_decref(j);
    free(req);
    return copy;
}

/* GET next as a runtime does; returns the status, the headers' text (*hdrs)
 * and the body (*body); caller frees both. */
static int rtx_next(char **hdrs, char **body)
{
    char *args =
        tu_strf("-D '%s/h' -o '%s/b' 'http://%s/2018-06-01/runtime/invocation/next'", rtx_dir, rtx_dir, rtx_api);
    int status = rtx_curl(NULL, args);
    char *p = tu_strf("%s/h", rtx_dir);
    *hdrs = tu_read_file(p, NULL);
    free(p);
    p = tu_strf("%s/b", rtx_dir);
    *body = tu_read_file(p, NULL);
    free(p);
    free(args);
    cr_assert(*hdrs && *body);
    return status;
}

/* The value of header name (case-insensitive) in hdrs; caller frees. */
static char *rtx_header(const char *hdrs, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = hdrs; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            size_t len = strcspn(v, "\r\n");
            return strndup(v, len);
        }
    }
    return NULL;
}

/* POSTs json (or @file) to the runtime's path under /2018-06-01/runtime,
 * with extra curl words; returns the status and the parsed answer. */
static int rtx_post(const char *path, const char *data, const char *extra, json_t **answer)
{
    char *args = tu_strf("-X POST %s --data-binary '%s' 'http://%s/2018-06-01/runtime%s'", extra ? extra : "", data,
                         rtx_api, path);
    char *body = NULL;
    int status = rtx_curl(&body, args);
    if (answer) {
        *answer = json_loads(body, 0, NULL);
        cr_assert_not_null(*answer, "POST %s answered %d: %s", path, status, body);
    }
    free(body);
    free(args);
    return status;
}

/* Delivers one queued event through GET next; returns its request id. */
static char *rtx_deliver(const char *event_json)
{
    char *id = rtx_invoke(event_json, 0);
    char *hdrs = NULL, *body = NULL;
    cr_assert_eq(rtx_next(&hdrs, &body), 200);
    char *got = rtx_header(hdrs, "Lambda-Runtime-Aws-Request-Id");
    cr_assert(got && strcmp(got, id) == 0, "handed out %s, queued %s", got, id);
    free(got);
    free(hdrs);
    free(body);
    return id;
}

static json_t *rtx_result(const char *id, int wait_ms)
{
    char *path = tu_strf("/result/%s?wait_ms=%d", id, wait_ms);
    json_t *j = NULL;
    cr_assert_eq(rtx_adm("GET", path, NULL, &j), 200);
    free(path);
    return j;
}

static long rtx_stat(const char *what)
{
    json_t *j = NULL;
    cr_assert_eq(rtx_adm("GET", "/stats", NULL, &j), 200);
    json_t *v = json_object_get(j, what);
    cr_assert(json_is_integer(v), "stats has no %s", what);
    long n = (long)json_integer_value(v);
    json_decref(j);
    return n;
}

static long long rtx_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The shared runtime the servers export: host:port (no scheme, as
 * AWS_LAMBDA_RUNTIME_API), answering 404 off the API; its admin is the
 * servers' own process. */
Test(runtime_api, exported_runtime_is_host_port)
{
    const char *api = rtx_env("PIXPIPE_TEST_LAMBDA_API");
    cr_expect(strncmp(api, "127.0.0.1:", 10) == 0 && atoi(api + 10) > 0, "PIXPIPE_TEST_LAMBDA_API=%s", api);
    char *args = tu_strf("'http://%s/2018-06-01/runtime/nothing'", api);
    cr_expect_eq(rtx_curl(NULL, args), 404);
    free(args);
    json_t *j = NULL;
    cr_assert_eq(rtx_call(rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN"), "GET", "/stats", NULL, &j), 200);
    const char *pid = getenv("PIXPIPE_TEST_SERVERS_PID");
    if (pid)
        cr_expect_eq(json_integer_value(json_object_get(j, "pid")), atol(pid));
    json_decref(j);
}

/* A queued event comes out of GET next byte-equal, with a fresh request id
 * (the one invoke returned), a deadline now + timeout_ms, the function ARN
 * and an X-Ray trace id. */
Test(runtime_api, next_hands_out_event_with_headers)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    const char *event = "{\"Records\":[{\"s3\":{\"bucket\":{\"name\":\"pixpipe-src\"},"
                        "\"object\":{\"key\":\"a+b%C3%BC.jpg\"}}}]}";
    long long before = rtx_now_ms();
    char *id = rtx_invoke(event, 20000);
    char *id2 = rtx_invoke("{\"second\":true}", 0);
    cr_expect_str_neq(id, id2, "request ids are not fresh");
    char *hdrs = NULL, *body = NULL;
    cr_assert_eq(rtx_next(&hdrs, &body), 200, "%s", hdrs);
    long long after = rtx_now_ms();

    char *rid = rtx_header(hdrs, "Lambda-Runtime-Aws-Request-Id");
    char *deadline = rtx_header(hdrs, "Lambda-Runtime-Deadline-Ms");
    char *arn = rtx_header(hdrs, "Lambda-Runtime-Invoked-Function-Arn");
    char *trace = rtx_header(hdrs, "Lambda-Runtime-Trace-Id");
    cr_assert(rid && deadline && arn && trace, "headers: %s", hdrs);
    cr_expect_str_eq(rid, id, "the first event queued goes first");
    long long d = atoll(deadline);
    cr_expect(d >= before + 20000 && d <= after + 20000, "deadline %lld not now + 20000 (%lld..%lld)", d, before,
              after);
    cr_expect_str_eq(arn, "arn:aws:lambda:us-east-1:123456789012:function:pixpipe");
    cr_expect(strncmp(trace, "Root=1-", 7) == 0 && strstr(trace, ";Parent=") && strlen(trace) > 14 &&
                  strcmp(trace + strlen(trace) - 10, ";Sampled=1") == 0,
              "trace id %s", trace);
    json_t *want = json_loads(event, 0, NULL), *got = json_loads(body, 0, NULL);
    cr_expect(got && json_equal(want, got), "event handed out: %s", body);
    json_decref(want);
    json_decref(got);
    free(hdrs);
    free(body);

    /* The second, with the default 30 s timeout. */
    before = rtx_now_ms();
    cr_assert_eq(rtx_next(&hdrs, &body), 200);
    char *rid2 = rtx_header(hdrs, "Lambda-Runtime-Aws-Request-Id");
    char *deadline2 = rtx_header(hdrs, "Lambda-Runtime-Deadline-Ms");
    cr_expect(rid2 && strcmp(rid2, id2) == 0);
    cr_expect(deadline2 && atoll(deadline2) >= before + 30000 && atoll(deadline2) <= rtx_now_ms() + 30000,
              "default deadline %s", deadline2);
    cr_expect_str_eq(body, "{\"second\":true}");
    free(rid2);
    free(deadline2);
    free(hdrs);
    free(body);
    free(rid);
    free(deadline);
    free(arn);
    free(trace);
    free(id);
    free(id2);
}

/* GET next with nothing queued waits (long-poll) and answers as soon as an
 * event is queued, to the runtime still waiting, not to one that left. */
Test(runtime_api, next_blocks_until_an_event)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    char *out = NULL, *err = NULL;
    /* A runtime that gave up waiting (killed, timed out) is not handed the
     * next event: it would be lost. */
    int rc = tu_runf(&out, &err, "curl -s --max-time 0.5 'http://%s/2018-06-01/runtime/invocation/next'", rtx_api);
    cr_assert_eq(rc, 28, "GET next with nothing queued answered: %s", out);
    free(out);
    free(err);
    rc = tu_runf(&out, &err,
                 "curl -sS --max-time 20 -o '%s/b' "
                 "'http://%s/2018-06-01/runtime/invocation/next' & p=$!; "
                 "sleep 1; kill -0 $p && echo still-waiting; "
                 "curl -sS -X POST -d '{\"event\":{\"late\":1}}' '%s/invoke' "
                 ">/dev/null; wait $p",
                 rtx_dir, rtx_api, rtx_admin);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_expect(strstr(out, "still-waiting"), "GET next answered with nothing queued");
    char *p = tu_strf("%s/b", rtx_dir);
    char *body = tu_read_file(p, NULL);
    cr_expect(body && strcmp(body, "{\"late\":1}") == 0, "handed out: %s", body);
    cr_expect_eq(rtx_stat("next_requests"), 2);
    cr_expect_eq(rtx_stat("waiting"), 0);
    free(body);
    free(p);
    free(out);
    free(err);
}

/* A response answers 202 {"status":"OK"} and becomes the result (kind,
 * body, 202); a result waited for arrives when posted; a second post for
 * the same id, response or error, is 400 InvalidRequestID. */
Test(runtime_api, response_becomes_result_once)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    char *id = rtx_deliver("{\"n\":1}");
    json_t *r = rtx_result(id, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "pending");
    json_decref(r);

    /* Waiting for the result across a response posted 0.5 s later. */
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err,
                     "(sleep 0.5; curl -sS -X POST --data-binary '{\"processed\":3}' "
                     "'http://%s/2018-06-01/runtime/invocation/%s/response' >'%s/post') & "
                     "curl -sS --max-time 20 '%s/result/%s?wait_ms=10000'; wait",
                     rtx_api, id, rtx_dir, rtx_admin, id);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    r = json_loads(out, 0, NULL);
    cr_assert_not_null(r, "result: %s", out);
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "response");
    cr_expect_eq(json_integer_value(json_object_get(r, "status")), 202);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r, "body"), "processed")), 3);
    cr_expect(json_is_false(json_object_get(r, "late")));
    json_decref(r);
    char *p = tu_strf("%s/post", rtx_dir);
    char *post = tu_read_file(p, NULL);
    cr_expect(post && strcmp(post, "{\"status\":\"OK\"}") == 0, "POST response answered %s", post);
    free(post);
    free(p);
    free(out);
    free(err);

    json_t *a = NULL;
    char *path = tu_strf("/invocation/%s/response", id);
    cr_expect_eq(rtx_post(path, "{\"again\":1}", NULL, &a), 400);
    cr_expect_str_eq(json_string_value(json_object_get(a, "errorType")), "InvalidRequestID");
    cr_expect(json_string_value(json_object_get(a, "errorMessage")));
    json_decref(a);
    free(path);
    path = tu_strf("/invocation/%s/error", id);
    cr_expect_eq(rtx_post(path, "{}", NULL, NULL), 400);
    free(path);
    r = rtx_result(id, 0);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(r, "body"), "processed")), 3,
                 "a refused post replaced the result");
    json_decref(r);
    cr_expect_eq(rtx_stat("responses"), 1);
    cr_expect_eq(rtx_stat("errors"), 0);
    free(id);
}

/* An error post answers 202 and stores errorType, errorMessage and the
 * Lambda-Runtime-Function-Error-Type header. */
Test(runtime_api, error_becomes_result)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    char *id = rtx_deliver("{\"n\":2}");
    char *path = tu_strf("/invocation/%s/error", id);
    json_t *a = NULL;
    cr_assert_eq(rtx_post(path,
                          "{\"errorType\":\"UnsupportedEvent\",\"errorMessage\":\"no "
                          "Records\"}",
                          "-H 'Lambda-Runtime-Function-Error-Type: Runtime.UnsupportedEvent'", &a),
                 202);
    cr_expect_str_eq(json_string_value(json_object_get(a, "status")), "OK");
    json_decref(a);
    json_t *r = rtx_result(id, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "error");
    cr_expect_eq(json_integer_value(json_object_get(r, "status")), 202);
    json_t *b = json_object_get(r, "body");
    cr_expect_str_eq(json_string_value(json_object_get(b, "errorType")), "UnsupportedEvent");
    cr_expect_str_eq(json_string_value(json_object_get(b, "errorMessage")), "no Records");
    cr_expect_str_eq(json_string_value(json_object_get(r, "error_type")), "Runtime.UnsupportedEvent");
    json_decref(r);
    cr_expect_eq(rtx_stat("errors"), 1);
    cr_expect_eq(rtx_stat("responses"), 0);
    free(path);
    free(id);
}

/* An id never issued, and one queued but not yet handed out, are refused
 * with 400 InvalidRequestID; other paths are 404. */
Test(runtime_api, unknown_id_and_paths_refused)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    json_t *a = NULL;
    cr_expect_eq(rtx_post("/invocation/00000000-0000-0000-0000-000000000000/response", "{}", NULL, &a), 400);
    cr_expect_str_eq(json_string_value(json_object_get(a, "errorType")), "InvalidRequestID");
    json_decref(a);
    char *queued = rtx_invoke("{}", 0);
    char *path = tu_strf("/invocation/%s/response", queued);
    cr_expect_eq(rtx_post(path, "{}", NULL, &a), 400, "an undelivered id was accepted");
    cr_expect_str_eq(json_string_value(json_object_get(a, "errorType")), "InvalidRequestID");
    json_decref(a);
    cr_expect_eq(rtx_post("/invocation/next", "{}", NULL, NULL), 404);
    cr_expect_eq(rtx_post("/invocation/x/other", "{}", NULL, NULL), 404);
    char *args = tu_strf("'http://%s/2018-06-01/runtime/invocation/%s/response'", rtx_api, queued);
    cr_expect_eq(rtx_curl(NULL, args), 404, "GET of a post-only route");
    free(args);
    args = tu_strf("'http://%s/2018-06-01/runtime/init/error'", rtx_api);
    cr_expect_eq(rtx_curl(NULL, args), 404);
    free(args);
    json_t *r = rtx_result(queued, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "pending");
    cr_expect(json_is_false(json_object_get(r, "delivered")));
    json_decref(r);
    cr_expect_eq(rtx_adm("GET", "/result/no-such-id", NULL, NULL), 404);
    free(path);
    free(queued);
}

/* 6 MB + 1 byte is refused with 413 RequestEntityTooLarge and leaves the
 * invocation open; exactly 6 MB is accepted. */
Test(runtime_api, response_over_6mb_refused)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    char *id = rtx_deliver("{\"n\":3}");
    char *out = NULL, *err = NULL;
    cr_assert_eq(tu_runf(&out, &err, "head -c %ld /dev/zero | tr '\\0' x >'%s/big' && printf x >>'%s/big'", RTX_LIMIT,
                         rtx_dir, rtx_dir),
                 0, "%s", err);
    free(out);
    free(err);
    char *data = tu_strf("@%s/big", rtx_dir);
    char *path = tu_strf("/invocation/%s/response", id);
    json_t *a = NULL;
    cr_expect_eq(rtx_post(path, data, NULL, &a), 413);
    cr_expect_str_eq(json_string_value(json_object_get(a, "errorType")), "RequestEntityTooLarge");
    json_decref(a);
    json_t *r = rtx_result(id, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "pending");
    json_decref(r);

    cr_assert_eq(tu_runf(&out, &err, "truncate -s %ld '%s/big'", RTX_LIMIT, rtx_dir), 0);
    free(out);
    free(err);
    cr_expect_eq(rtx_post(path, data, NULL, NULL), 202, "exactly 6 MB was refused");
    r = rtx_result(id, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "response");
    cr_expect_eq(json_integer_value(json_object_get(r, "bytes")), RTX_LIMIT);
    json_decref(r);
    free(path);
    free(data);
    free(id);
}

/* init/error answers 202 and is stored with its error type header; a
 * pending invocation's result then answers at once with init_error set. */
Test(runtime_api, init_error_stored)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    cr_expect_eq(rtx_adm("GET", "/init-error", NULL, NULL), 404);
    char *id = rtx_invoke("{}", 0);
    json_t *a = NULL;
    cr_assert_eq(rtx_post("/init/error",
                          "{\"errorType\":\"InvalidPipeline\",\"errorMessage\":\"pipe.yaml: "
                          "bad\"}",
                          "-H 'Lambda-Runtime-Function-Error-Type: Runtime.InvalidPipeline'", &a),
                 202);
    json_decref(a);
    json_t *e = NULL;
    cr_assert_eq(rtx_adm("GET", "/init-error", NULL, &e), 200);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "body"), "errorType")), "InvalidPipeline");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(e, "body"), "errorMessage")), "pipe.yaml: bad");
    cr_expect_str_eq(json_string_value(json_object_get(e, "error_type")), "Runtime.InvalidPipeline");
    json_decref(e);
    long long t0 = rtx_now_ms();
    json_t *r = rtx_result(id, 10000);
    cr_expect_lt(rtx_now_ms() - t0, 5000, "waited for a function that failed at init");
    cr_expect_str_eq(json_string_value(json_object_get(r, "kind")), "pending");
    cr_expect(json_is_true(json_object_get(r, "init_error")));
    json_decref(r);
    cr_expect_eq(rtx_stat("init_errors"), 1);
    free(id);
}

/* Two requests on one kept-alive curl command are one connection; two
 * commands are two more.  POST /reset zeroes the counts and the queue. */
Test(runtime_api, stats_count_connections)
{
    rtx_env("PIXPIPE_TEST_LAMBDA_ADMIN");
    char *id = rtx_invoke("{\"k\":1}", 0);
    char *args = tu_strf("--keepalive -o /dev/null "
                         "'http://%s/2018-06-01/runtime/invocation/next' --next "
                         "-sS -w '\\n%%{http_code}' -X POST --data-binary '{}' "
                         "'http://%s/2018-06-01/runtime/invocation/%s/response'",
                         rtx_api, rtx_api, id);
    cr_expect_eq(rtx_curl(NULL, args), 202);
    cr_expect_eq(rtx_stat("connections"), 1, "two requests on one kept-alive connection");
    cr_expect_eq(rtx_stat("next_requests"), 1);
    cr_expect_eq(rtx_stat("responses"), 1);
    free(args);
    free(id);

    id = rtx_deliver("{\"k\":2}"); /* one connection */
    char *path = tu_strf("/invocation/%s/response", id);
    cr_expect_eq(rtx_post(path, "{}", NULL, NULL), 202); /* another */
    cr_expect_eq(rtx_stat("connections"), 3);
    cr_expect_eq(rtx_stat("next_requests"), 2);
    cr_expect_eq(rtx_stat("responses"), 2);
    free(path);

    char *queued = rtx_invoke("{}", 0);
    cr_expect_eq(rtx_stat("queued"), 1);
    cr_assert_eq(rtx_adm("POST", "/reset", NULL, NULL), 200);
    cr_expect_eq(rtx_stat("connections"), 0);
    cr_expect_eq(rtx_stat("responses"), 0);
    cr_expect_eq(rtx_stat("queued"), 0);
    char *rp = tu_strf("/result/%s", id);
    cr_expect_eq(rtx_adm("GET", rp, NULL, NULL), 404, "a result survived the reset");
    free(rp);
    free(queued);
    free(id);
}
