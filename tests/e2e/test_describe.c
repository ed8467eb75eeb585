/* The describe stage end to end: every key in the record with one decode,
 * the hashes agreeing with the npm encoders written by others (blurhash,
 * thumbhash; tests/servers/crosscheck.js) for the very pixels the stage
 * hashed (build/describe-probe exports them through the stage's own code),
 * our strings decoding close to the source, pHash finding half-size Q60
 * copies of the corpus photos and telling different photos apart, and a
 * transparent image described without colours. */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char *ds_dir;

static void ds_setup(void)
{
    ds_dir = tu_tmpdir();
    cr_assert_not_null(ds_dir);
}

static void ds_teardown(void)
{
    tu_rmrf(ds_dir);
    free(ds_dir);
}

TestSuite(describe, .init = ds_setup, .fini = ds_teardown, .timeout = 300);

/* Runs the `extra` stages, then `describe` (with opts, unless extra has
 * one), over inputs in ds_dir. */
static void ds_run(const char *extra, const char *inputs)
{
    const char *describe = strstr(extra, "describe:") ? "" : "  - describe: {}\n";
    char *yaml = tu_strf("name: describe-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
                         "metadata: { backend: sqlite, path: ./out/m.db }\n"
                         "output: { rendition: main, format: jpeg }\n"
                         "stages:\n%s%s  - metadata-sink: {}\n", extra, describe);
    char *path = tu_strf("%s/pipe.yaml", ds_dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && rm -rf out && '%s' run -q -p pipe.yaml %s", ds_dir,
                     tu_pixpipe(), inputs);
    cr_assert_eq(rc, 0, "run failed: %s%s", out, err);
    free(out);
    free(err);
    free(path);
    free(yaml);
}

/* The record of source key.  New reference. */
static json_t *ds_record(const char *key)
{
    char *db_path = tu_strf("%s/out/m.db", ds_dir);
    json_t *rec = tu_sqlite_record(db_path, key);
    free(db_path);
    cr_assert_not_null(rec, "no record for %s", key);
    return rec;
}

static const char *ds_str(json_t *rec, const char *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(json_object_get(rec, obj), key));
    cr_assert_not_null(s, "record has no %s.%s", obj, key);
    return s;
}

/* build/describe-probe on file: its JSON (new reference); the pixels go
 * to raw. */
static json_t *ds_probe(const char *file, const char *raw)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "'%s/describe-probe' '%s' '%s'", tu_build(), file, raw);
    cr_assert_eq(rc, 0, "describe-probe %s: %s", file, err);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    free(out);
    free(err);
    return j;
}

static int ds_hamming(const char *a, const char *b)
{
    unsigned long long x = strtoull(a, NULL, 16) ^ strtoull(b, NULL, 16);
    return __builtin_popcountll(x);
}

/* The corpus photo rel (under ../shared/corpus/images), or NULL. */
static char *ds_corpus(const char *rel)
{
    char *p = tu_strf("%s/../shared/corpus/images/%s", tu_src(), rel);
    if (access(p, R_OK) == 0)
        return p;
    free(p);
    return NULL;
}

