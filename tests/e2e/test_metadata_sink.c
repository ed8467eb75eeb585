/* metadata-sink end to end: the record read back from out/metadata.db
 * (SQLite C API, JSON through jansson) for images made here with EXIF
 * fields and crafted ICC profiles, for failed jobs, for the options, and
 * for corpus files when ../shared/corpus is present.  The ICC parser is
 * reached only through files (tests link libpixcore.a, not plugins), so
 * every crafted profile rides in a JPEG's APP2 markers; the SAN build runs
 * the same tests under ASan/UBSan. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vips/vips.h>

#include "testutil.h"

static char *ms_dir;

static void ms_setup(void)
{
    ms_dir = tu_tmpdir();
    cr_assert_not_null(ms_dir);
}

static void ms_teardown(void)
{
    tu_rmrf(ms_dir);
    free(ms_dir);
}

TestSuite(metadata_sink, .init = ms_setup, .fini = ms_teardown, .timeout = 120);

static char *ms_at(const char *rel)
{
    return tu_strf("%s/%s", ms_dir, rel);
}

/* pipe.yaml with resize and metadata-sink given `sink` as its options. */
static void ms_pipeline(const char *sink)
{
    char *yaml = tu_strf("name: sink-test\n"
                         "destination: { storage: fs, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
                         "metadata: { backend: sqlite, path: ./out/metadata.db }\n"
                         "output: { rendition: main, format: jpeg, quality: 80 }\n"
                         "stages:\n"
                         "  - resize: { width: 64 }\n"
                         "  - metadata-sink: %s\n",
                         sink);
    char *path = ms_at("pipe.yaml");
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(yaml);
    free(path);
}

/* Runs pixpipe on args from ms_dir; returns the exit status. */
static int ms_run(const char *args)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -p pipe.yaml %s", ms_dir, tu_pixpipe(),
                     args);
    if (rc != 0)
        cr_log_info("pixpipe %s: exit %d\n%s%s", args, rc, out ? out : "", err ? err : "");
    free(out);
    free(err);
    return rc;
}

/* The record stored for source_key, parsed; caller json_decref()s. */
static json_t *ms_record(const char *key)
{
    char *path = ms_at("out/metadata.db");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    json_error_t jerr;

    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK,
                 "cannot open %s", path);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT record FROM images WHERE source_key = ?1", -1,
                                    &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no row for %s", key);
    json_t *rec = json_loads((const char *)sqlite3_column_text(st, 0), 0, &jerr);
    cr_assert_not_null(rec, "record of %s is not JSON: %s", key, jerr.text);
    cr_assert(json_is_object(rec));
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    return rec;
}

static const char *ms_str(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

static json_int_t ms_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_integer(v), "%s is not an integer", key);
    return json_integer_value(v);
}

static double ms_num(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_number(v), "%s is not a number", key);
    return json_number_value(v);
}

static json_t *ms_obj(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    cr_assert(json_is_object(v), "%s is not an object", key);
    return v;
}

static bool ms_has(json_t *obj, const char *key)
{
    return json_object_get(obj, key) != NULL;
}

/* `sha256sum FILE`'s digest. */
static char *ms_sha256sum(const char *path)
{
    char *out = NULL;
    cr_assert_eq(tu_runf(&out, NULL, "sha256sum '%s'", path), 0);
    cr_assert(strlen(out) >= 64);
    out[64] = '\0';
    return out;
}

/* A w x h JPEG at rel (photo-like pixels from tu_make_image) with the
 * given string fields set through libvips and an orientation when > 0. */
