/* Refused: its entry returns NULL. */
#include "refuse_common.h"

PIX_EXPORT const pix_plugin *pix_plugin_entry(void);
PIX_EXPORT const pix_plugin *pix_plugin_entry(void)
{
    (void)noop_process;
    return NULL;
}
