#include "lqip.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <webp/encode.h>
#include <stdio.h>
#include <string.h>

#include <pixpipe/stage.h>

/* The JPEG in buf without its APPn and COM segments: libvips 8.14 adds a
 * technical EXIF block even to an image that has none, a third of a tiny
 * placeholder's bytes.  Edits buf in place; returns the new length. */
static size_t jpeg_bare(unsigned char *buf, size_t len)
{
    size_t in = 2, out = 2;
    if (len < 4 || buf[0] != 0xFF || buf[1] != 0xD8)
        return len;
    while (in + 4 <= len && buf[in] == 0xFF) {
        unsigned char m = buf[in + 1];
        size_t seg = 2 + ((size_t)buf[in + 2] << 8 | buf[in + 3]);
        if (m == 0xDA || in + seg > len)
            break; /* the scan: everything after it is kept */
        bool drop = (m >= 0xE0 && m <= 0xEF) || m == 0xFE;
        if (!drop) {
            memmove(buf + out, buf + in, seg);
            out += seg;
        }
        in += seg;
    }
    memmove(buf + out, buf + in, len - in);
    return out + len - in;
}

/* Encodes img at quality q: *buf new (g_free()).  WebP through libwebp's
 * simple API, which writes the bare bitstream (libvips' saver adds an EXIF
 * chunk). */
static int encode(VipsImage *img, bool webp, int q, void **buf, size_t *len)
{
    double white[] = { 255, 255, 255 };
    VipsImage *flat = NULL;
    int rc = -1;

    if (webp) {
        size_t n;
        unsigned char *px = vips_image_write_to_memory(img, &n), *enc = NULL;
        int w = vips_image_get_width(img), h = vips_image_get_height(img);
        bool alpha = vips_image_get_bands(img) == 4;
        if (!px)
            return -1;
        size_t got = alpha ? WebPEncodeRGBA(px, w, h, w * 4, q, &enc)
                           : WebPEncodeRGB(px, w, h, w * 3, q, &enc);
        g_free(px);
        if (!got) {
            vips_error("describe", "WebP encoder failed on %dx%d", w, h);
            return -1;
        }
        *buf = g_memdup2(enc, got);
        *len = got;
        WebPFree(enc);
        return 0;
    }
    if (vips_image_hasalpha(img)) {
        if (vips_flatten(img, &flat, "background", vips_array_double_new(white, 3), NULL))
            return -1;
    } else {
        g_object_ref(img);
        flat = img;
    }
    if (!vips_jpegsave_buffer(flat, buf, len, "Q", q, "strip", TRUE, "optimize_coding", TRUE,
                              NULL)) {
        *len = jpeg_bare(*buf, *len);
        rc = 0;
    }
    g_object_unref(flat);
    return rc;
}

int describe_lqip(const describe_pixels *px, int side, bool webp, size_t max_bytes, char **uri,
                  size_t *bytes)
{
    static const int qualities[] = { 40, 25, 12 };
    VipsImage *img = describe_pixels_image(px), *small = NULL;
    void *buf = NULL;
    size_t len = 0;
    int rc = -1;

    *uri = NULL;
    if (!img)
        return -1;
    int w = px->width, h = px->height, long_side = w > h ? w : h;
    for (; side >= 4; side = side * 3 / 4) {
        double s = long_side > side ? (double)side / long_side : 1.0;
        if (small)
            g_object_unref(small);
        small = NULL;
        if (pix_resample(img, &small, pix_px(w * s), pix_px(h * s), VIPS_KERNEL_LANCZOS3))
            goto out;
        for (size_t i = 0; i < sizeof qualities / sizeof *qualities; i++) {
            g_free(buf);
            buf = NULL;
            if (encode(small, webp, qualities[i], &buf, &len))
                goto out;
            if (len <= max_bytes)
                goto found;
        }
    }
    rc = 1;
    goto out;
found:;
    const char *prefix = webp ? "data:image/webp;base64," : "data:image/jpeg;base64,";
    size_t plen = strlen(prefix);
    *uri = g_malloc(plen + 4 * ((len + 2) / 3) + 1);
    memcpy(*uri, prefix, plen);
    EVP_EncodeBlock((unsigned char *)*uri + plen, buf, (int)len);
    *bytes = len;
    rc = 0;
out:
    g_free(buf);
    if (small)
        g_object_unref(small);
    g_object_unref(img);
    return rc;
}
