/* metadata-sink's EXIF and GPS readers (plugins/metadata-sink/exif.c,
 * text.c), which parse the strings libvips makes of EXIF fields
 * ("exif-ifd0-Make: Canon (Canon, ASCII, 6 components, 6 bytes)").
 * Input: lines as `vipsheader -a` prints them, "NAME: VALUE"; each
 * exif-* line is set on a 1x1 image as libvips would, then every field is
 * read into the record through the host API.  Checks that each value read
 * is clean text (sink.h) and that the record, numbers included, is JSON
 * that parses back, with no NaN or infinity from a lying rational.
 * Links: plugins/metadata-sink/exif.c plugins/metadata-sink/text.c
 */
#include <jansson.h>
#include <math.h>
#include <vips/vips.h>

#include "fuzz.h"
#include "host.h"
#include "record.h"
#include "sink.h"

#define MAX_FIELDS 64

/* The host API, with the setters the readers call checking their values
 * first: jansson drops a NaN or a non-UTF-8 string without a word. */
static pix_host host;

static void checked_set_str(pix_record *rec, const char *key, const char *value)
{
    FZ_CHECK(value && fz_utf8_ok(value), "%s: not UTF-8", key);
    pix_host_api.rec_set_str(rec, key, value);
}

static void checked_set_num(pix_record *rec, const char *key, double value)
{
    FZ_CHECK(isfinite(value), "%s: %g", key, value);
    pix_host_api.rec_set_num(rec, key, value);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    if (VIPS_INIT((*argv)[0]))
        abort();
    host = pix_host_api;
    host.rec_set_str = checked_set_str;
    host.rec_set_num = checked_set_num;
    return 0;
}

static void check_value(VipsImage *im, const char *field)
{
    char out[256], tiny[4];
    size_t n = ms_exif_value(im, field, out, sizeof out);
    FZ_CHECK(n < sizeof out && strlen(out) == n && fz_utf8_ok(out), "%s: bad value", field);
    for (size_t i = 0; i < n; i++)
        FZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "%s: control character",
                 field);
    n = ms_exif_value(im, field, tiny, sizeof tiny);
    FZ_CHECK(n < sizeof tiny && strlen(tiny) == n && fz_utf8_ok(tiny), "%s: bad short value",
             field);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size), *names[MAX_FIELDS];
    size_t n = 0;
    VipsImage *im = vips_image_new_matrix(1, 1);
    FZ_CHECK(im, "no image");

    for (char *line = text, *next; line && n < MAX_FIELDS; line = next) {
        if ((next = strchr(line, '\n')))
            *next++ = '\0';
        char *sep = strstr(line, ": ");
        if (!sep || strncmp(line, "exif-", 5) != 0)
            continue;
        *sep = '\0';
        vips_image_set_string(im, line, sep + 2);
        names[n++] = line;
    }

    pix_record *rec = pix_record_new();
    unsigned all = 0;
    for (size_t i = 0; ms_exif_names[i]; i++)
        all |= ms_exif_field(ms_exif_names[i]);
    FZ_CHECK(all == 0x7f && ms_exif_field("nope") == 0, "field table");
    ms_exif_record(&host, rec, im, all);
    ms_gps_record(&host, rec, im);
    for (size_t i = 0; i < n; i++)
        check_value(im, names[i]);

    char *json = pix_rec_to_json(rec);
    json_error_t jerr;
    json_t *back = json ? json_loads(json, 0, &jerr) : NULL;
    FZ_CHECK(json_is_object(back), "record does not parse back: %s", json ? json : "(null)");
    json_decref(back);
    free(json);
    pix_record_free(rec);
    g_object_unref(im);
    vips_error_clear();
    free(text);
    return 0;
}
