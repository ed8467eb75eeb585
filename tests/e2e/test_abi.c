/* Plugin ABI 2 as a plugin author meets it: what the compiler refuses,
 * a stage with no create() at work, and each job's own libvips error when
 * jobs fail side by side. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

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

TestSuite(abi, .init = setup, .fini = teardown, .timeout = 120);

static void write_at(const char *rel, const void *data, size_t len)
{
    char *p = tu_strf("%s/%s", tmp, rel);
    cr_assert_eq(tu_write_file(p, data, len), 0, "cannot write %s", p);
    free(p);
}

/* Compiles src as a plugin against include/ as the SDK's users do; the
 * compiler's exit status, its messages in *msgs. */
static int compile(const char *src, char **msgs)
{
    write_at("p.c", src, strlen(src));
    return tu_runf(NULL, msgs, "cd %s && cc -std=c11 -Wall -Wextra -Wpedantic -pedantic-errors "
                   "-I%s/include -fPIC -shared -o p.so p.c", tmp, tu_src());
}

static const char *const stage_head =
    "#include <pixpipe/pixpipe.h>\n"
    "static int p_process(const pix_ctx *ctx, pix_job *job)\n"
    "{ (void)ctx; (void)job; return 0; }\n";

/* The control: the smallest stage builds clean with every warning asked. */
Test(abi, smallest_stage_compiles_clean)
{
    char *src = tu_strf("%sPIX_STAGE_PLUGIN(\"p\", \"1.0.0\", \"test\", p_process);\n",
                        stage_head);
    char *msgs = NULL;
    cr_expect_eq(compile(src, &msgs), 0, "%s", msgs);
    cr_expect(!msgs || !*msgs, "warnings: %s", msgs);
    free(msgs), free(src);
}

/* A storage callback in a stage, a stage without process(), a process()
 * of the wrong type: none of them compiles. */
Test(abi, wrong_kind_missing_and_mistyped_callbacks_do_not_compile)
{
    static const struct { const char *decl, *says; } cases[] = {
        { "PIX_STAGE_PLUGIN(\"p\", \"1.0.0\", \"t\", p_process, .put = 0);", "no member named" },
        { "PIX_STAGE_PLUGIN(\"p\", \"1.0.0\", \"t\");", "error" },
        { "static int bad(void *s, pix_job *j) { (void)s; (void)j; return 0; }\n"
          "PIX_STAGE_PLUGIN(\"p\", \"1.0.0\", \"t\", bad);", "incompatible pointer type" },
        { "PIX_METADATA_PLUGIN(\"metadata-p\", \"1.0.0\", \"t\", p_process);",
          "incompatible pointer type" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *src = tu_strf("%s%s\n", stage_head, cases[i].decl);
        char *msgs = NULL;
        cr_expect_neq(compile(src, &msgs), 0, "compiled: %s", cases[i].decl);
        cr_expect(msgs && strstr(msgs, cases[i].says), "'%s' gives no '%s':\n%s",
                  cases[i].decl, cases[i].says, msgs ? msgs : "");
        free(msgs), free(src);
    }
}

/* A stage with process() only reads its option from ctx->config. */
Test(abi, stage_without_create_reads_its_config)
{
    char *img = tu_strf("%s/a.jpg", tmp);
    cr_assert_eq(tu_make_image(img, 64, 48), 0);
    const char *yaml = "destination: { storage: fs, root: ./out }\n"
                       "metadata:    { backend: sqlite, path: ./md.db }\n"
                       "stages:\n  - nocreate: { gain: 2.5 }\n  - metadata-sink: {}\n";
    write_at("p.yaml", yaml, strlen(yaml));
    char *out = NULL, *err = NULL;
    int rc = tu_runf(&out, &err, "cd %s && PIXPIPE_PLUGIN_PATH=%s/test-plugins %s run -p p.yaml "
                     "a.jpg", tmp, tu_build(), tu_pixpipe());
    cr_assert_eq(rc, 0, "%s%s", out, err);
    char *rec = NULL;
    rc = tu_runf(&rec, NULL, "/usr/bin/sqlite3 %s/md.db \"SELECT record FROM images\"", tmp);
    cr_assert_eq(rc, 0);
    cr_expect(strstr(rec, "\"notes\":[\"nocreate gain 2.5\"]") != NULL, "%s", rec);
    free(rec), free(out), free(err), free(img);
}

/* Four inputs broken in four formats, run side by side: each failure
 * carries the error of its own format's loader and of no other, and
 * nothing is left in libvips' buffer for a later job to report. */
Test(abi, each_job_reports_its_own_libvips_error)
{
    /* Each loader words its failure its own way (PNG's says nothing). */
    static const struct { const char *name, *bytes; size_t len; const char *loader; } bad[] = {
#define BYTES(s) s, sizeof s - 1
        { "a.jpg", BYTES("\xff\xd8\xff\xe0 not a jpeg at all"), "VipsJpeg: " },
        { "c.gif", BYTES("GIF89a garbage garbage garbage garbage garbage"), "gifload_buffer: " },
        { "e.webp", BYTES("RIFF\x30\0\0\0WEBPVP8 garbage garbage garbage garbage"), "webp: " },
        { "f.avif", BYTES("\0\0\0\x1c" "ftypavif\0\0\0\0avifmif1miaf garbage garbage"), "heif: " },
#undef BYTES
    };
    size_t n = sizeof bad / sizeof *bad;
    for (size_t i = 0; i < n; i++)
        write_at(bad[i].name, bad[i].bytes, bad[i].len);
    for (int round = 0; round < 5; round++) {
        char *err = NULL;
        int rc = tu_runf(NULL, &err, "cd %s && %s run -j 4 a.jpg c.gif e.webp f.avif", tmp,
                         tu_pixpipe());
        cr_assert_eq(rc, 1, "%s", err);
        for (size_t i = 0; i < n; i++) {
            char *tag = tu_strf("failed: %s: ", bad[i].name);
            const char *line = strstr(err, tag);
            cr_assert_not_null(line, "no failure line for %s:\n%s", bad[i].name, err);
            size_t len = strcspn(line, "\n");
            char *one = strndup(line, len);
            cr_expect(strstr(one, bad[i].loader) != NULL, "%s: not its own error: %s",
                      bad[i].name, one);
            for (size_t j = 0; j < n; j++)
                cr_expect(j == i || !strstr(one, bad[j].loader), "%s reports %s's error: %s",
                          bad[i].name, bad[j].name, one);
            cr_expect(!strstr(one, "unknown libvips error"), "%s", one);
            free(one), free(tag);
        }
        free(err);
    }
}
