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
 *              canvas (black; transparent where the image has alpha: every
 *              band of the padding is 0);
 *     fill     stretch to exactly the box, ignoring the aspect ratio.
 *   enlarge (bool, default false)  allow upscaling.
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
 * The output is upright: an EXIF orientation is applied (and removed) as
 * libvips' thumbnail does.  While the working image is still the untouched
 * source, the source bytes are decoded with vips_thumbnail_buffer(), so a
 * large JPEG is decoded at a reduced scale (shrink-on-load).
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include <vips/vips.h>

#include <pixpipe/pixpipe.h>

enum { FIT_INSIDE, FIT_COVER, FIT_CONTAIN, FIT_FILL, FIT_OUTSIDE };

static const char *const fit_choices[] = { "inside", "cover", "contain", "fill", "outside", NULL };

/* A result over this many pixels (possible only with enlarge) is refused
 * rather than attempted. */
#define RZ_MAX_PIXELS 1e9

typedef struct rz_config {
    int64_t width, height; /* 0 when not given */
    int fit;
    bool enlarge;
} rz_config;

typedef struct rz_state {
    const pix_host *host;
    int width, height;
    int fit;
    bool enlarge;
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
    { .name = NULL },
};

/* What to do with a w x h image: scale it to sw x sh, then crop or pad it
 * (centred) to cw x ch. */
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
 * extend says what fills the padding. */
static int rz_canvas(VipsImage *in, VipsImage **out, int w, int h, VipsExtend extend)
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
        if (vips_embed(in, out, (w - iw) / 2, (h - ih) / 2, w, h, "extend", extend, NULL))
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
    rz_plan p = rz_compute(state, width, height);
    double sx = (double)p.sw / width, sy = (double)p.sh / height;
    double s = sx > sy ? sx : sy;
    return s < 1.0 ? s : 1.0;
}

static int rz_process(void *state, pix_job *job)
{
    const rz_state *st = state;
    const pix_host *host = st->host;
    const pix_source *src = host->job_source(job);
    VipsImage *img = host->job_image(job);
    VipsImage *cur = NULL, *next = NULL;
    int rc = -1;

    if (!img)
        return -1; /* the host recorded why it cannot be decoded */

    int orientation = rz_orientation(img);
    bool swap = orientation >= 5; /* a quarter turn swaps the sides */
    int w = swap ? vips_image_get_height(img) : vips_image_get_width(img);
    int h = swap ? vips_image_get_width(img) : vips_image_get_height(img);
    rz_plan p = rz_compute(st, w, h);

    /* The host decoded the source smaller (shrink-on-load), rounding each
     * side on its own.  While the image still has the source's shape, plan
     * on the source's size, so the output is what a full-size resize gives
     * to the pixel. */
    int ow = src->orientation >= 5 ? src->height : src->width;
    int oh = src->orientation >= 5 ? src->width : src->height;
    if (ow > 0 && oh > 0 && (w != ow || h != oh) &&
        llabs((long long)w * oh - (long long)h * ow) <= (long long)(ow > oh ? ow : oh)) {
        rz_plan q = rz_compute(st, ow, oh);
        if (q.sw <= w + 1 && q.sh <= h + 1)
            p = q;
    }

    if (p.sw == w && p.sh == h && p.cw == w && p.ch == h && orientation == 1)
        return 0; /* already the right size and upright: keep the image as is */
    if ((double)p.sw * p.sh > RZ_MAX_PIXELS || (double)p.cw * p.ch > RZ_MAX_PIXELS) {
        host->job_error(job, "%s: enlarging %dx%d to %dx%d is over %.0f pixels", src->key, w, h,
                        p.sw, p.sh, RZ_MAX_PIXELS);
        return -1;
    }

    bool scale = p.sw != w || p.sh != h;
    if (!scale && orientation == 1) {
        if (vips_copy(img, &cur, NULL)) {
            host->job_error(job, "cannot copy %s: %s", src->key, vips_error_buffer());
            goto out;
        }
    } else {
        /* A stage changed the image: upright it as the source path would,
         * then scale (thumbnail_image premultiplies alpha, resize would not).
         * A quarter turn reads the image out of order, so rotate a copy held
         * in memory. */
        VipsImage *up = NULL;
        if (orientation != 1) {
            VipsImage *mem = host->job_image_shared(job);
            if (!mem)
                return -1; /* the host recorded why */
            if (vips_autorot(mem, &up, NULL)) {
                host->job_error(job, "cannot rotate %s upright: %s", src->key,
                                vips_error_buffer());
                goto out;
            }
        } else if (vips_copy(img, &up, NULL)) {
            host->job_error(job, "cannot copy %s: %s", src->key, vips_error_buffer());
            goto out;
        }
        if (!scale) {
            cur = up;
        } else {
            int r = vips_thumbnail_image(up, &cur, p.sw, "height", p.sh, "size",
                                         VIPS_SIZE_FORCE, NULL);
            g_object_unref(up);
            if (r) {
                host->job_error(job, "cannot resize %s to %dx%d: %s", src->key, p.sw, p.sh,
                                vips_error_buffer());
                goto out;
            }
        }
    }

    /* libvips may round a side one pixel off; repeat edge pixels (or trim)
     * so the size is exactly the plan's. */
    if (rz_canvas(cur, &next, p.sw, p.sh, VIPS_EXTEND_COPY)) {
        cur = NULL;
        host->job_error(job, "cannot adjust %s to %dx%d: %s", src->key, p.sw, p.sh,
                        vips_error_buffer());
        goto out;
    }
    cur = next;
    next = NULL;
    /* cover crops, contain pads with zeros (black, transparent alpha). */
    if (rz_canvas(cur, &next, p.cw, p.ch, VIPS_EXTEND_BLACK)) {
        cur = NULL;
        host->job_error(job, "cannot %s %s to %dx%d: %s", st->fit == FIT_CONTAIN ? "pad" : "crop",
                        src->key, p.cw, p.ch, vips_error_buffer());
        goto out;
    }
    cur = next;
    next = NULL;
    host->job_set_image(job, cur);
    cur = NULL;
    rc = 0;
out:
    if (rc)
        vips_error_clear();
    if (cur)
        g_object_unref(cur);
    return rc;
}

static const pix_plugin resize = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STAGE,
    .name = "resize",
    .version = "1.0.0",
    .summary = "Scales the image into a box: inside, cover, contain, fill or outside; no upscaling by default",
    .options = rz_options,
    .config_size = sizeof(rz_config),
    .check = rz_check,
    .create = rz_create,
    .destroy = rz_destroy,
    .ops.stage = { .min_scale = rz_min_scale, .process = rz_process, .finish = NULL },
};

PIX_PLUGIN_EXPORT(resize)
