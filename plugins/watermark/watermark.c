/*
 * watermark: draws a text or image mark over the working image.
 *
 * Options (exactly one of text and image):
 *   text     (string)  the mark's text, rendered headless with Pango (plain
 *                      text: markup characters are shown as written).
 *   image    (string)  path of an image libvips can load (relative to the
 *                      working folder); its alpha is honoured.  Loaded once
 *                      in create() (first page, upright, as sRGB + alpha,
 *                      without its metadata) and shared read-only, in
 *                      memory, by every job.
 *   font     (string, default "DejaVu Sans")  Pango family, style words
 *                      allowed ("DejaVu Sans Bold"); an unknown family is
 *                      replaced by Pango's nearest match, never an error.
 *   size     (string, default "4%")  text height: "24px", or a percentage of
 *                      the image width ("4%"); the Pango font size, rounded
 *                      to whole pixels (at 72 dpi a point is a pixel).
 *   colour   (colour, default white)  text colour; its alpha multiplies
 *                      opacity.
 *   shadow   (colour, default "#00000080")  a soft halo drawn under the
 *                      text so it reads on light and dark images alike;
 *                      "transparent" for none.
 *   opacity  (number 0..1, default 0.5)  multiplies the mark's alpha.
 *   scale    (number 0..1, default 0.2)  image mark width / image width.
 *   position (enum, default south-east)  one of the 9 gravities.
 *   margin   (string, default "2%")  gap to the edges: px or % of the width.
 *   tile     (bool, default false)  repeat the mark over the image.
 *   spacing  (string, default "5%")  gap between tiled marks: px or %.
 *
 * Geometry works on one frame (the page height of an animated image; the
 * whole image otherwise) and the same mark lands at the same place on every
 * frame.  The margin applies to both axes, as a number of pixels taken from
 * the width, but never more than a quarter of the frame's side, so a tiny
 * image still has room.  A mark that does not fit within the margins is
 * scaled down until it does (text is re-rendered smaller, not blurred); it
 * is never clipped.  When that makes it illegible (text under 6 px, an image
 * mark under 6 px on its short side) it is left out and a note says so in
 * the job's record.  Tiling lays out only whole marks, as a grid of as many
 * as fit inside the margins, the grid placed by `position`.
 *
 * Bands are kept: an image without alpha gets none, one with alpha keeps
 * its alpha (the mark is composited OVER, so it also shows over transparent
 * parts).  On a greyscale (B_W) image the mark is made grey (text colour by
 * its luma; image marks through libvips' colourspace conversion).
 *
 * Not scale-neutral and without min_scale: a px-sized mark depends on the
 * size it is drawn at, so the host decodes at full size when watermark
 * comes before resize.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <vips/vips.h>

#include <pixpipe/pixpipe.h>

/* Below these sizes a mark is not worth drawing. */
#define WM_MIN_TEXT_PX 6.0
#define WM_MIN_IMAGE_PX 6
/* Pango sizes are points; at 72 dpi a point is a pixel. */
#define WM_DPI 72
#define WM_MAX_PX 10000.0

enum { WM_NW, WM_N, WM_NE, WM_W, WM_C, WM_E, WM_SW, WM_S, WM_SE };

static const char *const wm_positions[] = { "north-west", "north", "north-east",
                                            "west",       "centre", "east",
                                            "south-west", "south", "south-east",
                                            NULL };

typedef struct wm_config {
    char *text, *image, *font, *size, *margin, *spacing;
    pix_colour colour, shadow;
    double opacity, scale;
    int position;
    bool tile;
} wm_config;

/* A length: pixels, or a percentage of the image width. */
typedef struct wm_len {
    double v;
    bool pct;
} wm_len;

typedef struct wm_state {
    const pix_host *host;
    char *markup;     /* the text, escaped for Pango; NULL for image marks */
    const char *font; /* borrowed from the config */
    VipsImage *mark;  /* sRGB + alpha, uchar, in memory; NULL for text     */
    wm_len size, margin, spacing;
    pix_colour colour, shadow;
    double opacity, scale;
    int position;
    bool tile;
} wm_state;

