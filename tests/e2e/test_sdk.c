/* The plugin SDK as a user outside the tree meets it: `make install` into a
 * temporary prefix, plugins built from copies of examples/plugins and from
 * the scaffolder with pkg-config alone, loaded through PIXPIPE_PLUGIN_PATH
 * by the installed binary, and judged by their pixels and files. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include <pixpipe/pixpipe.h>

#include "testutil.h"

/* An installed pixpipe and a work folder beside it. */
typedef struct sdk {
    char *prefix; /* the install prefix, a temp folder */
    char *work;   /* prefix/work: where plugins are copied and built */
    char *env;    /* "env ... " prefix for commands: pkg-config sees only the SDK */
} sdk;

static void sdk_install(sdk *s)
{
    char *out = NULL, *err = NULL;
    s->prefix = tu_tmpdir();
    cr_assert_not_null(s->prefix);
    const char *san = getenv("PIXPIPE_SAN");
    int rc = tu_runf(&out, &err, "make -s -C '%s' install SAN='%s' BUILD='%s' PREFIX='%s'",
                     tu_src(), san ? san : "", tu_build(), s->prefix);
    cr_assert_eq(rc, 0, "make install failed:\n%s\n%s", out, err);
    free(out);
    free(err);
    s->work = tu_strf("%s/work", s->prefix);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s'", s->work), 0);
    /* No include path of the source tree may leak in from the caller. */
    s->env = tu_strf("cd '%s' && env -u CPATH -u C_INCLUDE_PATH -u PIXPIPE_PIPELINE "
                     "PKG_CONFIG_PATH='%s/lib/pkgconfig' PATH='%s/bin':\"$PATH\" ",
                     s->work, s->prefix, s->prefix);
}

static void sdk_free(sdk *s)
{
    tu_rmrf(s->prefix);
    free(s->prefix);
    free(s->work);
    free(s->env);
}

/* Runs `make` in work/DIR; fails the test with make's output otherwise. */
static void sdk_make(const sdk *s, const char *dir)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "%s make -C '%s'", s->env, dir);
    cr_assert_eq(rc, 0, "building %s failed:\n%s\n%s", dir, out, err);
    /* Everything came from the installed prefix, nothing from the tree. */
    cr_expect(strstr(out, tu_src()) == NULL || strcmp(tu_src(), ".") == 0,
              "the build of %s used the source tree:\n%s", dir, out);
    free(out);
    free(err);
}

/* The largest difference between the colour bands of any pixel: 0 for a
 * grey image, large for a colourful one. */
static double colourfulness(const char *path)
{
    VipsImage *im = vips_image_new_from_file(path, NULL);
    VipsImage *r = NULL, *g = NULL, *b = NULL, *rg = NULL, *gb = NULL, *a1 = NULL, *a2 = NULL;
    double m1 = -1, m2 = -1;
    cr_assert_not_null(im, "cannot open %s: %s", path, vips_error_buffer());
    cr_assert_geq(im->Bands, 3, "%s has %d bands", path, im->Bands);
    cr_assert_eq(vips_extract_band(im, &r, 0, NULL) || vips_extract_band(im, &g, 1, NULL) ||
                     vips_extract_band(im, &b, 2, NULL) || vips_subtract(r, g, &rg, NULL) ||
                     vips_subtract(g, b, &gb, NULL) || vips_abs(rg, &a1, NULL) ||
                     vips_abs(gb, &a2, NULL) || vips_max(a1, &m1, NULL) || vips_max(a2, &m2, NULL),
                 0, "%s", vips_error_buffer());
    VipsImage *all[] = { im, r, g, b, rg, gb, a1, a2 };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        g_object_unref(all[i]);
    return m1 > m2 ? m1 : m2;
}

/* The mean of every band of every pixel. */
static double mean_of(const char *path)
{
    VipsImage *im = vips_image_new_from_file(path, NULL);
    double m = -1;
    cr_assert_not_null(im, "cannot open %s: %s", path, vips_error_buffer());
    cr_assert_eq(vips_avg(im, &m, NULL), 0, "%s", vips_error_buffer());
    g_object_unref(im);
    return m;
}

