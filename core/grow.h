/* Room for one more item in an array that doubles as it fills. */
#ifndef PIX_CORE_GROW_H
#define PIX_CORE_GROW_H

#include <stddef.h>

/* Makes room for item n of items, an array of *cap items of size bytes
 * each (NULL when *cap is 0): when n == *cap it is reallocated to twice
 * *cap items (first when *cap is 0) and *cap updated.  Returns the array,
 * which may have moved (store it back), or NULL when out of memory; then
 * items is still valid, still the caller's, and *cap is unchanged. */
void *pix_grow(void *items, size_t n, size_t *cap, size_t size, size_t first);

#endif
