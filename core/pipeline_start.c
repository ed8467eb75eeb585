/* Checks that need more than the YAML (key template, encoders) and starting
 * the plugin instances. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "keys.h"
#include "pipeline.h"
#include "pipeline_check.h"

int pix_pipeline_check(const pix_pipeline *p, pix_err *err)
{
    if (pix_template_check(p->key_template, err) < 0)
        return pix_err_prefix(err, "%s: destination", p->path);
    if (pix_format_check(p->output_format ? p->output_format : "source", err) < 0)
        return pix_err_prefix(err, "%s: output.format", p->path);
    if (!p->dest_bucket || !*p->dest_bucket)
        return pix_err_set(err, "%s: destination: no bucket (or root) given for %s", p->path,
                           p->dest->plugin->name);
    return 0;
}

static int start_one(pix_instance *in, const pix_host *host, const char *path, pix_err *err)
{
    if (!in || in->created)
        return 0;
    if (in->plugin->create) {
        void *state = NULL;
        if (in->plugin->create(host, in, in->config, &state) < 0)
            return pix_err_set(err, "%s: %s (%s): %s", path, in->label,
                               in->where ? in->where : path,
                               in->error ? in->error : "could not start (no reason given)");
        in->state = state;
    }
    in->created = true;
    return 0;
}

int pix_pipeline_start_source(pix_pipeline *p, const pix_host *host, pix_err *err)
{
    if (pix_pipeline_check(p, err) < 0)
        return -1;
    return start_one(p->source, host, p->path, err);
}

int pix_pipeline_start(pix_pipeline *p, const pix_host *host, pix_err *err)
{
    if (pix_pipeline_check(p, err) < 0)
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
