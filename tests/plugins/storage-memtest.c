/* Test storage plugin: one option, callbacks that do nothing. */
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

static int mem_get(void *state, pix_job *job, const char *bucket, const char *key,
                   uint64_t max_bytes, pix_bytes *out, pix_object_info *info)
{
    (void)state, (void)job, (void)bucket, (void)key, (void)max_bytes, (void)out, (void)info;
    return -1;
}

static int mem_put(void *state, pix_job *job, const char *bucket, const char *key,
                   const void *data, size_t len, const pix_put_info *put)
{
    (void)state, (void)job, (void)bucket, (void)key, (void)data, (void)len, (void)put;
    return 0;
}

static const pix_plugin mem_plugin = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STORAGE,
    .name = "storage-memtest",
    .version = "1.0.0",
    .summary = "Test storage that stores nothing.",
    .options = mem_options,
    .config_size = sizeof(mem_config),
    .ops.storage = {.get = mem_get, .put = mem_put},
};

PIX_PLUGIN_EXPORT(mem_plugin)
