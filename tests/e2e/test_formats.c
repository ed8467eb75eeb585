/* A hostile upload fails alone: formats are told from the bytes, never the
 * name; only the formats of limits.formats are decoded (SVG and PDF only by
 * opting in, ImageMagick & co. never); page count and decoded memory are
 * bounded before any pixel is decoded; the other jobs of the run go on. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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

TestSuite(formats, .init = setup, .fini = teardown);

static char *at(const char *rel)
{
    return tu_strf("%s/%s", tmp, rel);
}

static void write_text(const char *rel, const char *text)
{
    char *p = at(rel);
    cr_assert_eq(tu_write_file(p, text, strlen(text)), 0, "cannot write %s", p);
    free(p);
}

static void make(const char *rel, int w, int h)
{
    char *p = at(rel);
    cr_assert_eq(tu_make_image(p, w, h), 0, "cannot make %s", p);
    free(p);
}

/* Runs a shell command in tmp that must succeed (making test files). */
static void sh(const char *cmd)
{
    char *err = NULL;
    int rc = tu_runf(NULL, &err, "cd %s && %s", tmp, cmd);
    cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, err);
    free(err);
}

static int exists(const char *rel)
{
    char *p = at(rel);
    int e = tu_exists(p);
    free(p);
    return e;
}

/* Hand-written documents, each with a photo's name: only the bytes tell
 * what they are. */
static const char pdf_doc[] =
    "%PDF-1.4\n"
    "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 20 20] >> endobj\n"
    "trailer << /Root 1 0 R >>\n"
    "%%EOF\n";
static const char svg_doc[] =
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"30\">"
    "<rect width=\"40\" height=\"30\" fill=\"red\"/></svg>\n";
static const char ps_doc[] =
    "%!PS-Adobe-3.0\n%%BoundingBox: 0 0 10 10\n"
    "newpath 0 0 moveto 10 10 lineto stroke showpage\n";

#define DEFAULT_LIST "(limits.formats: jpeg, png, webp, gif, heif, tiff, jxl)"

static void expect_in(const char *text, const char *frag)
{
    cr_expect(strstr(text, frag) != NULL, "want: %s\ngot:\n%s", frag, text);
}

/* The case: documents dressed as photos, and a libvips .v file,
 * each refused with its real format named, and the good JPEG beside them
 * still processed. */
