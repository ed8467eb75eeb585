/* The pipeline loader: YAML text -> validated pix_pipeline.  Sections are
 * read in a fixed order (name, source, destination, metadata, limits,
 * output, stages) whatever their order in the file, and the first error
 * stops the load.  Plugin options and the pipeline's own limits/output go
 * through the same validator (optfill.c), so their errors read the same. */
#include "pipeline.h"
#include <pixpipe/stage.h>
#include "keys.h"
#include "encode.h"
#include "host.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "fingerprint.h"
#include "optfill.h"
#include "options.h"
#include "suggest.h"
#include "yaml_tree.h"

static const char *const top_keys[] = {"name",   "source", "destination", "metadata", "limits",
                                       "output", "stages", "trigger",     "on_delete", NULL};

typedef struct loader {
    const char *path;
    pix_registry *reg;
    pix_err *err;
    pix_pipeline *p;
} loader;

/* ---------------------------------------------------- limits and output */

typedef struct limits_cfg {
    uint64_t max_input_bytes, max_pixels, max_memory;
    int64_t max_pages;
    int fail_on;
    pix_strlist formats;
    char *job_timeout;
} limits_cfg;

static const char *const fail_on_choices[] = {"none", "truncated", "error", "warning", NULL};

/* The bounds of limits.job_timeout (0 aside, which means none): under a
 * tenth of a second no decode finishes; a job still running after a
 * quarter of an hour is stuck, not working. */
#define JOB_TIMEOUT_MIN_MS 100
#define JOB_TIMEOUT_MAX_MS (15 * 60 * 1000)

static const pix_option limits_table[] = {
    {"max_input_bytes", PIX_OPT_SIZE, 0, offsetof(limits_cfg, max_input_bytes), "50MB", 0, 0,
     NULL, "Largest source object read, in bytes; 0 for no limit."},
    {"max_pixels", PIX_OPT_SIZE, 0, offsetof(limits_cfg, max_pixels), "100M", 0, 0, NULL,
     "Largest source image decoded, width x height x pages; 0 for no limit."},
    {"max_pages", PIX_OPT_INT, 0, offsetof(limits_cfg, max_pages), "500", 0, 1000000, NULL,
     "Most pages (frames, TIFF directories, PDF pages) a source may have; 0 for no limit."},
    {"max_memory", PIX_OPT_SIZE, 0, offsetof(limits_cfg, max_memory), "1GiB", 0, 0, NULL,
     "Largest estimated decoded size (width x height x bands x bytes per band x pages "
     "decoded), checked before decoding; 0 for no limit."},
    {"formats", PIX_OPT_STRLIST, 0, offsetof(limits_cfg, formats),
     "[jpeg, png, webp, gif, heif, tiff, jxl]", 0, 0, NULL,
     "Formats a source may be in, detected from its bytes; svg and pdf only by opting in."},
    {"job_timeout", PIX_OPT_STRING, 0, offsetof(limits_cfg, job_timeout), "30s", 1, 32, NULL,
     "Longest a job may run (500ms, 30s, 2m; at most 15m), its worker stopped past it; 0 for "
     "no limit."},
    {"fail_on", PIX_OPT_ENUM, 0, offsetof(limits_cfg, fail_on), "error", 0, 0, fail_on_choices,
     "Which decoder complaints fail the job."},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* A duration: a number and a unit (ms, s, m), "0" alone for none.  There
 * is no duration option type, and a bare number would leave the unit to a
 * guess.  Returns 0 with *ms, or -1. */
static int parse_duration_ms(const char *text, int64_t *ms)
{
    static const struct { const char *unit; double ms; } units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60000}, {"min", 60000},
    };
    /* digits with at most one point: strtod alone would take "inf", "0x1p4" */
    size_t n = strspn(text, "0123456789.");
    const char *dot = memchr(text, '.', n);
    if (n == 0 || (dot && memchr(dot + 1, '.', n - (size_t)(dot + 1 - text))) ||
        (n == 1 && dot))
        return -1;
    double v = strtod(text, NULL);
    const char *unit = text + n;
    while (*unit == ' ')
        unit++;
    if (!*unit) {
        if (v != 0)
            return -1;
        *ms = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strcmp(unit, units[i].unit) == 0) {
            double total = v * units[i].ms;
            if (total > (double)INT64_MAX / 2)
                return -1;
            *ms = (int64_t)(total + 0.5);
            return 0;
        }
    return -1;
}

