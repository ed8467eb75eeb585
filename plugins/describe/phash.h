/* Perceptual hashes: dHash and pHash, 64 bits each. */
#ifndef DESCRIBE_PHASH_H
#define DESCRIBE_PHASH_H

#include <stdint.h>

#include "small.h"

/* Both hashes of px, its transparent parts flattened on white first, as
 * the imagehash family computes them from the luma: dHash from a 9x8
 * reduction (each bit: a pixel brighter than its left neighbour), pHash
 * from the 8x8 lowest frequencies of the DCT of a 32x32 reduction (each
 * bit: a coefficient above their median).  Bits read row by row, the
 * first the most significant.  The reductions are libvips' lanczos3.
 * Returns 0, or -1 with libvips' error set. */
int describe_hashes(const describe_pixels *px, uint64_t *dhash, uint64_t *phash);

#endif
