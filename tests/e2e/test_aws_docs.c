/* The path docs/aws.md walks a user through, with the shipped
 * pipelines/s3-dynamodb.yaml, against the local S3 and DynamoDB behind the
 * signature-checking gates: an upload with awscli, its S3 event through
 * `pixpipe run --event`, the renditions in the destination bucket and the
 * item in DynamoDB.  Skipped when the test servers are not running. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define AD_AWS "/usr/bin/aws"

static char *ad_env(void)
{
    const char *s3 = getenv("PIXPIPE_TEST_S3"), *ddb = getenv("PIXPIPE_TEST_DYNAMODB");
    if (!s3 || !*s3 || !ddb || !*ddb)
        cr_skip_test("the test servers are not running (PIXPIPE_TEST_S3/DYNAMODB unset)");
    if (access(AD_AWS, X_OK) != 0)
        cr_skip_test("no awscli at " AD_AWS);
    return tu_strf("env -u AWS_SESSION_TOKEN -u AWS_PROFILE AWS_ACCESS_KEY_ID=S3RVER "
                   "AWS_SECRET_ACCESS_KEY=S3RVER AWS_DEFAULT_REGION=us-east-1 "
                   "AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null "
                   "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
                   "AWS_EC2_METADATA_DISABLED=true AWS_REQUEST_CHECKSUM_CALCULATION=when_required "
                   "AWS_ENDPOINT_URL_S3=%s AWS_ENDPOINT_URL_DYNAMODB=%s PIXPIPE_S3_PATH_STYLE=true",
                   s3, ddb);
}

Test(aws_docs, upload_event_renditions_and_item)
{
    char *env = ad_env();
    const char *s3 = getenv("PIXPIPE_TEST_S3"), *ddb = getenv("PIXPIPE_TEST_DYNAMODB");
    char *tmp = tu_tmpdir();
    /* names of this test's own, so parallel tests never meet */
    const char *tag = strrchr(tmp, '-') + 1;
    char *photo = tu_strf("%s/photo.jpg", tmp);
    cr_assert_eq(tu_make_scene(photo, 2400, 1800, 6, 1), 0);
    char *out = NULL, *err = NULL;

    int rc = tu_runf(&out, &err, "%s %s --endpoint-url %s s3api put-object --bucket pixpipe-src "
                     "--key 'docs-%s/my photo.jpg' --body %s --metadata uploader=ana", env, AD_AWS, s3,
                     tag, photo);
    cr_assert_eq(rc, 0, "upload: %s", err);
    free(out), free(err);
    rc = tu_runf(&out, &err, "%s %s --endpoint-url %s dynamodb create-table --table-name docs-%s "
                 "--attribute-definitions AttributeName=source_bucket,AttributeType=S "
                 "AttributeName=source_key,AttributeType=S --key-schema "
                 "AttributeName=source_bucket,KeyType=HASH AttributeName=source_key,KeyType=RANGE "
                 "--billing-mode PAY_PER_REQUEST", env, AD_AWS, ddb, tag);
    cr_assert_eq(rc, 0, "create-table: %s", err);
    free(out), free(err);

    char *event = tu_strf("%s/event.json", tmp);
    char *json = tu_strf("{\"Records\":[{\"eventSource\":\"aws:s3\",\"eventName\":\"ObjectCreated:"
                         "Put\",\"s3\":{\"bucket\":{\"name\":\"pixpipe-src\"},\"object\":{\"key\":"
                         "\"docs-%s/my+photo.jpg\",\"sequencer\":\"0062E99A88DC407460\"}}}]}", tag);
    cr_assert_eq(tu_write_file(event, json, strlen(json)), 0);
    /* a dry run plans from HeadObject: nothing downloaded, nothing written */
    rc = tu_runf(&out, &err, "cd %s && %s PIXPIPE_DEST_BUCKET=pixpipe-out PIXPIPE_TABLE=docs-%s "
                 "%s run --dry-run -p %s/pipelines/s3-dynamodb.yaml --event event.json", tmp, env,
                 tag, tu_pixpipe(), tu_src());
    cr_expect_eq(rc, 0, "%s\n%s", out, err);
    char *plan = tu_strf("plan     s3://pixpipe-src/docs-%s/my photo.jpg (jpeg, ", tag);
    cr_expect(strstr(out, plan) && strstr(out, "bytes) -> pixpipe-out/docs-"), "%s", out);
    free(plan), free(out), free(err);
    rc = tu_runf(&out, &err, "%s %s --endpoint-url %s s3api list-objects-v2 --bucket pixpipe-out "
                 "--prefix docs-%s/", env, AD_AWS, s3, tag);
    cr_expect(strstr(out, "\"Key\"") == NULL, "the dry run wrote: %s", out);
    free(out), free(err);

    rc = tu_runf(&out, &err, "cd %s && %s PIXPIPE_DEST_BUCKET=pixpipe-out PIXPIPE_TABLE=docs-%s "
                 "%s run -p %s/pipelines/s3-dynamodb.yaml --event event.json", tmp, env, tag,
                 tu_pixpipe(), tu_src());
    cr_expect_eq(rc, 0, "%s\n%s", out, err);
    cr_expect(strstr(out, "1 processed, 0 failed, 0 skipped") != NULL, "%s", out);
    free(out), free(err);

    /* the renditions, downloaded with awscli and measured with libvips */
    static const struct { const char *name; int w, h; } want[] = {
        { "large", 1600, 1200 }, /* stored sideways (orientation 6): upright */
        { "thumb", 256, 256 },
    };
    for (size_t i = 0; i < 2; i++) {
        char *local = tu_strf("%s/%s.jpg", tmp, want[i].name);
        rc = tu_runf(&out, &err, "%s %s --endpoint-url %s s3api get-object --bucket pixpipe-out "
                     "--key 'docs-%s/my photo-%s.jpg' %s", env, AD_AWS, s3, tag, want[i].name,
                     local);
        cr_expect_eq(rc, 0, "%s: %s", want[i].name, err);
        cr_expect(strstr(out, "\"ContentType\": \"image/jpeg\"") != NULL, "%s", out);
        int w = 0, h = 0;
        cr_expect_eq(tu_image_size(local, &w, &h, NULL), 0);
        cr_expect(w == want[i].w && h == want[i].h, "%s is %dx%d", want[i].name, w, h);
        free(out), free(err), free(local);
    }
    /* the item, read back with awscli */
    rc = tu_runf(&out, &err, "%s %s --endpoint-url %s --output json dynamodb get-item "
                 "--table-name docs-%s --key '{\"source_bucket\":{\"S\":\"pixpipe-src\"},"
                 "\"source_key\":{\"S\":\"docs-%s/my photo.jpg\"}}'", env, AD_AWS, ddb, tag, tag);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "\"status\": {") && strstr(out, "\"S\": \"ok\""), "%s", out);
    cr_expect(strstr(out, "\"pipeline\": {") && strstr(out, "\"S\": \"s3-dynamodb\""), "%s", out);
    cr_expect(strstr(out, "\"N\": \"2400\""), "source width missing: %s", out);
    /* the original's user metadata is kept in the record */
    cr_expect(strstr(out, "\"source_metadata\"") && strstr(out, "\"S\": \"ana\""), "%s", out);
    free(out), free(err);
    free(json), free(event), free(photo), free(env);
    tu_rmrf(tmp);
    free(tmp);
}
