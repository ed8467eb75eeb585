/* A tiny inline placeholder image, as a data URI. */
#ifndef DESCRIBE_LQIP_H
#define DESCRIBE_LQIP_H

#include <stdbool.h>
#include <stddef.h>

#include "small.h"

/* The data URI ("data:image/webp;base64,...") of px shrunk to side pixels
 * on its long side and encoded as WebP (webp true) or JPEG (on white),
 * with no metadata: the image is made anew from the pixels, so no EXIF,
 * XMP or ICC block can ride along.  The quality, then the side, is
 * lowered until the encoded image is at most max_bytes.  *uri is new
 * (g_free()); *bytes the encoded size.  Returns 0; 1 when max_bytes
 * cannot be reached (nothing made); -1 with libvips' error set. */
int describe_lqip(const describe_pixels *px, int side, bool webp, size_t max_bytes, char **uri,
                  size_t *bytes);

#endif
