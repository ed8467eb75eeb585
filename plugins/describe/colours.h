/* The colours of an image: its average and a palette of clusters. */
#ifndef DESCRIBE_COLOURS_H
#define DESCRIBE_COLOURS_H

#include "small.h"

#define DESCRIBE_PALETTE_MAX 16

typedef struct describe_swatch {
    unsigned char rgb[3]; /* sRGB */
    double share;         /* of the counted pixels, 0..1 */
} describe_swatch;

typedef struct describe_colours {
    unsigned char average[3]; /* sRGB, the mean taken in linear light */
    describe_swatch palette[DESCRIBE_PALETTE_MAX]; /* largest share first */
    int n;                    /* 0 when no pixel is at least half opaque */
} describe_colours;

/* Clusters the pixels of px that are at least half opaque (the others are
 * left out, so a cut-out's background does not count) into at most k
 * (1..DESCRIBE_PALETTE_MAX) colours by k-means in CIELAB, the conversions
 * made by libvips; clusters closer than a just noticeable difference are
 * merged.  palette[0] is the dominant colour.  Returns 0 (c->n 0 when no
 * pixel counts), or -1 with libvips' error set. */
int describe_colours_of(const describe_pixels *px, int k, describe_colours *c);

/* "#rrggbb" of rgb into out (8 bytes). */
void describe_hex(const unsigned char rgb[3], char out[8]);

#endif
