/*
 * thumbnail: adds a named rendition made from the working image as it
 * stands at this point of the stage list, and leaves the working image as
 * it was.  Its place in the list decides what it carries: a watermark
 * placed after it is not on the thumbnail, one placed before it is.
 *
 * Options:
 *   name    (string, default "thumb")  the rendition's name ({rendition} in
 *           the destination key template).
 *   width, height (int 1..100000)  the box; at least one is required, a
 *           missing one equals the other (a square box, as vipsthumbnail's
 *           size).
 *   crop    (enum, default none)
 *     none       scale to fit inside the box, keeping the aspect ratio;
 *     centre     scale to cover the box, keep its centre (also "center");
 *     attention  ... keep the most interesting part (libvips smartcrop:
 *                edges, skin tones, saturated colour);
 *     entropy    ... keep the part with the most entropy.
 *   The crop modes give exactly width x height.
 *   enlarge (bool, default false)  allow upscaling.  Without it nothing is
 *           scaled up: crop none keeps a smaller image as it is; the crop
 *           modes cut the largest region of the box's aspect ratio that
 *           fits in the image, at most the box, chosen as crop says (a
 *           100x80 image, 256x256 centre -> the middle 80x80), so the
 *           thumbnail keeps the box's shape and is never blown up.
 *   kernel  (enum, default lanczos3)  resampling kernel of vips_resize; as
 *           the host's shrink-on-load decode resamples with lanczos3, any
 *           other kernel asks the host for the full size.
 *   format  (enum, default jpeg)  jpeg, png, webp, avif, gif or source (the
 *           source's own format when it can be written).  jpeg is the
 *           default: thumbnails are small photos every client can show
 *           (alpha is flattened on white by the encoder).
 *   quality (int 0..100, default 0)  0 is the encoder's default.
 *   lossless, effort, progressive, keep_metadata: as in the pipeline's
 *           output section (effort -1 is the encoder's default).
 *
 * Alpha is premultiplied around the resampling (no dark fringes).  An
 * animated working image (frames stacked with "page-height") keeps every
 * frame when the thumbnail's format can animate (gif, webp; source when the
 * source is one of those): each frame is scaled alike and cut at the same
 * place, the one attention/entropy find on the first frame, so the
 * animation does not jitter.  Otherwise the thumbnail is made from the first
 * frame only.
 *
 * min_scale() gives the host the scale the thumbnail needs, so a thumbnail
 * at the start of the list still lets the source shrink on load.  The
 * thumbnail is computed during process() into memory (it is small): a later
 * stage that draws on the shared working image in place cannot reach it.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <vips/vips.h>

#include <pixpipe/stage.h>

enum { CROP_NONE, CROP_CENTRE, CROP_ATTENTION, CROP_ENTROPY, CROP_CENTER };

static const char *const crop_choices[] = { "none", "centre", "attention", "entropy", "center",
                                            NULL };

/* In the order of VipsKernel, so the index is the libvips value. */
static const char *const kernel_choices[] = { "nearest", "linear",   "cubic",
                                              "mitchell", "lanczos2", "lanczos3", NULL };

static const char *const format_choices[] = { "jpeg", "png", "webp", "avif", "gif", "source",
                                              NULL };

/* A thumbnail over this many pixels (possible only with enlarge) is
 * refused rather than attempted. */
#define TH_MAX_PIXELS 1e9

typedef struct th_config {
    char *name;
    int64_t width, height; /* 0 when not given */
    int crop;
    bool enlarge;
    int kernel;
    int format;
    int64_t quality;
    bool lossless;
    int64_t effort;
    bool progressive;
    bool keep_metadata;
} th_config;

typedef struct th_state {
    const pix_host *host;
    const char *name; /* borrowed from the config, which outlives us */
    int width, height;
    int crop; /* CROP_CENTER folded into CROP_CENTRE */
    bool enlarge;
    VipsKernel kernel;
    pix_encode enc;
} th_state;

