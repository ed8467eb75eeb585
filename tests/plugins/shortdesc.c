/* Refused: its descriptor ends before the last field ABI 1.0 defines. */
#include "refuse_common.h"

static const pix_plugin desc = {
    .abi_major = PIX_ABI_MAJOR, .abi_minor = 0, .struct_size = offsetof(pix_plugin, flags),
    .kind = PIX_KIND_STAGE, .name = "shortdesc", .version = "1", .summary = "test",
    .ops.stage.process = noop_process,
};
PIX_PLUGIN_EXPORT(desc)