Test(formats, hostile_uploads_are_refused_by_their_bytes_and_fail_alone)
{
    make("good.jpg", 300, 200);
    write_text("doc.jpg", pdf_doc);
    write_text("draw.jpg", svg_doc);
    write_text("print.jpg", ps_doc);
    sh("vips copy good.jpg raw.png && vips copy raw.png img.v");
    /* gzip with bytes after its end: libvips 8.14's SVG sniffer inflates
     * it without end, so the sniffer of a blocked loader must not run */
    sh("printf '<svg xmlns=\"http://www.w3.org/2000/svg\"/>' | gzip -9 > zip.jpg && "
       "printf 'bytes after the end' >> zip.jpg");
    write_text("p.yaml", "stages: [ resize: { width: 64 } ]\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && timeout 20 %s run -p p.yaml doc.jpg good.jpg draw.jpg "
                     "print.jpg img.v zip.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "exit status %d\n%s\n%s", rc, out, err);
    expect_in(out, "1 processed, 5 failed, 0 skipped\n");
    expect_in(err, "failed: zip.jpg: is gzip-compressed data, read by libvips only as SVGZ "
                   "(format svg), which this pipeline does not accept " DEFAULT_LIST);
    cr_expect(!strstr(err, "time limit"), "refused at once, not stopped: %s", err);
    expect_in(out, "ok       good.jpg (jpeg 300x200");
    expect_in(err, "failed: doc.jpg: is a PDF document (format pdf), which this pipeline does "
                   "not accept " DEFAULT_LIST);
    expect_in(err, "failed: draw.jpg: is an SVG drawing (format svg), which this pipeline does "
                   "not accept " DEFAULT_LIST);
    expect_in(err, "failed: print.jpg: is a PostScript document (format ps), which this "
                   "pipeline does not accept " DEFAULT_LIST);
    expect_in(err, "failed: img.v: is a libvips .v image (format vips), which this pipeline "
                   "does not accept " DEFAULT_LIST);
    cr_expect(exists("out/good-main.jpg"), "the good JPEG was not stored");
    const char *refused[] = { "out/doc-main.jpg", "out/doc-main.png", "out/draw-main.png",
                              "out/draw-main.jpg", "out/print-main.jpg", "out/img-main.jpg",
                              "out/img-main.png" };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        cr_expect(!exists(refused[i]), "%s was written for a refused source", refused[i]);
    free(out);
    free(err);
}

/* The other way round: a JPEG named .pdf is a JPEG. */
Test(formats, a_jpeg_named_pdf_is_a_jpeg)
{
    make("photo.jpg", 120, 80);
    sh("mv photo.jpg photo.pdf");
    write_text("p.yaml", "stages: [ resize: { width: 60 } ]\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -p p.yaml photo.pdf", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s\n%s", out, err);
    expect_in(out, "ok       photo.pdf (jpeg 120x80");
    cr_expect(exists("out/photo-main.jpg"));
    free(out);
    free(err);
}

/* In a folder walk a file no loader knows stays skipped, as before; one
 * in a known format the pipeline refuses fails, so it is seen. */
Test(formats, folder_walk_skips_non_images_and_fails_refused_formats)
{
    sh("mkdir -p in");
    make("in/a.jpg", 100, 80);
    write_text("in/notes.txt", "not an image\n");
    write_text("in/manual.pdf", pdf_doc);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -q in", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "%s\n%s", out, err);
    expect_in(out, "1 processed, 1 failed, 1 skipped\n");
    expect_in(err, "failed: in/manual.pdf: is a PDF document (format pdf)");
    cr_expect(exists("out/a-large.jpg"));
    free(out);
    free(err);
}

static int has_loader(const char *nickname)
{
    return tu_runf(NULL, NULL, "vips -l | grep -q '(%s)'", nickname) == 0;
}

/* Opting in: the list replaces the default, and only the loader opted in
 * is let back (the PDF stays refused, the PNG too, as it is not listed). */
Test(formats, svg_accepted_when_the_pipeline_opts_in)
{
    if (!has_loader("svgload_buffer"))
        cr_skip_test("this libvips has no SVG loader (librsvg)");
    write_text("draw.jpg", svg_doc);
    write_text("doc.jpg", pdf_doc);
    make("a.png", 50, 40);
    make("b.jpg", 50, 40);
    write_text("svg.yaml", "limits: { formats: [svg, jpg] }\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -p svg.yaml draw.jpg doc.jpg a.png b.jpg", tmp,
                     tu_pixpipe());
    cr_expect_eq(rc, 1, "%s\n%s", out, err);
    expect_in(out, "2 processed, 2 failed, 0 skipped\n");
    expect_in(out, "ok       draw.jpg (svg 40x30");
    expect_in(err, "failed: doc.jpg: is a PDF document (format pdf), which this pipeline does not "
                   "accept (limits.formats: svg, jpeg)");
    expect_in(err, "failed: a.png: is a PNG image (format png), which this pipeline does not "
                   "accept (limits.formats: svg, jpeg)");
    char *png = at("out/draw-main.png");
    int w = 0, h = 0;
    cr_expect_eq(tu_image_size(png, &w, &h, NULL), 0, "the SVG's rendition is missing");
    cr_expect(w == 40 && h == 30, "draw-main.png is %dx%d, expected 40x30", w, h);
    free(png);
    cr_expect(exists("out/b-main.jpg"));
    free(out);
    free(err);
}

/* validate names the format and why it can never be accepted. */
Test(formats, validate_refuses_formats_that_can_never_be_accepted)
{
    static const struct { const char *list, *want; } cases[] = {
        { "[magick]", "v.yaml:1:21: limits: formats[0]: magick (a file only ImageMagick reads) "
                      "can never be accepted: it would run ImageMagick" },
        { "[jpeg, pnm]", "limits: formats[1]: pnm (format ppm, a Netpbm image) can never be "
                         "accepted: libvips marks its loader (ppmload) untrusted" },
        { "[jpeg, fits]", "limits: formats[1]: fits (a FITS image) can never be accepted" },
        { "[exr]", "limits: formats[0]: exr (an OpenEXR image) can never be accepted" },
        { "[vips]", "limits: formats[0]: vips (a libvips .v image) can never be accepted" },
        { "[csv]", "limits: formats[0]: csv (a CSV file) can never be accepted: a text format "
                   "without a signature" },
        { "[eps]", "formats[0]: eps (format ps, a PostScript document) can never be accepted" },
        { "[jpeg, pnj]", "limits: formats[1]: unknown format 'pnj' (did you mean 'png'?); known: "
                         "jpeg, png, webp, gif, heif, tiff, jxl, svg, pdf" },
        { "[]", "limits: formats: the list is empty, so no source could be accepted" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *yaml = tu_strf("limits: { formats: %s }\n", cases[i].list);
        write_text("v.yaml", yaml);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd %s && %s validate -p v.yaml", tmp, tu_pixpipe());
        cr_expect_eq(rc, 2, "formats: %s: exit %d\n%s%s", cases[i].list, rc, out, err);
        expect_in(err, cases[i].want);
        free(yaml);
        free(out);
        free(err);
    }
}

/* Pages are counted from the header: a TIFF of 600 one-pixel directories
 * is tiny in pixels but not a photo. */
Test(formats, max_pages_is_checked_before_decoding)
{
    sh("vips black tall.v 1 600 && vips tiffsave tall.v pages.tif --page-height 1");
    char *anim = at("anim.gif");
    cr_assert_eq(tu_make_anim(anim), 0);
    free(anim);
    make("one.jpg", 64, 48);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -q pages.tif one.jpg", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "%s\n%s", out, err);
    expect_in(out, "1 processed, 1 failed, 0 skipped\n");
    expect_in(err, "failed: pages.tif: has 600 pages (TIFF directories), over limits.max_pages "
                   "(500)");
    cr_expect(!exists("out/pages-large.jpg"));
    free(out);
    free(err);

    write_text("p.yaml", "limits: { max_pages: 2 }\n");
    rc = tu_runf(&out, &err, "cd %s && %s run -q -p p.yaml anim.gif", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "%s\n%s", out, err);
    expect_in(err, "failed: anim.gif: has 3 frames, over limits.max_pages (2)");
    free(out);
    free(err);

    write_text("none.yaml", "limits: { max_pages: 0 }\n");
    rc = tu_runf(&out, &err, "cd %s && %s run -q -p none.yaml pages.tif", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "max_pages: 0 is no limit\n%s\n%s", out, err);
    cr_expect(exists("out/pages-main.tif"));
    free(out);
    free(err);
}

/* The estimate uses the loader's bands and depth, and the pages the decode
 * will really hold: every frame only when the output animates. */
Test(formats, max_memory_is_estimated_before_decoding)
{
    sh("vips black b.v 1000 1000 --bands 4 && vips cast b.v c.v ushort && "
       "vips copy c.v deep.png --interpretation rgb16");
    write_text("m.yaml", "limits: { max_memory: 4MiB }\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -q -p m.yaml deep.png", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "%s\n%s", out, err);
    expect_in(err, "failed: deep.png: would take about 7.6 MiB decoded (1000x1000 x 4 bands x "
                   "16-bit x 1 page), over limits.max_memory (4 MiB)");
    cr_expect(!exists("out/deep-main.png"));
    free(out);
    free(err);

    /* three 120x80 RGBA frames: 112.5 KiB when all are kept, 37.5 KiB for
     * the first alone */
    char *anim = at("anim.gif");
    cr_assert_eq(tu_make_anim(anim), 0);
    free(anim);
    write_text("gif.yaml", "limits: { max_memory: 100KiB }\noutput: { format: gif }\n");
    rc = tu_runf(&out, &err, "cd %s && %s run -q -p gif.yaml anim.gif", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "%s\n%s", out, err);
    expect_in(err, "failed: anim.gif: would take about 112.5 KiB decoded (120x80 x 4 bands x "
                   "8-bit x 3 frames), over limits.max_memory (100 KiB)");
    free(out);
    free(err);
    write_text("jpg.yaml", "limits: { max_memory: 100KiB }\noutput: { format: jpeg }\n");
    rc = tu_runf(&out, &err, "cd %s && %s run -q -p jpg.yaml anim.gif", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "one frame decoded fits\n%s\n%s", out, err);
    cr_expect(exists("out/anim-main.jpg"));
    free(out);
    free(err);
}

Test(formats, job_timeout_is_a_bounded_duration)
{
    static const struct { const char *value, *want; } bad[] = {
        { "30 parsecs", "v.yaml:1:24: limits: job_timeout: '30 parsecs' is not a duration; "
                        "expected a number and a unit, ms, s or m (500ms, 30s, 2m), or 0 for no "
                        "limit" },
        { "30", "limits: job_timeout: '30' is not a duration" },
        { "-5s", "limits: job_timeout: '-5s' is not a duration" },
        { "50ms", "limits: job_timeout: 50ms is under the minimum of 100ms" },
        { "16m", "limits: job_timeout: 16m is over the maximum of 15m" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *yaml = tu_strf("limits: { job_timeout: %s }\n", bad[i].value);
        write_text("v.yaml", yaml);
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd %s && %s validate -p v.yaml", tmp, tu_pixpipe());
        cr_expect_eq(rc, 2, "job_timeout: %s: exit %d\n%s%s", bad[i].value, rc, out, err);
        expect_in(err, bad[i].want);
        free(yaml);
        free(out);
        free(err);
    }
    write_text("ok.yaml", "limits: { job_timeout: 1.5s }\n");
    cr_expect_eq(tu_runf(NULL, NULL, "cd %s && %s validate -p ok.yaml", tmp, tu_pixpipe()), 0);
}
