/*
 * bench-floor OUTDIR FILE...: the default pipeline's pixel work and nothing
 * else, as a bare libvips program, one file after another in one process.
 * `make bench` times it beside pixpipe to show what pixpipe's own machinery
 * (worker processes, the record, hashes, fsync, the stage framework) costs
 * on top of the libvips calls that make the two renditions.
 *
 * For each FILE (named NAME.ext) it writes OUTDIR/NAME-large.jpg and
 * OUTDIR/NAME-thumb.jpg, with the very libvips calls the default pipeline
 * makes, in its order:
 *   decode     vips_thumbnail at the scale core/decode.c asks for (resize's
 *              min_scale: the JPEG shrink-on-load factor and the lanczos3
 *              reduce are libvips' choice from that box), upright;
 *   resize     plugins/resize: fit inside 1600x1600, never enlarged, planned
 *              on the source's size; with these inputs the decode already
 *              lands on the plan, so it resamples only when it does not;
 *   in memory  the 1600 px image held once (core/job.c, materialise), for
 *              the two renditions to read;
 *   thumbnail  plugins/thumbnail: cover 256x256, the scaled frame held in
 *              memory, vips_smartcrop attention for the cut, Q80;
 *   watermark  plugins/watermark: "© pixpipe" (WATERMARK_TEXT as in the
 *              pipeline), DejaVu Sans at 3% of the width, a halo, opacity
 *              0.5, south-east with a 2% margin;
 *   encode     core/encode.c: JPEG Q82 (large), optimize_coding, no
 *              interlace.
 * It does none of exif-strip, describe, metadata-sink, SHA-256 or fsync:
 * the bench compares it with the default pipeline without describe.
 * Metadata: both files are written with strip.  pixpipe's thumbnail is
 * stripped too; its large keeps what exif-strip leaves (keep_metadata is
 * the output's default), which for the bench's inputs is libvips' own
 * minimal EXIF block, 186 bytes.
 *
 * How close it is (bench/run.sh checks every run's outputs, bench/compare.sh):
 * the same dimensions, and on the corpus inputs the same pixels, mean
 * absolute difference 0 in both renditions.
 *
 * Only RGB inputs without alpha are handled (the bench's JPEGs); any other
 * is refused.  The libvips operation cache is off, as in pixpipe
 * (core/setup.c): with it, the watermark's text would be rendered once for
 * the whole run instead of once per image.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#define LARGE_BOX 1600
#define THUMB_BOX 256
#define LARGE_Q 82
#define THUMB_Q 80
#define MARK_SIZE_PCT 3.0
#define MARK_MARGIN_PCT 2.0
#define MARK_OPACITY 0.5
#define MARK_FONT "DejaVu Sans"

typedef struct plan {
    int sw, sh; /* scale to */
    int cw, ch; /* then cut to */
} plan;

static void unref_all(VipsImage **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i])
            g_object_unref(t[i]);
}

/* v rounded to whole pixels, at least 1 (pix_px in include/pixpipe/stage.h). */
static int px(double v)
{
    double r = round(v);
    return r < 1 ? 1 : (int)r;
}

/* Fit inside box x box, never enlarged (resize's fit inside). */
static plan plan_inside(int box, int w, int h)
{
    double sx = (double)box / w, sy = (double)box / h, lo = sx < sy ? sx : sy;
    plan p = { w, h, w, h };

    if (lo <= 1) {
        p.sw = sx <= sy ? box : (px(w * lo) < box ? px(w * lo) : box);
        p.sh = sy <= sx ? box : (px(h * lo) < box ? px(h * lo) : box);
    }
    p.cw = p.sw;
    p.ch = p.sh;
    return p;
}

/* Cover box x box and cut it, never enlarged (thumbnail's crop modes). */
static plan plan_cover(int box, int w, int h)
{
    double sx = (double)box / w, sy = (double)box / h, hi = sx > sy ? sx : sy;
    plan p;

    if (hi > 1) {
        int side = w < h ? w : h;
        return (plan){ w, h, side < box ? side : box, side < box ? side : box };
    }
    p.sw = sx >= sy ? box : (px(w * hi) > box ? px(w * hi) : box);
    p.sh = sy >= sx ? box : (px(h * hi) > box ? px(h * hi) : box);
    p.cw = p.ch = box;
    return p;
}

/* True when w x h is the w0 x h0 source decoded smaller, each side rounded
 * on its own (pix_same_shape). */
