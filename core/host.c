/* The host API table: what plugins may do, implemented over the core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws.h"
#include "aws_creds.h"
#include "encode.h"
#include "err.h"
#include "job.h"
#include "keys.h"
#include "log.h"
#include "record.h"

static void host_log(const pix_instance *self, pix_log_level level, const char *fmt, ...)
    PIX_PRINTF(3, 4);
static void host_log(const pix_instance *self, pix_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pix_logv(level, self && self->plugin ? self->plugin->name : NULL, fmt, ap);
    va_end(ap);
}

static void host_error(pix_instance *self, const char *fmt, ...) PIX_PRINTF(2, 3);
static void host_error(pix_instance *self, const char *fmt, ...)
{
    va_list ap;
    char raw[2048], msg[2048];
    if (!self || self->error)
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    self->error = strdup(pix_one_line(raw, msg, sizeof msg));
}

static const char *actor_name(const pix_job *job)
{
    return job->actor && job->actor->plugin ? job->actor->plugin->name : NULL;
}

static void host_job_error(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
static void host_job_error(pix_job *job, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pix_job_failv(job, actor_name(job), fmt, ap);
    va_end(ap);
}

static void host_job_skip(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
static void host_job_skip(pix_job *job, const char *fmt, ...)
{
    va_list ap;
    char raw[2048], msg[2048];
    if (job->status != PIX_JOB_OK)
        return;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    pix_one_line(raw, msg, sizeof msg);
    free(job->reason);
    job->reason = strdup(msg[0] ? msg : "skipped");
    job->status = PIX_JOB_SKIPPED;
}

static void host_job_note(pix_job *job, const char *fmt, ...) PIX_PRINTF(2, 3);
static void host_job_note(pix_job *job, const char *fmt, ...)
{
    va_list ap;
    char raw[1024], note[1024];
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    pix_rec_append_str(job->record, "notes", pix_one_line(raw, note, sizeof note));
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

static void host_job_set_image(pix_job *job, struct _VipsImage *img)
{
    if (!img)
        return;
    if (job->image)
        g_object_unref(job->image);
    job->image = img;
    job->image_in_memory = false;
}

static struct _VipsImage *host_job_image_shared(pix_job *job)
{
    if (!job->image || job->image_in_memory)
        return job->image;
    double t0 = pix_now_ms();
    VipsImage *mem = vips_image_copy_memory(job->image);
    if (!mem) {
        char why[1024];
        pix_job_fail(job, actor_name(job), "cannot decode the image: %s",
                     pix_vips_error(why, sizeof why));
        return NULL;
    }
    g_object_unref(job->image);
    job->image = mem;
    job->image_in_memory = true;
    job->materialised++;
    pix_job_time(job, "materialise", pix_now_ms() - t0);
    return job->image;
}


static int host_job_add_rendition(pix_job *job, const char *name, struct _VipsImage *img,
                                  const pix_encode *enc)
{
    pix_err err;
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

static int host_job_write_record(pix_job *job)
{
    const pix_instance *md = job->pipeline->metadata;
    if (!md) {
        pix_job_fail(job, actor_name(job), "the pipeline has no metadata backend "
                     "(add a metadata: section to %s)", job->pipeline->path);
        return -1;
    }
    const pix_instance *saved = job->actor;
    job->actor = md;
    double t0 = pix_now_ms();
    int rc = md->plugin->ops.metadata.put(md->state, job, job->record);
    if (rc < 0 && job->status == PIX_JOB_OK)
        pix_job_fail(job, md->plugin->name, "metadata write failed without a reason");
    pix_job_time(job, "metadata", pix_now_ms() - t0);
    job->actor = saved;
    return rc < 0 ? -1 : 0;
}

const pix_host pix_host_api = {
    .abi_major = PIX_ABI_MAJOR,
    .abi_minor = PIX_ABI_MINOR,
    .struct_size = sizeof(pix_host),
    .log = host_log,
    .error = host_error,
    .job_error = host_job_error,
    .job_skip = host_job_skip,
    .job_note = host_job_note,
    .job_source = host_job_source,
    .job_source_bytes = host_job_source_bytes,
    .job_source_image = host_job_source_image,
    .job_deadline_ms = host_job_deadline_ms,
    .job_pipeline_name = host_job_pipeline_name,
    .job_image = host_job_image,
    .job_set_image = host_job_set_image,
    .job_image_shared = host_job_image_shared,
    .job_add_rendition = host_job_add_rendition,
    .job_rendition_count = host_job_rendition_count,
    .job_rendition = host_job_rendition,
    .job_timing_count = host_job_timing_count,
    .job_timing = host_job_timing,
    .job_status = host_job_status,
    .job_record = host_job_record,
    .job_write_record = host_job_write_record,
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
    .aws_request = pix_aws_call,
    .aws_response_free = pix_aws_release,
    .aws_response_header = pix_aws_header,
    .aws_fail = pix_aws_fail,
    .aws_response_meta = pix_aws_meta,
    .aws_endpoint = pix_aws_endpoint,
};
