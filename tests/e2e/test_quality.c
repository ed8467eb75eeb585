/* quality: auto end to end: the stored file reaches the SSIM it was asked
 * for (measured on the whole file against the same pipeline's unencoded
 * rendition, by build/similarity-probe; within 0.002 when a sample of a
 * large rendition was compared), the record names the metric, the
 * target, the score and the quality chosen, a lower target gives fewer
 * bytes, each lossy format searches, an unreachable target ends at
 * quality_max and says so, and `validate` refuses what cannot work. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *qa_dir;

static void qa_setup(void)
{
    qa_dir = tu_tmpdir();
    cr_assert_not_null(qa_dir);
    cr_assert_eq(VIPS_INIT("pixpipe-tests"), 0);
    /* a fractal surface has detail at every scale, as photographs do:
     * its quality crossings lie where a photograph's would (0.97 near 82,
     * 0.93 near 50), unlike a smooth made-up scene's */
    VipsImage *f = NULL, *g = NULL, *b = NULL, *c = NULL;
    char *scene = tu_strf("%s/scene.jpg[Q=92]", qa_dir);
    cr_assert_eq(vips_fractsurf(&f, 2400, 1800, 2.6, NULL), 0);
    cr_assert_eq(vips_scale(f, &g, NULL), 0);
    VipsImage *three[3] = { g, g, g };
    cr_assert_eq(vips_bandjoin(three, &b, 3, NULL), 0);
    double a[3] = { 0.9, 0.7, 0.5 }, o[3] = { 20, 40, 60 };
    cr_assert_eq(vips_linear(b, &c, a, o, 3, "uchar", TRUE, NULL), 0);
    c->Type = VIPS_INTERPRETATION_sRGB;
    cr_assert_eq(vips_image_write_to_file(c, scene, NULL), 0);
    g_object_unref(f), g_object_unref(g), g_object_unref(b), g_object_unref(c);
    free(scene);
}

static void qa_teardown(void)
{
    tu_rmrf(qa_dir);
    free(qa_dir);
}

TestSuite(quality_auto, .init = qa_setup, .fini = qa_teardown, .timeout = 240);

/* Runs pipeline text as NAME.yaml on scene.jpg, writing under out-NAME/. */
static void qa_run(const char *name, const char *output, const char *thumb)
{
    char *text = tu_strf("name: %s\n"
                         "destination: { storage: fs, root: ./out-%s, key: \"{name}-{rendition}.{ext}\" }\n"
                         "metadata: { backend: sqlite, path: ./out-%s/m.db }\n"
                         "output: { rendition: large, %s }\n"
                         "stages:\n"
                         "  - resize: { width: 1600, height: 1600 }\n"
                         "  - thumbnail: { name: thumb, width: 256, height: 256, %s }\n"
                         "  - metadata-sink: {}\n",
                         name, name, name, output, thumb);
    char *yaml = tu_strf("%s/%s.yaml", qa_dir, name);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -q -p %s.yaml scene.jpg", qa_dir,
                     tu_pixpipe(), name);
    cr_assert_eq(rc, 0, "%s: run failed: %s%s", name, out, err);
    free(out), free(err), free(yaml), free(text);
}

/* The record's entry for rendition name of the run name.  New reference. */
static json_t *qa_rendition(const char *name, const char *rendition)
{
    char *db = tu_strf("%s/out-%s/m.db", qa_dir, name);
    json_t *rec = tu_sqlite_record(db, "scene.jpg"), *r, *found = NULL;
    size_t i;
    cr_assert_not_null(rec, "%s: no record", name);
    json_array_foreach(json_object_get(rec, "renditions"), i, r)
        if (strcmp(json_string_value(json_object_get(r, "name")), rendition) == 0)
            found = json_incref(r);
    cr_assert_not_null(found, "%s: no rendition %s", name, rendition);
    json_decref(rec);
    free(db);
    return found;
}

/* The SSIM on luma of file against reference, both under qa_dir. */
static double qa_ssim(const char *reference, const char *file)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && '%s/similarity-probe' '%s' '%s'", qa_dir, tu_build(),
                     reference, file);
    cr_assert_eq(rc, 0, "similarity-probe: %s%s", out, err);
    const char *space = strrchr(out, ' ');
    cr_assert_not_null(space, "%s", out);
    double s = atof(space + 1);
    free(out), free(err);
    return s;
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_number(v), "no number %s", key);
    return json_number_value(v);
}

