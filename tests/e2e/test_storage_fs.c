/* The storage-fs plugin, end to end through the pixpipe binary: the key
 * template layout under the destination root, folders created, no temp
 * files left, file mode, keys escaping the root refused, the input size
 * limit. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vips/vips.h>

#include "testutil.h"

/* Writes dir/pipe.yaml with the given destination and limits lines. */
static void fs_write_pipeline(const char *dir, const char *destination, const char *extra)
{
    char *yaml = tu_strf("name: fs-test\n"
                         "destination: %s\n"
                         "output: { rendition: main, format: jpeg, quality: 80 }\n"
                         "%s"
                         "stages:\n"
                         "  - resize: { width: 100, height: 100 }\n",
                         destination, extra ? extra : "");
    char *path = tu_strf("%s/pipe.yaml", dir);
    cr_assert_eq(tu_write_file(path, yaml, strlen(yaml)), 0);
    free(yaml);
    free(path);
}

static void fs_mkdir(const char *dir, const char *sub)
{
    char *p = tu_strf("%s/%s", dir, sub);
    cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s", p);
    free(p);
}

static void fs_image(const char *dir, const char *rel, int w, int h)
{
    char *p = tu_strf("%s/%s", dir, rel);
    cr_assert_eq(tu_make_image(p, w, h), 0);
    free(p);
}

/* Asserts dir/rel is a w x h image with mode 0644. */
static void fs_assert_output(const char *dir, const char *rel, int w, int h)
{
    char *p = tu_strf("%s/%s", dir, rel);
    int gw = 0, gh = 0;
    struct stat sb;
    vips_cache_set_max(0); /* libvips caches opened files by name: reread */
    cr_assert_eq(tu_image_size(p, &gw, &gh, NULL), 0, "missing or unreadable %s", p);
    cr_assert(gw == w && gh == h, "%s is %dx%d, expected %dx%d", rel, gw, gh, w, h);
    cr_assert_eq(stat(p, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0644, "%s has mode %o", rel, (unsigned)(sb.st_mode & 0777));
    free(p);
}

/* Asserts no hidden (temp) file is left anywhere under dir/sub. */
static void fs_assert_no_temp(const char *dir, const char *sub)
{
    char *out = NULL;
    cr_assert_eq(tu_runf(&out, NULL, "cd '%s' && find '%s' -name '.*' ! -name . ! -name ..", dir,
                         sub), 0);
    cr_assert_str_empty(out, "temp files left behind:\n%s", out);
    free(out);
}

Test(storage_fs, key_template_layout_and_folders_created)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    fs_mkdir(dir, "in");
    fs_mkdir(dir, "in/sub");
    fs_image(dir, "in/sub/a.jpg", 400, 300);
    fs_image(dir, "in/b.png", 200, 400);
    /* Neither deep/ nor deep/out/ exists yet. */
    fs_write_pipeline(dir,
                      "{ storage: fs, root: ./deep/out, key: \"{dir}/{name}-{rendition}.{ext}\" }",
                      NULL);

    int rc = tu_runf(&out, &err, "cd '%s' && umask 022 && '%s' run -p pipe.yaml in", dir,
                     tu_pixpipe());
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    cr_assert(strstr(out, "2 processed, 0 failed, 0 skipped"), "stdout: %s", out);
    fs_assert_output(dir, "deep/out/sub/a-main.jpg", 100, 75);
    fs_assert_output(dir, "deep/out/b-main.jpg", 50, 100); /* empty {dir} collapses */
    fs_assert_no_temp(dir, "deep");
    free(out);
    free(err);

    /* Again: the objects are replaced in place, still no temp files. */
    rc = tu_runf(&out, &err, "cd '%s' && umask 022 && '%s' run -p pipe.yaml in", dir,
                 tu_pixpipe());
    cr_assert_eq(rc, 0, "second run: exit %d\n%s%s", rc, out, err);
    fs_assert_output(dir, "deep/out/sub/a-main.jpg", 100, 75);
    fs_assert_no_temp(dir, "deep");
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

Test(storage_fs, file_input_keeps_its_name)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    fs_mkdir(dir, "pics");
    fs_image(dir, "pics/c.jpg", 300, 300);
    fs_write_pipeline(dir, "{ storage: fs, root: ./out, key: \"{dir}/{name}-{rendition}.{ext}\" }",
                      NULL);
    int rc = tu_runf(&out, &err, "cd '%s' && umask 022 && '%s' run -p pipe.yaml pics/c.jpg", dir,
                     tu_pixpipe());
    cr_assert_eq(rc, 0, "exit %d\n%s%s", rc, out, err);
    fs_assert_output(dir, "out/c-main.jpg", 100, 100);
    fs_assert_no_temp(dir, "out");
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

Test(storage_fs, dotdot_key_refused)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    fs_mkdir(dir, "in");
    fs_image(dir, "in/a.jpg", 120, 90);
    fs_write_pipeline(dir,
                      "{ storage: fs, root: ./out, key: \"../escape/{name}-{rendition}.{ext}\" }",
                      NULL);
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -p pipe.yaml in", dir, tu_pixpipe());
    cr_assert_neq(rc, 0, "a key with '..' was accepted\n%s%s", out, err);
    /* refused when the pipeline is loaded, before any job */
    cr_assert(strstr(err, ".."),
              "the error does not name the key and the reason: %s", err);
    char *escaped = tu_strf("%s/escape", dir);
    cr_assert(!tu_exists(escaped), "a file was written outside the root");
    free(escaped);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

/* A key template that starts with '/' is refused when the pipeline starts,
 * before any input is read, and nothing is written at the absolute path.
 * (storage-fs itself also refuses absolute keys through host->key_check.) */
Test(storage_fs, absolute_key_template_refused)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    fs_mkdir(dir, "in");
    fs_image(dir, "in/a.jpg", 120, 90);
    char *dest = tu_strf("{ storage: fs, root: ./out, key: \"%s/abs/{name}-{rendition}.{ext}\" }",
                         dir);
    fs_write_pipeline(dir, dest, NULL);
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -p pipe.yaml in", dir, tu_pixpipe());
    char *abs = tu_strf("%s/abs", dir);
    cr_expect_eq(rc, 2, "exit status %d: %s", rc, err);
    cr_expect(strstr(err, "starts with '/'") != NULL, "the error says why: %s", err);
    cr_expect(strstr(err, "/abs/{name}") != NULL, "the error names the template: %s", err);
    cr_assert(!tu_exists(abs), "a file was written at an absolute path");
    free(abs);
    free(dest);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}

Test(storage_fs, input_over_size_limit_refused)
{
    char *dir = tu_tmpdir(), *out = NULL, *err = NULL;
    fs_mkdir(dir, "in");
    fs_image(dir, "in/big.jpg", 400, 400); /* noisy: well over 1 KB */
    fs_write_pipeline(dir, "{ storage: fs, root: ./out }", "limits: { max_input_bytes: 1KB }\n");
    int rc = tu_runf(&out, &err, "cd '%s' && '%s' run -p pipe.yaml in", dir, tu_pixpipe());
    cr_assert_neq(rc, 0, "an over-limit input was processed\n%s%s", out, err);
    cr_assert(strstr(out, "0 processed, 1 failed"), "stdout: %s", out);
    cr_assert(strstr(err, "big.jpg") && strstr(err, "1000-byte limit"), "stderr: %s", err);
    free(out);
    free(err);
    tu_rmrf(dir);
    free(dir);
}
