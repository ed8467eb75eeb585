#include "thumbhash.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "blurhash.h" /* describe_js_cos() */

/* As in blurhash.c: the bytes must equal Node's, so every operation is
 * V8's, in its order, with V8's cos.  It matters more here: the AC terms
 * of a flat image are pure rounding noise, which the encoder scales up to
 * full range, so one last bit of one cosine changes the hash. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

#define JS_PI 3.141592653589793

/* The most DCT terms one channel takes along an axis (luminance, 7). */
#define MAX_TERMS 7

/* Math.round: the nearest integer, halves towards +infinity (C's round()
 * takes -2.5 to -3, JS to -2).  Not floor(x + 0.5), which takes
 * 0.49999999999999994 to 1: x - floor(x) is exact, the sum is not. */
static double js_round(double x)
{
    double f = floor(x);
    return x - f >= 0.5 ? f + 1 : f;
}

/* What JS's `|` and `<<` make of a number: its low 32 bits as an
 * integer (the values here are small, so a plain conversion). */
static uint32_t js_int(double x)
{
    return (uint32_t)(int64_t)x;
}

/* One channel's DCT, as the reference walks it: rows cy, then columns cx
 * while cx * ny < nx * (ny - cy) (a triangle, more terms along the longer
 * side).  *dc gets the first term; ac[] (the caller's, room for
 * MAX_TERMS^2) the rest, scaled into 0..1 around 0.5 by their largest
 * magnitude, which goes to *scale; *n_ac their count.  cos_x and cos_y
 * hold cos(pi / side * c * (i + 0.5)) at [c * 100 + i]. */
