/* Checks that need more than the YAML (key template, encoders) and starting
 * the plugin instances. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "encode.h"
#include "keys.h"
#include "log.h"
#include "pipeline.h"
#include "pipeline_check.h"

/* Refuses a destination that could write into what triggers the pipeline:
 * each rendition would start it again, without end.  Outputs are safe when
 * they go to another bucket, or when the key template's literal start
 * keeps them out of the trigger's prefix. */
static int check_recursion(const pix_pipeline *p, pix_err *err)
{
    if (!p->trigger_bucket || !p->dest_bucket || strcmp(p->dest_bucket, p->trigger_bucket) != 0)
        return 0;
    const char *tmpl = p->key_template, *tp = p->trigger_prefix ? p->trigger_prefix : "";
    size_t lit = strcspn(tmpl, "{"), tlen = strlen(tp);
    bool overlap;
    if (!*tp || !lit)
        overlap = true; /* outputs may start like any key, the sources' included */
    else
        overlap = strncmp(tmpl, tp, lit < tlen ? lit : tlen) == 0;
    /* a suffix filter the outputs' literal ending cannot match also keeps
     * them out */
    const char *close = strrchr(tmpl, '}');
    const char *tail = close ? close + 1 : tmpl;
    const char *ts = p->trigger_suffix ? p->trigger_suffix : "";
    size_t tail_len = strlen(tail), ts_len = strlen(ts);
    size_t n = tail_len < ts_len ? tail_len : ts_len;
    if (overlap && n && strcmp(tail + tail_len - n, ts + ts_len - n) != 0)
        overlap = false;
    if (!overlap)
        return 0;
    return pix_err_set(err, "%s: trigger: the destination bucket '%s' is the trigger's bucket and "
                       "the key template '%s' can write under the trigger's prefix '%s': every "
                       "rendition would start the pipeline again; write to another bucket, or "
                       "give the template a literal start outside the prefix (e.g. trigger "
                       "prefix \"uploads/\" with key \"renditions/{dir}/{name}-{rendition}.{ext}\")",
                       p->trigger_where ? p->trigger_where : p->path, p->dest_bucket, tmpl, tp);
}

/* Runs a plugin's own side-effect-free config check. */
static int check_instance(pix_instance *in, const pix_host *host, const char *path,
                          pix_err *err)
{
    if (!in)
        return 0;
    in->ctx.host = host;
    if (!in->plugin->check)
        return 0;
    if (in->plugin->check(&in->ctx) < 0)
        return pix_err_set(err, "%s: %s: %s", in->where ? in->where : path, in->label,
                           in->error ? in->error : "invalid configuration (no reason given)");
    return 0;
}

/* on_delete: remove reads the record back, deletes the renditions it
 * lists and leaves a tombstone: the backends must be able to. */
static int check_on_delete(const pix_pipeline *p, pix_err *err)
{
    if (p->on_delete != PIX_ON_DELETE_REMOVE)
        return 0;
    if (!p->metadata)
        return pix_err_set(err, "%s: on_delete: remove deletes the renditions a source's record "
                           "lists, but the pipeline has no metadata: section", p->path);
    if (!p->metadata->metadata->get || !p->metadata->metadata->remove)
        return pix_err_set(err, "%s: on_delete: remove needs a metadata backend that can read "
                           "and remove records; %s %s cannot (it predates ABI 2.1)", p->path,
                           p->metadata->plugin->name, p->metadata->plugin->version);
    if (!p->dest->storage->remove)
        return pix_err_set(err, "%s: on_delete: remove needs a destination storage that can "
                           "delete objects; %s %s cannot (it predates ABI 2.1)", p->path,
                           p->dest->plugin->name, p->dest->plugin->version);
    return 0;
}

/* Two renditions of one name would fail every job at its second: refused
 * here, naming both places.  The main output is the first. */
