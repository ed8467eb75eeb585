/* The test servers' SigV4 gate (tests/servers/gate.js), checked with
 * clients nobody here wrote: Debian's awscli and botocore's own signer.
 * Right credentials go through to s3rver and dynalite; a wrong secret, a
 * wrong key id, a tampered body or signed header are refused the way AWS
 * refuses them, in one request; the fault modes answer SlowDown /
 * ThrottlingException or drop the connection the asked number of times,
 * then forward; /stats counts it all.  If the gate stopped checking, the
 * pixpipe AWS tests that rely on it would prove nothing: these tests fail
 * then.  They skip when PIXPIPE_TEST_S3 is unset (no servers). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char *gt_dir;    /* this test's temp folder: aws config, files */
static char *gt_prefix; /* names unique to this test process          */

static const char *gt_env(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        cr_skip_test("%s is not set (no local test servers)", name);
    return v;
}

static void gt_setup(void)
{
    if (!getenv("PIXPIPE_TEST_S3") || !*getenv("PIXPIPE_TEST_S3"))
        return; /* each test skips */
    gt_dir = tu_tmpdir();
    cr_assert_not_null(gt_dir);
    gt_prefix = tu_strf("gate%ld-%ld", (long)getpid(), (long)time(NULL));
    char *cfg = tu_strf("%s/aws.cfg", gt_dir);
    const char *text = "[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n";
    cr_assert_eq(tu_write_file(cfg, text, strlen(text)), 0);
    free(cfg);
}

static void gt_teardown(void)
{
    if (gt_dir)
        tu_rmrf(gt_dir);
    free(gt_dir);
    free(gt_prefix);
    gt_dir = gt_prefix = NULL;
}

TestSuite(gate, .init = gt_setup, .fini = gt_teardown, .timeout = 120);

/* Runs /usr/bin/aws (Debian's, not whatever is first on PATH) against the
 * gate of service ("s3" or "dynamodb") with the given secret key, after
 * env_extra (more VAR=value words, or ""). */
static int gt_aws(char **out, char **err, const char *service, const char *secret,
                  const char *env_extra, const char *args)
{
    cr_assert(access("/usr/bin/aws", X_OK) == 0, "/usr/bin/aws missing: scripts/deps.sh installs awscli");
    const char *url = gt_env(strcmp(service, "s3") == 0 ? "PIXPIPE_TEST_S3" : "PIXPIPE_TEST_DYNAMODB");
    return tu_runf(out, err,
                   "env -u AWS_PROFILE -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_S3 "
                   "-u AWS_ENDPOINT_URL_DYNAMODB -u AWS_SESSION_TOKEN "
                   "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s "
                   "AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true "
                   "AWS_CONFIG_FILE='%s/aws.cfg' AWS_SHARED_CREDENTIALS_FILE=/dev/null %s "
                   "/usr/bin/aws --no-cli-pager --endpoint-url '%s' %s %s",
                   gt_env("PIXPIPE_TEST_AWS_ACCESS_KEY_ID"), secret, gt_dir, env_extra, url,
                   strcmp(service, "s3") == 0 ? "s3api" : "dynamodb", args);
}

static const char *gt_secret(void)
{
    return gt_env("PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY");
}

/* METHOD path with an optional JSON body to the gate's admin port; returns
 * the HTTP status and, when answer != NULL, the parsed JSON answer. */
static int gt_admin(const char *method, const char *path, const char *body, json_t **answer)
{
    int status = tu_gate_admin(method, path, body, answer);
    cr_assert_gt(status, 0, "gate admin %s %s: no answer", method, path);
    if (answer)
        cr_assert_not_null(*answer, "gate admin %s %s: the answer is not JSON", method, path);
    return status;
}

/* One count ("seen", "forwarded", "refused", "faulted", "reset") of the
 * requests through the gate of service whose URL or body holds match. */
static long gt_count(const char *service, const char *match, const char *what)
{
    char *path = tu_strf("/stats?match=%s", match);
    json_t *j = NULL;
    cr_assert_eq(gt_admin("GET", path, NULL, &j), 200);
    long n = (long)json_integer_value(json_object_get(json_object_get(j, service), what));
    json_decref(j);
    free(path);
    return n;
}

static char *gt_file(const char *name, const char *text)
{
    char *path = tu_strf("%s/%s", gt_dir, name);
    cr_assert_eq(tu_write_file(path, text, strlen(text)), 0);
    return path;
}

