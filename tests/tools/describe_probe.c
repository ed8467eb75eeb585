/* describe-probe IMAGE RAWOUT: what the describe stage computes for IMAGE,
 * through the same code (plugins/describe), for the tests to compare with
 * a pipeline's record and with encoders written by others.  Writes the
 * 64 px RGBA copy the hashes are computed from to RAWOUT (width * height
 * * 4 bytes) and prints one JSON line: width, height, blurhash (4x3),
 * thumbhash (base64), dhash, phash. */
#include <openssl/evp.h>
#include <stdio.h>
#include <vips/vips.h>

#include "blurhash.h"
#include "phash.h"
#include "small.h"
#include "thumbhash.h"

int main(int argc, char **argv)
{
    describe_pixels px = { 0 };
    VipsImage *img = NULL;
    FILE *raw = NULL;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: describe-probe IMAGE RAWOUT\n");
        return 2;
    }
    if (VIPS_INIT(argv[0]))
        return 1;
    if (!(img = vips_image_new_from_file(argv[1], NULL)) ||
        describe_small(img, DESCRIBE_SMALL_SIDE, &px) < 0) {
        fprintf(stderr, "describe-probe: %s: %s", argv[1], vips_error_buffer());
        goto out;
    }
    size_t n = (size_t)px.width * px.height * 4;
    if (!(raw = fopen(argv[2], "wb")) || fwrite(px.rgba, 1, n, raw) != n) {
        perror(argv[2]);
        goto out;
    }
    char bh[4 + 2 * 81 + 1], th64[4 * ((DESCRIBE_THUMBHASH_MAX + 2) / 3) + 1];
    unsigned char th[DESCRIBE_THUMBHASH_MAX];
    size_t thlen = 0;
    uint64_t d = 0, p = 0;
    if (describe_blurhash(px.rgba, px.width, px.height, 4, 3, bh, sizeof bh) < 0 ||
        describe_thumbhash(px.rgba, px.width, px.height, th, sizeof th, &thlen) < 0 ||
        describe_hashes(&px, &d, &p) < 0) {
        fprintf(stderr, "describe-probe: %s: cannot hash: %s", argv[1], vips_error_buffer());
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)th64, th, (int)thlen);
    printf("{\"width\":%d,\"height\":%d,\"blurhash\":\"%s\",\"thumbhash\":\"%s\","
           "\"dhash\":\"%016llx\",\"phash\":\"%016llx\"}\n", px.width, px.height, bh, th64,
           (unsigned long long)d, (unsigned long long)p);
    rc = 0;
out:
    if (raw)
        fclose(raw);
    describe_pixels_clear(&px);
    if (img)
        g_object_unref(img);
    vips_shutdown();
    return rc;
}
