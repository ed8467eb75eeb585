/* `make install` lays out a prefix the binary finds its plugins in, with no
 * environment variable; and the progress line appears on a terminal only. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

Test(install, installed_binary_finds_its_plugins)
{
    char *prefix = tu_tmpdir(), *out = NULL, *err = NULL;
    cr_assert_not_null(prefix);
    const char *san = getenv("PIXPIPE_SAN");
    int rc = tu_runf(&out, &err, "make -s -C '%s' install SAN='%s' BUILD='%s' PREFIX='%s'",
                     tu_src(), san ? san : "", tu_build(), prefix);
    cr_assert_eq(rc, 0, "make install failed:\n%s\n%s", out, err);
    free(out);
    free(err);
    const char *expect[] = { "bin/pixpipe", "lib/pixpipe/plugins/resize.so",
                             "lib/pixpipe/plugins/storage-fs.so", "include/pixpipe/pixpipe.h",
                             "share/pixpipe/pipelines/default.yaml" };
    for (size_t i = 0; i < sizeof expect / sizeof *expect; i++) {
        char *p = tu_strf("%s/%s", prefix, expect[i]);
        cr_expect(tu_exists(p), "%s not installed", expect[i]);
        free(p);
    }
    /* run from an unrelated folder with a clean environment */
    char *img = tu_strf("%s/photo.jpg", prefix);
    cr_assert_eq(tu_make_image(img, 2400, 1600), 0);
    rc = tu_runf(&out, &err, "cd '%s' && env -u PIXPIPE_PLUGIN_PATH -u PIXPIPE_PIPELINE "
                             "'%s/bin/pixpipe' run photo.jpg", prefix, prefix);
    cr_expect_eq(rc, 0, "%s\n%s", out, err);
    char *large = tu_strf("%s/out/photo-large.jpg", prefix);
    int w = 0, h = 0;
    cr_expect_eq(tu_image_size(large, &w, &h, NULL), 0, "no rendition written");
    cr_expect(w == 1600 && h == 1067, "rendition is %dx%d", w, h);
    char *db = tu_strf("%s/out/metadata.db", prefix);
    cr_expect(tu_exists(db), "no metadata database");
    free(db);
    free(large);
    free(img);
    free(out);
    free(err);
    tu_rmrf(prefix);
    free(prefix);
}

Test(install, progress_line_on_a_terminal)
{
    char *dir = tu_tmpdir(), *out = NULL;
    cr_assert_not_null(dir);
    for (int i = 0; i < 3; i++) {
        char *p = tu_strf("%s/p%d.jpg", dir, i);
        cr_assert_eq(tu_make_image(p, 300, 200), 0);
        free(p);
    }
    /* script(1) gives pixpipe a pseudo-terminal for stdout and stderr */
    int rc = tu_runf(&out, NULL, "cd '%s' && script -qec \"'%s' run p0.jpg p1.jpg p2.jpg\" /dev/null",
                     dir, tu_pixpipe());
    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "3/3") != NULL && strstr(out, "img/s") != NULL,
              "no progress line on a terminal:\n%s", out);
    cr_expect(strstr(out, "3 processed, 0 failed, 0 skipped") != NULL, "%s", out);
    free(out);
    tu_rmrf(dir);
    free(dir);
}
