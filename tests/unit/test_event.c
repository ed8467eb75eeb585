/* Lambda events (S3, SQS, SNS, EventBridge, s3:TestEvent) as inputs, and
 * URL-decoding of their keys. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "remove.h"
#include "testutil.h"

static const char one_record[] =
    "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
    "\"s3\":{\"bucket\":{\"name\":\"src\"},\"object\":{\"key\":\"a+b%2Bc/%C3%A9t%C3%A9+%26+%3D.jpg\","
    "\"size\":10,\"sequencer\":\"0055AED6DCD90281E5\"}}},"
    "{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectRemoved:Delete\","
    "\"s3\":{\"bucket\":{\"name\":\"src\"},\"object\":{\"key\":\"gone.jpg\"}}}]}";

Test(event, created_records_become_inputs_with_decoded_keys)
{
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };
    cr_assert_eq(pix_event_parse("e.json", one_record, strlen(one_record), false, &in, &sum, &err), 0,
                 "%s", err.msg);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "src");
    /* '+' is a space, %2B a plus, UTF-8 escapes decode to UTF-8 */
    cr_expect_str_eq(in.items[0].key, "a b+c/\xc3\xa9t\xc3\xa9 & =.jpg");
    cr_expect_str_eq(in.items[0].sequencer, "0055AED6DCD90281E5");
    cr_expect(in.items[0].s3);
    cr_expect_eq(sum.records, 2);
    cr_expect_eq(sum.created, 1);
    cr_expect_eq(sum.ignored, 1);
    cr_expect_eq(sum.kind, PIX_EVENT_S3);
    cr_expect_null(in.items[0].message_id);
    cr_expect_eq(sum.n_bad, 0);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
}

Test(event, test_event_and_errors)
{
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };
    const char *test = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Bucket\":\"b\"}";
    cr_expect_eq(pix_event_parse("t.json", test, strlen(test), false, &in, &sum, &err), 0);
    cr_expect(sum.test_event);
    cr_expect_eq(sum.kind, PIX_EVENT_TEST);
    cr_expect_eq(sum.tests, 1);
    cr_expect_eq(in.n, 0);

    cr_expect_eq(pix_event_parse("bad.json", "{\"Records\": [", 13, false, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "bad.json:1:") && strstr(err.msg, "not JSON"), "%s", err.msg);

    const char *nokey = "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
                        "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{}}}]}";
    cr_expect_eq(pix_event_parse("n.json", nokey, strlen(nokey), false, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "n.json: Records[0]: not an S3 record") != NULL, "%s", err.msg);

    const char *badkey = "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
                         "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"x%zz\"}}}]}";
    cr_expect_eq(pix_event_parse("k.json", badkey, strlen(badkey), false, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "Records[0]: s3.object.key") && strstr(err.msg, "bad escape"),
              "%s", err.msg);

    cr_expect_eq(pix_event_parse("o.json", "[1,2]", 5, false, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "expected a JSON object") != NULL, "%s", err.msg);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
}

Test(event, url_decode)
{
    pix_err err = { { 0 } };
    char *s = pix_url_decode("Happy%20Face+x.jpg", true, &err);
    cr_expect_str_eq(s, "Happy Face x.jpg");
    free(s);
    s = pix_url_decode("a+b", false, &err);
    cr_expect_str_eq(s, "a+b");
    free(s);
    cr_expect_null(pix_url_decode("nul%00byte", true, &err));
    cr_expect(strstr(err.msg, "NUL") != NULL, "%s", err.msg);
    cr_expect_null(pix_url_decode("trail%4", true, &err));
}

/* The corpus' sample notification, where present. */
Test(event, corpus_sample)
{
    char *path = tu_strf("%s/../shared/corpus/events/s3-event.json", tu_src());
    size_t len = 0;
    char *text = tu_read_file(path, &len);
    if (!text) {
        free(path);
        cr_skip_test("no ../shared/corpus");
    }
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };
    cr_assert_eq(pix_event_parse(path, text, len, false, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "sourcebucket");
    cr_expect_str_eq(in.items[0].key, "Happy Face.jpg");
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(text);
    free(path);
}

