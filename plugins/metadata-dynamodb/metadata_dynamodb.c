/*
 * metadata-dynamodb: stores one item per source object in a DynamoDB table,
 * the cloud twin of metadata-sqlite.  Each job's record (as laid out by
 * metadata-sink) becomes one PutItem, its values in native DynamoDB types:
 * strings S, integers and reals N, booleans BOOL, objects M, lists L, nulls
 * NULL.  get() reads an item back (GetItem, strongly consistent) as the
 * plain JSON it was written from; remove() replaces it with a tombstone.
 * Every request goes through the host's signed, retrying AWS service
 * (pixpipe/aws.h); this plugin never opens a connection itself.
 *
 * Key schema: partition key source_bucket (S), sort key source_key (S), the
 * two top-level keys every record carries (a record without them, from a
 * pipeline with no metadata-sink, falls back to the job's source).  Create
 * the table with:
 *
 *   aws dynamodb create-table --table-name images \
 *     --attribute-definitions AttributeName=source_bucket,AttributeType=S \
 *                             AttributeName=source_key,AttributeType=S \
 *     --key-schema AttributeName=source_bucket,KeyType=HASH \
 *                  AttributeName=source_key,KeyType=RANGE \
 *     --billing-mode PAY_PER_REQUEST
 *   aws dynamodb update-time-to-live --table-name images \
 *     --time-to-live-specification Enabled=true,AttributeName=expires_at
 *
 * The item's other attributes are the record's top-level keys (status,
 * format, width, renditions, exif, ...) plus "sequencer".
 *
 * Ordering.  S3 may deliver the events of one object out of order, and
 * again.  When the job comes from an S3 event, its sequencer is stored as
 * "sequencer", left-padded with zeros to 32 upper-case hex digits (S3's
 * sequencers vary in length and compare as numbers; DynamoDB compares
 * strings byte by byte, so equal widths make the two orders agree), and the
 * put is conditional:
 *
 *   attribute_not_exists(source_key) OR attribute_not_exists(sequencer)
 *     OR sequencer <= :seq
 *
 * An older event then fails the condition (ConditionalCheckFailedException),
 * which is a success here: the newer record stays, and a debug line says so.
 * A replay of the same event passes the condition and writes the same
 * record again.  An item written without a sequencer (a local run) carries
 * no order and is overwritten by any event.  A job without a sequencer
 * (local files, s3:// inputs) writes unconditionally.
 *
 * Tombstones.  remove() does not delete the item: it puts in its place
 *
 *   { source_bucket, source_key, deleted: true, sequencer (padded, when the
 *     delete has one), deleted_at: "UTC ISO-8601 with ms",
 *     expires_at: epoch seconds, now + 30 days }
 *
 * with the same condition as put() when the delete has a sequencer, and
 * ReturnValues ALL_OLD to hand back the item it replaced in the same
 * request (dynalite, the test server, supports it too).  A deleted item
 * would let an older ObjectCreated that S3 delivers after the
 * ObjectRemoved write its record again; the tombstone's sequencer makes
 * that put fail its condition instead.  A delete older than the item
 * (the condition fails) changes nothing and returns 1.  A tombstone is
 * written even where there was no item, for the same reason.  Enable
 * DynamoDB's time to live on expires_at (the second command above) so that
 * tombstones are removed after 30 days instead of piling up: by then no
 * event of the deleted object is still on its way.  get() returns a
 * tombstone like any item (its "deleted" tells it apart); its sequencer
 * comes back padded, as stored.
 *
 * Options:
 *   table     (string, required)  the table's name.
 *   region    (string)  signing region; else AWS_REGION / AWS_DEFAULT_REGION,
 *             else us-east-1.
 *   endpoint  (string)  endpoint URL; else AWS_ENDPOINT_URL_DYNAMODB /
 *             AWS_ENDPOINT_URL, else https://dynamodb.REGION.amazonaws.com.
 *
 * Errors: an AWS answer other than 200 fails the job with the host's one-line
 * message ("PutItem table NAME: HTTP 400 ResourceNotFoundException: ..."),
 * and so does an item get() cannot read back;
 * throttling, 5xx and connection errors are retried by the host first.
 * The config and the state are read-only after create(), so jobs put, get
 * and remove concurrently.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <pixpipe/aws.h>

/* Width of a stored sequencer: S3's are 18 to 20 hex digits today. */
#define DDB_SEQ_WIDTH 32

