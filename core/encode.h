/* Output formats: names, extensions, MIME types, and encoding a rendition. */
#ifndef PIX_CORE_ENCODE_H
#define PIX_CORE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <vips/vips.h>
#include <pixpipe/pixpipe.h>
#include "err.h"

/* The format family of the loader libvips picks for these bytes: "jpeg",
 * "png", "webp", "gif", "tiff", "heif", "svg", "pdf", ... or NULL when no
 * loader recognises them.  Returns a static string. */
const char *pix_format_detect(const void *data, size_t len);

/* The format a rendition is written in: `requested` unless it is "source",
 * then the source's family when we can write it, else png for images with
 * alpha and jpeg otherwise.  Returns a static string. */
const char *pix_format_resolve(const char *requested, const char *source_format, bool has_alpha);

/* File extension ("jpg") and MIME type ("image/jpeg") of a format. */
const char *pix_format_ext(const char *format);
const char *pix_format_mime(const char *format);

/* The format a MIME type names ("image/png" -> "png"), or NULL. */
const char *pix_format_from_mime(const char *mime);

/* The format a file name's extension suggests ("a/b.JPG" -> "jpeg"), or
 * NULL.  Only a guess, for plans made without reading the object. */
const char *pix_format_from_name(const char *key);

/* Whether this libvips writes format (host->format_can_save): one probe
 * per format and process; false for an unknown format. */
bool pix_format_can_save(const char *format);

/* Encodes img (borrowed) as format with enc's options.  *buf is allocated
 * with g_malloc: caller frees with g_free().  Returns 0 or -1 with err. */
int pix_encode_image(VipsImage *img, const char *format, const pix_encode *enc, void **buf,
                     size_t *len, pix_err *err);

#endif