/* ---- every envelope: events built with jansson so bodies nest cleanly ---- */

/* Dumps and releases j. */
static char *tev_dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    cr_assert_not_null(s);
    return s;
}

/* One S3 notification record; a NULL key or sequencer is left out. */
static json_t *tev_rec(const char *name, const char *bucket, const char *key, const char *seq)
{
    json_t *obj = json_object();
    if (key)
        json_object_set_new(obj, "key", json_string(key));
    json_object_set_new(obj, "size", json_integer(10));
    if (seq)
        json_object_set_new(obj, "sequencer", json_string(seq));
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:{s:s}, s:o}}", "eventVersion", "2.1",
                     "eventSource", "aws:s3", "awsRegion", "eu-west-1", "eventName", name, "s3",
                     "s3SchemaVersion", "1.0", "bucket", "name", bucket, "object", obj);
}

/* {"Records":[a, b, ...]} as text; the list ends with NULL. */
static char *tev_records(json_t *first, ...)
{
    json_t *list = json_array();
    va_list ap;
    va_start(ap, first);
    for (json_t *r = first; r; r = va_arg(ap, json_t *))
        json_array_append_new(list, r);
    va_end(ap);
    return tev_dump(json_pack("{s:o}", "Records", list));
}

static json_t *tev_sqs_msg(const char *id, const char *body)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{}, s:s}", "messageId", id, "receiptHandle",
                     "AQEB...", "body", body, "md5OfBody", "0", "attributes", "eventSource",
                     "aws:sqs");
}

/* An SNS envelope as SNS writes it into an SQS body (raw delivery off). */
static char *tev_sns_env(const char *message)
{
    return tev_dump(json_pack("{s:s, s:s, s:s, s:s, s:s}", "Type", "Notification", "MessageId",
                              "95df01b4-ee98-5cb9-9903-4c221d41eb5e", "TopicArn",
                              "arn:aws:sns:eu-west-1:123456789012:uploads", "Subject",
                              "Amazon S3 Notification", "Message", message));
}

static int tev_parse(const char *text, pix_inputs *in, pix_event_summary *sum, pix_err *err)
{
    return pix_event_parse("ev", text, strlen(text), false, in, sum, err);
}

#define TEV_AWKWARD "a+b%2B%20c/%C3%A9t%C3%A9%E2%82%AC+%26.jpg"
#define TEV_AWKWARD_DECODED "a b+ c/\xc3\xa9t\xc3\xa9\xe2\x82\xac &.jpg"
static const char tev_test_event[] =
    "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Time\":\"2024-01-01T00:00:00Z\","
    "\"Bucket\":\"src\",\"RequestId\":\"R\",\"HostId\":\"H\"}";

Test(event, sqs_batch_keeps_good_messages_and_names_the_bad_ones)
{
    char *m1 = tev_records(tev_rec("ObjectCreated:Put", "src", TEV_AWKWARD, "0A1B"), NULL);
    char *m3 = tev_records(tev_rec("ObjectCreated:Copy", "src", "x/y.png", "0C"),
                           tev_rec("ObjectRemoved:Delete", "src", "old.png", "0D"), NULL);
    /* its first record is fine, its second has no key: all of it is bad */
    char *m4 = tev_records(tev_rec("ObjectCreated:Put", "src", "half.jpg", "0E"),
                           tev_rec("ObjectCreated:Put", "src", NULL, "0F"), NULL);
    char *ev = tev_records(tev_sqs_msg("m-1", m1), tev_sqs_msg("m-2", "{\"Records\": [ oops"),
                           tev_sqs_msg("m-3", m3), tev_sqs_msg("m-4", m4), NULL);
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.kind, PIX_EVENT_SQS);
    cr_expect_str_eq(pix_event_kind_name(sum.kind), "sqs");
    cr_expect_eq(sum.messages, 4);
    cr_assert_eq(in.n, 2);
    cr_expect_str_eq(in.items[0].bucket, "src");
    cr_expect_str_eq(in.items[0].key, TEV_AWKWARD_DECODED);
    cr_expect_str_eq(in.items[0].sequencer, "0A1B");
    cr_expect_str_eq(in.items[0].message_id, "m-1");
    cr_expect(in.items[0].s3);
    cr_expect_str_eq(in.items[1].key, "x/y.png");
    cr_expect_str_eq(in.items[1].sequencer, "0C");
    cr_expect_str_eq(in.items[1].message_id, "m-3");
    /* counts cover the good messages only */
    cr_expect_eq(sum.records, 3);
    cr_expect_eq(sum.created, 2);
    cr_expect_eq(sum.ignored, 1);
    cr_expect_not(sum.test_event);
    cr_assert_eq(sum.n_bad, 2);
    cr_expect_str_eq(sum.bad[0].message_id, "m-2");
    cr_expect(strstr(sum.bad[0].reason, "Records[1].body:1:") &&
              strstr(sum.bad[0].reason, "not JSON"), "%s", sum.bad[0].reason);
    cr_expect_str_eq(sum.bad[1].message_id, "m-4");
    cr_expect(strstr(sum.bad[1].reason, "Records[3].body.Records[1]: not an S3 record: no "
                                        "s3.object.key") != NULL, "%s", sum.bad[1].reason);
    pix_event_summary_free(&sum);
    cr_expect_eq(sum.n_bad, 0);
    pix_event_summary_free(&sum); /* idempotent */
    pix_inputs_free(&in);
    free(ev);
    free(m1);
    free(m3);
    free(m4);
}

