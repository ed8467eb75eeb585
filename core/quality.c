/* quality: auto.  The search compares trial encodes of a sample of the
 * rendition with the sample's own pixels and keeps the lowest quality
 * that reaches the target; the rendition itself is encoded once, at the
 * end.  A JPEG block's pixels depend only on that block and the quality,
 * so tiles cut on the block grid decode exactly as they do inside the
 * whole image: the sample's score is the score of those tiles of the
 * final file.  The other codecs predict and filter across blocks, so
 * there it is an estimate, close for tiles this large.  The rest of a
 * large rendition is not scored: on the corpus photos the whole file's
 * score lies within about 0.0015 of the sample's (make bench measures
 * it), and scoring the whole file would cost more than all the trials. */
#include "quality.h"

#include <math.h>
#include <string.h>

#include "encode.h"
#include "similarity.h"

/* Tiles of 128x128, a multiple of JPEG's 16x16 colour block (4:2:0) and
 * of the 8x8 windows of the metric; about 256 K pixels in all, an eighth
 * of a 1600x1200 rendition.  Smaller images are compared whole. */
#define TILE 128
#define TILE_ALIGN 16
#define SAMPLE_PIXELS (256 * 1024)
/* SSIM gained per quality step near the usual qualities (JPEG, measured
 * on photographs: 0.0008-0.0011): the first steps' estimate, before two
 * measured points give a slope of their own. */
#define SLOPE 0.001
#define MAX_STEP 20

static int vips_fail(pix_err *err, const char *what)
{
    char why[1024];
    return pix_err_set(err, "quality auto: cannot %s: %s", what, pix_vips_error(why, sizeof why));
}

static int aligned(double at, int limit)
{
    int v = (int)at;
    if (v > limit)
        v = limit;
    if (v < 0)
        v = 0;
    return v - v % TILE_ALIGN;
}

/* The sample of prepared (in memory) the search compares: all of its
 * first frame when small, else a grid of tiles spread over it, joined.
 * *out is a new reference in memory; *share the part of the frame. */
static int make_sample(VipsImage *prepared, VipsImage **out, double *share, int *tile,
                       pix_err *err)
{
    int w = vips_image_get_width(prepared), h = vips_image_get_page_height(prepared);
    VipsImage *tiles[SAMPLE_PIXELS / (TILE * TILE)] = { NULL };
    VipsImage *joined = NULL, *frame = NULL;
    int n = 0, rc = -1;

    if ((double)w * h <= 1.5 * SAMPLE_PIXELS || w < 2 * TILE || h < 2 * TILE) {
        if (vips_crop(prepared, &frame, 0, 0, w, h, NULL) || !(*out = vips_image_copy_memory(frame))) {
            vips_fail(err, "take the image to compare");
            goto out;
        }
        *share = 1.0;
        *tile = 0;
        rc = 0;
        goto out;
    }
    int want = SAMPLE_PIXELS / (TILE * TILE);
    int nx = (int)lround(sqrt((double)want * w / h));
    nx = nx < 1 ? 1 : nx > w / TILE ? w / TILE : nx;
    int ny = (want + nx - 1) / nx;
    ny = ny > h / TILE ? h / TILE : ny;
    while (nx * ny > want)
        ny--;
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++) {
            int x = aligned((i + 0.5) * w / nx - TILE / 2.0, w - TILE);
            int y = aligned((j + 0.5) * h / ny - TILE / 2.0, h - TILE);
            if (vips_crop(prepared, &tiles[n], x, y, TILE, TILE, NULL)) {
                vips_fail(err, "cut the sample");
                goto out;
            }
            n++;
        }
    if (vips_arrayjoin(tiles, &joined, n, "across", nx, NULL) ||
        !(*out = vips_image_copy_memory(joined))) {
        vips_fail(err, "join the sample");
        goto out;
    }
    *share = (double)n * TILE * TILE / ((double)w * h);
    *tile = TILE;
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        g_object_unref(tiles[i]);
    if (joined)
        g_object_unref(joined);
    if (frame)
        g_object_unref(frame);
    return rc;
}

/* The SSIM of sample encoded at each of the n qualities q, into s: n
 * encodes, compared in one pass (pix_ssim_many). */
