/* The resize plugin, end to end through the pixpipe binary: every fit mode's
 * exact output size, no enlargement unless asked, shrink-on-load of a large
 * JPEG, EXIF orientation, and option checks. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

/* Writes a pipeline with one or more resize stages (stages is the YAML
 * list body) into dir, runs it on dir/input, and returns the exit status;
 * out/err receive the output (caller frees). */
static int rz_pipeline(const char *dir, const char *stages, const char *input, char **out,
                       char **err)
{
    char *yaml = tu_strf("name: resize-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                         "output: { rendition: main, format: png }\n"
                         "stages:\n%s",
                         stages);
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    int rc = tu_runf(out, err, "cd '%s' && '%s' run -p pipe.yaml %s", dir, tu_pixpipe(), input);
    free(yaml);
    free(path);
    return rc;
}

/* Reads pixel (x, y) of path into px (up to 4 bands); returns the band count. */
static int rz_pixel(const char *path, int x, int y, double px[4])
{
    VipsImage *im = vips_image_new_from_file(path, NULL);
    double *v = NULL;
    int n = 0;
    cr_assert_not_null(im, "cannot open %s: %s", path, vips_error_buffer());
    cr_assert_eq(vips_getpoint(im, &v, &n, x, y, NULL), 0, "getpoint: %s", vips_error_buffer());
    for (int i = 0; i < n && i < 4; i++)
        px[i] = v[i];
    g_free(v);
    g_object_unref(im);
    return n;
}

/* Makes an in_w x in_h image "in.<ext>", runs one resize stage with opts and
 * checks the output is want_w x want_h.  Returns the temp dir (caller removes
 * and frees) so callers can look at the pixels. */
static char *rz_check(int in_w, int in_h, const char *ext, const char *opts, int want_w,
                      int want_h)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    cr_assert_not_null(dir);
    char *in = tu_strf("%s/in.%s", dir, ext);
    cr_assert_eq(tu_make_image(in, in_w, in_h), 0);
    char *stages = tu_strf("  - resize: { %s }\n", opts);
    char *arg = tu_strf("in.%s", ext);
    int rc = rz_pipeline(dir, stages, arg, &out, &err);
    free(arg);
    cr_assert_eq(rc, 0, "resize { %s } failed (%d):\n%s%s", opts, rc, out, err);
    cr_assert(strstr(out, "1 processed, 0 failed, 0 skipped"), "stdout: %s", out);
    char *res = tu_strf("%s/out/in-main.png", dir);
    int w = 0, h = 0;
    cr_assert_eq(tu_image_size(res, &w, &h, NULL), 0, "no output %s; stderr: %s", res, err);
    cr_assert(w == want_w && h == want_h, "%dx%d with { %s } gave %dx%d, expected %dx%d", in_w,
              in_h, opts, w, h, want_w, want_h);
    free(res);
    free(stages);
    free(in);
    free(out);
    free(err);
    return dir;
}

static void rz_done(char *dir)
{
    tu_rmrf(dir);
    free(dir);
}

/* --- every fit mode, shrinking */

Test(resize, inside_fits_within_box)
{
    rz_done(rz_check(800, 600, "png", "width: 200, height: 200, fit: inside", 200, 150));
    rz_done(rz_check(600, 800, "png", "width: 200, height: 200", 150, 200)); /* default fit */
}

Test(resize, outside_covers_box_without_crop)
{
    /* 800 * 200/600 = 266.67 -> 267 */
    rz_done(rz_check(800, 600, "png", "width: 200, height: 200, fit: outside", 267, 200));
}

Test(resize, cover_crops_to_exact_box)
{
    rz_done(rz_check(800, 600, "png", "width: 200, height: 100, fit: cover", 200, 100));
    rz_done(rz_check(800, 600, "png", "width: 100, height: 200, fit: cover", 100, 200));
}

