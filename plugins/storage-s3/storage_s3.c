/*
 * storage-s3: objects in Amazon S3 or an S3-compatible server.
 *
 * Every request goes through the host's AWS service (pixpipe/aws.h):
 * SigV4 signing, credentials from the environment, connection reuse,
 * retries with backoff on 5xx / throttling, and error bodies turned into one
 * line.  This plugin only builds the requests and reads the answers; it links
 * no HTTP library.
 *
 * Addressing.  The endpoint and region are resolved once in create() with
 * aws->endpoint (option, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL,
 * else https://s3.REGION.amazonaws.com).  By default a request goes to
 * "SCHEME://BUCKET.HOST/KEY" (virtual-hosted style, what AWS recommends);
 * `path_style: true` sends "ENDPOINT/BUCKET/KEY" instead, which is what
 * S3-compatible servers (s3rver, MinIO, Ceph) behind a custom endpoint
 * usually need.  Virtual-hosted style needs the bucket to be a DNS label, so
 * path style is also used, whatever the option, for an endpoint whose host
 * is an IP address or "localhost", and for a bucket name that is not
 * DNS-compatible (upper case, '_', or a '.' over https, which the
 * *.s3.amazonaws.com certificate does not cover).
 *
 * Keys are URI-encoded per S3's rules: every byte outside A-Z a-z 0-9 - _ . ~
 * becomes %XX and '/' is kept, each byte encoded once, so keys with spaces,
 * '+', '%', '&', '=', unicode and nested folders reach S3 exactly as given.
 *
 * get() is a GetObject whose answer the host stops reading past the
 * pipeline's byte limit (limits.max_input_bytes).  It fills the object info
 * with the size, the ETag as S3 shows it without its surrounding quotes
 * ("d41d8cd98f00b204e9800998ecf8427e", multipart: "...-3"), the
 * Content-Type, and written_by_pixpipe when the object carries the user
 * metadata x-amz-meta-pixpipe-pipeline that put() writes on every rendition.
 *
 * put() is one PutObject (atomic on S3: readers see the old object or the
 * new one), with the payload's SHA-256 signed (the host computes it and sends
 * it as x-amz-content-sha256; never aws-chunked), the Content-Type the host
 * gives (application/octet-stream when none), Cache-Control, server-side encryption and
 * storage class from the options, and each pix_put_info meta pair as
 * x-amz-meta-NAME.  HTTP header values must be printable ASCII, so a value is
 * percent-encoded where a byte is a control byte, non-ASCII (a unicode source
 * key), '%' itself, or a space at either end; decode it with any URL
 * decoder (Python: urllib.parse.unquote) to get the exact original.
 *
 * list() is one ListObjectsV2 page (max-keys=1000) of the keys under a
 * prefix.  It asks for encoding-type=url, as AWS's own SDKs do, because XML
 * 1.0 cannot carry every byte a key may hold (a control byte is not
 * representable, and XML turns a CR into LF), and decodes the keys only
 * when the answer says <EncodingType>url</EncodingType>: servers that ignore
 * the parameter (s3rver) send the keys raw.  The answer is parsed with
 * libxml2 without network access, entity expansion or DTD loading, and one
 * with a DOCTYPE at all is refused: S3 never sends one.  Each object's ETag
 * is given exactly as get() fills pix_object_info.etag (quotes stripped), so
 * the core can compare the two.
 *
 * remove() is a DeleteObject; a missing object (204 from S3, 404 NoSuchKey
 * from some compatible servers) is success, so a remove can be retried.
 *
 * The config and the state (the AWS service, endpoint parts and region) are
 * read-only after create(), so any number of jobs may run at once.
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <pixpipe/aws.h>

enum { S3_SSE_NONE, S3_SSE_AES256, S3_SSE_KMS };

static const char *const s3_sse_choices[] = { "none", "AES256", "aws:kms", NULL };
/* "default" sends no header: the bucket's default class (STANDARD). The
 * archive classes are left out: renditions must stay readable at once. */
static const char *const s3_class_choices[] = {
    "default", "STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR",
    "REDUCED_REDUNDANCY", NULL,
};

typedef struct s3_config {
    char *region;
    char *endpoint;
    bool path_style;
    char *cache_control;
    int sse;
    char *sse_kms_key_id;
    int storage_class;
} s3_config;

