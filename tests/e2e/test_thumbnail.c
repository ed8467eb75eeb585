/* The thumbnail stage, end to end through the pixpipe binary: exact sizes
 * for every crop mode, smart crops that find an off-centre detail, its
 * place in the list (before or after the stamp test stage), its own format
 * and quality, a working image left as it was, no enlargement, animated
 * GIFs, and one decode for resize + thumbnail. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *th_dir;

static void th_setup(void)
{
    th_dir = tu_tmpdir();
    cr_assert_not_null(th_dir);
    cr_assert_eq(VIPS_INIT("pixpipe-tests"), 0);
    vips_cache_set_max(0); /* outputs are reread under the same names */
}

static void th_teardown(void)
{
    tu_rmrf(th_dir);
    free(th_dir);
}

TestSuite(thumbnail, .init = th_setup, .fini = th_teardown, .timeout = 120);

/* Writes th_dir/<sub>/pipe.yaml (main rendition "main" in main_format, the
 * given stage list body), runs it on input (a name inside th_dir/<sub>) with
 * the test plugins on the path, and returns the exit status.  out/err
 * receive the output (caller frees; either may be NULL). */
static int th_run(const char *sub, const char *main_format, const char *extra, const char *stages,
                  const char *input, char **out, char **err)
{
    char *yaml = tu_strf("name: thumb-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                         "output: { rendition: main, format: %s }\n"
                         "%s"
                         "stages:\n%s",
                         main_format, extra, stages);
    char *path = tu_strf("%s/%s/pipe.yaml", th_dir, sub);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    int rc = tu_runf(out, err, "cd '%s/%s' && PIXPIPE_PLUGIN_PATH='%s/test-plugins' '%s' run -q "
                     "-p pipe.yaml %s", th_dir, sub, tu_build(), tu_pixpipe(), input);
    free(yaml);
    free(path);
    return rc;
}

/* Like th_run, asserting success. */
static void th_run_ok(const char *sub, const char *main_format, const char *stages,
                      const char *input)
{
    char *out = NULL, *err = NULL;
    int rc = th_run(sub, main_format, "", stages, input, &out, &err);
    cr_assert_eq(rc, 0, "run failed (%d):\n%s\n%s%s", rc, stages, out, err);
    free(out);
    free(err);
}

/* th_dir/<sub>, made. */
static char *th_sub(const char *sub)
{
    char *p = tu_strf("%s/%s", th_dir, sub);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s'", p), 0);
    return p;
}

/* Opens th_dir/<sub>/out/<file> with every frame. */
static VipsImage *th_open(const char *sub, const char *file)
{
    char *path = tu_strf("%s/%s/out/%s", th_dir, sub, file);
    bool anim = strstr(file, ".gif") || strstr(file, ".webp");
    VipsImage *im = anim ? vips_image_new_from_file(path, "n", -1, NULL)
                         : vips_image_new_from_file(path, NULL);
    cr_assert_not_null(im, "%s: %s", path, vips_error_buffer());
    free(path);
    return im;
}

static void th_expect_size(const char *sub, const char *file, int w, int h)
{
    VipsImage *im = th_open(sub, file);
    cr_expect(vips_image_get_width(im) == w && vips_image_get_height(im) == h,
              "%s/%s: %dx%d, expected %dx%d", sub, file, vips_image_get_width(im),
              vips_image_get_height(im), w, h);
    g_object_unref(im);
}

/* Pixel (x, y) of im into px (up to 4 bands). */
static void th_pixel(VipsImage *im, int x, int y, double px[4])
{
    double *v = NULL;
    int n = 0;
    cr_assert_eq(vips_getpoint(im, &v, &n, x, y, NULL), 0, "%s", vips_error_buffer());
    for (int i = 0; i < 4; i++)
        px[i] = i < n ? v[i] : 0;
    g_free(v);
}