Test(describe, record_has_every_part_with_one_decode)
{
    char *in = tu_strf("%s/a.jpg", ds_dir);
    cr_assert_eq(tu_make_scene(in, 3000, 2000, 6, 1), 0);
    ds_run("  - resize: { width: 1600, height: 1600 }\n", "a.jpg");
    json_t *rec = ds_record("a.jpg");
    const char *bh = ds_str(rec, "placeholder", "blurhash");
    cr_expect_eq(strlen(bh), 4 + 2 * 4 * 3, "blurhash %s", bh);
    const char *th = ds_str(rec, "placeholder", "thumbhash");
    cr_expect_geq(strlen(th), 20, "thumbhash %s", th);
    const char *lqip = ds_str(rec, "placeholder", "lqip");
    cr_expect(strncmp(lqip, "data:image/webp;base64,", 23) == 0, "%.40s", lqip);
    /* bounded, and no metadata block: RIFF, WEBP, then the VP8 bitstream */
    size_t b64 = strlen(lqip) - 23;
    cr_expect_leq(b64 / 4 * 3, 600, "lqip of %zu base64 characters", b64);
    cr_expect(strncmp(lqip + 23 + 16, "VlA4I", 5) == 0, "lqip holds more than VP8: %s", lqip);
    const char *avg = ds_str(rec, "colour", "average"), *dom = ds_str(rec, "colour", "dominant");
    cr_expect(strlen(avg) == 7 && avg[0] == '#' && strlen(dom) == 7, "%s %s", avg, dom);
    json_t *pal = json_object_get(rec, "palette");
    cr_assert(json_array_size(pal) >= 2 && json_array_size(pal) <= 5, "palette of %zu",
              json_array_size(pal));
    double total = 0, prev = 1;
    size_t i;
    json_t *sw;
    json_array_foreach(pal, i, sw) {
        double share = json_real_value(json_object_get(sw, "share"));
        cr_expect_leq(share, prev, "palette not largest first");
        prev = share;
        total += share;
    }
    cr_expect_float_eq(total, 1.0, 0.01);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(pal, 0), "colour")), dom);
    cr_expect_eq(strlen(ds_str(rec, "hash", "dhash")), 16);
    cr_expect_eq(strlen(ds_str(rec, "hash", "phash")), 16);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(rec, "decode"), "decodes")), 1);
    json_t *t = json_object_get(rec, "timings_ms");
    static const char *const parts[] = { "describe.scale", "describe.blurhash",
                                         "describe.thumbhash", "describe.lqip",
                                         "describe.colours", "describe.hashes" };
    for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
        cr_expect(json_is_number(json_object_get(t, parts[k])), "no timing %s", parts[k]);
    json_decref(rec);

    /* each part switches off */
    ds_run("  - resize: { width: 400 }\n  - describe: { blurhash: false, thumbhash: false, "
           "lqip: false, colours: false, hashes: false }\n", "a.jpg");
    rec = ds_record("a.jpg");
    cr_expect_null(json_object_get(rec, "placeholder"));
    cr_expect_null(json_object_get(rec, "hash"));
    json_decref(rec);
    free(in);
}

/* The npm encoders, given the pixels the stage hashed, give our strings;
 * our strings decode close to the source and further from another photo. */