/* limits.job_timeout, parsed and bounded; at: its node, for messages. */
static int load_job_timeout(loader *ld, const pix_ynode *at, const char *text)
{
    int64_t ms = 0;

    if (parse_duration_ms(text, &ms) < 0)
        return pix_err_set(ld->err, "%s:%d:%d: limits: job_timeout: '%s' is not a duration; "
                           "expected a number and a unit, ms, s or m (500ms, 30s, 2m), or 0 for "
                           "no limit", ld->path, at->line, at->col, text);
    if (ms != 0 && (ms < JOB_TIMEOUT_MIN_MS || ms > JOB_TIMEOUT_MAX_MS))
        return pix_err_set(ld->err, "%s:%d:%d: limits: job_timeout: %s is %s the %s of %s "
                           "(0 for no limit)", ld->path, at->line, at->col, text,
                           ms < JOB_TIMEOUT_MIN_MS ? "under" : "over",
                           ms < JOB_TIMEOUT_MIN_MS ? "minimum" : "maximum",
                           ms < JOB_TIMEOUT_MIN_MS ? "100ms" : "15m");
    ld->p->job_timeout_ms = ms;
    return 0;
}

/* The formats a pipeline may name, for messages: the defaults, then those
 * only opted in to. */
static const char *acceptable_formats(const char **names, size_t cap, char *buf, size_t size)
{
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; pix_format_info_at(i); i++) {
            const pix_format_info *f = pix_format_info_at(i);
            if (f->policy == (pass ? PIX_FORMAT_OPT_IN : PIX_FORMAT_DEFAULT) && n + 1 < cap)
                names[n++] = f->name;
        }
    names[n] = NULL;
    return pix_join(names, ", ", buf, size);
}

/* limits.formats: each name known (aliases such as jpg, tif, avif taken),
 * none of those no pipeline may accept, each kept once.  at: the list's
 * node, NULL when the default applies. */
static int load_formats(loader *ld, const pix_ynode *at, const pix_strlist *list)
{
    const char *names[PIX_MAX_FORMATS + 1];
    char known[256], hint[128];
    pix_pipeline *p = ld->p;

    acceptable_formats(names, sizeof names / sizeof *names, known, sizeof known);
    for (size_t i = 0; i < list->count; i++) {
        const pix_ynode *it = at && at->type == PIX_YSEQ && i < at->n ? at->items[i] : at;
        int line = it ? it->line : 0, col = it ? it->col : 0;
        const pix_format_info *f = pix_format_info_find(list->items[i]);
        if (!f)
            return pix_err_set(ld->err, "%s:%d:%d: limits: formats[%zu]: unknown format '%s'%s; "
                               "known: %s", ld->path, line, col, i, list->items[i],
                               pix_suggest_clause(list->items[i], names, hint, sizeof hint),
                               known);
        bool alias = strcmp(list->items[i], f->name) != 0;
        if (f->policy == PIX_FORMAT_NEVER)
            return pix_err_set(ld->err, "%s:%d:%d: limits: formats[%zu]: %s (%s%s%s%s) can never "
                               "be accepted: %s", ld->path, line, col, i, list->items[i],
                               alias ? "format " : "", alias ? f->name : "",
                               alias ? ", " : "", f->what, f->why);
        bool seen = false;
        for (size_t k = 0; k < p->n_formats; k++)
            seen |= p->formats[k] == f->name;
        if (!seen && p->n_formats < PIX_MAX_FORMATS)
            p->formats[p->n_formats++] = f->name;
    }
    if (p->n_formats == 0)
        return pix_err_set(ld->err, "%s:%d:%d: limits: formats: the list is empty, so no source "
                           "could be accepted; list the formats to accept (known: %s)", ld->path,
                           at ? at->line : 0, at ? at->col : 0, known);
    return 0;
}

/* libvips' blocks are process-wide: setup.c blocked every untrusted
 * loader, and a pipeline opting in to SVG or PDF lets back exactly that
 * loader (its file, buffer and source classes), once, when it is read,
 * before any job or worker process starts. */
static int unblock_opted_in(const pix_pipeline *p, pix_err *err)
{
    for (size_t i = 0; i < p->n_formats; i++) {
        const pix_format_info *f = pix_format_info_find(p->formats[i]);
        if (!f || f->policy != PIX_FORMAT_OPT_IN || !f->loader)
            continue;
        if (VIPS_INIT("pixpipe"))
            return pix_err_set(err, "%s: limits: formats: cannot start libvips to allow %s",
                               p->path, f->name);
        vips_operation_block_set(f->loader, FALSE);
    }
    return 0;
}

