#include "wire.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* 0 when all n bytes came, -1 at end of file or on an error. */
static int read_all(int fd, unsigned char *p, size_t n)
{
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

int pix_wire_send(int fd, const json_t *msg)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    int rc = -1;
    if (!text)
        return -1;
    size_t len = strlen(text);
    if (len > PIX_WIRE_MAX)
        goto out;
    unsigned char head[4] = { (unsigned char)len, (unsigned char)(len >> 8),
                              (unsigned char)(len >> 16), (unsigned char)(len >> 24) };
    rc = write_all(fd, head, 4) == 0 && write_all(fd, (unsigned char *)text, len) == 0 ? 0 : -1;
out:
    free(text);
    return rc;
}

json_t *pix_wire_recv(int fd)
{
    unsigned char head[4];
    json_t *msg = NULL;
    if (read_all(fd, head, 4) < 0)
        return NULL;
    size_t len = (size_t)head[0] | (size_t)head[1] << 8 | (size_t)head[2] << 16 |
                 (size_t)head[3] << 24;
    if (len > PIX_WIRE_MAX)
        return NULL;
    unsigned char *text = malloc(len ? len : 1);
    if (text && read_all(fd, text, len) == 0)
        msg = json_loadb((const char *)text, len, 0, NULL);
    free(text);
    if (msg && !json_is_object(msg)) {
        json_decref(msg);
        msg = NULL;
    }
    return msg;
}
