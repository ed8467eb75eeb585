/* Refused: built for a newer ABI minor than the host's. */
#include "refuse_common.h"

static const pix_stage_plugin desc = {
    STAGE_VERSION_FIELDS(PIX_ABI_MAJOR, PIX_ABI_MINOR + 1, sizeof(pix_stage_plugin)),
    .name = "abiminor", .version = "1", .summary = "test", .process = noop_process,
};
PIX_PLUGIN_EXPORT(desc);