/* What create() resolves from the config and the environment. */
typedef struct s3_state {
    pix_aws_target at;  /* the service, endpoint and region             */
    char scheme[16];    /* "https" or "http"                          */
    const char *hostport; /* points into endpoint, after "://"        */
    bool path_style;    /* forced: option, IP literal or localhost    */
} s3_state;

static const pix_option s3_options[] = {
    { .name = "region", .type = PIX_OPT_STRING, .offset = offsetof(s3_config, region),
      .min = 1, .max = 63,
      .doc = "AWS region to sign for; default AWS_REGION, then AWS_DEFAULT_REGION, then us-east-1." },
    { .name = "endpoint", .type = PIX_OPT_STRING, .offset = offsetof(s3_config, endpoint),
      .min = 1, .max = 400,
      .doc = "S3 endpoint URL such as http://127.0.0.1:9000; default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, then AWS's own." },
    { .name = "path_style", .type = PIX_OPT_BOOL, .offset = offsetof(s3_config, path_style),
      .def = "false",
      .doc = "Address objects as ENDPOINT/BUCKET/KEY instead of BUCKET.HOST/KEY, as most S3-compatible servers need." },
    { .name = "cache_control", .type = PIX_OPT_STRING,
      .offset = offsetof(s3_config, cache_control), .min = 1, .max = 1024,
      .doc = "Cache-Control header stored with every written object, e.g. \"public, max-age=31536000\"." },
    { .name = "sse", .type = PIX_OPT_ENUM, .offset = offsetof(s3_config, sse), .def = "none",
      .choices = s3_sse_choices,
      .doc = "Server-side encryption asked for on every written object." },
    { .name = "sse_kms_key_id", .type = PIX_OPT_STRING,
      .offset = offsetof(s3_config, sse_kms_key_id), .min = 1, .max = 2048,
      .doc = "KMS key id or ARN for sse: aws:kms; default the account's aws/s3 key." },
    { .name = "storage_class", .type = PIX_OPT_ENUM,
      .offset = offsetof(s3_config, storage_class), .def = "default",
      .choices = s3_class_choices,
      .doc = "Storage class of written objects; default leaves the bucket's default." },
    { .name = NULL },
};

/* True for a host that cannot take a bucket label in front of it: an IPv4
 * or IPv6 literal, or localhost. */
