/* The watermark plugin, end to end through the pixpipe binary: each output
 * is compared pixel by pixel with the same pipeline run without the stage,
 * so the tests see where the mark landed and that nothing else changed.
 * Gravities, text and image marks, opacity, tiling, % and px sizes, tiny
 * images (mark left out with a note in the record), alpha in the mark,
 * band counts kept, animated GIFs marked frame by frame, config errors. */
#include <criterion/criterion.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *wm_tmp;
static char *wm_bin; /* the pixpipe command line, with its environment */

static void wm_setup(void)
{
    cr_assert_eq(VIPS_INIT("pixpipe-tests"), 0);
    vips_cache_set_max(0);
    wm_tmp = tu_tmpdir();
    cr_assert_not_null(wm_tmp);
    /* under SAN=1, `make test` points LSAN_OPTIONS at tests/lsan.supp for
     * the leaks Pango and fontconfig keep in their caches */
    wm_bin = tu_strf("'%s'", tu_pixpipe());
}

static void wm_teardown(void)
{
    tu_rmrf(wm_tmp);
    free(wm_tmp);
    free(wm_bin);
}

TestSuite(watermark, .init = wm_setup, .fini = wm_teardown);

static char *wm_at(const char *rel)
{
    return tu_strf("%s/%s", wm_tmp, rel);
}

static void wm_make(const char *rel, int w, int h)
{
    char *p = wm_at(rel);
    cr_assert_eq(tu_make_image(p, w, h), 0, "cannot make %s", p);
    free(p);
}

/* Saves im (not stolen) as wm_tmp/rel. */
static void wm_save(VipsImage *im, const char *rel)
{
    char *p = wm_at(rel);
    cr_assert_eq(vips_image_write_to_file(im, p, NULL), 0, "cannot write %s: %s", p,
                 vips_error_buffer());
    free(p);
}

/* Runs a pipeline writing renditions under wm_tmp/root/ (format fmt) with
 * the given stages (YAML list body, or "" for none) on input.  With
 * metadata, a metadata-sink stage writes root/metadata.db.  Returns the exit
 * status; out/err may be NULL. */
static int wm_run(const char *root, const char *fmt, const char *stages, const char *input,
                  bool metadata, char **out, char **err)
{
    char *yaml = tu_strf("name: wm-test\n"
                         "destination: { storage: fs, root: ./%s, key: \"{name}-{rendition}.{ext}\" }\n"
                         "%s%s%s"
                         "output: { rendition: main, format: %s }\n"
                         "stages:%s\n%s%s",
                         root, metadata ? "metadata: { backend: sqlite, path: ./" : "",
                         metadata ? root : "", metadata ? "/metadata.db }\n" : "", fmt,
                         *stages || metadata ? "" : " []", stages,
                         metadata ? "  - metadata-sink: {}\n" : "");
    char *name = tu_strf("pipe-%s.yaml", root);
    char *path = wm_at(name);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    char *o = NULL, *e = NULL;
    int rc = tu_runf(&o, &e, "cd '%s' && %s run -p %s %s", wm_tmp, wm_bin, name, input);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    free(yaml);
    free(name);
    free(path);
    return rc;
}

/* Runs the stages and asserts the job succeeded. */
static void wm_run_ok(const char *root, const char *fmt, const char *stages, const char *input)
{
    char *out = NULL, *err = NULL;
    int rc = wm_run(root, fmt, stages, input, false, &out, &err);
    cr_assert_eq(rc, 0, "run with\n%sfailed (%d):\n%s%s", stages, rc, out, err);
    cr_assert(strstr(out, " processed, 0 failed, 0 skipped"), "%s", out);
    free(out);
    free(err);
}

/* An image's pixels, every frame stacked. */
typedef struct wm_pix {
    unsigned char *px;
    int w, h, bands, page_h;
} wm_pix;

static wm_pix wm_load(const char *rel)
{
    char *p = wm_at(rel);
    wm_pix r = { 0 };
    bool gif = strstr(rel, ".gif") != NULL;
    VipsImage *im = gif ? vips_image_new_from_file(p, "n", -1, NULL)
                        : vips_image_new_from_file(p, NULL);
    VipsImage *u = NULL;
    cr_assert_not_null(im, "cannot open %s: %s", p, vips_error_buffer());
    cr_assert_eq(vips_cast_uchar(im, &u, NULL), 0);
    size_t len = 0;
    r.px = vips_image_write_to_memory(u, &len);
    cr_assert_not_null(r.px);
    r.w = vips_image_get_width(u);
    r.h = vips_image_get_height(u);
    r.bands = vips_image_get_bands(u);
    r.page_h = vips_image_get_page_height(u);
    g_object_unref(u);
    g_object_unref(im);
    free(p);
    return r;
}