static int check_rendition_names(const pix_pipeline *p, pix_err *err)
{
    for (size_t i = 0; i < p->n_stages; i++) {
        const pix_instance *st = p->stages[i];
        for (size_t k = 0; st->stage->rendition_name; k++) {
            const char *name = st->stage->rendition_name(&st->ctx, k);
            if (!name)
                break;
            const char *where = st->where ? st->where : p->path;
            if (strcmp(name, p->output_rendition) == 0)
                return pix_err_set(err, "%s: %s: rendition '%s' is the name of the main output "
                                   "(output.rendition); give one of them another name",
                                   where, st->label, name);
            for (size_t j = 0; j <= i; j++) {
                const pix_instance *o = p->stages[j];
                size_t last = j == i ? k : SIZE_MAX;
                for (size_t m = 0; o->stage->rendition_name && m < last; m++) {
                    const char *other = o->stage->rendition_name(&o->ctx, m);
                    if (!other)
                        break;
                    if (strcmp(name, other) == 0)
                        return pix_err_set(err, "%s: %s: rendition '%s' is also made by %s "
                                           "(%s); give each rendition its own name", where,
                                           st->label, name, o->label,
                                           o->where ? o->where : p->path);
                }
            }
        }
    }
    return 0;
}

int pix_pipeline_check(pix_pipeline *p, const pix_host *host, pix_err *err)
{
    const pix_instance *writer = NULL;

    if (!p->dest_bucket || !*p->dest_bucket)
        return pix_err_set(err, "%s: destination: no bucket (or root) given for %s", p->path,
                           p->dest->plugin->name);
    if (check_recursion(p, err) < 0 || check_on_delete(p, err) < 0)
        return -1;
    if (check_instance(p->source, host, p->path, err) < 0 ||
        check_instance(p->dest, host, p->path, err) < 0 ||
        check_instance(p->metadata, host, p->path, err) < 0)
        return -1;
    for (size_t i = 0; i < p->n_stages; i++) {
        pix_instance *st = p->stages[i];
        if (check_instance(st, host, p->path, err) < 0)
            return -1;
        if (st->plugin->flags & PIX_PLUGIN_WRITES_RECORDS) {
            if (!p->metadata)
                return pix_err_set(err, "%s: %s writes metadata records, but the pipeline "
                                   "has no metadata: section (e.g. metadata: { backend: "
                                   "sqlite, path: ./out/metadata.db })",
                                   st->where ? st->where : p->path, st->label);
            writer = st;
        }
    }
    if (check_rendition_names(p, err) < 0)
        return -1;
    if (p->metadata && !writer)
        pix_log(PIX_LOG_WARN, NULL, "%s: a metadata backend is configured but no stage "
                "writes records to it (add a stage that does; `pixpipe plugins NAME` says "
                "\"Writes records\" of each)", p->path);
    return 0;
}

static int start_one(pix_instance *in, const pix_host *host, const char *path, pix_err *err)
{
    if (!in || in->created)
        return 0;
    in->ctx.host = host;
    if (in->plugin->create) {
        void *state = NULL;
        if (in->plugin->create(&in->ctx, &state) < 0)
            return pix_err_set(err, "%s: %s: %s", in->where ? in->where : path, in->label,
                               in->error ? in->error : "could not start (no reason given)");
        in->ctx.state = state;
    }
    in->created = true;
    return 0;
}

int pix_pipeline_start_source(pix_pipeline *p, const pix_host *host, pix_err *err)
{
    if (pix_pipeline_check(p, host, err) < 0)
        return -1;
    return start_one(p->source, host, p->path, err);
}

int pix_pipeline_start(pix_pipeline *p, const pix_host *host, pix_err *err)
{
    if (pix_pipeline_check(p, host, err) < 0)
        return -1;
    if (start_one(p->source, host, p->path, err) < 0 ||
        start_one(p->dest, host, p->path, err) < 0 ||
        start_one(p->metadata, host, p->path, err) < 0)
        return -1;
    for (size_t i = 0; i < p->n_stages; i++)
        if (start_one(p->stages[i], host, p->path, err) < 0)
            return -1;
    return 0;
}