static void ms_make_jpeg(const char *rel, int w, int h, const char *const *fields, int orientation)
{
    char *base = ms_at("base.png"), *path = ms_at(rel);
    cr_assert_eq(tu_make_image(base, w, h), 0);
    VipsImage *in = vips_image_new_from_file(base, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
    VipsImage *im = NULL;
    cr_assert_not_null(in, "%s", vips_error_buffer());
    cr_assert_eq(vips_copy(in, &im, NULL), 0);
    for (size_t i = 0; fields && fields[i]; i += 2)
        vips_image_set_string(im, fields[i], fields[i + 1]);
    if (orientation > 0)
        vips_image_set_int(im, VIPS_META_ORIENTATION, orientation);
    cr_assert_eq(vips_jpegsave(im, path, "strip", fields == NULL, NULL), 0, "%s",
                 vips_error_buffer());
    g_object_unref(im);
    g_object_unref(in);
    unlink(base);
    free(base);
    free(path);
}

/* A JPEG at rel carrying icc (len bytes) as its ICC profile, spliced in as
 * one APP2 "ICC_PROFILE" marker right after SOI: libvips' jpegsave checks a
 * profile with lcms and drops a broken one, and broken ones are the point. */
static void ms_make_icc_jpeg(const char *rel, const unsigned char *icc, size_t len)
{
    char *path = ms_at(rel);
    size_t jlen = 0;
    ms_make_jpeg(rel, 24, 16, NULL, 0);
    char *jpeg = tu_read_file(path, &jlen);
    cr_assert(jpeg && jlen > 2 && len <= 65000);
    size_t seg = 2 + 12 + 2 + len, out_len = jlen + 2 + seg;
    unsigned char *out = malloc(out_len);
    cr_assert_not_null(out);
    memcpy(out, jpeg, 2); /* SOI */
    unsigned char *p = out + 2;
    *p++ = 0xFF;
    *p++ = 0xE2;
    *p++ = (unsigned char)(seg >> 8);
    *p++ = (unsigned char)seg;
    memcpy(p, "ICC_PROFILE", 12); /* with its NUL */
    p += 12;
    *p++ = 1; /* marker 1 of 1 */
    *p++ = 1;
    memcpy(p, icc, len);
    memcpy(p + len, jpeg + 2, jlen - 2);
    cr_assert_eq(tu_write_file(path, (const char *)out, out_len), 0);
    free(out);
    free(jpeg);
    free(path);
}

static const char *const ms_camera[] = {
    "exif-ifd0-Make", "TestMake",
    "exif-ifd0-Model", "Model (X) 2", /* " (" inside the value itself */
    "exif-ifd2-LensModel", "EF 50mm f/1.8",
    "exif-ifd2-DateTimeOriginal", "2021:03:04 05:06:07",
    "exif-ifd2-ExposureTime", "1/250",
    "exif-ifd2-FNumber", "28/10",
    "exif-ifd2-ISOSpeedRatings", "400",
    "exif-ifd3-GPSLatitudeRef", "S",
    "exif-ifd3-GPSLatitude", "33/1 51/1 3540/100",
    "exif-ifd3-GPSLongitudeRef", "W",
    "exif-ifd3-GPSLongitude", "70/1 40/1 30/1",
    "exif-ifd3-GPSAltitude", "5204/10",
    NULL,
};

Test(metadata_sink, record_of_a_camera_jpeg_made_here)
{
    /* stored 80x60 with orientation 6: upright it is 60x80 */
    ms_make_jpeg("cam.jpg", 80, 60, ms_camera, 6);
    ms_pipeline("{}");
    cr_assert_eq(ms_run("cam.jpg"), 0);

    json_t *rec = ms_record("cam.jpg");
    char *path = ms_at("cam.jpg");
    char *sum = ms_sha256sum(path);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);

    cr_expect_str_eq(ms_str(rec, "pipeline"), "sink-test");
    cr_expect_str_eq(ms_str(rec, "status"), "ok");
    cr_expect(!ms_has(rec, "error"), "error on an ok job");
    cr_expect_str_eq(ms_str(rec, "format"), "jpeg");
    cr_expect_eq(ms_int(rec, "width"), 60);
    cr_expect_eq(ms_int(rec, "height"), 80);
    cr_expect_eq(ms_int(rec, "orientation"), 6);
    cr_expect_eq(ms_int(rec, "pages"), 1);
    cr_expect(json_is_false(json_object_get(rec, "alpha")));
    cr_expect_str_eq(ms_str(rec, "colour_space"), "srgb");
    cr_expect_eq(ms_int(rec, "source_bytes"), (json_int_t)sb.st_size);
    cr_expect_str_eq(ms_str(rec, "sha256"), sum);
    cr_expect_str_eq(ms_str(rec, "content_type"), "image/jpeg");
    cr_expect(ms_has(rec, "processed_at"));

    json_t *exif = ms_obj(rec, "exif");
    cr_expect_str_eq(ms_str(exif, "make"), "TestMake");
    cr_expect_str_eq(ms_str(exif, "model"), "Model (X) 2");
    cr_expect_str_eq(ms_str(exif, "lens"), "EF 50mm f/1.8");
    cr_expect_str_eq(ms_str(exif, "date_taken"), "2021-03-04T05:06:07");
    cr_expect_float_eq(ms_num(exif, "exposure_time"), 0.004, 1e-9);
    cr_expect_float_eq(ms_num(exif, "f_number"), 2.8, 1e-9);
    cr_expect_eq(ms_int(exif, "iso"), 400);
    cr_expect(!ms_has(rec, "gps"), "GPS recorded without include_gps");

    json_t *r0 = json_array_get(json_object_get(rec, "renditions"), 0);
    cr_assert(json_is_object(r0), "no rendition listed");
    cr_expect_str_eq(ms_str(r0, "key"), "cam-main.jpg");
    cr_expect_eq(ms_int(r0, "width"), 60);
    cr_expect_eq(ms_int(r0, "height"), 80);

    json_t *t = ms_obj(rec, "timings_ms");
    const char *steps[] = { "fetch", "header", "decode", "resize", "encode", "store" };
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        cr_expect(json_is_number(json_object_get(t, steps[i])), "no timing for %s", steps[i]);

    json_decref(rec);

    /* metadata-sqlite's columns follow the record: upright, not as stored */
    char *dbpath = ms_at("out/metadata.db");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT width, height, format, source_bytes FROM images "
                                    "WHERE source_key = 'cam.jpg'", -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(st, 0), 60);
    cr_expect_eq(sqlite3_column_int(st, 1), 80);
    cr_expect_str_eq((const char *)sqlite3_column_text(st, 2), "jpeg");
    cr_expect_eq(sqlite3_column_int64(st, 3), (sqlite3_int64)sb.st_size);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(dbpath);
    free(sum);
    free(path);
}

