/*
 * The stage toolkit: what every bundled stage needs of libvips and of the
 * host, written once.  Header-only (static inline), so a plugin still links
 * nothing of the host.  Include it instead of <pixpipe/pixpipe.h> in a
 * stage; it needs the libvips headers (pkg-config --cflags vips).
 *
 *   orientation   pix_image_orientation, pix_source_upright, pix_job_upright
 *   frames        pix_frame_count, pix_map_frames
 *   focus         pix_focus_cut, pix_focus_axis, pix_job_focus_for
 *   planning      pix_box, pix_plan_compute, pix_plan_frame, pix_plan_min_scale,
 *                 pix_resample, pix_same_shape, pix_scale_to_reach,
 *                 pix_exact_size, pix_scale_exact
 *   encoding      PIX_ENCODE_OPTIONS, pix_encode_config, pix_encode_problem,
 *                 pix_encode_of
 *   errors        host->job_vips_error (pixpipe.h): the one way a stage
 *                 reports a failed libvips call
 */
#ifndef PIXPIPE_STAGE_H
#define PIXPIPE_STAGE_H

#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include <pixpipe/pixpipe.h>

/* Drops the references of the n images in t, NULLs skipped: the end of
 * every function that chains libvips operations through temporaries. */
static inline void pix_unref_all(VipsImage **t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i])
            g_object_unref(t[i]);
}

/* ------------------------------------------------------------ orientation */

/* img's EXIF orientation, 1..8; 1 when it has none or an invalid one. */
static inline int pix_image_orientation(VipsImage *img)
{
    int o = 1;
    /* typeof first: get_int on a missing field would add to libvips'
     * error buffer, which is every job's */
    if (vips_image_get_typeof(img, VIPS_META_ORIENTATION) != G_TYPE_INT ||
        vips_image_get_int(img, VIPS_META_ORIENTATION, &o))
        return 1;
    return o >= 1 && o <= 8 ? o : 1;
}

/* The source's size as shown upright: its stored sides swapped for the
 * EXIF orientations 5..8 (a quarter turn). */
static inline void pix_source_upright(const pix_source *src, int *width, int *height)
{
    bool turned = src->orientation >= 5;
    *width = turned ? src->height : src->width;
    *height = turned ? src->width : src->height;
}

/* ----------------------------------------------------------------- frames */

/* The number of frames stacked in img ("page-height"); 1 for a still
 * image. */
static inline int pix_frame_count(VipsImage *img)
{
    int h = vips_image_get_height(img), ph = vips_image_get_page_height(img);
    return ph > 0 && ph < h && h % ph == 0 ? h / ph : 1;
}

/* What pix_map_frames does to one frame: *out is a new image made from
 * frame (borrowed), the index-th.  Returns 0, or -1 with libvips' error
 * set. */
typedef int (*pix_frame_fn)(VipsImage *frame, int index, VipsImage **out, void *user);

/* Runs fn on each of the first n frames of in (borrowed) and stacks the
 * results in *out (new), with "page-height" set to the height of one
 * result: no operation reaches across two frames and every frame is
 * treated alike.  With n == 1, *out is fn's result for the first frame,
 * with no "page-height" left when in held several.  All results must have
 * one size.  Returns 0, or -1 with libvips' error set. */
static inline int pix_map_frames(VipsImage *in, int n, pix_frame_fn fn, void *user,
                                 VipsImage **out)
{
    int frames = pix_frame_count(in);
    int w = vips_image_get_width(in), fh = vips_image_get_height(in) / frames;
    VipsImage **done, *joined = NULL;
    int rc = -1;

    if (frames == 1)
        return fn(in, 0, out, user);
    if (n < 1 || n > frames)
        n = frames;
    done = g_new0(VipsImage *, n);
    for (int i = 0; i < n; i++) {
        VipsImage *one = NULL;
        int failed = vips_crop(in, &one, 0, i * fh, w, fh, NULL) || fn(one, i, &done[i], user);
        if (one)
            g_object_unref(one);
        if (failed)
            goto out;
    }
    if (vips_arrayjoin(done, &joined, n, "across", 1, NULL) || vips_copy(joined, out, NULL))
        goto out;
    if (n > 1)
        vips_image_set_int(*out, VIPS_META_PAGE_HEIGHT, vips_image_get_height(done[0]));
    else
        vips_image_remove(*out, VIPS_META_PAGE_HEIGHT);
    rc = 0;
out:
    for (int i = 0; i < n; i++)
        if (done[i])
            g_object_unref(done[i]);
    g_free(done);
    if (joined)
        g_object_unref(joined);
    return rc;
}

