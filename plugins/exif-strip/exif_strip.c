/*
 * exif-strip: makes the working image upright, settles its colour and removes
 * what a photo says about its camera, place and owner.
 *
 * In order:
 *   1. Orientation.  An image still tagged with an EXIF orientation other
 *      than 1 (the core decodes upright, but a custom stage may hand one on)
 *      is turned upright, frame by frame for an animation, and the tag goes.
 *   2. Colour.  CMYK pixels always go to sRGB through their profile, and a
 *      CMYK profile left on non-CMYK pixels is dropped, so nothing
 *      CMYK-tagged survives.  Then, by `profile`:
 *        keep  the ICC profile stays attached and the pixels are untouched
 *              (an Adobe RGB image stays Adobe RGB, correctly tagged);
 *        srgb  an image with a profile is converted to sRGB through it
 *              (vips_icc_transform, relative colorimetric); the profile is
 *              then dropped (untagged pixels are read as sRGB), unless
 *              `keep` lists icc: then the output carries libvips' sRGB
 *              profile.  Greyscale stays one band and untagged (there is
 *              no built-in grey sRGB profile to attach).
 *   3. Metadata.  Every metadata field is removed except the technical ones
 *      encoders need (animation timing, palette, resolution; see
 *      ex_technical) and the ICC profile as step 2 left it: EXIF with its
 *      GPS IFD, maker note and thumbnail, XMP, IPTC, PNG text chunks, HEIF
 *      and ImageMagick extras.
 *
 * `keep` names fields that survive step 3, from this fixed list:
 *   icc          the ICC profile (with profile: srgb, the sRGB one);
 *                implied by profile: keep
 *   copyright    EXIF IFD0 Copyright
 *   artist       EXIF IFD0 Artist
 *   description  EXIF IFD0 ImageDescription
 * GPS, camera identity and dates cannot be kept.  When a kept EXIF field is
 * present the EXIF block stays with only that field: libvips' savers rebuild
 * the block from the "exif-ifd*" fields left on the image and drop every
 * entry (GPS, maker note, thumbnail) whose field is gone.
 *
 * What libvips 8.14 still writes: with the pipeline's keep_metadata true, the
 * JPEG, WebP and AVIF savers always write a minimal EXIF block of their own,
 * even when the image has no EXIF left: IFD0 Orientation (1), XResolution,
 * YResolution, ResolutionUnit, YCbCrPositioning, and ExifIFD ExifVersion,
 * ComponentsConfiguration, FlashpixVersion, ColorSpace (Uncalibrated),
 * ExifImageWidth, ExifImageHeight.  A stage cannot prevent it (the saver
 * creates it); PNG, GIF and TIFF write none.
 *
 * Scale-neutral: nothing here depends on the decode scale.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <pixpipe/stage.h>

enum { EX_PROFILE_KEEP, EX_PROFILE_SRGB };

static const char *const ex_profile_choices[] = { "keep", "srgb", NULL };

/* The names `keep` accepts and the libvips field each keeps (NULL: icc). */
typedef struct ex_keepable {
    const char *name;
    const char *field;
} ex_keepable;

enum { EX_KEEP_ICC = 0 }; /* index of "icc" below */

static const ex_keepable ex_keepables[] = {
    { "icc", NULL },
    { "copyright", "exif-ifd0-Copyright" },
    { "artist", "exif-ifd0-Artist" },
    { "description", "exif-ifd0-ImageDescription" },
};

#define EX_N_KEEPABLE (sizeof ex_keepables / sizeof ex_keepables[0])

/* Fields that describe how to encode the pixels, not who or where: the
 * encoders read them (animation, palette, resolution) and none identifies a
 * camera, place, date or person.  Everything else goes. */
static const char *const ex_technical[] = {
    "resolution-unit", "page-height", "n-pages", "delay", "loop", "gif-delay",
    "gif-loop", "gif-palette", "background", "palette-bit-depth", "bits-per-sample",
    "interlaced", "jpeg-chroma-subsample", "jpeg-multiscan", "vips-loader",
    "vips-sequential", "heif-primary", "heif-compression", "heif-bitdepth", NULL,
};

typedef struct ex_config {
    pix_strlist keep;
    int profile;
} ex_config;

