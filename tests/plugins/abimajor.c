/* Refused: built for another ABI major. */
#include "refuse_common.h"

static const pix_plugin desc = {
    .abi_major = PIX_ABI_MAJOR + 1, .abi_minor = 0, .struct_size = sizeof(pix_plugin),
    .kind = PIX_KIND_STAGE, .name = "abimajor", .version = "1", .summary = "test",
    .ops.stage.process = noop_process,
};
PIX_PLUGIN_EXPORT(desc)
