/* metadata-sink's ICC profile reader (plugins/metadata-sink/icc.c) and the
 * text cleaner under it (text.c).  Input: an ICC profile, untrusted bytes
 * as found in an image file.  Checks what sink.h promises: the description
 * and signatures are short, valid UTF-8 without control characters or
 * spaces at either end, so they go into the record as they are; a problem
 * comes with its reason.
 * Links: plugins/metadata-sink/icc.c plugins/metadata-sink/text.c
 */
#include "fuzz.h"
#include "sink.h"

/* What ms_text_clean() promises of its output, len bytes long. */
static void check_clean(const char *out, size_t len, size_t size, const char *what)
{
    FZ_CHECK(len < size && strlen(out) == len, "%s: length %zu of %zu", what, len, size);
    FZ_CHECK(fz_utf8_ok(out), "%s: not UTF-8", what);
    for (size_t i = 0; i < len; i++)
        FZ_CHECK((unsigned char)out[i] >= 0x20 && out[i] != 0x7f, "%s: control character",
                 what);
    FZ_CHECK(len == 0 || (out[0] != ' ' && out[len - 1] != ' '), "%s: not trimmed", what);
}

static void check_sig(const char *s, const char *what)
{
    size_t n = strlen(s);
    FZ_CHECK(n <= 4, "%s: '%s'", what, s);
    for (size_t i = 0; i < n; i++)
        FZ_CHECK(s[i] >= 0x20 && s[i] <= 0x7e, "%s: not printable", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_icc icc;
    const char *why = NULL;

    if (ms_icc_read(data, size, &icc, &why) == 0) {
        check_clean(icc.description, strlen(icc.description), sizeof icc.description,
                    "description");
        FZ_CHECK(icc.description[0] || icc.desc_problem, "no description and no reason");
        check_sig(icc.colour_space, "colour space");
        check_sig(icc.device_class, "device class");
    } else {
        FZ_CHECK(why, "refused without a reason");
    }

    /* The cleaner on the raw bytes, into a small and a large buffer. */
    char small[8], large[512];
    size_t n = ms_text_clean((const char *)data, size, small, sizeof small);
    check_clean(small, n, sizeof small, "text (8)");
    n = ms_text_clean((const char *)data, size, large, sizeof large);
    check_clean(large, n, sizeof large, "text (512)");
    return 0;
}
