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
 *                      memory, by every job: the instance's only state.
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
#include <string.h>
#include <sys/stat.h>

#include <pixpipe/stage.h>

/* Below these sizes a mark is not worth drawing. */
#define WM_MIN_TEXT_PX 6.0
#define WM_MIN_IMAGE_PX 6
/* Pango sizes are points; at 72 dpi a point is a pixel. */
#define WM_DPI 72
#define WM_MAX_PX 10000.0

/* In reading order: position % 3 is the column, position / 3 the row. */
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

/* ----------------------------------------------------------- lengths */

/* A length: pixels, or a percentage of the image width. */
typedef struct wm_len {
    double v;
    bool pct;
} wm_len;

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

/* The length option value s on an image width pixels wide, in whole
 * pixels.  check() refused a bad value, so this parses with no bound. */
static double wm_px(const char *s, int width)
{
    wm_len len = { 0, false };
    const char *why = NULL;

    wm_parse_len(s, 100, true, &len, &why);
    return floor((len.pct ? len.v * width / 100.0 : len.v) + 0.5);
}

/* ----------------------------------------------------------- config checks */

/* Checks one length option; host->error names the option, value and reason. */
static int wm_check_len(const pix_ctx *ctx, const char *name, const char *value,
                        double max_pct, bool allow_zero)
{
    const char *why = NULL;
    wm_len len;

    if (wm_parse_len(value, max_pct, allow_zero, &len, &why) == 0)
        return 0;
    return ctx->host->error(ctx, "%s '%s': %s", name, value, why);
}

/* Records that libvips could not do `what` with the image at path, with its
 * reason.  check() and create() have no job for host->job_vips_error, so
 * the reason is taken (and cleared) here.  Returns -1. */
static int wm_image_error(const pix_ctx *ctx, const char *path, const char *what)
{
    char *why = vips_error_buffer_copy();

    ctx->host->error(ctx, "image '%s': %s: %s", path, what, why ? why : "");
    g_free(why);
    return -1;
}

/* Checks that path is an image file libvips can load: the file's header is
 * read, nothing is created.  Returns 0, or -1 after host->error(). */