static bool s3_host_needs_path_style(const char *hostport)
{
    if (hostport[0] == '[')
        return true;
    size_t len = strcspn(hostport, ":/");
    if (len == 9 && strncasecmp(hostport, "localhost", 9) == 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if (!((hostport[i] >= '0' && hostport[i] <= '9') || hostport[i] == '.'))
            return false;
    return len > 0;
}

/* Fills st (the caller's) from ctx->config: the AWS service, the endpoint
 * split into scheme and host, the region and the addressing style.  check()
 * runs it to refuse a bad endpoint before anything starts, create() to keep
 * the result.  Returns 0, or the -1 of host->error(). */
static int s3_resolve(const pix_ctx *ctx, s3_state *st)
{
    const s3_config *cfg = ctx->config;
    if (pix_aws_target_resolve(ctx, "s3", cfg->endpoint, cfg->region, "bad S3 endpoint", &st->at) < 0)
        return -1;
    size_t n = strlen(st->at.endpoint);
    while (n > 0 && st->at.endpoint[n - 1] == '/')
        st->at.endpoint[--n] = '\0';
    const char *sep = strstr(st->at.endpoint, "://");
    if (!sep || (size_t)(sep - st->at.endpoint) >= sizeof st->scheme || !sep[3])
        return ctx->host->error(ctx, "bad S3 endpoint '%s': expected SCHEME://HOST[:PORT]",
                                st->at.endpoint);
    snprintf(st->scheme, sizeof st->scheme, "%.*s", (int)(sep - st->at.endpoint), st->at.endpoint);
    st->hostport = sep + 3;
    st->path_style = cfg->path_style || s3_host_needs_path_style(st->hostport);
    return 0;
}

static int s3_check(const pix_ctx *ctx)
{
    const s3_config *cfg = ctx->config;
    s3_state st;

    if (cfg->sse_kms_key_id && cfg->sse != S3_SSE_KMS)
        return ctx->host->error(ctx, "sse_kms_key_id is set but sse is '%s'; it only applies "
                                "with sse: aws:kms", s3_sse_choices[cfg->sse]);
    return s3_resolve(ctx, &st);
}

/* *state owns the resolved endpoint and region until destroy(). */
static int s3_create(const pix_ctx *ctx, void **state)
{
    s3_state *st = malloc(sizeof *st);

    if (!st)
        return ctx->host->error(ctx, "out of memory");
    if (s3_resolve(ctx, st) != 0) {
        free(st);
        return -1;
    }
    /* libxml2 sets up its global tables on first use; doing it here, on the
     * main thread before any job, keeps concurrent list() calls from racing
     * to do it. */
    xmlInitParser();
    ctx->host->log(ctx, PIX_LOG_DEBUG, "endpoint %s, region %s, %s style", st->at.endpoint,
                   st->at.region, st->path_style ? "path" : "virtual-hosted");
    *state = st;
    return 0;
}

static void s3_destroy(const pix_ctx *ctx)
{
    free(ctx->state);
}

/* ------------------------------------------------------------ addressing */

/* A bucket that can be the first label of a host name. */
static bool s3_bucket_dns_ok(const s3_state *st, const char *bucket)
{
    size_t len = strlen(bucket);
    if (len < 3 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = bucket[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.')
            return false;
        if (c == '.' && strcmp(st->scheme, "https") == 0)
            return false; /* the wildcard certificate covers one label */
    }
    return bucket[0] != '-' && bucket[0] != '.' && bucket[len - 1] != '-' &&
           bucket[len - 1] != '.' && !strstr(bucket, "..");
}

static bool s3_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends s URI-encoded (S3 rules; '/' kept when keep_slash) at *p. The
 * caller sized the buffer for 3 bytes per input byte. */
static char *s3_encode(char *p, const char *s, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        if (s3_unreserved(*u) || (keep_slash && *u == '/')) {
            *p++ = (char)*u;
        } else {
            *p++ = '%';
            *p++ = hex[*u >> 4];
            *p++ = hex[*u & 15];
        }
    }
    *p = '\0';
    return p;
}

/* Where one object lives: the endpoint to send to and the encoded path. */
typedef struct s3_addr {
    char *endpoint; /* malloc()ed */
    char *path;     /* malloc()ed */
    char *resource; /* "s3://bucket/key", malloc()ed, for errors */
} s3_addr;

static void s3_addr_free(s3_addr *a)
{
    free(a->endpoint);
    free(a->path);
    free(a->resource);
}

/* Addresses bucket/key into *a, or with key NULL the bucket itself (for
 * ListObjectsV2: "/bucket" path style, "/" virtual-hosted).  The caller
 * releases *a with s3_addr_free() once this returned 0.  Returns 0, or -1
 * after host->job_error(). */
static int s3_address(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                      s3_addr *a)
{
    const s3_state *st = ctx->state;
    const pix_host *host = ctx->host;

    memset(a, 0, sizeof *a);
    if (!bucket || !*bucket || strchr(bucket, '/')) {
        host->job_error(job, "no valid S3 bucket given for key '%s' (got '%s')", key ? key : "",
                        bucket ? bucket : "");
        return -1;
    }
    if (key && !*key) {
        host->job_error(job, "empty S3 key in bucket '%s'", bucket);
        return -1;
    }
    bool path_style = st->path_style || !s3_bucket_dns_ok(st, bucket);
    size_t blen = strlen(bucket), klen = key ? strlen(key) : 0;
    a->path = malloc(3 * (blen + klen) + 3);
    if (asprintf(&a->resource, "s3://%s/%s", bucket, key ? key : "") < 0)
        a->resource = NULL;
    if (path_style)
        a->endpoint = strdup(st->at.endpoint);
    else if (asprintf(&a->endpoint, "%s://%s.%s", st->scheme, bucket, st->hostport) < 0)
        a->endpoint = NULL;
    if (!a->path || !a->resource || !a->endpoint) {
        host->job_error(job, "out of memory addressing s3://%s/%s", bucket, key ? key : "");
        s3_addr_free(a);
        return -1;
    }
    char *p = a->path;
    *p++ = '/';
    *p = '\0';
    if (path_style) {
        p = s3_encode(p, bucket, false);
        if (key)
            *p++ = '/';
        *p = '\0';
    }
    if (key)
        s3_encode(p, key, true);
    return 0;
}

/* ------------------------------------------------------------------- get */

/* Copies header value src into dst, without one pair of surrounding
 * double quotes. */
static void s3_copy_unquoted(char *dst, size_t size, const char *src)
{
    size_t len = src ? strlen(src) : 0;
    if (len >= 2 && src[0] == '"' && src[len - 1] == '"') {
        src++;
        len -= 2;
    }
    snprintf(dst, size, "%.*s", (int)len, src ? src : "");
}

/* What an answer to GET or HEAD tells of the object. */
static void s3_fill_info(const pix_aws *aws, const pix_aws_response *resp, uint64_t size,
                         pix_object_info *info)
{
    memset(info, 0, sizeof *info);
    info->size = size;
    s3_copy_unquoted(info->etag, sizeof info->etag, aws->response_header(resp, "ETag"));
    const char *ct = aws->response_header(resp, "Content-Type");
    snprintf(info->content_type, sizeof info->content_type, "%s", ct ? ct : "");
    info->written_by_pixpipe = aws->response_header(resp, "x-amz-meta-pixpipe-pipeline") != NULL;
    aws->response_meta(resp, info->user_meta, sizeof info->user_meta);
}

/* Sends req to the object at a (borrowed), with the fields every request
 * shares filled in.  resp is the caller's to release with
 * aws->response_free(), also when this fails.  Returns 0 once S3 answered,
 * whatever the status, or -1 with the error recorded on job. */
static int s3_request(const s3_state *st, pix_job *job, const s3_addr *a, pix_aws_request *req,
                      pix_aws_response *resp)
{
    req->service = "s3";
    req->region = st->at.region;
    req->endpoint = a->endpoint;
    req->path = a->path;
    req->resource = a->resource;
    if (st->at.aws->request(job, req, resp) != 0)
        return -1; /* the host recorded why (no answer, or over the limit) */
    return 0;
}

/* s3_request(), failing the job unless S3 answers 200. */
static int s3_send(const s3_state *st, pix_job *job, const s3_addr *a, pix_aws_request *req,
                   pix_aws_response *resp)
{
    if (s3_request(st, job, a, req, resp) != 0)
        return -1;
    if (resp->status != 200)
        return st->at.aws->fail(job, req, resp, NULL, 0);
    return 0;
}

/* GetObject of bucket/key into out (malloc()ed; the host takes it over),
 * refused past max_bytes (0: no limit); with out NULL, a HeadObject that
 * reads no body.  Fills info (may be NULL) from the answer. */
static int s3_fetch(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                    uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    const s3_state *st = ctx->state;
    const pix_host *host = ctx->host;
    pix_aws_request req = { .method = out ? "GET" : "HEAD", .max_response_bytes = max_bytes,
                            .operation = out ? "GetObject" : "HeadObject" };
    pix_aws_response resp = { 0 };
    s3_addr a;
    int rc = -1;

    if (s3_address(ctx, job, bucket, key, &a) != 0)
        return -1;
    if (s3_send(st, job, &a, &req, &resp) != 0)
        goto out;
    uint64_t size = resp.body_len;
    if (!out) {
        const char *len = st->at.aws->response_header(&resp, "Content-Length");
        size = len ? strtoull(len, NULL, 10) : 0;
    } else if (max_bytes && resp.body_len > max_bytes) {
        host->job_error(job, "GetObject %s: is %zu bytes, over the %llu-byte limit "
                        "(limits.max_input_bytes)", a.resource, resp.body_len,
                        (unsigned long long)max_bytes);
        goto out;
    } else {
        /* The body belongs to the host's response; the job needs its own
         * copy (+1 so an empty object still gets a buffer). */
        out->data = malloc(resp.body_len + 1);
        if (!out->data) {
            host->job_error(job, "GetObject %s: out of memory for %zu bytes", a.resource,
                            resp.body_len);
            goto out;
        }
        memcpy(out->data, resp.body, resp.body_len);
        out->len = resp.body_len;
    }
    if (info)
        s3_fill_info(st->at.aws, &resp, size, info);
    rc = 0;
out:
    st->at.aws->response_free(&resp);
    s3_addr_free(&a);
    return rc;
}

static int s3_head(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                   pix_object_info *info)
{
    return s3_fetch(ctx, job, bucket, key, 0, NULL, info);
}

static int s3_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    return s3_fetch(ctx, job, bucket, key, max_bytes, out, info);
}

