/* BlurHash (blurha.sh): a short base-83 string standing for a blurred image. */
#ifndef DESCRIBE_BLURHASH_H
#define DESCRIBE_BLURHASH_H

#include <stddef.h>

/* The BlurHash of rgba (width * height * 4 bytes, straight RGBA, row-major,
 * borrowed; alpha is ignored, as the reference does) with cx x cy
 * components (1..9 each), byte for byte what the npm package `blurhash`
 * 2.x encode() gives for the same pixels under Node 18 and 20.  Writes it,
 * NUL-terminated, into out (the caller's; size must hold 4 + 2*cx*cy + 1
 * bytes).  Returns 0, or -1 on bad arguments or no memory (out untouched). */
int describe_blurhash(const unsigned char *rgba, int width, int height, int cx, int cy,
                      char *out, size_t size);

/* JavaScript's Math.cos(x) as Node 18 and 20 compute it (V8's fdlibm
 * cosine), to the last bit, for |x| < 2^19 * pi/2; libm's cos beyond,
 * which may differ in the last bit.  Shared with thumbhash.c.  Returns a
 * value, nothing to free. */
double describe_js_cos(double x);

#endif
