/* grayscale: takes the colour out of the image, all of it or part of it.
 *
 * The chroma of every pixel is scaled in CIE LCh, so lightness is kept
 * exactly as the eye sees it (a plain average of R, G and B would darken
 * reds and brighten greens).  An alpha band passes through unchanged.
 *
 * It holds no state: the amount is read from ctx->config, which the host
 * filled from the option table, so there is no create() or destroy().
 */
#include <pixpipe/stage.h>

typedef struct gray_config {
    double amount;
} gray_config;

static const pix_option gray_options[] = {
    { .name = "amount", .type = PIX_OPT_NUMBER, .offset = offsetof(gray_config, amount),
      .def = "1", .min = 0, .max = 1,
      .doc = "How much colour to remove: 1 leaves grey, 0.5 halves the saturation." },
    { .name = NULL },
};

/* Replaces the job's working image (borrowed from the job) with its
 * desaturated copy, which the job takes over. */
static int gray_process(const pix_ctx *ctx, pix_job *job)
{
    const gray_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    VipsImage *in = host->job_image(job); /* borrowed */
    if (!in)
        return -1; /* the host has recorded why */
    VipsImage *lch = NULL, *pale = NULL, *rgb = NULL, *out = NULL;
    double a[16], b[16];
    int rc = -1;

    if (vips_colourspace(in, &lch, VIPS_INTERPRETATION_LCH, NULL))
        goto out;
    /* LCh bands are L, C, h, then any alpha: scale C only. */
    int n = lch->Bands < 16 ? lch->Bands : 16;
    for (int i = 0; i < n; i++) {
        a[i] = i == 1 ? 1.0 - cfg->amount : 1.0;
        b[i] = 0.0;
    }
    if (vips_linear(lch, &pale, a, b, n, NULL) ||
        vips_colourspace(pale, &rgb, VIPS_INTERPRETATION_sRGB, NULL) ||
        vips_cast(rgb, &out, VIPS_FORMAT_UCHAR, NULL))
        goto out;
    host->job_set_image(job, out); /* steals out */
    out = NULL;
    rc = 0;
out:
    if (rc != 0)
        host->job_vips_error(job, "cannot remove the colour");
    if (lch)
        g_object_unref(lch);
    if (pale)
        g_object_unref(pale);
    if (rgb)
        g_object_unref(rgb);
    if (out)
        g_object_unref(out);
    return rc;
}

PIX_STAGE_PLUGIN("grayscale", "1.0.0", "Removes the colour, keeping the lightness (CIE LCh)",
                 gray_process, .options = gray_options, .config_size = sizeof(gray_config),
                 .flags = PIX_PLUGIN_SCALE_NEUTRAL);
