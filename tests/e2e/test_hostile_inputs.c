/* `pixpipe run` and `validate` against inputs and pipelines written to hurt
 * (issue 13): what the user sees is an error naming the file and the
 * reason, the exit status says so, and nothing is read or written outside
 * the folders given. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

static char *tmp;

static void setup(void)
{
    tmp = tu_tmpdir();
    cr_assert_not_null(tmp);
}

static void teardown(void)
{
    tu_rmrf(tmp);
    free(tmp);
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = 120);

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *at(const char *rel)
{
    return tu_strf("%s/%s", tmp, rel);
}

static void make(const char *rel, int w, int h)
{
    char *p = at(rel);
    cr_assert_eq(tu_make_image(p, w, h), 0, "cannot make %s", p);
    free(p);
}

static void write_bytes(const char *rel, const char *data, size_t len)
{
    char *p = at(rel);
    cr_assert_eq(tu_write_file(p, data, len), 0, "cannot write %s", p);
    free(p);
}

static void write_text(const char *rel, const char *text)
{
    write_bytes(rel, text, strlen(text));
}

static bool exists(const char *rel)
{
    char *p = at(rel);
    bool e = tu_exists(p);
    free(p);
    return e;
}

/* Whether any line of text starts with prefix. */
static bool line_starts_with(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, prefix, n))
            return true;
    return false;
}

#define expect_has(text, frag)                                                                 \
    cr_expect(strstr((text), (frag)), "want: %s\ngot:\n%s", (frag), (text))

/* ------------------------------------------------------------- folders */

Test(hostile, folder_walk_skips_links_out_and_loops)
{
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p %s/d/sub && ln -s /etc %s/d/etc && "
                         "ln -s . %s/d/a && ln -s . %s/d/b && ln -s /etc/hostname %s/d/h.jpg",
                         tmp, tmp, tmp, tmp, tmp), 0);
    make("d/x.png", 40, 30);
    make("d/sub/y.png", 40, 30);
    char *out = NULL, *err = NULL;
    double t0 = now_s();
    int rc = tu_runf(&out, &err, "cd %s && timeout 30 %s run --dry-run d", tmp, tu_pixpipe());
    double secs = now_s() - t0;
    cr_expect_eq(rc, 0, "exit status %d\n%s\n%s", rc, out, err);
    /* two links to '.' used to be walked as d/a/b/a/... without end; the
     * run is mostly libvips' start-up */
    cr_expect_lt(secs, 10.0, "the dry run took %.1f s", secs);
    expect_has(out, "2 processed, 0 failed, 0 skipped\n");
    expect_has(out, "plan     d/x.png");
    expect_has(out, "plan     d/sub/y.png");
    cr_expect(!strstr(out, "d/etc/") && !strstr(out, "d/a/") && !strstr(out, "h.jpg"),
              "a link was followed:\n%s", out);
    expect_has(err, "d/etc: a symbolic link, not followed in a folder walk");
    expect_has(err, "d/a: a symbolic link, not followed");
    free(out);
    free(err);
    /* the real run writes the two outputs and nothing for the links */
    rc = tu_runf(&out, &err, "cd %s && timeout 60 %s run d", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "exit status %d\n%s\n%s", rc, out, err);
    cr_expect(exists("out/x-large.jpg") && exists("out/sub/y-large.jpg"), "%s%s", out, err);
    cr_expect(!exists("out/etc") && !exists("out/a") && !exists("out/h-large.jpg"));
    free(out);
    free(err);
}

Test(hostile, a_link_named_on_the_command_line_is_followed)
{
    make("real.png", 40, 30);
    cr_assert_eq(tu_runf(NULL, NULL, "ln -s real.png %s/named.png", tmp), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run named.png", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "exit status %d\n%s\n%s", rc, out, err);
    cr_expect(exists("out/named-large.jpg"), "%s%s", out, err);
    free(out);
    free(err);
}

Test(hostile, empty_folder_is_zero_inputs_not_a_crash)
{
    /* qsort(NULL, 0) aborted the SAN build here */
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p %s/e/x", tmp), 0);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run e", tmp, tu_pixpipe());
    cr_expect_eq(rc, 0, "exit status %d\n%s\n%s", rc, out, err);
    expect_has(out, "0 processed, 0 failed, 0 skipped\n");
    cr_expect(!strstr(err, "runtime error") && !strstr(err, "Sanitizer"), "%s", err);
    free(out);
    free(err);
}

Test(hostile, a_fifo_named_as_input_fails_instead_of_hanging)
{
    char *fifo = at("p.jpg");
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    char *out = NULL, *err = NULL;
    double t0 = now_s();
    int rc = tu_runf(&out, &err, "cd %s && timeout 30 %s run p.jpg", tmp, tu_pixpipe());
    cr_expect_lt(now_s() - t0, 20.0);
    cr_expect_eq(rc, 1, "exit status %d (124: it hung)\n%s\n%s", rc, out, err);
    expect_has(err, "failed: p.jpg: storage-fs: ");
    expect_has(err, "p.jpg is not a regular file");
    free(fifo);
    free(out);
    free(err);
}