Test(describe, npm_encoders_agree_and_decode_close)
{
    char *node_mod = tu_strf("%s/tests/servers/node_modules/thumbhash", tu_src());
    bool have_node = access("/usr/bin/node", X_OK) == 0 && access(node_mod, R_OK) == 0;
    free(node_mod);
    if (!have_node)
        cr_skip_test("no /usr/bin/node or no tests/servers/node_modules");
    char *a = tu_strf("%s/a.png", ds_dir), *b = tu_strf("%s/b.png", ds_dir);
    cr_assert_eq(tu_make_scene(a, 400, 300, 1, 0), 0);
    cr_assert_eq(tu_runf(NULL, NULL, "vips flip '%s' '%s' vertical", a, b), 0);
    ds_run("", "a.png b.png");
    char *raw_a = tu_strf("%s/a.raw", ds_dir), *raw_b = tu_strf("%s/b.raw", ds_dir);
    json_t *pa = ds_probe(a, raw_a), *pb = ds_probe(b, raw_b);
    json_t *rec = ds_record("a.png");
    /* the stage and the probe: the same code on the same pixels */
    cr_expect_str_eq(ds_str(rec, "placeholder", "blurhash"),
                     json_string_value(json_object_get(pa, "blurhash")));
    cr_expect_str_eq(ds_str(rec, "placeholder", "thumbhash"),
                     json_string_value(json_object_get(pa, "thumbhash")));
    cr_expect_str_eq(ds_str(rec, "hash", "phash"), json_string_value(json_object_get(pa, "phash")));
    int w = (int)json_integer_value(json_object_get(pa, "width"));
    int h = (int)json_integer_value(json_object_get(pa, "height"));
    const char *bh = json_string_value(json_object_get(pa, "blurhash"));
    const char *th = json_string_value(json_object_get(pa, "thumbhash"));
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s/tests/servers' && /usr/bin/node crosscheck.js '%s' %d %d "
                     "'%s' 4 3 '%s'", tu_src(), raw_a, w, h, bh, th);
    cr_assert_eq(rc, 0, "crosscheck: %s", err);
    json_t *npm = json_loads(out, 0, NULL);
    cr_assert_not_null(npm, "%s", out);
    cr_expect_str_eq(json_string_value(json_object_get(npm, "blurhash")), bh);
    cr_expect_str_eq(json_string_value(json_object_get(npm, "thumbhash")), th);
    double bd = json_number_value(json_object_get(npm, "blurhash_decoded_mean_diff"));
    double td = json_number_value(json_object_get(npm, "thumbhash_decoded_mean_diff"));
    cr_log_info("decoded mean difference to the source (0..255): blurhash %.1f, thumbhash %.1f",
                bd, td);
    cr_expect_lt(bd, 40, "blurhash decodes %.1f away", bd);
    cr_expect_lt(td, 35, "thumbhash decodes %.1f away", td);
    free(out);
    free(err);
    /* against the other (flipped) image, the same strings decode further */
    rc = tu_runf(&out, &err, "cd '%s/tests/servers' && /usr/bin/node crosscheck.js '%s' %d %d "
                 "'%s' 4 3 '%s'", tu_src(), raw_b, w, h, bh, th);
    cr_assert_eq(rc, 0, "crosscheck: %s", err);
    json_t *other = json_loads(out, 0, NULL);
    cr_expect_gt(json_number_value(json_object_get(other, "blurhash_decoded_mean_diff")), bd);
    cr_expect_gt(json_number_value(json_object_get(other, "thumbhash_decoded_mean_diff")), td);
    json_decref(other);
    json_decref(npm);
    json_decref(rec);
    json_decref(pa);
    json_decref(pb);
    free(out);
    free(err);
    free(raw_a);
    free(raw_b);
    free(a);
    free(b);
}

/* Distinct photographs of the corpus.  Left out: low-contrast.jpg and
 * libvips' rotation/1.jpg, which are 2569067123 and Portrait_1 again (the
 * test below finds them as near-duplicates), and gamma_dalai_lama_gray,
 * a pattern built to change when scaled without linear light. */
static const char *const ds_photos[] = {
    "sharp/2569067123_aca715a2ee_o.jpg", "sharp/Landscape_1.jpg", "sharp/Portrait_1.jpg",
    "sharp/Landscape_9.jpg", "sharp/Channel_digital_image_CMYK_color.jpg", "sharp/concert.jpg",
    "sharp/320x240.jpg", "libvips/sample.jpg", "exif-samples/jpg/gps/DSCN0010.jpg",
    "exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg", "exif-samples/jpg/mobile/jolla.jpg",
    "sharp/4.webp", "libvips/1.webp", "sharp/Crash_test.gif",
};
#define DS_N (sizeof ds_photos / sizeof *ds_photos)

