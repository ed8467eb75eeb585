/* The srcset stage end to end: 4 widths x 3 formats of a 12 MP photo in
 * one declaration, only the widths a 600 px photo can give (plus one at
 * its own width), the manifest in the record and as a stored object, and
 * `validate` refusing two renditions of one name across stages. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *ss_dir;

static void ss_setup(void)
{
    ss_dir = tu_tmpdir();
    cr_assert_not_null(ss_dir);
    cr_assert_eq(VIPS_INIT("pixpipe-tests"), 0);
    vips_cache_set_max(0);
}

static void ss_teardown(void)
{
    tu_rmrf(ss_dir);
    free(ss_dir);
}

TestSuite(srcset, .init = ss_setup, .fini = ss_teardown, .timeout = 240);

static const char *ss_pipeline =
    "name: srcset-test\n"
    "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
    "metadata: { backend: sqlite, path: ./out/m.db }\n"
    "output: { rendition: main, format: jpeg }\n"
    "stages:\n"
    "  - resize: { width: 2000, height: 2000 }\n"
    "  - srcset: { widths: [1920, 320, 640, 1280], formats: [avif, webp, jpeg],\n"
    "              webp_quality: 70, manifest: true }\n"
    "  - metadata-sink: {}\n";

/* The record of source key.  New reference. */
static json_t *ss_record(const char *key)
{
    char *db_path = tu_strf("%s/out/m.db", ss_dir);
    json_t *rec = tu_sqlite_record(db_path, key);
    free(db_path);
    cr_assert_not_null(rec, "no record for %s", key);
    return rec;
}

/* Checks one rendition on disk: decodes, of width w and the given height,
 * in the format's loader, and as many bytes as the manifest says. */
static void ss_check_file(json_t *entry, const char *format, int w, int h)
{
    const char *key = json_string_value(json_object_get(entry, "key"));
    cr_assert_not_null(key);
    cr_assert_eq(json_integer_value(json_object_get(entry, "width")), w, "%s", key);
    cr_assert_eq(json_integer_value(json_object_get(entry, "height")), h, "%s", key);
    char *path = tu_strf("%s/out/%s", ss_dir, key);
    size_t len = 0;
    char *bytes = tu_read_file(path, &len);
    cr_assert_not_null(bytes, "%s missing", path);
    cr_assert_eq((json_int_t)len, json_integer_value(json_object_get(entry, "bytes")), "%s", key);
    VipsImage *im = vips_image_new_from_file(path, NULL);
    cr_assert_not_null(im, "%s does not decode", key);
    cr_assert_eq(vips_image_get_width(im), w);
    cr_assert_eq(vips_image_get_height(im), h);
    const char *loader = NULL;
    cr_assert_eq(vips_image_get_string(im, "vips-loader", &loader), 0);
    const char *want = strcmp(format, "avif") == 0 ? "heif" : format;
    cr_assert(strncmp(loader, want, strlen(want)) == 0, "%s read by %s, want %s", key, loader,
              want);
    g_object_unref(im);
    free(bytes);
    free(path);
}