static const unsigned char *wm_px(const wm_pix *p, int x, int y)
{
    return p->px + ((size_t)y * p->w + x) * p->bands;
}

/* Where two same-sized images differ, within rows y0..y1-1. */
typedef struct wm_diff {
    long n;      /* pixels that differ */
    double sum;  /* summed absolute band differences */
    int x0, y0, x1, y1; /* bounding box, exclusive end; x0 = -1 when none */
} wm_diff;

static wm_diff wm_compare_rows(const wm_pix *a, const wm_pix *b, int y0, int y1)
{
    wm_diff d = { 0, 0, -1, -1, -1, -1 };
    cr_assert(a->w == b->w && a->h == b->h && a->bands == b->bands,
              "sizes differ: %dx%dx%d vs %dx%dx%d", a->w, a->h, a->bands, b->w, b->h, b->bands);
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < a->w; x++) {
            const unsigned char *p = wm_px(a, x, y), *q = wm_px(b, x, y);
            int s = 0;
            for (int i = 0; i < a->bands; i++)
                s += abs(p[i] - q[i]);
            if (!s)
                continue;
            if (d.n++ == 0) {
                d.x0 = d.x1 = x;
                d.y0 = d.y1 = y;
            }
            d.sum += s;
            d.x0 = x < d.x0 ? x : d.x0;
            d.x1 = x + 1 > d.x1 ? x + 1 : d.x1;
            d.y0 = y < d.y0 ? y : d.y0;
            d.y1 = y + 1 > d.y1 ? y + 1 : d.y1;
        }
    return d;
}

static wm_diff wm_compare(const char *rel_a, const char *rel_b)
{
    wm_pix a = wm_load(rel_a), b = wm_load(rel_b);
    wm_diff d = wm_compare_rows(&a, &b, 0, a.h);
    g_free(a.px);
    g_free(b.px);
    return d;
}

/* The plain output of input, for comparisons: plain/<name>-main.png. */
static void wm_plain(const char *input)
{
    wm_run_ok("plain", "png", "", input);
}

/* Runs one watermark stage with opts on in.png into root and returns the
 * difference to plain/in-main.png. */
static wm_diff wm_mark(const char *root, const char *opts)
{
    char *stages = tu_strf("  - watermark: { %s }\n", opts);
    wm_run_ok(root, "png", stages, "in.png");
    char *res = tu_strf("%s/in-main.png", root);
    wm_diff d = wm_compare("plain/in-main.png", res);
    free(res);
    free(stages);
    return d;
}

/* The "notes" of the only record in root/metadata.db, as JSON text (caller
 * frees), or NULL when the record has none. */
static char *wm_notes(const char *root)
{
    char *path = tu_strf("%s/%s/metadata.db", wm_tmp, root);
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *notes = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, "SELECT json_extract(record, '$.notes') FROM images", -1,
                                    &st, NULL),
                 SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "no record in %s", path);
    if (sqlite3_column_type(st, 0) != SQLITE_NULL)
        notes = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(path);
    return notes;
}

/* --- where the mark lands */

/* The text mark sits in the corner asked for, against the 2% (8 px) margin,
 * and nothing outside its box changes. */
Test(watermark, gravities_put_the_mark_where_asked)
{
    static const struct {
        const char *pos;
        int col, row; /* 0 start, 1 centre, 2 end */
    } cases[] = { { "north-west", 0, 0 }, { "north", 1, 0 }, { "east", 2, 1 },
                  { "centre", 1, 1 },     { "south-west", 0, 2 }, { "south-east", 2, 2 } };
    const int W = 400, H = 300, M = 8;

    wm_make("in.png", W, H);
    wm_plain("in.png");
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        /* no halo: the changed box is the text itself */
        char *opts = tu_strf("text: \"pixpipe\", opacity: 1, shadow: transparent, position: %s",
                             cases[i].pos);
        wm_diff d = wm_mark(cases[i].pos, opts);
        cr_assert(d.n > 100, "%s: only %ld pixels changed", cases[i].pos, d.n);
        int cx = (d.x0 + d.x1) / 2, cy = (d.y0 + d.y1) / 2;
        /* 4% of 400 = 16 px text: the ink box is about 16 high, 60+ wide */
        cr_expect(d.y1 - d.y0 >= 10 && d.y1 - d.y0 <= 18 && d.x1 - d.x0 >= 50 &&
                      d.x1 - d.x0 <= 90,
                  "%s: changed box %d,%d-%d,%d is not a 16 px text", cases[i].pos, d.x0, d.y0,
                  d.x1, d.y1);
        switch (cases[i].col) {
        case 0: cr_expect(d.x0 >= M && d.x0 <= M + 2, "%s: left %d", cases[i].pos, d.x0); break;
        case 1: cr_expect(abs(cx - W / 2) <= 2, "%s: centre x %d", cases[i].pos, cx); break;
        default: cr_expect(d.x1 <= W - M && d.x1 >= W - M - 2, "%s: right %d", cases[i].pos, d.x1);
        }
        switch (cases[i].row) {
        case 0: cr_expect(d.y0 >= M && d.y0 <= M + 2, "%s: top %d", cases[i].pos, d.y0); break;
        case 1: cr_expect(abs(cy - H / 2) <= 2, "%s: centre y %d", cases[i].pos, cy); break;
        default: cr_expect(d.y1 <= H - M && d.y1 >= H - M - 2, "%s: bottom %d", cases[i].pos, d.y1);
        }
        free(opts);
    }
}

