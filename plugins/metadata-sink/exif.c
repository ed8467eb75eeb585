/*
 * metadata-sink: the chosen EXIF fields and the GPS position, read from the
 * fields libvips parsed out of the header ("exif-ifd0-Make", ...).
 *
 * libvips 8.14 writes each field as "VALUE (FORMATTED, TYPE, N components,
 * N bytes)" in a 256-byte buffer: VALUE is the raw ASCII text, the
 * rationals as "n/d n/d ..." or integers, FORMATTED libexif's rendering
 * ("1/75 sec.", "f/5.9").  VALUE may itself hold " (" (a model named
 * "X (Y) 2") and a long field is cut short with its tail, so the split
 * point is found by the fact that, for text, FORMATTED repeats VALUE.
 * Numbers are parsed here, not with strtod(), so the locale cannot change
 * the decimal point.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <vips/vips.h>

#include "sink.h"

const char *const ms_exif_names[] = { "make", "model", "lens", "date_taken",
                                      "exposure_time", "f_number", "iso", NULL };

unsigned ms_exif_field(const char *name)
{
    for (size_t i = 0; name && ms_exif_names[i]; i++)
        if (strcmp(name, ms_exif_names[i]) == 0)
            return 1u << i;
    return 0;
}

/* Where VALUE ends in "VALUE (FORMATTED, ...": the first " (" followed by a
 * copy of what precedes it (whole and then ',' or ')', or cut short with the
 * string), else the first " (", else the whole string. */
static size_t exif_value_end(const char *s)
{
    size_t len = strlen(s), first = len;

    for (size_t n = 0; n + 1 < len; n++) {
        if (s[n] != ' ' || s[n + 1] != '(')
            continue;
        if (first == len)
            first = n;
        const char *rest = s + n + 2;
        size_t rest_len = len - n - 2;
        if (rest_len >= n) {
            if (memcmp(rest, s, n) == 0 && (rest[n] == ',' || rest[n] == ')'))
                return n;
        } else if (memcmp(rest, s, rest_len) == 0) {
            return n;
        }
    }
    return first;
}

size_t ms_exif_value(VipsImage *im, const char *field, char *out, size_t size)
{
    const char *s = NULL;

    out[0] = '\0';
    if (!im || !vips_image_get_typeof(im, field))
        return 0;
    if (vips_image_get_string(im, field, &s) != 0 || !s) {
        vips_error_clear(); /* a field of another type: not ours to read */
        return 0;
    }
    return ms_text_clean(s, exif_value_end(s), out, size);
}

/* A decimal "[-]ddd[.ddd][e[-]dd]" at s; returns the end, or NULL. */
static const char *parse_decimal(const char *s, double *out)
{
    bool neg = false;
    double v = 0.0;

    if (*s == '-' || *s == '+')
        neg = *s++ == '-';
    if (*s < '0' || *s > '9')
        return NULL;
    while (*s >= '0' && *s <= '9')
        v = v * 10.0 + (*s++ - '0');
    if (*s == '.') {
        double f = 0.1;
        for (s++; *s >= '0' && *s <= '9'; s++, f /= 10.0)
            v += (*s - '0') * f;
    }
    if ((*s == 'e' || *s == 'E') && ((s[1] >= '0' && s[1] <= '9') || s[1] == '-' || s[1] == '+')) {
        bool eneg = false;
        int e = 0;
        s++;
        if (*s == '-' || *s == '+')
            eneg = *s++ == '-';
        for (; *s >= '0' && *s <= '9'; s++)
            if (e < 400)
                e = e * 10 + (*s - '0');
        for (; e > 0; e--)
            v = eneg ? v / 10.0 : v * 10.0;
    }
    *out = neg ? -v : v;
    return s;
}

/* Up to max space-separated numbers "n", "n/d" from s.  Stops at the first
 * token that is not one, has a zero denominator or is not finite.  Returns
 * the count. */
static int parse_numbers(const char *s, double *v, int max)
{
    int n = 0;

    while (n < max) {
        double num = 0.0, den = 1.0;
        while (*s == ' ')
            s++;
        if (!(s = parse_decimal(s, &num)))
            break;
        if (*s == '/' && (!(s = parse_decimal(s + 1, &den)) || den == 0.0))
            break;
        if (*s != ' ' && *s != '\0')
            break;
        double q = num / den;
        if (!isfinite(q)) /* "1e999/1": the file lies, the record stays JSON */
            break;
        v[n++] = q;
    }
    return n;
}

