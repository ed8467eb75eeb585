/* One source object going through the pipeline. */
#ifndef PIX_CORE_JOB_H
#define PIX_CORE_JOB_H

#include <stdbool.h>
#include <stdint.h>
#include <vips/vips.h>
#include <pixpipe/pixpipe.h>
#include "pipeline.h"

#define PIX_MAX_TIMINGS 64

typedef struct pix_job_rendition {
    pix_rendition pub;      /* what plugins see; strings point below      */
    char *name, *key;
    char format[16];
    VipsImage *image;       /* released once encoded                      */
    pix_encode enc;         /* enc.format points at enc_format            */
    char enc_format[16];
    void *data;             /* encoded bytes (g_free)                     */
    size_t len;
} pix_job_rendition;

struct pix_job {
    const pix_pipeline *pipeline;  /* borrowed                            */
    const pix_instance *actor;     /* plugin whose callback runs now      */

    char *bucket, *key;            /* source                              */
    char *sequencer;
    char etag[128], content_type[128], format[32];
    pix_source src;                /* points into the fields above        */
    unsigned char *bytes;          /* source bytes (free)                 */
    size_t len;
    bool skip_unknown;             /* not an image: skip instead of fail  */
    struct pix_keyset *claimed;    /* keys written in this run, or NULL   */
    int64_t deadline_ms;

    VipsImage *header;             /* the source, header read only        */
    VipsImage *image;              /* working image                       */
    bool image_in_memory;
    double decode_scale;           /* scale the source was decoded at     */
    int decodes;                   /* source decodes (1 by construction)  */
    int materialised;              /* times the working image was copied
                                      to memory for a second reader      */

    pix_job_rendition **rend;      /* each allocated alone: never moves   */
    size_t n_rend;

    pix_timing timings[PIX_MAX_TIMINGS];
    char *timing_names[PIX_MAX_TIMINGS];
    size_t n_timings;

    pix_status status;
    char *reason;                  /* "" when ok                          */
    pix_record *record;
};

/* A new job for bucket/key of the pipeline p (borrowed).  Caller frees with
 * pix_job_free(). NULL when out of memory. */
pix_job *pix_job_new(const pix_pipeline *p, const char *bucket, const char *key);
void pix_job_free(pix_job *job);

/* Runs the whole job: fetch, limits, header, stages, encode, store, finish.
 * The outcome is in job->status and job->reason.  dry_run stops after the
 * header and limits checks. */
void pix_job_run(pix_job *job, bool dry_run);

/* Marks the job failed with a reason unless it already has one; the host's
 * job_error and the core use it.  who may be NULL. */
void pix_job_fail(pix_job *job, const char *who, const char *fmt, ...) PIX_PRINTF(3, 4);
void pix_job_failv(pix_job *job, const char *who, const char *fmt, va_list ap) PIX_PRINTF(3, 0);

/* Adds a rendition: steals img (also on failure), copies enc.  Returns 0,
 * or -1 with err (duplicate name, bad format). */
int pix_job_add_rendition(pix_job *job, const char *name, VipsImage *img, const pix_encode *enc,
                          pix_err *err);

/* Adds a timing entry for step (copied). */
void pix_job_time(pix_job *job, const char *step, double ms);

/* Monotonic milliseconds. */
double pix_now_ms(void);

/* The host API table handed to every plugin. */
extern const pix_host pix_host_api;

#endif