static bool same_shape(int w, int h, int w0, int h0)
{
    if (w == w0 && h == h0)
        return false;
    return llabs((long long)w * h0 - (long long)h * w0) <= (long long)(w0 > h0 ? w0 : h0);
}

/* The plan for the working w x h image, made on the upright source's
 * w0 x h0 while the image keeps its shape, as pix_plan_frame does. */
static plan plan_frame(plan (*fit)(int, int, int), int box, int w, int h, int w0, int h0)
{
    plan p = fit(box, w, h);

    if (same_shape(w, h, w0, h0)) {
        plan q = fit(box, w0, h0);
        if (q.sw <= w + 1 && q.sh <= h + 1)
            p = q;
    }
    return p;
}

/* in resampled to exactly sw x sh with lanczos3, trimmed or extended from
 * the top left (pix_scale_exact).  Borrows in; *out is new. */
static int scale_exact(VipsImage *in, VipsImage **out, int sw, int sh)
{
    VipsImage *scaled = NULL;
    int iw = vips_image_get_width(in), ih = vips_image_get_height(in), rc;

    if (iw == sw && ih == sh)
        return vips_copy(in, out, NULL);
    if (vips_resize(in, &scaled, (double)sw / iw, "vscale", (double)sh / ih, "kernel",
                    VIPS_KERNEL_LANCZOS3, NULL))
        return -1;
    iw = vips_image_get_width(scaled);
    ih = vips_image_get_height(scaled);
    if (iw == sw && ih == sh) {
        *out = scaled;
        return 0;
    }
    rc = iw >= sw && ih >= sh
             ? vips_extract_area(scaled, out, 0, 0, sw, sh, NULL)
             : vips_embed(scaled, out, 0, 0, sw, sh, "extend", VIPS_EXTEND_COPY, NULL);
    g_object_unref(scaled);
    return rc;
}

/* in cut (centred) and/or padded (centred, edge pixels repeated) to
 * exactly w x h: what resize does when libvips lands a side one pixel off
 * (plugins/resize, rz_canvas).  Steals in; *out is new. */
static int canvas(VipsImage *in, VipsImage **out, int w, int h)
{
    VipsImage *cut = NULL;
    int iw = vips_image_get_width(in), ih = vips_image_get_height(in), rc = -1;

    if (iw > w || ih > h) {
        int cw = iw < w ? iw : w, ch = ih < h ? ih : h;
        if (vips_extract_area(in, &cut, (iw - cw) / 2, (ih - ch) / 2, cw, ch, NULL))
            goto out;
        g_object_unref(in);
        in = cut;
        iw = cw;
        ih = ch;
    }
    if (iw < w || ih < h) {
        rc = vips_embed(in, out, (w - iw) / 2, (h - ih) / 2, w, h, "extend", VIPS_EXTEND_COPY,
                        NULL);
    } else {
        *out = in;
        in = NULL;
        rc = 0;
    }
out:
    if (in)
        g_object_unref(in);
    return rc;
}

/* The decode and resize of the upright w0 x h0 source at path: the scale
 * the default pipeline's resize asks of the host (core/decode.c: its
 * min_scale, the box vips_thumbnail then reaches by JPEG shrink-on-load
 * and a lanczos3 reduce), then, only if libvips did not land on the plan,
 * resize's own lanczos3 pass.  *out is new and lazy. */
static int decode_large(const char *path, int w0, int h0, VipsImage **out)
{
    VipsImage *im = NULL, *scaled = NULL;
    plan want = plan_inside(LARGE_BOX, w0, h0);
    /* pix_scale_to_reach: the smallest scale that still shrinks to the plan */
    double sx = (double)want.sw / w0, sy = (double)want.sh / h0, s = sx > sy ? sx : sy;
    int rc = -1;

    if (s > 1)
        s = 1;
    int tw = (int)ceil(w0 * s), th = (int)ceil(h0 * s);
    /* fail_on: the pipeline's limits.fail_on default */
    char *with_options = g_strdup_printf("%s[fail_on=error]", path);
    int failed = vips_thumbnail(with_options, &im, tw < 1 ? 1 : tw, "height", th < 1 ? 1 : th,
                                "size", VIPS_SIZE_DOWN, NULL);
    g_free(with_options);
    if (failed)
        goto out;
    if (vips_image_get_bands(im) != 3 || vips_image_hasalpha(im)) {
        vips_error("bench-floor", "only RGB without alpha is handled, not %d bands\n",
                   vips_image_get_bands(im));
        goto out;
    }
    int w = vips_image_get_width(im), h = vips_image_get_height(im);
    plan p = plan_frame(plan_inside, LARGE_BOX, w, h, w0, h0);
    if (p.sw == w && p.sh == h) {
        *out = im;
        im = NULL;
        rc = 0;
    } else if (!vips_resize(im, &scaled, (double)p.sw / w, "vscale", (double)p.sh / h,
                            "kernel", VIPS_KERNEL_LANCZOS3, NULL)) {
        rc = canvas(scaled, out, p.sw, p.sh);
        scaled = NULL;
    }
out:
    if (im)
        g_object_unref(im);
    return rc;
}