/* Saves a w x h image of one colour at path. */
static void th_make_flat(const char *path, int w, int h, double r, double g, double b)
{
    VipsImage *black = NULL, *rgb = NULL, *u = NULL;
    double zero[3] = { 0, 0, 0 }, c[3] = { r, g, b };
    cr_assert_eq(vips_black(&black, w, h, "bands", 3, NULL), 0);
    cr_assert_eq(vips_linear(black, &rgb, zero, c, 3, NULL), 0);
    cr_assert_eq(vips_cast_uchar(rgb, &u, NULL), 0);
    cr_assert_eq(vips_image_write_to_file(u, path, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(black);
    g_object_unref(rgb);
    g_object_unref(u);
}

/* --- exact sizes */

static void th_sizes_for(const char *sub, int w, int h, int none_w, int none_h)
{
    char *dir = th_sub(sub), *in = tu_strf("%s/in.png", dir);
    cr_assert_eq(tu_make_image(in, w, h), 0);
    th_run_ok(sub, "png",
              "  - thumbnail: { name: none, width: 200, height: 120, format: png }\n"
              "  - thumbnail: { name: centre, width: 200, height: 120, crop: centre, format: png }\n"
              "  - thumbnail: { name: attention, width: 200, height: 120, crop: attention }\n"
              "  - thumbnail: { name: entropy, width: 200, height: 120, crop: entropy }\n"
              "  - thumbnail: { name: square, width: 100, crop: centre }\n"
              "  - thumbnail: { name: side, height: 100 }\n",
              "in.png");
    th_expect_size(sub, "in-none.png", none_w, none_h);
    th_expect_size(sub, "in-centre.png", 200, 120);
    th_expect_size(sub, "in-attention.jpg", 200, 120);
    th_expect_size(sub, "in-entropy.jpg", 200, 120);
    th_expect_size(sub, "in-square.jpg", 100, 100);
    /* width absent: it equals height, a 100x100 box */
    th_expect_size(sub, "in-side.jpg", w > h ? 100 : 100 * w / h, w > h ? 100 * h / w : 100);
    th_expect_size(sub, "in-main.png", w, h); /* untouched */
    free(in);
    free(dir);
}

Test(thumbnail, exact_sizes_landscape)
{
    th_sizes_for("land", 800, 600, 160, 120);
}

Test(thumbnail, exact_sizes_portrait)
{
    th_sizes_for("port", 600, 800, 90, 120);
}

/* --- smart crops */

/* Pixels of im (8-bit) in any band far from mid grey: the patch's. */
static int th_patch_pixels(VipsImage *im)
{
    VipsImage *mem = vips_image_copy_memory(im);
    cr_assert_not_null(mem);
    int count = 0, bands = vips_image_get_bands(mem);
    for (int y = 0; y < vips_image_get_height(mem); y++)
        for (int x = 0; x < vips_image_get_width(mem); x++) {
            const unsigned char *p = VIPS_IMAGE_ADDR(mem, x, y);
            for (int b = 0; b < bands; b++)
                if (p[b] < 50 || p[b] > 206) {
                    count++;
                    break;
                }
        }
    g_object_unref(mem);
    return count;
}

Test(thumbnail, attention_and_entropy_find_the_detail)
{
    /* A flat grey 600x200 image with a 48x48 checkerboard near the right
     * edge.  Into 100x100 it scales to 300x100: the patch lands at
     * x 265..289, the centre crop spans x 100..199. */
    char *dir = th_sub("smart"), *in = tu_strf("%s/in.png", dir);
    VipsImage *grey = NULL, *u = NULL, *mem = NULL;
    cr_assert_eq(vips_black(&grey, 600, 200, "bands", 3, NULL), 0);
    cr_assert_eq(vips_linear1(grey, &u, 1, 128, NULL), 0);
    g_object_unref(grey);
    cr_assert_eq(vips_cast_uchar(u, &grey, NULL), 0);
    mem = vips_image_copy_memory(grey);
    cr_assert_not_null(mem);
    for (int y = 0; y < 48; y += 8)
        for (int x = 0; x < 48; x += 8) {
            double ink[3] = { 0, 0, 0 };
            if (((x + y) / 8) % 2)
                ink[0] = ink[1] = ink[2] = 255;
            cr_assert_eq(vips_draw_rect(mem, ink, 3, 530 + x, 76 + y, 8, 8, "fill", TRUE, NULL),
                         0);
        }
    cr_assert_eq(vips_image_write_to_file(mem, in, NULL), 0);
    g_object_unref(mem);
    g_object_unref(grey);
    g_object_unref(u);

    th_run_ok("smart", "png",
              "  - thumbnail: { name: c, width: 100, height: 100, crop: centre, format: png }\n"
              "  - thumbnail: { name: a, width: 100, height: 100, crop: attention, format: png }\n"
              "  - thumbnail: { name: e, width: 100, height: 100, crop: entropy, format: png }\n",
              "in.png");
    VipsImage *c = th_open("smart", "in-c.png"), *a = th_open("smart", "in-a.png"),
              *e = th_open("smart", "in-e.png");
    /* The scaled patch is 24x24 = 576 pixels, most of them far from grey. */
    int nc = th_patch_pixels(c), na = th_patch_pixels(a), ne = th_patch_pixels(e);
    cr_expect_eq(nc, 0, "the centre crop holds %d patch pixels", nc);
    cr_expect(na > 300, "the attention crop holds only %d patch pixels", na);
    cr_expect(ne > 300, "the entropy crop holds only %d patch pixels", ne);
    g_object_unref(c);
    g_object_unref(a);
    g_object_unref(e);
    free(in);
    free(dir);
}

/* --- place in the list */

/* Whether pixel (x, y) of th_dir/<sub>/out/<file> is white. */
static bool th_white_at(const char *sub, const char *file, int x, int y)
{
    VipsImage *im = th_open(sub, file);
    double px[4];
    th_pixel(im, x, y, px);
    g_object_unref(im);
    return px[0] > 245 && px[1] > 245 && px[2] > 245;
}

Test(thumbnail, place_decides_what_it_carries)
{
    /* A dark 400x300 image; the stamp is a 75x75 white corner. */
    char *dir = th_sub("before"), *in = tu_strf("%s/in.png", dir);
    th_make_flat(in, 400, 300, 30, 60, 90);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s/after' && cp '%s' '%s/after/'", th_dir, in,
                         th_dir), 0);

    th_run_ok("before", "png",
              "  - thumbnail: { width: 100, format: png }\n"
              "  - stamp: {}\n",
              "in.png");
    cr_expect(th_white_at("before", "in-main.png", 395, 295), "main rendition lacks the stamp");
    cr_expect(!th_white_at("before", "in-thumb.png", 97, 72),
              "a thumbnail placed before the stamp carries it");
    cr_expect(!th_white_at("before", "in-main.png", 5, 5), "stamp out of place");

    th_run_ok("after", "png",
              "  - stamp: {}\n"
              "  - thumbnail: { width: 100, format: png }\n",
              "in.png");
    cr_expect(th_white_at("after", "in-main.png", 395, 295), "main rendition lacks the stamp");
    cr_expect(th_white_at("after", "in-thumb.png", 97, 72),
              "a thumbnail placed after the stamp lacks it");
    cr_expect(!th_white_at("after", "in-thumb.png", 5, 5), "stamp out of place");
    free(in);
    free(dir);
}

