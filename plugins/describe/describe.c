/*
 * describe: adds to the record what a front end wants of an image before
 * it shows it, computed once from a 64 px copy of the working image (no
 * second decode; place it after resize, where the working image is
 * already small):
 *
 *   placeholder.blurhash   str   BlurHash, components blurhash_x x blurhash_y
 *   placeholder.thumbhash  str   ThumbHash, base64
 *   placeholder.lqip       str   data URI of a tiny WebP or JPEG, at most
 *                                lqip_max_bytes, without metadata
 *   colour.average         str   "#rrggbb", the mean in linear light
 *   colour.dominant        str   "#rrggbb", the largest cluster
 *   palette                list  { colour, share } of up to `palette`
 *                                clusters (k-means in CIELAB), largest
 *                                first; shares of the counted pixels
 *   hash.dhash, hash.phash str   64-bit perceptual hashes, 16 hex digits
 *
 * Pixels less than half opaque count for no colour.  Each part can be
 * switched off; each part's cost is in the record's timings_ms as
 * "describe.NAME".  The working image is left as it is.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <pixpipe/stage.h>

#include "blurhash.h"
#include "colours.h"
#include "lqip.h"
#include "phash.h"
#include "small.h"
#include "thumbhash.h"

typedef struct describe_config {
    bool blurhash, thumbhash, lqip, colours, hashes;
    int64_t blurhash_x, blurhash_y;
    int lqip_format;
    int64_t lqip_size;
    uint64_t lqip_max_bytes;
    int64_t palette;
} describe_config;

static const char *const lqip_formats[] = { "webp", "jpeg", NULL };

static const pix_option describe_options[] = {
    { .name = "blurhash", .type = PIX_OPT_BOOL, .offset = offsetof(describe_config, blurhash),
      .def = "true", .doc = "Add placeholder.blurhash." },
    { .name = "blurhash_x", .type = PIX_OPT_INT, .offset = offsetof(describe_config, blurhash_x),
      .def = "4", .min = 1, .max = 9, .doc = "BlurHash components across, 1..9." },
    { .name = "blurhash_y", .type = PIX_OPT_INT, .offset = offsetof(describe_config, blurhash_y),
      .def = "3", .min = 1, .max = 9, .doc = "BlurHash components down, 1..9." },
    { .name = "thumbhash", .type = PIX_OPT_BOOL, .offset = offsetof(describe_config, thumbhash),
      .def = "true", .doc = "Add placeholder.thumbhash (base64)." },
    { .name = "lqip", .type = PIX_OPT_BOOL, .offset = offsetof(describe_config, lqip),
      .def = "true", .doc = "Add placeholder.lqip, a data URI of a tiny image." },
    { .name = "lqip_format", .type = PIX_OPT_ENUM, .offset = offsetof(describe_config, lqip_format),
      .def = "webp", .choices = lqip_formats, .doc = "The tiny image's format: webp or jpeg." },
    { .name = "lqip_size", .type = PIX_OPT_INT, .offset = offsetof(describe_config, lqip_size),
      .def = "16", .min = 4, .max = 64, .doc = "The tiny image's long side in pixels, 4..64." },
    { .name = "lqip_max_bytes", .type = PIX_OPT_SIZE,
      .offset = offsetof(describe_config, lqip_max_bytes), .def = "600", .min = 100,
      .max = 65536,
      .doc = "Most bytes of the tiny image (before base64): the quality, then the size, is "
             "lowered to fit." },
    { .name = "colours", .type = PIX_OPT_BOOL, .offset = offsetof(describe_config, colours),
      .def = "true", .doc = "Add colour.average, colour.dominant and the palette." },
    { .name = "palette", .type = PIX_OPT_INT, .offset = offsetof(describe_config, palette),
      .def = "5", .min = 0, .max = DESCRIBE_PALETTE_MAX,
      .doc = "Most colours in the palette, 0..16; 0 leaves the list out (the dominant colour "
             "stays)." },
    { .name = "hashes", .type = PIX_OPT_BOOL, .offset = offsetof(describe_config, hashes),
      .def = "true", .doc = "Add hash.dhash and hash.phash (64-bit, hex)." },
    { .name = NULL },
};

static double now_ms(void) { return (double)g_get_monotonic_time() / 1000.0; }

static int describe_placeholders(const pix_ctx *ctx, pix_job *job, const describe_pixels *px)
{
    const describe_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    pix_record *ph = NULL;
    double t0;

    if (cfg->blurhash || cfg->thumbhash || cfg->lqip)
        ph = host->rec_object(host->job_record(job), "placeholder");
    if (cfg->blurhash) {
        char hash[4 + 2 * 81 + 1];
        t0 = now_ms();
        if (describe_blurhash(px->rgba, px->width, px->height, (int)cfg->blurhash_x,
                              (int)cfg->blurhash_y, hash, sizeof hash) < 0)
            return host->job_error(job, "cannot compute the BlurHash of %dx%d pixels",
                                   px->width, px->height);
        host->rec_set_str(ph, "blurhash", hash);
        host->job_time(job, "describe.blurhash", now_ms() - t0);
    }
    if (cfg->thumbhash) {
        unsigned char bytes[DESCRIBE_THUMBHASH_MAX];
        char b64[4 * ((DESCRIBE_THUMBHASH_MAX + 2) / 3) + 1];
        size_t len = 0;
        t0 = now_ms();
        if (describe_thumbhash(px->rgba, px->width, px->height, bytes, sizeof bytes, &len) < 0)
            return host->job_error(job, "cannot compute the ThumbHash of %dx%d pixels",
                                   px->width, px->height);
        EVP_EncodeBlock((unsigned char *)b64, bytes, (int)len);
        host->rec_set_str(ph, "thumbhash", b64);
        host->job_time(job, "describe.thumbhash", now_ms() - t0);
    }
    if (cfg->lqip) {
        char *uri = NULL;
        size_t bytes = 0;
        t0 = now_ms();
        int rc = describe_lqip(px, (int)cfg->lqip_size, cfg->lqip_format == 0,
                               (size_t)cfg->lqip_max_bytes, &uri, &bytes);
        if (rc < 0)
            return host->job_vips_error(job, "cannot encode the placeholder image");
        if (rc > 0)
            host->job_note(job, "describe: no %s placeholder fits in %llu bytes; lqip left out",
                           lqip_formats[cfg->lqip_format],
                           (unsigned long long)cfg->lqip_max_bytes);
        else
            host->rec_set_str(ph, "lqip", uri);
        g_free(uri);
        host->job_time(job, "describe.lqip", now_ms() - t0);
    }
    return 0;
}

static int describe_colour(const pix_ctx *ctx, pix_job *job, const describe_pixels *px)
{
    const describe_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    pix_record *rec = host->job_record(job);
    describe_colours c;
    char hex[8];
    double t0 = now_ms();

    if (describe_colours_of(px, cfg->palette > 0 ? (int)cfg->palette : 5, &c) < 0)
        return host->job_vips_error(job, "cannot compute the colours");
    if (c.n == 0)
        host->job_note(job, "describe: no pixel is half opaque; colours left out");
    else {
        pix_record *col = host->rec_object(rec, "colour");
        describe_hex(c.average, hex);
        host->rec_set_str(col, "average", hex);
        describe_hex(c.palette[0].rgb, hex);
        host->rec_set_str(col, "dominant", hex);
        for (int i = 0; i < c.n && i < cfg->palette; i++) {
            pix_record *sw = host->rec_append(rec, "palette");
            describe_hex(c.palette[i].rgb, hex);
            host->rec_set_str(sw, "colour", hex);
            host->rec_set_num(sw, "share", round(c.palette[i].share * 1e4) / 1e4);
        }
    }
    host->job_time(job, "describe.colours", now_ms() - t0);
    return 0;
}

static int describe_hash(const pix_ctx *ctx, pix_job *job, const describe_pixels *px)
{
    const pix_host *host = ctx->host;
    uint64_t d, p;
    char hex[17];
    double t0 = now_ms();

    if (describe_hashes(px, &d, &p) < 0)
        return host->job_vips_error(job, "cannot compute the perceptual hashes");
    pix_record *h = host->rec_object(host->job_record(job), "hash");
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)d);
    host->rec_set_str(h, "dhash", hex);
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)p);
    host->rec_set_str(h, "phash", hex);
    host->job_time(job, "describe.hashes", now_ms() - t0);
    return 0;
}

static int describe_process(const pix_ctx *ctx, pix_job *job)
{
    const describe_config *cfg = ctx->config;
    const pix_host *host = ctx->host;
    describe_pixels px;
    int rc = -1;

    if (!cfg->blurhash && !cfg->thumbhash && !cfg->lqip && !cfg->colours && !cfg->hashes)
        return 0;
    /* The working image stays in use after this stage: read it from the
     * job's in-memory copy, so the source is decoded once. */
    VipsImage *img = host->job_image_shared(job);
    if (!img)
        return -1;
    double t0 = now_ms();
    if (describe_small(img, DESCRIBE_SMALL_SIDE, &px) < 0)
        return host->job_vips_error(job, "cannot make the %d px copy to describe",
                                    DESCRIBE_SMALL_SIDE);
    host->job_time(job, "describe.scale", now_ms() - t0);
    if (describe_placeholders(ctx, job, &px) < 0 ||
        (cfg->colours && describe_colour(ctx, job, &px) < 0) ||
        (cfg->hashes && describe_hash(ctx, job, &px) < 0))
        goto out;
    rc = 0;
out:
    describe_pixels_clear(&px);
    return rc;
}

PIX_STAGE_PLUGIN("describe", "1.0.0",
                 "Adds placeholders (BlurHash, ThumbHash, a tiny data URI), colours, a palette "
                 "and perceptual hashes to the record",
                 describe_process, .options = describe_options,
                 .config_size = sizeof(describe_config), .flags = PIX_PLUGIN_SCALE_NEUTRAL);