static int wm_check_image(const pix_ctx *ctx, const char *path)
{
    struct stat sb;
    VipsImage *im = NULL;

    if (stat(path, &sb) < 0)
        return ctx->host->error(ctx, "image '%s': %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return ctx->host->error(ctx, "image '%s': not a regular file", path);
    if (!vips_foreign_find_load(path)) {
        vips_error_clear(); /* the sniff is a probe: its failure is the answer */
        return ctx->host->error(ctx, "image '%s': not an image format libvips can load", path);
    }
    if (!(im = vips_image_new_from_file(path, NULL)))
        return wm_image_error(ctx, path, "cannot read its header");
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

static int wm_check(const pix_ctx *ctx)
{
    const wm_config *cfg = ctx->config;

    if (!cfg->text == !cfg->image)
        return ctx->host->error(ctx, cfg->text ? "give text or image, not both (one mark per "
                                                 "stage)"
                                               : "give text or image (the mark to draw)");
    if (cfg->text && !wm_has_ink(cfg->text))
        return ctx->host->error(ctx, "text is only white space; nothing would be drawn");
    if (cfg->image && wm_check_image(ctx, cfg->image) < 0)
        return -1;
    if (wm_check_len(ctx, "size", cfg->size, 100, false) < 0 ||
        wm_check_len(ctx, "margin", cfg->margin, 50, true) < 0 ||
        wm_check_len(ctx, "spacing", cfg->spacing, 100, true) < 0)
        return -1;
    if (g_ascii_isdigit(cfg->font[strlen(cfg->font) - 1]))
        return ctx->host->error(ctx, "font '%s' ends with a number; give the size with size: "
                                "(\"24px\")", cfg->font);
    return 0;
}

/* ----------------------------------------------------------- create/destroy */

/* Loads the mark image as sRGB + alpha, 8 bits, upright, first page only,
 * into memory without its metadata: jobs then read it concurrently and none
 * of its EXIF or profile reaches the working image.  *out is new. */
static int wm_load_mark(const pix_ctx *ctx, const char *path, VipsImage **out)
{
    VipsImage *t[5] = { NULL };
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
    if (vips_extract_band(t[3], &t[4], 0, "n", 4, NULL) ||
        !(mem = vips_image_write_to_memory(t[4], &len)) ||
        !(*out = vips_image_new_from_memory_copy(mem, len, vips_image_get_width(t[4]),
                                                 vips_image_get_height(t[4]), 4,
                                                 VIPS_FORMAT_UCHAR)))
        goto out;
    (*out)->Type = VIPS_INTERPRETATION_sRGB;
    rc = 0;
out:
    if (rc)
        wm_image_error(ctx, path, "cannot load it");
    g_free(mem);
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

/* The state is the mark image of an image mark (sRGB + alpha, uchar, in
 * memory, read by every job), owned until destroy(); a text mark has none. */
static int wm_create(const pix_ctx *ctx, void **state)
{
    const wm_config *cfg = ctx->config;
    VipsImage *mark = NULL;

    if (!cfg->image)
        return 0;
    if (wm_load_mark(ctx, cfg->image, &mark) < 0)
        return -1;
    *state = mark;
    return 0;
}

static void wm_destroy(const pix_ctx *ctx)
{
    if (ctx->state)
        g_object_unref(ctx->state);
}

/* ----------------------------------------------------------------- marks */

/* What one job's mark must fit in: a frame of fw x fh pixels less its
 * margins mx, my; and how the mark is coloured. */
typedef struct wm_frame {
    int fw, fh;
    int mx, my;
    int aw, ah;               /* room inside the margins             */
    bool grey;                /* the working image is B_W            */
    VipsInterpretation space; /* B_W or sRGB: where marks are made   */
} wm_frame;

static int wm_imin(int a, int b)
{
    return a < b ? a : b;
}

/* *im cast to format and labelled with interpretation type (a new image).
 * Steals *im; *im is NULL when it fails. */
static int wm_settle(VipsImage **im, VipsBandFormat format, VipsInterpretation type)
{
    VipsImage *t[2] = { *im, NULL };
    int rc = vips_cast(t[0], &t[1], format, NULL) ||
             vips_copy(t[1], im, "interpretation", type, NULL) ? -1 : 0;

    if (rc)
        *im = NULL;
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

/* Pixels of halo around the text at px pixels: 0 without a shadow. */
static int wm_halo(const wm_config *cfg, double px)
{
    return cfg->shadow.a > 0 ? (int)fmax(1.0, ceil(px / 14.0)) : 0;
}

/* Renders the text at px pixels as a one-band ink mask, with room around
 * it for the halo.  *out is new. */
static int wm_render(const wm_config *cfg, double px, VipsImage **out)
{
    /* plain text: markup characters are shown as written */
    char *markup = g_markup_escape_text(cfg->text, -1);
    char *font = g_strdup_printf("%s %d", cfg->font, (int)px);
    VipsImage *ink = NULL;
    int pad = wm_halo(cfg, px);
    int rc = vips_text(&ink, markup, "font", font, "dpi", WM_DPI, NULL);

    g_free(markup);
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
 * Pango's rounding still overflows after four tries is the bitmap scaled.
 * *out is NULL when the text would be under WM_MIN_TEXT_PX (*px says the
 * size). */
static int wm_text_fit(const wm_config *cfg, const wm_frame *f, double *px, VipsImage **out)
{
    *out = NULL;
    for (int attempt = 0;; attempt++) {
        VipsImage *mask = NULL;
        if (*px < WM_MIN_TEXT_PX)
            return 0;
        if (wm_render(cfg, *px, &mask))
            return -1;
        double k = fmin((double)f->aw / vips_image_get_width(mask),
                        (double)f->ah / vips_image_get_height(mask));
        if (attempt == 4) {
            int rc = vips_resize(mask, out, fmin(k, 1.0), NULL);
            g_object_unref(mask);
            return rc;
        }
        if (k >= 1) {
            *out = mask;
            return 0;
        }
        g_object_unref(mask);
        *px = floor(*px * k);
    }
}

/* One layer of the mark: the ink mask painted in colour c (its luma on a
 * grey image), alpha = mask x opacity x c's alpha.  *out is new. */
static int wm_paint(const wm_config *cfg, const wm_frame *f, VipsImage *mask,
                    const pix_colour *c, VipsImage **out)
{
    double zero[3] = { 0, 0, 0 };
    double rgb[3] = { c->r, c->g, c->b };
    /* Rec. 709 luma of the sRGB values, as libvips' sRGB to B_W gives. */
    double luma = 0.2126 * c->r + 0.7152 * c->g + 0.0722 * c->b;
    VipsImage *t[2] = { NULL };
    int rc = -1;

    if (!vips_linear(mask, &t[0], zero, f->grey ? &luma : rgb, f->grey ? 1 : 3, "uchar", TRUE,
                     NULL) &&
        !vips_linear1(mask, &t[1], cfg->opacity * c->a, 0, "uchar", TRUE, NULL) &&
        !vips_bandjoin2(t[0], t[1], out, NULL))
        rc = wm_settle(out, VIPS_FORMAT_UCHAR, f->space);
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

/* Turns an ink mask into the text mark: the text in its colour over a soft
 * halo (the mask spread and blurred by `halo` pixels) in the shadow colour.
 * *out is new. */
static int wm_colourise(const wm_config *cfg, const wm_frame *f, VipsImage *mask, int halo,
                        VipsImage **out)
{
    VipsImage *t[4] = { NULL };
    int rc = -1;

    if (!halo)
        return wm_paint(cfg, f, mask, &cfg->colour, out);
    /* blur spreads the ink; doubling it back up makes a halo that is
     * solid near the glyphs and fades out over `halo` pixels */
    if (!vips_gaussblur(mask, &t[0], halo / 2.0 + 0.5, NULL) &&
        !vips_linear1(t[0], &t[1], 2.5, 0, "uchar", TRUE, NULL) &&
        !wm_paint(cfg, f, t[1], &cfg->shadow, &t[2]) &&
        !wm_paint(cfg, f, mask, &cfg->colour, &t[3]) &&
        !vips_composite2(t[2], t[3], out, VIPS_BLEND_MODE_OVER, "compositing_space", f->space,
                         NULL))
        rc = wm_settle(out, VIPS_FORMAT_UCHAR, f->space);
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

/* The text mark for this frame, or *out NULL with a note when it would be
 * too small to read. */
static int wm_text_mark(const pix_ctx *ctx, pix_job *job, const wm_frame *f, VipsImage **out)
{
    const wm_config *cfg = ctx->config;
    /* Whole pixels: Pango keeps (and, with fontconfig, leaks a little of)
     * every size it renders, so a long run sees a bounded set of sizes. */
    double want = wm_px(cfg->size, f->fw), px = want;
    VipsImage *mask = NULL;

    if (wm_text_fit(cfg, f, &px, &mask) < 0)
        return -1;
    if (!mask) {
        if (px == want)
            ctx->host->job_note(job, "watermark: text left out: %.0f px text on a %dx%d image is "
                                "under the legible %.0f px",
                                px, f->fw, f->fh, WM_MIN_TEXT_PX);
        else
            ctx->host->job_note(job, "watermark: text left out: to fit a %dx%d image it would "
                                "shrink from %.0f px to %.0f px, under the legible %.0f px",
                                f->fw, f->fh, want, px, WM_MIN_TEXT_PX);
        return 0;
    }
    int rc = wm_colourise(cfg, f, mask, wm_halo(cfg, px), out);
    g_object_unref(mask);
    return rc;
}

/* The image mark (ctx->state) at scale x the frame width, fitted into the
 * room, its alpha times the opacity, grey for a grey image; or *out NULL
 * with a note when it would be too small to see. */
static int wm_image_mark(const pix_ctx *ctx, pix_job *job, const wm_frame *f, VipsImage **out)
{
    const wm_config *cfg = ctx->config;
    VipsImage *mark = ctx->state;
    int mw = vips_image_get_width(mark), mh = vips_image_get_height(mark);
    double w = cfg->scale * f->fw, h = w * mh / mw;
    double k = fmin(1.0, fmin(f->aw / w, f->ah / h));
    int tw = wm_imin((int)floor(w * k + 0.5), f->aw), th = wm_imin((int)floor(h * k + 0.5), f->ah);
    double a[4] = { 1, 1, 1, cfg->opacity }, b[4] = { 0, 0, 0, 0 };
    VipsImage *t[2] = { NULL };
    int rc = -1;

    if (tw < WM_MIN_IMAGE_PX || th < WM_MIN_IMAGE_PX) {
        ctx->host->job_note(job, "watermark: image mark left out: on a %dx%d image it would be "
                            "%dx%d, under the visible %d px",
                            f->fw, f->fh, tw, th, WM_MIN_IMAGE_PX);
        return 0;
    }
    /* thumbnail premultiplies alpha, so transparent pixels do not bleed. */
    if (vips_thumbnail_image(mark, &t[0], tw, "height", th, "size", VIPS_SIZE_FORCE, NULL) ||
        vips_linear(t[0], &t[1], a, b, 4, "uchar", TRUE, NULL))
        goto out;
    if (f->grey) {
        rc = vips_colourspace(t[1], out, VIPS_INTERPRETATION_B_W, NULL);
    } else {
        *out = t[1];
        t[1] = NULL;
        rc = wm_settle(out, VIPS_FORMAT_UCHAR, VIPS_INTERPRETATION_sRGB);
    }
out:
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

/* Repeats the mark in a grid of whole marks, spaced sp pixels apart, as
 * many as fit in the room.  Replaces *mark (owned) by the grid; it stays
 * when this fails. */
static int wm_tile(VipsImage **mark, const wm_frame *f, int sp)
{
    int mw = vips_image_get_width(*mark), mh = vips_image_get_height(*mark);
    int cols = (f->aw + sp) / (mw + sp), rows = (f->ah + sp) / (mh + sp);
    VipsImage *t[3] = { NULL };
    int rc = -1;

    if (cols <= 1 && rows <= 1)
        return 0;
    /* Zero in every band, alpha included: the gaps are transparent. */
    if (!vips_embed(*mark, &t[0], 0, 0, mw + sp, mh + sp, "extend", VIPS_EXTEND_BLACK, NULL) &&
        !vips_replicate(t[0], &t[1], cols, rows, NULL) &&
        !vips_extract_area(t[1], &t[2], 0, 0, cols * (mw + sp) - sp, rows * (mh + sp) - sp,
                           NULL)) {
        g_object_unref(*mark);
        *mark = t[2];
        t[2] = NULL;
        rc = 0;
    }
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

/* -------------------------------------------------------------- process */

/* The frame geometry of img for this stage's margins. */
static wm_frame wm_frame_of(const wm_config *cfg, VipsImage *img)
{
    wm_frame f;
    int m = (int)wm_px(cfg->margin, vips_image_get_width(img));

    f.fw = vips_image_get_width(img);
    f.fh = vips_image_get_height(img) / pix_frame_count(img);
    f.mx = wm_imin(m, f.fw / 4);
    f.my = wm_imin(m, f.fh / 4);
    f.aw = f.fw - 2 * f.mx;
    f.ah = f.fh - 2 * f.my;
    f.grey = vips_image_get_bands(img) - (vips_image_hasalpha(img) ? 1 : 0) < 3;
    f.space = f.grey ? VIPS_INTERPRETATION_B_W : VIPS_INTERPRETATION_sRGB;
    return f;
}

/* The mark and where it goes in each frame, for wm_over. */
typedef struct wm_layer {
    VipsImage *mark; /* borrowed */
    int x, y;
    VipsInterpretation space;
} wm_layer;

/* Where mark (borrowed) goes in each frame for the gravity. */
static wm_layer wm_place(const wm_config *cfg, const wm_frame *f, VipsImage *mark)
{
    int lw = vips_image_get_width(mark), lh = vips_image_get_height(mark);
    int col = cfg->position % 3, row = cfg->position / 3;

    return (wm_layer){
        .mark = mark,
        .x = col == 0 ? f->mx : col == 1 ? (f->fw - lw) / 2 : f->fw - f->mx - lw,
        .y = row == 0 ? f->my : row == 1 ? (f->fh - lh) / 2 : f->fh - f->my - lh,
        .space = f->space,
    };
}

/* A pix_frame_fn: the layer composited OVER frame, with frame's bands,
 * format and interpretation given back.  *out is new. */
static int wm_over(VipsImage *frame, int index, VipsImage **out, void *user)
{
    const wm_layer *l = user;
    VipsImage *t[1] = { NULL };
    int rc = -1;

    (void)index;
    /* composite always adds alpha; an image without it gets none. */
    if (!vips_composite2(frame, l->mark, &t[0], VIPS_BLEND_MODE_OVER, "x", l->x, "y", l->y,
                         "compositing_space", l->space, NULL) &&
        !vips_extract_band(t[0], out, 0, "n", vips_image_get_bands(frame), NULL))
        rc = wm_settle(out, vips_image_get_format(frame), vips_image_get_interpretation(frame));
    pix_unref_all(t, G_N_ELEMENTS(t));
    return rc;
}

static int wm_process(const pix_ctx *ctx, pix_job *job)
{
    const wm_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    VipsImage *img = host->job_image(job), *mark = NULL, *out = NULL;

    if (!img)
        return -1; /* the host recorded why it cannot be decoded */
    wm_frame f = wm_frame_of(cfg, img);
    int failed = ctx->state ? wm_image_mark(ctx, job, &f, &mark)
                            : wm_text_mark(ctx, job, &f, &mark);
    if (!failed && mark) { /* no mark: too small to draw, noted */
        failed = cfg->tile && wm_tile(&mark, &f, (int)wm_px(cfg->spacing, f.fw));
        if (!failed) {
            wm_layer l = wm_place(cfg, &f, mark);
            failed = pix_map_frames(img, 0, wm_over, &l, &out);
        }
    }
    if (mark)
        g_object_unref(mark);
    if (failed)
        return host->job_vips_error(job, "cannot watermark %s", host->job_source(job)->key);
    if (out)
        host->job_set_image(job, out);
    return 0;
}

PIX_STAGE_PLUGIN("watermark", "1.0.0",
                 "Draws a text or image mark at one of nine positions, or tiled; never clipped, "
                 "left out with a note on images too small for it",
                 wm_process, .options = wm_options, .config_size = sizeof(wm_config),
                 .check = wm_check, .create = wm_create, .destroy = wm_destroy);