/* --- the working image is left as it was */

/* The largest difference between two images' pixels (same size asserted). */
static double th_max_diff(VipsImage *a, VipsImage *b)
{
    VipsImage *d = NULL, *ab = NULL;
    double max = 0;
    cr_assert(vips_image_get_width(a) == vips_image_get_width(b) &&
                  vips_image_get_height(a) == vips_image_get_height(b),
              "%dx%d vs %dx%d", vips_image_get_width(a), vips_image_get_height(a),
              vips_image_get_width(b), vips_image_get_height(b));
    cr_assert_eq(vips_subtract(a, b, &d, NULL), 0);
    cr_assert_eq(vips_abs(d, &ab, NULL), 0);
    cr_assert_eq(vips_max(ab, &max, NULL), 0);
    g_object_unref(d);
    g_object_unref(ab);
    return max;
}

Test(thumbnail, working_image_unchanged)
{
    static const char *const subs[] = { "plain", "thumb-after", "thumb-before" };
    static const char *const stages[] = {
        "  - resize: { width: 300 }\n",
        "  - resize: { width: 300 }\n"
        "  - thumbnail: { width: 64, crop: attention }\n",
        "  - thumbnail: { width: 64, crop: entropy, format: png }\n"
        "  - resize: { width: 300 }\n",
    };
    /* one input for all three: tu_make_image's noise differs per call */
    char *first = tu_strf("%s/%s/in.jpg", th_dir, subs[0]);
    for (int i = 0; i < 3; i++) {
        char *dir = th_sub(subs[i]);
        if (i == 0)
            cr_assert_eq(tu_make_image(first, 1280, 960), 0);
        else
            cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s/'", first, dir), 0);
        th_run_ok(subs[i], "png", stages[i], "in.jpg");
        free(dir);
    }
    free(first);
    VipsImage *plain = th_open("plain", "in-main.png");
    cr_assert_eq(vips_image_get_width(plain), 300);
    for (int i = 1; i < 3; i++) {
        VipsImage *other = th_open(subs[i], "in-main.png");
        double d = th_max_diff(plain, other);
        cr_expect_eq(d, 0, "%s: main rendition differs by up to %g", subs[i], d);
        g_object_unref(other);
    }
    g_object_unref(plain);
    th_expect_size("thumb-after", "in-thumb.jpg", 64, 64);
    th_expect_size("thumb-before", "in-thumb.png", 64, 64);
}

