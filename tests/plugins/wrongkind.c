/* Refused: says it is a storage plugin but is a stage's descriptor (the
 * kind field does not match the type the plugin was written with), so it
 * ends long before a storage's get, put and scheme. */
#include "refuse_common.h"

static const pix_stage_plugin desc = {
    PIX_PLUGIN_HEADER(pix_stage_plugin, PIX_KIND_STORAGE), .name = "wrongkind", .version = "1",
    .summary = "test", .process = noop_process,
};
PIX_PLUGIN_EXPORT(desc);