/* ------------------------------------------------------------------- put */

/* Header values must be printable ASCII with no edge spaces (HTTP trims
 * them), and '%' is encoded too so that decoding is exact. */
static bool s3_meta_byte_plain(const char *v, size_t i, size_t len)
{
    unsigned char c = (unsigned char)v[i];
    if (c == ' ')
        return i > 0 && i + 1 < len;
    return c > 0x20 && c < 0x7f && c != '%';
}

static char *s3_meta_value(const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(v);
    char *out = malloc(3 * len + 1), *p = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (s3_meta_byte_plain(v, i, len)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return out;
}

/* A metadata name becomes part of a header name: a token, lower case
 * (S3 lower-cases it anyway). */
static bool s3_meta_name_ok(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-' || *k == '_'))
            return false;
    return true;
}

/* The PutObject headers; strings made here go into owned[] for freeing. */
typedef struct s3_put_headers {
    pix_http_header h[40];
    char *owned[40];
    size_t n, n_owned;
    char length[32];
} s3_put_headers;

static void s3_put_headers_free(s3_put_headers *ph)
{
    for (size_t i = 0; i < ph->n_owned; i++)
        free(ph->owned[i]);
}

static int s3_add(s3_put_headers *ph, const char *name, const char *value)
{
    if (ph->n >= sizeof ph->h / sizeof *ph->h)
        return -1;
    ph->h[ph->n++] = (pix_http_header){ name, value };
    return 0;
}

/* Adds "x-amz-meta-NAME: encoded value", both strings owned. */
static int s3_add_meta(s3_put_headers *ph, const pix_kv *kv)
{
    if (ph->n_owned + 2 > sizeof ph->owned / sizeof *ph->owned)
        return -1;
    char *name = NULL, *value = s3_meta_value(kv->value ? kv->value : "");
    if (!value || asprintf(&name, "x-amz-meta-%s", kv->key) < 0) {
        free(value);
        return -1;
    }
    ph->owned[ph->n_owned++] = name;
    ph->owned[ph->n_owned++] = value;
    return s3_add(ph, name, value);
}

/* Fills ph (the caller's; release with s3_put_headers_free()) from the
 * options and put (borrowed).  Returns 0, or -1 after host->job_error(). */
static int s3_build_put_headers(const pix_ctx *ctx, pix_job *job, const char *resource,
                                size_t len, const pix_put_info *put, s3_put_headers *ph)
{
    const s3_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    int rc = 0;

    snprintf(ph->length, sizeof ph->length, "%zu", len);
    rc |= s3_add(ph, "Content-Length", ph->length);
    /* Always one: without it the transport would label the body a form. */
    bool typed = put && put->content_type && *put->content_type;
    rc |= s3_add(ph, "Content-Type", typed ? put->content_type : "application/octet-stream");
    if (cfg->cache_control)
        rc |= s3_add(ph, "Cache-Control", cfg->cache_control);
    if (cfg->sse != S3_SSE_NONE)
        rc |= s3_add(ph, "x-amz-server-side-encryption", s3_sse_choices[cfg->sse]);
    if (cfg->sse == S3_SSE_KMS && cfg->sse_kms_key_id)
        rc |= s3_add(ph, "x-amz-server-side-encryption-aws-kms-key-id", cfg->sse_kms_key_id);
    /* "default" (0) sends no header. */
    if (cfg->storage_class > 0)
        rc |= s3_add(ph, "x-amz-storage-class", s3_class_choices[cfg->storage_class]);
    for (size_t i = 0; put && i < put->n_meta && rc == 0; i++) {
        if (!put->meta[i].key || !s3_meta_name_ok(put->meta[i].key)) {
            host->job_error(job, "PutObject %s: user metadata name '%s' is not a lower-case "
                            "token", resource, put->meta[i].key ? put->meta[i].key : "");
            return -1;
        }
        rc |= s3_add_meta(ph, &put->meta[i]);
    }
    if (rc != 0)
        host->job_error(job, "PutObject %s: too many headers, or out of memory", resource);
    return rc ? -1 : 0;
}

/* PutObject of data (borrowed) at bucket/key, with put's type and metadata. */
static int s3_put(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  const void *data, size_t len, const pix_put_info *put)
{
    const s3_state *st = ctx->state;
    pix_aws_response resp = { 0 };
    s3_put_headers ph = { .n = 0 };
    s3_addr a;
    int rc = -1;

    if (s3_address(ctx, job, bucket, key, &a) != 0)
        return -1;
    if (s3_build_put_headers(ctx, job, a.resource, len, put, &ph) != 0)
        goto out;
    /* unsigned_payload false: the host signs the body's SHA-256 in
     * x-amz-content-sha256, so S3 checks what it stores; one plain body, no
     * aws-chunked framing (which s3rver would store raw). */
    pix_aws_request req = {
        .method = "PUT", .headers = ph.h, .n_headers = ph.n, .body = len ? data : "",
        .body_len = len, .unsigned_payload = false, .operation = "PutObject",
    };
    rc = s3_send(st, job, &a, &req, &resp);
out:
    st->at.aws->response_free(&resp);
    s3_put_headers_free(&ph);
    s3_addr_free(&a);
    return rc;
}

/* ------------------------------------------------------------ XML answers */

/* The most bytes of a ListObjectsV2 answer read: 1000 keys of 1024 bytes,
 * each %XX-encoded, with their fields, fit in under 4 MiB; past this the
 * answer is not a listing. */
#define S3_LIST_MAX_BYTES (16u << 20)
/* An error body, the only thing a DeleteObject answers with. */
#define S3_DELETE_MAX_BYTES (1u << 20)

/* The XML document of an answer's body, or NULL when it is not well-formed
 * XML or declares a DTD.  No network access, no entity substitution, no
 * DTD loading; and since S3 never sends a DOCTYPE, a body with one (where
 * internal entities could expand) is refused outright.  Caller frees with
 * xmlFreeDoc(). */
static xmlDoc *s3_xml_read(const pix_aws_response *resp)
{
    if (!resp->body || resp->body_len == 0 || resp->body_len > INT_MAX)
        return NULL;
    xmlDoc *doc = xmlReadMemory((const char *)resp->body, (int)resp->body_len, NULL, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc && doc->intSubset) {
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

/* Whether n is the element called name (its namespace, S3's, is ignored). */
static bool s3_xml_is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* The text of the first child element of parent called name, or NULL when
 * there is none.  Caller frees with xmlFree(). */
static char *s3_xml_child_text(const xmlNode *parent, const char *name)
{
    for (const xmlNode *n = parent->children; n; n = n->next)
        if (s3_xml_is(n, name))
            return (char *)xmlNodeGetContent(n);
    return NULL;
}

/* The <Code> of an S3 error body into code ("" when there is none), to
 * tell a missing key from a missing bucket without recording anything. */
static void s3_error_code(const pix_aws_response *resp, char *code, size_t size)
{
    xmlDoc *doc = s3_xml_read(resp);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    char *text = root && s3_xml_is(root, "Error") ? s3_xml_child_text(root, "Code") : NULL;

    snprintf(code, size, "%s", text ? text : "");
    xmlFree(text);
    xmlFreeDoc(doc);
}

/* ------------------------------------------------------------------ list */

/* Decodes s in place as S3 encodes keys for encoding-type=url: %XX is a
 * byte, '+' a space (a literal '+' comes as %2B).  Returns 0, or -1 for a
 * malformed escape or an encoded NUL, which no C string can hold. */
static int s3_url_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p != '%') {
            *o++ = *p;
        } else {
            int v = 0;
            for (int i = 1; i <= 2; i++) {
                char c = p[i];
                int d = c >= '0' && c <= '9' ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0)
                    return -1;
                v = v * 16 + d;
            }
            if (v == 0)
                return -1;
            *o++ = (char)v;
            p += 2;
        }
    }
    *o = '\0';
    return 0;
}