/* The 256x256 attention thumbnail of mem (in memory, w0 x h0 the upright
 * source), as plugins/thumbnail makes it: the frame scaled once and held in
 * memory for both the search and the cut.  *out is new, in memory. */
static int make_thumb(VipsImage *mem, int w0, int h0, VipsImage **out)
{
    VipsImage *t[4] = { NULL };
    int w = vips_image_get_width(mem), h = vips_image_get_height(mem);
    plan p = plan_frame(plan_cover, THUMB_BOX, w, h, w0, h0);
    int rc = -1;

    if (scale_exact(mem, &t[0], p.sw, p.sh) || !(t[1] = vips_image_copy_memory(t[0])))
        goto out;
    if (p.cw == p.sw && p.ch == p.sh) {
        *out = t[1];
        t[1] = NULL;
        rc = 0;
        goto out;
    }
    int left = (p.sw - p.cw) / 2, top = (p.sh - p.ch) / 2;
    if (vips_smartcrop(t[1], &t[2], p.cw, p.ch, "interesting", VIPS_INTERESTING_ATTENTION,
                       NULL))
        goto out;
    int x = -t[2]->Xoffset, y = -t[2]->Yoffset;
    if (x >= 0 && x <= p.sw - p.cw && y >= 0 && y <= p.sh - p.ch) {
        left = x;
        top = y;
    }
    if (vips_extract_area(t[1], &t[3], left, top, p.cw, p.ch, NULL) ||
        !(*out = vips_image_copy_memory(t[3])))
        goto out;
    rc = 0;
out:
    unref_all(t, 4);
    return rc;
}

/* in cast to uchar and labelled sRGB (wm_settle).  Borrows in; *out is
 * new. */
static int settle(VipsImage *in, VipsImage **out)
{
    VipsImage *cast = NULL;
    int rc = vips_cast(in, &cast, VIPS_FORMAT_UCHAR, NULL) ||
             vips_copy(cast, out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL) ? -1 : 0;

    if (cast)
        g_object_unref(cast);
    return rc;
}

/* One layer of the mark: the constant colour (r, g, b) with alpha = ink x
 * opacity x a, as sRGB uchar (plugins/watermark, wm_paint).  Borrows mask;
 * *out is new. */
static int paint(VipsImage *mask, double r, double g, double b, double a, VipsImage **out)
{
    double zero[3] = { 0, 0, 0 }, rgb[3] = { r, g, b };
    VipsImage *t[3] = { NULL };
    int rc = -1;

    if (!vips_linear(mask, &t[0], zero, rgb, 3, "uchar", TRUE, NULL) &&
        !vips_linear1(mask, &t[1], MARK_OPACITY * a, 0, "uchar", TRUE, NULL) &&
        !vips_bandjoin2(t[0], t[1], &t[2], NULL))
        rc = settle(t[2], out);
    unref_all(t, 3);
    return rc;
}

/* The text mark over img (borrowed), as plugins/watermark draws the default
 * pipeline's: white text at 3% of the width over a halo of #00000080
 * spread by ceil(px / 14) pixels, in the south-east corner inside a 2%
 * margin.  The mark always fits a 1600 px image, so the plugin's fitting
 * loop never shrinks it.  *out is new and lazy. */
