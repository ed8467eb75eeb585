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

static int md_put(const pix_ctx *ctx, pix_job *job, const pix_record *record)
{
    (void)ctx, (void)job, (void)record;
    return 0;
}

PIX_METADATA_PLUGIN("metadata-memtest", "1.0.0", "Test metadata backend that stores nothing.",
                    md_put, .options = md_options, .config_size = sizeof(md_config));