/* --- its own encoding */

static unsigned char *th_bytes(const char *sub, const char *file, size_t *len)
{
    char *path = tu_strf("%s/%s/out/%s", th_dir, sub, file);
    unsigned char *data = (unsigned char *)tu_read_file(path, len);
    cr_assert_not_null(data, "%s missing", path);
    free(path);
    return data;
}

Test(thumbnail, own_format_and_quality)
{
    char *dir = th_sub("enc"), *in = tu_strf("%s/in.jpg", dir);
    cr_assert_eq(tu_make_image(in, 800, 600), 0);
    th_run_ok("enc", "png",
              "  - thumbnail: { name: p, width: 200, format: png }\n"
              "  - thumbnail: { name: w, width: 200, format: webp, quality: 60 }\n"
              "  - thumbnail: { name: av, width: 200, format: avif }\n"
              "  - thumbnail: { name: x, width: 200, format: jxl, effort: 3 }\n"
              "  - thumbnail: { name: lo, width: 200, format: jpeg, quality: 20 }\n"
              "  - thumbnail: { name: hi, width: 200, quality: 95 }\n"
              "  - thumbnail: { name: src, width: 200, format: source }\n",
              "in.jpg");
    size_t len = 0, lo_len = 0, hi_len = 0;
    unsigned char *b = th_bytes("enc", "in-p.png", &len);
    cr_expect(len > 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0, "png magic");
    free(b);
    b = th_bytes("enc", "in-w.webp", &len);
    cr_expect(len > 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0,
              "webp magic");
    free(b);
    b = th_bytes("enc", "in-av.avif", &len);
    cr_expect(len > 12 && memcmp(b + 4, "ftypavif", 8) == 0, "avif magic");
    free(b);
    b = th_bytes("enc", "in-x.jxl", &len); /* a bare JPEG XL codestream */
    cr_expect(len > 2 && b[0] == 0xFF && b[1] == 0x0A, "jxl magic");
    free(b);
    th_expect_size("enc", "in-x.jxl", 200, 150);
    b = th_bytes("enc", "in-src.jpg", &len); /* source: the source's jpeg */
    cr_expect(len > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF, "source: jpeg magic");
    free(b);
    unsigned char *lo = th_bytes("enc", "in-lo.jpg", &lo_len);
    unsigned char *hi = th_bytes("enc", "in-hi.jpg", &hi_len); /* jpeg by default */
    cr_expect(lo[0] == 0xFF && lo[1] == 0xD8 && hi[0] == 0xFF && hi[1] == 0xD8, "jpeg magic");
    cr_expect(lo_len * 2 < hi_len, "quality 20 gave %zu bytes, quality 95 %zu", lo_len, hi_len);
    free(lo);
    free(hi);
    th_expect_size("enc", "in-hi.jpg", 200, 150);
    free(in);
    free(dir);
}

