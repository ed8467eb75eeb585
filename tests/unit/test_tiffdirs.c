/* Counting TIFF directories from the offset chain: real counts, loops
 * counted once round, chains cut short, non-TIFF bytes. */
#include <criterion/criterion.h>
#include <string.h>

#include "tiffdirs.h"

/* A little-endian classic TIFF of n empty directories (2-byte count 0,
 * 4-byte next offset), the last pointing at `last_next`. */
static size_t build(unsigned char *b, int n, uint32_t last_next)
{
    memcpy(b, "II*\0", 4);
    uint32_t at = 8;
    memcpy(b + 4, &at, 4);
    for (int i = 0; i < n; i++) {
        uint32_t here = 8 + 6 * (uint32_t)i, next = i + 1 < n ? here + 6 : last_next;
        b[here] = b[here + 1] = 0;
        memcpy(b + here + 2, &next, 4);
    }
    return 8 + 6 * (size_t)n;
}

Test(tiffdirs, counts_a_chain_to_its_end)
{
    static unsigned char b[8 + 6 * 1000];
    cr_expect_eq(pix_tiff_directories(b, build(b, 1, 0)), 1);
    cr_expect_eq(pix_tiff_directories(b, build(b, 2, 0)), 2);
    cr_expect_eq(pix_tiff_directories(b, build(b, 1000, 0)), 1000);
}

Test(tiffdirs, a_loop_is_counted_once_round)
{
    static unsigned char b[8 + 6 * 100];
    cr_expect_eq(pix_tiff_directories(b, build(b, 1, 8)), 1, "a directory naming itself");
    cr_expect_eq(pix_tiff_directories(b, build(b, 100, 8)), 100, "the last back to the first");
    cr_expect_eq(pix_tiff_directories(b, build(b, 100, 8 + 6 * 40)), 100, "back to the 41st");
}

Test(tiffdirs, a_chain_off_the_end_stops_there)
{
    static unsigned char b[8 + 6 * 10];
    size_t len = build(b, 10, 1u << 30);
    cr_expect_eq(pix_tiff_directories(b, len), 10);
    cr_expect_eq(pix_tiff_directories(b, len - 3), 9, "the tenth is cut short");
    b[8] = 0xff; /* the first claims 255 entries the file does not hold */
    cr_expect_eq(pix_tiff_directories(b, len), 0, "no directory is whole");
}

Test(tiffdirs, bigtiff_and_big_endian)
{
    /* BigTIFF, big-endian: header 16 bytes, one directory of 0 entries */
    unsigned char b[16 + 8 + 8] = { 'M', 'M', 0, 43, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16 };
    cr_expect_eq(pix_tiff_directories(b, sizeof b), 1);
    cr_expect_eq(pix_tiff_directories("GIF89a..", 8), -1);
    cr_expect_eq(pix_tiff_directories("II*", 3), -1);
}
