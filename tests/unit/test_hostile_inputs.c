/* Inputs and pipelines written to hurt (issue 13): folder walks that would
 * leave the folder or never end, YAML that is slow to read or hides a NUL,
 * keys and rendition names that climb out of the destination, secrets from
 * the environment echoed in errors, names that forge log lines, and libvips
 * failures that come without a reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <vips/vips.h>

#include "envexpand.h"
#include "err.h"
#include "inputs.h"
#include "keys.h"
#include "log.h"
#include "optfill.h"
#include "options.h"
#include "pipeline.h"
#include "testutil.h"
#include "yaml_tree.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A time budget in seconds, five times larger under the sanitizers
 * (PIXPIPE_SAN=1, set by `make test SAN=1`), which slow everything down. */
static double budget(double secs)
{
    const char *san = getenv("PIXPIPE_SAN");
    return san && !strcmp(san, "1") ? 5 * secs : secs;
}

#define assert_has(msg, frag) cr_assert(strstr((msg), (frag)), "got:  %s\nwant: %s", (msg), (frag))

/* ------------------------------------------------------------ log escape */

static const char *esc(const char *in)
{
    static char out[512];
    size_t n = pix_log_escape(in, out, sizeof out);
    cr_assert_eq(n, strlen(out), "the length returned is the length written");
    return out;
}

Test(hostile, log_escape_turns_controls_into_visible_text)
{
    cr_expect_str_eq(esc("a\nFAKE ok line.jpg"), "a\\nFAKE ok line.jpg");
    cr_expect_str_eq(esc("cr\rtab\t"), "cr\\rtab\\t");
    cr_expect_str_eq(esc("b\033[2KFAKE"), "b\\x1b[2KFAKE");
    cr_expect_str_eq(esc("del\x7f bell\a nul-less\x01"), "del\\x7f bell\\x07 nul-less\\x01");
    /* well-formed UTF-8 is kept as typed, a backslash too */
    cr_expect_str_eq(esc("été/日本/🙂 a\\b"), "été/日本/🙂 a\\b");
    /* invalid UTF-8: a lone continuation byte, a truncated sequence, an
     * overlong '/', a surrogate, and C1 CSI (U+009B), which terminals obey */
    cr_expect_str_eq(esc("\x80"), "\\x80");
    cr_expect_str_eq(esc("x\xc3"), "x\\xc3");
    cr_expect_str_eq(esc("\xc0\xaf"), "\\xc0\\xaf");
    cr_expect_str_eq(esc("\xed\xa0\x80"), "\\xed\\xa0\\x80");
    cr_expect_str_eq(esc("\xc2\x9b" "2J"), "\\xc2\\x9b2J");
    cr_expect_str_eq(esc(NULL), "");
}

Test(hostile, log_escape_truncates_whole_pieces_and_terminates)
{
    char out[6];
    memset(out, 'Z', sizeof out);
    /* "ab" fits; "\x1b" (4 bytes) would leave no room for the NUL: it is
     * dropped whole, never written in part */
    size_t n = pix_log_escape("ab\033cd", out, sizeof out);
    cr_expect_str_eq(out, "ab");
    cr_expect_eq(n, 2);
    n = pix_log_escape("abcd\xc3\xa9", out, sizeof out);
    cr_expect_str_eq(out, "abcd", "a character is not split");
    cr_expect_eq(n, 4);
    char one[1] = { 'Z' };
    cr_expect_eq(pix_log_escape("abc", one, 1), 0);
    cr_expect_eq(one[0], '\0');
    cr_expect_eq(pix_log_escape("abc", NULL, 0), 0);
}

/* --------------------------------------------------------------- folders */

static char *tmp;

static void tmp_setup(void)
{
    tmp = tu_tmpdir();
    cr_assert_not_null(tmp);
}

static void tmp_teardown(void)
{
    tu_rmrf(tmp);
    free(tmp);
}

static void touch(const char *rel)
{
    char *p = tu_strf("%s/%s", tmp, rel);
    cr_assert_eq(tu_write_file(p, "x", 1), 0, "%s", p);
    free(p);
}

static void mkdir_rel(const char *rel)
{
    char *p = tu_strf("%s/%s", tmp, rel);
    cr_assert_eq(mkdir(p, 0755), 0, "%s: %s", p, strerror(errno));
    free(p);
}