Test(event, sqs_around_sns_around_s3)
{
    char *s3 = tev_records(tev_rec("ObjectCreated:CompleteMultipartUpload", "my.bucket-1",
                                   TEV_AWKWARD, "005B2A"), NULL);
    char *sns = tev_sns_env(s3);
    char *ev = tev_records(tev_sqs_msg("059f36b4-87a3-44ab-83d2-661975830a7d", sns), NULL);
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.kind, PIX_EVENT_SQS);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "my.bucket-1");
    cr_expect_str_eq(in.items[0].key, TEV_AWKWARD_DECODED);
    cr_expect_str_eq(in.items[0].sequencer, "005B2A");
    cr_expect_str_eq(in.items[0].message_id, "059f36b4-87a3-44ab-83d2-661975830a7d");
    cr_expect_str_eq(in.items[0].display, "s3://my.bucket-1/" TEV_AWKWARD_DECODED);
    cr_expect_eq(sum.n_bad, 0);
    pix_event_summary_free(&sum);

    /* an SNS envelope whose Message is broken spoils that message only */
    char *badsns = tev_sns_env("{\"Records\":");
    char *ev2 = tev_records(tev_sqs_msg("ok", s3), tev_sqs_msg("bad", badsns), NULL);
    pix_inputs_free(&in);
    cr_assert_eq(tev_parse(ev2, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(in.n, 1);
    cr_assert_eq(sum.n_bad, 1);
    cr_expect_str_eq(sum.bad[0].message_id, "bad");
    cr_expect(strstr(sum.bad[0].reason, "Records[1].body.Message:1:") != NULL, "%s",
              sum.bad[0].reason);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(ev);
    free(ev2);
    free(sns);
    free(badsns);
    free(s3);
}

Test(event, test_events_inside_sqs_and_sns_are_acknowledged)
{
    char *sns_test = tev_sns_env(tev_test_event);
    char *ev = tev_records(tev_sqs_msg("t1", tev_test_event), tev_sqs_msg("t2", sns_test), NULL);
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.kind, PIX_EVENT_SQS);
    cr_expect_eq(sum.tests, 2);
    cr_expect(sum.test_event);
    cr_expect_eq(sum.n_bad, 0);
    cr_expect_eq(in.n, 0);
    pix_event_summary_free(&sum);

    /* a test event beside real records does not make the event a test */
    char *s3 = tev_records(tev_rec("ObjectCreated:Put", "src", "k.jpg", NULL), NULL);
    char *ev2 = tev_records(tev_sqs_msg("t1", tev_test_event), tev_sqs_msg("r", s3), NULL);
    cr_assert_eq(tev_parse(ev2, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_not(sum.test_event);
    cr_assert_eq(in.n, 1);
    cr_expect_null(in.items[0].sequencer);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(ev);
    free(ev2);
    free(s3);
    free(sns_test);
}

Test(event, sns_records)
{
    char *s3 = tev_records(tev_rec("ObjectCreated:Post", "src", TEV_AWKWARD, "00FF"), NULL);
    char *ev = tev_dump(json_pack(
        "{s:[{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s}}]}", "Records", "EventSource", "aws:sns",
        "EventVersion", "1.0", "EventSubscriptionArn", "arn:aws:sns:eu-west-1:1:t:s", "Sns",
        "Type", "Notification", "MessageId", "sns-1", "TopicArn", "arn:aws:sns:eu-west-1:1:t",
        "Message", s3));
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.kind, PIX_EVENT_SNS);
    cr_expect_eq(sum.messages, 1);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "src");
    cr_expect_str_eq(in.items[0].key, TEV_AWKWARD_DECODED);
    cr_expect_str_eq(in.items[0].sequencer, "00FF");
    cr_expect_null(in.items[0].message_id);
    pix_event_summary_free(&sum);

    /* outside SQS a broken message fails the whole event, adding nothing */
    const char *bad = "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":"
                      "\"Notification\",\"Message\":\"not json\"}}]}";
    cr_expect_eq(tev_parse(bad, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "ev: Records[0].Sns.Message:1:") && strstr(err.msg, "not JSON"),
              "%s", err.msg);
    cr_expect_eq(in.n, 1);
    const char *confirm = "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"Type\":"
                          "\"SubscriptionConfirmation\",\"Message\":\"{}\"}}]}";
    cr_expect_eq(tev_parse(confirm, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "ev: Records[0].Sns: an SNS \"SubscriptionConfirmation\", "
                              "expected a \"Notification\"") != NULL, "%s", err.msg);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(ev);
    free(s3);
}

