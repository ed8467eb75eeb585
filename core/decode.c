/*
 * One decode per job.  libvips' thumbnail operation is the decoder: it picks
 * the loader's shrink-on-load factor (JPEG 1/2..1/8, WebP scale, the HEIF
 * thumbnail), rotates by the EXIF orientation, premultiplies alpha while
 * shrinking, keeps every frame of an animation with its page height, and
 * brings the pixels to 8-bit sRGB or B_W.  The core asks it for the smallest
 * image the stages can work from exactly, so a 48 MP JPEG headed for a
 * 1600 px rendition is never held at full size.
 */
#include "decode.h"

#include <pixpipe/stage.h>

#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "log.h"
#include "setup.h"

double pix_decode_scale(const pix_pipeline *p, int width, int height)
{
    double scale = 0.0;

    for (size_t i = 0; i < p->n_stages; i++) {
        const pix_instance *st = p->stages[i];
        const pix_plugin *pl = st->plugin;
        if (st->stage->min_scale) {
            double s = st->stage->min_scale(&st->ctx, width, height);
            if (!(s > 0.0) || s > 1.0) /* also catches NaN */
                s = 1.0;
            if (s > scale)
                scale = s;
            /* a stage that reduces the working image: everything after it
             * works from its output, which this scale makes exact */
            if (!(pl->flags & PIX_PLUGIN_KEEPS_IMAGE))
                return scale;
        } else if (!(pl->flags & (PIX_PLUGIN_SCALE_NEUTRAL | PIX_PLUGIN_KEEPS_IMAGE))) {
            return 1.0; /* it wants the image at full size */
        }
    }
    /* nothing reduced the working image: the main output is full size */
    return 1.0;
}

bool pix_decode_keeps_animation(const pix_job *job)
{
    if (job->src.pages < 2)
        return false;
    if (strcmp(job->format, "gif") != 0 && strcmp(job->format, "webp") != 0)
        return false;
    const char *out = pix_format_resolve(job->pipeline->output.format, job->format, false);
    return strcmp(out, "gif") == 0 || strcmp(out, "webp") == 0;
}

/* The colour space an ICC profile describes (bytes 16..19 of its header),
 * e.g. "CMYK", "RGB ", "GRAY"; "" when there is none. */
static void icc_space(VipsImage *im, char space[5])
{
    const void *data = NULL;
    size_t len = 0;
    space[0] = '\0';
    if (vips_image_get_typeof(im, VIPS_META_ICC_NAME) &&
        vips_image_get_blob(im, VIPS_META_ICC_NAME, &data, &len) == 0 && len >= 20) {
        memcpy(space, (const char *)data + 16, 4);
        space[4] = '\0';
    }
}

static int free_blob(void *data, void *unused)
{
    (void)unused;
    g_free(data);
    return 0;
}

/* Gives the image its own copy of its profile and XMP/IPTC blobs.  libvips 8.14's
 * HEIF loader hands out an ICC profile that it frees when it closes, which
 * happens during the encode, while the saver still reads the profile (a
 * use-after-free under ASan); a copy owned by the image cannot go away. */
static void own_blobs(VipsImage *im)
{
    /* not exif-data: setting it makes libvips parse it again, which puts
     * back the orientation tag the decode has just reset */
    static const char *const names[] = { VIPS_META_ICC_NAME, VIPS_META_XMP_NAME,
                                         VIPS_META_IPTC_NAME };
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        const void *data = NULL;
        size_t len = 0;
        if (vips_image_get_typeof(im, names[i]) != VIPS_TYPE_BLOB ||
            vips_image_get_blob(im, names[i], &data, &len) || !data || !len)
            continue;
        void *copy = g_memdup2(data, len);
        vips_image_set_blob(im, names[i], free_blob, copy, len);
    }
}


/* CMYK goes to sRGB through its own embedded profile (libvips' CMYK
 * profile when it has none) and leaves tagged sRGB.  libvips' thumbnail
 * would convert with its built-in profile instead, a visible shift (mean
 * dE00 4.3 on a SWOP-tagged photo), so CMYK takes this path: JPEG
 * shrink-on-load by a power of two that keeps the box covered, the profile
 * transform, then thumbnail_image for the exact size and the rotation. */