static const pix_option th_options[] = {
    { .name = "name", .type = PIX_OPT_STRING, .offset = offsetof(th_config, name),
      .def = "thumb", .min = 1, .max = 64,
      .doc = "Name of the rendition, as {rendition} in the destination key." },
    { .name = "width", .type = PIX_OPT_INT, .offset = offsetof(th_config, width), .min = 1,
      .max = 100000, .doc = "Box width in pixels; when absent it equals height." },
    { .name = "height", .type = PIX_OPT_INT, .offset = offsetof(th_config, height), .min = 1,
      .max = 100000, .doc = "Box height in pixels; when absent it equals width." },
    { .name = "crop", .type = PIX_OPT_ENUM, .offset = offsetof(th_config, crop), .def = "none",
      .choices = crop_choices,
      .doc = "none fits inside the box; centre, attention and entropy fill it exactly and crop." },
    { .name = "enlarge", .type = PIX_OPT_BOOL, .offset = offsetof(th_config, enlarge),
      .def = "false", .doc = "Allow scaling up an image smaller than the box." },
    { .name = "kernel", .type = PIX_OPT_ENUM, .offset = offsetof(th_config, kernel),
      .def = "lanczos3", .choices = kernel_choices,
      .doc = "Resampling kernel: nearest, linear, cubic, mitchell, lanczos2 or lanczos3." },
    { .name = "format", .type = PIX_OPT_ENUM, .offset = offsetof(th_config, format),
      .def = "jpeg", .choices = format_choices,
      .doc = "Format of the thumbnail; source keeps the source's own format when writable." },
    { .name = "quality", .type = PIX_OPT_INT, .offset = offsetof(th_config, quality), .def = "0",
      .min = 0, .max = 100, .doc = "Encoder quality 1..100; 0 uses the format's default." },
    { .name = "lossless", .type = PIX_OPT_BOOL, .offset = offsetof(th_config, lossless),
      .def = "false", .doc = "Lossless webp or avif." },
    { .name = "effort", .type = PIX_OPT_INT, .offset = offsetof(th_config, effort), .def = "-1",
      .min = -1, .max = 9,
      .doc = "CPU effort: png 0..9, webp 0..6, avif 0..9; -1 uses the encoder's default." },
    { .name = "progressive", .type = PIX_OPT_BOOL, .offset = offsetof(th_config, progressive),
      .def = "false", .doc = "Progressive jpeg or interlaced png." },
    { .name = "keep_metadata", .type = PIX_OPT_BOOL,
      .offset = offsetof(th_config, keep_metadata), .def = "false",
      .doc = "Keep the image's metadata blocks in the thumbnail instead of stripping them." },
    { .name = NULL },
};

/* The largest effort each encoder takes (libvips 8.14), -1: none. */
static int th_effort_max(const char *format)
{
    if (strcmp(format, "png") == 0 || strcmp(format, "avif") == 0)
        return 9;
    if (strcmp(format, "webp") == 0)
        return 6;
    return -1;
}

/* Whether this libvips writes AVIF: Debian's libheif may lack an AV1
 * encoder, which only trying shows. */
static bool th_avif_works(void)
{
    VipsImage *im = NULL;
    void *buf = NULL;
    size_t len = 0;
    bool ok = vips_black(&im, 8, 8, "bands", 3, NULL) == 0 &&
              vips_heifsave_buffer(im, &buf, &len, "compression",
                                   VIPS_FOREIGN_HEIF_COMPRESSION_AV1, NULL) == 0;
    if (im)
        g_object_unref(im);
    g_free(buf);
    vips_error_clear();
    return ok;
}

static int th_check(const pix_host *host, pix_instance *self, const void *config)
{
    const th_config *cfg = config;
    const char *format = format_choices[cfg->format];

    if (cfg->width <= 0 && cfg->height <= 0) {
        host->error(self, "give width, height or both (the thumbnail's box)");
        return -1;
    }
    if (strchr(cfg->name, '/')) {
        host->error(self, "name: '%s' has a '/'; a rendition name is one key segment",
                    cfg->name);
        return -1;
    }
    if (cfg->effort >= 0 && strcmp(format, "source") == 0) {
        host->error(self, "effort: give an explicit format, as effort ranges differ by "
                    "encoder");
        return -1;
    }
    if (cfg->effort >= 0 && cfg->effort > th_effort_max(format)) {
        if (th_effort_max(format) < 0)
            host->error(self, "effort: %s takes no effort setting", format);
        else
            host->error(self, "effort: %s takes 0..%d, not %lld", format,
                        th_effort_max(format), (long long)cfg->effort);
        return -1;
    }
    if (strcmp(format, "avif") == 0 && !th_avif_works()) {
        host->error(self, "format: this libvips cannot write avif (no AV1 encoder in libheif)");
        return -1;
    }
    return 0;
}

