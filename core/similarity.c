/* SSIM on luma with libvips operations.  Every intermediate image hangs off
 * one throw-away parent object (vips_object_local_array), so one unref
 * frees them all, on success and failure alike.
 *
 * SSIM as x264 and ffmpeg compute it: 8x8 windows at a 4-pixel stride,
 * uniform weights, unbiased (co)variances, Wang et al.'s constants for
 * 8-bit values.  Every window straddles the 8x8 blocks of a JPEG four
 * ways, so blocking shows; and the windows' means come from one box
 * shrink by 4 and a 2x2 convolution of the result, a small fraction of
 * what a Gaussian window would cost on every pixel.  A comparison is a
 * quality search's inner loop: it builds as few libvips operations as it
 * can (each costs about as much as a small image's pixels), the
 * reference's side computed once. */
#include "similarity.h"

#include <stdbool.h>
#include <stdlib.h>

#define SSIM_C1 (0.01 * 255 * 0.01 * 255)
#define SSIM_C2 (0.03 * 255 * 0.03 * 255)
#define SSIM_BLOCK 4
/* a window's (co)variance over its 64 pixels, made unbiased */
#define SSIM_UNBIAS (64.0 / 63.0)

struct pix_ssim_ref {
    int width, height; /* of the image compared: a multiple of 4 (cut)   */
    VipsImage *x;      /* reference luma, float, cut to width x height   */
    VipsImage *mu_x;   /* window means of x, one per window              */
    VipsImage *den1;   /* mu_x^2 + C1                                    */
    VipsImage *den2;   /* unbiased var_x + C2                            */
    VipsImage *keep;   /* mosaic: 1 for the windows inside one piece, 0
                          across two; NULL: every window counts           */
    double kept;       /* the mean of keep                               */
};

static int fail(pix_err *err, const char *what)
{
    char why[1024];
    return pix_err_set(err, "cannot compute SSIM (%s): %s", what, pix_vips_error(why, sizeof why));
}

/* Alpha flattened on white and the size cut to w x h: what luma() reads.
 * *out is owned by parent. */
