#include "colours.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pixpipe/stage.h>

#define ITERATIONS 24
/* CIE76 distance under which two clusters read as one colour. */
#define MERGE_DELTA_E 6.0

typedef struct cluster {
    double lab[3], sum[3];
    double count;
} cluster;

static double dist2(const double *a, const float *b)
{
    double d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2];
    return d0 * d0 + d1 * d1 + d2 * d2;
}

/* The counted pixels of px in CIELAB (L, a, b floats), converted by
 * libvips.  *n gets their number.  g_free() the result; NULL with
 * libvips' error set, or when none counts (*n 0). */
static float *counted_lab(const describe_pixels *px, size_t *n)
{
    size_t total = (size_t)px->width * px->height, k = 0;
    unsigned char *rgb = g_malloc(total * 3 + 3);
    VipsImage *t[3] = { NULL };
    float *lab = NULL;

    for (size_t i = 0; i < total; i++)
        if (px->rgba[i * 4 + 3] >= 128) {
            memcpy(rgb + k * 3, px->rgba + i * 4, 3);
            k++;
        }
    *n = k;
    if (!k)
        goto out;
    if (!(t[0] = vips_image_new_from_memory(rgb, k * 3, (int)k, 1, 3, VIPS_FORMAT_UCHAR)) ||
        vips_copy(t[0], &t[1], "interpretation", VIPS_INTERPRETATION_sRGB, NULL) ||
        vips_colourspace(t[1], &t[2], VIPS_INTERPRETATION_LAB, NULL))
        goto out;
    size_t len;
    lab = vips_image_write_to_memory(t[2], &len);
out:
    pix_unref_all(t, 3);
    g_free(rgb);
    return lab;
}

/* The sRGB of n CIELAB colours, converted by libvips. */
static int lab_to_srgb(const cluster *c, int n, describe_swatch *out)
{
    float lab[DESCRIBE_PALETTE_MAX * 3];
    VipsImage *t[3] = { NULL };
    unsigned char *rgb = NULL;
    int rc = -1;

    for (int i = 0; i < n; i++)
        for (int b = 0; b < 3; b++)
            lab[i * 3 + b] = (float)c[i].lab[b];
    if (!(t[0] = vips_image_new_from_memory(lab, sizeof(float) * 3 * n, n, 1, 3,
                                            VIPS_FORMAT_FLOAT)) ||
        vips_copy(t[0], &t[1], "interpretation", VIPS_INTERPRETATION_LAB, NULL) ||
        vips_colourspace(t[1], &t[2], VIPS_INTERPRETATION_sRGB, NULL))
        goto out;
    size_t len;
    if (!(rgb = vips_image_write_to_memory(t[2], &len)))
        goto out;
    for (int i = 0; i < n; i++)
        memcpy(out[i].rgb, rgb + i * 3, 3);
    rc = 0;
out:
    g_free(rgb);
    pix_unref_all(t, 3);
    return rc;
}

/* Seeds k clusters by farthest-point: the mean first, then each time the
 * pixel farthest from every seed so far.  Deterministic, so a record does
 * not change between runs. */
static int seed(const float *lab, size_t n, cluster *c, int k)
{
    double mean[3] = { 0 };
    for (size_t i = 0; i < n; i++)
        for (int b = 0; b < 3; b++)
            mean[b] += lab[i * 3 + b];
    for (int b = 0; b < 3; b++)
        c[0].lab[b] = mean[b] / n;
    int got = 1;
    while (got < k) {
        double best = 0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            double near = INFINITY;
            for (int j = 0; j < got; j++)
                near = fmin(near, dist2(c[j].lab, lab + i * 3));
            if (near > best) {
                best = near;
                at = i;
            }
        }
        if (best < 1.0)
            break; /* fewer distinct colours than k */
        for (int b = 0; b < 3; b++)
            c[got].lab[b] = lab[at * 3 + b];
        got++;
    }
    return got;
}