Test(watermark, margin_in_pixels)
{
    wm_make("in.png", 400, 300);
    wm_plain("in.png");
    wm_diff d = wm_mark("out", "text: \"pixpipe\", opacity: 1, position: north-west, margin: 30px");
    cr_assert(d.n > 0);
    cr_expect(d.x0 >= 30 && d.x0 <= 32 && d.y0 >= 30 && d.y0 <= 32, "box starts at %d,%d", d.x0,
              d.y0);
}

/* --- opacity, colour, size */

Test(watermark, opacity_sets_the_strength)
{
    wm_make("in.png", 400, 300);
    wm_plain("in.png");
    /* one layer (no halo), so the change is linear in the opacity */
    wm_diff faint = wm_mark("faint", "text: \"pixpipe\", opacity: 0.2, shadow: transparent");
    wm_diff strong = wm_mark("strong", "text: \"pixpipe\", opacity: 0.9, shadow: transparent");
    wm_diff none = wm_mark("none", "text: \"pixpipe\", opacity: 0");
    cr_assert(faint.n > 0 && strong.n > 0, "faint %ld, strong %ld pixels", faint.n, strong.n);
    /* The change is proportional to the opacity: 0.9 / 0.2 = 4.5. */
    double ratio = strong.sum / faint.sum;
    cr_expect(ratio > 3.5 && ratio < 5.5, "strong/faint change ratio %.2f, expected ~4.5", ratio);
    cr_expect_eq(none.n, 0, "opacity 0 changed %ld pixels", none.n);
}

/* The default halo makes white text readable on a white image: without it
 * nothing visible changes, with it the pixels around the letters darken,
 * and only inside the mark's box. */
Test(watermark, halo_makes_text_readable_on_light_images)
{
    VipsImage *white = NULL, *rgb = NULL;
    cr_assert_eq(vips_black(&white, 400, 300, "bands", 3, NULL), 0);
    cr_assert_eq(vips_linear1(white, &rgb, 1, 255, "uchar", TRUE, NULL), 0);
    char *p = wm_at("in.png");
    cr_assert_eq(vips_image_write_to_file(rgb, p, NULL), 0);
    g_object_unref(white);
    g_object_unref(rgb);
    free(p);
    wm_plain("in.png");
    wm_diff bare = wm_mark("bare", "text: \"pixpipe\", opacity: 1, shadow: transparent");
    wm_diff halo = wm_mark("halo", "text: \"pixpipe\", opacity: 1");
    cr_expect_eq(bare.n, 0, "white text on white changed %ld pixels", bare.n);
    cr_assert(halo.n > 200, "the halo changed only %ld pixels", halo.n);
    /* in the south-east corner, against the 8 px margin */
    cr_expect(halo.x1 <= 392 && halo.y1 <= 292 && halo.x0 > 250 && halo.y0 > 240,
              "halo box %d,%d-%d,%d", halo.x0, halo.y0, halo.x1, halo.y1);
}

