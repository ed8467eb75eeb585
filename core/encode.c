/* Encoding renditions with libvips' savers. */
#include "encode.h"

#include <string.h>
#include <strings.h>

typedef struct fmt {
    const char *name, *ext, *mime, *suffix; /* suffix: what libvips keys savers on */
    bool writable_as_source;                /* used for format: source */
} fmt;

static const fmt formats[] = {
    { "jpeg", "jpg", "image/jpeg", ".jpg", true },
    { "png", "png", "image/png", ".png", true },
    { "webp", "webp", "image/webp", ".webp", true },
    /* libvips 8.14 lists AVIF under its HEIF buffer saver as ".heif"; that
     * an AV1 encoder is there is found by trying it (see avif_works). */
    { "avif", "avif", "image/avif", ".heif", true },
    { "gif", "gif", "image/gif", ".gif", true },
    { "tiff", "tif", "image/tiff", ".tif", true },
    /* HEVC encoders are patent-encumbered and absent from Debian's libheif:
     * HEIC sources are written as jpeg when "source" is asked. */
    { "heif", "heic", "image/heic", ".heic", false },
};

static const fmt *lookup(const char *name)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (strcmp(formats[i].name, name) == 0)
            return &formats[i];
    return NULL;
}

const char *pix_format_detect(const void *data, size_t len)
{
    /* libvips names its loaders' classes VipsForeignLoad<Family><Source>,
     * e.g. VipsForeignLoadJpegBuffer, VipsForeignLoadNsgifBuffer. */
    static const struct { const char *prefix, *family; } map[] = {
        { "Jpeg", "jpeg" }, { "Png", "png" }, { "Spng", "png" }, { "Webp", "webp" },
        { "Nsgif", "gif" }, { "Gif", "gif" }, { "Tiff", "tiff" }, { "Heif", "heif" },
        { "Svg", "svg" }, { "Pdf", "pdf" }, { "Jxl", "jxl" }, { "Rad", "rad" },
        { "Jp2k", "jp2k" }, { "Magick", "magick" }, { "Fits", "fits" },
        { "Openexr", "exr" }, { "Ppm", "ppm" },
    };
    static const char base[] = "VipsForeignLoad";
    const char *loader = vips_foreign_find_load_buffer(data, len);
    if (!loader) {
        vips_error_clear();
        return NULL;
    }
    if (strncmp(loader, base, sizeof base - 1) == 0)
        loader += sizeof base - 1;
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strncmp(loader, map[i].prefix, strlen(map[i].prefix)) == 0)
            return map[i].family;
    return "other";
}

/* Whether libheif has an AV1 encoder: asked once by encoding a tiny image,
 * since the saver exists whichever encoders libheif was built with. */
