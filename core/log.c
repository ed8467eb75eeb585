#include "log.h"

#include "err.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_mutex_t term = PTHREAD_MUTEX_INITIALIZER;
static pix_log_level min_level = PIX_LOG_INFO;
static int progress_showing;

void pix_log_set_level(pix_log_level level) { min_level = level; }
pix_log_level pix_log_get_level(void) { return min_level; }
void pix_term_lock(void) { pthread_mutex_lock(&term); }
void pix_term_unlock(void) { pthread_mutex_unlock(&term); }
void pix_progress_set_showing(int showing) { progress_showing = showing; }

void pix_progress_clear_locked(void)
{
    if (progress_showing) {
        fputs("\r\033[K", stderr);
        progress_showing = 0;
    }
}

/* The length of the well-formed UTF-8 character at s (2 to 4 bytes), or 0
 * when s does not start one: overlong forms, surrogates and code points
 * past U+10FFFF are refused, as are the C1 controls U+0080..U+009F, which
 * some terminals obey as escape sequences (U+009B is CSI). */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    if (c == 0xc2)
        lo = 0xa0; /* U+0080..U+009F: C1 controls */
    else if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* past U+10FFFF */
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

size_t pix_log_escape(const char *in, char *out, size_t out_size)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    size_t len = 0;

    if (!out_size)
        return 0;
    while (*s) {
        char piece[4];
        const char *from = piece;
        size_t n;
        if (*s == '\n' || *s == '\r' || *s == '\t') {
            piece[0] = '\\';
            piece[1] = *s == '\n' ? 'n' : *s == '\r' ? 'r' : 't';
            n = 2;
        } else if (*s >= 0x20 && *s < 0x7f) {
            piece[0] = (char)*s;
            n = 1;
        } else if (*s >= 0x80 && (n = utf8_len(s)) > 0) {
            from = (const char *)s; /* kept whole, so names in any script read as typed */
        } else {
            piece[0] = '\\';
            piece[1] = 'x';
            piece[2] = digits[*s >> 4];
            piece[3] = digits[*s & 15];
            n = 4;
        }
        /* A piece that does not fit is left out whole: never half an
         * escape or half a character, and always room for the NUL. */
        if (len + n >= out_size)
            break;
        memcpy(out + len, from, n);
        len += n;
        s += from == piece ? 1 : n;
    }
    out[len] = '\0';
    return len;
}

void pix_logv(pix_log_level level, const char *who, const char *fmt, va_list ap)
{
    static const char *const names[] = { "debug: ", "", "warning: ", "error: " };
    char line[4096], shown[4 * sizeof line], who_shown[256];

    if (level < min_level)
        return;
    vsnprintf(line, sizeof line, fmt, ap);
    /* The message often quotes file names and keys, which may hold a line
     * break or a terminal escape: escaped, one event stays one line and
     * cannot forge another. */
    pix_log_escape(line, shown, sizeof shown);
    if (who)
        pix_log_escape(who, who_shown, sizeof who_shown);
    pix_term_lock();
    pix_progress_clear_locked();
    fprintf(stderr, "pixpipe: %s%s%s%s\n", names[level > 3 ? 3 : level], who ? who_shown : "",
            who ? ": " : "", shown);
    pix_term_unlock();
}

void pix_log(pix_log_level level, const char *who, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_logv(level, who, fmt, ap));
}
