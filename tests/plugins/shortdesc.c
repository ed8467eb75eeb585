/* Refused: its descriptor ends before the last field ABI 2.0 defines for a
 * stage (finish), though it holds every field common to all kinds. */
#include "refuse_common.h"

static const pix_stage_plugin desc = {
    STAGE_VERSION_FIELDS(PIX_ABI_MAJOR, 0, offsetof(pix_stage_plugin, finish)),
    .name = "shortdesc", .version = "1", .summary = "test", .process = noop_process,
};
PIX_PLUGIN_EXPORT(desc);