typedef struct output_cfg {
    char *rendition;
    pix_encode_config enc;
} output_cfg;

static const pix_option output_table[] = {
    {.name = "rendition", .type = PIX_OPT_STRING, .offset = offsetof(output_cfg, rendition),
     .def = "main", .min = 1, .max = 128,
     .doc = "Name of the rendition made from the working image at the end."},
    PIX_ENCODE_OPTIONS(output_cfg, enc, "source", "true"),
    {.name = NULL},
};

typedef struct trigger_cfg {
    char *bucket, *prefix, *suffix;
} trigger_cfg;

static const pix_option trigger_table[] = {
    {"bucket", PIX_OPT_STRING, PIX_OPT_REQUIRED, offsetof(trigger_cfg, bucket), NULL, 1, 255,
     NULL, "Bucket whose notifications start the pipeline."},
    {"prefix", PIX_OPT_STRING, 0, offsetof(trigger_cfg, prefix), NULL, 0, 1024, NULL,
     "Key prefix of the notification filter."},
    {"suffix", PIX_OPT_STRING, 0, offsetof(trigger_cfg, suffix), NULL, 0, 1024, NULL,
     "Key suffix of the notification filter."},
    {NULL, 0, 0, 0, NULL, 0, 0, NULL, NULL},
};

/* `trigger:` is optional: what the S3 notification that starts the pipeline
 * is filtered on, so that writing into the same bucket can be checked. */
static int load_trigger(loader *ld, const pix_ynode *root)
{
    const pix_ypair *pr = pix_ymap_pair(root, "trigger");
    if (!pr)
        return 0;
    pix_optsection fc = {ld->path, "trigger", pr->key->line, pr->key->col, NULL};
    trigger_cfg cfg = {0};

    if (pix_optfill(&fc, trigger_table, pr->val, &cfg, ld->err) < 0)
        return -1;
    ld->p->trigger_bucket = cfg.bucket;
    ld->p->trigger_prefix = cfg.prefix ? cfg.prefix : strdup("");
    ld->p->trigger_suffix = cfg.suffix ? cfg.suffix : strdup("");
    if (asprintf(&ld->p->trigger_where, "%s:%d:%d", ld->path, pr->key->line, pr->key->col) < 0)
        ld->p->trigger_where = NULL;
    return 0;
}

static int load_limits(loader *ld, const pix_ynode *root)
{
    const pix_ypair *pr = pix_ymap_pair(root, "limits");
    pix_optsection fc = {ld->path, "limits", pr ? pr->key->line : root->line,
                         pr ? pr->key->col : root->col, NULL};
    const pix_ynode *map = pr && pr->val->type == PIX_YMAP ? pr->val : NULL;
    const pix_ynode *tval = pix_ymap_get(map, "job_timeout");
    limits_cfg cfg = {0};
    int rc = -1;

    if (pix_optfill(&fc, limits_table, pr ? pr->val : NULL, &cfg, ld->err) < 0)
        goto out;
    ld->p->max_input_bytes = cfg.max_input_bytes;
    ld->p->max_pixels = cfg.max_pixels;
    ld->p->max_pages = (uint64_t)cfg.max_pages;
    ld->p->max_memory = cfg.max_memory;
    ld->p->fail_on = (pix_fail_on)cfg.fail_on;
    if (load_formats(ld, pix_ymap_get(map, "formats"), &cfg.formats) < 0 ||
        load_job_timeout(ld, tval ? tval : pr ? pr->key : root, cfg.job_timeout) < 0)
        goto out;
    rc = 0;
out:
    pix_config_free(limits_table, &cfg);
    return rc;
}