static const pix_option wm_options[] = {
    { .name = "text", .type = PIX_OPT_STRING, .offset = offsetof(wm_config, text),
      .min = 1, .max = 1000,
      .doc = "Text of the mark; give either text or image." },
    { .name = "image", .type = PIX_OPT_STRING, .offset = offsetof(wm_config, image),
      .min = 1, .max = 4096,
      .doc = "Path of an image to use as the mark (alpha honoured); give either text or image." },
    { .name = "font", .type = PIX_OPT_STRING, .offset = offsetof(wm_config, font),
      .def = "DejaVu Sans", .min = 1, .max = 200,
      .doc = "Pango font family of the text, style words allowed (\"DejaVu Sans Bold\")." },
    { .name = "size", .type = PIX_OPT_STRING, .offset = offsetof(wm_config, size), .def = "4%",
      .min = 1, .max = 32,
      .doc = "Text height in pixels (\"24px\") or as a percentage of the image width (\"4%\")." },
    { .name = "colour", .type = PIX_OPT_COLOUR, .offset = offsetof(wm_config, colour),
      .def = "white", .doc = "Colour of the text." },
    { .name = "shadow", .type = PIX_OPT_COLOUR, .offset = offsetof(wm_config, shadow),
      .def = "#00000080",
      .doc = "Colour of a soft halo under the text, so it reads on any background; "
             "transparent for none." },
    { .name = "opacity", .type = PIX_OPT_NUMBER, .offset = offsetof(wm_config, opacity),
      .def = "0.5", .min = 0, .max = 1,
      .doc = "Opacity of the mark, from 0 (invisible) to 1 (opaque)." },
    { .name = "scale", .type = PIX_OPT_NUMBER, .offset = offsetof(wm_config, scale),
      .def = "0.2", .min = 0.001, .max = 1,
      .doc = "Width of an image mark as a fraction of the image width." },
    { .name = "position", .type = PIX_OPT_ENUM, .offset = offsetof(wm_config, position),
      .def = "south-east", .choices = wm_positions,
      .doc = "Where the mark goes: one of the nine compass gravities or centre." },
    { .name = "margin", .type = PIX_OPT_STRING, .offset = offsetof(wm_config, margin),
      .def = "2%", .min = 1, .max = 32,
      .doc = "Gap between the mark and the image edges, in px or % of the image width." },
    { .name = "tile", .type = PIX_OPT_BOOL, .offset = offsetof(wm_config, tile), .def = "false",
      .doc = "Repeat the mark in a grid over the whole image." },
    { .name = "spacing", .type = PIX_OPT_STRING, .offset = offsetof(wm_config, spacing),
      .def = "5%", .min = 1, .max = 32,
      .doc = "Gap between tiled marks, in px or % of the image width." },
    { .name = NULL },
};

/* ----------------------------------------------------------- config checks */

/* Parses "24px", "4%" or "4.5%" into *out, refusing values outside
 * [0, max_px] pixels or [0, max_pct] percent (zero only when allow_zero).
 * Returns 0, or -1 with *why set to a static reason. */
static int wm_parse_len(const char *s, double max_pct, bool allow_zero, wm_len *out,
                        const char **why)
{
    char *end = NULL;

    errno = 0;
    out->v = g_ascii_strtod(s, &end);
    if (end == s || errno || !isfinite(out->v)) {
        *why = "expected a number of pixels (\"24px\") or a percentage of the image width (\"4%\")";
        return -1;
    }
    if (!strcmp(end, "%")) {
        out->pct = true;
    } else if (!strcmp(end, "px")) {
        out->pct = false;
    } else {
        *why = "expected a unit of px or % of the image width, as in \"24px\" or \"4%\"";
        return -1;
    }
    if (out->v < 0 || (!allow_zero && out->v == 0)) {
        *why = allow_zero ? "must not be negative" : "must be more than 0";
        return -1;
    }
    if (out->v > (out->pct ? max_pct : WM_MAX_PX)) {
        *why = out->pct ? (max_pct == 100 ? "is over 100%" : "is over 50% of the width")
                        : "is over 10000px";
        return -1;
    }
    return 0;
}

