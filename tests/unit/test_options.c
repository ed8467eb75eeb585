/* Option tables: sizes, colours, table checks, describing, freeing. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "optvalue.h"
#include "suggest.h"

static uint64_t size_of(const char *s)
{
    uint64_t v = 0;
    cr_assert_eq(pix_parse_size(s, &v), 0, "'%s' should parse", s);
    return v;
}

Test(options, sizes)
{
    cr_assert_eq(size_of("4096"), 4096);
    cr_assert_eq(size_of("0"), 0);
    cr_assert_eq(size_of("100K"), 100000);
    cr_assert_eq(size_of("100KB"), 100000);
    cr_assert_eq(size_of("50MB"), 50000000);
    cr_assert_eq(size_of("100M"), 100000000);
    cr_assert_eq(size_of("2G"), 2000000000ULL);
    cr_assert_eq(size_of("1KiB"), 1024);
    cr_assert_eq(size_of("3MiB"), 3ULL << 20);
    cr_assert_eq(size_of("1.5GiB"), 1610612736ULL);
    cr_assert_eq(size_of("12B"), 12);
    cr_assert_eq(size_of("2 mb"), 2000000);
    cr_assert_eq(size_of("0.5K"), 500);
}

Test(options, bad_sizes)
{
    const char *bad[] = {"", "MB", "-5", "5XB", "1e3", "1.2.3", "5 ", " 5", "99999999999999999999",
                         "20000000000000T", "five"};
    uint64_t v;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(pix_parse_size(bad[i], &v), -1, "'%s' should be refused", bad[i]);
}

Test(options, colours)
{
    pix_colour c;
    cr_assert_eq(pix_parse_colour("#ff8000", &c), 0);
    cr_assert(c.r == 255 && c.g == 128 && c.b == 0 && c.a == 1.0);
    cr_assert_eq(pix_parse_colour("#f80", &c), 0);
    cr_assert(c.r == 255 && c.g == 136 && c.b == 0 && c.a == 1.0);
    cr_assert_eq(pix_parse_colour("#00000080", &c), 0);
    cr_assert(c.r == 0 && c.a > 0.50 && c.a < 0.51);
    cr_assert_eq(pix_parse_colour("#FFFFFF", &c), 0);
    cr_assert(c.r == 255 && c.g == 255 && c.b == 255);
    cr_assert_eq(pix_parse_colour("transparent", &c), 0);
    cr_assert(c.a == 0.0);
    cr_assert_eq(pix_parse_colour("Orange", &c), 0);
    cr_assert(c.r == 255 && c.g == 165 && c.b == 0);
    const char *names[] = {"black", "white", "red", "green", "blue", "yellow", "cyan",
                           "magenta", "gray", "grey", "purple"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        cr_assert_eq(pix_parse_colour(names[i], &c), 0, "%s", names[i]);
    const char *bad[] = {"#ggg", "#12345", "#", "reddish", "", "#1234567890", "ff0000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_assert_eq(pix_parse_colour(bad[i], &c), -1, "'%s' should be refused", bad[i]);
}

typedef struct cfg {
    char *s;
    int64_t i;
    double d;
    int e;
    pix_strlist l;
    bool b;
} cfg;

static const char *const abc[] = {"alpha", "beta", "gamma", NULL};
static const char *const none[] = {NULL};

#define END {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL}

static const char *check(const pix_option *t, size_t size)
{
    static pix_err err;
    memset(&err, 0, sizeof err);
    return pix_options_check_table(t, size, &err) < 0 ? err.msg : NULL;
}

Test(options, good_table_passes)
{
    const pix_option t[] = {
        {"name", PIX_OPT_STRING, 0, offsetof(cfg, s), "x", 1, 10, NULL, NULL},
        {"count", PIX_OPT_INT, 0, offsetof(cfg, i), "5", 1, 10, NULL, NULL},
        {"mode", PIX_OPT_ENUM, 0, offsetof(cfg, e), "beta", 0, 0, abc, NULL},
        {"tags", PIX_OPT_STRLIST, 0, offsetof(cfg, l), "[a, 'b c', \"d\"]", 0, 0, NULL, NULL},
        {"on", PIX_OPT_BOOL, PIX_OPT_REQUIRED | PIX_OPT_SECRET, offsetof(cfg, b), NULL, 0, 0,
         NULL, NULL},
        END,
    };
    const char *msg = check(t, sizeof(cfg));
    cr_assert_null(msg, "%s", msg);
    cr_assert_null(check(NULL, 0));
}

Test(options, refusals_name_the_option)
{
    struct {
        pix_option o[3];
        const char *frag;
    } cases[] = {
        {{{"a", PIX_OPT_INT, 0, offsetof(cfg, i), NULL, 0, 0, NULL, NULL},
          {"a", PIX_OPT_NUMBER, 0, offsetof(cfg, d), NULL, 0, 0, NULL, NULL}, END},
         "option 'a' is declared twice"},
        {{{"", PIX_OPT_INT, 0, offsetof(cfg, i), NULL, 0, 0, NULL, NULL}, END},
         "option 0 has an empty name"},
        {{{"Bad-Name", PIX_OPT_INT, 0, offsetof(cfg, i), NULL, 0, 0, NULL, NULL}, END},
         "option 'Bad-Name': a name is lower-case"},
        {{{"t", (pix_opt_type)99, 0, 0, NULL, 0, 0, NULL, NULL}, END},
         "option 't': unknown type 99"},
        {{{"far", PIX_OPT_INT, 0, sizeof(cfg), NULL, 0, 0, NULL, NULL}, END},
         "option 'far': field at offset"},
        {{{"odd", PIX_OPT_INT, 0, 4, NULL, 0, 0, NULL, NULL}, END},
         "option 'odd': offset 4 is not aligned"},
        {{{"e", PIX_OPT_ENUM, 0, offsetof(cfg, e), NULL, 0, 0, NULL, NULL}, END},
         "option 'e': an enum needs a non-empty choices list"},
        {{{"e", PIX_OPT_ENUM, 0, offsetof(cfg, e), NULL, 0, 0, none, NULL}, END},
         "option 'e': an enum needs a non-empty choices list"},
        {{{"e", PIX_OPT_ENUM, 0, offsetof(cfg, e), "delta", 0, 0, abc, NULL}, END},
         "option 'e': invalid default: 'delta' is not one of alpha, beta, gamma"},
        {{{"n", PIX_OPT_INT, 0, offsetof(cfg, i), "50", 1, 10, NULL, NULL}, END},
         "option 'n': invalid default: '50' is out of range; expected an int from 1 to 10"},
        {{{"n", PIX_OPT_INT, 0, offsetof(cfg, i), "lots", 0, 0, NULL, NULL}, END},
         "option 'n': invalid default: 'lots' is not an int"},
        {{{"n", PIX_OPT_INT, PIX_OPT_REQUIRED, offsetof(cfg, i), "1", 0, 0, NULL, NULL}, END},
         "option 'n': a required option cannot have a default"},
        {{{"n", PIX_OPT_INT, 0, offsetof(cfg, i), NULL, 5, 1, NULL, NULL}, END},
         "option 'n': min 5 is above max 1"},
        {{{"a", PIX_OPT_INT, 0, offsetof(cfg, i), NULL, 0, 0, NULL, NULL},
          {"b", PIX_OPT_ENUM, 0, offsetof(cfg, i) + 4, NULL, 0, 0, abc, NULL}, END},
         "option 'b': its field overlaps the field of 'a'"},
        {{{"f", PIX_OPT_INT, 0x80, offsetof(cfg, i), NULL, 0, 0, NULL, NULL}, END},
         "option 'f': unknown flags 0x80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *msg = check(cases[i].o, sizeof(cfg));
        cr_assert_not_null(msg, "case %zu (%s) passed", i, cases[i].frag);
        cr_assert(strstr(msg, cases[i].frag), "case %zu: got '%s', want '%s'", i, msg,
                  cases[i].frag);
    }
}

Test(options, default_list_and_free)
{
    const pix_option t[] = {
        {"tags", PIX_OPT_STRLIST, 0, offsetof(cfg, l), "[a, 'b c', \"d\"]", 0, 0, NULL, NULL},
        {"s", PIX_OPT_STRING, 0, offsetof(cfg, s), "hello", 0, 0, NULL, NULL},
        END,
    };
    cfg c = {0};
    char why[256];
    cr_assert_eq(pix_optvalue_set_default(&t[0], &c, why, sizeof why), 0, "%s", why);
    cr_assert_eq(pix_optvalue_set_default(&t[1], &c, why, sizeof why), 0, "%s", why);
    cr_assert_eq(c.l.count, 3);
    cr_assert_str_eq(c.l.items[0], "a");
    cr_assert_str_eq(c.l.items[1], "b c");
    cr_assert_str_eq(c.l.items[2], "d");
    cr_assert_str_eq(c.s, "hello");
    pix_config_free(t, &c);
    cr_assert_null(c.s);
    cr_assert_null(c.l.items);
    cr_assert_eq(c.l.count, 0);
    pix_config_free(t, NULL);
}

Test(options, values_and_secret_never_echoed)
{
    const pix_option s = {"pw", PIX_OPT_STRING, PIX_OPT_SECRET, offsetof(cfg, s), NULL, 8, 64,
                          NULL, NULL};
    const pix_option e = {"mode", PIX_OPT_ENUM, PIX_OPT_SECRET, offsetof(cfg, e), NULL, 0, 0,
                          abc, NULL};
    const pix_option b = {"on", PIX_OPT_BOOL, 0, offsetof(cfg, b), NULL, 0, 0, NULL, NULL};
    cfg c = {0};
    char why[256];
    cr_assert_eq(pix_optvalue_set(&s, "hunter2", &c, why, sizeof why), -1);
    cr_assert_null(strstr(why, "hunter2"), "%s", why);
    cr_assert(strstr(why, "too short; expected a string of 8 to 64 characters"), "%s", why);
    cr_assert_eq(pix_optvalue_set(&e, "alphaa", &c, why, sizeof why), -1);
    cr_assert_null(strstr(why, "alphaa"), "%s", why);
    cr_assert_null(strstr(why, "did you mean"), "%s", why);
    const char *yes[] = {"true", "Yes", "ON"}, *no[] = {"false", "no", "Off"};
    for (int i = 0; i < 3; i++) {
        c.b = false;
        cr_assert_eq(pix_optvalue_set(&b, yes[i], &c, why, sizeof why), 0);
        cr_assert(c.b);
        cr_assert_eq(pix_optvalue_set(&b, no[i], &c, why, sizeof why), 0);
        cr_assert(!c.b);
    }
    cr_assert_eq(pix_optvalue_set(&b, "maybe", &c, why, sizeof why), -1);
    cr_assert_str_eq(why, "'maybe' is not a bool; expected true or false (or yes/no, on/off)");
}

Test(options, describe)
{
    const pix_option e = {"fit", PIX_OPT_ENUM, 0, 0, "inside", 0, 0,
                          (const char *const[]){"inside", "cover", NULL}, NULL};
    const pix_option i = {"width", PIX_OPT_INT, 0, 0, "1600", 1, 10000, NULL, NULL};
    const pix_option s = {"key", PIX_OPT_STRING, PIX_OPT_REQUIRED | PIX_OPT_SECRET, 0, NULL, 0,
                          0, NULL, NULL};
    const pix_option h = {"pw", PIX_OPT_STRING, PIX_OPT_SECRET, 0, "s3cret", 0, 0, NULL, NULL};
    char buf[256];
    pix_option_describe(&e, buf, sizeof buf);
    cr_assert_str_eq(buf, "enum (inside|cover), default inside");
    pix_option_describe(&i, buf, sizeof buf);
    cr_assert_str_eq(buf, "int, 1..10000, default 1600");
    pix_option_describe(&s, buf, sizeof buf);
    cr_assert_str_eq(buf, "string, required, secret");
    pix_option_describe(&h, buf, sizeof buf);
    cr_assert_str_eq(buf, "string, secret, default (hidden)");
    pix_option_describe(&i, buf, 8); /* truncates safely */
    cr_assert_eq(strlen(buf), 7);
    cr_assert_str_eq(pix_opt_type_name(PIX_OPT_COLOUR), "colour");
}