Test(metadata_sink, gps_only_when_asked_in_decimal_degrees)
{
    ms_make_jpeg("cam.jpg", 40, 30, ms_camera, 0);
    ms_pipeline("{ include_gps: true }");
    cr_assert_eq(ms_run("cam.jpg"), 0);
    json_t *rec = ms_record("cam.jpg");
    json_t *gps = ms_obj(rec, "gps");
    /* 33 51' 35.40" S, 70 40' 30" W, 520.4 m */
    cr_expect_float_eq(ms_num(gps, "latitude"), -(33 + 51 / 60.0 + 35.4 / 3600.0), 1e-6);
    cr_expect_float_eq(ms_num(gps, "longitude"), -(70 + 40 / 60.0 + 30 / 3600.0), 1e-6);
    cr_expect_float_eq(ms_num(gps, "altitude"), 520.4, 1e-6);
    json_decref(rec);
}

Test(metadata_sink, exif_option_chooses_fields)
{
    ms_make_jpeg("cam.jpg", 40, 30, ms_camera, 0);
    ms_pipeline("{ exif: [make, iso], include_timings: false, sha256: false }");
    cr_assert_eq(ms_run("cam.jpg"), 0);
    json_t *rec = ms_record("cam.jpg");
    json_t *exif = ms_obj(rec, "exif");
    cr_expect_eq(json_object_size(exif), 2, "exif holds %zu fields", json_object_size(exif));
    cr_expect_str_eq(ms_str(exif, "make"), "TestMake");
    cr_expect_eq(ms_int(exif, "iso"), 400);
    cr_expect(!ms_has(rec, "timings_ms"), "timings with include_timings: false");
    cr_expect(!ms_has(rec, "sha256"), "sha256 with sha256: false");
    json_decref(rec);

    ms_pipeline("{ exif: [] }");
    cr_assert_eq(ms_run("cam.jpg"), 0);
    rec = ms_record("cam.jpg");
    cr_expect(!ms_has(rec, "exif"), "exif recorded with exif: []");
    json_decref(rec);
}