Test(resize, contain_pads_to_box_with_black)
{
    char *dir = rz_check(800, 600, "png", "width: 200, height: 200, fit: contain", 200, 200);
    char *res = tu_strf("%s/out/in-main.png", dir);
    double px[4] = { 0 };
    /* The 200x150 image sits 25 px down: row 5 is padding, the centre not. */
    rz_pixel(res, 100, 5, px);
    cr_assert(px[0] == 0 && px[1] == 0 && px[2] == 0, "padding not black: %g %g %g", px[0],
              px[1], px[2]);
    rz_pixel(res, 100, 100, px);
    cr_assert(px[0] + px[1] + px[2] > 0, "image content missing at the centre");
    free(res);
    rz_done(dir);
}

Test(resize, contain_pads_alpha_transparent)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *rgb = tu_strf("%s/rgb.png", dir), *rgba = tu_strf("%s/in.png", dir);
    cr_assert_eq(tu_make_image(rgb, 400, 200), 0);
    VipsImage *im = vips_image_new_from_file(rgb, NULL), *a = NULL;
    cr_assert_not_null(im);
    cr_assert_eq(vips_bandjoin_const1(im, &a, 255, NULL), 0);
    cr_assert_eq(vips_image_write_to_file(a, rgba, NULL), 0);
    g_object_unref(a);
    g_object_unref(im);

    int rc = rz_pipeline(dir, "  - resize: { width: 100, height: 100, fit: contain }\n", "in.png",
                         &out, &err);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    char *res = tu_strf("%s/out/in-main.png", dir);
    int w, h, bands;
    cr_assert_eq(tu_image_size(res, &w, &h, &bands), 0);
    cr_assert(w == 100 && h == 100 && bands == 4, "%dx%d, %d bands", w, h, bands);
    double px[4] = { 0 };
    rz_pixel(res, 50, 5, px); /* padding: 100x50 content starts at row 25 */
    cr_assert_eq(px[3], 0, "padding alpha %g, expected transparent", px[3]);
    rz_pixel(res, 50, 50, px);
    cr_assert_eq(px[3], 255, "content alpha %g, expected opaque", px[3]);
    free(res);
    free(rgb);
    free(rgba);
    free(out);
    free(err);
    rz_done(dir);
}

Test(resize, fill_stretches_to_exact_box)
{
    rz_done(rz_check(800, 600, "png", "width: 100, height: 300, fit: fill", 100, 300));
}

Test(resize, one_side_keeps_aspect)
{
    rz_done(rz_check(800, 600, "png", "width: 400", 400, 300));
    rz_done(rz_check(800, 600, "png", "height: 150, fit: cover", 200, 150));
    /* 667 * 300/1001 = 199.9 -> 200 */
    rz_done(rz_check(1001, 667, "png", "width: 300, fit: fill", 300, 200));
}

/* --- no enlargement by default */

Test(resize, inside_and_outside_never_enlarge)
{
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 1000, fit: inside", 800, 600));
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 1000, fit: outside", 800, 600));
    rz_done(rz_check(800, 600, "png", "width: 2000", 800, 600));
}

Test(resize, cover_without_enlarge_crops_box_shape)
{
    /* The largest centred crop with the box's aspect, never scaled up. */
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 1000, fit: cover", 600, 600));
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 500, fit: cover", 800, 400));
}

Test(resize, contain_without_enlarge_pads_unscaled)
{
    char *dir = rz_check(800, 600, "png", "width: 1000, height: 1000, fit: contain", 1000, 1000);
    char *res = tu_strf("%s/out/in-main.png", dir);
    double px[4] = { 0 };
    rz_pixel(res, 50, 500, px); /* the 800x600 image starts at x = 100 */
    cr_assert(px[0] == 0 && px[1] == 0 && px[2] == 0, "left padding not black");
    rz_pixel(res, 500, 150, px); /* and y = 200 */
    cr_assert(px[0] == 0 && px[1] == 0 && px[2] == 0, "top padding not black");
    rz_pixel(res, 500, 500, px);
    cr_assert(px[0] + px[1] + px[2] > 0, "image content missing");
    free(res);
    rz_done(dir);
}

Test(resize, fill_without_enlarge_shrinks_axes_only)
{
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 500, fit: fill", 800, 500));
}