static long file_bytes(const char *rel)
{
    char *path = tu_strf("%s/%s", qa_dir, rel);
    size_t len = 0;
    char *b = tu_read_file(path, &len);
    cr_assert_not_null(b, "%s missing", path);
    free(b), free(path);
    return (long)len;
}

Test(quality_auto, the_file_reaches_its_target_and_the_record_says_how)
{
    qa_run("ref", "format: png", "format: png");
    qa_run("hi", "format: jpeg, quality: auto, quality_target: 0.97",
           "format: jpeg, quality: auto, quality_target: 0.97");
    qa_run("lo", "format: jpeg, quality: auto, quality_target: 0.93",
           "format: jpeg, quality: auto, quality_target: 0.93");
    qa_run("q95", "format: jpeg, quality: 95", "format: jpeg, quality: 95");

    static const char *const runs[] = { "hi", "lo" };
    static const double targets[] = { 0.97, 0.93 };
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            const char *rend = k ? "thumb" : "large";
            json_t *r = qa_rendition(runs[i], rend);
            json_t *qs = json_object_get(r, "quality_search");
            cr_assert(json_is_object(qs), "%s %s: no quality_search", runs[i], rend);
            cr_assert_str_eq(json_string_value(json_object_get(qs, "metric")), "ssim");
            cr_assert_float_eq(num(qs, "target"), targets[i], 1e-9);
            cr_assert(json_is_true(json_object_get(qs, "reached")), "%s %s", runs[i], rend);
            int q = (int)num(r, "quality");
            cr_assert(q >= 40 && q < 95, "%s %s: quality %d outside the bounds or at the top",
                      runs[i], rend, q);
            cr_assert(num(qs, "encodes") >= 2 && num(qs, "encodes") <= 8, "%s %s: %g encodes",
                      runs[i], rend, num(qs, "encodes"));
            /* the whole stored file, against the unencoded rendition */
            char *file = tu_strf("out-%s/scene-%s.jpg", runs[i], rend);
            char *ref = tu_strf("out-ref/scene-%s.png", rend);
            double s = qa_ssim(ref, file), share = num(qs, "sample");
            if (share >= 1) {
                /* compared whole: the record's score is the file's */
                cr_assert_geq(s, targets[i], "%s %s: the file scores %f, under its target %f",
                              runs[i], rend, s, targets[i]);
                cr_assert_float_eq(s, num(qs, "score"), 2e-5, "%s %s: file %f, record %f",
                                   runs[i], rend, s, num(qs, "score"));
            } else {
                /* a sample of tiles: the whole file within what sampling misses */
                cr_assert(share > 0.1 && share < 0.2, "%s %s: sample %f", runs[i], rend, share);
                cr_assert_geq(num(qs, "score"), targets[i]);
                cr_assert_float_eq(s, num(qs, "score"), 0.002, "%s %s: file %f, sample %f",
                                   runs[i], rend, s, num(qs, "score"));
            }
            free(file), free(ref);
            json_decref(r);
        }
    /* the lower target: fewer bytes; both under a fixed 95 */
    long hi = file_bytes("out-hi/scene-large.jpg"), lo = file_bytes("out-lo/scene-large.jpg");
    long q95 = file_bytes("out-q95/scene-large.jpg");
    cr_assert_lt(lo, hi, "target 0.93: %ld bytes, 0.97: %ld", lo, hi);
    cr_assert_lt(hi, q95, "target 0.97: %ld bytes, quality 95: %ld", hi, q95);
    json_t *fixed = qa_rendition("q95", "large");
    cr_assert_eq(num(fixed, "quality"), 95);
    cr_assert_null(json_object_get(fixed, "quality_search"));
    json_decref(fixed);
}

