/* Accepted: a 1.0 descriptor whose struct_size ends at its last field,
 * without this compiler's trailing padding; what a minor requires is the
 * end of the fields it defines, not the host's sizeof. */
#include "refuse_common.h"

static const pix_plugin desc = {
    .abi_major = PIX_ABI_MAJOR, .abi_minor = 0,
    .struct_size = offsetof(pix_plugin, flags) + sizeof(unsigned),
    .kind = PIX_KIND_STAGE, .name = "exactdesc", .version = "1", .summary = "test",
    .ops.stage.process = noop_process, .flags = PIX_PLUGIN_SCALE_NEUTRAL,
};
PIX_PLUGIN_EXPORT(desc)
