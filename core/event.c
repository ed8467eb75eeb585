/*
 * Lambda events announcing S3 objects, as `pixpipe lambda` receives them
 * and `pixpipe run --event FILE` reads them:
 *  - S3 notifications {"Records":[{"eventSource":"aws:s3","eventName":
 *    "ObjectCreated:Put","s3":{"bucket":{"name":..},"object":{"key":..,
 *    "sequencer":..}}}]}, keys URL-encoded with '+' for a space;
 *  - SQS batches {"Records":[{"eventSource":"aws:sqs","messageId":..,
 *    "body":..}]}, each body an S3 notification, an EventBridge event or
 *    an SNS envelope {"Type":"Notification","Message":..} around one;
 *  - SNS {"Records":[{"EventSource":"aws:sns","Sns":{"Message":..}}]};
 *  - EventBridge {"source":"aws.s3","detail-type":"Object Created",
 *    "detail":{"bucket":{"name":..},"object":{"key":..}}}, keys as stored;
 *  - s3:TestEvent, bare or inside SQS or SNS: acknowledged.
 * The text is untrusted: sizes are bounded, and the parse goes at most
 * one envelope (SQS, SNS, or SQS around SNS) deep, never recursing on
 * what the text says.  One bad SQS message spoils only itself.
 */