static inline int pix_autorot_frame_(VipsImage *frame, int index, VipsImage **out, void *user)
{
    (void)index;
    (void)user;
    return vips_autorot(frame, out, NULL);
}

/* *out becomes a new reference to the job's working image turned upright:
 * each frame of an animation on its own (turning the whole strip would mix
 * its frames up), the orientation tag removed.  An upright image is
 * returned as it is.  Returns 0, or the -1 of host->job_error(). */
static inline int pix_job_upright(const pix_host *host, pix_job *job, VipsImage **out)
{
    VipsImage *img = host->job_image(job);

    if (!img)
        return -1; /* the host recorded why */
    if (pix_image_orientation(img) == 1) {
        g_object_ref(img);
        *out = img;
        return 0;
    }
    /* A rotation reads rows out of order, which a sequential decode cannot
     * serve: work from the in-memory copy. */
    if (!(img = host->job_image_shared(job)))
        return -1;
    if (pix_map_frames(img, 0, pix_autorot_frame_, NULL, out))
        return host->job_vips_error(job, "cannot turn %s upright", host->job_source(job)->key);
    vips_autorot_remove_angle(*out);
    return 0;
}

/* --------------------------------------------------------------- planning */

/* The resampling kernels, in the order of VipsKernel (an option's index is
 * the libvips value). */
static const char *const pix_kernel_choices[] = { "nearest",  "linear",   "cubic",
                                                  "mitchell", "lanczos2", "lanczos3", NULL };

/* How an image meets a box. */
typedef enum pix_fit {
    PIX_FIT_INSIDE,  /* scale to fit within, keeping the aspect ratio      */
    PIX_FIT_COVER,   /* scale to cover, then cut the box out               */
    PIX_FIT_CONTAIN, /* scale to fit within, then pad to the box           */
    PIX_FIT_FILL,    /* stretch to the box                                 */
    PIX_FIT_OUTSIDE, /* scale to cover, nothing cut                        */
} pix_fit;

/* The choices of a fit option, in the order of pix_fit. */
static const char *const pix_fit_choices[] = { "inside", "cover", "contain", "fill", "outside",
                                               NULL };

/* A box to bring an image to.  A side of 0 is unset: it follows from the
 * other and the aspect ratio, whatever the fit. */
typedef struct pix_box {
    int width, height;
    pix_fit fit;
    bool enlarge; /* false: nothing is ever scaled up */
} pix_box;

/* What to do with a w x h frame: scale it to sw x sh, then cut or pad it
 * to cw x ch. */
typedef struct pix_plan {
    int sw, sh;
    int cw, ch;
} pix_plan;

/* v rounded to a whole number of pixels, at least 1. */
static inline int pix_px(double v)
{
    double r = round(v);
    return r < 1 ? 1 : r > INT_MAX ? INT_MAX : (int)r;
}

static inline int pix_imin_(int a, int b) { return a < b ? a : b; }
static inline int pix_imax_(int a, int b) { return a > b ? a : b; }

/* The plan for an upright w x h frame into box.  Without enlarge:
 * inside and outside leave an image needing upscaling as it is; cover
 * takes the largest centred cut of the box's shape, at most the box;
 * contain pads to the full box; fill shrinks each axis to the box or
 * leaves it. */