static void link_rel(const char *target, const char *rel)
{
    char *p = tu_strf("%s/%s", tmp, rel);
    cr_assert_eq(symlink(target, p), 0, "%s: %s", p, strerror(errno));
    free(p);
}

static bool has_key(const pix_inputs *in, const char *key)
{
    for (size_t i = 0; i < in->n; i++)
        if (!strcmp(in->items[i].key, key))
            return true;
    return false;
}

Test(hostile, walk_never_follows_links_out_of_the_folder_or_round_in_circles,
     .init = tmp_setup, .fini = tmp_teardown, .timeout = 20)
{
    mkdir_rel("d");
    mkdir_rel("d/sub");
    touch("d/a.jpg");
    touch("d/sub/b.jpg");
    link_rel("/etc", "d/etc");
    link_rel(".", "d/loop1");
    link_rel(".", "d/loop2");
    link_rel("..", "d/sub/up");
    link_rel("/etc/hostname", "d/host.jpg");
    char *d = tu_strf("%s/d", tmp);
    pix_inputs in = { 0 };
    pix_err err = { { 0 } };
    double t0 = now_s();
    cr_assert_eq(pix_inputs_add(&in, d, NULL, &err), 0, "%s", err.msg);
    double secs = now_s() - t0;
    cr_expect_lt(secs, budget(1.0), "the walk took %.2f s", secs);
    cr_expect_eq(in.n, 2, "only the two real files: got %zu inputs", in.n);
    cr_expect(has_key(&in, "a.jpg") && has_key(&in, "sub/b.jpg"));
    for (size_t i = 0; i < in.n; i++) {
        cr_expect(!strstr(in.items[i].key, "etc") && !strstr(in.items[i].key, "loop") &&
                  !strstr(in.items[i].key, "up") && !strstr(in.items[i].key, "host"),
                  "a link was followed: %s", in.items[i].key);
        cr_expect(in.items[i].from_folder);
    }
    pix_inputs_free(&in);
    /* A link named on the command line is the user's choice: it is kept. */
    char *named = tu_strf("%s/d/host.jpg", tmp);
    cr_assert_eq(pix_inputs_add(&in, named, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].key, "host.jpg");
    pix_inputs_free(&in);
    free(named);
    free(d);
}

Test(hostile, walk_of_an_empty_folder_gives_no_input, .init = tmp_setup, .fini = tmp_teardown)
{
    /* qsort(NULL, 0) used to run here: undefined, and fatal under UBSan */
    mkdir_rel("e");
    mkdir_rel("e/x");
    char *e = tu_strf("%s/e", tmp);
    pix_inputs in = { 0 };
    pix_err err = { { 0 } };
    cr_assert_eq(pix_inputs_add(&in, e, NULL, &err), 0, "%s", err.msg);
    cr_expect_eq(in.n, 0);
    pix_inputs_free(&in);
    free(e);
}

Test(hostile, walk_depth_is_capped_with_a_clear_error, .init = tmp_setup, .fini = tmp_teardown)
{
    /* 64 levels below the root are walked; the 65th is refused */
    char *rel = strdup("top");
    mkdir_rel(rel);
    for (int i = 1; i <= 64; i++) {
        char *deeper = tu_strf("%s/d", rel);
        free(rel);
        rel = deeper;
        mkdir_rel(rel);
    }
    char *leaf = tu_strf("%s/ok.jpg", rel);
    touch(leaf);
    char *top = tu_strf("%s/top", tmp);
    pix_inputs in = { 0 };
    pix_err err = { { 0 } };
    cr_assert_eq(pix_inputs_add(&in, top, NULL, &err), 0, "64 levels are walked: %s", err.msg);
    cr_expect_eq(in.n, 1);
    pix_inputs_free(&in);
    char *deeper = tu_strf("%s/d", rel);
    mkdir_rel(deeper);
    cr_assert_eq(pix_inputs_add(&in, top, NULL, &err), -1, "a 65th level was walked");
    assert_has(err.msg, "folders nest deeper than 64 levels below");
    assert_has(err.msg, top);
    pix_inputs_free(&in);
    free(deeper);
    free(top);
    free(leaf);
    free(rel);
}

