/* similarity-probe REF FILE...: the SSIM on luma that `quality: auto`
 * aims at (core/similarity.c), between REF and each FILE (same size), one
 * line each: "FILE SCORE".  For the tests, and for the bench to measure
 * other tools' outputs with the same metric. */
#include <stdio.h>
#include <vips/vips.h>

#include "similarity.h"

int main(int argc, char **argv)
{
    pix_ssim_ref *ref = NULL;
    VipsImage *im = NULL;
    pix_err err = { "" };
    int rc = 1;

    if (argc < 3) {
        fprintf(stderr, "usage: similarity-probe REF FILE...\n");
        return 2;
    }
    if (VIPS_INIT(argv[0]))
        return 1;
    if (!(im = vips_image_new_from_file(argv[1], NULL))) {
        fprintf(stderr, "similarity-probe: %s: %s", argv[1], vips_error_buffer());
        goto out;
    }
    if (!(ref = pix_ssim_ref_new(im, &err))) {
        fprintf(stderr, "similarity-probe: %s: %s\n", argv[1], err.msg);
        goto out;
    }
    for (int i = 2; i < argc; i++) {
        VipsImage *test = vips_image_new_from_file(argv[i], NULL);
        double score = 0;
        if (!test) {
            fprintf(stderr, "similarity-probe: %s: %s", argv[i], vips_error_buffer());
            goto out;
        }
        int r = pix_ssim(ref, test, &score, &err);
        g_object_unref(test);
        if (r < 0) {
            fprintf(stderr, "similarity-probe: %s: %s\n", argv[i], err.msg);
            goto out;
        }
        printf("%s %.6f\n", argv[i], score);
    }
    rc = 0;
out:
    pix_ssim_ref_free(ref);
    if (im)
        g_object_unref(im);
    vips_shutdown();
    return rc;
}