static void lloyd(const float *lab, size_t n, cluster *c, int k)
{
    for (int it = 0; it < ITERATIONS; it++) {
        for (int j = 0; j < k; j++)
            c[j].sum[0] = c[j].sum[1] = c[j].sum[2] = c[j].count = 0;
        for (size_t i = 0; i < n; i++) {
            int best = 0;
            double bd = INFINITY;
            for (int j = 0; j < k; j++) {
                double d = dist2(c[j].lab, lab + i * 3);
                if (d < bd) {
                    bd = d;
                    best = j;
                }
            }
            for (int b = 0; b < 3; b++)
                c[best].sum[b] += lab[i * 3 + b];
            c[best].count++;
        }
        double moved = 0;
        for (int j = 0; j < k; j++) {
            if (!c[j].count)
                continue;
            for (int b = 0; b < 3; b++) {
                double v = c[j].sum[b] / c[j].count;
                moved = fmax(moved, fabs(v - c[j].lab[b]));
                c[j].lab[b] = v;
            }
        }
        if (moved < 0.01)
            break;
    }
}

/* Merges clusters closer than MERGE_DELTA_E and drops empty ones; sorts by
 * count, largest first.  Returns how many are left. */
static int tidy(cluster *c, int k)
{
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < k; j++) {
            if (!c[i].count || !c[j].count)
                continue;
            double d0 = c[i].lab[0] - c[j].lab[0], d1 = c[i].lab[1] - c[j].lab[1],
                   d2 = c[i].lab[2] - c[j].lab[2];
            if (sqrt(d0 * d0 + d1 * d1 + d2 * d2) >= MERGE_DELTA_E)
                continue;
            double n = c[i].count + c[j].count;
            for (int b = 0; b < 3; b++)
                c[i].lab[b] = (c[i].lab[b] * c[i].count + c[j].lab[b] * c[j].count) / n;
            c[i].count = n;
            c[j].count = 0;
        }
    int m = 0;
    for (int i = 0; i < k; i++)
        if (c[i].count)
            c[m++] = c[i];
    for (int i = 1; i < m; i++) /* insertion sort: m <= 16 */
        for (int j = i; j > 0 && c[j].count > c[j - 1].count; j--) {
            cluster t = c[j];
            c[j] = c[j - 1];
            c[j - 1] = t;
        }
    return m;
}

static double to_linear(unsigned char v)
{
    double s = v / 255.0;
    return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

static unsigned char to_srgb(double l)
{
    double s = l <= 0.0031308 ? l * 12.92 : 1.055 * pow(l, 1 / 2.4) - 0.055;
    s = round(s * 255);
    return (unsigned char)(s < 0 ? 0 : s > 255 ? 255 : s);
}

int describe_colours_of(const describe_pixels *px, int k, describe_colours *c)
{
    cluster cl[DESCRIBE_PALETTE_MAX];
    size_t n = 0;
    float *lab;
    int rc = -1;

    memset(c, 0, sizeof *c);
    if (k < 1 || k > DESCRIBE_PALETTE_MAX)
        k = k < 1 ? 1 : DESCRIBE_PALETTE_MAX;
    if (!(lab = counted_lab(px, &n)))
        return n ? -1 : 0;
    double sum[3] = { 0 };
    size_t total = (size_t)px->width * px->height;
    for (size_t i = 0; i < total; i++)
        if (px->rgba[i * 4 + 3] >= 128)
            for (int b = 0; b < 3; b++)
                sum[b] += to_linear(px->rgba[i * 4 + b]);
    for (int b = 0; b < 3; b++)
        c->average[b] = to_srgb(sum[b] / n);
    memset(cl, 0, sizeof cl);
    int got = seed(lab, n, cl, k);
    lloyd(lab, n, cl, got);
    got = tidy(cl, got);
    if (lab_to_srgb(cl, got, c->palette) < 0)
        goto out;
    for (int i = 0; i < got; i++)
        c->palette[i].share = cl[i].count / n;
    c->n = got;
    rc = 0;
out:
    g_free(lab);
    return rc;
}

void describe_hex(const unsigned char rgb[3], char out[8])
{
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}
