#include "outcome.h"

#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "keys.h"
#include "runner.h"

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* The main rendition's key as the job would write it, or the reason it
 * cannot: what `run --dry-run` prints. */
static char *plan_key(const pix_job *job)
{
    const pix_pipeline *p = job->pipeline;
    pix_err err;
    bool alpha = job->header && vips_image_hasalpha(job->header);
    const char *fmt = pix_format_resolve(p->output.format, job->format, alpha);
    char *key = pix_template_expand(p->key_template, job->key, p->output_rendition,
                                    pix_format_ext(fmt), &err);
    return key ? key : strdup(err.msg);
}

int pix_outcome_from_job(pix_outcome *o, const pix_job *job, bool dry_run)
{
    o->status = job->status;
    o->width = job->src.width;
    o->height = job->src.height;
    o->header_read = job->header != NULL;
    o->up_to_date = job->up_to_date;
    o->fail_kind = job->fail_kind;
    o->removal = job->removed;
    o->removed_renditions = job->removed_renditions;
    o->removed_record = job->removed_record;
    o->bytes_in = job->src.size;
    o->bytes_out = pix_job_bytes_out(job);
    if ((job->reason && *job->reason && !(o->reason = strdup(job->reason))) ||
        !(o->format = dup_or_empty(job->format)) ||
        !(o->content_type = dup_or_empty(job->content_type)))
        return -1;
    if (dry_run && job->status == PIX_JOB_OK && !(o->plan_key = plan_key(job)))
        return -1;
    if (job->n_rend && !(o->rend = calloc(job->n_rend, sizeof *o->rend)))
        return -1;
    for (size_t i = 0; i < job->n_rend; i++, o->n_rend++) {
        const pix_rendition *r = &job->rend[i]->pub;
        pix_outcome_rendition *d = &o->rend[i];
        d->width = r->width;
        d->height = r->height;
        d->bytes = r->bytes;
        d->stored = r->stored;
        if (!(d->name = dup_or_empty(r->name)) || !(d->key = dup_or_empty(r->key)))
            return -1;
    }
    if (job->n_timings && !(o->steps = calloc(job->n_timings, sizeof *o->steps)))
        return -1;
    for (size_t i = 0; i < job->n_timings; i++, o->n_steps++) {
        o->steps[i].ms = job->timings[i].ms;
        if (!(o->steps[i].name = dup_or_empty(job->timings[i].step)))
            return -1;
    }
    return 0;
}

int pix_outcome_failed_kind(pix_outcome *o, const char *reason, pix_fail_kind kind)
{
    int rc = pix_outcome_failed(o, reason);
    o->fail_kind = kind;
    return rc;
}

int pix_outcome_failed(pix_outcome *o, const char *reason)
{
    o->status = PIX_JOB_FAILED;
    o->reason = strdup(reason);
    o->format = strdup("");
    o->content_type = strdup("");
    return o->reason && o->format && o->content_type ? 0 : -1;
}

json_t *pix_outcome_to_json(const pix_outcome *o)
{
    json_t *rend = json_array(), *steps = json_array();
    for (size_t i = 0; i < o->n_rend; i++) {
        const pix_outcome_rendition *r = &o->rend[i];
        json_array_append_new(rend, json_pack("{s:s, s:s, s:i, s:i, s:I, s:b}", "name", r->name,
                                              "key", r->key, "width", r->width, "height",
                                              r->height, "bytes", (json_int_t)r->bytes,
                                              "stored", r->stored));
    }
    for (size_t i = 0; i < o->n_steps; i++)
        json_array_append_new(steps, json_pack("[s, f]", o->steps[i].name, o->steps[i].ms));
    return json_pack("{s:i, s:s*, s:s, s:s, s:i, s:i, s:b, s:b, s:i, s:I, s:I, s:s*, s:o, s:o, "
                     "s:b, s:i, s:b}",
                     "status",
                     (int)o->status, "reason", o->reason, "format", o->format, "content_type",
                     o->content_type, "width", o->width, "height", o->height, "header_read",
                     o->header_read, "up_to_date", o->up_to_date, "fail_kind", (int)o->fail_kind, "bytes_in", (json_int_t)o->bytes_in, "bytes_out",
                     (json_int_t)o->bytes_out, "plan_key", o->plan_key, "renditions", rend,
                     "steps", steps, "removal", o->removal, "removed_renditions",
                     o->removed_renditions, "removed_record", o->removed_record);
}