static char *tev_bridge(const char *type, const char *bucket, const char *key, const char *seq)
{
    return tev_dump(json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:{s:s, s:{s:s}, s:{s:s?, s:i, s:s, s:s?}, s:s}}",
        "version", "0", "id", "17793124-05d4-b198-2fde-7ededc63b103", "detail-type", type,
        "source", "aws.s3", "account", "123456789012", "region", "eu-west-1", "resources",
        "arn:aws:s3:::b", "detail", "version", "0", "bucket", "name", bucket, "object", "key",
        key, "size", 5, "etag", "b1946ac9", "sequencer", seq, "reason", "PutObject"));
}

Test(event, eventbridge_keys_are_taken_literally)
{
    char *ev = tev_bridge("Object Created", "photos", "in/a b+c%20d\xc3\xa9.jpg",
                          "00617F08299329D189");
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.kind, PIX_EVENT_EVENTBRIDGE);
    cr_expect_eq(sum.records, 1);
    cr_expect_eq(sum.created, 1);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "photos");
    cr_expect_str_eq(in.items[0].key, "in/a b+c%20d\xc3\xa9.jpg");
    cr_expect_str_eq(in.items[0].sequencer, "00617F08299329D189");
    cr_expect_null(in.items[0].message_id);
    pix_event_summary_free(&sum);
    free(ev);

    ev = tev_bridge("Object Deleted", "photos", "in/gone.jpg", NULL);
    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.ignored, 1);
    cr_expect_eq(sum.created, 0);
    cr_expect_eq(in.n, 1);
    free(ev);

    /* EventBridge into SQS: a body like any other */
    ev = tev_bridge("Object Created", "photos", "q+r.jpg", "01");
    char *sqs = tev_records(tev_sqs_msg("eb", ev), NULL);
    cr_assert_eq(tev_parse(sqs, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 2);
    cr_expect_str_eq(in.items[1].key, "q+r.jpg");
    cr_expect_str_eq(in.items[1].message_id, "eb");
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(ev);
    free(sqs);
}

/* Expects text to fail as a whole with a message holding want, adding
 * nothing to inputs that already hold one. */
static void tev_refused(const char *text, const char *want)
{
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };
    pix_err e0 = { { 0 } };
    cr_assert_eq(pix_inputs_add_s3(&in, "b", "before.jpg", NULL, "s3://b/before.jpg", &e0), 0);
    cr_expect_eq(tev_parse(text, &in, &sum, &err), -1, "accepted: %s", text);
    cr_expect(strstr(err.msg, want) != NULL, "got '%s', expected '%s'", err.msg, want);
    cr_expect_eq(in.n, 1);
    cr_expect_eq(sum.n_bad, 0);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
}