/* ---------------------------------------------------------- pipelines */

Test(hostile, deeply_nested_yaml_is_refused_in_well_under_a_second)
{
    size_t n = 100000;
    char *s = malloc(2 * n + 32);
    cr_assert_not_null(s);
    int h = sprintf(s, "name: x\nstages: ");
    memset(s + h, '[', n);
    memset(s + h + n, ']', n);
    strcpy(s + h + 2 * n, "\n");
    write_text("deep.yaml", s);
    free(s);
    char *out = NULL, *err = NULL;
    double t0 = now_s();
    int rc = tu_runf(&out, &err, "cd %s && timeout 100 %s validate -p deep.yaml", tmp,
                     tu_pixpipe());
    double secs = now_s() - t0;
    cr_expect_eq(rc, 2, "exit status %d\n%s", rc, err);
    /* 75 s before; the process start is most of what is left */
    cr_expect_lt(secs, 5.0, "validate took %.1f s", secs);
    expect_has(err, "deep.yaml:2:72: lists and mappings nest deeper than 64 levels");
    free(out);
    free(err);
}

Test(hostile, a_pipeline_over_one_mib_is_refused)
{
    size_t len = 2 * 1024 * 1024;
    char *s = malloc(len);
    cr_assert_not_null(s);
    memset(s, '#', len);
    s[len - 1] = '\n';
    write_bytes("big.yaml", s, len);
    free(s);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s validate -p big.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2, "exit status %d\n%s", rc, err);
    expect_has(err, "big.yaml: 2097152 bytes, over the 1048576 bytes (1 MiB)");
    free(out);
    free(err);
}

