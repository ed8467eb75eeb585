/* The AWS client's pieces that need no server: error answers, retry
 * decisions, endpoints and regions. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws_creds.h"

static pix_aws_response answer(long status, const char *body)
{
    pix_aws_response r = { .status = status, .body = (unsigned char *)body,
                           .body_len = strlen(body) };
    return r;
}

Test(aws, s3_xml_error)
{
    pix_aws_response r = answer(404, "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code>"
                                     "<Message>The specified key does not exist.</Message>"
                                     "<Key>a.jpg</Key><RequestId>4442587FB7D0A2F9</RequestId></Error>");
    char code[64], msg[256], id[64];
    pix_aws_parse_error(&r, code, sizeof code, msg, sizeof msg, id, sizeof id);
    cr_expect_str_eq(code, "NoSuchKey");
    cr_expect_str_eq(msg, "The specified key does not exist.");
    cr_expect_str_eq(id, "4442587FB7D0A2F9");
}

Test(aws, dynamodb_json_error)
{
    pix_aws_response r = answer(400, "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
                                     "ConditionalCheckFailedException\",\"message\":\"The "
                                     "conditional request failed\"}");
    char code[64], msg[256];
    pix_aws_parse_error(&r, code, sizeof code, msg, sizeof msg, NULL, 0);
    cr_expect_str_eq(code, "ConditionalCheckFailedException");
    cr_expect_str_eq(msg, "The conditional request failed");
    r = answer(404, "");
    pix_aws_parse_error(&r, code, sizeof code, msg, sizeof msg, NULL, 0);
    cr_expect_str_eq(code, "NotFound");
}

Test(aws, what_is_retried)
{
    cr_expect(pix_aws_retryable(503, "SlowDown"));
    cr_expect(pix_aws_retryable(500, "InternalError"));
    cr_expect(pix_aws_retryable(429, ""));
    cr_expect(pix_aws_retryable(400, "ThrottlingException"));
    cr_expect(pix_aws_retryable(400, "ProvisionedThroughputExceededException"));
    cr_expect(!pix_aws_retryable(403, "SignatureDoesNotMatch"));
    cr_expect(!pix_aws_retryable(404, "NoSuchKey"));
    cr_expect(!pix_aws_retryable(400, "ConditionalCheckFailedException"));
}

Test(aws, endpoints_and_regions)
{
    char ep[256], region[64];
    const char *why = NULL;
    unsetenv("AWS_ENDPOINT_URL");
    unsetenv("AWS_ENDPOINT_URL_S3");
    unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
    unsetenv("AWS_REGION");
    unsetenv("AWS_DEFAULT_REGION");
    cr_assert_eq(pix_aws_endpoint("s3", NULL, NULL, ep, sizeof ep, region, sizeof region, &why), 0);
    cr_expect_str_eq(ep, "https://s3.us-east-1.amazonaws.com");
    cr_expect_str_eq(region, "us-east-1");
    setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
    setenv("AWS_REGION", "eu-central-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/", 1);
    setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", 1);
    pix_aws_endpoint("s3", NULL, NULL, ep, sizeof ep, region, sizeof region, &why);
    cr_expect_str_eq(ep, "http://127.0.0.1:9000");
    cr_expect_str_eq(region, "eu-central-1");
    pix_aws_endpoint("dynamodb", NULL, NULL, ep, sizeof ep, region, sizeof region, &why);
    cr_expect_str_eq(ep, "http://127.0.0.1:8000");
    /* the plugin's own options win */
    pix_aws_endpoint("dynamodb", "http://127.0.0.1:1234", "ap-south-1", ep, sizeof ep, region,
                     sizeof region, &why);
    cr_expect_str_eq(ep, "http://127.0.0.1:1234");
    cr_expect_str_eq(region, "ap-south-1");
    cr_expect_eq(pix_aws_endpoint("s3", "ftp://x", NULL, ep, sizeof ep, region, sizeof region,
                                  &why), -1);
    cr_expect(why && strstr(why, "http://") != NULL);
}

