/* Checks that need more than the YAML (key template, encoders) and starting
 * the plugin instances. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "keys.h"
#include "log.h"
#include "pipeline.h"
#include "pipeline_check.h"

/* Runs a plugin's own side-effect-free config check. */
static int check_instance(pix_instance *in, const pix_host *host, const char *path,
                          pix_err *err)
{
    if (!in || !in->plugin->check)
        return 0;
    if (in->plugin->check(host, in, in->config) < 0)
        return pix_err_set(err, "%s: %s: %s", in->where ? in->where : path, in->label,
                           in->error ? in->error : "invalid configuration (no reason given)");
    return 0;
}

int pix_pipeline_check(pix_pipeline *p, const pix_host *host, pix_err *err)
{
    const pix_instance *writer = NULL;

    if (!p->dest_bucket || !*p->dest_bucket)
        return pix_err_set(err, "%s: destination: no bucket (or root) given for %s", p->path,
                           p->dest->plugin->name);
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
    if (p->metadata && !writer)
        pix_log(PIX_LOG_WARN, NULL, "%s: a metadata backend is configured but no stage "
                "writes records to it (add '- metadata-sink: {}' to the stages)", p->path);
    return 0;
}

static int start_one(pix_instance *in, const pix_host *host, const char *path, pix_err *err)
{
    if (!in || in->created)
        return 0;
    if (in->plugin->create) {
        void *state = NULL;
        if (in->plugin->create(host, in, in->config, &state) < 0)
            return pix_err_set(err, "%s: %s: %s", in->where ? in->where : path, in->label,
                               in->error ? in->error : "could not start (no reason given)");
        in->state = state;
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
