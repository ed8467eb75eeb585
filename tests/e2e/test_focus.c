/* Focal points: a face region written into a copy of a corpus photo with
 * exiftool (MWG and Microsoft's form), near the photo's edge, with a red
 * patch painted where the region says, must be inside a `crop: focus`
 * thumbnail and a `resize` fit cover with crop focus, where the centre crop
 * loses it; the record names the focus and its origin.  Skipped where the
 * corpus is not. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *fc_dir;

static void fc_setup(void)
{
    fc_dir = tu_tmpdir();
    cr_assert_not_null(fc_dir);
    cr_assert_eq(VIPS_INIT("pixpipe-tests"), 0);
    vips_cache_set_max(0);
}

static void fc_teardown(void)
{
    tu_rmrf(fc_dir);
    free(fc_dir);
}

TestSuite(focus, .init = fc_setup, .fini = fc_teardown, .timeout = 180);

/* The region: centre (0.9, 0.3), 0.06 x 0.08 of the photo. */
#define FX 0.955
#define FY 0.3
#define FW 0.05
#define FH 0.08

/* Copies the corpus photo to path with a pure red patch over the region,
 * then writes the region into its XMP with exiftool (mwg: MWG regions;
 * else Microsoft's).  False when the corpus is missing. */
static bool fc_photo(const char *path, bool mwg)
{
    char *src = tu_strf("%s/../shared/corpus/images/sharp/2569067123_aca715a2ee_o.jpg",
                        tu_src());
    VipsImage *in = vips_image_new_from_file(src, NULL), *mem = NULL;
    free(src);
    if (!in)
        return false;
    vips_error_clear();
    mem = vips_image_copy_memory(in);
    cr_assert_not_null(mem);
    int w = vips_image_get_width(mem), h = vips_image_get_height(mem);
    double red[] = { 255, 0, 0 };
    cr_assert_eq(vips_draw_rect(mem, red, 3, (int)((FX - FW / 2) * w), (int)((FY - FH / 2) * h),
                                (int)(FW * w), (int)(FH * h), "fill", TRUE, NULL), 0);
    cr_assert_eq(vips_jpegsave(mem, path, "Q", 95, NULL), 0);
    g_object_unref(mem);
    g_object_unref(in);
    char *arg = mwg ? tu_strf("-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=%d,H=%d,Unit=pixel},"
                              "RegionList=[{Area={X=%g,Y=%g,W=%g,H=%g,Unit=normalized},"
                              "Type=Face,Name=Someone}]}", w, h, FX, FY, FW, FH)
                    : tu_strf("-XMP-MP:RegionInfoMP={Regions=[{Rectangle=%g|, %g|, %g|, %g,"
                              "PersonDisplayName=Someone}]}", FX - FW / 2, FY - FH / 2, FW, FH);
    int rc = tu_runf(NULL, NULL, "/usr/bin/exiftool -q -overwrite_original '%s' '%s'", arg, path);
    cr_assert_eq(rc, 0, "exiftool failed");
    free(arg);
    return true;
}

/* Pure-red pixels (the patch) in the image at path. */
static int fc_red(const char *path)
{
    VipsImage *im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    cr_assert_not_null(im, "%s does not decode", path);
    size_t len;
    unsigned char *px = vips_image_write_to_memory(im, &len);
    int bands = vips_image_get_bands(im), n = 0;
    for (size_t i = 0; i + 2 < len; i += bands)
        n += px[i] > 200 && px[i + 1] < 70 && px[i + 2] < 70;
    g_free(px);
    g_object_unref(im);
    return n;
}

static void fc_run(const char *stages, const char *photo)
{
    char *yaml = tu_strf("name: focus-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                         "metadata: { backend: sqlite, path: ./out/m.db }\n"
                         "output: { rendition: main, format: jpeg, quality: 95 }\n"
                         "stages:\n%s  - metadata-sink: {}\n", stages);
    char *path = tu_strf("%s/pipe.yaml", fc_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && rm -rf out && '%s' run -q -p pipe.yaml %s", fc_dir,
                     tu_pixpipe(), photo);
    cr_assert_eq(rc, 0, "run failed: %s%s", out, err);
    free(out);
    free(err);
    free(path);
    free(yaml);
}

static json_t *fc_record(void)
{
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "/usr/bin/sqlite3 '%s/out/m.db' 'SELECT record FROM images'",
                     fc_dir);
    cr_assert_eq(rc, 0);
    json_t *rec = json_loads(out, 0, NULL);
    cr_assert_not_null(rec, "record: %s", out);
    free(out);
    return rec;
}

static int fc_out_red(const char *file)
{
    char *p = tu_strf("%s/out/%s", fc_dir, file);
    int n = fc_red(p);
    free(p);
    return n;
}

