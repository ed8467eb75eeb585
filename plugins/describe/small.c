#include "small.h"

#include <pixpipe/stage.h>

int describe_small(VipsImage *in, int max_side, describe_pixels *px)
{
    VipsImage *t[5] = { NULL };
    int rc = -1;

    *px = (describe_pixels){ 0 };
    int w = vips_image_get_width(in), h = vips_image_get_page_height(in);
    /* Shrunk first, on the image's own bands and depth: the conversions
     * after it then touch 64 px, not the working image. */
    int side = w > h ? w : h;
    if (vips_crop(in, &t[0], 0, 0, w, h, NULL))
        goto out;
    if (side > max_side) {
        double s = (double)max_side / side;
        if (pix_resample(t[0], &t[1], pix_px(w * s), pix_px(h * s), VIPS_KERNEL_LANCZOS3))
            goto out;
    } else {
        g_object_ref(t[0]);
        t[1] = t[0];
    }
    if (vips_colourspace(t[1], &t[2], VIPS_INTERPRETATION_sRGB, NULL) ||
        vips_cast(t[2], &t[3], VIPS_FORMAT_UCHAR, NULL))
        goto out;
    if (vips_image_get_bands(t[3]) == 3 ? vips_bandjoin_const1(t[3], &t[4], 255.0, NULL)
                                        : vips_extract_band(t[3], &t[4], 0, "n", 4, NULL))
        goto out;
    size_t len = 0;
    px->rgba = vips_image_write_to_memory(t[4], &len);
    if (!px->rgba)
        goto out;
    px->width = vips_image_get_width(t[4]);
    px->height = vips_image_get_height(t[4]);
    px->opaque = true;
    for (size_t i = 3; i < len; i += 4)
        if (px->rgba[i] != 255) {
            px->opaque = false;
            break;
        }
    rc = 0;
out:
    pix_unref_all(t, 5);
    return rc;
}

void describe_pixels_clear(describe_pixels *px)
{
    g_free(px->rgba);
    *px = (describe_pixels){ 0 };
}

VipsImage *describe_pixels_image(const describe_pixels *px)
{
    VipsImage *t[2] = { NULL }, *out = NULL;
    size_t len = (size_t)px->width * px->height * 4;

    if (!(t[0] = vips_image_new_from_memory_copy(px->rgba, len, px->width, px->height, 4,
                                                 VIPS_FORMAT_UCHAR)))
        return NULL;
    if (!vips_extract_band(t[0], &t[1], 0, "n", px->opaque ? 3 : 4, NULL))
        vips_copy(t[1], &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL);
    pix_unref_all(t, 2);
    return out;
}
