/* Destination key templates, rendition names and the key safety check
 * (core/keys.c).  Input: TEMPLATE NUL SOURCE-KEY NUL RENDITION NUL EXT,
 * later parts optional ("photos/cat.jpg", "main", "jpg" when absent).
 * Checks what keys.h promises: an expanded key is never empty, never starts
 * with '/', has no "//" and passes pix_key_check(); the default template
 * expands for every safe source key, rendition and extension; both
 * template checks agree; a key pix_key_check_len() accepts is not empty,
 * absolute, or holding a NUL. */
#include "fuzz.h"
#include "keys.h"

#define DEFAULT_TEMPLATE "{dir}/{name}-{rendition}.{ext}"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *part[4];
    size_t n = fz_split(data, size, part, 4);
    const char *tmpl = part[0];
    const char *key = n > 1 ? part[1] : "photos/cat.jpg";
    const char *rendition = n > 2 ? part[2] : "main";
    const char *ext = n > 3 ? part[3] : "jpg";
    pix_err err = { { 0 } };

    int checked = pix_template_check(tmpl, &err);
    FZ_CHECK(checked == 0 || err.msg[0], "check failed without a message");
    FZ_CHECK(pix_template_check_as(tmpl, "the value from ${KEY}", &err) == checked,
             "the two template checks disagree on '%s'", tmpl);
    char *out = pix_template_expand(tmpl, key, rendition, ext, &err);
    if (out) {
        const char *why = NULL;
        FZ_CHECK(out[0] && out[0] != '/', "expanded to '%s'", out);
        FZ_CHECK(!strstr(out, "//"), "'//' in '%s'", out);
        FZ_CHECK(pix_key_check(out, &why) == 0, "expanded to the unsafe '%s': %s", out, why);
        free(out);
    } else {
        FZ_CHECK(err.msg[0], "expand failed without a message");
        FZ_CHECK(strcmp(tmpl, DEFAULT_TEMPLATE) != 0 || pix_key_check(key, NULL) < 0 ||
                     pix_rendition_check(rendition, NULL) < 0 || pix_rendition_check(ext, NULL) < 0,
                 "the default template refused the safe key '%s' (%s, %s): %s", key, rendition,
                 ext, err.msg);
    }

    /* The check on raw bytes, NULs included (the host API's key_check). */
    const char *why = NULL;
    if (pix_key_check_len((const char *)data, size, &why) == 0) {
        FZ_CHECK(size > 0 && data[0] != '/' && !memchr(data, 0, size),
                 "accepted an empty, absolute or NUL-holding key");
        FZ_CHECK(data[size - 1] != '/', "accepted a key ending with '/'");
    } else {
        FZ_CHECK(why, "refused without a reason");
    }
    fz_free_all(part, n);
    return 0;
}
