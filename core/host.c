/* The host API table: the public ABI adapted to the core.  Job state lives
 * in job.c; this file only turns the table's calls into job.c's, adding
 * the name of the plugin whose callback runs. */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "encode.h"
#include "err.h"
#include "focus.h"
#include "job.h"
#include "keys.h"
#include "log.h"
#include "pipeline.h"
#include "record.h"
#include "remove.h"

static void host_log(const pix_ctx *ctx, pix_log_level level, const char *fmt, ...)
    PIX_PRINTF(3, 4);
static void host_log(const pix_ctx *ctx, pix_log_level level, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_logv(level, ctx ? ctx->name : NULL, fmt, ap));
}

static int host_error(const pix_ctx *ctx, const char *fmt, ...) PIX_PRINTF(2, 3);
static int host_error(const pix_ctx *ctx, const char *fmt, ...)
{
    char raw[2048], msg[2048];
    pix_instance *in = ctx ? pix_instance_of(ctx) : NULL;
    if (!in || in->error)
        return -1; /* the first reason is the one reported */
    PIX_WITH_VA(fmt, vsnprintf(raw, sizeof raw, fmt, ap));
    in->error = strdup(pix_one_line(raw, msg, sizeof msg));
    return -1;
}

static const char *actor_name(const pix_job *job)
{
    return job->actor ? job->actor->plugin->name : NULL;
}

static int host_job_error(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
static int host_job_error(pix_job *job, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_job_failv(job, actor_name(job), fmt, ap));
    return -1;
}

static int host_job_vips_error(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
static int host_job_vips_error(pix_job *job, const char *fmt, ...)
{
    PIX_WITH_VA(fmt, pix_job_fail_vipsv(job, actor_name(job), fmt, ap));
    return -1;
}

static const pix_source *host_job_source(const pix_job *job) { return &job->src; }

static const unsigned char *host_job_source_bytes(const pix_job *job, size_t *len)
{
    if (len)
        *len = job->len;
    return job->bytes;
}

static struct _VipsImage *host_job_source_image(const pix_job *job) { return job->header; }
static int64_t host_job_deadline_ms(const pix_job *job) { return job->deadline_ms; }
static const char *host_job_pipeline_name(const pix_job *job) { return job->pipeline->name; }
static struct _VipsImage *host_job_image(pix_job *job) { return job->image; }

static int host_job_add_rendition(pix_job *job, const char *name, struct _VipsImage *img,
                                  const pix_encode *enc)
{
    pix_err err;
    pix_encode copy;
    /* a plugin built before 2.3 passes a pix_encode without the quality
     * search's fields: only the part it knows is read */
    if (enc && job->actor && job->actor->plugin->abi_minor < 3) {
        memset(&copy, 0, sizeof copy);
        memcpy(&copy, enc, offsetof(pix_encode, quality_target));
        enc = &copy;
    }
    if (pix_job_add_rendition(job, name, img, enc, &err) < 0) {
        pix_job_fail(job, actor_name(job), "%s", err.msg);
        return -1;
    }
    return 0;
}

static size_t host_job_rendition_count(const pix_job *job) { return job->n_rend; }

static const pix_rendition *host_job_rendition(const pix_job *job, size_t i)
{
    return i < job->n_rend ? &job->rend[i]->pub : NULL;
}

static size_t host_job_timing_count(const pix_job *job) { return job->n_timings; }

static const pix_timing *host_job_timing(const pix_job *job, size_t i)
{
    return i < job->n_timings ? &job->timings[i] : NULL;
}

static pix_status host_job_status(const pix_job *job, const char **reason)
{
    if (reason)
        *reason = job->reason ? job->reason : "";
    return job->status;
}

static pix_record *host_job_record(pix_job *job) { return job->record; }

static void host_job_time(pix_job *job, const char *step, double ms)
{
    if (step && *step && ms >= 0)
        pix_job_time(job, step, ms);
}

static int host_job_put_object(pix_job *job, const char *name, const char *ext,
                               const char *content_type, const void *data, size_t len)
{
    if (!name || (!data && len)) {
        pix_job_fail(job, actor_name(job), "job_put_object: no name or no data");
        return -1;
    }
    return pix_job_put_object(job, name, ext, content_type, data, len);
}

static const void *host_service(const char *name, uint32_t version)
{
    if (name && strcmp(name, PIX_AWS_SERVICE) == 0 && version == PIX_AWS_VERSION)
        return &pix_aws_api;
    return NULL;
}

const pix_host pix_host_api = {
    .abi_major = PIX_ABI_MAJOR,
    .abi_minor = PIX_ABI_MINOR,
    .struct_size = sizeof(pix_host),
    .log = host_log,
    .error = host_error,
    .service = host_service,
    .job_error = host_job_error,
    .job_vips_error = host_job_vips_error,
    .job_skip = pix_job_skip,
    .job_note = pix_job_note,
    .job_source = host_job_source,
    .job_source_bytes = host_job_source_bytes,
    .job_source_image = host_job_source_image,
    .job_deadline_ms = host_job_deadline_ms,
    .job_pipeline_name = host_job_pipeline_name,
    .job_image = host_job_image,
    .job_set_image = pix_job_set_image,
    .job_image_shared = pix_job_image_shared,
    .job_add_rendition = host_job_add_rendition,
    .job_rendition_count = host_job_rendition_count,
    .job_rendition = host_job_rendition,
    .job_timing_count = host_job_timing_count,
    .job_timing = host_job_timing,
    .job_status = host_job_status,
    .job_record = host_job_record,
    .job_write_record = pix_job_write_record,
    .rec_set_str = pix_rec_set_str,
    .rec_set_int = pix_rec_set_int,
    .rec_set_num = pix_rec_set_num,
    .rec_set_bool = pix_rec_set_bool,
    .rec_object = pix_rec_object,
    .rec_append = pix_rec_append,
    .rec_get_str = pix_rec_get_str,
    .rec_get_int = pix_rec_get_int,
    .rec_get_num = pix_rec_get_num,
    .rec_get_bool = pix_rec_get_bool,
    .rec_to_json = pix_rec_to_json,
    .key_check = pix_key_check,
    .format_can_save = pix_format_can_save,
    .sequencer_pad = pix_sequencer_pad,
    .job_time = host_job_time,
    .job_focus = pix_job_focus,
    .job_put_object = host_job_put_object,
};
