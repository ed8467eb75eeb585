/*
 * SQS over the core's AWS client, in SQS's JSON protocol: each action is a
 * signed POST / whose X-Amz-Target names it and whose body is a JSON object
 * holding QueueUrl and the action's parameters (see sqs.h).
 *
 * The long poll relies on core/aws.c's per-attempt timeout being well above
 * SQS's longest wait (checked below), and on its stop flag to be abandoned
 * when the process is asked to stop.
 */
#include "sqs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws_creds.h"

/* A 20 s ReceiveMessage must end by itself, not by libcurl's timeout; the
 * margin covers a slow answer after the wait. */
_Static_assert(PIX_AWS_TIMEOUT_MS >= (PIX_SQS_MAX_WAIT_S + 30) * 1000L,
               "the AWS client's timeout must exceed SQS's longest long poll");

struct pix_sqs {
    char *url;              /* the queue URL as given: every request's QueueUrl */
    char endpoint[512];     /* where requests go                               */
    char region[64];        /* signing region                                  */
    volatile sig_atomic_t *stop; /* aborts ReceiveMessage; NULL: never        */
};

/* The region in an AWS SQS host ("sqs.eu-west-1.amazonaws.com",
 * "vpce-0a1b.sqs.eu-west-1.vpce.amazonaws.com", "sqs.cn-north-1.
 * amazonaws.com.cn"): the label after "sqs", before the amazonaws suffix.
 * host is lower case, without port. */
static bool region_of_host(const char *host, char *region, size_t size)
{
    static const char *const suffixes[] = { ".amazonaws.com", ".amazonaws.com.cn" };
    size_t hlen = strlen(host);
    const char *end = NULL;

    for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
        size_t slen = strlen(suffixes[i]);
        if (hlen > slen && strcmp(host + hlen - slen, suffixes[i]) == 0)
            end = host + hlen - slen;
    }
    if (!end)
        return false;
    const char *p;
    if (strncmp(host, "sqs.", 4) == 0)
        p = host + 4;
    else if ((p = strstr(host, ".sqs.")) != NULL)
        p += 5;
    else
        return false;
    size_t len = strcspn(p, ".");
    if (len == 0 || p + len > end || len >= size)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!islower((unsigned char)p[i]) && !isdigit((unsigned char)p[i]) && p[i] != '-')
            return false;
    snprintf(region, size, "%.*s", (int)len, p);
    return true;
}

int pix_sqs_open(const char *queue_url, pix_sqs **out, pix_err *err)
{
    pix_sqs *q = NULL;
    char host[256];
    int rc = -1;

    *out = NULL;
    /* first, so that no error below echoes a password: "scheme://user:pw@" */
    const char *sep = strstr(queue_url, "://");
    const char *from = sep ? sep + 3 : queue_url;
    if (memchr(from, '@', strcspn(from, "/?#"))) {
        pix_err_set(err, "a queue URL must not carry user information (user:password@)");
        goto out;
    }
    size_t scheme = strncmp(queue_url, "https://", 8) == 0 ? 8
                    : strncmp(queue_url, "http://", 7) == 0 ? 7 : 0;
    if (!scheme) {
        pix_err_set(err, "queue URL %s: must start with https:// or http://", queue_url);
        goto out;
    }
    for (const char *c = queue_url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f) {
            pix_err_set(err, "queue URL %s: holds a blank or control character", queue_url);
            goto out;
        }
    const char *auth = queue_url + scheme;
    size_t auth_len = strcspn(auth, "/?#");
    if (auth_len == 0 || auth_len >= sizeof host) {
        pix_err_set(err, "queue URL %s: has no host, or one too long", queue_url);
        goto out;
    }
    if (auth[auth_len] != '/' || auth[auth_len + 1] == '\0') {
        pix_err_set(err, "queue URL %s: has no path (.../ACCOUNT/QUEUE)", queue_url);
        goto out;
    }
    q = calloc(1, sizeof *q);
    if (!q || !(q->url = strdup(queue_url))) {
        pix_err_set(err, "queue URL %s: out of memory", queue_url);
        goto out;
    }

    /* the host without its port (no IPv6 literal is an AWS host) */
    size_t host_len = strcspn(auth, ":/?#");
    for (size_t i = 0; i < host_len; i++)
        host[i] = (char)tolower((unsigned char)auth[i]);
    host[host_len] = '\0';
    if (!region_of_host(host, q->region, sizeof q->region)) {
        const char *r = getenv("AWS_REGION");
        if (!r || !*r)
            r = getenv("AWS_DEFAULT_REGION");
        snprintf(q->region, sizeof q->region, "%s", r && *r ? r : "us-east-1");
    }

    const char *e_sqs = getenv("AWS_ENDPOINT_URL_SQS"), *e_all = getenv("AWS_ENDPOINT_URL");
    if ((e_sqs && *e_sqs) || (e_all && *e_all)) {
        /* the same precedence and checks as the plugins' endpoints */
        const char *why = NULL;
        char region[sizeof q->region];
        if (pix_aws_endpoint("sqs", NULL, q->region, q->endpoint, sizeof q->endpoint, region,
                             sizeof region, &why) < 0) {
            pix_err_set(err, "queue %s: AWS_ENDPOINT_URL%s: %s", queue_url,
                        e_sqs && *e_sqs ? "_SQS" : "", why ? why : "not an http(s) URL");
            goto out;
        }
    } else {
        snprintf(q->endpoint, sizeof q->endpoint, "%.*s", (int)(scheme + auth_len), queue_url);
    }
    *out = q;
    q = NULL;
    rc = 0;
out:
    pix_sqs_close(q);
    return rc;
}

