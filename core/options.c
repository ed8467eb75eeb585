/* Option tables: the checks a plugin's table must pass before the host
 * trusts its offsets, value syntaxes shared by every option (sizes,
 * colours), freeing and describing.  Parsing one value lives in optvalue.c,
 * filling a config from YAML in optfill.c. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "optvalue.h"

const char *pix_opt_type_name(pix_opt_type type)
{
    switch (type) {
    case PIX_OPT_STRING: return "string";
    case PIX_OPT_INT: return "int";
    case PIX_OPT_NUMBER: return "number";
    case PIX_OPT_BOOL: return "bool";
    case PIX_OPT_SIZE: return "size";
    case PIX_OPT_ENUM: return "enum";
    case PIX_OPT_STRLIST: return "list";
    case PIX_OPT_COLOUR: return "colour";
    }
    return "unknown";
}

/* ------------------------------------------------------------------ sizes */

static const struct {
    const char *unit;
    uint64_t mult;
} size_units[] = {
    {"", 1}, {"b", 1},
    {"k", 1000ULL}, {"kb", 1000ULL}, {"kib", 1ULL << 10},
    {"m", 1000000ULL}, {"mb", 1000000ULL}, {"mib", 1ULL << 20},
    {"g", 1000000000ULL}, {"gb", 1000000000ULL}, {"gib", 1ULL << 30},
    {"t", 1000000000000ULL}, {"tb", 1000000000000ULL}, {"tib", 1ULL << 40},
};

int pix_parse_size(const char *text, uint64_t *out)
{
    const char *p = text, *unit;
    bool frac = false;
    uint64_t mult = 0;

    if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
        return -1;
    while (isdigit((unsigned char)*p) || (*p == '.' && !frac)) {
        frac |= *p == '.';
        p++;
    }
    unit = p;
    while (*unit == ' ')
        unit++;
    for (size_t i = 0; i < sizeof size_units / sizeof *size_units; i++)
        if (!strcasecmp(unit, size_units[i].unit))
            mult = size_units[i].mult;
    if (!mult || (unit > p && !*unit))
        return -1;
    if (!frac) {
        errno = 0;
        unsigned long long v = strtoull(text, NULL, 10);
        if (errno == ERANGE || v > UINT64_MAX / mult)
            return -1;
        *out = (uint64_t)v * mult;
        return 0;
    }
    double v = strtod(text, NULL) * (double)mult;
    if (!isfinite(v) || v >= 18446744073709551615.0)
        return -1;
    *out = (uint64_t)llround(v);
    return 0;
}

/* ---------------------------------------------------------------- colours */

static const struct {
    const char *name;
    unsigned char r, g, b;
} colour_names[] = {
    {"black", 0, 0, 0},        {"white", 255, 255, 255}, {"red", 255, 0, 0},
    {"green", 0, 128, 0},      {"lime", 0, 255, 0},      {"blue", 0, 0, 255},
    {"yellow", 255, 255, 0},   {"cyan", 0, 255, 255},    {"aqua", 0, 255, 255},
    {"magenta", 255, 0, 255},  {"fuchsia", 255, 0, 255}, {"gray", 128, 128, 128},
    {"grey", 128, 128, 128},   {"silver", 192, 192, 192}, {"orange", 255, 165, 0},
    {"purple", 128, 0, 128},   {"pink", 255, 192, 203},  {"brown", 165, 42, 42},
    {"navy", 0, 0, 128},       {"teal", 0, 128, 128},    {"olive", 128, 128, 0},
    {"maroon", 128, 0, 0},
};

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int pix_parse_colour(const char *text, pix_colour *out)
{
    if (text[0] == '#') {
        size_t len = strlen(text + 1);
        int d[8];
        for (size_t i = 0; i < len && i < 8; i++)
            if ((d[i] = hex(text[1 + i])) < 0)
                return -1;
        if (len == 3 || len == 4) { /* #rgb, #rgba: each digit doubled */
            out->r = d[0] * 17;
            out->g = d[1] * 17;
            out->b = d[2] * 17;
            out->a = len == 4 ? d[3] * 17 / 255.0 : 1.0;
            return 0;
        }
        if (len == 6 || len == 8) {
            out->r = d[0] * 16 + d[1];
            out->g = d[2] * 16 + d[3];
            out->b = d[4] * 16 + d[5];
            out->a = len == 8 ? (d[6] * 16 + d[7]) / 255.0 : 1.0;
            return 0;
        }
        return -1;
    }
    if (!strcasecmp(text, "transparent")) {
        *out = (pix_colour){0, 0, 0, 0};
        return 0;
    }
    for (size_t i = 0; i < sizeof colour_names / sizeof *colour_names; i++) {
        if (!strcasecmp(text, colour_names[i].name)) {
            *out = (pix_colour){colour_names[i].r, colour_names[i].g, colour_names[i].b, 1.0};
            return 0;
        }
    }
    return -1;
}

/* ----------------------------------------------------------- config free */

void pix_config_free(const pix_option *table, void *config)
{
    if (!table || !config)
        return;
    for (const pix_option *o = table; o->name; o++) {
        void *f = (char *)config + o->offset;
        if (o->type == PIX_OPT_STRING) {
            free(*(char **)f);
            *(char **)f = NULL;
        } else if (o->type == PIX_OPT_STRLIST) {
            pix_strlist *l = f;
            for (size_t i = 0; i < l->count; i++)
                free(l->items[i]);
            free(l->items);
            l->items = NULL;
            l->count = 0;
        }
    }
}

/* ---------------------------------------------------------- table check */

