/* The metadata backends' get() and remove() (ABI 2.1), in process: the
 * plugins are loaded as the core loads them (registry, pipeline parse and
 * start, the host table) and called as the core calls them.  Each test
 * runs once against metadata-sqlite (a file in the test's folder) and once
 * against metadata-dynamodb (dynalite behind the SigV4 gate,
 * PIXPIPE_TEST_DYNAMODB; skipped when unset):
 *
 *   - get of a missing record is NULL; put then get gives the record back
 *     with its types (strings, integers, reals, booleans, null, objects,
 *     lists);
 *   - remove replaces the record by a tombstone and hands the old record
 *     back; of a missing record it writes a tombstone anyway;
 *   - with S3 sequencers: a delete replaces an older record and keeps a
 *     newer one (returning 1); a tombstone refuses an older create and
 *     yields to a newer one; sequencers of different lengths compare as
 *     numbers ("FF" < "0100"); a repeated delete is harmless. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "job.h"
#include "pipeline.h"
#include "record.h"
#include "registry.h"
#include "testutil.h"

#define MD_AWS "/usr/bin/aws"
#define MD_BUCKET "md-bucket"

/* One started pipeline whose metadata backend the test calls. */
typedef struct md_env {
    const char *backend;  /* "sqlite", "dynamodb" */
    char *dir;            /* the test's folder */
    char *plugdir;
    char *db;             /* sqlite: the database file */
    char *table;          /* dynamodb: the table */
    pix_registry *reg;
    pix_pipeline *p;
    const pix_metadata_plugin *md;
    const pix_ctx *ctx;
} md_env;

/* ------------------------------------------------------ the servers */

/* The test servers' setting `name` (PIXPIPE_TEST_<name>), else def. */
static const char *md_setting(const char *name, const char *def)
{
    char var[64];
    snprintf(var, sizeof var, "PIXPIPE_TEST_%s", name);
    const char *v = getenv(var);
    return v && *v ? v : def;
}

/* The DynamoDB gate's URL, or skip. */
static const char *md_dynamodb_server(void)
{
    const char *e = getenv("PIXPIPE_TEST_DYNAMODB");
    if (!e || !*e)
        cr_skip_test("PIXPIPE_TEST_DYNAMODB is not set (no local DynamoDB server)");
    if (access(MD_AWS, X_OK) != 0)
        cr_skip_test("no awscli at " MD_AWS);
    return e;
}

/* `aws dynamodb ARGS` against the test server (awscli, a client pixpipe
 * shares no code with); stdout into *out.  Returns the exit status. */
