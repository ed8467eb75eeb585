/*
 * srcset: a responsive set in one declaration: every width of `widths` in
 * every format of `formats`, each a rendition named by `name` ({width},
 * {format}), made from the working image as it stands here.  Widths above
 * what the image has are skipped, and one rendition at the image's own
 * width is made instead (once).  After the renditions are stored, the
 * record gets
 *
 *   srcset   obj   per format, a list of { width, height, key, bytes },
 *                  narrowest first
 *
 * and with `manifest: true` the same JSON is stored as one more object
 * (rendition `manifest_name`, extension json) beside the renditions.  Place
 * it before metadata-sink, whose record then lists the manifest too.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pixpipe/stage.h>

#define SRCSET_MAX_WIDTHS 16
#define SRCSET_MAX_FORMATS 5
#define SRCSET_NAME_MAX 64

static const char *const srcset_formats[] = { "jpeg", "webp", "avif", "jxl", "png", NULL };

typedef struct srcset_config {
    pix_strlist widths, formats;
    char *name, *manifest_name;
    bool manifest;
    int64_t jpeg_quality, webp_quality, avif_quality, jxl_quality;
    int kernel;
    /* filled by check(): */
    int w[SRCSET_MAX_WIDTHS], n_w;
    int f[SRCSET_MAX_FORMATS], n_f;
    char names[SRCSET_MAX_WIDTHS * SRCSET_MAX_FORMATS][SRCSET_NAME_MAX];
} srcset_config;

static const pix_option srcset_options[] = {
    { .name = "widths", .type = PIX_OPT_STRLIST, .offset = offsetof(srcset_config, widths),
      .flags = PIX_OPT_REQUIRED,
      .doc = "Widths in pixels, 1..100000, at most 16 (e.g. [320, 640, 1280, 1920]); the "
             "height follows the aspect ratio." },
    { .name = "formats", .type = PIX_OPT_STRLIST, .offset = offsetof(srcset_config, formats),
      .def = "[webp, jpeg]", .doc = "Formats, from jpeg, webp, avif, jxl, png; each width is made in each." },
    { .name = "name", .type = PIX_OPT_STRING, .offset = offsetof(srcset_config, name),
      .def = "w{width}-{format}", .min = 1, .max = 48,
      .doc = "Rendition name template: {width} and, with more than one format, {format} "
             "(jpeg, webp, avif, jxl, png)." },
    { .name = "jpeg_quality", .type = PIX_OPT_INT, .offset = offsetof(srcset_config, jpeg_quality),
      .def = "82", .min = 1, .max = 100, .doc = "Quality of the JPEG renditions." },
    { .name = "webp_quality", .type = PIX_OPT_INT, .offset = offsetof(srcset_config, webp_quality),
      .def = "80", .min = 1, .max = 100, .doc = "Quality of the WebP renditions." },
    { .name = "avif_quality", .type = PIX_OPT_INT, .offset = offsetof(srcset_config, avif_quality),
      .def = "55", .min = 1, .max = 100, .doc = "Quality of the AVIF renditions." },
    { .name = "jxl_quality", .type = PIX_OPT_INT, .offset = offsetof(srcset_config, jxl_quality),
      .def = "75", .min = 1, .max = 100,
      .doc = "Quality of the JPEG XL renditions (libjxl's distance 2.35 at 75, 1.0 at 90)." },
    { .name = "kernel", .type = PIX_OPT_ENUM, .offset = offsetof(srcset_config, kernel),
      .def = "lanczos3", .choices = pix_kernel_choices,
      .doc = "Resampling kernel: nearest, linear, cubic, mitchell, lanczos2 or lanczos3." },
    { .name = "manifest", .type = PIX_OPT_BOOL, .offset = offsetof(srcset_config, manifest),
      .def = "false", .doc = "Also store the srcset manifest as a JSON object beside the renditions." },
    { .name = "manifest_name", .type = PIX_OPT_STRING,
      .offset = offsetof(srcset_config, manifest_name), .def = "srcset", .min = 1, .max = 48,
      .doc = "Rendition name of the manifest ({rendition} in its key; extension json)." },
    { .name = NULL },
};

/* The rendition name of width w in format f, into out.  Returns 0, or -1
 * when it does not fit. */
static int expand(const char *tmpl, int w, const char *f, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = tmpl; *p; p++) {
        char buf[32];
        const char *put = NULL;
        if (strncmp(p, "{width}", 7) == 0) {
            snprintf(buf, sizeof buf, "%d", w);
            put = buf;
            p += 6;
        } else if (strncmp(p, "{format}", 8) == 0) {
            put = f;
            p += 7;
        }
        size_t len = put ? strlen(put) : 1;
        if (n + len >= size)
            return -1;
        memcpy(out + n, put ? put : p, len);
        n += len;
    }
    out[n] = '\0';
    return 0;
}

static int format_index(const char *s)
{
    for (int i = 0; srcset_formats[i]; i++)
        if (strcmp(s, srcset_formats[i]) == 0)
            return i;
    return -1;
}

