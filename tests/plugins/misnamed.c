/* Refused: its descriptor's name differs from its file name. */
#include "refuse_common.h"

static const pix_stage_plugin desc = {
    PIX_PLUGIN_HEADER(pix_stage_plugin, PIX_KIND_STAGE), .name = "somethingelse",
    .version = "1", .summary = "test", .process = noop_process,
};
PIX_PLUGIN_EXPORT(desc);