Test(hostile, a_nul_escape_in_a_value_is_an_error)
{
    write_text("p.yaml", "name: \"de\\0fault\"\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s validate -p p.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2, "exit status %d\n%s%s", rc, out, err);
    expect_has(err, "p.yaml:1:7: the value holds a NUL byte");
    cr_expect(!strstr(out, "name:        de\n"), "the name was cut at the NUL:\n%s", out);
    free(out);
    free(err);
}

/* validate refuses it, naming the file, the line and the reason. */
static void refused(const char *yaml, const char *want)
{
    write_text("p.yaml", yaml);
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s validate -p p.yaml", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2, "%s: exit status %d\n%s%s", yaml, rc, out, err);
    expect_has(err, want);
    free(out);
    free(err);
}

Test(hostile, validate_refuses_keys_and_renditions_that_leave_the_destination)
{
    refused("destination: { root: ./out, key: \"../../x/{name}-{rendition}.{ext}\" }\n",
            "p.yaml:1:34: destination: key: key template '../../x/{name}-{rendition}.{ext}' "
            "has a '..' segment");
    refused("destination: { root: ./out, key: \"/abs/{name}-{rendition}\" }\n",
            "p.yaml:1:34: destination: key: key template '/abs/{name}-{rendition}' starts "
            "with '/'");
    refused("destination: { root: ./out, key: \"a//{name}-{rendition}\" }\n",
            "key template 'a//{name}-{rendition}' has an empty segment ('//')");
    refused("output: { rendition: \"..\" }\n",
            "p.yaml:1:9: output: rendition: '..' must be a non-empty name without '/', other "
            "than '.' and '..'");
    refused("output: { rendition: \".\" }\n", "output: rendition: '.' must be");
    refused("destination: { root: / }\n",
            "p.yaml:1:22: destination: root: '/' is the whole file system");
    refused("source: { root: \"/..//.\" }\n",
            "p.yaml:1:17: source: root: '/..//.' is the whole file system");
    refused("destination: { bucket: \"//\" }\n", "destination: bucket: '//' is the whole file");
    refused("stages:\n  - thumbnail: { name: \"..\", width: 10 }\n",
            "p.yaml:2:5: stages[0] thumbnail: name: '..' cannot be a rendition name: the key "
            "has a '..' segment");
}

/* The same pipeline given to run: refused before any job, nothing written
 * (the job's own check, core/job.c, remains for renditions a plugin names
 * at run time). */
Test(hostile, a_stage_rendition_named_dotdot_is_refused_before_any_job)
{
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p %s/in", tmp), 0);
    make("in/a.png", 40, 30);
    write_text("p.yaml", "destination: { root: ./out, key: \"{rendition}/{name}.{ext}\" }\n"
                         "stages:\n  - thumbnail: { name: \"..\", width: 10 }\n");
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -p p.yaml in/a.png", tmp, tu_pixpipe());
    cr_expect_eq(rc, 2, "exit status %d\n%s%s", rc, out, err);
    expect_has(err, "p.yaml:3:5: stages[0] thumbnail: name: '..' cannot be a rendition name");
    cr_expect(!exists("a.png") && !exists("a.jpg") && !exists("out/a.png") && !exists("out"),
              "something was written");
    free(out);
    free(err);
}

#define FAKE_SECRET "wJalrXUtnFEMI-K7MDENG-bPxRfiCYFAKESECRET"

Test(hostile, errors_never_print_a_secret_from_the_environment)
{
    make("a.png", 40, 30);
    const char *cases[][2] = {
        { "limits: { max_pixels: \"${AWS_SECRET_ACCESS_KEY}\" }\n",
          "p.yaml:1:23: limits: max_pixels: the value from ${AWS_SECRET_ACCESS_KEY} is not a "
          "size" },
        { "output: { format: \"${AWS_SECRET_ACCESS_KEY}\" }\n",
          "output: format: the value from ${AWS_SECRET_ACCESS_KEY} is not one of" },
        { "destination: { key: \"${AWS_SECRET_ACCESS_KEY}\" }\n",
          "key template (the value from ${AWS_SECRET_ACCESS_KEY}) lacks {rendition}" },
        { "output: { rendition: \"a/${AWS_SECRET_ACCESS_KEY}\" }\n",
          "output: rendition: the value from ${AWS_SECRET_ACCESS_KEY} must be" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_text("p.yaml", cases[i][0]);
        for (int run = 0; run < 2; run++) {
            char *out = NULL, *err = NULL;
            int rc = tu_runf(&out, &err, "cd %s && AWS_SECRET_ACCESS_KEY=%s %s %s -p p.yaml %s",
                             tmp, FAKE_SECRET, tu_pixpipe(), run ? "run" : "validate",
                             run ? "a.png" : "");
            cr_expect_eq(rc, 2, "%s: exit status %d\n%s%s", cases[i][0], rc, out, err);
            expect_has(err, cases[i][1]);
            cr_expect(!strstr(err, "FAKESECRET") && !strstr(out, "FAKESECRET") &&
                      !strstr(err, "wJalr") && !strstr(out, "wJalr"),
                      "the secret was printed:\n%s\n%s", out, err);
            free(out);
            free(err);
        }
    }
}

/* ------------------------------------------------------------ log lines */

Test(hostile, file_names_cannot_forge_log_lines)
{
    cr_assert_eq(tu_runf(NULL, NULL, "mkdir -p %s/d", tmp), 0);
    make("d/a\nFAKE ok line.png", 40, 30);
    make("d/b\033[2K\rFAKE ok.png", 40, 30);
    make("d/good.png", 40, 30);
    for (int json = 0; json < 2; json++) {
        char *out = NULL, *err = NULL;
        int rc = tu_runf(&out, &err, "cd %s && %s run %s d", tmp, tu_pixpipe(),
                         json ? "--log-format json" : "");
        cr_expect_eq(rc, 1, "exit status %d\n%s%s", rc, out, err);
        cr_expect(!line_starts_with(out, "FAKE") && !line_starts_with(err, "FAKE"),
                  "a forged line:\nstdout:\n%s\nstderr:\n%s", out, err);
        cr_expect(!strchr(out, '\033'), "a raw ESC on stdout:\n%s", out);
        if (!json) {
            /* one line per failed job, the name escaped */
            expect_has(err, "pixpipe: failed: d/a\\nFAKE ok line.png: ");
            expect_has(err, "pixpipe: failed: d/b\\x1b[2K\\rFAKE ok.png: ");
            expect_has(out, "1 processed, 2 failed, 0 skipped\n");
        }
        free(out);
        free(err);
    }
}

/* -------------------------------------------------- libvips' reasons */

/* A generated PNG with byte i set to v: a chunk length out of range makes
 * libpng give up with only a warning, so libvips' error buffer is empty. */
static void corrupt_png(const char *rel, size_t i, unsigned char v)
{
    make(rel, 64, 48);
    char *p = at(rel);
    size_t len = 0;
    char *data = tu_read_file(p, &len);
    cr_assert(data && len > i);
    data[i] = (char)v;
    cr_assert_eq(tu_write_file(p, data, len), 0);
    free(data);
    free(p);
}

Test(hostile, a_libvips_failure_without_a_message_still_says_what_failed)
{
    corrupt_png("ihdr.png", 8, 0x80);   /* IHDR's length, over 2^31 */
    corrupt_png("ihdr2.png", 10, 0xff); /* IHDR's length, 16 MiB */
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && %s run -j 1 ihdr.png ihdr2.png", tmp, tu_pixpipe());
    cr_expect_eq(rc, 1, "exit status %d\n%s%s", rc, out, err);
    /* the operation, on which file, and that libvips said nothing more */
    expect_has(err, "pixpipe: failed: ihdr.png: cannot read the png header: no reason given by "
               "libvips\n");
    expect_has(err, "pixpipe: failed: ihdr2.png: cannot read the png header: no reason given by "
               "libvips\n");
    cr_expect(!strstr(err, "unknown libvips error"), "%s", err);
    free(out);
    free(err);
}
