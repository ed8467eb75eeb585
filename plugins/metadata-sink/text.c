/*
 * metadata-sink: text from files (EXIF strings, ICC descriptions) made fit
 * for the record.  The record is JSON, which must be valid UTF-8, and the
 * bytes come from whoever made the image: anything may be in them.
 */
#include <string.h>

#include "sink.h"

bool ms_utf8_put(char *out, size_t size, size_t *len, uint32_t cp)
{
    unsigned char b[4];
    size_t n;

    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (size == 0 || *len + n > size - 1)
        return false;
    memcpy(out + *len, b, n);
    *len += n;
    out[*len] = '\0';
    return true;
}

/* Decodes one UTF-8 character at s (avail bytes).  Returns its length and
 * sets *cp, or 0 when the bytes are not a well-formed character (overlong,
 * surrogate, beyond U+10FFFF, cut short). */
static size_t utf8_next(const unsigned char *s, size_t avail, uint32_t *cp)
{
    static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t n;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2;
        c = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3;
        c = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

size_t ms_text_clean(const char *in, size_t n, char *out, size_t size)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t len = 0, i = 0, start = 0;

    if (size == 0)
        return 0;
    out[0] = '\0';
    if (!in)
        return 0;
    while (i < n && s[i] != '\0') {
        uint32_t cp = 0xFFFD;
        size_t step = utf8_next(s + i, n - i, &cp);
        if (step == 0) {
            step = 1; /* one bad byte, one replacement character */
            cp = 0xFFFD;
        }
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
            cp = ' ';
        if (!ms_utf8_put(out, size, &len, cp))
            break;
        i += step;
    }
    while (len > 0 && out[len - 1] == ' ')
        out[--len] = '\0';
    while (start < len && out[start] == ' ')
        start++;
    if (start > 0) {
        memmove(out, out + start, len - start + 1);
        len -= start;
    }
    return len;
}
