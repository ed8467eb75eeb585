/* JPEG XL renditions end to end: the pipeline's output and a thumbnail in
 * jxl decode back (libvips) at the asked size with the source's colours;
 * lossless is exact against the PNG rendition of the same pipeline; quality
 * and effort reach the encoder, an effort out of libvips 8.14's 3..9 is
 * refused by validate; 16-bit and RGBA sources; a JXL source stays JXL with
 * format: source; no camera metadata ends up in a JXL rendition, and
 * keep_metadata: false leaves the ICC profile out too. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *jx_dir;

static void jx_setup(void)
{
    if (VIPS_INIT("test"))
        cr_assert_fail("cannot start libvips");
    vips_cache_set_max(0); /* outputs are rewritten under the same names */
    jx_dir = tu_tmpdir();
    cr_assert_not_null(jx_dir);
}

static void jx_teardown(void)
{
    tu_rmrf(jx_dir);
    free(jx_dir);
}

TestSuite(jxl, .init = jx_setup, .fini = jx_teardown, .timeout = 120);

/* "<tmp>/<rel>".  Caller frees. */
static char *jx_at(const char *rel)
{
    return tu_strf("%s/%s", jx_dir, rel);
}

/* Writes <tmp>/p.yaml and runs it on inputs (names in tmp); returns the exit
 * status, out/err as tu_runf. */
static int jx_run(const char *yaml, const char *inputs, char **out, char **err)
{
    char *path = jx_at("p.yaml");
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(path);
    return tu_runf(out, err, "cd '%s' && '%s' run -q -p p.yaml %s", jx_dir, tu_pixpipe(), inputs);
}

static void jx_run_ok(const char *yaml, const char *inputs)
{
    char *out = NULL, *err = NULL;
    int rc = jx_run(yaml, inputs, &out, &err);
    cr_assert_eq(rc, 0, "pixpipe run %s failed (%d):\n%s\n%s%s", inputs, rc, yaml, out, err);
    free(out);
    free(err);
}

/* Writes im to <tmp>/rel (the suffix picks the saver). */
static void jx_write(VipsImage *im, const char *rel)
{
    char *p = jx_at(rel);
    cr_assert_eq(vips_image_write_to_file(im, p, NULL), 0, "%s: %s", p, vips_error_buffer());
    free(p);
}

/* A w x h image of bands bands, every pixel v (one value per band), of
 * band format fmt. */
static VipsImage *jx_flat(int w, int h, int bands, const double *v, VipsBandFormat fmt)
{
    VipsImage *black = NULL, *lin = NULL, *cast = NULL;
    double one[4] = { 1, 1, 1, 1 };
    cr_assert_eq(vips_black(&black, w, h, "bands", bands, NULL), 0);
    cr_assert_eq(vips_linear(black, &lin, one, (double *)v, bands, NULL), 0);
    cr_assert_eq(vips_cast(lin, &cast, fmt, NULL), 0);
    g_object_unref(black);
    g_object_unref(lin);
    return cast;
}

/* Left half a, right half b, side by side.  Takes both. */
static VipsImage *jx_halves(VipsImage *a, VipsImage *b, VipsInterpretation interp)
{
    VipsImage *j = NULL, *tagged = NULL;
    cr_assert_eq(vips_join(a, b, &j, VIPS_DIRECTION_HORIZONTAL, NULL), 0);
    cr_assert_eq(vips_copy(j, &tagged, "interpretation", interp, NULL), 0);
    g_object_unref(a);
    g_object_unref(b);
    g_object_unref(j);
    return tagged;
}

/* The halves of jx_make_red_blue.  Not the gamut's corners: libjxl 0.7
 * at quality 80 writes a flat (255, 0, 0) back as (255, 0, 23). */
static const double jx_red[3] = { 220, 30, 30 }, jx_blue[3] = { 30, 30, 220 };