/* The first number of a field, false when it has none. */
static bool exif_number(VipsImage *im, const char *field, double *out)
{
    char text[256];
    return ms_exif_value(im, field, text, sizeof text) > 0 && parse_numbers(text, out, 1) == 1;
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* "2008:10:22 16:28:39" (+ OffsetTimeOriginal "+02:00") as ISO 8601
 * "2008-10-22T16:28:39+02:00"; false for anything else, including the
 * "0000:00:00 00:00:00" cameras write when their clock was never set. */
static bool exif_date(VipsImage *im, char *out, size_t size)
{
    char d[256], off[256];
    size_t n = ms_exif_value(im, "exif-ifd2-DateTimeOriginal", d, sizeof d);

    if (n < 19 || !all_digits(d, 4) || d[4] != ':' || !all_digits(d + 5, 2) || d[7] != ':' ||
        !all_digits(d + 8, 2) || (d[10] != ' ' && d[10] != 'T') || !all_digits(d + 11, 2) ||
        d[13] != ':' || !all_digits(d + 14, 2) || d[16] != ':' || !all_digits(d + 17, 2))
        return false;
    if (strncmp(d, "0000", 4) == 0 || strncmp(d + 5, "00", 2) == 0)
        return false;
    size_t m = ms_exif_value(im, "exif-ifd2-OffsetTimeOriginal", off, sizeof off);
    bool has_off = m == 6 && (off[0] == '+' || off[0] == '-') && all_digits(off + 1, 2) &&
                   off[3] == ':' && all_digits(off + 4, 2);
    snprintf(out, size, "%.4s-%.2s-%.2sT%.2s:%.2s:%.2s%.6s", d, d + 5, d + 8, d + 11, d + 14,
             d + 17, has_off ? off : "");
    return true;
}

void ms_exif_record(const pix_host *host, pix_record *rec, VipsImage *im, unsigned fields)
{
    char make[256] = "", model[256] = "", lens[256] = "", date[64] = "";
    double exposure = 0.0, fnumber = 0.0, iso = 0.0;
    bool has_exposure = false, has_fnumber = false, has_iso = false;

    if (!im || !fields)
        return;
    if (fields & MS_EXIF_MAKE)
        ms_exif_value(im, "exif-ifd0-Make", make, sizeof make);
    if (fields & MS_EXIF_MODEL)
        ms_exif_value(im, "exif-ifd0-Model", model, sizeof model);
    if (fields & MS_EXIF_LENS)
        ms_exif_value(im, "exif-ifd2-LensModel", lens, sizeof lens);
    if (fields & MS_EXIF_DATE_TAKEN && !exif_date(im, date, sizeof date))
        date[0] = '\0';
    if (fields & MS_EXIF_EXPOSURE_TIME)
        has_exposure = exif_number(im, "exif-ifd2-ExposureTime", &exposure) && exposure > 0.0;
    if (fields & MS_EXIF_F_NUMBER)
        has_fnumber = exif_number(im, "exif-ifd2-FNumber", &fnumber) && fnumber > 0.0;
    /* libexif 0.6.24 names tag 0x8827 ISOSpeedRatings, later ones
     * PhotographicSensitivity (its EXIF 2.3 name). */
    if (fields & MS_EXIF_ISO)
        has_iso = (exif_number(im, "exif-ifd2-ISOSpeedRatings", &iso) ||
                   exif_number(im, "exif-ifd2-PhotographicSensitivity", &iso)) &&
                  iso >= 1.0 && iso < 1e9;
    if (!make[0] && !model[0] && !lens[0] && !date[0] && !has_exposure && !has_fnumber &&
        !has_iso)
        return;

    pix_record *obj = host->rec_object(rec, "exif");
    if (make[0])
        host->rec_set_str(obj, "make", make);
    if (model[0])
        host->rec_set_str(obj, "model", model);
    if (lens[0])
        host->rec_set_str(obj, "lens", lens);
    if (date[0])
        host->rec_set_str(obj, "date_taken", date);
    if (has_exposure)
        host->rec_set_num(obj, "exposure_time", exposure);
    if (has_fnumber)
        host->rec_set_num(obj, "f_number", fnumber);
    if (has_iso)
        host->rec_set_int(obj, "iso", (int64_t)iso);
}

/* One coordinate: "d m s" rationals and a reference letter; the letter
 * `negative` ('S' or 'W') flips the sign.  False when either is missing or
 * the value is out of range. */
static bool gps_coordinate(VipsImage *im, const char *field, const char *ref_field,
                           char positive, char negative, double limit, double *out)
{
    char text[256], ref[256];
    double v[3] = { 0.0, 0.0, 0.0 };

    if (ms_exif_value(im, field, text, sizeof text) == 0 ||
        ms_exif_value(im, ref_field, ref, sizeof ref) == 0)
        return false;
    int n = parse_numbers(text, v, 3);
    if (n < 1 || v[0] < 0.0 || v[1] < 0.0 || v[2] < 0.0)
        return false;
    double deg = v[0] + v[1] / 60.0 + v[2] / 3600.0;
    if (deg > limit)
        return false;
    if (ref[0] == negative || ref[0] == negative + ('a' - 'A'))
        deg = -deg;
    else if (ref[0] != positive && ref[0] != positive + ('a' - 'A'))
        return false;
    *out = deg;
    return true;
}

/* Metres above sea level; the reference is a byte libvips shows through
 * libexif's words: 0 "Sea level", 1 "Sea level reference" (below). */
static bool gps_altitude(VipsImage *im, double *out)
{
    char ref[256];
    double alt = 0.0;

    if (!exif_number(im, "exif-ifd3-GPSAltitude", &alt) || alt < 0.0)
        return false;
    if (ms_exif_value(im, "exif-ifd3-GPSAltitudeRef", ref, sizeof ref) > 0 &&
        (strcmp(ref, "1") == 0 || strstr(ref, "reference") || strstr(ref, "below") ||
         strstr(ref, "Below")))
        alt = -alt;
    *out = alt;
    return true;
}

void ms_gps_record(const pix_host *host, pix_record *rec, VipsImage *im)
{
    double lat = 0.0, lon = 0.0, alt = 0.0;

    if (!im)
        return;
    bool has_pos = gps_coordinate(im, "exif-ifd3-GPSLatitude", "exif-ifd3-GPSLatitudeRef", 'N',
                                  'S', 90.0, &lat) &&
                   gps_coordinate(im, "exif-ifd3-GPSLongitude", "exif-ifd3-GPSLongitudeRef",
                                  'E', 'W', 180.0, &lon);
    bool has_alt = gps_altitude(im, &alt);
    if (!has_pos && !has_alt)
        return;
    pix_record *obj = host->rec_object(rec, "gps");
    if (has_pos) {
        host->rec_set_num(obj, "latitude", lat);
        host->rec_set_num(obj, "longitude", lon);
    }
    if (has_alt)
        host->rec_set_num(obj, "altitude", alt);
}
