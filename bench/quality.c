/* bench-quality TARGET RUNS FILE...: fixed quality 82 against quality auto
 * (core/quality.c) on unencoded renditions (PNG files a pipeline wrote with
 * format: png), as JPEG, in one process: for each file one TSV line with
 * the bytes and the SSIM on luma of the whole file (not the sample) for
 * both, the quality auto chose, its trial count, and the median encode
 * CPU milliseconds (all the process's threads: steady on a busy machine,
 * where wall time is not) of RUNS alternating runs of each.  What `make bench`
 * reports as the bytes table and the encode time multiplier. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vips/vips.h>

#include "encode.h"
#include "quality.h"
#include "similarity.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench-quality TARGET RUNS FILE.png...\n");
        return 2;
    }
    if (VIPS_INIT(argv[0]))
        return 1;
    vips_cache_set_max(0);
    double target = atof(argv[1]);
    int runs = atoi(argv[2]);
    if (runs < 1 || runs > 99)
        runs = 7;
    pix_encode fixed = { .format = "jpeg", .quality = 82, .effort = -1 };
    pix_encode automatic = fixed;
    automatic.quality = PIX_QUALITY_AUTO;
    automatic.quality_target = target;
    printf("file\twidth\theight\tq82_bytes\tq82_ssim\tauto_quality\tauto_bytes\tauto_ssim\t"
           "auto_sample_ssim\tauto_encodes\tq82_ms\tauto_ms\n");
    for (int i = 3; i < argc; i++) {
        pix_err err = { "" };
        VipsImage *file = vips_image_new_from_file(argv[i], NULL);
        VipsImage *img = file ? vips_image_copy_memory(file) : NULL;
        pix_ssim_ref *ref = img ? pix_ssim_ref_new(img, &err) : NULL;
        double t_fixed[99], t_auto[99], s_fixed = 0, s_auto = 0;
        void *bf = NULL, *ba = NULL;
        size_t lf = 0, la = 0;
        pix_quality_search found = { 0 };
        if (!ref) {
            fprintf(stderr, "bench-quality: %s: %s%s\n", argv[i], err.msg, vips_error_buffer());
            return 1;
        }
        for (int r = 0; r < runs; r++) {
            g_free(bf);
            g_free(ba);
            double t0 = now_ms();
            if (pix_encode_image(img, "jpeg", &fixed, &bf, &lf, &err) < 0)
                goto fail;
            double t1 = now_ms();
            if (pix_encode_auto(img, "jpeg", &automatic, &ba, &la, &found, &err) < 0)
                goto fail;
            t_auto[r] = now_ms() - t1;
            t_fixed[r] = t1 - t0;
        }
        if (pix_ssim_encoded(ref, bf, lf, &s_fixed, &err) < 0 ||
            pix_ssim_encoded(ref, ba, la, &s_auto, &err) < 0)
            goto fail;
        printf("%s\t%d\t%d\t%zu\t%.5f\t%d\t%zu\t%.5f\t%.5f\t%d\t%.2f\t%.2f\n", argv[i],
               vips_image_get_width(img), vips_image_get_height(img), lf, s_fixed, found.quality,
               la, s_auto, found.score, found.encodes, median(t_fixed, runs),
               median(t_auto, runs));
        fflush(stdout);
        g_free(bf);
        g_free(ba);
        pix_ssim_ref_free(ref);
        g_object_unref(img);
        g_object_unref(file);
        continue;
    fail:
        fprintf(stderr, "bench-quality: %s: %s\n", argv[i], err.msg);
        return 1;
    }
    return 0;
}