static bool valid_name(const char *s)
{
    if (!(*s >= 'a' && *s <= 'z'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static int check_choices(const pix_option *o, pix_err *err)
{
    if (!o->choices || !o->choices[0])
        return pix_err_set(err, "option '%s': an enum needs a non-empty choices list", o->name);
    for (size_t i = 0; o->choices[i]; i++) {
        if (!o->choices[i][0])
            return pix_err_set(err, "option '%s': choice %zu is empty", o->name, i);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(o->choices[i], o->choices[j]))
                return pix_err_set(err, "option '%s': choice '%s' is listed twice", o->name,
                                   o->choices[i]);
    }
    return 0;
}

/* One entry on its own: name, type, flags, field placement, bounds. */
static int check_entry(const pix_option *o, size_t idx, size_t config_size, pix_err *err)
{
    size_t fsize, falign;

    if (!o->name[0])
        return pix_err_set(err, "option %zu has an empty name", idx);
    if (!valid_name(o->name))
        return pix_err_set(err, "option '%s': a name is lower-case letters, digits and '_'",
                           o->name);
    fsize = pix_optvalue_size(o->type);
    if (!fsize)
        return pix_err_set(err, "option '%s': unknown type %d", o->name, (int)o->type);
    if (o->flags & ~(unsigned)(PIX_OPT_REQUIRED | PIX_OPT_SECRET))
        return pix_err_set(err, "option '%s': unknown flags 0x%x", o->name, o->flags);
    if (o->offset > config_size || fsize > config_size - o->offset)
        return pix_err_set(err,
                           "option '%s': field at offset %zu (%zu bytes) lies outside the "
                           "%zu-byte config",
                           o->name, o->offset, fsize, config_size);
    falign = pix_optvalue_align(o->type);
    if (o->offset % falign)
        return pix_err_set(err, "option '%s': offset %zu is not aligned for a %s field",
                           o->name, o->offset, pix_opt_type_name(o->type));
    if ((o->type == PIX_OPT_ENUM || (o->type == PIX_OPT_INT && o->choices)) &&
        check_choices(o, err) < 0)
        return -1;
    if (o->min > o->max)
        return pix_err_set(err, "option '%s': min %.15g is above max %.15g", o->name, o->min,
                           o->max);
    if ((o->flags & PIX_OPT_REQUIRED) && o->def)
        return pix_err_set(err, "option '%s': a required option cannot have a default",
                           o->name);
    return 0;
}

int pix_options_check_table(const pix_option *table, size_t config_size, pix_err *err)
{
    void *scratch = NULL;
    int rc = -1;

    if (!table)
        return 0;
    for (size_t i = 0; table[i].name; i++) {
        const pix_option *o = &table[i];
        if (check_entry(o, i, config_size, err) < 0)
            goto out;
        for (size_t j = 0; j < i; j++) {
            const pix_option *p = &table[j];
            if (!strcmp(o->name, p->name)) {
                pix_err_set(err, "option '%s' is declared twice", o->name);
                goto out;
            }
            /* Two options writing the same bytes would corrupt or double-free. */
            if (o->offset < p->offset + pix_optvalue_size(p->type) &&
                p->offset < o->offset + pix_optvalue_size(o->type)) {
                pix_err_set(err, "option '%s': its field overlaps the field of '%s'", o->name,
                            p->name);
                goto out;
            }
        }
    }
    /* Defaults are parsed exactly as the loader will, into a throwaway config. */
    scratch = calloc(1, config_size ? config_size : 1);
    if (!scratch) {
        pix_err_set(err, "out of memory");
        goto out;
    }
    for (const pix_option *o = table; o->name; o++) {
        char why[512];
        if (o->def && pix_optvalue_set_default(o, scratch, why, sizeof why) < 0) {
            pix_err_set(err, "option '%s': invalid default: %s", o->name, why);
            goto out;
        }
    }
    rc = 0;
out:
    if (scratch)
        pix_config_free(table, scratch);
    free(scratch);
    return rc;
}

/* ------------------------------------------------------------- describe */

void pix_option_describe(const pix_option *opt, char *buf, size_t size)
{
    size_t used = 0;

#define ADD(...)                                                                               \
    do {                                                                                       \
        if (used < size) {                                                                     \
            int n_ = snprintf(buf + used, size - used, __VA_ARGS__);                           \
            used += n_ > 0 ? (size_t)n_ : 0;                                                   \
        }                                                                                      \
    } while (0)

    if (!size)
        return;
    buf[0] = '\0';
    ADD("%s", pix_opt_type_name(opt->type));
    if (opt->type == PIX_OPT_INT && opt->choices) {
        for (size_t i = 0; opt->choices[i]; i++)
            ADD(" or %s", opt->choices[i]);
    }
    if (opt->type == PIX_OPT_ENUM) {
        ADD(" (");
        for (size_t i = 0; opt->choices && opt->choices[i]; i++)
            ADD("%s%s", i ? "|" : "", opt->choices[i]);
        ADD(")");
    }
    if (opt->min < opt->max) {
        if (opt->type == PIX_OPT_STRING)
            ADD(", %.15g..%.15g characters", opt->min, opt->max);
        else if (opt->type == PIX_OPT_STRLIST)
            ADD(", %.15g..%.15g items", opt->min, opt->max);
        else if (opt->type != PIX_OPT_BOOL && opt->type != PIX_OPT_ENUM &&
                 opt->type != PIX_OPT_COLOUR)
            ADD(", %.15g..%.15g", opt->min, opt->max);
    }
    if (opt->flags & PIX_OPT_REQUIRED)
        ADD(", required");
    if (opt->flags & PIX_OPT_SECRET)
        ADD(", secret");
    if (opt->def)
        ADD(", default %s", (opt->flags & PIX_OPT_SECRET) ? "(hidden)" : opt->def);
#undef ADD
}
