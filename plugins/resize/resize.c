/*
 * resize: scales the working image into a target box of width x height.
 *
 * Options:
 *   width   (int 1..100000)  box width;  at least one of width and height
 *   height  (int 1..100000)  box height; is required.  A missing one is
 *                            derived from the image's aspect ratio, so every
 *                            fit then simply scales to the given dimension.
 *   fit     (enum, default inside)
 *     inside   scale to fit within the box, keeping the aspect ratio;
 *     outside  scale to cover the box, keeping the aspect ratio, no crop
 *              (the result is at least the box in both dimensions);
 *     cover    scale to cover the box, then crop the centre to exactly it;
 *     contain  scale to fit within the box, then centre it on a box-sized
 *              canvas of the background colour;
 *     fill     stretch to exactly the box, ignoring the aspect ratio.
 *   enlarge (bool, default false)  allow upscaling.
 *   kernel  (enum, default lanczos3)  nearest, linear, cubic, mitchell,
 *           lanczos2 or lanczos3: the resampling kernel of vips_resize.
 *   background (colour)  the padding of contain.  Absent: every band 0,
 *           i.e. transparent where the image has alpha, else black.  Given:
 *           used as is; its alpha goes into the image's alpha band, and is
 *           ignored when the image has none (no alpha band is added).  A
 *           grey image padded with a non-grey colour becomes sRGB.
 *
 * Without enlarge nothing is ever scaled up:
 *   inside, outside  an image that would need upscaling stays as it is.
 *   cover    the largest centred crop with the box's aspect ratio, at most
 *            the box (a 800x600 image, cover 1000x1000 -> 600x600): the
 *            shape callers of cover lay out is kept, the pixels are not
 *            blown up.
 *   contain  the image, scaled down only if needed, centred on the full
 *            box canvas: the output is always exactly the box.
 *   fill     each axis is scaled down to the box or left alone
 *            (800x600, fill 1000x500 -> 800x500).
 * Output dimensions are rounded to whole pixels, never below 1x1.
 *
 * Alpha is premultiplied before resampling and unpremultiplied after, so
 * the colour of transparent pixels never bleeds into the edges (no dark
 * fringes).  An animation (frames stacked with "page-height") is resized
 * frame by frame, every frame alike, so no kernel mixes rows of two frames;
 * the frame count is kept and page-height follows the new frame height.
 *
 * The host decodes the source once at the scale min_scale() asks for
 * (shrink-on-load); as that decode resamples with lanczos3, any other
 * kernel asks for the full size, so that the kernel is the one used.
 * While the working image still has the source's shape, the plan is made on
 * the source's size, so the output is what a full-size resize gives to the
 * pixel.  The output is upright: an EXIF orientation a stage left on the
 * image is applied, to each frame of an animation on its own.
 */
#include <stddef.h>
#include <stdlib.h>

#include <pixpipe/stage.h>

/* A result over this many pixels (possible only with enlarge) is refused
 * rather than attempted. */
#define RZ_MAX_PIXELS 1e9

typedef struct rz_config {
    int64_t width, height; /* 0 when not given */
    int fit;               /* a pix_fit */
    bool enlarge;
    int kernel;            /* a VipsKernel */
    pix_colour background; /* all 0 when not given */
    int crop;              /* fit cover: RZ_CROP_* */
} rz_config;

enum { RZ_CROP_CENTRE, RZ_CROP_FOCUS };
static const char *const rz_crop_choices[] = { "centre", "focus", NULL };

static const pix_option rz_options[] = {
    { .name = "width", .type = PIX_OPT_INT, .offset = offsetof(rz_config, width),
      .min = 1, .max = 100000,
      .doc = "Target box width in pixels; when absent it follows from height and the aspect ratio." },
    { .name = "height", .type = PIX_OPT_INT, .offset = offsetof(rz_config, height),
      .min = 1, .max = 100000,
      .doc = "Target box height in pixels; when absent it follows from width and the aspect ratio." },
    { .name = "fit", .type = PIX_OPT_ENUM, .offset = offsetof(rz_config, fit), .def = "inside",
      .choices = pix_fit_choices,
      .doc = "How the image meets the box: inside, cover (crop), contain (pad), fill (stretch) or outside." },
    { .name = "enlarge", .type = PIX_OPT_BOOL, .offset = offsetof(rz_config, enlarge),
      .def = "false",
      .doc = "Allow scaling images up; when false an image smaller than the box is never enlarged." },
    { .name = "kernel", .type = PIX_OPT_ENUM, .offset = offsetof(rz_config, kernel),
      .def = "lanczos3", .choices = pix_kernel_choices,
      .doc = "Resampling kernel: nearest, linear, cubic, mitchell, lanczos2 or lanczos3 (sharpest)." },
    { .name = "background", .type = PIX_OPT_COLOUR, .offset = offsetof(rz_config, background),
      .doc = "Padding colour for fit contain; by default transparent with alpha, else black." },
    { .name = "crop", .type = PIX_OPT_ENUM, .offset = offsetof(rz_config, crop), .def = "centre",
      .choices = rz_crop_choices,
      .doc = "What fit cover keeps: centre, or focus (the source's focal point or face regions in frame; libvips' attention when it has none)." },
    { .name = NULL },
};