/* Writes <tmp>/rel, w x h: red left half, blue right half, 8-bit sRGB. */
static void jx_make_red_blue(const char *rel, int w, int h)
{
    VipsImage *im = jx_halves(jx_flat(w / 2, h, 3, jx_red, VIPS_FORMAT_UCHAR),
                              jx_flat(w / 2, h, 3, jx_blue, VIPS_FORMAT_UCHAR),
                              VIPS_INTERPRETATION_sRGB);
    jx_write(im, rel);
    g_object_unref(im);
}

/* Opens <tmp>/rel, which must be a JPEG XL codestream or container, decoded
 * whole.  Caller unrefs. */
static VipsImage *jx_open_jxl(const char *rel)
{
    char *p = jx_at(rel);
    size_t len = 0;
    unsigned char *b = (unsigned char *)tu_read_file(p, &len);
    cr_assert_not_null(b, "%s was not written", rel);
    /* ISO/IEC 18181-2: a bare codestream (FF 0A) or the box container */
    cr_assert((len > 2 && b[0] == 0xff && b[1] == 0x0a) ||
                  (len > 12 && memcmp(b, "\0\0\0\x0cJXL \r\n\x87\n", 12) == 0),
              "%s is not JPEG XL", rel);
    free(b);
    VipsImage *im = vips_image_new_from_file(p, "access", VIPS_ACCESS_RANDOM, NULL);
    cr_assert_not_null(im, "cannot read %s: %s", rel, vips_error_buffer());
    const char *loader = NULL;
    cr_assert_eq(vips_image_get_string(im, "vips-loader", &loader), 0);
    cr_assert_str_eq(loader, "jxlload", "%s was read by %s", rel, loader);
    double avg = 0;
    cr_assert_eq(vips_avg(im, &avg, NULL), 0, "%s does not decode: %s", rel, vips_error_buffer());
    free(p);
    return im;
}

static void jx_expect_size(VipsImage *im, const char *what, int w, int h)
{
    cr_expect(vips_image_get_width(im) == w && vips_image_get_height(im) == h,
              "%s is %dx%d, expected %dx%d", what, vips_image_get_width(im),
              vips_image_get_height(im), w, h);
}

/* The mean of each band of the w x h region at (x, y), into mean[0..bands). */
static int jx_region_mean(VipsImage *im, int x, int y, int w, int h, double mean[4])
{
    VipsImage *area = NULL, *stats = NULL;
    cr_assert_eq(vips_extract_area(im, &area, x, y, w, h, NULL), 0, "%s", vips_error_buffer());
    cr_assert_eq(vips_stats(area, &stats, NULL), 0, "%s", vips_error_buffer());
    int bands = vips_image_get_bands(im);
    for (int b = 0; b < bands && b < 4; b++)
        mean[b] = *VIPS_MATRIX(stats, 4, b + 1); /* column 4: the mean; row 0: all bands */
    g_object_unref(area);
    g_object_unref(stats);
    return bands;
}

/* Expects the region's mean within tol of want in each of n bands. */
static void jx_expect_colour(VipsImage *im, const char *what, int x, int y, int w, int h,
                             const double *want, int n, double tol)
{
    double m[4] = { 0 };
    int bands = jx_region_mean(im, x, y, w, h, m);
    cr_assert_geq(bands, n, "%s has %d bands", what, bands);
    for (int b = 0; b < n; b++)
        cr_expect(m[b] > want[b] - tol && m[b] < want[b] + tol,
                  "%s: band %d of the region at %d,%d is %.1f on average, expected %.0f +- %.0f",
                  what, b, x, y, m[b], want[b], tol);
}

/* The largest difference between two images' pixels (same size). */
static double jx_max_diff(VipsImage *a, VipsImage *b)
{
    VipsImage *d = NULL, *ab = NULL;
    double max = 0;
    cr_assert(vips_image_get_width(a) == vips_image_get_width(b) &&
                  vips_image_get_height(a) == vips_image_get_height(b) &&
                  vips_image_get_bands(a) == vips_image_get_bands(b),
              "the two renditions differ in shape");
    cr_assert_eq(vips_subtract(a, b, &d, NULL), 0);
    cr_assert_eq(vips_abs(d, &ab, NULL), 0);
    cr_assert_eq(vips_max(ab, &max, NULL), 0);
    g_object_unref(d);
    g_object_unref(ab);
    return max;
}

