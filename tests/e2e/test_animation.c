/* Animated sources: frames kept when the output can animate, every frame
 * resized alike; the first frame, with a note, when it cannot. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <vips/vips.h>

#include "testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = tu_tmpdir();
    cr_assert_not_null(tmp);
    if (VIPS_INIT("test"))
        cr_assert_fail("vips");
    vips_cache_set_max(0);
}

static void teardown(void)
{
    tu_rmrf(tmp);
    free(tmp);
}

TestSuite(animation, .init = setup, .fini = teardown);

static VipsImage *load_all(const char *path)
{
    /* only the animated formats' loaders take n */
    bool anim = strstr(path, ".gif") || strstr(path, ".webp");
    VipsImage *im = anim ? vips_image_new_from_file(path, "n", -1, NULL)
                         : vips_image_new_from_file(path, NULL);
    cr_assert_not_null(im, "%s: %s", path, vips_error_buffer());
    return im;
}

static void run_with(const char *format)
{
    char *in = tu_strf("%s/a.gif", tmp);
    cr_assert_eq(tu_make_anim(in), 0, "%s", vips_error_buffer());
    char *yaml = tu_strf("%s/p.yaml", tmp);
    char *text = tu_strf("output: { rendition: r, format: %s }\n"
                         "metadata: { backend: sqlite }\n"
                         "stages: [ resize: { width: 60 }, metadata-sink ]\n", format);
    cr_assert_eq(tu_write_file(yaml, text, strlen(text)), 0);
    char *err = NULL;
    int rc = tu_runf(NULL, &err, "cd %s && %s run -q -p p.yaml a.gif", tmp, tu_pixpipe());
    cr_assert_eq(rc, 0, "%s", err);
    free(err);
    free(text);
    free(yaml);
    free(in);
}

static void expect_frames(const char *file, int n, int w, int page_h)
{
    char *path = tu_strf("%s/out/%s", tmp, file);
    VipsImage *im = load_all(path);
    cr_expect_eq(vips_image_get_n_pages(im), n, "%s frames", file);
    cr_expect_eq(vips_image_get_width(im), w);
    cr_expect_eq(vips_image_get_page_height(im), page_h);
    /* frame i keeps its own colour: the frames were not mixed up */
    for (int i = 0; i < n && i < 3; i++) {
        double *px = NULL;
        int len = 0;
        cr_assert_eq(vips_getpoint(im, &px, &len, w / 2, i * page_h + page_h / 2, NULL), 0);
        cr_expect(px[i] > 200 && px[(i + 1) % 3] < 60, "%s frame %d: %g %g %g", file, i, px[0],
                  px[1], px[2]);
        g_free(px);
    }
    g_object_unref(im);
    free(path);
}

Test(animation, gif_to_gif_keeps_every_frame_resized)
{
    run_with("gif");
    expect_frames("a-r.gif", 3, 60, 40);
}

Test(animation, gif_to_webp_keeps_every_frame)
{
    run_with("webp");
    expect_frames("a-r.webp", 3, 60, 40);
}

Test(animation, gif_to_jpeg_takes_the_first_frame_and_says_so)
{
    run_with("jpeg");
    expect_frames("a-r.jpg", 1, 60, 40);
    char *out = NULL;
    int rc = tu_runf(&out, NULL, "sqlite3 %s/out/metadata.db \"SELECT record FROM images\"", tmp);
    cr_assert_eq(rc, 0);
    cr_expect(strstr(out, "animated source (3 frames): the first frame is used, as jpeg output "
                          "cannot animate") != NULL, "%s", out);
    cr_expect(strstr(out, "\"pages\":3") != NULL, "%s", out);
    free(out);
}
