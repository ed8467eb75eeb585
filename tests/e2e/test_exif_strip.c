/* The exif-strip stage end to end through the pixpipe binary: every EXIF
 * orientation comes out upright (checked on pixels), no rendition format
 * carries GPS, camera identity, dates, XMP, IPTC, maker notes or the EXIF
 * thumbnail (checked with exiftool), the colour is never silently shifted
 * (profile keep / srgb, CMYK), the keep list keeps exactly what it names,
 * and bad keep names are refused.  Corpus files are used when
 * ../shared/corpus is present; fixtures made here cover the rest. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

/* What libvips 8.14's JPEG/WebP/AVIF savers write of their own even when
 * the image has no EXIF left (IFD0 and ExifIFD tags, exiftool names): the
 * only EXIF tolerated after the strip, besides what `keep` names. */
static const char *const exs_technical[] = {
    "Orientation", "XResolution", "YResolution", "ResolutionUnit", "YCbCrPositioning",
    "ExifVersion", "ComponentsConfiguration", "FlashpixVersion", "ColorSpace",
    "ExifImageWidth", "ExifImageHeight", NULL,
};

static void exs_setup(void)
{
    if (VIPS_INIT("test"))
        cr_assert_fail("cannot start libvips");
    /* outputs are rewritten under the same names: never read from a cache */
    vips_cache_set_max(0);
}

TestSuite(exif_strip, .init = exs_setup, .timeout = 300);

/* "<src>/../shared/corpus/images/<rel>", or NULL when absent.  Caller frees. */
static char *exs_corpus(const char *rel)
{
    char *p = tu_strf("%s/../shared/corpus/images/%s", tu_src(), rel);
    if (tu_exists(p))
        return p;
    free(p);
    return NULL;
}

/* Writes dir/pipe.yaml (output format fmt, the given stages) and runs it on
 * inputs from dir.  Returns the exit status; out/err as tu_runf. */
static int exs_run(const char *dir, const char *fmt, const char *stages, const char *inputs,
                   char **out, char **err)
{
    char *yaml = tu_strf("name: exif-strip-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                         "output: { rendition: main, format: %s }\n"
                         "stages:\n%s",
                         fmt, stages);
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    int rc = tu_runf(out, err, "cd '%s' && '%s' run -p pipe.yaml %s", dir, tu_pixpipe(), inputs);
    free(yaml);
    free(path);
    return rc;
}

/* The same, asserting every input was processed. */
static void exs_run_ok(const char *dir, const char *fmt, const char *stages, const char *inputs)
{
    char *out = NULL, *err = NULL;
    int rc = exs_run(dir, fmt, stages, inputs, &out, &err);
    cr_assert_eq(rc, 0, "pixpipe failed (%d) on %s:\n%s%s", rc, inputs, out, err);
    cr_assert(strstr(out, " 0 failed, 0 skipped"), "%s", out);
    free(out);
    free(err);
}

/* exiftool's view of a file, one "[Group] Tag : value" per line.  Caller frees. */
static char *exs_tags(const char *path)
{
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "exiftool -G1 -a -s -q '%s'", path);
    cr_assert_eq(rc, 0, "exiftool failed on %s", path);
    return out;
}

/* The value exiftool gives for [group] tag, or NULL.  Caller frees. */
static char *exs_value(const char *tags, const char *group, const char *tag)
{
    char *want = tu_strf("[%s]", group);
    char *val = NULL;
    for (const char *l = tags; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char g[64], t[128];
        int n = 0;
        if (sscanf(l, "%63s %127s :%n", g, t, &n) == 2 && n > 0 && strcmp(g, want) == 0 &&
            strcmp(t, tag) == 0) {
            const char *v = l + n, *e = strchr(v, '\n');
            while (*v == ' ')
                v++;
            val = strndup(v, e ? (size_t)(e - v) : strlen(v));
            break;
        }
    }
    free(want);
    return val;
}