#include "event.h"
#include "hex.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *pix_url_decode(const char *in, bool plus_is_space, pix_err *err)
{
    size_t n = strlen(in);
    char *out = malloc(n + 1), *o = out;
    if (!out) {
        pix_err_set(err, "out of memory");
        return NULL;
    }
    for (const char *p = in; *p; p++) {
        if (*p == '+' && plus_is_space) {
            *o++ = ' ';
        } else if (*p == '%') {
            int hi = pix_hex_digit(p[1]), lo = hi < 0 ? -1 : pix_hex_digit(p[2]);
            if (hi < 0 || lo < 0) {
                pix_err_set(err, "'%s': bad escape at '%.3s'", in, p);
                goto fail;
            }
            if (hi == 0 && lo == 0) {
                pix_err_set(err, "'%s': a key cannot hold a NUL byte (%%00)", in);
                goto fail;
            }
            *o++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

/* Where the parse is and what it fills. */
typedef struct ev_ctx {
    pix_inputs *in;
    pix_event_summary *sum;
    const char *message_id; /* the SQS message being read, NULL outside one */
    bool take_removed;      /* deletions become inputs                      */
    bool removal;           /* the object being added was deleted           */
    pix_err *err;
} ev_ctx;

/* Sets err to "PATH: message" ("message" at the top of the event). */
static int ev_fail(ev_ctx *c, const char *path, const char *fmt, ...) PIX_PRINTF(3, 4);
static int ev_fail(ev_ctx *c, const char *path, const char *fmt, ...)
{
    char msg[sizeof c->err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (*path)
        return pix_err_set(c->err, "%s: %s", path, msg);
    return pix_err_set(c->err, "%s", msg);
}

/* base + "." + name, or name alone at the top. */
static void ev_join(char *buf, size_t n, const char *base, const char *name)
{
    snprintf(buf, n, "%s%s%s", base, *base ? "." : "", name);
}

static const char *ev_str(json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

/* Parses text found at path into a JSON object. */
static json_t *ev_load(const char *path, const char *text, size_t len, size_t max, pix_err *err)
{
    json_error_t jerr;
    json_t *doc;

    if (len > max) {
        pix_err_set(err, "%s: %zu bytes, more than the %zu allowed", path, len, max);
        return NULL;
    }
    /* Duplicate names would let two readers of one event see different
     * objects; AWS never sends them. */
    if (!(doc = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr))) {
        pix_err_set(err, "%s:%d:%d: not JSON: %s", path, jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(doc)) {
        pix_err_set(err, "%s: expected a JSON object, not a JSON %s", path,
                     json_is_array(doc) ? "array" : json_is_string(doc) ? "string" : "scalar");
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* Well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF),
 * as S3 keys are. */
static bool ev_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2
                                          : c >= 0xf0 && c < 0xf5 ? 3 : 9;
        if (n == 9)
            return false;
        unsigned cp = n ? c & (0x3f >> n) : c;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return false;
        p += n + 1;
    }
    return true;
}

/* S3 bucket names, legacy ones included (capitals, '_', up to 255). */
static bool ev_bucket_ok(const char *b)
{
    size_t n = strlen(b);
    return n >= 1 && n <= 255 && strspn(b, "abcdefghijklmnopqrstuvwxyz"
                                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") == n;
}

/* ASCII from '!' (or ' ' when space) to '~': nothing that breaks a log line. */
static bool ev_printable(const char *s, bool space)
{
    for (; *s; s++)
        if (*s < (space ? 0x20 : 0x21) || *s > 0x7e)
            return false;
    return true;
}

/* Adds one created object (key as stored). */
static int ev_add(ev_ctx *c, const char *path, const char *bucket, const char *key,
                  const char *seq, const char *seq_field)
{
    if (!ev_bucket_ok(bucket))
        return ev_fail(c, path, "'%.255s' is not an S3 bucket name", bucket);
    size_t klen = strlen(key);
    if (klen == 0 || klen > PIX_EVENT_MAX_KEY)
        return ev_fail(c, path, "the key has %zu bytes, expected 1 to %u", klen,
                       PIX_EVENT_MAX_KEY);
    if (!ev_utf8(key))
        return ev_fail(c, path, "the key is not UTF-8");
    /* Not checked for hex here: the metadata sink that orders by it says
     * so for the one object, while other pipelines need not care. */
    if (seq && (strlen(seq) > PIX_EVENT_MAX_SEQUENCER || !ev_printable(seq, true)))
        return ev_fail(c, path, "%s: expected at most %u printable characters", seq_field,
                       PIX_EVENT_MAX_SEQUENCER);
    char *display = NULL;
    if (asprintf(&display, "s3://%s/%s", bucket, key) < 0)
        return pix_err_set(c->err, "out of memory");
    int rc = pix_inputs_add_s3_msg(c->in, bucket, key, seq, c->message_id, display, c->err);
    free(display);
    if (rc == 0 && c->removal) {
        c->in->items[c->in->n - 1].removed = true;
        c->sum->removed++;
    } else if (rc == 0) {
        c->sum->created++;
    }
    return rc;
}

/* One record of an S3 notification. */
static int ev_s3_record(ev_ctx *c, json_t *rec, const char *path)
{
    const char *source = ev_str(rec, "eventSource");
    const char *name = ev_str(rec, "eventName");
    json_t *s3 = json_object_get(rec, "s3");
    const char *bucket = ev_str(json_object_get(s3, "bucket"), "name");
    const char *key = ev_str(json_object_get(s3, "object"), "key");
    const char *seq = ev_str(json_object_get(s3, "object"), "sequencer");
    const char *missing = !source || strcmp(source, "aws:s3") != 0 ? "eventSource \"aws:s3\""
                          : !name ? "eventName" : !bucket ? "s3.bucket.name"
                          : !key ? "s3.object.key" : NULL;

    c->sum->records++;
    if (missing)
        return ev_fail(c, path, "not an S3 record: no %s (an S3 record needs eventSource "
                                "\"aws:s3\", eventName, s3.bucket.name and s3.object.key)",
                       missing);
    c->removal = strncmp(name, "ObjectRemoved:", 14) == 0 && c->take_removed;
    if (strncmp(name, "ObjectCreated:", 14) != 0 && !c->removal) {
        c->sum->ignored++;
        return 0;
    }
    /* Decoding never lengthens; bound the work before it. */
    if (strlen(key) > 3 * PIX_EVENT_MAX_KEY)
        return ev_fail(c, path, "s3.object.key: longer than %u bytes once decoded",
                       PIX_EVENT_MAX_KEY);
    char *decoded = pix_url_decode(key, true, c->err);
    if (!decoded)
        return pix_err_prefix(c->err, "%s: s3.object.key", path);
    int rc = ev_add(c, path, bucket, decoded, seq && *seq ? seq : NULL, "s3.object.sequencer");
    free(decoded);
    return rc;
}

/* An EventBridge event; keys come as stored, not URL-encoded. */
static int ev_eventbridge(ev_ctx *c, json_t *doc, const char *path)
{
    const char *source = ev_str(doc, "source");
    const char *type = ev_str(doc, "detail-type");
    json_t *detail = json_object_get(doc, "detail");

    if (!source || strcmp(source, "aws.s3") != 0)
        return ev_fail(c, path, "an EventBridge event from \"%.80s\", expected source \"aws.s3\"",
                       source ? source : "?");
    if (!type)
        return ev_fail(c, path, "an EventBridge event without a \"detail-type\"");
    c->sum->records++;
    c->removal = strcmp(type, "Object Deleted") == 0 && c->take_removed;
    if (strcmp(type, "Object Created") != 0 && !c->removal) {
        c->sum->ignored++;
        return 0;
    }
    const char *bucket = ev_str(json_object_get(detail, "bucket"), "name");
    const char *key = ev_str(json_object_get(detail, "object"), "key");
    const char *seq = ev_str(json_object_get(detail, "object"), "sequencer");
    if (!bucket || !key)
        return ev_fail(c, path, "an EventBridge \"%s\" event needs detail.bucket.name and "
                                "detail.object.key", type);
    return ev_add(c, path, bucket, key, seq && *seq ? seq : NULL, "detail.object.sequencer");
}

/* What S3 itself sends: a notification, a test event, or an EventBridge
 * event.  Its records must all be S3's: envelopes go no deeper. */
static int ev_payload(ev_ctx *c, json_t *doc, const char *path)
{
    const char *ev = ev_str(doc, "Event");
    json_t *records = json_object_get(doc, "Records");
    char sub[256];

    if (ev && strcmp(ev, "s3:TestEvent") == 0) {
        c->sum->tests++;
        return 0;
    }
    if (json_is_array(records)) {
        if (json_array_size(records) > PIX_EVENT_MAX_RECORDS)
            return ev_fail(c, path, "more than %u Records", PIX_EVENT_MAX_RECORDS);
        size_t i;
        json_t *rec;
        json_array_foreach(records, i, rec) {
            snprintf(sub, sizeof sub, "%s%sRecords[%zu]", path, *path ? "." : "", i);
            if (ev_s3_record(c, rec, sub) < 0)
                return -1;
        }
        return 0;
    }
    if (json_object_get(doc, "source") || json_object_get(doc, "detail-type"))
        return ev_eventbridge(c, doc, path);
    return ev_fail(c, path, "expected an S3 notification (\"Records\"), an s3:TestEvent or an "
                            "EventBridge aws.s3 event");
}

/* Reads the document of one envelope level; doc and path are borrowed. */
typedef int ev_reader(ev_ctx *c, json_t *doc, const char *path);

/* Parses text, the JSON string in field name at path, and hands the
 * document to read.  Owns the document; borrows the rest.  Each caller
 * names its read in code, one envelope inward, so the text never decides
 * how deep the parse goes. */
static int ev_nested(ev_ctx *c, const char *path, const char *name, const char *text,
                     ev_reader *read)
{
    char sub[256];

    ev_join(sub, sizeof sub, path, name);
    json_t *doc = ev_load(sub, text, strlen(text), PIX_EVENT_MAX_BODY, c->err);
    if (!doc)
        return -1;
    int rc = read(c, doc, sub);
    json_decref(doc);
    return rc;
}

/* An SNS notification: its Message is what S3 sent. */
static int ev_sns(ev_ctx *c, json_t *sns, const char *path)
{
    const char *type = ev_str(sns, "Type");
    const char *msg = ev_str(sns, "Message");

    if (type && strcmp(type, "Notification") != 0)
        return ev_fail(c, path, "an SNS \"%.40s\", expected a \"Notification\"", type);
    if (!msg)
        return ev_fail(c, path, "an SNS notification without a string \"Message\"");
    return ev_nested(c, path, "Message", msg, ev_payload);
}

/* An SQS body's document: an SNS envelope, or what S3 sent. */
static int ev_sqs_doc(ev_ctx *c, json_t *doc, const char *path)
{
    if (ev_str(doc, "Type") && json_object_get(doc, "Message"))
        return ev_sns(c, doc, path);
    return ev_payload(c, doc, path);
}

/* An SQS message's body: what S3 sent, or an SNS envelope around it. */
static int ev_sqs_body(ev_ctx *c, json_t *rec, const char *path)
{
    const char *body = ev_str(rec, "body");

    if (!body)
        return ev_fail(c, path, "an SQS message without a string \"body\"");
    return ev_nested(c, path, "body", body, ev_sqs_doc);
}

static int ev_add_bad(pix_event_summary *sum, const char *id, const char *reason)
{
    pix_event_bad *bad = realloc(sum->bad, (sum->n_bad + 1) * sizeof *bad);
    if (!bad)
        return -1;
    sum->bad = bad;
    bad[sum->n_bad].message_id = strdup(id);
    bad[sum->n_bad].reason = strdup(reason);
    if (!bad[sum->n_bad].message_id || !bad[sum->n_bad].reason) {
        free(bad[sum->n_bad].message_id);
        free(bad[sum->n_bad].reason);
        return -1;
    }
    sum->n_bad++;
    return 0;
}

/* One SQS message: a body that cannot be used marks this message bad,
 * with nothing of it kept, and the batch goes on. */
static int ev_sqs(ev_ctx *c, json_t *rec, const char *path)
{
    const char *id = ev_str(rec, "messageId");
    size_t len = id ? strlen(id) : 0;

    /* Without an id it cannot be named in batchItemFailures. */
    if (len == 0 || len > PIX_EVENT_MAX_MESSAGE_ID || !ev_printable(id, false))
        return ev_fail(c, path, "an SQS message needs a messageId of 1 to %u printable "
                                "characters", PIX_EVENT_MAX_MESSAGE_ID);
    pix_event_summary before = *c->sum;
    size_t mark = c->in->n;
    c->sum->messages++;
    c->message_id = id;
    int rc = ev_sqs_body(c, rec, path);
    c->message_id = NULL;
    if (rc == 0)
        return 0;
    pix_inputs_truncate(c->in, mark);
    c->sum->records = before.records;
    c->sum->created = before.created;
    c->sum->ignored = before.ignored;
    c->sum->tests = before.tests;
    if (ev_add_bad(c->sum, id, c->err->msg) < 0)
        return pix_err_set(c->err, "out of memory");
    return 0;
}

static int ev_source_kind(const char *source, pix_event_kind *kind)
{
    static const struct { const char *name; pix_event_kind kind; } known[] = {
        { "aws:s3", PIX_EVENT_S3 }, { "aws:sqs", PIX_EVENT_SQS }, { "aws:sns", PIX_EVENT_SNS },
    };
    for (size_t i = 0; source && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(source, known[i].name) == 0) {
            *kind = known[i].kind;
            return 0;
        }
    return -1;
}

/* The Records of a Lambda event: S3, SQS or SNS, one kind throughout. */
static int ev_records(ev_ctx *c, json_t *records)
{
    size_t i;
    json_t *rec;
    char path[64];

    if (json_array_size(records) > PIX_EVENT_MAX_RECORDS)
        return ev_fail(c, "", "more than %u Records", PIX_EVENT_MAX_RECORDS);
    json_array_foreach(records, i, rec) {
        /* SNS spells it EventSource. */
        const char *source = ev_str(rec, "eventSource");
        pix_event_kind kind;
        snprintf(path, sizeof path, "Records[%zu]", i);
        if (!source)
            source = ev_str(rec, "EventSource");
        if (ev_source_kind(source, &kind) < 0)
            return ev_fail(c, path, "not an S3, SQS or SNS record: eventSource %s%.80s%s "
                                    "(expected \"aws:s3\", \"aws:sqs\" or \"aws:sns\")",
                           source ? "\"" : "", source ? source : "missing", source ? "\"" : "");
        if (i > 0 && kind != c->sum->kind)
            return ev_fail(c, path, "an \"%s\" record among %s records: one event holds "
                                    "one kind", source, pix_event_kind_name(c->sum->kind));
        c->sum->kind = kind;
        int rc;
        if (kind == PIX_EVENT_S3) {
            rc = ev_s3_record(c, rec, path);
        } else if (kind == PIX_EVENT_SQS) {
            rc = ev_sqs(c, rec, path);
        } else {
            char sub[80];
            snprintf(sub, sizeof sub, "%s.Sns", path);
            c->sum->messages++;
            rc = ev_sns(c, json_object_get(rec, "Sns"), sub);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* The bucket of a Batch task: s3Bucket (2.0), else the name in s3BucketArn
 * ("arn:aws:s3:::NAME"). */
static const char *ev_task_bucket(json_t *task)
{
    const char *b = ev_str(task, "s3Bucket");
    const char *arn = ev_str(task, "s3BucketArn");
    if (b)
        return b;
    if (arn && strncmp(arn, "arn:", 4) == 0) {
        const char *colon = strrchr(arn, ':');
        return colon && colon[1] ? colon + 1 : NULL;
    }
    return NULL;
}

/* One task of an S3 Batch Operations invocation: one that cannot be used
 * is answered PermanentFailure on its own, and the others go on. */
static int ev_batch_task(ev_ctx *c, json_t *task, const char *path, bool encoded)
{
    const char *id = ev_str(task, "taskId");
    size_t len = id ? strlen(id) : 0;
    const char *bucket = ev_task_bucket(task);
    const char *key = ev_str(task, "s3Key");
    char *decoded = NULL;
    int rc = -1;

    /* Without an id it cannot be answered for: the invocation is wrong. */
    if (len == 0 || len > PIX_EVENT_MAX_MESSAGE_ID * 8 || !ev_printable(id, false))
        return ev_fail(c, path, "a Batch Operations task needs a taskId of printable "
                                "characters");
    c->sum->records++;
    c->message_id = id;
    if (!bucket || !key) {
        ev_fail(c, path, "the task needs %s", !bucket ? "s3Bucket or s3BucketArn" : "s3Key");
    } else if (strlen(key) > 3 * PIX_EVENT_MAX_KEY) {
        ev_fail(c, path, "s3Key: longer than %u bytes once decoded", PIX_EVENT_MAX_KEY);
    } else if (encoded && !(decoded = pix_url_decode(key, false, c->err))) {
        pix_err_prefix(c->err, "%s: s3Key", path);
    } else {
        rc = ev_add(c, path, bucket, decoded ? decoded : key, NULL, "");
    }
    c->message_id = NULL;
    free(decoded);
    if (rc == 0)
        return 0;
    if (ev_add_bad(c->sum, id, c->err->msg) < 0)
        return pix_err_set(c->err, "out of memory");
    return 0;
}

/* An S3 Batch Operations invocation (schema 1.0: s3BucketArn and a
 * URL-encoded s3Key; 2.0: s3Bucket and the key as stored). */
static int ev_batch(ev_ctx *c, json_t *doc)
{
    const char *schema = ev_str(doc, "invocationSchemaVersion");
    const char *inv = ev_str(doc, "invocationId");
    json_t *tasks = json_object_get(doc, "tasks");
    size_t i;
    json_t *task;
    char path[64];

    c->sum->kind = PIX_EVENT_BATCH;
    if (!schema || (strcmp(schema, "1.0") != 0 && strcmp(schema, "2.0") != 0))
        return ev_fail(c, "invocationSchemaVersion", "expected \"1.0\" or \"2.0\", got %s%.20s%s",
                       schema ? "\"" : "", schema ? schema : "none", schema ? "\"" : "");
    if (!inv || !*inv || strlen(inv) > 4096 || !ev_printable(inv, false))
        return ev_fail(c, "invocationId", "expected the invocation's id");
    if (!json_is_array(tasks))
        return ev_fail(c, "tasks", "expected a list of tasks");
    if (json_array_size(tasks) > PIX_EVENT_MAX_RECORDS)
        return ev_fail(c, "tasks", "more than %u tasks", PIX_EVENT_MAX_RECORDS);
    if (!(c->sum->batch_schema = strdup(schema)) || !(c->sum->batch_invocation = strdup(inv)))
        return pix_err_set(c->err, "out of memory");
    c->removal = false;
    json_array_foreach(tasks, i, task) {
        snprintf(path, sizeof path, "tasks[%zu]", i);
        c->sum->messages++;
        if (ev_batch_task(c, task, path, strcmp(schema, "1.0") == 0) < 0)
            return -1;
    }
    return 0;
}

/* The outermost envelope decides the kind. */
static int ev_top(ev_ctx *c, json_t *doc)
{
    const char *ev = ev_str(doc, "Event");
    json_t *records = json_object_get(doc, "Records");

    if (ev && strcmp(ev, "s3:TestEvent") == 0) {
        c->sum->kind = PIX_EVENT_TEST;
        c->sum->tests++;
        return 0;
    }
    if (json_is_array(records))
        return ev_records(c, records);
    if (json_object_get(doc, "invocationSchemaVersion"))
        return ev_batch(c, doc);
    if (json_object_get(doc, "source") || json_object_get(doc, "detail-type")) {
        c->sum->kind = PIX_EVENT_EVENTBRIDGE;
        return ev_eventbridge(c, doc, "");
    }
    return ev_fail(c, "", "not an event pixpipe knows: expected \"Records\" (S3, SQS or SNS), "
                          "an s3:TestEvent, an EventBridge aws.s3 event or an S3 Batch "
                          "Operations invocation");
}

int pix_event_parse(const char *where, const char *json, size_t len, bool take_removed,
                    pix_inputs *in, pix_event_summary *sum, pix_err *err)
{
    pix_err own;
    ev_ctx c = { .in = in, .sum = sum, .message_id = NULL, .take_removed = take_removed,
                 .err = err ? err : &own };
    size_t mark = in->n;

    memset(sum, 0, sizeof *sum);
    json_t *doc = ev_load(where, json, len, PIX_EVENT_MAX_BYTES, c.err);
    if (!doc)
        return -1;
    int rc = ev_top(&c, doc);
    json_decref(doc);
    if (rc < 0) {
        pix_inputs_truncate(in, mark);
        pix_event_summary_free(sum);
        return pix_err_prefix(c.err, "%s", where);
    }
    sum->test_event = sum->tests > 0 && sum->records == 0 && sum->n_bad == 0;
    return 0;
}

void pix_event_summary_free(pix_event_summary *sum)
{
    for (size_t i = 0; i < sum->n_bad; i++) {
        free(sum->bad[i].message_id);
        free(sum->bad[i].reason);
    }
    free(sum->bad);
    free(sum->batch_schema);
    free(sum->batch_invocation);
    sum->bad = NULL;
    sum->n_bad = 0;
    sum->batch_schema = sum->batch_invocation = NULL;
}

const char *pix_event_kind_name(pix_event_kind kind)
{
    switch (kind) {
    case PIX_EVENT_S3: return "s3";
    case PIX_EVENT_SQS: return "sqs";
    case PIX_EVENT_SNS: return "sns";
    case PIX_EVENT_EVENTBRIDGE: return "eventbridge";
    case PIX_EVENT_TEST: return "test";
    case PIX_EVENT_BATCH: return "s3-batch";
    }
    return "?";
}
