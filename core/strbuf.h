/* A growing NUL-terminated string. */
#ifndef PIX_CORE_STRBUF_H
#define PIX_CORE_STRBUF_H

#include <stddef.h>

typedef struct pix_strbuf {
    char *s;   /* NULL until the first append; owned, free() it */
    size_t len, cap;
} pix_strbuf;

/* Appends n bytes of s.  Returns 0, or -1 when out of memory (the buffer
 * is left as it was). */
int pix_strbuf_add(pix_strbuf *b, const char *s, size_t n);

#endif