static bool exs_listed(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* Fails unless path has nothing but the technical EXIF tags plus kept ones:
 * no GPS, camera, dates, XMP, IPTC, maker notes, thumbnail. */
static void exs_assert_clean(const char *path, const char *const *kept)
{
    char *tags = exs_tags(path);
    for (const char *l = tags; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char g[64] = "", t[128] = "";
        if (sscanf(l, "[%63[^]]] %127s", g, t) != 2 || !strcmp(g, "System") ||
            !strcmp(g, "File") || !strcmp(g, "ExifTool") || !strcmp(g, "Composite") || !strncmp(g, "ICC", 3))
            continue; /* file system dates, exiftool's own view, the profile's header */
        cr_expect(strncmp(g, "GPS", 3) && strncmp(g, "XMP", 3) && strcmp(g, "IPTC") &&
                      strcmp(g, "Photoshop") && strncmp(g, "MakerNotes", 10) &&
                      strcmp(g, "IFD1") && strcmp(g, "Canon") && strcmp(g, "Nikon") &&
                      strcmp(g, "Apple"),
                  "%s still has [%s] %s", path, g, t);
        cr_expect(!strstr(t, "Thumbnail") && !strstr(t, "Serial") && !strstr(t, "Lens") &&
                      !strstr(t, "Date") && !strstr(t, "GPS") && strcmp(t, "Make") &&
                      strcmp(t, "Model"),
                  "%s still has [%s] %s", path, g, t);
        bool exif = !strcmp(g, "IFD0") || !strcmp(g, "ExifIFD") || !strcmp(g, "InteropIFD") ||
                    !strncmp(g, "SubIFD", 6);
        if (exif)
            cr_expect(exs_listed(exs_technical, t) || exs_listed(kept, t),
                      "%s keeps EXIF [%s] %s", path, g, t);
    }
    free(tags);
}

/* Mean absolute difference of the first three bands of a and b (b resized
 * to a's size first), 0..255. */
static double exs_mad_images(VipsImage *a, VipsImage *b)
{
    VipsImage *rs = NULL, *a3 = NULL, *b3 = NULL, *d = NULL, *ab = NULL;
    double mean = 0;
    double hs = (double)vips_image_get_width(a) / vips_image_get_width(b);
    double vs = (double)vips_image_get_height(a) / vips_image_get_height(b);
    cr_assert_eq(vips_resize(b, &rs, hs, "vscale", vs, NULL), 0, "%s", vips_error_buffer());
    cr_assert_eq(vips_extract_band(a, &a3, 0, "n", 3, NULL), 0, "%s", vips_error_buffer());
    cr_assert_eq(vips_extract_band(rs, &b3, 0, "n", 3, NULL), 0, "%s", vips_error_buffer());
    cr_assert_eq(vips_subtract(a3, b3, &d, NULL), 0, "%s", vips_error_buffer());
    cr_assert_eq(vips_abs(d, &ab, NULL), 0);
    cr_assert_eq(vips_avg(ab, &mean, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(rs);
    g_object_unref(a3);
    g_object_unref(b3);
    g_object_unref(d);
    g_object_unref(ab);
    return mean;
}

static VipsImage *exs_load(const char *path)
{
    VipsImage *im = vips_image_new_from_file(path, "access", VIPS_ACCESS_RANDOM, NULL);
    cr_assert_not_null(im, "cannot read %s: %s", path, vips_error_buffer());
    return im;
}

static double exs_mad_files(const char *a, const char *b)
{
    VipsImage *ia = exs_load(a), *ib = exs_load(b);
    double m = exs_mad_images(ia, ib);
    g_object_unref(ia);
    g_object_unref(ib);
    return m;
}

/* ------------------------------------------------------------ orientation */

/* The displayed w x h pattern: red grows left to right, green top to bottom,
 * so any flip or quarter turn changes it everywhere. */
#define EXS_W 120
#define EXS_H 80

/* The stored pixels that EXIF orientation o shows as the pattern.  For each
 * stored (sx, sy) of a Ws x Hs image, (dx, dy) is where it is displayed
 * (EXIF 2.3, tag 0x0112): dx = cx[0]*sx + cx[1]*sy + cx[2], same for dy. */
static VipsImage *exs_oriented_pattern(int o)
{
    bool swap = o >= 5;
    int ws = swap ? EXS_H : EXS_W, hs = swap ? EXS_W : EXS_H;
    double W = ws - 1, H = hs - 1;
    static const double unit[3] = { 0 };
    double cx[3], cy[3];
    memcpy(cx, unit, sizeof cx);
    memcpy(cy, unit, sizeof cy);
    switch (o) {
    case 1: cx[0] = 1; cy[1] = 1; break;
    case 2: cx[0] = -1; cx[2] = W; cy[1] = 1; break;
    case 3: cx[0] = -1; cx[2] = W; cy[1] = -1; cy[2] = H; break;
    case 4: cx[0] = 1; cy[1] = -1; cy[2] = H; break;
    case 5: cx[1] = 1; cy[0] = 1; break;
    case 6: cx[1] = -1; cx[2] = H; cy[0] = 1; break;
    case 7: cx[1] = -1; cx[2] = H; cy[0] = -1; cy[2] = W; break;
    default: cx[1] = 1; cy[0] = -1; cy[2] = W; break; /* 8 */
    }
    VipsImage *xy = NULL, *d = NULL, *rg = NULL, *rgb = NULL, *u = NULL, *out = NULL;
    double m[4] = { cx[0], cx[1], cy[0], cy[1] };
    VipsImage *mat = vips_image_new_matrix_from_array(2, 2, m, 4);
    cr_assert_eq(vips_xyz(&xy, ws, hs, NULL), 0);
    cr_assert_eq(vips_recomb(xy, &d, mat, NULL), 0, "%s", vips_error_buffer());
    /* displayed coordinates to 0..255 ramps */
    double a[2] = { 255.0 / (EXS_W - 1), 255.0 / (EXS_H - 1) };
    double b[2] = { cx[2] * a[0], cy[2] * a[1] };
    cr_assert_eq(vips_linear(d, &rg, a, b, 2, NULL), 0);
    cr_assert_eq(vips_bandjoin_const1(rg, &rgb, 128, NULL), 0);
    cr_assert_eq(vips_cast_uchar(rgb, &u, NULL), 0);
    cr_assert_eq(vips_copy(u, &out, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    vips_image_set_int(out, VIPS_META_ORIENTATION, o);
    g_object_unref(mat);
    g_object_unref(xy);
    g_object_unref(d);
    g_object_unref(rg);
    g_object_unref(rgb);
    g_object_unref(u);
    return out;
}

Test(exif_strip, made_orientations_come_out_upright_on_pixels)
{
    char *dir = tu_tmpdir();
    VipsImage *want = exs_oriented_pattern(1);
    for (int o = 1; o <= 8; o++) {
        VipsImage *im = exs_oriented_pattern(o);
        char *p = tu_strf("%s/o%d.jpg", dir, o);
        cr_assert_eq(vips_jpegsave(im, p, "Q", 95, NULL), 0, "%s", vips_error_buffer());
        g_object_unref(im);
        char *tags = exs_tags(p), *v = exs_value(tags, "IFD0", "Orientation");
        cr_assert(o == 1 || v, "fixture o%d.jpg lacks its Orientation tag", o);
        free(v);
        free(tags);
        free(p);
    }
    exs_run_ok(dir, "png", "  - exif-strip: {}\n",
               "o1.jpg o2.jpg o3.jpg o4.jpg o5.jpg o6.jpg o7.jpg o8.jpg");
    for (int o = 1; o <= 8; o++) {
        char *res = tu_strf("%s/out/o%d-main.png", dir, o);
        int w = 0, h = 0;
        cr_assert_eq(tu_image_size(res, &w, &h, NULL), 0, "no %s", res);
        cr_expect(w == EXS_W && h == EXS_H, "orientation %d gave %dx%d", o, w, h);
        VipsImage *got = exs_load(res);
        double mad = exs_mad_images(want, got);
        /* JPEG at Q95 of smooth ramps: ~1; a wrong turn or flip: ~60+. */
        cr_expect(mad < 4.0, "orientation %d: mean abs diff %.2f from upright", o, mad);
        g_object_unref(got);
        char *tags = exs_tags(res);
        cr_expect(!strstr(tags, "Orientation") || strstr(tags, "Horizontal (normal)"),
                  "orientation %d output still tagged sideways:\n%s", o, tags);
        free(tags);
        free(res);
    }
    g_object_unref(want);
    tu_rmrf(dir);
    free(dir);
}

Test(exif_strip, corpus_orientations_come_out_upright)
{
    char *first = exs_corpus("sharp/Landscape_1.jpg");
    if (!first)
        cr_skip_test("no ../shared/corpus beside the source tree");
    free(first);
    char *dir = tu_tmpdir();
    tu_runf(NULL, NULL, "cp '%s/../shared/corpus/images/sharp/'Landscape_[1-8].jpg "
            "'%s/../shared/corpus/images/sharp/'Portrait_[1-8].jpg '%s'", tu_src(), tu_src(), dir);
    /* _1 is untagged, _2.._8 carry "Generic RGB": compare them in sRGB */
    exs_run_ok(dir, "png", "  - exif-strip: { profile: srgb }\n", "Landscape_*.jpg Portrait_*.jpg");
    static const char *const kinds[2] = { "Landscape", "Portrait" };
    for (int k = 0; k < 2; k++) {
        char *ref = tu_strf("%s/out/%s_1-main.png", dir, kinds[k]);
        for (int o = 1; o <= 8; o++) {
            char *res = tu_strf("%s/out/%s_%d-main.png", dir, kinds[k], o);
            int w = 0, h = 0;
            cr_assert_eq(tu_image_size(res, &w, &h, NULL), 0, "no %s", res);
            cr_expect(k == 0 ? (w == 600 && h == 450) : (w == 450 && h == 600),
                      "%s_%d is %dx%d", kinds[k], o, w, h);
            double mad = exs_mad_files(ref, res);
            /* Same photo, separately encoded: 4.5 measured; flipped or
             * turned: 50 and more. */
            cr_expect(mad < 10.0, "%s_%d differs from _1 by %.2f on average", kinds[k], o, mad);
            free(res);
        }
        free(ref);
    }
    tu_rmrf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- strip */

/* A JPEG carrying camera, date, GPS, owner and description in EXIF, set
 * through libvips' exif-ifd fields. */
static void exs_make_tagged_jpeg(const char *path)
{
    VipsImage *im = NULL, *c = NULL;
    cr_assert_eq(vips_black(&im, 64, 48, "bands", 3, NULL), 0);
    cr_assert_eq(vips_copy(im, &c, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    vips_image_set_string(c, "exif-ifd0-Make", "Nikon");
    vips_image_set_string(c, "exif-ifd0-Model", "D90");
    vips_image_set_string(c, "exif-ifd0-Copyright", "Jane Doe, Studio 9");
    vips_image_set_string(c, "exif-ifd0-Artist", "Jane");
    vips_image_set_string(c, "exif-ifd0-ImageDescription", "at home");
    vips_image_set_string(c, "exif-ifd2-DateTimeOriginal", "2020:01:01 10:00:00");
    vips_image_set_string(c, "exif-ifd2-BodySerialNumber", "12345");
    vips_image_set_string(c, "exif-ifd3-GPSLatitudeRef", "N");
    vips_image_set_string(c, "exif-ifd3-GPSLatitude", "48/1 51/1 2950/100");
    vips_image_set_string(c, "exif-ifd3-GPSLongitudeRef", "E");
    vips_image_set_string(c, "exif-ifd3-GPSLongitude", "2/1 17/1 4000/100");
    cr_assert_eq(vips_jpegsave(c, path, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(im);
    g_object_unref(c);
    char *tags = exs_tags(path);
    cr_assert(strstr(tags, "GPSLatitude") && strstr(tags, "Nikon") && strstr(tags, "Jane Doe"),
              "fixture lacks its EXIF:\n%s", tags);
    free(tags);
}

Test(exif_strip, no_rendition_format_keeps_private_metadata)
{
    static const char *const corpus[] = {
        "sharp/Landscape_9.jpg", "exif-samples/jpg/gps/DSCN0010.jpg",
        "exif-samples/jpg/Canon_40D.jpg", "exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg",
        "exif-samples/jpg/mobile/jolla.jpg", "libvips/avif-orientation-6.avif",
        "sharp/with-alpha.png", "sharp/Channel_digital_image_CMYK_color.jpg", NULL,
    };
    static const char *const formats[] = { "jpeg", "png", "webp", "avif", "jxl", NULL };
    static const char *const exts[] = { "jpg", "png", "webp", "avif", "jxl", NULL };
    char *dir = tu_tmpdir();
    char *fix = tu_strf("%s/tagged.jpg", dir);
    exs_make_tagged_jpeg(fix);
    free(fix);
    char inputs[4096] = "tagged.jpg";
    for (int i = 0; corpus[i]; i++) {
        char *p = exs_corpus(corpus[i]);
        if (!p)
            continue;
        cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s'", p, dir), 0);
        strcat(inputs, " ");
        strcat(inputs, strrchr(p, '/') + 1);
        free(p);
    }
    for (int f = 0; formats[f]; f++) {
        /* resize after the strip keeps the AVIF encodes of phone photos short */
        exs_run_ok(dir, formats[f], "  - exif-strip: {}\n  - resize: { width: 480, height: 480 }\n",
                   inputs);
        char *list = NULL;
        tu_runf(&list, NULL, "ls '%s/out'", dir);
        for (char *name = strtok(list, "\n"); name; name = strtok(NULL, "\n")) {
            if (!strstr(name, exts[f]))
                continue;
            char *res = tu_strf("%s/out/%s", dir, name);
            exs_assert_clean(res, NULL);
            free(res);
        }
        free(list);
        tu_runf(NULL, NULL, "rm -rf '%s/out'", dir);
    }
    tu_rmrf(dir);
    free(dir);
}

Test(exif_strip, keep_list_keeps_exactly_those)
{
    char *dir = tu_tmpdir();
    char *fix = tu_strf("%s/tagged.jpg", dir);
    exs_make_tagged_jpeg(fix);
    static const char *const kept[] = { "Copyright", "Artist", NULL };
    static const char *const fmts[] = { "jpeg", "png", "webp", NULL };
    static const char *const exts[] = { "jpg", "png", "webp", NULL };
    for (int f = 0; fmts[f]; f++) {
        exs_run_ok(dir, fmts[f], "  - exif-strip: { keep: [copyright, artist] }\n", "tagged.jpg");
        char *res = tu_strf("%s/out/tagged-main.%s", dir, exts[f]);
        exs_assert_clean(res, kept);
        char *tags = exs_tags(res);
        char *c = exs_value(tags, "IFD0", "Copyright"), *a = exs_value(tags, "IFD0", "Artist");
        cr_expect(c && strcmp(c, "Jane Doe, Studio 9") == 0, "%s: Copyright %s", fmts[f], c);
        cr_expect(a && strcmp(a, "Jane") == 0, "%s: Artist %s", fmts[f], a);
        cr_expect(!strstr(tags, "ImageDescription"), "%s: description not asked for", fmts[f]);
        free(c);
        free(a);
        free(tags);
        free(res);
    }
    /* without keep they go too */
    exs_run_ok(dir, "jpeg", "  - exif-strip: {}\n", "tagged.jpg");
    char *res = tu_strf("%s/out/tagged-main.jpg", dir), *tags = exs_tags(res);
    cr_expect(!strstr(tags, "Copyright") && !strstr(tags, "Artist"), "%s", tags);
    exs_assert_clean(res, NULL);
    free(tags);
    free(res);
    free(fix);
    tu_rmrf(dir);
    free(dir);
}

/* `pixpipe validate` on a pipeline with one exif-strip stage: exit status,
 * stderr in *err (caller frees). */
static int exs_validate(const char *dir, const char *stage, char **err)
{
    char *yaml = tu_strf("name: exif-strip-test\nstages:\n  - exif-strip: %s\n", stage);
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    int rc = tu_runf(NULL, err, "cd '%s' && '%s' validate -p pipe.yaml", dir, tu_pixpipe());
    free(yaml);
    free(path);
    return rc;
}

Test(exif_strip, keep_refuses_unknown_and_gps)
{
    char *dir = tu_tmpdir(), *err = NULL;
    int rc = exs_validate(dir, "{ keep: [copyright, GPSLatitude] }", &err);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "'GPSLatitude' cannot be kept: location data is always removed"),
              "%s", err);
    free(err);
    rc = exs_validate(dir, "{ keep: [make] }", &err);
    cr_expect_eq(rc, 2, "exit %d: %s", rc, err);
    cr_expect(strstr(err, "unknown field 'make'; expected icc, copyright, artist or description"),
              "%s", err);
    free(err);
    rc = exs_validate(dir, "{ keep: [icc, copyright, artist, description], profile: srgb }", &err);
    cr_expect_eq(rc, 0, "every documented name is accepted: %s", err);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

/* ---------------------------------------------------------------- colour */

Test(exif_strip, profile_keep_leaves_adobe_rgb_and_pixels)
{
    char *src = exs_corpus("libvips/sample.jpg");
    if (!src)
        cr_skip_test("no ../shared/corpus beside the source tree");
    char *dir = tu_tmpdir();
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s'", src, dir), 0);
    exs_run_ok(dir, "png", "  - exif-strip: { profile: keep }\n", "sample.jpg");
    char *res = tu_strf("%s/out/sample-main.png", dir), *tags = exs_tags(res);
    char *desc = exs_value(tags, "ICC_Profile", "ProfileDescription");
    cr_expect(desc && strstr(desc, "A98"), "Adobe RGB profile gone: %s", desc);
    /* untouched: the source's own decoded values, no conversion */
    double mad = exs_mad_files(src, res);
    cr_expect(mad < 0.5, "pixels changed by %.3f on average", mad);
    exs_assert_clean(res, NULL);
    free(desc);
    free(tags);
    free(res);
    free(src);
    tu_rmrf(dir);
    free(dir);
}

/* An Adobe RGB (1998) profile: the system's ghostscript copy, else the one
 * embedded in the corpus' sample.jpg.  NULL when neither is there. */
static VipsBlob *exs_adobe_profile(void)
{
    VipsBlob *blob = NULL;
    if (tu_exists("/usr/share/color/icc/ghostscript/a98.icc") &&
        !vips_profile_load("/usr/share/color/icc/ghostscript/a98.icc", &blob, NULL))
        return blob;
    vips_error_clear();
    char *p = exs_corpus("libvips/sample.jpg");
    if (!p)
        return NULL;
    VipsImage *im = exs_load(p);
    const void *data = NULL;
    size_t len = 0;
    if (!vips_image_get_blob(im, VIPS_META_ICC_NAME, &data, &len))
        blob = vips_blob_copy(data, len);
    g_object_unref(im);
    free(p);
    return blob;
}

/* A flat 32x32 PNG of Adobe RGB (200, 100, 50), tagged with the profile. */
static void exs_make_adobe_png(const char *path, VipsBlob *profile)
{
    VipsImage *b = NULL, *im = NULL, *c = NULL;
    double one[3] = { 1, 1, 1 }, rgb[3] = { 200, 100, 50 };
    size_t len = 0;
    const void *data = vips_blob_get(profile, &len);
    cr_assert_eq(vips_black(&b, 32, 32, "bands", 3, NULL), 0);
    cr_assert_eq(vips_linear(b, &im, one, rgb, 3, "uchar", TRUE, NULL), 0);
    cr_assert_eq(vips_copy(im, &c, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    vips_image_set_blob_copy(c, VIPS_META_ICC_NAME, data, len);
    cr_assert_eq(vips_pngsave(c, path, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(b);
    g_object_unref(im);
    g_object_unref(c);
}

static void exs_centre(const char *path, double px[3])
{
    VipsImage *im = exs_load(path);
    double *v = NULL;
    int n = 0;
    cr_assert_eq(vips_getpoint(im, &v, &n, 16, 16, NULL), 0);
    for (int i = 0; i < 3; i++)
        px[i] = v[i];
    g_free(v);
    g_object_unref(im);
}

Test(exif_strip, profile_srgb_converts_and_drops_everything)
{
    VipsBlob *adobe = exs_adobe_profile();
    if (!adobe)
        cr_skip_test("no Adobe RGB profile (ghostscript's a98.icc or the corpus)");
    char *dir = tu_tmpdir(), *in = tu_strf("%s/adobe.png", dir);
    exs_make_adobe_png(in, adobe);
    vips_area_unref(VIPS_AREA(adobe));

    exs_run_ok(dir, "png", "  - exif-strip: { profile: srgb }\n", "adobe.png");
    char *res = tu_strf("%s/out/adobe-main.png", dir), *tags = exs_tags(res);
    double px[3];
    exs_centre(res, px);
    /* Adobe RGB (200,100,50): linearise with gamma 563/256, Adobe RGB ->
     * XYZ (D65) -> linear sRGB, sRGB curve: (227.1, 100.1, 42.4). */
    cr_expect(fabs(px[0] - 227) <= 2 && fabs(px[1] - 100) <= 2 && fabs(px[2] - 42) <= 2,
              "Adobe RGB (200,100,50) became (%g,%g,%g), expected ~(227,100,42)", px[0], px[1],
              px[2]);
    cr_expect(!strstr(tags, "ICC_Profile") && !strstr(tags, "[IFD0]") &&
                  !strstr(tags, "[ExifIFD]"),
              "srgb output keeps a profile or EXIF:\n%s", tags);
    free(tags);
    free(res);

    /* keep: [icc] tags the converted pixels with sRGB instead */
    exs_run_ok(dir, "png", "  - exif-strip: { profile: srgb, keep: [icc] }\n", "adobe.png");
    res = tu_strf("%s/out/adobe-main.png", dir);
    tags = exs_tags(res);
    char *desc = exs_value(tags, "ICC_Profile", "ProfileDescription");
    cr_expect(desc && strstr(desc, "sRGB"), "profile: %s", desc);
    exs_centre(res, px);
    cr_expect(fabs(px[0] - 227) <= 2 && fabs(px[1] - 100) <= 2 && fabs(px[2] - 42) <= 2,
              "(%g,%g,%g)", px[0], px[1], px[2]);
    free(desc);
    free(tags);
    free(res);
    free(in);
    tu_rmrf(dir);
    free(dir);
}

Test(exif_strip, profile_srgb_on_corpus_leaves_only_technical_exif)
{
    char *src = exs_corpus("sharp/Landscape_9.jpg");
    if (!src)
        cr_skip_test("no ../shared/corpus beside the source tree");
    char *dir = tu_tmpdir();
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s'", src, dir), 0);
    exs_run_ok(dir, "jpeg", "  - exif-strip: { profile: srgb }\n", "Landscape_9.jpg");
    char *res = tu_strf("%s/out/Landscape_9-main.jpg", dir), *tags = exs_tags(res);
    exs_assert_clean(res, NULL);
    cr_expect(!strstr(tags, "ICC_Profile"), "profile left:\n%s", tags);
    free(tags);
    free(res);
    free(src);
    tu_rmrf(dir);
    free(dir);
}

/* Runs the CMYK corpus JPEG through exif-strip with profile mode, PNG out
 * (lossless, so only the conversion is measured), checks nothing CMYK is
 * left, and returns the mean dE00 between the output and a reference made
 * independently: the source through its embedded profile to sRGB. */
static double exs_cmyk_de00(const char *src, const char *mode)
{
    char *dir = tu_tmpdir();
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s/cmyk.jpg'", src, dir), 0);
    char *stages = tu_strf("  - exif-strip: { profile: %s }\n", mode);
    exs_run_ok(dir, "png", stages, "cmyk.jpg");
    char *res = tu_strf("%s/out/cmyk-main.png", dir), *tags = exs_tags(res);
    VipsImage *out = exs_load(res), *in = exs_load(src), *ref = NULL, *de = NULL;
    cr_expect_eq(vips_image_get_bands(out), 3, "%s: not RGB", mode);
    cr_expect(!strstr(tags, "CMYK") && !strstr(tags, "SWOP"), "%s: CMYK tag left:\n%s", mode,
              tags);
    exs_assert_clean(res, NULL);
    cr_assert_eq(vips_icc_transform(in, &ref, "srgb", "embedded", TRUE, "depth", 8, NULL), 0, "%s",
                 vips_error_buffer());
    cr_assert_eq(vips_image_get_width(ref), vips_image_get_width(out));
    cr_assert_eq(vips_image_get_height(ref), vips_image_get_height(out));
    cr_assert_eq(vips_dE00(ref, out, &de, NULL), 0, "%s", vips_error_buffer());
    double mean = 0;
    cr_assert_eq(vips_avg(de, &mean, NULL), 0);
    g_object_unref(out);
    g_object_unref(in);
    g_object_unref(ref);
    g_object_unref(de);
    free(tags);
    free(res);
    free(stages);
    tu_rmrf(dir);
    free(dir);
    return mean;
}

/* Measured on this file (mean dE00 against the reference): the embedded
 * SWOP v2 profile 0.1 (8-bit rounding, another PCS); libvips' built-in
 * fallback CMYK profile 4.3; the naive (1-C)(1-K) formula with no profile
 * 9.3; CMYK channels read as RGB 43.  (JPEG re-encoding at Q82 alone would
 * add about 3 on this saturated image, hence PNG out.) */
Test(exif_strip, cmyk_never_survives)
{
    char *src = exs_corpus("sharp/Channel_digital_image_CMYK_color.jpg");
    if (!src)
        cr_skip_test("no ../shared/corpus beside the source tree");
    /* < 6: converted through a CMYK profile, not a formula or not at all */
    for (int m = 0; m < 2; m++) {
        double de = exs_cmyk_de00(src, m ? "srgb" : "keep");
        cr_expect(de < 6.0, "%s: mean dE00 %.2f from the source's colours", m ? "srgb" : "keep",
                  de);
    }
    free(src);
}

/* The core converts CMYK through the embedded profile (core/decode.c), not
 * libvips' built-in CMYK profile (mean dE00 4.3 for this file).  Bound
 * < 1.5: the same conversion done twice differs by rounding only (0.1
 * measured); PNG output, so JPEG re-encoding does not count. */
Test(exif_strip, cmyk_colours_match_embedded_profile)
{
    char *src = exs_corpus("sharp/Channel_digital_image_CMYK_color.jpg");
    if (!src)
        cr_skip_test("no ../shared/corpus beside the source tree");
    double de = exs_cmyk_de00(src, "keep");
    cr_expect(de < 1.5, "mean dE00 %.2f from the source's colours", de);
    free(src);
}

/* ---------------------------------------------- the stage's own rotation */

/* A stage, compiled here, that hands on every frame turned a quarter
 * anticlockwise and tagged with EXIF orientation 6, as a custom stage might:
 * exif-strip must turn it back itself (the core's upright decode is past). */
static const char exs_sideways_src[] =
    "#include <pixpipe/stage.h>\n"
    "static int turn(VipsImage *frame, int i, VipsImage **out, void *user) {\n"
    "  (void)i; (void)user; return vips_rot(frame, out, VIPS_ANGLE_D270, NULL); }\n"
    "static int process(const pix_ctx *ctx, pix_job *job) {\n"
    "  VipsImage *im = ctx->host->job_image_shared(job), *c;\n"
    "  if (!im) return -1;\n"
    "  if (pix_map_frames(im, 0, turn, NULL, &c)) return ctx->host->job_vips_error(job, \"turn\");\n"
    "  vips_image_set_int(c, \"orientation\", 6); ctx->host->job_set_image(job, c);\n"
    "  return 0; }\n"
    "PIX_STAGE_PLUGIN(\"sideways\", \"1\", \"test\", process);\n";

Test(exif_strip, stage_turns_a_tagged_working_image_upright)
{
    char *dir = tu_tmpdir();
    char *src = tu_strf("%s/sideways.c", dir);
    cr_assert_eq(tu_write_file(src, exs_sideways_src, strlen(exs_sideways_src)), 0);
    char *err = NULL;
    int rc = tu_runf(NULL, &err, "cd '%s' && mkdir plugins && cc -shared -fPIC -I'%s/include' "
                     "$(pkg-config --cflags vips) -o plugins/sideways.so sideways.c "
                     "$(pkg-config --libs vips)", dir, tu_src());
    cr_assert_eq(rc, 0, "cannot build the test stage: %s", err);
    free(err);
    free(src);
    char *in = tu_strf("%s/a.png", dir);
    cr_assert_eq(tu_make_image(in, 90, 60), 0);
    free(in);
    /* an animation too: each frame must turn on its own */
    VipsImage *frame = exs_oriented_pattern(1), *frames[3] = { frame, frame, frame }, *strip = NULL,
              *anim = NULL;
    cr_assert_eq(vips_arrayjoin(frames, &strip, 3, "across", 1, NULL), 0);
    cr_assert_eq(vips_copy(strip, &anim, NULL), 0);
    vips_image_set_int(anim, VIPS_META_PAGE_HEIGHT, EXS_H);
    vips_image_remove(anim, VIPS_META_ORIENTATION);
    char *gif = tu_strf("%s/anim.gif", dir);
    cr_assert_eq(vips_gifsave(anim, gif, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(strip);
    g_object_unref(anim);
    free(gif);

    char *yaml = tu_strf("name: sideways\n"
                         "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                         "output: { rendition: main, format: source }\n"
                         "stages:\n  - sideways: {}\n  - exif-strip: {}\n");
    char *path = tu_strf("%s/pipe.yaml", dir), *out = NULL;
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    rc = tu_runf(&out, &err, "cd '%s' && PIXPIPE_PLUGIN_PATH='%s/plugins' '%s' run -p pipe.yaml "
                 "a.png anim.gif", dir, dir, tu_pixpipe());
    cr_assert_eq(rc, 0, "%s%s", out, err);
    char *a_in = tu_strf("%s/a.png", dir), *a_out = tu_strf("%s/out/a-main.png", dir);
    int w = 0, h = 0;
    cr_assert_eq(tu_image_size(a_out, &w, &h, NULL), 0);
    cr_expect(w == 90 && h == 60, "a.png came out %dx%d", w, h);
    double mad = exs_mad_files(a_in, a_out);
    cr_expect(mad < 0.5, "a.png differs by %.2f after the round trip", mad);
    char *g_out = tu_strf("%s/out/anim-main.gif", dir);
    VipsImage *g = NULL;
    cr_assert_eq(vips_gifload(g_out, &g, "n", -1, NULL), 0, "%s", vips_error_buffer());
    cr_expect(vips_image_get_width(g) == EXS_W && vips_image_get_page_height(g) == EXS_H &&
                  vips_image_get_height(g) == 3 * EXS_H,
              "animation came out %dx%d, page height %d", vips_image_get_width(g),
              vips_image_get_height(g), vips_image_get_page_height(g));
    VipsImage *first = NULL;
    cr_assert_eq(vips_crop(g, &first, 0, 2 * EXS_H, EXS_W, EXS_H, NULL), 0);
    mad = exs_mad_images(frame, first);
    /* GIF's palette costs a few levels; a turned frame is far off */
    cr_expect(mad < 8.0, "last frame differs by %.2f from the pattern", mad);
    g_object_unref(first);
    g_object_unref(g);
    g_object_unref(frame);
    free(g_out);
    free(a_in);
    free(a_out);
    free(out);
    free(err);
    free(yaml);
    free(path);
    tu_rmrf(dir);
    free(dir);
}