/* --- no enlargement */

Test(thumbnail, small_image_not_enlarged)
{
    char *dir = th_sub("small"), *in = tu_strf("%s/in.png", dir);
    cr_assert_eq(tu_make_image(in, 100, 80), 0);
    th_run_ok("small", "png",
              "  - thumbnail: { name: none, width: 256 }\n"
              "  - thumbnail: { name: sq, width: 256, crop: centre }\n"
              "  - thumbnail: { name: wide, width: 200, height: 100, crop: attention }\n"
              "  - thumbnail: { name: big, width: 256, enlarge: true }\n"
              "  - thumbnail: { name: bigsq, width: 256, crop: entropy, enlarge: true }\n",
              "in.png");
    th_expect_size("small", "in-none.jpg", 100, 80);
    th_expect_size("small", "in-sq.jpg", 80, 80);    /* the largest square in it */
    th_expect_size("small", "in-wide.jpg", 100, 50); /* the box's 2:1 shape */
    th_expect_size("small", "in-big.jpg", 256, 205); /* 80 * 2.56 = 204.8 */
    th_expect_size("small", "in-bigsq.jpg", 256, 256);
    free(in);
    free(dir);
}

/* --- animation */

/* th_dir/<sub>/out/<file> has n frames of w x ph; with colours, frame i is
 * red, green, blue in turn at its top, middle and bottom rows. */
static void th_expect_frames(const char *sub, const char *file, int n, int w, int ph,
                             bool colours)
{
    VipsImage *im = th_open(sub, file);
    cr_expect_eq(vips_image_get_n_pages(im), n, "%s: frames", file);
    cr_expect_eq(vips_image_get_width(im), w, "%s: width", file);
    cr_expect_eq(vips_image_get_page_height(im), ph, "%s: page height", file);
    cr_expect_eq(vips_image_get_height(im), n * ph, "%s: height", file);
    for (int i = 0; colours && i < n && i < 3; i++) {
        int rows[3] = { 0, ph / 2, ph - 1 };
        for (int r = 0; r < 3; r++) {
            double px[4];
            th_pixel(im, w / 2, i * ph + rows[r], px);
            cr_expect(px[i] > 200 && px[(i + 1) % 3] < 60 && px[(i + 2) % 3] < 60,
                      "%s frame %d row %d: %g %g %g", file, i, rows[r], px[0], px[1], px[2]);
        }
    }
    g_object_unref(im);
}

Test(thumbnail, animated_gif_keeps_frames)
{
    char *dir = th_sub("anim"), *in = tu_strf("%s/a.gif", dir);
    cr_assert_eq(tu_make_anim(in), 0, "%s", vips_error_buffer());
    /* gif main output: the working image holds every frame */
    th_run_ok("anim", "gif",
              "  - thumbnail: { name: g, width: 40, crop: centre, format: gif }\n"
              "  - thumbnail: { name: att, width: 40, crop: attention, format: gif }\n"
              "  - thumbnail: { name: w, width: 40, format: webp }\n"
              "  - thumbnail: { name: p, width: 40, crop: entropy, format: png }\n",
              "a.gif");
    th_expect_frames("anim", "a-g.gif", 3, 40, 40, true);
    th_expect_frames("anim", "a-att.gif", 3, 40, 40, true);
    th_expect_frames("anim", "a-w.webp", 3, 40, 27, true); /* 80 * 40/120 = 26.7 */
    th_expect_frames("anim", "a-p.png", 1, 40, 40, true);  /* png: the first frame */
    th_expect_frames("anim", "a-main.gif", 3, 120, 80, true);
    free(in);
    free(dir);
}