static inline pix_plan pix_plan_compute(const pix_box *box, int w, int h)
{
    int W = box->width, H = box->height;
    pix_plan p;

    if (W <= 0 || H <= 0) {
        double s = W > 0 ? (double)W / w : (double)H / h;
        if (!box->enlarge && s > 1)
            s = 1;
        p.sw = p.cw = W > 0 && s == (double)W / w ? W : pix_px(w * s);
        p.sh = p.ch = H > 0 && s == (double)H / h ? H : pix_px(h * s);
        return p;
    }
    double sx = (double)W / w, sy = (double)H / h;
    double lo = sx < sy ? sx : sy, hi = sx > sy ? sx : sy;
    switch (box->fit) {
    case PIX_FIT_FILL:
        p.sw = p.cw = box->enlarge ? W : pix_imin_(W, w);
        p.sh = p.ch = box->enlarge ? H : pix_imin_(H, h);
        return p;
    case PIX_FIT_OUTSIDE:
    case PIX_FIT_COVER:
        if (!box->enlarge && hi > 1) {
            p.sw = p.cw = w;
            p.sh = p.ch = h;
            if (box->fit == PIX_FIT_COVER) {
                p.cw = pix_imin_(W, pix_imin_(w, pix_px((double)h * W / H)));
                p.ch = pix_imin_(H, pix_imin_(h, pix_px((double)w * H / W)));
            }
            return p;
        }
        /* The side that sets the scale lands on the box exactly; the other
         * rounds to at least the box. */
        p.sw = sx >= sy ? W : pix_imax_(W, pix_px(w * hi));
        p.sh = sy >= sx ? H : pix_imax_(H, pix_px(h * hi));
        p.cw = box->fit == PIX_FIT_COVER ? W : p.sw;
        p.ch = box->fit == PIX_FIT_COVER ? H : p.sh;
        return p;
    case PIX_FIT_CONTAIN:
    case PIX_FIT_INSIDE:
    default:
        if (!box->enlarge && lo > 1) {
            p.sw = w;
            p.sh = h;
        } else {
            p.sw = sx <= sy ? W : pix_imin_(W, pix_px(w * lo));
            p.sh = sy <= sx ? H : pix_imin_(H, pix_px(h * lo));
        }
        p.cw = box->fit == PIX_FIT_CONTAIN ? W : p.sw;
        p.ch = box->fit == PIX_FIT_CONTAIN ? H : p.sh;
        return p;
    }
}

/* True when a w x h working image is the w0 x h0 source decoded smaller:
 * the same shape within the decoder's rounding of each side. */
static inline bool pix_same_shape(int w, int h, int w0, int h0)
{
    if (w0 <= 0 || h0 <= 0 || (w == w0 && h == h0))
        return false;
    return llabs((long long)w * h0 - (long long)h * w0) <= (long long)(w0 > h0 ? w0 : h0);
}

/* The plan for the working image's w x h frame.  The host may have decoded
 * the source smaller (shrink-on-load), rounding each side on its own:
 * while the frame still has the source's shape, plan on the source's size,
 * so the output is what a full-size decode gives, to the pixel. */
static inline pix_plan pix_plan_frame(const pix_box *box, const pix_source *src, int w, int h)
{
    pix_plan p = pix_plan_compute(box, w, h);
    int ow, oh;

    pix_source_upright(src, &ow, &oh);
    if (pix_same_shape(w, h, ow, oh)) {
        pix_plan q = pix_plan_compute(box, ow, oh);
        if (q.sw <= w + 1 && q.sh <= h + 1)
            p = q;
    }
    return p;
}

/* A min_scale hint for a stage that makes an sw x sh image from a width x
 * height frame: the smallest decode scale from which that size is still
 * reached by shrinking, never by enlarging; at most 1. */
static inline double pix_scale_to_reach(int sw, int sh, int width, int height)
{
    double sx = (double)sw / width, sy = (double)sh / height;
    double s = sx > sy ? sx : sy;
    return s < 1.0 ? s : 1.0;
}

/* The min_scale hint of a stage that brings the upright width x height
 * source into box with kernel.  The host's shrink-on-load resamples with
 * lanczos3: any other kernel asks for the full size, so that the kernel
 * asked for is the one used. */