/* libvips keeps each parsed field in 256 bytes, so a long value loses the
 * tail the split relies on; a value of spaces is no value. */
Test(metadata_sink, long_and_blank_exif_values)
{
    char lens[200];
    memset(lens, 'L', sizeof lens - 1);
    lens[sizeof lens - 1] = '\0';
    memcpy(lens, "Long (lens) ", 12);
    const char *const fields[] = { "exif-ifd2-LensModel", lens, "exif-ifd0-Model", "   ",
                                   "exif-ifd0-Make", "Acme", NULL };
    ms_make_jpeg("long.jpg", 32, 32, fields, 0);
    ms_pipeline("{}");
    cr_assert_eq(ms_run("long.jpg"), 0);
    json_t *rec = ms_record("long.jpg");
    json_t *exif = ms_obj(rec, "exif");
    cr_expect_str_eq(ms_str(exif, "lens"), lens);
    cr_expect_str_eq(ms_str(exif, "make"), "Acme");
    cr_expect(!ms_has(exif, "model"), "a blank model recorded");
    json_decref(rec);
}

Test(metadata_sink, unknown_exif_field_is_refused)
{
    char *err = NULL;
    ms_pipeline("{ exif: [make, shutter] }");
    int rc = tu_runf(NULL, &err, "cd '%s' && '%s' validate -p pipe.yaml", ms_dir, tu_pixpipe());
    cr_expect_neq(rc, 0, "an unknown exif field was accepted");
    cr_expect(strstr(err, "shutter") && strstr(err, "exif"), "stderr: %s", err);
    free(err);
}

Test(metadata_sink, image_without_exif_has_no_exif_object)
{
    char *p = ms_at("plain.png");
    cr_assert_eq(tu_make_image(p, 50, 40), 0);
    ms_pipeline("{ include_gps: true }");
    cr_assert_eq(ms_run("plain.png"), 0);
    json_t *rec = ms_record("plain.png");
    cr_expect_str_eq(ms_str(rec, "format"), "png");
    cr_expect_eq(ms_int(rec, "width"), 50);
    cr_expect_eq(ms_int(rec, "height"), 40);
    cr_expect_eq(ms_int(rec, "orientation"), 1);
    cr_expect(!ms_has(rec, "exif") && !ms_has(rec, "gps") && !ms_has(rec, "icc_profile"),
              "metadata invented for a bare PNG");
    json_decref(rec);
    free(p);
}

/* A job that fails before its header is read has what is known (source,
 * bytes, hash, error) and no dimensions; a missing object not even bytes. */
