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
 * kernel asks for the full size, so that the kernel is the one used.  While the working image still has the source's shape,
 * the plan is made on the source's size, so the output is what a full-size
 * resize gives to the pixel.  The output is upright: a stage that left an
 * EXIF orientation on a still image has it applied.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include <vips/vips.h>

#include <pixpipe/stage.h>

enum { FIT_INSIDE, FIT_COVER, FIT_CONTAIN, FIT_FILL, FIT_OUTSIDE };

static const char *const fit_choices[] = { "inside", "cover", "contain", "fill", "outside", NULL };

/* In the order of VipsKernel, so the index is the libvips value. */
static const char *const kernel_choices[] = { "nearest", "linear",   "cubic",
                                              "mitchell", "lanczos2", "lanczos3", NULL };

/* A result over this many pixels (possible only with enlarge) is refused
 * rather than attempted. */
#define RZ_MAX_PIXELS 1e9

typedef struct rz_config {
    int64_t width, height; /* 0 when not given */
    int fit;
    bool enlarge;
    int kernel;
    pix_colour background; /* all 0 when not given */
} rz_config;

typedef struct rz_state {
    const pix_host *host;
    int width, height;
    int fit;
    bool enlarge;
    VipsKernel kernel;
    pix_colour background;
} rz_state;

static const pix_option rz_options[] = {
    { .name = "width", .type = PIX_OPT_INT, .offset = offsetof(rz_config, width),
      .min = 1, .max = 100000,
      .doc = "Target box width in pixels; when absent it follows from height and the aspect ratio." },
    { .name = "height", .type = PIX_OPT_INT, .offset = offsetof(rz_config, height),
      .min = 1, .max = 100000,
      .doc = "Target box height in pixels; when absent it follows from width and the aspect ratio." },
    { .name = "fit", .type = PIX_OPT_ENUM, .offset = offsetof(rz_config, fit), .def = "inside",
      .choices = fit_choices,
      .doc = "How the image meets the box: inside, cover (crop), contain (pad), fill (stretch) or outside." },
    { .name = "enlarge", .type = PIX_OPT_BOOL, .offset = offsetof(rz_config, enlarge),
      .def = "false",
      .doc = "Allow scaling images up; when false an image smaller than the box is never enlarged." },
    { .name = "kernel", .type = PIX_OPT_ENUM, .offset = offsetof(rz_config, kernel),
      .def = "lanczos3", .choices = kernel_choices,
      .doc = "Resampling kernel: nearest, linear, cubic, mitchell, lanczos2 or lanczos3 (sharpest)." },
    { .name = "background", .type = PIX_OPT_COLOUR, .offset = offsetof(rz_config, background),
      .doc = "Padding colour for fit contain; by default transparent with alpha, else black." },
    { .name = NULL },
};

/* What to do with a w x h image (one frame): scale it to sw x sh, then crop
 * or pad it (centred) to cw x ch. */
typedef struct rz_plan {
    int sw, sh;
    int cw, ch;
} rz_plan;

static int rz_check(const pix_host *host, pix_instance *self, const void *config)
{
    const rz_config *cfg = config;

    if (cfg->width <= 0 && cfg->height <= 0) {
        host->error(self, "give width, height or both (the box to resize into)");
        return -1;
    }
    return 0;
}

static int rz_create(const pix_host *host, pix_instance *self, const void *config, void **state)
{
    const rz_config *cfg = config;
    rz_state *st;

    st = calloc(1, sizeof *st);
    if (!st) {
        host->error(self, "out of memory");
        return -1;
    }
    st->host = host;
    st->width = (int)cfg->width;
    st->height = (int)cfg->height;
    st->fit = cfg->fit;
    st->enlarge = cfg->enlarge;
    st->kernel = (VipsKernel)cfg->kernel;
    st->background = cfg->background;
    *state = st;
    return 0;
}

static void rz_destroy(void *state)
{
    free(state);
}

static int rz_px(double v)
{
    double r = round(v);
    return r < 1 ? 1 : r > INT_MAX ? INT_MAX : (int)r;
}

static int rz_min(int a, int b)
{
    return a < b ? a : b;
}

