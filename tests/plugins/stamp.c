/*
 * stamp: a test stage that paints a solid white square (every band 255,
 * so opaque where there is alpha) in the bottom-right corner of each frame
 * of the working image, a quarter of the frame's shorter side.  The
 * thumbnail tests place it before or after a thumbnail to see which
 * renditions carry it.
 *
 * Test plugins are built without the libvips headers (see the Makefile),
 * so the few libvips calls used are declared here; the pixpipe binary has
 * libvips loaded, and the symbols resolve against it when dlopen()ed.
 */
#include <stddef.h>

#include <pixpipe/pixpipe.h>

typedef struct _VipsImage VipsImage;
int vips_image_get_width(const VipsImage *image);
int vips_image_get_height(const VipsImage *image);
int vips_image_get_bands(const VipsImage *image);
int vips_image_get_page_height(VipsImage *image);
int vips_copy(VipsImage *in, VipsImage **out, ...);
VipsImage *vips_image_copy_memory(VipsImage *image);
int vips_draw_rect(VipsImage *image, double *ink, int n, int left, int top, int width,
                   int height, ...);
void g_object_unref(void *object);

static int stamp_process(const pix_ctx *ctx, pix_job *job)
{
    const pix_host *host = ctx->host;
    VipsImage *img = host->job_image(job), *copy = NULL, *mem = NULL;
    double ink[8] = { 255, 255, 255, 255, 255, 255, 255, 255 };

    if (!img)
        return -1;
    /* Draw on a private copy: the working image may be the shared one a
     * thumbnail was made from (copy_memory alone would hand it back). */
    int failed = vips_copy(img, &copy, NULL) || !(mem = vips_image_copy_memory(copy));
    if (copy)
        g_object_unref(copy);
    if (failed)
        return host->job_vips_error(job, "stamp: cannot copy the image");
    int w = vips_image_get_width(mem), fh = vips_image_get_page_height(mem);
    int n = vips_image_get_height(mem) / fh, bands = vips_image_get_bands(mem);
    int side = (w < fh ? w : fh) / 4;
    if (side < 1)
        side = 1;
    for (int i = 0; i < n; i++)
        vips_draw_rect(mem, ink, bands < 8 ? bands : 8, w - side, (i + 1) * fh - side, side,
                       side, "fill", 1, NULL);
    host->job_set_image(job, mem);
    return 0;
}

PIX_STAGE_PLUGIN("stamp", "1.0.0",
                 "test stage: paints a white square in the bottom-right corner of each frame",
                 stamp_process, .flags = PIX_PLUGIN_SCALE_NEUTRAL);