Test(resize, enlarge_true_scales_up)
{
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 1000, enlarge: true", 1000, 750));
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 1000, fit: outside, enlarge: true",
                     1333, 1000));
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 1000, fit: cover, enlarge: true",
                     1000, 1000));
    rz_done(rz_check(800, 600, "png", "width: 1000, height: 500, fit: fill, enlarge: true", 1000,
                     500));
}

/* --- shrink-on-load, orientation, stage chains */

Test(resize, large_jpeg_shrinks, .timeout = 120)
{
    rz_done(rz_check(6000, 4000, "jpg", "width: 600, height: 600", 600, 400));
    rz_done(rz_check(6000, 4000, "jpg", "width: 333, height: 333, fit: cover", 333, 333));
}

/* Writes a w x h JPEG whose EXIF orientation is o. */
static void rz_make_oriented(const char *path, int w, int h, int o)
{
    char *plain = tu_strf("%s.plain.png", path);
    cr_assert_eq(tu_make_image(plain, w, h), 0);
    VipsImage *im = vips_image_new_from_file(plain, NULL), *c = NULL;
    cr_assert_not_null(im);
    cr_assert_eq(vips_copy(im, &c, NULL), 0);
    vips_image_set_int(c, VIPS_META_ORIENTATION, o);
    cr_assert_eq(vips_image_write_to_file(c, path, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(c);
    g_object_unref(im);
    free(plain);
}

Test(resize, exif_orientation_gives_upright_output)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.jpg", dir), *res = tu_strf("%s/out/in-main.png", dir);
    int w = 0, h = 0;
    rz_make_oriented(in, 800, 600, 6); /* stored landscape, shown portrait */

    cr_assert_eq(rz_pipeline(dir, "  - resize: { width: 300, height: 300 }\n", "in.jpg", &out,
                             &err), 0, "%s%s", out, err);
    cr_assert_eq(tu_image_size(res, &w, &h, NULL), 0);
    cr_assert(w == 225 && h == 300, "scaled: %dx%d, expected upright 225x300", w, h);
    free(out);
    free(err);

    /* No scaling needed: still made upright.  libvips caches files it
     * opened by name, so forget the first output before reading the second. */
    cr_assert_eq(rz_pipeline(dir, "  - resize: { width: 1000, height: 1000 }\n", "in.jpg", &out,
                             &err), 0, "%s%s", out, err);
    vips_cache_set_max(0);
    cr_assert_eq(tu_image_size(res, &w, &h, NULL), 0);
    cr_assert(w == 600 && h == 800, "unscaled: %dx%d, expected upright 600x800", w, h);
    free(out);
    free(err);
    free(in);
    free(res);
    rz_done(dir);
}

Test(resize, second_stage_resizes_working_image)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.jpg", dir), *res = tu_strf("%s/out/in-main.png", dir);
    int w = 0, h = 0;
    rz_make_oriented(in, 800, 600, 6);
    /* The first stage decodes the source (upright 300x400); the second works
     * on that image, not on the source. */
    cr_assert_eq(rz_pipeline(dir,
                             "  - resize: { width: 400, height: 400 }\n"
                             "  - resize: { width: 150, height: 100, fit: cover }\n",
                             "in.jpg", &out, &err),
                 0, "%s%s", out, err);
    cr_assert_eq(tu_image_size(res, &w, &h, NULL), 0);
    cr_assert(w == 150 && h == 100, "%dx%d, expected 150x100", w, h);
    free(out);
    free(err);
    free(in);
    free(res);
    rz_done(dir);
}

/* --- options */

Test(resize, width_or_height_required)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.png", dir);
    cr_assert_eq(tu_make_image(in, 64, 48), 0);
    int rc = rz_pipeline(dir, "  - resize: { fit: cover }\n", "in.png", &out, &err);
    cr_assert_neq(rc, 0, "a resize without width and height was accepted");
    cr_assert(strstr(err, "width") && strstr(err, "height"), "stderr: %s", err);
    free(in);
    in = tu_strf("%s/out/in-main.png", dir);
    cr_assert(!tu_exists(in), "an output was written");
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

Test(resize, fit_choice_checked)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.png", dir);
    cr_assert_eq(tu_make_image(in, 64, 48), 0);
    int rc = rz_pipeline(dir, "  - resize: { width: 10, fit: squash }\n", "in.png", &out, &err);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(err, "squash") || strstr(err, "inside"), "stderr: %s", err);
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

