/* Accepted: the smallest valid stage. */
#include "refuse_common.h"

static const pix_plugin desc = {
    PIX_PLUGIN_HEADER, .kind = PIX_KIND_STAGE, .name = "goodstage", .version = "1.2.3",
    .summary = "does nothing, correctly", .ops.stage.process = noop_process,
};
PIX_PLUGIN_EXPORT(desc)