Test(event, unknown_shapes_are_refused_with_their_path)
{
    tev_refused("{\"hello\":1}", "ev: not an event pixpipe knows: expected \"Records\"");
    tev_refused("{\"Records\":[{\"eventSource\":\"aws:dynamodb\"}]}",
                "ev: Records[0]: not an S3, SQS or SNS record: eventSource \"aws:dynamodb\"");
    tev_refused("{\"Records\":[{}]}", "ev: Records[0]: not an S3, SQS or SNS record: "
                                      "eventSource missing");
    tev_refused("{\"Records\":[7]}", "Records[0]: not an S3, SQS or SNS record");
    tev_refused("{\"source\":\"aws.ec2\",\"detail-type\":\"Object Created\",\"detail\":{}}",
                "ev: an EventBridge event from \"aws.ec2\", expected source \"aws.s3\"");
    tev_refused("{\"source\":\"aws.s3\",\"detail-type\":\"Object Created\",\"detail\":"
                "{\"bucket\":{\"name\":\"b\"},\"object\":{}}}",
                "ev: an EventBridge \"Object Created\" event needs detail.bucket.name and "
                "detail.object.key");
    /* the added record is dropped again when a later one fails */
    char *mixed = tev_records(tev_rec("ObjectCreated:Put", "b", "k.jpg", NULL),
                              tev_sqs_msg("m", "{}"), NULL);
    tev_refused(mixed, "ev: Records[1]: an \"aws:sqs\" record among s3 records");
    free(mixed);
    char *noid = tev_dump(json_pack("{s:[{s:s, s:s}]}", "Records", "eventSource", "aws:sqs",
                                    "body", "{}"));
    tev_refused(noid, "ev: Records[0]: an SQS message needs a messageId");
    free(noid);
    char *nobody = tev_dump(json_pack("{s:[{s:s, s:s}]}", "Records", "eventSource", "aws:sqs",
                                      "messageId", "has\nnewline"));
    tev_refused(nobody, "Records[0]: an SQS message needs a messageId of 1 to 128 printable");
    free(nobody);
    tev_refused("{\"Records\":[],\"Records\":[]}", "ev:1:");
    tev_refused("\"Records\"", "ev: expected a JSON object, not a JSON string");
}

Test(event, sqs_body_shapes_refused_per_message)
{
    /* an SQS event inside an SQS body is not followed: one envelope only */
    char *inner = tev_records(tev_sqs_msg("in", "{}"), NULL);
    char *ev = tev_records(tev_sqs_msg("a", inner), tev_sqs_msg("b", "{\"x\":1}"),
                           tev_sqs_msg("c", "[1]"), NULL);
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(in.n, 0);
    cr_assert_eq(sum.n_bad, 3);
    cr_expect_str_eq(sum.bad[0].message_id, "a");
    cr_expect(strstr(sum.bad[0].reason, "Records[0].body.Records[0]: not an S3 record: no "
                                        "eventSource \"aws:s3\"") != NULL, "%s", sum.bad[0].reason);
    cr_expect_str_eq(sum.bad[1].message_id, "b");
    cr_expect(strstr(sum.bad[1].reason, "Records[1].body: expected an S3 notification") != NULL,
              "%s", sum.bad[1].reason);
    cr_expect_str_eq(sum.bad[2].message_id, "c");
    cr_expect(strstr(sum.bad[2].reason, "Records[2].body: expected a JSON object") != NULL,
              "%s", sum.bad[2].reason);
    cr_expect_not(sum.test_event);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(ev);
    free(inner);
}

