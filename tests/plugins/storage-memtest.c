/* Test storage plugin: one option, callbacks that do nothing.  Its scheme
 * is its own, so that it never stands in for storage-fs ("file") when the
 * test plugins' folder comes first on the search path. */
#include <stddef.h>
#include <pixpipe/pixpipe.h>

typedef struct mem_config {
    char *region;
    bool path_style;
} mem_config;

static const pix_option mem_options[] = {
    {.name = "region", .type = PIX_OPT_STRING, .offset = offsetof(mem_config, region),
     .def = "local", .doc = "A region."},
    {.name = "path_style", .type = PIX_OPT_BOOL, .offset = offsetof(mem_config, path_style),
     .def = "false", .doc = "A bool."},
    {NULL},
};

static int mem_get(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                   uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    (void)ctx, (void)job, (void)bucket, (void)key, (void)max_bytes, (void)out, (void)info;
    return -1;
}

static int mem_put(const pix_ctx *ctx, pix_job *job, const char *bucket, const char *key,
                   const void *data, size_t len, const pix_put_info *put)
{
    (void)ctx, (void)job, (void)bucket, (void)key, (void)data, (void)len, (void)put;
    return 0;
}

PIX_STORAGE_PLUGIN("storage-memtest", "1.0.0", "Test storage that stores nothing.", mem_get,
                   mem_put, .scheme = "memtest", .options = mem_options,
                   .config_size = sizeof(mem_config));