static size_t jx_file_size(const char *rel)
{
    char *p = jx_at(rel);
    size_t len = 0;
    char *b = tu_read_file(p, &len);
    cr_assert_not_null(b, "%s was not written", rel);
    free(b);
    free(p);
    return len;
}

/* The main output and a thumbnail in jxl: .jxl files that decode to the
 * asked sizes with the red and blue halves where they were. */
Test(jxl, output_and_thumbnail_decode_with_the_source_colours)
{
    jx_make_red_blue("rb.png", 800, 400);
    jx_run_ok("output: { rendition: main, format: jxl, quality: 80 }\n"
              "stages:\n"
              "  - thumbnail: { name: t, width: 100, format: jxl }\n"
              "  - resize: { width: 400 }\n",
              "rb.png");
    VipsImage *main = jx_open_jxl("out/rb-main.jxl");
    jx_expect_size(main, "rb-main.jxl", 400, 200);
    jx_expect_colour(main, "rb-main.jxl", 20, 20, 150, 160, jx_red, 3, 6);
    jx_expect_colour(main, "rb-main.jxl", 230, 20, 150, 160, jx_blue, 3, 6);
    cr_expect_eq(vips_image_get_bands(main), 3);
    g_object_unref(main);

    VipsImage *t = jx_open_jxl("out/rb-t.jxl");
    jx_expect_size(t, "rb-t.jxl", 100, 50);
    jx_expect_colour(t, "rb-t.jxl", 5, 5, 35, 40, jx_red, 3, 8);
    jx_expect_colour(t, "rb-t.jxl", 60, 5, 35, 40, jx_blue, 3, 8);
    g_object_unref(t);
}

/* Lossless: the decoded JXL is the rendition itself, equal to the last bit
 * to the PNG the same pipeline writes. */
Test(jxl, lossless_decodes_to_the_png_rendition_exactly)
{
    char *photo = jx_at("photo.png");
    cr_assert_eq(tu_make_image(photo, 640, 480), 0);
    free(photo);
    static const char stages[] = "stages: [ resize: { width: 301 } ]\n";
    char *png = tu_strf("output: { rendition: p, format: png }\n%s", stages);
    char *jxl = tu_strf("output: { rendition: l, format: jxl, lossless: true }\n%s", stages);
    char *lossy = tu_strf("output: { rendition: q, format: jxl, quality: 90 }\n%s", stages);
    jx_run_ok(png, "photo.png");
    jx_run_ok(jxl, "photo.png");
    jx_run_ok(lossy, "photo.png");
    char *p = jx_at("out/photo-p.png");
    VipsImage *ref = vips_image_new_from_file(p, "access", VIPS_ACCESS_RANDOM, NULL);
    cr_assert_not_null(ref, "%s", vips_error_buffer());
    VipsImage *l = jx_open_jxl("out/photo-l.jxl"), *q = jx_open_jxl("out/photo-q.jxl");
    jx_expect_size(l, "photo-l.jxl", 301, 226);
    cr_expect_eq(vips_image_get_format(l), VIPS_FORMAT_UCHAR);
    double d = jx_max_diff(ref, l);
    cr_expect_eq(d, 0, "lossless JXL differs from the PNG rendition by up to %g", d);
    /* and the check can tell: the lossy encode is not exact */
    cr_expect_gt(jx_max_diff(ref, q), 0, "the quality 90 JXL is exact too");
    g_object_unref(ref);
    g_object_unref(l);
    g_object_unref(q);
    free(p);
    free(png);
    free(jxl);
    free(lossy);
}

