#include "optvalue.h"

#include <errno.h>
#include <math.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "options.h"
#include "suggest.h"

size_t pix_optvalue_size(pix_opt_type type)
{
    switch (type) {
    case PIX_OPT_STRING: return sizeof(char *);
    case PIX_OPT_INT: return sizeof(int64_t);
    case PIX_OPT_NUMBER: return sizeof(double);
    case PIX_OPT_BOOL: return sizeof(bool);
    case PIX_OPT_SIZE: return sizeof(uint64_t);
    case PIX_OPT_ENUM: return sizeof(int);
    case PIX_OPT_STRLIST: return sizeof(pix_strlist);
    case PIX_OPT_COLOUR: return sizeof(pix_colour);
    }
    return 0;
}

size_t pix_optvalue_align(pix_opt_type type)
{
    switch (type) {
    case PIX_OPT_STRING: return alignof(char *);
    case PIX_OPT_INT: return alignof(int64_t);
    case PIX_OPT_NUMBER: return alignof(double);
    case PIX_OPT_BOOL: return alignof(bool);
    case PIX_OPT_SIZE: return alignof(uint64_t);
    case PIX_OPT_ENUM: return alignof(int);
    case PIX_OPT_STRLIST: return alignof(pix_strlist);
    case PIX_OPT_COLOUR: return alignof(pix_colour);
    }
    return 0;
}

const char *pix_optvalue_expected(pix_opt_type type)
{
    switch (type) {
    case PIX_OPT_STRING: return "a string";
    case PIX_OPT_INT: return "an int";
    case PIX_OPT_NUMBER: return "a number";
    case PIX_OPT_BOOL: return "a bool";
    case PIX_OPT_SIZE: return "a size";
    case PIX_OPT_ENUM: return "one of the allowed values";
    case PIX_OPT_STRLIST: return "a list of strings";
    case PIX_OPT_COLOUR: return "a colour";
    }
    return "a value";
}

static void *field(const pix_option *opt, void *config)
{
    return (char *)config + opt->offset;
}

static bool bounded(const pix_option *opt)
{
    return opt->min < opt->max;
}

/* The value as messages quote it: never a secret, never a whole essay, and
 * never a value that came from the environment (as says where it came
 * from instead: "the value from ${VAR}"; NULL when it was written as is). */
static const char *shown(const pix_option *opt, const char *text, const char *as, char *buf,
                         size_t size)
{
    if (as)
        return as;
    if (opt->flags & PIX_OPT_SECRET)
        return "the value (secret, not shown)";
    if (strlen(text) > 60)
        snprintf(buf, size, "'%.57s...'", text);
    else
        snprintf(buf, size, "'%s'", text);
    return buf;
}

/* "VALUE is not EXPECTED": text (borrowed) did not parse as the type. */
static int not_a(const pix_option *opt, const char *expected, const char *text, const char *as,
                 char *why, size_t why_size)
{
    char q[80];
    snprintf(why, why_size, "%s is not %s", shown(opt, text, as, q, sizeof q), expected);
    return -1;
}

static int out_of_range(const pix_option *opt, const char *what, const char *text,
                        const char *as, char *why, size_t why_size)
{
    char q[80];
    snprintf(why, why_size, "%s is out of range; expected %s from %.15g to %.15g",
             shown(opt, text, as, q, sizeof q), what, opt->min, opt->max);
    return -1;
}