/* Right credentials: an object with an awkward key goes in and comes back
 * byte for byte through the gate; every request was forwarded. */
Test(gate, s3_signed_requests_go_through)
{
    gt_env("PIXPIPE_TEST_S3");
    char *body = gt_file("in.txt", "hello through the gate\n");
    char *key = tu_strf("%s/dir/a b+c%%d&e=f \xc3\xbc.txt", gt_prefix);
    char *args = tu_strf("put-object --bucket pixpipe-src --key '%s' --body '%s'", key, body);
    char *out = NULL, *err = NULL;
    cr_assert_eq(gt_aws(&out, &err, "s3", gt_secret(), "", args), 0, "put: %s%s", out, err);
    free(args);
    free(out);
    free(err);
    args = tu_strf("get-object --bucket pixpipe-src --key '%s' '%s/back.txt'", key, gt_dir);
    cr_assert_eq(gt_aws(&out, &err, "s3", gt_secret(), "", args), 0, "get: %s%s", out, err);
    char *back_path = tu_strf("%s/back.txt", gt_dir);
    char *back = tu_read_file(back_path, NULL);
    cr_assert_str_eq(back, "hello through the gate\n");
    cr_expect_eq(gt_count("s3", gt_prefix, "forwarded"), 2);
    cr_expect_eq(gt_count("s3", gt_prefix, "refused"), 0);
    free(back);
    free(back_path);
    free(args);
    free(key);
    free(body);
    free(out);
    free(err);
}

/* A wrong secret: 403 SignatureDoesNotMatch, one request, nothing stored.
 * A wrong key id: 403 InvalidAccessKeyId. */
Test(gate, s3_wrong_secret_refused_once)
{
    gt_env("PIXPIPE_TEST_S3");
    char *body = gt_file("in.txt", "should not land\n");
    char *key = tu_strf("%s/secret.txt", gt_prefix);
    char *args = tu_strf("put-object --bucket pixpipe-src --key '%s' --body '%s'", key, body);
    char *out = NULL, *err = NULL;
    int rc = gt_aws(&out, &err, "s3", "not-the-secret", "", args);
    cr_assert_neq(rc, 0, "a wrong secret was accepted: %s", out);
    cr_expect(strstr(err, "SignatureDoesNotMatch"), "stderr: %s", err);
    cr_expect_eq(gt_count("s3", key, "seen"), 1, "requests (a retry storm?)");
    cr_expect_eq(gt_count("s3", key, "refused"), 1);
    free(out);
    free(err);
    free(args);

    args = tu_strf("head-object --bucket pixpipe-src --key '%s'", key);
    rc = gt_aws(&out, &err, "s3", gt_secret(), "", args);
    cr_expect_neq(rc, 0, "the refused upload was stored: %s", out);
    cr_expect(strstr(err, "404"), "stderr: %s", err);
    free(out);
    free(err);

    rc = gt_aws(&out, &err, "s3", gt_secret(), "AWS_ACCESS_KEY_ID=AKIDWRONG", args);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(err, "403"), "a wrong key id: %s", err);
    free(out);
    free(err);
    free(args);
    free(key);
    free(body);
}

/* DynamoDB through its gate: create-table, put-item, get-item; a wrong
 * secret gets InvalidSignatureException and changes nothing. */
Test(gate, dynamodb_signed_and_wrong_secret)
{
    gt_env("PIXPIPE_TEST_DYNAMODB");
    char *table = tu_strf("%s-items", gt_prefix), *out = NULL, *err = NULL;
    char *args = tu_strf("create-table --table-name %s --attribute-definitions "
                         "AttributeName=k,AttributeType=S --key-schema AttributeName=k,KeyType=HASH "
                         "--billing-mode PAY_PER_REQUEST",
                         table);
    cr_assert_eq(gt_aws(&out, &err, "dynamodb", gt_secret(), "", args), 0, "%s%s", out, err);
    free(args);
    free(out);
    free(err);
    args = tu_strf("put-item --table-name %s --item '{\"k\":{\"S\":\"a b\"},\"n\":{\"N\":\"3\"}}'", table);
    cr_assert_eq(gt_aws(&out, &err, "dynamodb", gt_secret(), "", args), 0, "%s%s", out, err);
    free(out);
    free(err);
    free(args);

    args = tu_strf("put-item --table-name %s --item '{\"k\":{\"S\":\"a b\"},\"n\":{\"N\":\"99\"}}'", table);
    int rc = gt_aws(&out, &err, "dynamodb", "not-the-secret", "", args);
    cr_expect_neq(rc, 0, "a wrong secret was accepted");
    cr_expect(strstr(err, "InvalidSignatureException"), "stderr: %s", err);
    free(out);
    free(err);
    free(args);

    args = tu_strf("get-item --table-name %s --key '{\"k\":{\"S\":\"a b\"}}' --output json", table);
    cr_assert_eq(gt_aws(&out, &err, "dynamodb", gt_secret(), "", args), 0, "%s%s", out, err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "get-item: %s", out);
    json_t *n = json_object_get(json_object_get(json_object_get(j, "Item"), "n"), "N");
    cr_expect_str_eq(json_string_value(n), "3", "the item: %s", out);
    json_decref(j);
    cr_expect_eq(gt_count("dynamodb", table, "refused"), 1);
    cr_expect_eq(gt_count("dynamodb", table, "forwarded"), 3);
    free(out);
    free(err);
    free(args);
    free(table);
}

