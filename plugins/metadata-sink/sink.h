/*
 * metadata-sink internals shared by its source files: text cleaning
 * (text.c), the ICC profile reader (icc.c) and the EXIF/GPS reader (exif.c).
 * Nothing here is exported from the plugin (-fvisibility=hidden).
 */
#ifndef MS_SINK_H
#define MS_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pixpipe/pixpipe.h>

/* ------------------------------------------------------------- text.c */

/* Copies n bytes of untrusted text into out (size bytes, size >= 4) as
 * valid UTF-8 for the record: stops at a NUL, replaces invalid sequences
 * with U+FFFD and control characters with a space, trims spaces at both
 * ends, and cuts at a character boundary when out is too small.  Returns
 * the length written (0: nothing usable). */
size_t ms_text_clean(const char *in, size_t n, char *out, size_t size);

/* Appends code point cp as UTF-8 at out[*len] when it fits in size - 1
 * bytes; returns false (nothing written) when it does not. */
bool ms_utf8_put(char *out, size_t size, size_t *len, uint32_t cp);

/* -------------------------------------------------------------- icc.c */

typedef struct ms_icc {
    char description[256]; /* UTF-8; "" when the 'desc' tag is unreadable   */
    char colour_space[5];  /* header bytes 16..19 without padding: "RGB"   */
    char device_class[5];  /* header bytes 12..15: "mntr", "prtr", ...     */
    int version_major, version_minor;
    const char *desc_problem; /* why description is "", static; NULL if read */
} ms_icc;

/* Reads the header and the 'desc' tag of an ICC profile of len bytes
 * (untrusted: every offset is checked against len).  Returns 0 with *out
 * filled (description possibly "" with desc_problem set), or -1 with *why
 * (static) when the blob is not an ICC profile at all. */
int ms_icc_read(const unsigned char *p, size_t len, ms_icc *out, const char **why);

/* ------------------------------------------------------------- exif.c */

struct _VipsImage;

/* The EXIF fields the `exif` option may name, as bits. */
enum {
    MS_EXIF_MAKE = 1u << 0,
    MS_EXIF_MODEL = 1u << 1,
    MS_EXIF_LENS = 1u << 2,
    MS_EXIF_DATE_TAKEN = 1u << 3,
    MS_EXIF_EXPOSURE_TIME = 1u << 4,
    MS_EXIF_F_NUMBER = 1u << 5,
    MS_EXIF_ISO = 1u << 6,
};

/* The bit for an `exif` option item ("make", "f_number", ...), 0 when
 * unknown; ms_exif_names lists the accepted items, NULL-terminated. */
unsigned ms_exif_field(const char *name);
extern const char *const ms_exif_names[];

/* The value part of a libvips EXIF string field ("Canon (Canon, ASCII, 6
 * components, 6 bytes)" -> "Canon"), cleaned as by ms_text_clean().  Returns
 * its length, 0 when the field is absent or empty. */
size_t ms_exif_value(struct _VipsImage *im, const char *field, char *out, size_t size);

/* Adds an "exif" object with the chosen fields the image carries; adds
 * nothing when it carries none of them. */
void ms_exif_record(const pix_host *host, pix_record *rec, struct _VipsImage *im,
                    unsigned fields);

/* Adds a "gps" object {latitude, longitude, altitude} in decimal degrees and
 * metres (south, west and below sea level negative) with what the image
 * carries; adds nothing when it carries no usable position. */
void ms_gps_record(const pix_host *host, pix_record *rec, struct _VipsImage *im);

#endif
