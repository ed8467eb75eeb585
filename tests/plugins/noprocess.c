/* Refused: a stage whose required process() is NULL, which the macro
 * cannot see when NULL is what it is given. */
#include "refuse_common.h"

static const pix_stage_plugin desc = {
    PIX_PLUGIN_HEADER(pix_stage_plugin, PIX_KIND_STAGE), .name = "noprocess", .version = "1",
    .summary = "test", .process = NULL,
};
PIX_PLUGIN_EXPORT(desc);