static int th_create(const pix_host *host, pix_instance *self, const void *config, void **state)
{
    const th_config *cfg = config;
    th_state *st = calloc(1, sizeof *st);

    if (!st) {
        host->error(self, "out of memory");
        return -1;
    }
    st->host = host;
    st->name = cfg->name;
    st->width = (int)(cfg->width > 0 ? cfg->width : cfg->height);
    st->height = (int)(cfg->height > 0 ? cfg->height : cfg->width);
    st->crop = cfg->crop == CROP_CENTER ? CROP_CENTRE : cfg->crop;
    st->enlarge = cfg->enlarge;
    st->kernel = (VipsKernel)cfg->kernel;
    st->enc = (pix_encode){
        .format = format_choices[cfg->format],
        .quality = (int)cfg->quality,
        .lossless = cfg->lossless,
        .effort = (int)cfg->effort,
        .progressive = cfg->progressive,
        .keep_metadata = cfg->keep_metadata,
    };
    *state = st;
    return 0;
}

static void th_destroy(void *state)
{
    free(state);
}

static int th_px(double v)
{
    double r = round(v);
    return r < 1 ? 1 : r > INT_MAX ? INT_MAX : (int)r;
}

static int th_min(int a, int b)
{
    return a < b ? a : b;
}

static int th_max(int a, int b)
{
    return a > b ? a : b;
}

/* What to do with a w x h frame: scale it to sw x sh, then cut cw x ch
 * out of it. */
typedef struct th_plan {
    int sw, sh;
    int cw, ch;
} th_plan;

static th_plan th_compute(const th_state *st, int w, int h)
{
    int W = st->width, H = st->height;
    double sx = (double)W / w, sy = (double)H / h;
    th_plan p;

    if (st->crop == CROP_NONE) {
        double lo = sx < sy ? sx : sy;
        if (!st->enlarge && lo > 1) {
            p.sw = w;
            p.sh = h;
        } else {
            /* The side that sets the scale lands on the box exactly. */
            p.sw = sx <= sy ? W : th_min(W, th_px(w * lo));
            p.sh = sy <= sx ? H : th_min(H, th_px(h * lo));
        }
        p.cw = p.sw;
        p.ch = p.sh;
        return p;
    }
    double hi = sx > sy ? sx : sy;
    if (!st->enlarge && hi > 1) {
        /* The largest region of the box's shape, never scaled up. */
        p.sw = w;
        p.sh = h;
        p.cw = th_min(W, th_min(w, th_px((double)h * W / H)));
        p.ch = th_min(H, th_min(h, th_px((double)w * H / W)));
        return p;
    }
    p.sw = sx >= sy ? W : th_max(W, th_px(w * hi));
    p.sh = sy >= sx ? H : th_max(H, th_px(h * hi));
    p.cw = W;
    p.ch = H;
    return p;
}

/* The host decodes the source at the scale returned here (shrink-on-load):
 * enough that the thumbnail is reached by shrinking, never by enlarging. */
static double th_min_scale(void *state, int width, int height)
{
    const th_state *st = state;
    /* The host's decode resamples to the scale asked with lanczos3: another
     * kernel would never be used on a thumbnail at the start of the list. */
    if (st->kernel != VIPS_KERNEL_LANCZOS3)
        return 1.0;
    th_plan p = th_compute(st, width, height);
    return pix_scale_to_reach(p.sw, p.sh, width, height);
}

/* The plan for a working frame of w x h.  While it still has the source's
 * shape (decoded smaller, each side rounded on its own), plan on the
 * source's size, so the thumbnail is the one a full-size decode gives. */
static th_plan th_plan_for(const th_state *st, const pix_source *src, int w, int h)
{
    th_plan p = th_compute(st, w, h);
    int ow, oh;

    pix_source_upright(src, &ow, &oh);
    if (pix_same_shape(w, h, ow, oh)) {
        th_plan q = th_compute(st, ow, oh);
        if (q.sw <= w + 1 && q.sh <= h + 1)
            p = q;
    }
    return p;
}

/* Trims or extends (repeating edge pixels) in to exactly w x h, from the
 * top-left.  Steals in; *out is new. */