static inline double pix_plan_min_scale(const pix_box *box, VipsKernel kernel, int width,
                                        int height)
{
    if (kernel != VIPS_KERNEL_LANCZOS3)
        return 1.0;
    pix_plan p = pix_plan_compute(box, width, height);
    return pix_scale_to_reach(p.sw, p.sh, width, height);
}

/* Resamples in (borrowed) to about sw x sh with kernel; *out is new.  With
 * an alpha band the colours are premultiplied around the resampling, or the
 * colour of transparent pixels (often black) bleeds into the edges, and
 * rounded before the cast back (a cast truncates 254.9999 to 254).  libvips
 * may land a side one pixel off: the caller trims or extends.  Returns 0,
 * or -1 with libvips' error buffer set. */
static inline int pix_resample(VipsImage *in, VipsImage **out, int sw, int sh, VipsKernel kernel)
{
    double hs = (double)sw / vips_image_get_width(in);
    double vs = (double)sh / vips_image_get_height(in);
    VipsImage *t[4] = { NULL };
    int rc = -1;

    if (!vips_image_hasalpha(in))
        return vips_resize(in, out, hs, "vscale", vs, "kernel", kernel, NULL);
    if (!vips_premultiply(in, &t[0], NULL) &&
        !vips_resize(t[0], &t[1], hs, "vscale", vs, "kernel", kernel, NULL) &&
        !vips_unpremultiply(t[1], &t[2], NULL) &&
        !vips_round(t[2], &t[3], VIPS_OPERATION_ROUND_RINT, NULL))
        rc = vips_cast(t[3], out, vips_image_get_format(in), NULL);
    pix_unref_all(t, 4);
    return rc;
}

/* Trims or extends (repeating edge pixels) in to exactly w x h, from the
 * top-left: libvips may land a resampled side one pixel off.  Steals in;
 * *out is new.  Returns 0, or -1 with libvips' error buffer set. */
static inline int pix_exact_size(VipsImage *in, VipsImage **out, int w, int h)
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

/* Scales in to exactly sw x sh with kernel (pix_resample, then
 * pix_exact_size).  Borrows in; *out is new.  Returns 0, or -1 with
 * libvips' error buffer set. */
static inline int pix_scale_exact(VipsImage *in, VipsImage **out, int sw, int sh,
                                  VipsKernel kernel)
{
    VipsImage *scaled = NULL;

    if (sw == vips_image_get_width(in) && sh == vips_image_get_height(in))
        return vips_copy(in, out, NULL);
    if (pix_resample(in, &scaled, sw, sh, kernel))
        return -1;
    return pix_exact_size(scaled, out, sw, sh);
}

/* ------------------------------------------------------------------ focus */

/* The start, on one axis of size pixels, of a cut of cut pixels that keeps
 * [lo, hi] whole when it fits (as near to centring c as that allows), else
 * centres c; within the image. */
static inline int pix_focus_axis(double lo, double hi, double c, int size, int cut)
{
    double start = c - cut / 2.0;
    if (hi - lo <= cut) {
        if (start > lo)
            start = lo;
        if (start < hi - cut)
            start = hi - cut;
    }
    long v = lround(start);
    if (v > size - cut)
        v = size - cut;
    return v < 0 ? 0 : (int)v;
}

/* Where to cut cw x ch out of a w x h image so that the focus f (its
 * fractions taken of w x h) stays in frame: its box whole when the cut can
 * hold it, else centred on its point. */
static inline void pix_focus_cut(const pix_focus *f, int w, int h, int cw, int ch, int *left,
                                 int *top)
{
    *left = pix_focus_axis(f->left * w, (f->left + f->width) * w, f->x * w, w, cw);
    *top = pix_focus_axis(f->top * h, (f->top + f->height) * h, f->y * h, h, ch);
}

/* The job's focus when it still holds for a w x h working frame: the
 * frame has the upright source's shape (earlier stages scaled it, none
 * cut it), so the source's fractions name the same place.  NULL
 * otherwise, or when the source has none.  Borrowed from the job. */
