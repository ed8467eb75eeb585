/* quality: auto, the smallest file at a stated similarity. */
#ifndef PIX_CORE_QUALITY_H
#define PIX_CORE_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <vips/vips.h>
#include <pixpipe/pixpipe.h>
#include "err.h"

/* Encodes img (borrowed) as format (lossy: pix_encode_lossy()) at the
 * lowest quality within enc's bounds whose SSIM on luma against img's own
 * pixels reaches enc->quality_target (0 fields take the defaults), and
 * says what it found in *found.  The search compares encodes of a sample
 * of img (tiles aligned to the codecs' blocks, or all of a small image)
 * and ends after at most PIX_QUALITY_TRIALS of them, then encodes img
 * once at the quality found.  *buf is g_malloc'd (caller g_free()s).
 * Returns 0, or -1 with err. */
#define PIX_QUALITY_TRIALS 5
int pix_encode_auto(VipsImage *img, const char *format, const pix_encode *enc, void **buf,
                    size_t *len, pix_quality_search *found, pix_err *err);

#endif