static int md_aws(char **out, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int md_aws(char **out, char **err, const char *fmt, ...)
{
    char *args = NULL;
    va_list ap;
    va_start(ap, fmt);
    cr_assert_geq(vasprintf(&args, fmt, ap), 0);
    va_end(ap);
    int rc = tu_runf(out, err,
                     "env -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL -u AWS_PROFILE "
                     "AWS_ACCESS_KEY_ID='%s' AWS_SECRET_ACCESS_KEY='%s' AWS_REGION='%s' "
                     "AWS_DEFAULT_REGION='%s' AWS_CONFIG_FILE=/dev/null "
                     "AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER= "
                     "AWS_EC2_METADATA_DISABLED=true "
                     "%s --endpoint-url '%s' --output json dynamodb %s",
                     md_setting("AWS_ACCESS_KEY_ID", "S3RVER"),
                     md_setting("AWS_SECRET_ACCESS_KEY", "S3RVER"),
                     md_setting("AWS_REGION", "us-east-1"), md_setting("AWS_REGION", "us-east-1"),
                     MD_AWS, md_dynamodb_server(), args);
    free(args);
    return rc;
}

/* The table with the documented key schema (dynalite makes it ACTIVE at
 * once; it lives in that server's memory for the run). */
static void md_create_table(const char *table)
{
    char *out = NULL, *err = NULL;
    int rc = md_aws(&out, &err,
                    "create-table --table-name '%s' "
                    "--attribute-definitions AttributeName=source_bucket,AttributeType=S "
                    "AttributeName=source_key,AttributeType=S "
                    "--key-schema AttributeName=source_bucket,KeyType=HASH "
                    "AttributeName=source_key,KeyType=RANGE --billing-mode PAY_PER_REQUEST",
                    table);
    cr_assert_eq(rc, 0, "create-table %s: exit %d\n%s%s", table, rc, out, err);
    free(out);
    free(err);
}

/* ------------------------------------------------------------- set-up */

/* Parses a pipeline whose metadata: section is `metadata` (YAML flow map)
 * and starts it, as the core does in each worker. */
static void md_start(md_env *e, const char *metadata)
{
    pix_err err = { { 0 } };
    e->plugdir = tu_strf("%s/plugins", tu_build());
    const char *dirs[] = { e->plugdir };
    e->reg = pix_registry_new_dirs(dirs, 1);
    cr_assert_not_null(e->reg);
    char *yaml = tu_strf("name: md-ops\n"
                         "destination: { storage: fs, root: \"%s/out\" }\n"
                         "metadata: %s\n"
                         "stages: [metadata-sink]\n", /* what writes records, as in use */
                         e->dir, metadata);
    e->p = pix_pipeline_parse("md-ops.yaml", yaml, strlen(yaml), e->reg, &err);
    cr_assert_not_null(e->p, "%s\n%s", err.msg, yaml);
    free(yaml);
    cr_assert_eq(pix_pipeline_start(e->p, &pix_host_api, &err), 0, "%s", err.msg);
    cr_assert_not_null(e->p->metadata);
    e->md = e->p->metadata->metadata;
    e->ctx = &e->p->metadata->ctx;
    cr_assert(e->md->get && e->md->remove, "metadata-%s has no get() or remove()", e->backend);
}

static void md_open_sqlite(md_env *e)
{
    e->backend = "sqlite";
    e->dir = tu_tmpdir();
    e->db = tu_strf("%s/md.db", e->dir);
    char *meta = tu_strf("{ backend: sqlite, path: \"%s\", table: images }", e->db);
    md_start(e, meta);
    free(meta);
}

static void md_open_dynamodb(md_env *e)
{
    e->backend = "dynamodb";
    const char *server = md_dynamodb_server();
    e->dir = tu_tmpdir();
    /* a table of the test's own (its folder's random name): tests running
     * side by side on one server never meet */
    e->table = tu_strf("pixpipe-ops-%s", strrchr(e->dir, '/') + 1);
    md_create_table(e->table);
    /* The host's AWS client reads its credentials from the environment,
     * in this (forked) test process. */
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    setenv("AWS_ACCESS_KEY_ID", md_setting("AWS_ACCESS_KEY_ID", "S3RVER"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", md_setting("AWS_SECRET_ACCESS_KEY", "S3RVER"), 1);
    char *meta = tu_strf("{ backend: dynamodb, table: %s, endpoint: \"%s\", region: %s }",
                         e->table, server, md_setting("AWS_REGION", "us-east-1"));
    md_start(e, meta);
    free(meta);
}

static void md_close(md_env *e)
{
    pix_pipeline_free(e->p); /* destroys the backend's state */
    pix_registry_free(e->reg);
    tu_rmrf(e->dir);
    free(e->dir);
    free(e->plugdir);
    free(e->db);
    free(e->table);
}

/* Each test body runs against both backends. */
#define MD_TEST(name)                                                          \
    static void name(md_env *e);                                               \
    Test(metadata_ops, sqlite_##name, .timeout = 60)                           \
    {                                                                          \
        md_env e = { 0 };                                                      \
        md_open_sqlite(&e);                                                    \
        name(&e);                                                              \
        md_close(&e);                                                          \
    }                                                                          \
    Test(metadata_ops, dynamodb_##name, .timeout = 120)                        \
    {                                                                          \
        md_env e = { 0 };                                                      \
        md_open_dynamodb(&e);                                                  \
        name(&e);                                                              \
        md_close(&e);                                                          \
    }                                                                          \
    static void name(md_env *e)

/* ------------------------------------------------------- the calls */

/* A job for key, from an S3 event with sequencer seq (NULL: none), set up
 * as core/runner.c's pix_run_job_new does; its errors name the backend, as
 * when the core calls it (pix_job_write_record). */
static pix_job *md_job(md_env *e, const char *key, const char *seq)
{
    pix_job *job = pix_job_new(e->p, MD_BUCKET, key);
    cr_assert_not_null(job);
    if (seq) {
        free(job->sequencer);
        job->sequencer = strdup(seq);
        cr_assert_not_null(job->sequencer);
        job->src.sequencer = job->sequencer;
    }
    job->actor = e->p->metadata;
    return job;
}

/* The record metadata-sink might write for key, with every type a record
 * holds; label says which put wrote it.  Caller frees. */
static pix_record *md_record(const char *key, const char *label)
{
    pix_record *r = pix_record_new();
    cr_assert_not_null(r);
    pix_rec_set_str(r, "source_bucket", MD_BUCKET);
    pix_rec_set_str(r, "source_key", key);
    pix_rec_set_str(r, "status", "ok");
    pix_rec_set_str(r, "label", label);
    pix_rec_set_str(r, "text", "caf\xc3\xa9 \"quoted\"\nline two");
    pix_rec_set_int(r, "width", 640);
    pix_rec_set_int(r, "negative", -42);
    /* beyond a double's 53 bits: read back as a real it would change */
    pix_rec_set_int(r, "big", INT64_C(9007199254740993));
    pix_rec_set_num(r, "ratio", 4.0 / 3.0);
    pix_rec_set_num(r, "tiny", -1.5e-7);
    pix_rec_set_num(r, "nothing", NAN); /* stored as null */
    pix_rec_set_bool(r, "alpha", false);
    pix_rec_set_bool(r, "animated", true);
    pix_record *exif = pix_rec_object(r, "exif");
    pix_rec_set_str(exif, "Make", "Canon");
    pix_rec_set_int(exif, "ISO", 200);
    pix_record *lens = pix_rec_object(exif, "lens");
    pix_rec_set_num(lens, "aperture", 2.8);
    pix_rec_set_bool(lens, "stabilised", true);
    pix_record *rend = pix_rec_append(r, "renditions");
    pix_rec_set_str(rend, "name", "main");
    pix_rec_set_int(rend, "width", 320);
    rend = pix_rec_append(r, "renditions");
    pix_rec_set_str(rend, "name", "thumb");
    pix_rec_set_num(rend, "quality", 0.75);
    pix_rec_append_str(r, "notes", "first");
    pix_rec_append_str(r, "notes", "second");
    return r;
}

/* put() of md_record(key, label) from a job with sequencer seq; asserts
 * that it succeeds (a put refused for a newer record succeeds too). */
static void md_put(md_env *e, const char *key, const char *seq, const char *label)
{
    pix_job *job = md_job(e, key, seq);
    pix_record *rec = md_record(key, label);
    int rc = e->md->put(e->ctx, job, rec);
    cr_assert_eq(rc, 0, "put %s (sequencer %s): %s", key, seq ? seq : "none",
                 job->reason ? job->reason : "no reason");
    cr_assert_eq(job->status, PIX_JOB_OK, "put %s: the job failed: %s", key, job->reason);
    pix_record_free(rec);
    pix_job_free(job);
}

/* Parses a backend's JSON answer, which must be an object. */
static json_t *md_parse(const char *what, const char *text)
{
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    cr_assert(json_is_object(j), "%s: not a JSON object (%s): %s", what, jerr.text, text);
    return j;
}

/* get() of key: the stored record, or NULL when there is none. */
static json_t *md_get(md_env *e, const char *key)
{
    pix_job *job = md_job(e, key, NULL);
    char *text = (char *)"not set"; /* get() must set it, NULL included */
    int rc = e->md->get(e->ctx, job, MD_BUCKET, key, &text);
    cr_assert_eq(rc, 0, "get %s: %s", key, job->reason ? job->reason : "no reason");
    json_t *j = text ? md_parse("get", text) : NULL;
    free(text);
    pix_job_free(job);
    return j;
}

/* remove() of key with sequencer seq (NULL: none): its result, and the
 * replaced record into *old (NULL: none; old NULL: asserted to be none). */
static int md_remove(md_env *e, const char *key, const char *seq, json_t **old)
{
    pix_job *job = md_job(e, key, NULL);
    char *text = (char *)"not set";
    int rc = e->md->remove(e->ctx, job, MD_BUCKET, key, seq, &text);
    cr_assert(rc == 0 || rc == 1, "remove %s (sequencer %s): %d: %s", key, seq ? seq : "none",
              rc, job->reason ? job->reason : "no reason");
    cr_assert_eq(job->status, PIX_JOB_OK, "remove %s: the job failed: %s", key, job->reason);
    json_t *j = text ? md_parse("remove's old record", text) : NULL;
    free(text);
    pix_job_free(job);
    if (old)
        *old = j;
    else
        cr_assert_null(j, "remove %s handed back a record it should not have", key);
    return rc;
}

static const char *md_str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    cr_assert_not_null(s, "no string %s in the record", key);
    return s;
}

/* The record of key is the tombstone of a delete with padded sequencer
 * seq (NULL: none). */
static void md_expect_tombstone(md_env *e, const char *key, const char *seq)
{
    json_t *t = md_get(e, key);
    char *dump = t ? json_dumps(t, JSON_COMPACT) : NULL;
    cr_assert_not_null(t, "no tombstone for %s", key);
    cr_expect_str_eq(md_str(t, "source_bucket"), MD_BUCKET);
    cr_expect_str_eq(md_str(t, "source_key"), key);
    cr_expect(json_is_true(json_object_get(t, "deleted")), "not deleted: %s", dump);
    if (seq)
        cr_expect_str_eq(md_str(t, "sequencer"), seq);
    else
        cr_expect_null(json_object_get(t, "sequencer"), "a sequencer without one: %s", dump);
    /* UTC ISO-8601 with ms, within a minute of now */
    const char *at = md_str(t, "deleted_at");
    struct tm tm = { 0 };
    int ms = -1;
    const char *rest = strptime(at, "%Y-%m-%dT%H:%M:%S", &tm);
    cr_assert(rest && sscanf(rest, ".%3dZ", &ms) == 1 && strlen(rest) == 5 && ms >= 0,
              "deleted_at '%s' is not YYYY-MM-DDTHH:MM:SS.mmmZ", at);
    cr_expect(llabs((long long)(timegm(&tm) - time(NULL))) < 60, "deleted_at '%s' is not now",
              at);
    cr_expect_null(json_object_get(t, "status"), "a tombstone with a status: %s", dump);
    free(dump);
    json_decref(t);
}

/* The record of key is the one put with label. */
static void md_expect_record(md_env *e, const char *key, const char *label, const char *seq)
{
    json_t *r = md_get(e, key);
    cr_assert_not_null(r, "no record for %s", key);
    cr_expect_null(json_object_get(r, "deleted"), "%s is a tombstone", key);
    cr_expect_str_eq(md_str(r, "label"), label);
    if (seq)
        cr_expect_str_eq(md_str(r, "sequencer"), seq);
    json_decref(r);
}

/* S3 sequencers as the backends store them: 32 upper-case hex digits. */
#define SEQ_0A "0000000000000000000000000000000A"
#define SEQ_0B "0000000000000000000000000000000B"
#define SEQ_0C "0000000000000000000000000000000C"
#define SEQ_FF "000000000000000000000000000000FF"
#define SEQ_100 "00000000000000000000000000000100"

/* ------------------------------------------------------------ tests */

MD_TEST(get_missing_then_put_get_round_trip)
{
    cr_expect_null(md_get(e, "never/written.jpg"));

    md_put(e, "a/b.jpg", NULL, "first");
    json_t *got = md_get(e, "a/b.jpg");
    cr_assert_not_null(got, "no record after put");
    pix_record *rec = md_record("a/b.jpg", "first");
    char *text = pix_rec_to_json(rec);
    json_t *want = md_parse("the record", text);
    char *dump = json_dumps(got, JSON_COMPACT);

    /* Field by field, for readable failures, then the whole. */
    cr_expect_str_eq(md_str(got, "source_key"), "a/b.jpg");
    cr_expect_str_eq(md_str(got, "text"), "caf\xc3\xa9 \"quoted\"\nline two");
    cr_expect(json_is_integer(json_object_get(got, "width")), "width: %s", dump);
    cr_expect_eq(json_integer_value(json_object_get(got, "width")), 640);
    cr_expect_eq(json_integer_value(json_object_get(got, "negative")), -42);
    cr_expect_eq(json_integer_value(json_object_get(got, "big")), INT64_C(9007199254740993));
    cr_expect(json_is_real(json_object_get(got, "ratio")), "ratio: %s", dump);
    /* records keep 10 significant digits (core/record.c): what put() was
     * given, not 4.0 / 3.0 */
    cr_expect_eq(json_real_value(json_object_get(got, "ratio")),
                 json_real_value(json_object_get(want, "ratio")));
    cr_expect(fabs(json_real_value(json_object_get(got, "ratio")) - 4.0 / 3.0) < 1e-9);
    cr_expect_eq(json_real_value(json_object_get(got, "tiny")), -1.5e-7);
    cr_expect(json_is_null(json_object_get(got, "nothing")), "nothing: %s", dump);
    cr_expect(json_is_false(json_object_get(got, "alpha")), "alpha: %s", dump);
    cr_expect(json_is_true(json_object_get(got, "animated")), "animated: %s", dump);
    json_t *lens = json_object_get(json_object_get(got, "exif"), "lens");
    cr_expect_eq(json_real_value(json_object_get(lens, "aperture")), 2.8);
    cr_expect(json_is_true(json_object_get(lens, "stabilised")), "lens: %s", dump);
    json_t *rends = json_object_get(got, "renditions");
    cr_expect_eq(json_array_size(rends), 2);
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(rends, 0), "width")), 320);
    cr_expect_eq(json_real_value(json_object_get(json_array_get(rends, 1), "quality")), 0.75);
    cr_expect_str_eq(json_string_value(json_array_get(json_object_get(got, "notes"), 1)),
                     "second");
    cr_expect(json_equal(got, want), "%s gave back\n%s\nfor\n%s", e->backend, dump, text);
    cr_expect_null(json_object_get(got, "sequencer"), "a sequencer without an S3 event");

    /* A second put replaces it. */
    md_put(e, "a/b.jpg", NULL, "second");
    md_expect_record(e, "a/b.jpg", "second", NULL);
    free(dump);
    free(text);
    json_decref(want);
    json_decref(got);
    pix_record_free(rec);
}

MD_TEST(remove_without_sequencer_leaves_a_tombstone)
{
    md_put(e, "x.jpg", NULL, "before-delete");
    json_t *old = NULL;
    cr_expect_eq(md_remove(e, "x.jpg", NULL, &old), 0);
    cr_assert_not_null(old, "remove handed back no old record");
    cr_expect_str_eq(md_str(old, "label"), "before-delete");
    cr_expect_eq(json_array_size(json_object_get(old, "renditions")), 2,
                 "the old record's renditions (what a delete removes) are lost");
    json_decref(old);
    md_expect_tombstone(e, "x.jpg", NULL);

    /* Nothing there: a tombstone all the same, and nothing handed back. */
    cr_expect_eq(md_remove(e, "never.jpg", "", NULL), 0);
    md_expect_tombstone(e, "never.jpg", NULL);

    /* A put without a sequencer (a local run) overwrites a tombstone. */
    md_put(e, "x.jpg", NULL, "again");
    md_expect_record(e, "x.jpg", "again", NULL);
}

MD_TEST(remove_with_sequencer_replaces_older_keeps_newer)
{
    /* record at 0A, delete at 0B: replaced */
    md_put(e, "older.jpg", "0A", "at-0A");
    md_expect_record(e, "older.jpg", "at-0A", SEQ_0A);
    json_t *old = NULL;
    cr_expect_eq(md_remove(e, "older.jpg", "0B", &old), 0);
    cr_assert_not_null(old);
    cr_expect_str_eq(md_str(old, "label"), "at-0A");
    json_decref(old);
    md_expect_tombstone(e, "older.jpg", SEQ_0B);

    /* record at 0C, delete at 0B: the delete is older, nothing changes */
    md_put(e, "newer.jpg", "0C", "at-0C");
    cr_expect_eq(md_remove(e, "newer.jpg", "0B", NULL), 1);
    md_expect_record(e, "newer.jpg", "at-0C", SEQ_0C);

    /* the same sequencer: a replay of the event that wrote it, replaced */
    md_put(e, "same.jpg", "0B", "at-0B");
    cr_expect_eq(md_remove(e, "same.jpg", "0b", &old), 0);
    cr_assert_not_null(old);
    cr_expect_str_eq(md_str(old, "label"), "at-0B");
    json_decref(old);
    md_expect_tombstone(e, "same.jpg", SEQ_0B);

    /* a record with no sequencer (a local run, an older pixpipe) carries
     * no order: any delete replaces it */
    md_put(e, "local.jpg", NULL, "local");
    cr_expect_eq(md_remove(e, "local.jpg", "01", &old), 0);
    cr_assert_not_null(old);
    cr_expect_str_eq(md_str(old, "label"), "local");
    json_decref(old);
    md_expect_tombstone(e, "local.jpg", "00000000000000000000000000000001");
}

MD_TEST(tombstone_refuses_older_create_and_yields_to_newer)
{
    cr_expect_eq(md_remove(e, "t.jpg", "0B", NULL), 0); /* before any create */
    md_expect_tombstone(e, "t.jpg", SEQ_0B);

    /* the create S3 delivered late: a success that changes nothing */
    md_put(e, "t.jpg", "0A", "at-0A");
    md_expect_tombstone(e, "t.jpg", SEQ_0B);

    /* the object written again after the delete */
    md_put(e, "t.jpg", "0C", "at-0C");
    md_expect_record(e, "t.jpg", "at-0C", SEQ_0C);
}

MD_TEST(sequencers_of_different_lengths_compare_as_numbers)
{
    /* "0100" sorts before "FF" as text; as numbers 0x100 > 0xFF. */
    md_put(e, "n1.jpg", "FF", "at-FF");
    json_t *old = NULL;
    cr_expect_eq(md_remove(e, "n1.jpg", "0100", &old), 0);
    cr_assert_not_null(old);
    cr_expect_str_eq(md_str(old, "label"), "at-FF");
    json_decref(old);
    md_expect_tombstone(e, "n1.jpg", SEQ_100);

    md_put(e, "n2.jpg", "0100", "at-0100");
    cr_expect_eq(md_remove(e, "n2.jpg", "FF", NULL), 1);
    md_expect_record(e, "n2.jpg", "at-0100", SEQ_100);

    /* the tombstone at 0100 refuses a create at FF, in lower case too */
    md_put(e, "n1.jpg", "ff", "at-ff");
    md_expect_tombstone(e, "n1.jpg", SEQ_100);
    md_put(e, "n1.jpg", "000101", "at-0101");
    md_expect_record(e, "n1.jpg", "at-0101", "00000000000000000000000000000101");
    json_t *rec = md_get(e, "n2.jpg");
    cr_expect_str_eq(md_str(rec, "sequencer"), SEQ_100);
    json_decref(rec);
    md_put(e, "n3.jpg", "00ff", "at-00ff"); /* leading zeros do not count */
    md_expect_record(e, "n3.jpg", "at-00ff", SEQ_FF);
}

MD_TEST(duplicate_remove_is_idempotent)
{
    md_put(e, "d.jpg", "0A", "at-0A");
    json_t *old = NULL;
    cr_expect_eq(md_remove(e, "d.jpg", "0B", &old), 0);
    cr_assert_not_null(old);
    cr_expect_str_eq(md_str(old, "label"), "at-0A");
    json_decref(old);

    /* S3 delivers the same event again: still a tombstone at 0B, and the
     * record handed back is the tombstone itself (no renditions to remove) */
    cr_expect_eq(md_remove(e, "d.jpg", "0B", &old), 0);
    cr_assert_not_null(old);
    cr_expect(json_is_true(json_object_get(old, "deleted")), "the second remove replaced a "
              "record that was not the tombstone");
    cr_expect_null(json_object_get(old, "renditions"));
    json_decref(old);
    md_expect_tombstone(e, "d.jpg", SEQ_0B);

    /* and twice without a sequencer */
    cr_expect_eq(md_remove(e, "u.jpg", NULL, NULL), 0);
    cr_expect_eq(md_remove(e, "u.jpg", NULL, &old), 0);
    cr_assert_not_null(old);
    cr_expect(json_is_true(json_object_get(old, "deleted")));
    json_decref(old);
    md_expect_tombstone(e, "u.jpg", NULL);
}

/* ------------------------------------------- each backend's own form */

/* The tombstone's row: status 'deleted', no image columns, updated_at the
 * record's deleted_at; the schema is the one databases already have. */
Test(metadata_ops, sqlite_tombstone_row)
{
    md_env e = { 0 };
    md_open_sqlite(&e);
    md_put(&e, "r.jpg", "0A", "at-0A");
    json_t *old = NULL;
    cr_expect_eq(md_remove(&e, "r.jpg", "0B", &old), 0);
    json_decref(old);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(e.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT status, format, width, renditions, updated_at, "
                                    "json_extract(record, '$.deleted_at'), "
                                    "json_extract(record, '$.sequencer'), pipeline "
                                    "FROM images WHERE source_bucket = ?1 AND source_key = ?2",
                                    -1, &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, MD_BUCKET, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, "r.jpg", -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 0), "deleted");
    cr_expect_eq(sqlite3_column_type(st, 1), SQLITE_NULL);
    cr_expect_eq(sqlite3_column_type(st, 2), SQLITE_NULL);
    cr_expect_eq(sqlite3_column_int64(st, 3), 0);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 4),
                     (const char *)sqlite3_column_text(st, 5));
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 6), SEQ_0B);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 7), "md-ops");
    sqlite3_finalize(st);
    sqlite3_close(db);
    md_close(&e);
}