typedef struct ddb_config {
    char *table;
    char *region;
    char *endpoint;
} ddb_config;

static const pix_option ddb_options[] = {
    { .name = "table", .type = PIX_OPT_STRING, .flags = PIX_OPT_REQUIRED,
      .offset = offsetof(ddb_config, table), .min = 3, .max = 255,
      .doc = "DynamoDB table keyed by source_bucket (partition) and source_key (sort), "
             "both strings." },
    { .name = "region", .type = PIX_OPT_STRING, .offset = offsetof(ddb_config, region),
      .min = 1, .max = 63,
      .doc = "AWS region of the table; default AWS_REGION, AWS_DEFAULT_REGION, else "
             "us-east-1." },
    { .name = "endpoint", .type = PIX_OPT_STRING, .offset = offsetof(ddb_config, endpoint),
      .min = 1, .max = 500,
      .doc = "Endpoint URL such as http://127.0.0.1:8000; default AWS_ENDPOINT_URL_DYNAMODB, "
             "AWS_ENDPOINT_URL, else the region's AWS endpoint." },
    { .name = NULL },
};

/* DynamoDB's own rule for table names: 3 to 255 of [A-Za-z0-9_.-]. */
static bool ddb_table_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 3 || n > 255)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
            return false;
    return true;
}

/* Where the items go: the AWS service, the endpoint and the region, from
 * ctx->config and the environment.  check() resolves it to refuse a bad
 * endpoint before anything starts, create() to keep it as the state.
 * Returns 0, or the -1 of host->error(). */
static int ddb_resolve(const pix_ctx *ctx, pix_aws_target *at)
{
    const ddb_config *cfg = ctx->config;
    return pix_aws_target_resolve(ctx, "dynamodb", cfg->endpoint, cfg->region, "endpoint", at);
}

static int ddb_check(const pix_ctx *ctx)
{
    const ddb_config *cfg = ctx->config;
    pix_aws_target at;

    if (!ddb_table_name_ok(cfg->table))
        return ctx->host->error(ctx, "table: '%s' is not a DynamoDB table name (3 to 255 of "
                                "A-Z a-z 0-9 _ . -)", cfg->table ? cfg->table : "");
    return ddb_resolve(ctx, &at);
}

/* *state, a pix_aws_target, is ours until destroy(). */
static int ddb_create(const pix_ctx *ctx, void **state)
{
    const ddb_config *cfg = ctx->config;
    pix_aws_target at;

    if (ddb_resolve(ctx, &at) != 0)
        return -1;
    ctx->host->log(ctx, PIX_LOG_DEBUG, "table %s at %s (%s)", cfg->table, at.endpoint,
                   at.region);
    if (!(*state = malloc(sizeof at)))
        return ctx->host->error(ctx, "out of memory");
    memcpy(*state, &at, sizeof at);
    return 0;
}

static void ddb_destroy(const pix_ctx *ctx)
{
    free(ctx->state);
}

/* ------------------------------------------------------ record -> item */

/* One DynamoDB attribute value {"T": v}; steals v.  NULL when out of memory. */
static json_t *ddb_av(const char *type, json_t *v)
{
    json_t *av = json_object();
    if (!av || !v || json_object_set_new(av, type, v) != 0) {
        json_decref(av);
        json_decref(v);
        return NULL;
    }
    return av;
}

/* A double as the shortest decimal that reads back to the same value.
 * DynamoDB numbers hold 38 digits between 1E-130 and 1E+126; a value
 * outside that range (none the sink writes) is kept as a string instead of
 * failing the whole put. */
static json_t *ddb_real(double v)
{
    char buf[40];
    double a = fabs(v);

    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    if (!isfinite(v) || a >= 1e126 || (a != 0 && a < 1e-130))
        return ddb_av("S", json_string(buf));
    return ddb_av("N", json_string(buf));
}

