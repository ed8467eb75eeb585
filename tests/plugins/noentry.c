/* Refused: exports no pix_plugin_entry. */
#include "refuse_common.h"

PIX_EXPORT int not_the_entry(void);
PIX_EXPORT int not_the_entry(void) { return noop_process(NULL, NULL); }