void pix_sqs_close(pix_sqs *q)
{
    if (!q)
        return;
    free(q->url);
    free(q);
}

const char *pix_sqs_url(const pix_sqs *q)
{
    return q->url;
}

const char *pix_sqs_endpoint(const pix_sqs *q)
{
    return q->endpoint;
}

const char *pix_sqs_region(const pix_sqs *q)
{
    return q->region;
}

void pix_sqs_set_stop(pix_sqs *q, volatile sig_atomic_t *stop)
{
    q->stop = stop;
}

/* An SQS error answer into err: "ACTION URL: HTTP STATUS CODE (TYPE):
 * MESSAGE (request id ID)".  CODE is the query protocol's, from
 * x-amzn-query-error ("AWS.SimpleQueueService.NonExistentQueue"), which is
 * what SQS's documentation and SDKs name; TYPE the JSON __type's
 * ("QueueDoesNotExist") when it differs.  Returns -1. */
static int answer_error(const pix_sqs *q, const char *action, const pix_aws_response *resp,
                        pix_err *err)
{
    char code[256], message[1024], id[256], query[256] = "", line[1024];

    pix_aws_parse_error(resp, code, sizeof code, message, sizeof message, id, sizeof id);
    const char *qe = pix_aws_header(resp, "x-amzn-query-error"); /* "CODE;Sender" */
    if (qe)
        snprintf(query, sizeof query, "%.*s", (int)strcspn(qe, ";"), qe);
    pix_one_line(message, line, sizeof line);
    bool both = query[0] && strcmp(query, code) != 0;
    return pix_err_set(err, "%s %s: HTTP %ld %s%s%s%s%s%s%s%s%s", action, q->url, resp->status,
                       query[0] ? query : code, both ? " (" : "", both ? code : "",
                       both ? ")" : "", line[0] ? ": " : "", line, id[0] ? " (request id " : "",
                       id, id[0] ? ")" : "");
}

/* One action: request (borrowed) as the body; *answer (the caller's) the
 * JSON object of a 2xx answer.  stop as pix_aws_call_err's. */
