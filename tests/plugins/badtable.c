/* Refused: its option table names one option twice. */
#include "refuse_common.h"

typedef struct cfg {
    int64_t width;
} cfg;

static const pix_option opts[] = {
    { .name = "width", .type = PIX_OPT_INT, .offset = offsetof(cfg, width), .doc = "a" },
    { .name = "width", .type = PIX_OPT_INT, .offset = offsetof(cfg, width), .doc = "b" },
    { .name = NULL },
};

static const pix_stage_plugin desc = {
    PIX_PLUGIN_HEADER(pix_stage_plugin, PIX_KIND_STAGE), .name = "badtable", .version = "1",
    .summary = "test", .options = opts, .config_size = sizeof(cfg), .process = noop_process,
};
PIX_PLUGIN_EXPORT(desc);