static int th_exact(VipsImage *in, VipsImage **out, int w, int h)
{
    int iw = vips_image_get_width(in), ih = vips_image_get_height(in);
    int rc;

    if (iw == w && ih == h) {
        *out = in;
        return 0;
    }
    if (iw >= w && ih >= h)
        rc = vips_extract_area(in, out, 0, 0, w, h, NULL);
    else
        rc = vips_embed(in, out, 0, 0, w, h, "extend", VIPS_EXTEND_COPY, NULL);
    g_object_unref(in);
    return rc;
}

/* Scales in to exactly sw x sh with kernel.  Alpha is premultiplied around
 * the resampling: otherwise the colour of transparent pixels (usually black)
 * is averaged into the edges.  Borrows in; *out is new. */
static int th_scale(VipsImage *in, VipsImage **out, int sw, int sh, VipsKernel kernel)
{
    VipsImage *scaled = NULL;

    if (sw == vips_image_get_width(in) && sh == vips_image_get_height(in))
        return vips_copy(in, out, NULL);
    if (pix_resample(in, &scaled, sw, sh, kernel))
        return -1;
    return th_exact(scaled, out, sw, sh);
}

/* Where to cut cw x ch out of a scaled frame: the place vips_smartcrop picks
 * for the crop mode.  libvips reports it only as the extract's offset
 * (Xoffset = -left), so check it lies inside and fall back to the centre.
 * Borrows frame. */
static int th_where(const th_state *st, VipsImage *frame, int cw, int ch, int *left, int *top)
{
    static const VipsInteresting modes[] = {
        [CROP_CENTRE] = VIPS_INTERESTING_CENTRE,
        [CROP_ATTENTION] = VIPS_INTERESTING_ATTENTION,
        [CROP_ENTROPY] = VIPS_INTERESTING_ENTROPY,
    };
    int w = vips_image_get_width(frame), h = vips_image_get_height(frame);
    VipsImage *cut = NULL;

    *left = (w - cw) / 2;
    *top = (h - ch) / 2;
    if (st->crop == CROP_CENTRE || (w == cw && h == ch))
        return 0;
    if (vips_smartcrop(frame, &cut, cw, ch, "interesting", modes[st->crop], NULL))
        return -1;
    int x = -cut->Xoffset, y = -cut->Yoffset;
    if (x >= 0 && x <= w - cw && y >= 0 && y <= h - ch) {
        *left = x;
        *top = y;
    }
    g_object_unref(cut);
    return 0;
}

/* Scales frame i of the n stacked in in (frame height fh) and cuts it at
 * left, top.  Borrows in; *out is new. */
static int th_frame(const th_state *st, VipsImage *in, int i, int fh, const th_plan *p, int left,
                    int top, VipsImage **out)
{
    VipsImage *one = NULL, *scaled = NULL;
    int rc = -1;

    if (vips_crop(in, &one, 0, i * fh, vips_image_get_width(in), fh, NULL) ||
        th_scale(one, &scaled, p->sw, p->sh, st->kernel))
        goto out;
    if (p->cw == p->sw && p->ch == p->sh) {
        *out = scaled;
        scaled = NULL;
    } else if (vips_extract_area(scaled, out, left, top, p->cw, p->ch, NULL)) {
        goto out;
    }
    rc = 0;
out:
    if (one)
        g_object_unref(one);
    if (scaled)
        g_object_unref(scaled);
    return rc;
}

/* The thumbnail of the n frames (frame height fh) stacked in in: every
 * frame scaled alike and cut at the place found on the first.  Borrows in;
 * *out is new, held in memory. */