/* --- kernel, background, alpha, animation */

/* The largest difference between the pixels of two files of one size. */
static double rz_max_diff(const char *a_path, const char *b_path)
{
    VipsImage *a = vips_image_new_from_file(a_path, NULL);
    VipsImage *b = vips_image_new_from_file(b_path, NULL), *d = NULL, *ab = NULL;
    double max = 0;
    cr_assert(a && b, "%s", vips_error_buffer());
    cr_assert(vips_image_get_width(a) == vips_image_get_width(b) &&
                  vips_image_get_height(a) == vips_image_get_height(b),
              "sizes differ");
    cr_assert_eq(vips_subtract(a, b, &d, NULL), 0);
    cr_assert_eq(vips_abs(d, &ab, NULL), 0);
    cr_assert_eq(vips_max(ab, &max, NULL), 0);
    g_object_unref(a);
    g_object_unref(b);
    g_object_unref(d);
    g_object_unref(ab);
    return max;
}

Test(resize, kernel_choices_change_pixels)
{
    static const char *const kernels[] = { "nearest", "linear", "lanczos3" };
    char *dir = tu_tmpdir(), *in = tu_strf("%s/in.png", dir), *res[3];
    cr_assert_eq(tu_make_image(in, 400, 300), 0);
    for (int i = 0; i < 3; i++) {
        char *out = NULL, *err = NULL;
        char *stages = tu_strf("  - resize: { width: 97, kernel: %s }\n", kernels[i]);
        cr_assert_eq(rz_pipeline(dir, stages, "in.png", &out, &err), 0, "%s%s", out, err);
        res[i] = tu_strf("%s/%s.png", dir, kernels[i]);
        cr_assert_eq(tu_runf(NULL, NULL, "mv '%s/out/in-main.png' '%s'", dir, res[i]), 0);
        int w = 0, h = 0;
        cr_assert_eq(tu_image_size(res[i], &w, &h, NULL), 0);
        cr_expect(w == 97 && h == 73, "%s: %dx%d", kernels[i], w, h);
        free(stages);
        free(out);
        free(err);
    }
    double nl = rz_max_diff(res[0], res[2]), ll = rz_max_diff(res[1], res[2]);
    cr_expect(nl > 10, "nearest and lanczos3 differ by at most %g", nl);
    cr_expect(ll > 2, "linear and lanczos3 differ by at most %g", ll);
    for (int i = 0; i < 3; i++)
        free(res[i]);
    free(in);
    rz_done(dir);
}

Test(resize, kernel_choice_checked)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.png", dir);
    cr_assert_eq(tu_make_image(in, 64, 48), 0);
    int rc = rz_pipeline(dir, "  - resize: { width: 10, kernel: bicubic }\n", "in.png", &out, &err);
    cr_assert_neq(rc, 0);
    cr_assert(strstr(err, "bicubic") && strstr(err, "lanczos3"), "stderr: %s", err);
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

/* Writes a w x h RGBA PNG, transparent black, with an opaque red square
 * of side s at (x, y). */
