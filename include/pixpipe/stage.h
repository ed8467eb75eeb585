/*
 * Helpers for stage plugins: libvips building blocks that every geometry
 * stage needs, header-only (static inline) so that a plugin still links
 * nothing of the host.  Include it instead of <pixpipe/pixpipe.h> in a
 * stage; it needs the libvips headers (pkg-config --cflags vips).
 */
#ifndef PIXPIPE_STAGE_H
#define PIXPIPE_STAGE_H

#include <stdbool.h>
#include <stdlib.h>
#include <vips/vips.h>

#include <pixpipe/pixpipe.h>

/* The source's size as shown upright: its stored sides swapped for the
 * EXIF orientations 5..8 (a quarter turn). */
static inline void pix_source_upright(const pix_source *src, int *width, int *height)
{
    bool turned = src->orientation >= 5;
    *width = turned ? src->height : src->width;
    *height = turned ? src->width : src->height;
}

/* True when a w x h working image is the w0 x h0 source decoded smaller:
 * the same shape within the decoder's rounding of each side.  A stage then
 * plans on the source's own size, so its output is what a full-size
 * decode would give, to the pixel. */
static inline bool pix_same_shape(int w, int h, int w0, int h0)
{
    if (w0 <= 0 || h0 <= 0 || (w == w0 && h == h0))
        return false;
    return llabs((long long)w * h0 - (long long)h * w0) <= (long long)(w0 > h0 ? w0 : h0);
}

/* A min_scale hint for a stage that makes an sw x sh image from a width x
 * height frame: the smallest decode scale from which that size is still
 * reached by shrinking, never by enlarging; at most 1. */
static inline double pix_scale_to_reach(int sw, int sh, int width, int height)
{
    double sx = (double)sw / width, sy = (double)sh / height;
    double s = sx > sy ? sx : sy;
    return s < 1.0 ? s : 1.0;
}

/* Resamples in (borrowed) to about sw x sh with kernel; *out is new.  With
 * an alpha band the colours are premultiplied around the resampling, or the
 * colour of transparent pixels (often black) bleeds into the edges, and
 * rounded before the cast back (a cast truncates 254.9999 to 254).  libvips
 * may land a side one pixel off: the caller trims or extends.  Returns 0,
 * or -1 with libvips' error buffer set. */
static inline int pix_resample(VipsImage *in, VipsImage **out, int sw, int sh, VipsKernel kernel)
{
    double hs = (double)sw / vips_image_get_width(in);
    double vs = (double)sh / vips_image_get_height(in);
    VipsImage *t[4] = { NULL };
    int rc = -1;

    if (!vips_image_hasalpha(in))
        return vips_resize(in, out, hs, "vscale", vs, "kernel", kernel, NULL);
    if (!vips_premultiply(in, &t[0], NULL) &&
        !vips_resize(t[0], &t[1], hs, "vscale", vs, "kernel", kernel, NULL) &&
        !vips_unpremultiply(t[1], &t[2], NULL) &&
        !vips_round(t[2], &t[3], VIPS_OPERATION_ROUND_RINT, NULL))
        rc = vips_cast(t[3], out, vips_image_get_format(in), NULL);
    for (int i = 0; i < 4; i++)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

#endif /* PIXPIPE_STAGE_H */