static int decode_cmyk(pix_job *job, int tw, int th, const char *opts, VipsImage **out)
{
    VipsImage *in = NULL, *srgb = NULL;
    char with_shrink[96];
    int shrink = 1, rc = -1;

    if (strcmp(job->format, "jpeg") == 0) {
        int w = job->src.width, h = job->src.height; /* stored, not upright */
        int lo_box = tw < th ? tw : th, lo_img = w < h ? w : h;
        while (shrink < 8 && lo_img / (shrink * 2) >= lo_box &&
               (w > h ? w : h) / (shrink * 2) >= (tw > th ? tw : th))
            shrink *= 2;
    }
    snprintf(with_shrink, sizeof with_shrink, "%s%s", opts,
             shrink > 1 ? (shrink == 2 ? ",shrink=2" : shrink == 4 ? ",shrink=4" : ",shrink=8")
                        : "");
    in = vips_image_new_from_buffer(job->bytes, job->len, with_shrink, "access",
                                    VIPS_ACCESS_SEQUENTIAL, NULL);
    if (!in)
        goto out;
    if (vips_icc_transform(in, &srgb, "srgb", "input_profile", "cmyk", "embedded", TRUE,
                           "depth", 8, NULL))
        goto out;
    rc = vips_thumbnail_image(srgb, out, tw, "height", th, "size", VIPS_SIZE_DOWN, NULL);
out:
    if (in)
        g_object_unref(in);
    if (srgb)
        g_object_unref(srgb);
    return rc;
}

int pix_job_decode(pix_job *job)
{
    static const char *const fail_on[] = { "none", "truncated", "error", "warning" };
    const pix_pipeline *p = job->pipeline;
    VipsImage *im = NULL, *out = NULL;
    char why[1024], opts[64], space[5];
    int rc = -1;

    double t0 = pix_now_ms();
    pix_heap_for_job((double)job->src.width * job->src.height);
    int orientation = pix_image_orientation(job->header);
    bool swap = orientation >= 5; /* a quarter turn swaps the sides */
    int w = swap ? job->src.height : job->src.width;
    int h = swap ? job->src.width : job->src.height;
    double scale = pix_decode_scale(p, w, h);
    int tw = (int)ceil(w * scale), th = (int)ceil(h * scale);
    bool animate = pix_decode_keeps_animation(job);
    bool cmyk = vips_image_get_interpretation(job->header) == VIPS_INTERPRETATION_CMYK;

    snprintf(opts, sizeof opts, "fail_on=%s%s", fail_on[p->fail_on <= 3 ? p->fail_on : 2],
             animate ? ",n=-1" : "");
    /* The decode opens the source again: one job at a time (err.h). */
    bool held = pix_vips_open_begin();
    int failed = cmyk ? decode_cmyk(job, tw < 1 ? 1 : tw, th < 1 ? 1 : th, opts, &im)
                      : vips_thumbnail_buffer(job->bytes, job->len, &im, tw < 1 ? 1 : tw,
                                              "height", th < 1 ? 1 : th, "size", VIPS_SIZE_DOWN,
                                              "option_string", opts, NULL);
    /* The pixels are upright now: the tag must say so, or a viewer would
     * turn them a second time. */
    failed = failed || vips_copy(im, &out, NULL);
    if (failed)
        pix_job_fail(job, NULL, "cannot decode the %s: %s", job->format,
                     pix_vips_error(why, sizeof why));
    pix_vips_open_end(held);
    if (failed)
        goto out;
    vips_autorot_remove_angle(out);
    own_blobs(out);
    icc_space(out, space);
    if (!cmyk && strcmp(space, "CMYK") == 0 && vips_image_get_bands(out) < 4)
        vips_image_remove(out, VIPS_META_ICC_NAME); /* pixels left CMYK behind */

    job->image = out;
    out = NULL;
    job->image_in_memory = false;
    job->src.orientation = orientation;
    job->src.animated = animate;
    job->decode_scale = scale;
    job->decodes++;
    if (job->src.pages > 1 && !animate)
        pix_job_note(job, "animated source (%d frames): the first frame is used, as %s "
                     "output cannot animate", job->src.pages,
                     pix_format_resolve(p->output.format, job->format, false));
    pix_log(PIX_LOG_DEBUG, NULL, "%s: decode %s %dx%d%s at scale %.4f (box %dx%d)%s%s",
            job->key, job->format, w, h, animate ? " all frames" : "", scale, tw, th,
            orientation != 1 ? ", rotated upright" : "", cmyk ? ", CMYK to sRGB" : "");
    rc = 0;
out:
    if (im)
        g_object_unref(im);
    if (out)
        g_object_unref(out);
    pix_job_time(job, "decode", pix_now_ms() - t0);
    return rc;
}

/* The decode of a large JPEG leaves tens of MB of freed strip buffers in the
 * heap (26 MB at 96 MP), and the stages' and the encoder's buffers, made
 * next, do not fit in those holes: they came on top, and the peak of one
 * 96 MP JPEG through the default pipeline was the encode's, 68 MiB with one
 * libvips thread.  Handed back here, the peak is the decode's, 57 MiB, for
 * 1-4 % more CPU on that image (the pages are faulted in again).  Smaller
 * sources keep their free pages for the next job: at 24 and 48 MP the same
 * release cost 6-10 % of the CPU for 0-5 MiB. */
void pix_decode_read_through(const pix_job *job)
{
    if ((double)job->src.width * job->src.height >= PIX_HEAP_LARGE_PIXELS)
        malloc_trim(0);
}
