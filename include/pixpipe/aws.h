/*
 * The AWS service: one signed, retrying HTTP client shared by every plugin
 * that talks to AWS (S3, DynamoDB, ...).  A plugin asks for it by name and
 * version, once, in create():
 *
 *     const pix_aws *aws = pix_aws_service(ctx);
 *     if (!aws)
 *         return ctx->host->error(ctx, "this pixpipe has no AWS service "
 *                                 "version %d", PIX_AWS_VERSION);
 *
 * Plugins that need no AWS never see it.  Credentials come from the
 * environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)
 * or the container credentials endpoint; they never appear in logs or
 * errors.
 *
 * Compatibility: PIX_AWS_VERSION changes when a field changes meaning or
 * position; fields are appended at the end within a version, and
 * struct_size tells which are there.
 */
#ifndef PIXPIPE_AWS_H
#define PIXPIPE_AWS_H

#include <pixpipe/pixpipe.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIX_AWS_SERVICE "aws"
#define PIX_AWS_VERSION 1

/* One HTTP header.  Borrowed. */
typedef struct pix_http_header {
    const char *name;
    const char *value;
} pix_http_header;

/* A request for aws->request.  Every pointer is borrowed for the call. */
typedef struct pix_aws_request {
    const char *service;   /* signing name: "s3", "dynamodb"                  */
    const char *region;    /* signing region                                  */
    const char *endpoint;  /* "https://host[:port]", no path                  */
    const char *method;    /* "GET", "PUT", "POST", "HEAD", "DELETE"           */
    const char *path;      /* URI-encoded path, e.g. "/bucket/a%20b.jpg"      */
    const char *query;     /* URI-encoded query without '?', or NULL          */
    const pix_http_header *headers; /* extra headers (Content-Type, x-amz-*) */
    size_t n_headers;
    const void *body;      /* NULL for none                                   */
    size_t body_len;
    bool unsigned_payload; /* S3: sign "UNSIGNED-PAYLOAD" instead of SHA-256  */
    uint64_t max_response_bytes; /* stop reading past this (0: no limit); the
                                    answer then fails as over the limit       */
    const char *operation; /* for errors: "GetObject", "PutItem"              */
    const char *resource;  /* for errors: "s3://bucket/key", "table images"   */
} pix_aws_request;

/* An answer.  Owned by the host; release with aws->response_free. */
typedef struct pix_aws_response {
    long status;           /* HTTP status                                     */
    unsigned char *body;   /* NUL-terminated for convenience; body_len bytes  */
    size_t body_len;
    void *priv;            /* the host's: headers                             */
} pix_aws_response;

typedef struct pix_aws {
    uint32_t version;   /* PIX_AWS_VERSION of the host                      */
    size_t struct_size; /* sizeof(pix_aws) as the host was built            */

    /* Sends req, SigV4-signed, on this thread's kept-alive connection,
     * retrying with exponential backoff and full jitter on connection
     * errors, timeouts, 5xx, 429 and AWS throttling codes.  Returns 0 once
     * an HTTP answer is final (any status: check resp->status), or -1 after
     * recording on the job why no answer came (with job NULL: logged).
     * Release resp with response_free() either way. */
    int (*request)(pix_job *job, const pix_aws_request *req, pix_aws_response *resp);
    void (*response_free)(pix_aws_response *resp);
    /* The value of a response header (case-insensitive name), or NULL.
     * Borrowed from resp. */
    const char *(*response_header)(const pix_aws_response *resp, const char *name);
    /* Records on the job the error an AWS answer carries, as one line:
     * "OPERATION RESOURCE: HTTP STATUS CODE: MESSAGE (request id ID)",
     * parsed from S3's XML or DynamoDB's JSON body.  Writes the AWS error
     * code (e.g. "NoSuchKey", "ConditionalCheckFailedException") into code
     * when code is not NULL.  Returns -1, for `return aws->fail(...)`. */
    int (*fail)(pix_job *job, const pix_aws_request *req, const pix_aws_response *resp,
                char *code, size_t code_size);
    /* Writes resp's user metadata (x-amz-meta-* headers) into buf as
     * "name: value" lines, names without the prefix, for
     * pix_object_info.user_meta. */
    void (*response_meta)(const pix_aws_response *resp, char *buf, size_t size);
    /* Resolves the endpoint and region an AWS plugin uses: its own option
     * when set, else AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL, else
     * https://SERVICE.REGION.amazonaws.com; region from the option, else
     * AWS_REGION / AWS_DEFAULT_REGION, else us-east-1.  Writes into the
     * buffers.  Returns 0, or -1 with *why set when the endpoint is not an
     * http(s) URL. */
    int (*endpoint)(const char *service, const char *option_endpoint, const char *option_region,
                    char *endpoint, size_t endpoint_size, char *region, size_t region_size,
                    const char **why);

    /* Appended fields go here. */
} pix_aws;

/* The host's AWS service of the version these headers describe, or NULL.
 * Borrowed. */
static inline const pix_aws *pix_aws_service(const pix_ctx *ctx)
{
    return (const pix_aws *)ctx->host->service(PIX_AWS_SERVICE, PIX_AWS_VERSION);
}

/* Where an AWS plugin sends its requests, resolved once. */
typedef struct pix_aws_target {
    const pix_aws *aws;  /* the host's service, borrowed                  */
    char endpoint[512];  /* "https://host[:port]"                         */
    char region[64];
} pix_aws_target;

/* Fills t for the AWS service (signing name, "s3") from the plugin's own
 * endpoint and region options (NULL when unset), as aws->endpoint resolves
 * them.  Run it from check(), to refuse a bad endpoint at `validate`, and
 * from create(), to keep the result.  Returns 0, or the -1 of host->error()
 * with the message starting with what ("endpoint"). */
static inline int pix_aws_target_resolve(const pix_ctx *ctx, const char *service,
                                         const char *option_endpoint, const char *option_region,
                                         const char *what, pix_aws_target *t)
{
    const char *why = NULL;

    t->aws = pix_aws_service(ctx);
    if (!t->aws)
        return ctx->host->error(ctx, "this pixpipe has no AWS service version %d; rebuild the "
                                "plugin against its headers", PIX_AWS_VERSION);
    if (t->aws->endpoint(service, option_endpoint, option_region, t->endpoint,
                         sizeof t->endpoint, t->region, sizeof t->region, &why) != 0)
        return ctx->host->error(ctx, "%s: %s", what, why ? why : "not an http(s) URL");
    return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* PIXPIPE_AWS_H */
