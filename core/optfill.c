#include "optfill.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "optvalue.h"
#include "suggest.h"

#define PIX_MAX_KEYS 128

static const pix_option *find(const pix_option *table, const char *name)
{
    for (const pix_option *o = table; o && o->name; o++)
        if (!strcmp(o->name, name))
            return o;
    return NULL;
}

static bool is_extra(const pix_optsection *fc, const char *name)
{
    for (size_t i = 0; fc->extra && fc->extra[i]; i++)
        if (!strcmp(fc->extra[i], name))
            return true;
    return false;
}

static int unknown_key(const pix_optsection *fc, const pix_option *table, const pix_ynode *key,
                       pix_err *err)
{
    const char *names[PIX_MAX_KEYS + 1];
    char list[1024], hint[160];
    size_t n = 0;

    for (size_t i = 0; fc->extra && fc->extra[i] && n < PIX_MAX_KEYS; i++)
        names[n++] = fc->extra[i];
    for (const pix_option *o = table; o && o->name && n < PIX_MAX_KEYS; o++)
        names[n++] = o->name;
    names[n] = NULL;
    pix_suggest_clause(key->text, names, hint, sizeof hint);
    if (!n)
        return pix_err_set(err, "%s:%d:%d: %s: unknown option '%s'; it takes no options",
                           fc->path, key->line, key->col, fc->context, key->text);
    return pix_err_set(err, "%s:%d:%d: %s: unknown option '%s'%s; valid options: %s", fc->path,
                       key->line, key->col, fc->context, key->text, hint,
                       pix_join(names, ", ", list, sizeof list));
}

static int value_error(const pix_optsection *fc, const pix_option *o, const pix_ynode *at,
                       const char *why, pix_err *err)
{
    return pix_err_set(err, "%s:%d:%d: %s: %s: %s", fc->path, at->line, at->col, fc->context,
                       o->name, why);
}

static int wrong_type(const pix_optsection *fc, const pix_option *o, const pix_ynode *at,
                      pix_err *err)
{
    char why[256];
    snprintf(why, sizeof why, "expected %s, got %s", pix_optvalue_expected(o->type),
             pix_ynode_kind(at));
    if (o->type == PIX_OPT_ENUM) {
        char list[512];
        snprintf(why, sizeof why, "expected one of %s, got %s",
                 pix_join(o->choices, ", ", list, sizeof list), pix_ynode_kind(at));
    }
    return value_error(fc, o, at, why, err);
}

/* A list option: a sequence of scalars, or one scalar. */
static int set_list(const pix_optsection *fc, const pix_option *o, const pix_ynode *val,
                    void *config, pix_err *err)
{
    const char **items = calloc(val->n ? val->n : 1, sizeof *items);
    char why[768];
    int rc = -1;

    if (!items)
        return pix_err_set(err, "out of memory");
    for (size_t i = 0; i < val->n; i++) {
        const pix_ynode *it = val->items[i];
        if (it->type != PIX_YSCALAR || it->null) {
            pix_err_set(err, "%s:%d:%d: %s: %s[%zu]: expected a string, got %s", fc->path,
                        it->line, it->col, fc->context, o->name, i, pix_ynode_kind(it));
            goto out;
        }
        items[i] = it->text;
    }
    if (pix_optvalue_set_list(o, items, val->n, config, why, sizeof why) < 0) {
        value_error(fc, o, val, why, err);
        goto out;
    }
    rc = 0;
out:
    free(items);
    return rc;
}

static int set_value(const pix_optsection *fc, const pix_option *o, const pix_ynode *val,
                     void *config, pix_err *err)
{
    char why[768];

    if (o->type == PIX_OPT_STRLIST && val->type == PIX_YSEQ)
        return set_list(fc, o, val, config, err);
    /* An empty value is most likely an unfinished line: say so rather than
     * guess between "unset" and "empty string" (write "" for the latter). */
    if (val->type != PIX_YSCALAR || val->null)
        return wrong_type(fc, o, val, err);
    /* A value from ${VAR} may be a secret (${AWS_SECRET_ACCESS_KEY}): its
     * errors name the variable, never the value. */
    char as[300];
    if (val->from_env)
        snprintf(as, sizeof as, "the value from %s", val->from_env);
    if (pix_optvalue_set_as(o, val->text, val->from_env ? as : NULL, config, why, sizeof why) < 0)
        return value_error(fc, o, val, why, err);
    return 0;
}

int pix_optfill(const pix_optsection *fc, const pix_option *table, const pix_ynode *map,
                void *config, pix_err *err)
{
    char why[768];

    if (map && map->type == PIX_YSCALAR && map->null)
        map = NULL;
    if (map && map->type != PIX_YMAP)
        return pix_err_set(err, "%s:%d:%d: %s: expected a mapping of options, got %s",
                           fc->path, map->line, map->col, fc->context, pix_ynode_kind(map));
    for (size_t i = 0; map && i < map->n; i++) {
        const pix_ynode *key = map->pairs[i].key;
        if (!is_extra(fc, key->text) && !find(table, key->text))
            return unknown_key(fc, table, key, err);
    }
    for (const pix_option *o = table; o && o->name; o++) {
        const pix_ynode *val = pix_ymap_get(map, o->name);
        if (val) {
            if (set_value(fc, o, val, config, err) < 0)
                return -1;
        } else if (o->flags & PIX_OPT_REQUIRED) {
            int line = map ? map->line : fc->line, col = map ? map->col : fc->col;
            return pix_err_set(err, "%s:%d:%d: %s: missing required option '%s' (%s)", fc->path,
                               line, col, fc->context, o->name, pix_optvalue_expected(o->type));
        } else if (o->def && pix_optvalue_set_default(o, config, why, sizeof why) < 0) {
            /* Plugin tables are checked at load; this catches the host's own. */
            return pix_err_set(err, "%s:%d:%d: %s: %s: invalid default: %s", fc->path, fc->line,
                               fc->col, fc->context, o->name, why);
        }
    }
    return 0;
}
