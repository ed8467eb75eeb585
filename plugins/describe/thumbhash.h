/* ThumbHash (evanw.github.io/thumbhash): a placeholder in at most 25 bytes. */
#ifndef DESCRIBE_THUMBHASH_H
#define DESCRIBE_THUMBHASH_H

#include <stddef.h>

/* The longest hash: 6 header bytes (with alpha) and 38 four-bit AC terms
 * (14 luminance + 5 + 5 colour + 14 alpha, for a square image). */
#define DESCRIBE_THUMBHASH_MAX 25

/* The ThumbHash of rgba (width * height * 4 bytes, straight RGBA,
 * row-major, borrowed), width and height 1..100 as the reference demands,
 * byte for byte what the npm package `thumbhash` 0.1.x rgbaToThumbHash()
 * gives under Node 18 and 20.  Writes it into out (the caller's, size
 * bytes; DESCRIBE_THUMBHASH_MAX always suffices) and its length into *len.
 * Returns 0, or -1 (out and *len untouched) on bad arguments, a too
 * small out or no memory. */
int describe_thumbhash(const unsigned char *rgba, int width, int height, unsigned char *out,
                       size_t size, size_t *len);

#endif