Test(metadata_sink, failed_jobs_record_what_is_known)
{
    static const char junk[] = "\xff\xd8\xff\xe0 this is not the rest of a JPEG file at all";
    char *bad = ms_at("bad.jpg");
    cr_assert_eq(tu_write_file(bad, junk, sizeof junk - 1), 0);
    ms_pipeline("{}");
    cr_assert_neq(ms_run("bad.jpg missing.jpg"), 0);

    json_t *rec = ms_record("bad.jpg");
    char *sum = ms_sha256sum(bad);
    cr_expect_str_eq(ms_str(rec, "status"), "failed");
    cr_expect(strlen(ms_str(rec, "error")) > 0);
    cr_expect_eq(ms_int(rec, "source_bytes"), (json_int_t)(sizeof junk - 1));
    cr_expect_str_eq(ms_str(rec, "sha256"), sum);
    const char *absent[] = { "format", "width", "height", "pages", "orientation", "alpha",
                             "colour_space", "exif", "renditions" };
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
        cr_expect(!ms_has(rec, absent[i]), "%s recorded for an unreadable file", absent[i]);
    json_decref(rec);

    rec = ms_record("missing.jpg");
    cr_expect_str_eq(ms_str(rec, "status"), "failed");
    cr_expect(strstr(ms_str(rec, "error"), "missing.jpg"), "error: %s", ms_str(rec, "error"));
    cr_expect(!ms_has(rec, "source_bytes") && !ms_has(rec, "sha256") && !ms_has(rec, "width"),
              "facts recorded for an object never read");
    json_decref(rec);

    /* the SQL columns are NULL, not 0 */
    char *path = ms_at("out/metadata.db");
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM images WHERE width IS NULL AND "
                                    "height IS NULL AND format IS NULL AND status = 'failed'",
                                    -1, &st, NULL),
                 SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_expect_eq(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    free(sum);
    free(bad);
}

/* ------------------------------------------------------ crafted profiles */

typedef struct ms_buf {
    unsigned char b[2048];
    size_t len;
} ms_buf;

static void ms_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A profile header (version major.minor, RGB display) and a tag table of
 * one 'desc' entry pointing at the tag bytes placed right after it. */
static void ms_icc(ms_buf *o, int major, const unsigned char *tag, size_t tag_len)
{
    memset(o, 0, sizeof *o);
    o->b[8] = (unsigned char)major;
    o->b[9] = 0x10;
    memcpy(o->b + 12, "mntrRGB XYZ ", 12);
    memcpy(o->b + 36, "acsp", 4);
    ms_be32(o->b + 128, 1);
    memcpy(o->b + 132, "desc", 4);
    ms_be32(o->b + 136, 144);
    ms_be32(o->b + 140, (uint32_t)tag_len);
    cr_assert(144 + tag_len <= sizeof o->b);
    memcpy(o->b + 144, tag, tag_len);
    o->len = 144 + tag_len;
    ms_be32(o->b, (uint32_t)o->len);
}

/* v2 textDescriptionType with ASCII text (count includes the NUL). */
static size_t ms_desc_v2(unsigned char *t, const char *ascii)
{
    size_t n = strlen(ascii) + 1;
    memset(t, 0, 12 + n + 8 + 67);
    memcpy(t, "desc", 4);
    ms_be32(t + 8, (uint32_t)n);
    memcpy(t + 12, ascii, n);
    return 12 + n + 8 + 67; /* empty Unicode part, ScriptCode */
}

/* v4 mluc with two records: utf16 (bytes, big-endian) first, then "en". */
static size_t ms_desc_mluc(unsigned char *t, const unsigned char *utf16, size_t n)
{
    static const unsigned char second[] = { 0, 'S', 0, 'e', 0, 'c', 0, 'o', 0, 'n', 0, 'd' };
    memset(t, 0, 16 + 24 + n + sizeof second);
    memcpy(t, "mluc", 4);
    ms_be32(t + 8, 2);
    ms_be32(t + 12, 12);
    memcpy(t + 16, "deDE", 4);
    ms_be32(t + 20, (uint32_t)n);
    ms_be32(t + 24, 40);
    memcpy(t + 28, "enUS", 4);
    ms_be32(t + 32, sizeof second);
    ms_be32(t + 36, (uint32_t)(40 + n));
    memcpy(t + 40, utf16, n);
    memcpy(t + 40 + n, second, sizeof second);
    return 40 + n + sizeof second;
}

typedef struct ms_case {
    const char *name;
    ms_buf icc;
    const char *want; /* the description, NULL: none (and a note) */
} ms_case;

/* "Ünïcødé 😀 P3" in UTF-16BE, the emoji as a surrogate pair */
static const unsigned char ms_u16[] = { 0x00, 0xDC, 0x00, 'n', 0x00, 0xEF, 0x00, 'c', 0x00, 0xF8,
                                        0x00, 'd',  0x00, 0xE9, 0x00, ' ', 0xD8, 0x3D, 0xDE, 0x00,
                                        0x00, ' ',  0x00, 'P',  0x00, '3' };