static json_t *ddb_value(const json_t *v);

/* An object's members as a map of attribute values (the item itself is one). */
static json_t *ddb_members(const json_t *obj)
{
    json_t *m = json_object();
    const char *k;
    json_t *v;

    if (!m)
        return NULL;
    json_object_foreach((json_t *)obj, k, v) {
        if (json_object_set_new(m, k, ddb_value(v)) != 0) {
            json_decref(m);
            return NULL;
        }
    }
    return m;
}

static json_t *ddb_list(const json_t *arr)
{
    json_t *l = json_array();
    size_t i;
    json_t *v;

    if (!l)
        return NULL;
    json_array_foreach(arr, i, v) {
        if (json_array_append_new(l, ddb_value(v)) != 0) {
            json_decref(l);
            return NULL;
        }
    }
    return ddb_av("L", l);
}

/* A JSON value as a DynamoDB attribute value.  NULL when out of memory. */
static json_t *ddb_value(const json_t *v)
{
    char buf[32];

    switch (json_typeof(v)) {
    case JSON_STRING:
        return ddb_av("S", json_stringn(json_string_value(v), json_string_length(v)));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return ddb_av("N", json_string(buf));
    case JSON_REAL:
        return ddb_real(json_real_value(v));
    case JSON_TRUE:
    case JSON_FALSE:
        return ddb_av("BOOL", json_boolean(json_is_true(v)));
    case JSON_OBJECT:
        return ddb_av("M", ddb_members(v));
    case JSON_ARRAY:
        return ddb_list(v);
    case JSON_NULL:
    default:
        return ddb_av("NULL", json_true());
    }
}

/* Sets a key attribute from the record, else from the job's source.
 * DynamoDB refuses empty key strings, so they fail here, clearly. */
static int ddb_key(const pix_ctx *ctx, pix_job *job, json_t *item, const char *name,
                   const char *fallback)
{
    const ddb_config *cfg = ctx->config;
    json_t *av = json_object_get(item, name);
    json_t *s = av ? json_object_get(av, "S") : NULL;
    const char *v = s ? json_string_value(s) : fallback;

    if (!v || !*v) {
        return ctx->host->job_error(job, "table %s: the record's %s is empty; a DynamoDB key "
                                    "must not be", cfg->table, name);
    }
    if (!s && json_object_set_new(item, name, ddb_av("S", json_string(v))) != 0)
        return ctx->host->job_error(job, "table %s: out of memory", cfg->table);
    return 0;
}

/* The item for rec: its attributes, the key attributes ensured, and the
 * padded sequencer in seq ("" without one).  NULL after host->job_error(). */
static json_t *ddb_item(const pix_ctx *ctx, pix_job *job, const pix_record *rec,
                        char seq[DDB_SEQ_WIDTH + 1])
{
    const ddb_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    const char *raw = src && src->sequencer ? src->sequencer : "";
    char *text = host->rec_to_json(rec);
    json_t *parsed = text ? json_loads(text, 0, NULL) : NULL;
    json_t *item = json_is_object(parsed) ? ddb_members(parsed) : NULL;

    free(text);
    json_decref(parsed);
    seq[0] = '\0';
    if (!item) {
        host->job_error(job, "table %s: cannot convert the record to a DynamoDB item",
                        cfg->table);
        return NULL;
    }
    if (ddb_key(ctx, job, item, "source_bucket", src ? src->bucket : NULL) != 0 ||
        ddb_key(ctx, job, item, "source_key", src ? src->key : NULL) != 0)
        goto fail;
    if (*raw && ctx->host->sequencer_pad(raw, seq, DDB_SEQ_WIDTH) != 0) {
        host->job_error(job, "table %s: the S3 event sequencer '%s' is not a hex number of at "
                             "most %d digits", cfg->table, raw, DDB_SEQ_WIDTH);
        goto fail;
    }
    if (*seq && json_object_set_new(item, "sequencer", ddb_av("S", json_string(seq))) != 0) {
        host->job_error(job, "table %s: out of memory", cfg->table);
        goto fail;
    }
    return item;
fail:
    json_decref(item);
    return NULL;
}

