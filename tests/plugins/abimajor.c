/* Refused: built for another ABI major. */
#include "refuse_common.h"

static const pix_stage_plugin desc = {
    STAGE_VERSION_FIELDS(PIX_ABI_MAJOR + 1, 0, sizeof(pix_stage_plugin)),
    .name = "abimajor", .version = "1", .summary = "test", .process = noop_process,
};
PIX_PLUGIN_EXPORT(desc);