static int rz_max(int a, int b)
{
    return a > b ? a : b;
}

/* The plan for a w x h (upright) image into a W x H box (0: unset). */
static rz_plan rz_compute(const rz_state *st, int w, int h)
{
    int W = st->width, H = st->height;
    rz_plan p;

    if (W <= 0 || H <= 0) {
        /* One side given: every fit scales to it, keeping the aspect. */
        double s = W > 0 ? (double)W / w : (double)H / h;
        if (!st->enlarge && s > 1)
            s = 1;
        p.sw = p.cw = W > 0 && s == (double)W / w ? W : rz_px(w * s);
        p.sh = p.ch = H > 0 && s == (double)H / h ? H : rz_px(h * s);
        return p;
    }

    double sx = (double)W / w, sy = (double)H / h;
    double lo = sx < sy ? sx : sy, hi = sx > sy ? sx : sy;
    switch (st->fit) {
    case FIT_FILL:
        p.sw = p.cw = st->enlarge ? W : rz_min(W, w);
        p.sh = p.ch = st->enlarge ? H : rz_min(H, h);
        return p;
    case FIT_OUTSIDE:
    case FIT_COVER:
        if (!st->enlarge && hi > 1) {
            p.sw = w;
            p.sh = h;
            if (st->fit == FIT_OUTSIDE) {
                p.cw = w;
                p.ch = h;
            } else {
                /* The largest centred crop of the box's shape. */
                p.cw = rz_min(W, rz_min(w, rz_px((double)h * W / H)));
                p.ch = rz_min(H, rz_min(h, rz_px((double)w * H / W)));
            }
            return p;
        }
        /* The side that sets the scale lands on the box exactly; the other
         * rounds to at least the box. */
        p.sw = sx >= sy ? W : rz_max(W, rz_px(w * hi));
        p.sh = sy >= sx ? H : rz_max(H, rz_px(h * hi));
        p.cw = st->fit == FIT_COVER ? W : p.sw;
        p.ch = st->fit == FIT_COVER ? H : p.sh;
        return p;
    case FIT_CONTAIN:
    case FIT_INSIDE:
    default:
        if (!st->enlarge && lo > 1) {
            p.sw = w;
            p.sh = h;
        } else {
            p.sw = sx <= sy ? W : rz_min(W, rz_px(w * lo));
            p.sh = sy <= sx ? H : rz_min(H, rz_px(h * lo));
        }
        p.cw = st->fit == FIT_CONTAIN ? W : p.sw;
        p.ch = st->fit == FIT_CONTAIN ? H : p.sh;
        return p;
    }
}

/* Centre-crops and/or pads in to exactly w x h.  Steals in; *out is new.
 * extend says what fills the padding; bg (NULL: zeros) is its colour with
 * extend VIPS_EXTEND_BACKGROUND. */
