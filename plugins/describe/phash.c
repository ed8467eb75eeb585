#include "phash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pixpipe/stage.h>

/* The luma of img (borrowed, sRGB with or without alpha), flattened on
 * white: *out is new.  Made once for both hashes. */
static int luma(VipsImage *img, VipsImage **out)
{
    VipsImage *flat = NULL;
    double white[] = { 255, 255, 255 };
    int rc;

    if (vips_image_hasalpha(img)
            ? vips_flatten(img, &flat, "background", vips_array_double_new(white, 3), NULL)
            : vips_copy(img, &flat, NULL))
        return -1;
    rc = vips_colourspace(flat, out, VIPS_INTERPRETATION_B_W, NULL);
    g_object_unref(flat);
    return rc;
}

/* grey (borrowed, one band) reduced to exactly w x h, as doubles into out. */
static int reduce(VipsImage *grey, int w, int h, double *out)
{
    VipsImage *t[2] = { NULL };
    unsigned char *px = NULL;
    int rc = -1;

    if (vips_resize(grey, &t[0], (double)w / vips_image_get_width(grey), "vscale",
                    (double)h / vips_image_get_height(grey), "kernel", VIPS_KERNEL_LANCZOS3,
                    NULL))
        goto out;
    /* libvips rounds each side on its own: land on w x h exactly */
    if (vips_gravity(t[0], &t[1], VIPS_COMPASS_DIRECTION_NORTH_WEST, w, h, "extend",
                     VIPS_EXTEND_COPY, NULL))
        goto out;
    size_t len;
    if (!(px = vips_image_write_to_memory(t[1], &len)) || len != (size_t)w * h)
        goto out;
    for (int i = 0; i < w * h; i++)
        out[i] = px[i];
    rc = 0;
out:
    g_free(px);
    pix_unref_all(t, 2);
    return rc;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The 8x8 lowest frequencies of the 2-D DCT-II of a 32x32 block
 * (unnormalised, as scipy's default; the scale does not change which
 * coefficients are above the median). */
static void dct_low(const double in[32 * 32], double out[8 * 8])
{
    double cosines[8][32], rows[32][8];
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 32; x++)
            cosines[u][x] = cos(M_PI * (2 * x + 1) * u / 64.0);
    for (int y = 0; y < 32; y++)
        for (int u = 0; u < 8; u++) {
            double s = 0;
            for (int x = 0; x < 32; x++)
                s += in[y * 32 + x] * cosines[u][x];
            rows[y][u] = s;
        }
    for (int v = 0; v < 8; v++)
        for (int u = 0; u < 8; u++) {
            double s = 0;
            for (int y = 0; y < 32; y++)
                s += rows[y][u] * cosines[v][y];
            out[v * 8 + u] = s;
        }
}

int describe_hashes(const describe_pixels *px, uint64_t *dhash, uint64_t *phash)
{
    VipsImage *img = describe_pixels_image(px), *g = NULL;
    double d[9 * 8], p[32 * 32], low[64], sorted[64];
    int rc = -1;

    if (!img || luma(img, &g) < 0 || reduce(g, 9, 8, d) < 0 || reduce(g, 32, 32, p) < 0)
        goto out;
    *dhash = 0;
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++)
            *dhash = *dhash << 1 | (d[y * 9 + x + 1] > d[y * 9 + x]);
    dct_low(p, low);
    memcpy(sorted, low, sizeof sorted);
    qsort(sorted, 64, sizeof *sorted, by_value);
    double median = (sorted[31] + sorted[32]) / 2;
    *phash = 0;
    for (int i = 0; i < 64; i++)
        *phash = *phash << 1 | (low[i] > median);
    rc = 0;
out:
    if (g)
        g_object_unref(g);
    if (img)
        g_object_unref(img);
    return rc;
}