Test(sdk, examples_build_from_the_installed_sdk_and_change_renditions, .timeout = 120)
{
    sdk s;
    sdk_install(&s);
    char *pc = tu_strf("%s/lib/pkgconfig/pixpipe.pc", s.prefix);
    char *pctext = tu_read_file(pc, NULL);
    cr_assert_not_null(pctext, "pixpipe.pc not installed");
    cr_expect(strstr(pctext, s.prefix) != NULL, "pixpipe.pc does not point at the prefix");
    cr_expect(strstr(pctext, "plugindir=") != NULL, "pixpipe.pc has no plugindir");
    cr_assert_eq(tu_runf(NULL, NULL, "cp -r '%s/examples/plugins/grayscale' "
                                     "'%s/examples/plugins/metadata-jsonl' '%s'",
                         tu_src(), tu_src(), s.work), 0);
    sdk_make(&s, "grayscale");
    sdk_make(&s, "metadata-jsonl");

    char *a = tu_strf("%s/a.jpg", s.work), *b = tu_strf("%s/b.jpg", s.work);
    cr_assert_eq(tu_make_scene(a, 1200, 800, 1, 0), 0);
    cr_assert_eq(tu_make_image(b, 900, 900), 0);
    char *yaml = tu_strf("%s/p.yaml", s.work);
    const char *text =
        "name: examples\n"
        "destination: { root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
        "metadata:    { backend: metadata-jsonl, path: ./records.jsonl }\n"
        "output:      { rendition: large, format: png }\n"
        "stages:\n"
        "  - grayscale:     {}\n"
        "  - resize:        { width: 400, height: 400 }\n"
        "  - metadata-sink: {}\n";
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err,
                     "%s PIXPIPE_PLUGIN_PATH=grayscale:metadata-jsonl pixpipe plugins", s.env);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(out && strstr(out, "grayscale") && strstr(out, "metadata-jsonl"),
              "the examples are not listed:\n%s", out);
    free(out);
    free(err);
    /* and one of them in detail, with the file it came from */
    rc = tu_runf(&out, &err, "%s PIXPIPE_PLUGIN_PATH=grayscale:metadata-jsonl "
                             "pixpipe plugins grayscale", s.env);
    char *file = tu_strf("File: %s/grayscale/grayscale.so\n", s.work);
    cr_expect(rc == 0 && out && strstr(out, file) && strstr(out, "amount "),
              "expected '%s' and the option table:\n%s%s", file, out, err);
    free(file);
    free(out);
    free(err);
    rc = tu_runf(&out, &err, "%s PIXPIPE_PLUGIN_PATH=grayscale:metadata-jsonl "
                             "pixpipe run -j 2 -p p.yaml a.jpg b.jpg", s.env);
    cr_assert_eq(rc, 0, "run failed:\n%s\n%s", out, err);
    free(out);
    free(err);

    /* grayscale: the sources are colourful, the renditions grey. */
    cr_expect_gt(colourfulness(a), 60, "the test scene should be colourful");
    const char *names[] = { "a", "b" };
    for (int i = 0; i < 2; i++) {
        char *r = tu_strf("%s/out/%s-large.png", s.work, names[i]);
        int w = 0, h = 0;
        cr_assert_eq(tu_image_size(r, &w, &h, NULL), 0, "%s not written", r);
        cr_expect(w == 400 || h == 400, "%s is %dx%d", r, w, h);
        cr_expect_leq(colourfulness(r), 2, "%s still has colour", r);
        free(r);
    }
    /* metadata-jsonl: one line of JSON per source, with its record. */
    char *jsonl = tu_strf("%s/records.jsonl", s.work);
    char *lines = tu_read_file(jsonl, NULL);
    cr_assert_not_null(lines, "records.jsonl not written");
    int n = 0;
    for (char *p = lines; (p = strchr(p, '\n')); p++)
        n++;
    cr_expect_eq(n, 2, "expected 2 lines:\n%s", lines);
    cr_expect(strstr(lines, "\"source_key\":\"a.jpg\"") && strstr(lines, "\"source_key\":\"b.jpg\""),
              "records do not name the sources:\n%s", lines);
    cr_expect(strstr(lines, "\"status\":\"ok\"") != NULL, "no status in:\n%s", lines);
    free(lines);
    free(jsonl);
    free(yaml);
    free(a);
    free(b);
    free(pctext);
    free(pc);
    sdk_free(&s);
}

