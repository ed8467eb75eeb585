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
 *     entropy    ... keep the part with the most entropy;
 *     focus      ... keep the source's focal point (host->job_focus: its
 *                focal-point metadata or the union of its XMP face
 *                regions) in frame, the regions whole when they fit;
 *                attention when it has none.
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
 *   format  (enum, default jpeg)  jpeg, png, webp, avif, gif, tiff, jxl or
 *           source (the source's own format when it can be written).  jpeg
 *           is the default: thumbnails are small photos every client can
 *           show (alpha is flattened on white by the encoder).
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
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <pixpipe/stage.h>

enum { CROP_NONE, CROP_CENTRE, CROP_ATTENTION, CROP_ENTROPY, CROP_CENTER, CROP_FOCUS };

static const char *const crop_choices[] = { "none",   "centre", "attention", "entropy",
                                            "center", "focus",  NULL };

/* A thumbnail over this many pixels (possible only with enlarge) is
 * refused rather than attempted. */
#define TH_MAX_PIXELS 1e9

typedef struct th_config {
    char *name;
    int64_t width, height; /* 0 when not given */
    int crop;
    bool enlarge;
    int kernel;
    pix_encode_config enc;
} th_config;

static const pix_option th_options[] = {
    { .name = "name", .type = PIX_OPT_STRING, .offset = offsetof(th_config, name),
      .def = "thumb", .min = 1, .max = 64,
      .doc = "Name of the rendition, as {rendition} in the destination key: one key segment, not . or .., without /." },
    { .name = "width", .type = PIX_OPT_INT, .offset = offsetof(th_config, width), .min = 1,
      .max = 100000, .doc = "Box width in pixels; when absent it equals height." },
    { .name = "height", .type = PIX_OPT_INT, .offset = offsetof(th_config, height), .min = 1,
      .max = 100000, .doc = "Box height in pixels; when absent it equals width." },
    { .name = "crop", .type = PIX_OPT_ENUM, .offset = offsetof(th_config, crop), .def = "none",
      .choices = crop_choices,
      .doc = "none fits inside the box; centre, attention, entropy and focus fill it exactly and crop (focus keeps the source's focal point or face regions in frame, else as attention)." },
    { .name = "enlarge", .type = PIX_OPT_BOOL, .offset = offsetof(th_config, enlarge),
      .def = "false", .doc = "Allow scaling up an image smaller than the box." },
    { .name = "kernel", .type = PIX_OPT_ENUM, .offset = offsetof(th_config, kernel),
      .def = "lanczos3", .choices = pix_kernel_choices,
      .doc = "Resampling kernel: nearest, linear, cubic, mitchell, lanczos2 or lanczos3." },
    PIX_ENCODE_OPTIONS(th_config, enc, "jpeg", "false"),
    { .name = NULL },
};

/* The box: a missing side equals the other (a square, as vipsthumbnail's
 * size); any crop covers it and cuts, none fits inside. */
static pix_box th_box(const th_config *cfg)
{
    int w = (int)(cfg->width > 0 ? cfg->width : cfg->height);
    int h = (int)(cfg->height > 0 ? cfg->height : cfg->width);
    return (pix_box){ w, h, cfg->crop == CROP_NONE ? PIX_FIT_INSIDE : PIX_FIT_COVER,
                      cfg->enlarge };
}

static int th_check(const pix_ctx *ctx)
{
    const th_config *cfg = ctx->config;
    char why[256];
    const char *problem;

    if (cfg->width <= 0 && cfg->height <= 0)
        return ctx->host->error(ctx, "give width, height or both (the thumbnail's box)");
    if (strchr(cfg->name, '/'))
        return ctx->host->error(ctx, "name: '%s' has a '/'; a rendition name is one key segment",
                                cfg->name);
    /* one safe key segment: as {rendition}, ".." would leave the destination */
    const char *unsafe = NULL;
    if (ctx->host->key_check(cfg->name, &unsafe) < 0)
        return ctx->host->error(ctx, "name: '%s' cannot be a rendition name: %s", cfg->name,
                                unsafe);
    if ((problem = pix_encode_problem(ctx->host, &cfg->enc, why, sizeof why)))
        return ctx->host->error(ctx, "%s", problem);
    return 0;
}

/* The host decodes the source at the scale returned here (shrink-on-load):
 * enough that the thumbnail is reached by shrinking, never by enlarging. */
static double th_min_scale(const pix_ctx *ctx, int width, int height)
{
    const th_config *cfg = ctx->config;
    pix_box box = th_box(cfg);
    return pix_plan_min_scale(&box, (VipsKernel)cfg->kernel, width, height);
}

/* Where to cut cw x ch out of a scaled frame: the place vips_smartcrop picks
 * for the crop mode.  libvips reports it only as the extract's offset
 * (Xoffset = -left), so check it lies inside and fall back to the centre.
 * Borrows frame. */
static int th_where(int crop, const pix_focus *focus, VipsImage *frame, int cw, int ch,
                    int *left, int *top)
{
    static const VipsInteresting modes[] = {
        [CROP_CENTRE] = VIPS_INTERESTING_CENTRE,
        [CROP_ATTENTION] = VIPS_INTERESTING_ATTENTION,
        [CROP_ENTROPY] = VIPS_INTERESTING_ENTROPY,
    };
    int w = vips_image_get_width(frame), h = vips_image_get_height(frame);
    VipsImage *cut = NULL;

    if (crop == CROP_FOCUS && focus) {
        pix_focus_cut(focus, w, h, cw, ch, left, top);
        return 0;
    }
    if (crop == CROP_FOCUS)
        crop = CROP_ATTENTION; /* no focal point: the next best guess */
    *left = (w - cw) / 2;
    *top = (h - ch) / 2;
    if (crop == CROP_CENTRE || crop == CROP_CENTER || (w == cw && h == ch))
        return 0;
    if (vips_smartcrop(frame, &cut, cw, ch, "interesting", modes[crop], NULL))
        return -1;
    int x = -cut->Xoffset, y = -cut->Yoffset;
    if (x >= 0 && x <= w - cw && y >= 0 && y <= h - ch) {
        *left = x;
        *top = y;
    }
    g_object_unref(cut);
    return 0;
}

/* What every frame of the thumbnail goes through. */
typedef struct th_frames {
    pix_plan p;
    VipsKernel kernel;
    int left, top;     /* where the cut starts, found on the first frame  */
    VipsImage *first;  /* the first frame scaled, in memory, or NULL      */
} th_frames;

/* Scales one frame and cuts it at left, top; the first frame was scaled
 * already.  A pix_frame_fn; borrows frame. */
static int th_frame(VipsImage *frame, int index, VipsImage **out, void *user)
{
    const th_frames *f = user;
    VipsImage *scaled = NULL;
    int rc;

    if (index == 0 && f->first) {
        scaled = f->first;
        g_object_ref(scaled);
    } else if (pix_scale_exact(frame, &scaled, f->p.sw, f->p.sh, f->kernel)) {
        return -1;
    }
    if (f->p.cw == f->p.sw && f->p.ch == f->p.sh) {
        *out = scaled;
        return 0;
    }
    rc = vips_extract_area(scaled, out, f->left, f->top, f->p.cw, f->p.ch, NULL);
    g_object_unref(scaled);
    return rc;
}

/* The thumbnail of the first n frames stacked in in (frame height fh):
 * every frame scaled alike and cut at the place found on the first.
 * Borrows in; *out is new, held in memory. */
static int th_make(const th_config *cfg, const pix_focus *focus, VipsImage *in, int n, int fh,
                   const pix_plan *p, VipsImage **out)
{
    th_frames f = { .p = *p, .kernel = (VipsKernel)cfg->kernel };
    VipsImage *one = NULL, *scaled = NULL, *joined = NULL;
    int rc = -1;

    if (p->cw != p->sw || p->ch != p->sh) {
        /* The first frame is scaled once, held in memory (it is small), and
         * serves both the crop search and the crop itself: a lazy image
         * would be resampled twice, once for each reader. */
        if (vips_crop(in, &one, 0, 0, vips_image_get_width(in), fh, NULL) ||
            pix_scale_exact(one, &scaled, p->sw, p->sh, f.kernel) ||
            !(f.first = vips_image_copy_memory(scaled)) ||
            th_where(cfg->crop, focus, f.first, p->cw, p->ch, &f.left, &f.top))
            goto out;
    }
    if (pix_map_frames(in, n, th_frame, &f, &joined) || !(*out = vips_image_copy_memory(joined)))
        goto out;
    if (n == 1 && vips_image_get_typeof(*out, VIPS_META_PAGE_HEIGHT))
        vips_image_remove(*out, VIPS_META_PAGE_HEIGHT);
    rc = 0;
out:
    VIPS_UNREF(one);
    VIPS_UNREF(scaled);
    VIPS_UNREF(f.first);
    VIPS_UNREF(joined);
    return rc;
}

/* Whether the thumbnail's format, as the core resolves it, can animate. */
static bool th_animates(const char *format, const pix_source *src)
{
    if (strcmp(format, "source") == 0)
        format = src->format ? src->format : "";
    return strcmp(format, "gif") == 0 || strcmp(format, "webp") == 0;
}

static int th_process(const pix_ctx *ctx, pix_job *job)
{
    const th_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);
    pix_encode enc = pix_encode_of(&cfg->enc);
    pix_box box = th_box(cfg);
    VipsImage *thumb = NULL;

    /* Shared: the working image stays in use after us, and the source can
     * be read only once. */
    VipsImage *img = host->job_image_shared(job);
    if (!img)
        return -1; /* the host recorded why */

    int frames = pix_frame_count(img);
    int fh = vips_image_get_height(img) / frames;
    bool animates = th_animates(enc.format, src);
    int n = animates ? frames : 1;
    if (frames > n)
        host->job_note(job, "thumbnail '%s': made from the first of %d frames, as %s cannot "
                       "animate", cfg->name, frames, enc.format);
    else if (src->pages > 1 && frames == 1 && animates)
        host->job_note(job, "thumbnail '%s': the working image holds the first frame only "
                       "(the main output cannot animate), so the thumbnail has one frame",
                       cfg->name);

    pix_plan p = pix_plan_frame(&box, src, vips_image_get_width(img), fh);
    if ((double)p.sw * p.sh * n > TH_MAX_PIXELS)
        return host->job_error(job, "thumbnail '%s': %dx%d is over %.0f pixels", cfg->name,
                               p.sw, p.sh, TH_MAX_PIXELS);
    const pix_focus *focus = NULL;
    if (cfg->crop == CROP_FOCUS &&
        !(focus = pix_job_focus_for(host, job, vips_image_get_width(img), fh)) &&
        host->job_focus(job))
        host->job_note(job, "thumbnail '%s': an earlier stage cut the image, so the source's "
                       "focal point no longer applies; cropped on attention", cfg->name);
    if (th_make(cfg, focus, img, n, fh, &p, &thumb))
        return host->job_vips_error(job, "cannot make thumbnail '%s' (%dx%d) of %s", cfg->name,
                                    p.cw, p.ch, src->key);
    return host->job_add_rendition(job, cfg->name, thumb, &enc);
}

static const char *th_rendition_name(const pix_ctx *ctx, size_t i)
{
    const th_config *cfg = ctx->config;
    return i == 0 ? cfg->name : NULL;
}

/* The thumbnail leaves the working image as it is: its min_scale covers its
 * own rendition only, and the host still decodes the main output at the
 * size the other stages need. */
PIX_STAGE_PLUGIN("thumbnail", "1.3.0",
                 "Adds a named rendition of the image as it stands here: fit or crop (centre, "
                 "attention, entropy), own format",
                 th_process, .min_scale = th_min_scale, .rendition_name = th_rendition_name,
                 .options = th_options,
                 .config_size = sizeof(th_config), .check = th_check,
                 .flags = PIX_PLUGIN_KEEPS_IMAGE);
