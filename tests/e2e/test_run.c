/* `pixpipe run`, `validate` and the CLI as a user meets them: good inputs
 * processed, bad ones named with their reason, exit status, summary. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include <pixpipe/pixpipe.h>

#include "testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = tu_tmpdir();
    cr_assert_not_null(tmp);
}

static void teardown(void)
{
    tu_rmrf(tmp);
    free(tmp);
}

TestSuite(run, .init = setup, .fini = teardown);

static char *at(const char *rel)
{
    return tu_strf("%s/%s", tmp, rel);
}

static void make(const char *rel, int w, int h)
{
    char *p = at(rel);
    cr_assert_eq(tu_make_image(p, w, h), 0, "cannot make %s", p);
    free(p);
}

static void write_text(const char *rel, const char *text)
{
    char *p = at(rel);
    cr_assert_eq(tu_write_file(p, text, strlen(text)), 0);
    free(p);
}

static void expect_size(const char *rel, int w, int h)
{
    char *p = at(rel);
    int gw = 0, gh = 0;
    cr_assert_eq(tu_image_size(p, &gw, &gh, NULL), 0, "%s missing or unreadable", rel);
    cr_expect(gw == w && gh == h, "%s is %dx%d, expected %dx%d", rel, gw, gh, w, h);
    free(p);
}

/* The acceptance case: one corrupt and one missing input among
 * good ones.  Good ones are written, each bad one is named with its reason,
 * the exit status says something failed. */
Test(run, corrupt_and_missing_inputs_fail_alone)
{
    make("a.jpg", 2000, 1500);
    make("b.png", 800, 1200);
    write_text("corrupt.jpg", "\xff\xd8\xff\xe0 this is not really a jpeg");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run a.jpg corrupt.jpg missing.jpg b.png", tmp,
                     tu_pixpipe());
    cr_expect_eq(rc, 1, "exit status %d\n%s\n%s", rc, out, err);
    cr_expect(strstr(out, "2 processed, 2 failed, 0 skipped\n") != NULL, "%s", out);
    expect_size("out/a-large.jpg", 1600, 1200);
    expect_size("out/b-large.jpg", 800, 1200);
    cr_expect(strstr(err, "failed: corrupt.jpg: ") != NULL, "%s", err);
    cr_expect(strstr(err, "failed: missing.jpg: storage-fs: ") != NULL, "%s", err);
    cr_expect(strstr(err, "No such file or directory") != NULL, "%s", err);
    char *p = at("out/corrupt-large.jpg");
    cr_expect(!tu_exists(p), "nothing written for the corrupt input");
    free(p);
    free(out);
    free(err);
}

Test(run, truncated_jpeg_fails_with_reason)
{
    /* big enough that resize decodes it itself with shrink-on-load */
    make("whole.jpg", 2400, 1800);
    char *p = at("whole.jpg");
    size_t len;
    char *data = tu_read_file(p, &len);
    cr_assert_not_null(data);
    char *q = at("cut.jpg");
    cr_assert_eq(tu_write_file(q, data, len / 2), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run cut.jpg whole.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1);
    cr_expect(strstr(out, "1 processed, 1 failed, 0 skipped") != NULL, "%s", out);
    cr_expect(strstr(err, "failed: cut.jpg: ") != NULL && strstr(err, "Premature end") != NULL,
              "%s", err);
    free(data);
    free(p);
    free(q);
    free(out);
    free(err);
}