static void fc_check(bool mwg)
{
    char *photo = tu_strf("%s/face.jpg", fc_dir);
    if (!fc_photo(photo, mwg))
        cr_skip_test("no ../shared/corpus beside the source tree");
    fc_run("  - thumbnail: { name: focus, width: 256, height: 256, crop: focus }\n"
           "  - thumbnail: { name: centre, width: 256, height: 256, crop: centre }\n"
           "  - resize: { width: 400, height: 400, fit: cover, crop: focus }\n",
           "face.jpg");
    /* the patch is 0.05 x 0.08 of 2725x2225; in a 256 px square cut of the
     * photo scaled to 314x256, about 16 x 20 pixels, most of them red; the
     * centre cut (29..285 across) ends before it (293..308) */
    int in_focus = fc_out_red("face-focus.jpg"), in_centre = fc_out_red("face-centre.jpg");
    int in_cover = fc_out_red("face-main.jpg");
    cr_expect_gt(in_focus, 250, "crop focus: %d red pixels", in_focus);
    cr_expect_gt(in_cover, 500, "resize cover focus: %d red pixels", in_cover);
    cr_expect_eq(in_centre, 0, "the centre crop should lose the patch (%d red pixels)",
                 in_centre);
    json_t *rec = fc_record();
    json_t *focus = json_object_get(rec, "focus");
    cr_assert(json_is_object(focus), "no focus in the record");
    cr_expect_str_eq(json_string_value(json_object_get(focus, "origin")),
                     mwg ? "xmp-mwg" : "xmp-mpri");
    cr_expect_float_eq(json_real_value(json_object_get(focus, "x")), FX, 1e-3);
    cr_expect_float_eq(json_real_value(json_object_get(focus, "y")), FY, 1e-3);
    json_t *box = json_object_get(focus, "box");
    cr_expect_float_eq(json_real_value(json_object_get(box, "width")), FW, 1e-3);
    json_decref(rec);
    free(photo);
}

Test(focus, mwg_face_region_near_the_edge_stays_in_frame) { fc_check(true); }

Test(focus, microsoft_region_stays_in_frame) { fc_check(false); }

/* No focal point: crop focus falls back to attention, and the record has
 * no focus. */
Test(focus, no_region_falls_back_to_attention)
{
    char *in = tu_strf("%s/plain.jpg", fc_dir);
    cr_assert_eq(tu_make_scene(in, 800, 500, 1, 0), 0);
    fc_run("  - thumbnail: { name: focus, width: 200, height: 200, crop: focus }\n"
           "  - thumbnail: { name: attention, width: 200, height: 200, crop: attention }\n",
           "plain.jpg");
    char *a = tu_strf("%s/out/plain-focus.jpg", fc_dir), *b = tu_strf("%s/out/plain-attention.jpg",
                                                                       fc_dir);
    size_t la = 0, lb = 0;
    char *da = tu_read_file(a, &la), *db = tu_read_file(b, &lb);
    cr_assert(da && db);
    cr_expect(la == lb && memcmp(da, db, la) == 0, "focus without a region differs from attention");
    json_t *rec = fc_record();
    cr_expect_null(json_object_get(rec, "focus"));
    json_decref(rec);
    free(da);
    free(db);
    free(a);
    free(b);
    free(in);
}

/* Hostile XMP from a stranger: unclosed, nested 20 000 deep, and an entity
 * bomb.  Each job ends ok without a focus, and none hangs or crashes. */
Test(focus, hostile_xmp_is_passed_over)
{
    static const char *const heads[] = {
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
        "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description><unclosed>",
        NULL, /* deep nesting, made below */
        "<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
        "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'><!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
        "<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'><!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
        "<!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'><!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'>]>"
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'>&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;</x:xmpmeta>",
    };
    char *inputs = strdup("");
    for (size_t i = 0; i < sizeof heads / sizeof *heads; i++) {
        char *xmp = tu_strf("%s/h%zu.png", fc_dir, i), *img = tu_strf("%s/h%zu.jpg", fc_dir, i);
        const char *text = heads[i];
        char *deep = NULL;
        if (!text) {
            size_t n = 20000, len = n * 3 + 1; /* 60 KB: one JPEG APP1 segment */
            deep = malloc(len);
            cr_assert_not_null(deep);
            for (size_t k = 0; k < n; k++)
                memcpy(deep + k * 3, "<a>", 3);
            deep[n * 3] = '\0';
            text = deep;
        }
        /* libvips writes the packet as it is (exiftool refuses bad XMP) */
        cr_assert_eq(tu_make_image(xmp, 300, 200), 0);
        VipsImage *in = vips_image_new_from_file(xmp, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
        cr_assert_not_null(in);
        VipsImage *copy = NULL;
        cr_assert_eq(vips_copy(in, &copy, NULL), 0);
        vips_image_set_blob_copy(copy, VIPS_META_XMP_NAME, text, strlen(text));
        cr_assert_eq(vips_jpegsave(copy, img, NULL), 0);
        g_object_unref(copy);
        g_object_unref(in);
        VipsImage *back = vips_image_new_from_file(img, NULL);
        const void *blob = NULL;
        size_t blen = 0;
        cr_assert(back && vips_image_get_blob(back, VIPS_META_XMP_NAME, &blob, &blen) == 0 &&
                  blen == strlen(text), "case %zu: the XMP was not written whole", i);
        g_object_unref(back);
        char *more = tu_strf("%s h%zu.jpg", inputs, i);
        free(inputs);
        inputs = more;
        free(deep);
        free(xmp);
        free(img);
    }
    fc_run("  - thumbnail: { name: focus, width: 64, height: 64, crop: focus }\n", inputs);
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "/usr/bin/sqlite3 '%s/out/m.db' \"SELECT count(*) FROM images "
                     "WHERE status = 'ok' AND json_extract(record, '$.focus') IS NULL\"", fc_dir);
    cr_assert_eq(rc, 0);
    cr_expect_eq(atoi(out), 3, "jobs ok without a focus: %s", out);
    free(out);
    free(inputs);
}
