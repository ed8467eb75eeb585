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
    va_list ap;
    va_start(ap, fmt);
    pix_err_vset(err, fmt, ap);
    va_end(ap);
    return -1;
}

int pix_err_prefix(pix_err *err, const char *fmt, ...)
{
    char prefix[512], old[sizeof err->msg];
    va_list ap;

    if (!err)
        return -1;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
    return -1;
}
