/*
 * The AWS client: builds the request, signs it with SigV4 (core/sigv4.c),
 * sends it on this thread's kept-alive connection (core/http.c) and retries
 * what can change with another attempt: connection failures, timeouts, 5xx,
 * 429 and throttling codes, with exponential backoff and full jitter
 * ("sleep a random time between 0 and min(cap, base * 2^attempt)") and a
 * bounded number of attempts.  A 4xx that cannot change is final at once:
 * a wrong key is one request, not a retry storm.
 */
#include "aws.h"

#include <glib.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aws_creds.h"
#include "http.h"
#include "job.h"
#include "log.h"
#include "sigv4.h"

#define MAX_ATTEMPTS 4
#define BACKOFF_BASE_MS 50.0
#define BACKOFF_CAP_MS 2000.0
#define CONNECT_TIMEOUT_MS 3000L

typedef struct response_priv {
    char *headers; /* raw header lines */
} response_priv;

/* Records err on the job, or logs it when there is no job. */
static int fail(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
static int fail(pix_job *job, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (job)
        pix_job_failv(job, job->actor && job->actor->plugin ? job->actor->plugin->name : NULL,
                      fmt, ap);
    else
        pix_logv(PIX_LOG_ERROR, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

bool pix_aws_retryable(long status, const char *code)
{
    static const char *const throttling[] = {
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException",
        "ProvisionedThroughputExceededException", "RequestLimitExceeded",
        "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
        "TransactionInProgressException", "RequestTimeout", "RequestTimeoutException",
        "InternalError", "ServiceUnavailable",
    };
    if (status >= 500 || status == 429)
        return true;
    for (size_t i = 0; code && i < G_N_ELEMENTS(throttling); i++)
        if (strcmp(code, throttling[i]) == 0)
            return true;
    return false;
}

static bool transport_retryable(int curl_code)
{
    /* libcurl: COULDNT_RESOLVE_HOST 6, COULDNT_CONNECT 7, PARTIAL_FILE 18,
     * OPERATION_TIMEDOUT 28, SSL_CONNECT_ERROR 35, GOT_NOTHING 52,
     * SEND_ERROR 55, RECV_ERROR 56 */
    return curl_code == 6 || curl_code == 7 || curl_code == 18 || curl_code == 28 ||
           curl_code == 35 || curl_code == 52 || curl_code == 55 || curl_code == 56;
}

/* The text of the first <tag>...</tag> in xml, into out. */
static void xml_tag(const char *xml, const char *tag, char *out, size_t size)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *a = strstr(xml, open);
    const char *b = a ? strstr(a, close) : NULL;
    if (a && b)
        snprintf(out, size, "%.*s", (int)(b - a - strlen(open)), a + strlen(open));
}

void pix_aws_parse_error(const pix_aws_response *resp, char *code, size_t code_size,
                         char *message, size_t message_size, char *request_id,
                         size_t request_id_size)
{
    char c[256] = "", m[1024] = "", r[256] = "";
    const char *body = resp->body ? (const char *)resp->body : "";

    if (body[0] == '<' || strstr(body, "<Error>")) {
        xml_tag(body, "Code", c, sizeof c);
        xml_tag(body, "Message", m, sizeof m);
        xml_tag(body, "RequestId", r, sizeof r);
    } else if (body[0] == '{') {
        json_error_t jerr;
        json_t *doc = json_loadb(body, resp->body_len, 0, &jerr);
        const char *t = json_string_value(json_object_get(doc, "__type"));
        if (!t)
            t = json_string_value(json_object_get(doc, "code"));
        const char *msg = json_string_value(json_object_get(doc, "message"));
        if (!msg)
            msg = json_string_value(json_object_get(doc, "Message"));
        if (t) {
            const char *hash = strrchr(t, '#'); /* "com.amazonaws...#ThrottlingException" */
            snprintf(c, sizeof c, "%s", hash ? hash + 1 : t);
        }
        if (msg)
            snprintf(m, sizeof m, "%s", msg);
        json_decref(doc);
    }
    if (!r[0]) {
        const char *id = pix_aws_header(resp, "x-amz-request-id");
        if (!id)
            id = pix_aws_header(resp, "x-amzn-RequestId");
        if (id)
            snprintf(r, sizeof r, "%s", id);
    }
    if (!c[0]) /* HEAD answers have no body */
        snprintf(c, sizeof c, "%s", resp->status == 404 ? "NotFound"
                                    : resp->status == 403 ? "Forbidden"
                                    : resp->status >= 500 ? "ServerError" : "Error");
    if (code)
        snprintf(code, code_size, "%s", c);
    if (message)
        snprintf(message, message_size, "%s", m);
    if (request_id)
        snprintf(request_id, request_id_size, "%s", r);
}

int pix_aws_fail(pix_job *job, const pix_aws_request *req, const pix_aws_response *resp,
                 char *code, size_t code_size)
{
    char c[256], m[1024], r[256];
    pix_aws_parse_error(resp, c, sizeof c, m, sizeof m, r, sizeof r);
    if (code)
        snprintf(code, code_size, "%s", c);
    if (job && pix_aws_retryable(resp->status, c))
        pix_job_fail_kind(job, PIX_FAIL_TRANSIENT); /* retried, and still failing */
    else if (job && resp->status == 404 && (!strcmp(c, "NoSuchKey") || !strcmp(c, "NotFound")))
        pix_job_fail_kind(job, PIX_FAIL_MISSING);
    return fail(job, "%s %s: HTTP %ld %s%s%s%s%s%s", req->operation ? req->operation : req->method,
                req->resource ? req->resource : req->path, resp->status, c, m[0] ? ": " : "", m,
                r[0] ? " (request id " : "", r, r[0] ? ")" : "");
}

const char *pix_aws_header(const pix_aws_response *resp, const char *name)
{
    /* one buffer per thread: valid until the next call on this thread,
     * which is how plugins use it (read, copy, go on) */
    static _Thread_local char buf[2048];
    const response_priv *priv = resp ? resp->priv : NULL;
    if (!priv || !priv->headers)
        return NULL;
    return pix_http_header_get(priv->headers, name, buf, sizeof buf);
}

void pix_aws_meta(const pix_aws_response *resp, char *buf, size_t size)
{
    static const char prefix[] = "x-amz-meta-";
    const response_priv *priv = resp ? resp->priv : NULL;
    size_t used = 0;

    if (size)
        buf[0] = '\0';
    for (const char *line = priv ? priv->headers : NULL; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > sizeof prefix && strncasecmp(line, prefix, sizeof prefix - 1) == 0 &&
            used < size) {
            int n = snprintf(buf + used, size - used, "%.*s\n", (int)(len - (sizeof prefix - 1)),
                             line + sizeof prefix - 1);
            if (n < 0 || (size_t)n >= size - used) {
                buf[used] = '\0'; /* a line that does not fit is left out whole */
                break;
            }
            used += (size_t)n;
        }
        line = eol ? eol + 2 : NULL;
    }
}

void pix_aws_release(pix_aws_response *resp)
{
    if (!resp)
        return;
    response_priv *priv = resp->priv;
    if (priv) {
        free(priv->headers);
        free(priv);
    }
    free(resp->body);
    memset(resp, 0, sizeof *resp);
}

/* host[:port] of an endpoint URL, as curl sends it in Host. */
static void host_of(const char *endpoint, char *host, size_t size)
{
    const char *p = strstr(endpoint, "://");
    p = p ? p + 3 : endpoint;
    size_t n = strcspn(p, "/");
    snprintf(host, size, "%.*s", (int)n, p);
}

/* Sleeps ms, in slices of at most 50 ms when there is a stop flag to look
 * at.  Returns -1 as soon as *stop is set, else 0. */
static int sleep_ms(double ms, volatile sig_atomic_t *stop)
{
    while (ms > 0) {
        if (stop && *stop)
            return -1;
        double slice = stop && ms > 50.0 ? 50.0 : ms;
        struct timespec ts = { (time_t)(slice / 1000.0), (long)(fmod(slice, 1000.0) * 1e6) };
        while (nanosleep(&ts, &ts) < 0)
            ;
        ms -= slice;
    }
    return stop && *stop ? -1 : 0;
}

/* One signed attempt.  Returns 0 with res filled when an answer came. */
static int attempt(const pix_aws_request *req, const pix_aws_creds *creds,
                   const char *payload_hash, const char *host, volatile sig_atomic_t *stop,
                   pix_http_result *res, pix_err *err)
{
    pix_sigv4_out sig = { 0 };
    pix_sigv4_header *sh = NULL;
    char **lines = NULL;
    size_t n_lines = 0;
    char *url = NULL;
    int rc = -1;

    sh = calloc(req->n_headers + 1, sizeof *sh);
    lines = calloc(req->n_headers + PIX_SIGV4_MAX_ADD + 1, sizeof *lines);
    if (!sh || !lines) {
        pix_err_set(err, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < req->n_headers; i++)
        sh[i] = (pix_sigv4_header){ req->headers[i].name, req->headers[i].value };
    pix_sigv4_req sreq = {
        .method = req->method, .host = host, .path = req->path, .query = req->query,
        .headers = sh, .n_headers = req->n_headers, .payload_hash = payload_hash,
        .service = req->service, .region = req->region, .now = time(NULL),
        .s3 = strcmp(req->service, "s3") == 0,
    };
    pix_sigv4_creds sc = { creds->access_key, creds->secret_key,
                           creds->session_token[0] ? creds->session_token : NULL };
    if (pix_sigv4_sign(&sreq, &sc, &sig, err) < 0)
        goto out;
    for (size_t i = 0; i < req->n_headers; i++)
        if (asprintf(&lines[n_lines++], "%s: %s", req->headers[i].name,
                     req->headers[i].value) < 0)
            goto nomem;
    for (size_t i = 0; i < sig.n_headers; i++)
        if (asprintf(&lines[n_lines++], "%s: %s", sig.headers[i].name, sig.headers[i].value) < 0)
            goto nomem;
    if (asprintf(&url, "%s%s%s%s", req->endpoint, req->path, req->query && *req->query ? "?" : "",
                 req->query ? req->query : "") < 0)
        goto nomem;
    pix_http_req hreq = {
        .method = req->method, .url = url, .headers = (const char *const *)lines,
        .n_headers = n_lines, .body = req->body, .body_len = req->body_len,
        .max_bytes = req->max_response_bytes, .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .timeout_ms = PIX_AWS_TIMEOUT_MS, .stop = stop,
    };
    rc = pix_http_perform(&hreq, res);
    if (rc < 0)
        pix_err_set(err, "%s", res->error);
    goto out;
nomem:
    pix_err_set(err, "out of memory");
out:
    for (size_t i = 0; lines && i < n_lines; i++) {
        /* the Authorization line holds no secret, but the token line may */
        memset(lines[i], 0, strlen(lines[i]));
        free(lines[i]);
    }
    free(lines);
    free(sh);
    free(url);
    pix_sigv4_out_free(&sig);
    return rc;
}

/* pix_aws_call_err, telling in *transient (may be NULL) whether the
 * failure is one a later try may not meet: no answer after the retries. */
static int call(const pix_aws_request *req, volatile sig_atomic_t *stop, pix_aws_response *resp,
                pix_err *err, bool *transient)
{
    pix_aws_creds creds;
    char payload_hash[65], host[512], code[256];
    pix_http_result res = { 0 };
    pix_err why = { { 0 } };
    int rc = -1;

    memset(resp, 0, sizeof *resp);
    const char *what = req->operation ? req->operation : req->method;
    const char *on = req->resource ? req->resource : req->path;
    if (pix_aws_get_creds(&creds, &why) < 0)
        return pix_err_set(err, "%s %s: %s", what, on, why.msg);
    if (req->unsigned_payload)
        snprintf(payload_hash, sizeof payload_hash, "UNSIGNED-PAYLOAD");
    else if (pix_sha256_hex(req->body ? req->body : "", req->body_len, payload_hash) < 0) {
        rc = pix_err_set(err, "%s %s: cannot hash the request body", what, on);
        goto out;
    }
    host_of(req->endpoint, host, sizeof host);

    for (int n = 1;; n++) {
        pix_http_result_free(&res);
        bool answered = attempt(req, &creds, payload_hash, host, stop, &res, &why) == 0;
        if (!answered && res.stopped) {
            rc = pix_err_set(err, "%s %s: stopped", what, on);
            goto out;
        }
        if (answered && res.over_limit) {
            char len[32];
            if (pix_http_header_get(res.headers, "content-length", len, sizeof len))
                rc = pix_err_set(err, "%s %s: is %s bytes, over the %llu-byte limit "
                          "(limits.max_input_bytes); not read", what, on, len,
                          (unsigned long long)req->max_response_bytes);
            else
                rc = pix_err_set(err, "%s %s: is over the %llu-byte limit (limits.max_input_bytes); "
                          "reading stopped", what, on, (unsigned long long)req->max_response_bytes);
            goto out;
        }
        bool again;
        if (answered) {
            pix_aws_response probe = { .status = res.status, .body = res.body,
                                       .body_len = res.body_len };
            response_priv pp = { res.headers };
            probe.priv = &pp;
            code[0] = '\0';
            if (res.status >= 300)
                pix_aws_parse_error(&probe, code, sizeof code, NULL, 0, NULL, 0);
            again = res.status >= 300 && pix_aws_retryable(res.status, code);
        } else {
            again = transport_retryable(res.transport_error);
        }
        if (!again || n == MAX_ATTEMPTS) {
            if (!answered) {
                if (transient)
                    *transient = true;
                rc = pix_err_set(err, "%s %s: %s (after %d attempt%s)", what, on, why.msg, n,
                          n > 1 ? "s" : "");
                goto out;
            }
            break;
        }
        double cap = BACKOFF_BASE_MS * (double)(1u << n);
        double ms = g_random_double_range(0.0, cap < BACKOFF_CAP_MS ? cap : BACKOFF_CAP_MS);
        pix_log(PIX_LOG_DEBUG, NULL, "%s %s: %s, attempt %d of %d in %.0f ms", what, on,
                answered ? code : why.msg, n + 1, MAX_ATTEMPTS, ms);
        if (sleep_ms(ms, stop) < 0) {
            rc = pix_err_set(err, "%s %s: stopped", what, on);
            goto out;
        }
    }
    response_priv *priv = calloc(1, sizeof *priv);
    if (!priv) {
        rc = pix_err_set(err, "%s %s: out of memory", what, on);
        goto out;
    }
    priv->headers = res.headers;
    res.headers = NULL;
    resp->status = res.status;
    resp->body = res.body;
    resp->body_len = res.body_len;
    res.body = NULL;
    resp->priv = priv;
    rc = 0;
out:
    pix_http_result_free(&res);
    pix_aws_creds_wipe(&creds);
    return rc;
}

int pix_aws_call_err(const pix_aws_request *req, volatile sig_atomic_t *stop,
                     pix_aws_response *resp, pix_err *err)
{
    return call(req, stop, resp, err, NULL);
}

int pix_aws_call(pix_job *job, const pix_aws_request *req, pix_aws_response *resp)
{
    pix_err err = { { 0 } };
    bool transient = false;

    if (call(req, NULL, resp, &err, &transient) == 0)
        return 0;
    if (job && transient)
        pix_job_fail_kind(job, PIX_FAIL_TRANSIENT);
    return fail(job, "%s", err.msg);
}

const pix_aws pix_aws_api = {
    .version = PIX_AWS_VERSION,
    .struct_size = sizeof(pix_aws),
    .request = pix_aws_call,
    .response_free = pix_aws_release,
    .response_header = pix_aws_header,
    .fail = pix_aws_fail,
    .response_meta = pix_aws_meta,
    .endpoint = pix_aws_endpoint,
};