static int th_make(const th_state *st, VipsImage *in, int n, int fh, const th_plan *p,
                   VipsImage **out)
{
    VipsImage **frames = g_new0(VipsImage *, n);
    VipsImage *first = NULL, *joined = NULL;
    int left = 0, top = 0, rc = -1;

    if (p->cw != p->sw || p->ch != p->sh) {
        /* The first frame is scaled once, held in memory (it is small), and
         * serves both the crop search and the crop itself: a lazy image
         * would be resampled twice, once for each reader. */
        th_plan whole = { p->sw, p->sh, p->sw, p->sh };
        VipsImage *scaled = NULL;
        if (th_frame(st, in, 0, fh, &whole, 0, 0, &scaled))
            goto out;
        first = vips_image_copy_memory(scaled);
        g_object_unref(scaled);
        if (!first || th_where(st, first, p->cw, p->ch, &left, &top))
            goto out;
    }
    for (int i = 0; i < n; i++) {
        if (i == 0 && first) {
            if (vips_extract_area(first, &frames[0], left, top, p->cw, p->ch, NULL))
                goto out;
        } else if (th_frame(st, in, i, fh, p, left, top, &frames[i])) {
            goto out;
        }
    }
    if (n == 1) {
        joined = frames[0];
        frames[0] = NULL;
    } else if (vips_arrayjoin(frames, &joined, n, "across", 1, NULL)) {
        goto out;
    }
    *out = vips_image_copy_memory(joined);
    if (!*out)
        goto out;
    if (n > 1)
        vips_image_set_int(*out, VIPS_META_PAGE_HEIGHT, p->ch);
    else if (vips_image_get_typeof(*out, VIPS_META_PAGE_HEIGHT))
        vips_image_remove(*out, VIPS_META_PAGE_HEIGHT);
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        if (frames[i])
            g_object_unref(frames[i]);
    g_free(frames);
    if (first)
        g_object_unref(first);
    if (joined)
        g_object_unref(joined);
    return rc;
}

/* Whether the thumbnail's format, as the core resolves it, can animate. */
static bool th_animates(const th_state *st, const pix_source *src)
{
    const char *f = st->enc.format;
    if (strcmp(f, "source") == 0)
        f = src->format ? src->format : "";
    return strcmp(f, "gif") == 0 || strcmp(f, "webp") == 0;
}

/* The number of frames stacked in img (1 for a still image). */
static int th_frame_count(VipsImage *img)
{
    int h = vips_image_get_height(img), ph = vips_image_get_page_height(img);
    return ph > 0 && ph < h && h % ph == 0 ? h / ph : 1;
}

static int th_process(void *state, pix_job *job)
{
    const th_state *st = state;
    const pix_host *host = st->host;
    const pix_source *src = host->job_source(job);
    VipsImage *thumb = NULL;

    /* Shared: the working image stays in use after us, and the source can
     * be read only once. */
    VipsImage *img = host->job_image_shared(job);
    if (!img)
        return -1; /* the host recorded why */

    int frames = th_frame_count(img);
    int fh = vips_image_get_height(img) / frames;
    int n = th_animates(st, src) ? frames : 1;
    if (frames > n)
        host->job_note(job, "thumbnail '%s': made from the first of %d frames, as %s cannot "
                       "animate", st->name, frames, st->enc.format);
    else if (src->pages > 1 && frames == 1 && th_animates(st, src))
        host->job_note(job, "thumbnail '%s': the working image holds the first frame only "
                       "(the main output cannot animate), so the thumbnail has one frame",
                       st->name);

    th_plan p = th_plan_for(st, src, vips_image_get_width(img), fh);
    if ((double)p.sw * p.sh * n > TH_MAX_PIXELS) {
        host->job_error(job, "thumbnail '%s': %dx%d is over %.0f pixels", st->name, p.sw, p.sh,
                        TH_MAX_PIXELS);
        return -1;
    }
    if (th_make(st, img, n, fh, &p, &thumb)) {
        host->job_error(job, "cannot make thumbnail '%s' (%dx%d) of %s: %s", st->name, p.cw,
                        p.ch, src->key, vips_error_buffer());
        vips_error_clear();
        return -1;
    }
    return host->job_add_rendition(job, st->name, thumb, &st->enc);
}

/* The thumbnail leaves the working image as it is: its min_scale covers its
 * own rendition only, and the host still decodes the main output at the
 * size the other stages need. */
#define TH_FLAGS PIX_PLUGIN_KEEPS_IMAGE

static const pix_plugin thumbnail = {
    PIX_PLUGIN_HEADER,
    .kind = PIX_KIND_STAGE,
    .name = "thumbnail",
    .version = "1.0.0",
    .summary = "Adds a named rendition of the image as it stands here: fit or crop (centre, "
               "attention, entropy), own format",
    .options = th_options,
    .config_size = sizeof(th_config),
    .check = th_check,
    .create = th_create,
    .destroy = th_destroy,
    .ops.stage = { .min_scale = th_min_scale, .process = th_process, .finish = NULL },
    .flags = TH_FLAGS,
};

PIX_PLUGIN_EXPORT(thumbnail)
