/* SSIM on luma (core/similarity.c), against a direct computation of the
 * same definition: 8x8 windows at a stride of 4, unbiased (co)variances,
 * Rec. 601 luma; the mosaic mask; many tests in one pass. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <vips/vips.h>

#include "similarity.h"

/* A deterministic RGB test card: smooth gradients, a sharp edge, noise. */
static VipsImage *card(int w, int h, unsigned seed, double noise)
{
    unsigned char *px = malloc((size_t)w * h * 3);
    cr_assert(px);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            seed = seed * 1103515245u + 12345u;
            double n = noise * (((seed >> 16) & 0xff) / 255.0 - 0.5);
            double base[3] = { 255.0 * x / w, 255.0 * y / h, x < w / 2 ? 40 : 210 };
            for (int c = 0; c < 3; c++) {
                double v = base[c] + n * (c + 1);
                px[((size_t)y * w + x) * 3 + c] = (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    VipsImage *im = vips_image_new_from_memory_copy(px, (size_t)w * h * 3, w, h, 3,
                                                    VIPS_FORMAT_UCHAR);
    free(px);
    cr_assert(im);
    im->Type = VIPS_INTERPRETATION_sRGB;
    return im;
}

static double luma_at(VipsImage *im, int x, int y)
{
    const unsigned char *p = VIPS_IMAGE_ADDR(im, x, y);
    return 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
}

/* The definition, written out: every 8x8 window at a stride of 4 whose
 * top-left corner is a multiple of 4, skipping those across a piece's
 * edge when tile > 0. */
static double direct_ssim(VipsImage *a, VipsImage *b, int tile)
{
    const double c1 = 6.5025, c2 = 58.5225;
    int w = a->Xsize / 4 * 4, h = a->Ysize / 4 * 4;
    double sum = 0;
    int n = 0;
    for (int y0 = 0; y0 + 8 <= h; y0 += 4)
        for (int x0 = 0; x0 + 8 <= w; x0 += 4) {
            if (tile && ((x0 / tile) != ((x0 + 7) / tile) || (y0 / tile) != ((y0 + 7) / tile)))
                continue;
            double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
            for (int y = y0; y < y0 + 8; y++)
                for (int x = x0; x < x0 + 8; x++) {
                    double p = luma_at(a, x, y), q = luma_at(b, x, y);
                    sx += p, sy += q, sxx += p * p, syy += q * q, sxy += p * q;
                }
            double mx = sx / 64, my = sy / 64;
            double vx = (sxx / 64 - mx * mx) * 64 / 63, vy = (syy / 64 - my * my) * 64 / 63;
            double cov = (sxy / 64 - mx * my) * 64 / 63;
            sum += (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            n++;
        }
    return sum / n;
}

static void init(void)
{
    cr_assert_eq(VIPS_INIT("test"), 0);
}

Test(similarity, matches_the_definition, .init = init)
{
    VipsImage *a = card(203, 149, 1, 60), *b = card(203, 149, 2, 90), *c = card(203, 149, 1, 60);
    pix_err err = { "" };
    pix_ssim_ref *ref = pix_ssim_ref_new(a, &err);
    cr_assert(ref, "%s", err.msg);
    double s_same = 0, s_other = 0;
    cr_assert_eq(pix_ssim(ref, c, &s_same, &err), 0, "%s", err.msg);
    cr_assert_eq(pix_ssim(ref, b, &s_other, &err), 0, "%s", err.msg);
    cr_assert_float_eq(s_same, 1.0, 1e-6, "identical pixels score %f", s_same);
    double want = direct_ssim(a, b, 0);
    cr_assert(want < 0.95 && want > 0.01, "the noisy card should differ: %f", want);
    cr_assert_float_eq(s_other, want, 2e-5, "libvips %f, direct %f", s_other, want);

    /* many in one pass: the same scores as one at a time */
    VipsImage *tests[3] = { b, c, b };
    double many[3];
    cr_assert_eq(pix_ssim_many(ref, tests, 3, many, &err), 0, "%s", err.msg);
    cr_assert_float_eq(many[0], s_other, 1e-9);
    cr_assert_float_eq(many[1], 1.0, 1e-6);
    cr_assert_float_eq(many[2], s_other, 1e-9);
    pix_ssim_ref_free(ref);

    /* a mosaic of 32 px pieces: windows across two pieces left out */
    ref = pix_ssim_ref_new_tiled(a, 32, &err);
    cr_assert(ref, "%s", err.msg);
    cr_assert_eq(pix_ssim(ref, b, &s_other, &err), 0, "%s", err.msg);
    want = direct_ssim(a, b, 32);
    cr_assert_float_eq(s_other, want, 2e-5, "tiled: libvips %f, direct %f", s_other, want);
    pix_ssim_ref_free(ref);
    g_object_unref(a), g_object_unref(b), g_object_unref(c);
}

Test(similarity, refuses_what_it_cannot_compare, .init = init)
{
    VipsImage *a = card(64, 48, 1, 10), *small = card(60, 48, 1, 10), *tiny = card(6, 6, 1, 0);
    pix_err err = { "" };
    pix_ssim_ref *ref = pix_ssim_ref_new(a, &err);
    double s = 0;
    cr_assert(ref, "%s", err.msg);
    cr_assert_eq(pix_ssim(ref, small, &s, &err), -1);
    cr_assert(strstr(err.msg, "differ in size (60x48, 3 bands, against about 64x48)"), "%s", err.msg);
    cr_assert_null(pix_ssim_ref_new(tiny, &err));
    cr_assert(strstr(err.msg, "6x6 is smaller than one 8x8 window"), "%s", err.msg);
    cr_assert_eq(pix_ssim_encoded(ref, "not an image", 12, &s, &err), -1);
    cr_assert(strstr(err.msg, "cannot compute SSIM (decoding the encoded image)"), "%s", err.msg);
    pix_ssim_ref_free(ref);
    g_object_unref(a), g_object_unref(small), g_object_unref(tiny);
}