Test(sdk, a_plugin_built_for_a_newer_minor_abi_is_refused, .timeout = 120)
{
    sdk s;
    sdk_install(&s);
    /* The same example, built against headers one minor ahead. */
    cr_assert_eq(tu_runf(NULL, NULL,
                         "mkdir -p '%s/newer/pixpipe' && cp '%s'/include/pixpipe/*.h '%s/newer/pixpipe/' "
                         "&& sed -i 's/^#define PIX_ABI_MINOR .*/#define PIX_ABI_MINOR %d/' "
                         "'%s/newer/pixpipe/pixpipe.h' && cp -r '%s/examples/plugins/grayscale' '%s'",
                         s.work, s.prefix, s.work, PIX_ABI_MINOR + 1, s.work, tu_src(), s.work), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "%s make -C grayscale CC='cc -I%s/newer'", s.env, s.work);
    cr_assert_eq(rc, 0, "%s\n%s", out, err);
    free(out);
    free(err);
    rc = tu_runf(&out, &err, "%s PIXPIPE_PLUGIN_PATH=grayscale pixpipe plugins grayscale", s.env);
    cr_expect_neq(rc, 0, "a newer-minor plugin was accepted:\n%s", out);
    char *newer = tu_strf("built for plugin ABI %d.%d, newer than this pixpipe's %d.%d",
                          PIX_ABI_MAJOR, PIX_ABI_MINOR + 1, PIX_ABI_MAJOR, PIX_ABI_MINOR);
    cr_expect(err && strstr(err, "grayscale.so") && strstr(err, newer) &&
                  strstr(err, "upgrade pixpipe or rebuild the plugin"),
              "unclear refusal: %s", err);
    free(out);
    free(err);
    /* A pipeline naming it is refused before any job starts. */
    const char *text = "name: newer\nstages:\n  - grayscale: {}\n";
    char *yaml = tu_strf("%s/p.yaml", s.work);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    rc = tu_runf(&out, &err, "%s PIXPIPE_PLUGIN_PATH=grayscale pixpipe validate p.yaml", s.env);
    cr_expect_eq(rc, 2, "validate: %s", err);
    cr_expect(err && strstr(err, newer), "validate said: %s", err);
    free(newer);
    free(out);
    free(err);
    free(yaml);
    sdk_free(&s);
}

/* Writes the C block that follows "<!-- test_sdk builds this block as
 * FILE -->" in docs/plugins.md to work/NAME/FILE and builds NAME.so from
 * it with the line the guide gives. */
static void build_doc_block(const sdk *s, const char *name, const char *file)
{
    char *doc = tu_strf("%s/docs/plugins.md", tu_src());
    char *text = tu_read_file(doc, NULL);
    cr_assert_not_null(text, "cannot read %s", doc);
    char *marker = tu_strf("<!-- test_sdk builds this block as %s -->", file);
    char *at = strstr(text, marker);
    cr_assert_not_null(at, "docs/plugins.md has no block marked %s", file);
    char *start = strstr(at, "```c\n");
    cr_assert_not_null(start);
    start += 5;
    char *end = strstr(start, "```");
    cr_assert_not_null(end);
    char *dir = tu_strf("%s/%s", s->work, name), *path = tu_strf("%s/%s", dir, file);
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s'", dir), 0);
    cr_assert_eq(tu_write_file(path, start, (size_t)(end - start)), 0);
    char *out = NULL, *err = NULL;
    /* pkg-config runs inside the SDK's environment, hence sh -c. */
    int rc = tu_runf(&out, &err, "%s sh -c 'cc -shared -fPIC -std=c11 -Wall -Wextra -Wpedantic -Werror "
                                 "$(pkg-config --cflags pixpipe) %s/%s -o %s/%s.so "
                                 "$(pkg-config --libs pixpipe)'",
                     s->env, name, file, name, name);
    cr_assert_eq(rc, 0, "the guide's %s does not build:\n%s\n%s", file, out, err);
    free(out);
    free(err);
    free(path);
    free(dir);
    free(marker);
    free(text);
    free(doc);
}

/* The value of band 0 at (x, y). */
static double pixel(const char *path, int x, int y)
{
    VipsImage *im = vips_image_new_from_file(path, NULL);
    double *v = NULL;
    int n = 0;
    cr_assert_not_null(im, "cannot open %s: %s", path, vips_error_buffer());
    cr_assert_eq(vips_getpoint(im, &v, &n, x, y, NULL), 0, "%s", vips_error_buffer());
    double r = v[0];
    g_free(v);
    g_object_unref(im);
    return r;
}

