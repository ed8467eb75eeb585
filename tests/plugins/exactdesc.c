/* Accepted: a 2.0 stage descriptor whose struct_size ends at its last
 * field, worked out from the fields rather than taken from sizeof (which
 * may add trailing padding); what a minor requires is the end of the
 * fields it defines. */
#include "refuse_common.h"

#define STAGE_2_0_END                                                           \
    (offsetof(pix_stage_plugin, finish) + sizeof(((const pix_stage_plugin *)0)->finish))

static const pix_stage_plugin desc = {
    STAGE_VERSION_FIELDS(PIX_ABI_MAJOR, 0, STAGE_2_0_END),
    .name = "exactdesc", .version = "1", .summary = "test", .process = noop_process,
    .flags = PIX_PLUGIN_SCALE_NEUTRAL,
};
PIX_PLUGIN_EXPORT(desc);