Test(event, awkward_keys_through_s3_and_sqs)
{
    char *s3 = tev_records(tev_rec("ObjectCreated:Put", "src", TEV_AWKWARD, "1"), NULL);
    char *sqs = tev_records(tev_sqs_msg("m", s3), NULL);
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(s3, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(tev_parse(sqs, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 2);
    for (size_t i = 0; i < 2; i++) {
        cr_expect_str_eq(in.items[i].key, TEV_AWKWARD_DECODED);
        cr_expect_eq(strlen(in.items[i].key), strlen(TEV_AWKWARD_DECODED));
    }
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(sqs);
    free(s3);
}

Test(event, untrusted_sizes_and_values_are_bounded)
{
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };
    char *long_key = malloc(1026);
    memset(long_key, 'k', 1025);
    long_key[1025] = '\0';

    /* decoded key of 1025 bytes, raw and escaped */
    char *ev = tev_records(tev_rec("ObjectCreated:Put", "b", long_key, NULL), NULL);
    tev_refused(ev, "ev: Records[0]: the key has 1025 bytes, expected 1 to 1024");
    free(ev);
    ev = tev_bridge("Object Created", "b", long_key, NULL);
    tev_refused(ev, "ev: the key has 1025 bytes");
    free(ev);
    long_key[1024] = '\0';
    ev = tev_records(tev_rec("ObjectCreated:Put", "b", long_key, NULL), NULL);
    cr_expect_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    free(ev);

    ev = tev_records(tev_rec("ObjectCreated:Put", "b", "bad%FFutf8", NULL), NULL);
    tev_refused(ev, "ev: Records[0]: the key is not UTF-8");
    free(ev);
    ev = tev_records(tev_rec("ObjectCreated:Put", "b/../c", "k", NULL), NULL);
    tev_refused(ev, "ev: Records[0]: 'b/../c' is not an S3 bucket name");
    free(ev);
    char seq[66];
    memset(seq, 'A', 65);
    seq[65] = '\0';
    ev = tev_records(tev_rec("ObjectCreated:Put", "b", "k", seq), NULL);
    tev_refused(ev, "ev: Records[0]: s3.object.sequencer: expected at most 64 printable");
    free(ev);
    ev = tev_records(tev_rec("ObjectCreated:Put", "b", "k", "12\n34"), NULL);
    tev_refused(ev, "ev: Records[0]: s3.object.sequencer: expected at most 64 printable");
    free(ev);
    ev = tev_records(tev_rec("ObjectCreated:Put", "b", "k%zz", NULL), NULL);
    tev_refused(ev, "ev: Records[0]: s3.object.key: 'k%zz': bad escape");
    free(ev);

    /* a body over 1 MiB is one bad message, not a failed batch */
    size_t big = PIX_EVENT_MAX_BODY + 1;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    ev = tev_records(tev_sqs_msg("big", body), NULL);
    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(sum.n_bad, 1);
    cr_expect(strstr(sum.bad[0].reason, "Records[0].body: 1048577 bytes, more than the "
                                        "1048576 allowed") != NULL, "%s", sum.bad[0].reason);
    pix_event_summary_free(&sum);
    free(ev);
    free(body);

    /* a whole event over the bound is refused before parsing */
    cr_expect_eq(pix_event_parse("huge", "{}", PIX_EVENT_MAX_BYTES + 1ul, false, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "huge: 8388609 bytes, more than") != NULL, "%s", err.msg);
    /* a NULL err is allowed */
    cr_expect_eq(pix_event_parse("x", "{}", 2, false, &in, &sum, NULL), -1);
    cr_expect_eq(in.n, 1);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(long_key);
}

/* S3 Batch Operations, schema 1.0: bucket from the ARN, the key
 * URL-decoded (without '+' as a space); a task that cannot be used is
 * listed bad by its taskId and the others go on. */
Test(event, batch_operations_1_0)
{
    const char *ev =
        "{\"invocationSchemaVersion\":\"1.0\",\"invocationId\":\"inv-1\",\"job\":{\"id\":\"j\"},"
        "\"tasks\":[{\"taskId\":\"t1\",\"s3Key\":\"a%20b/c%2Bd+e.jpg\",\"s3VersionId\":\"1\","
        "\"s3BucketArn\":\"arn:aws:s3:::src\"},"
        "{\"taskId\":\"t2\",\"s3Key\":\"bad%zz.jpg\",\"s3BucketArn\":\"arn:aws:s3:::src\"},"
        "{\"taskId\":\"t3\",\"s3Key\":\"x.png\"}]}";
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(sum.kind, PIX_EVENT_BATCH);
    cr_expect_str_eq(sum.batch_schema, "1.0");
    cr_expect_str_eq(sum.batch_invocation, "inv-1");
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "src");
    cr_expect_str_eq(in.items[0].key, "a b/c+d+e.jpg");
    cr_expect_str_eq(in.items[0].message_id, "t1");
    cr_assert_eq(sum.n_bad, 2);
    cr_expect_str_eq(sum.bad[0].message_id, "t2");
    cr_expect(strstr(sum.bad[0].reason, "tasks[1]: s3Key") != NULL, "%s", sum.bad[0].reason);
    cr_expect_str_eq(sum.bad[1].message_id, "t3");
    cr_expect(strstr(sum.bad[1].reason, "s3Bucket or s3BucketArn") != NULL, "%s",
              sum.bad[1].reason);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
}