/* The 1..2-digit numbers of an ISO-8601 time need bounds: timegm() would
 * normalise "13th month" into a real date instead of refusing it. */
static bool s3_tm_ok(const struct tm *tm)
{
    return tm->tm_mon >= 1 && tm->tm_mon <= 12 && tm->tm_mday >= 1 && tm->tm_mday <= 31 &&
           tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
           tm->tm_sec >= 0 && tm->tm_sec <= 60;
}

/* LastModified ("2024-05-01T12:34:56.789Z", S3 always gives UTC; an offset
 * is honoured anyway) as ms since the epoch, or 0 (unknown) when it does
 * not parse: a listing is not refused for a date. */
static int64_t s3_time_ms(const char *s)
{
    struct tm tm = { 0 };
    int n = 0;

    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || !s3_tm_ok(&tm))
        return 0;
    const char *p = s + n;
    int64_t ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++)
            if (digits++ < 3)
                ms = ms * 10 + (*p - '0');
        if (digits == 0)
            return 0;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    int64_t offset_s = 0;
    if (*p == '+' || *p == '-') {
        int oh = 0, om = 0;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 23 || om > 59)
            return 0;
        offset_s = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    } else if (*p != 'Z' && *p != '\0') {
        return 0;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return 0;
    return ((int64_t)t - offset_s) * 1000 + ms;
}

