/* The small copy of the working image every part of describe reads. */
#ifndef DESCRIBE_SMALL_H
#define DESCRIBE_SMALL_H

#include <stdbool.h>
#include <vips/vips.h>

/* At most this many pixels on the long side: enough for a placeholder, the
 * colours and both hashes, and cheap to make from any working image. */
#define DESCRIBE_SMALL_SIDE 64

/* Straight (not premultiplied) 8-bit RGBA, row-major. */
typedef struct describe_pixels {
    unsigned char *rgba; /* width * height * 4 bytes; g_free() */
    int width, height;
    bool opaque;         /* every alpha is 255 */
} describe_pixels;

/* Fills px from the first frame of in (borrowed; any libvips image: it is
 * brought to sRGB, 8 bits, with alpha), shrunk to fit max_side x max_side
 * with lanczos3 on premultiplied colours, never enlarged.  Returns 0, or
 * -1 with libvips' error buffer set.  Free with describe_pixels_clear(). */
int describe_small(VipsImage *in, int max_side, describe_pixels *px);

void describe_pixels_clear(describe_pixels *px);

/* A new libvips image over px's pixels (copied), with no metadata at all:
 * 3 bands when px is opaque, else 4, interpretation sRGB.  NULL with
 * libvips' error set. */
VipsImage *describe_pixels_image(const describe_pixels *px);

#endif