static int trials(VipsImage *sample, const char *format, const pix_encode *enc, const int *q,
                  int n, const pix_ssim_ref *ref, double *s, pix_err *err)
{
    void *buf[PIX_QUALITY_TRIALS] = { NULL };
    VipsImage *dec[PIX_QUALITY_TRIALS] = { NULL };
    int rc = -1;

    for (int i = 0; i < n; i++) {
        pix_encode e = *enc;
        size_t len = 0;
        e.quality = q[i];
        e.keep_metadata = false;
        if (strcmp(format, "jpeg") == 0) {
            /* Huffman tables and progressive scans change the bytes, never
             * the pixels: trials skip the costly optimised tables */
            if (vips_jpegsave_buffer(sample, &buf[i], &len, "Q", q[i], "optimize_coding", FALSE,
                                     "strip", TRUE, NULL)) {
                vips_fail(err, "encode a trial");
                goto out;
            }
        } else if (pix_encode_image(sample, format, &e, &buf[i], &len, err) < 0) {
            goto out;
        }
        if (!(dec[i] = vips_image_new_from_buffer(buf[i], len, "", "access",
                                                  VIPS_ACCESS_SEQUENTIAL, NULL))) {
            vips_fail(err, "decode a trial");
            goto out;
        }
    }
    rc = pix_ssim_many(ref, dec, n, s, err);
out:
    for (int i = 0; i < n; i++) {
        if (dec[i])
            g_object_unref(dec[i]);
        g_free(buf[i]);
    }
    return rc;
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* What the trials so far say, as a bracket: the highest quality that
 * missed the target (lo, s_lo; qmin - 1 and NaN when none did) and the
 * lowest that reached it (hi, s_hi; qmax + 1 and NaN when none did); and
 * the next nearest point beyond each end, for a slope while the other
 * end is unknown. */
typedef struct bracket {
    int lo, hi, lo2, hi2;
    double s_lo, s_hi, s_lo2, s_hi2;
} bracket;

static void bracket_add(bracket *b, int q, double s, double target)
{
    if (s >= target) {
        if (q < b->hi) {
            b->hi2 = b->hi, b->s_hi2 = b->s_hi;
            b->hi = q, b->s_hi = s;
        } else if (isnan(b->s_hi2) || q < b->hi2) {
            b->hi2 = q, b->s_hi2 = s;
        }
    } else {
        if (q > b->lo) {
            b->lo2 = b->lo, b->s_lo2 = b->s_lo;
            b->lo = q, b->s_lo = s;
        } else if (isnan(b->s_lo2) || q > b->lo2) {
            b->lo2 = q, b->s_lo2 = s;
        }
    }
}

/* How far from trial q1 the target lies, in quality steps, by the slope
 * between trials q1 and q2: without a usable second trial, by the
 * estimate, and then at most MAX_STEP (a measured slope is trusted as far
 * as it reaches: a flat curve jumps far). */
static double steps_to(int q1, double s1, int q2, double s2, double target)
{
    double gap = fabs(s1 - target);
    if (!isnan(s2) && q1 != q2) {
        double k = (s2 - s1) / (q2 - q1);
        if (k > 1e-6)
            return gap / k;
    }
    return fmin(gap / SLOPE, MAX_STEP);
}

/* Where the target is crossed: by the line through the bracket's ends, or
 * with one end unknown, by the slope of the two trials nearest it; kept
 * strictly inside the bracket. */
static int estimate(const bracket *b, double target)
{
    double q;
    if (!isnan(b->s_lo) && !isnan(b->s_hi))
        q = b->lo + (target - b->s_lo) / (b->s_hi - b->s_lo) * (b->hi - b->lo);
    else if (!isnan(b->s_hi))
        q = b->hi - steps_to(b->hi, b->s_hi, b->hi2, b->s_hi2, target);
    else
        q = b->lo + steps_to(b->lo, b->s_lo, b->lo2, b->s_lo2, target);
    return clampi((int)ceil(fmax(fmin(q, 1000), -1000)), b->lo + 1, b->hi - 1);
}

/* The middle of the first pair of trials: where photographs cross a
 * target near 0.97 with each encoder (AVIF's scale runs lower). */
static int first_guess(const char *format)
{
    return strcmp(format, "avif") == 0 ? 66 : strcmp(format, "jpeg") == 0 ? 82 : 80;
}
#define FIRST_SPREAD 8

int pix_encode_auto(VipsImage *img, const char *format, const pix_encode *enc, void **buf,
                    size_t *len, pix_quality_search *found, pix_err *err)
{
    VipsImage *prepared = NULL, *held = NULL, *sample = NULL;
    pix_ssim_ref *ref = NULL;
    double target = enc->quality_target > 0 ? enc->quality_target : PIX_QUALITY_TARGET_DEFAULT;
    int qmin = enc->quality_min > 0 ? enc->quality_min : PIX_QUALITY_MIN_DEFAULT;
    int qmax = enc->quality_max > 0 ? enc->quality_max : PIX_QUALITY_MAX_DEFAULT;
    int rc = -1;

    *buf = NULL;
    *len = 0;
    memset(found, 0, sizeof *found);
    found->metric = "ssim";
    found->target = target;
    found->score = NAN;
    if (qmin > qmax)
        return pix_err_set(err, "quality auto: quality_min %d is above quality_max %d", qmin, qmax);
    /* read by the sample's cut and by the final encode: in memory once */
    if (pix_encode_prepare(img, format, &prepared, err) < 0)
        goto out;
    if (!(held = vips_image_copy_memory(prepared))) {
        vips_fail(err, "hold the rendition in memory");
        goto out;
    }
    /* smaller than one 8x8 window of the metric (a favicon, a hostile
     * 1x1): nothing to compare, so the safe end of the bounds, said so */
    if (vips_image_get_width(held) < 8 || vips_image_get_page_height(held) < 8) {
        pix_encode top = *enc;
        top.quality = found->quality = qmax;
        found->encodes = 1;
        rc = pix_encode_image(held, format, &top, buf, len, err);
        goto out;
    }
    int tile = 0;
    if (make_sample(held, &sample, &found->sample, &tile, err) < 0 ||
        !(ref = pix_ssim_ref_new_tiled(sample, tile, err)))
        goto out;

    /* Trials in passes of two, each pass compared at once (a pass's
     * libvips operations cost more than a sample's pixels): a pair around
     * the first guess, then pairs around the crossing the bracket
     * predicts, then single trials, PIX_QUALITY_TRIALS in all. */
    bracket br = { qmin - 1, qmax + 1, 0, 0, NAN, NAN, NAN, NAN };
    int n = 0, size = 2, q[2];
    q[0] = clampi(first_guess(format) - FIRST_SPREAD, qmin, qmax);
    q[1] = clampi(first_guess(format) + FIRST_SPREAD, qmin, qmax);
    if (q[0] == q[1])
        size = 1;
    for (;;) {
        double sc[2];
        if (trials(sample, format, enc, q, size, ref, sc, err) < 0)
            goto out;
        n += size;
        for (int i = 0; i < size; i++)
            bracket_add(&br, q[i], sc[i], target);
        int left = PIX_QUALITY_TRIALS - n;
        if (br.hi <= qmin || br.lo >= qmax || br.hi - br.lo <= 1 || left <= 0)
            break;
        int e = estimate(&br, target);
        if (left >= 2 && br.hi - br.lo > 3) {
            q[0] = clampi(e - 1, br.lo + 1, br.hi - 1);
            q[1] = clampi(e + 1, br.lo + 1, br.hi - 1);
            size = q[0] == q[1] ? 1 : 2;
        } else {
            q[0] = e;
            size = 1;
        }
    }
    found->reached = br.hi <= qmax;
    found->quality = found->reached ? br.hi : qmax;
    found->score = found->reached ? br.s_hi : br.lo == qmax ? br.s_lo : NAN;
    found->encodes = n + 1;

    pix_encode final = *enc;
    final.quality = found->quality;
    if (pix_encode_image(held, format, &final, buf, len, err) < 0)
        goto out;
    rc = 0;
out:
    pix_ssim_ref_free(ref);
    if (sample)
        g_object_unref(sample);
    if (held)
        g_object_unref(held);
    if (prepared)
        g_object_unref(prepared);
    return rc;
}