/* Hands one <Contents> to each.  url: the keys are %XX-encoded.  Returns
 * 0, or -1 with the error recorded (here or by each). */
static int s3_list_entry(const pix_host *host, pix_job *job, const char *resource,
                         const xmlNode *c, bool url, pix_list_fn each, void *user)
{
    char *key = s3_xml_child_text(c, "Key");
    char *size = s3_xml_child_text(c, "Size");
    char *etag = s3_xml_child_text(c, "ETag");
    char *modified = s3_xml_child_text(c, "LastModified");
    /* The same buffer and the same unquoting as get()'s info->etag, so the
     * two compare equal even where an ETag would be cut. */
    char tag[sizeof ((pix_object_info *)0)->etag];
    int rc = -1;

    if (!key || !*key || (url && s3_url_decode(key) != 0)) {
        host->job_error(job, "ListObjectsV2 %s: an object with %s key '%s' in the answer",
                        resource, key && *key ? "an undecodable" : "no", key ? key : "");
        goto out;
    }
    char *end = NULL;
    unsigned long long bytes = size ? strtoull(size, &end, 10) : 0;
    if (!size || end == size || *end || size[0] == '-') {
        host->job_error(job, "ListObjectsV2 %s: object '%s' has no valid Size ('%s')",
                        resource, key, size ? size : "");
        goto out;
    }
    s3_copy_unquoted(tag, sizeof tag, etag);
    pix_object_entry e = { .key = key, .size = bytes, .etag = tag,
                           .mtime_ms = s3_time_ms(modified) };
    rc = each(user, &e) < 0 ? -1 : 0;
out:
    xmlFree(key);
    xmlFree(size);
    xmlFree(etag);
    xmlFree(modified);
    return rc;
}