Test(sdk, the_stages_in_the_guide_build_and_do_what_it_says, .timeout = 120)
{
    sdk s;
    sdk_install(&s);
    build_doc_block(&s, "mirror", "mirror.c");
    build_doc_block(&s, "invert", "invert.c");
    char *src = tu_strf("%s/photo.png", s.work);
    cr_assert_eq(tu_make_image(src, 320, 200), 0);
    const char *text = "name: guide\n"
                       "destination: { root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                       "output: { rendition: main, format: png }\n"
                       "stages:\n  - mirror\n  - invert: { amount: 1 }\n";
    char *yaml = tu_strf("%s/g.yaml", s.work);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "%s PIXPIPE_PLUGIN_PATH=mirror:invert pixpipe run -p g.yaml photo.png",
                     s.env);
    cr_assert_eq(rc, 0, "%s\n%s", out, err);
    char *res = tu_strf("%s/out/photo-main.png", s.work);
    /* mirrored then inverted: (x, y) of the result is 255 - (w-1-x, y) of the source */
    const int xs[] = { 0, 17, 160, 319 };
    for (size_t i = 0; i < sizeof xs / sizeof *xs; i++)
        cr_expect_float_eq(pixel(res, xs[i], 50), 255.0 - pixel(src, 319 - xs[i], 50), 0.5,
                           "pixel %d", xs[i]);
    free(res);
    free(out);
    free(err);
    free(yaml);
    free(src);
    sdk_free(&s);
}

/* Scaffolds KIND as NAME with the installed pixpipe-new-plugin and builds it. */
static void scaffold(const sdk *s, const char *name, const char *kind)
{
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "%s pixpipe-new-plugin %s %s", s->env, name, kind);
    cr_assert_eq(rc, 0, "scaffolding %s failed:\n%s\n%s", name, out, err);
    free(out);
    free(err);
    sdk_make(s, name);
}

Test(sdk, scaffolded_plugins_build_load_and_run, .timeout = 180)
{
    sdk s;
    sdk_install(&s);
    scaffold(&s, "my-stage", "stage");
    scaffold(&s, "my-store", "storage");
    scaffold(&s, "my-records", "metadata");

    char *out = NULL, *err = NULL;
    const char *path = "PIXPIPE_PLUGIN_PATH=my-stage:my-store:my-records";
    int rc = tu_runf(&out, &err, "%s %s pixpipe plugins", s.env, path);
    cr_expect_eq(rc, 0, "%s", err);
    cr_expect(out && strstr(out, "my-stage ") && strstr(out, "my-store ") &&
                  strstr(out, "my-records "),
              "scaffolded plugins not listed:\n%s", out);
    free(out);
    free(err);
    rc = tu_runf(&out, &err, "%s %s pixpipe plugins my-stage", s.env, path);
    cr_expect(rc == 0 && out && strstr(out, "strength"), "no option table shown:\n%s%s", out, err);
    free(out);
    free(err);

    /* As generated: the stage passes the image through, the storage reads
     * and writes files, the metadata backend logs each record. */
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p '%s/inbox'", s.work), 0);
    char *src = tu_strf("%s/inbox/photo.png", s.work);
    cr_assert_eq(tu_make_image(src, 640, 480), 0);
    const char *text =
        "name: scaffolds\n"
        "source:      { storage: my-store }\n"
        "destination: { storage: my-store, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
        "metadata:    { backend: my-records, label: RECORD }\n"
        "output:      { rendition: large, format: png }\n"
        "stages:\n"
        "  - my-stage:      { strength: 3 }\n"
        "  - metadata-sink: {}\n";
    char *yaml = tu_strf("%s/p.yaml", s.work);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    rc = tu_runf(&out, &err, "%s %s pixpipe run -p p.yaml s3://inbox/photo.png", s.env, path);
    cr_assert_eq(rc, 0, "run failed:\n%s\n%s", out, err);
    char *both = tu_strf("%s%s", out ? out : "", err ? err : "");
    cr_expect(strstr(both, "RECORD {") && strstr(both, "\"source_key\":\"photo.png\""),
              "the metadata scaffold did not log the record:\n%s", both);
    free(both);
    free(out);
    free(err);
    char *large = tu_strf("%s/out/photo-large.png", s.work);
    int w = 0, h = 0;
    cr_assert_eq(tu_image_size(large, &w, &h, NULL), 0, "the storage scaffold wrote nothing");
    cr_expect(w == 640 && h == 480, "rendition is %dx%d", w, h);
    double before = mean_of(src);
    cr_expect_float_eq(mean_of(large), before, 0.01, "the stage scaffold changed the pixels");

    /* What a user does next: put real work in process() and rebuild. */
    rc = tu_runf(&out, &err,
                 "cd '%s/my-stage' && sed -i 's/vips_copy(in, &out, NULL)/vips_invert(in, \\&out, NULL)/' "
                 "my_stage.c && grep -q vips_invert my_stage.c", s.work);
    cr_assert_eq(rc, 0, "%s", err);
    free(out);
    free(err);
    sdk_make(&s, "my-stage");
    rc = tu_runf(&out, &err, "%s %s pixpipe run -p p.yaml s3://inbox/photo.png", s.env, path);
    cr_assert_eq(rc, 0, "run failed:\n%s\n%s", out, err);
    free(out);
    free(err);
    cr_expect_float_eq(mean_of(large), 255.0 - before, 0.01,
                       "the edited stage did not invert the image (mean %g, source %g)",
                       mean_of(large), before);
    free(large);
    free(yaml);
    free(src);
    sdk_free(&s);
}