static size_t ms_cases(ms_case *c)
{
    unsigned char t[1024];
    size_t n = 0, len;

    c[n] = (ms_case){ .name = "v2", .want = "Crafted v2 Profile" };
    ms_icc(&c[n++].icc, 2, t, ms_desc_v2(t, "Crafted v2 Profile"));

    c[n] = (ms_case){ .name = "v4", .want = "\xC3\x9Cn\xC3\xAF" "c\xC3\xB8" "d\xC3\xA9 "
                                            "\xF0\x9F\x98\x80 P3" };
    ms_icc(&c[n++].icc, 4, t, ms_desc_mluc(t, ms_u16, sizeof ms_u16));

    /* Latin-1 in the ASCII field: made valid UTF-8, not passed through */
    c[n] = (ms_case){ .name = "latin1", .want = "Caf\xEF\xBF\xBD RGB" };
    ms_icc(&c[n++].icc, 2, t, ms_desc_v2(t, "Caf\xE9 RGB"));

    /* an unpaired high surrogate becomes U+FFFD */
    static const unsigned char lone[] = { 0x00, 'A', 0xD8, 0x3D, 0x00, 'B' };
    c[n] = (ms_case){ .name = "lone-surrogate", .want = "A\xEF\xBF\xBD" "B" };
    ms_icc(&c[n++].icc, 4, t, ms_desc_mluc(t, lone, sizeof lone));

    /* the blob cut inside the desc text */
    c[n] = (ms_case){ .name = "truncated" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "A description cut short by a truncated file"));
    c[n++].icc.len = 144 + 20;

    /* cut inside the tag table itself */
    c[n] = (ms_case){ .name = "truncated-table" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "Never reached"));
    c[n++].icc.len = 136;

    /* the tag table claims 0xffffffff entries; the blob holds one */
    c[n] = (ms_case){ .name = "lying-count", .want = "Counted wrong" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "Counted wrong"));
    ms_be32(c[n++].icc.b + 128, 0xFFFFFFFFu);

    /* desc offset far past the end */
    c[n] = (ms_case){ .name = "lying-offset" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "Offset lies"));
    ms_be32(c[n++].icc.b + 136, 0xFFFFFFF0u);

    /* desc size so large offset + size wraps around 32 bits */
    c[n] = (ms_case){ .name = "lying-size" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "Size lies"));
    ms_be32(c[n++].icc.b + 140, 0xFFFFFFFFu);

    /* the ASCII count runs past the tag */
    c[n] = (ms_case){ .name = "lying-ascii-count" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "ASCII count lies"));
    ms_be32(c[n++].icc.b + 144 + 8, 0x7FFFFFFFu);

    /* the first mluc record's string lies outside the tag */
    c[n] = (ms_case){ .name = "lying-mluc-offset" };
    len = ms_desc_mluc(t, ms_u16, sizeof ms_u16);
    ms_be32(t + 24, 0xFFFFFF00u);
    ms_icc(&c[n++].icc, 4, t, len);

    c[n] = (ms_case){ .name = "lying-mluc-length" };
    len = ms_desc_mluc(t, ms_u16, sizeof ms_u16);
    ms_be32(t + 20, 0xFFFFFFFFu);
    ms_icc(&c[n++].icc, 4, t, len);

    c[n] = (ms_case){ .name = "mluc-no-records" };
    len = ms_desc_mluc(t, ms_u16, sizeof ms_u16);
    ms_be32(t + 8, 0);
    ms_icc(&c[n++].icc, 4, t, len);

    /* an mluc tag too short for its one record */
    c[n] = (ms_case){ .name = "mluc-short" };
    len = ms_desc_mluc(t, ms_u16, sizeof ms_u16);
    ms_icc(&c[n].icc, 4, t, len);
    ms_be32(c[n++].icc.b + 140, 20);

    /* no 'acsp': not a profile at all */
    c[n] = (ms_case){ .name = "no-signature" };
    ms_icc(&c[n].icc, 2, t, ms_desc_v2(t, "No signature"));
    memcpy(c[n++].icc.b + 36, "xxxx", 4);

    c[n] = (ms_case){ .name = "tiny" };
    memcpy(c[n].icc.b, "tiny", 4);
    c[n++].icc.len = 4;
    return n;
}