Test(watermark, text_colour_is_used)
{
    /* Opaque red text on a black image: changed pixels are red only. */
    VipsImage *black = NULL;
    cr_assert_eq(vips_black(&black, 300, 200, "bands", 3, NULL), 0);
    VipsImage *srgb = NULL;
    cr_assert_eq(vips_copy(black, &srgb, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    wm_save(srgb, "in.png");
    g_object_unref(srgb);
    g_object_unref(black);
    wm_run_ok("out", "png", "  - watermark: { text: \"X\", size: 40px, colour: \"#ff0000\", "
                            "opacity: 1, position: centre }\n",
              "in.png");
    wm_pix p = wm_load("out/in-main.png");
    const unsigned char *c;
    long red = 0, other = 0;
    for (int y = 0; y < p.h; y++)
        for (int x = 0; x < p.w; x++) {
            c = wm_px(&p, x, y);
            red += c[0] == 255 && c[1] == 0 && c[2] == 0;
            other += c[1] != 0 || c[2] != 0;
        }
    cr_expect(red > 100, "only %ld pure red pixels", red);
    cr_expect_eq(other, 0, "%ld pixels not on the black-to-red line", other);
    g_free(p.px);
}

/* A % size follows the image width; a px size does not. */
Test(watermark, percent_size_scales_with_the_image)
{
    wm_make("in.png", 400, 300);
    wm_make("big.png", 800, 600);
    wm_run_ok("plain", "png", "", "in.png big.png");
    wm_run_ok("pct", "png", "  - watermark: { text: \"pixpipe\", size: 5%, opacity: 1 }\n",
              "in.png big.png");
    wm_run_ok("px", "png", "  - watermark: { text: \"pixpipe\", size: 20px, opacity: 1 }\n",
              "in.png big.png");
    wm_diff s = wm_compare("plain/in-main.png", "pct/in-main.png");
    wm_diff b = wm_compare("plain/big-main.png", "pct/big-main.png");
    double rw = (double)(b.x1 - b.x0) / (s.x1 - s.x0), rh = (double)(b.y1 - b.y0) / (s.y1 - s.y0);
    cr_expect(rw > 1.85 && rw < 2.15 && rh > 1.75 && rh < 2.25,
              "5%% text: %dx%d on 400 wide, %dx%d on 800 wide", s.x1 - s.x0, s.y1 - s.y0,
              b.x1 - b.x0, b.y1 - b.y0);
    /* 5% of 400 = 20 px: the same text as size 20px */
    wm_diff p1 = wm_compare("plain/in-main.png", "px/in-main.png");
    wm_diff p2 = wm_compare("plain/big-main.png", "px/big-main.png");
    cr_expect(abs((p2.x1 - p2.x0) - (p1.x1 - p1.x0)) <= 1 &&
                  abs((p2.y1 - p2.y0) - (p1.y1 - p1.y0)) <= 1,
              "20px text: %dx%d vs %dx%d", p1.x1 - p1.x0, p1.y1 - p1.y0, p2.x1 - p2.x0,
              p2.y1 - p2.y0);
    cr_expect(abs((p1.x1 - p1.x0) - (s.x1 - s.x0)) <= 1, "20px and 5%% of 400 differ");
    /* margin 2% of 800 = 16 px */
    cr_expect(b.x1 <= 800 - 16 && b.x1 >= 800 - 18 && b.y1 <= 600 - 16 && b.y1 >= 600 - 18,
              "big: box ends at %d,%d", b.x1, b.y1);
}

/* --- tiling */

Test(watermark, tile_covers_the_image)
{
    wm_make("in.png", 400, 300);
    wm_plain("in.png");
    wm_diff one = wm_mark("one", "text: \"pixpipe\", opacity: 0.8");
    wm_diff d = wm_mark("tiled", "text: \"pixpipe\", opacity: 0.8, tile: true, spacing: 20px");
    cr_assert(d.n > 10 * one.n, "tiled changed %ld pixels, a single mark %ld", d.n, one.n);
    /* every cell of a 3x3 grid over the image holds some mark */
    wm_pix a = wm_load("plain/in-main.png"), b = wm_load("tiled/in-main.png");
    for (int gy = 0; gy < 3; gy++)
        for (int gx = 0; gx < 3; gx++) {
            long n = 0;
            for (int y = gy * 100; y < (gy + 1) * 100; y++)
                for (int x = gx * 133; x < (gx + 1) * 133; x++)
                    n += memcmp(wm_px(&a, x, y), wm_px(&b, x, y), 3) != 0;
            cr_expect(n > 50, "cell %d,%d: %ld changed pixels", gx, gy, n);
        }
    /* whole marks only, inside the 8 px margin */
    cr_expect(d.x0 >= 8 && d.y0 >= 8 && d.x1 <= 392 && d.y1 <= 292, "tiles at %d,%d-%d,%d", d.x0,
              d.y0, d.x1, d.y1);
    g_free(a.px);
    g_free(b.px);
}

/* --- image marks */

/* A 100x50 logo: left half opaque red, right half fully transparent. */
static void wm_make_logo(const char *rel)
{
    VipsImage *x = NULL, *left = NULL, *r = NULL, *zero = NULL, *alpha = NULL, *logo = NULL,
              *u = NULL, *srgb = NULL;
    cr_assert_eq(vips_xyz(&x, 100, 50, NULL), 0);
    cr_assert_eq(vips_extract_band(x, &left, 0, NULL), 0);
    cr_assert_eq(vips_relational_const1(left, &alpha, VIPS_OPERATION_RELATIONAL_LESS, 50, NULL),
                 0); /* 255 on the left half */
    cr_assert_eq(vips_linear1(left, &r, 0, 255, NULL), 0);
    cr_assert_eq(vips_linear1(left, &zero, 0, 0, NULL), 0);
    VipsImage *bands[4] = { r, zero, zero, alpha };
    cr_assert_eq(vips_bandjoin(bands, &logo, 4, NULL), 0);
    cr_assert_eq(vips_cast_uchar(logo, &u, NULL), 0);
    cr_assert_eq(vips_copy(u, &srgb, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    wm_save(srgb, rel);
    VipsImage *all[] = { x, left, r, zero, alpha, logo, u, srgb };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        g_object_unref(all[i]);
}

Test(watermark, image_mark_keeps_transparent_parts_untouched)
{
    wm_make("in.png", 400, 300);
    wm_make_logo("logo.png");
    wm_plain("in.png");
    /* 0.25 x 400 = 100 px wide: the logo at its own size, at 10,10 */
    wm_diff d = wm_mark("out", "image: logo.png, scale: 0.25, opacity: 1, position: north-west, "
                               "margin: 10px");
    cr_assert(d.n > 0, "no change");
    cr_expect(d.x0 == 10 && d.y0 == 10 && d.y1 == 60, "changed box %d,%d-%d,%d", d.x0, d.y0,
              d.x1, d.y1);
    /* the opaque half turns red; the transparent half (x 60..109) stays */
    cr_expect(d.x1 <= 62, "transparent half changed: box ends at x %d", d.x1);
    wm_pix p = wm_load("out/in-main.png");
    const unsigned char *c = wm_px(&p, 30, 35);
    cr_expect(c[0] == 255 && c[1] == 0 && c[2] == 0, "opaque part is %d,%d,%d", c[0], c[1], c[2]);
    g_free(p.px);
}

Test(watermark, image_mark_scales_with_the_image)
{
    wm_make("in.png", 400, 300);
    wm_make("big.png", 800, 600);
    wm_make_logo("logo.png");
    wm_run_ok("plain", "png", "", "in.png big.png");
    wm_run_ok("out", "png", "  - watermark: { image: logo.png, opacity: 1, position: south-west }\n",
              "in.png big.png");
    wm_diff s = wm_compare("plain/in-main.png", "out/in-main.png");
    wm_diff b = wm_compare("plain/big-main.png", "out/big-main.png");
    /* scale 0.2: an 80x40 logo (opaque half 40 wide) on 400, 160x80 on 800 */
    cr_expect(abs((s.x1 - s.x0) - 40) <= 1 && abs((s.y1 - s.y0) - 40) <= 1, "400: %dx%d",
              s.x1 - s.x0, s.y1 - s.y0);
    cr_expect(abs((b.x1 - b.x0) - 80) <= 1 && abs((b.y1 - b.y0) - 80) <= 1, "800: %dx%d",
              b.x1 - b.x0, b.y1 - b.y0);
    cr_expect(s.x0 == 8 && s.y1 == 292, "400: box %d,%d-%d,%d", s.x0, s.y0, s.x1, s.y1);
}

Test(watermark, image_mark_opacity)
{
    wm_make("in.png", 400, 300);
    wm_make_logo("logo.png");
    wm_plain("in.png");
    wm_diff faint = wm_mark("faint", "image: logo.png, opacity: 0.25");
    wm_diff full = wm_mark("full", "image: logo.png, opacity: 1");
    double ratio = full.sum / faint.sum;
    cr_expect(ratio > 3.3 && ratio < 4.7, "opacity 1 / 0.25 change ratio %.2f", ratio);
}

/* Several jobs at once share the mark loaded in create(). */
Test(watermark, concurrent_jobs_share_the_image_mark)
{
    char names[256] = "";
    wm_make_logo("logo.png");
    for (int i = 0; i < 8; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "i%d.png", i);
        wm_make(rel, 300 + 20 * i, 200);
        strcat(names, rel);
        strcat(names, " ");
    }
    char *out = NULL, *err = NULL;
    char *name = wm_at("pipe.yaml");
    const char *yaml = "name: wm-test\n"
                       "destination: { storage: fs, root: ./out, key: \"{name}-{rendition}.{ext}\" }\n"
                       "output: { rendition: main, format: png }\n"
                       "stages:\n  - watermark: { image: logo.png, opacity: 1, position: north-west }\n";
    cr_assert_eq(tu_write_file(name, yaml, strlen(yaml)), 0);
    int rc = tu_runf(&out, &err, "cd '%s' && %s run -j 4 -p pipe.yaml %s", wm_tmp,
                     wm_bin, names);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    cr_expect(strstr(out, "8 processed, 0 failed, 0 skipped"), "%s", out);
    for (int i = 0; i < 8; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "out/i%d-main.png", i);
        wm_pix p = wm_load(rel);
        const unsigned char *c = wm_px(&p, p.w / 50 + 5, p.w / 50 + 5);
        cr_expect(c[0] == 255 && c[1] == 0 && c[2] == 0, "%s not marked: %d,%d,%d", rel, c[0],
                  c[1], c[2]);
        g_free(p.px);
    }
    free(name);
    free(out);
    free(err);
}

/* --- bands kept */

/* Greyscale stays one band, RGBA keeps its alpha, and both are marked. */
Test(watermark, band_counts_are_kept)
{
    VipsImage *rgb = NULL, *grey = NULL, *rgba = NULL, *ga = NULL;
    char *src = wm_at("src.png");
    wm_make("src.png", 300, 200);
    rgb = vips_image_new_from_file(src, NULL);
    cr_assert_not_null(rgb);
    cr_assert_eq(vips_colourspace(rgb, &grey, VIPS_INTERPRETATION_B_W, NULL), 0);
    cr_assert_eq(vips_bandjoin_const1(rgb, &rgba, 255, NULL), 0);
    cr_assert_eq(vips_bandjoin_const1(grey, &ga, 255, NULL), 0);
    wm_save(grey, "grey.png");
    wm_save(rgba, "rgba.png");
    wm_save(ga, "ga.png");
    VipsImage *all[] = { rgb, grey, rgba, ga };
    for (size_t i = 0; i < 4; i++)
        g_object_unref(all[i]);
    wm_make_logo("logo.png");
    const char *inputs = "src.png grey.png rgba.png ga.png";
    wm_run_ok("plain", "png", "", inputs);
    wm_run_ok("text", "png", "  - watermark: { text: \"pixpipe\", opacity: 1 }\n", inputs);
    wm_run_ok("image", "png", "  - watermark: { image: logo.png, opacity: 1 }\n", inputs);
    static const struct {
        const char *name;
        int bands;
    } want[] = { { "src", 3 }, { "grey", 1 }, { "rgba", 4 }, { "ga", 2 } };
    for (size_t i = 0; i < 8; i++) {
        int w, h, bands;
        char *res = tu_strf("%s/%s-main.png", i < 4 ? "text" : "image", want[i % 4].name);
        char *plain = tu_strf("plain/%s-main.png", want[i % 4].name);
        char *p = wm_at(res);
        cr_assert_eq(tu_image_size(p, &w, &h, &bands), 0, "%s missing", res);
        cr_expect_eq(bands, want[i % 4].bands, "%s has %d bands, expected %d", res, bands,
                     want[i % 4].bands);
        wm_diff d = wm_compare(plain, res);
        cr_expect(d.n > 50 && d.x0 > 150 && d.y0 > 100, "%s: %ld changed at %d,%d", res, d.n,
                  d.x0, d.y0);
        free(p);
        free(plain);
        free(res);
    }
    free(src);
}

/* Counts magenta pixels of frame f inside x0..x1, y0..y1 (frame coords). */
static long wm_magenta(const wm_pix *p, int f, int x0, int y0, int x1, int y1)
{
    long n = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            const unsigned char *c = wm_px(p, x, f * p->page_h + y);
            n += c[0] > 200 && c[1] < 60 && c[2] > 200;
        }
    return n;
}

/* The mark goes on the upright image: EXIF orientation 6 (stored 450x600,
 * shown 600x450) gets its north-west mark in the top-left of what a viewer
 * sees. */
Test(watermark, mark_lands_on_the_upright_image)
{
    char *src = tu_strf("%s/../shared/corpus/images/sharp/Landscape_6.jpg", tu_src());
    if (!tu_exists(src)) {
        free(src);
        cr_skip_test("corpus absent");
    }
    char *cmd = tu_strf("cp '%s' '%s/l6.jpg'", src, wm_tmp);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    wm_run_ok("out", "png", "  - watermark: { text: \"pixpipe\", size: 8%, colour: \"#ff00ff\", "
                            "opacity: 1, position: north-west }\n",
              "l6.jpg");
    wm_pix p = wm_load("out/l6-main.png");
    cr_assert(p.w == 600 && p.h == 450, "output %dx%d, expected upright 600x450", p.w, p.h);
    p.page_h = p.h;
    long tl = wm_magenta(&p, 0, 0, 0, 300, 100), all = wm_magenta(&p, 0, 0, 0, 600, 450);
    cr_expect(tl > 100 && tl == all, "%ld magenta pixels top-left, %ld in all", tl, all);
    g_free(p.px);
    free(cmd);
    free(src);
}

/* --- tiny images */

/* A 20x15 image: no error, the mark is left out, and the record says so. */
Test(watermark, tiny_image_leaves_the_mark_out_with_a_note)
{
    wm_make("in.png", 20, 15);
    wm_make_logo("logo.png");
    const char *stages[] = { "  - watermark: { text: \"© pixpipe\" }\n",
                             "  - watermark: { text: \"© pixpipe\", size: 24px }\n",
                             "  - watermark: { image: logo.png }\n" };
    wm_plain("in.png");
    for (size_t i = 0; i < 3; i++) {
        char root[8], res[32], *out = NULL, *err = NULL;
        snprintf(root, sizeof root, "t%zu", i);
        int rc = wm_run(root, "png", stages[i], "in.png", true, &out, &err);
        cr_assert_eq(rc, 0, "%s failed: %s%s", stages[i], out, err);
        snprintf(res, sizeof res, "%s/in-main.png", root);
        wm_diff d = wm_compare("plain/in-main.png", res);
        cr_expect_eq(d.n, 0, "%s: %ld pixels changed on a 20x15 image", stages[i], d.n);
        char *notes = wm_notes(root);
        cr_expect(notes && strstr(notes, "watermark: ") && strstr(notes, "left out") &&
                      strstr(notes, "20x15"),
                  "%s: notes %s", stages[i], notes ? notes : "(none)");
        free(notes);
        free(out);
        free(err);
    }
}

/* A mark too big for the image is scaled down to fit inside the margins,
 * never clipped, and needs no note. */
Test(watermark, large_mark_is_scaled_down_to_fit)
{
    wm_make("in.png", 160, 120);
    wm_make_logo("logo.png");
    wm_plain("in.png");
    char *out = NULL, *err = NULL;
    int rc = wm_run("text", "png",
                    "  - watermark: { text: \"a long watermark line\", size: 40px, opacity: 1 }\n",
                    "in.png", true, &out, &err);
    cr_assert_eq(rc, 0, "%s%s", out, err);
    wm_diff d = wm_compare("plain/in-main.png", "text/in-main.png");
    /* margin 2% of 160 = 3 px */
    cr_expect(d.n > 50 && d.x0 >= 3 && d.x1 <= 157 && d.x1 >= 150 && d.y1 <= 117,
              "text box %d,%d-%d,%d (%ld px)", d.x0, d.y0, d.x1, d.y1, d.n);
    cr_expect(d.y1 - d.y0 < 30, "text not scaled down: %d high", d.y1 - d.y0);
    char *notes = wm_notes("text");
    cr_expect_null(notes, "unexpected notes %s", notes);
    free(notes);
    /* scale 1 with a 30 px margin: 100 wide, not 160 */
    wm_diff im = wm_mark("image", "image: logo.png, scale: 1, opacity: 1, position: north-west, "
                                  "margin: 30px");
    cr_expect(im.x0 == 30 && im.y0 == 30 && abs(im.x1 - 80) <= 1 && abs(im.y1 - 80) <= 1,
              "image box %d,%d-%d,%d", im.x0, im.y0, im.x1, im.y1);
    free(out);
    free(err);
}

/* --- animation */

/* Three solid frames, 200x150, stacked with page-height set, as a GIF. */
static void wm_make_gif(const char *rel)
{
    VipsImage *frames[3] = { NULL }, *all = NULL, *u = NULL;
    double colours[3][3] = { { 0, 0, 120 }, { 0, 100, 0 }, { 110, 0, 0 } };
    for (int i = 0; i < 3; i++) {
        VipsImage *b = NULL;
        double zero[3] = { 0, 0, 0 };
        cr_assert_eq(vips_black(&b, 200, 150, "bands", 3, NULL), 0);
        cr_assert_eq(vips_linear(b, &frames[i], zero, colours[i], 3, NULL), 0);
        g_object_unref(b);
    }
    cr_assert_eq(vips_arrayjoin(frames, &all, 3, "across", 1, NULL), 0);
    cr_assert_eq(vips_cast_uchar(all, &u, NULL), 0);
    VipsImage *c = NULL;
    cr_assert_eq(vips_copy(u, &c, "interpretation", VIPS_INTERPRETATION_sRGB, NULL), 0);
    vips_image_set_int(c, "page-height", 150);
    int delays[3] = { 100, 100, 100 };
    vips_image_set_array_int(c, "delay", delays, 3);
    vips_image_set_int(c, "loop", 0);
    wm_save(c, rel);
    for (int i = 0; i < 3; i++)
        g_object_unref(frames[i]);
    g_object_unref(all);
    g_object_unref(u);
    g_object_unref(c);
}

static void wm_check_animation(const char *rel, int frames)
{
    wm_pix p = wm_load(rel);
    cr_assert_eq(p.h / p.page_h, frames, "%s: %d frames of %d rows, expected %d", rel,
                 p.h / p.page_h, p.page_h, frames);
    for (int f = 0; f < frames; f++) {
        long in = wm_magenta(&p, f, p.w / 2, p.page_h / 2, p.w, p.page_h);
        long out = wm_magenta(&p, f, 0, 0, p.w, p.page_h) - in;
        cr_expect(in > 30, "%s frame %d: %ld mark pixels in the south-east", rel, f, in);
        cr_expect(out == 0, "%s frame %d: %ld mark pixels elsewhere", rel, f, out);
    }
    g_free(p.px);
}

#define WM_GIF_STAGE                                                                            \
    "  - watermark: { text: \"pixpipe\", size: 12%, colour: \"#ff00ff\", opacity: 1 }\n"

Test(watermark, animated_gif_marks_every_frame)
{
    wm_make_gif("anim.gif");
    wm_run_ok("out", "gif", WM_GIF_STAGE, "anim.gif");
    wm_check_animation("out/anim-main.gif", 3);
}

Test(watermark, corpus_animation_keeps_its_frames)
{
    char *src = tu_strf("%s/../shared/corpus/images/sharp/animated-loop-3.gif", tu_src());
    if (!tu_exists(src)) {
        free(src);
        cr_skip_test("corpus absent");
    }
    char *cmd = tu_strf("cp '%s' '%s/loop.gif'", src, wm_tmp);
    cr_assert_eq(tu_run(cmd, NULL, NULL), 0);
    wm_run_ok("out", "gif", WM_GIF_STAGE, "loop.gif");
    wm_check_animation("out/loop-main.gif", 10);
    free(cmd);
    free(src);
}

/* --- configuration errors */

/* `pixpipe validate` on a pipeline whose stage line is 4; returns stderr. */
static char *wm_validate(const char *stage)
{
    char *yaml = tu_strf("name: wm-test\n"
                         "output: { rendition: main, format: png }\n"
                         "stages:\n"
                         "  - watermark: %s\n",
                         stage);
    char *path = wm_at("bad.yaml");
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    char *err = NULL;
    int rc = tu_runf(NULL, &err, "cd '%s' && %s validate -p bad.yaml", wm_tmp, wm_bin);
    cr_expect_eq(rc, 2, "validate of %s exited %d", stage, rc);
    free(yaml);
    free(path);
    return err;
}

static void wm_expect_error(const char *stage, const char *want)
{
    char *err = wm_validate(stage);
    cr_expect(strstr(err, "bad.yaml:4:5: stages[0] watermark: ") && strstr(err, want),
              "%s: expected '%s' in:\n%s", stage, want, err);
    free(err);
}

Test(watermark, bad_config_is_refused_by_validate)
{
    wm_make_logo("logo.png");
    wm_expect_error("{ text: \"x\", image: logo.png }", "give text or image, not both");
    wm_expect_error("{ opacity: 0.3 }", "give text or image (the mark to draw)");
    wm_expect_error("{ image: nosuch.png }", "image 'nosuch.png': No such file or directory");
    char *txt = wm_at("notes.txt");
    cr_assert_eq(tu_write_file(txt, "hello\n", 6), 0);
    wm_expect_error("{ image: notes.txt }", "image 'notes.txt': not an image format");
    wm_expect_error("{ text: \"x\", size: 12pt }", "size '12pt': expected a unit of px or %");
    wm_expect_error("{ text: \"x\", size: 24 }", "size '24': expected a unit of px or %");
    wm_expect_error("{ text: \"x\", size: 0px }", "size '0px': must be more than 0");
    wm_expect_error("{ text: \"x\", margin: 60% }", "margin '60%': is over 50% of the width");
    wm_expect_error("{ text: \"x\", spacing: wide }", "spacing 'wide': expected a number");
    wm_expect_error("{ text: \"   \" }", "text is only white space");
    wm_expect_error("{ text: \"x\", font: \"DejaVu Sans 12\" }", "give the size with size:");
    free(txt);
}

/* check() runs with no side effect: a good config validates and nothing is
 * written. */
Test(watermark, good_config_validates)
{
    wm_make_logo("logo.png");
    char *err = NULL;
    const char *yaml = "name: wm-test\n"
                       "destination: { storage: fs, root: ./out }\n"
                       "output: { rendition: main, format: png }\n"
                       "stages:\n"
                       "  - watermark: { image: logo.png, position: centre, tile: true }\n"
                       "  - watermark: { text: \"© x\", size: 18px, margin: 0px }\n";
    char *path = wm_at("good.yaml");
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    int rc = tu_runf(NULL, &err, "cd '%s' && %s validate -p good.yaml", wm_tmp, wm_bin);
    cr_expect_eq(rc, 0, "%s", err);
    char *o = wm_at("out");
    cr_expect(!tu_exists(o), "validate created the output folder");
    free(o);
    free(path);
    free(err);
}