/* Runs pixpipe in the SDK's work folder with the plugins of path; *out
 * gets stdout and stderr together. */
static int sdk_pixpipe(const sdk *s, const char *path, char **out, const char *args)
{
    char *o = NULL, *e = NULL;
    int rc = tu_runf(&o, &e, "%s PIXPIPE_PLUGIN_PATH=%s pixpipe %s", s->env, path, args);
    *out = tu_strf("%s%s", o ? o : "", e ? e : "");
    free(o);
    free(e);
    return rc;
}

/* The 2.1 callbacks of the templates: the scaffolded storage lists (pages
 * in key order, no hidden names, no links) and removes, metadata-jsonl
 * reads records back and writes tombstones.  A backfill of a prefix, its
 * re-run with --only-stale, and a delete with on_delete: remove. */
Test(sdk, scaffolded_storage_and_jsonl_backfill_and_delete, .timeout = 180)
{
    sdk s;
    sdk_install(&s);
    scaffold(&s, "my-store", "storage");
    cr_assert_eq(tu_runf(NULL, NULL, "cp -r '%s/examples/plugins/metadata-jsonl' '%s'", tu_src(),
                         s.work), 0);
    sdk_make(&s, "metadata-jsonl");
    const char *path = "my-store:metadata-jsonl";

    /* listed: a.png, sub/b.png; not: hidden names, links to a file or a folder */
    cr_assert_eq(tu_runf(NULL, NULL, "cd '%s' && mkdir -p inbox/sub inbox/.hidden bulk && "
                         "ln -s a.png inbox/link.png && ln -s sub inbox/sublink && "
                         "for i in $(seq 1 1001); do : > bulk/f$i.png; done", s.work), 0);
    const char *imgs[] = { "inbox/a.png", "inbox/sub/b.png", "inbox/.hidden/c.png",
                           "inbox/.d.png" };
    for (size_t i = 0; i < sizeof imgs / sizeof *imgs; i++) {
        char *img = tu_strf("%s/%s", s.work, imgs[i]);
        cr_assert_eq(tu_make_image(img, 64, 48), 0);
        free(img);
    }
    const char *text =
        "name: lifecycle\n"
        "source:      { storage: my-store }\n"
        "destination: { storage: my-store, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }\n"
        "metadata:    { backend: jsonl, path: ./records.jsonl }\n"
        "on_delete:   remove\n"
        "output:      { rendition: large, format: png }\n"
        "stages:\n"
        "  - metadata-sink: {}\n";
    char *yaml = tu_strf("%s/p.yaml", s.work);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);

    char *out = NULL;
    int rc = sdk_pixpipe(&s, path, &out, "run -p p.yaml s3://inbox/");
    cr_assert_eq(rc, 0, "backfill failed:\n%s", out);
    cr_expect(strstr(out, "listed 2 ") && strstr(out, "2 processed"),
              "expected a.png and sub/b.png only:\n%s", out);
    free(out);
    char *a = tu_strf("%s/out/a-large.png", s.work), *b = tu_strf("%s/out/sub/b-large.png", s.work);
    cr_expect(tu_exists(a) && tu_exists(b), "renditions missing");

    rc = sdk_pixpipe(&s, path, &out, "run --only-stale -p p.yaml s3://inbox/");
    cr_expect(rc == 0 && strstr(out, "0 processed, 2 up to date"),
              "the listing's etag does not match the records':\n%s", out);
    free(out);
    /* more than a page: 1000, then 1 after the token */
    rc = sdk_pixpipe(&s, path, &out, "run -n -q -p p.yaml s3://bulk/");
    cr_expect(rc == 0 && strstr(out, "listed 1001 "), "paged listing:\n%s", out);
    free(out);

    /* a.png is deleted: its rendition goes, its record becomes a tombstone */
    const char *ev = "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\","
                     "\"eventName\":\"ObjectRemoved:Delete\",\"s3\":{\"bucket\":{\"name\":"
                     "\"inbox\"},\"object\":{\"key\":\"a.png\",\"sequencer\":\"0A\"}}}]}";
    char *evpath = tu_strf("%s/del.json", s.work);
    cr_assert_eq(tu_write_file(evpath, ev, strlen(ev)), 0);
    cr_assert_eq(tu_runf(NULL, NULL, "rm '%s/inbox/a.png'", s.work), 0);
    for (int i = 0; i < 2; i++) { /* and again: nothing left to do, no error */
        rc = sdk_pixpipe(&s, path, &out, "run -p p.yaml --event del.json");
        cr_expect(rc == 0 && strstr(out, i == 0 ? "1 rendition and its record" : "no record left"),
                  "delete %d:\n%s", i, out);
        free(out);
    }
    cr_expect(!tu_exists(a), "the rendition of the deleted source is still there");
    cr_expect(tu_exists(b), "another source's rendition was removed");
    char *jsonl = tu_strf("%s/records.jsonl", s.work);
    char *lines = tu_read_file(jsonl, NULL);
    cr_assert_not_null(lines);
    cr_expect(strstr(lines, "\"source_key\":\"a.png\",\"deleted\":true,\"sequencer\":\"0A\","
                            "\"deleted_at\":\"") != NULL, "no tombstone:\n%s", lines);
    free(lines);
    /* the create that the delete answers, delivered late (sequencer 09 <
     * 0A): its rendition is undone and the tombstone stays the record */
    cr_assert_eq(tu_runf(NULL, NULL, "cp '%s/inbox/sub/b.png' '%s/inbox/a.png'", s.work, s.work),
                 0);
    const char *late = "{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\","
                       "\"eventName\":\"ObjectCreated:Put\",\"s3\":{\"bucket\":{\"name\":"
                       "\"inbox\"},\"object\":{\"key\":\"a.png\",\"sequencer\":\"09\"}}}]}";
    cr_assert_eq(tu_write_file(evpath, late, strlen(late)), 0);
    rc = sdk_pixpipe(&s, path, &out, "run -p p.yaml --event del.json");
    cr_expect_eq(rc, 0, "late create:\n%s", out);
    free(out);
    cr_expect(!tu_exists(a), "a create older than the delete left its rendition");
    rc = tu_runf(&out, NULL, "tail -n 1 '%s'", jsonl);
    cr_expect(rc == 0 && strstr(out, "\"deleted\":true,\"sequencer\":\"0A\""),
              "the older create replaced the tombstone: %s", out);
    free(out);
    free(jsonl);
    free(evpath);
    free(a);
    free(b);
    free(yaml);
    sdk_free(&s);
}