static pix_box rz_box(const rz_config *cfg)
{
    return (pix_box){ (int)cfg->width, (int)cfg->height, (pix_fit)cfg->fit, cfg->enlarge };
}

static int rz_check(const pix_ctx *ctx)
{
    const rz_config *cfg = ctx->config;

    if (cfg->width <= 0 && cfg->height <= 0)
        return ctx->host->error(ctx, "give width, height or both (the box to resize into)");
    return 0;
}

/* Crops (at left, top; centred when left < 0) and/or pads in to exactly
 * w x h.  Steals in; *out is new.  extend says what fills the padding; bg
 * (NULL: zeros) is its colour with extend VIPS_EXTEND_BACKGROUND. */
static int rz_canvas(VipsImage *in, VipsImage **out, int w, int h, int left, int top,
                     VipsExtend extend, VipsArrayDouble *bg)
{
    VipsImage *cropped = NULL;
    int iw = vips_image_get_width(in), ih = vips_image_get_height(in);
    int rc = -1;

    if (iw > w || ih > h) {
        int cw = iw < w ? iw : w, ch = ih < h ? ih : h;
        int x = left >= 0 && left <= iw - cw ? left : (iw - cw) / 2;
        int y = top >= 0 && top <= ih - ch ? top : (ih - ch) / 2;
        if (vips_extract_area(in, &cropped, x, y, cw, ch, NULL))
            goto out;
        g_object_unref(in);
        in = cropped;
        iw = cw;
        ih = ch;
    }
    if (iw < w || ih < h) {
        if (bg ? vips_embed(in, out, (w - iw) / 2, (h - ih) / 2, w, h, "extend", extend,
                            "background", bg, NULL)
               : vips_embed(in, out, (w - iw) / 2, (h - ih) / 2, w, h, "extend", extend, NULL))
            goto out;
    } else {
        *out = in;
        in = NULL;
    }
    rc = 0;
out:
    if (in)
        g_object_unref(in);
    return rc;
}

/* What one frame goes through. */
typedef struct rz_frame_job {
    pix_plan p;
    bool scale;
    VipsKernel kernel;
    VipsArrayDouble *bg; /* contain padding; NULL: zeros */
    int left, top;       /* where a cover cut starts; -1: the centre */
} rz_frame_job;

/* Scales (to exactly the plan's size: libvips may land a side one pixel
 * off, so edge pixels are repeated or trimmed), then crops (cover) or pads
 * (contain) one frame.  A pix_frame_fn; borrows in. */
static int rz_frame(VipsImage *in, int index, VipsImage **out, void *user)
{
    const rz_frame_job *fj = user;
    VipsImage *cur = NULL, *scaled = NULL;
    (void)index;

    if (fj->scale) {
        if (pix_resample(in, &scaled, fj->p.sw, fj->p.sh, fj->kernel) ||
            rz_canvas(scaled, &cur, fj->p.sw, fj->p.sh, -1, -1, VIPS_EXTEND_COPY, NULL))
            return -1;
    } else if (vips_copy(in, &cur, NULL)) {
        return -1;
    }
    return rz_canvas(cur, out, fj->p.cw, fj->p.ch, fj->left, fj->top,
                     fj->bg ? VIPS_EXTEND_BACKGROUND : VIPS_EXTEND_BLACK, fj->bg);
}

/* The host decodes the source at the scale returned here (shrink-on-load):
 * enough that the plan's scaled size is reached by shrinking, never by
 * enlarging. */
static double rz_min_scale(const pix_ctx *ctx, int width, int height)
{
    const rz_config *cfg = ctx->config;
    pix_box box = rz_box(cfg);
    return pix_plan_min_scale(&box, (VipsKernel)cfg->kernel, width, height);
}

/* The contain padding for img: NULL (zeros: black, transparent) when no
 * colour was given, else the colour in img's bands.  A grey image padded
 * with a colour that is not grey is brought to sRGB first (*img replaced).
 * Returns 0, or -1 with the libvips error set. */
static int rz_background(const pix_colour *c, VipsImage **img, VipsArrayDouble **bg)
{
    bool alpha = vips_image_hasalpha(*img);
    int bands = vips_image_get_bands(*img);
    double k = vips_image_get_format(*img) == VIPS_FORMAT_USHORT ? 257.0 : 1.0;
    double v[4] = { 0 };

    *bg = NULL;
    if (c->r == 0 && c->g == 0 && c->b == 0 && c->a == 0)
        return 0;
    if (bands - alpha < 3 && !(c->r == c->g && c->g == c->b)) {
        VipsImage *rgb = NULL;
        if (vips_colourspace(*img, &rgb, VIPS_INTERPRETATION_sRGB, NULL))
            return -1;
        g_object_unref(*img);
        *img = rgb;
        bands = vips_image_get_bands(rgb);
    }
    int colour = bands - alpha;
    for (int i = 0; i < colour && i < 3; i++)
        v[i] = (i == 0 ? c->r : i == 1 ? c->g : c->b) * k;
    if (alpha && colour < 4)
        v[colour] = c->a * 255.0 * k;
    double *all = g_new0(double, bands);
    for (int i = 0; i < bands && i < 4; i++)
        all[i] = v[i];
    *bg = vips_array_double_new(all, bands);
    g_free(all);
    return 0;
}