static int check_name(const pix_ctx *ctx, const char *what, const char *name)
{
    const char *unsafe = NULL;
    if (strchr(name, '/') || ctx->host->key_check(name, &unsafe) < 0)
        return ctx->host->error(ctx, "%s: '%s' cannot be a rendition name: %s", what, name,
                                unsafe ? unsafe : "it has a '/'");
    return 0;
}

/* Checks the options and fills the config's derived fields (widths sorted,
 * formats, every rendition name): rendition_name() and process() read
 * them, and validate calls check() without creating anything. */
static int srcset_check(const pix_ctx *ctx)
{
    srcset_config *cfg = (srcset_config *)ctx->config;
    const pix_host *host = ctx->host;

    if (cfg->widths.count == 0 || cfg->widths.count > SRCSET_MAX_WIDTHS)
        return host->error(ctx, "widths: give 1 to %d widths", SRCSET_MAX_WIDTHS);
    cfg->n_w = 0;
    for (size_t i = 0; i < cfg->widths.count; i++) {
        char *end;
        long w = strtol(cfg->widths.items[i], &end, 10);
        if (*end || end == cfg->widths.items[i] || w < 1 || w > 100000)
            return host->error(ctx, "widths: '%s' is not a width in pixels (1..100000)",
                               cfg->widths.items[i]);
        for (int j = 0; j < cfg->n_w; j++)
            if (cfg->w[j] == w)
                return host->error(ctx, "widths: %ld is listed twice", w);
        cfg->w[cfg->n_w++] = (int)w;
    }
    /* narrowest first, as a srcset lists them */
    for (int i = 1; i < cfg->n_w; i++)
        for (int j = i; j > 0 && cfg->w[j] < cfg->w[j - 1]; j--) {
            int t = cfg->w[j];
            cfg->w[j] = cfg->w[j - 1];
            cfg->w[j - 1] = t;
        }
    if (cfg->formats.count == 0 || cfg->formats.count > SRCSET_MAX_FORMATS)
        return host->error(ctx, "formats: give 1 to %d formats", SRCSET_MAX_FORMATS);
    cfg->n_f = 0;
    for (size_t i = 0; i < cfg->formats.count; i++) {
        int f = format_index(cfg->formats.items[i]);
        if (f < 0)
            return host->error(ctx, "formats: '%s' is not one of jpeg, webp, avif, jxl, png",
                               cfg->formats.items[i]);
        for (int j = 0; j < cfg->n_f; j++)
            if (cfg->f[j] == f)
                return host->error(ctx, "formats: %s is listed twice", srcset_formats[f]);
        if (!host->format_can_save(srcset_formats[f]))
            return host->error(ctx, "formats: this libvips cannot write %s", srcset_formats[f]);
        cfg->f[cfg->n_f++] = f;
    }
    if (!strstr(cfg->name, "{width}"))
        return host->error(ctx, "name: '%s' has no {width}: every width needs its own name",
                           cfg->name);
    if (cfg->n_f > 1 && !strstr(cfg->name, "{format}"))
        return host->error(ctx, "name: '%s' has no {format}, but %d formats are listed: every "
                           "format needs its own name", cfg->name, cfg->n_f);
    for (int i = 0; i < cfg->n_w; i++)
        for (int j = 0; j < cfg->n_f; j++) {
            char *out = cfg->names[i * cfg->n_f + j];
            if (expand(cfg->name, cfg->w[i], srcset_formats[cfg->f[j]], out, SRCSET_NAME_MAX) < 0)
                return host->error(ctx, "name: '%s' gives a name over %d bytes", cfg->name,
                                   SRCSET_NAME_MAX - 1);
            if (check_name(ctx, "name", out) < 0)
                return -1;
        }
    if (cfg->manifest && check_name(ctx, "manifest_name", cfg->manifest_name) < 0)
        return -1;
    return 0;
}

static const char *srcset_rendition_name(const pix_ctx *ctx, size_t i)
{
    const srcset_config *cfg = ctx->config;
    size_t n = (size_t)cfg->n_w * cfg->n_f;
    if (i < n)
        return cfg->names[i];
    if (i == n && cfg->manifest)
        return cfg->manifest_name;
    return NULL;
}

/* Enough of the source for the widest rendition, no more. */
static double srcset_min_scale(const pix_ctx *ctx, int width, int height)
{
    const srcset_config *cfg = ctx->config;
    if ((VipsKernel)cfg->kernel != VIPS_KERNEL_LANCZOS3)
        return 1.0;
    int widest = cfg->w[cfg->n_w - 1];
    return widest >= width ? 1.0 : pix_scale_to_reach(widest, 1, width, height);
}

static int quality_of(const srcset_config *cfg, int f)
{
    const char *name = srcset_formats[f];
    if (strcmp(name, "jpeg") == 0)
        return (int)cfg->jpeg_quality;
    if (strcmp(name, "webp") == 0)
        return (int)cfg->webp_quality;
    if (strcmp(name, "avif") == 0)
        return (int)cfg->avif_quality;
    if (strcmp(name, "jxl") == 0)
        return (int)cfg->jxl_quality;
    return 0;
}

