/* Output formats: names, extensions, MIME types, and encoding a rendition. */
#ifndef PIX_CORE_ENCODE_H
#define PIX_CORE_ENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <vips/vips.h>
#include <pixpipe/pixpipe.h>
#include "err.h"

/* The format family of these bytes: "jpeg", "png", "webp", "gif", "tiff",
 * "heif", "jxl", "svg", "pdf", ... (the names of pix_format_info), "other"
 * for a loader pixpipe does not know, or NULL when nothing recognises them.
 * Only the sniffers of loaders libvips does not block run; the formats of
 * blocked loaders, and those libvips reads only from files or leaves to
 * ImageMagick (PostScript, .v, PPM, FITS, OpenEXR), are named from their
 * signatures, so a refused format is still named without running any of
 * its code.  *what (what may be NULL) gets how to call the bytes in a
 * message ("a PDF document"), NULL with NULL.  Returns a static string. */
const char *pix_format_detect(const void *data, size_t len, const char **what);

/* Whether a pipeline may accept a format in limits.formats. */
typedef enum pix_format_policy {
    PIX_FORMAT_DEFAULT, /* accepted unless limits.formats leaves it out  */
    PIX_FORMAT_OPT_IN,  /* untrusted libvips loader: only when listed    */
    PIX_FORMAT_NEVER,   /* refused by `validate` whatever the list says  */
} pix_format_policy;

/* A format pixpipe can detect.  All strings are static. */
typedef struct pix_format_info {
    const char *name;         /* "jpeg": job->format's family, limits.formats */
    const char *what;         /* "a JPEG image", for messages                 */
    pix_format_policy policy;
    const char *loader;       /* OPT_IN: the libvips loader class that opting
                                 in unblocks ("VipsForeignLoadSvg"); else NULL */
    const char *why;          /* NEVER: why no pipeline may accept it         */
} pix_format_info;

/* The format a name or alias names ("JPG", "tif", "avif" -> heif, "pnm" ->
 * ppm), case-insensitive; NULL when unknown. */
const pix_format_info *pix_format_info_find(const char *name);
/* The i-th known format, NULL past the last: for listing them. */
const pix_format_info *pix_format_info_at(size_t i);

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

/* img (borrowed) as format's encoder is given it: the first frame of an
 * animation a format cannot hold, 8 bits for the 8-bit codecs, alpha
 * flattened on white for JPEG.  *out is a new reference (caller unrefs).
 * Returns 0 or -1 with err. */
int pix_encode_prepare(VipsImage *img, const char *format, VipsImage **out, pix_err *err);

/* Encodes img (borrowed) as format with enc's options.  *buf is allocated
 * with g_malloc: caller frees with g_free().  Returns 0 or -1 with err. */
int pix_encode_image(VipsImage *img, const char *format, const pix_encode *enc, void **buf,
                     size_t *len, pix_err *err);

#endif