Test(options, suggestions)
{
    const char *const words[] = {"inside", "cover", "contain", "fill", "outside", NULL};
    cr_assert_str_eq(pix_suggest("insde", words), "inside");
    cr_assert_str_eq(pix_suggest("cvoer", words), "cover");
    cr_assert_str_eq(pix_suggest("FILL", words), "fill");
    cr_assert_null(pix_suggest("banana", words));
    cr_assert_null(pix_suggest("x", words));
    cr_assert_eq(pix_levenshtein("kitten", "sitting"), 3);
    cr_assert_eq(pix_levenshtein("", "abc"), 3);
}

/* An INT with words (2.3): "auto" is stored as -1, numbers as themselves
 * within the bounds, anything else is refused naming both. */
Test(options, int_with_words)
{
    static const char *const words[] = { "auto", "max", NULL };
    struct { int64_t q; } conf = { 0 };
    const pix_option opt = { .name = "quality", .type = PIX_OPT_INT, .offset = 0, .def = "0",
                             .min = 0, .max = 100, .choices = words };
    char why[256] = "";
    cr_assert_eq(pix_optvalue_set(&opt, "auto", &conf, why, sizeof why), 0, "%s", why);
    cr_assert_eq(conf.q, -1);
    cr_assert_eq(pix_optvalue_set(&opt, "max", &conf, why, sizeof why), 0, "%s", why);
    cr_assert_eq(conf.q, -2);
    cr_assert_eq(pix_optvalue_set(&opt, "82", &conf, why, sizeof why), 0, "%s", why);
    cr_assert_eq(conf.q, 82);
    cr_assert_eq(pix_optvalue_set(&opt, "101", &conf, why, sizeof why), -1);
    cr_assert(strstr(why, "out of range"), "%s", why);
    cr_assert_eq(pix_optvalue_set(&opt, "automatic", &conf, why, sizeof why), -1);
    cr_assert(strstr(why, "'automatic' is neither a whole number nor one of auto, max"), "%s", why);
    char desc[256];
    pix_option_describe(&opt, desc, sizeof desc);
    cr_assert(strstr(desc, "int or auto or max, 0..100"), "%s", desc);
}