/* quality and effort reach the encoder: the file grows with quality
 * (quality 1 included, which libjxl would otherwise silently turn into its
 * own default), effort 3 and 9 give different files. */
Test(jxl, quality_and_effort_reach_the_encoder)
{
    char *photo = jx_at("photo.png");
    cr_assert_eq(tu_make_image(photo, 400, 300), 0);
    free(photo);
    static const int qs[] = { 1, 10, 80, 95 };
    size_t bytes[4];
    for (int i = 0; i < 4; i++) {
        char *y = tu_strf("output: { rendition: q%d, format: jxl, quality: %d }\n", qs[i], qs[i]);
        jx_run_ok(y, "photo.png");
        char *rel = tu_strf("out/photo-q%d.jxl", qs[i]);
        g_object_unref(jx_open_jxl(rel));
        bytes[i] = jx_file_size(rel);
        free(rel);
        free(y);
    }
    for (int i = 1; i < 4; i++)
        cr_expect_lt(bytes[i - 1], bytes[i], "quality %d gave %zu bytes, quality %d %zu",
                     qs[i - 1], bytes[i - 1], qs[i], bytes[i]);

    size_t e[2];
    for (int i = 0; i < 2; i++) {
        int effort = i ? 9 : 3;
        char *y = tu_strf("output: { rendition: e%d, format: jxl, effort: %d }\n", effort, effort);
        jx_run_ok(y, "photo.png");
        char *rel = tu_strf("out/photo-e%d.jxl", effort);
        VipsImage *im = jx_open_jxl(rel);
        jx_expect_size(im, rel, 400, 300);
        g_object_unref(im);
        e[i] = jx_file_size(rel);
        free(rel);
        free(y);
    }
    char *a = jx_at("out/photo-e3.jxl"), *b = jx_at("out/photo-e9.jxl");
    char *da = tu_read_file(a, NULL), *db = tu_read_file(b, NULL);
    cr_expect(e[0] != e[1] || memcmp(da, db, e[0]) != 0,
              "effort 3 and effort 9 gave the same %zu bytes", e[0]);
    free(da);
    free(db);
    free(a);
    free(b);
}

/* validate refuses an effort libvips 8.14's JPEG XL saver would drop,
 * naming the option, the format and the range, for the output and for a
 * thumbnail alike. */