/* Checks one length option; host->error names the option, value and reason. */
static int wm_check_len(const pix_host *host, pix_instance *self, const char *name,
                        const char *value, double max_pct, bool allow_zero, wm_len *out)
{
    const char *why = NULL;

    if (wm_parse_len(value, max_pct, allow_zero, out, &why) == 0)
        return 0;
    host->error(self, "%s '%s': %s", name, value, why);
    return -1;
}

/* Checks that path is an image file libvips can load: the file's header is
 * read, nothing is created.  Returns 0, or -1 after host->error(). */
static int wm_check_image(const pix_host *host, pix_instance *self, const char *path)
{
    struct stat sb;
    VipsImage *im = NULL;

    if (stat(path, &sb) < 0) {
        host->error(self, "image '%s': %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        host->error(self, "image '%s': not a regular file", path);
        return -1;
    }
    if (!vips_foreign_find_load(path)) {
        vips_error_clear();
        host->error(self, "image '%s': not an image format libvips can load", path);
        return -1;
    }
    im = vips_image_new_from_file(path, NULL);
    if (!im) {
        host->error(self, "image '%s': cannot read its header: %s", path, vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    g_object_unref(im);
    return 0;
}

/* True when s has a character other than white space. */
static bool wm_has_ink(const char *s)
{
    for (; *s; s++)
        if (!g_ascii_isspace(*s))
            return true;
    return false;
}

static int wm_check(const pix_host *host, pix_instance *self, const void *config)
{
    const wm_config *cfg = config;
    wm_len len;

    if (!cfg->text == !cfg->image) {
        host->error(self, cfg->text ? "give text or image, not both (one mark per stage)"
                                    : "give text or image (the mark to draw)");
        return -1;
    }
    if (cfg->text && !wm_has_ink(cfg->text)) {
        host->error(self, "text is only white space; nothing would be drawn");
        return -1;
    }
    if (cfg->image && wm_check_image(host, self, cfg->image) < 0)
        return -1;
    if (wm_check_len(host, self, "size", cfg->size, 100, false, &len) < 0 ||
        wm_check_len(host, self, "margin", cfg->margin, 50, true, &len) < 0 ||
        wm_check_len(host, self, "spacing", cfg->spacing, 100, true, &len) < 0)
        return -1;
    size_t n = strlen(cfg->font);
    if (g_ascii_isdigit(cfg->font[n - 1])) {
        host->error(self, "font '%s' ends with a number; give the size with size: (\"24px\")",
                    cfg->font);
        return -1;
    }
    return 0;
}

/* ----------------------------------------------------------- create/destroy */

/* Loads the mark image as sRGB + alpha, 8 bits, upright, first page only,
 * into memory without its metadata: jobs then read it concurrently and none
 * of its EXIF or profile reaches the working image.  *out is new. */
static int wm_load_mark(const pix_host *host, pix_instance *self, const char *path,
                        VipsImage **out)
{
    VipsImage *t[4] = { NULL };
    void *mem = NULL;
    size_t len = 0;
    int rc = -1;

    t[0] = vips_image_new_from_file(path, NULL);
    if (!t[0] || vips_autorot(t[0], &t[1], NULL) ||
        vips_colourspace(t[1], &t[2], VIPS_INTERPRETATION_sRGB, NULL))
        goto out;
    if (vips_image_hasalpha(t[2]) ? vips_cast_uchar(t[2], &t[3], NULL)
                                  : vips_bandjoin_const1(t[2], &t[3], 255, NULL))
        goto out;
    /* colourspace keeps extra bands: keep colour and alpha only. */
    if (vips_image_get_bands(t[3]) > 4) {
        VipsImage *four = NULL;
        if (vips_extract_band(t[3], &four, 0, "n", 4, NULL))
            goto out;
        g_object_unref(t[3]);
        t[3] = four;
    }
    mem = vips_image_write_to_memory(t[3], &len);
    if (!mem)
        goto out;
    *out = vips_image_new_from_memory_copy(mem, len, vips_image_get_width(t[3]),
                                          vips_image_get_height(t[3]), 4, VIPS_FORMAT_UCHAR);
    if (!*out)
        goto out;
    (*out)->Type = VIPS_INTERPRETATION_sRGB;
    rc = 0;
out:
    if (rc) {
        host->error(self, "image '%s': cannot load it: %s", path, vips_error_buffer());
        vips_error_clear();
    }
    g_free(mem);
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

static void wm_destroy(void *state)
{
    wm_state *st = state;

    if (!st)
        return;
    g_free(st->markup);
    if (st->mark)
        g_object_unref(st->mark);
    free(st);
}

static int wm_create(const pix_host *host, pix_instance *self, const void *config, void **state)
{
    const wm_config *cfg = config;
    const char *why = NULL;
    wm_state *st = calloc(1, sizeof *st);

    if (!st) {
        host->error(self, "out of memory");
        return -1;
    }
    st->host = host;
    st->font = cfg->font;
    st->colour = cfg->colour;
    st->shadow = cfg->shadow;
    st->opacity = cfg->opacity;
    st->scale = cfg->scale;
    st->position = cfg->position;
    st->tile = cfg->tile;
    /* check() has validated the lengths. */
    if (wm_parse_len(cfg->size, 100, false, &st->size, &why) < 0 ||
        wm_parse_len(cfg->margin, 50, true, &st->margin, &why) < 0 ||
        wm_parse_len(cfg->spacing, 100, true, &st->spacing, &why) < 0) {
        host->error(self, "%s", why);
        goto fail;
    }
    if (cfg->text)
        st->markup = g_markup_escape_text(cfg->text, -1);
    else if (wm_load_mark(host, self, cfg->image, &st->mark) < 0)
        goto fail;
    *state = st;
    return 0;
fail:
    wm_destroy(st);
    return -1;
}

/* ----------------------------------------------------------------- marks */

/* What one job's mark must fit in: a frame of fw x fh pixels less its
 * margins mx, my; and how the mark is coloured. */
typedef struct wm_frame {
    int fw, fh, pages;
    int mx, my;
    int aw, ah; /* room inside the margins */
    bool grey;  /* the working image is B_W */
    bool alpha; /* the working image has alpha */
} wm_frame;

static double wm_len_px(wm_len len, int width)
{
    return len.pct ? len.v * width / 100.0 : len.v;
}

static int wm_imin(int a, int b)
{
    return a < b ? a : b;
}

/* Relabels *im with interpretation type (a copy).  Steals *im. */
static int wm_relabel(VipsImage **im, VipsInterpretation type)
{
    VipsImage *c = NULL;
    int rc = vips_copy(*im, &c, "interpretation", type, NULL);

    g_object_unref(*im);
    *im = c;
    return rc;
}

/* Pixels of halo around the text at px pixels: 0 without a shadow. */
static int wm_halo(const wm_state *st, double px)
{
    return st->shadow.a > 0 ? (int)fmax(1.0, ceil(px / 14.0)) : 0;
}

/* Renders the text at px pixels as a one-band ink mask, with room around
 * it for the halo.  *out is new. */
static int wm_render(const wm_state *st, double px, VipsImage **out)
{
    char *font = g_strdup_printf("%s %d", st->font, (int)px);
    VipsImage *ink = NULL;
    int pad = wm_halo(st, px);
    int rc = vips_text(&ink, st->markup, "font", font, "dpi", WM_DPI, NULL);

    g_free(font);
    if (rc)
        return rc;
    rc = pad ? vips_embed(ink, out, pad, pad, vips_image_get_width(ink) + 2 * pad,
                          vips_image_get_height(ink) + 2 * pad, NULL)
             : vips_copy(ink, out, NULL);
    g_object_unref(ink);
    return rc;
}

/* Renders the text as large as asked but within the frame's room: smaller
 * sizes are re-rendered (sharper than scaling the bitmap), and only if
 * Pango's rounding still overflows is the bitmap scaled.  *out is NULL when
 * the text would be under WM_MIN_TEXT_PX (*px says the size). */
static int wm_text_fit(const wm_state *st, const wm_frame *f, double *px, VipsImage **out)
{
    VipsImage *mask = NULL;

    *out = NULL;
    for (int attempt = 0; attempt < 4; attempt++) {
        if (*px < WM_MIN_TEXT_PX)
            return 0;
        if (wm_render(st, *px, &mask))
            return -1;
        int w = vips_image_get_width(mask), h = vips_image_get_height(mask);
        if (w <= f->aw && h <= f->ah) {
            *out = mask;
            return 0;
        }
        double k = fmin((double)f->aw / w, (double)f->ah / h);
        g_object_unref(mask);
        mask = NULL;
        *px = floor(*px * k);
    }
    if (*px < WM_MIN_TEXT_PX || wm_render(st, *px, &mask))
        return *px < WM_MIN_TEXT_PX ? 0 : -1;
    double k = fmin((double)f->aw / vips_image_get_width(mask),
                    (double)f->ah / vips_image_get_height(mask));
    int rc = vips_resize(mask, out, fmin(k, 1.0), NULL);
    g_object_unref(mask);
    return rc;
}

/* One layer of the mark: the ink mask painted in colour c (its luma on a
 * grey image), alpha = mask x opacity x c's alpha.  *out is new. */
static int wm_paint(const wm_state *st, const wm_frame *f, VipsImage *mask, const pix_colour *c,
                    VipsImage **out)
{
    double zero[3] = { 0, 0, 0 };
    double rgb[3] = { c->r, c->g, c->b };
    /* Rec. 709 luma of the sRGB values, as libvips' sRGB to B_W gives. */
    double luma = 0.2126 * c->r + 0.7152 * c->g + 0.0722 * c->b;
    VipsImage *t[3] = { NULL };
    int rc = -1;

    if (vips_linear(mask, &t[0], zero, f->grey ? &luma : rgb, f->grey ? 1 : 3, "uchar", TRUE,
                    NULL) ||
        vips_linear1(mask, &t[1], st->opacity * c->a, 0, "uchar", TRUE, NULL) ||
        vips_bandjoin2(t[0], t[1], &t[2], NULL))
        goto out;
    *out = t[2];
    t[2] = NULL;
    rc = wm_relabel(out, f->grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB);
out:
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

/* Turns an ink mask into the text mark: the text in its colour over a soft
 * halo (the mask spread and blurred by `halo` pixels) in the shadow colour.
 * *out is new. */
static int wm_colourise(const wm_state *st, const wm_frame *f, VipsImage *mask, int halo,
                        VipsImage **out)
{
    VipsImage *t[4] = { NULL };
    int rc = -1;

    if (!halo)
        return wm_paint(st, f, mask, &st->colour, out);
    /* blur spreads the ink; doubling it back up makes a halo that is
     * solid near the glyphs and fades out over `halo` pixels */
    if (vips_gaussblur(mask, &t[0], halo / 2.0 + 0.5, NULL) ||
        vips_linear1(t[0], &t[1], 2.5, 0, "uchar", TRUE, NULL) ||
        wm_paint(st, f, t[1], &st->shadow, &t[2]) ||
        wm_paint(st, f, mask, &st->colour, &t[3]) ||
        vips_composite2(t[2], t[3], out, VIPS_BLEND_MODE_OVER, "compositing_space",
                        f->grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL))
        goto out;
    rc = 0;
    if (vips_image_get_format(*out) != VIPS_FORMAT_UCHAR) {
        VipsImage *u = NULL;
        rc = vips_cast_uchar(*out, &u, NULL);
        g_object_unref(*out);
        *out = u;
        if (!rc)
            rc = wm_relabel(out, f->grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB);
    }
out:
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

/* The text mark for this frame, or *out NULL with a note when it would be
 * too small to read. */
static int wm_text_mark(const wm_state *st, pix_job *job, const wm_frame *f, VipsImage **out)
{
    /* Whole pixels: Pango keeps (and, with fontconfig, leaks a little of)
     * every size it renders, so a long run sees a bounded set of sizes. */
    double want = floor(wm_len_px(st->size, f->fw) + 0.5), px = want;
    VipsImage *mask = NULL;

    *out = NULL;
    if (wm_text_fit(st, f, &px, &mask) < 0)
        return -1;
    if (!mask) {
        if (px == want)
            st->host->job_note(job,
                               "watermark: text left out: %.0f px text on a %dx%d image is "
                               "under the legible %.0f px",
                               px, f->fw, f->fh, WM_MIN_TEXT_PX);
        else
            st->host->job_note(job,
                               "watermark: text left out: to fit a %dx%d image it would shrink "
                               "from %.0f px to %.0f px, under the legible %.0f px",
                               f->fw, f->fh, want, px, WM_MIN_TEXT_PX);
        return 0;
    }
    int rc = wm_colourise(st, f, mask, wm_halo(st, px), out);
    g_object_unref(mask);
    return rc;
}

/* The image mark at scale x the frame width, fitted into the room, its
 * alpha times the opacity, grey for a grey image; or *out NULL with a note
 * when it would be too small to see. */
static int wm_image_mark(const wm_state *st, pix_job *job, const wm_frame *f, VipsImage **out)
{
    int mw = vips_image_get_width(st->mark), mh = vips_image_get_height(st->mark);
    double w = st->scale * f->fw, h = w * mh / mw;
    double k = fmin(1.0, fmin(f->aw / w, f->ah / h));
    int tw = (int)floor(w * k + 0.5), th = (int)floor(h * k + 0.5);
    double a[4] = { 1, 1, 1, st->opacity }, b[4] = { 0, 0, 0, 0 };
    VipsImage *t[2] = { NULL };
    int rc = -1;

    *out = NULL;
    tw = wm_imin(tw, f->aw);
    th = wm_imin(th, f->ah);
    if (tw < WM_MIN_IMAGE_PX || th < WM_MIN_IMAGE_PX) {
        st->host->job_note(job,
                           "watermark: image mark left out: on a %dx%d image it would be %dx%d, "
                           "under the visible %d px",
                           f->fw, f->fh, tw, th, WM_MIN_IMAGE_PX);
        return 0;
    }
    /* thumbnail premultiplies alpha, so transparent pixels do not bleed. */
    if (vips_thumbnail_image(st->mark, &t[0], tw, "height", th, "size", VIPS_SIZE_FORCE, NULL) ||
        vips_linear(t[0], &t[1], a, b, 4, "uchar", TRUE, NULL))
        goto out;
    if (f->grey) {
        if (vips_colourspace(t[1], out, VIPS_INTERPRETATION_B_W, NULL))
            goto out;
    } else {
        *out = t[1];
        t[1] = NULL;
        if (wm_relabel(out, VIPS_INTERPRETATION_sRGB))
            goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

/* Repeats the mark in a grid of whole marks, spaced sp pixels apart, as
 * many as fit in the room.  Steals *mark, replaced by the grid. */
static int wm_tile(VipsImage **mark, const wm_frame *f, int sp)
{
    int mw = vips_image_get_width(*mark), mh = vips_image_get_height(*mark);
    int cols = (f->aw + sp) / (mw + sp), rows = (f->ah + sp) / (mh + sp);
    VipsImage *t[3] = { NULL };
    int rc = -1;

    if (cols <= 1 && rows <= 1)
        return 0;
    /* Zero in every band, alpha included: the gaps are transparent. */
    if (vips_embed(*mark, &t[0], 0, 0, mw + sp, mh + sp, "extend", VIPS_EXTEND_BLACK, NULL) ||
        vips_replicate(t[0], &t[1], cols, rows, NULL) ||
        vips_extract_area(t[1], &t[2], 0, 0, cols * (mw + sp) - sp, rows * (mh + sp) - sp, NULL))
        goto out;
    g_object_unref(*mark);
    *mark = t[2];
    t[2] = NULL;
    rc = 0;
out:
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (t[i])
            g_object_unref(t[i]);
    return rc;
}

/* -------------------------------------------------------------- process */

/* Where a lw x lh layer goes in the frame for the gravity. */
static void wm_place(const wm_state *st, const wm_frame *f, int lw, int lh, int *x, int *y)
{
    int col = st->position % 3, row = st->position / 3;

    *x = col == 0 ? f->mx : col == 1 ? (f->fw - lw) / 2 : f->fw - f->mx - lw;
    *y = row == 0 ? f->my : row == 1 ? (f->fh - lh) / 2 : f->fh - f->my - lh;
}

/* Composites layer OVER base at (x, y) of every frame, then gives the
 * result base's bands, format and interpretation back.  *out is new. */
static int wm_over(VipsImage *base, VipsImage *layer, const wm_frame *f, int x, int y,
                   VipsImage **out)
{
    int n = f->pages + 1;
    VipsImage **in = g_new(VipsImage *, n);
    int *modes = g_new(int, f->pages), *xs = g_new(int, f->pages), *ys = g_new(int, f->pages);
    VipsImage *t[2] = { NULL };
    int rc = -1;

    in[0] = base;
    for (int i = 0; i < f->pages; i++) {
        in[i + 1] = layer;
        modes[i] = VIPS_BLEND_MODE_OVER;
        xs[i] = x;
        ys[i] = y + i * f->fh;
    }
    VipsArrayInt *xa = vips_array_int_new(xs, f->pages), *ya = vips_array_int_new(ys, f->pages);
    rc = vips_composite(in, &t[0], n, modes, "x", xa, "y", ya, "compositing_space",
                        f->grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB, NULL);
    vips_area_unref(VIPS_AREA(xa));
    vips_area_unref(VIPS_AREA(ya));
    if (rc)
        goto out;
    rc = -1;
    /* composite always adds alpha; an image without it gets none. */
    int bands = vips_image_get_bands(base);
    if (vips_extract_band(t[0], &t[1], 0, "n", bands, NULL) ||
        vips_cast(t[1], out, vips_image_get_format(base), NULL))
        goto out;
    rc = wm_relabel(out, vips_image_get_interpretation(base));
out:
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (t[i])
            g_object_unref(t[i]);
    g_free(in);
    g_free(modes);
    g_free(xs);
    g_free(ys);
    return rc;
}

/* The frame geometry of img for this stage's margins. */
static wm_frame wm_frame_of(const wm_state *st, VipsImage *img)
{
    wm_frame f;
    int m = (int)floor(wm_len_px(st->margin, vips_image_get_width(img)) + 0.5);

    f.fw = vips_image_get_width(img);
    f.fh = vips_image_get_page_height(img);
    f.pages = vips_image_get_height(img) / f.fh;
    f.mx = wm_imin(m, f.fw / 4);
    f.my = wm_imin(m, f.fh / 4);
    f.aw = f.fw - 2 * f.mx;
    f.ah = f.fh - 2 * f.my;
    f.alpha = vips_image_hasalpha(img);
    f.grey = vips_image_get_bands(img) - (f.alpha ? 1 : 0) < 3;
    return f;
}

static int wm_process(void *state, pix_job *job)
{
    const wm_state *st = state;
    const pix_host *host = st->host;
    const char *key = host->job_source(job)->key;
    VipsImage *img = host->job_image(job), *mark = NULL, *out = NULL;
    int rc = -1, x, y;

    if (!img)
        return -1; /* the host recorded why it cannot be decoded */
    wm_frame f = wm_frame_of(st, img);
    if (st->markup ? wm_text_mark(st, job, &f, &mark) : wm_image_mark(st, job, &f, &mark))
        goto fail;
    if (!mark)
        return 0; /* too small to draw: noted */
    if (st->tile && wm_tile(&mark, &f, (int)floor(wm_len_px(st->spacing, f.fw) + 0.5)))
        goto fail;
    wm_place(st, &f, vips_image_get_width(mark), vips_image_get_height(mark), &x, &y);
    if (wm_over(img, mark, &f, x, y, &out))
        goto fail;
    host->job_set_image(job, out);
    rc = 0;
    goto done;
fail:
    host->job_error(job, "cannot watermark %s: %s", key, vips_error_buffer());
    vips_error_clear();
done:
    if (mark)
        g_object_unref(mark);
    return rc;
}

static const pix_plugin watermark = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STAGE,
    .name = "watermark",
    .version = "1.0.0",
    .summary = "Draws a text or image mark at one of nine positions, or tiled; never clipped, "
               "left out with a note on images too small for it",
    .options = wm_options,
    .config_size = sizeof(wm_config),
    .check = wm_check,
    .create = wm_create,
    .destroy = wm_destroy,
    .ops.stage = { .process = wm_process },
};

PIX_PLUGIN_EXPORT(watermark)