static int call(const pix_sqs *q, const char *action, json_t *request,
                volatile sig_atomic_t *stop, json_t **answer, pix_err *err)
{
    char target[64];
    char *body = NULL;
    pix_aws_response resp = { 0 };
    json_error_t jerr;
    int rc = -1;

    *answer = NULL;
    snprintf(target, sizeof target, "AmazonSQS.%s", action);
    body = json_dumps(request, JSON_COMPACT);
    if (!body) {
        pix_err_set(err, "%s %s: out of memory", action, q->url);
        goto out;
    }
    pix_http_header headers[] = {
        { "Content-Type", "application/x-amz-json-1.0" },
        { "X-Amz-Target", target },
    };
    pix_aws_request req = {
        .service = "sqs", .region = q->region, .endpoint = q->endpoint, .method = "POST",
        .path = "/", .headers = headers, .n_headers = sizeof headers / sizeof *headers,
        .body = body, .body_len = strlen(body),
        /* no limit: ten messages of SQS's largest size are 10 MiB, and the
         * endpoint is the operator's own configuration */
        .max_response_bytes = 0, .operation = action, .resource = q->url,
    };
    if (pix_aws_call_err(&req, stop, &resp, err) < 0)
        goto out;
    if (resp.status < 200 || resp.status >= 300) {
        answer_error(q, action, &resp, err);
        goto out;
    }
    if (resp.body_len == 0) /* nothing to say is an empty object */
        *answer = json_object();
    else
        *answer = json_loadb((const char *)resp.body, resp.body_len, 0, &jerr);
    if (!json_is_object(*answer)) {
        pix_err_set(err, "%s %s: HTTP %ld, but the answer is not a JSON object%s%s", action,
                    q->url, resp.status, *answer ? "" : ": ", *answer ? "" : jerr.text);
        json_decref(*answer);
        *answer = NULL;
        goto out;
    }
    rc = 0;
out:
    pix_aws_release(&resp);
    free(body);
    return rc;
}

int pix_sqs_call(pix_sqs *q, const char *action, json_t *request, json_t **answer,
                 pix_err *err)
{
    return call(q, action, request, NULL, answer, err);
}

void pix_sqs_messages_free(pix_sqs_message *msgs, size_t n)
{
    for (size_t i = 0; msgs && i < n; i++) {
        free(msgs[i].message_id);
        free(msgs[i].receipt_handle);
        free(msgs[i].body);
    }
    free(msgs);
}

/* One message of ReceiveMessage's answer into m. */
static int take_message(const pix_sqs *q, json_t *j, pix_sqs_message *m, pix_err *err)
{
    json_t *id = json_object_get(j, "MessageId"), *rh = json_object_get(j, "ReceiptHandle");
    json_t *body = json_object_get(j, "Body");
    const char *count = json_string_value(
        json_object_get(json_object_get(j, "Attributes"), "ApproximateReceiveCount"));

    if (!json_is_string(id) || !json_is_string(rh) || !json_is_string(body))
        return pix_err_set(err, "ReceiveMessage %s: a message in the answer lacks its "
                           "MessageId, ReceiptHandle or Body", q->url);
    m->message_id = strdup(json_string_value(id));
    m->receipt_handle = strdup(json_string_value(rh));
    m->body_len = json_string_length(body);
    m->body = malloc(m->body_len + 1);
    if (!m->message_id || !m->receipt_handle || !m->body)
        return pix_err_set(err, "ReceiveMessage %s: out of memory", q->url);
    memcpy(m->body, json_string_value(body), m->body_len + 1);
    m->receive_count = count ? atoi(count) : 0;
    return 0;
}