Test(jxl, validate_refuses_an_effort_out_of_range)
{
    static const struct { const char *yaml, *want; } cases[] = {
        { "output: { format: jxl, effort: 2 }\n",
          "p.yaml:1:9: output: effort: 2 is out of range for jxl; expected 3..9" },
        { "output: { format: jxl, effort: 0 }\n",
          "output: effort: 0 is out of range for jxl; expected 3..9" },
        { "output: { format: jxl, effort: 10 }\n",
          "output: effort: '10' is out of range; expected an int from -1 to 9" },
        { "stages: [ thumbnail: { width: 64, format: jxl, effort: 1 } ]\n",
          "stages[0] thumbnail: effort: 1 is out of range for jxl; expected 3..9" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = jx_at("p.yaml");
        cr_assert_eq(tu_write_file(p, cases[i].yaml, strlen(cases[i].yaml)), 0);
        free(p);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd '%s' && '%s' validate -p p.yaml", jx_dir, tu_pixpipe());
        cr_expect_eq(rc, 2, "%s: exit %d\n%s%s", cases[i].yaml, rc, out, err);
        cr_expect(strstr(err, cases[i].want), "%s: want '%s', got: %s", cases[i].yaml,
                  cases[i].want, err);
        free(out);
        free(err);
    }
    static const char ok[] = "output: { format: jxl, effort: 3, lossless: true }\n"
                             "stages: [ thumbnail: { width: 64, format: jxl, effort: 9 } ]\n";
    char *p = jx_at("p.yaml");
    cr_assert_eq(tu_write_file(p, ok, strlen(ok)), 0);
    free(p);
    char *err = NULL;
    int rc = tu_runf(NULL, &err, "cd '%s' && '%s' validate -p p.yaml", jx_dir, tu_pixpipe());
    cr_expect_eq(rc, 0, "efforts 3 and 9 refused: %s", err);
    free(err);
}

/* A 16-bit PNG comes out at the right levels (brought to 8 bits by the
 * decode, as in every format, not clipped); RGBA keeps its alpha. */
Test(jxl, sixteen_bit_and_rgba_sources)
{
    static const double hi[3] = { 40000, 40000, 40000 }, lo[3] = { 10000, 20000, 30000 };
    VipsImage *deep = jx_halves(jx_flat(150, 100, 3, hi, VIPS_FORMAT_USHORT),
                                jx_flat(150, 100, 3, lo, VIPS_FORMAT_USHORT),
                                VIPS_INTERPRETATION_RGB16);
    jx_write(deep, "deep.png");
    g_object_unref(deep);
    static const double red_half[4] = { 255, 0, 0, 128 }, blue_opaque[4] = { 0, 0, 255, 255 };
    VipsImage *rgba = jx_halves(jx_flat(150, 100, 4, red_half, VIPS_FORMAT_UCHAR),
                                jx_flat(150, 100, 4, blue_opaque, VIPS_FORMAT_UCHAR),
                                VIPS_INTERPRETATION_sRGB);
    jx_write(rgba, "rgba.png");
    g_object_unref(rgba);
    char *p = jx_at("deep.png");
    VipsImage *src = vips_image_new_from_file(p, NULL);
    cr_assert(src && vips_image_get_format(src) == VIPS_FORMAT_USHORT, "deep.png is not 16-bit");
    g_object_unref(src);
    free(p);

    jx_run_ok("output: { rendition: r, format: jxl, quality: 90 }\n", "deep.png rgba.png");
    VipsImage *d = jx_open_jxl("out/deep-r.jxl");
    jx_expect_size(d, "deep-r.jxl", 300, 100);
    /* 16-bit v is 8-bit v / 257 */
    static const double hi8[3] = { 155.6, 155.6, 155.6 }, lo8[3] = { 38.9, 77.8, 116.7 };
    VipsImage *d8 = d;
    if (vips_image_get_format(d) == VIPS_FORMAT_USHORT)
        cr_assert_eq(vips_linear1(d, &d8, 1.0 / 257, 0, NULL), 0);
    else
        g_object_ref(d8);
    jx_expect_colour(d8, "deep-r.jxl", 10, 10, 120, 80, hi8, 3, 3);
    jx_expect_colour(d8, "deep-r.jxl", 170, 10, 120, 80, lo8, 3, 3);
    g_object_unref(d8);
    g_object_unref(d);

    VipsImage *a = jx_open_jxl("out/rgba-r.jxl");
    jx_expect_size(a, "rgba-r.jxl", 300, 100);
    cr_expect_eq(vips_image_get_bands(a), 4, "rgba-r.jxl lost its alpha");
    cr_expect(vips_image_hasalpha(a));
    jx_expect_colour(a, "rgba-r.jxl", 10, 10, 120, 80, red_half, 4, 4);
    jx_expect_colour(a, "rgba-r.jxl", 170, 10, 120, 80, blue_opaque, 4, 4);
    g_object_unref(a);
}

/* format: source (the default) keeps a JPEG XL source in JPEG XL. */
Test(jxl, a_jxl_source_stays_jxl)
{
    jx_make_red_blue("rb.png", 200, 100);
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s' && vips copy rb.png rb.jxl", jx_dir), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && printf 'stages: [ resize: { width: 100 } ]\\n' "
                     "> s.yaml && '%s' run -p s.yaml rb.jxl", jx_dir, tu_pixpipe());
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_expect(strstr(out, "ok       rb.jxl (jxl 200x100"), "%s", out);
    cr_expect(strstr(out, "main: ./out/rb-main.jxl 100x50"), "%s", out);
    VipsImage *im = jx_open_jxl("out/rb-main.jxl");
    jx_expect_colour(im, "rb-main.jxl", 5, 5, 35, 40, jx_red, 3, 8);
    g_object_unref(im);
    free(out);
    free(err);
}