/* Schema 2.0: s3Bucket, and the key as stored (a '%' stays one). */
Test(event, batch_operations_2_0)
{
    const char *ev =
        "{\"invocationSchemaVersion\":\"2.0\",\"invocationId\":\"inv-2\","
        "\"job\":{\"id\":\"j\",\"userArguments\":{\"k\":\"v\"}},"
        "\"tasks\":[{\"taskId\":\"t1\",\"s3Bucket\":\"src\",\"s3Key\":\"100%25 a+b.jpg\","
        "\"s3VersionId\":null}]}";
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].key, "100%25 a+b.jpg");
    cr_expect_str_eq(sum.batch_schema, "2.0");
    pix_event_summary_free(&sum);
    cr_expect_eq(tev_parse("{\"invocationSchemaVersion\":\"3.0\",\"invocationId\":\"i\","
                           "\"tasks\":[]}", &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "invocationSchemaVersion: expected \"1.0\" or \"2.0\", got \"3.0\"")
              != NULL, "%s", err.msg);
    pix_inputs_free(&in);
}

/* Deletions become inputs marked removed only when asked for (on_delete:
 * remove), from S3 notifications and EventBridge alike. */
Test(event, removals_taken_when_asked)
{
    char *ev = tev_records(tev_rec("ObjectRemoved:Delete", "src", "gone%20now.jpg", "0D"),
                           tev_rec("ObjectCreated:Put", "src", "new.jpg", "0E"), NULL);
    const char *eb = "{\"version\":\"0\",\"source\":\"aws.s3\",\"detail-type\":\"Object Deleted\","
                     "\"detail\":{\"bucket\":{\"name\":\"src\"},\"object\":{\"key\":\"a b.jpg\","
                     "\"sequencer\":\"0F\"}}}";
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    cr_assert_eq(tev_parse(ev, &in, &sum, &err), 0, "%s", err.msg);
    cr_expect_eq(in.n, 1);
    cr_expect_eq(sum.ignored, 1);
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);

    cr_assert_eq(pix_event_parse("ev", ev, strlen(ev), true, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 2);
    cr_expect(in.items[0].removed);
    cr_expect_str_eq(in.items[0].key, "gone now.jpg");
    cr_expect_str_eq(in.items[0].sequencer, "0D");
    cr_expect(!in.items[1].removed);
    cr_expect_eq(sum.removed, 1);
    cr_expect_eq(sum.created, 1);
    pix_event_summary_free(&sum);
    cr_assert_eq(pix_event_parse("eb", eb, strlen(eb), true, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 3);
    cr_expect(in.items[2].removed);
    cr_expect_str_eq(in.items[2].key, "a b.jpg");
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);
    free(ev);
}

/* Sequencers compare as hex numbers of any length. */
Test(event, sequencers_compare_as_numbers)
{
    cr_expect_lt(pix_sequencer_cmp("FF", "0100"), 0);
    cr_expect_gt(pix_sequencer_cmp("0100", "FF"), 0);
    cr_expect_eq(pix_sequencer_cmp("00000ABC", "abc"), 0);
    cr_expect_lt(pix_sequencer_cmp("0062E99A88DC407460", "0062E99A88DC407461"), 0);
    cr_expect_lt(pix_sequencer_cmp("", "01"), 0);
}