Test(metadata_sink, icc_descriptions_from_crafted_profiles)
{
    ms_case cases[32];
    size_t n = ms_cases(cases);
    char *args = tu_strf("%s", "");

    for (size_t i = 0; i < n; i++) {
        char *rel = tu_strf("icc-%s.jpg", cases[i].name);
        ms_make_icc_jpeg(rel, cases[i].icc.b, cases[i].icc.len);
        char *more = tu_strf("%s %s", args, rel);
        free(args);
        args = more;
        free(rel);
    }
    ms_pipeline("{}");
    cr_assert_eq(ms_run(args), 0, "a crafted profile failed a job");

    for (size_t i = 0; i < n; i++) {
        char *key = tu_strf("icc-%s.jpg", cases[i].name);
        json_t *rec = ms_record(key);
        cr_assert(json_is_object(json_object_get(rec, "icc_profile")), "%s: no icc_profile", key);
        json_t *icc = ms_obj(rec, "icc_profile");
        cr_expect_eq(ms_int(icc, "bytes"), (json_int_t)cases[i].icc.len, "%s: bytes", key);
        json_t *desc = json_object_get(icc, "description");
        if (cases[i].want) {
            cr_expect(json_is_string(desc) && strcmp(json_string_value(desc), cases[i].want) == 0,
                      "%s: description '%s', expected '%s'", key,
                      json_is_string(desc) ? json_string_value(desc) : "(none)", cases[i].want);
        } else {
            cr_expect(!desc, "%s: description '%s' from a corrupt profile", key,
                      json_string_value(desc));
            json_t *notes = json_object_get(rec, "notes");
            cr_expect(json_is_array(notes) && json_array_size(notes) >= 1 &&
                          strstr(json_string_value(json_array_get(notes, 0)), "ICC profile"),
                      "%s: no note on the unreadable profile", key);
        }
        if (strcmp(cases[i].name, "v4") == 0) {
            cr_expect_str_eq(ms_str(icc, "version"), "4.1");
            cr_expect_str_eq(ms_str(icc, "colour_space"), "RGB");
            cr_expect_str_eq(ms_str(icc, "device_class"), "mntr");
        }
        json_decref(rec);
        free(key);
    }
    free(args);
}

/* ---------------------------------------------------------------- corpus */

static char *ms_corpus(const char *rel)
{
    char *p = tu_strf("%s/../shared/corpus/images/%s", tu_src(), rel);
    if (!tu_exists(p)) {
        free(p);
        cr_skip_test("corpus file %s is absent", rel);
    }
    return p;
}

