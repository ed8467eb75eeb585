/* ${VAR} expansion of pipeline values. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "envexpand.h"

static char why[512];

static char *expand(const char *in)
{
    char *out = NULL;
    why[0] = '\0';
    if (pix_env_expand(in, &out, why, sizeof why) < 0)
        return NULL;
    return out;
}

Test(env, set_variable)
{
    setenv("PIX_T_SET", "hello", 1);
    char *s = expand("a ${PIX_T_SET} b ${PIX_T_SET}");
    cr_assert_str_eq(s, "a hello b hello");
    free(s);
}

Test(env, default_when_unset_or_empty)
{
    unsetenv("PIX_T_UNSET");
    setenv("PIX_T_EMPTY", "", 1);
    setenv("PIX_T_SET", "x", 1);
    char *a = expand("${PIX_T_UNSET:-fallback value}");
    char *b = expand("${PIX_T_EMPTY:-e}");
    char *c = expand("${PIX_T_SET:-ignored}");
    char *d = expand("${PIX_T_UNSET:-}");
    cr_assert_str_eq(a, "fallback value");
    cr_assert_str_eq(b, "e");
    cr_assert_str_eq(c, "x");
    cr_assert_str_eq(d, "");
    free(a), free(b), free(c), free(d);
}

Test(env, set_but_empty_without_default_is_empty)
{
    setenv("PIX_T_EMPTY", "", 1);
    char *s = expand("[${PIX_T_EMPTY}]");
    cr_assert_str_eq(s, "[]");
    free(s);
}

Test(env, unset_is_an_error_naming_the_variable)
{
    unsetenv("PIX_T_UNSET");
    cr_assert_null(expand("x ${PIX_T_UNSET} y"));
    cr_assert_str_eq(why, "environment variable PIX_T_UNSET is not set; set it or write "
                          "${PIX_T_UNSET:-default}");
}

Test(env, dollar_dollar_is_literal_and_lone_dollar_kept)
{
    setenv("PIX_T_SET", "v", 1);
    char *s = expand("cost $$5, $HOME, $${PIX_T_SET}, end$");
    cr_assert_str_eq(s, "cost $5, $HOME, ${PIX_T_SET}, end$");
    free(s);
}

Test(env, value_is_not_expanded_again)
{
    setenv("PIX_T_NESTED", "${PIX_T_UNSET}", 1);
    unsetenv("PIX_T_UNSET");
    char *s = expand("${PIX_T_NESTED}");
    cr_assert_str_eq(s, "${PIX_T_UNSET}");
    free(s);
}

Test(env, unterminated_is_an_error)
{
    cr_assert_null(expand("abc ${PIX_T_SET"));
    cr_assert(strstr(why, "unterminated '${'"), "%s", why);
}

Test(env, invalid_name_is_an_error)
{
    cr_assert_null(expand("${1ABC}"));
    cr_assert(strstr(why, "invalid variable reference '${1ABC}'"), "%s", why);
    cr_assert_null(expand("${}"));
    cr_assert_null(expand("${A B}"));
}

Test(env, no_dollar_is_copied)
{
    char *s = expand("");
    cr_assert_str_eq(s, "");
    free(s);
}