Test(quality_auto, every_lossy_format_searches)
{
    qa_run("refw", "format: png", "format: png");
    static const char *const formats[] = { "webp", "avif", "jxl" };
    for (int f = 0; f < 3; f++) {
        char *name = tu_strf("auto-%s", formats[f]);
        char *thumb = tu_strf("format: %s, quality: auto, quality_target: 0.97", formats[f]);
        qa_run(name, "format: jpeg, quality: 80", thumb);
        json_t *r = qa_rendition(name, "thumb");
        json_t *qs = json_object_get(r, "quality_search");
        cr_assert(json_is_object(qs), "%s: no quality_search", formats[f]);
        cr_assert(json_is_true(json_object_get(qs, "reached")), "%s", formats[f]);
        cr_assert_str_eq(json_string_value(json_object_get(r, "format")), formats[f]);
        char *file = tu_strf("out-%s/scene-thumb.%s", name, formats[f]);
        double s = qa_ssim("out-refw/scene-thumb.png", file);
        cr_assert_geq(s, 0.97, "%s: the file scores %f", formats[f], s);
        json_decref(r);
        free(name), free(thumb), free(file);
    }
}

Test(quality_auto, an_unreachable_target_ends_at_quality_max_and_says_so)
{
    qa_run("cap", "format: jpeg, quality: auto, quality_target: 0.9999, quality_max: 60",
           "format: jpeg, quality: 80");
    json_t *r = qa_rendition("cap", "large");
    json_t *qs = json_object_get(r, "quality_search");
    cr_assert_eq(num(r, "quality"), 60);
    cr_assert(json_is_false(json_object_get(qs, "reached")));
    cr_assert_lt(num(qs, "score"), 0.9999);
    json_decref(r);
}

/* `validate` on an output section; returns its stderr (caller frees). */
static char *qa_validate(const char *output, int want_rc)
{
    char *text = tu_strf("name: v\noutput: { %s }\nstages:\n  - resize: { width: 100 }\n", output);
    char *yaml = tu_strf("%s/v.yaml", qa_dir);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "'%s' validate '%s'", tu_pixpipe(), yaml);
    cr_assert_eq(rc, want_rc, "validate %s: rc %d: %s%s", output, rc, out, err);
    free(out), free(yaml), free(text);
    return err;
}

Test(quality_auto, validate_refuses_what_cannot_work)
{
    char *e = qa_validate("format: png, quality: auto", 2);
    cr_assert(strstr(e, "quality: auto needs a lossy encoding (jpeg, webp, avif or jxl)"), "%s", e);
    free(e);
    e = qa_validate("format: webp, lossless: true, quality: auto", 2);
    cr_assert(strstr(e, "quality: auto needs a lossy encoding") && strstr(e, "lossless is set"),
              "%s", e);
    free(e);
    e = qa_validate("format: jpeg, quality: automatic", 2);
    cr_assert(strstr(e, "quality: 'automatic' is neither a whole number nor one of auto"), "%s", e);
    free(e);
    e = qa_validate("format: jpeg, quality: auto, quality_min: 90, quality_max: 50", 2);
    cr_assert(strstr(e, "quality_min: 90 is above quality_max (50)"), "%s", e);
    free(e);
    e = qa_validate("format: jpeg, quality: auto, quality_target: 1.5", 2);
    cr_assert(strstr(e, "quality_target") && strstr(e, "out of range"), "%s", e);
    free(e);
    e = qa_validate("format: jpeg, quality: auto, quality_target: 0.96", 0);
    free(e);
}

/* An image smaller than one 8x8 window of the metric: written at
 * quality_max, the record saying the target was not reached. */
Test(quality_auto, a_tiny_image_is_written_at_quality_max)
{
    VipsImage *im = NULL;
    char *tiny = tu_strf("%s/scene.jpg", qa_dir);
    cr_assert_eq(vips_black(&im, 5, 4, "bands", 3, NULL), 0);
    cr_assert_eq(vips_image_write_to_file(im, tiny, NULL), 0);
    g_object_unref(im);
    free(tiny);
    qa_run("tiny", "format: jpeg, quality: auto", "format: webp, quality: auto");
    json_t *r = qa_rendition("tiny", "large");
    json_t *qs = json_object_get(r, "quality_search");
    cr_assert_eq(num(r, "quality"), 95);
    cr_assert(json_is_false(json_object_get(qs, "reached")));
    cr_assert_null(json_object_get(qs, "score"));
    cr_assert_eq(num(r, "width"), 5);
    json_decref(r);
}