static int flat_cut(VipsObject *parent, VipsImage *in, int w, int h, VipsImage **out)
{
    VipsImage **t = (VipsImage **)vips_object_local_array(parent, 2);
    VipsImage *cur = in;
    if (vips_image_hasalpha(cur)) {
        bool deep = vips_image_get_format(cur) == VIPS_FORMAT_USHORT;
        VipsArrayDouble *white = vips_array_double_newv(1, deep ? 65535.0 : 255.0);
        int rc = vips_flatten(cur, &t[0], "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (rc)
            return -1;
        cur = t[0];
    }
    if (vips_image_get_width(cur) != w || vips_image_get_height(cur) != h) {
        if (vips_crop(cur, &t[1], 0, 0, w, h, NULL))
            return -1;
        cur = t[1];
    }
    *out = cur;
    return 0;
}

/* The Rec. 601 luma of each of the n images (the same size and bands) as
 * the n float bands of one image, in one recomb: a band of luma per image,
 * 16-bit values scaled to 8-bit ones.  *out is owned by parent. */
static int luma(VipsObject *parent, VipsImage **in, int n, int w, int h, VipsImage **out)
{
    VipsImage **t = (VipsImage **)vips_object_local_array(parent, 2 * n + 2);
    int bands = vips_image_get_bands(in[0]) - (vips_image_hasalpha(in[0]) ? 1 : 0);
    int use = bands >= 3 ? 3 : 1;
    for (int i = 0; i < n; i++) {
        VipsImage *cur = NULL;
        if (flat_cut(parent, in[i], w, h, &cur))
            return -1;
        if (vips_image_get_bands(cur) != use) {
            if (vips_extract_band(cur, &t[n + i], 0, "n", use, NULL))
                return -1;
            cur = t[n + i];
        }
        t[i] = cur;
        g_object_ref(cur);
    }
    double k = vips_image_get_format(t[0]) == VIPS_FORMAT_USHORT ? 255.0 / 65535.0 : 1.0;
    const double coef[3] = { 0.299 * k, 0.587 * k, 0.114 * k }, grey[1] = { k };
    VipsImage *m = vips_image_new_matrix(use * n, n);
    if (!m)
        return -1;
    vips_object_local(parent, m);
    /* block-diagonal: output band i weighs image i's bands only */
    for (int i = 0; i < n; i++)
        for (int j = 0; j < use; j++)
            *VIPS_MATRIX(m, i * use + j, i) = use == 3 ? coef[j] : grey[j];
    VipsImage *joined = t[0];
    if (n > 1) {
        if (vips_bandjoin(t, &t[2 * n], n, NULL))
            return -1;
        joined = t[2 * n];
    }
    if (vips_recomb(joined, &t[2 * n + 1], m, NULL))
        return -1;
    *out = t[2 * n + 1];
    return 0;
}

/* The mean of every 8x8 window at a stride of 4, per band: the 4x4 block
 * means, each 2x2 group of them averaged (the first row and column of
 * the convolution's output straddle its edge).  *out is owned by parent. */
static int window_means(VipsObject *parent, VipsImage *in, VipsImage **out)
{
    VipsImage **t = (VipsImage **)vips_object_local_array(parent, 3);
    VipsImage *mask = vips_image_new_matrixv(2, 2, 1.0, 1.0, 1.0, 1.0);
    if (!mask)
        return -1;
    vips_object_local(parent, mask);
    vips_image_set_double(mask, "scale", 4.0);
    if (vips_shrink(in, &t[0], SSIM_BLOCK, SSIM_BLOCK, NULL) ||
        vips_conv(t[0], &t[1], mask, "precision", VIPS_PRECISION_FLOAT, NULL))
        return -1;
    int w = vips_image_get_width(t[1]) - 1, h = vips_image_get_height(t[1]) - 1;
    if (vips_crop(t[1], &t[2], 1, 1, w, h, NULL))
        return -1;
    *out = t[2];
    return 0;
}

/* The keep mask of a mosaic of tile-pixel pieces: window i (along a side)
 * covers blocks i and i+1 of 4 pixels, across two pieces when block i+1
 * starts one. */
static int seams_mask(VipsObject *parent, int w, int h, int tile, VipsImage **out)
{
    VipsImage **t = (VipsImage **)vips_object_local_array(parent, 6);
    int per = tile / SSIM_BLOCK;
    /* x mod per == per - 1 marks a window across a seam: xyz gives each
     * window its coordinates, remainder and equal find the seams */
    if (vips_xyz(&t[0], w, h, NULL) || vips_remainder_const1(t[0], &t[1], per, NULL) ||
        vips_equal_const1(t[1], &t[2], per - 1, NULL) ||
        vips_bandor(t[2], &t[3], NULL) ||                /* either axis */
        vips_notequal_const1(t[3], &t[4], 255, NULL) ||  /* 255 inside  */
        vips_linear1(t[4], &t[5], 1.0 / 255, 0, NULL))
        return -1;
    return (*out = vips_image_copy_memory(t[5])) ? 0 : -1;
}

void pix_ssim_ref_free(pix_ssim_ref *ref)
{
    if (!ref)
        return;
    VipsImage *held[] = { ref->x, ref->mu_x, ref->den1, ref->den2, ref->keep };
    for (size_t i = 0; i < sizeof held / sizeof *held; i++)
        if (held[i])
            g_object_unref(held[i]);
    free(ref);
}

pix_ssim_ref *pix_ssim_ref_new(VipsImage *image, pix_err *err)
{
    return pix_ssim_ref_new_tiled(image, 0, err);
}

pix_ssim_ref *pix_ssim_ref_new_tiled(VipsImage *image, int tile, pix_err *err)
{
    VipsObject *parent = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(parent, 10);
    pix_ssim_ref *ref = calloc(1, sizeof *ref);
    VipsImage *x = NULL, *stats = NULL;
    int w = vips_image_get_width(image) / SSIM_BLOCK * SSIM_BLOCK;
    int h = vips_image_get_height(image) / SSIM_BLOCK * SSIM_BLOCK;

    if (!ref) {
        pix_err_set(err, "cannot compute SSIM: out of memory");
        goto out;
    }
    if (w < 2 * SSIM_BLOCK || h < 2 * SSIM_BLOCK) {
        pix_err_set(err, "cannot compute SSIM: %dx%d is smaller than one 8x8 window",
                    vips_image_get_width(image), vips_image_get_height(image));
        goto fail;
    }
    ref->width = w;
    ref->height = h;
    /* x and the reference's terms of the formula are read by every
     * comparison: held in memory, so that pix_ssim() computes only the
     * test's side */
    VipsImage *in[2] = { NULL, NULL };
    if (luma(parent, &image, 1, w, h, &x) || !(ref->x = vips_image_copy_memory(x)) ||
        vips_multiply(ref->x, ref->x, &t[0], NULL))
        goto vips_fail;
    in[0] = ref->x;
    in[1] = t[0];
    if (vips_bandjoin(in, &t[1], 2, NULL) || window_means(parent, t[1], &stats) ||
        !(t[2] = vips_image_copy_memory(stats)) || vips_extract_band(t[2], &t[3], 0, NULL) ||
        vips_extract_band(t[2], &t[4], 1, NULL) || vips_multiply(t[3], t[3], &t[5], NULL) ||
        vips_linear1(t[5], &t[6], 1.0, SSIM_C1, NULL) ||
        vips_subtract(t[4], t[5], &t[7], NULL) ||
        vips_linear1(t[7], &t[8], SSIM_UNBIAS, SSIM_C2, NULL))
        goto vips_fail;
    if (!(ref->mu_x = vips_image_copy_memory(t[3])) || !(ref->den1 = vips_image_copy_memory(t[6])) ||
        !(ref->den2 = vips_image_copy_memory(t[8])))
        goto vips_fail;
    if (tile >= 2 * SSIM_BLOCK &&
        (seams_mask(parent, vips_image_get_width(ref->mu_x), vips_image_get_height(ref->mu_x),
                    tile, &ref->keep) ||
         vips_avg(ref->keep, &ref->kept, NULL)))
        goto vips_fail;
    if (ref->keep && ref->kept <= 0) {
        pix_err_set(err, "cannot compute SSIM: no window lies inside one piece");
        goto fail;
    }
    goto out;
vips_fail:
    fail(err, "reference");
fail:
    pix_ssim_ref_free(ref);
    ref = NULL;
out:
    g_object_unref(parent);
    return ref;
}

int pix_ssim_many(const pix_ssim_ref *ref, VipsImage **tests, int n, double *scores,
                  pix_err *err)
{
    VipsObject *parent = VIPS_OBJECT(vips_image_new());
    VipsImage **t = (VipsImage **)vips_object_local_array(parent, 22);
    VipsImage *lazy = NULL, *stats = NULL;
    int rc = -1;

    for (int i = 0; i < n; i++)
        if (vips_image_get_width(tests[i]) / SSIM_BLOCK * SSIM_BLOCK != ref->width ||
            vips_image_get_height(tests[i]) / SSIM_BLOCK * SSIM_BLOCK != ref->height ||
            vips_image_get_bands(tests[i]) != vips_image_get_bands(tests[0])) {
            pix_err_set(err, "cannot compute SSIM: the images differ in size (%dx%d, %d bands, "
                        "against about %dx%d)", vips_image_get_width(tests[i]),
                        vips_image_get_height(tests[i]), vips_image_get_bands(tests[i]),
                        ref->width, ref->height);
            goto out;
        }
    /* Y (a band per test) in memory: read three times below, and the
     * tests may be sequential decodes that can be read only once */
    if (luma(parent, tests, n, ref->width, ref->height, &lazy) ||
        !(t[0] = vips_image_copy_memory(lazy)))
        goto vips_fail;
    VipsImage *y = t[0], *in[3] = { y, NULL, NULL };
    /* Y, Y^2 and xY through one shrink, as the bands of one image; x, one
     * band, is applied to each of Y's */
    if (vips_multiply(y, y, &t[1], NULL) || vips_multiply(ref->x, y, &t[2], NULL))
        goto vips_fail;
    in[1] = t[1];
    in[2] = t[2];
    if (vips_bandjoin(in, &t[3], 3, NULL) || window_means(parent, t[3], &stats) ||
        !(t[4] = vips_image_copy_memory(stats)) ||
        vips_extract_band(t[4], &t[5], 0, "n", n, NULL) ||      /* mu_y   */
        vips_extract_band(t[4], &t[6], n, "n", n, NULL) ||      /* E[y^2] */
        vips_extract_band(t[4], &t[7], 2 * n, "n", n, NULL))    /* E[xy]  */
        goto vips_fail;
    VipsImage *mu_y = t[5];
    /* (2 mu_x mu_y + C1) (2 cov_xy + C2) / ((mu_x^2 + mu_y^2 + C1)
     * (var_x + var_y + C2)), cov_xy = E[xy] - mu_x mu_y, var_y = E[y^2] -
     * mu_y^2, both unbiased; the reference's terms are ready-made */
    if (vips_multiply(ref->mu_x, mu_y, &t[8], NULL) ||
        vips_linear1(t[8], &t[9], 2.0, SSIM_C1, NULL) ||           /* num1 */
        vips_subtract(t[7], t[8], &t[10], NULL) ||
        vips_linear1(t[10], &t[11], 2.0 * SSIM_UNBIAS, SSIM_C2, NULL) || /* num2 */
        vips_multiply(mu_y, mu_y, &t[12], NULL) ||
        vips_add(ref->den1, t[12], &t[13], NULL) ||                /* den1 */
        vips_subtract(t[6], t[12], &t[14], NULL) ||
        vips_linear1(t[14], &t[15], SSIM_UNBIAS, 0.0, NULL) ||
        vips_add(ref->den2, t[15], &t[16], NULL) ||                /* den2 */
        vips_multiply(t[9], t[11], &t[17], NULL) || vips_multiply(t[13], t[16], &t[18], NULL) ||
        vips_divide(t[17], t[18], &t[19], NULL))
        goto vips_fail;
    VipsImage *map = t[19];
    double kept = 1.0;
    if (ref->keep) {
        /* the mean over the kept windows: of the masked map, over their share */
        if (vips_multiply(map, ref->keep, &t[20], NULL))
            goto vips_fail;
        map = t[20];
        kept = ref->kept;
    }
    /* one statistics pass for every band: row 1 + i holds band i's, its
     * column 4 the mean */
    if (vips_stats(map, &t[21], NULL))
        goto vips_fail;
    for (int i = 0; i < n; i++)
        scores[i] = *VIPS_MATRIX(t[21], 4, 1 + i) / kept;
    rc = 0;
    goto out;
vips_fail:
    fail(err, "comparison");
out:
    g_object_unref(parent);
    return rc;
}

int pix_ssim(const pix_ssim_ref *ref, VipsImage *test, double *score, pix_err *err)
{
    return pix_ssim_many(ref, &test, 1, score, err);
}

int pix_ssim_encoded(const pix_ssim_ref *ref, const void *data, size_t len, double *score,
                     pix_err *err)
{
    VipsImage *im = vips_image_new_from_buffer(data, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
                                               NULL);
    if (!im)
        return fail(err, "decoding the encoded image");
    int rc = pix_ssim(ref, im, score, err);
    g_object_unref(im);
    return rc;
}