static gpointer probe_avif(gpointer unused)
{
    (void)unused;
    VipsImage *im = NULL;
    void *buf = NULL;
    size_t len = 0;
    gboolean ok = vips_black(&im, 16, 16, "bands", 3, NULL) == 0 &&
                  vips_heifsave_buffer(im, &buf, &len, "compression",
                                       VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort", 0, NULL) == 0;
    vips_error_clear();
    g_free(buf);
    if (im)
        g_object_unref(im);
    return GINT_TO_POINTER(ok ? 1 : 2);
}

static bool avif_works(void)
{
    static GOnce once = G_ONCE_INIT;
    return GPOINTER_TO_INT(g_once(&once, probe_avif, NULL)) == 1;
}

static bool can_save(const fmt *f)
{
    /* The saver table exists once libvips is started; starting it again is
     * a no-op, and this makes the check safe from the pipeline parser too. */
    if (VIPS_INIT("pixpipe"))
        return false;
    bool ok = vips_foreign_find_save_buffer(f->suffix) != NULL;
    vips_error_clear();
    if (ok && strcmp(f->name, "avif") == 0)
        ok = avif_works();
    return ok;
}

const char *pix_format_resolve(const char *requested, const char *source_format, bool has_alpha)
{
    if (requested && strcmp(requested, "source") != 0)
        return requested;
    const fmt *f = source_format ? lookup(source_format) : NULL;
    if (f && f->writable_as_source && can_save(f))
        return f->name;
    return has_alpha ? "png" : "jpeg";
}

const char *pix_format_ext(const char *format)
{
    const fmt *f = lookup(format);
    return f ? f->ext : "bin";
}

const char *pix_format_from_mime(const char *mime)
{
    for (size_t i = 0; mime && i < sizeof formats / sizeof *formats; i++)
        if (strcasecmp(mime, formats[i].mime) == 0)
            return formats[i].name;
    return NULL;
}

const char *pix_format_from_name(const char *key)
{
    static const struct { const char *ext, *format; } exts[] = {
        { "jpg", "jpeg" }, { "jpeg", "jpeg" }, { "jpe", "jpeg" }, { "png", "png" },
        { "webp", "webp" }, { "gif", "gif" }, { "tif", "tiff" }, { "tiff", "tiff" },
        { "avif", "avif" }, { "heic", "heif" }, { "heif", "heif" },
    };
    const char *dot = key ? strrchr(key, '.') : NULL;
    for (size_t i = 0; dot && !strchr(dot, '/') && i < sizeof exts / sizeof *exts; i++)
        if (strcasecmp(dot + 1, exts[i].ext) == 0)
            return exts[i].format;
    return NULL;
}

const char *pix_format_mime(const char *format)
{
    const fmt *f = lookup(format);
    return f ? f->mime : "application/octet-stream";
}

bool pix_format_can_save(const char *format)
{
    const fmt *f = format ? lookup(format) : NULL;
    return f && can_save(f);
}

/* JPEG has no alpha: flatten on white, which is what a viewer shows for a
 * transparent PNG, rather than libvips' default black.  Deep images (16-bit
 * PNG/TIFF) are brought to 8 bits per band for the 8-bit codecs. */
static int prepare(VipsImage *in, const char *format, VipsImage **out)
{
    VipsImage *cur = in, *tmp = NULL;
    g_object_ref(cur);

    /* An animation ("page-height" frames stacked) written to a format that
     * cannot animate keeps its first frame. */
    int page_h = vips_image_get_page_height(cur);
    bool animates = strcmp(format, "gif") == 0 || strcmp(format, "webp") == 0;
    if (!animates && page_h < vips_image_get_height(cur)) {
        if (vips_crop(cur, &tmp, 0, 0, vips_image_get_width(cur), page_h, NULL))
            goto fail;
        g_object_unref(cur);
        cur = tmp;
        if (vips_copy(cur, &tmp, NULL))
            goto fail;
        g_object_unref(cur);
        cur = tmp;
        vips_image_remove(cur, VIPS_META_PAGE_HEIGHT);
        vips_image_remove(cur, "n-pages");
    }

    bool eight_bit_only = strcmp(format, "jpeg") == 0 || strcmp(format, "webp") == 0 ||
                          strcmp(format, "gif") == 0;
    if (eight_bit_only && vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
        VipsInterpretation want = vips_image_get_bands(cur) >= 3 ? VIPS_INTERPRETATION_sRGB
                                                                 : VIPS_INTERPRETATION_B_W;
        if (vips_colourspace(cur, &tmp, want, NULL))
            goto fail;
        g_object_unref(cur);
        cur = tmp;
        if (vips_image_get_format(cur) != VIPS_FORMAT_UCHAR) {
            if (vips_cast_uchar(cur, &tmp, NULL))
                goto fail;
            g_object_unref(cur);
            cur = tmp;
        }
    }
    if (strcmp(format, "jpeg") == 0 && vips_image_hasalpha(cur)) {
        VipsArrayDouble *white = vips_array_double_newv(1, 255.0);
        int rc = vips_flatten(cur, &tmp, "background", white, NULL);
        vips_area_unref(VIPS_AREA(white));
        if (rc)
            goto fail;
        g_object_unref(cur);
        cur = tmp;
    }
    *out = cur;
    return 0;
fail:
    g_object_unref(cur);
    return -1;
}

int pix_encode_image(VipsImage *img, const char *format, const pix_encode *enc, void **buf,
                     size_t *len, pix_err *err)
{
    VipsImage *im = NULL;
    gboolean strip = !enc->keep_metadata;
    int q = enc->quality;
    int rc = -1;

    *buf = NULL;
    *len = 0;
    if (prepare(img, format, &im) < 0)
        goto vips_fail;
    if (strcmp(format, "jpeg") == 0)
        rc = vips_jpegsave_buffer(im, buf, len, "Q", q ? q : 82, "interlace", enc->progressive,
                                  "optimize_coding", TRUE, "strip", strip, NULL);
    else if (strcmp(format, "png") == 0)
        rc = vips_pngsave_buffer(im, buf, len, "compression", enc->effort >= 0 ? enc->effort : 6,
                                 "interlace", enc->progressive, "strip", strip, NULL);
    else if (strcmp(format, "webp") == 0)
        rc = vips_webpsave_buffer(im, buf, len, "Q", q ? q : 80, "lossless", enc->lossless,
                                  "effort", enc->effort >= 0 ? enc->effort : 4, "strip", strip,
                                  NULL);
    else if (strcmp(format, "avif") == 0)
        rc = vips_heifsave_buffer(im, buf, len, "Q", q ? q : 50, "lossless", enc->lossless,
                                  "compression", VIPS_FOREIGN_HEIF_COMPRESSION_AV1, "effort",
                                  enc->effort >= 0 ? enc->effort : 4, "strip", strip, NULL);
    else if (strcmp(format, "gif") == 0)
        rc = vips_gifsave_buffer(im, buf, len, "strip", strip, NULL);
    else if (strcmp(format, "tiff") == 0)
        rc = vips_tiffsave_buffer(im, buf, len, "compression", VIPS_FOREIGN_TIFF_COMPRESSION_DEFLATE,
                                  "strip", strip, NULL);
    else {
        pix_err_set(err, "unknown output format '%s'", format);
        goto out;
    }
    if (rc == 0)
        goto out;
vips_fail:
    {
        char why[1024];
        pix_err_set(err, "cannot produce it as %s: %s", format, pix_vips_error(why, sizeof why));
    }
    rc = -1;
out:
    if (im)
        g_object_unref(im);
    return rc;
}