int pix_sqs_receive(pix_sqs *q, int max_messages, int wait_s, int visibility_s,
                    pix_sqs_message **msgs, size_t *n, pix_err *err)
{
    json_t *request = NULL, *answer = NULL;
    pix_sqs_message *got = NULL;
    size_t n_got = 0;
    int rc = -1;

    *msgs = NULL;
    *n = 0;
    if (max_messages < 1 || max_messages > PIX_SQS_MAX_BATCH || wait_s < 0 ||
        wait_s > PIX_SQS_MAX_WAIT_S || visibility_s < -1 ||
        visibility_s > PIX_SQS_MAX_VISIBILITY_S) {
        pix_err_set(err, "ReceiveMessage %s: asked for %d messages (1 to %d), a %d s wait "
                    "(0 to %d), visibility %d s (-1, or 0 to %d)", q->url, max_messages,
                    PIX_SQS_MAX_BATCH, wait_s, PIX_SQS_MAX_WAIT_S, visibility_s,
                    PIX_SQS_MAX_VISIBILITY_S);
        goto out;
    }
    if (q->stop && *q->stop) {
        rc = 0; /* stopping: nothing asked, nothing taken */
        goto out;
    }
    request = json_pack("{s:s, s:i, s:i, s:[s]}", "QueueUrl", q->url, "MaxNumberOfMessages",
                        max_messages, "WaitTimeSeconds", wait_s, "MessageSystemAttributeNames",
                        "ApproximateReceiveCount");
    if (!request || (visibility_s >= 0 &&
                     json_object_set_new(request, "VisibilityTimeout",
                                         json_integer(visibility_s)) < 0)) {
        pix_err_set(err, "ReceiveMessage %s: out of memory", q->url);
        goto out;
    }
    if (call(q, "ReceiveMessage", request, q->stop, &answer, err) < 0) {
        if (q->stop && *q->stop)
            rc = 0; /* abandoned on purpose: not an error */
        goto out;
    }
    json_t *list = json_object_get(answer, "Messages"); /* absent when none came */
    if (list && !json_is_array(list)) {
        pix_err_set(err, "ReceiveMessage %s: the answer's Messages is not a list", q->url);
        goto out;
    }
    if (json_array_size(list)) {
        got = calloc(json_array_size(list), sizeof *got);
        if (!got) {
            pix_err_set(err, "ReceiveMessage %s: out of memory", q->url);
            goto out;
        }
    }
    for (; n_got < json_array_size(list); n_got++)
        if (take_message(q, json_array_get(list, n_got), &got[n_got], err) < 0) {
            n_got++; /* its strings so far are freed with the rest */
            goto out;
        }
    *msgs = got;
    *n = n_got;
    got = NULL;
    rc = 0;
out:
    pix_sqs_messages_free(got, n_got);
    json_decref(request);
    json_decref(answer);
    return rc;
}

/* Fills results[] (n of them) from a batch answer's Successful and Failed
 * lists, whose Ids are the entries' indexes.  Returns how many failed; an
 * entry the answer does not mention counts as failed. */
static size_t batch_outcomes(json_t *answer, size_t n, pix_sqs_entry_result *results)
{
    bool seen[PIX_SQS_MAX_BATCH] = { false };
    size_t failed = 0, i;
    json_t *e;

    for (i = 0; i < n; i++)
        results[i] = (pix_sqs_entry_result){ .ok = false };
    json_array_foreach(json_object_get(answer, "Successful"), i, e) {
        const char *id = json_string_value(json_object_get(e, "Id"));
        char *end;
        long k = id ? strtol(id, &end, 10) : -1;
        if (id && *end == '\0' && k >= 0 && (size_t)k < n && !seen[k]) {
            seen[k] = true;
            results[k].ok = true;
        }
    }
    json_array_foreach(json_object_get(answer, "Failed"), i, e) {
        const char *id = json_string_value(json_object_get(e, "Id"));
        const char *code = json_string_value(json_object_get(e, "Code"));
        const char *msg = json_string_value(json_object_get(e, "Message"));
        char *end;
        long k = id ? strtol(id, &end, 10) : -1;
        if (!id || *end != '\0' || k < 0 || (size_t)k >= n)
            continue;
        seen[k] = true;
        results[k].ok = false;
        results[k].sender_fault = json_is_true(json_object_get(e, "SenderFault"));
        snprintf(results[k].code, sizeof results[k].code, "%s", code ? code : "Failed");
        pix_one_line(msg ? msg : "", results[k].message, sizeof results[k].message);
    }
    for (i = 0; i < n; i++) {
        if (!seen[i])
            snprintf(results[i].code, sizeof results[i].code, "NoOutcome");
        if (!seen[i])
            snprintf(results[i].message, sizeof results[i].message,
                     "the answer does not say how this entry went");
        failed += !results[i].ok;
    }
    return failed;
}