/* 503 SlowDown for the next two requests of one key: two single-attempt
 * uploads get it, the third goes through; awscli's own retries then ride
 * out two more. */
Test(gate, s3_slowdown_fault_then_forward)
{
    gt_env("PIXPIPE_TEST_S3");
    char *body = gt_file("in.txt", "slow\n");
    char *key = tu_strf("%s/slow.txt", gt_prefix), *out = NULL, *err = NULL;
    char *fault = tu_strf("{\"service\":\"s3\",\"status\":503,\"code\":\"SlowDown\",\"count\":2,"
                          "\"match\":\"%s\"}", key);
    cr_assert_eq(gt_admin("POST", "/fault", fault, NULL), 200);
    char *args = tu_strf("put-object --bucket pixpipe-src --key '%s' --body '%s'", key, body);
    for (int i = 0; i < 2; i++) {
        int rc = gt_aws(&out, &err, "s3", gt_secret(), "AWS_MAX_ATTEMPTS=1", args);
        cr_expect_neq(rc, 0, "attempt %d was not faulted", i);
        cr_expect(strstr(err, "SlowDown"), "attempt %d: %s", i, err);
        free(out);
        free(err);
    }
    cr_assert_eq(gt_aws(&out, &err, "s3", gt_secret(), "AWS_MAX_ATTEMPTS=1", args), 0, "%s", err);
    free(out);
    free(err);
    cr_expect_eq(gt_count("s3", key, "faulted"), 2);
    cr_expect_eq(gt_count("s3", key, "forwarded"), 1);

    cr_assert_eq(gt_admin("POST", "/fault", fault, NULL), 200);
    cr_assert_eq(gt_aws(&out, &err, "s3", gt_secret(),
                        "AWS_MAX_ATTEMPTS=3 AWS_RETRY_MODE=standard", args), 0, "%s", err);
    cr_expect_eq(gt_count("s3", key, "faulted"), 4);
    cr_expect_eq(gt_count("s3", key, "forwarded"), 2);
    free(out);
    free(err);
    free(args);
    free(fault);
    free(key);
    free(body);
}

/* ThrottlingException in DynamoDB's JSON shape, and a dropped connection:
 * each the asked number of times. */
Test(gate, dynamodb_throttle_and_reset_faults)
{
    gt_env("PIXPIPE_TEST_DYNAMODB");
    char *table = tu_strf("%s-throttle", gt_prefix), *out = NULL, *err = NULL;
    char *args = tu_strf("create-table --table-name %s --attribute-definitions "
                         "AttributeName=k,AttributeType=S --key-schema AttributeName=k,KeyType=HASH "
                         "--billing-mode PAY_PER_REQUEST",
                         table);
    cr_assert_eq(gt_aws(&out, &err, "dynamodb", gt_secret(), "", args), 0, "%s%s", out, err);
    free(args);
    free(out);
    free(err);

    char *fault = tu_strf("{\"service\":\"dynamodb\",\"status\":400,\"code\":\"ThrottlingException\","
                          "\"count\":1,\"match\":\"%s\"}", table);
    cr_assert_eq(gt_admin("POST", "/fault", fault, NULL), 200);
    free(fault);
    args = tu_strf("put-item --table-name %s --item '{\"k\":{\"S\":\"x\"}}'", table);
    int rc = gt_aws(&out, &err, "dynamodb", gt_secret(), "AWS_MAX_ATTEMPTS=1", args);
    cr_expect_neq(rc, 0);
    cr_expect(strstr(err, "ThrottlingException"), "stderr: %s", err);
    free(out);
    free(err);

    fault = tu_strf("{\"reset\":1,\"match\":\"%s\"}", table);
    cr_assert_eq(gt_admin("POST", "/fault", fault, NULL), 200);
    free(fault);
    rc = gt_aws(&out, &err, "dynamodb", gt_secret(), "AWS_MAX_ATTEMPTS=1", args);
    cr_expect_neq(rc, 0, "the connection was not dropped");
    free(out);
    free(err);
    cr_expect_eq(gt_aws(&out, &err, "dynamodb", gt_secret(), "AWS_MAX_ATTEMPTS=1", args), 0, "%s", err);
    cr_expect_eq(gt_count("dynamodb", table, "faulted"), 1);
    cr_expect_eq(gt_count("dynamodb", table, "reset"), 1);
    cr_expect_eq(gt_count("dynamodb", table, "forwarded"), 2); /* create-table, last put */
    free(out);
    free(err);
    free(args);
    free(table);
}