/* What a JXL rendition carries: libvips 8.14 writes a bare codestream,
 * which has no room for EXIF or XMP, so a camera's make, model, date and
 * position never reach it (exif-strip or not, kept fields included); the
 * ICC profile is embedded unless keep_metadata is false. */
Test(jxl, no_camera_metadata_and_the_profile_only_when_kept)
{
    char *cam = jx_at("cam.jpg");
    cr_assert_eq(tu_make_scene(cam, 400, 300, 1, 1), 0);
    char *tags = NULL;
    cr_assert_eq(tu_runf(&tags, NULL, "exiftool -G1 -a -s '%s'", cam), 0);
    cr_assert(strstr(tags, "GPSLatitude") && strstr(tags, "Pixpipe Optics"),
              "the fixture lacks its camera EXIF:\n%s", tags);
    free(tags);
    free(cam);
    static const char *const yaml[] = {
        "output: { rendition: a, format: jxl }\n",
        "output: { rendition: b, format: jxl }\n"
        "stages: [ exif-strip: { profile: keep, keep: [copyright] } ]\n",
    };
    for (int i = 0; i < 2; i++) {
        jx_run_ok(yaml[i], "cam.jpg");
        char *rel = tu_strf("out/cam-%c.jxl", 'a' + i), *p = jx_at(rel);
        g_object_unref(jx_open_jxl(rel));
        size_t len = 0;
        char *b = tu_read_file(p, &len);
        cr_expect((unsigned char)b[0] == 0xff && (unsigned char)b[1] == 0x0a,
                  "%s is a container, which could hold EXIF or XMP boxes", rel);
        cr_expect(!memmem(b, len, "Pixpipe Optics", 14) && !memmem(b, len, "Demo Camera", 11) &&
                      !memmem(b, len, "Exif", 4) && !memmem(b, len, "<x:xmpmeta", 10),
                  "%s carries the camera's metadata", rel);
        free(b);
        char *t = NULL;
        cr_assert_eq(tu_runf(&t, NULL, "exiftool -G1 -a -s '%s'", p), 0);
        cr_expect(!strstr(t, "GPS") && !strstr(t, "Make") && !strstr(t, "Model") &&
                      !strstr(t, "[IFD0]") && !strstr(t, "[XMP"),
                  "%s:\n%s", rel, t);
        free(t);
        free(p);
        free(rel);
    }

    /* the same pixels with and without a profile; the JXL decoder always
     * gives one, its own description of sRGB for an untagged encode */
    jx_make_red_blue("plain.png", 200, 100);
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s' && vips icc_transform plain.png tagged.png srgb "
                         "--input-profile srgb", jx_dir), 0);
    jx_run_ok("output: { rendition: k, format: jxl }\n", "plain.png tagged.png");
    jx_run_ok("output: { rendition: s, format: jxl, keep_metadata: false }\n", "tagged.png");
    const void *icc[3] = { 0 };
    size_t icc_len[3] = { 0 };
    VipsImage *im[3] = { jx_open_jxl("out/plain-k.jxl"), jx_open_jxl("out/tagged-k.jxl"),
                         jx_open_jxl("out/tagged-s.jxl") };
    for (int i = 0; i < 3; i++)
        cr_assert_eq(vips_image_get_blob(im[i], VIPS_META_ICC_NAME, &icc[i], &icc_len[i]), 0);
    cr_expect(icc_len[1] != icc_len[0] || memcmp(icc[1], icc[0], icc_len[0]) != 0,
              "the kept profile did not reach the JXL");
    cr_expect(icc_len[2] == icc_len[0] && memcmp(icc[2], icc[0], icc_len[0]) == 0,
              "keep_metadata: false still wrote the source's profile");
    for (int i = 0; i < 3; i++)
        g_object_unref(im[i]);
}
