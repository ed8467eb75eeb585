#include "blurhash.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The hashes must equal what Node prints, so every operation below is the
 * one V8 does, in its order.  Three things could break that silently:
 * - a compiler fusing a*b+c into one rounding: GCC does not in ISO C mode
 *   (the Makefile's -std=c11), clang is told below;
 * - libm's cos, which rounds differently from V8's in the last bit for
 *   about 3% of our arguments: hence describe_js_cos();
 * - libm's pow, likewise for about 10% (Node 20's Math.pow is neither
 *   glibc's nor fdlibm's).  We keep libm's: a last-bit difference there
 *   moves a BlurHash digit only if a value sits within ~1e-15 of a
 *   rounding step, and BlurHash, unlike ThumbHash, never magnifies the
 *   rounding noise of a flat image into digits. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* Math.PI, the double nearest pi. */
#define JS_PI 3.141592653589793

/* ---- The bits of a double ---- */

static uint32_t high_word(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return (uint32_t)(u >> 32);
}

static double from_words(uint32_t high, uint32_t low)
{
    uint64_t u = (uint64_t)high << 32 | low;
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- Math.cos as Node 18 and 20 compute it: fdlibm's method ----
 *
 * V8 10.x and 11.3 take their cos from fdlibm (Sun Microsystems, 1993,
 * freely redistributable); the constants below are that method's, written
 * as the exact doubles it uses.  cos(x) is +-cos or +-sin of x - n*pi/2,
 * each a polynomial on [-pi/4, pi/4]; pi/2 is carried in pieces so that
 * x - n*pi/2 keeps its precision when x is close to a multiple.  (Later
 * V8s use other cosines, so later Nodes may print other ThumbHashes.) */

/* cos(x + tail) for |x| <= pi/4, tail a correction far below x's ulp. */
static double cos_near_zero(double x, double tail)
{
    static const double c1 = 0x1.555555555554cp-5, c2 = -0x1.6c16c16c15177p-10,
                        c3 = 0x1.a01a019cb159p-16, c4 = -0x1.27e4f809c52adp-22,
                        c5 = 0x1.1ee9ebdb4b1c4p-29, c6 = -0x1.8fae9be8838d4p-37;
    uint32_t ax = high_word(x) & 0x7fffffff;

    if (ax < 0x3e400000) /* |x| < 2^-27: 1 - x^2/2 rounds to 1 */
        return 1.0;
    double z = x * x;
    double r = z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))));
    if (ax < 0x3fd33333) /* |x| < 0.3 */
        return 1.0 - (0.5 * z - (z * r - x * tail));
    /* Past 0.3, take an exact part q off both 1 and x^2/2 first so the
     * last subtraction loses less. */
    double q = ax > 0x3fe90000 ? 0.28125 : from_words(ax - 0x00200000, 0);
    return (1.0 - q) - ((0.5 * z - q) - (z * r - x * tail));
}

/* sin(x + tail) for |x| <= pi/4. */
static double sin_near_zero(double x, double tail)
{
    static const double s1 = -0x1.5555555555549p-3, s2 = 0x1.111111110f8a6p-7,
                        s3 = -0x1.a01a019c161d5p-13, s4 = 0x1.71de357b1fe7dp-19,
                        s5 = -0x1.ae5e68a2b9cebp-26, s6 = 0x1.5d93a5acfd57cp-33;

    if ((high_word(x) & 0x7fffffff) < 0x3e400000) /* |x| < 2^-27 */
        return x;
    double z = x * x, v = z * x;
    double r = s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)));
    return x - ((z * (0.5 * tail - v * r) - tail) - v * s1);
}

double describe_js_cos(double x)
{
    static const double two_over_pi = 0x1.45f306dc9c883p-1, half_pi = 0x1.921fb54442d18p+0,
                        /* pi/2 as p1 + p1t, p1 + p2 + p2t or p1 + p2 + p3 + p3t;
                         * the heads end in zero bits, so n times one is exact */
                        p1 = 0x1.921fb544p+0, p1t = 0x1.0b4611a626331p-34,
                        p2 = 0x1.0b4611a6p-34, p2t = 0x1.3198a2e037073p-69,
                        p3 = 0x1.3198a2ep-69, p3t = 0x1.b839a252049c1p-104;
    double y0, y1;
    int n;

    x = fabs(x); /* the method is even to the bit */
    uint32_t ix = high_word(x);
    if (ix <= 0x3fe921fb) /* |x| <~ pi/4 */
        return cos_near_zero(x, 0.0);
    if (ix < 0x4002d97c) { /* < 3pi/4: n = 1 */
        double z = x - p1;
        if (ix != 0x3ff921fb) {
            y0 = z - p1t;
            y1 = (z - y0) - p1t;
        } else { /* x next to pi/2: one piece more */
            z -= p2;
            y0 = z - p2t;
            y1 = (z - y0) - p2t;
        }
        n = 1;
    } else if (ix <= 0x413921fb) { /* < 2^19 * pi/2 */
        n = (int)(x * two_over_pi + 0.5);
        double fn = n, r = x - fn * p1, w = fn * p1t;
        y0 = r - w;
        /* Where x shares its leading bits with n*pi/2, r - w cancelled:
         * redo it with the next pieces of pi/2 while it lost many bits.
         * (For n < 32 the product's high word is the exact multiple's.) */
        if (n >= 32 || ix == high_word(fn * half_pi)) {
            int e = (int)(ix >> 20);
            if (e - (int)((high_word(y0) >> 20) & 0x7ff) > 16) {
                double t = r;
                w = fn * p2;
                r = t - w;
                w = fn * p2t - ((t - r) - w);
                y0 = r - w;
                if (e - (int)((high_word(y0) >> 20) & 0x7ff) > 49) {
                    t = r;
                    w = fn * p3;
                    r = t - w;
                    w = fn * p3t - ((t - r) - w);
                    y0 = r - w;
                }
            }
        }
        y1 = (r - y0) - w;
    } else {
        return cos(x); /* never asked for by the hashes */
    }
    switch (n & 3) {
    case 0:
        return cos_near_zero(y0, y1);
    case 1:
        return -sin_near_zero(y0, y1);
    case 2:
        return -cos_near_zero(y0, y1);
    default:
        return sin_near_zero(y0, y1);
    }
}

