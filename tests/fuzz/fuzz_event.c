/* The Lambda event parser (core/event.c): S3, SQS, SNS and EventBridge
 * JSON, envelopes inside envelopes, URL-encoded keys.  Beyond "no crash, no
 * leak", checks what event.h promises: a refused event adds no input, an
 * accepted one adds exactly sum.created inputs, each with a bucket and a
 * key of 1 to PIX_EVENT_MAX_KEY bytes of UTF-8. */
#include "event.h"
#include "fuzz.h"

static void check_decode(const char *s, bool plus)
{
    pix_err err = { { 0 } };
    char *out = pix_url_decode(s, plus, &err);
    if (out) {
        FZ_CHECK(strlen(out) <= strlen(s), "decoding lengthened '%s'", s);
        free(out);
    } else {
        FZ_CHECK(err.msg[0], "pix_url_decode failed without a message");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pix_inputs in = { 0 };
    pix_event_summary sum;
    pix_err err = { { 0 } };

    int rc = pix_event_parse("fuzz.json", (const char *)data, size, false, &in, &sum, &err);
    if (rc < 0) {
        FZ_CHECK(in.n == 0, "a refused event left %zu inputs", in.n);
        FZ_CHECK(sum.n_bad == 0 && !sum.bad, "a refused event left a bad-message list");
        FZ_CHECK(strncmp(err.msg, "fuzz.json", 9) == 0, "error does not name the event: %s",
                 err.msg);
    } else {
        FZ_CHECK(rc == 0, "rc %d", rc);
        FZ_CHECK(sum.created == in.n, "created %zu but %zu inputs", sum.created, in.n);
        FZ_CHECK(sum.n_bad <= sum.messages, "%zu bad of %zu messages", sum.n_bad, sum.messages);
        FZ_CHECK(!sum.test_event || in.n == 0, "a test event with inputs");
        for (size_t i = 0; i < in.n; i++) {
            const pix_input *it = &in.items[i];
            size_t klen = strlen(it->key);
            FZ_CHECK(it->s3 && it->bucket && *it->bucket, "input %zu: no bucket", i);
            FZ_CHECK(klen >= 1 && klen <= PIX_EVENT_MAX_KEY, "input %zu: key of %zu bytes", i,
                     klen);
            FZ_CHECK(fz_utf8_ok(it->key), "input %zu: key is not UTF-8", i);
            /* An SQS messageId, or the taskId of an S3 Batch Operations task */
            FZ_CHECK(!it->message_id || sum.kind == PIX_EVENT_SQS || sum.kind == PIX_EVENT_BATCH,
                     "input %zu: a message id outside SQS and Batch Operations", i);
            FZ_CHECK(sum.kind != PIX_EVENT_BATCH || it->message_id,
                     "input %zu: a Batch Operations task without its taskId", i);
        }
        for (size_t i = 0; i < sum.n_bad; i++)
            FZ_CHECK(sum.bad[i].message_id && sum.bad[i].reason, "bad message %zu", i);
    }
    pix_event_summary_free(&sum);
    pix_inputs_free(&in);

    /* The key decoder alone, on the input as one string. */
    char *s = fz_strndup(data, size);
    check_decode(s, true);
    check_decode(s, false);
    free(s);
    return 0;
}