int pix_outcome_from_json(pix_outcome *o, const json_t *j)
{
    const char *reason = NULL, *format, *ctype, *plan = NULL;
    json_int_t in, out;
    int status, hdr, current = 0, kind = 0, removal = 0, gone = 0;
    json_t *rend, *steps;
    if (json_unpack((json_t *)j, "{s:i, s?s, s:s, s:s, s:i, s:i, s:b, s?b, s?i, s:I, s:I, s?s, "
                    "s:o, s:o, s?b, s?i, s?b}", "status", &status, "reason", &reason, "format", &format,
                    "content_type", &ctype, "width", &o->width, "height", &o->height,
                    "header_read", &hdr, "up_to_date", &current, "fail_kind", &kind,
                    "bytes_in", &in, "bytes_out", &out, "plan_key", &plan, "renditions", &rend,
                    "steps", &steps, "removal", &removal, "removed_renditions",
                    &o->removed_renditions, "removed_record", &gone) < 0 ||
        status < PIX_JOB_OK || status > PIX_JOB_FAILED || !json_is_array(rend) ||
        !json_is_array(steps))
        return -1;
    o->status = (pix_status)status;
    o->header_read = hdr;
    o->up_to_date = current;
    o->removal = removal;
    o->removed_record = gone;
    o->fail_kind = kind >= PIX_FAIL_PERMANENT && kind <= PIX_FAIL_MISSING ? (pix_fail_kind)kind
                                                                        : PIX_FAIL_PERMANENT;
    o->bytes_in = (uint64_t)in;
    o->bytes_out = (uint64_t)out;
    if ((reason && !(o->reason = strdup(reason))) || !(o->format = strdup(format)) ||
        !(o->content_type = strdup(ctype)) || (plan && !(o->plan_key = strdup(plan))))
        return -1;
    size_t n = json_array_size(rend);
    if (n && !(o->rend = calloc(n, sizeof *o->rend)))
        return -1;
    for (size_t i = 0; i < n; i++, o->n_rend++) {
        pix_outcome_rendition *r = &o->rend[i];
        const char *name, *key;
        json_int_t bytes;
        int stored;
        if (json_unpack(json_array_get(rend, i), "{s:s, s:s, s:i, s:i, s:I, s:b}", "name",
                        &name, "key", &key, "width", &r->width, "height", &r->height, "bytes",
                        &bytes, "stored", &stored) < 0 ||
            !(r->name = strdup(name)) || !(r->key = strdup(key)))
            return -1;
        r->bytes = (uint64_t)bytes;
        r->stored = stored;
    }
    n = json_array_size(steps);
    if (n && !(o->steps = calloc(n, sizeof *o->steps)))
        return -1;
    for (size_t i = 0; i < n; i++, o->n_steps++) {
        const char *name;
        if (json_unpack(json_array_get(steps, i), "[s, F]", &name, &o->steps[i].ms) < 0 ||
            !(o->steps[i].name = strdup(name)))
            return -1;
    }
    return 0;
}

void pix_outcome_clear(pix_outcome *o)
{
    for (size_t i = 0; i < o->n_rend; i++) {
        free(o->rend[i].name);
        free(o->rend[i].key);
    }
    for (size_t i = 0; i < o->n_steps; i++)
        free(o->steps[i].name);
    free(o->rend);
    free(o->steps);
    free(o->reason);
    free(o->format);
    free(o->content_type);
    free(o->plan_key);
    memset(o, 0, sizeof *o);
}
