/*
 * metadata-sink: reads the description of an ICC profile, the name users
 * know a profile by ("Adobe RGB (1998)", "Display P3").
 *
 * The profile comes from the image file, so every length and offset in it
 * is untrusted: each is checked against the blob's real length before a
 * byte is read, with arithmetic that cannot overflow (a - b only once
 * b <= a).  A field that lies is a reason to leave the description out,
 * never to read past the blob.
 *
 * Layout (ICC.1:2010, big-endian): a 128-byte header ('acsp' at 36), a tag
 * count at 128, then 12-byte entries {signature, offset, size}.  The 'desc'
 * tag is of type
 *   'desc' (v2 textDescriptionType): 'desc', 4 reserved, uint32 ASCII count
 *          (with its NUL), the ASCII text, then uint32 language, uint32
 *          UTF-16 count (characters), UTF-16BE text, then ScriptCode;
 *   'mluc' (v4 multiLocalizedUnicodeType): 'mluc', 4 reserved, uint32
 *          record count, uint32 record size (12), records {uint16 language,
 *          uint16 country, uint32 length in bytes, uint32 offset from the
 *          tag's start}; UTF-16BE strings;
 *   'text' (seen in some v2 profiles): 'text', 4 reserved, ASCII to the end.
 */
#include <string.h>

#include "sink.h"

#define ICC_HEADER 128
#define ICC_TAG_ENTRY 12

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* A 4-byte signature as text: printable ASCII, trailing spaces dropped;
 * "" when it holds anything else. */
static void icc_sig(const unsigned char *p, char out[5])
{
    size_t n = 4;
    for (size_t i = 0; i < 4; i++)
        if (p[i] < 0x20 || p[i] > 0x7E) {
            out[0] = '\0';
            return;
        }
    memcpy(out, p, 4);
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

/* UTF-16BE (nbytes, an odd last byte ignored) to UTF-8 in out, stopping at a
 * NUL unit; unpaired surrogates become U+FFFD.  Then cleaned like any text. */
static void utf16be_to_text(const unsigned char *s, size_t nbytes, char *out, size_t size)
{
    char tmp[1024];
    size_t len = 0, units = nbytes / 2;

    tmp[0] = '\0';
    for (size_t i = 0; i < units; i++) {
        uint32_t cp = be16(s + 2 * i);
        if (cp == 0)
            break;
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < units) {
            uint32_t lo = be16(s + 2 * (i + 1));
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        if (!ms_utf8_put(tmp, sizeof tmp, &len, cp))
            break;
    }
    ms_text_clean(tmp, len, out, size);
}

/* Finds the 'desc' tag: *tag and *size within p[0..len).  Returns 0, or -1
 * with *why. */
static int icc_find_desc(const unsigned char *p, size_t len, const unsigned char **tag,
                         size_t *size, const char **why)
{
    if (len < ICC_HEADER + 4) {
        *why = "no tag table";
        return -1;
    }
    uint32_t count = be32(p + ICC_HEADER);
    /* A count larger than the blob can hold is cut to what is there: the
     * entries that fit are still checked one by one. */
    size_t room = (len - ICC_HEADER - 4) / ICC_TAG_ENTRY;
    size_t n = count < room ? count : room;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *e = p + ICC_HEADER + 4 + i * ICC_TAG_ENTRY;
        if (memcmp(e, "desc", 4) != 0)
            continue;
        uint32_t off = be32(e + 4), sz = be32(e + 8);
        if (off > len || sz > len - off) {
            *why = "the 'desc' tag lies outside the profile (truncated or corrupt)";
            return -1;
        }
        if (sz < 12) {
            *why = "the 'desc' tag is too short";
            return -1;
        }
        *tag = p + off;
        *size = sz;
        return 0;
    }
    *why = count > room ? "the tag table runs past the end of the profile"
                        : "the profile has no 'desc' tag";
    return -1;
}

/* v2 textDescriptionType: the ASCII text, else its Unicode twin. */
static int icc_desc_v2(const unsigned char *t, size_t size, ms_icc *out, const char **why)
{
    size_t avail = size - 12;
    uint32_t count = be32(t + 8);
    if (count > avail) {
        *why = "the 'desc' text is longer than its tag";
        return -1;
    }
    if (ms_text_clean((const char *)t + 12, count, out->description,
                      sizeof out->description) > 0)
        return 0;
    /* Unicode part: language (4), character count (4), UTF-16BE. */
    size_t uc = 12 + (size_t)count;
    if (uc <= size && size - uc >= 8) {
        uint32_t chars = be32(t + uc + 4);
        size_t left = size - uc - 8;
        if (chars <= left / 2)
            utf16be_to_text(t + uc + 8, (size_t)chars * 2, out->description,
                            sizeof out->description);
    }
    if (out->description[0])
        return 0;
    *why = "the 'desc' text is empty";
    return -1;
}

/* v4 multiLocalizedUnicodeType: the first record's string. */
static int icc_desc_mluc(const unsigned char *t, size_t size, ms_icc *out, const char **why)
{
    if (size < 16 + 12) {
        *why = "the 'mluc' tag is too short for one record";
        return -1;
    }
    uint32_t records = be32(t + 8), recsize = be32(t + 12);
    if (records == 0 || recsize < 12) {
        *why = "the 'mluc' tag has no usable record";
        return -1;
    }
    uint32_t slen = be32(t + 16 + 4), soff = be32(t + 16 + 8);
    if (soff > size || slen > size - soff) {
        *why = "the 'mluc' string lies outside its tag";
        return -1;
    }
    utf16be_to_text(t + soff, slen, out->description, sizeof out->description);
    if (out->description[0])
        return 0;
    *why = "the 'mluc' string is empty";
    return -1;
}

static int icc_description(const unsigned char *p, size_t len, ms_icc *out, const char **why)
{
    const unsigned char *t = NULL;
    size_t size = 0;

    if (icc_find_desc(p, len, &t, &size, why) != 0)
        return -1;
    if (memcmp(t, "desc", 4) == 0)
        return icc_desc_v2(t, size, out, why);
    if (memcmp(t, "mluc", 4) == 0)
        return icc_desc_mluc(t, size, out, why);
    if (memcmp(t, "text", 4) == 0) {
        if (ms_text_clean((const char *)t + 8, size - 8, out->description,
                          sizeof out->description) > 0)
            return 0;
        *why = "the 'desc' text is empty";
        return -1;
    }
    *why = "the 'desc' tag has an unknown type";
    return -1;
}

int ms_icc_read(const unsigned char *p, size_t len, ms_icc *out, const char **why)
{
    memset(out, 0, sizeof *out);
    if (!p || len < ICC_HEADER) {
        *why = "shorter than an ICC profile header";
        return -1;
    }
    if (memcmp(p + 36, "acsp", 4) != 0) {
        *why = "no ICC signature ('acsp')";
        return -1;
    }
    icc_sig(p + 12, out->device_class);
    icc_sig(p + 16, out->colour_space);
    out->version_major = p[8];
    out->version_minor = p[9] >> 4;
    const char *problem = NULL;
    if (icc_description(p, len, out, &problem) != 0) {
        out->description[0] = '\0';
        out->desc_problem = problem;
    }
    return 0;
}