/* ---- BlurHash ---- */

static const char base83[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

/* Writes value as `digits` base-83 digits, most significant first, at p
 * (the caller's buffer); returns the end. */
static char *put83(char *p, unsigned value, int digits)
{
    unsigned div = 1;
    for (int i = 1; i < digits; i++)
        div *= 83;
    for (; div; div /= 83)
        *p++ = base83[value / div % 83];
    return p;
}

/* As the reference: pow(x, 2.4) past the linear toe. */
static double srgb_to_linear(int byte)
{
    double v = byte / 255.0;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

/* 0..255; the reference truncates v + 0.5 rather than rounding. */
static unsigned linear_to_srgb(double v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    if (v <= 0.0031308)
        return (unsigned)(v * 12.92 * 255 + 0.5);
    return (unsigned)((1.055 * pow(v, 1 / 2.4) - 0.055) * 255 + 0.5);
}

/* One AC value in 0..18 on a square-root scale; V8's pow(a, 0.5) is
 * sqrt(a), which IEEE rounds the same everywhere. */
static unsigned quantise_ac(double v, double max)
{
    double a = v / max;
    double q = floor((a < 0 ? -1.0 : 1.0) * sqrt(fabs(a)) * 9 + 9.5);
    return q < 0 ? 0 : q > 18 ? 18 : (unsigned)q;
}

int describe_blurhash(const unsigned char *rgba, int width, int height, int cx, int cy,
                      char *out, size_t size)
{
    if (!rgba || !out || width < 1 || height < 1 || cx < 1 || cx > 9 || cy < 1 || cy > 9 ||
        size < (size_t)(4 + 2 * cx * cy + 1) || (size_t)width > SIZE_MAX / 4 / (size_t)height)
        return -1;

    /* cos(pi i x / width) and cos(pi j y / height), as the reference
     * writes them: the argument's rounding shows in the last bit */
    double *cos_x = malloc(sizeof *cos_x * ((size_t)cx * width + (size_t)cy * height));
    if (!cos_x)
        return -1;
    double *cos_y = cos_x + (size_t)cx * width;
    for (int i = 0; i < cx; i++)
        for (int x = 0; x < width; x++)
            cos_x[(size_t)i * width + x] = describe_js_cos(JS_PI * i * x / width);
    for (int j = 0; j < cy; j++)
        for (int y = 0; y < height; y++)
            cos_y[(size_t)j * height + y] = describe_js_cos(JS_PI * j * y / height);
    double linear[256];
    for (int b = 0; b < 256; b++)
        linear[b] = srgb_to_linear(b);

    /* One pass over the pixels for all components.  The reference makes
     * one pass per component, columns outer; each sum here receives the
     * same terms in the same order, so the same rounding. */
    double sum[81][3] = { { 0 } };
    size_t stride = (size_t)width * 4;
    for (int x = 0; x < width; x++)
        for (int y = 0; y < height; y++) {
            const unsigned char *px = rgba + (size_t)y * stride + (size_t)x * 4;
            double r = linear[px[0]], g = linear[px[1]], b = linear[px[2]];
            for (int j = 0; j < cy; j++) {
                double fy = cos_y[(size_t)j * height + y];
                for (int i = 0; i < cx; i++) {
                    double norm = i == 0 && j == 0 ? 1 : 2;
                    double basis = norm * cos_x[(size_t)i * width + x] * fy;
                    double *s = sum[j * cx + i];
                    s[0] += basis * r;
                    s[1] += basis * g;
                    s[2] += basis * b;
                }
            }
        }
    free(cos_x);
    int n = cx * cy;
    double scale = 1 / ((double)width * height);
    for (int k = 0; k < n; k++)
        for (int c = 0; c < 3; c++)
            sum[k][c] *= scale;

    char *p = put83(out, (unsigned)(cx - 1 + (cy - 1) * 9), 1);
    double max = 1;
    if (n > 1) {
        /* the largest AC value, signed, as the reference takes it */
        double actual = -INFINITY;
        for (int k = 1; k < n; k++)
            for (int c = 0; c < 3; c++)
                if (sum[k][c] > actual)
                    actual = sum[k][c];
        double q = floor(actual * 166 - 0.5);
        q = q < 0 ? 0 : q > 82 ? 82 : q;
        max = (q + 1) / 166;
        p = put83(p, (unsigned)q, 1);
    } else {
        p = put83(p, 0, 1);
    }
    p = put83(p,
              linear_to_srgb(sum[0][0]) << 16 | linear_to_srgb(sum[0][1]) << 8 |
                  linear_to_srgb(sum[0][2]),
              4);
    for (int k = 1; k < n; k++)
        p = put83(p,
                  quantise_ac(sum[k][0], max) * 19 * 19 + quantise_ac(sum[k][1], max) * 19 +
                      quantise_ac(sum[k][2], max),
                  2);
    *p = '\0';
    return 0;
}