static inline const pix_focus *pix_job_focus_for(const pix_host *host, pix_job *job, int w,
                                                 int h)
{
    const pix_focus *f = host->job_focus(job);
    int ow, oh;
    if (!f)
        return NULL;
    pix_source_upright(host->job_source(job), &ow, &oh);
    return (w == ow && h == oh) || pix_same_shape(w, h, ow, oh) ? f : NULL;
}

/* --------------------------------------------------------------- encoding */

/* The formats a rendition can be written in, the order of an encode
 * config's format; "source" keeps the source's own format. */
static const char *const pix_encode_formats[] = { "jpeg", "png", "webp", "avif", "gif",
                                                  "tiff", "jxl", "source", NULL };

/* The encode options of a rendition, as PIX_ENCODE_OPTIONS fills them. */
typedef struct pix_encode_config {
    int format; /* index into pix_encode_formats */
    int64_t quality, effort;
    bool lossless, progressive, keep_metadata;
    double quality_target;            /* 2.3: quality auto */
    int64_t quality_min, quality_max;
} pix_encode_config;

/* The words an encode config's quality takes besides 0..100. */
static const char *const pix_encode_quality_words[] = { "auto", NULL };

/* The option table entries of a pix_encode_config that is the MEMBER of
 * the config struct TYPE, with FORMAT ("jpeg", "source") and KEEP
 * ("true", "false") as the defaults of format and keep_metadata:
 *
 *     static const pix_option my_options[] = {
 *         { .name = "name", ... },
 *         PIX_ENCODE_OPTIONS(my_config, enc, "jpeg", "false"),
 *         { .name = NULL },
 *     };
 *
 * Check it with pix_encode_problem() in the plugin's check(). */
#define PIX_ENCODE_OPTIONS(TYPE, MEMBER, FORMAT, KEEP)                                       \
    { .name = "format", .type = PIX_OPT_ENUM, .offset = offsetof(TYPE, MEMBER.format),       \
      .def = (FORMAT), .choices = pix_encode_formats,                                        \
      .doc = "Encoding: jpeg, png, webp, avif, gif, tiff, jxl, or source (the source's "     \
             "own format when it can be written)." },                                        \
    { .name = "quality", .type = PIX_OPT_INT, .offset = offsetof(TYPE, MEMBER.quality),      \
      .def = "0", .min = 0, .max = 100, .choices = pix_encode_quality_words,                 \
      .doc = "Encoder quality 1..100; 0 uses the format's default; auto searches for the "   \
             "smallest file whose SSIM reaches quality_target (jpeg, webp, avif, jxl)." },    \
    { .name = "quality_target", .type = PIX_OPT_NUMBER,                                      \
      .offset = offsetof(TYPE, MEMBER.quality_target), .def = "0.97", .min = 0.5, .max = 1,  \
      .doc = "quality auto: the SSIM on luma (1 is identical) the rendition must reach "     \
             "against its unencoded pixels." },                                              \
    { .name = "quality_min", .type = PIX_OPT_INT,                                            \
      .offset = offsetof(TYPE, MEMBER.quality_min), .def = "40", .min = 1, .max = 100,       \
      .doc = "quality auto: the lowest quality tried." },                                    \
    { .name = "quality_max", .type = PIX_OPT_INT,                                            \
      .offset = offsetof(TYPE, MEMBER.quality_max), .def = "95", .min = 1, .max = 100,       \
      .doc = "quality auto: the highest quality tried, used when none reaches the target." }, \
    { .name = "lossless", .type = PIX_OPT_BOOL, .offset = offsetof(TYPE, MEMBER.lossless),   \
      .def = "false", .doc = "Lossless WebP, AVIF or JPEG XL." },                            \
    { .name = "effort", .type = PIX_OPT_INT, .offset = offsetof(TYPE, MEMBER.effort),        \
      .def = "-1", .min = -1, .max = 9,                                                      \
      .doc = "CPU effort: png 0..9, webp 0..6, avif 0..9, jxl 3..9; -1 uses the encoder's "  \
             "default." },                                                                   \
    { .name = "progressive", .type = PIX_OPT_BOOL,                                           \
      .offset = offsetof(TYPE, MEMBER.progressive), .def = "false",                          \
      .doc = "Progressive JPEG or interlaced PNG." },                                        \
    { .name = "keep_metadata", .type = PIX_OPT_BOOL,                                         \
      .offset = offsetof(TYPE, MEMBER.keep_metadata), .def = (KEEP),                         \
      .doc = "Keep the metadata blocks earlier stages left; false strips them all." }

