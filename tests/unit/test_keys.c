/* Key templates and the file-system key check. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

static void expect_expand(const char *tmpl, const char *key, const char *want)
{
    pix_err err = { { 0 } };
    char *got = pix_template_expand(tmpl, key, "large", "jpg", &err);
    cr_assert_not_null(got, "%s: %s", tmpl, err.msg);
    cr_expect_str_eq(got, want, "template %s on %s", tmpl, key);
    free(got);
}

Test(keys, placeholders)
{
    expect_expand("{dir}/{name}-{rendition}.{ext}", "photos/2024/cat.jpeg",
                  "photos/2024/cat-large.jpg");
    expect_expand("{dir}/{name}-{rendition}.{ext}", "cat.png", "cat-large.jpg");
    expect_expand("renditions/{key}/{rendition}.{ext}", "a/b c+d.jpg",
                  "renditions/a/b c+d.jpg/large.jpg");
    expect_expand("{rendition}/{dir}/{name}.{ext}", "x/y/archive.tar.gz", "large/x/y/archive.tar.jpg");
    expect_expand("{name}-{rendition}.{ext}", ".hidden", ".hidden-large.jpg");
    expect_expand("{{literal}}-{rendition}", "k", "{literal}-large");
}

Test(keys, template_errors)
{
    pix_err err = { { 0 } };
    cr_expect_eq(pix_template_check("{dir}/{nmae}-{rendition}", &err), -1);
    cr_expect(strstr(err.msg, "unknown placeholder '{nmae}'") != NULL, "%s", err.msg);
    cr_expect_eq(pix_template_check("{dir}/{name", &err), -1);
    cr_expect(strstr(err.msg, "unclosed '{'") != NULL, "%s", err.msg);
    cr_expect_eq(pix_template_check("{name}.{ext}", &err), -1);
    cr_expect(strstr(err.msg, "lacks {rendition}") != NULL, "%s", err.msg);
    /* an escaped brace pair is literal text, not the placeholder */
    cr_expect_eq(pix_template_check("{{rendition}}/{name}.{ext}", &err), -1);
    cr_expect(strstr(err.msg, "lacks {rendition}") != NULL, "%s", err.msg);
    cr_expect_eq(pix_template_check("/abs/{name}-{rendition}", &err), -1);
    cr_expect(strstr(err.msg, "starts with '/'") != NULL, "%s", err.msg);
    cr_expect_eq(pix_template_check("{dir}/{name}-{rendition}.{ext}", &err), 0);
}

static void expect_refused(const char *key, size_t len, const char *why_part)
{
    const char *why = NULL;
    cr_expect_eq(pix_key_check_len(key, len, &why), -1, "key '%s' accepted", key);
    cr_expect(why && strstr(why, why_part) != NULL, "key '%s': %s", key, why ? why : "(null)");
}

Test(keys, unsafe_keys_are_refused)
{
    expect_refused("../etc/passwd", 13, "'..'");
    expect_refused("a/../../b", 9, "'..'");
    expect_refused("a/..", 4, "'..'");
    expect_refused("/etc/passwd", 11, "absolute");
    expect_refused("a\0b", 3, "NUL");
    expect_refused("a\nb", 3, "control character");
    expect_refused("", 0, "empty");
    expect_refused("a//b", 4, "empty segment");
    expect_refused("./a", 3, "'.'");
    const char *why;
    cr_expect_eq(pix_key_check("photos/2024/b c+d%20é.jpg", &why), 0);
    cr_expect_eq(pix_key_check("..hidden/x..y", &why), 0);
}