Test(hostile, walk_passes_over_fifos_and_keeps_the_exclusion, .init = tmp_setup,
     .fini = tmp_teardown, .timeout = 20)
{
    mkdir_rel("d");
    mkdir_rel("d/out");
    touch("d/a.jpg");
    touch("d/out/a-large.jpg");
    char *fifo = tu_strf("%s/d/pipe.jpg", tmp);
    cr_assert_eq(mkfifo(fifo, 0644), 0);
    char *d = tu_strf("%s/d", tmp), *out = tu_strf("%s/d/out", tmp);
    pix_inputs in = { 0 };
    pix_err err = { { 0 } };
    cr_assert_eq(pix_inputs_add(&in, d, out, &err), 0, "%s", err.msg);
    cr_expect_eq(in.n, 1, "the FIFO and the destination are passed over: %zu inputs", in.n);
    cr_expect(has_key(&in, "a.jpg"));
    pix_inputs_free(&in);
    free(fifo);
    free(d);
    free(out);
}

Test(hostile, display_names_are_escaped, .init = tmp_setup, .fini = tmp_teardown)
{
    mkdir_rel("d");
    touch("d/a\nFAKE ok line.jpg");
    char *d = tu_strf("%s/d", tmp);
    pix_inputs in = { 0 };
    pix_err err = { { 0 } };
    cr_assert_eq(pix_inputs_add(&in, d, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(in.n, 1);
    cr_expect_str_eq(in.items[0].key, "a\nFAKE ok line.jpg", "the key stays the file's name");
    cr_expect(!strchr(in.items[0].display, '\n'), "display: %s", in.items[0].display);
    assert_has(in.items[0].display, "a\\nFAKE ok line.jpg");
    cr_assert_eq(pix_inputs_add_s3(&in, "b", "x\033]0;owned\a.jpg", NULL,
                                   "s3://b/x\033]0;owned\a.jpg",
                                   &err), 0);
    cr_expect_str_eq(in.items[1].display, "s3://b/x\\x1b]0;owned\\x07.jpg");
    pix_inputs_free(&in);
    free(d);
}

/* ------------------------------------------------------------------ YAML */

static int ytree(const char *text, size_t len, pix_err *err)
{
    pix_ynode *root = NULL;
    int rc = pix_ytree_parse("p.yaml", text, len, &root, err);
    pix_ynode_free(root);
    return rc;
}

static char *nested(size_t n)
{
    const char *head = "name: x\nstages: ";
    size_t h = strlen(head);
    char *s = malloc(h + 2 * n + 2);
    cr_assert_not_null(s);
    memcpy(s, head, h);
    memset(s + h, '[', n);
    memset(s + h + n, ']', n);
    s[h + 2 * n] = '\n';
    s[h + 2 * n + 1] = '\0';
    return s;
}

Test(hostile, deep_nesting_is_refused_fast_with_file_and_line, .timeout = 30)
{
    pix_err err = { { 0 } };
    char *s = nested(100000);
    double t0 = now_s();
    cr_assert_eq(ytree(s, strlen(s), &err), -1);
    double secs = now_s() - t0;
    /* it took 75 s before: libyaml's scanner is quadratic in flow depth */
    cr_expect_lt(secs, budget(1.0), "10^5 nested '[' took %.2f s", secs);
    assert_has(err.msg, "p.yaml:2:");
    assert_has(err.msg, "nest deeper than 64 levels");
    free(s);
    /* 64 levels, the top mapping included, are fine; 65 are not */
    s = nested(63);
    cr_expect_eq(ytree(s, strlen(s), &err), 0, "%s", err.msg);
    free(s);
    s = nested(64);
    cr_expect_eq(ytree(s, strlen(s), &err), -1);
    assert_has(err.msg, "p.yaml:2:72: lists and mappings nest deeper than 64 levels");
    free(s);
}

/* "limits:" with n keys k0..k(n-1), one a line; caller frees. */
static char *wide(int n)
{
    char *s = malloc((size_t)n * 16 + 64), *p = s;
    cr_assert_not_null(s);
    p += sprintf(p, "limits:\n");
    for (int i = 0; i < n; i++)
        p += sprintf(p, " k%d: 1\n", i);
    return s;
}

/* The best of three parses of s, in seconds. */
static double parse_time(const char *s)
{
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        pix_err err = { { 0 } };
        double t0 = now_s();
        cr_assert_eq(ytree(s, strlen(s), &err), 0, "%s", err.msg);
        double t = now_s() - t0;
        best = t < best ? t : best;
    }
    return best;
}

Test(hostile, a_wide_mapping_reads_in_linear_time, .timeout = 60)
{
    /* 45000 keys, under 1 MiB: duplicate keys used to be found by
     * comparing each key with all before it (8 s).  Four times the keys
     * must take about four times as long, not sixteen. */
    enum { N = 45000 };
    char *quarter = wide(N / 4), *s = wide(N);
    double tq = parse_time(quarter), t = parse_time(s);
    cr_expect_lt(t, budget(1.0), "%d keys took %.2f s", N, t);
    cr_expect_lt(t, 10 * tq + 0.05, "%d keys took %.3f s, %d took %.3f s: not linear", N, t,
                 N / 4, tq);
    free(quarter);
    pix_err err = { { 0 } };
    char *p = s + strlen(s);
    /* the same with a repeat at the end: named with both places */
    p += sprintf(p, " k7: 2\n");
    cr_expect_eq(ytree(s, strlen(s), &err), -1);
    char want[128];
    snprintf(want, sizeof want, "p.yaml:%d:2: duplicate key 'k7' (first given at 9:2)", N + 2);
    assert_has(err.msg, want);
    free(s);
    /* the earliest repeat in the document is the one reported */
    const char *two = "b: 1\na: 1\nb: 2\na: 2\n";
    cr_expect_eq(ytree(two, strlen(two), &err), -1);
    assert_has(err.msg, "p.yaml:3:1: duplicate key 'b' (first given at 1:1)");
}

Test(hostile, anchors_and_aliases_are_capped)
{
    char *s = malloc(1001 * 24 + 16), *p = s;
    cr_assert_not_null(s);
    p += sprintf(p, "limits:\n");
    for (int i = 0; i < 1001; i++)
        p += sprintf(p, " k%d: &a%d 1\n", i, i);
    pix_err err = { { 0 } };
    cr_expect_eq(ytree(s, strlen(s), &err), -1);
    assert_has(err.msg, "p.yaml:1002:");
    assert_has(err.msg, "more than 1000 anchors");
    free(s);
    s = malloc(10001 * 4 + 32);
    p = s;
    p += sprintf(p, "a: &a 1\nb: [");
    for (int i = 0; i < 10001; i++)
        p += sprintf(p, "*a,");
    sprintf(p, "]\n");
    cr_expect_eq(ytree(s, strlen(s), &err), -1);
    assert_has(err.msg, "more than 10000 aliases");
    free(s);
}

Test(hostile, a_nul_in_a_scalar_is_an_error_not_a_cut)
{
    pix_err err = { { 0 } };
    const char *v = "name: \"de\\0fault\"\n";
    cr_expect_eq(ytree(v, strlen(v), &err), -1);
    assert_has(err.msg, "p.yaml:1:7: the value holds a NUL byte");
    const char *k = "\"na\\0me\": x\n";
    cr_expect_eq(ytree(k, strlen(k), &err), -1);
    assert_has(err.msg, "p.yaml:1:1: the key holds a NUL byte");
    const char *fine = "name: \"de\\tfault\"\n";
    cr_expect_eq(ytree(fine, strlen(fine), &err), 0, "%s", err.msg);
}

Test(hostile, pipeline_text_over_one_mib_is_refused_before_reading, .init = tmp_setup,
     .fini = tmp_teardown, .timeout = 20)
{
    size_t len = PIX_YMAX_BYTES + 1;
    char *s = malloc(len);
    cr_assert_not_null(s);
    memset(s, '#', len);
    pix_err err = { { 0 } };
    cr_expect_eq(ytree(s, len, &err), -1);
    assert_has(err.msg, "over the 1048576 bytes (1 MiB)");
    char *path = tu_strf("%s/big.yaml", tmp);
    cr_assert_eq(tu_write_file(path, s, len), 0);
    cr_expect_null(pix_pipeline_load(path, NULL, &err));
    assert_has(err.msg, path);
    assert_has(err.msg, "1048577 bytes, over the 1048576 bytes (1 MiB)");
    /* endless: read up to the cap, then refused */
    cr_expect_null(pix_pipeline_load("/dev/zero", NULL, &err));
    assert_has(err.msg, "/dev/zero: over the 1048576 bytes");
    free(path);
    free(s);
}

/* -------------------------------------------------- secrets from ${VAR} */

#define FAKE_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYFAKESECRET"

Test(hostile, expansion_says_which_variables_gave_the_value)
{
    char *out = NULL, from[128], why[256];
    setenv("PIX_H_A", "1", 1);
    setenv("PIX_H_B", "2", 1);
    unsetenv("PIX_H_UNSET");
    cr_assert_eq(pix_env_expand_from("${PIX_H_A}x${PIX_H_B}", &out, from, sizeof from, why,
                                     sizeof why), 0);
    cr_expect_str_eq(out, "1x2");
    cr_expect_str_eq(from, "${PIX_H_A}, ${PIX_H_B}");
    free(out);
    /* a default is the file's own text */
    cr_assert_eq(pix_env_expand_from("${PIX_H_UNSET:-5}", &out, from, sizeof from, why,
                                     sizeof why), 0);
    cr_expect_str_eq(from, "");
    free(out);
}

typedef struct sec_cfg {
    uint64_t max_pixels;
    int fit;
    char *label;
} sec_cfg;

static const char *const fits[] = { "inside", "cover", NULL };

static const pix_option sec_table[] = {
    { .name = "max_pixels", .type = PIX_OPT_SIZE, .offset = offsetof(sec_cfg, max_pixels) },
    { .name = "fit", .type = PIX_OPT_ENUM, .offset = offsetof(sec_cfg, fit), .choices = fits },
    { .name = "label", .type = PIX_OPT_STRING, .offset = offsetof(sec_cfg, label), .min = 1,
      .max = 8 },
    { .name = NULL },
};

static void expect_no_secret(const char *yaml, const char *want)
{
    pix_ynode *root = NULL;
    pix_err err = { { 0 } };
    cr_assert_eq(pix_ytree_parse("p.yaml", yaml, strlen(yaml), &root, &err), 0, "%s", err.msg);
    pix_optsection fc = { "p.yaml", "limits", 1, 1, NULL };
    sec_cfg cfg = { 0 };
    cr_expect_eq(pix_optfill(&fc, sec_table, pix_ymap_get(root, "limits"), &cfg, &err), -1,
                 "%s was accepted", yaml);
    assert_has(err.msg, want);
    cr_expect(!strstr(err.msg, "FAKESECRET") && !strstr(err.msg, "wJalr"),
              "the secret is in the message: %s", err.msg);
    pix_config_free(sec_table, &cfg);
    pix_ynode_free(root);
}

Test(hostile, option_errors_never_quote_a_value_from_the_environment)
{
    setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET, 1);
    expect_no_secret("limits: { max_pixels: \"${AWS_SECRET_ACCESS_KEY}\" }\n",
                     "p.yaml:1:23: limits: max_pixels: the value from ${AWS_SECRET_ACCESS_KEY} "
                     "is not a size");
    /* no "did you mean" built from the secret either */
    expect_no_secret("limits: { fit: \"${AWS_SECRET_ACCESS_KEY}\" }\n",
                     "fit: the value from ${AWS_SECRET_ACCESS_KEY} is not one of inside, cover");
    expect_no_secret("limits: { label: \"x-${AWS_SECRET_ACCESS_KEY}\" }\n",
                     "label: the value from ${AWS_SECRET_ACCESS_KEY} is too long");
    /* a value written in the file is still quoted, to help find it */
    pix_ynode *root = NULL;
    pix_err err = { { 0 } };
    const char *plain = "limits: { max_pixels: lots }\n";
    cr_assert_eq(pix_ytree_parse("p.yaml", plain, strlen(plain), &root, &err), 0);
    pix_optsection fc = { "p.yaml", "limits", 1, 1, NULL };
    sec_cfg cfg = { 0 };
    cr_expect_eq(pix_optfill(&fc, sec_table, pix_ymap_get(root, "limits"), &cfg, &err), -1);
    assert_has(err.msg, "max_pixels: 'lots' is not a size");
    pix_config_free(sec_table, &cfg);
    pix_ynode_free(root);
    unsetenv("AWS_SECRET_ACCESS_KEY");
}