static void encode_channel(const double *ch, int w, int h, int nx, int ny,
                           const double *cos_x, const double *cos_y, double *dc, double *ac,
                           int *n_ac, double *scale)
{
    const double *fx[MAX_TERMS * MAX_TERMS], *fy[MAX_TERMS * MAX_TERMS];
    double f[MAX_TERMS * MAX_TERMS] = { 0 };
    int n = 0;

    for (int cy = 0; cy < ny; cy++)
        for (int cx = 0; cx * ny < nx * (ny - cy); cx++, n++) {
            fx[n] = cos_x + cx * 100;
            fy[n] = cos_y + cy * 100;
        }
    /* All terms in one pass over the pixels: each sum still takes its
     * terms in the reference's order (y outer, x inner), so rounds the
     * same, and the sums no longer wait on one another. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double v = ch[x + y * w];
            for (int k = 0; k < n; k++)
                f[k] += v * fx[k][x] * fy[k][y];
        }

    double max = 0;
    *dc = f[0] / (w * h);
    for (int k = 1; k < n; k++) {
        ac[k - 1] = f[k] / (w * h);
        if (fabs(ac[k - 1]) > max)
            max = fabs(ac[k - 1]);
    }
    if (max != 0)
        for (int i = 0; i < n - 1; i++)
            ac[i] = 0.5 + 0.5 / max * ac[i];
    *n_ac = n - 1;
    *scale = max;
}

int describe_thumbhash(const unsigned char *rgba, int width, int height, unsigned char *out,
                       size_t size, size_t *len)
{
    int w = width, h = height;

    if (!rgba || !out || !len || w < 1 || h < 1 || w > 100 || h > 100)
        return -1;
    size_t n = (size_t)w * h;

    /* The average colour, weighted by alpha.  Sums of k/255: a fully
     * opaque image sums to exactly w*h, which is how opacity is told. */
    double avg_r = 0, avg_g = 0, avg_b = 0, avg_a = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = rgba + i * 4;
        double alpha = p[3] / 255.0;
        avg_r += alpha / 255 * p[0];
        avg_g += alpha / 255 * p[1];
        avg_b += alpha / 255 * p[2];
        avg_a += alpha;
    }
    if (avg_a != 0) { /* all transparent: the average stays black */
        avg_r /= avg_a;
        avg_g /= avg_a;
        avg_b /= avg_a;
    }

    bool has_alpha = avg_a < (double)n;
    bool landscape = w > h;
    int limit = has_alpha ? 5 : 7; /* fewer luminance terms when alpha takes room */
    int longest = w > h ? w : h;
    int lx = (int)js_round((double)(limit * w) / longest),
        ly = (int)js_round((double)(limit * h) / longest);
    if (lx < 1)
        lx = 1;
    if (ly < 1)
        ly = 1;

    /* Luminance, yellow-blue, red-green and alpha, each pixel first
     * composited over the average colour so transparent parts fade into it */
    double *lpqa = malloc(sizeof *lpqa * n * 4);
    if (!lpqa)
        return -1;
    double *lum = lpqa, *yb = lpqa + n, *rg = lpqa + 2 * n, *al = lpqa + 3 * n;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = rgba + i * 4;
        double alpha = p[3] / 255.0;
        double r = avg_r * (1 - alpha) + alpha / 255 * p[0];
        double g = avg_g * (1 - alpha) + alpha / 255 * p[1];
        double b = avg_b * (1 - alpha) + alpha / 255 * p[2];
        lum[i] = (r + g + b) / 3;
        yb[i] = (r + g) / 2 - b;
        rg[i] = r - g;
        al[i] = alpha;
    }

    /* cos(pi / w * cx * (x + 0.5)), written as the reference does */
    double cos_x[MAX_TERMS * 100], cos_y[MAX_TERMS * 100];
    for (int c = 0; c < MAX_TERMS; c++) {
        for (int x = 0; x < w; x++)
            cos_x[c * 100 + x] = describe_js_cos(JS_PI / w * c * (x + 0.5));
        for (int y = 0; y < h; y++)
            cos_y[c * 100 + y] = describe_js_cos(JS_PI / h * c * (y + 0.5));
    }

    double l_dc, p_dc, q_dc, a_dc = 0, l_scale, p_scale, q_scale, a_scale = 0;
    double l_ac[MAX_TERMS * MAX_TERMS], p_ac[9], q_ac[9], a_ac[25];
    int n_l, n_p, n_q, n_a = 0;
    encode_channel(lum, w, h, lx > 3 ? lx : 3, ly > 3 ? ly : 3, cos_x, cos_y, &l_dc, l_ac, &n_l,
                   &l_scale);
    encode_channel(yb, w, h, 3, 3, cos_x, cos_y, &p_dc, p_ac, &n_p, &p_scale);
    encode_channel(rg, w, h, 3, 3, cos_x, cos_y, &q_dc, q_ac, &n_q, &q_scale);
    if (has_alpha)
        encode_channel(al, w, h, 5, 5, cos_x, cos_y, &a_dc, a_ac, &n_a, &a_scale);
    free(lpqa);

    /* The header, OR-ed together as the reference does (no masking: the
     * fields cannot overflow their bits, the values being in range). */
    uint32_t h24 = js_int(js_round(63 * l_dc)) | js_int(js_round(31.5 + 31.5 * p_dc)) << 6 |
                   js_int(js_round(31.5 + 31.5 * q_dc)) << 12 |
                   js_int(js_round(31 * l_scale)) << 18 | (uint32_t)has_alpha << 23;
    uint32_t h16 = (uint32_t)(landscape ? ly : lx) | js_int(js_round(63 * p_scale)) << 3 |
                   js_int(js_round(63 * q_scale)) << 9 | (uint32_t)landscape << 15;
    uint32_t hash[32] = { h24 & 255, h24 >> 8 & 255, h24 >> 16, h16 & 255, h16 >> 8 };
    int start = 5;
    if (has_alpha)
        hash[start++] = js_int(js_round(15 * a_dc)) | js_int(js_round(15 * a_scale)) << 4;

    /* Then every AC term in four bits, low nibble first */
    const double *acs[4] = { l_ac, p_ac, q_ac, a_ac };
    const int counts[4] = { n_l, n_p, n_q, n_a };
    int k = 0;
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < counts[c]; i++, k++)
            hash[start + (k >> 1)] |= js_int(js_round(15 * acs[c][i])) << ((k & 1) << 2);

    size_t total = (size_t)start + (size_t)(k + 1) / 2;
    if (total > size)
        return -1;
    for (size_t i = 0; i < total; i++)
        out[i] = (unsigned char)hash[i]; /* Uint8Array: the low 8 bits */
    *len = total;
    return 0;
}
