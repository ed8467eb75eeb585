#include "err.h"

#include <stdio.h>
#include <string.h>

int pix_err_vset(pix_err *err, const char *fmt, va_list ap)
{
    if (err)
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return -1;
}

int pix_err_set(pix_err *err, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_err_vset(err, fmt, ap));
    return -1;
}

int pix_err_prefix(pix_err *err, const char *fmt, ...)
{
    char prefix[512];
    va_list ap;

    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* shift the old message right, truncating its end if it must */
    size_t plen = strlen(prefix) + 2, cap = sizeof err->msg - 1;
    if (plen > cap)
        plen = cap;
    size_t olen = strnlen(err->msg, cap);
    if (olen > cap - plen)
        olen = cap - plen;
    memmove(err->msg + plen, err->msg, olen);
    memcpy(err->msg, prefix, plen - 2);
    err->msg[plen - 2] = ':';
    err->msg[plen - 1] = ' ';
    err->msg[plen + olen] = '\0';
    return -1;
}

#include <pthread.h>
#include <time.h>
#include <vips/vips.h>

char *pix_one_line(const char *src, char *buf, size_t size)
{
    size_t n = 0;

    for (; *src && n + 3 < size; src++) {
        if (*src == '\n' || *src == '\r') {
            if (src[1] && src[1] != '\n' && src[1] != '\r')
                buf[n++] = ';', buf[n++] = ' ';
        } else {
            buf[n++] = *src;
        }
    }
    while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == ';'))
        n--;
    buf[n] = '\0';
    return buf;
}

static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;

bool pix_vips_open_begin(void)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += PIX_VIPS_OPEN_WAIT_MS / 1000;
    until.tv_nsec += (long)(PIX_VIPS_OPEN_WAIT_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    return pthread_mutex_timedlock(&open_lock, &until) == 0;
}

void pix_vips_open_end(bool held)
{
    if (held)
        pthread_mutex_unlock(&open_lock);
}

char *pix_vips_error(char *buf, size_t size)
{
    /* Read and cleared in one step under libvips' own lock: a message
     * another thread adds meanwhile stays for that thread to take. */
    char *text = vips_error_buffer_copy();
    pix_one_line(text ? text : "", buf, size);
    g_free(text);
    /* Some libvips failures leave no message (a loader that gives up
     * after only a warning, or a message another thread took).  The
     * caller's text before it already says what failed on which file. */
    if (!buf[0])
        snprintf(buf, size, "no reason given by libvips");
    return buf;
}