Test(metadata_sink, corpus_records)
{
    char *canon = ms_corpus("exif-samples/jpg/Canon_40D.jpg");
    char *nikon = ms_corpus("exif-samples/jpg/gps/DSCN0010.jpg");
    char *a98 = ms_corpus("libvips/sample.jpg");
    char *land6 = ms_corpus("sharp/Landscape_6.jpg");
    char *land9 = ms_corpus("sharp/Landscape_9.jpg");
    char *gif = ms_corpus("sharp/animated-loop-3.gif");
    char *cmyk = ms_corpus("sharp/Channel_digital_image_CMYK_color.jpg");
    char *broken = ms_corpus("sharp/corrupt-header.jpg");
    char *args = tu_strf("'%s' '%s' '%s' '%s' '%s' '%s' '%s' '%s'", canon, nikon, a98, land6,
                         land9, gif, cmyk, broken);

    ms_pipeline("{}");
    cr_assert_neq(ms_run(args), 0, "corrupt-header.jpg did not fail");

    json_t *rec = ms_record("Canon_40D.jpg");
    json_t *exif = ms_obj(rec, "exif");
    cr_expect_str_eq(ms_str(exif, "make"), "Canon");
    cr_expect_str_eq(ms_str(exif, "model"), "Canon EOS 40D");
    cr_expect_str_eq(ms_str(exif, "date_taken"), "2008-05-30T15:56:01");
    cr_expect_float_eq(ms_num(exif, "exposure_time"), 1.0 / 160, 1e-9);
    cr_expect_float_eq(ms_num(exif, "f_number"), 7.1, 1e-9);
    cr_expect_eq(ms_int(exif, "iso"), 100);
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "description"), "sRGB IEC61966-2.1");
    char *sum = ms_sha256sum(canon);
    cr_expect_str_eq(ms_str(rec, "sha256"), sum);
    free(sum);
    json_decref(rec);

    rec = ms_record("DSCN0010.jpg");
    cr_expect(!ms_has(rec, "gps"), "GPS recorded without include_gps");
    cr_expect_str_eq(ms_str(ms_obj(rec, "exif"), "make"), "NIKON");
    json_decref(rec);

    /* exiftool: ProfileDescription "Artifex Software A98 ICC Profile" (v2 desc) */
    rec = ms_record("sample.jpg");
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "description"),
                     "Artifex Software A98 ICC Profile");
    json_decref(rec);

    rec = ms_record("Landscape_6.jpg");
    cr_expect_eq(ms_int(rec, "orientation"), 6);
    cr_expect_eq(ms_int(rec, "width"), 600);
    cr_expect_eq(ms_int(rec, "height"), 450);
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "description"), "Generic RGB Profile");
    json_decref(rec);

    /* exiftool: ProfileDescription "sRGB", ProfileVersion 4.3 (v4 mluc) */
    rec = ms_record("Landscape_9.jpg");
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "description"), "sRGB");
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "version"), "4.3");
    json_decref(rec);

    rec = ms_record("animated-loop-3.gif");
    cr_expect_eq(ms_int(rec, "pages"), 10);
    cr_expect_str_eq(ms_str(rec, "format"), "gif");
    cr_expect_eq(ms_int(rec, "width"), 370);
    cr_expect_eq(ms_int(rec, "height"), 285);
    json_decref(rec);

    rec = ms_record("Channel_digital_image_CMYK_color.jpg");
    cr_expect_str_eq(ms_str(rec, "colour_space"), "cmyk");
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "description"),
                     "U.S. Web Coated (SWOP) v2");
    cr_expect_str_eq(ms_str(ms_obj(rec, "icc_profile"), "colour_space"), "CMYK");
    json_decref(rec);

    rec = ms_record("corrupt-header.jpg");
    cr_expect_str_eq(ms_str(rec, "status"), "failed");
    cr_expect(strlen(ms_str(rec, "error")) > 0);
    cr_expect(!ms_has(rec, "width") && !ms_has(rec, "height"), "dimensions of a broken file");
    json_decref(rec);

    /* and with include_gps the position, as exiftool -n gives it */
    ms_pipeline("{ include_gps: true }");
    char *one = tu_strf("'%s'", nikon);
    cr_assert_eq(ms_run(one), 0);
    rec = ms_record("DSCN0010.jpg");
    json_t *gps = ms_obj(rec, "gps");
    cr_expect_float_eq(ms_num(gps, "latitude"), 43.4674483333333, 1e-4);
    cr_expect_float_eq(ms_num(gps, "longitude"), 11.8851266666639, 1e-4);
    cr_expect(!ms_has(gps, "altitude"), "an altitude the file does not have");
    json_decref(rec);

    free(one);
    free(args);
    free(canon);
    free(nikon);
    free(a98);
    free(land6);
    free(land9);
    free(gif);
    free(cmyk);
    free(broken);
}