static int load_output(loader *ld, const pix_ynode *root)
{
    const pix_ypair *pr = pix_ymap_pair(root, "output");
    const pix_ynode *at = pr ? pr->val : root;
    pix_optsection fc = {ld->path, "output", pr ? pr->key->line : root->line,
                         pr ? pr->key->col : root->col, NULL};
    output_cfg cfg = {0};
    char why[256];
    const char *problem;
    int rc = -1;

    if (pix_optfill(&fc, output_table, pr ? pr->val : NULL, &cfg, ld->err) < 0)
        goto out;
    const pix_ynode *rend = pix_ymap_get(pr ? pr->val : NULL, "rendition");
    if (pix_rendition_check(cfg.rendition, NULL) < 0) {
        char q[160];
        if (rend && rend->from_env)
            snprintf(q, sizeof q, "the value from %s", rend->from_env);
        else
            snprintf(q, sizeof q, "'%.120s'", cfg.rendition);
        pix_err_set(ld->err, "%s:%d:%d: output: rendition: %s must be a non-empty name "
                    "without '/', other than '.' and '..', with no control character",
                    ld->path, at->line, at->col, q);
        goto out;
    }
    if ((problem = pix_encode_problem(&pix_host_api, &cfg.enc, why, sizeof why))) {
        pix_err_set(ld->err, "%s:%d:%d: output: %s", ld->path, at->line, at->col, problem);
        goto out;
    }
    ld->p->output_rendition = cfg.rendition; /* taken over */
    cfg.rendition = NULL;
    ld->p->output = pix_encode_of(&cfg.enc);
    rc = 0;
out:
    pix_config_free(output_table, &cfg);
    return rc;
}

/* ---------------------------------------------------------- instances */

static const char *kind_name(pix_kind kind)
{
    switch (kind) {
    case PIX_KIND_STAGE: return "a stage";
    case PIX_KIND_STORAGE: return "a storage plugin";
    case PIX_KIND_METADATA: return "a metadata backend";
    }
    return "of an unknown kind";
}

/* Finds plugin name and checks its kind.  A storage or metadata plugin
 * may be named without its kind's prefix ("fs" for the file
 * storage-fs.so).  at is the node naming it; context starts the
 * message. */
static const pix_plugin *resolve(loader *ld, const char *name, pix_kind kind,
                                 const pix_ynode *at, const char *context)
{
    char full[256], prefix[32] = "";
    const pix_plugin *pl;
    pix_err rerr = {{0}};

    if (kind != PIX_KIND_STAGE)
        snprintf(prefix, sizeof prefix, "%s-", pix_kind_name(kind));
    if (strncmp(name, prefix, strlen(prefix)) != 0)
        snprintf(full, sizeof full, "%s%s", prefix, name);
    else
        snprintf(full, sizeof full, "%s", name);
    pl = pix_registry_get(ld->reg, full, &rerr);
    /* A full name without the usual prefix ("storage: mystore") is accepted
     * too; the error reported stays the one of the prefixed name. */
    if (!pl && strcmp(full, name) != 0) {
        pl = pix_registry_get(ld->reg, name, NULL);
        if (pl)
            snprintf(full, sizeof full, "%s", name);
    }
    if (!pl) {
        pix_err_set(ld->err, "%s:%d:%d: %s: %s", ld->path, at->line, at->col, context, rerr.msg);
        return NULL;
    }
    if (pl->kind != kind) {
        pix_err_set(ld->err, "%s:%d:%d: %s: '%s' is %s, not %s", ld->path, at->line, at->col,
                    context, full, kind_name(pl->kind), kind_name(kind));
        return NULL;
    }
    return pl;
}

static void instance_free(pix_instance *in)
{
    if (!in)
        return;
    if (in->created && in->plugin->destroy)
        in->plugin->destroy(&in->ctx);
    if (in->config)
        pix_config_free(in->plugin->options, in->config);
    free(in->config);
    free(in->label);
    free(in->where);
    free(in->error);
    free(in);
}

/* Makes the instance and fills its config from opts (which may be NULL).
 * *out is set as soon as the instance exists, so the pipeline owns it even
 * when its options are rejected. */
static int new_instance(loader *ld, const pix_plugin *pl, const char *label, const pix_ynode *at,
                        const pix_ynode *opts, const char *const *extra, pix_instance **out)
{
    pix_instance *in = calloc(1, sizeof *in);

    if (!in)
        return pix_err_set(ld->err, "out of memory");
    *out = in;
    in->plugin = pl;
    in->stage = pix_stage_of(pl);
    in->storage = pix_storage_of(pl);
    in->metadata = pix_metadata_of(pl);
    in->label = strdup(label);
    if (asprintf(&in->where, "%s:%d:%d", ld->path, at->line, at->col) < 0)
        in->where = NULL;
    in->config = calloc(1, pl->config_size ? pl->config_size : 1);
    if (!in->label || !in->where || !in->config)
        return pix_err_set(ld->err, "out of memory");
    in->ctx = (pix_ctx){ .config = pl->config_size ? in->config : NULL, .name = pl->name,
                         .label = in->label };
    pix_optsection fc = {ld->path, label, at->line, at->col, extra};
    return pix_optfill(&fc, pl->options, opts, in->config, ld->err);
}

