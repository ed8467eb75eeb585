/* Accepted: the smallest valid stage. */
#include "refuse_common.h"

PIX_STAGE_PLUGIN("goodstage", "1.2.3", "does nothing, correctly", noop_process);