static int parse_int(const pix_option *opt, const char *text, const char *as, void *config,
                     char *why, size_t why_size)
{
    char *end;
    long long v;

    /* ABI 2.3: an int may also be one of the words of choices, stored as
     * -1 - its index ("quality: auto" is -1) */
    for (int i = 0; opt->choices && opt->choices[i]; i++)
        if (!strcmp(text, opt->choices[i])) {
            *(int64_t *)field(opt, config) = -1 - i;
            return 0;
        }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (end == text || *end) {
        if (opt->choices && opt->choices[0]) {
            char q[80], list[512];
            snprintf(why, why_size, "%s is neither a whole number nor one of %s",
                     shown(opt, text, as, q, sizeof q),
                     pix_join(opt->choices, ", ", list, sizeof list));
            return -1;
        }
        return not_a(opt, "an int; expected a whole number", text, as, why, why_size);
    }
    if (errno == ERANGE || (bounded(opt) && ((double)v < opt->min || (double)v > opt->max)))
        return out_of_range(opt, "an int", text, as, why, why_size);
    *(int64_t *)field(opt, config) = v;
    return 0;
}

static int parse_number(const pix_option *opt, const char *text, const char *as, void *config,
                        char *why, size_t why_size)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end || !isfinite(v))
        return not_a(opt, "a number; expected e.g. 0.5 or 12", text, as, why, why_size);
    if (bounded(opt) && (v < opt->min || v > opt->max))
        return out_of_range(opt, "a number", text, as, why, why_size);
    *(double *)field(opt, config) = v;
    return 0;
}

static int parse_bool(const pix_option *opt, const char *text, const char *as, void *config,
                      char *why, size_t why_size)
{
    static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};

    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(text, yes[i]) || !strcasecmp(text, no[i])) {
            *(bool *)field(opt, config) = !strcasecmp(text, yes[i]);
            return 0;
        }
    }
    return not_a(opt, "a bool; expected true or false (or yes/no, on/off)", text, as, why,
                 why_size);
}

static int parse_size_opt(const pix_option *opt, const char *text, const char *as, void *config,
                          char *why, size_t why_size)
{
    uint64_t v;

    if (pix_parse_size(text, &v) < 0)
        return not_a(opt, "a size; expected a count such as 4096, 100K, 50MB or 1.5GiB", text, as,
                     why, why_size);
    if (bounded(opt) && ((double)v < opt->min || (double)v > opt->max))
        return out_of_range(opt, "a size", text, as, why, why_size);
    *(uint64_t *)field(opt, config) = v;
    return 0;
}

static int parse_enum(const pix_option *opt, const char *text, const char *as, void *config,
                      char *why, size_t why_size)
{
    char q[80], list[512], hint[128] = "";

    for (int i = 0; opt->choices && opt->choices[i]; i++) {
        if (!strcmp(text, opt->choices[i])) {
            *(int *)field(opt, config) = i;
            return 0;
        }
    }
    /* A suggestion would leak most of a secret value. */
    if (!(opt->flags & PIX_OPT_SECRET) && !as)
        pix_suggest_clause(text, opt->choices, hint, sizeof hint);
    snprintf(why, why_size, "%s is not one of %s%s", shown(opt, text, as, q, sizeof q),
             pix_join(opt->choices, ", ", list, sizeof list), hint);
    return -1;
}

static int parse_colour_opt(const pix_option *opt, const char *text, const char *as, void *config,
                            char *why, size_t why_size)
{
    pix_colour c;

    if (pix_parse_colour(text, &c) < 0)
        return not_a(opt, "a colour; expected #rgb, #rrggbb, #rrggbbaa or a name such as "
                          "black, white, red, transparent", text, as, why, why_size);
    *(pix_colour *)field(opt, config) = c;
    return 0;
}

static int check_length(const pix_option *opt, const char *text, const char *as, char *why,
                        size_t why_size)
{
    char q[80];
    size_t len = strlen(text);

    if (!bounded(opt) || ((double)len >= opt->min && (double)len <= opt->max))
        return 0;
    snprintf(why, why_size, "%s is too %s; expected a string of %.15g to %.15g characters",
             shown(opt, text, as, q, sizeof q), (double)len < opt->min ? "short" : "long", opt->min,
             opt->max);
    return -1;
}

