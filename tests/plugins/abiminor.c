/* Refused: built for a newer ABI minor than the host's. */
#include "refuse_common.h"

static const pix_plugin desc = {
    .abi_major = PIX_ABI_MAJOR, .abi_minor = PIX_ABI_MINOR + 1, .struct_size = sizeof(pix_plugin),
    .kind = PIX_KIND_STAGE, .name = "abiminor", .version = "1", .summary = "test",
    .ops.stage.process = noop_process,
};
PIX_PLUGIN_EXPORT(desc)
