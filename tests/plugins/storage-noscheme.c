/* Refused: a storage that does not say which objects it serves. */
#include "refuse_common.h"

static int ns_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    (void)ctx, (void)bucket, (void)key, (void)max_bytes, (void)out, (void)info;
    return ctx->host->job_error(job, "never called");
}

static int ns_put(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                  const void *data, size_t len, const pix_put_info *put)
{
    (void)ctx, (void)bucket, (void)key, (void)data, (void)len, (void)put;
    return ctx->host->job_error(job, "never called");
}

static const pix_storage_plugin desc = {
    PIX_PLUGIN_HEADER(pix_storage_plugin, PIX_KIND_STORAGE), .name = "storage-noscheme",
    .version = "1", .summary = "test", .get = ns_get, .put = ns_put,
};
PIX_PLUGIN_EXPORT(desc);