static int rz_canvas(VipsImage *in, VipsImage **out, int w, int h, VipsExtend extend,
                     VipsArrayDouble *bg)
{
    VipsImage *cropped = NULL;
    int iw = vips_image_get_width(in), ih = vips_image_get_height(in);
    int rc = -1;

    if (iw > w || ih > h) {
        int cw = rz_min(iw, w), ch = rz_min(ih, h);
        if (vips_extract_area(in, &cropped, (iw - cw) / 2, (ih - ch) / 2, cw, ch, NULL))
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

/* Scales in to exactly sw x sh with kernel.  Alpha is premultiplied around
 * the resampling: otherwise the colour of transparent pixels (usually black)
 * is averaged into the edges.  Borrows in; *out is new. */
static int rz_scale(VipsImage *in, VipsImage **out, int sw, int sh, VipsKernel kernel)
{
    VipsImage *scaled = NULL;

    if (pix_resample(in, &scaled, sw, sh, kernel))
        return -1;
    /* libvips may round a side one pixel off; repeat edge pixels (or trim)
     * so the size is exactly the plan's. */
    return rz_canvas(scaled, out, sw, sh, VIPS_EXTEND_COPY, NULL);
}

/* What one frame goes through. */
typedef struct rz_frame_job {
    rz_plan p;
    bool scale;
    VipsKernel kernel;
    VipsArrayDouble *bg; /* contain padding; NULL: zeros */
} rz_frame_job;

/* Scales, then crops (cover) or pads (contain) one frame.  Borrows in. */
static int rz_frame(VipsImage *in, VipsImage **out, const rz_frame_job *fj)
{
    VipsImage *cur = NULL;

    if (fj->scale ? rz_scale(in, &cur, fj->p.sw, fj->p.sh, fj->kernel)
                  : vips_copy(in, &cur, NULL))
        return -1;
    return rz_canvas(cur, out, fj->p.cw, fj->p.ch,
                     fj->bg ? VIPS_EXTEND_BACKGROUND : VIPS_EXTEND_BLACK, fj->bg);
}

/* Runs rz_frame on each of the n frames stacked in in and stacks the
 * results again, with page-height set to the new frame height: no kernel
 * reaches across two frames, and every frame is treated alike.  Borrows
 * in; *out is new. */
static int rz_frames(VipsImage *in, VipsImage **out, int n, const rz_frame_job *fj)
{
    if (n <= 1)
        return rz_frame(in, out, fj);

    int w = vips_image_get_width(in), ph = vips_image_get_height(in) / n;
    VipsImage **frames = g_new0(VipsImage *, n);
    VipsImage *joined = NULL;
    int rc = -1;

    for (int i = 0; i < n; i++) {
        VipsImage *one = NULL;
        int r = vips_crop(in, &one, 0, i * ph, w, ph, NULL);
        if (!r)
            r = rz_frame(one, &frames[i], fj);
        if (one)
            g_object_unref(one);
        if (r)
            goto out;
    }
    if (vips_arrayjoin(frames, &joined, n, "across", 1, NULL) || vips_copy(joined, out, NULL))
        goto out;
    vips_image_set_int(*out, VIPS_META_PAGE_HEIGHT, fj->p.ch);
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        if (frames[i])
            g_object_unref(frames[i]);
    g_free(frames);
    if (joined)
        g_object_unref(joined);
    return rc;
}

/* The number of frames stacked in img (1 for a still image). */
static int rz_frame_count(VipsImage *img)
{
    int h = vips_image_get_height(img), ph = vips_image_get_page_height(img);
    return ph > 0 && ph < h && h % ph == 0 ? h / ph : 1;
}

/* The image's EXIF orientation, 1 when it has none. */
static int rz_orientation(VipsImage *img)
{
    int o = 1;
    if (vips_image_get_typeof(img, VIPS_META_ORIENTATION) &&
        vips_image_get_int(img, VIPS_META_ORIENTATION, &o))
        o = 1;
    return o >= 1 && o <= 8 ? o : 1;
}

/* The host decodes the source at the scale returned here (shrink-on-load):
 * enough that the plan's scaled size is reached by shrinking, never by
 * enlarging. */
static double rz_min_scale(void *state, int width, int height)
{
    const rz_state *st = state;
    /* The host's decode resamples to the scale asked with lanczos3: another
     * kernel would never be used, so ask for the full size and resample
     * here. */
    if (st->kernel != VIPS_KERNEL_LANCZOS3)
        return 1.0;
    rz_plan p = rz_compute(st, width, height);
    return pix_scale_to_reach(p.sw, p.sh, width, height);
}

/* The plan for the working image's frame of w x h.  The host decoded the
 * source smaller (shrink-on-load), rounding each side on its own.  While
 * the image still has the source's shape, plan on the source's size, so the
 * output is what a full-size resize gives to the pixel. */
static rz_plan rz_plan_for(const rz_state *st, const pix_source *src, int w, int h)
{
    rz_plan p = rz_compute(st, w, h);
    int ow, oh;

    pix_source_upright(src, &ow, &oh);
    if (pix_same_shape(w, h, ow, oh)) {
        rz_plan q = rz_compute(st, ow, oh);
        if (q.sw <= w + 1 && q.sh <= h + 1)
            p = q;
    }
    return p;
}

/* The contain padding for img: NULL (zeros: black, transparent) when no
 * colour was given, else the colour in img's bands.  A grey image padded
 * with a colour that is not grey is brought to sRGB first (*img replaced).
 * Returns 0, or -1 with the libvips error set. */
static int rz_background(const rz_state *st, VipsImage **img, VipsArrayDouble **bg)
{
    const pix_colour *c = &st->background;
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

/* An upright copy of the working image (a still image a stage left with an
 * EXIF orientation is turned).  *out is new.  Returns 0, or -1 after
 * job_error. */
static int rz_upright(const rz_state *st, pix_job *job, int orientation, VipsImage **out)
{
    const pix_host *host = st->host;
    const char *key = host->job_source(job)->key;

    if (orientation == 1) {
        if (!vips_copy(host->job_image(job), out, NULL))
            return 0;
        host->job_error(job, "cannot copy %s: %s", key, vips_error_buffer());
        return -1;
    }
    /* A quarter turn reads the image out of order: rotate a copy held in
     * memory, as the source is read sequentially. */
    VipsImage *mem = host->job_image_shared(job);
    if (!mem)
        return -1; /* the host recorded why */
    if (!vips_autorot(mem, out, NULL))
        return 0;
    host->job_error(job, "cannot rotate %s upright: %s", key, vips_error_buffer());
    return -1;
}

static int rz_process(void *state, pix_job *job)
{
    const rz_state *st = state;
    const pix_host *host = st->host;
    const pix_source *src = host->job_source(job);
    VipsImage *img = host->job_image(job);
    VipsImage *cur = NULL, *next = NULL;
    VipsArrayDouble *bg = NULL;
    int rc = -1;

    if (!img)
        return -1; /* the host recorded why it cannot be decoded */

    int n = rz_frame_count(img);
    /* The core decodes animations upright; a stacked strip is never turned
     * as a whole, which would scramble its frames. */
    int orientation = n > 1 ? 1 : rz_orientation(img);
    bool swap = orientation >= 5; /* a quarter turn swaps the sides */
    int fw = vips_image_get_width(img), fh = vips_image_get_height(img) / n;
    int w = swap ? fh : fw, h = swap ? fw : fh;
    rz_plan p = rz_plan_for(st, src, w, h);

    if (p.sw == w && p.sh == h && p.cw == w && p.ch == h && orientation == 1)
        return 0; /* already the right size and upright: keep the image as is */
    if ((double)p.sw * p.sh * n > RZ_MAX_PIXELS || (double)p.cw * p.ch * n > RZ_MAX_PIXELS) {
        host->job_error(job, "%s: enlarging %dx%d to %dx%d is over %.0f pixels", src->key, w, h,
                        p.sw, p.sh, RZ_MAX_PIXELS);
        return -1;
    }
    if (rz_upright(st, job, orientation, &cur))
        return -1;
    if (st->fit == FIT_CONTAIN && (p.cw > p.sw || p.ch > p.sh) && rz_background(st, &cur, &bg)) {
        host->job_error(job, "cannot pad %s with the background colour: %s", src->key,
                        vips_error_buffer());
        goto out;
    }
    rz_frame_job fj = { .p = p, .scale = p.sw != w || p.sh != h, .kernel = st->kernel, .bg = bg };
    if (rz_frames(cur, &next, n, &fj)) {
        host->job_error(job, "cannot resize %s to %dx%d (%s %dx%d): %s", src->key, p.sw, p.sh,
                        fit_choices[st->fit], p.cw, p.ch, vips_error_buffer());
        goto out;
    }
    host->job_set_image(job, next);
    rc = 0;
out:
    if (rc)
        vips_error_clear();
    if (cur)
        g_object_unref(cur);
    if (bg)
        vips_area_unref(VIPS_AREA(bg));
    return rc;
}

static const pix_plugin resize = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STAGE,
    .name = "resize",
    .version = "1.1.0",
    .summary = "Scales the image into a box: inside, cover, contain, fill or outside; no upscaling by default",
    .options = rz_options,
    .config_size = sizeof(rz_config),
    .check = rz_check,
    .create = rz_create,
    .destroy = rz_destroy,
    .ops.stage = { .min_scale = rz_min_scale, .process = rz_process, .finish = NULL },
};

PIX_PLUGIN_EXPORT(resize)