/* A scalar that must hold a non-empty string. */
static int want_string(loader *ld, const pix_ynode *val, const char *context, const char *key,
                       const char *what, char **out)
{
    if (val->type != PIX_YSCALAR || val->null || !val->text[0])
        return pix_err_set(ld->err, "%s:%d:%d: %s: %s: expected %s, got %s", ld->path, val->line,
                           val->col, context, key, what,
                           val->type == PIX_YSCALAR && !val->null ? "an empty string"
                                                                  : pix_ynode_kind(val));
    *out = strdup(val->text);
    return *out ? 0 : pix_err_set(ld->err, "out of memory");
}

/* A section given as a mapping, or absent/null (then NULL). */
static int want_section(loader *ld, const pix_ynode *root, const char *key, const char *example,
                        const pix_ypair **out)
{
    const pix_ypair *pr = pix_ymap_pair(root, key);

    *out = NULL;
    if (!pr || (pr->val->type == PIX_YSCALAR && pr->val->null))
        return 0;
    if (pr->val->type != PIX_YMAP)
        return pix_err_set(ld->err, "%s:%d:%d: %s: expected a mapping such as %s, got %s",
                           ld->path, pr->val->line, pr->val->col, key, example,
                           pix_ynode_kind(pr->val));
    *out = pr;
    return 0;
}

/* ------------------------------------------------ source / destination */

static bool serves_scheme(const pix_plugin *pl, const char *scheme)
{
    const pix_storage_plugin *st = pix_storage_of(pl);
    return st && st->scheme && !strcmp(st->scheme, scheme);
}

/* Whether a local folder is "/" itself ("/", "//", "/./..", or a path that
 * resolves there): keys are checked to stay inside the root, which then
 * means anywhere, and a walk of the source would read the whole disk. */
