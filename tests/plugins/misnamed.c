/* Refused: its descriptor's name differs from its file name. */
#include "refuse_common.h"

static const pix_plugin desc = {
    PIX_PLUGIN_HEADER, .kind = PIX_KIND_STAGE, .name = "somethingelse", .version = "1",
    .summary = "test", .ops.stage.process = noop_process,
};
PIX_PLUGIN_EXPORT(desc)