/* ------------------------------------------------------------------ keys */

static void template_refused(const char *tmpl, const char *why)
{
    pix_err err = { { 0 } };
    cr_expect_eq(pix_template_check(tmpl, &err), -1, "'%s' was accepted", tmpl);
    assert_has(err.msg, why);
}

Test(hostile, templates_that_leave_the_destination_are_refused)
{
    template_refused("../../x/{name}-{rendition}.{ext}", "has a '..' segment");
    template_refused("x/../{name}-{rendition}.{ext}", "has a '..' segment");
    template_refused("/abs/{name}-{rendition}", "starts with '/'");
    template_refused("a//{name}-{rendition}", "has an empty segment ('//')");
    template_refused("a/./{name}-{rendition}", "has a '.' segment");
    template_refused("a/{name}-{rendition}/", "ends with '/'");
    template_refused("a\t/{name}-{rendition}", "control character");
    pix_err err = { { 0 } };
    /* placeholders next to dots are fine: the expanded key is checked */
    cr_expect_eq(pix_template_check("..{name}/{rendition}.{ext}", &err), 0, "%s", err.msg);
    cr_expect_eq(pix_template_check("{dir}/{name}-{rendition}.{ext}", &err), 0, "%s", err.msg);
    cr_expect_eq(pix_template_check("{{..}}/{name}-{rendition}", &err), 0, "%s", err.msg);
    /* a template from the environment is not quoted */
    cr_expect_eq(pix_template_check_as("s3cr3t/{name}", "the value from ${K}", &err), -1);
    assert_has(err.msg, "key template (the value from ${K}) lacks {rendition}");
    cr_expect(!strstr(err.msg, "s3cr3t"), "%s", err.msg);
}