/* botocore's own SigV4 signer signs a PUT; sent as signed it lands, and
 * each tampering is caught: body changed, signed header changed, path
 * changed.  An unsigned extra header is allowed, as by AWS. */
Test(gate, tampered_requests_refused)
{
    const char *s3 = gt_env("PIXPIPE_TEST_S3");
    cr_assert_eq(tu_runf(NULL, NULL, "/usr/bin/python3 -c 'import botocore'"), 0,
                 "/usr/bin/python3 cannot import botocore: scripts/deps.sh installs python3-botocore");
    char *script = gt_file("tamper.py",
        "import sys, urllib.request as u, urllib.error as e\n"
        "from botocore.auth import S3SigV4Auth\n"
        "from botocore.awsrequest import AWSRequest\n"
        "from botocore.credentials import Credentials\n"
        "base, key, ak, sk, how = sys.argv[1:6]\n"
        "url = base + '/pixpipe-src/' + key\n"
        "body = b'signed body'\n"
        "req = AWSRequest(method='PUT', url=url, data=body, headers={'x-amz-meta-a': 'one'})\n"
        "S3SigV4Auth(Credentials(ak, sk), 's3', 'us-east-1').add_auth(req)\n"
        "h = dict(req.headers.items())\n"
        "if how == 'body': body = b'other body'\n"
        "if how == 'header': h['x-amz-meta-a'] = 'two'\n"
        "if how == 'path': url = url + 'x'\n"
        "if how == 'extra': h['x-unsigned'] = 'fine'\n"
        "r = u.Request(url, data=body, headers=h, method='PUT')\n"
        "try:\n"
        "    a = u.urlopen(r, timeout=10); print(a.status)\n"
        "except e.HTTPError as x:\n"
        "    print(x.code, x.read().decode())\n");
    static const struct { const char *how, *expect; } cases[] = {
        { "none", "200" },
        { "extra", "200" },
        { "body", "400 <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>XAmzContentSHA256Mismatch" },
        { "header", "403 <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch" },
        { "path", "403 <?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "/usr/bin/python3 '%s' '%s' '%s/%s.bin' '%s' '%s' %s", script, s3,
                         gt_prefix, cases[i].how, gt_env("PIXPIPE_TEST_AWS_ACCESS_KEY_ID"), gt_secret(),
                         cases[i].how);
        cr_assert_eq(rc, 0, "%s: %s", cases[i].how, err);
        cr_expect(strncmp(out, cases[i].expect, strlen(cases[i].expect)) == 0, "%s: %s", cases[i].how,
                  out);
        free(out);
        free(err);
    }
    free(script);
}

/* The admin port refuses what it does not understand. */
Test(gate, admin_rejects_bad_requests)
{
    gt_env("PIXPIPE_TEST_GATE_ADMIN");
    cr_expect_eq(gt_admin("POST", "/fault", "{not json", NULL), 400);
    cr_expect_eq(gt_admin("POST", "/fault", "{\"count\":2}", NULL), 400);
    cr_expect_eq(gt_admin("POST", "/fault", "{\"status\":503,\"service\":\"sns\"}", NULL), 400);
    cr_expect_eq(gt_admin("GET", "/nothing", NULL, NULL), 404);
    json_t *j = NULL;
    cr_assert_eq(gt_admin("GET", "/stats", NULL, &j), 200);
    cr_expect(json_is_object(json_object_get(j, "s3")));
    cr_expect(json_is_object(json_object_get(j, "dynamodb")));
    json_decref(j);
}
