/* The TIFF directory count taken before libtiff opens a file
 * (core/tiffdirs.c).  Input: any bytes, as an upload.  Checks what
 * tiffdirs.h promises: it ends (a loop counted once round), reads nothing
 * outside the buffer (ASan), says -1 exactly when the header is not a TIFF
 * one, and counts no more directories than the bytes can hold (each takes
 * at least 6 bytes, 16 in a BigTIFF).
 */
#include "fuzz.h"
#include "tiffdirs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a copy of exactly size bytes, so that ASan sees any read past it */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    int64_t n = pix_tiff_directories(copy, size);
    bool tiff_header = size >= 8 && (!memcmp(copy, "II", 2) || !memcmp(copy, "MM", 2));
    FZ_CHECK(n >= -1, "count %lld", (long long)n);
    if (!tiff_header)
        FZ_CHECK(n == -1, "not a TIFF header, yet counted %lld", (long long)n);
    FZ_CHECK(n <= (int64_t)(size / 6), "%lld directories in %zu bytes", (long long)n, size);
    FZ_CHECK(pix_tiff_directories(copy, size) == n, "two counts of the same bytes differ");
    free(copy);
    return 0;
}