static bool is_file_system_root(const char *folder)
{
    char real[PATH_MAX];
    if (realpath(folder, real))
        return !strcmp(real, "/");
    if (folder[0] != '/')
        return false;
    for (const char *p = folder; *p;) {
        size_t n = strcspn(p, "/");
        if (!(n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')))
            return false;
        p += n;
        p += *p == '/';
    }
    return true;
}

static int load_storage(loader *ld, const pix_ynode *root, const char *section, bool is_dest,
                        pix_instance **inst, char **bucket)
{
    static const char *const src_extra[] = {"storage", "bucket", "root", NULL};
    static const char *const dst_extra[] = {"storage", "bucket", "root", "key", NULL};
    const pix_ypair *pr;
    const pix_ynode *map, *at, *sval, *bval, *rval;
    char *name = NULL, label[320];
    const pix_plugin *pl;
    int rc = -1;

    if (want_section(ld, root, section,
                     is_dest ? "{ storage: fs, root: ./out }" : "{ storage: fs }", &pr) < 0)
        return -1;
    map = pr ? pr->val : NULL;
    at = pr ? pr->key : root;
    sval = pix_ymap_get(map, "storage");
    if (sval && want_string(ld, sval, section, "storage", "a storage plugin name such as fs",
                            &name) < 0)
        goto out;
    if (name)
        pl = resolve(ld, name, PIX_KIND_STORAGE, sval, section);
    else if (!(pl = pix_registry_storage_for(ld->reg, PIX_SCHEME_FILE, ld->err)))
        pix_err_prefix(ld->err, "%s:%d:%d: %s: no storage named, and the default (local files) "
                       "is missing", ld->path, at->line, at->col, section);
    if (!pl)
        goto out;
    snprintf(label, sizeof label, "%s %s", section, pl->name);
    if (new_instance(ld, pl, label, sval ? sval : at, map, is_dest ? dst_extra : src_extra,
                     inst) < 0)
        goto out;

    bval = pix_ymap_get(map, "bucket");
    rval = pix_ymap_get(map, "root");
    if (bval && rval) {
        const pix_ypair *second = pix_ymap_pair(map, "root");
        if (second < pix_ymap_pair(map, "bucket"))
            second = pix_ymap_pair(map, "bucket");
        pix_err_set(ld->err,
                    "%s:%d:%d: %s: give 'bucket' or 'root', not both; they are synonyms",
                    ld->path, second->key->line, second->key->col, section);
        goto out;
    }
    if ((bval || rval) && want_string(ld, bval ? bval : rval, section, bval ? "bucket" : "root",
                                      "a bucket name or folder", bucket) < 0)
        goto out;
    if (*bucket && serves_scheme(pl, PIX_SCHEME_FILE) && is_file_system_root(*bucket)) {
        const pix_ynode *rv = bval ? bval : rval;
        pix_err_set(ld->err, "%s:%d:%d: %s: %s: '%s' is the whole file system; give the "
                    "folder of the %s", ld->path, rv->line, rv->col, section,
                    bval ? "bucket" : "root", *bucket, is_dest ? "outputs" : "sources");
        goto out;
    }
    const char *def_root = pix_storage_of(pl)->default_root;
    if (is_dest && !*bucket && def_root && !(*bucket = strdup(def_root))) {
        pix_err_set(ld->err, "out of memory");
        goto out;
    }
    if (is_dest) {
        const pix_ynode *kval = pix_ymap_get(map, "key");
        if (kval && want_string(ld, kval, section, "key",
                                "a key template such as \"{dir}/{name}-{rendition}.{ext}\"",
                                &ld->p->key_template) < 0)
            goto out;
        char as[300];
        if (kval && kval->from_env)
            snprintf(as, sizeof as, "the value from %s", kval->from_env);
        if (kval && pix_template_check_as(ld->p->key_template, kval->from_env ? as : NULL,
                                          ld->err) < 0) {
            pix_err_prefix(ld->err, "%s:%d:%d: %s: key", ld->path, kval->line, kval->col,
                           section);
            goto out;
        }
        if (!ld->p->key_template &&
            !(ld->p->key_template = strdup("{dir}/{name}-{rendition}.{ext}"))) {
            pix_err_set(ld->err, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    free(name);
    return rc;
}

/* ------------------------------------------------------------ metadata */

static int load_metadata(loader *ld, const pix_ynode *root)
{
    static const char *const extra[] = {"backend", NULL};
    const pix_ypair *pr;
    const pix_ynode *bval;
    const pix_plugin *pl;
    char *name = NULL, label[320];
    int rc = -1;

    if (want_section(ld, root, "metadata", "{ backend: sqlite, path: ./out/metadata.db }", &pr) <
        0)
        return -1;
    if (!pr)
        return 0;
    bval = pix_ymap_get(pr->val, "backend");
    if (!bval) {
        pix_err_set(ld->err,
                    "%s:%d:%d: metadata: missing 'backend'; expected a metadata backend such as "
                    "sqlite",
                    ld->path, pr->val->line, pr->val->col);
        goto out;
    }
    if (want_string(ld, bval, "metadata", "backend", "a backend name such as sqlite", &name) < 0)
        goto out;
    if (!(pl = resolve(ld, name, PIX_KIND_METADATA, bval, "metadata")))
        goto out;
    snprintf(label, sizeof label, "metadata %s", pl->name);
    rc = new_instance(ld, pl, label, bval, pr->val, extra, &ld->p->metadata);
out:
    free(name);
    return rc;
}

/* -------------------------------------------------------------- stages */

static int load_stage(loader *ld, size_t i, const pix_ynode *item)
{
    const pix_ynode *at = item, *opts = NULL;
    const char *name;
    const pix_plugin *pl;
    char ctx[64], label[320];

    snprintf(ctx, sizeof ctx, "stages[%zu]", i);
    if (item->type == PIX_YMAP && item->n == 1) {
        at = item->pairs[0].key;
        name = at->text;
        opts = item->pairs[0].val;
        if (opts->type != PIX_YMAP && !(opts->type == PIX_YSCALAR && opts->null))
            return pix_err_set(ld->err,
                               "%s:%d:%d: %s %s: expected a mapping of options or nothing, got %s",
                               ld->path, opts->line, opts->col, ctx, name, pix_ynode_kind(opts));
    } else if (item->type == PIX_YMAP && item->n == 0) {
        return pix_err_set(ld->err,
                           "%s:%d:%d: %s: empty entry; expected a plugin name, optionally with a "
                           "mapping of options (- resize: { width: 800 })",
                           ld->path, item->line, item->col, ctx);
    } else if (item->type == PIX_YMAP) {
        /* Usually options written at the plugin's level instead of under it. */
        return pix_err_set(ld->err,
                           "%s:%d:%d: %s: expected one key, the plugin name, got %zu keys (%s, "
                           "%s%s); indent the options under the plugin name",
                           ld->path, item->line, item->col, ctx, item->n,
                           item->n ? item->pairs[0].key->text : "",
                           item->n > 1 ? item->pairs[1].key->text : "", item->n > 2 ? ", ..." : "");
    } else if (item->type == PIX_YSCALAR && !item->null && item->text[0]) {
        name = item->text;
    } else {
        return pix_err_set(ld->err,
                           "%s:%d:%d: %s: expected a plugin name, optionally with a mapping of "
                           "options (- resize: { width: 800 }), got %s",
                           ld->path, item->line, item->col, ctx, pix_ynode_kind(item));
    }
    if (!(pl = resolve(ld, name, PIX_KIND_STAGE, at, ctx)))
        return -1;
    snprintf(label, sizeof label, "%s %s", ctx, pl->name);
    return new_instance(ld, pl, label, at, opts, NULL, &ld->p->stages[i]);
}

static int load_stages(loader *ld, const pix_ynode *root)
{
    const pix_ynode *seq = pix_ymap_get(root, "stages");

    if (!seq || (seq->type == PIX_YSCALAR && seq->null))
        return 0;
    if (seq->type != PIX_YSEQ)
        return pix_err_set(ld->err,
                           "%s:%d:%d: stages: expected a list of stages (- resize: {...}), got %s",
                           ld->path, seq->line, seq->col, pix_ynode_kind(seq));
    ld->p->stages = calloc(seq->n ? seq->n : 1, sizeof *ld->p->stages);
    if (!ld->p->stages)
        return pix_err_set(ld->err, "out of memory");
    for (size_t i = 0; i < seq->n; i++) {
        ld->p->n_stages = i + 1; /* counted before it can fail: freed with the pipeline */
        if (load_stage(ld, i, seq->items[i]) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------- name and top */

static char *file_stem(const char *path)
{
    const char *base = strrchr(path, '/');
    size_t len;

    base = base ? base + 1 : path;
    len = strlen(base);
    if (len > 5 && !strcmp(base + len - 5, ".yaml"))
        len -= 5;
    else if (len > 4 && !strcmp(base + len - 4, ".yml"))
        len -= 4;
    return strndup(base, len);
}

static int load_name(loader *ld, const pix_ynode *root)
{
    const pix_ynode *val = pix_ymap_get(root, "name");

    if (val)
        return want_string(ld, val, "pipeline", "name", "a pipeline name", &ld->p->name);
    ld->p->name = file_stem(ld->path);
    return ld->p->name ? 0 : pix_err_set(ld->err, "out of memory");
}

/* `on_delete: keep | remove`: what an ObjectRemoved does to the source's
 * renditions and record. */
static int load_on_delete(loader *ld, const pix_ynode *root)
{
    static const char *const choices[] = { "keep", "remove", NULL };
    const pix_ynode *val = pix_ymap_get(root, "on_delete");
    char hint[128];

    ld->p->on_delete = PIX_ON_DELETE_KEEP;
    if (!val)
        return 0;
    if (val->type == PIX_YSCALAR && !val->null && !strcmp(val->text, "remove"))
        ld->p->on_delete = PIX_ON_DELETE_REMOVE;
    else if (val->type != PIX_YSCALAR || val->null || strcmp(val->text, "keep") != 0)
        return pix_err_set(ld->err, "%s:%d:%d: on_delete: expected keep (renditions and record "
                           "stay when the source is deleted) or remove (they are deleted "
                           "with it), got %s%s%s%s", ld->path, val->line, val->col,
                           val->type == PIX_YSCALAR && !val->null ? "'" : "",
                           val->type == PIX_YSCALAR && !val->null ? val->text
                                                                  : pix_ynode_kind(val),
                           val->type == PIX_YSCALAR && !val->null ? "'" : "",
                           val->type == PIX_YSCALAR && !val->null
                               ? pix_suggest_clause(val->text, choices, hint, sizeof hint) : "");
    return 0;
}

static int check_top(loader *ld, const pix_ynode *root)
{
    char list[256], hint[128];

    if (!root)
        return pix_err_set(ld->err, "%s:1:1: the pipeline file is empty; expected a mapping with "
                                    "keys %s",
                           ld->path, pix_join(top_keys, ", ", list, sizeof list));
    if (root->type != PIX_YMAP)
        return pix_err_set(ld->err, "%s:%d:%d: expected a mapping with keys %s, got %s",
                           ld->path, root->line, root->col,
                           pix_join(top_keys, ", ", list, sizeof list), pix_ynode_kind(root));
    for (size_t i = 0; i < root->n; i++) {
        const pix_ynode *key = root->pairs[i].key;
        bool known = false;
        for (size_t k = 0; top_keys[k]; k++)
            known |= !strcmp(key->text, top_keys[k]);
        if (!known)
            return pix_err_set(ld->err, "%s:%d:%d: unknown top-level key '%s'%s; valid keys: %s",
                               ld->path, key->line, key->col, key->text,
                               pix_suggest_clause(key->text, top_keys, hint, sizeof hint),
                               pix_join(top_keys, ", ", list, sizeof list));
    }
    return 0;
}

pix_pipeline *pix_pipeline_parse(const char *path, const char *text, size_t len,
                                 pix_registry *reg, pix_err *err)
{
    pix_ynode *root = NULL;
    pix_pipeline *p = calloc(1, sizeof *p);
    loader ld = {path, reg, err, p};
    int rc = -1;

    if (!p || !(p->path = strdup(path))) {
        pix_err_set(err, "out of memory");
        goto out;
    }
    if (pix_ytree_parse(path, text, len, &root, err) < 0 || check_top(&ld, root) < 0 ||
        load_name(&ld, root) < 0 ||
        load_storage(&ld, root, "source", false, &p->source, &p->source_bucket) < 0 ||
        load_storage(&ld, root, "destination", true, &p->dest, &p->dest_bucket) < 0 ||
        load_metadata(&ld, root) < 0 || load_limits(&ld, root) < 0 ||
        load_output(&ld, root) < 0 || load_stages(&ld, root) < 0 || load_trigger(&ld, root) < 0 ||
        load_on_delete(&ld, root) < 0)
        goto out;
    if (pix_fingerprint(p, p->fingerprint) < 0) {
        pix_err_set(err, "out of memory");
        goto out;
    }
    if (unblock_opted_in(p, err) < 0) /* the whole pipeline is valid: only now */
        goto out;
    rc = 0;
out:
    pix_ynode_free(root);
    if (rc < 0) {
        pix_pipeline_free(p);
        return NULL;
    }
    return p;
}

pix_pipeline *pix_pipeline_load(const char *path, pix_registry *reg, pix_err *err)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    size_t len = 0;
    pix_pipeline *p = NULL;
    struct stat st;

    if (!f) {
        pix_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    /* Refused before anything is read: a pipeline is a few KiB, and a huge
     * or endless file (/dev/zero, a FIFO fed forever) must not be taken
     * into memory.  A file that is not regular, or grows meanwhile, is cut
     * off at the cap by the read below. */
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > PIX_YMAX_BYTES) {
        pix_err_set(err, "%s: %lld bytes, over the %d bytes (1 MiB) a pipeline file may have",
                    path, (long long)st.st_size, PIX_YMAX_BYTES);
        goto out;
    }
    if (!(text = malloc(PIX_YMAX_BYTES + 1))) {
        pix_err_set(err, "%s: out of memory", path);
        goto out;
    }
    len = fread(text, 1, PIX_YMAX_BYTES + 1, f);
    if (ferror(f)) {
        pix_err_set(err, "%s: cannot read: %s", path, strerror(errno));
        goto out;
    }
    if (len > PIX_YMAX_BYTES) {
        pix_err_set(err, "%s: over the %d bytes (1 MiB) a pipeline file may have", path,
                    PIX_YMAX_BYTES);
        goto out;
    }
    p = pix_pipeline_parse(path, text, len, reg, err);
out:
    free(text);
    fclose(f);
    return p;
}

void pix_pipeline_free(pix_pipeline *p)
{
    if (!p)
        return;
    /* Reverse of creation order, so a stage never outlives a backend. */
    for (size_t i = p->n_stages; i-- > 0;)
        instance_free(p->stages[i]);
    instance_free(p->metadata);
    instance_free(p->dest);
    instance_free(p->source);
    void *owned[] = { p->stages, p->path, p->name, p->source_bucket, p->dest_bucket,
                      p->key_template, p->output_rendition, p->trigger_bucket,
                      p->trigger_prefix, p->trigger_suffix, p->trigger_where, p };
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        free(owned[i]);
}