Test(run, folder_recursion_keeps_layout_and_skips_non_images)
{
    char *sub = at("in/sub/deeper");
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p %s", sub), 0);
    make("in/top.jpg", 300, 200);
    make("in/sub/deeper/inner.png", 100, 50);
    write_text("in/notes.txt", "not an image\n");
    write_text("in/.hidden.jpg", "hidden files are passed over\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -j 2 in", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s %s", out, err);
    cr_expect(strstr(out, "2 processed, 0 failed, 1 skipped") != NULL, "%s", out);
    cr_expect(strstr(out, "skipped  in/notes.txt: not an image") != NULL, "%s", out);
    expect_size("out/top-large.jpg", 300, 200);
    expect_size("out/sub/deeper/inner-large.jpg", 100, 50);
    /* running again on the folder holding ./out does not eat its own output */
    free(out);
    free(err);
    rc = tu_runf(&out, &err, "cd %s && %s run -q .", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s %s", out, err);
    cr_expect(strstr(out, "2 processed, 0 failed, 1 skipped") != NULL, "%s", out);
    free(sub);
    free(out);
    free(err);
}

Test(run, parallel_jobs_process_everything)
{
    for (int i = 0; i < 8; i++) {
        char *name = tu_strf("img%d.jpg", i);
        make(name, 400 + i * 10, 300);
        free(name);
    }
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "cd %s && %s run -q -j 4 img*.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0);
    cr_expect_str_eq(out, "8 processed, 0 failed, 0 skipped\n");
    for (int i = 0; i < 8; i++) {
        char *name = tu_strf("out/img%d-large.jpg", i);
        expect_size(name, 400 + i * 10, 300);
        free(name);
    }
    free(out);
}

Test(run, dry_run_writes_nothing)
{
    make("a.jpg", 640, 480);
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "cd %s && %s run --dry-run a.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0);
    cr_expect(strstr(out, "plan     a.jpg (jpeg 640x480) -> ./out/a-large.jpg") != NULL, "%s", out);
    char *o = at("out");
    cr_expect(!tu_exists(o), "dry run created ./out");
    free(o);
    free(out);
}

Test(run, pixel_and_byte_limits_are_checked_before_decoding)
{
    make("big.png", 3000, 2000);
    make("small.jpg", 100, 100);
    write_text("p.yaml", "limits: { max_pixels: 5M, max_input_bytes: 2MB }\n"
                         "stages: [ resize: { width: 64 } ]\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -p p.yaml big.png small.jpg", tmp,
                     tu_pixpipe());
    cr_expect_eq(rc, 1);
    /* the PNG of noise is over 2 MB: the byte limit refuses it first */
    cr_expect(strstr(err, "failed: big.png: storage-fs: ") != NULL &&
              strstr(err, "limit") != NULL, "%s", err);
    free(out);
    free(err);
    write_text("p2.yaml", "limits: { max_pixels: 5M }\n");
    rc = tu_runf(&out, &err, "cd %s && %s run -p p2.yaml big.png", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1);
    cr_expect(strstr(err, "is 3000x2000 = 6000000 pixels, over limits.max_pixels (5000000)")
              != NULL, "%s", err);
    free(out);
    free(err);
}

Test(run, validate_and_usage)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s validate", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "<embedded>/pipelines/default.yaml: ok") != NULL, "%s", out);
    cr_expect(strstr(out, "exif-strip, resize, thumbnail, describe, watermark, metadata-sink") != NULL,
              "%s", out);
    char *o = at("out");
    cr_expect(!tu_exists(o), "validate must create nothing");
    free(o);
    free(out);
    free(err);
    /* the file in the source tree is the one compiled in */
    rc = tu_runf(&out, &err, "%s validate -p %s/pipelines/default.yaml", tu_pixpipe(), tu_src());
    cr_expect_eq(rc, 0, "%s", err);
    free(out);
    free(err);
    rc = tu_runf(&out, &err, "%s run", tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "no input given") != NULL, "%s", err);
    free(out);
    free(err);
    rc = tu_runf(&out, &err, "%s --version", tu_pixpipe());
    cr_expect_eq(rc, 0);
    char *abi = tu_strf("plugin ABI %d.%d", PIX_ABI_MAJOR, PIX_ABI_MINOR);
    cr_expect(strstr(out, abi) != NULL, "%s", out);
    free(abi);
    free(out);
    free(err);
}

Test(run, pipeline_from_environment_and_bad_pipeline_file)
{
    make("a.jpg", 500, 500);
    write_text("env.yaml", "output: { rendition: web, format: png }\n"
                           "stages: [ resize: { width: 100 } ]\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && PIXPIPE_PIPELINE=env.yaml %s run a.jpg", tmp,
                     tu_pixpipe());
    cr_expect_eq(rc, 0, "%s", err);
    expect_size("out/a-web.png", 100, 100);
    free(out);
    free(err);
    write_text("typo.yaml", "stages:\n  - resize: { width: 100, fit: insde }\n");
    rc = tu_runf(&out, &err, "cd %s && %s run -p typo.yaml a.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "typo.yaml:2:") != NULL, "%s", err);
    cr_expect(strstr(err, "inside, cover, contain, fill, outside") != NULL, "%s", err);
    free(out);
    free(err);
}

Test(run, no_progress_line_when_not_a_terminal)
{
    make("a.jpg", 100, 100);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run a.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0);
    cr_expect(strstr(err, "img/s") == NULL && strchr(err, '\r') == NULL, "%s", err);
    free(out);
    free(err);
}