/* The largest effort format's encoder takes (libvips 8.14); -1: none. */
static inline int pix_encode_effort_max(const char *format)
{
    if (strcmp(format, "png") == 0 || strcmp(format, "avif") == 0 || strcmp(format, "jxl") == 0)
        return 9;
    if (strcmp(format, "webp") == 0)
        return 6;
    return -1;
}

/* The smallest effort it takes: 0 but for JPEG XL, whose libvips 8.14
 * saver takes 3..9 (libjxl's 1 and 2 are out of its range). */
static inline int pix_encode_effort_min(const char *format)
{
    return strcmp(format, "jxl") == 0 ? 3 : 0;
}

/* Whether format loses detail to save bytes at a quality setting: the
 * formats quality auto searches. */
static inline bool pix_encode_lossy(const char *format)
{
    return strcmp(format, "jpeg") == 0 || strcmp(format, "webp") == 0 ||
           strcmp(format, "avif") == 0 || strcmp(format, "jxl") == 0;
}

/* What is wrong with c, written into buf (size bytes) and returned; NULL
 * when nothing is.  host answers whether the format can be written. */
static inline const char *pix_encode_problem(const pix_host *host, const pix_encode_config *c,
                                             char *buf, size_t size)
{
    const char *format = pix_encode_formats[c->format];
    bool source = strcmp(format, "source") == 0;
    int max = pix_encode_effort_max(format), min = pix_encode_effort_min(format);

    if (c->effort >= 0 && source)
        snprintf(buf, size, "effort: give an explicit format, as effort ranges differ by "
                 "encoder");
    else if (c->effort >= 0 && max < 0)
        snprintf(buf, size, "effort: %s takes no effort setting", format);
    else if (c->quality == PIX_QUALITY_AUTO && (c->lossless || !pix_encode_lossy(format)))
        snprintf(buf, size, "quality: auto needs a lossy encoding (jpeg, webp, avif or jxl)%s",
                 c->lossless ? "; lossless is set" : source ? "; give an explicit format" : "");
    else if (c->quality == PIX_QUALITY_AUTO && c->quality_min > c->quality_max)
        snprintf(buf, size, "quality_min: %lld is above quality_max (%lld)",
                 (long long)c->quality_min, (long long)c->quality_max);
    else if (c->effort >= 0 && (c->effort < min || c->effort > max))
        snprintf(buf, size, "effort: %lld is out of range for %s; expected %d..%d",
                 (long long)c->effort, format, min, max);
    else if (!source && !host->format_can_save(format))
        snprintf(buf, size, "format: this libvips cannot write %s%s", format,
                 strcmp(format, "avif") == 0  ? " (no AV1 encoder in libheif)"
                 : strcmp(format, "jxl") == 0 ? " (built without libjxl)"
                                              : "");
    else
        return NULL;
    return buf;
}

/* The pix_encode c describes.  Its format is static. */
static inline pix_encode pix_encode_of(const pix_encode_config *c)
{
    return (pix_encode){
        .format = pix_encode_formats[c->format],
        .quality = (int)c->quality,
        .lossless = c->lossless,
        .effort = (int)c->effort,
        .progressive = c->progressive,
        .keep_metadata = c->keep_metadata,
        .quality_target = c->quality_target,
        .quality_min = (int)c->quality_min,
        .quality_max = (int)c->quality_max,
    };
}

#endif /* PIXPIPE_STAGE_H */
