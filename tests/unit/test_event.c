/* S3 event notifications and URL-decoding of their keys. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
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
    cr_assert_eq(pix_event_parse("e.json", one_record, strlen(one_record), &in, &sum, &err), 0,
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
    pix_inputs_free(&in);
}

Test(event, test_event_and_errors)
{
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };
    const char *test = "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Bucket\":\"b\"}";
    cr_expect_eq(pix_event_parse("t.json", test, strlen(test), &in, &sum, &err), 0);
    cr_expect(sum.test_event);
    cr_expect_eq(in.n, 0);

    cr_expect_eq(pix_event_parse("bad.json", "{\"Records\": [", 13, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "bad.json:1:") && strstr(err.msg, "not JSON"), "%s", err.msg);

    const char *nokey = "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
                        "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{}}}]}";
    cr_expect_eq(pix_event_parse("n.json", nokey, strlen(nokey), &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "n.json: Records[0]: not an S3 record") != NULL, "%s", err.msg);

    const char *badkey = "{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:Put\","
                         "\"s3\":{\"bucket\":{\"name\":\"b\"},\"object\":{\"key\":\"x%zz\"}}}]}";
    cr_expect_eq(pix_event_parse("k.json", badkey, strlen(badkey), &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "Records[0]: s3.object.key") && strstr(err.msg, "bad escape"),
              "%s", err.msg);

    cr_expect_eq(pix_event_parse("o.json", "[1,2]", 5, &in, &sum, &err), -1);
    cr_expect(strstr(err.msg, "expected a JSON object") != NULL, "%s", err.msg);
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
    cr_assert_eq(pix_event_parse(path, text, len, &in, &sum, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].bucket, "sourcebucket");
    cr_expect_str_eq(in.items[0].key, "Happy Face.jpg");
    pix_inputs_free(&in);
    free(text);
    free(path);
}
