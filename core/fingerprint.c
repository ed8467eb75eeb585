/*
 * The pipeline fingerprint.  It is computed from the validated configs,
 * not from the YAML text: a comment, a reordered mapping or an option
 * spelled out at its default value changes nothing the renditions depend
 * on, so it must not make every record stale.  A plugin's version is in
 * it, since a new version may draw different pixels from the same options.
 */
#include "fingerprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

/* One option's value read from a config struct, as JSON (new reference). */
static json_t *option_value(const pix_option *o, const void *config)
{
    const char *at = (const char *)config + o->offset;

    switch (o->type) {
    case PIX_OPT_STRING: {
        const char *s = *(char *const *)(const void *)at;
        return s ? json_string(s) : json_null();
    }
    case PIX_OPT_INT: return json_integer(*(const int64_t *)(const void *)at);
    case PIX_OPT_NUMBER: return json_real(*(const double *)(const void *)at);
    case PIX_OPT_BOOL: return json_boolean(*(const bool *)(const void *)at);
    case PIX_OPT_SIZE: return json_integer((json_int_t) * (const uint64_t *)(const void *)at);
    case PIX_OPT_ENUM: {
        int i = *(const int *)(const void *)at;
        return json_string(o->choices && i >= 0 ? o->choices[i] : "");
    }
    case PIX_OPT_STRLIST: {
        const pix_strlist *l = (const pix_strlist *)(const void *)at;
        json_t *a = json_array();
        for (size_t i = 0; a && i < l->count; i++)
            if (json_array_append_new(a, json_string(l->items[i])) != 0) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    case PIX_OPT_COLOUR: {
        const pix_colour *c = (const pix_colour *)(const void *)at;
        char buf[64];
        snprintf(buf, sizeof buf, "%.0f,%.0f,%.0f,%.4f", c->r, c->g, c->b, c->a);
        return json_string(buf);
    }
    }
    return json_null();
}

/* {"plugin", "version", "options": {...}} of one instance (new reference). */
static json_t *instance_json(const pix_instance *in)
{
    json_t *opts = json_object();
    for (const pix_option *o = in->plugin->options; opts && o && o->name; o++) {
        if (o->flags & PIX_OPT_SECRET)
            continue; /* a credential draws no pixel, and is never hashed */
        json_t *v = option_value(o, in->config);
        if (!v || json_object_set_new(opts, o->name, v) != 0) {
            json_decref(opts);
            return NULL;
        }
    }
    return opts ? json_pack("{s:s, s:s, s:o}", "plugin", in->plugin->name, "version",
                            in->plugin->version ? in->plugin->version : "", "options", opts)
                : NULL;
}

json_t *pix_fingerprint_json(const pix_pipeline *p)
{
    json_t *stages = json_array();
    for (size_t i = 0; stages && i < p->n_stages; i++)
        if (json_array_append_new(stages, instance_json(p->stages[i])) != 0) {
            json_decref(stages);
            stages = NULL;
        }
    if (!stages)
        return NULL;
    const pix_encode *e = &p->output;
    return json_pack("{s:o, s:{s:s, s:s, s:i, s:b, s:i, s:b, s:b}, s:{s:o*, s:s, s:s}}",
                     "stages", stages,
                     "output", "rendition", p->output_rendition, "format",
                     e->format ? e->format : "", "quality", e->quality, "lossless", e->lossless,
                     "effort", e->effort, "progressive", e->progressive, "keep_metadata",
                     e->keep_metadata,
                     "destination", "storage", instance_json(p->dest), "bucket",
                     p->dest_bucket ? p->dest_bucket : "", "key", p->key_template);
}

int pix_fingerprint(const pix_pipeline *p, char out[PIX_FINGERPRINT_HEX + 1])
{
    json_t *j = pix_fingerprint_json(p);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    char hex[65];
    int rc = -1;

    if (!text || pix_sha256_hex(text, strlen(text), hex) < 0)
        goto out;
    memcpy(out, hex, PIX_FINGERPRINT_HEX);
    out[PIX_FINGERPRINT_HEX] = '\0';
    rc = 0;
out:
    free(text);
    json_decref(j);
    return rc;
}