Test(thumbnail, corpus_animation_keeps_frames)
{
    char *src = tu_strf("%s/../shared/corpus/images/sharp/animated-loop-3.gif", tu_src());
    if (!tu_exists(src)) {
        free(src);
        cr_skip_test("corpus absent");
    }
    char *dir = th_sub("corpus");
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s/loop.gif'", src, dir), 0);
    th_run_ok("corpus", "gif",
              "  - thumbnail: { width: 100, crop: attention, format: gif }\n"
              "  - thumbnail: { name: fit, width: 100, format: webp }\n",
              "loop.gif");
    th_expect_frames("corpus", "loop-thumb.gif", 10, 100, 100, false);
    th_expect_frames("corpus", "loop-fit.webp", 10, 100, 77, false); /* 285 * 100/370 */
    free(dir);
    free(src);
}

/* --- decode once */

Test(thumbnail, resize_and_thumbnail_decode_once)
{
    char *dir = th_sub("once"), *in = tu_strf("%s/big.jpg", dir);
    cr_assert_eq(tu_make_image(in, 4000, 3000), 0);
    char *out = NULL, *err = NULL;
    int rc = th_run("once", "jpeg", "metadata: { backend: sqlite }\n",
                    "  - resize: { width: 1600, height: 1600 }\n"
                    "  - thumbnail: { width: 256, crop: centre }\n"
                    "  - metadata-sink: {}\n",
                    "big.jpg", &out, &err);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    free(out);
    free(err);
    out = NULL;
    rc = tu_runf(&out, NULL, "sqlite3 '%s/out/metadata.db' 'SELECT record FROM images'", dir);
    cr_assert_eq(rc, 0);
    json_error_t jerr;
    json_t *rec = json_loads(out, 0, &jerr);
    cr_assert_not_null(rec, "record is not JSON: %s: %s", jerr.text, out);
    json_t *d = json_object_get(rec, "decode");
    cr_assert(json_is_object(d), "no decode object: %s", out);
    cr_expect_eq(json_integer_value(json_object_get(d, "decodes")), 1, "%s", out);
    cr_expect_eq(json_integer_value(json_object_get(d, "materialised")), 1, "%s", out);
    double scale = json_number_value(json_object_get(d, "scale"));
    cr_expect(scale > 0 && scale < 1, "decoded at scale %g: %s", scale, out);
    json_t *rends = json_object_get(rec, "renditions");
    size_t i;
    json_t *r;
    bool thumb = false;
    json_array_foreach(rends, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "name")), "thumb") == 0) {
            thumb = true;
            cr_expect(json_integer_value(json_object_get(r, "width")) == 256 &&
                          json_integer_value(json_object_get(r, "height")) == 256,
                      "%s", out);
        }
    }
    cr_expect(thumb, "no thumb rendition in %s", out);
    json_decref(rec);
    free(out);
    th_expect_size("once", "big-main.jpg", 1600, 1200);
    th_expect_size("once", "big-thumb.jpg", 256, 256);
    free(in);
    free(dir);
}

/* --- options */

static void th_refused(const char *stage, const char *want)
{
    char *dir = th_sub("opts"), *in = tu_strf("%s/in.png", dir), *out = NULL, *err = NULL;
    cr_assert_eq(tu_make_image(in, 64, 48), 0);
    char *stages = tu_strf("  - thumbnail: %s\n", stage);
    int rc = th_run("opts", "png", "", stages, "in.png", &out, &err);
    cr_expect_neq(rc, 0, "%s was accepted", stage);
    cr_expect(strstr(err, want) != NULL, "%s: stderr lacks '%s': %s", stage, want, err);
    free(stages);
    free(out);
    free(err);
    free(in);
    free(dir);
}

Test(thumbnail, options_checked)
{
    th_refused("{ crop: centre }", "give width, height or both");
    th_refused("{ width: 10, format: webp, effort: 7 }", "effort: 7 is out of range for webp; expected 0..6");
    th_refused("{ width: 10, effort: 3 }", "jpeg takes no effort");
    th_refused("{ width: 10, name: a/b }", "'/'");
    th_refused("{ width: 10, crop: middle }", "centre");
    th_refused("{ width: 10, name: main }", "rendition 'main' is the name of the main output");
}