static void rz_make_red_square(const char *path, int w, int h, int x, int y, int s)
{
    VipsImage *black = NULL, *mem = NULL;
    cr_assert_eq(vips_black(&black, w, h, "bands", 4, NULL), 0);
    VipsImage *u = NULL;
    cr_assert_eq(vips_cast_uchar(black, &u, NULL), 0);
    VipsImage *tagged = NULL;
    cr_assert_eq(vips_copy(u, &tagged, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    mem = vips_image_copy_memory(tagged);
    cr_assert_not_null(mem);
    double red[4] = { 255, 0, 0, 255 };
    cr_assert_eq(vips_draw_rect(mem, red, 4, x, y, s, s, "fill", TRUE, NULL), 0);
    cr_assert_eq(vips_image_write_to_file(mem, path, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(black);
    g_object_unref(u);
    g_object_unref(tagged);
    g_object_unref(mem);
}

Test(resize, contain_pads_with_background_colour)
{
    char *dir = rz_check(800, 600, "png",
                         "width: 200, height: 200, fit: contain, background: \"#ff8000\"", 200,
                         200);
    char *res = tu_strf("%s/out/in-main.png", dir);
    double px[4] = { 0 };
    int n = rz_pixel(res, 100, 5, px); /* padding: the 200x150 content starts at row 25 */
    cr_assert(n == 3 && px[0] == 255 && px[1] == 128 && px[2] == 0, "padding %g %g %g (%d bands)",
              px[0], px[1], px[2], n);
    free(res);
    rz_done(dir);

    /* With alpha, the colour's own alpha goes into the alpha band. */
    dir = tu_tmpdir();
    char *in = tu_strf("%s/in.png", dir), *out = NULL, *err = NULL;
    rz_make_red_square(in, 400, 200, 0, 0, 200);
    cr_assert_eq(rz_pipeline(dir,
                             "  - resize: { width: 100, height: 100, fit: contain, "
                             "background: \"#00ff0080\" }\n",
                             "in.png", &out, &err),
                 0, "%s%s", out, err);
    res = tu_strf("%s/out/in-main.png", dir);
    n = rz_pixel(res, 50, 5, px);
    cr_assert(n == 4 && px[0] == 0 && px[1] == 255 && px[2] == 0 && px[3] == 128,
              "padding %g %g %g %g (%d bands)", px[0], px[1], px[2], px[3], n);
    rz_pixel(res, 10, 40, px); /* the red square, scaled to 50x50 at (0, 25) */
    cr_assert(px[0] == 255 && px[3] == 255, "content %g %g %g %g", px[0], px[1], px[2], px[3]);
    free(res);
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

Test(resize, contain_grey_image_with_colour_becomes_srgb)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.png", dir);
    VipsImage *g = NULL, *u = NULL;
    cr_assert_eq(vips_black(&g, 300, 100, NULL), 0);
    cr_assert_eq(vips_linear1(g, &u, 1, 90, NULL), 0);
    g_object_unref(g);
    cr_assert_eq(vips_cast_uchar(u, &g, NULL), 0);
    cr_assert_eq(vips_image_write_to_file(g, in, NULL), 0);
    g_object_unref(g);
    g_object_unref(u);
    cr_assert_eq(rz_pipeline(dir,
                             "  - resize: { width: 150, height: 150, fit: contain, "
                             "background: blue }\n",
                             "in.png", &out, &err),
                 0, "%s%s", out, err);
    char *res = tu_strf("%s/out/in-main.png", dir);
    double px[4] = { 0 };
    int n = rz_pixel(res, 75, 5, px);
    cr_assert(n == 3 && px[0] == 0 && px[1] == 0 && px[2] == 255, "padding %g %g %g (%d bands)",
              px[0], px[1], px[2], n);
    rz_pixel(res, 75, 75, px);
    cr_assert(px[0] == 90 && px[1] == 90 && px[2] == 90, "content %g %g %g", px[0], px[1], px[2]);
    free(res);
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

/* A red square on transparent black, downscaled 4:1 by stages with its
 * edges falling inside output pixels: those pixels are partly transparent
 * and must still be pure red.  Resampling without premultiplied alpha
 * averages in the black of the transparent pixels (dark fringe). */
static void rz_alpha_check(const char *stages)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/in.png", dir);
    rz_make_red_square(in, 400, 400, 102, 102, 198);
    cr_assert_eq(rz_pipeline(dir, stages, "in.png", &out, &err), 0, "%s%s", out, err);
    char *res = tu_strf("%s/out/in-main.png", dir);
    VipsImage *im = vips_image_new_from_file(res, NULL);
    cr_assert_not_null(im);
    VipsImage *mem = vips_image_copy_memory(im);
    cr_assert_not_null(mem);
    cr_assert_eq(vips_image_get_bands(mem), 4);
    int partial = 0, worst = 255;
    for (int y = 0; y < 100; y++)
        for (int x = 0; x < 100; x++) {
            const unsigned char *p = VIPS_IMAGE_ADDR(mem, x, y);
            if (p[3] < 16) /* nearly transparent: its colour barely shows */
                continue;
            if (p[3] < 240)
                partial++;
            if (p[0] < worst)
                worst = p[0];
            cr_expect(p[0] >= 250 && p[1] <= 5 && p[2] <= 5, "%s(%d,%d) = %d %d %d %d", stages, x,
                      y, p[0], p[1], p[2], p[3]);
        }
    cr_assert(partial >= 40, "%s: only %d partly transparent edge pixels: no edge seen", stages,
              partial);
    g_object_unref(mem);
    g_object_unref(im);
    free(res);
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

Test(resize, alpha_edges_keep_their_colour)
{
    /* the host's decode does the scaling */
    rz_alpha_check("  - resize: { width: 100 }\n");
    /* this plugin does: another kernel, or a second stage */
    rz_alpha_check("  - resize: { width: 100, kernel: mitchell }\n");
    rz_alpha_check("  - resize: { width: 200 }\n  - resize: { width: 100, kernel: linear }\n");
}

/* Runs stages on a 3-frame GIF with gif output and checks the frames:
 * n == 3, w x ph each, and frame i's colour on its first, middle and last
 * row (no row mixed with the next frame); pad_rows rows at the top of each
 * frame are white (contain padding). */
static void rz_anim_check(const char *stages, int w, int ph, int pad_rows)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    char *in = tu_strf("%s/a.gif", dir);
    cr_assert_eq(tu_make_anim(in), 0, "%s", vips_error_buffer());
    char *yaml = tu_strf("destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                         "output: { rendition: main, format: gif }\n"
                         "stages:\n%s", stages);
    char *pipe = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(pipe, yaml, strlen(yaml)), 0);
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -p pipe.yaml a.gif", dir, tu_pixpipe());
    cr_assert_eq(rc, 0, "%s%s", out, err);
    char *res = tu_strf("%s/out/a-main.gif", dir);
    VipsImage *im = vips_image_new_from_file(res, "n", -1, NULL);
    cr_assert_not_null(im, "%s", vips_error_buffer());
    cr_expect_eq(vips_image_get_n_pages(im), 3, "frames");
    cr_expect_eq(vips_image_get_width(im), w);
    cr_expect_eq(vips_image_get_page_height(im), ph);
    cr_expect_eq(vips_image_get_height(im), 3 * ph);
    for (int i = 0; i < 3; i++) {
        int rows[3] = { pad_rows, (pad_rows + ph) / 2, ph - 1 - pad_rows };
        for (int r = 0; r < 3; r++) {
            double *px = NULL;
            int n = 0;
            cr_assert_eq(vips_getpoint(im, &px, &n, w / 2, i * ph + rows[r], NULL), 0);
            cr_expect(px[i] > 240 && px[(i + 1) % 3] < 15 && px[(i + 2) % 3] < 15,
                      "frame %d row %d: %g %g %g", i, rows[r], px[0], px[1], px[2]);
            g_free(px);
        }
        if (pad_rows > 0) {
            double *px = NULL;
            int n = 0;
            cr_assert_eq(vips_getpoint(im, &px, &n, w / 2, i * ph + 1, NULL), 0);
            cr_expect(px[0] > 240 && px[1] > 240 && px[2] > 240, "frame %d padding: %g %g %g", i,
                      px[0], px[1], px[2]);
            g_free(px);
        }
    }
    g_object_unref(im);
    free(res);
    free(pipe);
    free(yaml);
    free(in);
    free(out);
    free(err);
    rz_done(dir);
}

Test(resize, animation_resized_frame_by_frame)
{
    rz_anim_check("  - resize: { width: 60 }\n", 60, 40, 0);
    rz_anim_check("  - resize: { width: 50, height: 50, fit: cover }\n", 50, 50, 0);
    /* a kernel other than lanczos3: scaled here, not by the host's decode */
    rz_anim_check("  - resize: { width: 77, kernel: cubic }\n", 77, 51, 0);
    rz_anim_check("  - resize: { width: 50, height: 50, fit: cover, kernel: linear }\n", 50, 50, 0);
    /* 60x40 content centred on 60x60: 10 rows of padding above and below */
    rz_anim_check("  - resize: { width: 60, height: 60, fit: contain, background: white }\n", 60,
                  60, 10);
}