/* Plugins' own checks run in `validate`, before anything is created, and
 * their errors cite where the plugin is declared. */
Test(run, validate_runs_plugin_checks_and_creates_nothing)
{
    char *out = NULL, *err = NULL;
    write_text("nobox.yaml", "stages:\n  - resize: { fit: cover }\n");
    int rc = tu_runf(&out, &err, "cd %s && %s validate -p nobox.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "nobox.yaml:2:5: stages[0] resize: give width, height or both") != NULL,
              "%s", err);
    free(out);
    free(err);

    write_text("table.yaml", "metadata: { backend: sqlite, path: ./db/m.db, table: \"x-y\" }\n"
                             "stages: [ metadata-sink ]\n");
    rc = tu_runf(&out, &err, "cd %s && %s validate -p table.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "table: 'x-y' is not an identifier") != NULL, "%s", err);
    char *db = at("db");
    cr_expect(!tu_exists(db), "validate created the database folder");
    free(db);
    free(out);
    free(err);

    write_text("nosink.yaml", "stages:\n  - resize: { width: 10 }\n  - metadata-sink: {}\n");
    rc = tu_runf(&out, &err, "cd %s && %s validate -p nosink.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2);
    cr_expect(strstr(err, "nosink.yaml:3:5: stages[1] metadata-sink writes metadata records, "
                          "but the pipeline has no metadata: section") != NULL, "%s", err);
    free(out);
    free(err);

    write_text("unused.yaml", "metadata: { backend: sqlite }\nstages: [ resize: { width: 10 } ]\n");
    rc = tu_runf(&out, &err, "cd %s && %s validate -p unused.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(err, "warning: unused.yaml: a metadata backend is configured but no stage "
                          "writes records") != NULL, "%s", err);
    free(out);
    free(err);
}

Test(run, no_inputs_processes_the_declared_source_folder)
{
    char *dir = at("incoming/2024");
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p %s", dir), 0);
    make("incoming/2024/a.jpg", 200, 100);
    write_text("p.yaml", "source: { storage: fs, root: ./incoming }\n"
                         "destination: { storage: fs, root: ./web, key: \"{key}-{rendition}.{ext}\" }\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -p p.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(strstr(out, "1 processed, 0 failed, 0 skipped") != NULL, "%s", out);
    expect_size("web/2024/a.jpg-main.jpg", 200, 100);
    free(dir);
    free(out);
    free(err);
    /* without inputs or a source folder: a usage error, and nothing made */
    rc = tu_runf(&out, &err, "cd %s && %s run", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2);
    char *o = at("out");
    cr_expect(!tu_exists(o), "a failed start created ./out");
    free(o);
    free(out);
    free(err);
}

static int has_magic(const char *rel, const char *magic, size_t off, size_t len)
{
    char *p = at(rel);
    size_t n = 0;
    char *data = tu_read_file(p, &n);
    int ok = data && n >= off + len && memcmp(data + off, magic, len) == 0;
    free(data);
    free(p);
    return ok;
}

/* Each output format is really that format (magic bytes, not the name),
 * with the asked size; "source" keeps the source's format; quality counts. */
Test(run, output_formats_and_quality)
{
    make("a.png", 900, 600);
    static const struct { const char *fmt, *ext, *magic; size_t off, len; } cases[] = {
        { "jpeg", "jpg", "\xff\xd8\xff", 0, 3 },
        { "png", "png", "\x89PNG", 0, 4 },
        { "webp", "webp", "WEBP", 8, 4 },
        { "avif", "avif", "ftypavif", 4, 8 },
        { "jxl", "jxl", "\xff\x0a", 0, 2 },
        { "source", "png", "\x89PNG", 0, 4 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *yaml = tu_strf("output: { rendition: r, format: %s }\n"
                             "stages: [ resize: { width: 300 } ]\n", cases[i].fmt);
        write_text("f.yaml", yaml);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd %s && %s run -q -p f.yaml a.png", tmp, tu_pixpipe());
        cr_expect_eq(rc, 0, "%s: %s", cases[i].fmt, err);
        char *file = tu_strf("out/a-r.%s", cases[i].ext);
        expect_size(file, 300, 200);
        cr_expect(has_magic(file, cases[i].magic, cases[i].off, cases[i].len),
                  "%s is not %s", file, cases[i].fmt);
        free(file);
        free(yaml);
        free(out);
        free(err);
    }
    size_t lo = 0, hi = 0;
    for (int q = 0; q < 2; q++) {
        char *yaml = tu_strf("output: { rendition: q%d, format: jpeg, quality: %d }\n", q,
                             q ? 95 : 30);
        write_text("q.yaml", yaml);
        cr_expect_eq(tu_runf(NULL, NULL, "cd %s && %s run -q -p q.yaml a.png", tmp,
                             tu_pixpipe()), 0);
        char *p = tu_strf("%s/out/a-q%d.jpg", tmp, q);
        char *data = tu_read_file(p, q ? &hi : &lo);
        cr_expect_not_null(data);
        free(data);
        free(p);
        free(yaml);
    }
    cr_expect(lo > 0 && hi > lo * 2, "quality 30 gave %zu bytes, quality 95 %zu", lo, hi);
}

/* JPEG has no alpha: transparent pixels come out white, not black. */
Test(run, alpha_flattened_on_white_for_jpeg)
{
    write_text("t.yaml", "output: { rendition: r, format: jpeg, quality: 95 }\n");
    cr_assert_eq(tu_runf(NULL, NULL, "cd %s && vips black t.v 64 64 --bands 4 && "
                                     "vips copy t.v t.png", tmp), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -q -p t.yaml t.png >/dev/null && "
                                 "vips avg out/t-r.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s", err);
    double avg = out ? atof(out) : 0;
    cr_expect(avg > 250.0, "fully transparent PNG came out with mean %f (want white)", avg);
    free(out);
    free(err);
}

/* Two sources that the key template maps to one key: the first is kept,
 * the second fails with both names instead of silently replacing it. */
Test(run, colliding_keys_in_one_run_fail_the_later_job)
{
    make("a.jpg", 400, 300);
    make("a.png", 200, 100);
    char *out = NULL, *err = NULL;
    /* -j 1: "first" is then the first named */
    int rc = tu_runf(&out, &err, "cd %s && %s run -j 1 a.jpg a.png a.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1);
    /* naming the same file twice is not a collision */
    cr_expect(strstr(out, "2 processed, 1 failed, 0 skipped") != NULL, "%s", out);
    /* the first rendition stored (the thumbnail) is the one that collides */
    cr_expect(strstr(err, "failed: a.png: rendition 'thumb' would overwrite ./out/a-thumb.jpg, "
                          "written in this run from ") != NULL, "%s", err);
    expect_size("out/a-large.jpg", 400, 300);
    free(out);
    free(err);
}

/* The pipelines shipped in pipelines/ work as documented. */
Test(run, shipped_web_pipeline_makes_webp_avif_and_thumbnail)
{
    char *in = at("photo.jpg");
    cr_assert_eq(tu_make_scene(in, 2400, 1600, 6, 1), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && PIXPIPE_ASSETS=%s/pipelines/assets %s run -p %s/pipelines/web.yaml photo.jpg",
                     tmp, tu_src(), tu_pixpipe(), tu_src());
    cr_expect_eq(rc, 0, "%s", err);
    /* orientation 6: the stored 1600x2400 is shown upright as 2400x1600 */
    expect_size("out/web/photo-web.webp", 1200, 800);
    expect_size("out/web/photo-w1200-avif.avif", 1200, 800);
    expect_size("out/web/photo-w640-webp.webp", 640, 427);
    expect_size("out/web/photo-w320-avif.avif", 320, 213);
    expect_size("out/web/photo-thumb.webp", 320, 320);
    cr_expect(has_magic("out/web/photo-web.webp", "WEBP", 8, 4));
    cr_expect(has_magic("out/web/photo-w1200-avif.avif", "ftypavif", 4, 8));
    char *manifest = at("out/web/photo-srcset.json");
    cr_expect(tu_exists(manifest));
    free(manifest);
    char *rec = NULL;
    rc = tu_runf(&rec, NULL, "/usr/bin/sqlite3 %s/out/web/metadata.db 'SELECT record FROM images'",
                 tmp);
    cr_expect_eq(rc, 0);
    json_t *j = json_loads(rec ? rec : "", 0, NULL);
    cr_assert_not_null(j, "record: %s", rec);
    cr_expect_not_null(json_object_get(json_object_get(j, "placeholder"), "blurhash"));
    cr_expect_not_null(json_object_get(json_object_get(j, "hash"), "phash"));
    cr_expect_eq(json_array_size(json_object_get(json_object_get(j, "srcset"), "avif")), 3);
    json_decref(j);
    free(rec);
    free(in);
    free(out);
    free(err);
}

/* A destination that could write into what triggers the pipeline is
 * refused at start-up; one kept apart by its prefix or suffix is not. */
Test(run, recursion_refused_unless_the_trigger_filter_excludes_outputs)
{
    static const struct {
        const char *trigger, *key;
        bool refused;
    } cases[] = {
        { "prefix: uploads/", "{dir}/{name}-{rendition}.{ext}", true },
        { "prefix: uploads/", "uploads/r/{name}-{rendition}.{ext}", true },
        { "prefix: \"\"", "renditions/{name}-{rendition}.{ext}", true },
        { "prefix: uploads/", "renditions/{dir}/{name}-{rendition}.{ext}", false },
        { "prefix: up, suffix: .heic", "up/{name}-{rendition}.jpg", false },
        { "prefix: up, suffix: .jpg", "up/{name}-{rendition}.jpg", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *yaml = tu_strf("source: { storage: s3 }\n"
                             "destination: { storage: s3, bucket: same, key: \"%s\" }\n"
                             "trigger: { bucket: same, %s }\n", cases[i].key, cases[i].trigger);
        write_text("rec.yaml", yaml);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd %s && %s validate -p rec.yaml", tmp, tu_pixpipe());
        if (cases[i].refused) {
            cr_expect_eq(rc, 2, "case %zu accepted", i);
            cr_expect(strstr(err, "rec.yaml:3:1: trigger: the destination bucket 'same' is the "
                                  "trigger's bucket") != NULL, "case %zu: %s", i, err);
        } else {
            cr_expect_eq(rc, 0, "case %zu refused: %s", i, err);
        }
        free(out);
        free(err);
        free(yaml);
    }
    /* another bucket is always fine */
    write_text("other.yaml", "source: { storage: s3 }\n"
                             "destination: { storage: s3, bucket: out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
                             "trigger: { bucket: in }\n");
    cr_expect_eq(tu_runf(NULL, NULL, "cd %s && %s validate -p other.yaml", tmp, tu_pixpipe()), 0);
}

/* --log-format json: one JSON object per job on stdout, failures included,
 * with the fields log pipelines need. */
Test(run, json_log_lines)
{
    make("a.jpg", 300, 200);
    write_text("bad.jpg", "not a jpeg");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run --log-format json a.jpg bad.jpg", tmp,
                     tu_pixpipe());
    cr_expect_eq(rc, 1);
    size_t lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] != '{')
            continue;
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        cr_assert_not_null(o, "not JSON: %s", line);
        const char *key = json_string_value(json_object_get(o, "key"));
        const char *status = json_string_value(json_object_get(o, "status"));
        cr_assert(key && status, "%s", line);
        if (strcmp(key, "a.jpg") == 0) {
            cr_expect_str_eq(status, "ok");
            cr_expect(json_integer_value(json_object_get(o, "bytes_out")) > 0, "%s", line);
            cr_expect(json_is_object(json_object_get(o, "steps_ms")), "%s", line);
        } else {
            cr_expect_str_eq(key, "bad.jpg");
            cr_expect_str_eq(status, "failed");
            cr_expect_str_eq(json_string_value(json_object_get(o, "level")), "error");
            cr_expect(strstr(json_string_value(json_object_get(o, "reason")), "not an image"),
                      "%s", line);
        }
        json_decref(o);
        lines++;
    }
    cr_expect_eq(lines, 2, "%s", err);
    free(out);
    free(err);
}

/* A folder larger than a page (1000 inputs) is walked and run page by
 * page: images on the first, a middle and the last page are all processed,
 * and every other file is counted once. */
Test(run, a_folder_of_many_pages_is_run_whole, .timeout = 120)
{
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s' && mkdir -p big/sub && cd big && "
                         "for i in $(seq -w 1 1200); do : > e$i.jpg; done && "
                         "for i in $(seq -w 1 900); do : > sub/f$i.jpg; done", tmp), 0);
    make("big/a.jpg", 120, 90);      /* first page: "a" before "e..." */
    make("big/m.jpg", 130, 90);      /* second page, after e1200 */
    make("big/sub/z.jpg", 140, 90);  /* the last page */
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "cd %s && %s run -q -j 2 big", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0);
    cr_expect_str_eq(out, "3 processed, 0 failed, 2100 skipped\n");
    expect_size("out/a-large.jpg", 120, 90);
    expect_size("out/m-large.jpg", 130, 90);
    expect_size("out/sub/z-large.jpg", 140, 90);
    free(out);
}