Test(srcset, four_widths_three_formats_and_only_what_a_small_photo_has)
{
    char *yaml = tu_strf("%s/pipe.yaml", ss_dir);
    cr_assert_eq(tu_write_file(yaml, ss_pipeline, strlen(ss_pipeline)), 0);
    /* 4000x3000: a 12 MP photo-like scene; 600x400: a small one */
    char *big_jpg = tu_strf("%s/big.jpg", ss_dir), *small_jpg = tu_strf("%s/small.jpg", ss_dir);
    cr_assert_eq(tu_make_scene(big_jpg, 4000, 3000, 1, 0), 0);
    cr_assert_eq(tu_make_scene(small_jpg, 600, 400, 1, 0), 0);
    free(big_jpg);
    free(small_jpg);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -q -p pipe.yaml big.jpg small.jpg", ss_dir,
                     tu_pixpipe());
    cr_assert_eq(rc, 0, "run failed: %s%s", out, err);

    static const char *const formats[] = { "avif", "webp", "jpeg" };
    static const int widths[] = { 320, 640, 1280, 1920 };
    json_t *big = ss_record("big.jpg");
    json_t *set = json_object_get(big, "srcset");
    cr_assert(json_is_object(set), "no srcset in the record");
    for (int f = 0; f < 3; f++) {
        json_t *list = json_object_get(set, formats[f]);
        cr_assert_eq(json_array_size(list), 4, "%s: %zu widths", formats[f],
                     json_array_size(list));
        for (int i = 0; i < 4; i++)
            ss_check_file(json_array_get(list, i), formats[f], widths[i], widths[i] * 3 / 4);
    }
    /* one quality per format: the WebP option reached the WebP files only */
    json_t *webp = json_array_get(json_object_get(set, "webp"), 3);
    json_t *jpeg = json_array_get(json_object_get(set, "jpeg"), 3);
    cr_assert_lt(json_integer_value(json_object_get(webp, "bytes")),
                 json_integer_value(json_object_get(jpeg, "bytes")));

    /* the stored manifest is the record's srcset, and the record lists it */
    size_t len = 0;
    char *manifest_path = tu_strf("%s/out/big-srcset.json", ss_dir);
    char *manifest = tu_read_file(manifest_path, &len);
    free(manifest_path);
    cr_assert_not_null(manifest, "no manifest object");
    json_t *stored = json_loads(manifest, 0, NULL);
    cr_assert(json_equal(stored, set), "manifest differs from the record: %s", manifest);
    bool listed = false;
    json_t *r;
    size_t i;
    json_array_foreach(json_object_get(big, "renditions"), i, r)
        listed |= strcmp(json_string_value(json_object_get(r, "key")), "big-srcset.json") == 0;
    cr_assert(listed, "the record's renditions do not list the manifest");

    /* 600 px: 320 in each format, then one at 600 instead of 640..1920 */
    json_t *small = ss_record("small.jpg");
    json_t *sset = json_object_get(small, "srcset");
    for (int f = 0; f < 3; f++) {
        json_t *list = json_object_get(sset, formats[f]);
        cr_assert_eq(json_array_size(list), 2, "%s: %zu widths", formats[f],
                     json_array_size(list));
        ss_check_file(json_array_get(list, 0), formats[f], 320, 213);
        ss_check_file(json_array_get(list, 1), formats[f], 600, 400);
    }
    char *none = tu_strf("%s/out/small-w640-jpeg.jpg", ss_dir);
    cr_assert_eq(tu_exists(none), 0);
    free(none);
    json_decref(stored);
    json_decref(big);
    json_decref(small);
    free(manifest);
    free(out);
    free(err);
    free(yaml);
}

/* JPEG XL in a set: .jxl files read by libvips' JPEG XL loader at each
 * width, jxl_quality reaching them; all five formats in one set. */