/* Adds the ordering condition on seq (padded) to a PutItem body: the item
 * is written only where there is none, or it has no sequencer, or its
 * sequencer is not newer than seq.  put() and remove() share it, so that a
 * tombstone and a record are ordered the same way.  Returns 0, or -1 when
 * out of memory. */
static int ddb_add_condition(json_t *body, const char *seq)
{
    if (json_object_set_new(body, "ConditionExpression",
                            json_string("attribute_not_exists(#k) OR attribute_not_exists(#s) "
                                        "OR #s <= :seq")) != 0 ||
        json_object_set_new(body, "ExpressionAttributeNames",
                            json_pack("{s:s, s:s}", "#k", "source_key", "#s", "sequencer")) != 0 ||
        json_object_set_new(body, "ExpressionAttributeValues",
                            json_pack("{s:{s:s}}", ":seq", "S", seq)) != 0)
        return -1;
    return 0;
}

/* The PutItem request body: TableName, Item and, with a sequencer (written
 * padded into seq, "" without one), the ordering condition (all or
 * nothing: without it the put would overwrite newer records).  NULL after
 * host->job_error(). */
static json_t *ddb_request_body(const pix_ctx *ctx, pix_job *job, const pix_record *rec,
                                char seq[DDB_SEQ_WIDTH + 1])
{
    const ddb_config *cfg = ctx->config;
    json_t *item = ddb_item(ctx, job, rec, seq);
    json_t *body = item ? json_pack("{s:s, s:O}", "TableName", cfg->table, "Item", item) : NULL;

    if (!item)
        return NULL;
    json_decref(item); /* body holds it */
    if (body && *seq && ddb_add_condition(body, seq) != 0) {
        json_decref(body);
        body = NULL;
    }
    if (!body)
        ctx->host->job_error(job, "table %s: out of memory", cfg->table);
    return body;
}

/* The key attributes of get() and remove(), given by the host: DynamoDB
 * refuses empty key strings, so they fail here, clearly.  Returns 0, or -1
 * after host->job_error(). */
static int ddb_key_ok(const pix_ctx *ctx, pix_job *job, const char *name, const char *v)
{
    const ddb_config *cfg = ctx->config;

    if (!v || !*v)
        return ctx->host->job_error(job, "table %s: the %s is empty; a DynamoDB key must not be",
                                    cfg->table, name);
    return 0;
}

/* Writes the current UTC time as ISO-8601 with milliseconds
 * ("2024-05-01T12:00:00.123Z", the form of metadata-sqlite's updated_at)
 * into out; returns it in epoch seconds. */
static time_t ddb_now(char out[32])
{
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", (long)(ts.tv_nsec / 1000000));
    return ts.tv_sec;
}

/* ------------------------------------------------------ item -> record */

static json_t *ddb_plain(const json_t *av, const char **bad);

/* A DynamoDB number (a decimal string) as JSON: an integer when it is
 * written as one and fits in 64 bits, else a real.  Records hold int64 and
 * double only; DynamoDB keeps no type beyond "number", so a real with no
 * fraction (2.0, written "2") comes back as an integer.  NULL when s is
 * not a number. */
static json_t *ddb_number(const char *s)
{
    char *end = NULL;

    if (!s || !*s)
        return NULL;
    if (!strpbrk(s, ".eE")) {
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno == 0 && *end == '\0')
            return json_integer((json_int_t)v);
        /* more digits than an int64 holds: read it as a real below */
    }
    double d = strtod(s, &end);
    if (end == s || *end != '\0')
        return NULL;
    return json_real(d);
}

/* A map's members (the item itself is one) as a JSON object.  NULL as
 * ddb_plain() says. */
