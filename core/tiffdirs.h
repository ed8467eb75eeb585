/* Counting a TIFF's directories (pages) from its bytes, before libvips or
 * libtiff open it. */
#ifndef PIX_CORE_TIFFDIRS_H
#define PIX_CORE_TIFFDIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The number of directories in the TIFF or BigTIFF held in data[0..len),
 * following only the chain of next-directory offsets: a chain that loops
 * is counted once round, one that runs off the end stops there.  -1 when
 * the bytes are not a TIFF.  Borrows data; allocates nothing. */
int64_t pix_tiff_directories(const void *data, size_t len);

#endif