/* Reads a ListObjectsV2 answer: checks it whole (root element, truncation
 * and its token) before handing any object to each, so that a page that
 * fails hands over nothing, then calls each per <Contents>, in the order S3
 * gives them (key order), and writes the next token into next.  Returns 0,
 * or -1 with the error recorded. */
static int s3_list_parse(const pix_host *host, pix_job *job, const char *resource,
                         const pix_aws_response *resp, pix_list_fn each, void *user, char *next)
{
    xmlDoc *doc = s3_xml_read(resp);
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    char *truncated = NULL, *token = NULL, *encoding = NULL;
    int rc = -1;

    if (!root || !s3_xml_is(root, "ListBucketResult")) {
        host->job_error(job, "ListObjectsV2 %s: the answer is not a ListBucketResult XML "
                        "document (%zu bytes)", resource, resp->body_len);
        goto out;
    }
    truncated = s3_xml_child_text(root, "IsTruncated");
    token = s3_xml_child_text(root, "NextContinuationToken");
    encoding = s3_xml_child_text(root, "EncodingType");
    bool more = truncated && strcmp(truncated, "true") == 0;
    bool url = encoding && strcmp(encoding, "url") == 0;
    if (encoding && !url) {
        host->job_error(job, "ListObjectsV2 %s: unknown EncodingType '%s' in the answer",
                        resource, encoding);
        goto out;
    }
    /* Without the token the listing would end early, silently; one too long
     * for the caller's buffer cannot be cut either: it would name another
     * page, or none. */
    if (more && (!token || !*token)) {
        host->job_error(job, "ListObjectsV2 %s: the answer is truncated but gives no "
                        "NextContinuationToken", resource);
        goto out;
    }
    if (more && strlen(token) > PIX_LIST_TOKEN_MAX - 1) {
        host->job_error(job, "ListObjectsV2 %s: NextContinuationToken is %zu bytes, over the "
                        "%d pixpipe keeps", resource, strlen(token), PIX_LIST_TOKEN_MAX - 1);
        goto out;
    }
    for (const xmlNode *n = root->children; n; n = n->next)
        if (s3_xml_is(n, "Contents") && s3_list_entry(host, job, resource, n, url, each, user) != 0)
            goto out;
    snprintf(next, PIX_LIST_TOKEN_MAX, "%s", more ? token : "");
    rc = 0;
out:
    xmlFree(truncated);
    xmlFree(token);
    xmlFree(encoding);
    xmlFreeDoc(doc);
    return rc;
}