static const pix_option ex_options[] = {
    { .name = "keep", .type = PIX_OPT_STRLIST, .offset = offsetof(ex_config, keep), .def = "[]",
      .doc = "Fields to keep, from: icc, copyright, artist, description (GPS, camera and dates always go)." },
    { .name = "profile", .type = PIX_OPT_ENUM, .offset = offsetof(ex_config, profile),
      .def = "keep", .choices = ex_profile_choices,
      .doc = "keep: the ICC profile stays with untouched pixels; srgb: pixels converted to sRGB and the profile dropped (sRGB attached when keep lists icc)." },
    { .name = NULL },
};

static int ex_keepable_index(const char *name)
{
    for (size_t i = 0; i < EX_N_KEEPABLE; i++)
        if (strcmp(ex_keepables[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Whether keep lists the keepable field of index k. */
static bool ex_keeps(const ex_config *cfg, size_t k)
{
    for (size_t i = 0; i < cfg->keep.count; i++)
        if (strcmp(cfg->keep.items[i], ex_keepables[k].name) == 0)
            return true;
    return false;
}

static int ex_check(const pix_ctx *ctx)
{
    const ex_config *cfg = ctx->config;

    for (size_t i = 0; i < cfg->keep.count; i++) {
        const char *n = cfg->keep.items[i];
        if (ex_keepable_index(n) >= 0)
            continue;
        if (g_ascii_strncasecmp(n, "gps", 3) == 0)
            return ctx->host->error(ctx, "keep: '%s' cannot be kept: location data is always "
                                    "removed", n);
        return ctx->host->error(ctx, "keep: unknown field '%s'; expected icc, copyright, artist "
                                "or description", n);
    }
    return 0;
}

/* Replaces *cur (owned) by next (owned). */
static void ex_swap(VipsImage **cur, VipsImage *next)
{
    g_object_unref(*cur);
    *cur = next;
}

/* The colour space of the attached ICC profile (header bytes 16..19, e.g.
 * "RGB ", "CMYK", "GRAY"); "" when there is none. */
static void ex_icc_space(VipsImage *im, char space[5])
{
    const void *data = NULL;
    size_t len = 0;

    space[0] = '\0';
    if (vips_image_get_typeof(im, VIPS_META_ICC_NAME) &&
        !vips_image_get_blob(im, VIPS_META_ICC_NAME, &data, &len) && len >= 20) {
        memcpy(space, (const char *)data + 16, 4);
        space[4] = '\0';
    }
}

/* *cur converted to sRGB through its own profile (fallback for CMYK without
 * one: libvips' CMYK profile); the sRGB profile is then attached. */
static int ex_to_srgb(VipsImage **cur)
{
    VipsImage *out = NULL;
    bool grey = vips_image_get_bands(*cur) - (vips_image_hasalpha(*cur) ? 1 : 0) == 1;
    bool cmyk = vips_image_get_interpretation(*cur) == VIPS_INTERPRETATION_CMYK;

    if (vips_icc_transform(*cur, &out, "srgb", "embedded", TRUE, "input_profile",
                           cmyk ? "cmyk" : "srgb", "depth", 8, NULL))
        return -1;
    ex_swap(cur, out);
    if (grey) {
        /* Grey in, grey out: neutral sRGB triples back to one band. */
        if (vips_colourspace(*cur, &out, VIPS_INTERPRETATION_B_W, NULL))
            return -1;
        ex_swap(cur, out);
    }
    return 0;
}

/* Attaches libvips' built-in sRGB profile to a copy of *cur. */
static int ex_attach_srgb(VipsImage **cur)
{
    VipsBlob *blob = NULL;
    VipsImage *out = NULL;

    if (vips_profile_load("srgb", &blob, NULL) || vips_copy(*cur, &out, NULL)) {
        if (blob)
            vips_area_unref(VIPS_AREA(blob));
        return -1;
    }
    size_t len = 0;
    const void *data = vips_blob_get(blob, &len);
    vips_image_set_blob_copy(out, VIPS_META_ICC_NAME, data, len);
    vips_area_unref(VIPS_AREA(blob));
    ex_swap(cur, out);
    return 0;
}

/* Removes the ICC profile from a copy of *cur. */
static int ex_drop_profile(VipsImage **cur)
{
    VipsImage *out = NULL;

    if (!vips_image_get_typeof(*cur, VIPS_META_ICC_NAME))
        return 0;
    if (vips_copy(*cur, &out, NULL))
        return -1;
    vips_image_remove(out, VIPS_META_ICC_NAME);
    ex_swap(cur, out);
    return 0;
}

/* Step 2: CMYK never survives; then the profile option. */
static int ex_colour(const pix_ctx *ctx, pix_job *job, VipsImage **cur)
{
    const ex_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    char space[5];
    bool cmyk = vips_image_get_interpretation(*cur) == VIPS_INTERPRETATION_CMYK;
    bool has_icc;

    ex_icc_space(*cur, space);
    if (cmyk && ex_to_srgb(cur))
        return host->job_vips_error(job, "cannot convert CMYK to sRGB");
    if (!cmyk && strcmp(space, "CMYK") == 0 && ex_drop_profile(cur))
        return host->job_vips_error(job, "cannot drop the stale CMYK profile");
    if (cfg->profile != EX_PROFILE_SRGB)
        return 0;
    has_icc = vips_image_get_typeof(*cur, VIPS_META_ICC_NAME) != 0;
    if (has_icc && !cmyk && ex_to_srgb(cur))
        return host->job_vips_error(job, "cannot convert to sRGB through the embedded profile");
    bool grey = vips_image_get_bands(*cur) - (vips_image_hasalpha(*cur) ? 1 : 0) == 1;
    if (ex_keeps(cfg, EX_KEEP_ICC) && !grey) {
        if (!vips_image_get_typeof(*cur, VIPS_META_ICC_NAME) && ex_attach_srgb(cur))
            return host->job_vips_error(job, "cannot attach the sRGB profile");
    } else if (ex_drop_profile(cur)) {
        return host->job_vips_error(job, "cannot drop the ICC profile");
    }
    return 0;
}

static bool ex_in(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* The kept EXIF field that name is, or false. */
static bool ex_kept_exif(const ex_config *cfg, const char *name)
{
    for (size_t i = 0; i < EX_N_KEEPABLE; i++)
        if (ex_keepables[i].field && strcmp(ex_keepables[i].field, name) == 0 && ex_keeps(cfg, i))
            return true;
    return false;
}

static void *ex_collect(VipsImage *im, const char *name, GValue *value, void *list)
{
    (void)im;
    (void)value;
    g_ptr_array_add(list, g_strdup(name));
    return NULL;
}

/* Step 3: removes every metadata field but the technical ones, the ICC
 * profile as step 2 left it and the kept EXIF fields (with the EXIF block
 * they live in, which the saver then rebuilds from them alone). */
static int ex_strip(const pix_ctx *ctx, pix_job *job, VipsImage **cur)
{
    const ex_config *cfg = ctx->config;
    VipsImage *out = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    bool exif_kept = false;

    if (vips_copy(*cur, &out, NULL)) {
        g_ptr_array_free(names, TRUE);
        return ctx->host->job_vips_error(job, "cannot copy the image");
    }
    vips_image_map(out, ex_collect, names);
    for (guint i = 0; i < names->len; i++)
        if (ex_kept_exif(cfg, names->pdata[i]))
            exif_kept = true;
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        if (ex_in(ex_technical, n) || strcmp(n, VIPS_META_ICC_NAME) == 0 ||
            ex_kept_exif(cfg, n) || (exif_kept && strcmp(n, VIPS_META_EXIF_NAME) == 0))
            continue;
        vips_image_remove(out, n); /* header fields (width...) are not removable: no-op */
    }
    g_ptr_array_free(names, TRUE);
    ex_swap(cur, out);
    return 0;
}

static int ex_process(const pix_ctx *ctx, pix_job *job)
{
    VipsImage *cur = NULL;

    if (pix_job_upright(ctx->host, job, &cur))
        return -1;
    if (ex_colour(ctx, job, &cur) || ex_strip(ctx, job, &cur)) {
        g_object_unref(cur);
        return -1;
    }
    ctx->host->job_set_image(job, cur);
    return 0;
}

PIX_STAGE_PLUGIN("exif-strip", "1.0.0",
                 "Bakes the EXIF orientation in, removes EXIF/GPS/XMP/IPTC, keeps the colour right.",
                 ex_process, .options = ex_options, .config_size = sizeof(ex_config),
                 .check = ex_check, .flags = PIX_PLUGIN_SCALE_NEUTRAL);