/* Where fit cover with crop focus cuts the p.cw x p.ch box out of the
 * scaled frame: around the focal point, or where libvips' attention
 * search puts it when the source has none (on the first frame of up, the
 * upright working image, read from memory).  Returns 0, or -1 with
 * libvips' error set. */
static int rz_focus_cut(const pix_host *host, pix_job *job, VipsImage *up, const pix_plan *p,
                        int w, int h, VipsKernel kernel, int *left, int *top)
{
    int cw = p->cw < p->sw ? p->cw : p->sw, ch = p->ch < p->sh ? p->ch : p->sh;
    const pix_focus *f = pix_job_focus_for(host, job, w, h);
    VipsImage *t[3] = { NULL };
    int rc = -1;

    if (f) {
        pix_focus_cut(f, p->sw, p->sh, cw, ch, left, top);
        return 0;
    }
    if (vips_crop(up, &t[0], 0, 0, w, h, NULL) ||
        pix_scale_exact(t[0], &t[1], p->sw, p->sh, kernel) ||
        vips_smartcrop(t[1], &t[2], cw, ch, "interesting", VIPS_INTERESTING_ATTENTION, NULL))
        goto out;
    *left = -t[2]->Xoffset;
    *top = -t[2]->Yoffset;
    rc = 0;
out:
    pix_unref_all(t, 3);
    return rc;
}

static int rz_process(const pix_ctx *ctx, pix_job *job)
{
    const rz_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    VipsImage *img = host->job_image(job);
    VipsImage *cur = NULL, *next = NULL;
    VipsArrayDouble *bg = NULL;
    pix_box box = rz_box(cfg);
    int rc = -1;

    if (!img)
        return -1; /* the host recorded why it cannot be decoded */

    int n = pix_frame_count(img);
    /* The core decodes upright, so this is a tag a stage left; the plan is
     * made on the frame as pix_job_upright turns it (each frame on its own). */
    int orientation = pix_image_orientation(img);
    bool swap = orientation >= 5; /* a quarter turn swaps the sides */
    int fw = vips_image_get_width(img), fh = vips_image_get_height(img) / n;
    int w = swap ? fh : fw, h = swap ? fw : fh;
    pix_plan p = pix_plan_frame(&box, src, w, h);

    if (p.sw == w && p.sh == h && p.cw == w && p.ch == h && orientation == 1)
        return 0; /* already the right size and upright: keep the image as is */
    if ((double)p.sw * p.sh * n > RZ_MAX_PIXELS || (double)p.cw * p.ch * n > RZ_MAX_PIXELS)
        return host->job_error(job, "%s: enlarging %dx%d to %dx%d is over %.0f pixels", src->key,
                               w, h, p.sw, p.sh, RZ_MAX_PIXELS);
    /* The attention search reads the image before the resize does: from
     * the job's in-memory copy, so the source is decoded once. */
    if (cfg->fit == PIX_FIT_COVER && cfg->crop == RZ_CROP_FOCUS &&
        !pix_job_focus_for(host, job, w, h) && !host->job_image_shared(job))
        return -1;
    if (pix_job_upright(host, job, &cur))
        return -1;
    if (cfg->fit == PIX_FIT_CONTAIN && (p.cw > p.sw || p.ch > p.sh) &&
        rz_background(&cfg->background, &cur, &bg)) {
        host->job_vips_error(job, "cannot pad %s with the background colour", src->key);
        goto out;
    }
    rz_frame_job fj = { .p = p, .scale = p.sw != w || p.sh != h,
                        .kernel = (VipsKernel)cfg->kernel, .bg = bg, .left = -1, .top = -1 };
    if (cfg->fit == PIX_FIT_COVER && cfg->crop == RZ_CROP_FOCUS &&
        (p.cw < p.sw || p.ch < p.sh) &&
        rz_focus_cut(host, job, cur, &p, w, h, fj.kernel, &fj.left, &fj.top)) {
        host->job_vips_error(job, "cannot find where to cut %s", src->key);
        goto out;
    }
    if (pix_map_frames(cur, n, rz_frame, &fj, &next)) {
        host->job_vips_error(job, "cannot resize %s to %dx%d (%s %dx%d)", src->key, p.sw, p.sh,
                             pix_fit_choices[cfg->fit], p.cw, p.ch);
        goto out;
    }
    host->job_set_image(job, next);
    rc = 0;
out:
    if (cur)
        g_object_unref(cur);
    if (bg)
        vips_area_unref(VIPS_AREA(bg));
    return rc;
}

PIX_STAGE_PLUGIN("resize", "1.2.0",
                 "Scales the image into a box: inside, cover, contain, fill or outside; no "
                 "upscaling by default",
                 rz_process, .min_scale = rz_min_scale, .options = rz_options,
                 .config_size = sizeof(rz_config), .check = rz_check);
