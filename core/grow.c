#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

void *pix_grow(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t want = *cap ? *cap * 2 : first;
    /* A count that overflows would realloc a smaller block than it names. */
    if (want < *cap || (size && want > SIZE_MAX / size))
        return NULL;
    void *grown = realloc(items, want * size);
    if (grown)
        *cap = want;
    return grown;
}