Test(hostile, a_source_key_with_dotdot_cannot_move_the_output)
{
    /* an S3 key is any string: "a/../../../etc/x.jpg" is a valid one */
    const char *tmpls[] = { "{key}-{rendition}.{ext}", "{dir}/{name}-{rendition}.{ext}",
                            "out/{dir}/{rendition}/{name}.{ext}" };
    for (size_t i = 0; i < sizeof tmpls / sizeof *tmpls; i++) {
        pix_err err = { { 0 } };
        char *k = pix_template_expand(tmpls[i], "a/../../../etc/x.jpg", "main", "jpg", &err);
        cr_expect_null(k, "%s gave '%s'", tmpls[i], k);
        free(k);
        assert_has(err.msg, "made from source key 'a/../../../etc/x.jpg'");
        assert_has(err.msg, "the key has a '..' segment");
    }
    /* a name of ".." alone, through {name} */
    pix_err err = { { 0 } };
    char *k = pix_template_expand("{name}/{rendition}.{ext}", "x/..", "main", "jpg", &err);
    cr_expect_null(k, "gave '%s'", k);
    free(k);
    /* ordinary keys still expand */
    k = pix_template_expand("{dir}/{name}-{rendition}.{ext}", "a/..b/c..d.jpg", "main", "jpg",
                            &err);
    cr_expect_str_eq(k, "a/..b/c..d-main.jpg", "%s", err.msg);
    free(k);
}

Test(hostile, rendition_names_that_make_unsafe_keys_are_refused)
{
    const char *why = NULL;
    const char *bad[] = { "", ".", "..", "a/b", "/", "a\nb", "x\033" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        why = NULL;
        cr_expect_eq(pix_rendition_check(bad[i], &why), -1, "'%s' accepted", bad[i]);
        cr_expect_not_null(why);
    }
    cr_expect_eq(pix_rendition_check("..", &why), -1);
    assert_has(why, "'.' or '..'");
    cr_expect_eq(pix_rendition_check("thumb", &why), 0);
    cr_expect_eq(pix_rendition_check("..x", &why), 0);
    cr_expect_eq(pix_rendition_check("é.2x", &why), 0);
}

/* --------------------------------------------------------------- libvips */

Test(hostile, an_empty_libvips_error_buffer_still_gives_a_reason)
{
    char buf[256];
    cr_assert_eq(VIPS_INIT("test"), 0);
    vips_error_clear();
    pix_vips_error(buf, sizeof buf);
    cr_expect_str_eq(buf, "no reason given by libvips");
    cr_expect(!strstr(buf, "unknown"), "%s", buf);
}