Test(aws, missing_credentials_say_what_to_set)
{
    pix_aws_creds c;
    pix_err err = { { 0 } };
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    cr_expect_eq(pix_aws_get_creds(&c, &err), -1);
    cr_expect(strstr(err.msg, "AWS_ACCESS_KEY_ID") != NULL, "%s", err.msg);
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-printed", 1);
    cr_expect_eq(pix_aws_get_creds(&c, &err), 0);
    cr_expect_str_eq(c.access_key, "AKIDEXAMPLE");
    cr_expect_str_eq(c.session_token, "");
}

/* The container credentials endpoint, served on loopback by a few lines of
 * Python's http.server: the token is sent, the keys and session token come
 * back, and a refusal is reported without any secret. */
Test(aws, container_credentials_endpoint)
{
    static const char server[] =
        "import http.server, json\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        ok = self.headers.get('Authorization') == 'tok123'\n"
        "        body = json.dumps({'AccessKeyId': 'AKIDCONTAINER', 'SecretAccessKey': 'sek',\n"
        "            'Token': 'session-tok', 'Expiration': '2099-01-01T00:00:00Z'} if ok\n"
        "            else {'message': 'denied'}).encode()\n"
        "        self.send_response(200 if ok else 403)\n"
        "        self.send_header('Content-Length', str(len(body)))\n"
        "        self.end_headers()\n"
        "        self.wfile.write(body)\n"
        "    def log_message(self, *a):\n"
        "        pass\n"
        "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
        "print(s.server_port, flush=True)\n"
        "s.timeout = 10\n"
        "s.handle_request()\n";
    setenv("PIX_TEST_SERVER", server, 1);
    FILE *py = popen("exec /usr/bin/python3 -c \"$PIX_TEST_SERVER\"", "r");
    cr_assert_not_null(py);
    int port = 0;
    cr_assert_eq(fscanf(py, "%d", &port), 1, "the test server did not start");
    char uri[64];
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/creds", port);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "tok123", 1);
    pix_aws_creds c;
    pix_err err = { { 0 } };
    cr_assert_eq(pix_aws_get_creds(&c, &err), 0, "%s", err.msg);
    cr_expect_str_eq(c.access_key, "AKIDCONTAINER");
    cr_expect_str_eq(c.secret_key, "sek");
    cr_expect_str_eq(c.session_token, "session-tok");
    /* cached: the one-request server is gone, the keys are still there */
    cr_expect_eq(pix_aws_get_creds(&c, &err), 0, "%s", err.msg);
    cr_expect_str_eq(c.access_key, "AKIDCONTAINER");
    pclose(py);
}

Test(aws, container_credentials_refused)
{
    static const char server[] =
        "import http.server\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(403)\n"
        "        self.send_header('Content-Length', '0')\n"
        "        self.end_headers()\n"
        "    def log_message(self, *a):\n"
        "        pass\n"
        "s = http.server.HTTPServer(('127.0.0.1', 0), H)\n"
        "print(s.server_port, flush=True)\n"
        "s.timeout = 10\n"
        "s.handle_request()\n";
    setenv("PIX_TEST_SERVER", server, 1);
    FILE *py = popen("exec /usr/bin/python3 -c \"$PIX_TEST_SERVER\"", "r");
    cr_assert_not_null(py);
    int port = 0;
    cr_assert_eq(fscanf(py, "%d", &port), 1);
    char uri[64];
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/creds", port);
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "secret-token-value", 1);
    pix_aws_creds c;
    pix_err err = { { 0 } };
    cr_expect_eq(pix_aws_get_creds(&c, &err), -1);
    cr_expect(strstr(err.msg, "answered HTTP 403") != NULL, "%s", err.msg);
    cr_expect(strstr(err.msg, "secret-token-value") == NULL, "the token leaked: %s", err.msg);
    pclose(py);
}
