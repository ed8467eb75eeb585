/* Counting a TIFF's directories from its bytes, in linear time.
 *
 * libtiff counts directories by reading each one whole, with its tags, and
 * libvips asks for the count when it opens the header: a 1x1 image of
 * 400 000 directories took seconds and a hundred MiB before
 * limits.max_pages could refuse it.  Here only the chain of "next IFD"
 * offsets is followed, a few bytes each, and a chain that loops back on
 * itself is counted once round (Brent's cycle finding, no memory). */
#include "tiffdirs.h"

#include <string.h>

typedef struct tiff {
    const unsigned char *b;
    size_t len;
    bool big;    /* BigTIFF: 8-byte offsets and counts */
    bool motorola;
} tiff;

static uint64_t get(const tiff *t, uint64_t at, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) {
        int k = t->motorola ? i : n - 1 - i;
        v = (v << 8) | t->b[at + (uint64_t)k];
    }
    return v;
}

/* Whether a whole directory (count, entries, next offset) is in the file
 * at `at`; if so *next is the offset of the one after it (0: the last). */
static bool dir_at(const tiff *t, uint64_t at, uint64_t *next)
{
    int count_size = t->big ? 8 : 2, entry = t->big ? 20 : 12, off = t->big ? 8 : 4;
    if (at == 0 || at > t->len || t->len - at < (uint64_t)count_size)
        return false;
    uint64_t entries = get(t, at, count_size);
    if (entries > (t->len - at - (uint64_t)count_size) / (uint64_t)entry)
        return false;
    uint64_t link = at + (uint64_t)count_size + entries * (uint64_t)entry;
    if (t->len - link < (uint64_t)off)
        return false;
    *next = get(t, link, off);
    return true;
}

/* The next directory's offset; 0 past the last or a directory cut short
 * (0 is never a directory: the header is there). */
static uint64_t next_dir(const tiff *t, uint64_t at)
{
    uint64_t next = 0;
    return dir_at(t, at, &next) ? next : 0;
}

int64_t pix_tiff_directories(const void *data, size_t len)
{
    tiff t = { data, len, false, false };
    if (len < 8)
        return -1;
    if (memcmp(t.b, "II", 2) == 0)
        t.motorola = false;
    else if (memcmp(t.b, "MM", 2) == 0)
        t.motorola = true;
    else
        return -1;
    uint64_t version = get(&t, 2, 2), first;
    if (version == 42) {
        first = get(&t, 4, 4);
    } else if (version == 43 && len >= 16 && get(&t, 4, 2) == 8) {
        t.big = true;
        first = get(&t, 8, 8);
    } else {
        return -1;
    }
    uint64_t hare = 0;
    if (!dir_at(&t, first, &hare))
        return 0;

    /* Brent: the hare walks on, the tortoise jumps to it at each power of
     * two; they meet only on a loop, whose length is then the distance. */
    uint64_t tortoise = first;
    int64_t steps = 1, power = 1, lam = 1;
    while (hare != tortoise) {
        uint64_t next = 0;
        if (!dir_at(&t, hare, &next))
            return steps;
        if (power == lam) {
            tortoise = hare;
            power *= 2;
            lam = 0;
        }
        hare = next;
        lam++;
        steps++;
    }
    /* A loop of length lam: the directories before it, then once round. */
    int64_t mu = 0;
    tortoise = hare = first;
    for (int64_t i = 0; i < lam; i++)
        hare = next_dir(&t, hare);
    while (tortoise != hare) {
        tortoise = next_dir(&t, tortoise);
        hare = next_dir(&t, hare);
        mu++;
    }
    return mu + lam;
}