Test(srcset, jxl_renditions_take_their_own_quality)
{
    char *photo = tu_strf("%s/photo.jpg", ss_dir);
    cr_assert_eq(tu_make_scene(photo, 800, 600, 1, 0), 0);
    free(photo);
    json_int_t bytes[2];
    for (int q = 0; q < 2; q++) {
        /* one metadata database per run, so the second is not skipped */
        char *yaml = tu_strf("name: srcset-test\n"
                             "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                             "metadata: { backend: sqlite, path: ./m%d.db }\n"
                             "output: { rendition: main%d, format: jpeg }\n"
                             "stages:\n"
                             "  - srcset: { widths: [320, 640], formats: [jxl, jpeg, webp, avif, png],\n"
                             "              name: \"q%d-w{width}-{format}\", jxl_quality: %d }\n"
                             "  - metadata-sink: {}\n", q, q, q, q ? 90 : 30);
        char *path = tu_strf("%s/pipe.yaml", ss_dir);
        cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -q -p pipe.yaml photo.jpg", ss_dir,
                         tu_pixpipe());
        cr_assert_eq(rc, 0, "run failed: %s%s", out, err);
        char *db = tu_strf("%s/m%d.db", ss_dir, q);
        json_t *rec = tu_sqlite_record(db, "photo.jpg");
        cr_assert_not_null(rec, "no record in %s", db);
        json_t *set = json_object_get(rec, "srcset");
        cr_assert_eq(json_object_size(set), 5, "formats in the manifest: %zu",
                     json_object_size(set));
        json_t *list = json_object_get(set, "jxl");
        cr_assert_eq(json_array_size(list), 2);
        char *want = tu_strf("photo-q%d-w640-jxl.jxl", q);
        cr_expect_str_eq(json_string_value(json_object_get(json_array_get(list, 1), "key")), want);
        ss_check_file(json_array_get(list, 0), "jxl", 320, 240);
        ss_check_file(json_array_get(list, 1), "jxl", 640, 480);
        bytes[q] = json_integer_value(json_object_get(json_array_get(list, 1), "bytes"));
        json_decref(rec);
        free(want);
        free(db);
        free(out);
        free(err);
        free(path);
        free(yaml);
    }
    cr_expect_lt(bytes[0] * 2, bytes[1], "jxl_quality 30 gave %lld bytes, 90 %lld",
                 (long long)bytes[0], (long long)bytes[1]);
}

Test(srcset, validate_refuses_one_name_twice_and_bad_options)
{
    static const struct {
        const char *stages, *error;
    } cases[] = {
        { "  - srcset: { widths: [320], formats: [webp], name: \"t{width}\" }\n"
          "  - thumbnail: { name: t320, width: 100 }\n",
          "pipe.yaml:6:5: stages[1] thumbnail: rendition 't320' is also made by stages[0] "
          "srcset (pipe.yaml:5:5); give each rendition its own name" },
        { "  - thumbnail: { name: main, width: 100 }\n",
          "pipe.yaml:5:5: stages[0] thumbnail: rendition 'main' is the name of the main output" },
        { "  - srcset: { widths: [320, 640] }\n"
          "  - srcset: { widths: [640], formats: [jpeg, webp] }\n",
          "rendition 'w640-jpeg' is also made by stages[0] srcset (pipe.yaml:5:5)" },
        { "  - srcset: { widths: [320], formats: [webp, jpeg], name: \"w{width}\" }\n",
          "name: 'w{width}' has no {format}, but 2 formats are listed" },
        { "  - srcset: { widths: [320, 0] }\n", "widths: '0' is not a width in pixels" },
        { "  - srcset: { widths: [320, 320] }\n", "widths: 320 is listed twice" },
        { "  - srcset: { widths: [320], formats: [gif] }\n",
          "formats: 'gif' is not one of jpeg, webp, avif, jxl, png" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char *yaml = tu_strf("name: t\n"
                             "destination: { storage: fs, root: ./out }\n"
                             "output: { rendition: main }\n"
                             "stages:\n%s", cases[c].stages);
        char *path = tu_strf("%s/pipe.yaml", ss_dir);
        cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd '%s' && '%s' validate -p pipe.yaml", ss_dir,
                         tu_pixpipe());
        cr_assert_neq(rc, 0, "case %zu validated", c);
        cr_assert(strstr(err, cases[c].error), "case %zu: want '%s', got: %s", c, cases[c].error,
                  err);
        /* run refuses it the same way, before any job */
        free(out);
        free(err);
        rc = tu_runf(&out, &err, "cd '%s' && '%s' run -p pipe.yaml nothing.jpg", ss_dir,
                     tu_pixpipe());
        cr_assert_neq(rc, 0);
        cr_assert(strstr(err, cases[c].error), "case %zu (run): %s", c, err);
        free(out);
        free(err);
        free(path);
        free(yaml);
    }
}
