/* Test metadata backend with a required option. */
#include <stddef.h>
#include <pixpipe/pixpipe.h>

typedef struct md_config {
    char *table;
} md_config;

static const pix_option md_options[] = {
    {.name = "table", .type = PIX_OPT_STRING, .flags = PIX_OPT_REQUIRED,
     .offset = offsetof(md_config, table), .doc = "A table name."},
    {NULL},
};

static int md_put(void *state, pix_job *job, const pix_record *record)
{
    (void)state, (void)job, (void)record;
    return 0;
}

static const pix_plugin md_plugin = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_METADATA,
    .name = "metadata-memtest",
    .version = "1.0.0",
    .summary = "Test metadata backend that stores nothing.",
    .options = md_options,
    .config_size = sizeof(md_config),
    .ops.metadata = {.put = md_put},
};

PIX_PLUGIN_EXPORT(md_plugin)