static void free_list(pix_strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

int pix_optvalue_set_list(const pix_option *opt, const char *const *items, size_t n,
                          void *config, char *why, size_t why_size)
{
    pix_strlist l = {0};

    if (bounded(opt) && ((double)n < opt->min || (double)n > opt->max)) {
        snprintf(why, why_size, "%zu items; expected a list of %.15g to %.15g strings", n,
                 opt->min, opt->max);
        return -1;
    }
    l.items = calloc(n ? n : 1, sizeof *l.items);
    if (!l.items)
        goto nomem;
    for (; l.count < n; l.count++) {
        l.items[l.count] = strdup(items[l.count]);
        if (!l.items[l.count])
            goto nomem;
    }
    pix_strlist *dst = field(opt, config);
    free_list(dst);
    *dst = l;
    return 0;
nomem:
    free_list(&l);
    snprintf(why, why_size, "out of memory");
    return -1;
}

int pix_optvalue_set_as(const pix_option *opt, const char *text, const char *as, void *config,
                        char *why, size_t why_size)
{
    switch (opt->type) {
    case PIX_OPT_STRING: {
        if (check_length(opt, text, as, why, why_size) < 0)
            return -1;
        char *copy = strdup(text), **dst = field(opt, config);
        if (!copy) {
            snprintf(why, why_size, "out of memory");
            return -1;
        }
        free(*dst);
        *dst = copy;
        return 0;
    }
    case PIX_OPT_INT: return parse_int(opt, text, as, config, why, why_size);
    case PIX_OPT_NUMBER: return parse_number(opt, text, as, config, why, why_size);
    case PIX_OPT_BOOL: return parse_bool(opt, text, as, config, why, why_size);
    case PIX_OPT_SIZE: return parse_size_opt(opt, text, as, config, why, why_size);
    case PIX_OPT_ENUM: return parse_enum(opt, text, as, config, why, why_size);
    case PIX_OPT_STRLIST: return pix_optvalue_set_list(opt, &text, 1, config, why, why_size);
    case PIX_OPT_COLOUR: return parse_colour_opt(opt, text, as, config, why, why_size);
    }
    snprintf(why, why_size, "unknown option type %d", (int)opt->type);
    return -1;
}

int pix_optvalue_set(const pix_option *opt, const char *text, void *config, char *why,
                     size_t why_size)
{
    return pix_optvalue_set_as(opt, text, NULL, config, why, why_size);
}

/* Splits "[a, 'b c', d]" into items; quotes are stripped, no escapes. */
static int default_list(const pix_option *opt, const char *def, void *config, char *why,
                        size_t why_size)
{
    char *copy = strdup(def), *p, *items[64];
    size_t n = 0, len;
    int rc = -1;

    if (!copy) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    len = strlen(copy);
    if (len < 2 || copy[len - 1] != ']') {
        snprintf(why, why_size, "a list default must read [a, b, ...]");
        goto out;
    }
    copy[len - 1] = '\0';
    p = copy + 1;
    while (*p) {
        char *comma = strchr(p, ','), *end;
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        end = p + strlen(p);
        while (end > p && end[-1] == ' ')
            *--end = '\0';
        if (end - p >= 2 && (*p == '"' || *p == '\'') && end[-1] == *p) {
            end[-1] = '\0';
            p++;
        }
        if (*p || comma) {
            if (n == sizeof items / sizeof *items) {
                snprintf(why, why_size, "a list default has more than 64 items");
                goto out;
            }
            items[n++] = p;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    rc = pix_optvalue_set_list(opt, (const char *const *)items, n, config, why, why_size);
out:
    free(copy);
    return rc;
}

int pix_optvalue_set_default(const pix_option *opt, void *config, char *why, size_t why_size)
{
    if (opt->type == PIX_OPT_STRLIST && opt->def[0] == '[')
        return default_list(opt, opt->def, config, why, why_size);
    return pix_optvalue_set(opt, opt->def, config, why, why_size);
}
