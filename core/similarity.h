/* How close an encoded image is to the pixels it was made from: SSIM on
 * luma, computed with libvips operations. */
#ifndef PIX_CORE_SIMILARITY_H
#define PIX_CORE_SIMILARITY_H

#include <vips/vips.h>
#include "err.h"

/* The reference side of SSIM, computed once for many comparisons (the
 * quality search compares several encodes with one rendition). */
typedef struct pix_ssim_ref pix_ssim_ref;

/* Prepares ref (borrowed: sRGB or B_W, 8 bits, any band count; alpha is
 * flattened on white, as a viewer shows it) for pix_ssim().  Holds its
 * luma statistics in memory: 12 bytes a pixel.  Caller frees with
 * pix_ssim_ref_free().  NULL with err on a libvips failure. */
pix_ssim_ref *pix_ssim_ref_new(VipsImage *ref, pix_err *err);
/* The same for a mosaic of tile x tile pieces (tile a multiple of 4): the
 * windows across two pieces, which no image holds, are left out. */
pix_ssim_ref *pix_ssim_ref_new_tiled(VipsImage *ref, int tile, pix_err *err);
void pix_ssim_ref_free(pix_ssim_ref *ref);

/* The mean SSIM (Wang et al. 2004: an 11-tap Gaussian window of sigma
 * 1.5, K1 0.01, K2 0.03) between the luma (Rec. 601 Y' of the 8-bit
 * values, as JPEG codes it) of ref and of test (borrowed, the same size).
 * 1 is identical.  Returns 0 with *score, or -1 with err. */
int pix_ssim(const pix_ssim_ref *ref, VipsImage *test, double *score, pix_err *err);

/* pix_ssim() of each of the n images tests (borrowed, of one size and
 * band count) in one pass: the libvips operations a comparison builds
 * cost more than a small image's pixels, and here they are built once
 * for all n.  Returns 0 with scores[0..n-1], or -1 with err. */
int pix_ssim_many(const pix_ssim_ref *ref, VipsImage **tests, int n, double *scores,
                  pix_err *err);

/* pix_ssim() of an encoded file against ref: data (borrowed) is decoded
 * with libvips first.  Returns 0 with *score, or -1 with err. */
int pix_ssim_encoded(const pix_ssim_ref *ref, const void *data, size_t len, double *score,
                     pix_err *err);

#endif