static int watermark(VipsImage *img, const char *text, VipsImage **out)
{
    VipsImage *t[10] = { NULL };
    int fw = vips_image_get_width(img), fh = vips_image_get_height(img);
    int size = (int)floor(MARK_SIZE_PCT * fw / 100.0 + 0.5);
    int m = (int)floor(MARK_MARGIN_PCT * fw / 100.0 + 0.5);
    int mx = m < fw / 4 ? m : fw / 4, my = m < fh / 4 ? m : fh / 4;
    int halo = (int)fmax(1.0, ceil(size / 14.0));
    char *markup = g_markup_escape_text(text, -1);
    char *font = g_strdup_printf("%s %d", MARK_FONT, size);
    int rc = -1;

    if (vips_text(&t[0], markup, "font", font, "dpi", 72, NULL) ||
        vips_embed(t[0], &t[1], halo, halo, vips_image_get_width(t[0]) + 2 * halo,
                   vips_image_get_height(t[0]) + 2 * halo, NULL) ||
        /* the halo: the ink blurred, then doubled back up */
        vips_gaussblur(t[1], &t[2], halo / 2.0 + 0.5, NULL) ||
        vips_linear1(t[2], &t[3], 2.5, 0, "uchar", TRUE, NULL) ||
        paint(t[3], 0, 0, 0, 128.0 / 255.0, &t[4]) || paint(t[1], 255, 255, 255, 1.0, &t[5]) ||
        vips_composite2(t[4], t[5], &t[6], VIPS_BLEND_MODE_OVER, "compositing_space",
                        VIPS_INTERPRETATION_sRGB, NULL) ||
        settle(t[6], &t[7]))
        goto out;
    int lw = vips_image_get_width(t[7]), lh = vips_image_get_height(t[7]);
    if (vips_composite2(img, t[7], &t[8], VIPS_BLEND_MODE_OVER, "x", fw - mx - lw, "y",
                        fh - my - lh, "compositing_space", VIPS_INTERPRETATION_sRGB, NULL) ||
        vips_extract_band(t[8], &t[9], 0, "n", 3, NULL))
        goto out;
    rc = settle(t[9], out);
out:
    g_free(markup);
    g_free(font);
    unref_all(t, 10);
    return rc;
}

/* Both renditions of one file into outdir.  Returns 0, or -1 with the
 * reason printed. */
static int one(const char *outdir, const char *path, const char *text)
{
    VipsImage *header = NULL, *large = NULL, *mem = NULL, *thumb = NULL, *marked = NULL;
    const char *base = strrchr(path, '/');
    char *name = g_strdup(base ? base + 1 : path);
    char *dot = strrchr(name, '.');
    char *large_path = NULL, *thumb_path = NULL;
    int rc = -1;

    if (dot && dot != name)
        *dot = '\0';
    large_path = g_strdup_printf("%s/%s-large.jpg", outdir, name);
    thumb_path = g_strdup_printf("%s/%s-thumb.jpg", outdir, name);
    /* the header first, as pixpipe reads it: the upright size plans both */
    if (!(header = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL)))
        goto out;
    int o = vips_image_get_orientation(header);
    int w0 = vips_image_get_width(header), h0 = vips_image_get_height(header);
    if (o >= 5) {
        int swap = w0;
        w0 = h0;
        h0 = swap;
    }
    if (decode_large(path, w0, h0, &large) || !(mem = vips_image_copy_memory(large)) ||
        make_thumb(mem, w0, h0, &thumb) ||
        vips_jpegsave(thumb, thumb_path, "Q", THUMB_Q, "optimize_coding", TRUE, "interlace",
                      FALSE, "strip", TRUE, NULL) ||
        watermark(mem, text, &marked) ||
        vips_jpegsave(marked, large_path, "Q", LARGE_Q, "optimize_coding", TRUE, "interlace",
                      FALSE, "strip", TRUE, NULL))
        goto out;
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "bench-floor: %s: %s", path, vips_error_buffer());
    vips_error_clear();
    VipsImage *all[] = { header, large, mem, thumb, marked };
    unref_all(all, G_N_ELEMENTS(all));
    g_free(name);
    g_free(large_path);
    g_free(thumb_path);
    return rc;
}

int main(int argc, char **argv)
{
    const char *who = getenv("WATERMARK_TEXT");
    char *text = NULL;
    int failed = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: bench-floor OUTDIR FILE...\n");
        return 2;
    }
    if (VIPS_INIT(argv[0])) {
        fprintf(stderr, "bench-floor: cannot start libvips: %s", vips_error_buffer());
        return 1;
    }
    vips_cache_set_max(0);
    /* the default pipeline's text: "© ${WATERMARK_TEXT:-pixpipe}" */
    text = g_strdup_printf("\xc2\xa9 %s", who && *who ? who : "pixpipe");
    for (int i = 2; i < argc; i++)
        failed += one(argv[1], argv[i], text) != 0;
    g_free(text);
    vips_shutdown();
    return failed ? 1 : 0;
}