/* DeleteMessageBatch (visibility_s < 0) or ChangeMessageVisibilityBatch. */
static int batch(pix_sqs *q, const char *action, const char *const *receipts, size_t n,
                 int visibility_s, pix_sqs_entry_result *results, size_t *n_failed,
                 pix_err *err)
{
    pix_sqs_entry_result own[PIX_SQS_MAX_BATCH];
    json_t *request = NULL, *entries = NULL, *answer = NULL;
    int rc = -1;

    if (n_failed)
        *n_failed = 0;
    if (n < 1 || n > PIX_SQS_MAX_BATCH) {
        pix_err_set(err, "%s %s: %zu entries (1 to %d)", action, q->url, n, PIX_SQS_MAX_BATCH);
        goto out;
    }
    if (!results)
        results = own;
    request = json_pack("{s:s, s:[]}", "QueueUrl", q->url, "Entries");
    entries = json_object_get(request, "Entries");
    if (!request) {
        pix_err_set(err, "%s %s: out of memory", action, q->url);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char id[8];
        if (!receipts[i]) {
            pix_err_set(err, "%s %s: receipt handle %zu is NULL", action, q->url, i);
            goto out;
        }
        snprintf(id, sizeof id, "%zu", i); /* the answer's Ids are these indexes */
        json_t *e = json_pack("{s:s, s:s}", "Id", id, "ReceiptHandle", receipts[i]);
        if (e && visibility_s >= 0)
            json_object_set_new(e, "VisibilityTimeout", json_integer(visibility_s));
        if (json_array_append_new(entries, e) < 0) { /* also when e is NULL */
            pix_err_set(err, "%s %s: out of memory", action, q->url);
            goto out;
        }
    }
    /* no stop flag: what a stopping worker deletes or hands back must reach SQS */
    if (call(q, action, request, NULL, &answer, err) < 0)
        goto out;
    size_t failed = batch_outcomes(answer, n, results);
    if (n_failed) {
        *n_failed = failed;
    } else if (failed) {
        size_t first = 0;
        while (results[first].ok)
            first++;
        pix_err_set(err, "%s %s: %zu of %zu entries failed; entry %zu: %s%s%s", action, q->url,
                    failed, n, first, results[first].code, results[first].message[0] ? ": " : "",
                    results[first].message);
        goto out;
    }
    rc = 0;
out:
    json_decref(request);
    json_decref(answer);
    return rc;
}

int pix_sqs_delete_batch(pix_sqs *q, const char *const *receipts, size_t n,
                         pix_sqs_entry_result *results, size_t *n_failed, pix_err *err)
{
    return batch(q, "DeleteMessageBatch", receipts, n, -1, results, n_failed, err);
}

int pix_sqs_change_visibility_batch(pix_sqs *q, const char *const *receipts, size_t n,
                                    int visibility_s, pix_sqs_entry_result *results,
                                    size_t *n_failed, pix_err *err)
{
    if (visibility_s < 0 || visibility_s > PIX_SQS_MAX_VISIBILITY_S) {
        if (n_failed)
            *n_failed = 0;
        return pix_err_set(err, "ChangeMessageVisibilityBatch %s: visibility %d s (0 to %d)",
                           q->url, visibility_s, PIX_SQS_MAX_VISIBILITY_S);
    }
    return batch(q, "ChangeMessageVisibilityBatch", receipts, n, visibility_s, results,
                 n_failed, err);
}

int pix_sqs_send(pix_sqs *q, const char *body, char **message_id, pix_err *err)
{
    json_t *request = NULL, *answer = NULL;
    int rc = -1;

    if (message_id)
        *message_id = NULL;
    request = json_pack("{s:s, s:s}", "QueueUrl", q->url, "MessageBody", body);
    if (!request) {
        /* json_pack also refuses a body that is not UTF-8 */
        pix_err_set(err, "SendMessage %s: cannot put the body in a request (not UTF-8?)",
                    q->url);
        goto out;
    }
    if (call(q, "SendMessage", request, NULL, &answer, err) < 0)
        goto out;
    const char *id = json_string_value(json_object_get(answer, "MessageId"));
    if (!id) {
        pix_err_set(err, "SendMessage %s: the answer has no MessageId", q->url);
        goto out;
    }
    if (message_id && !(*message_id = strdup(id))) {
        pix_err_set(err, "SendMessage %s: out of memory", q->url);
        goto out;
    }
    rc = 0;
out:
    json_decref(request);
    json_decref(answer);
    return rc;
}