/* `make new-plugin` into dir/x; returns its exit status, *err its stderr. */
static int make_new_plugin(const char *dir, const char *name, const char *kind, char **err)
{
    return tu_runf(NULL, err, "make -s -C '%s' new-plugin NAME=%s KIND=%s DIR='%s/x'",
                   tu_src(), name, kind, dir);
}

Test(sdk, make_new_plugin_refuses_bad_names_and_existing_folders)
{
    char *dir = tu_tmpdir(), *err = NULL;
    cr_expect_neq(make_new_plugin(dir, "Bad_Name", "stage", &err), 0);
    cr_expect(err && strstr(err, "plugin name 'Bad_Name'"), "%s", err);
    free(err);
    cr_expect_neq(make_new_plugin(dir, "ok", "filter", &err), 0);
    cr_expect(err && strstr(err, "kind 'filter': must be stage, storage or metadata"), "%s", err);
    free(err);
    cr_expect_eq(make_new_plugin(dir, "ok", "stage", &err), 0, "%s", err);
    char *c = tu_strf("%s/x/ok.c", dir);
    cr_expect(tu_exists(c), "no source scaffolded");
    free(c);
    free(err);
    cr_expect_neq(make_new_plugin(dir, "ok", "stage", &err), 0, "an existing folder was overwritten");
    cr_expect(err && strstr(err, "already exists"), "%s", err);
    free(err);
    tu_rmrf(dir);
    free(dir);
}