/* The query of a ListObjectsV2 page, its names in byte order (SigV4's
 * canonical order: the host sorts again when signing, but a URL sent as
 * signed leaves nothing to disagree on).  Caller frees; NULL when out of
 * memory. */
static char *s3_list_query(const char *prefix, const char *token)
{
    size_t plen = strlen(prefix), tlen = token ? strlen(token) : 0;
    char *q = malloc(3 * (plen + tlen) + 128), *p = q;

    if (!q)
        return NULL;
    if (tlen) {
        p = stpcpy(p, "continuation-token=");
        p = s3_encode(p, token, false);
        *p++ = '&';
    }
    p = stpcpy(p, "encoding-type=url&list-type=2&max-keys=1000&prefix=");
    s3_encode(p, prefix, false);
    return q;
}

/* One ListObjectsV2 page of bucket under prefix, after token. */
static int s3_list(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *prefix,
                   const char *token, pix_list_fn each, void *user, char *next)
{
    const s3_state *st = ctx->state;
    const pix_host *host = ctx->host;
    pix_aws_response resp = { 0 };
    char *query = NULL;
    s3_addr a;
    int rc = -1;

    next[0] = '\0';
    if (!prefix)
        prefix = "";
    if (s3_address(ctx, job, bucket, NULL, &a) != 0)
        return -1;
    /* Errors name the listing, not the bucket alone. */
    free(a.resource);
    if (asprintf(&a.resource, "s3://%s/%s", bucket, prefix) < 0) {
        a.resource = NULL;
        host->job_error(job, "ListObjectsV2 s3://%s/%s: out of memory", bucket, prefix);
        goto out;
    }
    if (!(query = s3_list_query(prefix, token))) {
        host->job_error(job, "ListObjectsV2 %s: out of memory", a.resource);
        goto out;
    }
    pix_aws_request req = { .method = "GET", .query = query,
                            .max_response_bytes = S3_LIST_MAX_BYTES,
                            .operation = "ListObjectsV2" };
    if (s3_send(st, job, &a, &req, &resp) != 0)
        goto out;
    rc = s3_list_parse(host, job, a.resource, &resp, each, user, next);
out:
    st->at.aws->response_free(&resp);
    free(query);
    s3_addr_free(&a);
    return rc;
}

/* ---------------------------------------------------------------- remove */

/* DeleteObject of bucket/key.  S3 answers 204 whether or not the key
 * existed; a server that answers 404 NoSuchKey means the same.  Any other
 * answer, a missing bucket included, is an error. */
static int s3_remove(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key)
{
    const s3_state *st = ctx->state;
    pix_aws_request req = { .method = "DELETE", .max_response_bytes = S3_DELETE_MAX_BYTES,
                            .operation = "DeleteObject" };
    pix_aws_response resp = { 0 };
    char code[64] = "";
    s3_addr a;
    int rc = -1;

    if (s3_address(ctx, job, bucket, key, &a) != 0)
        return -1;
    if (s3_request(st, job, &a, &req, &resp) != 0)
        goto out;
    if (resp.status == 404)
        s3_error_code(&resp, code, sizeof code);
    if (resp.status == 200 || resp.status == 204 || strcmp(code, "NoSuchKey") == 0)
        rc = 0;
    else
        st->at.aws->fail(job, &req, &resp, NULL, 0);
out:
    st->at.aws->response_free(&resp);
    s3_addr_free(&a);
    return rc;
}

PIX_STORAGE_PLUGIN("storage-s3", "1.0.0",
                   "Objects in Amazon S3 or an S3-compatible server, through the host's signed client",
                   s3_get, s3_put, .head = s3_head, .list = s3_list, .remove = s3_remove,
                   .scheme = "s3", .options = s3_options,
                   .config_size = sizeof(s3_config), .check = s3_check, .create = s3_create,
                   .destroy = s3_destroy);