static json_t *ddb_plain_members(const json_t *map, const char **bad)
{
    json_t *obj = json_object();
    const char *k;
    json_t *v;

    if (!obj)
        return NULL;
    json_object_foreach((json_t *)map, k, v) {
        if (json_object_set_new(obj, k, ddb_plain(v, bad)) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

static json_t *ddb_plain_list(const json_t *arr, const char **bad)
{
    json_t *l = json_array();
    size_t i;
    json_t *v;

    if (!l)
        return NULL;
    json_array_foreach(arr, i, v) {
        if (json_array_append_new(l, ddb_plain(v, bad)) != 0) {
            json_decref(l);
            return NULL;
        }
    }
    return l;
}

/* An attribute value {"T": v} as the JSON value it was written from: the
 * inverse of ddb_value().  NULL when out of memory (*bad untouched), or
 * when av is not of a type this plugin writes (S, N, BOOL, NULL, M, L) or
 * is malformed: *bad then names its type, borrowed from av. */
static json_t *ddb_plain(const json_t *av, const char **bad)
{
    void *it = json_is_object(av) && json_object_size(av) == 1
                   ? json_object_iter((json_t *)av) : NULL;
    const char *type = it ? json_object_iter_key(it) : NULL;
    const json_t *v = it ? json_object_iter_value(it) : NULL;
    json_t *out = NULL;

    if (!type) {
        *bad = "(not an attribute value)";
        return NULL;
    }
    if (strcmp(type, "S") == 0 && json_is_string(v))
        return json_stringn(json_string_value(v), json_string_length(v));
    if (strcmp(type, "N") == 0 && json_is_string(v) && (out = ddb_number(json_string_value(v))))
        return out;
    if (strcmp(type, "BOOL") == 0 && json_is_boolean(v))
        return json_boolean(json_is_true(v));
    if (strcmp(type, "NULL") == 0)
        return json_null();
    if (strcmp(type, "M") == 0 && json_is_object(v))
        return ddb_plain_members(v, bad);
    if (strcmp(type, "L") == 0 && json_is_array(v))
        return ddb_plain_list(v, bad);
    *bad = type;
    return NULL;
}

/* The member `name` ("Item", "Attributes") of the 200 answer to op, an
 * item, as the JSON text of the plain record into *json (malloc()ed; NULL
 * when the answer has no such member: there was no item).  Returns 0, or
 * -1 after host->job_error(). */
static int ddb_answer_item(const pix_ctx *ctx, pix_job *job, const pix_aws_response *resp,
                           const char *op, const char *name, const char *bucket,
                           const char *key, char **json)
{
    const ddb_config *cfg = ctx->config;
    const char *bad = NULL;
    json_t *ans = json_loadb((const char *)resp->body, resp->body_len, 0, NULL);
    json_t *item = json_object_get(ans, name);
    json_t *plain = NULL;
    int rc = -1;

    *json = NULL;
    if (!json_is_object(ans)) {
        ctx->host->job_error(job, "table %s: %s/%s: the %s answer is not a JSON object",
                             cfg->table, bucket, key, op);
        goto out;
    }
    if (!item) {
        rc = 0;
        goto out;
    }
    if (!json_is_object(item))
        bad = "(not a map)";
    else
        plain = ddb_plain_members(item, &bad);
    if (!plain || !(*json = json_dumps(plain, JSON_COMPACT))) {
        if (bad)
            ctx->host->job_error(job, "table %s: cannot read the item of %s/%s back: it holds an "
                                 "attribute value of type %s, which no record is written as",
                                 cfg->table, bucket, key, bad);
        else
            ctx->host->job_error(job, "table %s: out of memory", cfg->table);
        goto out;
    }
    rc = 0;
out:
    json_decref(plain);
    json_decref(ans);
    return rc;
}

/* ------------------------------------------------------------ requests */

/* True when a DynamoDB error answer is ConditionalCheckFailedException
 * ("__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"). */
static bool ddb_condition_failed(const pix_aws_response *resp)
{
    json_t *err = resp->status == 400 && resp->body
                      ? json_loadb((const char *)resp->body, resp->body_len, 0, NULL)
                      : NULL;
    const char *type = json_string_value(json_object_get(err, "__type"));
    const char *hash = type ? strrchr(type, '#') : NULL;
    bool yes = type && strcmp(hash ? hash + 1 : type, "ConditionalCheckFailedException") == 0;

    json_decref(err);
    return yes;
}

/* Sends body (borrowed) as DynamoDB operation op ("PutItem") on the table.
 * Returns 0 with the 200 answer in *resp; 1 when the request is
 * conditional and its condition failed (ConditionalCheckFailedException);
 * or -1 after host->job_error() (the host's one line for an AWS error).
 * The caller releases *resp with response_free() whatever the result. */
static int ddb_send(const pix_ctx *ctx, pix_job *job, const char *op, const json_t *body,
                    bool conditional, pix_aws_response *resp)
{
    const ddb_config *cfg = ctx->config;
    const pix_aws_target *at = ctx->state;
    char *payload = json_dumps(body, JSON_COMPACT);
    char target[64];
    char resource[300]; /* "table NAME", for errors */
    int rc;

    if (!payload)
        return ctx->host->job_error(job, "table %s: out of memory", cfg->table);
    snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
    snprintf(resource, sizeof resource, "table %s", cfg->table);
    const pix_http_header headers[] = {
        { "Content-Type", "application/x-amz-json-1.0" },
        { "X-Amz-Target", target },
    };
    const pix_aws_request req = {
        .service = "dynamodb", .region = at->region, .endpoint = at->endpoint,
        .method = "POST", .path = "/", .headers = headers,
        .n_headers = sizeof headers / sizeof headers[0], .body = payload,
        .body_len = strlen(payload), .operation = op, .resource = resource,
    };
    if (at->aws->request(job, &req, resp) != 0)
        rc = -1;
    else if (resp->status == 200)
        rc = 0;
    else if (conditional && ddb_condition_failed(resp))
        rc = 1;
    else
        rc = at->aws->fail(job, &req, resp, NULL, 0);
    free(payload);
    return rc;
}

/* ------------------------------------------------- put, get and remove */

/* PutItem of rec (borrowed), conditional on the sequencer when the job has
 * one. */
static int ddb_put(const pix_ctx *ctx, pix_job *job, const pix_record *rec)
{
    const ddb_config *cfg = ctx->config;
    const pix_aws_target *at = ctx->state;
    const pix_source *src = ctx->host->job_source(job);
    char seq[DDB_SEQ_WIDTH + 1];
    json_t *body = ddb_request_body(ctx, job, rec, seq);
    pix_aws_response resp = { 0 };
    int rc = -1;

    if (!body)
        goto out;
    rc = ddb_send(ctx, job, "PutItem", body, *seq != '\0', &resp);
    if (rc == 1) {
        /* A newer event's record (or tombstone) is already there: keeping
         * it is the point. */
        ctx->host->log(ctx, PIX_LOG_DEBUG, "table %s: %s/%s: a newer record (later S3 sequencer "
                       "than %s) is kept", cfg->table, src ? src->bucket : "?",
                       src ? src->key : "?", src && src->sequencer ? src->sequencer : "?");
        rc = 0;
    }
out:
    at->aws->response_free(&resp); /* a no-op on the zeroed answer */
    json_decref(body);
    return rc;
}

/* GetItem of bucket/key, its item as plain JSON into *json (NULL: none). */
static int ddb_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                   char **json)
{
    const ddb_config *cfg = ctx->config;
    const pix_aws_target *at = ctx->state;
    pix_aws_response resp = { 0 };
    json_t *body = NULL;
    int rc = -1;

    *json = NULL;
    if (ddb_key_ok(ctx, job, "source bucket", bucket) != 0 ||
        ddb_key_ok(ctx, job, "source key", key) != 0)
        return -1;
    /* Strongly consistent: the get that follows a put or a remove (a
     * backfill's staleness check, a delete reading the renditions to
     * remove) must see it. */
    body = json_pack("{s:s, s:{s:{s:s}, s:{s:s}}, s:b}", "TableName", cfg->table, "Key",
                     "source_bucket", "S", bucket, "source_key", "S", key, "ConsistentRead", 1);
    if (!body) {
        ctx->host->job_error(job, "table %s: cannot build the GetItem request for %s/%s (out "
                             "of memory, or a name that is not UTF-8)", cfg->table, bucket, key);
        goto out;
    }
    if (ddb_send(ctx, job, "GetItem", body, false, &resp) != 0)
        goto out;
    rc = ddb_answer_item(ctx, job, &resp, "GetItem", "Item", bucket, key, json);
out:
    at->aws->response_free(&resp);
    json_decref(body);
    return rc;
}

/* How long a tombstone is kept once DynamoDB's TTL is on expires_at: far
 * longer than S3 takes to deliver an object's last event. */
#define DDB_TOMBSTONE_TTL_S (30 * 24 * 3600)

/* PutItem of the tombstone of bucket/key, conditional on sequencer when
 * there is one, the replaced item handed back by the same request
 * (ReturnValues ALL_OLD) so that no other write can come between reading
 * it and replacing it. */
static int ddb_remove(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                      const char *sequencer, char **old_json)
{
    const ddb_config *cfg = ctx->config;
    const pix_aws_target *at = ctx->state;
    const pix_host *host = ctx->host;
    const char *raw = sequencer ? sequencer : "";
    char seq[DDB_SEQ_WIDTH + 1] = "", when[32], expires[24];
    pix_aws_response resp = { 0 };
    json_t *item = NULL, *body = NULL;
    int rc = -1;

    *old_json = NULL;
    if (ddb_key_ok(ctx, job, "source bucket", bucket) != 0 ||
        ddb_key_ok(ctx, job, "source key", key) != 0)
        return -1;
    if (*raw && ctx->host->sequencer_pad(raw, seq, DDB_SEQ_WIDTH) != 0)
        return host->job_error(job, "table %s: the S3 event sequencer '%s' is not a hex number "
                               "of at most %d digits", cfg->table, raw, DDB_SEQ_WIDTH);
    time_t now = ddb_now(when);
    snprintf(expires, sizeof expires, "%lld", (long long)now + DDB_TOMBSTONE_TTL_S);
    item = json_pack("{s:{s:s}, s:{s:s}, s:{s:b}}", "source_bucket", "S", bucket, "source_key",
                     "S", key, "deleted", "BOOL", 1);
    if (!item ||
        (*seq && json_object_set_new(item, "sequencer", ddb_av("S", json_string(seq))) != 0) ||
        json_object_set_new(item, "deleted_at", ddb_av("S", json_string(when))) != 0 ||
        json_object_set_new(item, "expires_at", ddb_av("N", json_string(expires))) != 0 ||
        !(body = json_pack("{s:s, s:O, s:s}", "TableName", cfg->table, "Item", item,
                           "ReturnValues", "ALL_OLD")) ||
        (*seq && ddb_add_condition(body, seq) != 0)) {
        host->job_error(job, "table %s: cannot build the tombstone of %s/%s (out of memory, or "
                        "a name that is not UTF-8)", cfg->table, bucket, key);
        goto out;
    }
    rc = ddb_send(ctx, job, "PutItem", body, *seq != '\0', &resp);
    if (rc == 1) {
        /* The item is newer than the delete (its object was written
         * again): it stays, and so do its renditions. */
        host->log(ctx, PIX_LOG_DEBUG, "table %s: %s/%s: a newer record (later S3 sequencer than "
                  "%s) is kept; the delete changes nothing", cfg->table, bucket, key, raw);
        goto out;
    }
    if (rc == 0 &&
        ddb_answer_item(ctx, job, &resp, "PutItem", "Attributes", bucket, key, old_json) != 0)
        rc = -1;
out:
    at->aws->response_free(&resp);
    json_decref(body);
    json_decref(item);
    return rc;
}

PIX_METADATA_PLUGIN("metadata-dynamodb", "1.1.0",
                    "One item per source object in a DynamoDB table, in native types, "
                    "ordered by S3 event sequencer",
                    ddb_put, .options = ddb_options, .config_size = sizeof(ddb_config),
                    .check = ddb_check, .create = ddb_create, .destroy = ddb_destroy,
                    .get = ddb_get, .remove = ddb_remove);