/* The tombstone's item in native types, read with awscli: deleted BOOL,
 * expires_at an N 30 days ahead (the attribute to enable TTL on). */
Test(metadata_ops, dynamodb_tombstone_item, .timeout = 120)
{
    md_env e = { 0 };
    md_open_dynamodb(&e);
    cr_expect_eq(md_remove(&e, "r.jpg", "0B", NULL), 0);
    char *out = NULL, *err = NULL;
    int rc = md_aws(&out, &err,
                    "get-item --consistent-read --table-name '%s' --key "
                    "'{\"source_bucket\":{\"S\":\"" MD_BUCKET "\"},\"source_key\":{\"S\":\"r.jpg\"}}'",
                    e.table);
    cr_assert_eq(rc, 0, "get-item: exit %d\n%s%s", rc, out, err);
    json_t *ans = md_parse("get-item", out);
    json_t *item = json_object_get(ans, "Item");
    cr_assert_not_null(item, "no item: %s", out);
    cr_expect(json_is_true(json_object_get(json_object_get(item, "deleted"), "BOOL")), "%s", out);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(item, "sequencer"), "S")),
                     SEQ_0B);
    const char *exp = json_string_value(json_object_get(json_object_get(item, "expires_at"), "N"));
    cr_assert_not_null(exp, "expires_at is not an N: %s", out);
    long long ttl = atoll(exp) - (long long)time(NULL);
    cr_expect(ttl > 30LL * 86400 - 120 && ttl <= 30LL * 86400, "expires_at %s is not 30 days "
              "ahead", exp);
    json_decref(ans);
    free(out);
    free(err);
    md_close(&e);
}