Test(describe, phash_finds_half_size_copies_and_tells_photos_apart)
{
    char keys[DS_N][32];
    char *first = ds_corpus(ds_photos[0]);
    if (!first)
        cr_skip_test("no ../shared/corpus beside the source tree");
    free(first);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s/photos/orig' '%s/photos/half'", ds_dir, ds_dir), 0);
    for (size_t i = 0; i < DS_N; i++) {
        char *src = ds_corpus(ds_photos[i]);
        cr_assert_not_null(src, "%s missing", ds_photos[i]);
        snprintf(keys[i], sizeof keys[i], "p%02zu.jpg", i);
        cr_assert_eq(tu_runf(NULL, NULL, "vips copy '%s' '%s/photos/orig/%s[Q=95]' && "
                             "vips resize '%s' '%s/photos/half/%s[Q=60]' 0.5", src, ds_dir, keys[i], src,
                             ds_dir, keys[i]), 0, "%s", src);
        free(src);
    }
    /* the corpus' own second copies of two photos */
    char *lc = ds_corpus("sharp/low-contrast.jpg"), *r1 = ds_corpus("libvips/rotation/1.jpg");
    cr_assert(lc && r1);
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s' '%s/photos/orig/lc.jpg' && cp '%s' '%s/photos/orig/r1.jpg'", lc,
                         ds_dir, r1, ds_dir), 0);
    free(lc);
    free(r1);
    ds_run("", "photos");
    char ph[DS_N][17];
    int worst_copy = 0, nearest = 64;
    char dist[4096] = "";
    for (size_t i = 0; i < DS_N; i++) {
        char *ok = tu_strf("orig/%s", keys[i]), *hk = tu_strf("half/%s", keys[i]);
        json_t *o = ds_record(ok);
        json_t *hf = ds_record(hk);
        snprintf(ph[i], sizeof ph[i], "%s", ds_str(o, "hash", "phash"));
        int d = ds_hamming(ph[i], ds_str(hf, "hash", "phash"));
        cr_expect_leq(d, 6, "%s: its half-size Q60 copy is %d bits away", ds_photos[i], d);
        if (d > worst_copy)
            worst_copy = d;
        json_decref(o);
        json_decref(hf);
        free(ok);
        free(hk);
    }
    int hist[65] = { 0 };
    for (size_t i = 0; i < DS_N; i++)
        for (size_t j = i + 1; j < DS_N; j++) {
            int d = ds_hamming(ph[i], ph[j]);
            hist[d]++;
            cr_expect_geq(d, 16, "%s and %s are only %d bits apart", ds_photos[i], ds_photos[j],
                          d);
            if (d < nearest)
                nearest = d;
        }
    for (int d = 0; d <= 64; d++)
        if (hist[d]) {
            size_t n = strlen(dist);
            snprintf(dist + n, sizeof dist - n, " %d:%d", d, hist[d]);
        }
    cr_log_info("pHash: half-size Q60 copies within %d bits; different photos at least %d bits "
                "apart; pairs by distance (bits:pairs):%s", worst_copy, nearest, dist);
    json_t *lcr = ds_record("orig/lc.jpg"), *r1r = ds_record("orig/r1.jpg");
    cr_expect_leq(ds_hamming(ds_str(lcr, "hash", "phash"), ph[0]), 6,
                  "low-contrast.jpg is 2569067123 again");
    cr_expect_leq(ds_hamming(ds_str(r1r, "hash", "phash"), ph[2]), 6,
                  "rotation/1.jpg is Portrait_1 again");
    json_decref(lcr);
    json_decref(r1r);
}

Test(describe, transparent_image_has_placeholders_but_no_colours)
{
    char *in = tu_strf("%s/clear.png", ds_dir);
    cr_assert_eq(tu_runf(NULL, NULL, "vips black '%s/t.v' 40 30 --bands 4 && vips copy '%s/t.v' "
                         "'%s' --interpretation srgb", ds_dir, ds_dir, in), 0);
    ds_run("", "clear.png");
    json_t *rec = ds_record("clear.png");
    cr_expect_str_eq(json_string_value(json_object_get(rec, "status")), "ok");
    cr_expect_not_null(json_object_get(json_object_get(rec, "placeholder"), "blurhash"));
    cr_expect_null(json_object_get(rec, "colour"));
    cr_expect_null(json_object_get(rec, "palette"));
    char *notes = json_dumps(json_object_get(rec, "notes"), 0);
    cr_expect(notes && strstr(notes, "no pixel is half opaque"), "notes: %s", notes);
    free(notes);
    json_decref(rec);
    free(in);
}
