/* The host API table handed to every plugin (host.c): an adapter from the
 * public ABI to the core's own functions. */
#ifndef PIX_CORE_HOST_H
#define PIX_CORE_HOST_H

#include <pixpipe/pixpipe.h>

extern const pix_host pix_host_api;

#endif
