/* Every real-world file of ../shared/corpus/images through the default
 * pipeline (exif-strip, resize, thumbnail, describe, watermark, metadata-sink): each
 * one yields a readable rendition within 1600 px and a 256x256 thumbnail,
 * or fails alone with a reason that names it; nothing crashes (the SAN=1
 * run makes that a memory check too).  Skipped where the corpus is not. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Files that cannot make a rendition, and the words their reason must hold. */
static const struct {
    const char *file, *why;
} expected_failures[] = {
    { "sharp/corrupt-header.jpg", "header" },
    { "sharp/truncated.jpg", "Premature end" },
    { "sharp/giant-image.jpg", "over limits.max_pixels" },
    { "libvips/subsampled.tif", "subsampled images not supported" },
};

static char *corpus_dir(void)
{
    char *dir = tu_strf("%s/../shared/corpus/images", tu_src());
    if (!tu_exists(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

static size_t count_lines_with(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

Test(corpus, every_file_renders_or_fails_alone, .timeout = 600)
{
    char *corpus = corpus_dir();
    if (!corpus)
        cr_skip_test("no ../shared/corpus beside the source tree");
    char *tmp = tu_tmpdir();
    /* the embedded default, with keys that keep same-named files apart */
    char *pipe = tu_strf("%s/p.yaml", tmp);
    char *def = tu_strf("%s/pipelines/default.yaml", tu_src());
    char *yaml = tu_read_file(def, NULL);
    cr_assert_not_null(yaml);
    char *key = strstr(yaml, "{dir}/{name}-{rendition}.{ext}");
    cr_assert_not_null(key, "the default pipeline's key template changed");
    char *patched = tu_strf("%.*s{key}/{rendition}.{ext}%s", (int)(key - yaml), yaml,
                            key + strlen("{dir}/{name}-{rendition}.{ext}"));
    cr_assert_eq(tu_write_file(pipe, patched, strlen(patched)), 0);

    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -j 2 -p p.yaml %s", tmp, tu_pixpipe(), corpus);
    cr_expect_eq(rc, 1, "exit status %d (a signal is -1)\n%s", rc, err);

    size_t n_expected = sizeof expected_failures / sizeof *expected_failures;
    for (size_t i = 0; i < n_expected; i++) {
        char *line = tu_strf("failed: %s/%s: ", corpus, expected_failures[i].file);
        const char *at = strstr(err, line);
        cr_expect_not_null(at, "%s did not fail:\n%s", expected_failures[i].file, err);
        if (at) {
            const char *eol = strchr(at, '\n');
            char *reason = strndup(at, eol ? (size_t)(eol - at) : strlen(at));
            cr_expect(strstr(reason, expected_failures[i].why) != NULL, "%s", reason);
            free(reason);
        }
        free(line);
    }
    cr_expect_eq(count_lines_with(err, "failed: "), n_expected, "unexpected failures:\n%s", err);

    /* every image that went through has a readable main rendition within
     * the 1600 px box */
    size_t ok = 0;
    for (const char *p = out; (p = strstr(p, "ok       ")); p++) {
        const char *path = p + strlen("ok       ") + strlen(corpus) + 1;
        const char *end = strstr(path, " (");
        cr_assert_not_null(end);
        char *rel = strndup(path, (size_t)(end - path));
        char *large = tu_strf("%s/out/%s/large.jpg", tmp, rel);
        int w = 0, h = 0;
        cr_expect_eq(tu_image_size(large, &w, &h, NULL), 0, "%s: no readable rendition", rel);
        cr_expect(w > 0 && h > 0 && w <= 1600 && h <= 1600, "%s: %dx%d", rel, w, h);
        /* and a 256x256 thumbnail wherever the source has room for one */
        int sw = 0, sh = 0;
        const char *dims = strchr(end + 2, ' ');
        cr_assert(dims && sscanf(dims, " %dx%d", &sw, &sh) == 2, "no size in: %.80s", p);
        char *thumb = tu_strf("%s/out/%s/thumb.jpg", tmp, rel);
        int tw = 0, th = 0;
        cr_expect_eq(tu_image_size(thumb, &tw, &th, NULL), 0, "%s: no readable thumbnail", rel);
        if (sw >= 256 && sh >= 256)
            cr_expect(tw == 256 && th == 256, "%s: thumbnail %dx%d", rel, tw, th);
        else
            cr_expect(tw <= 256 && th <= 256 && tw > 0, "%s: thumbnail %dx%d", rel, tw, th);
        free(thumb);
        free(large);
        free(rel);
        ok++;
    }
    cr_expect_gt(ok, 40, "only %zu images went through", ok);
    free(out);
    free(err);
    free(patched);
    free(yaml);
    free(def);
    free(pipe);
    tu_rmrf(tmp);
    free(tmp);
    free(corpus);
}