/* Adds width w (of an image `have` wide) in every format. */
static int add_width(const pix_ctx *ctx, pix_job *job, VipsImage *img, int w, int have,
                     int frame_h)
{
    const srcset_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    int h = pix_px((double)frame_h * w / have);
    VipsImage *scaled = NULL;

    if (pix_scale_exact(img, &scaled, w, h, (VipsKernel)cfg->kernel))
        return host->job_vips_error(job, "cannot scale %s to %dx%d", host->job_source(job)->key,
                                    w, h);
    for (int j = 0; j < cfg->n_f; j++) {
        char name[SRCSET_NAME_MAX];
        const char *format = srcset_formats[cfg->f[j]];
        if (expand(cfg->name, w, format, name, sizeof name) < 0) {
            g_object_unref(scaled);
            return host->job_error(job, "rendition name for %d px is too long", w);
        }
        pix_encode enc = { .format = format, .quality = quality_of(cfg, cfg->f[j]),
                           .effort = -1 };
        g_object_ref(scaled);
        if (host->job_add_rendition(job, name, scaled, &enc) < 0) {
            g_object_unref(scaled);
            return -1;
        }
    }
    g_object_unref(scaled);
    return 0;
}

static int srcset_process(const pix_ctx *ctx, pix_job *job)
{
    const srcset_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    const pix_source *src = host->job_source(job);

    /* The image stays in use after this stage: many renditions read it. */
    VipsImage *img = host->job_image_shared(job);
    if (!img)
        return -1;
    if (pix_frame_count(img) > 1)
        host->job_note(job, "srcset: an animation; its first frame is used");
    int iw = vips_image_get_width(img), ih = vips_image_get_page_height(img);
    VipsImage *frame = NULL;
    if (vips_crop(img, &frame, 0, 0, iw, ih, NULL))
        return host->job_vips_error(job, "cannot read the first frame of %s", src->key);
    /* Decoded smaller than the source (shrink-on-load, which rounds each
     * side) but of its shape: a width one pixel over is still reached. */
    int ow, oh, have = iw, reach = iw;
    pix_source_upright(src, &ow, &oh);
    if (pix_same_shape(iw, ih, ow, oh) && ow > iw)
        reach = iw + 1;
    int rc = 0;
    bool skipped = false;
    for (int i = 0; i < cfg->n_w && rc == 0; i++) {
        if (cfg->w[i] > reach) {
            skipped = true;
            continue;
        }
        rc = add_width(ctx, job, frame, cfg->w[i], have, ih);
    }
    if (rc == 0 && skipped) {
        bool listed = false;
        for (int i = 0; i < cfg->n_w; i++)
            listed |= cfg->w[i] == have;
        if (!listed)
            rc = add_width(ctx, job, frame, have, have, ih);
    }
    g_object_unref(frame);
    return rc;
}

/* Whether rendition r is one this instance made: its name is the one the
 * template gives its width and format. */
static int made_here(const srcset_config *cfg, const pix_rendition *r)
{
    char name[SRCSET_NAME_MAX];
    for (int j = 0; j < cfg->n_f; j++) {
        const char *f = srcset_formats[cfg->f[j]];
        if (strcmp(r->format, f) == 0 && expand(cfg->name, r->width, f, name, sizeof name) == 0 &&
            strcmp(name, r->name) == 0)
            return j;
    }
    return -1;
}

static int srcset_finish(const pix_ctx *ctx, pix_job *job, pix_status status)
{
    const srcset_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    pix_record *set = NULL;
    int rc = 0;

    if (status != PIX_JOB_OK)
        return 0;
    size_t n = host->job_rendition_count(job);
    for (int j = 0; j < cfg->n_f; j++)
        for (size_t i = 0; i < n; i++) { /* renditions were added narrowest first */
            const pix_rendition *r = host->job_rendition(job, i);
            if (!r || !r->stored || made_here(cfg, r) != j)
                continue;
            if (!set)
                set = host->rec_object(host->job_record(job), "srcset");
            pix_record *e = host->rec_append(set, srcset_formats[cfg->f[j]]);
            host->rec_set_int(e, "width", r->width);
            host->rec_set_int(e, "height", r->height);
            host->rec_set_str(e, "key", r->key);
            host->rec_set_int(e, "bytes", (int64_t)r->bytes);
        }
    if (set && cfg->manifest) {
        char *json = host->rec_to_json(set);
        if (!json)
            return host->job_error(job, "srcset manifest: out of memory");
        rc = host->job_put_object(job, cfg->manifest_name, "json", "application/json", json,
                                  strlen(json));
        free(json);
    }
    return rc;
}

PIX_STAGE_PLUGIN("srcset", "1.1.0",
                 "Adds a responsive set: each width in each format as a rendition, with a "
                 "srcset manifest in the record (and optionally stored)",
                 srcset_process, .check = srcset_check, .min_scale = srcset_min_scale,
                 .finish = srcset_finish, .rendition_name = srcset_rendition_name,
                 .options = srcset_options, .config_size = sizeof(srcset_config),
                 .flags = PIX_PLUGIN_KEEPS_IMAGE);
